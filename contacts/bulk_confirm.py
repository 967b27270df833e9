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


# Counting a filtered book stops here: a word search reads the whole table to count
# its matches, and a page that shows fifty of a quarter of a million would pay a
# second for the number in a question nobody may ask.
COUNT_LIMIT = 10_000


def _more_than(action: str, count: int) -> str:
    questions = {
        "add_to_group": gettext(
            "Add more than %(count)s contacts, every one matching the filter, to the "
            "group?"
        ),
        "remove_from_group": gettext(
            "Remove more than %(count)s contacts, every one matching the filter, from "
            "the group?"
        ),
        "opt_out": gettext(
            "Add more than %(count)s contacts, every one matching the filter, to the "
            "stop list?"
        ),
        "delete": gettext(
            "Delete more than %(count)s contacts, every one matching the filter?"
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


def _whole_book_about(action: str, count: int) -> str:
    questions = {
        "add_to_group": ngettext(
            "Add the whole book, about %(count)s contact, to the group?",
            "Add the whole book, about %(count)s contacts, to the group?",
            count,
        ),
        "remove_from_group": ngettext(
            "Remove the whole book, about %(count)s contact, from the group?",
            "Remove the whole book, about %(count)s contacts, from the group?",
            count,
        ),
        "opt_out": ngettext(
            "Add the whole book, about %(count)s contact, to the stop list?",
            "Add the whole book, about %(count)s contacts, to the stop list?",
            count,
        ),
        "delete": ngettext(
            "Delete the whole book, about %(count)s contact?",
            "Delete the whole book, about %(count)s contacts?",
            count,
        ),
    }
    return questions[action] % {"count": intcomma(count)}


def _whole_book_more_than(action: str, count: int) -> str:
    questions = {
        "add_to_group": gettext(
            "Add the whole book, more than %(count)s contacts, to the group?"
        ),
        "remove_from_group": gettext(
            "Remove the whole book, more than %(count)s contacts, from the group?"
        ),
        "opt_out": gettext(
            "Add the whole book, more than %(count)s contacts, to the stop list?"
        ),
        "delete": gettext("Delete the whole book, more than %(count)s contacts?"),
    }
    return questions[action] % {"count": intcomma(count)}


def bulk_confirmations(
    actions: list[tuple[str, str]],
    *,
    matching: int,
    filtered: bool,
    exact: bool = True,
    at_least: bool = False,
) -> list[tuple[str, str, str, str]]:
    """(value, label, question for the ticked rows, question for every match) for
    each of `actions`; `matching` contacts match the filter (counted up to one past
    COUNT_LIMIT), the whole book when it is not `filtered`: then `exact` False says
    it is PostgreSQL's estimate, `at_least` that the book holds more than it."""
    if not filtered:
        # An estimate is asked as one: "100 001 contacts" named a number nobody
        # counted (contacts.selectors.contact_book_size).
        if at_least:
            every = _whole_book_more_than
        elif not exact:
            every = _whole_book_about
        else:
            every = _whole_book
    elif matching > COUNT_LIMIT:
        every, matching = _more_than, COUNT_LIMIT
    else:
        every = _matching
    return [
        (value, label, _selected(value), every(value, matching))
        for value, label in actions
    ]
