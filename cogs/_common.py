"""What the command cogs share: the cog base, the slash-command decorator, and option autocompletes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import CineBot
from bot.i18n import locale_for
from models.film.local_titles import choice_name

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
    """Catalog films for what the member has typed so far: "Title (Year), Director" -> "Title (Year)". A film found by
    its title in another language shows that title first: "肖申克的救赎 · The Shawshank Redemption (1994), Frank
    Darabont" (the value stays the English "Title (Year)", which the command resolves)."""
    client = interaction.client
    catalog = client.services.catalog if isinstance(client, CineBot) else None
    if catalog is None or not current.strip():
        return []
    locale = locale_for(interaction.locale.value if interaction.locale else None,
                        interaction.guild_locale.value if interaction.guild_locale else None)
    choices = []
    for film in catalog.autocomplete(current, limit=CHOICES):
        name = choice_name(catalog.local_title(film, current, locale), film.label(), CHOICE_NAME_LIMIT)
        choices.append(app_commands.Choice(name=name, value=film.title_year()[:CHOICE_NAME_LIMIT]))
    return choices


def words_like(words: Callable[[str], Sequence[str]] | Sequence[str]) -> Autocomplete:
    """An autocomplete offering `words` (or what `words(current)` suggests) that contain what is typed."""
    async def complete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        typed = current.strip().lower()
        found = words(current) if callable(words) else [w for w in words if typed in w.lower()]
        return [app_commands.Choice(name=w, value=w) for w in found if len(w) <= CHOICE_NAME_LIMIT][:CHOICES]

    return complete
