"""smsportal.lib.values.quick_init: a faster __init__, the same value object."""

import dataclasses
from dataclasses import dataclass, field

import pytest

from campaigns.sending import ClaimedMessage
from providers.base import OutgoingSms, SendResult
from smsportal.lib.values import quick_init


@quick_init
@dataclass(frozen=True, slots=True)
class Point:
    x: int
    y: int = 0
    label: str = "origin"


def test_it_builds_the_same_object_as_the_dataclass_would():
    point = Point(1, label="a")

    assert (point.x, point.y, point.label) == (1, 0, "a")
    assert point == Point(x=1, y=0, label="a")
    assert hash(point) == hash(Point(1, 0, "a"))
    assert repr(point) == "Point(x=1, y=0, label='a')"
    assert dataclasses.replace(point, y=5) == Point(1, 5, "a")


def test_it_stays_frozen():
    point = Point(1)

    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 2  # type: ignore[misc]


def test_a_missing_or_unknown_argument_is_refused_as_before():
    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        Point(1, z=2)  # type: ignore[call-arg]


def test_classes_it_cannot_build_are_refused_when_decorated():
    with pytest.raises(TypeError, match="frozen slotted"):

        @quick_init
        @dataclass(frozen=True)
        class Unslotted:
            x: int

    with pytest.raises(TypeError, match="not a plain field"):

        @quick_init
        @dataclass(frozen=True, slots=True)
        class WithFactory:
            items: list = field(default_factory=list)

    with pytest.raises(TypeError, match="__post_init__"):

        @quick_init
        @dataclass(frozen=True, slots=True)
        class Checked:
            x: int

            def __post_init__(self) -> None:
                pass


@pytest.mark.parametrize("cls", [ClaimedMessage, OutgoingSms, SendResult])
def test_the_pumps_value_objects_keep_their_defaults(cls):
    """Each field not given takes the dataclass's default, as before quick_init."""
    required = {
        f.name: f"v-{f.name}"
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING
    }
    built = cls(**required)
    for f in dataclasses.fields(cls):
        expected = required.get(f.name, f.default)
        assert getattr(built, f.name) == expected, f.name
