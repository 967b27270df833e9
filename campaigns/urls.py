from django.urls import path

from campaigns import contact_message, greeting_views, message_templates, views

app_name = "campaigns"

urlpatterns = [
    path("", views.CampaignListView.as_view(), name="list"),
    path("new/", views.CampaignCreateView.as_view(), name="create"),
    path("account-fields/", views.account_fields, name="account_fields"),
    path("templates/", message_templates.template_list, name="templates"),
    path("templates/new/", message_templates.template_create, name="template_create"),
    path("templates/<int:pk>/", message_templates.template_edit, name="template_edit"),
    path(
        "templates/<int:pk>/delete/",
        message_templates.template_delete,
        name="template_delete",
    ),
    path("greetings/", greeting_views.greeting_list, name="greetings"),
    path("greetings/new/", greeting_views.greeting_create, name="greeting_create"),
    path("greetings/<int:pk>/", greeting_views.greeting_edit, name="greeting_edit"),
    path(
        "greetings/<int:pk>/delete/",
        greeting_views.greeting_delete,
        name="greeting_delete",
    ),
    path(
        "to-contact/<int:contact_pk>/",
        contact_message.contact_message,
        name="contact_message",
    ),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.CampaignUpdateView.as_view(), name="edit"),
    path("<int:pk>/progress/", views.campaign_progress_partial, name="progress"),
    path("<int:pk>/preview/", views.campaign_preview, name="preview"),
    # The composer's live preview, before and after the first save.
    path("compose-preview/", views.campaign_compose_preview, name="compose_preview"),
    path(
        "<int:pk>/compose-preview/",
        views.campaign_compose_preview,
        name="compose_preview",
    ),
    path("<int:pk>/launch/", views.campaign_launch, name="launch"),
    path("<int:pk>/unschedule/", views.campaign_unschedule, name="unschedule"),
    path("<int:pk>/pause/", views.campaign_pause, name="pause"),
    path("<int:pk>/resume/", views.campaign_resume, name="resume"),
    path("<int:pk>/sender/", views.campaign_sender, name="sender"),
    path("<int:pk>/cancel/", views.campaign_cancel, name="cancel"),
    path(
        "<int:pk>/withdraw-again/",
        views.campaign_withdraw_again,
        name="withdraw_again",
    ),
    path("<int:pk>/resend-failed/", views.campaign_resend, name="resend"),
    path("<int:pk>/copy/", views.campaign_copy, name="copy"),
    path("<int:pk>/delete/", views.campaign_delete, name="delete"),
    path("<int:pk>/test-send/", views.campaign_test_send, name="test_send"),
    path(
        "<int:pk>/test-send/results/",
        views.campaign_test_send_results,
        name="test_send_results",
    ),
    path("<int:pk>/in-doubt/", views.messages_decide, name="decide"),
]
