"""Webcom's Moscow wall-clock times: the fast path reads exactly what strptime read."""

import random
from datetime import datetime

from providers.gateways import webcom_parse as wp


def strptime_reading(text: str) -> datetime | None:
    """parse_time as it was: strptime in both documented shapes."""
    text = text.strip()
    if not text or text.startswith("0000"):
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=wp.MOSCOW)
        except ValueError:
            continue
    return None


EDGES = [
    "2011-01-01 12:57:46", "2011-11-14 21:00", " 2026-12-02 06:16:22 ",
    "2012-02-31 10:00:00",  # an impossible date from the documents
    "2024-02-29 23:59:59", "2023-02-29 10:00", "2026-13-01 10:00", "2026-12-02 24:00",
    "2026-12-02 23:60", "2026-12-02 23:59:60", "0000-00-00 00:00:00", "",
    "2026-1-2 3:04:05",  # not zero-padded: strptime still reads it
    "2026-12-02T06:16:22", "2026-12-02 06:16:22+03:00", "2026-12-02 06:16:22.5",
    "2026-12-02", "20261202 061622", "٢٠٢٦-١٢-٠٢ ٠٦:١٦",
]  # fmt: skip


def test_documented_shapes_and_odd_ones_read_as_before():
    for text in EDGES:
        assert wp.parse_time(text) == strptime_reading(text), text


def test_random_times_read_as_before():
    rng = random.Random(20261202)
    for _ in range(5000):
        parts = [rng.randint(0, 2100), rng.randint(0, 13), rng.randint(0, 32),
                 rng.randint(0, 25), rng.randint(0, 61), rng.randint(0, 61)]  # fmt: skip
        text = "{:04d}-{:02d}-{:02d} {:02d}:{:02d}".format(*parts[:5])
        if rng.random() < 0.6:
            text += f":{parts[5]:02d}"
        assert wp.parse_time(text) == strptime_reading(text), text
    assert wp.parse_time("2011-01-01 12:57:46") == datetime(
        2011, 1, 1, 12, 57, 46, tzinfo=wp.MOSCOW
    )
