from django.urls import path

from contacts import views

app_name = "contacts"

urlpatterns = [
    path("", views.ContactListView.as_view(), name="list"),
    path("new/", views.contact_create, name="create"),
    path("bulk/", views.contacts_bulk, name="bulk"),
    path("bulk/<int:pk>/", views.contacts_bulk_job, name="bulk_job"),
    path("bulk/<int:pk>/retry/", views.contacts_bulk_job_retry, name="bulk_job_retry"),
    path("export/", views.contacts_export, name="export"),
    path("<int:pk>/", views.contact_detail, name="detail"),
    path("<int:pk>/edit/", views.contact_edit, name="edit"),
    path("<int:pk>/delete/", views.contact_delete, name="delete"),
    path("groups/", views.group_list, name="group_list"),
    path("groups/new/", views.group_create, name="group_create"),
    path("groups/<int:pk>/", views.group_edit, name="group_edit"),
    path("groups/<int:pk>/delete/", views.group_delete, name="group_delete"),
    path("stop-list/", views.stoplist, name="stoplist"),
    path("stop-list/remove/", views.stoplist_remove, name="stoplist_remove"),
    path("stop-list/export/", views.stoplist_export, name="stoplist_export"),
    path(
        "stop-list/import/",
        views.import_upload,
        {"kind": "stoplist"},
        name="stoplist_import",
    ),
    path(
        "stop-list/import/sample/",
        views.import_sample,
        {"kind": "stoplist"},
        name="stoplist_import_sample",
    ),
    path("fields/", views.custom_fields, name="custom_fields"),
    path("numbering-plan/", views.numbering_plan, name="numbering_plan"),
    path(
        "numbering-plan/<int:pk>/",
        views.numbering_plan_load_status,
        name="numbering_plan_load_status",
    ),
    path("import/", views.import_upload, {"kind": "contacts"}, name="import"),
    path(
        "import/sample/",
        views.import_sample,
        {"kind": "contacts"},
        name="import_sample",
    ),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/columns/", views.import_mapping, name="import_mapping"),
    path("import/<int:pk>/discard/", views.import_discard, name="import_discard"),
    path("import/<int:pk>/retry/", views.import_retry, name="import_retry"),
    path("import/<int:pk>/rejected.csv", views.import_rejects, name="import_rejects"),
]
