from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from providers.admin_deletion import AccountDeletion
from providers.base import Capability
from providers.exceptions import GatewayConfigurationError, GatewayError
from providers.forms import ProviderAccountAdminForm
from providers.models import ProviderAccount, SenderName
from providers.money import balance_text
from providers.registry import gateway_class
from providers.selectors import sender_names_removable
from providers.sender_states import sender_state_label
from providers.services import (
    provider_account_callback_urls_renew,
    provider_account_check,
    provider_account_save,
    sender_name_remove,
    sender_names_sync,
)
from smsportal.admin_forms import AccusativeTitles, ProtectedObjects
from smsportal.admin_lookups import SecretLookupsRefused
from smsportal.exceptions import ApplicationError

ADDRESSES_AFTER_SAVING = _("The addresses appear here once the account is saved.")


# A sender name's state and usability are the gateway's verdict (a sync's), or a
# person's word recorded through the account page's service (WEBSMS): ticked here, a
# name in moderation (or made up) passed as approved and campaigns sent from it.
# The state as its translated label (state_label), as the list and the account page
# show it: the inline and the change page showed the gateway's own word ("active").
SENDER_NAME_FIELDS = ["account", "name", "state_label", "usable", "operators",
                      "comment", "synced_at"]  # fmt: skip


@admin.display(description=_("state at the gateway"), ordering="state")
def state_label(obj: SenderName) -> str:
    """The gateway's word in the reader's language, as the account page shows it."""
    return sender_state_label(obj.state)


class SenderNameInline(admin.TabularInline):
    """The account's names, read-only: requested, recorded and removed on the
    account page (or removed in the sender names' admin), through the services that
    ask the gateway and log who did it."""

    model = SenderName
    extra = 0
    can_delete = False
    fields = ["name", "state_label", "usable", "operators", "synced_at"]
    readonly_fields = fields
    state_label = staticmethod(state_label)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ProviderAccount)
class ProviderAccountAdmin(
    SecretLookupsRefused, AccountDeletion, AccusativeTitles, admin.ModelAdmin
):
    form = ProviderAccountAdminForm
    list_display = [
        "name",
        "kind",
        "dialect",
        "is_active",
        "test_mode",
        "balance_shown",
        "balance_checked_at",
        "last_error_short",
    ]
    list_filter = ["kind", "is_active", "test_mode"]
    search_fields = ["name", "login", "default_sender"]
    readonly_fields = [
        "callback_url",
        "incoming_url",
        "balance",
        "balance_currency",
        "balance_checked_at",
        "last_error_message",
        "last_error_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["name", "kind", "dialect", "base_url", "is_active"]}),
        (
            _("Credentials"),
            {
                "fields": [
                    "login",
                    "confirm_login_change",
                    "new_password",
                    "clear_password",
                    "new_token",
                    "clear_token",
                ]
            },
        ),
        (
            _("Sending settings"),
            {
                "fields": [
                    "test_mode",
                    "default_sender",
                    "rate_limit",
                    "tariff",
                    "balance_alert",
                    "options",
                ]
            },
        ),
        (
            _("Callbacks"),
            {
                "fields": [
                    "callback_url",
                    "incoming_url",
                    "new_callback_secret",
                    "clear_callback_secret",
                ]
            },
        ),
        (
            _("State"),
            {
                "fields": [
                    "balance",
                    "balance_currency",
                    "balance_checked_at",
                    "last_error_message",
                    "last_error_at",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]
    inlines = [SenderNameInline]
    actions = ["check_connection", "sync_sender_names", "renew_callback_urls"]
    # Shown only to those who may change the account, as on its page: the callback
    # URLs' token is all that tells a Webcom or WEBSMS report from a forged one, and
    # the login is half of acting as the account.
    KEPT_FROM_READERS = frozenset(
        {"login", "new_password", "clear_password", "new_token", "clear_token",
         "callback_url", "incoming_url", "new_callback_secret",
         "clear_callback_secret", "confirm_login_change"}
    )  # fmt: skip

    def get_fieldsets(self, request: HttpRequest, obj=None) -> list:
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request, obj):
            return fieldsets
        kept = []
        for name, options in fieldsets:
            fields = [f for f in options["fields"] if f not in self.KEPT_FROM_READERS]
            if fields:
                kept.append((name, {**options, "fields": fields}))
        return kept

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        fields = list(super().get_search_fields(request))
        if self.has_change_permission(request):
            return fields
        return [f for f in fields if f not in self.KEPT_FROM_READERS]

    # The account's own properties, under labels a reader's language has. An unsaved
    # account's token is drawn anew on every page load and again on saving: an
    # address shown before then would be dead once copied.
    @admin.display(description=_("status callback URL"))
    def callback_url(self, obj: ProviderAccount) -> str:
        return obj.callback_url if obj.pk else ADDRESSES_AFTER_SAVING

    @admin.display(description=_("incoming messages URL"))
    def incoming_url(self, obj: ProviderAccount) -> str:
        if not obj.pk:
            return ADDRESSES_AFTER_SAVING
        try:
            pushes = (
                Capability.INCOMING_CALLBACK in gateway_class(obj.kind).capabilities
            )
        except KeyError:
            pushes = False
        # A gateway that does not push replies would answer 404 there (Webcom's are
        # fetched every minute): no address to hand to its manager.
        return obj.incoming_url if pushes else "—"

    # As the dashboard writes money: «42,5000» told neither the currency nor cents.
    @admin.display(description=_("balance"), ordering="balance")
    def balance_shown(self, obj: ProviderAccount) -> str:
        if obj.balance is None:
            return "—"
        return balance_text(obj.balance, obj.balance_currency)

    @admin.display(description=_("last error"))
    def last_error_short(self, obj: ProviderAccount) -> str:
        return obj.last_error_message[:80]

    @admin.display(description=_("last error"))
    def last_error_message(self, obj: ProviderAccount) -> str:
        return obj.last_error_message

    def save_model(self, request, obj, form, change) -> None:
        provider_account_save(account=obj, **form.secrets())

    @admin.action(description=_("Check connection"), permissions=["change"])
    def check_connection(
        self, request: HttpRequest, queryset: QuerySet[ProviderAccount]
    ) -> None:
        for account in queryset:
            result = provider_account_check(account=account)
            if result.ok:
                # As the account page writes it ("1 000,00 RUB"), not "1000.00 RUB".
                balance = (
                    balance_text(result.balance.amount, result.balance.currency)
                    if result.balance
                    else "—"
                )
                self.message_user(
                    request,
                    _("%(account)s: the gateway answered; balance %(balance)s.")
                    % {"account": account, "balance": balance},
                    messages.SUCCESS,
                )
            else:
                self.message_user(request, f"{account}: {result.error}", messages.ERROR)

    @admin.action(
        description=_("Issue new callback URLs (the old ones stop working)"),
        permissions=["change"],
    )
    def renew_callback_urls(
        self, request: HttpRequest, queryset: QuerySet[ProviderAccount]
    ) -> None:
        for account in queryset:
            provider_account_callback_urls_renew(account=account)
            self.message_user(
                request,
                _(
                    "%(account)s: new callback URLs issued; the old ones no longer "
                    "work. Paste the new ones into the gateway's cabinet."
                )
                % {"account": account},
                messages.SUCCESS,
            )

    @admin.action(description=_("Sync sender names"), permissions=["change"])
    def sync_sender_names(
        self, request: HttpRequest, queryset: QuerySet[ProviderAccount]
    ) -> None:
        for account in queryset:
            try:
                rows = sender_names_sync(account=account)
            except ApplicationError as exc:
                self.message_user(
                    request, f"{account}: {exc.message}", messages.WARNING
                )
            except (GatewayError, GatewayConfigurationError):
                account.refresh_from_db(fields=["last_error", "last_error_record"])
                self.message_user(
                    request, f"{account}: {account.last_error_message}", messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    ngettext(
                        "%(account)s: %(count)d sender name.",
                        "%(account)s: %(count)d sender names.",
                        len(rows),
                    )
                    % {"account": account, "count": len(rows)},
                    messages.SUCCESS,
                )


def _removable(row: SenderName) -> bool:
    return sender_names_removable(account=row.account).filter(pk=row.pk).exists()


@admin.register(SenderName)
class SenderNameAdmin(SecretLookupsRefused, AccusativeTitles, admin.ModelAdmin):
    list_display = ["name", "account", "state_label", "usable", "synced_at"]
    list_filter = ["usable", "account__kind", "account"]
    search_fields = ["name", "account__name", "state"]
    list_select_related = ["account"]
    fields = SENDER_NAME_FIELDS
    readonly_fields = SENDER_NAME_FIELDS
    state_label = staticmethod(state_label)

    # Added through the account page (a request to the gateway, or a name recorded
    # as approved in a cabinet that lists none), never typed in with a verdict.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    # Removal goes through the service, as on the account page: deleted at the
    # gateway where it deletes names (else the next sync brings the name back and the
    # request stays in moderation there), refused for a name a complete list
    # mirrors, and logged.
    def get_deleted_objects(self, objs, request: HttpRequest):
        # A name the gateway lists (and does not delete) is listed with the reason
        # and nothing is deleted: the bulk action said "deleted" beside each refusal.
        rows = list(objs)
        kept = [row for row in rows if not _removable(row)]
        if kept:
            note = _("The gateway lists these names: a sync would bring them back. "
                     "Remove them in the gateway's cabinet.")  # fmt: skip
            return (
                [], {}, set(),
                ProtectedObjects([str(r) for r in kept], note=note, themselves=True),
            )  # fmt: skip
        return super().get_deleted_objects(rows, request)

    def delete_view(self, request: HttpRequest, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect("admin:providers_sendername_change", object_id)

    def delete_model(self, request: HttpRequest, obj: SenderName) -> None:
        sender_name_remove(account=obj.account, sender_name_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for row in queryset.select_related("account"):
            try:
                sender_name_remove(account=row.account, sender_name_id=row.pk)
            except ApplicationError as exc:
                self.message_user(request, f"{row}: {exc.message}", messages.ERROR)
