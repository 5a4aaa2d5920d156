"""`cinebot feedback export`: the stored reactions become KTO-style JSONL rows, one per job with a net score."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from tests.store_probe import ProbeStore

GUILD = 10
MEMBER, MODERATOR, OWNER = 101, 102, 103


def _prompt(text: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": "You pitch films."}, {"role": "user", "content": text}]


async def _job(store: ProbeStore, message_id: int, text: str, *, finished: bool = True) -> int:
    job_id = await store.create_job(guild_id=GUILD, channel_id=20, user_id=MEMBER, command="pitch",
                                    inputs={"premise": text}, prompt=_prompt(text),
                                    settings={"max_new_tokens": 64}, model="test-model")
    if finished:
        await store.finish_job(job_id, output=f"Pitch for {text}", raw_output=f"raw {text}", prompt_tokens=12,
                               completion_tokens=5, queue_s=0.0, generate_s=0.1, model="test-model")
    else:
        await store.fail_job(job_id, status="failed", error="boom")
    await store.add_reply(message_id=message_id, job_id=job_id, channel_id=20, guild_id=GUILD)
    return job_id


async def _react(store: ProbeStore, message_id: int, user_id: int, emoji: str, score: int, added: bool = True) -> None:
    assert await store.record_reaction(message_id=message_id, user_id=user_id, emoji=emoji, score=score, added=added)


async def _fill(path: Path) -> dict[str, int]:
    """Jobs with every kind of net score; returns their ids by name."""
    async with await ProbeStore.open(path) as store:
        liked = await _job(store, 1001, "a heist at a film festival")
        await _react(store, 1001, MEMBER, "👍", 1)
        await _react(store, 1001, MODERATOR, "🔥", 1)
        await _react(store, 1001, OWNER, "👎", -1)  # net +1

        disliked = await _job(store, 1002, "a haunted drive-in")
        await _react(store, 1002, MEMBER, "😴", -1)
        await _react(store, 1002, MODERATOR, "🎬", 0)  # net -1

        tied = await _job(store, 1003, "a musical about a dubbing studio")
        await _react(store, 1003, MEMBER, "👍", 1)
        await _react(store, 1003, MODERATOR, "👎", -1)  # net 0

        withdrawn = await _job(store, 1004, "a western in a snow globe")
        await _react(store, 1004, MEMBER, "👍", 1)
        await _react(store, 1004, MEMBER, "👍", 1, added=False)  # removed: net 0

        failed = await _job(store, 1005, "a noir on a night train", finished=False)
        await _react(store, 1005, MEMBER, "👍", 1)  # not a finished reply: never exported

        await _job(store, 1006, "a documentary about projectionists")  # no reactions at all
    return {"liked": liked, "disliked": disliked, "tied": tied, "withdrawn": withdrawn, "failed": failed}


def _export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: Path, *extra: str) -> int:
    monkeypatch.setenv("CINEBOT_DB_PATH", str(db))
    return cli.main(["--env-file", str(tmp_path / "none.env"), "feedback", "export", "--format", "jsonl", *extra])


def test_export_writes_one_labelled_row_per_job_with_a_net_score(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "data" / "cinebot.sqlite3"
    ids = asyncio.run(_fill(db))
    out = tmp_path / "feedback.jsonl"

    assert _export(tmp_path, monkeypatch, db, "--output", str(out)) == 0

    assert "Exported 2 rows." in capsys.readouterr().err
    lines = out.read_text(encoding="utf-8").splitlines()
    rows: list[dict[str, Any]] = [json.loads(line) for line in lines]
    assert [r["job_id"] for r in rows] == [ids["liked"], ids["disliked"]]
    liked, disliked = rows
    assert liked == {
        "prompt": _prompt("a heist at a film festival"),
        "completion": [{"role": "assistant", "content": "Pitch for a heist at a film festival"}],
        "label": True,
        "command": "pitch",
        "job_id": ids["liked"],
        "model": "test-model",
        "score": 1,
    }
    assert disliked["label"] is False and disliked["score"] == -1
    assert disliked["completion"] == [{"role": "assistant", "content": "Pitch for a haunted drive-in"}]
    assert "🎬" not in out.read_text(encoding="utf-8")  # emoji stay out of the training rows


def test_export_without_output_writes_to_stdout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cinebot.sqlite3"
    ids = asyncio.run(_fill(db))

    assert _export(tmp_path, monkeypatch, db) == 0

    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [(r["job_id"], r["label"]) for r in rows] == [(ids["liked"], True), (ids["disliked"], False)]
    assert "Exported 2 rows." in captured.err


def test_export_of_a_database_without_feedback_writes_an_empty_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cinebot.sqlite3"

    async def one_job() -> None:
        async with await ProbeStore.open(db) as store:
            await _job(store, 2001, "an unreviewed pitch")

    asyncio.run(one_job())
    out = tmp_path / "feedback.jsonl"
    assert _export(tmp_path, monkeypatch, db, "--output", str(out)) == 0
    assert out.read_text(encoding="utf-8") == ""
    assert "Exported 0 rows." in capsys.readouterr().err


def test_missing_database_is_a_friendly_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "nowhere" / "cinebot.sqlite3"
    out = tmp_path / "feedback.jsonl"

    assert _export(tmp_path, monkeypatch, db, "--output", str(out)) == 1

    captured = capsys.readouterr()
    assert "no database at" in captured.err and str(db) in captured.err and "CINEBOT_DB_PATH" in captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert not db.exists() and not db.parent.exists()  # the export must not create an empty database
    assert not out.exists()
