"""The command line with the real test model: `cinebot ask` as a user runs it, and the console."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.llm import Engine, worker_config
from bot.settings import Settings
from models.llm.jobs import JobQueue
from models.llm.worker import BatchingWorker

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parents[2]


def test_ask_pitch_prints_a_pitch(tmp_path: Path) -> None:
    env = {**os.environ, "CINEBOT_MODEL": "smollm2-135m", "CINEBOT_CACHE_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "pitch", "--premise",
         "a lighthouse keeper learns the beam keeps something asleep"],
        cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(proc.stdout.strip()) > 40
    assert "Traceback" not in proc.stderr
    assert "[smollm2-135m ·" in proc.stderr  # the footer with model and timing


async def test_console_runs_tasks_and_survives_bad_input(smollm: Any, tmp_path: Path) -> None:
    @asynccontextmanager
    async def engine_factory(settings: Settings, progress: bool = False) -> AsyncIterator[Engine]:
        queue = JobQueue(settings.max_queue)
        worker = BatchingWorker(smollm, queue, worker_config(settings))
        async with worker:
            yield Engine(queue, worker, smollm.name)

    answers = iter(["pitch", "too short", "", "", "bogus", "mood", "What a wonderful, moving film.", "quit"])
    out = io.StringIO()
    settings = Settings.load(env={"CINEBOT_DB_PATH": str(tmp_path / "cinebot.sqlite3")}, env_file=None)
    code = await cli._console(settings, read=lambda _prompt: next(answers), out=out, engine_factory=engine_factory)
    text = out.getvalue()
    assert code == 0
    assert "at least" in text or "more" in text  # the too-short premise got a friendly message
    assert "Pick one of: review, mood, scene, pitch" in text
    assert "Mood: positive" in text  # the shipped classifier's verdict, then the model's explanation
    assert "Emotions: joy" in text
