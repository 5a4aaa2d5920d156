"""One typed settings object, read once at startup from the environment and `.env`.

Every variable is listed in `.env.example`. A wrong value stops startup with a message that names the
variable and says how to fix it (`SettingsError`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

log = logging.getLogger(__name__)

DEFAULT_MODEL = "qwen2.5-coder-1.5b"
_DEFAULT_CACHE = Path("~/.cache/cinebot").expanduser()


class SettingsError(ValueError):
    """A setting has a value cinebot cannot use; the message names the variable and the fix."""


def _int(lo: int, hi: int) -> Callable[[str, str], int]:
    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw.strip().replace("_", ""))
        except ValueError:
            raise SettingsError(f"{name}={raw!r} is not a whole number; set it to a number from {lo} to {hi}.") from None
        if not lo <= value <= hi:
            raise SettingsError(f"{name}={value} is out of range; set it to a number from {lo} to {hi}.")
        return value

    return parse


def _choice(*options: str) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise SettingsError(f"{name}={raw!r} is not one of {', '.join(options)}; pick one of those.")
        return value

    return parse


def _text(name: str, raw: str) -> str:
    return raw.strip()


def _path(name: str, raw: str) -> Path:
    if not raw.strip():
        raise SettingsError(f"{name} is empty; give a folder or file path, or remove the line to use the default.")
    return Path(os.path.expanduser(raw.strip()))


def _optional_text(name: str, raw: str) -> str | None:
    return raw.strip() or None


@dataclass(frozen=True)
class Settings:
    """cinebot's settings. Field metadata maps each field to its environment variable and parser."""

    discord_token: str | None = None
    model: str = DEFAULT_MODEL
    device: str = "auto"
    threads: int = 0
    max_batch: int = 32
    max_batch_tokens: int = 24_576
    batch_wait_ms: int = 15
    max_queue: int = 64
    max_prompt_tokens: int = 3_072
    cache_dir: Path = _DEFAULT_CACHE
    log_level: str = "info"

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, env_file: str | Path | None = ".env") -> Settings:
        """Read settings from `env` (default: os.environ) over the values in `env_file`."""
        merged: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        merged.update(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for f in fields(cls):
            var, parse = _VARIABLES[f.name]
            raw = merged.get(var)
            if raw is None or (raw.strip() == "" and f.name != "discord_token"):
                continue
            values[f.name] = parse(var, raw)
        return cls(**values)


_VARIABLES: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "discord_token": ("DISCORD_TOKEN", _optional_text),
    "model": ("CINEBOT_MODEL", _text),
    "device": ("CINEBOT_DEVICE", _choice("auto", "cpu", "cuda")),
    "threads": ("CINEBOT_THREADS", _int(0, 256)),
    "max_batch": ("CINEBOT_MAX_BATCH", _int(1, 256)),
    "max_batch_tokens": ("CINEBOT_MAX_BATCH_TOKENS", _int(256, 1_048_576)),
    "batch_wait_ms": ("CINEBOT_BATCH_WAIT_MS", _int(0, 5_000)),
    "max_queue": ("CINEBOT_MAX_QUEUE", _int(1, 10_000)),
    "max_prompt_tokens": ("CINEBOT_MAX_PROMPT_TOKENS", _int(64, 131_072)),
    "cache_dir": ("CINEBOT_CACHE_DIR", _path),
    "log_level": ("CINEBOT_LOG_LEVEL", _choice("debug", "info", "warning", "error")),
}


def env_var(field_name: str) -> str:
    """The environment variable behind a settings field."""
    return _VARIABLES[field_name][0]
