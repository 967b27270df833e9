"""Canonical vendor bodies, shared by the simulator, the docs and the tests."""

from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "providers" / "simulator" / "samples"


def vendor_sample(kind: str, name: str) -> bytes:
    """The bytes of `providers/simulator/samples/<kind>/<name>`, exactly as stored."""
    return (SAMPLES / kind / name).read_bytes()
