"""/mood (and the Mood message menu): a text, or a channel's discussion, to the classifier's figures and a checked
job for the language model's words on them.

One text: the shipped classifier's verdict and emotion scores (ready at once, shown before the model writes), and
a job in which the model explains the verdict in a sentence. A discussion: the members' messages (read from
Discord by the cog) are classified, summed up in a report and a chart, the messages the classifier reads clearly
are read again by the model (one word each: praise or criticism; one it reads as the other side is left out), and
the model sums up what people liked and disliked; when the messages are about a catalog film, the summary gets
the film's facts and checks as `/review` does. `cinebot ask mood` and the console use `read` as Discord does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from bot.i18n import ENGLISH, t
from bot.services.base import Prepared, required
from models.film.catalog import Catalog, Film, split_picked, unresolved
from models.film.grounding import Grounding
from models.llm.jobs import GenerationRequest, JobHandle, JobQueue, JobResult, QueueFull
from models.mood.report import ChartLabels, MoodReport, Scored, build_report, chart_font, chart_png, title_matcher
from models.tasks import DiscussionInput, ExplainInput, InputError
from models.tasks import mood as mood_task
from models.text import clean_text

if TYPE_CHECKING:
    from models.mood.classifier import MoodScore

log = logging.getLogger(__name__)

# the msgids the chart draws (`chart_labels`): `scripts/chart_fonts.py` keeps their characters in the CJK fonts
CHART_MESSAGES = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "Emotions (share of messages)",
                  "negative", "positive", "no clear emotion: {share}", "Trend: {trend}", "warmed up", "cooled",
                  "steady", "{count} messages")


def emotion_names(locale: str = ENGLISH) -> dict[str, str]:
    """Ekman's six emotions as the classifier names them -> their names in `locale`."""
    return {"anger": t("anger", locale), "disgust": t("disgust", locale), "fear": t("fear", locale),
            "joy": t("joy", locale), "sadness": t("sadness", locale), "surprise": t("surprise", locale)}


def sentiment_names(locale: str = ENGLISH) -> dict[str, str]:
    """The classifier's four labels -> their names in `locale`."""
    return {"positive": t("positive", locale), "negative": t("negative", locale), "mixed": t("mixed", locale),
            "neutral": t("neutral", locale)}


def trend_name(word: str, locale: str = ENGLISH) -> str:
    """A report's trend ("warmed up", "cooled", "steady") in `locale`."""
    return {"warmed up": t("warmed up", locale), "cooled": t("cooled", locale),
            "steady": t("steady", locale)}.get(word, word)


def verdict(score: MoodScore, locale: str = ENGLISH) -> str:
    """`MoodScore.verdict` in `locale`: "positive 93%", "mixed (54% positive)"."""
    name = sentiment_names(locale).get(score.label, score.label)
    if score.label in ("positive", "negative"):
        return t("{label} {share}", locale, label=name, share=f"{score.confidence:.0%}")
    return t("{label} ({share} positive)", locale, label=name, share=f"{score.positive:.0%}")


def chart_labels(report: MoodReport, locale: str = ENGLISH) -> ChartLabels:
    """The chart's words for `report` in `locale`, in the locale's font (`models.mood.report.chart_font`)."""
    if locale == ENGLISH:
        return ChartLabels()
    return ChartLabels(
        emotions=emotion_names(locale), mix_title=t("Emotions (share of messages)", locale),
        negative=t("negative", locale), positive=t("positive", locale),
        no_emotion=t("no clear emotion: {share}", locale, share=f"{report.no_emotion:.0%}"),
        trend_title=t("Trend: {trend}", locale, trend=trend_name(report.trend_word, locale)),
        count=t("{count} messages", locale, count=report.count), font=chart_font(locale), numeric_dates=True)


def no_classifier() -> InputError:
    return InputError("The mood classifier isn't loaded on this bot.")


class Classifier(Protocol):
    """The shipped mood classifier, as far as /mood needs it."""

    async def aclassify(self, texts: Sequence[str]) -> Sequence[Any]: ...


class TextMood(NamedTuple):
    """One text read: the classifier's verdict (`score`) and the job that explains it."""

    score: MoodScore
    job: Prepared


@dataclass(frozen=True)
class Said:
    """One member's message of a discussion, as the cog read it."""

    message_id: int
    jump_url: str
    author: str
    created_at: datetime
    text: str


@dataclass(frozen=True)
class Topic:
    """The film a discussion is filtered to: the title to look for, the catalog's label and film (None when the
    catalog does not know it)."""

    title: str
    label: str | None
    film: Film | None

    @property
    def name(self) -> str:
        return self.label or self.title


class Discussion(NamedTuple):
    """A discussion read: the classifier's report, its chart (PNG), and the job that sums it up (its lists of
    liked and disliked messages the classifier's alone until `second_reading`)."""

    report: MoodReport
    chart: bytes
    job: Prepared
    place: str = ""
    topic: Topic | None = None
    locale: str = ENGLISH  # the member's: the chart's and the title's words


def clear_sides(report: MoodReport) -> tuple[list[str], list[str]]:
    """The texts the classifier reads as clearly positive and clearly negative (not mixed, not neutral), most
    positive and most negative first, each once: the candidates for the summary's two lists. A mixed or neutral
    message's side is the classifier's coin toss ("I liked the mother's performance, she was terrifying" at 33%
    positive)."""
    quotes = 4 * mood_task.QUOTES  # repeats are dropped by the task

    def texts(side: list[Scored], label: str) -> list[str]:
        return list(dict.fromkeys(m.text for m in side if m.score.label == label))

    return texts(report.liked(quotes), "positive"), texts(report.disliked(quotes), "negative")


class MoodService:
    """See the module's docstring."""

    def __init__(self, classifier: Classifier | None, catalog: Catalog | None) -> None:
        self.classifier = classifier
        self.catalog = catalog

    async def read(self, text: str, source: str, locale: str = ENGLISH) -> TextMood:
        """The verdict on one text (`source` says where it is from: "your text", "a message by …"), titled in
        `locale`."""
        classifier = required(self.classifier, no_classifier)
        body = clean_text(text)[: mood_task.TEXT_LIMIT]
        if not body:
            raise InputError("That message has no text for me to read.")
        (score,) = await classifier.aclassify([body])
        emotions = tuple(e for e in score.detected if e != "neutral")
        inp = ExplainInput.create(text=body, label=score.label, positive=score.positive, emotions=emotions)
        inputs = {"text": body, "source": source, "label": score.label, "positive": score.positive,
                  "emotions": score.emotions, "detected": list(score.detected)}
        title = t("Mood: {verdict}", locale, verdict=verdict(score, locale))
        return TextMood(score, Prepared("mood", mood_task.SPEC, inp, inputs, title, source))

    def topic(self, film: str) -> Topic:
        """The film a discussion is filtered to; InputError when the title fits several catalog films."""
        query = film.strip()
        typed, year = split_picked(query, None)
        if self.catalog is None:
            return Topic(typed, None, None)
        resolution = self.catalog.resolve(f"{typed} {year}" if year else query)
        if resolution.ambiguous:
            raise unresolved(query, resolution)
        known = resolution.film
        if known is None:
            return Topic(typed, None, None)
        return Topic(known.title, known.title_year(), known)

    @staticmethod
    def about(messages: Sequence[Said], topic: Topic | None) -> list[Said]:
        """The messages that mention the topic's film (all of them without a topic)."""
        if topic is None:
            return list(messages)
        mentions = title_matcher(topic.title)
        return [m for m in messages if mentions(m.text)]

    async def discussion(self, messages: Sequence[Said], *, place: str, topic: Topic | None,
                         locale: str = ENGLISH) -> Discussion:
        """Classify `messages` (at least one), build the report and chart (worded in `locale`), and the job that sums
        them up."""
        classifier = required(self.classifier, no_classifier)
        scores = await classifier.aclassify([m.text for m in messages])
        report = build_report(Scored(m.message_id, m.jump_url, m.author, m.created_at, m.text, score)
                              for m, score in zip(messages, scores, strict=True))
        chart = await asyncio.to_thread(chart_png, report, chart_labels(report, locale))
        job = await self._summary_job(report, place, topic, *clear_sides(report), locale=locale)
        return Discussion(report, chart, job, place, topic, locale)

    async def second_reading(self, discussion: Discussion, queue: JobQueue) -> Prepared:
        """The summary's job with each side's messages read again by the language model (`SIDE_READS` a side, at
        once through the queue): a message the model reads as the other side is left off both lists, so the
        summary never praises what its writer criticised. Where the model gives no clear answer the classifier's
        side stands; when the queue is full, the job is the classifier's alone (the summary's own job then meets
        the same queue)."""
        liked, disliked = (side[: mood_task.SIDE_READS] for side in clear_sides(discussion.report))
        asked = [*liked, *disliked]
        handles: list[JobHandle] = []
        try:
            for text in asked:
                handles.append(queue.submit(GenerationRequest(messages=tuple(mood_task.side_messages(text)),
                                                              max_new_tokens=mood_task.SIDE_MAX_NEW_TOKENS)))
        except QueueFull:
            for handle in handles:
                handle.cancel()
            return discussion.job
        answers = await asyncio.gather(*(h.result() for h in handles), return_exceptions=True)
        sides = [mood_task.read_side(a.text) if isinstance(a, JobResult) else None for a in answers]
        read = dict(zip(asked, sides, strict=True))
        kept_liked = [t for t in liked if read[t] != "criticism"]
        kept_disliked = [t for t in disliked if read[t] != "praise"]
        log.info("/mood second reading: %d of %d liked and %d of %d disliked messages kept", len(kept_liked),
                 len(liked), len(kept_disliked), len(disliked))
        return await self._summary_job(discussion.report, discussion.place, discussion.topic, kept_liked,
                                       kept_disliked, locale=discussion.locale)

    async def _summary_job(self, report: MoodReport, place: str, topic: Topic | None, liked: list[str],
                           disliked: list[str], *, locale: str = ENGLISH) -> Prepared:
        inp = DiscussionInput.create(
            place=place, count=report.count, positive_share=report.shares["positive"],
            negative_share=report.shares["negative"], liked=liked, disliked=disliked,
            film=topic.name if topic else None,
        )
        if topic is not None and self.catalog is not None:
            # about a named film: the summary gets the catalog's facts, and a sentence that credits someone the
            # catalog contradicts (and the members did not name) is removed, as in /review
            grounding = await asyncio.to_thread(Grounding.for_film, self.catalog, topic.film,
                                                "\n".join(inp.liked + inp.disliked), None, "the messages")
            inp = replace(inp, grounding=grounding)
        inputs = {"place": place, "film": topic.name if topic else None, "count": report.count,
                  "shares": report.shares, "emotions": report.emotions, "trend": report.trend_word}
        title = (t("Mood of {place}: {film}", locale, place=place, film=topic.name) if topic
                 else t("Mood of {place}", locale, place=place))
        # the summary is in the language the messages it quotes are written in
        return Prepared("mood", mood_task.CHANNEL_SPEC, inp, inputs, title, said="\n".join(inp.liked + inp.disliked))
