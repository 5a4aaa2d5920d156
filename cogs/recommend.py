"""/recommend: films like one you liked, optionally for a mood, from the catalog, nudged by what this server's
members liked in /review."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import discord
from discord import app_commands

from bot.commands import COLOURS
from bot.core import CineBot
from bot.flow import Card
from cogs._common import CommandCog, film_titles, server_command, words_like
from models.film.catalog import Film
from models.film.recommend import Mood, Recommendation, mood_suggestions, recommender_for
from models.text import neutralize_mentions

log = logging.getLogger(__name__)

MOOD_LIMIT = 100


class Recommend(CommandCog):
    def __init__(self, bot: CineBot) -> None:
        super().__init__(bot)
        self._warming: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        catalog = self.bot.services.catalog
        if catalog is not None:  # the feature table takes ~0.5 s to build: do it now, off the event loop
            self._warming = asyncio.create_task(asyncio.to_thread(recommender_for(catalog).warm))
            self._warming.add_done_callback(self._warmed)

    async def cog_unload(self) -> None:
        if self._warming is not None:
            self._warming.cancel()

    @staticmethod
    def _warmed(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("recommend: building the feature table failed", exc_info=task.exception())

    @server_command(
        "recommend",
        like="A film you liked: pick from the suggestions, or add the year, e.g. Crash 2004",
        mood=f"A mood in a few words, e.g. cozy, dark and funny, not scary (up to {MOOD_LIMIT} characters)",
    )
    @app_commands.autocomplete(like=film_titles, mood=words_like(lambda typed: mood_suggestions(typed[:MOOD_LIMIT])))
    async def recommend(self, interaction: discord.Interaction, like: app_commands.Range[str, 1, 200] | None = None,
                        mood: app_commands.Range[str, 1, MOOD_LIMIT] | None = None) -> None:
        """Films from the catalog like one you liked, for a mood, with a reason for each."""
        async def card() -> Card:
            found = await self.bot.services.films.recommend(interaction.guild_id or 0, like, mood)
            return Card(recommendation_embed(found.liked, found.mood, found.picks),
                        {"like": like, "mood": mood, "picks": [p.film.id for p in found.picks]},
                        "\n".join(f"{p.film.title_year()}: {p.reason}" for p in found.picks))

        await self.bot.flow.send_card(interaction, "recommend", card)


def _a_mood(mood: Mood) -> str:
    label = mood.label()
    return f"{'an' if label[:1] in 'aeiou' else 'a'} {label} mood"


def recommendation_embed(liked: Film | None, mood: Mood, picks: Sequence[Recommendation]) -> discord.Embed:
    """"Because you liked Alien (1979)" / "Films for a cozy mood", one line per pick: "**Title (Year)** — reason"."""
    if liked is not None:
        title = f"Because you liked {liked.title_year()}"
        if mood.known:
            title += f", for {_a_mood(mood)}"
    elif mood.known:
        title = f"Films for {_a_mood(mood)}"
    else:
        title = "Well-reviewed films to watch"
    lines = [f"**{discord.utils.escape_markdown(p.film.title_year())}** — {discord.utils.escape_markdown(p.reason)}"
             for p in picks]
    embed = discord.Embed(title=neutralize_mentions(title)[:256], description=neutralize_mentions("\n".join(lines)),
                          colour=COLOURS["recommend"])
    footer = "From the film catalog (Wikidata, CC0)"
    if mood.unknown:
        footer += f" · mood words I don't know, so left out: {', '.join(mood.unknown)}"
    embed.set_footer(text=neutralize_mentions(footer)[:2048])
    return embed


async def setup(bot: CineBot) -> None:
    await bot.add_cog(Recommend(bot))
