"""One typed settings object, read once at startup from the environment and `.env`.

Each field of `Settings` is declared once, with its environment variable, its default (as it would be written in
`.env`), its parser, and under it a docstring saying what it means. Nothing else holds them: the dataclass defaults,
`Settings.load`, `.env.example` and the README's settings table all come from those declarations (a unit test checks
the two files). After changing one, regenerate the files from a checkout::

    python -m bot.settings --write

A wrong value stops startup with a message that names the variable and says how to fix it (`SettingsError`).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import itertools
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from dotenv import dotenv_values

from models.llm.protocol import BACKENDS

log = logging.getLogger(__name__)

T = TypeVar("T")
Parser = Callable[[str, str], T]  # (variable name, raw text) -> value; raises SettingsError
ROOT = Path(__file__).resolve().parents[1]
ENV_EXAMPLE = ROOT / ".env.example"
README = ROOT / "README.md"
ENV_EXAMPLE_HEADER = (
    "# cinebot settings. Copy to .env and edit; environment variables override this file.\n"
    "# A wrong value stops startup with a message that names the variable.\n"
)
README_TABLE_HEADER = "| variable | default | meaning |\n|---|---|---|\n"


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


def _optional_path(name: str, raw: str) -> Path | None:
    return Path(os.path.expanduser(raw.strip())) if raw.strip() else None


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


def _zone(name: str, raw: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(raw.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{name}={raw!r} is not a time zone; set it to an IANA name such as UTC, Europe/Paris or "
                            "America/New_York.") from None
    return raw.strip()


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
class Setting:
    """How one `Settings` field is set: its variable, its default as written in `.env` ("" = none), its parser."""

    var: str
    default: str
    parse: Parser[Any]


def _setting(var: str, default: str, parse: Parser[T], *, secret: bool = False) -> T:
    """A `Settings` field: its default is `default` parsed; a secret one stays out of `repr` (and so of logs)."""
    return field(default=parse(var, default), repr=not secret, metadata={"setting": Setting(var, default, parse)})


@dataclass(frozen=True)
class Settings:
    """cinebot's settings, in the order `.env.example` and the README list them, each with what it means under it."""

    discord_token: str | None = _setting("DISCORD_TOKEN", "", _optional_text, secret=True)
    """The Discord bot token (Developer Portal > your application > Bot > Reset Token); needed by `cinebot run` and
    `cinebot sync` only."""
    model: str = _setting("CINEBOT_MODEL", "qwen2.5-coder-1.5b", _text)
    """The language model: a preset (`qwen2.5-coder-1.5b`, the embedded one, or `smollm2-135m`, the small test model),
    a local folder or `.gguf` file, or a Hugging Face model id (downloaded by transformers on first use)."""
    backend: str = _setting("CINEBOT_BACKEND", "auto", _choice(*BACKENDS))
    """What serves the model: `auto` (llama.cpp for a GGUF model on a CPU, transformers on a CUDA GPU or for a Hugging
    Face model), `llamacpp`, `transformers`, or `openai` (a remote OpenAI-compatible server: vLLM, SGLang,
    llama.cpp's server, Ollama, TGI; set `CINEBOT_OPENAI_URL`)."""
    device: str = _setting("CINEBOT_DEVICE", "auto", _choice("auto", "cpu", "cuda"))
    """Where the transformers backend runs the model: `auto` (CUDA when present, else CPU), `cpu` or `cuda`; CUDA runs
    bf16."""
    int8: str = _setting("CINEBOT_INT8", "auto", _choice("auto", "on", "off"))
    """The transformers backend on a CPU: int8 weights (`auto` = on for a CPU, off for CUDA), `on` or `off` (fp32). The
    first start converts and caches the model; later starts load the cache."""
    adapter: Path | None = _setting("CINEBOT_ADAPTER", "", _optional_path)  # noqa: RUF009
    """A LoRA adapter folder made by `cinebot train feedback`, applied to the embedded model at start: merged into the
    weights on transformers, as a GGUF LoRA on llama.cpp (converted once, into the folder); empty = none. An OpenAI
    server loads its own adapters."""
    threads: int = _setting("CINEBOT_THREADS", "0", _int(0, 256))
    """CPU threads for llama.cpp or torch; 0 = one per core."""
    worker_nice: int = _setting("CINEBOT_WORKER_NICE", "0", _int(0, 19))
    """How much lower than the bot's own the model's threads are scheduled (Linux niceness, 0-19; 0: the same). Raise
    it where other work on the machine should come first: the replies then wait for it. Beside two busy processes,
    10 steps lower left the model too little of the CPU to answer one command in 15 minutes, while at the same
    priority Discord's heartbeat and every acknowledgement stayed on time (`bench/discord_load.py --hog 2`)."""
    max_batch: int = _setting("CINEBOT_MAX_BATCH", "32", _int(1, 256))
    """Most jobs generated together in one batch, 1-256 (llama.cpp: the sequences its context holds)."""
    max_batch_tokens: int = _setting("CINEBOT_MAX_BATCH_TOKENS", "24576", _int(256, 1_048_576))
    """Token budget of a batch: prompt + max new tokens, summed over its jobs."""
    batch_wait_ms: int = _setting("CINEBOT_BATCH_WAIT_MS", "15", _int(0, 5_000))
    """When idle, how long the worker waits for more jobs to batch with the first one, in milliseconds."""
    max_queue: int = _setting("CINEBOT_MAX_QUEUE", "64", _int(1, 10_000))
    """Most jobs waiting in the queue; past it a request is refused at once with "try again in N s"."""
    max_prompt_tokens: int = _setting("CINEBOT_MAX_PROMPT_TOKENS", "3072", _int(64, 131_072))
    """Longest prompt in tokens, the task's instructions included; a longer one fails alone, with the limit in the
    message (llama.cpp keeps this plus 512 reply tokens of KV cache per sequence)."""
    max_new_tokens: int = _setting("CINEBOT_MAX_NEW_TOKENS", "0", _int(0, 8_192))
    """A ceiling on generated tokens per reply for every task (0 = each task's own). Lower it to answer faster on a
    slow CPU."""
    cache_dir: Path = _setting("CINEBOT_CACHE_DIR", "~/.cache/cinebot", _path)  # noqa: RUF009
    """Folder for the joined default model, the int8 checkpoint the transformers backend converts once (`converted/`),
    the full-precision copy of a GGUF model that `cinebot train feedback` and an adapter's merge read
    (`converted/<model>-float32-*`: 0.5 GB for the test model, 6 GB for the default, made once in about 20 s for the
    test model) and other caches."""
    log_level: str = _setting("CINEBOT_LOG_LEVEL", "info", _choice("debug", "info", "warning", "error"))
    """Log level: `debug`, `info`, `warning` or `error`."""
    db_path: Path = _setting("CINEBOT_DB_PATH", "cinebot.sqlite3", _path)  # noqa: RUF009
    """The SQLite database file (jobs, replies, reaction feedback, moderator settings)."""
    films_path: Path = _setting("CINEBOT_FILMS_PATH", "cinebot-films.sqlite3", _path)  # noqa: RUF009
    """Films your server adds to the catalog (`cinebot catalog add` / `cinebot catalog import`), kept apart from the
    shipped catalog (1940-2014)."""
    dev_guild_id: int | None = _setting("CINEBOT_DEV_GUILD_ID", "", _optional_id)
    """A server ID to sync slash commands to at every start while you develop (instant); empty = sync only with
    `cinebot sync` (global commands can take up to an hour to appear)."""
    reaction_scores: tuple[tuple[str, int], ...] = _setting(
        "CINEBOT_REACTION_SCORES", "👍=1,❤️=1,🔥=1,⭐=1,👎=-1,😴=-1", _scores
    )
    """Reaction feedback scores: emoji=score pairs, scores from -5 to 5; any other emoji is recorded with score 0."""
    user_rate: tuple[int, int] = _setting("CINEBOT_USER_RATE", "6/60", _rate)
    """Per-member rate limit over all commands: requests/seconds."""
    max_attachment_kb: int = _setting("CINEBOT_MAX_ATTACHMENT_KB", "100", _int(1, 8_192))
    """Largest script attachment `/scene` accepts, in KB (`.fountain` or `.txt`)."""
    adapt: str = _setting("CINEBOT_ADAPT", "on", _choice("on", "off"))
    """`on`: each server's reactions choose how its replies are written (length, tone; see /cinebot show); `off`:
    every reply is written the standard way."""
    edit_interval_s: float = _setting("CINEBOT_EDIT_INTERVAL_S", "1.0", _seconds)
    """How often a streamed reply is edited while the model writes, in seconds (Discord rate-limits edits)."""
    openai_url: str | None = _setting("CINEBOT_OPENAI_URL", "", _url)
    """The OpenAI-compatible server (`CINEBOT_BACKEND=openai`): its base URL, up to `/v1` (for example
    `http://127.0.0.1:8080/v1`)."""
    openai_model: str | None = _setting("CINEBOT_OPENAI_MODEL", "", _optional_text)
    """The model name to ask that server for; empty = the first one its `GET /models` lists."""
    openai_api_key: str | None = _setting("CINEBOT_OPENAI_API_KEY", "", _optional_text, secret=True)
    """The API key, if the server wants one: sent as a Bearer token, never logged."""
    openai_max_in_flight: int = _setting("CINEBOT_OPENAI_MAX_IN_FLIGHT", "8", _int(1, 1024))
    """Most requests sent to that server at once (it batches them); the rest wait in cinebot's queue and see their
    position."""
    openai_stall_s: float = _setting("CINEBOT_OPENAI_STALL_S", "60", _number(1, 3600, "seconds"))
    """A reply stream that sends nothing for this many seconds is given up, and the member told."""

    night_poll_hours: int = _setting("CINEBOT_NIGHT_POLL_HOURS", "24", _int(1, 768))
    """How long a film night's poll stays open when `/filmnight plan` does not say, in hours (Discord: 1 to 768)."""
    night_suggestions: int = _setting("CINEBOT_NIGHT_SUGGESTIONS", "10", _int(1, 10))
    """Most films members may put forward for the next film night's poll with `/filmnight suggest` (a poll holds 10)."""
    night_remind_vote_min: int = _setting("CINEBOT_NIGHT_REMIND_VOTE_MIN", "60", _int(0, 10_080))
    """Minutes before a film night's voting closes to remind the members who asked for reminders and have not voted;
    0: no such reminder."""
    night_remind_min: int = _setting("CINEBOT_NIGHT_REMIND_MIN", "60", _int(0, 10_080))
    """Minutes before a film night starts to remind the members who asked for reminders or marked the event
    "Interested"; 0: no such reminder."""
    night_recap_min: int = _setting("CINEBOT_NIGHT_RECAP_MIN", "60", _int(0, 10_080))
    """Minutes after a film night's film would have ended to post the recap (the mood of what was said about it)."""
    night_timezone: str = _setting("CINEBOT_NIGHT_TIMEZONE", "UTC", _zone)
    """The time zone `/filmnight plan when:` is read in (an IANA name, e.g. Europe/Paris); members see every time in
    their own."""

    def reaction_score(self, emoji: str) -> int:
        """A reaction's feedback score: from CINEBOT_REACTION_SCORES, 0 for any other emoji."""

        def key(e: str) -> str:  # "❤" and "❤️" (with the variation selector) are the same reaction
            return e.replace("\ufe0f", "")

        return next((score for e, score in self.reaction_scores if key(e) == key(emoji)), 0)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, env_file: str | Path | None = ".env") -> Settings:
        """Read settings from `env` (default: os.environ) over the values in `env_file`; an empty value means
        the default."""
        merged: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        merged.update(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for name, spec in SETTINGS.items():
            raw = merged.get(spec.var, "")
            if raw.strip():
                values[name] = spec.parse(spec.var, raw)
        settings = cls(**values)
        if settings.backend == "openai" and not settings.openai_url:
            raise SettingsError(
                "CINEBOT_BACKEND=openai needs CINEBOT_OPENAI_URL, the server's base URL "
                "(for example http://127.0.0.1:8080/v1)."
            )
        if settings.backend == "openai" and settings.adapter is not None:
            raise SettingsError(
                "CINEBOT_ADAPTER applies to the embedded model; with CINEBOT_BACKEND=openai the server loads the "
                "adapter itself (llama.cpp's server: --lora <folder>/adapter.gguf; vLLM: --lora-modules)."
            )
        return settings


SETTINGS: dict[str, Setting] = {f.name: f.metadata["setting"] for f in fields(Settings)}
"""Each `Settings` field's `Setting`, in declaration order."""


def env_var(field_name: str) -> str:
    """The environment variable behind a settings field."""
    return SETTINGS[field_name].var


def meanings() -> dict[str, str]:
    """What each setting means: the docstring under its `Settings` field, on one line."""
    [settings] = ast.parse(inspect.getsource(Settings)).body
    assert isinstance(settings, ast.ClassDef)
    found = {
        node.target.id: " ".join(doc.value.value.split())
        for node, doc in itertools.pairwise(settings.body)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and isinstance(doc, ast.Expr)
        and isinstance(doc.value, ast.Constant)
        and isinstance(doc.value.value, str)
    }
    if missing := [name for name in SETTINGS if name not in found]:
        raise ValueError(f"Settings fields without a docstring saying what they mean: {', '.join(missing)}")
    return {name: found[name] for name in SETTINGS}


def env_example() -> str:
    """The text of `.env.example`: every variable with its default, under a comment saying what it means."""
    meaning = meanings()
    text = ENV_EXAMPLE_HEADER
    for name, spec in SETTINGS.items():
        comment = textwrap.wrap(meaning[name], width=116, break_long_words=False, break_on_hyphens=False)
        text += "\n" + "".join(f"# {line}\n" for line in comment) + f"{spec.var}={spec.default}\n"
    return text


def readme_table() -> str:
    """The README's settings table: variable, default, meaning."""
    meaning = meanings()
    text = README_TABLE_HEADER
    for name, spec in SETTINGS.items():
        text += f"| `{spec.var}` | {f'`{spec.default}`' if spec.default else '(none)'} | {meaning[name]} |\n"
    return text


def replace_readme_table(readme: str) -> str:
    """`readme` with its settings table (the lines from the table's header row to the first line that is not a
    table row) replaced by `readme_table()`."""
    lines = readme.splitlines(keepends=True)
    first = lines.index(README_TABLE_HEADER.splitlines(keepends=True)[0])
    end = next((i for i in range(first, len(lines)) if not lines[i].startswith("|")), len(lines))
    return "".join([*lines[:first], readme_table(), *lines[end:]])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.settings", description="Print or rewrite the settings documentation made from this module."
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--env-example", action="store_true", help="print .env.example")
    what.add_argument("--readme-table", action="store_true", help="print the README's settings table")
    what.add_argument("--write", action="store_true", help="rewrite .env.example and the README's settings table")
    args = parser.parse_args(argv)
    if args.env_example:
        sys.stdout.write(env_example())
    elif args.readme_table:
        sys.stdout.write(readme_table())
    else:
        ENV_EXAMPLE.write_text(env_example(), encoding="utf-8")
        README.write_text(replace_readme_table(README.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"wrote {ENV_EXAMPLE} and the settings table of {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
