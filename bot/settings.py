"""One typed settings object, read once at startup from the environment and `.env`.

Every variable is listed in `.env.example`. A wrong value stops startup with a message that names the
variable and says how to fix it (`SettingsError`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from models.llm.protocol import BACKENDS

log = logging.getLogger(__name__)

DEFAULT_MODEL = "qwen2.5-coder-1.5b"
_DEFAULT_CACHE = Path("~/.cache/cinebot").expanduser()
DEFAULT_REACTION_SCORES: tuple[tuple[str, int], ...] = (
    ("👍", 1), ("❤️", 1), ("🔥", 1), ("⭐", 1), ("👎", -1), ("😴", -1),
)


class SettingsError(ValueError):
    """A setting has a value cinebot cannot use; the message names the variable and the fix."""


def _int(lo: int, hi: int) -> Callable[[str, str], int]:
    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw.strip().replace("_", ""))
        except ValueError:
            raise SettingsError(
                f"{name}={raw!r} is not a whole number; set it to a number from {lo} to {hi}."
            ) from None
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


def _optional_id(name: str, raw: str) -> int | None:
    if not raw.strip():
        return None
    if not raw.strip().isdigit():
        raise SettingsError(
            f"{name}={raw!r} is not a Discord ID; copy the server's ID (Developer Mode > Copy Server ID)."
        )
    return int(raw.strip())


def _scores(name: str, raw: str) -> tuple[tuple[str, int], ...]:
    pairs = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        emoji, sep, value = item.rpartition("=")
        try:
            score = int(value)
        except ValueError:
            score = None
        if not sep or not emoji.strip() or score is None or not -5 <= score <= 5:
            raise SettingsError(
                f"{name} has {item!r}; write emoji=score pairs separated by commas, scores from -5 to 5, "
                "for example 👍=1,👎=-1."
            )
        pairs.append((emoji.strip(), score))
    return tuple(pairs)


def _rate(name: str, raw: str) -> tuple[int, int]:
    count, sep, seconds = raw.strip().partition("/")
    if not (sep and count.strip().isdigit() and seconds.strip().isdigit() and int(count) > 0 and int(seconds) > 0):
        raise SettingsError(f"{name}={raw!r} is not a rate; write requests/seconds, for example 6/60.")
    return int(count), int(seconds)


def _seconds(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number of seconds; use for example 1.0.") from None
    if not 0.2 <= value <= 10:
        raise SettingsError(f"{name}={value} is out of range; use 0.2 to 10 seconds.")
    return value


def _number(lo: float, hi: float, unit: str) -> Callable[[str, str], float]:
    def parse(name: str, raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f"{name}={raw!r} is not a number of {unit}; use {lo:g} to {hi:g}.") from None
        if not lo <= value <= hi:
            raise SettingsError(f"{name}={value:g} is out of range; use {lo:g} to {hi:g} {unit}.")
        return value

    return parse


def _url(name: str, raw: str) -> str | None:
    value = raw.strip().rstrip("/")
    if not value:
        return None
    if not value.startswith(("http://", "https://")) or len(value.split("://", 1)[1]) == 0:
        raise SettingsError(
            f"{name}={raw!r} is not an http(s) URL; give the server's base URL, for example http://127.0.0.1:8080/v1."
        )
    return value


@dataclass(frozen=True)
class Settings:
    """cinebot's settings. Field metadata maps each field to its environment variable and parser."""

    discord_token: str | None = field(default=None, repr=False)
    model: str = DEFAULT_MODEL
    backend: str = "auto"
    device: str = "auto"
    int8: str = "auto"
    threads: int = 0
    max_batch: int = 32
    max_batch_tokens: int = 24_576
    batch_wait_ms: int = 15
    max_queue: int = 64
    max_prompt_tokens: int = 3_072
    max_new_tokens: int = 0
    cache_dir: Path = _DEFAULT_CACHE
    log_level: str = "info"
    db_path: Path = Path("cinebot.sqlite3")
    films_path: Path = Path("cinebot-films.sqlite3")
    dev_guild_id: int | None = None
    reaction_scores: tuple[tuple[str, int], ...] = DEFAULT_REACTION_SCORES
    user_rate: tuple[int, int] = (6, 60)
    max_attachment_kb: int = 100
    edit_interval_s: float = 1.0
    openai_url: str | None = None
    openai_model: str | None = None
    openai_api_key: str | None = field(default=None, repr=False)
    openai_max_in_flight: int = 8
    openai_stall_s: float = 60.0

    def reaction_score(self, emoji: str) -> int:
        """A reaction's feedback score: from CINEBOT_REACTION_SCORES, 0 for any other emoji."""
        def key(e: str) -> str:  # "❤" and "❤️" (with the variation selector) are the same reaction
            return e.replace("\ufe0f", "")

        return next((score for e, score in self.reaction_scores if key(e) == key(emoji)), 0)

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
            if raw is None or (raw.strip() == "" and f.name not in _MAY_BE_EMPTY):
                continue
            values[f.name] = parse(var, raw)
        settings = cls(**values)
        if settings.backend == "openai" and not settings.openai_url:
            raise SettingsError("CINEBOT_BACKEND=openai needs CINEBOT_OPENAI_URL, the server's base URL "
                                "(for example http://127.0.0.1:8080/v1).")
        return settings


_VARIABLES: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "discord_token": ("DISCORD_TOKEN", _optional_text),
    "model": ("CINEBOT_MODEL", _text),
    "backend": ("CINEBOT_BACKEND", _choice(*BACKENDS)),
    "device": ("CINEBOT_DEVICE", _choice("auto", "cpu", "cuda")),
    "int8": ("CINEBOT_INT8", _choice("auto", "on", "off")),
    "threads": ("CINEBOT_THREADS", _int(0, 256)),
    "max_batch": ("CINEBOT_MAX_BATCH", _int(1, 256)),
    "max_batch_tokens": ("CINEBOT_MAX_BATCH_TOKENS", _int(256, 1_048_576)),
    "batch_wait_ms": ("CINEBOT_BATCH_WAIT_MS", _int(0, 5_000)),
    "max_queue": ("CINEBOT_MAX_QUEUE", _int(1, 10_000)),
    "max_prompt_tokens": ("CINEBOT_MAX_PROMPT_TOKENS", _int(64, 131_072)),
    "max_new_tokens": ("CINEBOT_MAX_NEW_TOKENS", _int(0, 8_192)),
    "cache_dir": ("CINEBOT_CACHE_DIR", _path),
    "log_level": ("CINEBOT_LOG_LEVEL", _choice("debug", "info", "warning", "error")),
    "db_path": ("CINEBOT_DB_PATH", _path),
    "films_path": ("CINEBOT_FILMS_PATH", _path),
    "dev_guild_id": ("CINEBOT_DEV_GUILD_ID", _optional_id),
    "reaction_scores": ("CINEBOT_REACTION_SCORES", _scores),
    "user_rate": ("CINEBOT_USER_RATE", _rate),
    "max_attachment_kb": ("CINEBOT_MAX_ATTACHMENT_KB", _int(1, 8_192)),
    "edit_interval_s": ("CINEBOT_EDIT_INTERVAL_S", _seconds),
    "openai_url": ("CINEBOT_OPENAI_URL", _url),
    "openai_model": ("CINEBOT_OPENAI_MODEL", _optional_text),
    "openai_api_key": ("CINEBOT_OPENAI_API_KEY", _optional_text),
    "openai_max_in_flight": ("CINEBOT_OPENAI_MAX_IN_FLIGHT", _int(1, 1024)),
    "openai_stall_s": ("CINEBOT_OPENAI_STALL_S", _number(1, 3600, "seconds")),
}
_MAY_BE_EMPTY = ("discord_token", "dev_guild_id", "openai_url", "openai_model", "openai_api_key")


def env_var(field_name: str) -> str:
    """The environment variable behind a settings field."""
    return _VARIABLES[field_name][0]
