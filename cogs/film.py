"""/film: a card with the catalog's facts about a film."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.commands import COLOURS
from bot.core import CineBot
from bot.flow import Card, locale_of
from bot.i18n import t
from cogs._common import CommandCog, film_titles, server_command
from models.film.catalog import Film
from models.text import neutralize_mentions

log = logging.getLogger(__name__)

def film_card(film: Film, locale: str) -> discord.Embed:
    """The catalog's facts about `film`, labelled in `locale` (the facts themselves are the catalog's)."""
    embed = discord.Embed(title=neutralize_mentions(film.title_year())[:256], colour=COLOURS["film"])
    fields = [
        (t("Directed by", locale), ", ".join(film.directors)),
        (t("Written by", locale), ", ".join(film.writers[:6])),
        (t("Genre", locale), ", ".join(film.genres)),
        (t("Runtime", locale), t("{minutes} min", locale, minutes=film.runtime) if film.runtime else ""),
        (t("Language", locale), ", ".join(film.languages)),
        (t("Country", locale), ", ".join(film.countries)),
        ("Metacritic", str(film.metacritic) if film.metacritic is not None else ""),
        ("Rotten Tomatoes", f"{film.rt_meter}%" if film.rt_meter is not None else ""),
    ]
    for name, value in fields:
        if value:
            embed.add_field(name=name, value=neutralize_mentions(value)[:1024], inline=True)
    if film.cast:
        cast = ", ".join(film.cast[:12]) + (" …" if len(film.cast) > 12 else "")
        embed.add_field(name=t("Cast (A-Z)", locale), value=neutralize_mentions(cast)[:1024], inline=False)
    if film.user_added:
        embed.set_footer(text=t("Film catalog: added by this server", locale))
    else:
        embed.set_footer(text=t("Film catalog: Wikidata (CC0)", locale))
    return embed


class FilmCog(CommandCog):
    @server_command("film", title="The film's title; pick from the suggestions, or add the year, e.g. Crash 2004")
    @app_commands.autocomplete(title=film_titles)
    async def film(self, interaction: discord.Interaction, title: app_commands.Range[str, 1, 200]) -> None:
        """A card with the facts about a film: director, writers, cast, runtime, critics' scores."""
        async def card() -> Card:
            film = self.bot.services.films.find(title)
            return Card(film_card(film, locale_of(interaction)), {"title": title, "catalog_id": film.id},
                        film.facts_line())

        await self.bot.flow.send_card(interaction, "film", card)


async def setup(bot: CineBot) -> None:
    await bot.add_cog(FilmCog(bot))
