"""The service layer: for each command, the one place that turns a member's options into a checked job.

A cog (`cogs/`) only translates between Discord and these services; the command line (`cinebot ask`, the console)
calls the same services, so `cinebot ask review` writes the same review as `/review`. A service resolves the film,
builds the facts and the checks of what a reply may say, validates the options (raising `InputError` with a
sentence for the member) and returns a `Prepared` job: the task to run, its input, what is stored with the job,
and the reply's heading. `bot.flow` (Discord) or `bot.cli` then runs it through the queue.

One module per command: `review`, `pitch`, `scene`, `mood`, `films` (/film and /recommend). Nothing here imports
discord or torch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from models.tasks.base import TaskSpec

if TYPE_CHECKING:
    from bot.services.films import FilmService
    from bot.services.mood import MoodService
    from bot.services.review import ReviewService
    from bot.settings import Settings
    from bot.store import Store
    from models.catalog import Catalog
    from models.mood import MoodClassifier

log = logging.getLogger(__name__)

T = TypeVar("T")


def required(part: T | None, missing: str) -> T:
    """`part` of the bot a service needs (the film catalog, the mood classifier); InputError saying `missing`
    when this bot runs without it."""
    if part is None:
        from models.tasks import InputError

        raise InputError(missing)
    return part


@dataclass(frozen=True)
class Prepared:
    """A checked job: what to run (`spec` on `inp`), what is stored with it (`inputs`), and how its reply is
    headed (`title`, and `source`: where the facts come from, for the footer; empty when there are none)."""

    command: str
    spec: TaskSpec
    inp: Any
    inputs: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    source: str = ""


class Services:
    """The services of every command, made once at start-up from what they need."""

    def __init__(self, settings: Settings, *, catalog: Catalog | None = None, mood: MoodClassifier | None = None,
                 store: Store | None = None) -> None:
        from bot.services.films import FilmService
        from bot.services.mood import MoodService
        from bot.services.review import ReviewService

        self.settings = settings
        self.catalog = catalog
        self.review: ReviewService = ReviewService(catalog, mood)
        self.mood: MoodService = MoodService(mood, catalog)
        self.films: FilmService = FilmService(catalog, store)
