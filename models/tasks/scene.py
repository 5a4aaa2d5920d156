"""/scene: describe how a screenplay excerpt plays on screen (setting, blocking, light, sound, camera)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from models.tasks.base import InputError, Message, TaskSpec
from models.tasks.text import bold_labels, clean_text, neutralize_mentions, postprocess_text, require_text

log = logging.getLogger(__name__)

COMMAND = "scene"
EXCERPT_LIMIT = 6000
MAX_ATTACHMENT_BYTES = 100_000
ALLOWED_SUFFIXES = (".fountain", ".txt")
MAX_NEW_TOKENS = 380
SECTIONS = ("Setting", "Blocking", "Light", "Sound", "Camera")

# Keys a Fountain title page may start with (https://fountain.io/syntax#title-page).
_TITLE_PAGE_KEYS = (
    "title",
    "credit",
    "author",
    "authors",
    "source",
    "draft date",
    "date",
    "contact",
    "copyright",
    "notes",
    "revision",
)
_TITLE_PAGE_RE = re.compile(rf"^(?:{'|'.join(_TITLE_PAGE_KEYS)})\s*:", re.IGNORECASE)
_BONEYARD_RE = re.compile(r"/\*.*?\*/", re.DOTALL)
_NOTE_RE = re.compile(r"\[\[.*?\]\]", re.DOTALL)
_CENTERED_RE = re.compile(r"^\s*>\s*(.*?)\s*<\s*$")
_SCENE_NUMBER_RE = re.compile(r"\s*#[\w.\-]+#\s*$")
_EMPHASIS_RE = re.compile(r"(\*{1,3}|_)(?=\S)(.+?)(?<=\S)\1")


def _strip_title_page(lines: list[str]) -> list[str]:
    """Drop a leading ``Key: value`` title page (it ends at the first blank line)."""
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines) or not _TITLE_PAGE_RE.match(lines[i]):
        return lines
    while i < len(lines) and lines[i].strip():
        i += 1
    return lines[i:]


def _readable_line(line: str) -> str | None:
    """One Fountain line as plain screenplay text; None to drop the line."""
    stripped = line.strip()
    if not stripped:
        return ""
    if stripped.startswith("==="):  # page break
        return None
    if stripped.startswith("#"):  # section (outline structure, not part of the scene)
        return None
    if stripped.startswith("="):  # synopsis line (writer's note)
        return None
    centered = _CENTERED_RE.match(stripped)
    if centered:
        return centered.group(1)
    if stripped[0] in "!@>~":  # forced action / character / transition, lyrics
        stripped = stripped[1:].lstrip()
    elif re.match(r"^\.[A-Za-z0-9]", stripped):  # forced scene heading (not a "..." ellipsis)
        stripped = stripped[1:]
    stripped = _SCENE_NUMBER_RE.sub("", stripped)
    if stripped.endswith("^"):  # dual dialogue marker on a character name
        stripped = stripped[:-1].rstrip()
    stripped = _EMPHASIS_RE.sub(r"\2", stripped)
    return stripped.replace("\\*", "*").replace("\\_", "_")


def fountain_to_text(source: str) -> str:
    """Make Fountain markup readable for the prompt.

    Removes boneyard ``/* */`` and ``[[notes]]``, the title page, sections, synopses and page
    breaks, the forcing characters ``! @ . > ~``, centering ``> <``, scene numbers, the dual
    dialogue ``^`` and emphasis markers; keeps scene headings, action, characters and dialogue.
    """
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    text = _BONEYARD_RE.sub("", text)
    text = _NOTE_RE.sub("", text)
    out: list[str] = []
    for line in _strip_title_page(text.split("\n")):
        readable = _readable_line(line)
        if readable is not None:
            out.append(readable)
    return clean_text("\n".join(out))


def _display_name(filename: str) -> str:
    name = " ".join(clean_text(filename).split()) or "file"
    if len(name) > 80:
        name = name[:77] + "..."
    return neutralize_mentions(name.replace("`", "'"))


@dataclass(frozen=True)
class SceneInput:
    excerpt: str

    @classmethod
    def create(cls, excerpt: str | None) -> SceneInput:
        return cls(excerpt=require_text(excerpt, field="excerpt", command=COMMAND, limit=EXCERPT_LIMIT))

    @classmethod
    def from_attachment(cls, filename: str, data: bytes, max_bytes: int = MAX_ATTACHMENT_BYTES) -> SceneInput:
        """Read an uploaded ``.fountain`` or ``.txt`` file; raises :class:`InputError` for anything else."""
        name = _display_name(filename)
        if not filename.casefold().endswith(ALLOWED_SUFFIXES):
            raise InputError(
                f"I can only read .fountain or .txt files, and `{name}` is neither. "
                "Upload the scene as a .fountain or .txt file, or paste it as text."
            )
        if len(data) > max_bytes:
            raise InputError(
                f"`{name}` is {len(data):,} bytes; the limit for /{COMMAND} files is {max_bytes:,} bytes. "
                "Upload just the scene you want described and try again."
            )
        try:
            decoded = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            decoded = None
        if decoded is None or "\x00" in decoded:
            raise InputError(
                f"`{name}` isn't a text file I can read. Save it as plain UTF-8 text (.fountain or .txt) "
                "and try again."
            )
        return cls.create(fountain_to_text(decoded))


_SYSTEM = """\
You are a film director's assistant. From a screenplay excerpt, you describe how the scene plays on screen, \
so that a reader can picture it.

Write these five sections, in this order, each starting with its label in bold on a new line:
**Setting:** where and when it happens, the place and what is in it.
**Blocking:** who is where, how they move and what they do, beat by beat.
**Light:** the quality, direction and colour of the light.
**Sound:** dialogue delivery, ambient sound, effects and music.
**Camera:** shot sizes, angles and movement for the key moments.

Rules:
- Present tense, vivid and concrete. 150 to 300 words in total.
- Use only what the excerpt supports: never add characters, events or dialogue that are not in it. \
Where the excerpt says nothing about light, sound or camera, choose what fits its mood and keep it simple.
- Use the characters' names as the excerpt writes them.
- Output only the five sections, nothing before or after them."""


def _user_content(inp: SceneInput) -> str:
    return f"Screenplay excerpt:\n<<<\n{inp.excerpt}\n>>>"


def build_messages(inp: SceneInput) -> list[Message]:
    user = _user_content(inp) + "\n\nDescribe this scene as it plays on screen."
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def postprocess(text: str, inp: SceneInput) -> str:
    text = bold_labels(clean_text(text), SECTIONS)
    return postprocess_text(text, echo=_user_content(inp), strip_heading="Scene description")


SPEC = TaskSpec(
    name=COMMAND, max_new_tokens=MAX_NEW_TOKENS, build_messages=build_messages, postprocess=postprocess,
    retry_prime=lambda inp: "**Setting:**",
)
