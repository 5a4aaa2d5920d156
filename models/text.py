"""Pure text helpers shared by the tasks: the text toolkit at the bottom of `models/` (it imports none of it).

Input cleaning and validation (and the user-facing `InputError` it raises), output post-processing.

Nothing here knows about Discord objects or the model; everything is a plain ``str -> str`` function.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)


class InputError(ValueError):
    """Bad user input.

    ``message`` is an English sentence with ``{field}`` placeholders (a literal at every raise site: it is the msgid
    the bot's catalogs translate), ``fields`` its values. ``str(err)`` is the English sentence, complete and
    friendly: it says what is wrong and what to do about it. On Discord, ``bot.i18n.t_error`` says it in the
    member's language. A field named ``command`` or ``option`` holds a command's or an option's English name.
    """

    def __init__(self, message: str, **fields: object) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

    def __str__(self) -> str:
        return self.sentence(self.message)

    def sentence(self, template: str, **names: object) -> str:
        """``template`` (the message or a translation of it) filled with the fields, ``names`` replacing some of
        them; any Discord mention in it made inert."""
        return neutralize_mentions(template.format(**{**self.fields, **names}))


# --------------------------------------------------------------------------------------------------
# Cleaning user input
# --------------------------------------------------------------------------------------------------

# Zero-width characters and bidi controls: invisible, and used to smuggle text past filters.
_INVISIBLE = frozenset(
    [
        0x200B,  # zero width space
        0x200C,  # zero width non-joiner
        0x200D,  # zero width joiner
        0x2060,  # word joiner
        0xFEFF,  # byte order mark / zero width no-break space
        *range(0x202A, 0x202F),  # LRE, RLE, PDF, LRO, RLO
        *range(0x2066, 0x206A),  # LRI, RLI, FSI, PDI
    ]
)
_LINE_SEPARATORS = {"\r\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n\n", "\x85": "\n"}
_NEWLINES_RE = re.compile("|".join(re.escape(k) for k in _LINE_SEPARATORS))
_HSPACE_RE = re.compile(r"[ \t]+")
_MANY_NEWLINES_RE = re.compile(r"\n{3,}")


def _clean_char(ch: str) -> str:
    if ch == "\n":
        return ch
    if ch == "\t":
        return " "
    if ord(ch) in _INVISIBLE:
        return ""
    category = unicodedata.category(ch)
    if category == "Cc":  # other control characters
        return ""
    if category == "Zs":  # no-break space, em space, ...: plain space
        return " "
    return ch


def clean_text(s: str) -> str:
    """Normalise user (or model) text.

    NFC-normalises, turns CR/CRLF and Unicode line separators into ``\\n``, tabs and other spaces
    into a plain space, drops the remaining control characters, zero-width characters and bidi
    controls, collapses runs of spaces, strips every line, collapses 3+ newlines to 2 and strips
    the ends.
    """
    s = unicodedata.normalize("NFC", s)
    s = _NEWLINES_RE.sub(lambda m: _LINE_SEPARATORS[m.group()], s)
    s = "".join(_clean_char(ch) for ch in s)
    lines = [_HSPACE_RE.sub(" ", line).strip() for line in s.split("\n")]
    s = "\n".join(lines)
    s = _MANY_NEWLINES_RE.sub("\n\n", s)
    return s.strip()


def one_line(s: str) -> str:
    """Collapse all whitespace, newlines included, to single spaces (for titles, tones, genres)."""
    return " ".join(s.split())


def require_text(value: str | None, *, field: str, command: str, limit: int, min_chars: int = 1) -> str:
    """Clean ``value`` and check it is present and within ``min_chars..limit`` characters.

    Raises :class:`InputError` with a message that names the command, the field (the option's name, which the
    member's client shows translated), the actual length and the limit.
    """
    cleaned = clean_text(value or "")
    if not cleaned:
        raise InputError("The {option} for /{command} can't be empty. Add some text and try again.",
                         option=field, command=command)
    n = len(cleaned)
    if n < min_chars:
        raise InputError("The {option} for /{command} is only {count:,} characters. Tell me a bit more (at least "
                         "{least:,} characters) and try again.", option=field, command=command, count=n,
                         least=min_chars)
    if n > limit:
        raise InputError("The limit for /{command} {option} is {limit:,} characters and yours is {count:,}. Shorten "
                         "it and try again.", command=command, option=field, limit=limit, count=n)
    return cleaned


def optional_text(value: str | None, *, field: str, command: str, limit: int) -> str | None:
    """Like :func:`require_text` for an optional one-line field: empty becomes ``None``."""
    if value is None or not clean_text(value):
        return None
    return one_line(require_text(value, field=field, command=command, limit=limit))


# --------------------------------------------------------------------------------------------------
# Mentions
# --------------------------------------------------------------------------------------------------

_ZWSP = "\u200b"
_USER_MENTION_RE = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION_RE = re.compile(r"<@&(\d+)>")
_CHANNEL_MENTION_RE = re.compile(r"<#(\d+)>")
_MASS_MENTION_RE = re.compile(r"@(everyone|here)", re.IGNORECASE)


def neutralize_mentions(s: str) -> str:
    """Make Discord mentions inert text.

    ``<@123>``/``<@!123>`` become ``@user``, ``<@&123>`` becomes ``@role``, ``<#123>`` becomes
    ``#channel``, and a zero-width space goes after the ``@`` of ``@everyone``/``@here``.
    (The bot should also send with ``allowed_mentions=none``; this keeps the text itself safe.)
    """
    for _ in range(10):  # replacements can form new mentions ("<<@1>@1>"): repeat until stable
        before = s
        s = _ROLE_MENTION_RE.sub("@role", s)
        s = _USER_MENTION_RE.sub("@user", s)
        s = _CHANNEL_MENTION_RE.sub("#channel", s)
        s = _MASS_MENTION_RE.sub(lambda m: "@" + _ZWSP + m.group(1), s)
        if s == before:
            break
    return s


# --------------------------------------------------------------------------------------------------
# Sentences and markdown lines
# --------------------------------------------------------------------------------------------------

_CLOSERS = "\"'”’»)\\]*_"
# A sentence ends at . ! ? or … (possibly several), optionally followed by closing quotes,
# brackets or markdown emphasis, and then whitespace or the end of the text.
# Chinese and Japanese end a sentence with a full-width mark and no space after it
_CJK_ENDS = "。！？"
_CJK_CLOSERS = "」』）】”’"
_BOUNDARY_RE = re.compile(rf"[.!?…]+[{_CLOSERS}]*(?=\s|$)|[{_CJK_ENDS}]+[{_CJK_CLOSERS}{_CLOSERS}]*")
_ENDS_AT_BOUNDARY_RE = re.compile(rf"(?:[.!?…][{_CLOSERS}]*|[{_CJK_ENDS}][{_CJK_CLOSERS}{_CLOSERS}]*)\s*$")
# Markdown lines that are a unit of their own: headings, bullets, numbered items, "**Label:** ...".
_MARKDOWN_UNIT_RE = re.compile(
    r"^(#{1,6}\s|[-*+•]\s|\d{1,3}[.)]\s|\*\*[^*\n]{1,40}\*\*|__[^_\n]{1,40}__|>\s)"
)


_ABBREVIATION_RE = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|vs|Mt|No|Vol|ca|approx)|\b[A-Z])\.$")


def split_sentences(line: str) -> list[str]:
    """Split one line into sentences, each keeping its end punctuation (the tail may have none). "Mr. Powell",
    "J. J. Abrams" and "4.5/5" stay whole."""
    out: list[str] = []
    start = 0
    for m in _BOUNDARY_RE.finditer(line):
        if _ABBREVIATION_RE.search(line[: m.end()]):
            continue
        piece = line[start : m.end()].strip()
        if piece:
            out.append(piece)
        start = m.end()
    tail = line[start:].strip()
    if tail:
        out.append(tail)
    return out


_CJK = "\u3000-\u303f\u3040-\u30ff\u4e00-\u9fff\uff00-\uffef"  # not Korean: it spaces its words
_CJK_GAP_RE = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[{_CJK}《「『（])")


def tighten_cjk(text: str) -> str:
    """No space between Chinese or Japanese characters and marks: the post-processing joins sentences with one, as
    English wants ("很好听。 这部" -> "很好听。这部"); a space beside a Latin word stays."""
    return _CJK_GAP_RE.sub("", text)


def is_markdown_unit(line: str) -> bool:
    """True for a heading, a list item, a quote or a ``**Label:** text`` line."""
    return bool(_MARKDOWN_UNIT_RE.match(line.strip()))


def _key(s: str) -> str:
    """Comparison key: case-, whitespace- and punctuation-insensitive."""
    s = s.casefold()
    s = re.sub(r"[^\w\s]", " ", s)
    return " ".join(s.split())


def bold_labels(text: str, labels: Iterable[str]) -> str:
    """Normalise section labels at the start of a line to ``**Label:**``.

    Accepts ``Label:``, ``**Label**:``, ``**Label:**``, ``## Label``, ``- Label:`` and the like, so
    that output from a small model renders the same way every time. Text after the label stays.
    """
    names = "|".join(re.escape(label) for label in labels)
    pattern = re.compile(
        rf"^(?:#{{1,6}}\s*|[-*+]\s+)?[*_]{{0,2}}({names})[*_]{{0,2}}\s*(?::|[*_]{{0,2}}:)[*_]{{0,2}}[ \t]*"
        rf"|^#{{1,6}}\s*[*_]{{0,2}}({names})[*_]{{0,2}}:?[*_]{{0,2}}[ \t]*$",
        re.IGNORECASE | re.MULTILINE,
    )
    canonical = {label.casefold(): label for label in labels}

    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        return f"**{canonical[name.casefold()]}:** "

    lines = [pattern.sub(repl, line).rstrip() for line in text.split("\n")]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Post-processing model output
# --------------------------------------------------------------------------------------------------

_WORD_RE = re.compile(r"\S+")
_LABEL_LINE_RE = re.compile(r"^[*_#\s]*[A-Za-z][\w '’()/-]{0,40}:")
# The same short phrase (1-8 words) three or more times in a row: "the the the", "so good, so good, so good".
_PHRASE_LOOP_RE = re.compile(r"\b(\w[\w'’]*(?:[ ,;:-]+\w[\w'’]*){0,7}?)(?:[ ,;:-]+\1\b){2,}", re.IGNORECASE)
# Global dedupe only for sentences long enough to be a real repeat, not "No." or "Yes!".
_MIN_DEDUPE_WORDS = 3


def _word_prefix_end(text: str, words: list[str]) -> int | None:
    """If ``text`` starts with ``words`` (whitespace-insensitive, case-insensitive) return the end offset."""
    if not words:
        return None
    matches = []
    for m in _WORD_RE.finditer(text):
        matches.append(m)
        if len(matches) == len(words):
            break
    if len(matches) < len(words):
        return None
    if all(m.group().casefold() == w.casefold() for m, w in zip(matches, words, strict=True)):
        return matches[-1].end()
    return None


def _echo_candidates(echo: str) -> tuple[list[str], list[list[str]]]:
    """Word lists to look for at the start of the output.

    The whole echo may end anywhere; the others (its first line, each ``Label: ...`` block of the
    prompt, each labelled line) must end at the end of a line.
    """
    full = echo.split()
    lines = [line.strip() for line in clean_text(echo).split("\n")]
    line_cands: list[list[str]] = []
    if lines and lines[0]:
        line_cands.append(lines[0].split())
    block: list[str] = []
    for line in lines:
        if _LABEL_LINE_RE.match(line):
            if block:
                line_cands.append(" ".join(block).split())
            block = [line]
            line_cands.append(line.split())
        elif line and block:
            block.append(line)
        elif not line and block:
            line_cands.append(" ".join(block).split())
            block = []
    if block:
        line_cands.append(" ".join(block).split())
    # longest first so a whole block is removed before one of its lines
    line_cands.sort(key=len, reverse=True)
    return full, [c for c in line_cands if c]


def _cut_echo(text: str, echo: str) -> str:
    full, line_cands = _echo_candidates(echo)
    for _ in range(50):
        text = text.lstrip()
        end = _word_prefix_end(text, full)
        if end is None:
            for cand in line_cands:
                e = _word_prefix_end(text, cand)
                if e is not None and (e == len(text) or text[e] == "\n"):
                    end = e
                    break
        if end is None:
            break
        text = text[end:]
    return text.strip()


def _strip_heading(text: str, heading: str) -> str:
    """Drop a first line like ``# Review``, ``**Review of Alien**`` or ``Review:``.

    A labelled first sentence (``Review: I loved it.``) keeps its text and loses the label.
    """
    first, _, rest = text.partition("\n")
    h = re.escape(heading)
    labelled = re.match(rf"^\s*#*\s*[*_]*{h}[*_]*\s*:[*_]*\s*(.*)$", first, re.IGNORECASE)
    if labelled:
        body = labelled.group(1).strip()
        # "Review: I loved it ..." keeps its text; "Review: Alien (1979)" above the review is a title
        if body and (_ENDS_AT_BOUNDARY_RE.search(body) or len(body.split()) > 8 or not rest.strip()):
            return (body + "\n" + rest).strip()
        return rest.strip()
    plain = first.strip().lstrip("#").strip().strip("*_").strip()
    if not plain.casefold().startswith(heading.casefold()):
        return text
    after = plain[len(heading) :]
    if after and after[0] not in " -–—":
        return text  # "Reviewing ..." is not a heading
    looks_like_heading = (
        first.lstrip().startswith("#")
        or (first.strip().startswith("**") and first.strip().endswith("**"))
        or (not _ENDS_AT_BOUNDARY_RE.search(first) and len(first.split()) <= 12)
    )
    return rest.strip() if looks_like_heading and rest.strip() else text


def _collapse_phrase_loops(line: str) -> str:
    prev = None
    while prev != line:
        prev = line
        line = _PHRASE_LOOP_RE.sub(r"\1", line)
    return line


def _paragraph_repeats(key: str, seen: list[str]) -> bool:
    """A paragraph repeats an earlier one if equal, or one is a long prefix of the other."""
    if not key:
        return False
    for prev in seen:
        if key == prev:
            return True
        shorter = min(len(key), len(prev))
        if shorter >= 20 and (prev.startswith(key) or key.startswith(prev)):
            return True
    return False


_LINE_PREFIX_RE = re.compile(
    r"^\s*(?:#{1,6}\s+|[-*+•>]\s+|\d{1,3}[.)]\s+)?(?:\*\*[^*\n]{1,40}\*\*|__[^_\n]{1,40}__)?"
)


def _sentence_key(sentence: str) -> str:
    """Dedupe key of a sentence without its markdown prefix ("- ", "## ", "**Label:**")."""
    body = _LINE_PREFIX_RE.sub("", sentence, count=1)
    return _key(body) or _key(sentence)


def _dedupe(text: str) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    kept_paragraphs: list[str] = []
    seen_paragraphs: list[str] = []
    seen_sentences: set[str] = set()
    last_key = ""
    for para in paragraphs:
        lines = [_collapse_phrase_loops(line.strip()) for line in para.split("\n")]
        pkey = _key(" ".join(lines))
        if _paragraph_repeats(pkey, seen_paragraphs):
            break  # the model started over: everything from here on is a loop
        seen_paragraphs.append(pkey)
        kept_lines: list[str] = []
        for line in lines:
            kept: list[str] = []
            for sentence in split_sentences(line):
                key = _sentence_key(sentence)
                if key and key == last_key:
                    continue  # immediate repeat, however short
                if key and len(key.split()) >= _MIN_DEDUPE_WORDS and key in seen_sentences:
                    continue
                if key:
                    seen_sentences.add(key)
                    last_key = key
                kept.append(sentence)
            if kept:
                kept_lines.append(" ".join(kept))
        if kept_lines:
            kept_paragraphs.append("\n".join(kept_lines))
    return "\n\n".join(kept_paragraphs)


def _cut_to_boundary(text: str) -> str:
    """Make the text end at a sentence boundary (or a complete markdown line), else add an ellipsis."""
    if not text or _ENDS_AT_BOUNDARY_RE.search(text):
        return text
    cut = 0
    for m in _BOUNDARY_RE.finditer(text):
        cut = max(cut, m.end())
    # a complete markdown line ("**Title:** X", "- item", "## Heading") followed by more text
    # is also a safe place to stop
    offset = 0
    lines = text.split("\n")
    for line in lines[:-1]:
        offset += len(line) + 1
        if line.strip() and is_markdown_unit(line):
            cut = max(cut, offset - 1)
    if cut == 0:
        return text.rstrip(" ,;:-–—") + "…"
    return text[:cut].rstrip()


def postprocess_text(text: str, *, echo: str | None = None, strip_heading: str | None = None) -> str:
    """The shared clean-up of a model answer before it is shown.

    1. clean and strip it; cut a leading echo of the prompt (``echo``: the user message) and a
       leading heading such as ``Review:`` (``strip_heading``);
    2. collapse loops: a phrase repeated 3+ times in a row becomes one, a sentence seen before is
       dropped, and the text stops where it starts repeating an earlier paragraph;
    3. cut back to the last sentence boundary (or add "…" when there is none);
    4. neutralise mentions.

    Markdown line structure (headings, ``**Label:**`` lines, bullets) is kept. Returns "" when
    nothing useful is left.
    """
    text = clean_text(text)
    if echo and echo.strip():
        text = _cut_echo(text, echo)
    if strip_heading:
        text = _strip_heading(text, strip_heading)
    text = _dedupe(text)
    text = _cut_to_boundary(text.strip())
    return neutralize_mentions(text.strip())


_JIEBA_LOCK = threading.Lock()  # the start's warm-up thread and the first Chinese reply may ask at once


def chinese_words() -> Any:
    """jieba's word cutter (MIT), one for the whole process: its dictionary is read on first use (about a second and
    50 MB), so the Chinese review check and the names in Chinese share it."""
    with _JIEBA_LOCK:
        return _jieba()


@functools.cache
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer
