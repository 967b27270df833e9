"""Forms of the providers pages and admin.

Secrets are entered in `new_password` / `new_token`, never bound to the model fields:
the stored values are not rendered back, and a blank field keeps them
(see providers.services.provider_account_save).
"""

import json
import re
from urllib.parse import urlsplit

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from providers.base import Capability
from providers.logins import LoginInUse, login_in_use
from providers.models import ProviderAccount
from providers.registry import KIND_CHOICES, gateway_class
from providers.selectors import (
    account_capabilities,
    account_has_sent,
    account_options_help,
    account_options_problems,
    gateway_info,
    gateway_infos,
    sender_rule_problem,
    test_mode_refusal,
)
from providers.services import sender_name_marks
from smsportal.decimal_input import MoneyField
from smsportal.fields import unreadable
from smsportal.form_style import style_fields
from smsportal.lib.crypto import mask
from smsportal.textguard import guard_fields


class SecretFieldsMixin(forms.Form):
    """Password and token as write-only inputs with a masked hint of the stored one."""

    new_password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password"}
        ),
    )
    clear_password = forms.BooleanField(
        label=_("Erase the stored password"), required=False
    )
    new_token = forms.CharField(
        label=_("API token"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    clear_token = forms.BooleanField(label=_("Erase the stored token"), required=False)
    new_callback_secret = forms.CharField(
        label=_("Callback signing secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    clear_callback_secret = forms.BooleanField(
        label=_("Erase the stored signing secret"), required=False
    )

    def _secret_hints(self, instance: ProviderAccount | None) -> None:
        for field_name, value in (
            ("new_password", instance.password if instance else ""),
            ("new_token", instance.token if instance else ""),
            ("new_callback_secret", instance.callback_secret if instance else ""),
        ):
            if unreadable(value):
                self.fields[field_name].help_text = _(
                    "Stored, but the credentials cannot be read with the current "
                    "key: enter it again, or set the old key (see the account page)."
                )
            elif value:
                self.fields[field_name].help_text = _(
                    "Stored: %(mask)s. Leave blank to keep it."
                ) % {"mask": mask(value)}
            else:
                self.fields[field_name].help_text = _("Nothing stored yet.")
        self.fields["new_callback_secret"].help_text = format_lazy(
            "{rule} {stored}",
            rule=callback_secret_help(),
            stored=self.fields["new_callback_secret"].help_text,
        )

    def secrets(self) -> dict[str, object]:
        """Keyword arguments for provider_account_save."""
        return {
            key: self.cleaned_data.get(key)
            for key in (
                "new_password", "new_token", "new_callback_secret",
                "clear_password", "clear_token", "clear_callback_secret",
            )
        }  # fmt: skip


# The last segment of a vendor request path: "/sys/send.php", "/http_in6.asp", Webcom's
# "/xml" and "/json" and SMSC's "/sys". Paths are appended to the base URL, so a base
# URL ending in one of these doubles it ("/xml/xml/balance.php").
VENDOR_PATH_END = re.compile(r"(\.(php|asp)|/(xml|json|sys))/*$", re.IGNORECASE)


def _same_url(first: str, second: str) -> bool:
    return first.rstrip("/").lower() == second.rstrip("/").lower()


# The form field that sets each credential a gateway may need.
CREDENTIAL_FIELDS = {"login": "login", "password": "new_password", "token": "new_token"}


def credentials_given(cleaned: dict, instance: ProviderAccount | None) -> set[str]:
    """The credentials the account will have once saved: typed, or stored and not
    erased."""
    stored = instance if instance is not None and instance.pk else None

    def kept(name: str) -> str:
        if cleaned.get(f"new_{name}"):
            return cleaned[f"new_{name}"]
        if cleaned.get(f"clear_{name}") or stored is None:
            return ""
        return getattr(stored, name)

    values = {"login": cleaned.get("login"), "password": kept("password"),
              "token": kept("token")}  # fmt: skip
    return {name for name, value in values.items() if value}


def test_mode_help() -> str:
    """The test mode box's help, naming the gateways that have one."""
    having = [
        info.label
        for info in gateway_infos()
        if Capability.TEST_MODE in info.capabilities
    ]
    return str(
        _(
            "Only %(gateways)s have a test mode: the gateway checks and prices each "
            "message without sending it. Other gateways refuse it."
        )
        % {"gateways": ", ".join(having) or "—"}
    )


def callback_secret_help() -> str:
    """The signing secret's help: which gateways sign callbacks, with what, and what
    happens with the secret left empty."""
    signing = [
        f"{info.label}: {gateway_class(info.kind).callback_secret_rule}"
        for info in gateway_infos()
        if info.available and gateway_class(info.kind).callback_secret_rule
    ]
    return str(
        _(
            "Only for gateways that sign their callbacks (%(gateways)s). Set, a "
            "callback whose signature does not match is refused; empty, callbacks "
            "are taken on the strength of their address alone."
        )
        % {"gateways": "; ".join(signing) or "—"}
    )


def credentials_note(kind: str) -> str:
    """What the gateway signs in with, said above the login field."""
    gateway = gateway_class(kind)
    return str(
        _("%(gateway)s signs in with %(rule)s.")
        % {"gateway": gateway.label, "rule": gateway.credentials_rule}
    )


class GatewayFieldsMixin(forms.Form):
    """Dialect and base URL checked against the chosen gateway kind."""

    base_url = forms.URLField(
        label=_("API base URL"),
        max_length=300,
        required=False,
        assume_scheme="https",
        help_text=_(
            "Leave blank for the gateway's own address. Request paths are appended to it."
        ),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if not kind:
            return cleaned
        info = gateway_info(kind)
        # clean() runs before the form's values reach the instance: it is as stored.
        before = getattr(self, "instance", None)
        if (
            before is not None
            and before.pk
            and kind != before.kind
            and (account_has_sent(before))
        ):
            self.add_error(
                "kind",
                _(
                    "Messages went through this account: their delivery reports and "
                    "replies are read in %(gateway)s's protocol, so its gateway cannot "
                    "change. Add a new account for %(new)s instead."
                )
                % {"gateway": before.get_kind_display(), "new": info.label},
            )
        dialect = cleaned.get("dialect") or ""
        if info.dialects and dialect and dialect not in info.dialects:
            self.add_error(
                "dialect",
                _("%(gateway)s speaks %(choices)s; choose one of them.")
                % {"gateway": info.label, "choices": ", ".join(info.dialects)},
            )
        elif not info.dialects:
            cleaned["dialect"] = ""
        base_url = cleaned.get("base_url") or ""
        if base_url and any(
            other.kind != kind
            and other.default_base_url
            and _same_url(base_url, other.default_base_url)
            for other in gateway_infos()
        ):
            # Another vendor's own address, left over from switching the gateway on
            # an existing account: blank takes the chosen gateway's address on save.
            cleaned["base_url"] = base_url = ""
        if base_url and VENDOR_PATH_END.search(urlsplit(base_url).path):
            self.add_error(
                "base_url",
                _(
                    "Enter the address without the request path (for example "
                    "https://smsc.ru, not https://smsc.ru/sys/send.php): request "
                    "paths are appended to it."
                ),
            )
        if not base_url and not info.default_base_url:
            self.add_error("base_url", _("Enter the gateway's API address."))
        if cleaned.get("new_callback_secret") and not (
            info.available and gateway_class(kind).callback_secret_rule
        ):
            self.add_error(
                "new_callback_secret",
                _(
                    "%(gateway)s does not sign its callbacks, so the secret would be "
                    "used nowhere. Leave it empty."
                )
                % {"gateway": info.label},
            )
        if cleaned.get("test_mode") and (refusal := test_mode_refusal(kind)):
            self.add_error("test_mode", refusal)
        sender = cleaned.get("default_sender") or ""
        if sender and (problem := sender_rule_problem(kind, sender)):
            self.add_error("default_sender", problem)
        self._check_credentials(kind, cleaned)
        return cleaned

    def _check_credentials(self, kind: str, cleaned: dict) -> None:
        """Refuse an account without a set of credentials its gateway signs in with:
        saved, every call of it failed, the reply fetch of every account with it."""
        gateway = gateway_class(kind)
        given = credentials_given(cleaned, getattr(self, "instance", None))
        if any(needed <= given for needed in gateway.credential_sets):
            return
        # Said at the fields of the set that lacks the fewest (of two as close, the
        # one begun: a login typed asks for its password, not for a token).
        closest = min(
            gateway.credential_sets,
            key=lambda needed: (len(needed - given), -len(needed & given)),
        )
        message = _("%(gateway)s needs %(rule)s.") % {
            "gateway": gateway.label,
            "rule": gateway.credentials_rule,
        }
        for name in sorted(closest - given):
            self.add_error(CREDENTIAL_FIELDS[name], message)


class LoginChangeMixin(forms.Form):
    """A login changed while the gateway holds messages sent under the stored one:
    saved only once the box is ticked, after the numbers and what will happen to
    those messages are said (providers.logins)."""

    confirm_login_change = forms.BooleanField(
        label=_("Change the login all the same"),
        required=False,
        help_text=_(
            "Asked for only when the gateway still holds messages sent under the "
            "login as it is stored."
        ),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        # clean() runs before the form's values reach the instance: it is as stored.
        before = getattr(self, "instance", None)
        login = cleaned.get("login")
        if before is None or not before.pk or login is None or login == before.login:
            return cleaned
        in_use = login_in_use(before)
        if in_use.open and not cleaned.get("confirm_login_change"):
            self.add_error(
                "confirm_login_change",
                login_change_warning(
                    before.login,
                    login,
                    in_use,
                    replies=Capability.INCOMING in account_capabilities(before),
                ),
            )
        return cleaned


def login_change_warning(
    old: str, new: str, in_use: LoginInUse, *, replies: bool = False
) -> str:
    """What happens to the messages the gateway holds under the old login, in words;
    `replies` for a gateway whose replies are fetched (filed in the old cabinet)."""
    parts = [
        ngettext(
            "%(count)s message sent under the login “%(old)s” is not finished at the "
            "gateway yet.",
            "%(count)s messages sent under the login “%(old)s” are not finished at the "
            "gateway yet.",
            in_use.open,
        )
        % {"count": in_use.open, "old": old}
    ]
    if in_use.held:
        parts.append(
            ngettext(
                "%(count)s of them waits there for its send time.",
                "%(count)s of them wait there for their send time.",
                in_use.held,
            )
            % {"count": in_use.held}
        )
    parts.append(
        gettext(
            "They stay that login's at the gateway: their statuses will still be read, "
            "and the waiting ones withdrawn if their campaign is cancelled or a "
            "recipient opts out, with the old login and password until they finish. "
            "Only new messages go out under “%(new)s”. Tick the box to save the new "
            "login."
        )
        % {"new": new}
    )
    if replies:
        parts.insert(
            -1,
            gettext(
                "Replies to them will still be fetched with the old login, as the "
                "gateway files them in its cabinet: for three days after the change "
                "or after the last of them goes out, and longer while any of them is "
                "not finished."
            ),
        )
    return " ".join(parts)


class ProviderAccountForm(
    LoginChangeMixin, GatewayFieldsMixin, SecretFieldsMixin, forms.ModelForm
):
    """The account form: dialect limited to the chosen gateway's dialects."""

    dialect = forms.ChoiceField(label=_("Protocol dialect"), required=False)

    class Meta:
        model = ProviderAccount
        fields = [
            "name",
            "kind",
            "dialect",
            "base_url",
            "login",
            "test_mode",
            "default_sender",
            "rate_limit",
            "tariff",
            "balance_alert",
            "is_active",
        ]
        field_classes = {"tariff": MoneyField, "balance_alert": MoneyField}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        infos = gateway_infos()
        # "Choose the gateway" rather than Django's "---------".
        self.fields["kind"].choices = [("", _("Choose the gateway")), *KIND_CHOICES]
        dialects = sorted({d for info in infos for d in info.dialects})
        self.fields["dialect"].choices = [("", "—")] + [
            (d, d.upper()) for d in dialects
        ]
        self.fields["dialect"].help_text = self._meta.model._meta.get_field(
            "dialect"
        ).help_text
        # providers.js rebuilds the dialect list and the base URL placeholder from these.
        self.fields["kind"].widget.attrs["data-gateways"] = json.dumps(
            {
                info.kind: {
                    "dialects": list(info.dialects),
                    "base_url": info.default_base_url,
                    "credentials": credentials_note(info.kind),
                    "signs_callbacks": bool(
                        info.available and gateway_class(info.kind).callback_secret_rule
                    ),
                }
                for info in infos
            }
        )
        self.fields["kind"].widget.attrs["class"] = "js-gateway-kind"
        self.fields["dialect"].widget.attrs["class"] = "js-gateway-dialect"
        self.fields["base_url"].widget.attrs["class"] = "js-gateway-base-url"
        self.fields["test_mode"].help_text = test_mode_help()
        self._secret_hints(self.instance if self.instance.pk else None)
        guard_fields(self.fields, ["default_sender"])
        style_fields(self.fields, small=False)


def dialect_choices() -> list[tuple[str, str]]:
    """Every gateway's dialects, named upper-case as the pages show them."""
    dialects = sorted({d for info in gateway_infos() for d in info.dialects})
    return [("", "—")] + [(d, d.upper()) for d in dialects]


class ProviderAccountAdminForm(
    LoginChangeMixin, GatewayFieldsMixin, SecretFieldsMixin, forms.ModelForm
):
    """The Django admin form: the same write-only secrets, the same dialect list as
    the account form (free text refused "HTTP_IN6"), options as the gateway reads
    them."""

    dialect = forms.ChoiceField(label=_("Protocol dialect"), required=False)

    class Meta:
        model = ProviderAccount
        fields = [
            "name",
            "kind",
            "dialect",
            "base_url",
            "is_active",
            "login",
            "test_mode",
            "default_sender",
            "rate_limit",
            "tariff",
            "balance_alert",
            "options",
        ]
        field_classes = {"tariff": MoneyField, "balance_alert": MoneyField}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Readers get the account read-only: a form without the fields.
        if "dialect" in self.fields:
            self.fields["dialect"].choices = dialect_choices()
            self.fields["dialect"].help_text = self._meta.model._meta.get_field(
                "dialect"
            ).help_text
        if "options" in self.fields:
            self.fields["options"].help_text = account_options_help()
        if "test_mode" in self.fields:
            self.fields["test_mode"].help_text = test_mode_help()
        self._secret_hints(self.instance if self.instance.pk else None)
        guard_fields(self.fields, ["default_sender"])

    def clean_options(self) -> object:
        # An emptied box means no options, not JSON null.
        options = self.cleaned_data.get("options")
        return {} if options is None else options

    def clean(self) -> dict:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind and "options" in cleaned:
            options, problems = account_options_problems(kind, cleaned["options"])
            for problem in problems:
                self.add_error("options", problem)
            if not problems:
                cleaned["options"] = options
        return cleaned


# What the sender name inputs let a person type: more than any gateway takes (15), so a
# name one character too long is refused saying so, not cut silently by the browser
# ("МагазинЦветы2026" became "МагазинЦветы202", and the error quoted the cut name).
SENDER_NAME_TYPED_MAX = 100


class SenderNameRecordForm(forms.Form):
    name = forms.CharField(
        label=_("Sender name"),
        max_length=SENDER_NAME_TYPED_MAX,
        help_text=_("Exactly as the gateway's cabinet shows it approved."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        guard_fields(self.fields, ["name"])
        style_fields(self.fields, small=False)


class SenderNameRequestForm(forms.Form):
    name = forms.CharField(
        label=_("Sender name"),
        max_length=SENDER_NAME_TYPED_MAX,
        help_text=format_lazy(
            _(
                "Up to 11 Latin letters, digits, spaces and the marks {marks} (at "
                "least one letter), or up to 15 digits."
            ),
            marks=sender_name_marks(),
        ),
    )
    comment = forms.CharField(
        label=_("Comment for the gateway"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you send from this name; some gateways require it."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        guard_fields(self.fields, ["name", "comment"], multiline=["comment"])
        style_fields(self.fields, small=False)
