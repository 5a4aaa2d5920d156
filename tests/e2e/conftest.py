"""End-to-end fixtures: a fake Discord on 127.0.0.1, a real SQLite file, and the real cinebot client.

`make_bot(model=...)` starts a CineBot with every cog against the fake, on either the real test model
(SmolLM2-135M, replies capped to a few dozen tokens so a test takes seconds) or a scripted fake model (for
flows where the model's words don't matter, or must be planted, such as a reply containing @everyone). The bot
always has the shipped film catalog and the shipped mood classifier (`mood_classifier`, tests/conftest.py),
each loaded once per session.
Commands are synced to the fake guild, as `cinebot sync --guild` would do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import discord
import pytest
import pytest_asyncio

from bot.core import CineBot
from bot.llm import Engine, worker_config
from bot.settings import Settings
from models.film import indexes
from models.film.catalog import Catalog
from models.llm.jobs import JobQueue
from models.llm.protocol import Server
from models.llm.worker import BatchingWorker
from tests.fakes import FakeModel
from tests.store_probe import ProbeStore

from .fake_discord import FakeDiscord, fake_discord, running_bot

BotFactory = Callable[..., Awaitable[CineBot]]
ServerFactory = Callable[[Settings, JobQueue], Server]  # what serves the queue, in place of the batching worker


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The shipped film catalog, opened read-only and indexed once."""
    shipped = Catalog.open()
    indexes.warm(shipped)
    return shipped


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord() as server:
        yield server


@pytest_asyncio.fixture
async def make_bot(fake: FakeDiscord, tmp_path: Path, request: Any) -> AsyncIterator[BotFactory]:
    """A factory: `await make_bot(model="fake" | "smollm" | "smollm_llamacpp", **settings_overrides)` → a running,
    synced CineBot (`fake_model=`: a scripted model of the test's own instead of the fake's fixed reply).
    `server=`: a `(settings, queue) -> Server` that serves the queue instead of the batching worker (`model` is then
    unused), e.g. `bot.llm.make_openai_server` with `backend="openai", openai_url=...`."""
    async with AsyncExitStack() as stack:

        async def factory(model: str = "fake", fake_reply: str = "A fine film. I liked it.|stop",
                          server: ServerFactory | None = None, fake_model: FakeModel | None = None,
                          **overrides: Any) -> CineBot:
            base = Settings.load(env={}, env_file=None)
            settings = replace(base, **{"db_path": tmp_path / "cinebot.sqlite3", "edit_interval_s": 0.2,
                                        "user_rate": (1000, 60), "adapt": "off", **overrides})
            if model in ("smollm", "smollm_llamacpp"):  # the test model on transformers, or on llama.cpp
                lm = request.getfixturevalue(model)
                if not overrides.get("max_new_tokens"):
                    settings = replace(settings, max_new_tokens=32)
            else:
                lm = fake_model or FakeModel(default=fake_reply)
            store = await stack.enter_async_context(await ProbeStore.open(settings.db_path))
            queue = JobQueue(settings.max_queue)
            worker: Server
            if server is not None:  # e.g. bot.llm.make_openai_server: serves the queue instead of the worker
                worker = server(settings, queue)
                worker.start()
                stack.push_async_callback(worker.close)
                name = str(getattr(worker, "name", model))
            else:
                worker = BatchingWorker(lm, queue, worker_config(settings))
                await stack.enter_async_context(worker)
                name = lm.name
            bot = CineBot(settings, Engine(queue, worker, name), store, guild_ready_timeout=0.05,
                          catalog=request.getfixturevalue("catalog"), mood=request.getfixturevalue("mood_classifier"))
            await stack.enter_async_context(running_bot(bot, fake))
            guild = discord.Object(id=fake.guild.id)
            bot.tree.copy_global_to(guild=guild)
            await bot.tree.sync(guild=guild)
            return bot

        yield factory
