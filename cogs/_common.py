"""What the command cogs share: the cog base, the slash-command decorator, and option autocompletes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import CineBot

log = logging.getLogger(__name__)

CHOICES = 25  # Discord shows at most 25 autocomplete choices
CHOICE_NAME_LIMIT = 100  # and each choice's name has at most 100 characters


class CommandCog(commands.Cog):
    """A cog that translates between Discord and the bot's services (`bot.services`), its flow (`bot.flow`: Discord's
    side of a request) and its desk (`bot.desk`: the settings, the reactions; never the store itself)."""

    def __init__(self, bot: CineBot) -> None:
        self.bot = bot


def server_command(name: str, **describe: str) -> Callable[[Any], app_commands.Command[Any, Any, Any]]:
    """A slash command that works in servers only, its options described (the docstring describes the command)."""
    def wrap(callback: Any) -> app_commands.Command[Any, Any, Any]:
        return app_commands.command(name=name)(app_commands.guild_only()(app_commands.describe(**describe)(callback)))

    return wrap


Autocomplete = Callable[[discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]


async def film_titles(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Catalog films for what the member has typed so far: "Title (Year), Director" -> "Title (Year)"."""
    client = interaction.client
    catalog = client.services.catalog if isinstance(client, CineBot) else None
    if catalog is None or not current.strip():
        return []
    choices = []
    for film in catalog.autocomplete(current, limit=CHOICES):
        name = film.label()
        if len(name) > CHOICE_NAME_LIMIT:
            name = name[: CHOICE_NAME_LIMIT - 1] + "…"
        choices.append(app_commands.Choice(name=name, value=film.title_year()[:CHOICE_NAME_LIMIT]))
    return choices


def words_like(words: Callable[[str], Sequence[str]] | Sequence[str]) -> Autocomplete:
    """An autocomplete offering `words` (or what `words(current)` suggests) that contain what is typed."""
    async def complete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        typed = current.strip().lower()
        found = words(current) if callable(words) else [w for w in words if typed in w.lower()]
        return [app_commands.Choice(name=w, value=w) for w in found if len(w) <= CHOICE_NAME_LIMIT][:CHOICES]

    return complete
