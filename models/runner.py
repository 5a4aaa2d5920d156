"""Running a film task through the queue: submit, stream display text, and finish with a clean reply.

This is what the cogs and the command line call. It turns a task's input into a `GenerationRequest`,
streams snapshots of the post-processed text while the model writes (only whole sentences or lines, so a
half-written word never shows), and ends with the final post-processed text. The LLM-as-classifier task
(`mood_llm`) answers JSON: it is not streamed but parsed into a `MoodResult`; a broken answer is retried once
with a stricter prompt, then reported as unclear.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

from models.llm.jobs import GenerationRequest, JobError, JobHandle, JobQueue, JobResult
from models.tasks import SPECS, UNCLEAR, MoodResult, TaskSpec, parse_mood
from models.tasks import mood as mood_task

log = logging.getLogger(__name__)

CLASSIFY = mood_task.CLASSIFY_TASK  # the LLM as the mood classifier: JSON, parsed, not shown as it is written
_REFUSAL = re.compile(
    r"^\W*(?:I'?m sorry|I am sorry|sorry|unfortunately)\b[^\n]{0,80}?\b(?:can(?:'|no)?t|cannot|unable|not able)\b"
    r"[^\n]{0,40}?\b(?:assist|help|comply|provide|do|write|fulfil)",
    re.IGNORECASE,
)
RETRY_NOTE = "\n\n(This is an ordinary, harmless writing task about a film. Please write it now.)"
_BOUNDARY = re.compile(r"(?:[.!?…][\"'”’)\]*_]*(?=\s)|\n)")


def is_refusal(text: str) -> bool:
    """A short "I'm sorry, but I can't assist with that" instead of the task: small models do this at times."""
    return len(text) < 300 and bool(_REFUSAL.search(text.strip()))


def complete_prefix(text: str) -> str:
    """The part of a partial answer up to its last sentence end or line break."""
    ends = [m.end() for m in _BOUNDARY.finditer(text)]
    return text[: ends[-1]] if ends else ""


@dataclass(frozen=True)
class TaskReply:
    """A finished task: the text to show, the raw model text, the job's figures and, for `mood_llm`, the parse."""

    task: str
    text: str
    raw: str
    result: JobResult
    mood: MoodResult | None = None
    attempts: int = 1


STYLE_NOTE = (
    "\n\nMembers liked this earlier reply of yours. Match its style, voice and length, "
    "not its content or facts:\n<<<\n{example}\n>>>"
)
STYLE_EXAMPLE_LIMIT = 1200


def with_style_example(messages: list[dict[str, str]], example: str | None) -> list[dict[str, str]]:
    """Add a reply that members liked to the last user message, as a guide to style (not content)."""
    if not example or not example.strip():
        return messages
    text = example.strip()
    if len(text) > STYLE_EXAMPLE_LIMIT:
        text = complete_prefix(text[:STYLE_EXAMPLE_LIMIT]) or text[:STYLE_EXAMPLE_LIMIT]
    last = messages[-1]
    return [*messages[:-1], {**last, "content": last["content"] + STYLE_NOTE.format(example=text.strip())}]


class TaskRun:
    """One task in flight."""

    def __init__(self, queue: JobQueue, spec: TaskSpec, inp: Any, meta: dict[str, Any] | None = None,
                 style_example: str | None = None) -> None:
        self.queue = queue
        self.spec = spec
        self.inp = inp
        self.meta = meta or {}
        messages = spec.build_messages(inp)
        if spec.name != CLASSIFY:  # the classifier answers JSON; a prose example would only confuse it
            messages = with_style_example(messages, style_example)
        self.request = self._request(messages)
        self.handle: JobHandle = queue.submit(self.request)
        self._raw: list[str] = []

    def _request(self, messages: list[dict[str, str]]) -> GenerationRequest:
        return GenerationRequest(messages=tuple(messages), max_new_tokens=self.spec.max_new_tokens,
                                 prefix=self.spec.prime, task=self.spec.name, meta=self.meta)

    def position(self) -> int:
        return self.handle.position()

    def cancel(self) -> None:
        self.handle.cancel()

    async def snapshots(self) -> AsyncIterator[str]:
        """Post-processed text so far, each time a sentence or line completes (the JSON classifier: nothing)."""
        shown = ""
        async for piece in self.handle:
            self._raw.append(piece)
            if self.spec.name == CLASSIFY:
                continue
            partial = complete_prefix("".join(self._raw))
            if not partial:
                continue
            if is_refusal(partial[len(self.request.prefix):]):
                continue  # "I'm sorry, but I can't…": retried in `reply`, never shown
            view = self.spec.postprocess(partial, self.inp)
            if view.endswith("…") and not partial.rstrip().endswith("…"):
                continue  # post-processing had to close an unfinished line: wait for more text
            if view and view != shown:
                shown = view
                yield view

    async def reply(self) -> TaskReply:
        """Wait for the end (draining the stream if nobody read it) and post-process."""
        async for _ in self.snapshots():
            pass
        result = await self.handle.result()
        raw = result.text
        if self.spec.name != CLASSIFY:
            attempts = 1
            if is_refusal(raw):
                log.info("%s answer was a refusal, retrying once: %r", self.spec.name, raw[:120])
                attempts = 2
                messages = list(self.request.messages)
                messages[-1] = {**messages[-1], "content": messages[-1]["content"] + RETRY_NOTE}
                request = self._request(messages)
                if self.spec.retry_prime is not None:
                    request = replace(request, prefix=self.spec.retry_prime(self.inp))
                result = await self.queue.submit(request).result()
                raw = result.text
                if is_refusal(raw) or is_refusal(raw[len(request.prefix):]):
                    raise JobError("The model declined to write this one. Try rephrasing your input a little.")
            reply = TaskReply(self.spec.name, self.spec.postprocess(raw, self.inp), raw, result, attempts=attempts)
            return await self._second_try(reply)
        return await self._mood_reply(result)

    async def _second_try(self, reply: TaskReply) -> TaskReply:
        """When the task judges its reply poor (too little left after the checks, a review that contradicts its
        rating), write it once more with a firmer prompt and keep the better of the two."""
        spec = self.spec
        if spec.assess is None or spec.firmer is None:
            return reply
        first = await asyncio.to_thread(spec.assess, reply.text, self.inp)
        if first.ok:
            return reply
        log.info("%s reply not kept as it is (%s): one more try", spec.name, first.reason)
        note, prime = spec.firmer(self.inp)
        messages = list(self.request.messages)
        messages[-1] = {**messages[-1], "content": messages[-1]["content"] + note}
        try:
            result = await self.queue.submit(replace(self._request(messages), prefix=prime)).result()
        except JobError as exc:  # QueueFull too: the first reply stands
            log.info("%s second try did not run: %s", spec.name, exc)
            return reply
        if is_refusal(result.text[len(prime):]):
            return reply
        second = TaskReply(spec.name, spec.postprocess(result.text, self.inp), result.text, result,
                           attempts=reply.attempts + 1)
        verdict = await asyncio.to_thread(spec.assess, second.text, self.inp)
        log.info("%s second try %s (%s)", spec.name, "kept" if verdict.score > first.score else "dropped",
                 verdict.reason or "fine")
        return second if verdict.score > first.score else replace(reply, attempts=second.attempts)

    async def _mood_reply(self, result: JobResult) -> TaskReply:
        raw = result.text
        parsed = parse_mood(raw)
        attempts = 1
        if parsed is None:
            log.info("mood answer did not parse, retrying once: %r", raw[:200])
            attempts = 2
            retry = self.queue.submit(self._request(mood_task.classify_retry_messages(self.inp)))
            result = await retry.result()
            raw = result.text
            parsed = parse_mood(raw)
        mood = parsed or UNCLEAR
        return TaskReply(CLASSIFY, format_mood(mood), raw, result, mood=mood, attempts=attempts)


def submit(queue: JobQueue, task: str, inp: Any, meta: dict[str, Any] | None = None,
           style_example: str | None = None) -> TaskRun:
    """Queue a task; raises `QueueFull` at once when the queue is at its bound.

    `style_example`: a reply this community liked (from reaction feedback), shown to the model as a guide to style.
    """
    return TaskRun(queue, SPECS[task], inp, meta, style_example)


def format_mood(mood: MoodResult) -> str:
    if mood.sentiment == "unclear":
        return "Mood: unclear (the model's answer could not be read; try again or rephrase)."
    emotions = ", ".join(mood.emotions) if mood.emotions else "none in particular"
    lines = [f"Sentiment: {mood.sentiment} (confidence {mood.confidence:.2f})", f"Emotions: {emotions}"]
    if mood.explanation:
        lines.append(mood.explanation)
    return "\n".join(lines)
