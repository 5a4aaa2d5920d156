"""/mood's language-model tasks. The shipped classifier (`models.mood.classifier`) gives the verdict; the LLM
explains it.

- ``mood`` (:data:`SPEC`): one short sentence on why a text reads the way the classifier says
  (:class:`ExplainInput`: the text and the verdict). Plain prose.
- ``mood_channel`` (:data:`CHANNEL_SPEC`): two or three sentences on what people liked and disliked in a
  channel's discussion, from its most positive and most negative messages (:class:`DiscussionInput`).

:class:`MoodInput` is a member's text before the classifier has read it (``cinebot ask mood``).
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from models.tasks.base import Assessment, Message, TaskSpec
from models.tasks.pitch import FUNCTION_WORDS, root, same_word, tokens
from models.text import clean_text, one_line, postprocess_text, require_text, split_sentences

if TYPE_CHECKING:
    from models.film.grounding import Grounding

log = logging.getLogger(__name__)

COMMAND = "mood"
CHANNEL_TASK = "mood_channel"
TEXT_LIMIT = 4000
EXPLAIN_MAX_NEW_TOKENS = 60
CHANNEL_MAX_NEW_TOKENS = 120
EXPLANATION_LIMIT = 300
SUMMARY_LIMIT = 700
QUOTE_LIMIT = 240  # each message quoted to the model in a channel summary
QUOTES = 5  # most positive and most negative messages quoted

SENTIMENTS = ("positive", "negative", "mixed", "neutral")
EMOTIONS = ("anger", "disgust", "fear", "joy", "sadness", "surprise")  # Ekman's six


@dataclass(frozen=True)
class MoodInput:
    """A member's text whose mood is asked for, cleaned and checked; `ExplainInput` adds the classifier's verdict."""

    text: str

    @classmethod
    def create(cls, text: str | None) -> MoodInput:
        """Raises :class:`InputError` for an empty text or one over `TEXT_LIMIT` characters."""
        return cls(require_text(text, field="text", command=COMMAND, limit=TEXT_LIMIT))


# -- the explanation of one verdict -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExplainInput:
    """A text and the shipped classifier's verdict on it."""

    text: str
    label: str  # positive | negative | mixed | neutral
    positive: float  # calibrated P(positive)
    emotions: tuple[str, ...] = ()  # the detected emotions, strongest first (no "neutral")

    @classmethod
    def create(cls, text: str | None, label: str, positive: float, emotions: tuple[str, ...] = ()) -> ExplainInput:
        if label not in SENTIMENTS:
            raise ValueError(f"unknown label {label!r}")
        return cls(
            text=MoodInput.create(text).text,
            label=label,
            positive=min(1.0, max(0.0, float(positive))),
            emotions=tuple(e for e in emotions if e in EMOTIONS),
        )

    @property
    def verdict(self) -> str:
        """The verdict as the prompt states it: "positive (93% sure)", "mixed (54% positive)"."""
        if self.label == "positive":
            return f"positive ({self.positive:.0%} sure)"
        if self.label == "negative":
            return f"negative ({1 - self.positive:.0%} sure)"
        return f"{self.label} ({self.positive:.0%} positive)"


_EXPLAIN_SYSTEM = """\
You explain a mood classifier's verdict on a message from a film club. You get the message and the verdict. \
Answer with ONE short sentence (at most 30 words) that names the words or ideas in the message that make it \
read that way. Plain prose: no lists, no JSON, no labels, no numbers. Do not argue with the verdict."""


def _explain_user(inp: ExplainInput) -> str:
    emotions = ", ".join(inp.emotions) if inp.emotions else "none in particular"
    return (f"Message:\n<<<\n{inp.text}\n>>>\n\nVerdict: {inp.verdict}. Emotions: {emotions}.\n\n"
            f"In one sentence, why does the message read as {inp.label}?")


def explain_messages(inp: ExplainInput) -> list[Message]:
    return [{"role": "system", "content": _EXPLAIN_SYSTEM}, {"role": "user", "content": _explain_user(inp)}]


def _first_sentence(text: str, limit: int) -> str:
    for line in text.split("\n"):
        line = line.strip().lstrip("-*•> ").strip()
        if line:
            sentence = split_sentences(line)[0].strip().strip('"“”')
            return _trim(sentence, limit)
    return ""


def _trim(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a sentence end if there is one, else at a word, with "…"."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    sentences = split_sentences(head)
    if len(sentences) > 1:
        return " ".join(sentences[:-1])
    return head[: head.rfind(" ")].rstrip(" ,;:-") + "…" if " " in head else head[: limit - 1] + "…"


def explain_postprocess(text: str, inp: ExplainInput) -> str:
    """The first sentence of the answer, cleaned and mention-safe ("" when nothing useful is left)."""
    cleaned = postprocess_text(text, echo=_explain_user(inp), strip_heading="Explanation")
    return _first_sentence(cleaned, EXPLANATION_LIMIT)


# -- what a channel liked and disliked ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DiscussionInput:
    """A channel's discussion as the summary prompt sees it: its figures and its extreme messages."""

    place: str  # "#film-talk"
    count: int
    positive_share: float
    negative_share: float
    liked: tuple[str, ...]  # the most positive messages, most positive first
    disliked: tuple[str, ...]  # the most negative messages, most negative first
    film: str | None = None
    # for a named film: the catalog's facts for the prompt and the check of the people the summary names
    grounding: Grounding | None = field(default=None, repr=False, compare=False)

    @classmethod
    def create(cls, place: str, count: int, positive_share: float, negative_share: float, liked: list[str],
               disliked: list[str], film: str | None = None) -> DiscussionInput:
        def quotes(texts: list[str]) -> tuple[str, ...]:
            """Up to QUOTES trimmed one-line quotes, in order, without empty ones or repeats."""
            out: list[str] = []
            for text in texts:
                line = _trim(one_line(clean_text(text)), QUOTE_LIMIT)
                if line and line.casefold() not in {q.casefold() for q in out}:
                    out.append(line)
            return tuple(out[:QUOTES])

        return cls(place=one_line(place), count=count, positive_share=positive_share,
                   negative_share=negative_share, liked=quotes(liked), disliked=quotes(disliked),
                   film=one_line(film) if film else None)


_CHANNEL_SYSTEM = """\
You sum up a film club's discussion for its members. You get the discussion's most positive and most negative \
messages. In two or three short sentences of plain prose, say what people liked and what they disliked. Name \
the things they talk about in the messages' own words, not who wrote. Say only what the messages say: no story of \
the film, no person, place, scene or opinion that no message gives. No lists, no headings, no quotes.
The two lists are a machine's guess and it errs: a message that criticises can sit among the positive ones, and \
praise among the negative ones. Put each thing on the side its own message's words give."""


def _channel_user(inp: DiscussionInput) -> str:
    """The discussion's figures and its most positive and most negative messages, each under its heading. (Tried:
    all of them in one list, for the model to sort; the default model then put most things on both sides.)"""
    about = f" about {inp.film}" if inp.film else ""
    liked = "\n".join(f"- {t}" for t in inp.liked) or "(none)"
    disliked = "\n".join(f"- {t}" for t in inp.disliked) or "(none)"
    return (f"Discussion in {inp.place}{about}: {inp.count} messages, {inp.positive_share:.0%} positive, "
            f"{inp.negative_share:.0%} negative.\n\nMost positive messages:\n{liked}\n\n"
            f"Most negative messages:\n{disliked}\n\nWhat did people like, and what did they dislike?")


def channel_messages(inp: DiscussionInput) -> list[Message]:
    facts = f"\n\n{inp.grounding.prompt_facts()}" if inp.grounding is not None else ""
    return [{"role": "system", "content": _CHANNEL_SYSTEM}, {"role": "user", "content": _channel_user(inp) + facts}]


_ITEM_RE = re.compile(r"^\s*(?:[-*•>]|\d{1,2}[.)])\s+")
_LIST_HEAD_RE = re.compile(r"^\s*[*_]*(.{2,60}?)[*_]*\s*:[*_]*\s*(.*)$")


def _as_prose(lines: list[str]) -> list[str]:
    """A heading with a list under it ("People liked:" then "- the score") as one sentence: "People liked the
    score, the costumes and the banter." Other lines stay as they are, without their list markers."""
    out: list[str] = []
    head: str | None = None
    items: list[str] = []

    def close() -> None:
        if head is not None and items:
            listed = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
            out.append(f"{head} {listed}.")
        elif head is not None:
            out.append(head + ":")

    for line in lines:
        item = _ITEM_RE.match(line)
        if item and head is not None:
            words = line[item.end() :].strip().rstrip(".;,")
            if len(words) > 1 and words[1].islower():
                words = words[0].lower() + words[1:]
            items.append(words)
            continue
        close()
        head, items = None, []
        labelled = _LIST_HEAD_RE.match(line)
        if labelled and not labelled.group(2) and not _ITEM_RE.match(line):
            head = labelled.group(1).strip()
        else:
            out.append(_ITEM_RE.sub("", line).strip())
    close()
    return out


def _channel_prose(text: str, inp: DiscussionInput) -> str:
    """The draft as prose: a list under a heading made one sentence, other list markers dropped, lines joined,
    sentences that credit the wrong people dropped, mention-safe."""
    cleaned = postprocess_text(text, echo=_channel_user(inp), strip_heading="Summary")
    if inp.grounding is not None:
        cleaned = inp.grounding.check(cleaned).text
    lines = [line.strip() for line in _as_prose(cleaned.split("\n"))]
    return " ".join(line for line in lines if line)


_ITEM_SPLIT = re.compile(r",\s*(?:and\s+)?|\s+and\s+")
# the summary's verbs that start a list of what people liked or disliked
_LIKING_VERBS = r"liked|loved|enjoyed|praised|appreciated|admired"
_DISLIKING_VERBS = r"disliked|hated|critici[sz]ed|complained(?: about)?"
_LIST_VERBS = rf"{_LIKING_VERBS}|{_DISLIKING_VERBS}|found|thought"
_LIST_HEAD = re.compile(rf"^(.*?\b(?:{_LIST_VERBS})\s+)(\S.*)$", re.IGNORECASE)
_DISLIKING = re.compile(rf"\b(?:{_DISLIKING_VERBS})\b", re.IGNORECASE)
_LIKING = re.compile(rf"\b(?:{_LIKING_VERBS})\b", re.IGNORECASE)
# where a sentence turns to another list: "but", "while", ... and "and" before a verb of its own ("and hated ...")
_TURN = re.compile(r"(\s*,?\s*\b(?:but|while|whereas|although|though|however|yet)\b,?\s*|\s*,?\s*\band\s+(?="
                   rf"(?:they\s+|people\s+|many\s+|some\s+)?(?:{_LIST_VERBS})\b))", re.IGNORECASE)


def _content_roots(text: str) -> set[str]:
    return {root(p) for w in tokens(text) if (p := _plain(w)) not in FUNCTION_WORDS and p not in _SUMMARY_WORDS}


@functools.lru_cache(maxsize=64)
def _side_roots(inp: DiscussionInput) -> tuple[frozenset[str], frozenset[str]]:
    """The content words only the liked messages have, and only the disliked ones (read once per summary)."""
    liked, disliked = _content_roots("\n".join(inp.liked)), _content_roots("\n".join(inp.disliked))
    return frozenset(liked - disliked), frozenset(disliked - liked)


def other_side(item: str, head: str, inp: DiscussionInput) -> bool:
    """`item`, listed after `head` ("People liked"), names something only the other list's messages name: "the
    opening film" among what people liked, when only "the opening film was a mess" says "opening"."""
    only_liked, only_disliked = _side_roots(inp)
    if _DISLIKING.search(head):
        mine, theirs = only_disliked, only_liked
    elif _LIKING.search(head):
        mine, theirs = only_liked, only_disliked
    else:
        return False
    found = _content_roots(item)
    return bool(found & theirs) and not found & mine


def _lists(text: str) -> list[str]:
    """The parts of a text that each hold one list: its sentences, cut where they turn ("but", "and hated")."""
    return [part for sentence in split_sentences(text) for part in _TURN.split(sentence)[::2]]


def _list_of(segment: str) -> tuple[str, list[str], str]:
    """A part of a sentence as its start ("They disliked "), its listed items and its end mark."""
    body = segment.rstrip()
    end = body[-1] if body[-1:] in ".!" else ""
    items = [p.strip() for p in _ITEM_SPLIT.split(body.removesuffix(end)) if p.strip()]
    head = ""
    if items and (verb := _LIST_HEAD.match(items[0])):
        head, items[0] = verb.group(1), verb.group(2)
    return head, items, end


def _wrong(item: str, head: str, inp: DiscussionInput) -> bool:
    return bool(unsaid(item, inp)) or other_side(item, head, inp)


def wrong_items(sentence: str, inp: DiscussionInput) -> list[str]:
    """The items of a sentence's lists (one list each side of a "but") that say what no message says, or put a
    thing on the side its messages are not on."""
    out = []
    for segment in _lists(sentence):
        head, items, _ = _list_of(segment)
        out += [item for item in items if _wrong(item, head, inp)]
    return out


def _mend_segment(segment: str, inp: DiscussionInput) -> str:
    head, items, end = _list_of(segment)
    if unsaid(head, inp):
        return ""
    wrong = {item for item in items if _wrong(item, head, inp)}
    if not wrong:
        return segment
    if len(items) < 2:
        return ""
    kept = [item for item in items if item not in wrong]
    if not kept or (not head and kept[0] != items[0]):
        return ""
    listed = kept[0] if len(kept) == 1 else ", ".join(kept[:-1]) + " and " + kept[-1]
    return head + listed + end


def mend_list(sentence: str, inp: DiscussionInput) -> str:
    """A sentence that lists things ("They disliked the length, the final twist, and the middle dragging.") without
    its `wrong_items` ("the length"); "" when a list's start ("They disliked") says what no message says, or
    nothing is left of a list."""
    parts = _TURN.split(sentence.strip())
    mended = [_mend_segment(part, inp) if i % 2 == 0 else part for i, part in enumerate(parts)]
    if any(not part for part in mended[::2]):
        return ""
    return "".join(mended)


def channel_postprocess(text: str, inp: DiscussionInput) -> str:
    """The draft as prose, without what no message says: a listed thing no message names is taken out of its list
    (`mend_list`), another such sentence is dropped; at most `SUMMARY_LIMIT` characters ("" when no sentence is
    left: the report then shows its figures alone)."""
    kept = []
    for sentence in split_sentences(_channel_prose(text, inp)):
        if unsaid(sentence, inp) or wrong_items(sentence, inp):
            sentence = mend_list(sentence, inp)
        if sentence:
            kept.append(sentence)
    return _trim(" ".join(kept), SUMMARY_LIMIT)


# words a summary uses about the discussion itself, which no message needs to hold
_SUMMARY_WORDS = frozenset("""
people members viewers audience fans others many most some several few everyone opinion opinions discussion
discussions channel messages message comments views reactions feelings thoughts overall mixed positive negative
liked like likes loved love enjoyed enjoy appreciated praised praise disliked dislike hated found find felt feel
thought think said say mentioned noted called described seemed seem agreed highlighted criticized criticised
criticism complained complaints film movie films movies aspects aspect parts part things thing especially
particularly generally mostly also however although though while whereas yet too very quite rather really
have having get getting got give giving gave go going went make making made feel feeling being seeming
""".split())


_CONTRACTION_RE = re.compile(r"['’](?:ve|re|ll|d|m|s)$", re.IGNORECASE)
_SPELLING = {"color": "colour", "colors": "colours", "humor": "humour", "favorite": "favourite",
             "theater": "theatre", "gray": "grey", "center": "centre"}


def _plain(word: str) -> str:
    """A word as the summary check compares it: no contraction ("they've" -> "they"), one spelling ("colour")."""
    w = _CONTRACTION_RE.sub("", word.casefold())
    w = re.sub(r"^(\w{2,3})(?:ies|ied|ying)$", r"\1y", w)  # tries, tried, trying -> try
    return _SPELLING.get(w, w)


def _said(word: str, roots: set[str]) -> bool:
    """`word` is among `roots`, or shares its first seven letters with one ("excellence", "excellent")."""
    if same_word(word, roots):
        return True
    r = root(word)
    return len(r) >= 7 and any(o[:7] == r[:7] for o in roots)


def unsaid(text: str, inp: DiscussionInput) -> list[str]:
    """The words of a summary that neither the quoted messages, the film's name nor the catalog's facts hold
    (function words, light verbs and words about the discussion itself aside)."""
    sources = [*inp.liked, *inp.disliked, inp.film or ""]
    if inp.grounding is not None:
        sources.append(inp.grounding.prompt_facts())
    said = {root(_plain(w)) for w in tokens("\n".join(sources))}
    return list(dict.fromkeys(
        w for w in tokens(text)
        if (plain := _plain(w)) not in FUNCTION_WORDS and plain not in _SUMMARY_WORDS and not w.isdigit()
        and not _said(plain, said)
    ))


def channel_assess(text: str, raw: str, inp: DiscussionInput) -> Assessment:
    """The draft (`raw`) before its unsupported sentences were dropped or mended: every content word the messages
    hold (or the film's facts, for a named film) and every listed thing on its messages' side, else one more try
    with those named, and the kept summary is the one with more left of it. The sides are the prompt's two lists:
    the messages the classifier reads clearly that the model, reading each again, does not place on the other side
    (`bot.services.mood.MoodService.second_reading`)."""
    prose = _channel_prose(raw, inp)
    extra = unsaid(prose, inp)
    problems = [f"it said {', '.join(repr(w) for w in extra)}, which no message says"] if extra else []
    for segment in _lists(prose):
        head, items, _ = _list_of(segment)
        if switched := [item for item in items if other_side(item, head, inp)]:
            side = "disliked" if _DISLIKING.search(head) else "liked"
            problems.append(f"it said people {side} {', '.join(repr(i) for i in switched)}, which their messages "
                            f"do not say")
    problem = "; ".join(problems)
    if not text:
        return Assessment(False, 0.0, "empty", (problem or "it was empty",))
    if not problems:
        return Assessment(True, 100.0)
    return Assessment(False, 50.0 + min(len(text), 400) / 8 - 5.0 * (len(extra) + len(problems) - bool(extra)),
                      problem, tuple(problems))


def channel_firmer(inp: DiscussionInput, first: Assessment) -> tuple[str, str]:
    """One more try, what was wrong named. No start is given: "People" started lists ("People liked:\n- ...")."""
    note = (f"\n\nA first draft of this summary went wrong: {'; '.join(first.problems)}. Write it again in two or "
            "three sentences of prose, naming only what the messages above name, in their words.")
    return note, ""


# -- a second reading of each quoted message's side --------------------------------------------------------------

SIDE_MAX_NEW_TOKENS = 3
SIDE_READS = QUOTES + 2  # messages of each side read again, in the classifier's order

SIDE_SYSTEM = (
    "You read one message from a discussion about a film and say whether the writer liked what they talk about "
    "(praise) or not (criticism). Film fans praise in words of fear, tears and shock: \"the monster is genuinely "
    "scary\", \"the ending wrecked me\" and \"that scene is insane\" are praise. Complaints can be mild: \"the "
    "second act drags\", \"a bit long\", \"I saw the twist coming\" and \"the effects look fake\" are criticism. "
    "Answer with one word: praise or criticism.")


def side_messages(text: str) -> list[Message]:
    """The prompt that asks the language model which side one message is on (the second reader of /mood's lists:
    the classifier, trained on reviews, reads "the villain's stare is terrifying" and "made me cry" as negative)."""
    line = _trim(one_line(clean_text(text)), QUOTE_LIMIT)
    return [{"role": "system", "content": SIDE_SYSTEM},
            {"role": "user", "content": f"Message: {line}\nPraise or criticism?"}]


_SIDE_ANSWER = re.compile(r"\b(?:(prais\w*)|(critic\w*))", re.IGNORECASE)


def read_side(answer: str) -> str | None:
    """"praise" or "criticism" from the model's one-word answer; None when it gives neither (or both)."""
    found = {("praise" if m.group(1) else "criticism") for m in _SIDE_ANSWER.finditer(answer)}
    return found.pop() if len(found) == 1 else None


SPEC = TaskSpec(
    name=COMMAND, max_new_tokens=EXPLAIN_MAX_NEW_TOKENS, build_messages=explain_messages,
    postprocess=explain_postprocess,
)
CHANNEL_SPEC = TaskSpec(
    name=CHANNEL_TASK, max_new_tokens=CHANNEL_MAX_NEW_TOKENS, build_messages=channel_messages,
    postprocess=channel_postprocess, assess=channel_assess, firmer=channel_firmer,
)
