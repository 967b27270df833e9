from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from accounts.audit import audit
from accounts.models import ApiToken, AuditEvent, token_digest

# The audit detail `because` of a token revoked as its user was deactivated.
REVOKED_WITH_USER = "user_deactivated"


class ApiTokenExpired(Exception):
    """A token that was valid and has expired: the API says so (401), since only
    its holder can send it, rather than calling it unknown."""

    def __init__(self, token: ApiToken):
        super().__init__(token.hint)
        self.token = token

    @property
    def expired_at(self) -> datetime:
        assert self.token.expires_at is not None  # an expired token has a date
        return self.token.expires_at


def api_token_create(
    *,
    user: AbstractBaseUser,
    name: str,
    scope: str = ApiToken.Scope.READ_WRITE,
    lifetime_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned once and never stored.
    `lifetime_days` None: it never expires."""
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        hint=raw[:10],
        digest=token_digest(raw),
        scope=scope,
        expires_at=ApiToken.expiry(lifetime_days),
    )
    # Who may act through the API, how and until when is the audit log's business;
    # the raw value never is.
    audit(
        AuditEvent.Action.CREATED,
        token,
        object_repr=token.name,
        scope=token.scope,
        expires_at=token.expires_at.isoformat() if token.expires_at else None,
    )
    return token, raw


def api_token_revoke(*, token: ApiToken) -> bool:
    """Revoke a token; revoked tokens stay listed for the record. False when it
    already was revoked (nothing changes, nothing is logged)."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit(AuditEvent.Action.REVOKED, token, object_repr=token.name)
    return True


def api_tokens_revoke_for_user(*, user: AbstractBaseUser) -> int:
    """Revoke every token of the user still valid, each logged; how many.

    For a deactivated user: their tokens stopped working with the account, but only
    because authentication looked at the user too, and reactivating the account
    brought every old token back, those lost or handed out long ago included."""
    tokens = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))
    if not tokens:
        return 0
    ApiToken.objects.filter(
        pk__in=[token.pk for token in tokens], revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    for token in tokens:
        audit(
            AuditEvent.Action.REVOKED,
            token,
            object_repr=token.name,
            because=REVOKED_WITH_USER,
        )
    return len(tokens)


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The active token with this raw value, marking it used; None when unknown
    (or revoked). Raises ApiTokenExpired for one that has expired (not marked)."""
    token = (
        ApiToken.objects.unrevoked()
        .select_related("user")
        .filter(digest=token_digest(raw))
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.is_expired(now):
        raise ApiTokenExpired(token)
    # Write at most once a minute: a busy client must not turn every call into an UPDATE.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
