from django.urls import path

from providers import views

app_name = "providers"

urlpatterns = [
    path("", views.ProviderAccountListView.as_view(), name="list"),
    path("new/", views.ProviderAccountCreateView.as_view(), name="account_create"),
    path("<int:pk>/", views.ProviderAccountDetailView.as_view(), name="detail"),
    path(
        "<int:pk>/edit/", views.ProviderAccountUpdateView.as_view(), name="account_edit"
    ),
    path("<int:pk>/check/", views.account_check, name="account_check"),
    path(
        "<int:pk>/callback-urls/renew/",
        views.callback_urls_renew,
        name="callback_urls_renew",
    ),
    path("<int:pk>/senders/sync/", views.sender_names_sync, name="sender_sync"),
    path(
        "<int:pk>/senders/request/",
        views.SenderNameRequestView.as_view(),
        name="sender_request",
    ),
    path(
        "<int:pk>/senders/record/",
        views.SenderNameRecordView.as_view(),
        name="sender_record",
    ),
    path(
        "<int:pk>/senders/<int:sender_pk>/remove/",
        views.sender_name_remove,
        name="sender_remove",
    ),
]
