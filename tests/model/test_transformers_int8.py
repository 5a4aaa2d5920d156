"""The transformers backend's int8 route on a CPU, with the real SmolLM2-135M: the first load converts and caches,
later loads use the cache (same tokens, the GGUF never parsed again), a broken cache is rebuilt, `int8="off"` stays
fp32, and a job's greedy output is the same alone and in a batch."""

from __future__ import annotations

import copy
import logging
import os
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from models.llm import registry
from models.llm.backends import int8 as i8
from models.llm.backends import transformers as tb
from models.llm.jobs import GenerationRequest, JobQueue
from models.llm.registry import ModelSource
from models.llm.worker import BatchingWorker, WorkerConfig

pytestmark = pytest.mark.model

SYSTEM = {"role": "system", "content": "You are a film critic who answers in plain English, briefly and concretely."}
QUESTIONS = [
    "Describe a rainy street at night in two sentences.",
    "What makes a good thriller? Answer briefly.",
    "Give me a title for a comedy about two rival chefs.",
    "Write a haiku about an empty cinema.",
]


def load(source: ModelSource, cache: Path, int8: str = "on") -> Any:
    return tb.load_transformers(source, "smollm2-135m", cache, device="cpu", progress=False, int8=int8)


def greedy(lm: Any, questions: list[str], n: int = 24) -> list[list[int]]:
    """Greedy tokens of each question, all in one batch, straight through the StepModel methods."""
    prompts = [lm.encode([SYSTEM, {"role": "user", "content": q}]) for q in questions]
    batch, last = lm.prefill(prompts)
    out = [[t] for t in last]
    for _ in range(n - 1):
        last = lm.decode(batch, last)
        for row, token in zip(out, last, strict=True):
            row.append(token)
    return out


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("int8-cache"))


@pytest.fixture(scope="module")
def fp32_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("fp32-cache"))


@pytest.fixture(scope="module")
def fp32(fp32_cache: Path) -> Any:
    """The test model from its GGUF with int8 off (the one GGUF parse of this file: it takes most of its time)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return load(registry.resolve("smollm2-135m", fp32_cache), fp32_cache, int8="off")


@pytest.fixture(scope="module")
def source(fp32: Any, tmp_path_factory: pytest.TempPathFactory, cache: Path) -> ModelSource:
    """The same fp32 weights as a local Hugging Face folder, a source that loads in a second: the conversions below
    start from it rather than parsing the GGUF again."""
    from safetensors.torch import save_model

    folder = Path(tmp_path_factory.mktemp("source")) / "smollm2-135m-fp32"
    folder.mkdir()
    config = copy.deepcopy(fp32.model.config)
    del config.quantization_config  # transformers will not save a model loaded from a GGUF: save it by hand
    config.save_pretrained(folder)
    fp32.model.generation_config.save_pretrained(folder)
    fp32.tokenizer.save_pretrained(folder)
    save_model(fp32.model, str(folder / "model.safetensors"))
    return registry.resolve(str(folder), cache)


@pytest.fixture(scope="module")
def fresh(source: ModelSource, cache: Path) -> Any:
    """The first int8 load: converted from the source and saved to the cache."""
    return load(source, cache)


@pytest.fixture(scope="module")
def cached(source: ModelSource, cache: Path, fresh: Any) -> Any:
    """The second int8 load, from the cache; the source loader fails if it is called."""
    def no_source(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the source model was read again")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tb, "load_source", no_source)
        return load(source, cache)


def folder_of(cache: Path) -> Path:
    folders = [p for p in (cache / i8.CONVERTED_DIR).iterdir() if not p.name.startswith(".")]
    assert len(folders) == 1
    return folders[0]


def test_first_load_converts_to_int8_and_writes_the_cache(fresh: Any, cache: Path) -> None:
    model = fresh.model
    assert not [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    assert isinstance(model.get_output_embeddings(), i8.Int8Linear)
    assert isinstance(model.get_input_embeddings(), i8.Int8Embedding)
    assert model.config._attn_implementation == i8.ROWWISE_ATTENTION
    assert fresh.detail.endswith("int8 weights")
    folder = folder_of(cache)
    assert folder.name.startswith("smollm2-135m-")
    names = {p.name for p in folder.iterdir()}
    assert {i8.WEIGHTS_FILE, i8.MANIFEST_FILE, "config.json", "tokenizer.json"} <= names
    assert (folder / i8.WEIGHTS_FILE).stat().st_size < 200 << 20  # int8: the fp32 weights would be ~540 MB


def test_second_load_uses_the_cache_and_gives_the_same_tokens(fresh: Any, cached: Any, cache: Path) -> None:
    assert greedy(cached, QUESTIONS) == greedy(fresh, QUESTIONS)
    assert cached.model.config._attn_implementation == i8.ROWWISE_ATTENTION
    assert cached.stop_ids == fresh.stop_ids and cached.pad_id == fresh.pad_id
    assert cached.encode([SYSTEM]) == fresh.encode([SYSTEM])
    assert not any(t.is_meta for t in cached.model.state_dict().values() if t.dtype != torch.int8)


def test_a_broken_cache_is_logged_deleted_and_rebuilt(source: ModelSource, fresh: Any, cached: Any, cache: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    folder = folder_of(cache)
    weights = folder / i8.WEIGHTS_FILE
    size = weights.stat().st_size
    with weights.open("r+b") as fh:  # as if the first run had been killed while writing
        fh.truncate(size // 2)
    stale = folder.parent / f".{folder.name}.tmp-999999999"  # a dead process's unfinished conversion
    stale.mkdir()
    with caplog.at_level(logging.INFO, logger=i8.__name__):
        rebuilt = load(source, cache)
    assert "unusable" in caplog.text and "deleting it and converting again" in caplog.text
    assert weights.stat().st_size == size and not stale.exists()
    assert greedy(rebuilt, QUESTIONS[:2]) == greedy(fresh, QUESTIONS[:2])


def test_weights_that_no_longer_give_the_probe_tokens_are_refused(source: ModelSource, cached: Any, cache: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from safetensors.torch import load_file, save_file

    folder = folder_of(cache)
    weights = folder / i8.WEIGHTS_FILE
    tensors = load_file(str(weights))
    tensors["model.norm.weight"] = torch.zeros_like(tensors["model.norm.weight"])  # same size, wrong content
    save_file(tensors, str(weights), metadata={"format": "pt", "recipe": str(i8.INT8_RECIPE)})
    converted: list[Path | None] = []

    def convert(source: ModelSource, label: str, target: Path | None, progress: bool,
                load_source: Any) -> tuple[Any, Any]:
        converted.append(target)
        return "model", "tokenizer"

    monkeypatch.setattr(i8, "_convert", convert)
    assert i8.load_int8(source, "smollm2-135m", cache, tb.load_source, progress=False) == ("model", "tokenizer")
    assert converted == [folder] and not folder.exists()


def test_int8_off_keeps_fp32_linear_layers(fp32: Any, fp32_cache: Path) -> None:
    linears = [m for m in fp32.model.modules() if isinstance(m, torch.nn.Linear)]
    assert linears and all(m.weight.dtype == torch.float32 for m in linears)
    assert not any(isinstance(m, i8.Int8Linear | i8.Int8Embedding) for m in fp32.model.modules())
    assert fp32.model.config._attn_implementation == "sdpa" and "int8" not in fp32.detail
    assert not (fp32_cache / i8.CONVERTED_DIR).exists()


def test_the_cache_name_changes_with_the_source_file_and_the_recipe(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    gguf = tmp_path / "film-model.gguf"
    gguf.write_bytes(b"GGUF" + bytes(100))
    source = ModelSource("film-model.gguf", str(tmp_path), gguf.name)
    first = i8.converted_folder(source, "film model", tmp_path / "cache")
    assert first is not None and first.parent == tmp_path / "cache" / i8.CONVERTED_DIR
    assert first.name.startswith("film-model-")
    assert first == i8.converted_folder(source, "film model", tmp_path / "cache")
    gguf.write_bytes(b"GGUF" + bytes(101))  # a new download
    second = i8.converted_folder(source, "film model", tmp_path / "cache")
    monkeypatch.setattr(i8, "INT8_RECIPE", i8.INT8_RECIPE + 1)
    third = i8.converted_folder(source, "film model", tmp_path / "cache")
    assert len({first, second, third}) == 3
    assert i8.converted_folder(ModelSource("org/model", "org/model"), "org/model", tmp_path) is None  # a hub id


async def test_int8_jobs_give_the_same_greedy_text_alone_and_in_a_batch(cached: Any) -> None:
    def req(question: str, max_new: int = 16, system: bool = True) -> GenerationRequest:
        user = {"role": "user", "content": question}
        return GenerationRequest(messages=(SYSTEM, user) if system else (user,), max_new_tokens=max_new)

    queue = JobQueue()
    async with BatchingWorker(cached, queue, WorkerConfig(batch_wait_s=0.05)):
        alone = [(await queue.submit(req(q)).result()).text for q in QUESTIONS]
        handles = [queue.submit(req(q)) for q in QUESTIONS]
        together = [(await h.result()).text for h in handles]
        first = queue.submit(req(QUESTIONS[0], max_new=32, system=False))  # then a job joins it mid-way
        async for _ in first:
            break
        late_text = (await queue.submit(req(QUESTIONS[1])).result()).text
        first_text = (await first.result()).text
        first_alone = (await queue.submit(req(QUESTIONS[0], max_new=32, system=False)).result()).text
    assert together == alone
    assert len(set(alone)) == 4 and all(len(t) > 20 for t in alone)  # four real, different answers
    assert late_text == alone[1] and first_text == first_alone
    assert cached.prefix_hits > 0


def test_int8_linear_is_close_to_fp32_and_each_row_is_its_own() -> None:
    torch.manual_seed(0)
    for n_out in (64, 256, 1536):  # 64 and 256 at one row take the padded path
        linear = torch.nn.Linear(576, n_out)
        layer = i8.Int8Linear.from_linear(linear)
        layer.pack()
        x = torch.randn(9, 576)
        x[:, 7] *= 8  # an outlier channel
        with torch.inference_mode():
            out, ref = layer(x), linear(x)
            # the same arithmetic in fp32: int8 rows, times the weight at this CPU's range, summed exactly
            step = x.abs().amax(dim=1, keepdim=True) / 127
            qweight, scale = i8.to_weight_range(*i8.quantize_rows(linear.weight), i8.weight_range())
            same = (x / step).round() @ qweight.float().T * step * scale + linear.bias
            assert ((out - same).norm() / same.norm()).item() < 1e-5
            assert ((out - ref).norm() / ref.norm()).item() < 0.03
            for row in range(9):
                assert torch.equal(layer(x[row : row + 1])[0], out[row])


def test_rowwise_attention_matches_sdpa_on_a_padded_batch() -> None:
    torch.manual_seed(0)
    heads, kv_heads, dim, q_len, kv_len = 6, 2, 16, 5, 12
    query = torch.randn(2, heads, q_len, dim)
    key, value = torch.randn(2, kv_heads, kv_len, dim), torch.randn(2, kv_heads, kv_len, dim)
    keys = torch.ones(2, kv_len, dtype=torch.bool)
    keys[1, 3:6] = False  # row 1: a cached prefix of 3, then 3 padding columns before its 4 real queries
    queries = keys[:, kv_len - q_len :]
    causal = torch.ones(q_len, kv_len, dtype=torch.bool).tril(kv_len - q_len)
    mask = (causal[None] & keys[:, None, :])[:, None]
    out, _ = i8.rowwise_attention(torch.nn.Module(), query, key, value, mask, scaling=dim**-0.5)
    ref = F.scaled_dot_product_attention(query, key, value, attn_mask=mask, scale=dim**-0.5, enable_gqa=True)
    ref = ref.transpose(1, 2)
    assert torch.allclose(out[queries], ref[queries], atol=1e-5)
    assert torch.equal(out[~queries], torch.zeros_like(out[~queries]))
