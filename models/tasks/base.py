"""Shared types for the film tasks: chat messages and the task spec (the input error is `models.text.InputError`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

Message = dict[str, str]
OWN_WORDS = ("notes", "premise", "excerpt", "text")  # the options that hold a member's own words
"""One chat message: ``{"role": "system" | "user" | "assistant", "content": str}``."""


@dataclass(frozen=True)
class TaskSpec:
    """What the worker needs to run one task: its name, its token budget, its prompt and post-processing.

    ``build_messages`` and ``postprocess`` take the task's input dataclass (``ReviewInput`` etc.).
    """

    name: str
    max_new_tokens: int
    build_messages: Callable[[Any], list[Message]]
    postprocess: Callable[[str, Any], str]
    prime: str = ""  # the start of the answer, written for the model (e.g. "I" for a first-person review)
    # a firmer start for the one retry after a refusal ("I'm sorry, but I can't assist with that")
    retry_prime: Callable[[Any], str] | None = None
    # after the reply is written: is it good enough? Given the text shown, the model's raw text and the input (run
    # off the event loop; it may run a classifier)
    assess: Callable[[str, str, Any], Assessment] | None = None
    # when it is not: a note for the prompt that names what was wrong, and a start for the answer, for one more try
    # (the better one is kept)
    firmer: Callable[[Any, Assessment], tuple[str, str]] | None = None
    # after the second try: the two texts (first, second) made one, where the task has parts that each draft may
    # have lost (/scene's sections); kept when it scores better than both
    merge: Callable[[str, str, Any], str] | None = None
    # after the tries: the parts the kept reply still lacks, each as a note for the prompt and a start for a short
    # request of its own (/scene's sections the checks emptied); `fill` puts the texts written for them in, and the
    # result is kept when it scores better
    gaps: Callable[[str, Any], list[tuple[str, str]]] | None = None
    fill: Callable[[str, list[str], Any], str] | None = None
    gap_tokens: int = 80
    # the bold labels the model is told to write ("Title" for "**Title:**"): the checks read them in English, and
    # the runner shows them in the reply's language at the end (`runner.relabel`)
    labels: tuple[str, ...] = ()
    # a reply in another language than English: what else the model is told for it, given the input and the
    # language's locale (/review: the film's title in that language, "" when the catalog knows none)
    in_language: Callable[[Any, str], str] | None = None


@dataclass(frozen=True)
class Assessment:
    """How good a finished reply is: `ok` or not (then `reason`), a score to keep the better of two, and what was
    wrong in words a prompt can name (`problems`)."""

    ok: bool
    score: float
    reason: str = ""
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Prepared:
    """A checked job, ready for the queue: what to run (`spec` on `inp`), what is stored with it (`inputs`), and how
    its reply is headed (`title`, and `source`: where the facts come from, for the footer; empty when none).
    `command` is what moderators switch on and off, and what the job is stored as."""

    command: str
    spec: TaskSpec
    inp: Any
    inputs: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    source: str = ""
    # the member's own words where the options do not hold them (a channel's messages that /mood reads): the reply is
    # written in their language (`words`)
    said: str = ""

    @property
    def words(self) -> str:
        """The member's own words in the request (notes, premise, excerpt, the text read), whose language the reply
        is written in."""
        if self.said:
            return self.said
        return "\n".join(str(self.inputs[key]) for key in OWN_WORDS if isinstance(self.inputs.get(key), str))
