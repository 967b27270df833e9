"""The progress bar's parts are named apart from the statuses beside them."""

from django.utils import translation

from campaigns.progress_bar import _part_labels
from providers.base import DeliveryStatus


def test_the_bars_failed_part_is_not_named_as_one_of_the_statuses_it_sums():
    """Its «Не доставлено: 3» stood above the table's «Не доставлено 2» and
    «Отклонено 1»: one word for two counts."""
    with translation.override("ru"):
        failed = _part_labels()["failed"] % {"count": 3}
        statuses = {
            str(DeliveryStatus(s).label) for s in ("undelivered", "rejected", "failed")
        }
    assert failed == "Не дошло: 3"
    assert not any(failed.startswith(f"{label}:") for label in statuses)
