"""The batching worker: one thread that runs the model off the event loop, with continuous batching.

Each `step()` is one small named step (after vLLM's `EngineCore.step`): admit the jobs that are waiting (up to
`max_batch`, a token budget and the model's `prefill_budget` of prompt tokens per step, after a short linger when
idle), prefill them together and merge them into the running batch, decode one token for every running job,
stream the new text back, and retire the jobs that finished or were cancelled. A job that fails (bad input, prompt
too long) fails alone; its batch-mates go on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from models.llm.jobs import JobError, JobHandle, JobQueue, JobResult, PromptTooLong, deliver
from models.llm.protocol import BackendStatus, StepModel
from models.llm.serving import FAILED, cancelled, not_to_start, shut_down, stop_taking

log = logging.getLogger(__name__)

Event = tuple[JobHandle, tuple[str, object]]


@dataclass
class _Seq:
    """A running job: its tokens so far and the incremental detokenizer state."""

    handle: JobHandle
    prompt_len: int
    max_new: int
    started: float
    ids: list[int] = field(default_factory=list)
    prefix_offset: int = 0
    read_offset: int = 0
    pieces: list[str] = field(default_factory=list)
    finished: bool = False


@dataclass(frozen=True)
class WorkerConfig:
    max_batch: int = 32
    max_batch_tokens: int = 24_576
    batch_wait_s: float = 0.015
    max_prompt_tokens: int = 3_072
    max_new_tokens: int = 0  # 0: each job's own cap; else a ceiling for every job
    idle_poll_s: float = 0.25
    nice: int = 0  # the worker thread's niceness (and so its native threads'): above the event loop's, lower priority


def lower_priority(nice: int) -> None:
    """Schedule the calling thread `nice` steps lower (Linux: niceness is per thread, and the threads it starts
    after this, such as llama.cpp's and torch's compute threads, inherit it), so that the event loop's thread, at the
    process's own priority, runs first when both want a core. Elsewhere, or when refused, nothing changes."""
    if nice <= 0 or not hasattr(os, "setpriority") or not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
    except OSError:
        log.warning("could not lower the worker thread's priority", exc_info=True)


class BatchingWorker:
    """Consumes a `JobQueue` with a `StepModel` in a background thread."""

    def __init__(self, model: StepModel, queue: JobQueue, config: WorkerConfig | None = None) -> None:
        self.model = model
        self.queue = queue
        self.config = config or WorkerConfig()
        self.active: list[_Seq] = []
        self.batch: Any = None
        self.steps = 0
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._abort = threading.Event()
        self._events: list[Event] = []

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="cinebot-worker", daemon=True)
            self._thread.start()

    async def close(self, drain_s: float = 30.0) -> None:
        """Stop taking jobs, let running ones finish for up to `drain_s`, then cut off the rest."""
        stop_taking(self.queue)
        self._stopping.set()
        thread = self._thread
        if thread is None:
            return
        await asyncio.to_thread(thread.join, drain_s)
        if thread.is_alive():
            self._abort.set()
            await asyncio.to_thread(thread.join)

    async def status(self) -> BackendStatus:
        """In-process: ready while the worker thread runs."""
        running = self._thread is not None and self._thread.is_alive()
        return BackendStatus(
            backend=self.model.backend, model=self.model.name, reachable=running,
            detail=self.model.detail if running else "the worker is not running",
        )

    async def __aenter__(self) -> BatchingWorker:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- the loop ---------------------------------------------------------------------------------
    def _run(self) -> None:
        lower_priority(self.config.nice)
        while True:
            if self._abort.is_set():
                self._fail_active(shut_down(started=True))
                break
            if self._stopping.is_set() and not self.active:
                break
            try:
                self.step()
            except Exception:  # the loop must survive anything a batch does
                log.exception("worker step failed; failing the jobs in that batch")
                self._fail_active(JobError(FAILED))
            self._flush()

    def step(self) -> None:
        """Admit waiting jobs, decode one token for every running job, retire the finished ones."""
        self._admit()
        if self.active and self.batch is not None:
            self._decode()
        self._flush()

    def _admit(self) -> None:
        cfg = self.config
        room = min(cfg.max_batch, self.model.slots or cfg.max_batch) - len(self.active)
        if room <= 0 or self._stopping.is_set():
            return
        if self.active and not self.model.continuous:
            return
        idle = not self.active
        handles = self.queue.take(
            room, wait_s=cfg.idle_poll_s if idle else 0.0, linger_s=cfg.batch_wait_s if idle else 0.0
        )
        if not handles:
            return
        budget = cfg.max_batch_tokens - sum(s.prompt_len + s.max_new for s in self.active)
        # a model that prefills slowly (llama.cpp on a CPU) takes a few prompt tokens per step, first come first
        # served: the first jobs start writing while later ones are read, and running jobs are not held up long
        prefill_budget = self.model.prefill_budget
        prefill = 0
        new: list[_Seq] = []
        prompts: list[list[int]] = []
        leftover: list[JobHandle] = []
        now = time.monotonic()
        for handle in handles:
            if leftover:
                leftover.append(handle)
                continue
            prompt = self._prepare(handle, now)
            if prompt is None:
                continue
            max_new = handle.request.max_new_tokens
            if cfg.max_new_tokens:
                max_new = min(max_new, cfg.max_new_tokens)
            cost = len(prompt) + max_new
            if (cost > budget and (self.active or new)) or (prefill_budget and new and
                                                             prefill + len(prompt) > prefill_budget):
                leftover.append(handle)  # waits for room, keeping its place
                continue
            budget -= cost
            prefill += len(prompt)
            seq = _Seq(handle, len(prompt), max_new, started=now)
            if handle.request.prefix:
                seq.pieces.append(handle.request.prefix)
                self._emit(handle, "piece", handle.request.prefix)
            new.append(seq)
            prompts.append(prompt)
        if leftover:
            self.queue.push_front(leftover)
        if not new:
            return
        try:
            batch, first = self.model.prefill(prompts)
        except Exception:
            log.exception("prefill of %d jobs failed", len(new))
            for seq in new:
                self._emit(seq.handle, "error", JobError("Something went wrong while reading your request."))
            return
        for seq, token in zip(new, first, strict=True):
            self._accept(seq, token)
        self.batch = batch if self.batch is None else self.model.merge(self.batch, batch)
        self.active.extend(new)
        self._retire()

    def _prepare(self, handle: JobHandle, now: float) -> list[int] | None:
        request = handle.request
        refused = not_to_start(handle, now)
        if refused is not None:
            self._emit(handle, "error", refused)
            return None
        try:
            prompt = self.model.encode(list(request.messages), request.prefix)
        except Exception:
            log.exception("could not encode job %s", handle.id)
            self._emit(handle, "error", JobError("cinebot could not read that request; please rephrase it."))
            return None
        limit = min(self.config.max_prompt_tokens, self.model.max_context - request.max_new_tokens)
        if len(prompt) > limit:
            self._emit(handle, "error", PromptTooLong(
                f"Your request is {len(prompt):,} tokens long; the limit is {limit:,} tokens. "
                "Shorten it and try again."
            ))
            return None
        return prompt

    def _decode(self) -> None:
        last = [seq.ids[-1] for seq in self.active]
        tokens = self.model.decode(self.batch, last)
        self.steps += 1
        for seq, token in zip(self.active, tokens, strict=True):
            self._accept(seq, token)
        self._retire()

    def _accept(self, seq: _Seq, token: int) -> None:
        """Take one generated token: stream its text, or finish the job."""
        if self.model.is_stop(token) and not seq.handle.request.ignore_stop:
            self._finish(seq, "stop")
            return
        seq.ids.append(token)
        prefix = self.model.detokenize(seq.ids[seq.prefix_offset : seq.read_offset])
        text = self.model.detokenize(seq.ids[seq.prefix_offset :])
        if len(text) > len(prefix) and not text.endswith("\ufffd"):
            piece = text[len(prefix) :]
            seq.prefix_offset, seq.read_offset = seq.read_offset, len(seq.ids)
            seq.pieces.append(piece)
            self._emit(seq.handle, "piece", piece)
        if len(seq.ids) >= seq.max_new:
            self._finish(seq, "length")

    def _finish(self, seq: _Seq, reason: str) -> None:
        tail = self.model.detokenize(seq.ids[seq.prefix_offset :])
        done = self.model.detokenize(seq.ids[seq.prefix_offset : seq.read_offset])
        if len(tail) > len(done):
            piece = tail[len(done) :]
            seq.pieces.append(piece)
            self._emit(seq.handle, "piece", piece)
        end = time.monotonic()
        result = JobResult(
            text="".join(seq.pieces),
            prompt_tokens=seq.prompt_len,
            completion_tokens=len(seq.ids) + (1 if reason == "stop" else 0),
            queue_s=seq.started - seq.handle.submitted_at,
            generate_s=end - seq.started,
            model=self.model.name,
            finish_reason=reason,
        )
        self.queue.record_duration(end - seq.handle.submitted_at)
        seq.finished = True
        self._emit(seq.handle, "done", result)

    def _retire(self) -> None:
        """Drop finished and cancelled jobs from the running batch."""
        keep: list[int] = []
        for row, seq in enumerate(self.active):
            if not seq.finished and seq.handle.cancel_requested.is_set():
                seq.finished = True
                self._emit(seq.handle, "error", cancelled())
            if not seq.finished:
                keep.append(row)
        if len(keep) == len(self.active):
            return
        self.active = [self.active[row] for row in keep]
        batch = self.model.select(self.batch, keep)  # also when empty: the model frees what the rows held
        self.batch = batch if keep else None

    def _fail_active(self, error: JobError) -> None:
        for seq in self.active:
            if not seq.finished:
                self._emit(seq.handle, "error", error)
        if self.batch is not None:
            try:  # let the model free what the batch holds (llama.cpp's sequences)
                self.model.select(self.batch, [])
            except Exception:
                log.exception("could not release a failed batch")
        self.active = []
        self.batch = None
        self._flush()

    def _emit(self, handle: JobHandle, kind: str, payload: object) -> None:
        self._events.append((handle, (kind, payload)))

    def _flush(self) -> None:
        if self._events:
            events, self._events = self._events, []
            deliver(events)
