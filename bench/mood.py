"""Mood: VADER and the shipped classifier side by side in one run.

On SST-2 dev (872 sentences): accuracy and sentences per second of
  - VADER (lexicon; compound >= 0 counts as positive),
  - the shipped classifier (positive when its positive score beats its negative score), with its calibration;
and the shipped classifier's emotion macro-F1 on GoEmotions test grouped to Ekman's six + neutral. (The language
model asked for JSON, the old /mood path, was compared here until that path was removed in issue 13; its last
figures are in the README.)

    python bench/mood.py

The last line reads `goemotions_ekman_macro_f1 X`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.settings import Settings
from models.mood.classifier import LOW_CONFIDENCE, MoodClassifier, evaluate, f1, read_labelled
from models.mood.encoder import EKMAN
from models.mood.train import default_data_dir, goemotions


def vader(rows: list[tuple[str, int]]) -> tuple[float, float]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    started = time.perf_counter()
    guesses = [analyzer.polarity_scores(text)["compound"] >= 0 for text, _ in rows]
    elapsed = time.perf_counter() - started
    accuracy = float(np.mean([guess == (label == 1) for guess, (_, label) in zip(guesses, rows, strict=True)]))
    return accuracy, len(rows) / elapsed


def calibration(classifier: MoodClassifier, rows: list[tuple[str, int]]) -> tuple[float, float, float]:
    """Expected calibration error (10 bins of the winning side's probability), the share of texts below the
    confidence line (read as mixed/neutral), and the accuracy on the rest."""
    positive = classifier.positive([text for text, _ in rows])
    truth = np.array([label == 1 for _, label in rows])
    confidence = np.maximum(positive, 1 - positive)
    right = (positive > 0.5) == truth
    bins = np.minimum(((confidence - 0.5) / 0.05).astype(int), 9)
    ece = sum(abs(right[bins == b].mean() - confidence[bins == b].mean()) * (bins == b).mean()
              for b in range(10) if (bins == b).any())
    sure = confidence >= LOW_CONFIDENCE
    return float(ece), float(1 - sure.mean()), float(right[sure].mean())


def emotion_macro_f1(classifier: MoodClassifier, path: Path) -> tuple[float, dict[str, float], float]:
    rows = goemotions(path)
    truth = np.array([target for _, target in rows]) > 0
    started = time.perf_counter()
    scores = classifier.classify([text for text, _ in rows])
    per_s = len(rows) / (time.perf_counter() - started)
    guess = np.array([[name in score.detected for name in EKMAN] for score in scores])
    f1s = {name: f1(truth[:, column], guess[:, column]) for column, name in enumerate(EKMAN)}
    return float(np.mean(list(f1s.values()))), f1s, per_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    settings = Settings.load(env_file=None)
    dev, _ = read_labelled(args.data / "sentiment" / "sst2_dev.tsv")
    classifier = MoodClassifier.load(settings.cache_dir, threads=args.threads)

    print(f"SST-2 dev, {len(dev)} sentences                     accuracy  sentences/s")
    accuracy, per_s = vader(dev)
    print(f"VADER (compound >= 0)                               {accuracy:.3f}    {per_s:10.0f}")
    shipped = evaluate(classifier, dev)
    print(f"shipped classifier (MiniLM-L6, 3 layers, int8 ONNX) {shipped.accuracy:.3f}    "
          f"{shipped.sentences_per_s:10.0f}")
    ece, unsure, sure_accuracy = calibration(classifier, dev)
    print(f"  calibration: ECE {ece:.3f}; {unsure:.1%} read as mixed/neutral (confidence < {LOW_CONFIDENCE}); "
          f"accuracy on the rest {sure_accuracy:.3f}")
    print(f"speed ratio shipped/VADER {shipped.sentences_per_s / per_s:.2f}x")
    macro, per_emotion, emotion_per_s = emotion_macro_f1(classifier, args.data / "emotions" / "test.tsv")
    print("GoEmotions test, Ekman grouping, F1 per emotion: "
          + ", ".join(f"{name} {value:.2f}" for name, value in per_emotion.items())
          + f" ({emotion_per_s:.0f} texts/s with emotions)")
    print(f"goemotions_ekman_macro_f1 {macro:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
