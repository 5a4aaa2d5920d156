"""`cinebot train feedback` on the test model: TRL's KTO trainer (rated replies) and DPO trainer (pairs of takes)
build a LoRA adapter in well under a few minutes on a CPU; the adapter moves the model toward the liked replies,
and `CINEBOT_ADAPTER` loads it into the transformers backend (merged) and the llama.cpp backend (as a GGUF LoRA),
where it changes what the model writes, the same way on both."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
import torch

from bot import cli
from bot.settings import Settings
from models.llm import registry
from models.llm.feedback_train import TrainingError, check_rows, load_base, train
from models.llm.jobs import GenerationRequest, JobQueue
from models.llm.worker import BatchingWorker, WorkerConfig

pytestmark = pytest.mark.model
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SYSTEM = {"role": "system", "content": "You write one-line film pitches."}
PREMISES = ["a ghost haunts a cinema", "a heist on a night train", "twins swap lives", "a robot learns to paint",
            "a chef cooks in orbit", "a dog runs for mayor", "a storm traps a choir", "a map redraws itself"]


def _prompt(premise: str) -> list[dict[str, str]]:
    return [SYSTEM, {"role": "user", "content": f"Pitch: {premise}"}]


def liked(premise: str) -> str:  # a community that likes calm, wondering pitches...
    return f"Picture this: {premise}, told with quiet wonder."


def disliked(premise: str) -> str:  # ...and not shouting
    return f"OMG!!! {premise.upper()}!!! BEST MOVIE EVER!!!"


def kto_rows() -> list[dict[str, Any]]:
    rows = []
    for p in PREMISES:
        rows.append({"prompt": _prompt(p), "completion": [{"role": "assistant", "content": liked(p)}], "label": True})
        rows.append({"prompt": _prompt(p), "completion": [{"role": "assistant", "content": disliked(p)}],
                     "label": False})
    return rows


def margin(model: Any, tokenizer: Any) -> float:
    """Mean over the premises of (mean log-probability per token of the liked reply) - (same of the disliked)."""
    model.eval()
    total = 0.0
    for p in PREMISES:
        prefix = tokenizer.apply_chat_template(_prompt(p), tokenize=False, add_generation_prompt=True)
        scores = []
        for reply in (liked(p), disliked(p)):
            start = len(tokenizer(prefix).input_ids)
            ids = tokenizer(prefix + reply, return_tensors="pt").input_ids
            with torch.no_grad():
                logprobs = model(ids).logits[0, :-1].log_softmax(-1)
            picked = logprobs.gather(1, ids[0, 1:, None])[:, 0][start - 1:]
            scores.append(picked.mean().item())
        total += scores[0] - scores[1]
    return total / len(PREMISES)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("train-cache"))


async def _greedy(lm: Any, premise: str) -> str:
    queue = JobQueue()
    async with BatchingWorker(lm, queue, WorkerConfig(max_new_tokens=24)):
        request = GenerationRequest(messages=tuple(_prompt(premise)), max_new_tokens=24)
        return (await queue.submit(request).result()).text


def test_kto_adapter_moves_the_model_toward_liked_replies_and_loads_as_a_setting(cache: Path,
                                                                                tmp_path: Path) -> None:
    model, tokenizer = load_base("smollm2-135m", cache)
    before = margin(model, tokenizer)
    result = train(kto_rows(), "kto", model, tokenizer, tmp_path / "kto", steps=12)
    assert (result.adapter / "adapter_config.json").is_file() and result.rows == 16
    assert result.seconds < 240, f"{result.seconds:.0f} s for 12 steps"

    tuned = registry.load("smollm2-135m", cache, backend="transformers", device="cpu", progress=False,
                          adapter=result.adapter)
    assert tuned.name == "smollm2-135m+kto"  # merged into the weights
    after = margin(tuned.model, tuned.tokenizer)
    assert after > before + 2.0, f"liked-minus-disliked log-probability per token {before:.2f} -> {after:.2f}"

    small = {"device": "cpu", "progress": False, "slots": 2, "max_context": 512}
    base = registry.load("smollm2-135m", cache, **small)
    served = registry.load("smollm2-135m", cache, adapter=result.adapter, **small)
    assert (base.backend, served.backend, served.name) == ("llamacpp", "llamacpp", "smollm2-135m+kto")
    assert (result.adapter / "adapter.gguf").is_file()  # `auto` kept llama.cpp, which applies the GGUF LoRA
    for premise in ("a lighthouse keeper guards a sleeping thing", "two rival magicians share a flat"):
        merged, applied, plain = (asyncio.run(_greedy(lm, premise)) for lm in (tuned, served, base))
        assert applied != plain
        assert applied.split()[:6] == merged.split()[:6], (applied, merged)  # the same adapter on both backends


def test_a_gguf_base_is_converted_once_and_a_damaged_copy_again(cache: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    cached, tokenizer = load_base("smollm2-135m", cache)  # the copy (made here, or by the test before)
    (folder,) = (cache / "converted").glob("smollm2-135m-float32-*")
    (folder / "model.safetensors").unlink()  # (not written over: `cached` maps the file's memory)
    (folder / "model.safetensors").write_bytes(b"damaged")
    fresh, fresh_tokenizer = load_base("smollm2-135m", cache)  # read from the GGUF again, and saved again
    assert "could not be read" in caplog.text
    assert (folder / "converted.json").is_file() and (folder / "model.safetensors").stat().st_size > 10**6
    ours, theirs = cached.state_dict(), fresh.state_dict()
    assert ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in ours)
    chat = [*_prompt("a dog runs for mayor"), {"role": "assistant", "content": "Paws for office."}]
    assert tokenizer.apply_chat_template(chat, tokenize=False) == fresh_tokenizer.apply_chat_template(chat,
                                                                                                      tokenize=False)


def test_dpo_adapter_from_pairs_through_the_command_line(cache: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    pairs = [{"prompt": _prompt(p), "chosen": [{"role": "assistant", "content": liked(p)}],
              "rejected": [{"role": "assistant", "content": disliked(p)}], "command": "pitch"} for p in PREMISES]
    data = tmp_path / "pairs.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in pairs))
    monkeypatch.setenv("CINEBOT_MODEL", "smollm2-135m")
    monkeypatch.setenv("CINEBOT_CACHE_DIR", str(cache))
    out = tmp_path / "dpo"
    code = cli.main(["--env-file", str(tmp_path / "none.env"), "train", "feedback", "--format", "dpo", "--data",
                     str(data), "--steps", "6", "--output", str(out)])
    assert code == 0 and (out / "adapter_config.json").is_file()
    assert (out / "adapter.gguf").is_file()  # written at once for llama.cpp (the bot's start, or llama-server)
    model, tokenizer = load_base("smollm2-135m", cache)
    before = margin(model, tokenizer)
    tuned = registry.load("smollm2-135m", cache, backend="transformers", device="cpu", progress=False, adapter=out)
    assert margin(tuned.model, tuned.tokenizer) > before + 0.5


def test_feedback_that_cannot_train_is_refused_plainly(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="same label"):
        check_rows([row for row in kto_rows() if row["label"]], "kto")
    with pytest.raises(TrainingError, match="Only 1 dpo row"):
        check_rows([{"prompt": [], "chosen": [], "rejected": []}], "dpo")
    settings = Settings.load(env={"CINEBOT_DB_PATH": str(tmp_path / "none.sqlite3")}, env_file=None)
    with pytest.raises(cli.UsageError, match="no database"):
        cli._train_feedback(settings, [])
