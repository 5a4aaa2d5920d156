"""The Discord side's core: the Bot subclass, which loads the cogs, and `run_bot`, which wires resources.

Resources are made in `run_bot` and passed in (discord.py's advanced_startup example): the film catalog and the
mood classifier load first (off the event loop), then the store opens, then the engine (model + worker), then the
bot; they close in reverse order.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.commands import COGS, prepare
from bot.desk import DIRECT_MESSAGES, SORRY
from bot.flow import TaskFlow, locale_of
from bot.i18n import t, t_error
from bot.llm import Engine, open_engine
from bot.services import Services
from bot.settings import Settings
from bot.store import Store
from bot.translator import CatalogTranslator
from models import language as languages
from models.film import fidelity_zh, indexes
from models.film.catalog import Catalog
from models.tasks import InputError

if TYPE_CHECKING:
    from models.mood.classifier import MoodClassifier

log = logging.getLogger(__name__)

def intents() -> discord.Intents:
    """Guilds, guild messages, reactions, message content (for /mood on a channel), and scheduled events (a film
night's event that ends brings its recap forward); none but message content is privileged."""
    value = discord.Intents.none()
    value.guilds = True
    value.guild_messages = True
    value.guild_reactions = True
    value.message_content = True
    value.guild_scheduled_events = True
    return value


def error_message(error: app_commands.AppCommandError, locale: str) -> str | None:
    """What the member is told (in `locale`) when a command ends in `error`; None for a fault of ours (logged, then
    "sorry")."""
    cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(cause, InputError):  # bad options: the services' sentences are meant for the member
        return t_error(cause, locale)
    if isinstance(cause, app_commands.NoPrivateMessage):
        return t(DIRECT_MESSAGES, locale)
    if isinstance(cause, app_commands.MissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in cause.missing_permissions)
        return t("You need the {permissions} permission to use this command.", locale, permissions=needed)
    if isinstance(cause, app_commands.BotMissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in cause.missing_permissions)
        return t("I need the {permissions} permission here; ask a moderator to give it to me.", locale,
                 permissions=needed)
    if isinstance(cause, app_commands.CommandOnCooldown):
        return t("Please wait {seconds} s before using this command again.", locale, seconds=f"{cause.retry_after:.0f}")
    if isinstance(cause, app_commands.TransformerError):
        return t("I couldn't read {value} as that option expects. Please check it and try again.", locale,
                 value=repr(str(cause.value)[:100]))
    if isinstance(cause, app_commands.CheckFailure):
        return t("You can't use this command here.", locale)
    return None


def _warm_languages() -> None:
    """What reading the members' languages loads once: the language identifier's model, and the dictionary and word
    cutter that check Chinese replies (a few seconds together, in a thread beside the start)."""
    languages.warm()
    fidelity_zh.warm()


class CineBot(commands.Bot):
    """cinebot's Bot: holds the settings, the engine (queue + worker), the store and the services (film catalog,
    mood classifier), and loads the cogs. Every command's error ends in `on_app_command_error`, which answers
    privately."""

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
        self.services = Services(settings, catalog=catalog, mood=mood, store=store)
        self.flow = TaskFlow(store, engine.queue, settings, model_name=engine.model_name)  # Discord's side
        self.desk = self.flow.desk  # the request desk: every request's way in, no Discord (`bot.desk`)
        self.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]
        self._cogs = cogs
        self._sync_dev_guild = sync_dev_guild

    async def on_app_command_error(self, interaction: discord.Interaction,
                               error: app_commands.AppCommandError) -> None:
        """Any command's error: a sentence for the member, privately (a fault of ours is logged first), instead
        of Discord's "The application did not respond"."""
        locale = locale_of(interaction)
        message = error_message(error, locale)
        if message is None:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error("/%s failed for %s in guild %s", command, interaction.user.id, interaction.guild_id,
                      exc_info=error)
            message = t(SORRY, locale)
        try:
            await self.flow.refuse(interaction, message)
        except discord.HTTPException:
            log.warning("could not tell %s what went wrong (%s)", interaction.user.id, message)

    async def load_commands(self) -> None:
        """The translator (names and descriptions in the members' languages), then the cogs and their commands."""
        await self.tree.set_translator(CatalogTranslator())
        for name in self._cogs:
            await self.load_extension(name)

    async def setup_hook(self) -> None:
        await self.load_commands()
        # the language identifier's model and the Chinese check's dictionary (a few seconds, once per process) load
        # beside the start; a request that needs them sooner waits for them in its own thread, never on the event loop
        threading.Thread(target=_warm_languages, name="cinebot-langid", daemon=True).start()
        if self.engine.queue is not None:  # before any new work: what a previous process left unfinished
            await self.flow.resume(self, lambda command, inputs: prepare(self.services, command, inputs))
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
    await asyncio.to_thread(indexes.warm, catalog)  # titles, people, recommendations: off the event loop
    from models.mood.classifier import MoodClassifier  # numpy + onnxruntime: only where the bot really runs

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
            await self.load_commands()

    engine = Engine(queue=None, worker=None, model_name="")  # type: ignore[arg-type]  # cogs do not run here
    async with await Store.open(settings.db_path) as store:
        bot = _Syncer(settings, engine, store)
        async with bot:
            await bot.login(settings.discord_token)  # runs setup_hook, which loads the translator and the cogs
            if guild_id:
                guild = discord.Object(id=guild_id)
                bot.tree.copy_global_to(guild=guild)
                synced = await bot.tree.sync(guild=guild)
            else:
                synced = await bot.tree.sync()
    return len(synced)
