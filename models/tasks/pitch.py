"""/pitch: turn a premise into a film pitch (title, one-sentence logline, short synopsis)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from models.tasks.base import Message, Prepared, TaskSpec
from models.tasks.text import (
    bold_labels,
    clean_text,
    optional_text,
    postprocess_text,
    require_text,
    split_sentences,
)

log = logging.getLogger(__name__)

COMMAND = "pitch"
PREMISE_LIMIT = 1000
PREMISE_MIN = 10
GENRE_LIMIT = 60
TONE_LIMIT = 60
MAX_NEW_TOKENS = 300
LABELS = ("Title", "Logline", "Synopsis")

_LOGLINE_RE = re.compile(r"^\*\*Logline:\*\*\s*(.*)$", re.MULTILINE)
_TITLE_RE = re.compile(r"^(\*\*Title:\*\*\s*)(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class PitchInput:
    premise: str
    genre: str | None = None
    tone: str | None = None

    @classmethod
    def create(cls, premise: str | None, genre: str | None = None, tone: str | None = None) -> PitchInput:
        return cls(
            premise=require_text(
                premise, field="premise", command=COMMAND, limit=PREMISE_LIMIT, min_chars=PREMISE_MIN
            ),
            genre=optional_text(genre, field="genre", command=COMMAND, limit=GENRE_LIMIT),
            tone=optional_text(tone, field="tone", command=COMMAND, limit=TONE_LIMIT),
        )


_SYSTEM = """\
You are a film development writer. You turn a premise into a short, exciting pitch for a new, original film.

Answer in exactly this format, with these three bold labels and nothing else:
**Title:** <an original title of one to five words>
**Logline:** <one sentence that names the protagonist, their goal and what stands in the way>
**Synopsis:** <one paragraph of 80 to 150 words: the setup, the main conflict and the stakes>

Rules:
- Keep the premise's core idea, characters and setting; build on them, do not replace them.
- Follow the genre and tone the member asks for; where they give none, pick what suits the premise best.
- The logline is exactly one sentence.
- Do not name real actors, directors or other real people.
- No extra sections, no notes, no commentary before or after the pitch."""


def _user_content(inp: PitchInput) -> str:
    lines = [f"Premise: {inp.premise}"]
    if inp.genre:
        lines.append(f"Genre: {inp.genre}")
    if inp.tone:
        lines.append(f"Tone: {inp.tone}")
    return "\n".join(lines)


def build_messages(inp: PitchInput) -> list[Message]:
    # the system prompt is the same for every pitch, so the worker's prefix cache can share it
    user = _user_content(inp) + "\n\nWrite the pitch."
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def _one_sentence_logline(text: str) -> str:
    """Keep only the logline's first sentence; extra sentences become the synopsis if there is none."""
    m = _LOGLINE_RE.search(text)
    if not m:
        return text
    sentences = split_sentences(m.group(1))
    if len(sentences) <= 1:
        return text
    logline = f"**Logline:** {sentences[0]}"
    rest = " ".join(sentences[1:])
    if "**Synopsis:**" not in text:
        logline += f"\n**Synopsis:** {rest}"
    return text[: m.start()] + logline + text[m.end() :]


def _unquote_title(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        title = m.group(2).strip()
        if len(title) >= 2 and title[0] in "\"'“‘*_" and title[-1] in "\"'”’*_":
            title = title[1:-1].strip()
        return m.group(1) + title

    return _TITLE_RE.sub(repl, text, count=1)


def postprocess(text: str, inp: PitchInput) -> str:
    text = bold_labels(clean_text(text), LABELS)
    text = postprocess_text(text, echo=_user_content(inp), strip_heading="Pitch")
    text = _one_sentence_logline(text)
    return _unquote_title(text)


SPEC = TaskSpec(
    name=COMMAND, max_new_tokens=MAX_NEW_TOKENS, build_messages=build_messages, postprocess=postprocess,
    retry_prime=lambda inp: "**Title:**",
)


def prepare(*, premise: str, genre: str | None = None, tone: str | None = None) -> Prepared:
    """/pitch's checked job (the options are its whole input); raises `InputError` for one it cannot use."""
    inp = PitchInput.create(premise=premise, genre=genre, tone=tone)
    inputs = {"premise": inp.premise, "genre": inp.genre, "tone": inp.tone}
    return Prepared("pitch", SPEC, inp, inputs, "Pitch" + (f" · {inp.genre}" if inp.genre else ""))
