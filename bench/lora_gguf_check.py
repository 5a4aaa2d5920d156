"""Is the adapter's llama.cpp form right? `models/llm/lora_gguf.py` against llama.cpp's own converter.

For each embedded model, a LoRA adapter with random A and B on every attention and MLP projection (peft's file
layout, the model's shapes) is converted twice: by `lora_gguf.convert` and by llama.cpp's `convert_lora_to_gguf.py`
(from the llama.cpp sources, for example the ones llama-cpp-python's source package vendors; it needs torch and
transformers, and the model's config, which is read from the GGUF file here). Every tensor's name, shape and values
and the adapter's keys are compared; random B makes a wrong row order (the `llama` query/key permutation) show.

    python bench/lora_gguf_check.py --converter /path/to/llama.cpp/convert_lora_to_gguf.py

Last line: `lora_gguf <model> tensors N identical yes|no; ...`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.settings import Settings
from models.llm import lora_gguf
from models.llm.registry import resolve

MODULES = {"self_attn.q_proj": ("q", "h"), "self_attn.k_proj": ("kv", "h"), "self_attn.v_proj": ("kv", "h"),
           "self_attn.o_proj": ("h", "q"), "mlp.gate_proj": ("i", "h"), "mlp.up_proj": ("i", "h"),
           "mlp.down_proj": ("h", "i")}
ARCHITECTURES = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM"}


def random_adapter(folder: Path, config: dict, rank: int = 8) -> None:
    from safetensors.numpy import save_file

    head = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
    dims = {"h": config["hidden_size"], "i": config["intermediate_size"], "q": config["num_attention_heads"] * head,
            "kv": config["num_key_value_heads"] * head}
    rng = np.random.default_rng(0)
    weights = {}
    for layer in range(config["num_hidden_layers"]):
        for module, (out, into) in MODULES.items():
            stem = f"base_model.model.model.layers.{layer}.{module}"
            weights[f"{stem}.lora_A.weight"] = rng.standard_normal((rank, dims[into])).astype(np.float32)
            weights[f"{stem}.lora_B.weight"] = rng.standard_normal((dims[out], rank)).astype(np.float32)
    folder.mkdir(parents=True)
    save_file(weights, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps({
        "peft_type": "LORA", "r": rank, "lora_alpha": 2 * rank, "task_type": "CAUSAL_LM",
        "target_modules": [m.rsplit(".", 1)[1] for m in MODULES],
        "base_model_name_or_path": str(folder.parent / "base")}))


def check(model: str, converter: Path, cache: Path, work: Path) -> str:
    import gguf
    from transformers import AutoConfig

    source = resolve(model, cache, progress=False)
    base_gguf = source.gguf_path
    assert base_gguf is not None and source.gguf_file is not None, f"{model} is not a GGUF model"
    config = AutoConfig.from_pretrained(source.location, gguf_file=source.gguf_file).to_dict()
    config.pop("quantization_config", None)
    config["architectures"] = [ARCHITECTURES[config["model_type"]]]
    (work / "base").mkdir(parents=True)
    (work / "base" / "config.json").write_text(json.dumps(config))
    random_adapter(work / "adapter", config)
    mine = lora_gguf.convert(work / "adapter", base_gguf, work / "mine.gguf")
    theirs = work / "theirs.gguf"
    subprocess.run([sys.executable, str(converter), "--base", str(work / "base"), "--outfile", str(theirs),
                    "--outtype", "f32", str(work / "adapter")], check=True, capture_output=True)
    a, b = gguf.GGUFReader(mine), gguf.GGUFReader(theirs)
    ta = {t.name: np.array(t.data) for t in a.tensors}
    tb = {t.name: np.array(t.data) for t in b.tensors}
    same = set(ta) == set(tb) and all(ta[k].shape == tb[k].shape and np.array_equal(ta[k], tb[k]) for k in ta)
    for key in ("general.architecture", "general.type", "adapter.type", "adapter.lora.alpha"):
        same = same and a.fields[key].contents() == b.fields[key].contents()
    if not same:
        differ = sorted(k for k in set(ta) & set(tb) if not np.array_equal(ta[k], tb[k]))
        print(f"{model}: names only one side has {sorted(set(ta) ^ set(tb))[:5]}; values differ in {differ[:5]}")
    return f"{model} tensors {len(ta)} identical {'yes' if same else 'no'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--converter", type=Path, required=True, help="llama.cpp's convert_lora_to_gguf.py")
    parser.add_argument("--models", default="smollm2-135m,qwen2.5-coder-1.5b")
    args = parser.parse_args()
    cache = Settings.load(env_file=None).cache_dir
    with tempfile.TemporaryDirectory() as scratch:
        lines = [check(m, args.converter, cache, Path(scratch) / m) for m in args.models.split(",")]
    print("lora_gguf " + "; ".join(lines))
    return 0 if all(line.endswith("yes") for line in lines) else 1


if __name__ == "__main__":
    raise SystemExit(main())
