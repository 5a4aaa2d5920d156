"""A peft LoRA adapter becomes a GGUF LoRA that llama.cpp applies (`models/llm/lora_gguf.py`): the names, the
matrices, the row order of a `llama` model's query and key projections, and plain refusals of what cannot convert."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from models.llm import registry
from models.llm.lora_gguf import LoraConversionError, base_shape, convert, gguf_for, permute_rows
from models.llm.registry import ModelError, smollm_path


def test_a_llama_projection_interleaves_the_two_halves_of_each_heads_rows() -> None:
    # llama.cpp rotates dimension pairs (0,1), (2,3)...; Hugging Face's llama rotates (0, d/2), (1, d/2+1)...: the
    # GGUF stores each head's rows as first-half, second-half, first-half, ...
    rows = np.arange(8, dtype=np.float32)[:, None] * np.ones((1, 3), dtype=np.float32)
    assert permute_rows(rows, heads=2)[:, 0].tolist() == [0, 2, 1, 3, 4, 6, 5, 7]
    assert permute_rows(rows, heads=1)[:, 0].tolist() == [0, 4, 1, 5, 2, 6, 3, 7]


def _adapter(folder: Path, layers: dict[int, dict[str, tuple[int, int]]], rank: int = 4,
             **config: object) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    weights = {}
    for layer, modules in layers.items():
        for module, (out, into) in modules.items():
            stem = f"base_model.model.model.layers.{layer}.{module}"
            weights[f"{stem}.lora_A.weight"] = rng.standard_normal((rank, into)).astype(np.float32)
            weights[f"{stem}.lora_B.weight"] = rng.standard_normal((out, rank)).astype(np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    save_file(weights, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": rank, "lora_alpha": 2 * rank,
                                                            **config}))
    return weights


def _tensors(path: Path) -> dict[str, np.ndarray]:
    import gguf

    return {t.name: np.array(t.data) for t in gguf.GGUFReader(path).tensors}


# the test model: 576 wide, 9 query heads and 3 key/value heads of 64, MLP 1536
SMOL = {"self_attn.q_proj": (576, 576), "self_attn.k_proj": (192, 576), "self_attn.v_proj": (192, 576),
        "mlp.down_proj": (576, 1536)}


def test_an_adapter_converts_under_the_models_tensor_names_and_llama_cpp_applies_it(tmp_path: Path) -> None:
    weights = _adapter(tmp_path / "ad", {0: SMOL, 29: {"self_attn.o_proj": (576, 576)}})
    shape = base_shape(smollm_path())
    assert (shape.arch, shape.blocks, shape.heads, shape.kv_heads) == ("llama", 30, 9, 3)
    out = gguf_for(tmp_path / "ad", smollm_path())
    assert out == tmp_path / "ad" / "adapter.gguf"
    tensors = _tensors(out)
    assert sorted(tensors) == sorted(f"blk.{b}.{t}.weight.lora_{x}" for b, t in
                                     [(0, "attn_q"), (0, "attn_k"), (0, "attn_v"), (0, "ffn_down"), (29, "attn_output")]
                                     for x in "ab")

    def peft(layer: int, module: str, part: str) -> np.ndarray:
        return weights[f"base_model.model.model.layers.{layer}.{module}.lora_{part}.weight"]

    for module in SMOL:  # A goes over as it is
        name = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
                "mlp.down_proj": "ffn_down"}[module]
        assert np.array_equal(tensors[f"blk.0.{name}.weight.lora_a"], peft(0, module, "A"))
    assert np.array_equal(tensors["blk.0.attn_v.weight.lora_b"], peft(0, "self_attn.v_proj", "B"))
    assert np.array_equal(tensors["blk.0.attn_q.weight.lora_b"], permute_rows(peft(0, "self_attn.q_proj", "B"), 9))
    assert np.array_equal(tensors["blk.0.attn_k.weight.lora_b"], permute_rows(peft(0, "self_attn.k_proj", "B"), 3))
    assert not np.array_equal(tensors["blk.0.attn_q.weight.lora_b"], peft(0, "self_attn.q_proj", "B"))

    made = out.stat().st_mtime_ns
    assert gguf_for(tmp_path / "ad", smollm_path()) == out and out.stat().st_mtime_ns == made  # converted once
    lm = registry.load("smollm2-135m", tmp_path / "cache", backend="llamacpp", progress=False, slots=2,
                       max_context=256, adapter=tmp_path / "ad")
    try:
        assert lm.name == "smollm2-135m+ad" and "LoRA ad" in lm.detail
    finally:
        lm.close()


def test_what_cannot_convert_is_refused_plainly(tmp_path: Path) -> None:
    _adapter(tmp_path / "dora", {0: SMOL}, use_dora=True)
    with pytest.raises(LoraConversionError, match="DoRA"):
        convert(tmp_path / "dora", smollm_path())
    _adapter(tmp_path / "embed", {0: {"embed_tokens": (576, 576)}})
    with pytest.raises(LoraConversionError, match="no tensor"):
        convert(tmp_path / "embed", smollm_path())
    wrong = tmp_path / "wrong"  # an adapter made for another model (the default one's 896-wide projections)
    _adapter(wrong, {0: {"self_attn.q_proj": (896, 896)}})
    with pytest.raises(ModelError, match=r"not trained on this model: its blk\.0\.attn_q update is 896x896, "
                                         r"the model's weight is 576x576"):
        registry.load("smollm2-135m", tmp_path / "cache", backend="llamacpp", progress=False, slots=2,
                      max_context=256, adapter=wrong)
    with pytest.raises(ModelError, match="not an adapter folder"):
        registry.load("smollm2-135m", tmp_path / "cache", backend="llamacpp", progress=False, adapter=tmp_path)
