"""`cinebot train feedback`, timed: a KTO LoRA adapter on a small feedback set (8 premises, each with a liked calm
pitch and a disliked shouting one), and how far it moves the model toward the liked replies.

    python bench/train_feedback.py                       # the test model, 30 steps
    python bench/train_feedback.py --model qwen2.5-coder-1.5b --steps 10

Prints the training time and, before and after, the mean over the premises of (mean log-probability per token of
the liked reply) minus (that of the disliked one), measured here, apart from the trainer's own figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.settings import Settings
from models.llm.feedback_train import load_base, train

SYSTEM = {"role": "system", "content": "You write one-line film pitches."}
PREMISES = ["a ghost haunts a cinema", "a heist on a night train", "twins swap lives", "a robot learns to paint",
            "a chef cooks in orbit", "a dog runs for mayor", "a storm traps a choir", "a map redraws itself"]


def pair(premise: str) -> tuple[list[dict[str, str]], str, str]:
    return ([SYSTEM, {"role": "user", "content": f"Pitch: {premise}"}],
            f"Picture this: {premise}, told with quiet wonder.", f"OMG!!! {premise.upper()}!!! BEST MOVIE EVER!!!")


def margin(model: Any, tokenizer: Any) -> float:
    model.eval()
    total = 0.0
    for premise in PREMISES:
        prompt, good, bad = pair(premise)
        prefix = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
        start = len(tokenizer(prefix).input_ids)
        scores = []
        for reply in (good, bad):
            ids = tokenizer(prefix + reply, return_tensors="pt").input_ids.to(model.device)
            with torch.no_grad():
                logprobs = model(ids).logits[0, :-1].log_softmax(-1)
            scores.append(logprobs.gather(1, ids[0, 1:, None])[:, 0][start - 1:].mean().item())
        total += scores[0] - scores[1]
    return total / len(PREMISES)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    cache = Settings.load(env_file=None).cache_dir
    rows = []
    for premise in PREMISES:
        prompt, good, bad = pair(premise)
        rows.append({"prompt": prompt, "completion": [{"role": "assistant", "content": good}], "label": True})
        rows.append({"prompt": prompt, "completion": [{"role": "assistant", "content": bad}], "label": False})
    model, tokenizer = load_base(args.model, cache)
    before = margin(model, tokenizer)
    with tempfile.TemporaryDirectory() as folder:
        result = train(rows, "kto", model, tokenizer, Path(folder) / "adapter", steps=args.steps)
        after = margin(model, tokenizer)  # peft put the adapter into the model's layers, in place
    device = "cuda" if torch.cuda.is_available() else f"cpu ({torch.get_num_threads()} threads)"
    per_step = result.seconds / result.steps
    print(f"train_feedback model {args.model} on {device}: kto {result.rows} rows {result.steps} steps "
          f"{result.seconds:.0f} s ({per_step:.2f} s/step); liked-minus-disliked log-prob per token "
          f"{before:.2f} -> {after:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
