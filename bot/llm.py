"""Starting the language-model side from settings: load the model, make the queue, run the worker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.settings import Settings
from models import registry
from models.jobs import JobQueue
from models.worker import BatchingWorker, WorkerConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Engine:
    """What the bot and the command line hold: the queue to submit to and the running worker."""

    queue: JobQueue
    worker: BatchingWorker
    model_name: str


def worker_config(settings: Settings) -> WorkerConfig:
    return WorkerConfig(
        max_batch=settings.max_batch,
        max_batch_tokens=settings.max_batch_tokens,
        batch_wait_s=settings.batch_wait_ms / 1000,
        max_prompt_tokens=settings.max_prompt_tokens,
        max_new_tokens=settings.max_new_tokens,
    )


@asynccontextmanager
async def open_engine(settings: Settings, *, progress: bool = True) -> AsyncIterator[Engine]:
    """Load the model off the event loop, start the worker, and stop it (draining) on exit."""
    lm = await asyncio.to_thread(
        registry.load, settings.model, settings.cache_dir, device=settings.device, threads=settings.threads,
        progress=progress,
    )
    queue = JobQueue(settings.max_queue)
    worker = BatchingWorker(lm, queue, worker_config(settings))
    async with worker:
        yield Engine(queue, worker, lm.name)
