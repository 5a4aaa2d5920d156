"""The service layer: for each command, the one place that turns a member's options into a checked job.

A cog (`cogs/`) only translates between Discord and these services; the command line (`cinebot ask`, the console)
calls the same services, so `cinebot ask review` writes the same review as `/review`. A service resolves the film,
builds the facts and the checks of what a reply may say, validates the options (raising `InputError` with a
sentence for the member) and returns a `Prepared` job: the task to run, its input, what is stored with the job,
and the reply's heading. The request desk (`bot.desk`) then runs it, for Discord (`bot.flow`) or the command line
(`bot.cli`).

One module per command that needs more than its task's own checks: `review` (the catalog's facts and checks),
`scene` (attachments), `mood` (the classifier, a channel's messages), `films` (/film and /recommend: the catalog
and the server's liked reviews), `nights` (/filmnight: times, candidates, the poll's winner, the steps' timers).
A command whose options are its whole input (/pitch) is prepared by its task file
(`models.tasks.pitch.prepare`). Nothing here imports discord or torch.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.services.base import Prepared, required

if TYPE_CHECKING:
    from bot.services.films import FilmService
    from bot.services.mood import MoodService
    from bot.services.nights import NightService
    from bot.services.review import ReviewService
    from bot.settings import Settings
    from bot.store import Store
    from models.film.catalog import Catalog
    from models.mood.classifier import MoodClassifier

log = logging.getLogger(__name__)

__all__ = ["Prepared", "Services", "required"]

class Services:
    """The services of every command, made once at start-up from what they need."""

    def __init__(self, settings: Settings, *, catalog: Catalog | None = None, mood: MoodClassifier | None = None,
                 store: Store | None = None) -> None:
        from bot.services.films import FilmService
        from bot.services.mood import MoodService
        from bot.services.nights import NightService
        from bot.services.review import ReviewService

        self.settings = settings
        self.catalog = catalog
        self.review: ReviewService = ReviewService(catalog, mood)
        self.mood: MoodService = MoodService(mood, catalog)
        self.films: FilmService = FilmService(catalog, store)
        self.nights: NightService = NightService(catalog, store, settings)
