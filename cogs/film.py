"""/film: a card with the catalog's facts about a film, and film-title autocomplete for the other commands."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import CineBot
from bot.flow import NO_PINGS
from models.catalog import Film, unresolved_message
from models.tasks.text import neutralize_mentions

log = logging.getLogger(__name__)

CHOICE_NAME_LIMIT = 100  # Discord's limit for an autocomplete choice's name


def film_choices(bot: CineBot, current: str) -> list[app_commands.Choice[str]]:
    """Up to 25 catalog films for what the member has typed so far, as "Title (Year), Director"."""
    if bot.catalog is None or not current.strip():
        return []
    films = bot.catalog.autocomplete(current, limit=25)
    choices = []
    for film in films:
        name = film.label()
        if len(name) > CHOICE_NAME_LIMIT:
            name = name[: CHOICE_NAME_LIMIT - 1] + "…"
        value = f"{film.title} ({film.year})" if film.year else film.title
        choices.append(app_commands.Choice(name=name, value=value[:CHOICE_NAME_LIMIT]))
    return choices


def film_card(film: Film) -> discord.Embed:
    title = f"{film.title} ({film.year})" if film.year else film.title
    embed = discord.Embed(title=neutralize_mentions(title)[:256], colour=0xC0392B)
    fields = [
        ("Directed by", ", ".join(film.directors)),
        ("Written by", ", ".join(film.writers[:6])),
        ("Genre", ", ".join(film.genres)),
        ("Runtime", f"{film.runtime} min" if film.runtime else ""),
        ("Language", ", ".join(film.languages)),
        ("Country", ", ".join(film.countries)),
        ("Metacritic", str(film.metacritic) if film.metacritic is not None else ""),
        ("Rotten Tomatoes", f"{film.rt_meter}%" if film.rt_meter is not None else ""),
        ("Cast (A-Z)", ", ".join(film.cast[:12]) + (" …" if len(film.cast) > 12 else "")),
    ]
    for name, value in fields:
        if value:
            embed.add_field(name=name, value=neutralize_mentions(value)[:1024], inline=name != "Cast (A-Z)")
    source = "added by this server" if film.user_added else "Wikidata (CC0)"
    embed.set_footer(text=f"Film catalog: {source}")
    return embed


class FilmCog(commands.Cog):
    def __init__(self, bot: CineBot) -> None:
        self.bot = bot

    @app_commands.command(name="film")
    @app_commands.guild_only()
    @app_commands.describe(title="The film's title; pick from the suggestions, or add the year, e.g. Crash 2004")
    async def film(self, interaction: discord.Interaction, title: app_commands.Range[str, 1, 200]) -> None:
        """A card with the facts about a film: director, writers, cast, runtime, critics' scores."""
        refusal = await self.bot.flow.check(interaction, "film")
        if refusal or self.bot.catalog is None:
            await self.bot.flow.refuse(interaction, refusal or "The film catalog isn't available on this bot.")
            return
        resolution = self.bot.catalog.resolve(title, limit=5)
        film = resolution.film
        if film is None:
            await self.bot.flow.refuse(interaction, unresolved_message(title, resolution))
            return
        await interaction.response.send_message(embed=film_card(film), allowed_mentions=NO_PINGS)
        self.bot.flow.mark_used(interaction, "film")

    @film.autocomplete("title")
    async def title_autocomplete(self, interaction: discord.Interaction,
                                 current: str) -> list[app_commands.Choice[str]]:
        return film_choices(self.bot, current)


async def setup(bot: CineBot) -> None:
    await bot.add_cog(FilmCog(bot))
