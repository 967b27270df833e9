"""Who may do what: a decision for every address of the dashboard, the REST API and
the Django admin, by role. tests/accounts/test_access_matrix.py holds every address
to them, and fails for one added without a decision here."""

from dataclasses import dataclass

ANONYMOUS, INACTIVE, NO_ROLE = "anonymous", "inactive", "no role"
V, M, A = "viewer", "manager", "admin"
ROLES = (ANONYMOUS, INACTIVE, NO_ROLE, V, M, A)
NOBODY: frozenset[str] = frozenset()
ADMINS = frozenset({A})
WRITERS = frozenset({M, A})
READERS = frozenset({V, M, A})
SIGNED_IN = frozenset({NO_ROLE, V, M, A})
# Open to anyone (the login page, health, the language switch).
PUBLIC = frozenset(ROLES)

# What no answer to a role that may not see a thing may hold: the fixture's
# names, numbers and texts.
SECRETS = ("Секретова", "79160000001", "Тайный текст", "Тайная группа")

# name -> {method: roles that may}; a method left out is refused (405) to all.
PAGES: dict[str, dict[str, frozenset[str]]] = {
    "dashboard": {"GET": SIGNED_IN},
    "dashboard_in_flight": {"GET": READERS},
    "login": {"GET": PUBLIC, "POST": PUBLIC},
    "logout": {"POST": SIGNED_IN},
    "accounts:profile": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "accounts:audit_log": {"GET": ADMINS},
    "accounts:token_revoke": {"POST": SIGNED_IN},
    "accounts:password_change": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "accounts:password_change_done": {"GET": SIGNED_IN},
    "contacts:list": {"GET": READERS},
    "contacts:create": {"GET": WRITERS, "POST": WRITERS},
    "contacts:bulk": {"POST": WRITERS},
    "contacts:bulk_job": {"GET": READERS},
    "contacts:bulk_job_retry": {"POST": WRITERS},
    "contacts:export": {"GET": READERS},
    "contacts:detail": {"GET": READERS},
    "contacts:edit": {"GET": WRITERS, "POST": WRITERS},
    "contacts:delete": {"POST": WRITERS},
    "contacts:group_list": {"GET": READERS},
    "contacts:group_create": {"GET": WRITERS, "POST": WRITERS},
    "contacts:group_edit": {"GET": WRITERS, "POST": WRITERS},
    "contacts:group_delete": {"POST": WRITERS},
    "contacts:stoplist": {"GET": READERS, "POST": WRITERS},
    "contacts:stoplist_remove": {"POST": WRITERS},
    "contacts:stoplist_export": {"GET": READERS},
    "contacts:stoplist_import": {"GET": WRITERS, "POST": WRITERS},
    "contacts:stoplist_import_sample": {"GET": WRITERS},
    "contacts:custom_fields": {"GET": READERS, "POST": WRITERS},
    "contacts:numbering_plan": {"GET": READERS, "POST": WRITERS},
    "contacts:numbering_plan_load_status": {"GET": READERS},
    "contacts:import": {"GET": WRITERS, "POST": WRITERS},
    "contacts:import_sample": {"GET": WRITERS},
    "contacts:import_detail": {"GET": READERS},
    "contacts:import_mapping": {"GET": WRITERS, "POST": WRITERS},
    "contacts:import_discard": {"POST": WRITERS},
    "contacts:import_retry": {"POST": WRITERS},
    "contacts:import_rejects": {"GET": READERS},
    "reports:campaign_report": {"GET": READERS},
    "reports:campaign_report_live": {"GET": READERS},
    "reports:campaign_export": {"GET": READERS},
    "reports:inbox": {"GET": READERS},
    "reports:inbox_mark": {"POST": WRITERS},
    "reports:inbox_fetch": {"POST": WRITERS},
    "reports:inbox_export": {"GET": READERS},
    "reports:reply": {"GET": READERS},
    "reports:reply_answer": {"POST": WRITERS},
    "reports:reply_read": {"POST": WRITERS},
    "reports:reply_stop_list": {"POST": WRITERS},
    "reports:stoplist_sync": {"GET": READERS},
    "reports:stoplist_sync_run": {"POST": WRITERS},
    "campaigns:list": {"GET": READERS},
    "campaigns:create": {"GET": WRITERS, "POST": WRITERS},
    "campaigns:account_fields": {"GET": WRITERS},
    "campaigns:templates": {"GET": READERS},
    "campaigns:template_create": {"GET": WRITERS, "POST": WRITERS},
    "campaigns:template_edit": {"GET": WRITERS, "POST": WRITERS},
    "campaigns:template_delete": {"POST": WRITERS},
    "campaigns:greetings": {"GET": READERS},
    "campaigns:greeting_create": {"GET": WRITERS, "POST": WRITERS},
    "campaigns:greeting_edit": {"GET": WRITERS, "POST": WRITERS},
    "campaigns:greeting_delete": {"POST": WRITERS},
    "campaigns:contact_message": {"GET": WRITERS, "POST": WRITERS},
    "campaigns:detail": {"GET": READERS},
    "campaigns:edit": {"GET": WRITERS, "POST": WRITERS},
    "campaigns:progress": {"GET": READERS},
    "campaigns:preview": {"GET": READERS},
    "campaigns:compose_preview": {"POST": WRITERS},
    "campaigns:launch": {"POST": WRITERS},
    "campaigns:unschedule": {"POST": WRITERS},
    "campaigns:pause": {"POST": WRITERS},
    "campaigns:resume": {"POST": WRITERS},
    "campaigns:sender": {"POST": WRITERS},
    "campaigns:cancel": {"POST": WRITERS},
    "campaigns:withdraw_again": {"POST": WRITERS},
    "campaigns:resend": {"POST": WRITERS},
    "campaigns:copy": {"POST": WRITERS},
    "campaigns:delete": {"POST": WRITERS},
    "campaigns:test_send": {"GET": WRITERS, "POST": WRITERS},
    "campaigns:test_send_results": {"GET": WRITERS},
    "campaigns:decide": {"POST": WRITERS},
    # Provider accounts hold the gateway credentials: Admins change them.
    "providers:list": {"GET": READERS},
    "providers:account_create": {"GET": ADMINS, "POST": ADMINS},
    "providers:detail": {"GET": READERS},
    "providers:account_edit": {"GET": ADMINS, "POST": ADMINS},
    "providers:account_check": {"POST": ADMINS},
    "providers:callback_urls_renew": {"POST": ADMINS},
    "providers:sender_sync": {"POST": ADMINS},
    "providers:sender_request": {"GET": ADMINS, "POST": ADMINS},
    "providers:sender_record": {"GET": ADMINS, "POST": ADMINS},
    "providers:sender_remove": {"POST": ADMINS},
    "set_language": {"GET": PUBLIC, "POST": PUBLIC},
    "healthz": {"GET": PUBLIC},
    "favicon": {"GET": PUBLIC},
    # Ours in place of the admin's: to the throttled login page, and a 403 for who
    # is signed in but may not use the admin (rather than a loop).
    "admin_login": {"GET": frozenset({ANONYMOUS, INACTIVE})},
}
# Authenticated by their own means, checked in tests of their own: gateway callbacks
# (the account's token in the URL, tests/campaigns/test_webhooks.py and below), the
# API (ninja's operations, API below) and the Django admin (ADMIN_MODELS below).
OWN_AUTHENTICATION = ("callbacks:", "api:", "admin:")
UNNAMED = {"^api/": "the API's JSON 404", "admin/(?P<url>.*)$": "the admin's 404"}

# ninja url_name -> roles that may (its method is the operation's).
API: dict[str, frozenset[str]] = {
    "me": SIGNED_IN,
    "provider_list": READERS,
    "provider_check": ADMINS,
    "provider_senders": READERS,
    "provider_sender_request": ADMINS,
    "contact_list": READERS,
    "contact_create": WRITERS,
    "contact_export": READERS,
    "contact_import": WRITERS,
    "contact_get": READERS,
    "contact_update": WRITERS,
    "contact_delete": WRITERS,
    "group_list": READERS,
    "group_create": WRITERS,
    "group_get": READERS,
    "group_update": WRITERS,
    "group_delete": WRITERS,
    "group_members_add": WRITERS,
    "group_members_remove": WRITERS,
    "stoplist": READERS,
    "stoplist_add": WRITERS,
    "stoplist_export": READERS,
    "stoplist_remove": WRITERS,
    "import_get": READERS,
    "import_rejects": READERS,
    "campaign_list_api": READERS,
    "campaign_create_api": WRITERS,
    "campaign_get_api": READERS,
    "campaign_delete_api": WRITERS,
    "campaign_update_api": WRITERS,
    "campaign_preview_api": READERS,
    "campaign_launch_api": WRITERS,
    "campaign_unschedule_api": WRITERS,
    "campaign_pause_api": WRITERS,
    "campaign_resume_api": WRITERS,
    "campaign_sender_api": WRITERS,
    "campaign_cancel_api": WRITERS,
    "campaign_withdraw_again_api": WRITERS,
    "campaign_resend_failed_api": WRITERS,
    "campaign_copy_api": WRITERS,
    "campaign_test_send_api": WRITERS,
    "message_list": READERS,
    "message_send": WRITERS,
    "inbound_list": READERS,
    "inbound_mark": WRITERS,
    "inbound_fetch": WRITERS,
    "inbound_answer": WRITERS,
    "report": READERS,
    "stop_list_sync": WRITERS,
    "template_list_api": READERS,
    "template_create_api": WRITERS,
    "template_get_api": READERS,
    "template_update_api": WRITERS,
    "template_delete_api": WRITERS,
    "greeting_list_api": READERS,
    "greeting_create_api": WRITERS,
    "greeting_get_api": READERS,
    "greeting_update_api": WRITERS,
    "greeting_delete_api": WRITERS,
}
API_DOCS = ("openapi-json", "openapi-view", "api-root")


@dataclass(frozen=True)
class AdminRights:
    """Who may view, add, change and delete a model's rows in the Django admin."""

    view: frozenset[str]
    add: frozenset[str]
    change: frozenset[str]
    delete: frozenset[str]


CONTACT_BOOK = AdminRights(READERS, WRITERS, WRITERS, WRITERS)
ADMIN_ONLY = AdminRights(ADMINS, ADMINS, ADMINS, ADMINS)
ADMIN_MODELS: dict[str, AdminRights] = {
    "auth.user": ADMIN_ONLY,
    "auth.group": ADMIN_ONLY,
    # Made on the profile page (the raw value shown once), never added here.
    "accounts.apitoken": AdminRights(ADMINS, NOBODY, ADMINS, ADMINS),
    # Append-only.
    "accounts.auditevent": AdminRights(ADMINS, NOBODY, NOBODY, NOBODY),
    "providers.provideraccount": AdminRights(READERS, ADMINS, ADMINS, ADMINS),
    # Asked of the gateway or recorded on the account page, removed through it.
    "providers.sendername": AdminRights(READERS, NOBODY, NOBODY, ADMINS),
    "contacts.contact": CONTACT_BOOK,
    "contacts.contactgroup": CONTACT_BOOK,
    "contacts.stoplistentry": CONTACT_BOOK,
    "contacts.customfield": CONTACT_BOOK,
    # Made by uploads; the admin reads and deletes them.
    "contacts.importjob": AdminRights(READERS, NOBODY, WRITERS, WRITERS),
    # Written by `load_numbering_plan` alone.
    "contacts.numberrange": AdminRights(READERS, NOBODY, NOBODY, NOBODY),
    "campaigns.campaign": CONTACT_BOOK,
    # The ledger of what was sent: written by the pumps, never by hand.
    "campaigns.message": AdminRights(READERS, NOBODY, NOBODY, NOBODY),
    "campaigns.messagetemplate": CONTACT_BOOK,
    "campaigns.birthdaygreeting": CONTACT_BOOK,
}
ADMIN_SITE_PAGES = {
    "admin:index": READERS,
    "admin:login": frozenset({ANONYMOUS, INACTIVE}),
    "admin:logout": READERS,
    "admin:password_change": READERS,
    "admin:password_change_done": READERS,
    "admin:jsi18n": READERS,
    "admin:autocomplete": READERS,
    # No model of ours has a page of its own to send to: a 404 to everyone.
    "admin:view_on_site": NOBODY,
    "admin:app_list": READERS,
}
ADMIN_ACTIONS: dict[str, dict[str, frozenset[str]]] = {
    "auth.user": {"delete_selected": ADMINS},
    "auth.group": {"delete_selected": ADMINS},
    "accounts.apitoken": {"delete_selected": ADMINS, "revoke": ADMINS},
    "accounts.auditevent": {},
    "providers.provideraccount": {
        "delete_selected": ADMINS,
        "check_connection": ADMINS,
        "sync_sender_names": ADMINS,
        "renew_callback_urls": ADMINS,
    },
    "providers.sendername": {"delete_selected": ADMINS},
    "contacts.contact": {
        "opt_out": WRITERS,
        "export_csv": READERS,
        "export_csv_1251": READERS,
        "export_xlsx": READERS,
        "delete_contacts": WRITERS,
    },
    "contacts.contactgroup": {"delete_selected": WRITERS},
    "contacts.stoplistentry": {
        "delete_selected": WRITERS,
        "remove_from_stoplist": WRITERS,
    },
    "contacts.customfield": {"delete_selected": WRITERS},
    "contacts.importjob": {"delete_selected": WRITERS},
    "contacts.numberrange": {},
    "campaigns.campaign": {
        "delete_selected": WRITERS,
        "pause_campaigns": WRITERS,
        "resume_campaigns": WRITERS,
        "cancel_campaigns": WRITERS,
    },
    "campaigns.message": {},
    "campaigns.messagetemplate": {"delete_selected": WRITERS},
    "campaigns.birthdaygreeting": {"delete_selected": WRITERS},
}
