"""The OpenAI-compatible backend against a fake server on 127.0.0.1: streaming, the prefix, queue places, and every
fault ending in one friendly `JobError` for that job alone (the server down, refused, busy, failing, stalling,
sending garbage, breaking off), cancel mid-stream, and close() draining."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from models.llm.backends import openai as backend
from models.llm.backends.openai import OpenAIConfig, OpenAIServer, PrefixJoin
from models.llm.jobs import (
    GenerationRequest,
    JobCancelled,
    JobError,
    JobHandle,
    JobQueue,
    JobResult,
    PromptTooLong,
    WorkerStopped,
)
from models.llm.serving import STOPPED_DURING
from tests.fake_openai import FakeOpenAI, Reply, fake_openai, free_port

LOGGER = "models.llm.backends.openai"


def request(text: str = "Tell me about Alien.", *, prefix: str = "", max_new: int = 50,
            deadline: float | None = None) -> GenerationRequest:
    return GenerationRequest(messages=({"role": "system", "content": "You are a film critic."},
                                       {"role": "user", "content": text}),
                             max_new_tokens=max_new, prefix=prefix, deadline=deadline)


@asynccontextmanager
async def serving(url: str, **config: Any) -> AsyncIterator[tuple[JobQueue, OpenAIServer]]:
    queue = JobQueue()
    settings: dict[str, Any] = {"stall_s": 0.5, "retry_backoff_s": 0.05, "model": "fake-model", **config}
    server = OpenAIServer(queue, OpenAIConfig(base_url=url, **settings))
    server.start()
    try:
        yield queue, server
    finally:
        await server.close(drain_s=1.0)


async def outcome(handle: JobHandle, within_s: float = 5.0) -> tuple[list[str], JobResult | JobError]:
    """The pieces the handle streamed and its result, or the `JobError` it ended with."""
    async with asyncio.timeout(within_s):
        pieces = [piece async for piece in handle]
        try:
            return pieces, await handle.result()
        except JobError as exc:
            return pieces, exc


async def failure(handle: JobHandle, within_s: float = 5.0) -> JobError:
    _, end = await outcome(handle, within_s)
    assert isinstance(end, JobError), f"expected a failure, got {end}"
    return end


async def success(handle: JobHandle) -> tuple[list[str], JobResult]:
    pieces, end = await outcome(handle)
    assert isinstance(end, JobResult), f"expected a result, got {end!r}"
    return pieces, end


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with fake_openai() as server:
        yield server


# -- the happy path ---------------------------------------------------------------------------------------------


async def test_stream_pieces_join_to_the_text_with_usage_model_and_request_fields(fake: FakeOpenAI) -> None:
    fake.then(Reply(text="A grimy ship and real dread.", model="served-model"))
    async with serving(fake.url, api_key="sekret", max_new_tokens=20) as (queue, _):
        pieces, result = await success(queue.submit(request(max_new=50)))
    assert pieces == ["A", " grimy", " ship", " and", " real", " dread."]
    assert result.text == "".join(pieces) == "A grimy ship and real dread."
    assert (result.prompt_tokens, result.completion_tokens) == (11, 6)  # from the usage chunk
    assert result.model == "served-model" and result.finish_reason == "stop"
    assert result.queue_s >= 0 and result.generate_s > 0
    body = fake.requests[0]
    assert body["model"] == "fake-model" and body["max_tokens"] == 20  # the configured ceiling
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["temperature"] == 0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "continue_final_message" not in body  # no prefix, no prefill
    assert fake.headers[0]["Authorization"] == "Bearer sekret"
    assert queue.retry_after_s() < 10.0  # the duration was recorded


async def test_length_finish_and_counts_without_usage(fake: FakeOpenAI) -> None:
    fake.then(Reply(text="one two three", finish="length", usage=False, model=""))
    async with serving(fake.url) as (queue, server):
        _, result = await success(queue.submit(request()))
    assert result.finish_reason == "length"
    assert (result.prompt_tokens, result.completion_tokens) == (0, 3)  # not reported; one per content chunk
    assert result.model == server.name == "fake-model"


async def test_a_continued_prefix_is_sent_as_a_trailing_assistant_message_and_streamed_first(
        fake: FakeOpenAI) -> None:
    fake.then(Reply(pieces=[" loved", " the", " ship."]))
    async with serving(fake.url) as (queue, _):
        pieces, result = await success(queue.submit(request(prefix="I")))
    assert pieces[0] == "I" and "".join(pieces) == result.text == "I loved the ship."
    body = fake.requests[0]
    assert body["messages"][-1] == {"role": "assistant", "content": "I"}
    assert body["continue_final_message"] is True and body["add_generation_prompt"] is False
    assert body["messages"][-2]["content"].endswith('Start your answer with "I".')


async def test_a_server_that_refuses_the_prefill_flags_gets_prefixes_without_them(
        fake: FakeOpenAI, caplog: pytest.LogCaptureFixture) -> None:
    refusal = '{"error": {"message": "Unrecognized request argument supplied: continue_final_message"}}'
    fake.then(Reply(status=400, body=refusal), Reply(text="I liked it."), Reply(text="I loved it."))
    async with serving(fake.url) as (queue, _):
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            _, first = await success(queue.submit(request(prefix="I")))
        _, second = await success(queue.submit(request(prefix="I")))
    assert (first.text, second.text) == ("I liked it.", "I loved it.")
    assert "continue_final_message" in fake.requests[0]
    assert all("continue_final_message" not in body and "add_generation_prompt" not in body
               for body in fake.requests[1:])
    assert fake.requests[2]["messages"][-1] == {"role": "assistant", "content": "I"}
    assert "does not take continue_final_message" in caplog.text


async def test_a_repeated_prefix_appears_once(fake: FakeOpenAI) -> None:
    # a server that ignores the prefill (llama-cpp-python's) answers anew, often repeating the prefix
    fake.then(Reply(pieces=["I", "'m", " impressed."]), Reply(pieces=["\n", "**Title:**", " The", " Reel"]),
              Reply(pieces=["Title", ":", " The", " Reel"]))
    async with serving(fake.url) as (queue, _):
        first = await success(queue.submit(request(prefix="I")))
        second = await success(queue.submit(request(prefix="**Title:**")))
        third = await success(queue.submit(request(prefix="**Title:**")))
    assert first[1].text == "".join(first[0]) == "I'm impressed."
    assert second[1].text == "".join(second[0]) == "**Title:** The Reel"
    assert third[1].text == "".join(third[0]) == "**Title:** The Reel"
    assert [p[0][0] for p in (first, second, third)] == ["I", "**Title:**", "**Title:**"]


@pytest.mark.parametrize(("prefix", "deltas", "text"), [
    ("I", [" loved", " it."], "I loved it."),  # continued
    ("I", ["'m", " in."], "I'm in."),  # continued mid-word
    ("I", ["I", " loved", " it."], "I loved it."),  # repeated
    ("I", ["In", " my", " view"], "In my view"),  # a new answer that starts like the prefix
    ("I watched Alien", ["I", " watched", " Alien", " twice."], "I watched Alien twice."),  # repeated, in pieces
    ("I watched Alien", [" and", " loved", " it."], "I watched Alien and loved it."),
    ("**Title:**", ["The", " Reel"], "**Title:** The Reel"),  # a fresh start: a space after the prefix
    ("I watched Alien", ["I", "'m", " glad."], "I watched Alien. I'm glad."),  # a phrase, then a new sentence
    ("I watched Alien", ["\n", "The", " film."], "I watched Alien\nThe film."),  # whitespace: kept as sent
    ("**Title:**", ["**", "Title", ":**", " The", " Reel"], "**Title:** The Reel"),
    ("I", [], "I"),
    ("I", ["I"], "I"),
    ("", ["Hello", " there"], "Hello there"),
])
def test_prefix_join(prefix: str, deltas: list[str], text: str) -> None:
    join = PrefixJoin(prefix)
    out = prefix + "".join(join.feed(d) for d in deltas) + join.finish()
    assert out == text


async def test_the_model_is_discovered_from_the_server_when_not_configured(fake: FakeOpenAI) -> None:
    fake.models = ["served/first", "served/second"]
    async with serving(fake.url, model=None) as (queue, server):
        assert server.name == f"127.0.0.1:{fake.port}"  # a placeholder until the server answers
        status = await server.status()
        assert status.reachable and status.model == "served/first"
        await success(queue.submit(request()))
    assert fake.requests[0]["model"] == "served/first"


async def test_queue_positions_stay_meaningful_with_one_request_in_flight(fake: FakeOpenAI) -> None:
    gate = asyncio.Event()
    fake.default = Reply(text="ok", hold=gate)
    async with serving(fake.url, max_in_flight=1) as (queue, _):
        handles = [queue.submit(request(f"film {i}")) for i in range(3)]
        await fake.wait_for(lambda: fake.requests, what="the first request")
        await asyncio.sleep(0.2)  # time for a wrong consumer to take more
        assert [h.position() for h in handles] == [0, 1, 2]
        assert len(fake.requests) == 1
        gate.set()
        for handle in handles:
            await success(handle)
    assert fake.most_open == 1 and len(fake.requests) == 3


async def test_several_jobs_run_at_once_up_to_max_in_flight(fake: FakeOpenAI) -> None:
    fake.default = Reply(text="a b c d", delay_s=0.05)
    async with serving(fake.url, max_in_flight=3) as (queue, _):
        handles = [queue.submit(request(f"film {i}")) for i in range(5)]
        results = [(await success(h))[1] for h in handles]
    assert all(r.text == "a b c d" for r in results)
    assert fake.most_open == 3


# -- faults -----------------------------------------------------------------------------------------------------


async def test_server_down_at_start_then_up(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    async with serving(url, model=None) as (queue, server):
        status = await server.status()  # the bot still starts; the status says why not
        assert not status.reachable and status.detail == f"{url}: connection refused"
        assert "NOT reachable" in status.line()
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            error = await failure(queue.submit(request()))
        assert str(error) == backend.UNREACHABLE and type(error) is JobError
        assert "cannot reach" in caplog.text
        async with fake_openai(port) as fake:  # the server comes up: the next job works, nothing to restart
            status = await server.status()
            assert status.reachable and status.detail.startswith(f"{url} answered in ")
            assert status.model == "fake-model"
            _, result = await success(queue.submit(request()))
            assert result.text == "A fine film." and fake.requests[0]["model"] == "fake-model"


async def test_connection_refused_mid_run_fails_that_job_only(fake: FakeOpenAI,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    async with serving(fake.url) as (queue, server):
        await success(queue.submit(request()))
        await fake.stop()
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            error = await failure(queue.submit(request()))
        assert str(error) == backend.UNREACHABLE
        assert "cannot reach" in caplog.text and "Connect call failed" in caplog.text
        assert not (await server.status()).reachable
        await fake.start()  # back on the same port
        await success(queue.submit(request()))


async def test_a_connection_closed_before_the_answer_is_sent_again_a_few_times(fake: FakeOpenAI) -> None:
    # kept-alive connections the server had closed (llama-cpp-python's server does after a failed stream; llama.cpp's
    # closes idle ones after 5 s, and a pool may hold several): sent again on another, up to STALE_RETRIES times
    tries = backend.STALE_RETRIES + 1
    fake.then(Reply(reset=True), Reply(reset=True), Reply(text="third try"), *[Reply(reset=True)] * tries)
    async with serving(fake.url) as (queue, _):
        _, result = await success(queue.submit(request()))
        assert result.text == "third try"
        error = await failure(queue.submit(request()))
    assert str(error) == backend.BROKE_OFF and len(fake.requests) == 3 + tries


@pytest.mark.parametrize("status", [429, 503])
async def test_busy_is_retried_once_after_the_backoff(fake: FakeOpenAI, status: int) -> None:
    fake.then(Reply(status=status, body='{"error": {"message": "busy"}}'), Reply(text="second try"))
    async with serving(fake.url, retry_backoff_s=0.3) as (queue, _):
        started = time.monotonic()
        _, result = await success(queue.submit(request()))
    assert result.text == "second try" and len(fake.requests) == 2
    assert time.monotonic() - started >= 0.3


async def test_retry_after_is_honoured_but_capped(fake: FakeOpenAI) -> None:
    fake.then(Reply(status=429, headers={"Retry-After": "0.2"}), Reply(text="ok"),
              Reply(status=429, headers={"Retry-After": "3600"}), Reply(text="ok"))
    async with serving(fake.url, retry_backoff_s=0.0, max_retry_after_s=0.5) as (queue, _):
        started = time.monotonic()
        await success(queue.submit(request()))
        assert 0.2 <= time.monotonic() - started < 0.5
        started = time.monotonic()
        await success(queue.submit(request()))
        assert 0.5 <= time.monotonic() - started < 1.5


async def test_busy_twice_fails_with_a_friendly_message(fake: FakeOpenAI, caplog: pytest.LogCaptureFixture) -> None:
    fake.then(Reply(status=503), Reply(status=503), Reply(text="not asked"))
    async with serving(fake.url) as (queue, _):
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            error = await failure(queue.submit(request()))
    assert str(error) == backend.BUSY and len(fake.requests) == 2
    assert "retrying once" in caplog.text and "HTTP 503" in caplog.text


@pytest.mark.parametrize("status", [500, 502])
async def test_a_server_error_fails_without_a_retry(fake: FakeOpenAI, status: int,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    fake.then(Reply(status=status, body='{"error": {"message": "CUDA out of memory"}}'), Reply(text="not asked"))
    async with serving(fake.url) as (queue, _):
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            error = await failure(queue.submit(request()))
        assert str(error) == backend.SERVER_FAILED and len(fake.requests) == 1
        assert "CUDA out of memory" in caplog.text
        await success(queue.submit(request()))  # the next job is not affected


async def test_a_bad_api_key_is_turned_down_and_logged(fake: FakeOpenAI, caplog: pytest.LogCaptureFixture) -> None:
    fake.then(Reply(status=401, body='{"error": {"message": "Invalid API key"}}'))
    async with serving(fake.url) as (queue, _):
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            error = await failure(queue.submit(request()))
    assert str(error) == backend.TURNED_DOWN and "CINEBOT_OPENAI_API_KEY" in caplog.text


async def test_a_prompt_over_the_context_is_prompt_too_long(fake: FakeOpenAI) -> None:
    body = {"error": {"message": "This model's maximum context length is 2048 tokens. However, you requested 3039 "
                                 "tokens.", "type": "invalid_request_error", "code": "context_length_exceeded"}}
    fake.then(Reply(status=400, body=json.dumps(body)), Reply(status=400, body='{"error": "bad temperature"}'))
    async with serving(fake.url) as (queue, _):
        error = await failure(queue.submit(request()))
        other = await failure(queue.submit(request()))
    assert isinstance(error, PromptTooLong) and str(error) == backend.TOO_LONG
    assert not isinstance(other, PromptTooLong) and str(other) == backend.TURNED_DOWN


async def test_an_empty_stream_is_explained_by_an_unstreamed_probe(fake: FakeOpenAI) -> None:
    # llama-cpp-python's server answers 200 with an empty stream when the prompt is over its context
    too_long = '{"error": {"message": "Requested tokens (3031) exceed context window of 2048"}}'
    fake.then(Reply(pieces=[], role=False, finish=None, usage=False, done=False), Reply(status=400, body=too_long))
    async with serving(fake.url) as (queue, _):
        error = await failure(queue.submit(request()))
    assert isinstance(error, PromptTooLong)
    assert fake.requests[1]["stream"] is False and fake.requests[1]["max_tokens"] == 1


async def test_a_stalled_stream_fails_after_stall_s(fake: FakeOpenAI, caplog: pytest.LogCaptureFixture) -> None:
    fake.then(Reply(text="It starts well and then", stall_after=2))
    async with serving(fake.url, stall_s=0.5) as (queue, _):
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            pieces, end = await outcome(queue.submit(request()), within_s=5)
        took = time.monotonic() - started
        assert isinstance(end, JobError) and str(end) == backend.STALLED, end
        assert pieces == ["It", " starts"]
        assert 0.5 <= took < 2.0  # the pings did not keep it alive
        assert "no data for" in caplog.text
        await fake.wait_for(lambda: fake.hangups, what="the client to hang up")  # so the server can stop


async def test_no_answer_at_all_stalls_too(fake: FakeOpenAI) -> None:
    fake.then(Reply(hold=asyncio.Event()))  # headers sent, never any data
    async with serving(fake.url, stall_s=0.4) as (queue, _):
        error = await failure(queue.submit(request()), within_s=3)
    assert str(error) == backend.STALLED


@pytest.mark.parametrize("payload", [
    "this is not json",
    '{"id": "x", "object": "chat.completion.chunk"}',  # no choices
    '{"choices": [{"index": 0}]}',  # no delta
    '{"choices": [{"index": 0, "delta": {"content": 42}}]}',  # content that is not text
    '["a", "list"]',
])
async def test_a_malformed_chunk_fails(fake: FakeOpenAI, payload: str, caplog: pytest.LogCaptureFixture) -> None:
    ok = json.dumps({"choices": [{"index": 0, "delta": {"content": "Fine"}, "finish_reason": None}]})
    fake.then(Reply(raw=[ok, payload, ok]))
    async with serving(fake.url) as (queue, _):
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            error = await failure(queue.submit(request()))
        assert str(error) == backend.UNREADABLE and "the language model sent" in caplog.text
        await success(queue.submit(request()))


async def test_an_error_event_mid_stream_fails(fake: FakeOpenAI) -> None:
    fake.then(Reply(raw=['{"error": {"message": "the engine died"}}']))
    async with serving(fake.url) as (queue, _):
        error = await failure(queue.submit(request()))
    assert str(error) == backend.SERVER_FAILED


async def test_a_stream_may_end_without_done_after_it_finished(fake: FakeOpenAI) -> None:
    fake.then(Reply(text="Done well.", done=False, usage=False))
    async with serving(fake.url) as (queue, _):
        _, result = await success(queue.submit(request()))
    assert result.text == "Done well." and result.finish_reason == "stop"


async def test_a_stream_cut_before_it_finished_fails(fake: FakeOpenAI) -> None:
    fake.then(Reply(text="one two three four", drop_after=2),  # the connection drops
              Reply(text="one two", finish=None, usage=False, done=False),  # a clean end, but no finish reason
              Reply(text="one two", finish=None, usage=False, done=True))  # [DONE] with no finish reason
    async with serving(fake.url) as (queue, _):
        dropped = await failure(queue.submit(request()))
        ended = await failure(queue.submit(request()))
        interrupted = await failure(queue.submit(request()))
    assert str(dropped) in (backend.BROKE_OFF, backend.CUT_OFF)
    assert str(ended) == str(interrupted) == backend.CUT_OFF


async def test_a_job_past_its_deadline_is_not_sent(fake: FakeOpenAI) -> None:
    async with serving(fake.url) as (queue, _):
        error = await failure(queue.submit(request(deadline=time.monotonic() - 1)))
    assert str(error) == "Your request waited too long in the queue; please send it again."
    assert fake.requests == []


async def test_a_non_streamed_answer_is_read_whole(fake: FakeOpenAI) -> None:
    fake.then(Reply(text="I liked it.", content_type="application/json"))
    async with serving(fake.url) as (queue, _):
        pieces, result = await success(queue.submit(request(prefix="I")))
    assert result.text == "".join(pieces) == "I liked it."


# -- cancel and close -------------------------------------------------------------------------------------------


async def test_cancel_mid_stream_closes_the_request(fake: FakeOpenAI) -> None:
    fake.then(Reply(text=" ".join(["word"] * 200), delay_s=0.02))
    async with serving(fake.url) as (queue, _):
        handle = queue.submit(request())
        seen: list[str] = []
        async with asyncio.timeout(5):
            async for piece in handle:
                seen.append(piece)
                if len(seen) == 3:
                    handle.cancel()
        with pytest.raises(JobCancelled):
            await handle.result()
        assert 3 <= len(seen) < 50
        await fake.wait_for(lambda: fake.hangups, what="the client to hang up")  # so the server can stop
        assert fake.finished == 0
        await success(queue.submit(request()))  # the next job is not affected


async def test_close_drains_running_requests_and_stops_waiting_ones(fake: FakeOpenAI) -> None:
    fake.default = Reply(text="a b c d e f", delay_s=0.05)
    queue = JobQueue()
    server = OpenAIServer(queue, OpenAIConfig(base_url=fake.url, model="fake-model", max_in_flight=1))
    server.start()
    running = queue.submit(request())
    waiting = queue.submit(request())
    await fake.wait_for(lambda: fake.requests, what="the first request")
    await server.close(drain_s=5.0)
    _, result = await success(running)
    assert result.text == "a b c d e f"
    stopped = await failure(waiting)
    assert isinstance(stopped, WorkerStopped) and "before your request started" in str(stopped)
    with pytest.raises(WorkerStopped):
        queue.submit(request())
    assert len(fake.requests) == 1


async def test_close_cuts_off_what_runs_past_drain_s(fake: FakeOpenAI) -> None:
    fake.default = Reply(text=" ".join(["word"] * 500), delay_s=0.02)
    queue = JobQueue()
    server = OpenAIServer(queue, OpenAIConfig(base_url=fake.url, model="fake-model"))
    server.start()
    handle = queue.submit(request())
    await fake.wait_for(lambda: fake.requests, what="the first request")
    started = time.monotonic()
    await server.close(drain_s=0.2)
    assert time.monotonic() - started < 1.5
    error = await failure(handle)
    assert isinstance(error, WorkerStopped) and str(error) == STOPPED_DURING
    await fake.wait_for(lambda: fake.hangups, what="the client to hang up")  # so the server can stop
