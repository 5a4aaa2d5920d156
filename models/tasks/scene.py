"""/scene: describe how a screenplay excerpt plays on screen (setting, blocking, light, sound, camera)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from models.tasks.base import Assessment, InputError, Message, TaskSpec
from models.tasks.pitch import root, same_word, tokens
from models.tasks.text import (
    bold_labels,
    clean_text,
    neutralize_mentions,
    postprocess_text,
    require_text,
    split_sentences,
)

log = logging.getLogger(__name__)

COMMAND = "scene"
EXCERPT_LIMIT = 6000
ALLOWED_SUFFIXES = (".fountain", ".txt")
MAX_NEW_TOKENS = 380
SECTIONS = ("Setting", "Blocking", "Light", "Sound", "Camera")
SECTION_SENTENCES = {"Setting": 2, "Blocking": 3, "Light": 2, "Sound": 2, "Camera": 2}  # each section's most
COPY_WORDS = 7  # this many of the excerpt's words in a row, in a section, is the excerpt copied
PROMPT_WORDS = 6  # and this many of the instructions' words, the instructions echoed

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


def read_script(filename: str, data: bytes, max_bytes: int) -> str:
    """The readable text of an uploaded ``.fountain`` or ``.txt`` file; raises :class:`InputError` for anything
    else (another kind of file, over `max_bytes`, not UTF-8 text)."""
    name = _display_name(filename)
    if not filename.casefold().endswith(ALLOWED_SUFFIXES):
        raise InputError(
            f"I can only read .fountain or .txt files, and `{name}` is neither. "
            "Upload the scene as a .fountain or .txt file, or paste it as text."
        )
    if len(data) > max_bytes:
        raise InputError(
            f"`{name}` is {len(data) / 1024:,.0f} KB; the limit for /{COMMAND} files is {max_bytes // 1024:,} KB. "
            "Upload just the scenes you want described and try again."
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
    return fountain_to_text(decoded)


_HEADING_RE = re.compile(r"^(?:INT|EXT|EST|INT\.?/EXT|I/E)[.\s]", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Window:
    """The part of a long script that is described: scenes `first`..`last` of `scenes` (0 when the text has no
    scene headings), `text` itself, and whether text was left out."""

    text: str
    first: int
    last: int
    scenes: int
    cut: bool

    def label(self) -> str:
        """"scenes 3-4 of 12", "the opening 5,980 characters"; empty when the whole text is there."""
        if not self.cut:
            return ""
        if not self.scenes:
            return f"the opening {len(self.text):,} characters"
        which = f"scene {self.first}" if self.first == self.last else f"scenes {self.first}-{self.last}"
        return f"{which} of {self.scenes}"


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, ending at a paragraph (else line) break where one is near."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    for sep in ("\n\n", "\n"):
        at = head.rfind(sep)
        if at > limit // 2:
            return head[:at].rstrip()
    return head.rstrip()


def window(text: str, start: int = 1, limit: int = EXCERPT_LIMIT) -> Window:
    """The scenes from scene `start` (1-based) on that fit in `limit` characters (at least the start of one scene),
    for a script longer than the excerpt limit; the whole text when it fits. Raises InputError when the script
    has fewer scenes than `start`."""
    starts = [m.start() for m in _HEADING_RE.finditer(text)]
    if starts and starts[0] > 0 and text[: starts[0]].strip():
        starts.insert(0, 0)  # text before the first heading counts as a scene of its own
    scenes = [text[a:b].strip() for a, b in zip(starts, [*starts[1:], len(text)], strict=True)] if starts else []
    if start > max(1, len(scenes)):
        raise InputError(f"That script has {len(scenes)} scene{'s' if len(scenes) != 1 else ''}, so there is no "
                         f"scene {start}. Pick a scene number from 1 to {len(scenes)}.")
    if len(text) <= limit and start == 1:
        return Window(text, 1, max(1, len(scenes)), len(scenes), cut=False)
    if not scenes:
        return Window(_cut(text, limit), 1, 1, 0, cut=True)
    taken: list[str] = []
    size = 0
    for scene in scenes[start - 1 :]:
        if taken and size + len(scene) + 2 > limit:
            break
        taken.append(_cut(scene, limit))
        size += len(taken[-1]) + 2
    return Window("\n\n".join(taken), start, start + len(taken) - 1, len(scenes), cut=True)


_SYSTEM = """\
You are a film director's assistant. From a screenplay excerpt, you say how the scene plays on screen, in your own \
words, so that a reader can picture it.

Write exactly these five sections, in this order, each starting with its label in bold on a new line:
**Setting:** one sentence: the place and the time of day.
**Blocking:** two or three sentences: who is where, and how they move at the key moments the excerpt gives.
**Light:** one or two sentences: the light's quality, direction and colour.
**Sound:** one or two sentences: voices, room tone, effects and music.
**Camera:** one or two sentences: shot sizes, angles and moves for the key moments.

Rules:
- Present tense, vivid and concrete. 100 to 250 words in total: all five sections, however long the excerpt.
- Sum up in your own words; never copy the excerpt's sentences or retell it line by line.
- Name only the characters, things and events the excerpt has: add no character, object, event or dialogue.
- Light, Sound and Camera are your staging choices: pick what fits the mood, and add nothing to the story.
- Use the characters' names as the excerpt writes them.
- Output only the five sections, nothing before or after them."""


def _user_content(inp: SceneInput) -> str:
    return f"Screenplay excerpt:\n<<<\n{inp.excerpt}\n>>>"


def build_messages(inp: SceneInput) -> list[Message]:
    user = _user_content(inp) + "\n\nDescribe this scene as it plays on screen, in the five short sections."
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


_MARKS_RE = re.compile(r"(<<<|>>>|\n)")  # the prompt's marks around the excerpt, and line ends
_SECTION_START_RE = re.compile(rf"^[#*_\-\s]*(?:{'|'.join(SECTIONS)})\b[*_\s]*:", re.IGNORECASE)
_ECHO_SHARE = 0.8  # marked text whose words are this much the excerpt's is the excerpt echoed


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _drop_marks(text: str, excerpt: str) -> str:
    """Text without the prompt's ``<<<``/``>>>`` marks. What a mark at the start of a line opens (up to the closing
    mark, the first section or the end) goes too when it is the excerpt echoed, and stays when it is not."""
    known = set(_words(excerpt))
    out: list[str] = []
    marked: list[str] | None = None  # the text since an opening mark

    def close() -> None:
        words = _words("".join(marked or ()))
        if sum(w in known for w in words) < _ECHO_SHARE * len(words):
            out.extend(marked or ())

    at_line_start = True
    for piece in _MARKS_RE.split(text):
        if piece == "<<<":
            if at_line_start and marked is None:  # the prompt's marks stand on lines of their own
                marked = []
        elif piece == ">>>":
            if marked is not None:
                close()
                marked = None
        elif marked is not None and at_line_start and _SECTION_START_RE.match(piece):
            close()  # the answer starts
            marked = None
            out.append(piece)
        else:
            (out if marked is None else marked).append(piece)
        if piece:
            at_line_start = piece in ("\n", "<<<", ">>>") and (at_line_start or piece == "\n")
    if marked is not None:
        close()
    return "".join(out)


_LABEL_RE = re.compile(rf"^\*\*({'|'.join(SECTIONS)}):\*\*[ \t]*", re.MULTILINE)


def split_sections(text: str) -> list[tuple[str, str]]:
    """(label, body) of each bold-labelled section, in order; text before the first label is left out."""
    marks = list(_LABEL_RE.finditer(text))
    if not marks:
        return []
    return [(m.group(1), text[m.end() : nxt.start() if nxt else len(text)].strip())
            for m, nxt in zip(marks, [*marks[1:], None], strict=True)]


def _short_sections(text: str) -> str:
    """Each section cut to its first few sentences (`SECTION_SENTENCES`): a long excerpt is otherwise retold in full,
    and a small model writes "The camera is shot from ..." three times over."""
    marks = list(_LABEL_RE.finditer(text))
    out = text[: marks[0].end()] if marks else text
    for m, nxt in zip(marks, [*marks[1:], None], strict=False):
        end = nxt.start() if nxt else len(text)
        body = text[m.end() : end]
        sentences = split_sentences(" ".join(body.split()))
        most = SECTION_SENTENCES[m.group(1)]
        if len(sentences) > most:
            body = " ".join(sentences[:most]) + ("\n" if nxt else "")
        out += body + (text[nxt.start() : nxt.end()] if nxt else "")
    return out


def postprocess(text: str, inp: SceneInput) -> str:
    """The five sections, cleaned (see `postprocess_text`), each cut to its `SECTION_SENTENCES`; never the prompt's
    marks or an echo of the excerpt."""
    text = bold_labels(_drop_marks(clean_text(text), inp.excerpt), SECTIONS)
    return _short_sections(postprocess_text(text, echo=_user_content(inp), strip_heading="Scene description"))


# -- is the description the excerpt's, and whole? ----------------------------------------------------------------

_NAME_RE = re.compile(r"(?<![.!?:]\s)(?<!^)\b[A-Z][a-z]+(?:['’]s)?\b")
# capitalised words a description may use that no excerpt needs to have
_CRAFT_NAMES = frozenset({"dutch", "foley", "steadicam", "pov", "cu", "ecu", "ms", "ots", "int", "ext", "vo", "os",
                          "setting", "blocking", "light", "sound", "camera"})


@dataclass(frozen=True)
class SceneAssessment(Assessment):
    """An assessment that keeps the sections that passed, before the first that did not: the next try starts
    from them."""

    kept: str = ""


def _roots(text: str) -> set[str]:
    return {root(w) for w in tokens(text)}


def copied(body: str, excerpt: str, run: int = COPY_WORDS) -> str:
    """The first run of `run` or more words in a row of `body` that the excerpt has too ("" when none)."""
    ex = _words(excerpt)
    grams = {tuple(ex[i : i + run]) for i in range(len(ex) - run + 1)}
    mine = _words(body)
    for i in range(len(mine) - run + 1):
        if tuple(mine[i : i + run]) in grams:
            j = i + run
            while j < len(mine) and tuple(mine[j - run + 1 : j + 1]) in grams:
                j += 1
            return " ".join(mine[i:j])
    return ""


def new_names(body: str, excerpt: str) -> list[str]:
    """Capitalised words inside the sentences of `body` (not their first word) that the excerpt does not have: a
    character or a place the description made up."""
    known = _roots(excerpt)
    out = []
    for sentence in split_sentences(" ".join(body.split())):
        for m in _NAME_RE.finditer(sentence):
            name = re.sub(r"['’]s$", "", m.group())
            if name.casefold() not in _CRAFT_NAMES and not same_word(name, known):
                out.append(name)
    return list(dict.fromkeys(out))


def assess(text: str, raw: str, inp: SceneInput) -> SceneAssessment:
    """All five sections there, each in the description's own words (no run of `COPY_WORDS` of the excerpt's) and
    naming no one the excerpt does not. The score keeps the better of two: fewer problems, then more sections."""
    parts = dict(split_sections(text))
    problems: list[str] = []
    kept: list[str] = []
    whole = True  # every section so far passed: it is kept for the next try
    for label in SECTIONS:
        body = parts.get(label, "")
        wrong = []
        if len(body.split()) < 3:
            wrong.append(f"it had no {label} section")
        elif run := copied(body, inp.excerpt):
            wrong.append(f"its {label} section copied the excerpt's words (\"{run}\"): say it in a few words of "
                         "your own")
        elif run := copied(body, _SYSTEM, PROMPT_WORDS):
            wrong.append(f"its {label} section repeated these instructions (\"{run}\") instead of describing")
        elif names := new_names(body, inp.excerpt):
            wrong.append(f"its {label} section named {', '.join(names)}, not in the excerpt")
        problems += wrong
        whole = whole and not wrong
        if whole:
            kept.append(f"**{label}:** {body}")
    missing = sum(1 for label in SECTIONS if len(parts.get(label, "").split()) < 3)
    score = 100.0 - 20.0 * len(problems) - 10.0 * missing
    return SceneAssessment(not problems, score, "; ".join(problems), tuple(problems), kept="\n".join(kept))


def firmer(inp: SceneInput, first: Assessment) -> tuple[str, str]:
    """One more try: what was wrong named, and the answer started with the sections that passed."""
    note = ("\n\nA first draft of this description went wrong; do not repeat it:\n"
            + "".join(f"- {p}\n" for p in first.problems)
            + "\nWrite all five sections, each one to three short sentences in your own words, naming only what the "
              "excerpt has.")
    kept = first.kept if isinstance(first, SceneAssessment) else ""
    done = {label for label, _ in split_sections(kept)}
    following = next(label for label in SECTIONS if label not in done) if len(done) < len(SECTIONS) else SECTIONS[0]
    return note, (f"{kept}\n" if kept else "") + f"**{following}:**"


SPEC = TaskSpec(
    name=COMMAND, max_new_tokens=MAX_NEW_TOKENS, build_messages=build_messages, postprocess=postprocess,
    prime="**Setting:**", retry_prime=lambda inp: "**Setting:**", assess=assess, firmer=firmer,
)
