"""The queue and the batching worker, driven by a fake model (no torch)."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import threading
import time

import pytest

from models.llm.jobs import GenerationRequest, JobCancelled, JobError, JobQueue, PromptTooLong, QueueFull, WorkerStopped
from models.llm.worker import BatchingWorker, WorkerConfig, lower_priority
from models.tasks import SPECS
from tests.fakes import FakeModel, say


def request(text: str, max_new: int = 50, **kw: object) -> GenerationRequest:
    return GenerationRequest(messages=say(text), max_new_tokens=max_new, **kw)  # type: ignore[arg-type]


async def collect(handle) -> tuple[list[str], str]:
    pieces = [p async for p in handle]
    return pieces, (await handle.result()).text


async def test_full_queue_rejects_at_once_and_cancel_frees_the_slot() -> None:
    queue = JobQueue(max_waiting=2)  # no worker: jobs stay waiting
    first = queue.submit(request("a"))
    queue.submit(request("b"))
    started = time.monotonic()
    with pytest.raises(QueueFull) as info:
        queue.submit(request("c"))
    assert time.monotonic() - started < 0.5  # rejected, never blocked
    assert "try again in about" in str(info.value)
    assert first.position() == 1
    first.cancel()
    with pytest.raises(JobCancelled):
        await first.result()
    third = queue.submit(request("c"))  # the slot is free again
    assert third.position() == 2


async def test_jobs_sent_together_run_as_one_batch_each_with_its_own_text() -> None:
    model = FakeModel()
    queue = JobQueue()
    async with BatchingWorker(model, queue, WorkerConfig(batch_wait_s=0.05)):
        handles = [queue.submit(request(f"film number {i}")) for i in range(4)]
        results = [await h.result() for h in handles]
    assert [r.text for r in results] == [f"film number {i}" for i in range(4)]
    assert model.prefills == [4]
    assert all(r.finish_reason == "stop" and r.model == "fake" for r in results)
    assert all(r.completion_tokens == 4 for r in results)  # three words and the stop token


async def test_stream_pieces_join_to_the_final_text() -> None:
    queue = JobQueue()
    async with BatchingWorker(FakeModel(), queue):
        pieces, text = await collect(queue.submit(request("one two three four")))
    assert pieces == ["one", " two", " three", " four"]
    assert "".join(pieces) == text


async def test_max_batch_and_token_budget_limit_admission() -> None:
    model = FakeModel()
    queue = JobQueue()
    async with BatchingWorker(model, queue, WorkerConfig(max_batch=3, batch_wait_s=0.05)):
        handles = [queue.submit(request(f"w{i}")) for i in range(7)]
        await asyncio.gather(*(h.result() for h in handles))
    assert max(model.prefills) <= 3 and sum(model.prefills) == 7

    model = FakeModel()
    queue = JobQueue()
    # each job costs about 2 + 100 tokens: a budget of 250 admits two at a time
    async with BatchingWorker(model, queue, WorkerConfig(max_batch_tokens=250, batch_wait_s=0.05)):
        handles = [queue.submit(request(f"w{i}", max_new=100)) for i in range(5)]
        texts = [(await h.result()).text for h in handles]
    assert texts == [f"w{i}" for i in range(5)]  # order kept, nothing lost
    assert max(model.decodes + model.prefills) <= 2


async def test_a_job_joins_a_running_batch() -> None:
    model = FakeModel(step_delay_s=0.01)
    queue = JobQueue()
    async with BatchingWorker(model, queue):
        long = queue.submit(request(" ".join(["x"] * 40)))
        async for _ in long:
            break  # the long job is running
        short = queue.submit(request("late comer"))
        assert (await short.result()).text == "late comer"
        assert not long.done  # the short job finished while the long one was still going
        await long.result()
    assert 2 in model.decodes  # they shared decode steps


async def test_too_long_prompt_fails_alone_with_the_limit() -> None:
    queue = JobQueue()
    async with BatchingWorker(FakeModel(), queue, WorkerConfig(max_prompt_tokens=64, batch_wait_s=0.05)):
        ok = queue.submit(request("short one"))
        bad = queue.submit(request("long " + "x" * 2000))
        ok2 = queue.submit(request("short two"))
        with pytest.raises(PromptTooLong) as info:
            await bad.result()
        assert (await ok.result()).text == "short one"
        assert (await ok2.result()).text == "short two"
    assert "limit is 64 tokens" in str(info.value)


async def test_encode_failure_fails_alone() -> None:
    model = FakeModel()
    model.fail_on = "boom"
    queue = JobQueue()
    async with BatchingWorker(model, queue, WorkerConfig(batch_wait_s=0.05)):
        bad = queue.submit(request("boom now"))
        ok = queue.submit(request("fine"))
        with pytest.raises(JobError):
            await bad.result()
        assert (await ok.result()).text == "fine"


async def test_cancel_a_running_job_leaves_its_batch_mates() -> None:
    model = FakeModel(step_delay_s=0.01)
    queue = JobQueue()
    async with BatchingWorker(model, queue, WorkerConfig(batch_wait_s=0.05)):
        doomed = queue.submit(request("z " * 200))
        mate = queue.submit(request("a b c d e f g h"))
        async for _ in doomed:
            break
        doomed.cancel()
        with pytest.raises(JobCancelled):
            await doomed.result()
        assert (await mate.result()).text == "a b c d e f g h"
    assert model.decodes[-1] == 1  # the cancelled row left the batch


async def test_length_limit_finishes_with_length_reason() -> None:
    queue = JobQueue()
    async with BatchingWorker(FakeModel(), queue):
        result = await queue.submit(request("a b c d e f", max_new=3)).result()
    assert result.text == "a b c" and result.finish_reason == "length" and result.completion_tokens == 3


async def test_expired_deadline_is_dropped_unstarted() -> None:
    queue = JobQueue()
    async with BatchingWorker(FakeModel(), queue):
        stale = queue.submit(request("old", deadline=time.monotonic() - 1))
        with pytest.raises(JobError, match="waited too long"):
            await stale.result()


async def test_close_fails_waiting_jobs_and_refuses_new_ones() -> None:
    model = FakeModel()
    model.gate.clear()  # hold the worker inside its first prefill
    queue = JobQueue()
    worker = BatchingWorker(model, queue, WorkerConfig(max_batch=1))
    worker.start()
    running = queue.submit(request("first"))
    await asyncio.sleep(0.1)
    waiting = queue.submit(request("second"))
    closing = asyncio.create_task(worker.close(drain_s=5))
    await asyncio.sleep(0.05)
    with pytest.raises(WorkerStopped):
        queue.submit(request("third"))
    model.gate.set()
    await closing
    assert (await running.result()).text == "first"  # in flight: finished
    with pytest.raises(WorkerStopped):
        await waiting.result()  # waiting: told it was not started


async def test_worker_ceiling_on_new_tokens() -> None:
    queue = JobQueue()
    async with BatchingWorker(FakeModel(), queue, WorkerConfig(max_new_tokens=2)):
        result = await queue.submit(request("a b c d e f", max_new=50)).result()
    assert result.text == "a b" and result.finish_reason == "length"


async def test_snapshots_show_only_finished_lines() -> None:
    from models.tasks import PitchInput, runner

    script = (
        '**Title:** "Night Lamp"\\n**Logline:** A keeper guards a light. Something sleeps below.\\n'
        "**Synopsis:** Mara keeps the lamp lit. The beam hums at night. One night it fails."
    )
    model = FakeModel(default=script.replace("\\n", "\n") + "|stop")
    queue = JobQueue()
    async with BatchingWorker(model, queue):
        run = runner.submit(
            queue, SPECS["pitch"], PitchInput.create(premise="a lighthouse keeper guards a sleeping thing")
        )
        views = [v async for v in run.snapshots()]
        reply = await run.reply()
    assert views, "no snapshot was streamed"
    assert all(not v.endswith("…") and '"' not in v for v in views)
    assert views[0].startswith("**Title:** Night Lamp\n**Logline:**")
    assert reply.text.startswith("**Title:** Night Lamp\n**Logline:** A keeper guards a light.")


def test_a_liked_style_is_described_in_the_user_message_without_its_words() -> None:
    from models.tasks import PitchInput, runner

    liked = [
        "**Title:** Old Light\n**Logline:** A keeper keeps the lamp lit for a thing asleep below the rock.\n\n"
        "**Synopsis:** Mara tends the beam. The sea rises. Something wakes!"
    ]
    style = runner.describe_style(liked)
    assert style is not None and "with bold labels" in style and "2 paragraphs" in style
    assert not set(re.findall(r"[a-z]+", style)) & {"keeper", "lamp", "mara", "beam", "sea", "rock", "light"}
    assert runner.describe_style(["", "  "]) is None
    queue = JobQueue()
    loop = asyncio.new_event_loop()
    try:

        async def make() -> runner.TaskRun:
            return runner.submit(
                queue, SPECS["pitch"], PitchInput.create(premise="a keeper guards a sleeping thing"), style=style
            )

        pitch = loop.run_until_complete(make())
    finally:
        loop.close()
    assert "Members here liked earlier replies that were about" in pitch.request.messages[-1]["content"]
    assert "Old Light" not in pitch.request.messages[-1]["content"]
    assert (
        pitch.request.messages[0] == SPECS["pitch"].build_messages(PitchInput.create(premise="x" * 12))[0]
    )  # the system prompt (the cached prefix) is unchanged


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("I'm sorry, but I can't assist with that request.", True),
        ("Sorry, I cannot help with that.", True),
        ("I am sorry, but I'm unable to provide that.", True),
        ("I'm sorry to say the ending can't hold up, but I loved the first hour.", False),
        ("I loved it. Sorry to the haters, but it can't be beaten." * 10, False),
    ],
)
def test_refusal_detection(text: str, refusal: bool) -> None:
    from models.tasks.runner import is_refusal

    assert is_refusal(text) is refusal


async def test_a_refusal_is_retried_once_then_reported() -> None:
    from models.tasks import PitchInput, runner

    class Refuser(FakeModel):
        def __init__(self) -> None:
            super().__init__(default="I'm sorry, but I can't assist with that.|stop")
            self.prompts: list[str] = []

        def encode(self, messages: list[dict[str, str]], prefix: str = "") -> list[int]:
            self.prompts.append(messages[-1]["content"])
            if "harmless writing task" in messages[-1]["content"]:
                # an answer that keeps the premise, so that no second try (a pitch that lost it) is written
                messages = [{"role": "user", "content": "say:A keeper guards the sleeping thing.|stop"}]
            return super().encode(messages)

    model = Refuser()
    queue = JobQueue()
    async with BatchingWorker(model, queue):
        inp = PitchInput.create(premise="a keeper guards a sleeping thing")
        reply = await runner.submit(queue, SPECS["pitch"], inp).reply()
    assert reply.attempts == 2 and reply.raw.startswith("**Title:**")  # the retry primes the answer
    assert "A keeper guards the sleeping thing." in reply.text
    assert len(model.prompts) == 2

    stubborn = FakeModel(default="I'm sorry, but I can't assist with that.|stop")
    queue = JobQueue()
    async with BatchingWorker(stubborn, queue):
        with pytest.raises(JobError, match="declined"):
            await runner.submit(
                queue, SPECS["pitch"], PitchInput.create(premise="a keeper guards a sleeping thing")
            ).reply()


async def test_prefix_starts_the_answer_and_is_part_of_the_text() -> None:
    queue = JobQueue()
    async with BatchingWorker(FakeModel(), queue):
        handle = queue.submit(GenerationRequest(messages=say("loved it"), max_new_tokens=10, prefix="I"))
        pieces = [p async for p in handle]
        result = await handle.result()
    assert pieces[0] == "I" and result.text == "Iloved it"


async def test_a_benchmark_job_can_write_past_the_end_of_turn() -> None:
    queue = JobQueue()
    async with BatchingWorker(FakeModel(), queue):
        normal = await queue.submit(request("a b", max_new=6)).result()
        full = await queue.submit(request("a b", max_new=6, ignore_stop=True)).result()
    assert (normal.text, normal.finish_reason) == ("a b", "stop")
    assert full.finish_reason == "length" and full.completion_tokens == 6 and full.text.startswith("a b")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux's")
def test_the_worker_thread_and_the_threads_it_starts_run_at_a_lower_priority() -> None:
    seen: dict[str, int] = {}

    def child() -> None:
        seen["child"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def worker() -> None:
        lower_priority(5)
        seen["worker"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        started = threading.Thread(target=child)  # as llama.cpp's and torch's compute threads are started
        started.start()
        started.join()

    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == {"worker": min(19, own + 5), "child": min(19, own + 5)}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own  # the event loop's thread keeps its own
