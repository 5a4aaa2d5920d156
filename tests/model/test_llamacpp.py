"""The llama.cpp backend with the real test model: more jobs than sequences, jobs leaving mid-batch (the running
sequences are moved down to stay one micro-batch), greedy output equal alone and in a batch, and the chat template
rendered as transformers renders it."""

from __future__ import annotations

from typing import Any

import pytest

from models.llm.jobs import GenerationRequest, JobQueue
from models.llm.worker import BatchingWorker, WorkerConfig

pytestmark = pytest.mark.model

SYSTEM = {"role": "system", "content": "You are a film critic who answers in plain English, briefly and concretely."}
QUESTIONS = [f"In one sentence, what is special about {film}?" for film in (
    "Alien", "Jaws", "Casablanca", "Psycho", "Vertigo", "Heat", "Fargo", "Amelie", "Chinatown", "Titanic", "Gladiator",
    "Inception")]


def req(question: str, max_new: int) -> GenerationRequest:
    return GenerationRequest(messages=(SYSTEM, {"role": "user", "content": question}), max_new_tokens=max_new)


async def test_more_jobs_than_sequences_leave_and_join_with_the_same_greedy_text(smollm_llamacpp: Any) -> None:
    lm = smollm_llamacpp
    assert lm.slots == 8
    # different lengths, so that jobs leave the running batch at different steps and later ones take their place
    lengths = [12 + 7 * (i % 5) for i in range(len(QUESTIONS))]
    queue = JobQueue()
    async with BatchingWorker(lm, queue, WorkerConfig(batch_wait_s=0.05)) as worker:
        alone = [(await queue.submit(req(q, n)).result()).text for q, n in zip(QUESTIONS, lengths, strict=True)]
        handles = [queue.submit(req(q, n)) for q, n in zip(QUESTIONS, lengths, strict=True)]
        together = [(await h.result()).text for h in handles]
        assert worker.model.prefix_hits > 0
    assert together == alone
    assert len(set(alone)) == len(QUESTIONS)
    assert sorted(lm._free) == list(range(8))  # every sequence was given back


def test_leaving_jobs_keep_the_running_sequences_consecutive(smollm_llamacpp: Any) -> None:
    """llama.cpp puts sequences into one micro-batch only while their ids are consecutive: after jobs leave, the
    survivors are moved into the freed low ids, and their next tokens are unchanged by the move."""
    lm = smollm_llamacpp
    prompts = [lm.encode([SYSTEM, {"role": "user", "content": q}]) for q in QUESTIONS[:6]]

    def run(rows: list[int], steps: int, drop_after: int, keep: list[int]) -> list[list[int]]:
        batch, first = lm.prefill([prompts[r] for r in rows])
        out = [[t] for t in first]
        for step in range(steps):
            if step == drop_after:
                batch = lm.select(batch, keep)
                out = [out[i] for i in keep]
            nxt = lm.decode(batch, [o[-1] for o in out])
            for o, t in zip(out, nxt, strict=True):
                o.append(t)
        assert sorted(batch.seqs) == list(range(len(out)))
        lm.select(batch, [])
        return out

    moved = run(list(range(6)), steps=10, drop_after=3, keep=[1, 4, 5])
    for kept, tokens in zip([1, 4, 5], moved, strict=True):
        assert tokens == run([kept], steps=10, drop_after=-1, keep=[])[0]
    assert sorted(lm._free) == list(range(8))


def test_the_chat_template_renders_as_in_transformers(smollm_llamacpp: Any, smollm: Any) -> None:
    messages = [SYSTEM, {"role": "user", "content": "Name a film.\nJust one."}]
    expected = smollm.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert smollm_llamacpp._render(messages, True) == expected
    ids = smollm_llamacpp.encode(messages, prefix="I")
    assert smollm_llamacpp.detokenize(ids).endswith("assistant\nI")


async def test_a_short_answer_ends_on_the_models_stop_token(smollm_llamacpp: Any) -> None:
    queue = JobQueue()
    async with BatchingWorker(smollm_llamacpp, queue):
        result = await queue.submit(req("Say only the word yes.", 64)).result()
    assert result.finish_reason == "stop" and "<|im_" not in result.text and "user" not in result.text


def test_the_bot_on_llama_cpp_never_imports_torch(tmp_path: Any) -> None:
    """`cinebot run`'s whole start-up on the llama.cpp backend (catalog, mood classifier, store, model, every cog)
    loads neither torch nor transformers: seconds and hundreds of MB saved. A fresh interpreter, since tests load
    torch."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, asyncio\n"
        "from dataclasses import replace\n"
        "from pathlib import Path\n"
        "from bot.core import COGS, prepared_bot\n"
        "from bot.settings import Settings\n"
        "async def main():\n"
        f"    d = Path({str(tmp_path)!r})\n"
        "    s = replace(Settings.load(env={}, env_file=None), model='smollm2-135m', backend='llamacpp', max_batch=4,\n"
        "                db_path=d / 'bot.sqlite3', films_path=d / 'films.sqlite3', discord_token='x')\n"
        "    async with prepared_bot(s) as bot:\n"
        "        for name in COGS:\n"
        "            await bot.load_extension(name)\n"
        "        print(type(bot.engine.worker.model).__name__)\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-2:] == ["LlamaCppLM", "[]"]
