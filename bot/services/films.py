"""/film and /recommend: the film catalog's answers, with no language model.

`find` resolves a title (or says it is not in the catalog and how to add it, or asks which film when several
fit); `recommend` picks films like one the member liked, for a mood, nudged towards the films this server's
members liked in /review (their reviews' catalog ids, from the store).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.services.base import required
from models.film.catalog import Catalog, Film, unresolved
from models.film.recommend import MOOD_WORDS, Mood, Recommendation, parse_mood, recommend
from models.tasks import InputError

if TYPE_CHECKING:
    from bot.store import JobRow, Store

log = logging.getLogger(__name__)

PICKS = 5
SERVER_REVIEWS = 50  # the server's best-liked /review jobs that shape the picks
MOOD_HELP = ", ".join(MOOD_WORDS[:12])


def no_catalog() -> InputError:
    return InputError("The film catalog isn't available on this bot.")


@dataclass(frozen=True)
class Picks:
    """What /recommend answers: the film liked (if any), the mood as understood, and the picks."""

    liked: Film | None
    mood: Mood
    picks: list[Recommendation]


class FilmService:
    """See the module's docstring."""

    def __init__(self, catalog: Catalog | None, store: Store | None) -> None:
        self.catalog = catalog
        self.store = store

    def find(self, title: str) -> Film:
        """The catalog film `title` names; InputError (not in the catalog / which one?) otherwise."""
        resolution = required(self.catalog, no_catalog).resolve(title, limit=5)
        if resolution.film is None:
            raise unresolved(title, resolution)
        return resolution.film

    async def recommend(self, guild_id: int, like: str | None, mood: str | None) -> Picks:
        catalog = required(self.catalog, no_catalog)
        liked = self.find(like) if like is not None else None
        parsed = parse_mood(mood)
        if mood is not None and not parsed.known and liked is None:
            raise InputError("I don't know the mood {mood}. Try a few words such as {words}, or a genre (sci-fi, "
                             "western, documentary…); \"not scary\" works too.", mood=repr(mood), words=MOOD_HELP)
        jobs = await self.store.liked_examples(guild_id, "review", limit=SERVER_REVIEWS) if self.store else []
        picks = await asyncio.to_thread(self._pick, catalog, liked, parsed, jobs)
        if not picks:
            raise InputError("I couldn't find films to recommend for that. Try another mood.")
        return Picks(liked, parsed, picks)

    @staticmethod
    def _pick(catalog: Catalog, liked: Film | None, mood: Mood, jobs: Sequence[JobRow]) -> list[Recommendation]:
        """In a worker thread: the server's favourites (film id -> how many well-liked reviews), then the picks."""
        favourites: dict[int, float] = defaultdict(float)
        for job in jobs:
            film_id = job.inputs.get("catalog_id")
            if not isinstance(film_id, int):  # a review from before reviews kept their catalog id
                title, year = job.inputs.get("film"), job.inputs.get("year")
                if not isinstance(title, str) or not title.strip():
                    continue
                found = catalog.resolve(f"{title} ({year})" if isinstance(year, int) else title, limit=2).film
                film_id = found.id if found is not None else None
            if film_id is not None and catalog.get(film_id) is not None:
                favourites[film_id] += 1.0
        return recommend(catalog, liked, mood, dict(favourites), limit=PICKS)
