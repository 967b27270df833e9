"""Campaign reports, the inbox and stop list sync (namespace "reports")."""

from django.urls import path

from campaigns import inbox_views, report_views

app_name = "reports"

urlpatterns = [
    path(
        "<int:pk>/report/",
        report_views.CampaignReportView.as_view(),
        name="campaign_report",
    ),
    path(
        "<int:pk>/report/live/",
        report_views.campaign_report_live,
        name="campaign_report_live",
    ),
    path(
        "<int:pk>/report/export/", report_views.campaign_export, name="campaign_export"
    ),
    path("inbox/", inbox_views.InboxView.as_view(), name="inbox"),
    path("inbox/mark/", inbox_views.inbox_mark, name="inbox_mark"),
    path("inbox/fetch/", inbox_views.inbox_fetch, name="inbox_fetch"),
    path("inbox/export/", inbox_views.inbox_export, name="inbox_export"),
    path("inbox/<int:pk>/", inbox_views.reply_detail, name="reply"),
    path("inbox/<int:pk>/answer/", inbox_views.reply_answer, name="reply_answer"),
    path("inbox/<int:pk>/read/", inbox_views.reply_read, name="reply_read"),
    path(
        "inbox/<int:pk>/stop-list/",
        inbox_views.reply_stop_list,
        name="reply_stop_list",
    ),
    path("stop-list-sync/", report_views.stoplist_sync_page, name="stoplist_sync"),
    path(
        "stop-list-sync/<int:pk>/",
        report_views.stoplist_sync_run,
        name="stoplist_sync_run",
    ),
]
