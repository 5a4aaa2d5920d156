"""The transformers backend: a Hugging Face causal LM as a `StepModel` (see `models.llm.protocol`).

`TransformersLM` drives the model one token at a time with a left-padded KV cache, so that the batching worker
can prefill new sequences as a batch, decode one token for every running sequence, and let jobs join and leave
a running batch (continuous batching). Each task's system prompt is prefilled once and its KV reused.

On a CPU with int8 on (`CINEBOT_INT8`, auto = on for a CPU), `load_transformers` loads the model with int8 weights
(`models.llm.backends.int8`): converted at the first start and cached under `<cache dir>/converted/`.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import shutil
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from models.llm.backends.int8 import Int8Linear, cache_folder, int8_wanted, load_int8, prune, tidy
from models.llm.backends.prefix import PromptEncoder, plain_turns
from models.llm.protocol import Message
from models.llm.source import ModelError, ModelSource

log = logging.getLogger(__name__)

PREFIX_CACHE_ENTRIES = 8


@dataclass
class KVBatch:
    """A running batch: its KV cache, the 2-D attention mask (0 = left padding) and each row's next position."""

    cache: Any
    mask: torch.Tensor  # [B, T] long
    next_pos: torch.Tensor  # [B] long

    @property
    def size(self) -> int:
        return int(self.mask.shape[0])


@dataclass
class _Prefill:
    input_ids: torch.Tensor
    positions: torch.Tensor
    kv: KVBatch


def _layers(cache: Any) -> list[Any]:
    layers = getattr(cache, "layers", None)
    if layers is None or any(type(layer).__name__ != "DynamicLayer" for layer in layers):
        raise TypeError("continuous batching needs a plain DynamicCache of DynamicLayer layers")
    return list(layers)


def _pad_left(x: torch.Tensor, n: int, dim: int) -> torch.Tensor:
    if n == 0:
        return x
    shape = list(x.shape)
    shape[dim] = n
    return torch.cat([x.new_zeros(shape), x], dim=dim)


class TransformersLM:
    """A Hugging Face causal LM driven step by step, greedy, with a left-padded KV cache."""

    backend = "transformers"
    slots = 0  # as many sequences as the worker batches
    continuous = True
    prefill_budget = 0  # a whole batch of prompts in one step

    def __init__(self, model: Any, tokenizer: Any, name: str, max_context: int | None = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.device = next(model.parameters()).device
        self.detail = f"transformers in this process, {self.device.type}"
        if any(isinstance(m, Int8Linear) for m in model.modules()):
            self.detail += ", int8 weights"
        cfg_ctx = int(getattr(model.config, "max_position_embeddings", 0) or 4096)
        self.max_context = min(max_context or cfg_ctx, cfg_ctx)
        eos: set[int] = set()
        for source in (getattr(model, "generation_config", None), model.config):
            value = getattr(source, "eos_token_id", None) if source is not None else None
            if isinstance(value, int):
                eos.add(value)
            elif isinstance(value, list | tuple):
                eos.update(int(v) for v in value)
        if tokenizer.eos_token_id is not None:
            eos.add(int(tokenizer.eos_token_id))
        for special in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<end_of_turn>"):
            tid = tokenizer.convert_tokens_to_ids(special)
            if isinstance(tid, int) and tid != tokenizer.unk_token_id and tid >= 0:
                eos.add(tid)
        self.stop_ids = frozenset(eos)
        pad = tokenizer.pad_token_id
        self.pad_id = int(pad if pad is not None else min(eos) if eos else 0)
        # prefix cache: the KV of each task's system prompt, computed once and shared by every job that starts
        # with it (most of a task prompt's tokens), as vLLM's automatic prefix caching does
        self._prompts = PromptEncoder(self._render, self._tokens)
        self._prefix_kv: OrderedDict[tuple[int, ...], list[tuple[torch.Tensor, torch.Tensor]]] = OrderedDict()
        self.prefix_hits = 0
        params = inspect.signature(model.forward).parameters
        # transformers 5.2x renamed `past_key_values` to `cache`; accept either
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        model.eval()

    # -- text -----------------------------------------------------------------------------------
    def _render(self, messages: list[Message], generation_prompt: bool) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            return str(self.tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=generation_prompt))
        # a base model without a template: plain text turns
        return plain_turns(messages, generation_prompt)

    def _tokens(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode(self, messages: list[Message], prefix: str = "") -> list[int]:
        return self._prompts.encode(messages, prefix)

    def is_stop(self, token: int) -> bool:
        return token in self.stop_ids

    def detokenize(self, ids: list[int]) -> str:
        return str(self.tokenizer.decode(ids, skip_special_tokens=True))

    # -- batches --------------------------------------------------------------------------------
    def _forward(self, input_ids: torch.Tensor, batch: KVBatch, position_ids: torch.Tensor) -> list[int]:
        out = self.model(
            input_ids=input_ids,
            attention_mask=batch.mask,
            position_ids=position_ids,
            use_cache=True,
            logits_to_keep=1,
            **{self._cache_kw: batch.cache},
        )
        # the DynamicCache was updated in place
        return [int(t) for t in out.logits[:, -1, :].argmax(dim=-1).tolist()]

    def _harvest(self, prefix: tuple[int, ...], batch: KVBatch, row: int, start: int) -> None:
        """Keep the KV of `prefix`, which row `row` of a fresh prefill holds from column `start`."""
        end = start + len(prefix)
        self._prefix_kv[prefix] = [
            (layer.keys[row : row + 1, :, start:end, :].clone(), layer.values[row : row + 1, :, start:end, :].clone())
            for layer in _layers(batch.cache)
        ]
        while len(self._prefix_kv) > PREFIX_CACHE_ENTRIES:
            self._prefix_kv.popitem(last=False)

    def _new_batch(self, suffixes: list[list[int]], prefix: tuple[int, ...] | None) -> _Prefill:
        """Left-padded suffixes after an optional shared prefix whose KV is already in the cache."""
        from transformers import DynamicCache

        rows, width = len(suffixes), max(len(s) for s in suffixes)
        ids = torch.full((rows, width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((rows, width), dtype=torch.long)
        for row, suffix in enumerate(suffixes):
            ids[row, width - len(suffix) :] = torch.tensor(suffix, dtype=torch.long)
            mask[row, width - len(suffix) :] = 1
        ids, mask = ids.to(self.device), mask.to(self.device)
        cache = DynamicCache(config=self.model.config)
        if prefix is not None:
            self._prefix_kv.move_to_end(prefix)
            for layer, (k, v) in zip(_layers(cache), self._prefix_kv[prefix], strict=True):
                layer.update(k.expand(rows, -1, -1, -1).contiguous(), v.expand(rows, -1, -1, -1).contiguous())
            mask = torch.cat([mask.new_ones((rows, len(prefix))), mask], dim=-1)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)[:, -width:]
        return _Prefill(ids, positions, KVBatch(cache=cache, mask=mask, next_pos=mask.sum(-1)))

    @torch.inference_mode()
    def prefill(self, prompts: list[list[int]]) -> tuple[KVBatch, list[int]]:
        """Prefill new sequences. Rows whose system prompt is cached prefill only the rest; the others prefill
        in full and leave their system prompt's KV in the cache for the next jobs. Rows keep their order."""
        groups: dict[tuple[int, ...] | None, list[int]] = {}
        harvest: dict[tuple[int, ...], int] = {}
        for row, prompt in enumerate(prompts):
            prefix = self._prompts.longest_prefix(prompt)
            if prefix is not None and prefix in self._prefix_kv:
                self.prefix_hits += 1
                groups.setdefault(prefix, []).append(row)
            else:
                if prefix is not None:
                    harvest.setdefault(prefix, row)
                groups.setdefault(None, []).append(row)
        order: list[int] = []
        first: list[int] = []
        merged: KVBatch | None = None
        for prefix, rows in groups.items():
            cut = len(prefix) if prefix else 0
            part = self._new_batch([prompts[r][cut:] for r in rows], prefix)
            first += self._forward(part.input_ids, part.kv, part.positions)
            if prefix is None:
                width = part.input_ids.shape[1]
                for pre, row in harvest.items():
                    index = rows.index(row)
                    self._harvest(pre, part.kv, index, width - len(prompts[row]))
            order += rows
            merged = part.kv if merged is None else self.merge(merged, part.kv)
        assert merged is not None
        if order != sorted(order):  # back to the callers' order
            back = sorted(range(len(order)), key=order.__getitem__)
            merged = self.select(merged, back)
            first = [first[i] for i in back]
        return merged, first

    @torch.inference_mode()
    def decode(self, batch: KVBatch, last_tokens: list[int]) -> list[int]:
        tokens = torch.tensor(last_tokens, dtype=torch.long, device=self.device)[:, None]
        batch.mask = torch.cat([batch.mask, batch.mask.new_ones((batch.size, 1))], dim=-1)
        positions = batch.next_pos[:, None]
        nxt = self._forward(tokens, batch, positions)
        batch.next_pos = batch.next_pos + 1
        return nxt

    @torch.inference_mode()
    def merge(self, a: KVBatch, b: KVBatch) -> KVBatch:
        """One batch holding the rows of `a` then `b`, left-padded to the same length."""
        width = max(a.mask.shape[1], b.mask.shape[1])
        pad_a, pad_b = width - a.mask.shape[1], width - b.mask.shape[1]
        for la, lb in zip(_layers(a.cache), _layers(b.cache), strict=True):
            la.keys = torch.cat([_pad_left(la.keys, pad_a, -2), _pad_left(lb.keys, pad_b, -2)], dim=0)
            la.values = torch.cat([_pad_left(la.values, pad_a, -2), _pad_left(lb.values, pad_b, -2)], dim=0)
        mask = torch.cat([_pad_left(a.mask, pad_a, 1), _pad_left(b.mask, pad_b, 1)], dim=0)
        return KVBatch(cache=a.cache, mask=mask, next_pos=torch.cat([a.next_pos, b.next_pos]))

    @torch.inference_mode()
    def select(self, batch: KVBatch, rows: list[int]) -> KVBatch:
        """Keep only `rows`, and drop the leading columns that are padding in every kept row."""
        index = torch.tensor(rows, dtype=torch.long, device=self.device)
        mask = batch.mask.index_select(0, index)
        used = mask.any(dim=0).nonzero()
        start = int(used[0]) if used.numel() else mask.shape[1]
        for layer in _layers(batch.cache):
            layer.keys = layer.keys.index_select(0, index)[:, :, start:, :]
            layer.values = layer.values.index_select(0, index)[:, :, start:, :]
        return KVBatch(cache=batch.cache, mask=mask[:, start:], next_pos=batch.next_pos.index_select(0, index))


def pick_device(requested: str = "auto") -> tuple[str, Any]:
    """The device and a dtype that suits it: CUDA with bf16 (fp16 where bf16 is missing), else CPU fp32."""
    if requested == "cuda" and not torch.cuda.is_available():
        raise ModelError("CINEBOT_DEVICE=cuda but no CUDA GPU is visible; set CINEBOT_DEVICE=auto or cpu.")
    if requested in ("auto", "cuda") and torch.cuda.is_available():
        return "cuda", torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return "cpu", torch.float32


def load_source(source: ModelSource, label: str, dtype: Any, cache_dir: Path | None = None) -> tuple[Any, Any]:
    """The model and tokenizer as transformers loads them (a GGUF file is converted to `dtype`).

    With `cache_dir`, a GGUF model is converted once: its weights in `dtype`, config and tokenizer are saved under
    `<cache_dir>/converted/<label>-<dtype>-<key>/` and later loads read that copy (reading a GGUF again takes about
    20 s for the test model on 2 cores: the tokenizer's metadata is parsed three times)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = None
    if cache_dir is not None and source.gguf_file:
        folder = cache_folder(source, f"{label}-{str(dtype).removeprefix('torch.')}", cache_dir, {"full": 1})
    if folder is not None and (folder / _DONE).is_file():
        try:
            return (AutoModelForCausalLM.from_pretrained(folder, dtype=dtype),
                    AutoTokenizer.from_pretrained(folder))
        except Exception as exc:  # a damaged copy (safetensors' own error type among them): convert again
            log.warning("The converted copy %s could not be read (%s); converting the model again", folder, exc)
            shutil.rmtree(folder, ignore_errors=True)
    kwargs: dict[str, Any] = {"gguf_file": source.gguf_file} if source.gguf_file else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(source.location, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(source.location, dtype=dtype, **kwargs)
    except (OSError, ValueError) as exc:
        raise ModelError(f"Could not load model {label!r} from {source.location}: {exc}") from exc
    if folder is not None:
        _save_full(model, tokenizer, folder)
    return model, tokenizer


_DONE = "converted.json"  # written last: a folder without it is an interrupted save


def _save_full(model: Any, tokenizer: Any, folder: Path) -> None:
    """Save a converted model into `folder` (atomically; a failure only costs the next load its speed)."""
    tmp = folder.parent / f".{folder.name}.tmp-{os.getpid()}"
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tidy(folder)
        shutil.rmtree(tmp, ignore_errors=True)
        # a GGUF source's quantizer and its config entry say "gguf", but the tensors are plain `dtype` ones by now
        config, quantizer = model.config, getattr(model, "hf_quantizer", None)
        quantization = config.__dict__.pop("quantization_config", None)
        model.hf_quantizer = None
        try:
            model.save_pretrained(tmp)
        finally:
            model.hf_quantizer = quantizer
            if quantization is not None:
                config.quantization_config = quantization
        tokenizer.save_pretrained(tmp)
        (tmp / _DONE).write_text(json.dumps({"files": sorted(p.name for p in tmp.iterdir())}) + "\n")
        tmp.rename(folder)
        prune(folder)
        log.info("saved the converted model to %s: later loads read it", folder)
    except (OSError, ValueError) as exc:
        log.warning("Could not save the converted model to %s (%s); the next load converts it again", folder, exc)
        shutil.rmtree(tmp, ignore_errors=True)


def load_transformers(source: ModelSource, label: str, cache_dir: Path, *, device: str = "auto", threads: int = 0,
                      progress: bool = True, max_context: int | None = None, int8: str = "auto",
                      adapter: Path | None = None) -> TransformersLM:
    """Load a model with transformers as a `TransformersLM`, ready for the worker.

    On a CPU with `int8` on (`auto` or `on`), its Linear layers and embeddings run in int8 (see `Int8Linear`); the
    first start converts and caches the model under `<cache_dir>/converted/`, later starts load the cache. With a
    LoRA `adapter` (peft), the adapter is merged into the weights at full precision (no int8 cache)."""
    from transformers.utils import logging as hf_logging

    if threads > 0:
        torch.set_num_threads(threads)
    device_name, dtype = pick_device(device)
    if not progress:
        hf_logging.disable_progress_bar()
    started = time.monotonic()
    if adapter is not None:
        from peft import PeftModel

        model, tokenizer = load_source(source, label, dtype, cache_dir)  # the copy `cinebot train feedback` made
        model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload().to(device_name)
        label = f"{label}+{adapter.name}"
    elif int8_wanted(int8, device_name):
        model, tokenizer = load_int8(source, label, cache_dir, load_source, progress)
        dtype = "int8"
    else:
        model, tokenizer = load_source(source, label, dtype)
        model = model.to(device_name)
    log.info("loaded %s on %s (%s) in %.1f s", source.name, device_name, dtype, time.monotonic() - started)
    return TransformersLM(model, tokenizer, name=label, max_context=max_context)
