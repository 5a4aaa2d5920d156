"""/recommend: films like one you liked, optionally for a mood, from the catalog, nudged by what this server's
members liked in /review."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import CineBot
from bot.flow import NO_PINGS
from bot.store import JobRow
from cogs.film import film_choices
from models.catalog import Catalog, Film, unresolved_message
from models.recommend import MOOD_WORDS, Mood, Recommendation, mood_suggestions, parse_mood, recommend, recommender_for
from models.tasks.text import neutralize_mentions

log = logging.getLogger(__name__)

PICKS = 5
COLOUR = 0x16A085
SERVER_REVIEWS = 50  # the server's best-liked /review jobs that shape the picks
RESOLVED_CACHE = 1024  # review film -> catalog film id, per cog
MOOD_LIMIT = 100
CHOICE_LIMIT = 100
MOOD_HELP = ", ".join(MOOD_WORDS[:12])


class Recommend(commands.Cog):
    def __init__(self, bot: CineBot) -> None:
        self.bot = bot
        self._resolved: OrderedDict[tuple[str, int | None], int | None] = OrderedDict()
        self._resolved_lock = threading.Lock()
        self._warming: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        catalog = self.bot.catalog
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

    @app_commands.command(name="recommend")
    @app_commands.guild_only()
    @app_commands.describe(
        like="A film you liked: pick from the suggestions, or add the year, e.g. Crash 2004",
        mood=f"A mood in a few words, e.g. cozy, dark and funny, not scary (up to {MOOD_LIMIT} characters)",
    )
    async def recommend(self, interaction: discord.Interaction, like: app_commands.Range[str, 1, 200] | None = None,
                        mood: app_commands.Range[str, 1, MOOD_LIMIT] | None = None) -> None:
        """Films from the catalog like one you liked, for a mood, with a reason for each."""
        catalog = self.bot.catalog
        refusal = await self.bot.flow.check(interaction, "recommend")
        if refusal or catalog is None:
            await self.bot.flow.refuse(interaction, refusal or "The film catalog isn't available on this bot.")
            return
        liked: Film | None = None
        if like is not None:
            resolution = catalog.resolve(like, limit=5)
            liked = resolution.film
            if liked is None:
                await self.bot.flow.refuse(interaction, unresolved_message(like, resolution))
                return
        parsed = parse_mood(mood)
        if mood is not None and not parsed.known and liked is None:
            await self.bot.flow.refuse(interaction, neutralize_mentions(
                f"I don't know the mood {mood!r}. Try a few words such as {MOOD_HELP}, or a genre "
                "(sci-fi, western, documentary…); \"not scary\" works too."))
            return
        jobs = await self.bot.store.liked_examples(interaction.guild_id or 0, "review", limit=SERVER_REVIEWS)
        picks = await asyncio.to_thread(self._pick, catalog, liked, parsed, jobs)
        if not picks:
            await self.bot.flow.refuse(interaction, "I couldn't find films to recommend for that. Try another mood.")
            return
        await interaction.response.send_message(embed=recommendation_embed(liked, parsed, picks),
                                                allowed_mentions=NO_PINGS)
        self.bot.flow.mark_used(interaction, "recommend")

    def _pick(self, catalog: Catalog, liked: Film | None, mood: Mood, jobs: Sequence[JobRow]) -> list[Recommendation]:
        """In a worker thread: the server's favourites, then the picks."""
        favourites = self._server_favourites(catalog, jobs)
        return recommend(catalog, liked, mood, favourites, limit=PICKS)

    def _server_favourites(self, catalog: Catalog, jobs: Sequence[JobRow]) -> dict[int, float]:
        """Catalog film id -> how many of this server's well-liked reviews were about it."""
        favourites: dict[int, float] = defaultdict(float)
        for job in jobs:
            title = job.inputs.get("film")
            year = job.inputs.get("year")
            if not isinstance(title, str) or not title.strip():
                continue
            film_id = self._resolve_cached(catalog, title.strip(), year if isinstance(year, int) else None)
            if film_id is not None:
                favourites[film_id] += 1.0
        return dict(favourites)

    def _resolve_cached(self, catalog: Catalog, title: str, year: int | None) -> int | None:
        key = (title, year)
        with self._resolved_lock:
            if key in self._resolved:
                self._resolved.move_to_end(key)
                return self._resolved[key]
        found = catalog.resolve(f"{title} ({year})" if year else title, limit=2).film
        film_id = found.id if found is not None else None
        with self._resolved_lock:
            self._resolved[key] = film_id
            while len(self._resolved) > RESOLVED_CACHE:
                self._resolved.popitem(last=False)
        return film_id

    @recommend.autocomplete("like")
    async def like_autocomplete(self, interaction: discord.Interaction,
                                current: str) -> list[app_commands.Choice[str]]:
        return film_choices(self.bot, current)

    @recommend.autocomplete("mood")
    async def mood_autocomplete(self, interaction: discord.Interaction,
                                current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=w, value=w) for w in mood_suggestions(current[:MOOD_LIMIT])
                if len(w) <= CHOICE_LIMIT]


def _title_year(film: Film) -> str:
    return f"{film.title} ({film.year})" if film.year else film.title


def _a_mood(mood: Mood) -> str:
    label = mood.label()
    return f"{'an' if label[:1] in 'aeiou' else 'a'} {label} mood"


def recommendation_embed(liked: Film | None, mood: Mood, picks: Sequence[Recommendation]) -> discord.Embed:
    """"Because you liked Alien (1979)" / "Films for a cozy mood", one line per pick: "**Title (Year)** — reason"."""
    if liked is not None:
        title = f"Because you liked {_title_year(liked)}"
        if mood.known:
            title += f", for {_a_mood(mood)}"
    elif mood.known:
        title = f"Films for {_a_mood(mood)}"
    else:
        title = "Well-reviewed films to watch"
    lines = [f"**{discord.utils.escape_markdown(_title_year(p.film))}** — {discord.utils.escape_markdown(p.reason)}"
             for p in picks]
    embed = discord.Embed(title=neutralize_mentions(title)[:256], description=neutralize_mentions("\n".join(lines)),
                          colour=COLOUR)
    footer = "From the film catalog (Wikidata, CC0)"
    if mood.unknown:
        footer += f" · mood words I don't know, so left out: {', '.join(mood.unknown)}"
    embed.set_footer(text=neutralize_mentions(footer)[:2048])
    return embed


async def setup(bot: CineBot) -> None:
    await bot.add_cog(Recommend(bot))
