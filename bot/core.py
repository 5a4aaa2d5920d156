"""The Discord side's core: the Bot subclass, which loads the cogs, and `run_bot`, which wires resources.

Resources are made in `run_bot` and passed in (discord.py's advanced_startup example): the film catalog and the
mood classifier load first (off the event loop), then the store opens, then the engine (model + worker), then the
bot; they close in reverse order.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.flow import TaskFlow
from bot.llm import Engine, open_engine
from bot.settings import Settings
from bot.store import Store
from models.catalog import Catalog
from models.grounding import people_of

if TYPE_CHECKING:
    from models.mood import MoodClassifier

log = logging.getLogger(__name__)

COGS: tuple[str, ...] = (
    "cogs.review",
    "cogs.mood",
    "cogs.scene",
    "cogs.pitch",
    "cogs.film",
    "cogs.recommend",
    "cogs.feedback",
    "cogs.admin",
)


def intents() -> discord.Intents:
    """Guilds, guild messages, reactions, and message content (for /mood on a channel)."""
    value = discord.Intents.none()
    value.guilds = True
    value.guild_messages = True
    value.guild_reactions = True
    value.message_content = True
    return value


class CineBot(commands.Bot):
    """cinebot's Bot: holds the settings, the engine (queue + worker), the store, the film catalog and the mood
    classifier, and loads the cogs."""

    def __init__(self, settings: Settings, engine: Engine, store: Store, *, cogs: tuple[str, ...] = COGS,
                 catalog: Catalog | None = None, mood: MoodClassifier | None = None, sync_dev_guild: bool = True,
                 **options: object) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            **options,  # type: ignore[arg-type]
        )
        self.settings = settings
        self.engine = engine
        self.store = store
        self.catalog = catalog
        self.mood = mood
        self.flow = TaskFlow(self)
        self._cogs = cogs
        self._sync_dev_guild = sync_dev_guild

    async def setup_hook(self) -> None:
        for name in self._cogs:
            await self.load_extension(name)
        guild_id = self.settings.dev_guild_id
        if guild_id and self._sync_dev_guild:  # a development guild syncs instantly; global sync is `cinebot sync`
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to development guild %s", len(synced), guild_id)

    async def on_ready(self) -> None:
        log.info("connected as %s to %d servers", self.user, len(self.guilds))

    async def shutdown(self, drain_s: float = 30.0) -> None:
        """Graceful stop: running jobs finish (waiting ones are told), their replies are sent, then disconnect."""
        log.info("shutting down: finishing the replies in flight (up to %.0f s)", drain_s)
        if self.engine.worker is not None:
            await self.engine.worker.close(drain_s=drain_s)
        await self.flow.drain(timeout_s=10.0)
        await self.close()


@asynccontextmanager
async def prepared_bot(settings: Settings) -> AsyncIterator[CineBot]:
    """Everything `cinebot run` makes before it connects: the film catalog and its indexes and the mood classifier
    (off the event loop), the store, the engine (the model and what serves it), then the bot; closed in reverse."""
    catalog = Catalog.open(extra_path=settings.films_path)
    await asyncio.to_thread(catalog.warm)  # the title index, off the event loop
    await asyncio.to_thread(people_of, catalog)  # and the index of credited people, for the grounding check
    from models.mood import MoodClassifier  # numpy + onnxruntime: only where the bot really runs

    mood = await asyncio.to_thread(MoodClassifier.load, settings.cache_dir)  # the first time builds its cache
    async with await Store.open(settings.db_path) as store, open_engine(settings) as engine:
        yield CineBot(settings, engine, store, catalog=catalog, mood=mood)


async def run_bot(settings: Settings) -> None:
    """Open the store, the engine, then the bot; on SIGINT/SIGTERM close the bot, then drain the worker."""
    assert settings.discord_token
    async with prepared_bot(settings) as bot:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.shutdown()))
            except NotImplementedError:  # not on this platform
                pass
        async with bot:
            await bot.start(settings.discord_token)


async def sync_commands(settings: Settings, guild_id: int | None) -> int:
    """Log in, sync the command tree (to one guild, or globally), and log out. Returns the number synced."""
    assert settings.discord_token

    class _Syncer(CineBot):
        async def setup_hook(self) -> None:
            for name in self._cogs:
                await self.load_extension(name)

    engine = Engine(queue=None, worker=None, model_name="")  # type: ignore[arg-type]  # cogs do not run here
    async with await Store.open(settings.db_path) as store:
        bot = _Syncer(settings, engine, store)
        async with bot:
            await bot.login(settings.discord_token)  # runs setup_hook, which loads the cogs
            if guild_id:
                guild = discord.Object(id=guild_id)
                bot.tree.copy_global_to(guild=guild)
                synced = await bot.tree.sync(guild=guild)
            else:
                synced = await bot.tree.sync()
    return len(synced)
