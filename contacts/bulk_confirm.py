"""What the contact list asks before a bulk action: the action and how many contacts.

"Apply this action to the selected contacts?" said neither, and with "all matching
the filter" and an empty filter the action took the whole book. Each action's option
carries two questions (data attributes read by static/js/contacts.js): one for the
rows ticked on the page, whose number only the browser knows (COUNT stands in for
it), and one for every contact matching the filter, counted here.
"""

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import gettext, ngettext

COUNT = "__COUNT__"  # replaced by the number of ticked rows in the browser


def _selected(action: str) -> str:
    questions = {
        "add_to_group": gettext("Add the selected contacts (%(count)s) to the group?"),
        "remove_from_group": gettext(
            "Remove the selected contacts (%(count)s) from the group?"
        ),
        "opt_out": gettext("Add the selected contacts (%(count)s) to the stop list?"),
        "delete": gettext("Delete the selected contacts (%(count)s)?"),
    }
    return questions[action] % {"count": COUNT}


def _matching(action: str, count: int) -> str:
    questions = {
        "add_to_group": ngettext(
            "Add %(count)s contact, every one matching the filter, to the group?",
            "Add %(count)s contacts, every one matching the filter, to the group?",
            count,
        ),
        "remove_from_group": ngettext(
            "Remove %(count)s contact, every one matching the filter, from the group?",
            "Remove %(count)s contacts, every one matching the filter, from the group?",
            count,
        ),
        "opt_out": ngettext(
            "Add %(count)s contact, every one matching the filter, to the stop list?",
            "Add %(count)s contacts, every one matching the filter, to the stop list?",
            count,
        ),
        "delete": ngettext(
            "Delete %(count)s contact, every one matching the filter?",
            "Delete %(count)s contacts, every one matching the filter?",
            count,
        ),
    }
    return questions[action] % {"count": intcomma(count)}


def _whole_book(action: str, count: int) -> str:
    questions = {
        "add_to_group": ngettext(
            "Add the whole book, %(count)s contact, to the group?",
            "Add the whole book, %(count)s contacts, to the group?",
            count,
        ),
        "remove_from_group": ngettext(
            "Remove the whole book, %(count)s contact, from the group?",
            "Remove the whole book, %(count)s contacts, from the group?",
            count,
        ),
        "opt_out": ngettext(
            "Add the whole book, %(count)s contact, to the stop list?",
            "Add the whole book, %(count)s contacts, to the stop list?",
            count,
        ),
        "delete": ngettext(
            "Delete the whole book, %(count)s contact?",
            "Delete the whole book, %(count)s contacts?",
            count,
        ),
    }
    return questions[action] % {"count": intcomma(count)}


def bulk_confirmations(
    actions: list[tuple[str, str]], *, matching: int, filtered: bool
) -> list[tuple[str, str, str, str]]:
    """(value, label, question for the ticked rows, question for every match) for
    each of `actions`; `matching` contacts match the filter, the whole book when it
    is not `filtered`."""
    every = _matching if filtered else _whole_book
    return [
        (value, label, _selected(value), every(value, matching))
        for value, label in actions
    ]
