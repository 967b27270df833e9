"""Refusing characters no gateway can carry, in the user's language.

`smsportal.lib.textcheck` finds them; this module says what and where: the character as
U+XXXX and its line and column (its position in a one-line value), for form fields
(`SendableText`, `guard_fields`), services (`check_sendable`) and the ledger
(`unsendable_message`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Model
from django.utils.deconstruct import deconstructible
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from smsportal.exceptions import ApplicationError
from smsportal.lib.textcheck import BadChar, count_unsendable, first_unsendable

CODE = "unsendable"


def describe(bad: BadChar) -> str:
    """ "the control character U+0007" and the like, translated."""
    return _(describe_msgid(bad)) % {"code": bad.code}


def describe_msgid(bad: BadChar) -> str:
    """describe()'s msgid, untranslated, for text put into words later; its one
    parameter is `code` (bad.code)."""
    if ord(bad.char) < 0x20 or 0x7F <= ord(bad.char) <= 0x9F:
        return gettext_noop("the control character %(code)s")
    return gettext_noop("the invalid character %(code)s")


def unsendable_message(
    text: str, *, multiline: bool = True, remedy: bool = True
) -> str | None:
    """What is wrong with `text` and where, or None when every character can be sent.

    A text that spans lines gets "line L, column C"; a one-line value its position.
    `remedy` adds "Remove it." (not for a message already rendered for a recipient).
    """
    bad = first_unsendable(text)
    if bad is None:
        return None
    if multiline:
        message = _(
            "Line %(line)d, column %(column)d: %(what)s cannot be sent by any gateway."
        ) % {"line": bad.line, "column": bad.column, "what": describe(bad)}
    else:
        message = _(
            "Character %(position)d: %(what)s cannot be sent by any gateway."
        ) % {"position": bad.position, "what": describe(bad)}
    if remedy:
        message += " " + _("Remove it.")
    total = count_unsendable(text)
    if total > 1:
        message += " " + ngettext(
            "The value holds %(count)d such character.",
            "The value holds %(count)d such characters.",
            total,
        ) % {"count": total}
    return message


@deconstructible
class SendableText:
    """Form or model field validator: no character a gateway cannot carry.

    It covers NUL too, so it replaces Django's ProhibitNullCharactersValidator (whose
    message says neither where nor which).
    """

    def __init__(self, multiline: bool = True) -> None:
        self.multiline = multiline

    def __call__(self, value: object) -> None:
        if not isinstance(value, str):
            return
        message = unsendable_message(value, multiline=self.multiline)
        if message is not None:
            raise ValidationError(message, code=CODE)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SendableText) and other.multiline == self.multiline


def guard_fields(
    fields: Mapping[str, forms.Field],
    names: Iterable[str],
    *,
    multiline: Iterable[str] = (),
) -> None:
    """Put SendableText on these form fields (those present), in place of the NUL check."""
    multiline = set(multiline)
    for name in names:
        field = fields.get(name)
        if field is None:
            continue
        field.validators = [
            v
            for v in field.validators
            if not isinstance(v, (ProhibitNullCharactersValidator, SendableText))
        ]
        # First: what is wrong with a character comes before what it spoils (an
        # e-mail address with a NUL is "not valid" too, which says less).
        field.validators.insert(0, SendableText(multiline=name in multiline))


# Line breaks of every kind, Unicode's own separators among them.
LINE_BREAK = re.compile("[\r\n\u2028\u2029]")


def line_break_message(text: str) -> str | None:
    """What is wrong with a line break in a one-line value (a name lands in a
    message's placeholder, a reason in a table cell), or None when there is none."""
    found = LINE_BREAK.search(text)
    if found is None:
        return None
    return _(
        "Character %(position)d: a line break. This field takes a single line."
    ) % {"position": found.start() + 1}


@deconstructible
class OneLine:
    """Form or model field validator: no line break (see line_break_message)."""

    def __call__(self, value: object) -> None:
        if isinstance(value, str) and (message := line_break_message(value)):
            raise ValidationError(message, code="line_break")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OneLine)


def one_line_fields(fields: Mapping[str, forms.Field], names: Iterable[str]) -> None:
    """Put OneLine on these form fields (those present)."""
    for name in names:
        field = fields.get(name)
        if field is not None and OneLine() not in field.validators:
            field.validators.append(OneLine())


def check_one_line(value: str, *, where: str, label: str = "") -> None:
    """ApplicationError naming the field (`label`, else `where`) and the line break."""
    message = line_break_message(value)
    if message is not None:
        raise ApplicationError(f"{label or where}: {message}", where=where)


def check_sendable(
    value: str, *, where: str, label: str = "", multiline: bool = False
) -> None:
    """ApplicationError naming the field (`label`, else `where`) and the place."""
    message = unsendable_message(value, multiline=multiline)
    if message is not None:
        raise ApplicationError(f"{label or where}: {message}", where=where)


def check_field_sendable(
    model: type[Model], name: str, value: str, *, multiline: bool = False
) -> None:
    """check_sendable for a model field's value, labelled as its forms label it."""
    label = capfirst(model._meta.get_field(name).verbose_name)
    check_sendable(value, where=name, label=label, multiline=multiline)
