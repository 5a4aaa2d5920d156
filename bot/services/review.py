"""/review: the member's notes and rating on a film, to a checked review job.

`ReviewService.prepare` finds the film in the catalog (asking which one when several fit), builds its facts and
the check of what a reply may say (`models.film.grounding`), hands the rating's verdict and the mood classifier's
sentiment to the task (`models.tasks.review`), and validates the options; the job then runs through the queue
(`models.tasks.runner`), which post-checks the reply and writes it once more when it contradicts the rating or too
little is left. `/review`, `cinebot ask review`, the console and the benchmarks all come through here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from bot.services.base import Prepared
from models.film.catalog import Catalog, Film, split_picked, split_year, unresolved
from models.film.grounding import Grounding
from models.llm.jobs import JobQueue
from models.tasks import ReviewInput, runner
from models.tasks import review as review_task
from models.tasks.variants import variant

log = logging.getLogger(__name__)

NOT_IN_CATALOG = "Not in the film catalog: from your notes only"


class Sentiment(Protocol):
    """The shipped mood classifier, as far as a review needs it."""

    def positive(self, texts: Sequence[str]) -> Any: ...


def source_line(film: Film | None) -> str:
    """Where a review's facts come from, for the reply's footer."""
    return f"Catalog: {film.facts_line()}" if film else NOT_IN_CATALOG


class ReviewService:
    """Turns a member's options into a review job (see the module's docstring)."""

    def __init__(self, catalog: Catalog | None, mood: Sentiment | None) -> None:
        self.catalog = catalog
        self.mood = mood

    def _positive(self) -> Callable[[str], float] | None:
        mood = self.mood
        if mood is None:
            return None
        return lambda text: float(mood.positive([text])[0])

    def prepare(self, *, film: str, notes: str, rating: float | None = None, year: int | None = None,
                scale: int | None = None, tone: str | None = None, spoilers: bool = False) -> Prepared:
        """Raises `InputError` with a friendly message for bad options or a title that fits several films."""
        title, year = split_picked(film or "", year)
        known: Film | None = None
        if self.catalog is not None and title.strip():
            resolution = self.catalog.resolve(f"{title} {year}" if year else title)
            if resolution.ambiguous:
                raise unresolved(title, resolution)
            known = resolution.film
            if known is not None:
                title, year = known.title, known.year
            elif year is None:
                title, year = split_year(title)  # "Past Lives 2023": not in the catalog, but the year is the year
        inp = ReviewInput.create(film=title, notes=notes, year=year, rating=rating, scale=scale, tone=tone,
                                 spoilers=spoilers, positive=self._positive())
        if self.catalog is not None:
            inp = replace(inp, grounding=Grounding.for_film(self.catalog, known, inp.notes, inp.rating_text))
        inputs = {"film": inp.film, "year": inp.year, "catalog_id": known.id if known else None, "notes": inp.notes,
                  "rating": inp.rating, "scale": inp.scale, "tone": inp.tone, "spoilers": inp.spoilers}
        heading = inp.title + (f" · {inp.rating_text}" if inp.rating_text else "")
        return Prepared("review", review_task.SPEC, inp, inputs, heading, source_line(known))


async def write_review(queue: JobQueue, catalog: Catalog | None, mood: Sentiment | None, *, film: str, notes: str,
                       rating: float | None = None, year: int | None = None, scale: int | None = None,
                       tone: str | None = None, spoilers: bool = False,
                       preset: str | None = None) -> runner.TaskReply:
    """A checked review, start to end (the benchmarks' entry point; Discord streams through `flow.run`), in one of
    the review presets (`models/tasks/variants.py`; default: as the task is written)."""
    job = ReviewService(catalog, mood).prepare(film=film, notes=notes, rating=rating, year=year, scale=scale,
                                               tone=tone, spoilers=spoilers)
    chosen = variant("review", preset) if preset else None
    return await runner.submit(queue, job.spec, job.inp, variant=chosen).reply()
