"""The mood classifier on Chinese: which texts take the Chinese path, clear Chinese reviews read the right way, a
batch that mixes languages reads each text as alone, the cue-word emotions, and the trainer learns."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.mood.classifier import WEIGHTS_DIR
from models.mood.zh import ZH_EMOTION_THRESHOLD, ZhSentiment, buckets, emotion_scores, features, is_chinese

# Written for these tests; none of them is in data/mood_zh/.
SCATHING_ZH = [
    "这部电影太烂了，剧情混乱，演员全程尬演，看得我想退票。",
    "无聊透了，两个小时像熬了一整天，千万别去看。",
    "特效廉价，台词幼稚，结局更是莫名其妙，非常失望。",
]
GLOWING_ZH = [
    "太好看了！演员演技炸裂，故事感人，强烈推荐。",
    "今年看过最精彩的电影，配乐和画面都美极了，值得二刷。",
    "笑中带泪的好片，全家都很喜欢，五星好评。",
]


@pytest.mark.parametrize(("text", "chinese"), [
    ("这部电影太好看了", True),
    ("Nolan yyds，这部每次看都震撼", True),
    ("I loved 卧虎藏龙 so much", False),
    ("The acting was superb.", False),
    ("好", False),  # one character is too little to tell
    ("この映画は最高でした", False),  # Japanese
    ("", False),
])
def test_chinese_texts_are_told_apart_from_english_ones(text: str, chinese: bool) -> None:
    assert is_chinese(text) is chinese


def test_buckets_are_the_texts_1_2_and_3_grams_with_its_ends_marked() -> None:
    found = buckets("好看", 16)
    assert len(found) == 4 + 3 + 2  # "\x02好看\x03": four characters, three pairs, two triples
    assert found.min() >= 0 and found.max() < 2 ** 16
    assert np.array_equal(found, buckets("好看", 16))  # no per-process hash seed
    assert np.array_equal(buckets("ＡＢＣ好看", 16), buckets("abc好看", 16))  # full-width and case folded
    assert np.array_equal(buckets("這部電影很難看", 16), buckets("这部电影很难看", 16))  # traditional as simplified


def test_the_clause_after_a_turn_counts_more() -> None:
    text = "画面很美，但是剧情太空洞了"
    assert len(features(text, 16, 3)) == len(buckets(text, 16)) + 2 * len(buckets("剧情太空洞了", 16))
    assert np.array_equal(features(text, 16, 1), buckets(text, 16))
    assert np.array_equal(features("好看", 16, 3), buckets("好看", 16))  # no turn


def test_the_shipped_chinese_model_is_small_and_loads() -> None:
    model = ZhSentiment.load(WEIGHTS_DIR)
    assert len(model.weights) == 2 ** model.bits
    assert (WEIGHTS_DIR / "zh.safetensors").stat().st_size < 2_000_000


def test_clear_chinese_reviews_read_the_right_way(mood_classifier: Any) -> None:
    scores = mood_classifier.classify(SCATHING_ZH + GLOWING_ZH)
    assert [s.label for s in scores] == ["negative"] * 3 + ["positive"] * 3, [s.verdict for s in scores]
    fast = mood_classifier.positive(SCATHING_ZH + GLOWING_ZH)  # the sentiment-only path agrees
    assert list(fast > 0.5) == [False] * 3 + [True] * 3
    assert fast == pytest.approx([s.positive for s in scores], abs=1e-4)


def test_a_mixed_language_batch_reads_each_text_by_its_own_language(mood_classifier: Any) -> None:
    batch = ["An absolute masterpiece, I loved every minute.", SCATHING_ZH[0],
             "A dull, lifeless mess. I want my two hours back.", GLOWING_ZH[0]]
    scores = mood_classifier.classify(batch)
    assert [s.label for s in scores] == ["positive", "negative", "negative", "positive"]
    for text, score in zip(batch, scores, strict=True):
        assert mood_classifier.classify([text])[0] == score  # the same as read alone
    assert set(scores[1].emotions) == set(scores[0].emotions)  # every emotion named for both languages


def test_chinese_emotions_come_from_cue_words_and_negation_cancels_one() -> None:
    scared = emotion_scores("吓死我了，太恐怖了，晚上不敢关灯。")
    assert scared["fear"] >= ZH_EMOTION_THRESHOLD and scared["neutral"] < ZH_EMOTION_THRESHOLD
    flat = emotion_scores("一点都不好笑。")
    assert flat["joy"] < ZH_EMOTION_THRESHOLD
    assert emotion_scores("一点都不觉得无聊。")["anger"] < ZH_EMOTION_THRESHOLD  # two characters between
    assert emotion_scores("特效很棒，不过故事无聊。")["anger"] >= ZH_EMOTION_THRESHOLD  # 不过 is no negation
    calm = emotion_scores("今天晚上七点的场次。")
    assert calm["neutral"] >= ZH_EMOTION_THRESHOLD and max(v for k, v in calm.items() if k != "neutral") == 0


def test_the_classifier_names_chinese_emotions(mood_classifier: Any) -> None:
    (score,) = mood_classifier.classify(["看哭了，太感人了，结局让人心疼。"])
    assert "sadness" in score.detected and score.label == "positive"


def test_the_trainer_learns_the_film_phrases(tmp_path: Path) -> None:
    from models.mood.classifier import load_labelled_tsv
    from models.mood.zh_train import DATA_DIR, scores, train

    rows = load_labelled_tsv(DATA_DIR / "train.tsv")
    args = argparse.Namespace(bits=14, epochs=3, lr=0.05, l2=0.0, batch=32, seed=1, pool=0.5, tail=3)
    weights, bias = train(rows, args)
    accuracy, macro_f1 = scores(ZhSentiment(weights, bias, 14, 1.0, {"pool": 0.5, "tail": 3}), rows)
    assert accuracy > 0.9 and macro_f1 > 0.9
