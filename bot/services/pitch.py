"""/pitch: a premise, genre and tone, to a checked pitch job (title, logline, synopsis)."""

from __future__ import annotations

import logging

from bot.services import Prepared
from models.tasks import PitchInput
from models.tasks import pitch as pitch_task

log = logging.getLogger(__name__)


def prepare(*, premise: str, genre: str | None = None, tone: str | None = None) -> Prepared:
    """Raises `InputError` for a premise, genre or tone it cannot use."""
    inp = PitchInput.create(premise=premise, genre=genre, tone=tone)
    inputs = {"premise": inp.premise, "genre": inp.genre, "tone": inp.tone}
    return Prepared("pitch", pitch_task.SPEC, inp, inputs, "Pitch" + (f" · {inp.genre}" if inp.genre else ""))
