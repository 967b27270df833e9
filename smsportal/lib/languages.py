"""Labels as each language of the site words them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TypeVar

from django.conf import settings
from django.utils import translation

K = TypeVar("K")


def in_every_language(labels: Mapping[K, object]) -> Iterator[tuple[K, str]]:
    """(key, label) for each label in each of settings.LANGUAGES, the site's first
    language first: what a person may have read on a page and written back (an
    export's header, a zone's city) is recognised whichever language they used."""
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for key, label in labels.items():
                yield key, str(label)
