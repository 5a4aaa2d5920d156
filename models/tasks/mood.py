"""/mood: classify the sentiment and emotions of a piece of film talk; the model answers in JSON."""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from typing import Any

from models.tasks.base import Message, TaskSpec
from models.tasks.text import clean_text, extract_json, neutralize_mentions, require_text

log = logging.getLogger(__name__)

COMMAND = "mood"
TEXT_LIMIT = 4000
MAX_NEW_TOKENS = 80
EXPLANATION_LIMIT = 300

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


def build_messages(inp: MoodInput) -> list[Message]:
    user = _user_content(inp) + "\n\nJSON answer:"
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def retry_messages(inp: MoodInput) -> list[Message]:
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


def postprocess(text: str, inp: MoodInput) -> str:
    """Mood answers are parsed with :func:`parse_mood`, not shown; only make them mention-safe."""
    return neutralize_mentions(text)


SPEC = TaskSpec(
    name=COMMAND, max_new_tokens=MAX_NEW_TOKENS, build_messages=build_messages, postprocess=postprocess
)
