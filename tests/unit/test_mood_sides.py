"""/mood's second reading of the summary's lists (`MoodService.second_reading`): only messages the classifier reads
clearly are candidates, the language model reads each again, and a message it reads as the other side is left off
both lists. A stub classifier and a stub queue (no model); the real service and task code."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from bot.services.mood import MoodService, Said
from models.llm.jobs import GenerationRequest, JobResult, QueueFull
from models.mood.classifier import MoodScore
from models.tasks import mood as mood_task

# text -> (P(positive), label) as the classifier reads it; the villain's stare is praise it misreads
READ = {
    "the costumes were gorgeous": (0.99, "positive"),
    "the harmonica theme is iconic": (0.98, "positive"),
    "the villain's stare alone is terrifying": (0.04, "negative"),
    "the dubbing is distracting": (0.01, "negative"),
    "the pacing is really slow": (0.02, "negative"),
    "I cried at the reprise": (0.39, "mixed"),
}
# what the model answers when asked a message's side
ANSWERS = {
    "the costumes were gorgeous": "praise",
    "the harmonica theme is iconic": "Praise.",
    "the villain's stare alone is terrifying": "praise",
    "the dubbing is distracting": "criticism",
    "the pacing is really slow": "Hmm",  # no clear answer: the classifier's side stands
}


class StubClassifier:
    async def aclassify(self, texts: Sequence[str]) -> list[MoodScore]:
        out = []
        for text in texts:
            positive, label = READ[text]
            out.append(MoodScore(positive, label, max(positive, 1 - positive), dict.fromkeys(mood_task.EMOTIONS, 0.0),
                                 ()))
        return out


@dataclass
class StubHandle:
    answer: str
    cancelled: bool = False

    async def result(self) -> JobResult:
        return JobResult(self.answer, 40, 2, 0.0, 0.01, "stub", "stop")

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class StubQueue:
    room: int = 100
    asked: list[str] = field(default_factory=list)
    handles: list[StubHandle] = field(default_factory=list)

    def submit(self, request: GenerationRequest) -> StubHandle:
        if len(self.handles) >= self.room:
            raise QueueFull(self.room, 30.0)
        text = request.messages[-1]["content"].removeprefix("Message: ").removesuffix("\nPraise or criticism?")
        assert request.messages[0]["content"] == mood_task.SIDE_SYSTEM
        assert request.max_new_tokens == mood_task.SIDE_MAX_NEW_TOKENS
        self.asked.append(text)
        self.handles.append(StubHandle(ANSWERS[text]))
        return self.handles[-1]


def said() -> list[Said]:
    return [Said(i, f"https://discord.com/channels/1/2/{i}", "member", datetime(2026, 12, 1, tzinfo=UTC), text)
            for i, text in enumerate(READ)]


def test_a_message_the_model_reads_as_the_other_side_is_on_neither_list() -> None:
    service = MoodService(StubClassifier(), None)
    queue = StubQueue()

    async def go() -> tuple[mood_task.DiscussionInput, mood_task.DiscussionInput]:
        discussion = await service.discussion(said(), place="#western", topic=None)
        job = await service.second_reading(discussion, queue)  # type: ignore[arg-type]
        return discussion.job.inp, job.inp

    first, second = asyncio.run(go())
    # the classifier alone: a mixed message is on no list, the misread stare is among the negative ones
    assert first.liked == ("the costumes were gorgeous", "the harmonica theme is iconic")
    assert "I cried at the reprise" not in first.liked + first.disliked
    assert "the villain's stare alone is terrifying" in first.disliked
    # read again: the stare is left off, an unclear answer keeps the classifier's side
    assert second.liked == first.liked
    assert second.disliked == ("the dubbing is distracting", "the pacing is really slow")
    assert sorted(queue.asked) == sorted(t for t in READ if t != "I cried at the reprise")
    prompt = mood_task.channel_messages(second)[-1]["content"]
    assert "terrifying" not in prompt and "gorgeous" in prompt


def test_a_full_queue_leaves_the_classifiers_lists_and_takes_nothing() -> None:
    service = MoodService(StubClassifier(), None)
    queue = StubQueue(room=2)

    async def go() -> tuple[mood_task.DiscussionInput, mood_task.DiscussionInput]:
        discussion = await service.discussion(said(), place="#western", topic=None)
        job = await service.second_reading(discussion, queue)  # type: ignore[arg-type]
        return discussion.job.inp, job.inp

    first, second = asyncio.run(go())
    assert second == first
    assert len(queue.handles) == 2 and all(h.cancelled for h in queue.handles)


@pytest.mark.parametrize(("answer", "side"), [
    ("praise", "praise"), ("Praise.", "praise"), (" criticism", "criticism"), ("Criticism", "criticism"),
    ("praised", "praise"), ("critical", "criticism"), ("", None), ("Neutral", None), ("praise or criticism", None),
])
def test_the_models_answer_is_read_as_one_side_or_none(answer: str, side: str | None) -> None:
    assert mood_task.read_side(answer) == side
