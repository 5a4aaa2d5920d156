"""What a model's backends need to know of it, apart from the registry that finds it: where it is (`ModelSource`),
the error that says it cannot be had (`ModelError`), and the progress bar of a long copy. The registry imports the
backends it loads; the backends import only this, so nothing imports in a circle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ModelError(RuntimeError):
    """The model cannot be found, verified or loaded; the message says how to fix it."""


@dataclass(frozen=True)
class ModelSource:
    """A resolved model: a folder or hub id, and the GGUF file inside it if any."""

    name: str
    location: str
    gguf_file: str | None = None

    @property
    def gguf_path(self) -> Path | None:
        """The GGUF file's path, for a GGUF model."""
        return Path(self.location) / self.gguf_file if self.gguf_file is not None else None


def progress_bar(total: int, desc: str, enabled: bool) -> Any:
    """A byte-counting progress bar (tqdm), shown only when `enabled`."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, disable=not enabled)
