"""/mood's language-model tasks. The shipped classifier (`models.mood`) gives the verdict; the LLM explains it.

- ``mood`` (:data:`SPEC`): one short sentence on why a text reads the way the classifier says
  (:class:`ExplainInput`: the text and the verdict). Plain prose.
- ``mood_channel`` (:data:`CHANNEL_SPEC`): two or three sentences on what people liked and disliked in a
  channel's discussion, from its most positive and most negative messages (:class:`DiscussionInput`).
- ``mood_llm`` (:data:`CLASSIFY_SPEC`): the LLM as the classifier: it answers JSON (sentiment, confidence,
  emotions), parsed by :func:`parse_mood` into a :class:`MoodResult`, retried once with
  :func:`classify_retry_messages`. The bot no longer uses it; ``bench/mood.py`` compares it with the shipped
  classifier and ``cinebot ask mood`` prints it. ``build_messages``/``retry_messages`` are its old names.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from models.tasks.base import Message, TaskSpec
from models.tasks.text import (
    clean_text,
    extract_json,
    neutralize_mentions,
    one_line,
    postprocess_text,
    require_text,
    split_sentences,
)

if TYPE_CHECKING:
    from models.grounding import Grounding

log = logging.getLogger(__name__)

COMMAND = "mood"
CHANNEL_TASK = "mood_channel"
CLASSIFY_TASK = "mood_llm"
TEXT_LIMIT = 4000
MAX_NEW_TOKENS = 80  # the JSON answer of the LLM classifier
EXPLAIN_MAX_NEW_TOKENS = 60
CHANNEL_MAX_NEW_TOKENS = 120
EXPLANATION_LIMIT = 300
SUMMARY_LIMIT = 700
QUOTE_LIMIT = 240  # each message quoted to the model in a channel summary
QUOTES = 5  # most positive and most negative messages quoted

SENTIMENTS = ("positive", "negative", "mixed", "neutral")
EMOTIONS = ("anger", "disgust", "fear", "joy", "sadness", "surprise")  # Ekman's six
_ALL_SENTIMENTS = frozenset((*SENTIMENTS, "unclear"))

_SENTIMENT_SYNONYMS = {
    "pos": "positive",
    "+": "positive",
    "neg": "negative",
    "-": "negative",
    "neu": "neutral",
    "mix": "mixed",
    "ambivalent": "mixed",
    "bittersweet": "mixed",
    "unknown": "unclear",
}
_EMOTION_SYNONYMS = {
    "angry": "anger",
    "rage": "anger",
    "annoyance": "anger",
    "disgusted": "disgust",
    "fearful": "fear",
    "afraid": "fear",
    "scared": "fear",
    "anxiety": "fear",
    "happiness": "joy",
    "happy": "joy",
    "joyful": "joy",
    "sad": "sadness",
    "sorrow": "sadness",
    "grief": "sadness",
    "surprised": "surprise",
    "shock": "surprise",
}
_CONFIDENCE_WORDS = {"very high": 0.95, "high": 0.9, "medium": 0.6, "moderate": 0.6, "low": 0.3}
_DEFAULT_CONFIDENCE = 0.5


@dataclass(frozen=True)
class MoodInput:
    text: str

    @classmethod
    def create(cls, text: str | None) -> MoodInput:
        return cls(text=require_text(text, field="text", command=COMMAND, limit=TEXT_LIMIT))


@dataclass(frozen=True)
class MoodResult:
    sentiment: str  # one of positive, negative, mixed, neutral, unclear
    confidence: float  # 0.0 .. 1.0
    emotions: tuple[str, ...]  # subset of EMOTIONS, in the model's order, no duplicates
    explanation: str = ""

    def __post_init__(self) -> None:
        if self.sentiment not in _ALL_SENTIMENTS:
            raise ValueError(f"unknown sentiment {self.sentiment!r}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence {self.confidence!r} is outside 0..1")
        unknown = set(self.emotions) - set(EMOTIONS)
        if unknown:
            raise ValueError(f"unknown emotions {sorted(unknown)!r}")


UNCLEAR = MoodResult("unclear", 0.0, ())

_SCHEMA = (
    '{"sentiment": "positive" | "negative" | "mixed" | "neutral", '
    '"confidence": <number from 0.0 to 1.0>, '
    '"emotions": [zero or more of "anger", "disgust", "fear", "joy", "sadness", "surprise"]}'
)

_SYSTEM = f"""\
You classify the mood of messages from a film club. Read the member's text and answer with \
ONLY a JSON object, no other words, no code fences:
{_SCHEMA}

- sentiment: the writer's overall feeling about what they discuss. "mixed" when they clearly feel both ways, \
"neutral" when they state facts or ask questions without feeling.
- confidence: how sure you are of the sentiment.
- emotions: the emotions the writer expresses (not the emotions of the film's characters). Use [] if none.

Example answer: {{"sentiment": "mixed", "confidence": 0.8, "emotions": ["joy", "sadness"]}}"""

_RETRY_SYSTEM = f"""\
Reply with one line of JSON and nothing else. The first character of your reply must be {{ and the last must \
be }}. Use exactly these keys:
{_SCHEMA}"""


def _user_content(inp: MoodInput) -> str:
    return f"Text:\n<<<\n{inp.text}\n>>>"


def classify_messages(inp: MoodInput) -> list[Message]:
    """The LLM-as-classifier prompt: answer JSON only."""
    user = _user_content(inp) + "\n\nJSON answer:"
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def classify_retry_messages(inp: MoodInput) -> list[Message]:
    """A stricter prompt for a second try when the first answer did not parse."""
    user = (
        _user_content(inp) + "\n\nClassify the sentiment of the text above. "
        'Answer with JSON only, for example {"sentiment": "positive", "confidence": 0.9, "emotions": ["joy"]}'
    )
    return [{"role": "system", "content": _RETRY_SYSTEM}, {"role": "user", "content": user}]


def _get(data: dict[str, Any], *names: str) -> Any:
    lowered = {str(k).strip().casefold(): v for k, v in data.items()}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def _sentiment(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    word = value.strip().strip(".!\"'").casefold()
    word = _SENTIMENT_SYNONYMS.get(word, word)
    return word if word in _ALL_SENTIMENTS else None


def _confidence(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        return _DEFAULT_CONFIDENCE
    if isinstance(value, str):
        s = value.strip().casefold()
        if s in _CONFIDENCE_WORDS:
            return _CONFIDENCE_WORDS[s]
        percent = s.endswith("%")
        try:
            x = float(s.rstrip("%").strip())
        except ValueError:
            return _DEFAULT_CONFIDENCE
        if percent:
            x /= 100
    elif isinstance(value, int | float):
        x = float(value)
    else:
        return _DEFAULT_CONFIDENCE
    if math.isnan(x):
        return _DEFAULT_CONFIDENCE
    if 1.0 < x <= 100.0:  # given as a percentage
        x /= 100
    return min(1.0, max(0.0, x))


def _emotions(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        items: list[Any] = re.split(r"[,;/|]", value)
    elif isinstance(value, list | tuple):
        items = list(value)
    elif isinstance(value, dict):  # {"joy": 0.8, "fear": 0.1}: keep the ones that are present
        items = [k for k, v in value.items() if not isinstance(v, int | float) or v > 0.2]
    else:
        return ()
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            continue
        word = item.strip().strip(".!\"'").casefold()
        word = _EMOTION_SYNONYMS.get(word, word)
        if word in EMOTIONS and word not in out:
            out.append(word)
    return tuple(out)


def parse_mood(text: str) -> MoodResult | None:
    """Read the model's answer; None when it has no usable sentiment (then retry or use ``UNCLEAR``)."""
    data = extract_json(text)
    if data is None:
        # a bare label ("Positive.") is a usable answer too
        sentiment = _sentiment(text)
        return MoodResult(sentiment, _DEFAULT_CONFIDENCE, ()) if sentiment else None
    sentiment = _sentiment(_get(data, "sentiment", "label", "polarity", "mood"))
    if sentiment is None:
        return None
    explanation = _get(data, "explanation", "reason", "rationale")
    explanation_text = ""
    if isinstance(explanation, str):
        explanation_text = neutralize_mentions(" ".join(clean_text(explanation).split()))[:EXPLANATION_LIMIT]
    return MoodResult(
        sentiment=sentiment,
        confidence=_confidence(_get(data, "confidence", "score", "probability")),
        emotions=_emotions(_get(data, "emotions", "emotion")),
        explanation=explanation_text,
    )


def classify_postprocess(text: str, inp: MoodInput) -> str:
    """The classifier's answers are parsed with :func:`parse_mood`, not shown; only make them mention-safe."""
    return neutralize_mentions(text)


# the names the LLM-classifier path had before the shipped classifier (bench/mood.py uses them)
build_messages = classify_messages
retry_messages = classify_retry_messages
postprocess = classify_postprocess


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
            text=require_text(text, field="text", command=COMMAND, limit=TEXT_LIMIT),
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
the things they talk about (scenes, acting, music, pacing, the ending), not who wrote. No lists, no headings, \
no quotes."""


def _channel_user(inp: DiscussionInput) -> str:
    about = f" about {inp.film}" if inp.film else ""
    liked = "\n".join(f"- {t}" for t in inp.liked) or "(none)"
    disliked = "\n".join(f"- {t}" for t in inp.disliked) or "(none)"
    return (f"Discussion in {inp.place}{about}: {inp.count} messages, {inp.positive_share:.0%} positive, "
            f"{inp.negative_share:.0%} negative.\n\nMost positive messages:\n{liked}\n\n"
            f"Most negative messages:\n{disliked}\n\nWhat did people like, and what did they dislike?")


def channel_messages(inp: DiscussionInput) -> list[Message]:
    facts = f"\n\n{inp.grounding.prompt_facts()}" if inp.grounding is not None else ""
    return [{"role": "system", "content": _CHANNEL_SYSTEM}, {"role": "user", "content": _channel_user(inp) + facts}]


def channel_postprocess(text: str, inp: DiscussionInput) -> str:
    """Prose only: list markers dropped, lines joined, at most `SUMMARY_LIMIT` characters, mention-safe."""
    cleaned = postprocess_text(text, echo=_channel_user(inp), strip_heading="Summary")
    if inp.grounding is not None:  # drop sentences that credit the wrong people
        cleaned = inp.grounding.check(cleaned).text
    lines = [line.strip().lstrip("-*•> ").strip() for line in cleaned.split("\n")]
    return _trim(" ".join(line for line in lines if line), SUMMARY_LIMIT)


SPEC = TaskSpec(
    name=COMMAND, max_new_tokens=EXPLAIN_MAX_NEW_TOKENS, build_messages=explain_messages,
    postprocess=explain_postprocess,
)
CHANNEL_SPEC = TaskSpec(
    name=CHANNEL_TASK, max_new_tokens=CHANNEL_MAX_NEW_TOKENS, build_messages=channel_messages,
    postprocess=channel_postprocess,
)
CLASSIFY_SPEC = TaskSpec(
    name=CLASSIFY_TASK, max_new_tokens=MAX_NEW_TOKENS, build_messages=classify_messages,
    postprocess=classify_postprocess,
)
