"""The SQLite store on real database files: migrations, jobs, replies, feedback, export and guild config."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import feedback
from bot.store import (
    DEFAULT_MOOD_CAP,
    MigrationError,
    SchemaTooNew,
    Store,
    load_migrations,
    split_statements,
)
from tests.store_probe import ProbeStore

GUILD = 1000
OTHER_GUILD = 2000
CHANNEL = 11
CATEGORY = 21
PROMPT = [{"role": "system", "content": "You write film reviews."}, {"role": "user", "content": "Alien, 1979"}]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2025, 1, 31, 20, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 1.0) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "cinebot.db"


@pytest.fixture
async def store(db_path: Path, clock: Clock) -> AsyncIterator[ProbeStore]:
    async with await ProbeStore.open(db_path, clock=clock) as s:
        yield s


def raw(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the file with the plain sqlite3 module, outside the store."""
    con = sqlite3.connect(path)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def tables(path: Path) -> set[str]:
    return {r[0] for r in raw(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}


async def new_job(store: ProbeStore, *, guild_id: int | None = GUILD, command: str = "review", user_id: int = 7) -> int:
    return await store.create_job(
        guild_id=guild_id,
        channel_id=CHANNEL,
        user_id=user_id,
        command=command,
        inputs={"film": "Alien", "year": 1979},
        prompt=PROMPT,
        settings={"max_new_tokens": 256, "temperature": 0.7},
        model="test-model",
    )


async def finish(store: ProbeStore, job: int, output: str = "Fine.", **result: Any) -> bool:
    """`finish_job` with made-up figures, any of them replaced by `result`."""
    figures = dict(prompt_tokens=30, completion_tokens=5, queue_s=0.25, generate_s=1.5, model="test-model-q4")
    return await store.finish_job(job, output=output, raw_output=output + " <raw>", **(figures | result))


async def done_job(
    store: ProbeStore,
    *,
    guild_id: int | None = GUILD,
    command: str = "review",
    output: str = "Fine.",
    message_id: int | None = None,
) -> int:
    job = await new_job(store, guild_id=guild_id, command=command)
    await finish(store, job, output)
    if message_id is not None:
        await store.add_reply(message_id=message_id, job_id=job, channel_id=CHANNEL, guild_id=guild_id)
    return job


async def react(
    store: ProbeStore, message_id: int, user_id: int, score: int, *, emoji: str | None = None, added: bool = True
) -> bool:
    emoji = emoji or ("👍" if score > 0 else "👎")
    return await store.record_reaction(message_id=message_id, user_id=user_id, emoji=emoji, score=score, added=added)


# -- migrations ---------------------------------------------------------------------------------------------------


async def test_open_creates_folder_schema_and_user_version(db_path: Path) -> None:
    assert not await asyncio.to_thread(db_path.parent.exists)
    await (await ProbeStore.open(db_path)).close()
    assert tables(db_path)  # the file exists and has the schema
    assert {"jobs", "replies", "feedback", "command_rules", "command_cooldowns", "guild_config"} <= tables(db_path)
    assert raw(db_path, "PRAGMA user_version") == [(len(load_migrations()),)]


async def test_wal_foreign_keys_and_busy_timeout_are_on(store: ProbeStore, db_path: Path) -> None:
    assert raw(db_path, "PRAGMA journal_mode") == [("wal",)]  # WAL is a property of the file
    fk = await store._one("PRAGMA foreign_keys")
    assert fk is not None and fk[0] == 1
    busy = await store._one("PRAGMA busy_timeout")
    assert busy is not None and busy[0] >= 1000


async def test_packaged_migrations_are_numbered_and_loadable() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "init" and "CREATE TABLE jobs" in migrations[0].sql


def write_migrations(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


async def test_reopening_does_not_reapply(tmp_path: Path) -> None:
    # V001 inserts a row: if it ran twice there would be two (or CREATE TABLE would fail)
    mig = write_migrations(tmp_path / "mig", {"V001__one.sql": "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);"})
    path = tmp_path / "x.db"
    for _ in range(3):
        await (await Store.open(path, migrations_dir=mig)).close()
        assert raw(path, "PRAGMA user_version") == [(1,)]
    assert raw(path, "SELECT x FROM t") == [(1,)]


async def test_new_migrations_apply_on_top(tmp_path: Path) -> None:
    mig = write_migrations(tmp_path / "mig", {"V001__one.sql": "CREATE TABLE t (x INTEGER);"})
    path = tmp_path / "x.db"
    await (await Store.open(path, migrations_dir=mig)).close()
    write_migrations(mig, {"V002__two.sql": "ALTER TABLE t ADD COLUMN y TEXT;\nCREATE TABLE u (z INTEGER);"})
    await (await Store.open(path, migrations_dir=mig)).close()
    assert raw(path, "PRAGMA user_version") == [(2,)]
    assert {"t", "u"} <= tables(path)


async def test_failing_migration_rolls_back_everything(tmp_path: Path) -> None:
    mig = write_migrations(
        tmp_path / "mig",
        {
            "V001__good.sql": "CREATE TABLE a (x INTEGER);\nINSERT INTO a VALUES (1);",
            "V002__bad.sql": "CREATE TABLE b (x INTEGER);\nINSERT INTO nowhere VALUES (1);",
        },
    )
    path = tmp_path / "x.db"
    with pytest.raises(MigrationError, match=r"V002__bad\.sql failed.*no such table: nowhere"):
        await Store.open(path, migrations_dir=mig)
    # one transaction: V001, which succeeded, is gone too, and the version was never bumped
    assert tables(path) == set()
    assert raw(path, "PRAGMA user_version") == [(0,)]


async def test_failing_migration_keeps_earlier_version(tmp_path: Path) -> None:
    mig = write_migrations(tmp_path / "mig", {"V001__one.sql": "CREATE TABLE a (x INTEGER);"})
    path = tmp_path / "x.db"
    await (await Store.open(path, migrations_dir=mig)).close()
    write_migrations(mig, {"V002__two.sql": "CREATE TABLE b (x INTEGER);", "V003__three.sql": "CREATE TABLE ("})
    with pytest.raises(MigrationError, match="V003__three"):
        await Store.open(path, migrations_dir=mig)
    assert tables(path) == {"a"}
    assert raw(path, "PRAGMA user_version") == [(1,)]


async def test_database_newer_than_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 99")
    con.close()
    with pytest.raises(SchemaTooNew, match=r"version 99.*newer cinebot"):
        await ProbeStore.open(path)


@pytest.mark.parametrize(
    "files",
    [
        {"V001__a.sql": "SELECT 1;", "V003__c.sql": "SELECT 1;"},  # gap
        {"V002__b.sql": "SELECT 1;"},  # does not start at 1
        {"V001__a.sql": "SELECT 1;", "V1__b.sql": "SELECT 1;"},  # misnamed
        {"V001__a.sql": "SELECT 1;", "V0001__b.sql": "SELECT 1;"},  # repeated number
    ],
)
def test_misnumbered_migrations_are_refused(tmp_path: Path, files: dict[str, str]) -> None:
    with pytest.raises(MigrationError):
        load_migrations(write_migrations(tmp_path / "mig", files))


def test_split_statements_respects_strings_comments_and_triggers() -> None:
    sql = """-- a comment; with a semicolon
CREATE TABLE t (x TEXT DEFAULT 'a;b');
CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET x = 'c;d'; END;
-- trailing comment"""
    parts = split_statements(sql)
    assert len(parts) == 2
    assert parts[0].endswith("DEFAULT 'a;b');") and parts[1].startswith("CREATE TRIGGER") and parts[1].endswith("END;")


# -- jobs ---------------------------------------------------------------------------------------------------------


async def test_job_lifecycle(store: ProbeStore, clock: Clock) -> None:
    job = await new_job(store)
    row = await store.get_job(job)
    assert row is not None
    assert (row.status, row.command, row.user_id) == ("queued", "review", 7)
    assert (row.guild_id, row.channel_id) == (GUILD, CHANNEL)
    assert row.inputs == {"film": "Alien", "year": 1979} and row.prompt == PROMPT
    assert row.settings == {"max_new_tokens": 256, "temperature": 0.7} and row.model == "test-model"
    assert row.created_at == "2025-01-31T20:00:00.000000+00:00" and row.finished_at is None and row.output is None

    clock.tick(3)
    assert await finish(store, job, "A tense classic.", prompt_tokens=40, completion_tokens=6, queue_s=0.5,
                        generate_s=2.5)
    row = await store.get_job(job)
    assert row is not None
    assert (row.status, row.output, row.raw_output) == ("done", "A tense classic.", "A tense classic. <raw>")
    assert (row.prompt_tokens, row.completion_tokens, row.queue_s, row.generate_s) == (40, 6, 0.5, 2.5)
    assert row.model == "test-model-q4" and row.finished_at == "2025-01-31T20:00:03.000000+00:00"

    # the first ending wins: a late cancel does not overwrite a finished job
    assert not await store.fail_job(job, status="cancelled", error="too late")
    row = await store.get_job(job)
    assert row is not None and row.status == "done" and row.error is None


@pytest.mark.parametrize("status", ["failed", "cancelled", "rejected"])
async def test_fail_job(store: ProbeStore, status: str) -> None:
    job = await new_job(store)
    assert await store.fail_job(job, status=status, error="the queue is full")
    row = await store.get_job(job)
    assert row is not None and (row.status, row.error, row.output) == (status, "the queue is full", None)
    assert row.finished_at is not None


async def test_job_errors(store: ProbeStore) -> None:
    job = await new_job(store)
    with pytest.raises(ValueError, match="status"):
        await store.fail_job(job, status="done", error="x")
    with pytest.raises(LookupError):
        await store.fail_job(job + 100, status="failed", error="x")
    assert await store.get_job(job + 100) is None
    row = await store.get_job(job)
    assert row is not None and row.status == "queued"


async def test_dm_job_has_no_guild(store: ProbeStore) -> None:
    job = await store.create_job(
        guild_id=None,
        channel_id=None,
        user_id=3,
        command="mood",
        inputs={},
        prompt=[{"role": "user", "content": "hé ✓"}],
        settings={},
        model="m",
    )
    row = await store.get_job(job)
    assert row is not None and row.guild_id is None and row.channel_id is None
    assert row.prompt == [{"role": "user", "content": "hé ✓"}]


# -- replies ------------------------------------------------------------------------------------------------------


def parts(path: Path, job: int) -> list[tuple[Any, ...]]:
    return raw(path, "SELECT message_id, part FROM replies WHERE job_id = ? ORDER BY part", (job,))


async def test_reply_mapping_with_several_parts(store: ProbeStore, db_path: Path) -> None:
    job = await done_job(store)
    other = await done_job(store)
    for part, message_id in enumerate((501, 502, 503)):
        await store.add_reply(message_id=message_id, job_id=job, channel_id=CHANNEL, guild_id=GUILD, part=part)
    await store.add_reply(message_id=600, job_id=other, channel_id=CHANNEL, guild_id=GUILD)
    for message_id in (501, 502, 503):
        assert await store.is_reply(message_id)
        row = await store.job_for_message(message_id)
        assert row is not None and row.id == job
    row = await store.job_for_message(600)
    assert row is not None and row.id == other
    assert parts(db_path, job) == [(501, 0), (502, 1), (503, 2)]
    assert not await store.is_reply(999) and await store.job_for_message(999) is None

    await store.add_reply(message_id=501, job_id=job, channel_id=CHANNEL, guild_id=GUILD)  # again: no change
    assert parts(db_path, job) == [(501, 0), (502, 1), (503, 2)]
    with pytest.raises(LookupError):
        await store.add_reply(message_id=700, job_id=12345, channel_id=CHANNEL, guild_id=GUILD)
    assert not await store.is_reply(700)


# -- feedback -----------------------------------------------------------------------------------------------------


async def test_reaction_add_remove_readd_is_one_row(store: ProbeStore, clock: Clock) -> None:
    job = await done_job(store, message_id=501)
    t0 = clock.now.isoformat(timespec="microseconds")
    assert await react(store, 501, 9, +1)
    [row] = await store.feedback_rows(501)
    assert (row.message_id, row.user_id, row.emoji, row.score, row.active) == (501, 9, "👍", 1, True)
    assert (row.job_id, row.guild_id) == (job, GUILD)
    assert row.created_at == row.updated_at == t0 and row.removed_at is None

    clock.tick(10)
    t1 = clock.now.isoformat(timespec="microseconds")
    assert await react(store, 501, 9, +1, added=False)
    [row] = await store.feedback_rows(501)
    assert row.active is False and row.removed_at == t1 and row.updated_at == t1 and row.created_at == t0
    assert await store.job_score(job) == 0

    clock.tick(10)
    t2 = clock.now.isoformat(timespec="microseconds")
    assert await react(store, 501, 9, +1)
    [row] = await store.feedback_rows(501)
    assert row.active is True and row.updated_at == t2 and row.created_at == t0 and row.removed_at is None
    assert await store.job_score(job) == 1


async def test_duplicate_events_change_nothing(store: ProbeStore, clock: Clock) -> None:
    await done_job(store, message_id=501)
    await react(store, 501, 9, +1)
    [first] = await store.feedback_rows(501)
    clock.tick(5)
    await react(store, 501, 9, +1)  # a repeated add event
    assert await store.feedback_rows(501) == [first]
    await react(store, 501, 9, +1, added=False)
    [removed] = await store.feedback_rows(501)
    clock.tick(5)
    await react(store, 501, 9, +1, added=False)  # a repeated removal keeps the first removal time
    assert await store.feedback_rows(501) == [removed]
    assert await react(store, 501, 10, -1, added=False)  # removal of a reaction never seen: ours, nothing written
    assert [r.user_id for r in await store.feedback_rows(501)] == [9]


async def test_each_user_and_emoji_gets_its_own_row(store: ProbeStore) -> None:
    job = await done_job(store, message_id=501)
    await react(store, 501, 9, +1, emoji="👍")
    await react(store, 501, 9, +2, emoji="🔥")
    await react(store, 501, 10, -1, emoji="👎")
    rows = await store.feedback_rows(501)
    assert sorted((r.user_id, r.emoji, r.score) for r in rows) == [(9, "👍", 1), (9, "🔥", 2), (10, "👎", -1)]
    assert await store.job_score(job) == 2


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for "nothing was written" checks."""
    return {name: raw(path, "SELECT * FROM " + name) for name in sorted(tables(path))}  # names from sqlite_master


async def test_reaction_on_unknown_message_writes_nothing(store: ProbeStore, db_path: Path) -> None:
    await done_job(store, message_id=501)
    await react(store, 501, 9, +1)
    before = dump(db_path)
    assert not await react(store, 999, 9, +1)
    assert not await react(store, 999, 9, +1, added=False)
    assert dump(db_path) == before
    assert len(before["feedback"]) == 1


async def test_score_counts_every_part_of_a_reply(store: ProbeStore) -> None:
    job = await done_job(store, message_id=501)
    await store.add_reply(message_id=502, job_id=job, channel_id=CHANNEL, guild_id=GUILD, part=1)
    await react(store, 501, 9, +1)
    await react(store, 502, 10, +1)
    await react(store, 502, 11, -1)
    assert {r.job_id for r in await store.feedback_rows(502)} == {job}
    assert await store.job_score(job) == 1
    assert await store.job_score(job + 100) == 0


async def test_liked_examples_order_and_filters(store: ProbeStore) -> None:
    # net scores: a=+2 (older), b=+2 (newer), c=+1, d=0, e=-1; plus a +3 job of another command and guild
    a = await done_job(store, message_id=1, output="a")
    b = await done_job(store, message_id=2, output="b")
    c = await done_job(store, message_id=3, output="c")
    await done_job(store, message_id=4, output="d")
    await done_job(store, message_id=5, output="e")
    await done_job(store, message_id=6, command="pitch", output="pitch")
    await done_job(store, message_id=7, guild_id=OTHER_GUILD, output="elsewhere")
    for message_id, user_id, score in [
        (1, 1, 1),
        (1, 2, 1),
        (2, 1, 1),
        (2, 2, 1),
        (2, 3, 1),
        (2, 4, -1),
        (3, 1, 1),
        (4, 1, 1),
        (4, 2, -1),
        (5, 1, -1),
        (6, 1, 3),
        (7, 1, 3),
    ]:
        await react(store, message_id, user_id, score)
    await react(store, 3, 2, 5, emoji="⭐")
    await react(store, 3, 2, 5, emoji="⭐", added=False)  # removed reactions do not count

    liked = await store.liked_examples(GUILD, "review", limit=10)
    assert [j.id for j in liked] == [b, a, c]
    assert [j.output for j in await store.liked_examples(GUILD, "review")] == ["b", "a"]
    assert await store.liked_examples(GUILD, "review", limit=0) == []
    assert [j.output for j in await store.liked_examples(GUILD, "pitch")] == ["pitch"]
    assert [j.output for j in await store.liked_examples(OTHER_GUILD, "review")] == ["elsewhere"]
    assert await store.liked_examples(GUILD, "scene") == []


async def test_liked_examples_skip_unfinished_jobs(store: ProbeStore) -> None:
    job = await new_job(store)
    await store.add_reply(message_id=1, job_id=job, channel_id=CHANNEL, guild_id=GUILD)
    await react(store, 1, 1, 1)
    assert await store.liked_examples(GUILD, "review") == []


async def test_guild_feedback_summary(store: ProbeStore) -> None:
    await done_job(store, message_id=1)
    await done_job(store, message_id=2)
    await done_job(store, message_id=3, command="mood")
    await done_job(store, message_id=4, guild_id=OTHER_GUILD)
    await react(store, 1, 1, 1)
    await react(store, 1, 2, 1)
    await react(store, 2, 1, -1)
    await react(store, 2, 2, 1, added=True)
    await react(store, 2, 2, 1, added=False)
    await react(store, 4, 1, 1)
    assert await store.guild_feedback_summary(GUILD) == {
        "mood": {"up": 0, "down": 0, "jobs": 1},
        "review": {"up": 2, "down": 1, "jobs": 2},
    }
    assert await store.guild_feedback_summary(3) == {}


async def test_export_rows_and_labels(store: ProbeStore) -> None:
    good = await done_job(store, message_id=1, output="Loved it.")
    bad = await done_job(store, message_id=2, command="pitch", output="Meh.")
    await done_job(store, message_id=3, output="Even.")
    await done_job(store, message_id=4, output="Nobody reacted.")
    await react(store, 1, 1, 1)
    await react(store, 1, 2, 1)
    await react(store, 2, 1, -1)
    await react(store, 3, 1, 1)
    await react(store, 3, 2, -1)

    rows = [row async for row in store.export_feedback()]
    assert rows == [
        {
            "prompt": PROMPT,
            "completion": [{"role": "assistant", "content": "Loved it."}],
            "label": True,
            "command": "review",
            "job_id": good,
            "model": "test-model-q4",
            "score": 2,
        },
        {
            "prompt": PROMPT,
            "completion": [{"role": "assistant", "content": "Meh."}],
            "label": False,
            "command": "pitch",
            "job_id": bad,
            "model": "test-model-q4",
            "score": -1,
        },
    ]

    out = io.StringIO()
    assert await feedback.export(store, out) == 2
    lines = out.getvalue().splitlines()
    assert [json.loads(line) for line in lines] == rows
    with pytest.raises(ValueError, match="jsonl"):
        await feedback.export(store, io.StringIO(), fmt="parquet")


async def test_export_pages_through_many_jobs(store: ProbeStore) -> None:
    from bot import store as store_module

    n = store_module._EXPORT_PAGE + 3
    for i in range(n):
        await done_job(store, message_id=10_000 + i, output=str(i))
        await react(store, 10_000 + i, 1, 1 if i % 2 else -1)
    rows = [row async for row in store.export_feedback()]
    assert [r["completion"][0]["content"] for r in rows] == [str(i) for i in range(n)]
    assert [r["label"] for r in rows] == [bool(i % 2) for i in range(n)]


async def test_export_empty(store: ProbeStore) -> None:
    out = io.StringIO()
    assert await feedback.export(store, out, fmt="jsonl") == 0
    assert out.getvalue() == ""


# -- guild config -------------------------------------------------------------------------------------------------


async def test_defaults_when_nothing_is_stored(store: ProbeStore) -> None:
    assert await store.command_enabled(GUILD, "review", channel_id=CHANNEL, category_id=CATEGORY)
    assert await store.command_enabled(GUILD, "review", channel_id=CHANNEL, category_id=None)
    assert await store.cooldown(GUILD, "review") == 0
    assert await store.mood_cap(GUILD) == DEFAULT_MOOD_CAP == 100
    settings = await store.guild_settings(GUILD)
    assert (settings.rules, settings.cooldowns, settings.mood_cap) == ([], {}, 100)


async def test_command_enabled_precedence(store: ProbeStore) -> None:
    async def on(channel: int = CHANNEL, category: int | None = CATEGORY) -> bool:
        return await store.command_enabled(GUILD, "review", channel_id=channel, category_id=category)

    await store.set_command_scope(GUILD, "review", scope="guild", scope_id=GUILD, enabled=False)
    assert not await on() and not await on(category=None)
    await store.set_command_scope(GUILD, "review", scope="category", scope_id=CATEGORY, enabled=True)
    assert await on() and not await on(category=None) and not await on(channel=12, category=22)
    await store.set_command_scope(GUILD, "review", scope="channel", scope_id=CHANNEL, enabled=False)
    assert not await on() and await on(channel=12)  # channel rule beats the category rule
    await store.set_command_scope(GUILD, "review", scope="channel", scope_id=CHANNEL, enabled=True)  # overwrite
    assert await on() and await on(category=None)  # channel rule beats the guild rule

    # other commands and other guilds are untouched
    assert await store.command_enabled(GUILD, "mood", channel_id=12, category_id=22)
    assert await store.command_enabled(OTHER_GUILD, "review", channel_id=12, category_id=22)

    assert await store.clear_command_scope(GUILD, "review", "channel", CHANNEL)
    assert not await store.clear_command_scope(GUILD, "review", "channel", CHANNEL)
    assert await on() and not await on(category=None)  # back to the category, then the guild rule
    await store.clear_command_scope(GUILD, "review", "guild", GUILD)
    assert await on(channel=12, category=22)  # back to the default


async def test_category_off_in_enabled_guild(store: ProbeStore) -> None:
    await store.set_command_scope(GUILD, "mood", scope="category", scope_id=CATEGORY, enabled=False)
    assert not await store.command_enabled(GUILD, "mood", channel_id=CHANNEL, category_id=CATEGORY)
    assert await store.command_enabled(GUILD, "mood", channel_id=CHANNEL, category_id=None)


async def test_bad_scopes_are_refused(store: ProbeStore) -> None:
    with pytest.raises(ValueError, match="scope"):
        await store.set_command_scope(GUILD, "review", scope="thread", scope_id=1, enabled=True)
    with pytest.raises(ValueError, match="guild's own id"):
        await store.set_command_scope(GUILD, "review", scope="guild", scope_id=OTHER_GUILD, enabled=True)
    assert (await store.guild_settings(GUILD)).rules == []


async def test_cooldown(store: ProbeStore) -> None:
    await store.set_cooldown(GUILD, "review", 30)
    await store.set_cooldown(GUILD, "pitch", 5)
    await store.set_cooldown(GUILD, "review", 45)
    assert await store.cooldown(GUILD, "review") == 45 and await store.cooldown(GUILD, "pitch") == 5
    assert await store.cooldown(OTHER_GUILD, "review") == 0
    await store.set_cooldown(GUILD, "pitch", 0)
    assert await store.cooldown(GUILD, "pitch") == 0
    for bad in (-1, 86_401):
        with pytest.raises(ValueError, match="0 turns it off"):
            await store.set_cooldown(GUILD, "review", bad)
    assert await store.cooldown(GUILD, "review") == 45


async def test_mood_cap(store: ProbeStore) -> None:
    await store.set_mood_cap(GUILD, 250)
    assert await store.mood_cap(GUILD) == 250 and await store.mood_cap(OTHER_GUILD) == 100
    await store.set_mood_cap(GUILD, 1)
    await store.set_mood_cap(GUILD, 500)
    for bad in (0, 501, -5):
        with pytest.raises(ValueError, match="from 1 to 500"):
            await store.set_mood_cap(GUILD, bad)
    assert await store.mood_cap(GUILD) == 500


async def test_guild_settings(store: ProbeStore) -> None:
    await store.set_command_scope(GUILD, "review", scope="channel", scope_id=CHANNEL, enabled=False)
    await store.set_command_scope(GUILD, "review", scope="guild", scope_id=GUILD, enabled=True)
    await store.set_cooldown(GUILD, "pitch", 60)
    await store.set_mood_cap(GUILD, 42)
    await store.set_cooldown(OTHER_GUILD, "pitch", 1)
    settings = await store.guild_settings(GUILD)
    assert [(r.command, r.scope, r.scope_id, r.enabled) for r in settings.rules] == [
        ("review", "guild", GUILD, True),
        ("review", "channel", CHANNEL, False),
    ]
    assert settings.cooldowns == {"pitch": 60} and settings.mood_cap == 42 and settings.guild_id == GUILD


# -- persistence --------------------------------------------------------------------------------------------------


async def test_data_survives_close_and_reopen(db_path: Path, clock: Clock) -> None:
    async with await ProbeStore.open(db_path, clock=clock) as s:
        job = await done_job(s, message_id=501)
        await s.add_reply(message_id=502, job_id=job, channel_id=CHANNEL, guild_id=GUILD, part=1)
        await react(s, 501, 9, +1)
        await s.set_command_scope(GUILD, "review", scope="channel", scope_id=CHANNEL, enabled=False)
        await s.set_cooldown(GUILD, "review", 30)
        await s.set_mood_cap(GUILD, 7)

    async with await ProbeStore.open(db_path, clock=clock) as s:  # "after a restart"
        assert await s.is_reply(502)
        assert await react(s, 502, 10, +1)  # feedback still finds its reply
        row = await s.job_for_message(502)
        assert row is not None and row.id == job and row.output == "Fine."
        assert await s.job_score(job) == 2
        assert not await s.command_enabled(GUILD, "review", channel_id=CHANNEL, category_id=None)
        assert await s.cooldown(GUILD, "review") == 30 and await s.mood_cap(GUILD) == 7


async def test_close_is_idempotent(db_path: Path) -> None:
    s = await ProbeStore.open(db_path)
    await s.close()
    await s.close()


async def test_failed_write_rolls_back_and_store_keeps_working(store: ProbeStore, db_path: Path) -> None:
    job = await done_job(store, message_id=501)
    with pytest.raises(LookupError):
        await finish(store, job + 50)
    assert await react(store, 501, 9, +1)  # no transaction left open
    assert raw(db_path, "SELECT COUNT(*) FROM feedback") == [(1,)]


async def test_concurrent_writes_do_not_interleave(store: ProbeStore) -> None:
    job = await done_job(store, message_id=501)
    results = await asyncio.gather(
        *(react(store, 501, user, 1) for user in range(40)),
        *(new_job(store) for _ in range(20)),
        react(store, 999, 1, 1),
    )
    assert results[-1] is False and all(results[:40])
    assert len(set(results[40:60])) == 20
    assert await store.job_score(job) == 40


# -- requests in flight -------------------------------------------------------------------------------------------

async def test_a_request_keeps_what_another_process_needs_until_it_ends(store: ProbeStore, db_path: Path,
                                                                       clock: Clock) -> None:
    job = await new_job(store)
    expires = clock() + timedelta(minutes=15)
    await store.open_request(job, application_id=42, token="secret-token", expires=expires, author="Ana's review")
    await store.request_message(job, 1001)
    await store.request_message(job, 1002)  # the first message id stays
    await store.request_running(job)
    [(request, row)] = await store.unfinished_requests()
    assert (request.state, request.attempts, request.message_id, request.token) == ("running", 1, 1001, "secret-token")
    assert request.expires_at() == expires and request.author == "Ana's review" and row.id == job
    assert "secret-token" not in repr(request)  # never in a log line or a traceback
    await store.request_running(job)  # a second process began writing it
    await store.request_written(job, {"text": "A pitch."})
    request = await store.request(job)
    assert request is not None and (request.state, request.attempts, request.written) == \
        ("written", 2, {"text": "A pitch."})
    await store.end_request(job, "delivered")
    assert await store.unfinished_requests() == []
    assert raw(db_path, "SELECT state, token, written FROM requests") == [("delivered", None, None)]
    with pytest.raises(ValueError, match="state must be one of"):
        await store.end_request(job, "written")


async def test_a_reopened_job_is_queued_again_unless_it_was_done(store: ProbeStore) -> None:
    stopped, done = await new_job(store), await new_job(store)
    await store.fail_job(stopped, status="failed", error="shutting down")
    await finish(store, done)
    for job in (stopped, done):
        await store.reopen_job(job)
    assert [(await store.get_job(job)).status for job in (stopped, done)] == ["queued", "done"]  # type: ignore[union-attr]


async def test_the_database_is_readable_by_its_owner_only(store: ProbeStore, db_path: Path) -> None:
    mode = await asyncio.to_thread(lambda: db_path.stat().st_mode)
    assert mode & 0o777 == 0o600
