"""Starting the language-model side from settings: make the queue and start what serves it.

`CINEBOT_BACKEND` picks the server of the queue (`models.llm.protocol.Server`): the in-process batching worker
around a model loaded by llama.cpp or transformers (`auto`: llama.cpp on a CPU, transformers on CUDA), or the
OpenAI-compatible client, which sends each job to a remote engine. The cogs and the flow only see the queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.settings import Settings
from models.llm import registry
from models.llm.jobs import JobQueue
from models.llm.protocol import BackendStatus, Server, StepModel
from models.llm.worker import BatchingWorker, WorkerConfig

log = logging.getLogger(__name__)

REPLY_ROOM = 512  # tokens a sequence keeps for the reply, beyond the longest prompt (the largest task cap is 380)


@dataclass(frozen=True)
class Engine:
    """What the bot and the command line hold: the queue to submit to and what serves it."""

    queue: JobQueue
    worker: Server
    model_name: str

    async def status(self) -> BackendStatus | None:
        return await self.worker.status() if self.worker is not None else None


def worker_config(settings: Settings) -> WorkerConfig:
    return WorkerConfig(
        max_batch=settings.max_batch,
        max_batch_tokens=settings.max_batch_tokens,
        batch_wait_s=settings.batch_wait_ms / 1000,
        max_prompt_tokens=settings.max_prompt_tokens,
        max_new_tokens=settings.max_new_tokens,
        nice=settings.worker_nice,
    )


def sequence_tokens(settings: Settings) -> int:
    """The most tokens one job can hold: its longest prompt plus its reply."""
    return settings.max_prompt_tokens + (settings.max_new_tokens or REPLY_ROOM)


def load_model(settings: Settings, *, progress: bool = True) -> StepModel:
    """The embedded model for the batching worker, on the backend the settings choose."""
    return registry.load(
        settings.model, settings.cache_dir, backend=settings.backend, device=settings.device,
        threads=settings.threads, progress=progress, max_context=sequence_tokens(settings),
        slots=settings.max_batch, int8=settings.int8, adapter=settings.adapter,
    )


def make_openai_server(settings: Settings, queue: JobQueue) -> Server:
    from models.llm.backends.openai import OpenAIConfig, OpenAIServer

    assert settings.openai_url
    return OpenAIServer(queue, OpenAIConfig(
        base_url=settings.openai_url, model=settings.openai_model, api_key=settings.openai_api_key,
        max_in_flight=settings.openai_max_in_flight, stall_s=settings.openai_stall_s,
        max_new_tokens=settings.max_new_tokens,
    ))


@asynccontextmanager
async def open_engine(settings: Settings, *, progress: bool = True) -> AsyncIterator[Engine]:
    """Start what serves the queue (loading an embedded model off the event loop), and stop it (draining) on exit."""
    queue = JobQueue(settings.max_queue)
    server: Server
    if settings.backend == "openai":
        server = make_openai_server(settings, queue)
        name = settings.openai_model or urlsplit(settings.openai_url or "").netloc
    else:
        lm = await asyncio.to_thread(load_model, settings, progress=progress)
        server = BatchingWorker(lm, queue, worker_config(settings))  # type: ignore[arg-type]
        name = lm.name  # type: ignore[attr-defined]
    server.start()
    status = await server.status()
    (log.info if status.reachable else log.warning)("language model: %s", status.line())
    if settings.backend == "openai" and status.reachable:
        name = status.model  # discovered from the server's GET /models when CINEBOT_OPENAI_MODEL is empty
    try:
        yield Engine(queue, server, name)
    finally:
        await server.close()
