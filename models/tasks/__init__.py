"""The four film tasks as prompt builders with their pre- and post-processing.

Each task module has a frozen input dataclass whose ``create(...)`` cleans and validates the
user's input (raising :class:`InputError`), ``build_messages``, ``postprocess`` and a ``SPEC``.
No torch and no model here: the worker runs ``SPEC.build_messages`` through a generator and
hands the raw text to ``SPEC.postprocess``.
"""

from __future__ import annotations

import logging

from models.tasks import mood, pitch, review, scene
from models.tasks.base import Message, TaskSpec
from models.tasks.mood import DiscussionInput, ExplainInput, MoodInput
from models.tasks.pitch import PitchInput
from models.tasks.review import ReviewInput
from models.tasks.scene import SceneInput
from models.text import InputError

log = logging.getLogger(__name__)

SPECS: dict[str, TaskSpec] = {
    "review": review.SPEC,
    "mood": mood.SPEC,
    "mood_channel": mood.CHANNEL_SPEC,
    "scene": scene.SPEC,
    "pitch": pitch.SPEC,
}

__all__ = [
    "SPECS",
    "DiscussionInput",
    "ExplainInput",
    "InputError",
    "Message",
    "MoodInput",
    "PitchInput",
    "ReviewInput",
    "SceneInput",
    "TaskSpec",
]
