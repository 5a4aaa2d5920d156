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
from bot.flow import Card, locale_of
from bot.i18n import ENGLISH, listed, t
from cogs._common import CommandCog, film_titles, server_command, words_like
from models.film.catalog import Film, normalise
from models.film.recommend import (
    REASON_LIMIT,
    Mood,
    Part,
    Recommendation,
    mood_name,
    mood_suggestions,
    recommender_for,
)
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
            return Card(recommendation_embed(found.liked, found.mood, found.picks, locale_of(interaction)),
                        {"like": like, "mood": mood, "picks": [p.film.id for p in found.picks]},
                        "\n".join(f"{p.film.title_year()}: {p.reason}" for p in found.picks))

        await self.bot.flow.send_card(interaction, "recommend", card)


def _a_mood(mood: Mood) -> str:
    label = mood.label()
    return f"{'an' if label[:1] in 'aeiou' else 'a'} {label} mood"


def _title(liked: Film | None, mood: Mood, locale: str) -> str:
    """"Because you liked Alien (1979), for a cozy mood", "Films for a cozy mood", in `locale`."""
    if locale == ENGLISH:
        if liked is not None:
            return f"Because you liked {liked.title_year()}" + (f", for {_a_mood(mood)}" if mood.known else "")
        return f"Films for {_a_mood(mood)}" if mood.known else "Well-reviewed films to watch"
    label = mood.label(locale)
    if liked is not None:
        if mood.known:
            return t("Because you liked {film}, for a {mood} mood", locale, film=liked.title_year(), mood=label)
        return t("Because you liked {film}", locale, film=liked.title_year())
    if mood.known:
        return t("Films for a {mood} mood", locale, mood=label)
    return t("Well-reviewed films to watch", locale)


def _genres(names: Sequence[str], locale: str) -> str:
    """Catalog genres ("Sci-Fi", "Horror") as `locale` names them, in a list ("科幻和恐怖片")."""
    return listed([mood_name(normalise(name), locale) for name in names], locale)


def _part(part: Part, locale: str) -> str:
    """One piece of a pick's reason in `locale` (`models.film.recommend.Part`)."""
    people, genres = listed(list(part.names), locale), _genres(part.names, locale)
    match part.kind:
        case "directed":
            return t("Also directed by {people}", locale, people=people)
        case "cast":
            return t("with {people}", locale, people=people)
        case "also_cast":
            return t("Also with {people}", locale, people=people)
        case "genres_like":
            return t("{genres} like {film}", locale, genres=genres, film=part.title)
        case "decade":
            return t("also from the {decade}s", locale, decade=part.number)
        case "fits":
            mood = Mood("", names=(part.mood,)).label(locale) if part.mood else ""
            return t("fits a {mood} mood ({genres})", locale, mood=mood, genres=genres)
        case "fits_mood":
            return t("fits the mood ({genres})", locale, genres=genres)
        case "server":
            return t("popular with this server's reviewers", locale)
        case "server_similar":
            return t("close to films this server's reviewers liked", locale)
        case "metacritic":
            return t("critics loved it (Metacritic {score})", locale, score=part.number)
        case "rotten_tomatoes":
            return t("critics loved it (Rotten Tomatoes {score}%)", locale, score=part.number)
        case "genre_pick":
            return t("a {genres} pick", locale, genres=genres)
        case _:
            return t("a well-reviewed pick", locale)


def reason_in(pick: Recommendation, locale: str = ENGLISH) -> str:
    """A pick's one-line reason in `locale` (English: the recommender's own)."""
    if locale == ENGLISH or not pick.parts:
        return pick.reason
    reason = ("；" if locale in ("zh_CN", "zh_TW", "ja") else "; ").join(_part(p, locale) for p in pick.parts)
    reason = reason[:1].upper() + reason[1:]
    return reason if len(reason) <= REASON_LIMIT else reason[: REASON_LIMIT - 1].rstrip() + "…"


def recommendation_embed(liked: Film | None, mood: Mood, picks: Sequence[Recommendation],
                         locale: str = ENGLISH) -> discord.Embed:
    """"Because you liked Alien (1979)" / "Films for a cozy mood", one line per pick: "**Title (Year)** — reason";
    in `locale`."""
    title = _title(liked, mood, locale)
    lines = [f"**{discord.utils.escape_markdown(p.film.title_year())}** — "
             f"{discord.utils.escape_markdown(reason_in(p, locale))}" for p in picks]
    embed = discord.Embed(title=neutralize_mentions(title)[:256], description=neutralize_mentions("\n".join(lines)),
                          colour=COLOURS["recommend"])
    footer = t("From the film catalog (Wikidata, CC0)", locale)
    if mood.unknown:
        footer += " · " + t("mood words I don't know, so left out: {words}", locale, words=", ".join(mood.unknown))
    embed.set_footer(text=neutralize_mentions(footer)[:2048])
    return embed


async def setup(bot: CineBot) -> None:
    await bot.add_cog(Recommend(bot))
