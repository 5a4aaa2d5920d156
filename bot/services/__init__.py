"""The service layer: for each command, the one place that turns a member's options into a checked job.

A cog (`cogs/`) only translates between Discord and these services; the command line (`cinebot ask`, the console)
calls the same services, so `cinebot ask review` writes the same review as `/review`. A service resolves the film,
builds the facts and the checks of what a reply may say, validates the options (raising `InputError` with a
sentence for the member) and returns a `Prepared` job: the task to run, its input, what is stored with the job,
and the reply's heading. `bot.flow` (Discord) or `bot.cli` then runs it through the queue.

One module per command that needs more than its task's own checks: `review` (the catalog's facts and checks),
`scene` (attachments), `mood` (the classifier, a channel's messages), `films` (/film and /recommend: the catalog
and the server's liked reviews). A command whose options are its whole input (/pitch) is prepared by its task file
(`models.tasks.pitch.prepare`). Nothing here imports discord or torch.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, TypeVar

from models.tasks.base import Prepared

if TYPE_CHECKING:
    from bot.services.films import FilmService
    from bot.services.mood import MoodService
    from bot.services.review import ReviewService
    from bot.settings import Settings
    from bot.store import Store
    from models.catalog import Catalog
    from models.mood import MoodClassifier

log = logging.getLogger(__name__)

__all__ = ["Prepared", "Services", "required"]

T = TypeVar("T")


def required(part: T | None, missing: str) -> T:
    """`part` of the bot a service needs (the film catalog, the mood classifier); InputError saying `missing`
    when this bot runs without it."""
    if part is None:
        from models.tasks import InputError

        raise InputError(missing)
    return part


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

    def rebuild(self, command: str, inputs: dict[str, Any]) -> Prepared | None:
        """A stored job's request prepared again (for another take, 🔁); None for a command that cannot be
        (a channel's /mood, the catalog's cards)."""
        from bot.services import scene
        from models.tasks import pitch

        if command == "review":
            return self.review.prepare(film=inputs["film"], notes=inputs["notes"], rating=inputs.get("rating"),
                                       year=inputs.get("year"), scale=inputs.get("scale"), tone=inputs.get("tone"),
                                       spoilers=bool(inputs.get("spoilers")))
        if command == "pitch":
            return pitch.prepare(premise=inputs["premise"], genre=inputs.get("genre"), tone=inputs.get("tone"))
        if command == "scene":
            return scene.prepare(excerpt=inputs["excerpt"])
        return None
