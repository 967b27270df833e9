"""Every gateway, in one dict.

Kinds are stored in ProviderAccount.kind: never rename one. Retire one in two steps:
point it at a retired class while rows exist, migrate the rows away, then delete it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

from providers.base import SmsGateway

if TYPE_CHECKING:
    from providers.models import ProviderAccount

# kind -> (label, class path)
GATEWAYS: dict[str, tuple[str, str]] = {
    "webcom": ("Webcom Mobi / mysmpp", "providers.gateways.webcom.WebcomGateway"),
    "smsc": ("SMSC", "providers.gateways.smsc.SmscGateway"),
    "websms": ("WEBSMS", "providers.gateways.websms.WebsmsGateway"),
}
KIND_CHOICES = [(kind, label) for kind, (label, _path) in GATEWAYS.items()]


@functools.cache
def gateway_class(kind: str) -> type[SmsGateway]:
    """The gateway class registered under `kind`."""
    _label, path = GATEWAYS[kind]
    cls = import_string(path)
    assert cls.kind == kind, f"{path}.kind is {cls.kind!r}, registered as {kind!r}"
    return cls


def gateway_for(account: ProviderAccount, **kwargs: Any) -> SmsGateway:
    """A ready gateway for a provider account."""
    return gateway_class(account.kind)(account.config(), **kwargs)
