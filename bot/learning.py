"""What each server's members like, learned from their reactions: which reply variant to write in.

For every server and command with presets (`models/tasks/variants.py`), each variant's record is the number of its
replies that members rated up and down (net reaction score above / below 0, from the store; a server's moderators
can make a command forget). The next reply's variant is drawn by Thompson sampling: a draw from each variant's
Beta(1 + liked, 1 + disliked), the highest wins; `standard` starts with two likes in hand, so a new server mostly
gets the task as it is written until its members' reactions say otherwise. Other variants get tried, and within a
few dozen reactions the liked ones win almost every draw. Exploration is bounded: a variant whose record is
clearly worse than the best one (its upper bound, mean + 2 standard deviations, below the best's lower bound,
mean - 2 sd) is no longer drawn, so a member rarely gets a variant the server has shown it dislikes. A server
never learns from another's reactions.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass

from bot.store import Store
from models.tasks.variants import STANDARD, Variant, variants_for

log = logging.getLogger(__name__)

PRIOR_LIKES = {STANDARD: 2}  # what a variant is credited with before any reaction


@dataclass(frozen=True)
class Standing:
    """One variant's record in a server: how many of its replies were liked and disliked, and what that says."""

    variant: Variant
    liked: int
    disliked: int
    retired: bool = False

    @property
    def rated(self) -> int:
        return self.liked + self.disliked

    @property
    def alpha(self) -> float:
        return 1 + self.liked + PRIOR_LIKES.get(self.variant.name, 0)

    @property
    def beta(self) -> float:
        return 1 + self.disliked

    @property
    def mean(self) -> float:
        """The posterior mean of the share of its replies members like (0.5 before any rating; 0.75 for
        `standard`)."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def spread(self) -> float:
        a, b = self.alpha, self.beta
        return math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))


def standings(command: str, record: dict[str, tuple[int, int]]) -> list[Standing]:
    """Every variant of `command` with its record; the clearly worse ones marked retired."""
    rows = [Standing(v, *record.get(v.name, (0, 0))) for v in variants_for(command)]
    best = max(rows, key=lambda s: s.mean - 2 * s.spread)
    floor = best.mean - 2 * best.spread
    return [Standing(s.variant, s.liked, s.disliked, retired=s is not best and s.mean + 2 * s.spread < floor)
            for s in rows]


class Learner:
    """Picks the variant of each reply (see the module's docstring)."""

    def __init__(self, store: Store, rng: random.Random | None = None) -> None:
        self.store = store
        self.rng = rng or random.Random()

    async def standings(self, guild_id: int, command: str) -> list[Standing]:
        return standings(command, await self.store.variant_record(guild_id, command))

    async def choose(self, guild_id: int | None, command: str, *, besides: str | None = None) -> Variant:
        """The variant for the next reply in this server (`besides`: not this one, for another take)."""
        choices = variants_for(command)
        if guild_id is None or len(choices) < 2:
            return choices[0]
        pool = [s for s in await self.standings(guild_id, command) if s.variant.name != besides]
        live = [s for s in pool if not s.retired] or pool
        drawn = max(live, key=lambda s: self.rng.betavariate(s.alpha, s.beta))
        return drawn.variant
