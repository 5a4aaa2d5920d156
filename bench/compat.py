"""Modules by their name in this layout or in an older one, for the bench code that also runs an older commit of the
bot (`bench/review_quality.py --baseline` imports the bot from a `git worktree` of that commit)."""

from __future__ import annotations

import importlib
from types import ModuleType


def module(*names: str) -> ModuleType:
    """The first of `names` that imports: the current name first, an older layout's after it. A module that is there
    but fails to import (one of its own imports is missing) raises, as does the last name."""
    for name in names[:-1]:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not (name == exc.name or name.startswith(f"{exc.name}.")):
                raise
    return importlib.import_module(names[-1])
