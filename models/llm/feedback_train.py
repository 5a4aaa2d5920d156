"""`cinebot train feedback`: a LoRA adapter learned from the members' reactions, with TRL's own trainers.

Rated replies (the `kto` export: prompt, completion, liked or not) train with `KTOTrainer`; pairs of takes the
members chose between (the `dpo` export: prompt, chosen, rejected) with `DPOTrainer`. Either way the base model is
the bot's (`CINEBOT_MODEL`, loaded in full precision by transformers), peft adds a LoRA adapter to its attention and
MLP projections, and the frozen base serves as the reference model. The adapter is saved to a folder that
`CINEBOT_ADAPTER` loads (merged into the weights on the transformers backend, as a GGUF LoRA on llama.cpp).

Rows carry the prompts exactly as the bot sent them (chat messages), so the adapter learns on what it will see.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.llm.registry import ModelSource

log = logging.getLogger(__name__)

FORMATS = ("kto", "dpo")


class TrainingError(ValueError):
    """Feedback that cannot train an adapter (too few rows, one kind of label only); the message says why."""


@dataclass(frozen=True)
class TrainResult:
    adapter: Path
    rows: int
    steps: int
    seconds: float
    loss: float | None


def load_base(model: str | ModelSource, cache_dir: Path) -> tuple[Any, Any]:
    """The bot's model (a preset, a local path or a hub id, or one already resolved) and its tokenizer, in full
    precision for training (a GGUF model converted once into `cache_dir`, see `load_source`)."""
    import torch

    from models.llm.backends.transformers import load_source
    from models.llm.registry import resolve

    source = resolve(model, cache_dir, progress=False) if isinstance(model, str) else model
    dtype = torch.bfloat16 if _cuda() else torch.float32
    loaded, tokenizer = load_source(source, source.name, dtype, cache_dir)
    return loaded.to("cuda" if _cuda() else "cpu"), tokenizer


def check_rows(rows: Sequence[dict[str, Any]], fmt: str) -> list[dict[str, Any]]:
    """The rows reduced to what the trainer reads; TrainingError when they cannot train."""
    if fmt not in FORMATS:
        raise TrainingError(f"Unknown format {fmt!r}; use kto (rated replies) or dpo (pairs of takes).")
    keys = ("prompt", "completion", "label") if fmt == "kto" else ("prompt", "chosen", "rejected")
    kept = [{k: row[k] for k in keys} for row in rows if all(k in row for k in keys)]
    if len(kept) < 2:
        raise TrainingError(f"Only {len(kept)} {fmt} row(s): rate more replies first (at least 2 are needed; a few "
                            "dozen make a useful adapter).")
    if fmt == "kto" and len({bool(r["label"]) for r in kept}) < 2:
        raise TrainingError("Every rated reply has the same label (all liked or all disliked); KTO needs both.")
    return kept


def train(rows: Sequence[dict[str, Any]], fmt: str, base: Any, tokenizer: Any, output: Path, *, steps: int = 40,
          learning_rate: float = 5e-4, rank: int = 8, batch_size: int = 4, beta: float = 0.1,
          seed: int = 0) -> TrainResult:
    """Train a LoRA adapter on `base` (a transformers causal LM) from `rows` and save it to `output`."""
    from datasets import Dataset
    from peft import LoraConfig

    data = check_rows(rows, fmt)
    lora = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0, task_type="CAUSAL_LM",
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    common: dict[str, Any] = {
        "output_dir": str(output / "checkpoints"), "max_steps": steps, "learning_rate": learning_rate,
        "per_device_train_batch_size": min(batch_size, len(data)), "gradient_accumulation_steps": 1,
        "logging_steps": max(1, steps // 10), "save_strategy": "no", "report_to": [], "seed": seed, "beta": beta,
        "lr_scheduler_type": "constant", "bf16": False, "fp16": False, "use_cpu": not _cuda(),
        "remove_unused_columns": False,
    }
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    _full_precision(base)
    started = time.monotonic()
    if fmt == "kto":
        from trl import KTOConfig, KTOTrainer

        liked = sum(1 for r in data if r["label"])
        # KTO weighs the rarer kind up so that liked and disliked count alike (TRL's advice: ratio within 1-4/3)
        config: Any = KTOConfig(**common, desirable_weight=max(1.0, (len(data) - liked) / max(liked, 1)),
                                undesirable_weight=max(1.0, liked / max(len(data) - liked, 1)))
        trainer: Any = KTOTrainer(model=base, args=config, train_dataset=Dataset.from_list(data),
                                  processing_class=tokenizer, peft_config=lora)
    else:
        from trl import DPOConfig, DPOTrainer

        config = DPOConfig(**common)
        trainer = DPOTrainer(model=base, args=config, train_dataset=Dataset.from_list(data),
                             processing_class=tokenizer, peft_config=lora)
    outcome = trainer.train()
    trainer.model.save_pretrained(str(output))
    seconds = time.monotonic() - started
    loss = getattr(outcome, "training_loss", None)
    log.info("trained a %s adapter on %d rows, %d steps in %.0f s (loss %s) -> %s", fmt, len(data), steps, seconds,
             loss, output)
    return TrainResult(output, len(data), steps, seconds, loss)


def _full_precision(model: Any) -> None:
    """A model transformers read from a GGUF file holds dequantized weights (fp32/bf16) but still says it is
    GGUF-quantized, which the Trainer refuses to train; it is not, so it is told so."""
    config = getattr(model, "config", None)
    method = getattr(getattr(config, "quantization_config", None), "quant_method", None)
    if str(getattr(method, "value", method)).lower() == "gguf":
        model.hf_quantizer = None
        model.is_quantized = False
        if config is not None and hasattr(config, "quantization_config"):
            del config.quantization_config


def _cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())
