"""Functions one app registers to follow what another app does.

The app that owns an event (contacts: a group deleted, numbers stop-listed) knows
nothing of the apps that follow it; they register a function here at start
(AppConfig.ready), and the owner calls them all.
"""

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

F = TypeVar("F", bound=Callable)


class Hooks(Generic[F]):
    def __init__(self) -> None:
        self._functions: list[F] = []

    def register(self, function: F) -> None:
        """Once: ready() may run again (tests, a second setup)."""
        if function not in self._functions:
            self._functions.append(function)

    def __iter__(self) -> Iterator[F]:
        return iter(self._functions)

    def __bool__(self) -> bool:
        return bool(self._functions)
