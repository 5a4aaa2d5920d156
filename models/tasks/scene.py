"""/scene: describe how a screenplay excerpt plays on screen (setting, blocking, light, sound, camera)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from models.tasks.base import Assessment, Message, TaskSpec
from models.tasks.pitch import root, same_word, tokens
from models.text import (
    InputError,
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
COPY_SHARE = 0.5  # and a sentence more than this share of whose words are in 5-word runs of the excerpt's
SHORT_COPY = 3  # and a sentence of this many words or more that is a run of the excerpt's whole
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
        raise InputError("I can only read .fountain or .txt files, and `{name}` is neither. Upload the scene as a "
                         ".fountain or .txt file, or paste it as text.", name=name)
    if len(data) > max_bytes:
        raise InputError("`{name}` is {size:,.0f} KB; the limit for /{command} files is {limit:,} KB. Upload just "
                         "the scenes you want described and try again.", name=name, size=len(data) / 1024,
                         command=COMMAND, limit=max_bytes // 1024)
    try:
        decoded = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        decoded = None
    if decoded is None or "\x00" in decoded:
        raise InputError("`{name}` isn't a text file I can read. Save it as plain UTF-8 text (.fountain or .txt) and "
                         "try again.", name=name)
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
        if len(scenes) <= 1:  # no headings at all reads as one scene too
            raise InputError("That script is a single scene, so there is no scene {start}. Leave start out and try "
                             "again.", start=start)
        raise InputError("That script has {count} scenes, so there is no scene {start}. Pick a scene number from 1 "
                         "to {count}.", count=len(scenes), start=start)
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
**Blocking:** two or three sentences: where each character is placed (left or right, near or far, in front or \
behind whom) and which way they move at the key moments, in your own words, never the excerpt's action lines.
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


PROMPT_THINGS = 30  # at most this many of the excerpt's things listed for the model


def excerpt_things(excerpt: str) -> list[str]:
    """The things the excerpt names (see `things`), first mention first, without the craft's words: what the model
    may stage, listed so that a small model picks from them instead of furnishing the scene itself."""
    found = [t for t in things(excerpt) if root(t) not in _STAGE and len(t) > 2]
    return list(dict.fromkeys(found))[:PROMPT_THINGS]


def build_messages(inp: SceneInput) -> list[Message]:
    have = excerpt_things(inp.excerpt)
    listed = f"\n\nThe things the excerpt has (stage only these, its characters and the light, sound and camera): " \
             f"{', '.join(have)}." if have else ""
    user = (_user_content(inp) + listed
            + "\n\nDescribe this scene as it plays on screen, in the five short sections.")
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
    """The five sections, cleaned (see `postprocess_text`), without the sentences the excerpt does not back
    (`unsupported`), each cut to its `SECTION_SENTENCES`; never the prompt's marks or an echo of the excerpt. A
    Setting left empty is said from the scene heading ("INT. LIBRARY - DAY"), where there is one."""
    text = bold_labels(_drop_marks(clean_text(text), inp.excerpt), SECTIONS)
    text = postprocess_text(text, echo=_user_content(inp), strip_heading="Scene description")
    return _short_sections(_supported(text, inp.excerpt))


# -- what the excerpt backs, sentence by sentence -----------------------------------------------------------------

# A sentence about the excerpt instead of the scene ("the building is described as", "we can infer that").
_META_RE = re.compile(
    r"\b(?:excerpt|screenplay|script)\b|\bdescribed as\b|\bwe (?:can|could|might) (?:infer|assume|imagine|see that)\b"
    r"|\bsuggest(?:s|ing)? that\b|\b(?:is|are|was|were) not (?:explicitly |directly )?(?:mentioned|described|given|"
    r"specified|stated|shown)\b|\bit is (?:implied|unclear|not clear)\b|\b(?:is|are) likely to be\b", re.IGNORECASE)
# Words a description may stage without the excerpt: its craft (light, sound, camera), the body and the space any
# scene has, and the words for its mood. A thing outside these and the excerpt (a lamp, a table, students, a city)
# is the description's invention.
_CRAFT_WORDS = """
light lights lighting glow shadow shade silhouette beam shaft ray highlight contrast colour color hue tone palette
warmth brightness darkness gloom haze flicker flare daylight sunlight moonlight backlight key fill rim source
sound sounds noise silence hush hum murmur echo rustle creak footstep breathing sigh voice dialogue line
word whisper music score beat rhythm pause tempo volume ambience quiet stillness
camera shot close-up closeup close wide angle frame framing lens focus zoom pan tilt dolly track tracking crane
handheld cut insert reverse coverage view level height move movement motion push pull foreground background
profile overhead distance
""".split()  # the light, sound and camera craft: what an add-on may bring (see `padding`)
_STAGE_WORDS = _CRAFT_WORDS + """
face eye eyes hand hands head body shoulder arm feet foot posture expression gaze glance look gesture step
breath window windows interior exterior
position side left right front back middle center centre edge corner end top bottom half part
room space air wall walls floor ceiling area place spot setting surroundings atmosphere environment world
scene moment mood tension feeling sense emotion energy pace drama suspense dread calm unease urgency intimacy
time day night morning afternoon evening dusk dawn midday noon midnight sunset sunrise twilight sky sun
character characters figure figures person people everyone group pair both one other others rest
way kind sort bit lot mix number series sequence detail details action reaction conversation exchange piece
audience viewer viewers perspective impression presence absence quality element texture intensity contents
mystery danger fear hope joy sadness anger despair excitement anticipation loneliness isolation emptiness
vulnerability authority peace chill menace threat confusion anxiety
""".split()
_STAGE = frozenset(root(w) for w in _STAGE_WORDS)
_CRAFT = frozenset(root(w) for w in _CRAFT_WORDS)
_OPENERS = frozenset("""
the a an his her their its my your our this these those some several another each every two three four
on in at with from under over into onto across behind beside near through around of by
wearing wears wore holding holds carrying carries clutching wielding
""".split())  # (and the verbs that put a thing on someone: "wearing white dresses")
_ENDS = frozenset("""
is are was were be been being has have had do does did and or but as while when where who whom whose which that
than then to for nor so if it he she they we you i not no very too also just only up down out off away them him
me us one first last next above below overhead ahead inside outside nearby around few
""".split()) | _OPENERS
_ADJECTIVES = frozenset("""
warm cold cool hot bright dark dim soft loud quiet hushed large small big little tall short old young long wide
narrow low high deep harsh gentle slow quick fast heavy steady distant close empty full single lone faint sharp
pale golden grey gray white black red blue green yellow orange brown silver thin thick rough smooth tight loose
still calm tense busy crowded wet dry new evil urgent entire male female human polite spectacular secret well
open closed vast stark desolate cozy wooden rocky misty eerie ancient grand urban main lead whole
""".split())
_ING_NOUNS = frozenset("building ceiling painting clothing wedding evening morning meeting ring king thing string wing "
                       "spring railing landing lighting ending opening".split())
_ADJECTIVE_ENDS = ("ful", "ous", "ive", "ic", "able", "ible", "less", "ish", "ly", "ing", "ed")


def _adjective(word: str) -> bool:
    """An adjective by the list, or by its ending on a long enough stem ("capable", not "table"; "dramatic", not
    "attic")."""
    if word in _ING_NOUNS:
        return False
    return word in _ADJECTIVES or any(word.endswith(end) and len(word) - len(end) >= (5 if end == "ic" else 3)
                                      for end in _ADJECTIVE_ENDS)


def _coordinated(after: list[str]) -> bool:
    """The two words after an "and" go on one noun phrase: an adjective (by list or ending, or in -y) and a word
    that does not end the phrase ("chipper and flighty outfit", not "the table and chairs are")."""
    if len(after) < 2 or not all(w[0].isalpha() for w in after):
        return False
    first, second = (w.casefold() for w in after)
    return (_adjective(first) or (first.endswith("y") and len(first) > 4)) and second not in _ENDS


def things(sentence: str) -> list[str]:
    """The heads of the noun phrases a determiner or a preposition opens ("a single lamp" -> "lamp", "on
    shelves" -> "shelves"): the things a sentence names. An adjective alone is no thing."""
    words = re.findall(r"[A-Za-z][A-Za-z'’]*|[^\sA-Za-z]", sentence.replace("-", " "))
    out: list[str] = []
    for i, word in enumerate(words):
        if word.casefold() not in _OPENERS:
            continue
        run: list[str] = []
        ahead = words[i + 1 : i + 8]
        for k, nxt in enumerate(ahead[:6]):
            low = nxt.casefold()
            if nxt == "," and run and all(_adjective(w) for w in run):  # "a large, artful building"
                continue
            if low in ("and", "or") and run and _coordinated(ahead[k + 1 : k + 3]):  # "a chipper and flighty outfit"
                continue
            if (not nxt[0].isalpha() or low in _ENDS or re.search(r"['’](?!s$)", low)
                    or (low.endswith(("ing", "ed")) and low not in _ING_NOUNS
                        and not all(_adjective(w) for w in run))):  # "the man walked", not "a crowded room"
                break
            run.append(low)
        # the last word, unless it is a verb after the noun ("the windscreen indicates" -> "windscreen": a word in
        # -s after a word that is no adjective) or an adjective ("the room is dark, urban" has no thing)
        # ... and a plural before a verb without -s ("the students watch" -> "students")
        run = [re.sub(r"['’]s?$", "", w) for w in run]
        while len(run) >= 2 and run[-1].endswith("s") and not run[-1].endswith("ss") and not _adjective(run[-2]):
            run.pop()
        nouns = [w for w in run if not _adjective(w)]
        if len(nouns) >= 2 and nouns[0].endswith("s") and not nouns[0].endswith("ss"):
            out.append(nouns[0])
        elif run and not _adjective(run[-1]):
            out.append(run[-1])
    return out


def unsupported(sentence: str, excerpt: str) -> str:
    """Why the excerpt does not back `sentence` ("" when it does): it talks about the excerpt, copies a run of
    `COPY_WORDS` of it, or names a character or a thing that neither it nor the craft has."""
    if _META_RE.search(sentence):
        return "it talked about the excerpt instead of the scene"
    if run := copied(sentence, excerpt):
        return f'it copied the excerpt ("{run}")'
    if copied_share(sentence, excerpt) > COPY_SHARE:
        return "it was mostly the excerpt's words, in runs of five"
    if SHORT_COPY <= len(mine := _words(sentence)) < COPY_WORDS and tuple(mine) in _grams(excerpt, len(mine)):
        return f'it copied the excerpt ("{" ".join(mine)}")'  # a short line of it whole: "Then at the dark window."
    if names := new_names(sentence, excerpt):
        return f"it named {', '.join(names)}, not in the excerpt"
    known = _roots(excerpt)
    absent = [t for t in things(sentence) if root(t) not in _STAGE and not same_word(t, known)]
    return f"it staged {', '.join(dict.fromkeys(absent))}, not in the excerpt" if absent else ""


# where a sentence's own clause ends and an add-on begins: ", with his hands on his knees", ", allowing the viewer"
_ADD_ON = re.compile(r",\s+(?:with|while|as|giving|allowing|creating|adding|making|casting|leaving|letting|"
                     r"filling|bringing|showing|highlighting|emphasi[sz]ing|suggesting|and)\b|\s+(?:with|while)\s+")
_CLAUSE = re.compile(r",\s+and\s+(?=(?:the|a|an|his|her|their|its|[A-Z]\w*)\b)|;\s+")  # a second clause of its own
MEND_WORDS = 4  # a sentence's own clause is kept, its add-on cut, when this many words are left


def _own_clause(sentence: str) -> tuple[str, str]:
    """The sentence's own clause as a sentence, and its add-on ("", "" when it has none)."""
    cut = _ADD_ON.search(sentence)
    if cut is None:
        return "", ""
    return sentence[: cut.start()].rstrip(" ,;:-") + ".", sentence[cut.end():]


def mend(sentence: str, excerpt: str) -> str:
    """A sentence the excerpt does not back, as its own clause without the add-on that stages what the excerpt
    lacks ("Yor sits behind Nar, with his hands on his knees." -> "Yor sits behind Nar."); "" when that clause is
    unsupported too, too short, or the sentence has no add-on. Talk about the excerpt and copies are not mended."""
    if _META_RE.search(sentence) or copied(sentence, excerpt):
        return ""
    head, _ = _own_clause(sentence)
    if not head:
        return ""
    if len(head.split()) >= MEND_WORDS and not unsupported(head, excerpt):
        return head
    # or the clause after ", and" / "; " when it stands alone ("The breeze blows, and Nar talks to Yor.")
    tail = _CLAUSE.search(sentence)
    if tail is None:
        return ""
    rest = sentence[tail.end():].strip()
    rest = rest[:1].upper() + rest[1:]
    return rest if len(rest.split()) >= MEND_WORDS and not unsupported(rest, excerpt) else ""


def padding(sentence: str, excerpt: str) -> str:
    """The sentence without an add-on that names a thing neither the excerpt nor the light, sound and camera craft
    has (a body, a place or a mood word passes in a sentence's own clause, not in its add-on: "seated, with her
    hands on her chin", "giving her a sense of professionalism"); the sentence itself when it has none."""
    head, add_on = _own_clause(sentence)
    if not head:
        return sentence
    known = _roots(excerpt)
    added = [t for t in things(add_on) if root(t) not in _CRAFT and not same_word(t, known)]
    return head if added and len(head.split()) >= MEND_WORDS else sentence


def _kept(sentence: str, excerpt: str) -> str:
    """The sentence (without its padding), mended or "" when the excerpt does not back it."""
    return padding(sentence, excerpt) if not unsupported(sentence, excerpt) else mend(sentence, excerpt)


def _supported(text: str, excerpt: str) -> str:
    """Each section without its unsupported sentences (mended where their own clause stands); an empty Setting said
    from the scene heading."""
    sections = split_sections(text)
    if not sections:
        return text
    out = []
    for label, body in sections:
        kept = [k for s in split_sentences(" ".join(body.split())) if (k := _kept(s, excerpt))]
        if not kept and label == "Setting" and (said := heading_setting(excerpt)):
            kept = [said]
        out.append(f"**{label}:** {' '.join(kept)}".rstrip())
    return "\n".join(out)


_SLUG_RE = re.compile(r"^(INT\.?/EXT|I/E|INT|EXT)[. \t]+(.+?)(?:(?:[ \t]+[-–—]+[ \t]+|[ \t]*--[ \t]*)([^-–—\n]+))?"
                      r"[ \t]*$", re.IGNORECASE | re.MULTILINE)
_TIMES = {"day": "by day", "night": "at night", "morning": "in the morning", "afternoon": "in the afternoon",
          "evening": "in the evening", "dusk": "at dusk", "dawn": "at dawn", "sunset": "at sunset",
          "sunrise": "at sunrise", "noon": "at noon", "midnight": "at midnight"}


def heading_setting(excerpt: str) -> str:
    """The first scene heading as a Setting sentence: "INT. PARKED CAR - DAY" -> "Interior: parked car, by day."
    ("" when the excerpt has no heading)."""
    m = _SLUG_RE.search(excerpt)
    if m is None:
        return ""
    inside = {"int": "Interior", "ext": "Exterior"}.get(m.group(1).casefold(), "Interior and exterior")
    place = " ".join(m.group(2).split()).casefold()
    when = _TIMES.get((m.group(3) or "").strip().casefold(), "")
    return f"{inside}: {place}" + (f", {when}" if when else "") + "."


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


# The excerpt's roots and runs of words, read once for each text: the checks run on every sentence of every streamed
# snapshot (on the event loop), and an excerpt is up to 6,000 characters.
@lru_cache(maxsize=64)
def _roots(text: str) -> frozenset[str]:
    return frozenset(root(w) for w in tokens(text))


@lru_cache(maxsize=64)
def _grams(text: str, run: int) -> frozenset[tuple[str, ...]]:
    words = _words(text)
    return frozenset(tuple(words[i : i + run]) for i in range(len(words) - run + 1))


def copied(body: str, excerpt: str, run: int = COPY_WORDS) -> str:
    """The first run of `run` or more words in a row of `body` that the excerpt has too ("" when none)."""
    grams = _grams(excerpt, run)
    mine = _words(body)
    for i in range(len(mine) - run + 1):
        if tuple(mine[i : i + run]) in grams:
            j = i + run
            while j < len(mine) and tuple(mine[j - run + 1 : j + 1]) in grams:
                j += 1
            return " ".join(mine[i:j])
    return ""


def copied_share(text: str, excerpt: str, run: int = 5) -> float:
    """The share of `text`'s words inside runs of `run` words that the excerpt has too (0 for `run` words or fewer)."""
    mine = _words(text)
    if len(mine) <= run:
        return 0.0
    grams = _grams(excerpt, run)
    inside = [False] * len(mine)
    for i in range(len(mine) - run + 1):
        if tuple(mine[i : i + run]) in grams:
            inside[i : i + run] = [True] * run
    return sum(inside) / len(mine)


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
    cut = _cut_reasons(raw, inp.excerpt)
    problems: list[str] = []
    kept: list[str] = []
    whole = True  # every section so far passed: it is kept for the next try
    for label in SECTIONS:
        body = parts.get(label, "")
        wrong = []
        if len(body.split()) < 3:
            why = f" (every sentence of it was cut: {'; '.join(cut[label][:2])})" if cut.get(label) else ""
            wrong.append(f"it had no {label} section{why}")
        elif run := copied(body, inp.excerpt):
            wrong.append(f"its {label} section copied the excerpt's words (\"{run}\"): say it in a few words of "
                         "your own")
        elif copied_share(body, inp.excerpt) > COPY_SHARE:
            wrong.append(f"its {label} section was mostly the excerpt's own lines: say it in a few words of your "
                         "own")
        elif run := copied(body, _SYSTEM, PROMPT_WORDS):
            wrong.append(f"its {label} section repeated these instructions (\"{run}\") instead of describing")
        elif names := new_names(body, inp.excerpt):
            wrong.append(f"its {label} section named {', '.join(names)}, not in the excerpt")
        problems += wrong
        whole = whole and not wrong
        if whole:
            kept.append(f"**{label}:** {body}")
    missing = len(_missing(text))
    score = 100.0 - 20.0 * len(problems) - 10.0 * missing - 2.0 * sum(map(len, cut.values()))
    return SceneAssessment(not problems, score, "; ".join(problems), tuple(problems), kept="\n".join(kept))


def _cut_reasons(raw: str, excerpt: str) -> dict[str, list[str]]:
    """Why `postprocess` cut each sentence of the raw draft it cut, by section."""
    out: dict[str, list[str]] = {}
    for label, body in split_sections(bold_labels(_drop_marks(clean_text(raw), excerpt), SECTIONS)):
        for sentence in split_sentences(" ".join(body.split())):
            if why := unsupported(sentence, excerpt):
                out.setdefault(label, []).append(why)
    return out


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


def merge(first: str, second: str, inp: SceneInput) -> str:
    """The second try's sections, each one it lacks taken from the first (both are checked already)."""
    ones, twos = dict(split_sections(first)), dict(split_sections(second))
    out = []
    for label in SECTIONS:
        body = twos.get(label, "") if len(twos.get(label, "").split()) >= 3 else ones.get(label, "")
        if body:
            out.append(f"**{label}:** {body}")
    return "\n".join(out)


# what each section holds, as the system prompt asks it ("one or two sentences: voices, room tone, ...")
_ASKS = {m.group(1): m.group(2) for m in re.finditer(r"^\*\*(\w+):\*\* (.+)$", _SYSTEM, re.MULTILINE)}
GAP_TOKENS = 90  # a section written on its own
# a section's start when it is written on its own: asked for placements, the default model retold the whole
# script's action lines (every sentence copied) until its answer started from the frame
_GAP_STARTS = {"Blocking": "Frame left,"}


def _missing(text: str) -> list[str]:
    parts = dict(split_sections(text))
    return [label for label in SECTIONS if len(parts.get(label, "").split()) < 3]


def gaps(text: str, inp: SceneInput) -> list[tuple[str, str]]:
    """The sections both tries left empty (a loop used up the tokens before Camera; every Sound sentence cut),
    each asked on its own: a note and the section's label as the answer's start."""
    return [(f"\n\nWrite only the **{label}:** section now, {_ASKS[label]} Do not repeat the excerpt's sentences: "
             "say it in new, short words, naming only what the excerpt has.",
             f"**{label}:**" + (f" {_GAP_STARTS[label]}" if label in _GAP_STARTS else "")) for label in _missing(text)]


def fill(text: str, written: list[str], inp: SceneInput) -> str:
    """The description with each section written on its own (`gaps`, in that order) put in its place, checked as
    every draft is (`postprocess`); a section still empty stays out."""
    parts = dict(split_sections(text))
    for label, raw in zip(_missing(text), written, strict=True):
        body = dict(split_sections(postprocess(raw, inp))).get(label, "")
        if len(body.split()) >= 3:
            parts[label] = body
    return "\n".join(f"**{label}:** {parts[label]}" for label in SECTIONS if parts.get(label))


SPEC = TaskSpec(
    name=COMMAND, max_new_tokens=MAX_NEW_TOKENS, build_messages=build_messages, postprocess=postprocess,
    prime="**Setting:**", retry_prime=lambda inp: "**Setting:**", assess=assess, firmer=firmer, merge=merge,
    gaps=gaps, fill=fill, gap_tokens=GAP_TOKENS, labels=SECTIONS,
)
