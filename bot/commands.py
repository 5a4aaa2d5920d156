"""The registry of cinebot's slash commands: one line a command.

A command is a cog file (`cogs/`: Discord options in, the reply out), usually a task file (`models/tasks/`: the
prompt and its checks) and one line here, which says which cog serves it, its colour, and whether moderators
switch it on and off per channel (with a cooldown). The bot loads the cogs from here, `/cinebot` offers the
moderated commands from here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Command:
    name: str
    cog: str
    colour: int
    moderated: bool = True  # moderators switch it on and off per channel and set its cooldown


COMMANDS: tuple[Command, ...] = (
    Command("review", "cogs.review", 0xE0A526),
    Command("mood", "cogs.mood", 0x5B8DEF),
    Command("scene", "cogs.scene", 0x8E5BD9),
    Command("pitch", "cogs.pitch", 0x2FAE7E),
    Command("film", "cogs.film", 0xC0392B),
    Command("recommend", "cogs.recommend", 0x16A085),
    Command("cinebot", "cogs.admin", 0x4F545C, moderated=False),
)
LISTENERS: tuple[str, ...] = ("cogs.feedback",)  # cogs without a command: reactions become feedback

COGS: tuple[str, ...] = tuple(c.cog for c in COMMANDS) + LISTENERS
MODERATED_COMMANDS: tuple[str, ...] = tuple(c.name for c in COMMANDS if c.moderated)
COLOURS: dict[str, int] = {c.name: c.colour for c in COMMANDS}
