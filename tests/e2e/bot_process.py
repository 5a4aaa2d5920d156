"""`cinebot run` as its own process, against the tests' fake Discord.

    python -m tests.e2e.bot_process API_BASE GATEWAY_URL

Only the two addresses discord.py dials are changed (the REST base, which the webhook and interaction routes are
built on, and the gateway), as `fake_discord.running_bot` does in-process; everything else is the bot as shipped,
configured by its environment (DISCORD_TOKEN, CINEBOT_*). Used by the restart tests and `bench/restart.py`, which
kill it and start it again on the same database.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord
import yarl
from discord.gateway import DiscordWebSocket

from bot.flow import WRITING
from bot.i18n import SHIPPED, t

if TYPE_CHECKING:
    from tests.e2e.fake_discord import InteractionHandle

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    api, gateway = argv[:2]
    discord.http.Route.BASE = api
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    from bot.cli import main as cinebot

    return cinebot(["run"])


def streaming(handle: InteractionHandle) -> bool:
    """Some edit of the reply showed text still being written."""
    markers = {WRITING, *(t(WRITING, locale) for locale in SHIPPED)}  # in whichever language the member reads
    return any(marker in (e.get("content") or "") for e in handle.edits for marker in markers)


def finished(handle: InteractionHandle) -> bool:
    """The reply's message holds its final embeds and no streamed text."""
    msg = handle.original_message
    return msg is not None and bool(msg.embeds) and not (msg.content or "")


class BotProcess:
    """`cinebot run` in a child process against `fake`, with `env` (the parent's environment, then these); its
    output goes to `log`. Start it, kill it (SIGKILL, as an out-of-memory kill or a power cut does), stop it
    (SIGTERM), start it again on the same database."""

    def __init__(self, fake: Any, env: dict[str, str], log: Path, cwd: Path) -> None:
        self.fake = fake
        self.env = {**os.environ, "PYTHONPATH": str(REPO), **env}
        self.log = log
        self.cwd = cwd
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self, within_s: float = 180.0) -> float:
        """Start the bot and wait until it is connected (it resumes what a previous process left unfinished
        before it connects). Returns the seconds it took."""
        before = self.fake.identify_count
        started = time.monotonic()
        with self.log.open("ab") as out:
            out.write(f"\n---- start {self.starts + 1} ----\n".encode())
            out.flush()
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.e2e.bot_process", self.fake.api_base, self.fake.gateway_url,
                env=self.env, cwd=self.cwd, stdout=out, stderr=asyncio.subprocess.STDOUT)
        self.starts += 1
        proc = self.proc

        def connected() -> bool:
            if proc.returncode is not None:
                raise AssertionError(f"the bot exited with {proc.returncode}:\n{self.tail()}")
            return self.fake.identify_count > before and self.fake.registered_command("pitch", guild=self.fake.guild)

        try:
            await self.fake.wait_for(connected, within_s, what="the bot process to connect")
        except TimeoutError:
            raise AssertionError(f"the bot did not connect in {within_s} s:\n{self.tail()}") from None
        return time.monotonic() - started

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self, within_s: float = 60.0) -> int:
        """SIGTERM, and wait for the process to end; its exit status."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), within_s)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no output)"

    async def __aenter__(self) -> BotProcess:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.returncode is None:
            await self.kill()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
