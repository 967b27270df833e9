"""smsportal.text_search: «е» and «ё» as one letter. The search boxes using it are
tested with their pages (tests/contacts/test_search.py, tests/campaigns/
test_search_boxes.py, tests/accounts/test_audit.py)."""

from smsportal.text_search import fold_yo


def test_fold_yo_keeps_case():
    assert fold_yo("Ёлка, ёжик, ЕЛЬ") == "Елка, ежик, ЕЛЬ"
