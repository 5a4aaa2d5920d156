"""What every service shares: the `Prepared` job it returns, and `required`, for a part of the bot it needs. The
services import this, not their package (which makes them), so nothing imports in a circle."""

from __future__ import annotations

from typing import TypeVar

from models.tasks.base import Prepared

__all__ = ["Prepared", "required"]

T = TypeVar("T")


def required(part: T | None, missing: str) -> T:
    """`part` of the bot a service needs (the film catalog, the mood classifier); InputError saying `missing`
    when this bot runs without it."""
    if part is None:
        from models.tasks import InputError

        raise InputError(missing)
    return part
