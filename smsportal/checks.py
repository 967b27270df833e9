"""System checks for the keys that protect stored secrets (run by `manage.py check`,
migrate and runserver; registered in ProvidersConfig.ready)."""

from __future__ import annotations

from collections.abc import Iterator

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError, models
from django.db.models.functions import Cast

from smsportal.fields import EncryptedTextField
from smsportal.lib.crypto import PREFIX, FieldKeyError, decrypt, field_key_problems

FIELD_KEY_HINT = (
    "Set SMSPORTAL_FIELD_KEY to comma-separated Fernet keys, the newest first "
    "(`manage.py field_key` prints a new one), or leave it unset to derive the key "
    "from SECRET_KEY (README: Production, Keys)."
)


def encrypted_fields() -> Iterator[tuple[type[models.Model], EncryptedTextField]]:
    """Every encrypted field of every model, found by its class."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def _stored(model: type[models.Model], field: EncryptedTextField) -> models.QuerySet:
    """The field's non-empty values as the database holds them (`_raw`)."""
    return model._default_manager.exclude(**{field.attname: ""}).annotate(
        _raw=Cast(field.attname, models.TextField())
    )


def stored_sample(model: type[models.Model], field: EncryptedTextField) -> str | None:
    """One stored encrypted value of the field, as the database holds it."""
    raw = (
        _stored(model, field)
        .filter(_raw__startswith=PREFIX)
        .values_list("_raw", flat=True)
        .first()
    )
    return raw or None


def stored_plain(model: type[models.Model], field: EncryptedTextField) -> int:
    """How many of the field's values are stored in plain text (typed in by hand)."""
    return _stored(model, field).exclude(_raw__startswith=PREFIX).count()


@register(Tags.security)
def field_key_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    """A malformed SMSPORTAL_FIELD_KEY encrypts and decrypts nothing."""
    problems = field_key_problems(settings.SMSPORTAL_FIELD_KEY)
    if not problems:
        return []
    return [
        Error(
            "SMSPORTAL_FIELD_KEY is not usable: " + "; ".join(problems) + ".",
            hint=FIELD_KEY_HINT,
            id="smsportal.E100",
        )
    ]


@register(Tags.security)
def stored_values_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Decrypt one stored value of each encrypted field: a SECRET_KEY changed while
    SMSPORTAL_FIELD_KEY is unset leaves every credential unreadable, which pages
    and sending only find out one account at a time.

    It reads the database, which a check tagged "database" would only do when asked
    for (`check --database`): this one must speak at `check` and migrate. With no
    database (yet) it says nothing. Values stored in plain text are read as they are
    (smsportal.fields), and it says so: they should not stay so."""
    if field_key_problems(settings.SMSPORTAL_FIELD_KEY):
        return []  # field_key_check says so
    found: list[CheckMessage] = []
    for model, field in encrypted_fields():
        where = f"{model._meta.label}.{field.name}"
        try:
            stored = stored_sample(model, field)
            plain = stored_plain(model, field)
        except DatabaseError:
            return []  # no database or no table yet: nothing stored to read
        if plain:
            found.append(_plain_warning(where, plain))
        if stored is None:
            continue
        try:
            decrypt(stored)
        except FieldKeyError:
            return [_unreadable_warning(where), *found]
    return found


def _plain_warning(where: str, count: int) -> Warning:
    return Warning(
        f"{count} stored secret(s) of {where} are in plain text: they were written "
        "to the database by hand, not saved through smsportal.",
        hint="`manage.py reencrypt_fields` encrypts them with the first key.",
        id="smsportal.W102",
    )


def _unreadable_warning(where: str) -> Warning:
    if settings.SMSPORTAL_FIELD_KEY:
        return Warning(
            f"Stored secrets ({where}) cannot be decrypted with any key of "
            "SMSPORTAL_FIELD_KEY: the key they were saved with is missing from it.",
            hint=(
                "Put the old key back after the new one (SMSPORTAL_FIELD_KEY=NEW,OLD); "
                "if they were saved while SMSPORTAL_FIELD_KEY was unset, add the key "
                "of that SECRET_KEY (`manage.py field_key --from-secret-key "
                "'OLD_SECRET_KEY'` prints it). Then `manage.py reencrypt_fields`."
            ),
            id="smsportal.W101",
        )
    return Warning(
        f"Stored secrets ({where}) cannot be decrypted with the key derived from "
        "SECRET_KEY: SECRET_KEY changed since they were saved, and SMSPORTAL_FIELD_KEY "
        "is unset. Provider accounts cannot send until this is fixed.",
        hint=(
            "Put the old SECRET_KEY in SECRET_KEY_FALLBACKS, or set "
            "SMSPORTAL_FIELD_KEY to its key, which `manage.py field_key "
            "--from-secret-key 'OLD_SECRET_KEY'` prints; restart web, worker and "
            "beat; or enter the accounts' credentials again."
        ),
        id="smsportal.W101",
    )


# Deploy checks: settings that run, but not safely, in production -------------------

PROCESS_LOCAL_CACHES = ("LocMemCache", "DummyCache")


@register(Tags.security, deploy=True)
def production_settings_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    """The embedded defaults (`make run`) where DEBUG is off: each works on one
    machine in one process, and silently breaks guarantees beyond that."""
    if settings.DEBUG:
        return []
    found: list[CheckMessage] = []
    if settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        # Django's security.W009 misses it: it has no "django-insecure-" prefix.
        found.append(
            Error(
                "SECRET_KEY is the public development key: sessions can be forged "
                "and, with SMSPORTAL_FIELD_KEY unset, the stored gateway credentials "
                "decrypted by anyone with this source.",
                hint=(
                    "Set SECRET_KEY to a long random value, the same for web, worker "
                    "and beat (python -c 'import secrets; "
                    "print(secrets.token_urlsafe(50))'). They refuse to start on "
                    "this one. README: Production, Keys."
                ),
                id="smsportal.E110",
            )
        )
    if "sqlite" in settings.DATABASES["default"]["ENGINE"]:
        found.append(
            Warning(
                "The database is SQLite (the embedded default): one machine only, "
                "every writer waits for the others' locks, and large campaigns and "
                "imports take the set-based PostgreSQL paths only on PostgreSQL.",
                hint="Set DATABASE_URL=postgres://user:password@host:5432/name.",
                id="smsportal.W111",
            )
        )
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        found.append(
            Warning(
                "CELERY_BROKER_URL is the embedded file-system broker: workers can run "
                "only on this machine, and a task whose worker dies is not handed to "
                "another.",
                hint="Set CELERY_BROKER_URL=redis://host:6379/0.",
                id="smsportal.W112",
            )
        )
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(PROCESS_LOCAL_CACHES):
        found.append(
            Error(
                "The cache is each process's own memory (CACHE_URL unset): with "
                "more than one web process (gunicorn -w 2) or worker process, the "
                "once-only guard of sending forms (smsportal.once; a test send posted "
                "8 times sent 2 messages), the login throttle, the send rate limits "
                "and the pumps' leases are counted per process.",
                hint=(
                    "Set CACHE_URL=redis://host:6379/2 for web, worker and beat alike."
                ),
                id="smsportal.E113",
            )
        )
    return found
