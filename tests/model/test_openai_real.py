"""The OpenAI-compatible backend against a real server: llama-cpp-python's own server with SmolLM2-135M, started by
the session fixture `openai_server` on 127.0.0.1. Streaming, counts, the prefix, several jobs at once, a prompt over
the context, cancel, status."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from models.llm.backends.openai import TOO_LONG, OpenAIConfig, OpenAIServer
from models.llm.jobs import GenerationRequest, JobCancelled, JobQueue, PromptTooLong
from tests.openai_server import MODEL_ALIAS, openai_server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.model

SYSTEM = {"role": "system", "content": "You are a film critic who answers in plain English, briefly and concretely."}
QUESTIONS = [
    "Describe a rainy street at night in two sentences.",
    "What makes a good thriller? Answer briefly.",
    "Give me a title for a comedy about two rival chefs.",
    "Write a haiku about an empty cinema.",
]


def req(question: str, max_new: int = 24, prefix: str = "") -> GenerationRequest:
    return GenerationRequest(messages=(SYSTEM, {"role": "user", "content": question}), max_new_tokens=max_new,
                             prefix=prefix)


@asynccontextmanager
async def serving(url: str, **config: Any) -> AsyncIterator[tuple[JobQueue, OpenAIServer]]:
    queue = JobQueue()
    server = OpenAIServer(queue, OpenAIConfig(base_url=url, **{"stall_s": 30.0, **config}))
    server.start()
    try:
        yield queue, server
    finally:
        await server.close(drain_s=10.0)


async def test_a_streamed_reply_with_counts_and_the_discovered_model(openai_server: str) -> None:  # noqa: F811
    async with serving(openai_server) as (queue, server):
        status = await server.status()
        assert status.reachable and status.model == MODEL_ALIAS, status
        assert status.detail.startswith(f"{openai_server} answered in ")
        handle = queue.submit(req(QUESTIONS[0], max_new=12))
        async with asyncio.timeout(60):
            pieces = [p async for p in handle]
            result = await handle.result()
    assert len(pieces) > 1 and "".join(pieces) == result.text and result.text.strip()
    assert result.model == MODEL_ALIAS
    # llama-cpp-python's server sends no usage when streaming: one token per content chunk, the prompt not reported
    assert 0 < result.completion_tokens <= 12 and result.prompt_tokens == 0
    assert result.finish_reason in ("stop", "length")
    if result.finish_reason == "length":
        assert result.completion_tokens == 12


async def test_the_prefix_starts_the_reply_exactly_once(openai_server: str) -> None:  # noqa: F811
    async with serving(openai_server) as (queue, _):
        for prefix, question in [("I", "Write a one-sentence review of Alien (1979)."),
                                 ("**Title:**", "Give a title and a one-line pitch for a heist film set in a cinema.")]:
            handle = queue.submit(req(question, max_new=24, prefix=prefix))
            async with asyncio.timeout(60):
                pieces = [p async for p in handle]
                result = await handle.result()
            assert pieces[0] == prefix and "".join(pieces) == result.text
            assert result.text.startswith(prefix), result.text
            rest = result.text[len(prefix):].lstrip("* ")
            assert not rest.startswith(prefix.strip("*")), f"the prefix is repeated: {result.text!r}"
            assert len(rest) > 3, result.text


async def test_several_jobs_at_once_all_finish(openai_server: str) -> None:  # noqa: F811
    async with serving(openai_server, max_in_flight=4) as (queue, _):
        handles = [queue.submit(req(q, max_new=16)) for q in QUESTIONS]
        async with asyncio.timeout(120):
            results = [await h.result() for h in handles]
    assert all(r.text.strip() and 0 < r.completion_tokens <= 16 for r in results)
    assert len({r.text for r in results}) == len(QUESTIONS)  # each job got its own answer


async def test_a_prompt_over_the_context_is_prompt_too_long(openai_server: str) -> None:  # noqa: F811
    async with serving(openai_server) as (queue, _):
        handle = queue.submit(req("Summarise this: " + "film " * 5000))
        async with asyncio.timeout(60):
            with pytest.raises(PromptTooLong) as info:
                await handle.result()
        assert str(info.value) == TOO_LONG
        async with asyncio.timeout(60):
            assert (await queue.submit(req(QUESTIONS[1], max_new=8)).result()).text  # the server is fine


async def test_cancel_mid_stream_and_the_next_job_runs(openai_server: str) -> None:  # noqa: F811
    async with serving(openai_server) as (queue, _):
        handle = queue.submit(req("Tell me the whole history of cinema in great detail.", max_new=400))
        seen: list[str] = []
        async with asyncio.timeout(60):
            async for piece in handle:
                seen.append(piece)
                if len(seen) == 3:
                    handle.cancel()
            with pytest.raises(JobCancelled):
                await handle.result()
            assert len(seen) < 100
            assert (await queue.submit(req(QUESTIONS[2], max_new=8)).result()).text
