"""The registry of cinebot's slash commands: one line a command.

A command is a cog file (`cogs/`: Discord options in, the reply out), usually a task file (`models/tasks/`: the
prompt and its checks) and one line here, which says which cog serves it, its colour, and whether moderators
switch it on and off per channel (with a cooldown). The bot loads the cogs from here, `/cinebot` offers the
moderated commands from here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.services import Services
    from models.tasks.base import Prepared

log = logging.getLogger(__name__)

# a command's options (named as the slash command names them) -> its checked job, through the bot's services
Preparer = Callable[["Services", Mapping[str, Any]], "Prepared"]


def _review(services: Services, options: Mapping[str, Any]) -> Prepared:
    return services.review.prepare(film=options["film"], notes=options["notes"], rating=options.get("rating"),
                                   scale=options.get("scale"), year=options.get("year"), tone=options.get("tone"),
                                   spoilers=bool(options.get("spoilers")))


def _scene(services: Services, options: Mapping[str, Any]) -> Prepared:
    from bot.services import scene

    if options.get("file") is not None:  # (file name, bytes): an attachment, or a file on the command line
        return scene.prepare(file=options["file"], start=options.get("start"),
                             max_bytes=services.settings.max_attachment_kb * 1024)
    return scene.prepare(excerpt=options["excerpt"])


def _pitch(services: Services, options: Mapping[str, Any]) -> Prepared:
    from models.tasks import pitch

    return pitch.prepare(premise=options["premise"], genre=options.get("genre"), tone=options.get("tone"))


@dataclass(frozen=True)
class Command:
    name: str
    cog: str
    colour: int
    moderated: bool = True  # moderators switch it on and off per channel and set its cooldown
    # its options -> its job, where the options are its whole request (the command line, the console, 🔁 and a
    # restart prepare it here); None where the request needs Discord or is no job (a channel's /mood, the cards)
    prepare: Preparer | None = None


COMMANDS: tuple[Command, ...] = (
    Command("review", "cogs.review", 0xE0A526, prepare=_review),
    Command("mood", "cogs.mood", 0x5B8DEF),
    Command("scene", "cogs.scene", 0x8E5BD9, prepare=_scene),
    Command("pitch", "cogs.pitch", 0x2FAE7E, prepare=_pitch),
    Command("film", "cogs.film", 0xC0392B),
    Command("recommend", "cogs.recommend", 0x16A085),
    Command("filmnight", "cogs.filmnight", 0xB9770E),
    Command("cinebot", "cogs.admin", 0x4F545C, moderated=False),
)
LISTENERS: tuple[str, ...] = ("cogs.feedback",)  # cogs without a command: reactions become feedback

COGS: tuple[str, ...] = tuple(c.cog for c in COMMANDS) + LISTENERS
MODERATED_COMMANDS: tuple[str, ...] = tuple(c.name for c in COMMANDS if c.moderated)
COLOURS: dict[str, int] = {c.name: c.colour for c in COMMANDS}
PREPARERS: dict[str, Preparer] = {c.name: c.prepare for c in COMMANDS if c.prepare is not None}


def prepare(services: Services, command: str, options: Mapping[str, Any]) -> Prepared | None:
    """`command`'s job from its options (raises InputError for bad ones); None for a command this table cannot
    prepare from options alone."""
    preparer = PREPARERS.get(command)
    return preparer(services, options) if preparer is not None else None
