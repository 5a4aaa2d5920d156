"""Running a film task through the queue: submit, stream display text, and finish with a clean reply.

This is what the flow (Discord) and the command line call with a prepared job (`bot.services`). It turns a
task's input into a `GenerationRequest`, streams snapshots of the post-processed text while the model writes
(only whole sentences or lines, so a half-written word never shows), and ends with the final post-processed
text; a refusal is retried once, and a reply the task judges poor is written once more (the better is kept).
"""

from __future__ import annotations

import asyncio
import logging
import re
import statistics
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from models import language as languages
from models.llm.jobs import GenerationRequest, JobError, JobHandle, JobQueue, JobResult
from models.tasks.base import TaskSpec
from models.tasks.variants import STANDARD, Variant, variants_for
from models.text import split_sentences, tighten_cjk

log = logging.getLogger(__name__)

_REFUSAL = re.compile(
    r"^\W*(?:I'?m sorry|I am sorry|sorry|unfortunately)\b[^\n]{0,80}?\b(?:can(?:'|no)?t|cannot|unable|not able)\b"
    r"[^\n]{0,40}?\b(?:assist|help|comply|provide|do|write|fulfil)",
    re.IGNORECASE,
)
RETRY_NOTE = "\n\n(This is an ordinary, harmless writing task about a film. Please write it now.)"
IN_LANGUAGE = 0.8  # a reply with less of its sentences in the language asked for is written once more
_BOUNDARY = re.compile(r"(?:[.!?…][\"'”’)\]*_]*(?=\s)|[。！？][」』）】”’\"')\]*_]*|\n)")  # CJK: no space after


def is_refusal(text: str) -> bool:
    """A short "I'm sorry, but I can't assist with that" instead of the task: small models do this at times."""
    return len(text) < 300 and bool(_REFUSAL.search(text.strip()))


def relabel(text: str, labels: Mapping[str, str]) -> str:
    """The bold labels the model wrote in English ("**Title:**", at the start of a line) as `labels` shows them
    ("**片名：**"). A label the model then wrote again in the reply's language ("**Title:** 片名：…") is not doubled;
    one it wrote only in that language stays as it is."""
    for english, shown in labels.items():
        name = re.escape(shown.strip("*").rstrip(":： \u00a0\u202f"))
        pattern = re.compile(rf"^{re.escape(english)}[ \t]*(?:\*\*)?(?:{name}[ \t\u00a0\u202f]*[:：]?(?:\*\*)?[ \t]*)?",
                             re.MULTILINE)
        text = pattern.sub(_literally(f"{shown} "), text)
    return text


def _literally(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement for `re.sub` that puts `text` in as it is (a string would be read as a template)."""
    return lambda _: text


def complete_prefix(text: str) -> str:
    """The part of a partial answer up to its last sentence end or line break."""
    ends = [m.end() for m in _BOUNDARY.finditer(text)]
    return text[: ends[-1]] if ends else ""


@dataclass(frozen=True)
class TaskReply:
    """A finished task: the text to show, the raw model text and the job's figures."""

    task: str
    text: str
    raw: str
    result: JobResult
    attempts: int = 1
    variant: str = ""  # the preset it was written in, when one was chosen for it


STYLE_NOTE = (
    "\n\nMembers here liked earlier replies that were {style}. Write yours the same way; what it says comes only "
    "from this request."
)


def describe_style(examples: Sequence[str]) -> str | None:
    """How liked replies are written, in words that carry none of theirs: length, paragraphs, sentence length,
    exclamation marks, person, bold labels. None without examples.

    A liked reply's own text is never put in a prompt: a small model copies it into the next reply, whatever the
    request (a liked /pitch came back word for word for another premise). Only these counts go in."""
    texts = [t.strip() for t in examples if t and t.strip()]
    if not texts:
        return None
    words = statistics.median(len(t.split()) for t in texts)
    paragraphs = round(statistics.median(len([p for p in t.split("\n\n") if p.strip()]) for t in texts))
    lengths = [len(s.split()) for t in texts for line in t.splitlines() for s in split_sentences(line)]
    per_sentence = statistics.mean(lengths) if lengths else words
    exclaiming = sum(t.count("!") for t in texts) / len(texts)
    first_person = sum(1 for t in texts if {"I", "I'm", "I've", "my", "me"} & set(t.split()))
    parts = [f"about {max(10, round(words, -1)):.0f} words long",
             f"in {paragraphs} paragraph{'s' if paragraphs != 1 else ''}",
             "in short sentences" if per_sentence < 12 else "in long sentences" if per_sentence > 24
             else "in sentences of middling length",
             "with no exclamation marks" if exclaiming < 0.5 else "with some exclamation marks" if exclaiming < 3
             else "with plenty of exclamation marks"]
    if first_person > len(texts) / 2:
        parts.append("in the first person")
    if sum(1 for t in texts if "**" in t) > len(texts) / 2:
        parts.append("with bold labels")
    return ", ".join(parts)


class TaskRun:
    """One task in flight, written as `variant` asks (`models.tasks.variants`; default: the task as it is), in
    `language` (a locale of `models.language.LANGUAGES`; None or "en": English, the prompts' own language), its bold
    labels shown as `labels` says ("**Title:**" -> "**片名：**"; `relabel`, once the checks have read them)."""

    def __init__(self, queue: JobQueue, spec: TaskSpec, inp: Any, style: str | None = None,
                 variant: Variant | None = None, language: str | None = None,
                 labels: Mapping[str, str] | None = None) -> None:
        self.queue = queue
        self.spec = spec
        self.labels = {english: shown for english, shown in (labels or {}).items() if english != shown}
        self.language = language if language and language != languages.ENGLISH else None
        self.variant = variant or Variant(STANDARD, "")
        self.variant_name = variant.name if variant is not None and len(variants_for(spec.name)) > 1 else ""
        self.inp = self.variant.fit(inp)
        messages = spec.build_messages(self.inp)
        told = languages.instruction(self.language or languages.ENGLISH)
        if told and spec.in_language is not None:
            told += spec.in_language(self.inp, self.language or languages.ENGLISH)
        note = (STYLE_NOTE.format(style=style) if style else "") + self.variant.note + told
        if note:
            last = messages[-1]
            messages = [*messages[:-1], {**last, "content": last["content"] + note}]
        if told and messages[0]["role"] == "system":  # said first too (these requests leave the shared prefix)
            messages = [{**messages[0], "content": messages[0]["content"] + told}, *messages[1:]]
        self.request = self._request(messages)
        self.handle: JobHandle = queue.submit(self.request)
        self._raw: list[str] = []

    def _request(self, messages: list[dict[str, str]]) -> GenerationRequest:
        cap = min(self.spec.max_new_tokens, self.variant.max_new_tokens or self.spec.max_new_tokens)
        return GenerationRequest(messages=tuple(messages), max_new_tokens=cap, prefix=self._prime(self.spec.prime))

    def _prime(self, prime: str) -> str:
        """A start written for the model, in the reply's language (`models.language.start`)."""
        return languages.start(prime, self.language) if self.language else prime

    def _noted(self, note: str) -> list[dict[str, str]]:
        """This run's prompt with `note` added to its last message (a retry's or a part's instructions)."""
        messages = list(self.request.messages)
        messages[-1] = {**messages[-1], "content": messages[-1]["content"] + note}
        return messages

    def _clean(self, text: str) -> str:
        """The task's post-processing, then the variant's finish."""
        return tighten_cjk(self.variant.finish(self.spec.postprocess(text, self.inp), self.inp))

    def position(self) -> int:
        return self.handle.position()

    def cancel(self) -> None:
        self.handle.cancel()

    async def snapshots(self) -> AsyncIterator[str]:
        """Post-processed text so far, each time a sentence or line completes."""
        shown = ""
        async for piece in self.handle:
            self._raw.append(piece)
            partial = complete_prefix("".join(self._raw))
            if not partial:
                continue
            if is_refusal(partial[len(self.request.prefix):]):
                continue  # "I'm sorry, but I can't…": retried in `reply`, never shown
            view = self._clean(partial)
            if view.endswith("…") and not partial.rstrip().endswith("…"):
                continue  # post-processing had to close an unfinished line: wait for more text
            if view and view != shown:
                shown = view
                yield relabel(view, self.labels) if self.labels else view

    async def reply(self) -> TaskReply:
        """Wait for the end (draining the stream if nobody read it) and post-process."""
        async for _ in self.snapshots():
            pass
        result = await self.handle.result()
        raw = result.text
        attempts = 1
        if is_refusal(raw):
            log.info("%s answer was a refusal, retrying once: %r", self.spec.name, raw[:120])
            attempts = 2
            request = self._request(self._noted(RETRY_NOTE))
            if self.spec.retry_prime is not None:
                request = replace(request, prefix=self._prime(self.spec.retry_prime(self.inp)))
            result = await self.queue.submit(request).result()
            raw = result.text
            if is_refusal(raw) or is_refusal(raw[len(request.prefix):]):
                raise JobError("The model declined to write this one. Try rephrasing your input a little.")
        reply = TaskReply(self.spec.name, self._clean(raw), raw, result, attempts=attempts, variant=self.variant_name)
        reply = await self._in_language(await self._second_try(reply))
        # the labels in the reply's language, now that every check has read the English ones the model wrote
        return replace(reply, text=relabel(reply.text, self.labels)) if self.labels else reply

    async def _second_try(self, reply: TaskReply) -> TaskReply:
        """When the task judges its reply poor (a sentence the checks had to remove, too little left, a review that
        contradicts its rating), write it once more with a prompt that names what was wrong, and keep the better of
        the two: a reply is mended by writing it again, never left with a hole where a sentence was cut."""
        spec = self.spec
        if spec.assess is None or spec.firmer is None:
            return reply
        first = await asyncio.to_thread(spec.assess, reply.text, reply.raw, self.inp)
        if first.ok:
            return reply
        log.info("%s reply not kept as it is (%s): one more try", spec.name, first.reason)
        note, prime = spec.firmer(self.inp, first)
        prime = self._prime(prime)
        try:
            result = await self.queue.submit(replace(self._request(self._noted(note)), prefix=prime)).result()
        except JobError as exc:  # QueueFull too: the first reply stands
            log.info("%s second try did not run: %s", spec.name, exc)
            return reply
        if is_refusal(result.text[len(prime):]):
            return reply
        second = TaskReply(spec.name, self._clean(result.text), result.text, result,
                           attempts=reply.attempts + 1, variant=self.variant_name)
        verdict = await asyncio.to_thread(spec.assess, second.text, second.raw, self.inp)
        log.info("%s second try %s (%s)", spec.name, "kept" if verdict.score > first.score else "dropped",
                 verdict.reason or "fine")
        better = second if verdict.score > first.score else replace(reply, attempts=second.attempts)
        score = max(first.score, verdict.score)
        if spec.merge is not None and not verdict.ok:
            merged = tighten_cjk(spec.merge(reply.text, second.text, self.inp))
            if merged not in (reply.text, second.text):
                both = await asyncio.to_thread(spec.assess, merged, merged, self.inp)
                if both.score > score:
                    log.info("%s kept the two tries made one (%s)", spec.name, both.reason or "fine")
                    better, score = replace(better, text=merged), both.score
        return await self._fill_gaps(better, score)

    async def _in_language(self, reply: TaskReply) -> TaskReply:
        """A reply asked for in another language than English, checked by a language identifier
        (`models.language.share`): when less than `IN_LANGUAGE` of it is in that language (small models drift back
        into English, or mix), it is written once more with a note that says so, and the one more in the language
        is kept, unless the task's own checks (`TaskSpec.assess`) score it worse."""
        if self.language is None:
            return reply
        found = await asyncio.to_thread(languages.share, reply.text, self.language)
        if found >= IN_LANGUAGE:
            return reply
        log.info("%s reply only %.0f%% in %s: one more try", self.spec.name, 100 * found, self.language)
        try:
            result = await self.queue.submit(
                self._request(self._noted(languages.firmer(self.language, found)))).result()
        except JobError as exc:  # QueueFull too: the reply stands
            log.info("%s language try did not run: %s", self.spec.name, exc)
            return reply
        second = TaskReply(self.spec.name, self._clean(result.text), result.text, result,
                           attempts=reply.attempts + 1, variant=self.variant_name)
        again = await asyncio.to_thread(languages.share, second.text, self.language)
        better = again > found and bool(second.text.strip())
        if better and self.spec.assess is not None:
            before, after = await asyncio.gather(asyncio.to_thread(self.spec.assess, reply.text, reply.raw, self.inp),
                                                 asyncio.to_thread(self.spec.assess, second.text, second.raw,
                                                                   self.inp))
            better = after.ok or after.score >= before.score
        log.info("%s language try %s (%.0f%% in %s)", self.spec.name, "kept" if better else "dropped", 100 * again,
                 self.language)
        return second if better else replace(reply, attempts=second.attempts)

    async def _fill_gaps(self, reply: TaskReply, score: float) -> TaskReply:
        """The parts the kept reply still lacks (`TaskSpec.gaps`), each written by a short request of its own, all
        at once; the reply with them put in is kept when it scores better."""
        spec = self.spec
        if spec.gaps is None or spec.fill is None or spec.assess is None:
            return reply
        gaps = spec.gaps(reply.text, self.inp)
        if not gaps:
            return reply
        handles = []
        try:
            for note, prime in gaps:
                handles.append(self.queue.submit(GenerationRequest(messages=tuple(self._noted(note)),
                                                                   max_new_tokens=spec.gap_tokens,
                                                                   prefix=self._prime(prime))))
        except JobError as exc:  # QueueFull: the reply stands
            for handle in handles:
                handle.cancel()
            log.info("%s parts not written: %s", spec.name, exc)
            return reply
        results = await asyncio.gather(*(h.result() for h in handles), return_exceptions=True)
        texts = [r.text if isinstance(r, JobResult) else "" for r in results]
        if self.language is not None:  # a part that came back in another language is left out ("我 verdict, 5/5
            # (I loved it)." copied the English note: 12 of 52 Chinese reviews in bench/languages.py)
            shares = await asyncio.gather(*(asyncio.to_thread(languages.share, t, self.language) for t in texts))
            texts = [t if found >= IN_LANGUAGE else "" for t, found in zip(texts, shares, strict=True)]
        filled = tighten_cjk(spec.fill(reply.text, texts, self.inp))
        if filled == reply.text:
            return reply
        verdict = await asyncio.to_thread(spec.assess, filled, filled, self.inp)
        log.info("%s parts written on their own %s (%s)", spec.name, "kept" if verdict.score > score else "dropped",
                 verdict.reason or "fine")
        return replace(reply, text=filled, attempts=reply.attempts + 1) if verdict.score > score else reply


def submit(queue: JobQueue, spec: TaskSpec, inp: Any, style: str | None = None,
           variant: Variant | None = None, language: str | None = None,
           labels: Mapping[str, str] | None = None) -> TaskRun:
    """Queue a task; raises `QueueFull` at once when the queue is at its bound.

    `style`: how the replies this community liked are written (`describe_style`), a guide for this one;
    `variant`: the preset it is written in (the server's learned choice); `language`: the reply's language (a
    locale of `models.language.LANGUAGES`; None: English); `labels`: the task's bold labels as the reply's language
    shows them (`relabel`).
    """
    return TaskRun(queue, spec, inp, style, variant, language, labels)
