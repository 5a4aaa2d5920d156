"""What every service shares: the `Prepared` job it returns, and `required`, for a part of the bot it needs. The
services import this, not their package (which makes them), so nothing imports in a circle."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from models.tasks.base import Prepared

if TYPE_CHECKING:
    from models.text import InputError

__all__ = ["Prepared", "required"]

T = TypeVar("T")


def required(part: T | None, missing: Callable[[], InputError]) -> T:
    """`part` of the bot a service needs (the film catalog, the mood classifier); the InputError `missing` makes
    when this bot runs without it."""
    if part is None:
        raise missing()
    return part
