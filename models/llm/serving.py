"""What every `Server` (the batching worker, the OpenAI-compatible client) does alike with the jobs it takes from
the queue: the check before a job starts, and the words a member reads when a job ends without a reply for a
reason that is the queue's, not the model's."""

from __future__ import annotations

import logging

from models.llm.jobs import JobCancelled, JobError, JobHandle, JobQueue, WorkerStopped

log = logging.getLogger(__name__)

CANCELLED = "The request was cancelled."
WAITED = "Your request waited too long in the queue; please send it again."
STOPPED_BEFORE = "cinebot shut down before your request started; please send it again."
STOPPED_DURING = "cinebot shut down while writing your reply; it was cut off."
FAILED = "Something went wrong while generating; please try again."


def cancelled() -> JobCancelled:
    return JobCancelled(CANCELLED)


def shut_down(*, started: bool) -> WorkerStopped:
    """The error for a job that the server's shutdown ended, before it started or while it was being written."""
    return WorkerStopped(STOPPED_DURING if started else STOPPED_BEFORE)


def not_to_start(handle: JobHandle, now: float) -> JobError | None:
    """Why a job just taken from the queue must not start (cancelled while it waited, or past its deadline), or
    None when it may."""
    if handle.cancel_requested.is_set():
        return cancelled()
    deadline = handle.request.deadline
    if deadline is not None and now > deadline:
        return JobError(WAITED)
    return None


def stop_taking(queue: JobQueue) -> None:
    """Close the queue; every job still waiting in it is told that it will not run."""
    for handle in queue.close():
        handle.fail(shut_down(started=False))
