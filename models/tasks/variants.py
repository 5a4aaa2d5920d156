"""Reply variants: named, readable presets of how a reply is written (length, tone, structure), among which the
bot learns, per server and command, what its members like (`bot/learning.py`).

A variant adds a sentence to the request, caps the reply's length, and may finish the text in a fixed way (no
exclamation marks; the rating stated first). `standard` is the task as it is written, and what a server gets before
its members have reacted to anything.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, fields, replace
from typing import Any

from models.text import split_sentences

log = logging.getLogger(__name__)

STANDARD = "standard"
_BANG = re.compile(r"!+")


def _exclaim(text: str) -> str:
    """The first sentence ending in an exclamation mark instead of a full stop ("Dr.", "4.5" are not ends)."""
    sentences = split_sentences(text.lstrip().split("\n", 1)[0])
    first = sentences[0] if sentences else ""
    if not first.endswith(".") or first.endswith(".."):
        return text
    return text.replace(first, first[:-1] + "!", 1)


def _within(text: str, limit: int) -> str:
    """`text` up to the last whole sentence that keeps it within `limit` words (the first sentence at least), its
    paragraphs as they were. A model asked for "about 50 words" may write to its token cap."""
    lines: list[str] = []
    count = 0
    for line in text.split("\n"):
        kept: list[str] = []
        for sentence in split_sentences(line):
            words = len(sentence.split())
            if count and count + words > limit:
                lines.append(" ".join(kept))
                return "\n".join(lines).strip()
            kept.append(sentence)
            count += words
        lines.append(" ".join(kept))
    return "\n".join(lines).strip()


@dataclass(frozen=True)
class Variant:
    name: str
    described: str  # what a moderator reads in /cinebot show
    note: str = ""  # added to the request
    max_new_tokens: int | None = None  # a tighter cap than the task's
    min_words: int | None = None  # below this a review is written again (the task's own minimum otherwise)
    calm: bool = False  # no exclamation marks
    states_rating: bool = False  # a reply that does not give the member's rating opens with it
    exclaims: bool = False  # the opening sentence ends with an exclamation mark
    max_words: int | None = None  # a longer reply ends with the last whole sentence within this many words

    def fit(self, inp: Any) -> Any:
        """The task's input with this variant's minimum length, where the input has one."""
        if self.min_words is not None and "min_words" in {f.name for f in fields(inp)}:
            return replace(inp, min_words=self.min_words)
        return inp

    def finish(self, text: str, inp: Any) -> str:
        """The reply as this variant shapes it after the task's own post-processing."""
        if not text:
            return text
        if self.max_words is not None:
            text = _within(text, self.max_words)
        if self.calm:
            text = _BANG.sub(".", text)
        if self.exclaims and "!" not in text:
            text = _exclaim(text)
        rating = getattr(inp, "rating_text", None)
        if self.states_rating and rating and rating not in text:
            text = f"{rating}. {text.lstrip()}"
        return text


_STANDARD = Variant(STANDARD, "as the task writes it (about 150-250 words)")
VARIANTS: dict[str, tuple[Variant, ...]] = {
    "review": (
        _STANDARD,
        Variant("brief", "about 50 words, calm, states the rating",
                "\n\nKeep it short: about 50 words in one paragraph, plain and calm, no exclamation marks.",
                max_new_tokens=90, min_words=20, calm=True, states_rating=True, max_words=60),
        Variant("lively", "about 200 words, enthusiastic, opens with an exclamation",
                "\n\nWrite it with energy and enthusiasm, about 200 words in two or three paragraphs; let the "
                "excitement show (exclamation marks are welcome).", exclaims=True),
        Variant("measured", "about 120 words, even-toned, no exclamation marks",
                "\n\nWrite about 120 words in an even, thoughtful tone, with no exclamation marks.",
                max_new_tokens=200, min_words=40, calm=True, max_words=150),
    ),
    "pitch": (
        _STANDARD,
        Variant("brief", "title and logline, a two-sentence synopsis",
                "\n\nKeep it tight: the synopsis in two sentences.", max_new_tokens=120, calm=True),
        Variant("lively", "a punchy, excited pitch",
                "\n\nPitch it with excitement, as if to a studio head: vivid and punchy."),
    ),
    "scene": (
        _STANDARD,
        Variant("brief", "each section in one sentence",
                "\n\nKeep each section to one sentence.", max_new_tokens=180, calm=True),
        Variant("cinematic", "rich, vivid detail in each section",
                "\n\nBe generous with concrete, vivid detail in each section."),
    ),
}


def variants_for(command: str) -> tuple[Variant, ...]:
    """The variants a command's replies can take (only `standard` for a command without presets)."""
    return VARIANTS.get(command, (_STANDARD,))


def variant(command: str, name: str | None) -> Variant:
    """The variant `name` of `command`; `standard` for an unknown or missing name."""
    return next((v for v in variants_for(command) if v.name == name), _STANDARD)
