"""The one application error of our own apps (HackSoft's ApplicationError)."""

from typing import Any


class ApplicationError(Exception):
    """A domain rule was broken; `where` says where (file, row, column, field)."""

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.extra = extra or {}

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class Conflict(ApplicationError):
    """The request repeats an earlier one's key for something else (an idempotency
    key reused for another message); the API answers 409."""


class Gone(ApplicationError):
    """What the request acts on was deleted meanwhile (by someone else, since the
    page or the request read it); pages say so, the API answers 404."""
