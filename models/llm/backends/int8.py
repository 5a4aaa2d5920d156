"""int8 weights for the transformers backend on a CPU, converted once and cached.

Every Linear layer (the LM head included) keeps its weight as int8 with one scale per output row and quantizes its
input to int8 one row (token) at a time (`Int8Linear`); the input embeddings are int8 rows (`Int8Embedding`); and
int8 models attend row by row over each row's own tokens (`rowwise_attention`), so that a job's greedy output is the
same alone and in a batch. `load_int8` loads the converted copy under `<cache dir>/converted/`, or converts the
model (a progress bar, the first start only) and saves it there.
"""

from __future__ import annotations

import copy
import ctypes
import functools
import hashlib
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from models.llm.source import ModelSource

log = logging.getLogger(__name__)

SourceLoader = Callable[[ModelSource, str, Any], tuple[Any, Any]]
"""(source, label, dtype) -> (model, tokenizer): how the transformers backend loads a source model."""

# -- int8 weights on a CPU ------------------------------------------------------------------------------------------
#
# Every Linear layer (the LM head included) keeps its weight as int8 with one scale per output row, and quantizes
# its input to int8 with one scale per row (per token) at run time; oneDNN multiplies the two with exact int32 sums
# (`torch.ops.onednn.qlinear_*`: plain int8 tensors, none of torch's deprecated quantized tensors). torch's
# `quantize_dynamic` uses one scale for a whole input instead: a row's result then depends on its batch-mates, and
# one token with large activations (a chat template's first token has them) coarsens every other token; on
# Qwen2.5-Coder-1.5B it agrees with fp32's next token 62% of the time, this recipe 98%.
# Quantizing activations also turns the last-bit differences that padding makes in a batched softmax into different
# tokens, so int8 models attend row by row over each row's own tokens (`rowwise_attention`): a row's numbers are
# then the same to the last bit alone and in any batch. The LM head is int8 too: fp32 would lower the KL to fp32
# from 0.014 to 0.008 per token (top-1 agreement the same, 98%) but cost 25% (1 stream) to 70% (8 streams) per
# decode step and 0.9 GB. The input embeddings are int8 rows (a lookup, no speed at stake; 0.7 GB less).
# The first start converts the model and saves the int8 weights under `<cache dir>/converted/<label>-<key>/`; later
# starts load that folder and never read the source model again.

INT8_RECIPE = 1
"""The conversion's version, part of the cache key: a change to the recipe rebuilds the caches made before it."""
QUANTIZE_HEAD = True
QUANTIZE_EMBEDDINGS = True
CONVERTED_DIR = "converted"
WEIGHTS_FILE = "model.safetensors"
MANIFEST_FILE = "cinebot-int8.json"  # written last: a folder without it was never finished
_BUFFER_KEY = "nonpersistent::"  # buffers that state_dict leaves out (rotary tables), saved under this prefix
_ROW_CHUNK = 8192
_MIN_OUTPUT = 1024  # rows x outputs below which Int8Linear pads its input with zero rows
PROBE_TEXT = "The projectionist threads the last reel, dims the lights and waits for"


@functools.cache
def weight_range() -> int:
    """127 where the CPU multiplies int8 with VNNI or AMX (exact int32 sums); 63 elsewhere: plain AVX2 shifts the
    input to unsigned (up to 255) and sums pairs of products in 16 bits (`vpmaddubsw`), which saturate unless the
    weights stay within 64 (measured: exact at 64, off by thousands at 127)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return 63
    return 127 if any(f in flags for f in (" avx512_vnni", " avx_vnni", " amx_int8")) else 63


def to_weight_range(qweight: torch.Tensor, scale: torch.Tensor, bound: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights quantized at 127 levels brought within `bound` (a coarser step, the same values to within it)."""
    if bound >= 127:
        return qweight, scale
    factor = 127 / bound
    q = torch.round(qweight.float() / factor).clamp_(-bound, bound).to(torch.int8)
    return q, scale * factor


@functools.cache
def int8_supported() -> bool:
    """Whether this torch has oneDNN's int8 matmul and it runs on this CPU (x86)."""
    try:
        packed = torch.ops.onednn.qlinear_prepack(torch.ones(4, 8, dtype=torch.int8), None)
        out = torch.ops.onednn.qlinear_pointwise(torch.ones(2, 8, dtype=torch.int8), 1.0, 0, packed,
                                                 torch.ones(4), torch.zeros(4, dtype=torch.long), None, 1.0, 0,
                                                 torch.float32, "none", [], "")
    except (AttributeError, RuntimeError, NotImplementedError) as exc:
        log.warning("int8 weights need oneDNN's int8 kernels, which this torch or CPU lacks (%s)", exc)
        return False
    if not torch.equal(out, torch.full((2, 4), 8.0)):
        log.warning("oneDNN's int8 matmul gives wrong sums on this CPU; int8 weights are off")
        return False
    return True


def quantize_rows(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 with one scale per row, ``weight ≈ qweight * scale[:, None]``, a few thousand rows at a time."""
    w = weight.detach()
    qweight = torch.empty(w.shape, dtype=torch.int8)
    scale = torch.empty(w.shape[0], dtype=torch.float32)
    for start in range(0, w.shape[0], _ROW_CHUNK):
        part = w[start : start + _ROW_CHUNK].float()
        step = part.abs().amax(dim=1).clamp_(min=1e-30) / 127
        qweight[start : start + _ROW_CHUNK] = torch.round(part / step[:, None]).clamp_(-127, 127).to(torch.int8)
        scale[start : start + _ROW_CHUNK] = step
    return qweight, scale


class Int8Linear(torch.nn.Module):
    """A Linear layer with int8 weights (a scale per output row) and int8 inputs (a scale per row, chosen per call).

    Built plain (`qweight`, `scale`, `bias` buffers, which is what `state_dict` saves and loads), then `pack()`ed
    into oneDNN's layout to run; a packed layer keeps no plain copy and cannot be saved.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool, device: Any = None) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.qweight: torch.Tensor
        self.scale: torch.Tensor
        self.bias: torch.Tensor | None
        self.register_buffer("qweight", torch.empty(out_features, in_features, dtype=torch.int8, device=device))
        self.register_buffer("scale", torch.empty(out_features, dtype=torch.float32, device=device))
        self.register_buffer("bias", torch.empty(out_features, device=device) if bias else None)
        self._packed: torch.Tensor | None = None
        self._zero_points = torch.zeros(0, dtype=torch.long)

    @classmethod
    def from_linear(cls, linear: torch.nn.Linear) -> Int8Linear:
        layer = cls(linear.in_features, linear.out_features, linear.bias is not None)
        layer.qweight, layer.scale = quantize_rows(linear.weight)
        if linear.bias is not None:
            layer.bias = linear.bias.detach().float().clone()
        return layer

    @property
    def packed(self) -> bool:
        return self._packed is not None

    def pack(self) -> None:
        """Reorder the weight for oneDNN (a copy); the plain weight is freed, leaving a meta tensor of its shape."""
        qweight, self.scale = to_weight_range(self.qweight, self.scale, weight_range())
        self._packed = torch.ops.onednn.qlinear_prepack(qweight, None)
        self._zero_points = torch.zeros(self.out_features, dtype=torch.long)
        self.qweight = torch.empty_like(self.qweight, device="meta")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._packed is None:
            raise RuntimeError("Int8Linear.pack() must run before the layer is used")
        rows = x.reshape(-1, self.in_features)
        step = rows.abs().amax(dim=1, keepdim=True).clamp_(min=1e-30).div_(127.0)
        q = rows.div(step).round_().to(torch.int8)
        m = q.shape[0]
        if m * self.out_features < _MIN_OUTPUT:  # oneDNN takes a path 40-160x slower for tiny outputs (k/v at M=1)
            q = torch.cat([q, q.new_zeros(-(-_MIN_OUTPUT // self.out_features) - m, self.in_features)])
        out = torch.ops.onednn.qlinear_pointwise(q, 1.0, 0, self._packed, self.scale, self._zero_points, None, 1.0, 0,
                                                 torch.float32, "none", [], "")[:m]
        out = out.mul_(step)
        if self.bias is not None:
            out = out.add_(self.bias)
        return out.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Int8Embedding(torch.nn.Module):
    """An embedding table stored as int8 rows with a scale each; a lookup gives fp32 rows."""

    def __init__(self, num_embeddings: int, embedding_dim: int, device: Any = None) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.qweight: torch.Tensor
        self.scale: torch.Tensor
        self.register_buffer("qweight", torch.empty(num_embeddings, embedding_dim, dtype=torch.int8, device=device))
        self.register_buffer("scale", torch.empty(num_embeddings, dtype=torch.float32, device=device))

    @classmethod
    def from_embedding(cls, embedding: torch.nn.Embedding) -> Int8Embedding:
        layer = cls(embedding.num_embeddings, embedding.embedding_dim)
        layer.qweight, layer.scale = quantize_rows(embedding.weight)
        return layer

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.qweight[ids].to(torch.float32) * self.scale[ids].unsqueeze(-1)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


ROWWISE_ATTENTION = "cinebot_rowwise"


def rowwise_attention(module: Any, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                      attention_mask: torch.Tensor | None, dropout: float = 0.0, scaling: float | None = None,
                      **kwargs: Any) -> tuple[torch.Tensor, None]:
    """Causal attention one row at a time over that row's own tokens (its padding, and the hole between a cached
    system prompt and a shorter suffix, cut out), so that a row's result is the same to the last bit whatever its
    batch-mates: int8 activations would turn the last-bit differences of a padded batched softmax into different
    tokens. Registered with transformers as `cinebot_rowwise`; it expects the left-padded layout of `KVBatch`.
    Returns ``[batch, queries, heads, dim]`` as transformers' attention functions do; padding queries get zeros."""
    if kwargs.get("softcap") is not None:
        raise ValueError("row-wise attention does not support softcap")
    batch, heads, q_len, dim = query.shape
    kv_heads, kv_len = key.shape[1], key.shape[2]
    out = query.new_zeros(batch, q_len, heads, value.shape[-1])
    for b in range(batch):
        if attention_mask is None:
            k, v, nk, nq = key[b : b + 1], value[b : b + 1], kv_len, q_len
        else:
            last = attention_mask[b if attention_mask.shape[0] > 1 else 0, 0, -1]  # the row's last token sees them all
            valid = last if last.dtype == torch.bool else last == 0
            tail = valid[kv_len - q_len :]
            nq = int(tail.sum())
            if nq == 0 or not bool(tail[q_len - nq :].all()):
                raise ValueError("row-wise attention needs left-padded rows that end with a real token")
            index = valid.nonzero().flatten()
            nk, first = int(index.numel()), int(index[0])
            if int(index[-1]) - first + 1 == nk:
                k, v = key[b : b + 1, :, first:], value[b : b + 1, :, first:]
            else:
                k, v = key[b : b + 1].index_select(2, index), value[b : b + 1].index_select(2, index)
        q = query[b : b + 1, :, q_len - nq :]
        if nq == 1:  # one new token: the query heads of a key head attend together, with no mask
            o = F.scaled_dot_product_attention(q.reshape(1, kv_heads, heads // kv_heads, dim), k, v, scale=scaling)
            o = o.reshape(1, heads, 1, -1)
        else:
            mask = torch.ones(nq, nk, dtype=torch.bool, device=query.device).tril(nk - nq)
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scaling, enable_gqa=heads != kv_heads)
        out[b, q_len - nq :] = o[0].transpose(0, 1)
    return out, None


@functools.cache
def _rowwise_registered() -> str:
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(ROWWISE_ATTENTION, rowwise_attention)
    AttentionMaskInterface.register(ROWWISE_ATTENTION, sdpa_mask)
    return ROWWISE_ATTENTION


def int8_attention(config: Any) -> str:
    """The attention for an int8 model: row-wise where every layer is plain causal attention, else sdpa (then a
    job's tokens alone and in a batch may differ)."""
    types = getattr(config, "layer_types", None) or ["full_attention"]
    window = getattr(config, "sliding_window", None) is not None and getattr(config, "use_sliding_window", True)
    if all(t == "full_attention" for t in types) and not window and \
            getattr(config, "attn_logit_softcapping", None) is None:
        return _rowwise_registered()
    log.warning("%s has sliding-window or capped attention layers; its int8 batches use sdpa, so a job's output "
                "alone and in a batch may differ", type(config).__name__)
    return "sdpa"


def quantize_model(model: Any, *, head: bool = QUANTIZE_HEAD, embeddings: bool = QUANTIZE_EMBEDDINGS,
                   progress: bool = False, label: str = "the model") -> dict[str, list[str]]:
    """Swap the model's Linear layers (and its input embeddings) for plain int8 ones, in place, and return the layout
    (the names of the swapped modules) that a cached copy is rebuilt from. `pack_model` readies them to run."""
    from models.llm.source import progress_bar

    output, inputs = model.get_output_embeddings(), model.get_input_embeddings()
    names = [n for n, m in model.named_modules() if type(m) is torch.nn.Linear and (head or m is not output)]
    tables = [n for n, m in model.named_modules() if embeddings and type(m) is torch.nn.Embedding and m is inputs]
    del output, inputs
    total = sum(model.get_submodule(n).weight.numel() * 4 for n in [*names, *tables])
    with progress_bar(total, f"Converting {label} to int8 (first start only)", progress) as bar:
        # one module at a time, dropping each fp32 weight as soon as it is swapped: the peak stays the fp32 model's
        for name in names:
            linear = model.get_submodule(name)
            model.set_submodule(name, Int8Linear.from_linear(linear))
            bar.update(linear.weight.numel() * 4)
        for name in tables:
            table = model.get_submodule(name)
            model.set_submodule(name, Int8Embedding.from_embedding(table))
            bar.update(table.weight.numel() * 4)
    return {"linear": names, "embedding": tables}


def pack_model(model: Any) -> None:
    for module in model.modules():
        if isinstance(module, Int8Linear) and not module.packed:
            module.pack()


@torch.inference_mode()
def probe_tokens(model: Any, tokenizer: Any) -> list[int]:
    """The model's greedy next token at each position of a fixed text: one forward pass, a fingerprint of the
    weights that a cached copy must reproduce."""
    ids = torch.tensor([tokenizer(PROBE_TEXT, add_special_tokens=False)["input_ids"]], dtype=torch.long)
    return [int(t) for t in model(input_ids=ids, use_cache=False).logits[0].argmax(dim=-1).tolist()]


def _source_stamp(source: ModelSource) -> dict[str, Any] | None:
    """What identifies the source's files (path, size, modification time), or None for a hub id (not cached)."""
    if source.gguf_file:
        files = [Path(source.location) / source.gguf_file]
    else:
        folder = Path(source.location)
        if not folder.is_dir():
            return None
        files = sorted(p for p in folder.iterdir() if p.is_file())
    stats = [(str(p.resolve()), p.stat()) for p in files]
    return {"files": [[path, st.st_size, st.st_mtime_ns] for path, st in stats]}


def cache_folder(source: ModelSource, name: str, cache_dir: Path, recipe: dict[str, Any]) -> Path | None:
    """`<cache dir>/converted/<name>-<key>`, where the key changes with the source files and `recipe`; None for a
    hub id (not cached)."""
    stamp = _source_stamp(source)
    if stamp is None:
        return None
    key = hashlib.sha256(json.dumps({**recipe, "source": stamp}, sort_keys=True).encode()).hexdigest()[:12]
    return cache_dir / CONVERTED_DIR / f"{_slug(name)}-{key}"


def converted_folder(source: ModelSource, label: str, cache_dir: Path) -> Path | None:
    """`<cache dir>/converted/<label>-<key>`, where the key changes with the source files and the recipe."""
    return cache_folder(source, label, cache_dir,
                        {"recipe": INT8_RECIPE, "head": QUANTIZE_HEAD, "embeddings": QUANTIZE_EMBEDDINGS})


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-.") or "model"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def tidy(folder: Path) -> None:
    """Remove the temporary folders that interrupted conversions left (their process is gone)."""
    for tmp in folder.parent.glob(f".{folder.name}.tmp-*"):
        pid = tmp.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or not _pid_alive(int(pid)):
            log.info("removing %s, left by an interrupted conversion", tmp)
            shutil.rmtree(tmp, ignore_errors=True)


def prune(folder: Path) -> None:
    """Remove the other converted copies of the same model (an older recipe or source file): the cache stays small."""
    pattern = re.compile(re.escape(folder.name.rsplit("-", 1)[0]) + r"-[0-9a-f]{12}")
    for old in folder.parent.iterdir():
        if old != folder and old.is_dir() and pattern.fullmatch(old.name):
            log.info("removing %s, an outdated converted copy", old)
            shutil.rmtree(old, ignore_errors=True)


def _write_weights(model: Any, tokenizer: Any, tmp: Path) -> dict[str, str]:
    """Save the plain int8 model, its config and tokenizer into `tmp`; returns the aliases (tied tensors saved once)."""
    from safetensors.torch import save_file

    config = copy.deepcopy(model.config)
    config.__dict__.pop("quantization_config", None)  # a GGUF source's: the saved weights are plain tensors
    config.save_pretrained(tmp)
    model.generation_config.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    state = model.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    aliases: dict[str, str] = {}
    seen: dict[tuple[Any, ...], str] = {}
    for key, tensor in state.items():
        identity = (tensor.untyped_storage().data_ptr(), tensor.storage_offset(), tuple(tensor.shape), tensor.dtype)
        if identity in seen:
            aliases[key] = seen[identity]
            continue
        seen[identity] = key
        tensors[key] = tensor.contiguous()
    for name, buffer in model.named_buffers():
        if name not in state:
            tensors[_BUFFER_KEY + name] = buffer.contiguous()
    save_file(tensors, str(tmp / WEIGHTS_FILE), metadata={"format": "pt", "recipe": str(INT8_RECIPE)})
    return aliases


def _publish(tmp: Path, folder: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest, flush the files, and rename the finished folder into place (atomic)."""
    manifest["files"] = {p.name: p.stat().st_size for p in sorted(tmp.iterdir())}
    (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1) + "\n")
    for name in (WEIGHTS_FILE, MANIFEST_FILE):
        with (tmp / name).open("rb") as fh:
            os.fsync(fh.fileno())
    try:
        tmp.rename(folder)
    except OSError:
        if not (folder / MANIFEST_FILE).is_file():
            raise
        log.info("another process saved %s first; keeping its copy", folder)
        shutil.rmtree(tmp, ignore_errors=True)


def _load_groups(keys: list[str]) -> list[list[str]]:
    """The weight file's keys by decoder layer (the first numbered part of the name), to load a layer at a time."""
    groups: dict[str, list[str]] = {}
    for key in keys:
        parts = key.removeprefix(_BUFFER_KEY).split(".")
        layer = next((i for i, p in enumerate(parts) if p.isdigit()), None)
        groups.setdefault(".".join(parts[: layer + 1]) if layer is not None else "", []).append(key)
    return list(groups.values())


def load_converted(folder: Path) -> tuple[Any, Any, dict[str, Any]]:
    """Load a converted int8 model: the architecture is built on the meta device (no fp32 weights are allocated),
    its int8 modules put in place from the manifest, then the saved tensors assigned a layer at a time.

    Raises on anything missing, truncated or inconsistent; the caller deletes the folder and converts again."""
    from safetensors import safe_open
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    if manifest.get("recipe") != INT8_RECIPE:
        raise ValueError(f"recipe {manifest.get('recipe')}, expected {INT8_RECIPE}")
    for name, size in manifest["files"].items():
        actual = (folder / name).stat().st_size
        if actual != size:
            raise ValueError(f"{name} has {actual} bytes, expected {size}")
    config = AutoConfig.from_pretrained(folder)
    attn = manifest["attn_implementation"]
    if attn == ROWWISE_ATTENTION:
        _rowwise_registered()
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, attn_implementation=attn)
    for name in manifest["layout"]["linear"]:
        linear = model.get_submodule(name)
        model.set_submodule(name, Int8Linear(linear.in_features, linear.out_features, linear.bias is not None, "meta"))
    for name in manifest["layout"]["embedding"]:
        table = model.get_submodule(name)
        model.set_submodule(name, Int8Embedding(table.num_embeddings, table.embedding_dim, "meta"))
    expected = set(model.state_dict())
    aliases: dict[str, str] = manifest["aliases"]
    loaded: set[str] = set()
    # A layer at a time, each from its own memory map: the tensors are views of the mapped file, and its pages stay
    # in the RSS while it is mapped. Each layer's Linear weights are packed (a copy) and the other tensors it keeps
    # are copied, so the map can go before the next layer.
    path = str(folder / WEIGHTS_FILE)
    packed = {f"{name}.qweight" for name in manifest["layout"]["linear"]}
    with safe_open(path, framework="pt") as fh:
        keys = list(fh.keys())
    for group in _load_groups(keys):
        with safe_open(path, framework="pt") as fh:
            part = {key: fh.get_tensor(key) if key in packed else fh.get_tensor(key).clone()
                    for key in group if not key.startswith(_BUFFER_KEY)}
            buffers = {key: fh.get_tensor(key).clone() for key in group if key.startswith(_BUFFER_KEY)}
        part.update({alias: part[target] for alias, target in aliases.items() if target in part})
        result = model.load_state_dict(part, strict=False, assign=True)
        if result.unexpected_keys:
            raise ValueError(f"unexpected tensors {result.unexpected_keys[:3]}")
        loaded.update(part)
        for key in part.keys() & packed:
            model.get_submodule(key.removesuffix(".qweight")).pack()
        del part
        for key, tensor in buffers.items():
            owner, _, attr = key.removeprefix(_BUFFER_KEY).rpartition(".")
            setattr(model.get_submodule(owner), attr, tensor)
    if expected - loaded:
        raise ValueError(f"{len(expected - loaded)} tensors missing, such as {sorted(expected - loaded)[0]}")
    meta = [n for n, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta and n not in packed]
    if meta:
        raise ValueError(f"{len(meta)} tensors were never loaded, such as {meta[0]}")
    model.requires_grad_(False)
    model.generation_config = GenerationConfig.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    return model.eval(), tokenizer, manifest


def _convert(source: ModelSource, label: str, folder: Path | None, progress: bool,
             load_source: SourceLoader) -> tuple[Any, Any]:
    """Load the source in fp32, convert it to int8 and, where `folder` is given, save it there for the next start."""
    log.info("converting %s to int8: once, about a minute for 1.5B parameters%s", label,
             "; later starts load the saved copy" if folder is not None else "")
    started = time.monotonic()
    model, tokenizer = load_source(source, label, torch.float32)
    loaded = time.monotonic()
    model.requires_grad_(False)
    attn = int8_attention(model.config)
    model.set_attn_implementation(attn)
    layout = quantize_model(model, progress=progress, label=label)
    converted = time.monotonic()
    tmp: Path | None = None
    aliases: dict[str, str] = {}
    if folder is not None:
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            tidy(folder)
            tmp = folder.parent / f".{folder.name}.tmp-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            aliases = _write_weights(model, tokenizer, tmp)
        except Exception as exc:  # best effort (a full disk, a read-only cache): the model in memory is fine
            log.warning("Could not save the int8 model to %s (%s); the next start converts it again", folder, exc)
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            tmp = None
    pack_model(model)
    model.eval()
    if folder is not None and tmp is not None:
        manifest = {"recipe": INT8_RECIPE, "label": label, "source": _source_stamp(source), "layout": layout,
                    "aliases": aliases, "attn_implementation": attn, "probe": probe_tokens(model, tokenizer),
                    "torch": torch.__version__, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        try:
            _publish(tmp, folder, manifest)
            prune(folder)
        except Exception as exc:  # as above
            log.warning("Could not save the int8 model to %s (%s); the next start converts it again", folder, exc)
            shutil.rmtree(tmp, ignore_errors=True)
    _return_freed_memory()
    log.info("converted %s to int8 in %.1f s (source load %.1f s, quantization %.1f s, save %.1f s)%s", label,
             time.monotonic() - started, loaded - started, converted - loaded, time.monotonic() - converted,
             f"; saved to {folder}" if folder is not None and folder.is_dir() else "")
    return model, tokenizer


def _return_freed_memory() -> None:
    """Hand the heap the fp32 model used back to the OS (glibc keeps it otherwise: ~1 GB of RSS for 1.5B)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError) as exc:  # not glibc
        log.debug("malloc_trim unavailable: %s", exc)


def load_int8(source: ModelSource, label: str, cache_dir: Path, load_source: SourceLoader,
              progress: bool = True) -> tuple[Any, Any]:
    """The int8 model and its tokenizer: from the converted cache when it is there and sound, else converted now
    (and cached). A cache that fails to load, or whose probe tokens differ, is logged, deleted and rebuilt."""
    folder = converted_folder(source, label, cache_dir)
    if folder is None:
        log.info("%s is not a local model, so its int8 conversion is not cached; converting it now", label)
    elif folder.is_dir():
        started = time.monotonic()
        try:
            model, tokenizer, manifest = load_converted(folder)
            if probe_tokens(model, tokenizer) != manifest["probe"]:
                raise ValueError("its weights no longer give the tokens they gave when converted")
        except Exception as exc:  # whatever broke the cache (truncation, a stray edit, a version change): rebuild it
            log.warning("The converted model in %s is unusable (%s: %s); deleting it and converting again",
                        folder, type(exc).__name__, exc)
            shutil.rmtree(folder, ignore_errors=True)
        else:
            log.info("loaded %s as int8 from %s in %.1f s", label, folder, time.monotonic() - started)
            return model, tokenizer
    return _convert(source, label, folder, progress, load_source)


def int8_wanted(int8: str, device_name: str) -> bool:
    if int8 == "off":
        return False
    if device_name != "cpu":
        if int8 == "on":
            log.warning("CINEBOT_INT8=on applies to a CPU only; on %s the model runs in 16-bit", device_name)
        return False
    if not int8_supported():
        log.warning("CINEBOT_INT8=%s but int8 cannot run here; the model runs in fp32", int8)
        return False
    return True
