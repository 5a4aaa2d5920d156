"""The llama.cpp backend: a GGUF model run by llama.cpp (through llama-cpp-python's C API) as a `StepModel`.

This is the fast embedded path on a CPU: the quantised weights are used as they are (no conversion to fp32), the
file is memory-mapped, and the batching worker still owns the schedule. One llama.cpp context holds `slots`
sequences, each with its own KV cache stream (`kv_unified = false`, so a sequence attends only to its own cells);
a running batch is a list of sequence ids.

- `prefill` feeds each new job's prompt into its own sequence, in `llama_decode` calls of up to `n_batch` tokens,
  and reads the job's first token from the logits of its last prompt token.
- `decode` advances every running sequence by one token in a single `llama_decode` call (many sequence ids).
- `merge` and `select` are bookkeeping: a job that leaves frees its sequence (`llama_memory_seq_rm`).
- Each task's system prompt is prefilled once: its KV is saved from the first sequence that computes it
  (`llama_state_seq_get_data`) and copied into every later sequence that starts with it (`..._set_data`).

Greedy decoding, with the argmax taken in numpy over the logits that llama.cpp returns. A sequence's logits do not
depend on its batch-mates (row-wise matmuls, per-sequence attention), so a job's output alone equals its output in
a batch; `tests/model/test_llamacpp.py` checks that on the test model.
"""

from __future__ import annotations

import ctypes
import heapq
import json
import logging
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from models.llm.backends.prefix import PromptEncoder, plain_turns
from models.llm.protocol import Message

log = logging.getLogger(__name__)

PREFIX_CACHE_ENTRIES = 8
KV_PAD = 256  # llama.cpp rounds each sequence's KV stream up to a multiple of this


class LlamaCppUnavailable(RuntimeError):
    """llama-cpp-python is not installed (or its library does not load); the message says what to do."""


def import_llama_cpp() -> Any:
    """The llama_cpp module, or `LlamaCppUnavailable` with the fix."""
    try:
        import llama_cpp
    except (ImportError, OSError) as exc:  # OSError: the shared library is missing or built for another CPU
        raise LlamaCppUnavailable(
            f"llama.cpp is not available ({exc}). `bash scripts/setup.sh` builds it (llama-cpp-python, about "
            "5-10 minutes with a C++ compiler); or set CINEBOT_BACKEND=transformers."
        ) from None
    return llama_cpp


@dataclass
class SeqBatch:
    """A running batch: one llama.cpp sequence id per row and the position of each row's next token."""

    seqs: list[int] = field(default_factory=list)
    pos: list[int] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.seqs)


class ChatTemplate:
    """The GGUF's Jinja chat template, rendered the way transformers renders it."""

    def __init__(self, source: str, bos: str, eos: str) -> None:
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        def raise_exception(message: str) -> None:
            raise ValueError(message)

        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        env.filters["tojson"] = lambda value, indent=None: json.dumps(value, ensure_ascii=False, indent=indent)
        env.globals["raise_exception"] = raise_exception
        env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
        self.template = env.from_string(source)
        self.bos, self.eos = bos, eos

    def render(self, messages: list[Message], generation_prompt: bool) -> str:
        return str(self.template.render(messages=messages, add_generation_prompt=generation_prompt,
                                        bos_token=self.bos, eos_token=self.eos))


GGML_TYPE_F16 = 1
GGML_TYPE_Q8_0 = 8


@dataclass(frozen=True)
class LlamaCppConfig:
    slots: int = 32  # sequences the context holds: the worker's max batch
    ctx_per_seq: int = 4096  # KV cells per sequence (prompt + reply)
    threads: int = 0  # 0: one per core
    n_batch: int = 512  # most tokens per llama_decode call
    # the KV cache in 8 bits (with flash attention): half the memory of f16, which the 32 sequences of a full
    # context need (32 x 3,584 tokens: 1.7 GB instead of 3.3 GB for the default model)
    kv_8bit: bool = True
    # read the weights into memory instead of mapping the file: the weights that llama.cpp repacks for faster
    # matrix products would otherwise be resident twice (0.6 GB more for the default model)
    mmap: bool = False
    lora: Path | None = None  # a GGUF LoRA adapter applied to every sequence (`models/llm/lora_gguf.py`)


class LlamaCppLM:
    """A GGUF model in one llama.cpp context, driven step by step by the batching worker."""

    backend = "llamacpp"
    continuous = True

    def __init__(self, path: Path, name: str, config: LlamaCppConfig | None = None) -> None:
        import numpy as np

        self._np = np
        cfg = config or LlamaCppConfig()
        lc = import_llama_cpp()
        self._lc = lc
        self.name = name
        _quiet(lc)
        lc.llama_backend_init()
        mparams = lc.llama_model_default_params()
        mparams.n_gpu_layers = 0
        mparams.load_mode = lc.LLAMA_LOAD_MODE_MMAP if cfg.mmap else lc.LLAMA_LOAD_MODE_NONE
        # the AMX path of a llama.cpp built with AMX crashes (llama.cpp issue 20824; scripts/setup.sh builds without
        # it): there, skip the repacked weights rather than crash
        mparams.use_extra_bufts = b"AMX_INT8 = 1" not in (lc.llama_print_system_info() or b"")
        model = lc.llama_model_load_from_file(str(path).encode(), mparams)
        if not model:
            raise RuntimeError(f"llama.cpp could not load {path}")
        self._model = model
        self._vocab = lc.llama_model_get_vocab(model)
        self.n_vocab = int(lc.llama_vocab_n_tokens(self._vocab))
        train_ctx = int(lc.llama_model_n_ctx_train(model)) or 4096
        per_seq = -(-min(cfg.ctx_per_seq, train_ctx) // KV_PAD) * KV_PAD
        threads = cfg.threads or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else
                                  os.cpu_count() or 1)
        self.slots = cfg.slots
        self.n_batch = max(cfg.n_batch, cfg.slots)
        self.prefill_budget = self.n_batch  # prompt tokens the worker admits per step (at least one job)
        cparams = lc.llama_context_default_params()
        cparams.n_seq_max = cfg.slots
        cparams.n_ctx = per_seq * cfg.slots
        cparams.n_batch = self.n_batch
        cparams.n_ubatch = self.n_batch
        cparams.n_threads = threads
        cparams.n_threads_batch = threads
        cparams.kv_unified = False
        if cfg.kv_8bit:
            cparams.type_k = cparams.type_v = GGML_TYPE_Q8_0
            cparams.flash_attn_type = lc.LLAMA_FLASH_ATTN_TYPE_ENABLED  # an 8-bit V cache needs flash attention
        cparams.no_perf = True
        ctx = lc.llama_init_from_model(model, cparams)
        if not ctx:
            lc.llama_model_free(model)
            raise RuntimeError(f"llama.cpp could not make a context of {cfg.slots} x {per_seq} tokens for {path}")
        self._ctx = ctx
        if cfg.lora is not None:
            self._apply_lora(cfg.lora)
        self._mem = lc.llama_get_memory(ctx)
        self.max_context = min(int(lc.llama_n_ctx_seq(ctx)), train_ctx)
        self._batch = lc.llama_batch_init(self.n_batch, 0, 1)
        self._free = list(range(cfg.slots))  # a heap: the lowest free sequence id first
        self._pieces: dict[int, bytes] = {}
        self._eog: dict[int, bool] = {}
        self._template = self._chat_template(lc, model)
        self._prompts = PromptEncoder(self._render, self._tokens)
        self._prefix_kv: OrderedDict[tuple[int, ...], bytes] = OrderedDict()
        self.prefix_hits = 0
        self.detail = (f"llama.cpp in this process, {threads} threads, {cfg.slots} sequences of "
                       f"{self.max_context} tokens, {'8-bit' if cfg.kv_8bit else '16-bit'} KV cache"
                       + (f", LoRA {cfg.lora.parent.name}" if cfg.lora is not None else ""))
        log.info("llama.cpp: %s, %s", path.name, self.detail)

    def _apply_lora(self, path: Path) -> None:
        """Apply a GGUF LoRA adapter at full scale to the context (freed with the model)."""
        lc = self._lc
        adapter = lc.llama_adapter_lora_init(self._model, str(path).encode())
        if not adapter or lc.llama_set_adapters_lora(self._ctx, (lc.llama_adapter_lora_p_ctypes * 1)(adapter), 1,
                                                     (ctypes.c_float * 1)(1.0)) != 0:
            lc.llama_free(self._ctx)
            lc.llama_model_free(self._model)
            self._ctx = None
            raise RuntimeError(f"llama.cpp could not apply the LoRA adapter {path} to this model")

    def close(self) -> None:
        lc = self._lc
        if getattr(self, "_ctx", None):
            lc.llama_batch_free(self._batch)
            lc.llama_free(self._ctx)
            lc.llama_model_free(self._model)
            self._ctx = None

    # -- text -----------------------------------------------------------------------------------
    def _chat_template(self, lc: Any, model: Any) -> ChatTemplate | None:
        source = lc.llama_model_chat_template(model, None)
        if not source:
            return None

        def special(token: int) -> str:
            return self._piece(token, special=True).decode("utf-8", "replace") if token >= 0 else ""

        bos, eos = lc.llama_vocab_bos(self._vocab), lc.llama_vocab_eos(self._vocab)
        return ChatTemplate(source.decode("utf-8"), special(bos), special(eos))

    def _render(self, messages: list[Message], generation_prompt: bool) -> str:
        if self._template is not None:
            return self._template.render(messages, generation_prompt)
        return plain_turns(messages, generation_prompt)

    def _tokens(self, text: str) -> list[int]:
        data = text.encode("utf-8")
        room = len(data) + 16
        buf = (ctypes.c_int32 * room)()
        n = self._lc.llama_tokenize(self._vocab, data, len(data), buf, room, False, True)
        if n < 0:
            raise ValueError("llama.cpp could not tokenize the prompt")
        return list(buf[:n])

    def encode(self, messages: list[Message], prefix: str = "") -> list[int]:
        return self._prompts.encode(messages, prefix)

    def _piece(self, token: int, special: bool = False) -> bytes:
        buf = ctypes.create_string_buffer(64)
        n = self._lc.llama_token_to_piece(self._vocab, token, buf, len(buf), 0, special)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = self._lc.llama_token_to_piece(self._vocab, token, buf, len(buf), 0, special)
        return buf.raw[:n]

    def is_stop(self, token: int) -> bool:
        if token not in self._eog:
            self._eog[token] = bool(self._lc.llama_vocab_is_eog(self._vocab, token))
        return self._eog[token]

    def detokenize(self, ids: list[int]) -> str:
        pieces = self._pieces
        for token in ids:
            if token not in pieces:
                pieces[token] = self._piece(token)
        return b"".join(pieces[t] for t in ids).decode("utf-8", "replace")

    # -- sequences ------------------------------------------------------------------------------
    def _call(self, entries: list[tuple[int, int, int, bool]]) -> list[int]:
        """One `llama_decode` call over (token, position, sequence, wants logits) entries; the argmax of each entry
        that wants logits, in order."""
        lc, batch = self._lc, self._batch
        for i, (token, pos, seq, logits) in enumerate(entries):
            batch.token[i] = token
            batch.pos[i] = pos
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq
            batch.logits[i] = logits
        batch.n_tokens = len(entries)
        code = lc.llama_decode(self._ctx, batch)
        if code != 0:
            raise RuntimeError(f"llama_decode returned {code} for {len(entries)} tokens")
        out = []
        for i, (_, _, _, logits) in enumerate(entries):
            if logits:
                row = self._np.ctypeslib.as_array(lc.llama_get_logits_ith(self._ctx, i), shape=(self.n_vocab,))
                out.append(int(row.argmax()))
        return out

    def _feed(self, seq: int, tokens: list[int], start: int) -> int:
        """Prefill one sequence from position `start`, in calls of up to `n_batch` tokens that hold this sequence
        only (llama.cpp's numerics depend on how a sequence's tokens are split into calls, so they are split the
        same way alone and in a batch); the argmax after the last token."""
        first = -1
        for at in range(0, len(tokens), self.n_batch):
            chunk = tokens[at : at + self.n_batch]
            last = at + len(chunk) == len(tokens)
            out = self._call([(t, start + at + i, seq, last and i == len(chunk) - 1) for i, t in enumerate(chunk)])
            if last:
                first = out[0]
        return first

    def _save_prefix(self, prefix: tuple[int, ...], seq: int) -> None:
        lc = self._lc
        size = lc.llama_state_seq_get_size(self._ctx, seq)
        buf = (ctypes.c_uint8 * size)()
        written = lc.llama_state_seq_get_data(self._ctx, buf, size, seq)
        self._prefix_kv[prefix] = bytes(buf[:written])
        while len(self._prefix_kv) > PREFIX_CACHE_ENTRIES:
            self._prefix_kv.popitem(last=False)

    def _load_prefix(self, prefix: tuple[int, ...], seq: int) -> bool:
        data = self._prefix_kv[prefix]
        self._prefix_kv.move_to_end(prefix)
        buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        return bool(self._lc.llama_state_seq_set_data(self._ctx, buf, len(data), seq))

    def prefill(self, prompts: list[list[int]]) -> tuple[SeqBatch, list[int]]:
        """Start one sequence per prompt. A prompt whose system prompt is cached prefills only the rest; the first
        prompt with a new system prompt prefills it alone first and keeps its KV for the next ones."""
        if len(prompts) > len(self._free):
            raise RuntimeError(f"{len(prompts)} new sequences but only {len(self._free)} free slots")
        seqs = [heapq.heappop(self._free) for _ in prompts]
        first: list[int] = []
        try:
            for seq, prompt in zip(seqs, prompts, strict=True):
                start = 0
                prefix = self._prompts.longest_prefix(prompt)
                if prefix is not None:
                    if prefix in self._prefix_kv and self._load_prefix(prefix, seq):
                        self.prefix_hits += 1
                    else:
                        self._lc.llama_memory_seq_rm(self._mem, seq, -1, -1)
                        self._feed(seq, list(prefix), 0)
                        self._save_prefix(prefix, seq)
                    start = len(prefix)
                first.append(self._feed(seq, prompt[start:], start))
        except Exception:
            self._release(seqs)
            raise
        return SeqBatch(seqs, [len(p) for p in prompts]), first

    def decode(self, batch: SeqBatch, last_tokens: list[int]) -> list[int]:
        # llama.cpp puts sequences into one micro-batch only while their ids are consecutive and increasing
        order = sorted(range(batch.size), key=batch.seqs.__getitem__)
        out = self._call([(last_tokens[r], batch.pos[r], batch.seqs[r], True) for r in order])
        nxt = [0] * batch.size
        for r, token in zip(order, out, strict=True):
            nxt[r] = token
        batch.pos = [p + 1 for p in batch.pos]
        return nxt

    def merge(self, a: SeqBatch, b: SeqBatch) -> SeqBatch:
        return SeqBatch(a.seqs + b.seqs, a.pos + b.pos)

    def select(self, batch: SeqBatch, rows: list[int]) -> SeqBatch:
        """Keep `rows`; free the other sequences, then move kept sequences into the freed low ids, so that the
        running sequences stay 0..n-1 and a decode step stays one micro-batch."""
        keep = set(rows)
        self._release([seq for row, seq in enumerate(batch.seqs) if row not in keep])
        seqs = [batch.seqs[r] for r in rows]
        for i in sorted(range(len(seqs)), key=seqs.__getitem__, reverse=True):
            if not self._free or self._free[0] > seqs[i]:
                break
            low = heapq.heappop(self._free)
            self._move(seqs[i], low)
            heapq.heappush(self._free, seqs[i])
            seqs[i] = low
        return SeqBatch(seqs, [batch.pos[r] for r in rows])

    def _move(self, src: int, dst: int) -> None:
        lc = self._lc
        size = lc.llama_state_seq_get_size(self._ctx, src)
        buf = (ctypes.c_uint8 * size)()
        written = lc.llama_state_seq_get_data(self._ctx, buf, size, src)
        lc.llama_memory_seq_rm(self._mem, dst, -1, -1)
        if not lc.llama_state_seq_set_data(self._ctx, buf, written, dst):
            raise RuntimeError(f"could not move sequence {src} to {dst}")
        lc.llama_memory_seq_rm(self._mem, src, -1, -1)

    def _release(self, seqs: list[int]) -> None:
        for seq in seqs:
            self._lc.llama_memory_seq_rm(self._mem, seq, -1, -1)
            heapq.heappush(self._free, seq)


_LOG_CALLBACK: Any = None


def _quiet(lc: Any) -> None:
    """Send llama.cpp's own log lines to our logger at debug level (it prints a page per load otherwise)."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is not None:
        return

    def forward(level: int, text: bytes, _user: Any) -> None:
        if text:
            log.debug("llama.cpp: %s", text.decode("utf-8", "replace").rstrip())

    _LOG_CALLBACK = lc.llama_log_callback(forward)
    lc.llama_log_set(_LOG_CALLBACK, ctypes.c_void_p(0))
