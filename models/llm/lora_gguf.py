"""A peft LoRA adapter (`cinebot train feedback`) written as a GGUF LoRA that llama.cpp applies to a GGUF model.

The adapter's A and B matrices go over unchanged (llama.cpp computes `W x + scale * B (A x)` with
`scale = alpha / rank`, as peft does), under the base model's tensor names (`blk.N.attn_q.weight.lora_a`). One
thing differs by architecture: the GGUF of a `llama` model stores its query and key projections with their rows
permuted for llama.cpp's rotary embedding, so B's rows for those two are permuted the same way. Only the
architectures whose layout is known here are converted; for any other, llama.cpp's own `convert_lora_to_gguf.py`
does it. Reads the weights with numpy (no torch), so the llama.cpp backend stays light.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ADAPTER_FILE = "adapter_model.safetensors"
GGUF_FILE = "adapter.gguf"
PERMUTED = {"llama": ("attn_q", "attn_k")}  # architectures whose q/k rows the GGUF converter permutes
KNOWN = ("llama", "qwen2", "qwen3")


class LoraConversionError(ValueError):
    """An adapter that cannot become a GGUF LoRA for this model; the message says why."""


@dataclass(frozen=True)
class BaseShape:
    """What the conversion needs to know of the base GGUF model."""

    arch: str
    blocks: int
    heads: int
    kv_heads: int
    matrices: dict[str, tuple[int, int]]  # each 2-D weight's (rows, columns): (outputs, inputs)


def base_shape(base_gguf: Path) -> BaseShape:
    import gguf

    reader = gguf.GGUFReader(base_gguf)
    fields = reader.fields

    def value(key: str) -> Any:
        field = fields.get(key)
        if field is None:
            raise LoraConversionError(f"{base_gguf.name} has no {key}; it is not a GGUF model llama.cpp reads.")
        return field.contents()

    arch = str(value("general.architecture"))
    heads = int(value(f"{arch}.attention.head_count"))
    kv = fields.get(f"{arch}.attention.head_count_kv")
    matrices = {t.name: (int(t.shape[1]), int(t.shape[0])) for t in reader.tensors if len(t.shape) == 2}
    return BaseShape(arch, int(value(f"{arch}.block_count")), heads, int(kv.contents()) if kv else heads, matrices)


def permute_rows(b: Any, heads: int) -> Any:
    """B's rows in the order llama.cpp's converter stores a `llama` query/key projection: within each head, the
    two halves of the rotary dimensions interleaved (`convert_hf_to_gguf.py`'s LlamaModel.permute)."""
    rows = b.shape[0]
    return b.reshape(heads, 2, rows // heads // 2, *b.shape[1:]).swapaxes(1, 2).reshape(b.shape)


def convert(adapter: Path, base_gguf: Path, output: Path | None = None) -> Path:
    """Write `adapter` (a peft LoRA folder) as a GGUF LoRA for `base_gguf`; returns its path (default: the adapter
    folder's `adapter.gguf`)."""
    import gguf
    import numpy as np
    from safetensors.numpy import load_file

    config = _lora_config(adapter)
    shape = base_shape(base_gguf)
    if shape.arch not in KNOWN:
        raise LoraConversionError(
            f"Converting a LoRA adapter for a {shape.arch!r} model is not built in (known: {', '.join(KNOWN)}); "
            "convert it with llama.cpp's convert_lora_to_gguf.py, or serve it with CINEBOT_BACKEND=transformers.")
    names = gguf.get_tensor_name_map(_arch_enum(shape.arch), shape.blocks)
    weights = load_file(str(adapter / ADAPTER_FILE))
    pairs: dict[str, dict[str, Any]] = {}
    for key, tensor in weights.items():
        stem, _, part = key.rpartition(".lora_")
        if part not in ("A.weight", "B.weight"):
            raise LoraConversionError(f"{adapter.name} holds {key}, which is not a LoRA matrix this conversion knows.")
        module = stem.removeprefix("base_model.model.")
        target = names.get_name(module)
        if target is None:
            raise LoraConversionError(f"{adapter.name} adapts {module}, which has no tensor in a {shape.arch} GGUF.")
        pairs.setdefault(target, {})[part[0]] = np.asarray(tensor, dtype=np.float32)
    output = output or adapter / GGUF_FILE
    writer = gguf.GGUFWriter(output, shape.arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
    for target, ab in sorted(pairs.items()):
        if set(ab) != {"A", "B"}:
            raise LoraConversionError(f"{adapter.name} has only lora_{''.join(ab)} for {target}.")
        a, b = ab["A"], ab["B"]
        expected = shape.matrices.get(f"{target}.weight")
        if expected != (b.shape[0], a.shape[1]) or a.shape[0] != b.shape[1]:
            raise LoraConversionError(
                f"{adapter.name} was not trained on this model: its {target} update is {b.shape[0]}x{a.shape[1]}, "
                f"the model's weight is {'missing' if expected is None else 'x'.join(map(str, expected))}.")
        kind = target.rsplit(".", 1)[-1]
        if kind in PERMUTED.get(shape.arch, ()):
            b = permute_rows(b, shape.heads if kind == "attn_q" else shape.kv_heads)
        writer.add_tensor(f"{target}.weight.lora_a", np.ascontiguousarray(a))
        writer.add_tensor(f"{target}.weight.lora_b", np.ascontiguousarray(b))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return output


def gguf_for(adapter: Path, base_gguf: Path) -> Path:
    """The adapter's GGUF LoRA for `base_gguf`, converted once (again when the adapter's weights are newer)."""
    done = adapter / GGUF_FILE
    source = adapter / ADAPTER_FILE
    if done.is_file() and source.is_file() and done.stat().st_mtime >= source.stat().st_mtime:
        return done
    partial = convert(adapter, base_gguf, adapter / f"{GGUF_FILE}.{os.getpid()}.part")
    os.replace(partial, done)  # whole or not at all, should two starts convert at once
    return done


def _lora_config(adapter: Path) -> dict[str, Any]:
    path = adapter / "adapter_config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise LoraConversionError(f"{adapter} is not an adapter folder (no readable adapter_config.json).") from None
    if config.get("peft_type") != "LORA":
        raise LoraConversionError(f"{adapter.name} is a {config.get('peft_type')} adapter; only LoRA converts.")
    if config.get("alpha_pattern") or config.get("rank_pattern"):
        raise LoraConversionError(f"{adapter.name} gives some modules their own rank or alpha; convert it with "
                                  "llama.cpp's convert_lora_to_gguf.py.")
    if config.get("use_dora") or config.get("use_rslora"):
        raise LoraConversionError(f"{adapter.name} uses DoRA or rsLoRA, which llama.cpp's LoRA does not compute.")
    if not (adapter / ADAPTER_FILE).is_file():
        raise LoraConversionError(f"{adapter} has no {ADAPTER_FILE}.")
    return config


def _arch_enum(arch: str) -> Any:
    import gguf

    for member, name in gguf.MODEL_ARCH_NAMES.items():
        if name == arch:
            return member
    raise LoraConversionError(f"gguf does not know the architecture {arch!r}.")
