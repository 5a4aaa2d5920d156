"""What the in-process backends share about prompts: chat messages to token ids, and the system prompts whose KV
is worth keeping (a task's system prompt is the same for every job of that task: see `tests/unit/test_tasks.py`).
No torch and no llama.cpp here."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable

from models.llm.protocol import Message

log = logging.getLogger(__name__)

MIN_PREFIX = 16  # shorter system prompts are not worth caching
PREFIX_CANDIDATES = 32


def plain_turns(messages: list[Message], generation_prompt: bool) -> str:
    """The messages as plain text turns, for a base model without a chat template."""
    return "\n\n".join(m["content"] for m in messages) + ("\n\n" if generation_prompt else "")


class PromptEncoder:
    """`StepModel.encode` from a backend's `render` (messages to text, with or without the generation prompt) and
    `tokens` (text to ids). It notes the ids of the system prompts that prompts start with (the latest
    `PREFIX_CANDIDATES`), so that `longest_prefix` tells the backend which KV a new prompt can reuse."""

    def __init__(self, render: Callable[[list[Message], bool], str], tokens: Callable[[str], list[int]]) -> None:
        self._render = render
        self._tokens = tokens
        self._systems: OrderedDict[tuple[int, ...], None] = OrderedDict()

    def encode(self, messages: list[Message], prefix: str = "") -> list[int]:
        ids = self._tokens(self._render(messages, True) + prefix)
        if len(messages) > 1 and messages[0].get("role") == "system":
            system = tuple(self._tokens(self._render(messages[:1], False)))
            if len(system) >= MIN_PREFIX and tuple(ids[: len(system)]) == system:
                self._systems[system] = None
                self._systems.move_to_end(system)
                while len(self._systems) > PREFIX_CANDIDATES:
                    self._systems.popitem(last=False)
        return ids

    def longest_prefix(self, prompt: list[int]) -> tuple[int, ...] | None:
        """The longest noted system prompt that `prompt` starts with (and goes on after), or None."""
        best: tuple[int, ...] | None = None
        for system in self._systems:
            if (
                len(system) < len(prompt)
                and (best is None or len(system) > len(best))
                and tuple(prompt[: len(system)]) == system
            ):
                best = system
        return best
