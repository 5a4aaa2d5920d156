"""The Discord side's core: the Bot subclass, which loads the cogs, and `run_bot`, which wires resources."""

from __future__ import annotations

import asyncio
import logging
import signal

import discord
from discord.ext import commands

from bot.llm import Engine, open_engine
from bot.settings import Settings

log = logging.getLogger(__name__)

COGS: tuple[str, ...] = ()  # one module per command under cogs/, added as they land


class CineBot(commands.Bot):
    """cinebot's Bot: holds the engine (queue + worker) made in `run_bot` and loads the cogs."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.guild_reactions = True
        intents.message_content = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
        )
        self.settings = settings
        self.engine = engine

    async def setup_hook(self) -> None:
        for name in COGS:
            await self.load_extension(name)


async def run_bot(settings: Settings) -> None:
    """Open the engine, then the bot; on SIGINT/SIGTERM close the bot, then drain the worker."""
    assert settings.discord_token
    async with open_engine(settings) as engine:
        bot = CineBot(settings, engine)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
            except NotImplementedError:  # not on this platform
                pass
        async with bot:
            await bot.start(settings.discord_token)
