"""A film night's blurb: two or three sentences that invite the server to the film its poll chose.

The model is given the catalog's facts and the film's plot line, and nothing else; its blurb is checked as a review
is (`models.film.grounding`: the people the catalog gives, no story beyond the plot line, no judgement of an aspect,
since no member gave one), with no notes of a member's to draw on. A blurb whose checks leave less than a sentence is
dropped: the event then says only the catalog's facts.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from models.film.catalog import Film
from models.film.grounding import Grounding
from models.tasks.base import Message, Prepared, TaskSpec
from models.text import clean_text, postprocess_text, split_sentences

log = logging.getLogger(__name__)

COMMAND = "filmnight"
MAX_NEW_TOKENS = 120
MIN_CHARS = 20  # a blurb shorter than this after the checks is no blurb

_SYSTEM = """\
You write the short invitation for a film night on a Discord server: two or three plain sentences that say what \
kind of film it is and why it is worth watching together.

Rules:
- Use only the facts and the plot line given. Tell no story beyond the plot line: no scene, twist or ending.
- Name only people the facts give, as the facts spell them.
- Judge nothing in particular (no "great acting", "stunning visuals"): nobody has seen it yet.
- No title line, no hashtags, no emoji, no quotation marks around the blurb."""


# labels the model adds of its own ("**Title:** Alien (1979)", "**Description:**"), and a title line
_LABEL = re.compile(r"\*{0,2}\b(?:Title|Description|Invitation|Film|Blurb)\b\s*[:：]\*{0,2}\s*", re.IGNORECASE)
_TITLE_LINE = re.compile(r"^[^\n.!?。！？]{0,80}\(\d{4}\)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class BlurbInput:
    film: Film
    grounding: Grounding = field(repr=False, compare=False)

    @property
    def title(self) -> str:
        return self.film.title_year()


def build_messages(inp: BlurbInput) -> list[Message]:
    facts = inp.grounding.prompt_facts()
    user = f"Film: {inp.title}\n{facts}\n\nWrite the invitation."
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def postprocess(text: str, inp: BlurbInput) -> str:
    text = postprocess_text(clean_text(text), echo="", strip_heading="Invitation")
    text = _TITLE_LINE.sub("", _LABEL.sub("", text)).strip().strip('"“”')
    checked = " ".join(inp.grounding.check(text).text.split())
    return checked if len(checked) >= MIN_CHARS and len(split_sentences(checked)) >= 1 else ""


SPEC = TaskSpec(name=COMMAND, max_new_tokens=MAX_NEW_TOKENS, build_messages=build_messages, postprocess=postprocess)


def prepare(film: Film, grounding: Grounding) -> Prepared:
    """The blurb's job for `film`; `grounding`: built for it with no notes (`Grounding.for_film(catalog, film, "",
    source="the facts above")`)."""
    inp = BlurbInput(film, grounding)
    return Prepared(COMMAND, SPEC, inp, {"catalog_id": film.id}, film.title_year())
