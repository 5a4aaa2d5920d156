"""Generation jobs, their handles and results, and the bounded job queue that feeds the worker.

The queue is the one door to the language model: the cogs and the command line submit jobs here and get a
`JobHandle` back, an async iterator of text pieces that ends with a `JobResult`. Submitting never blocks:
a full queue raises `QueueFull` at once. The worker (a thread, see `models.llm.worker`) takes jobs from the
other end; the handle is fed back on the event loop with `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from models.llm.protocol import Message

log = logging.getLogger(__name__)


class JobError(Exception):
    """A job could not be completed; the message is written for the person who asked."""


class QueueFull(JobError):
    """The queue is at its bound; the caller should try again shortly."""

    def __init__(self, limit: int, retry_after_s: float) -> None:
        super().__init__(
            f"cinebot is busy right now ({limit} requests are already waiting). "
            f"Please try again in about {max(1, round(retry_after_s))} s."
        )


class PromptTooLong(JobError):
    """The prompt does not fit the model's context budget."""


class JobCancelled(JobError):
    """The job was cancelled before it finished."""


class WorkerStopped(JobError):
    """The worker shut down before the job could finish."""


@dataclass(frozen=True)
class GenerationRequest:
    """What to generate: chat messages, a token cap, and how to start the answer."""

    messages: tuple[Message, ...]
    max_new_tokens: int = 256
    prefix: str = ""  # the start of the assistant's answer, given to the model; the result's text includes it
    deadline: float | None = None  # time.monotonic() after which the job is dropped unstarted
    # write all `max_new_tokens`, past the model's end of turn: for benchmarks that need the same work from every
    # engine (vLLM's and llama.cpp's `ignore_eos`); never for members
    ignore_stop: bool = False


@dataclass(frozen=True)
class JobResult:
    """The end of a job: its full text and where the time went."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    queue_s: float
    generate_s: float
    model: str
    finish_reason: str  # "stop" (end of turn) or "length" (hit max_new_tokens)


_END = object()
_ids = itertools.count(1)


class JobHandle:
    """The caller's side of one job: `async for piece in handle`, then `await handle.result()`."""

    def __init__(self, request: GenerationRequest, queue: JobQueue, loop: asyncio.AbstractEventLoop) -> None:
        self.id = next(_ids)
        self.request = request
        self.submitted_at = time.monotonic()
        self._queue = queue
        self._loop = loop
        self._pieces: asyncio.Queue[object] = asyncio.Queue()
        self._done: asyncio.Future[JobResult] = loop.create_future()
        self.cancel_requested = threading.Event()

    # -- caller side --------------------------------------------------------------------------
    def __aiter__(self) -> AsyncIterator[str]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[str]:
        while True:
            item = await self._pieces.get()
            if item is _END:
                self._pieces.put_nowait(_END)  # later iterations end at once too
                return
            assert isinstance(item, str)
            yield item

    async def result(self) -> JobResult:
        """Wait for the job to end; raises the job's `JobError` if it failed or was cancelled."""
        return await asyncio.shield(self._done)

    @property
    def done(self) -> bool:
        return self._done.done()

    def position(self) -> int:
        """0 while generating (or finished); n when n-1 jobs wait ahead of this one."""
        return self._queue.position(self)

    def cancel(self) -> None:
        """Stop the job: a waiting job leaves the queue at once, a running one at the worker's next step."""
        self.cancel_requested.set()
        if self._queue.discard(self):
            self._settle(None, JobCancelled("The request was cancelled."))

    # -- worker side (any thread) -------------------------------------------------------------
    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def fail(self, error: BaseException) -> None:
        self._loop.call_soon_threadsafe(self.apply, ("error", error))

    def apply(self, event: tuple[str, object]) -> None:
        """Apply one worker event on the event loop: ("piece", str), ("done", JobResult) or ("error", exc)."""
        kind, payload = event
        if kind == "piece":
            if not self._done.done():
                self._pieces.put_nowait(payload)
        elif kind == "done":
            assert isinstance(payload, JobResult)
            self._settle(payload, None)
        else:
            assert isinstance(payload, BaseException)
            self._settle(None, payload)

    def _settle(self, result: JobResult | None, error: BaseException | None) -> None:
        if self._done.done():
            return
        if error is not None:
            self._done.set_exception(error)
            self._done.exception()  # mark retrieved: a caller may only iterate
        else:
            assert result is not None
            self._done.set_result(result)
        self._pieces.put_nowait(_END)


def deliver(events: list[tuple[JobHandle, tuple[str, object]]]) -> None:
    """Worker side: hand a step's events to their event loops, one wake-up per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[JobHandle, tuple[str, object]]]] = {}
    for handle, event in events:
        by_loop.setdefault(handle.loop, []).append((handle, event))
    for loop, batch in by_loop.items():
        try:
            loop.call_soon_threadsafe(_apply_all, batch)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            log.debug("dropped %d events for a closed event loop", len(batch))


def _apply_all(batch: list[tuple[JobHandle, tuple[str, object]]]) -> None:
    for handle, event in batch:
        handle.apply(event)


class JobQueue:
    """A bounded FIFO of waiting jobs, safe to use from the event loop and the worker thread."""

    def __init__(self, max_waiting: int = 64) -> None:
        self.max_waiting = max_waiting
        self._waiting: deque[JobHandle] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._recent_s: deque[float] = deque(maxlen=32)  # job durations, for "retry in N s" hints

    def submit(self, request: GenerationRequest) -> JobHandle:
        """Queue a job and return its handle at once; raises `QueueFull` when the bound is reached."""
        loop = asyncio.get_running_loop()
        with self._cond:
            if self._closed:
                raise WorkerStopped("cinebot is shutting down; please try again in a minute.")
            if len(self._waiting) >= self.max_waiting:
                raise QueueFull(self.max_waiting, self.retry_after_s())
            handle = JobHandle(request, self, loop)
            self._waiting.append(handle)
            self._cond.notify()
        return handle

    def retry_after_s(self) -> float:
        if not self._recent_s:
            return 10.0
        return sorted(self._recent_s)[len(self._recent_s) // 2]

    def record_duration(self, seconds: float) -> None:
        self._recent_s.append(seconds)

    def position(self, handle: JobHandle) -> int:
        with self._cond:
            try:
                return self._waiting.index(handle) + 1
            except ValueError:
                return 0

    def discard(self, handle: JobHandle) -> bool:
        """Remove a waiting job; True if it was still waiting."""
        with self._cond:
            try:
                self._waiting.remove(handle)
            except ValueError:
                return False
            return True

    def take(self, limit: int, *, wait_s: float | None, linger_s: float = 0.0) -> list[JobHandle]:
        """Worker side: up to `limit` waiting jobs.

        Blocks up to `wait_s` (None: until a job or close) for the first job, then lingers up to `linger_s`
        for more to arrive, so that jobs sent together run together.
        """
        with self._cond:
            if not self._waiting and not self._closed:
                self._cond.wait(timeout=wait_s)
            if self._waiting and linger_s > 0 and len(self._waiting) < limit:
                end = time.monotonic() + linger_s
                while len(self._waiting) < limit and not self._closed:
                    left = end - time.monotonic()
                    if left <= 0 or not self._cond.wait(timeout=left):
                        break
            taken: list[JobHandle] = []
            while self._waiting and len(taken) < limit:
                taken.append(self._waiting.popleft())
            return taken

    def push_front(self, handles: list[JobHandle]) -> None:
        """Worker side: give back jobs taken but not admitted (they keep their place)."""
        with self._cond:
            self._waiting.extendleft(reversed(handles))

    def close(self) -> list[JobHandle]:
        """Refuse new jobs, wake the worker, and return the jobs still waiting."""
        with self._cond:
            self._closed = True
            left = list(self._waiting)
            self._waiting.clear()
            self._cond.notify_all()
            return left

    @property
    def closed(self) -> bool:
        return self._closed
