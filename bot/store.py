"""cinebot's SQLite store: jobs, the bot's reply messages, reaction feedback and per-guild command settings.

All SQL lives in `Store`, parameterised. The schema comes from numbered, forward-only migrations in
`bot/migrations/V###__name.sql`, applied in order inside one transaction and tracked with `PRAGMA user_version`.
The database runs in WAL mode with foreign keys on. Timestamps are UTC ISO-8601 strings with microseconds.

Open it once in `main()` and pass it in::

    async with await Store.open(settings.db_path) as store:
        ...
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

MIGRATIONS_PACKAGE = "bot.migrations"
_MIGRATION_NAME = re.compile(r"^V(\d{3,})__(\w+)\.sql$")

FAIL_STATUSES = frozenset({"failed", "cancelled", "rejected"})
SCOPES = ("channel", "category", "guild")
DEFAULT_MOOD_CAP = 100
MOOD_CAP_RANGE = (1, 500)
MAX_COOLDOWN_S = 24 * 60 * 60
_EXPORT_PAGE = 500


class StoreError(Exception):
    """The database cannot be used as it is; the message says why and what to do."""


class MigrationError(StoreError):
    """A migration file is misnamed or failed to apply (nothing from the failed run was kept)."""


class SchemaTooNew(StoreError):
    """The database was written by a newer cinebot than this one."""


# -- rows ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobRow:
    """One generation job, as stored; `inputs`, `prompt` and `settings` are decoded from JSON."""

    id: int
    guild_id: int | None
    channel_id: int | None
    user_id: int
    command: str
    inputs: dict[str, Any]
    prompt: list[dict[str, str]]
    settings: dict[str, Any]
    model: str
    status: str
    output: str | None
    raw_output: str | None
    error: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    queue_s: float | None
    generate_s: float | None
    created_at: str
    finished_at: str | None
    variant: str | None = None  # the preset it was written in
    parent_job: int | None = None  # for a second take (🔁): the first


@dataclass(frozen=True)
class RequestRow:
    """A request in flight (see migrations/V003): its job, the interaction's webhook (`token` is a secret: never
    logged; None once the request ended), the reply's message, how far it got; `written` decoded from JSON."""

    job_id: int
    application_id: int
    token: str | None
    token_expires: str
    message_id: int | None
    author: str | None
    state: str
    attempts: int
    written: dict[str, Any] | None
    created_at: str
    updated_at: str
    locale: str = "en"  # the catalog the member reads the bot's messages in (V004)

    def __repr__(self) -> str:  # the token stays out of logs and tracebacks
        return f"RequestRow(job_id={self.job_id}, state={self.state!r}, attempts={self.attempts})"

    def expires_at(self) -> datetime:
        return datetime.fromisoformat(self.token_expires)


REQUEST_STATES = ("queued", "running", "written", "delivered", "failed", "expired")
ENDED_REQUESTS = frozenset({"delivered", "failed", "expired"})


@dataclass(frozen=True)
class FeedbackRow:
    """One user's reaction with one emoji on one reply message."""

    message_id: int
    user_id: int
    emoji: str
    score: int
    active: bool
    job_id: int
    guild_id: int | None
    created_at: str
    updated_at: str
    removed_at: str | None


@dataclass(frozen=True)
class CommandRule:
    """A moderator's rule: `command` is on or off in one channel, category, or the whole guild."""

    command: str
    scope: str
    scope_id: int
    enabled: bool


@dataclass(frozen=True)
class GuildSettings:
    """Everything a guild's moderators have set; defaults where nothing is stored."""

    guild_id: int
    rules: list[CommandRule]
    cooldowns: dict[str, int]
    mood_cap: int = DEFAULT_MOOD_CAP


@dataclass(frozen=True)
class NightRow:
    """A film night (/filmnight), as `film_nights` keeps it."""

    id: int
    guild_id: int
    channel_id: int
    planned_by: int
    starts_at: datetime
    place_channel_id: int | None
    place: str | None
    theme: str | None
    mood: str | None
    liked_film_id: int | None
    poll_hours: int
    poll_message_id: int | None
    poll_ends_at: datetime
    status: str
    winner_film_id: int | None
    votes: int | None
    event_id: int | None
    interested: int | None
    mood_summary: str | None
    note: str | None
    locale: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> NightRow:
        values = {f.name: row[f.name] for f in fields(cls)}
        values["starts_at"] = _parse(row["starts_at"])
        values["poll_ends_at"] = _parse(row["poll_ends_at"])
        return cls(**values)


class CandidateRow(NamedTuple):
    answer_id: int
    film_id: int
    suggested_by: int | None
    votes: int | None


class TimerRow(NamedTuple):
    night_id: int
    kind: str
    due_at: datetime
    tries: int


class Migration(NamedTuple):
    """One file of migrations/ (`V001__init.sql`): applied once, in version order, in one transaction."""

    version: int
    name: str
    sql: str


# -- migrations ---------------------------------------------------------------------------------------------------


def load_migrations(directory: Path | Traversable | None = None) -> list[Migration]:
    """The migrations in `directory` (default: the installed `bot/migrations`), checked and in order.

    Files are named `V001__what.sql`, `V002__more.sql`, ...: numbered from 1 without gaps. Any other `.sql` file
    name is an error, so that a typo cannot silently skip a migration.
    """
    folder: Path | Traversable = resources.files(MIGRATIONS_PACKAGE) if directory is None else directory
    found: list[Migration] = []
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _MIGRATION_NAME.match(entry.name)
        if match is None:
            raise MigrationError(f"Migration file {entry.name!r} is misnamed; name it like V001__what_it_does.sql.")
        found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"Migrations must be numbered 1, 2, 3, ... without gaps or repeats; expected V{expected:03d} "
                f"but found V{migration.version:03d}__{migration.name}.sql."
            )
    return found


def split_statements(sql: str) -> list[str]:
    """Split a script into statements (`executescript` would commit first, breaking the one transaction)."""
    statements: list[str] = []
    start = 0
    for i, char in enumerate(sql):
        if char == ";" and sqlite3.complete_statement(sql[start : i + 1]):
            statements.append(sql[start : i + 1].strip())
            start = i + 1
    rest = sql[start:].strip()
    if rest and not all(line.strip().startswith("--") or not line.strip() for line in rest.splitlines()):
        statements.append(rest)
    return statements


def _set_user_version_sql(version: int) -> str:
    # PRAGMA takes no bound parameters; the value is a checked int, never text from outside.
    if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version < 2**31:
        raise ValueError(f"bad schema version {version!r}")
    return "PRAGMA user_version = " + str(version)


async def _user_version(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row is not None else 0


def _check_not_newer(current: int, latest: int) -> None:
    if current > latest:
        raise SchemaTooNew(
            f"The database's schema is version {current}, but this cinebot only knows up to version {latest}. "
            "It was written by a newer cinebot: upgrade cinebot, or point it at another database file."
        )


async def migrate(db: aiosqlite.Connection, migrations: list[Migration]) -> int:
    """Bring the database up to the last migration in one transaction; returns the schema version."""
    latest = migrations[-1].version if migrations else 0
    current = await _user_version(db)
    _check_not_newer(current, latest)
    if current == latest:
        return current
    await db.execute("BEGIN IMMEDIATE")
    try:
        current = await _user_version(db)  # another process may have migrated while we waited for the lock
        _check_not_newer(current, latest)
        for migration in migrations:
            if migration.version <= current:
                continue
            log.info("applying migration V%03d__%s", migration.version, migration.name)
            try:
                for statement in split_statements(migration.sql):
                    await db.execute(statement)
            except sqlite3.Error as exc:
                raise MigrationError(
                    f"Migration V{migration.version:03d}__{migration.name}.sql failed: {exc}. "
                    f"Nothing was changed; the database is still at schema version {current}."
                ) from exc
        await db.execute(_set_user_version_sql(latest))
    except BaseException:
        if db.in_transaction:  # some errors end the transaction themselves
            await db.execute("ROLLBACK")
        raise
    await db.execute("COMMIT")
    log.info("database schema now at version %d", latest)
    return latest


# -- the store ----------------------------------------------------------------------------------------------------


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    """A moment as the store keeps it: UTC, ISO 8601, to the microsecond (so that strings sort as times)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


RowType = TypeVar("RowType", JobRow, FeedbackRow, RequestRow)


def _from_row(cls: type[RowType], row: sqlite3.Row, **decoded: Any) -> RowType:
    """`cls` from a row of its table: each field from its column, or from `decoded` where the column needs decoding."""
    return cls(**{f.name: decoded[f.name] if f.name in decoded else row[f.name] for f in fields(cls)})


def _job(row: sqlite3.Row) -> JobRow:
    return _from_row(JobRow, row, **{name: json.loads(row[name]) for name in ("inputs", "prompt", "settings")})


def _request(row: sqlite3.Row) -> RequestRow:
    return _from_row(RequestRow, row, written=json.loads(row["written"]) if row["written"] else None)


def _feedback(row: sqlite3.Row) -> FeedbackRow:
    return _from_row(FeedbackRow, row, active=bool(row["active"]))


def _prepare(path: str | Path, migrations_dir: Path | Traversable | None) -> tuple[Path, list[Migration]]:
    """Read the migrations (failing on a misnamed file before the database is touched) and make the folder."""
    migrations = load_migrations(migrations_dir)
    resolved = Path(path).expanduser()
    resolved.parent.mkdir(parents=True, exist_ok=True)
    # the file holds interaction tokens while requests are in flight: its owner's alone (SQLite gives its -wal and
    # -shm files the same mode)
    resolved.touch(mode=0o600, exist_ok=True)
    try:
        resolved.chmod(0o600)
    except OSError:
        log.warning("could not make %s readable by its owner only", resolved)
    return resolved, migrations


def _check_scope(guild_id: int, scope: str, scope_id: int) -> None:
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}.")
    if scope == "guild" and scope_id != guild_id:
        raise ValueError("For scope 'guild', scope_id must be the guild's own id.")


class Store:
    """The one place that talks SQL. Make it with `await Store.open(path)`; close it with `close()` or `async with`.

    Writes are serialised by a lock so that a multi-statement write never interleaves with another coroutine's.
    """

    def __init__(self, db: aiosqlite.Connection, clock: Callable[[], datetime] = _utc_now) -> None:
        self._db = db
        self._clock = clock
        self._lock = asyncio.Lock()
        self._closed = False

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        migrations_dir: Path | Traversable | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> Store:
        """Open (creating it and its folder if needed) and migrate the database at `path`.

        `migrations_dir` replaces the packaged migrations (for tests); `clock` returns the current time (aware).
        """
        file, migrations = await asyncio.to_thread(_prepare, path, migrations_dir)
        db = await aiosqlite.connect(file, isolation_level=None)  # autocommit; transactions are explicit
        try:
            db.row_factory = sqlite3.Row
            await db.execute("PRAGMA busy_timeout = 5000")
            async with db.execute("PRAGMA journal_mode = WAL") as cur:
                mode = await cur.fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                log.warning("SQLite would not switch %s to WAL mode (journal_mode=%s)", file, mode and mode[0])
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA foreign_keys = ON")
            version = await migrate(db, migrations)
        except BaseException:
            await db.close()
            raise
        log.info("opened %s (schema version %d)", file, version)
        return cls(db, clock)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- plumbing -------------------------------------------------------------------------------------------------
    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat(timespec="microseconds")

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction, serialised with the store's other writes."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:  # some errors end the transaction themselves
                    await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        async with self._db.execute(sql, params) as cur:
            row: sqlite3.Row | None = await cur.fetchone()
        return row

    async def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        async with self._db.execute(sql, params) as cur:
            rows: list[sqlite3.Row] = list(await cur.fetchall())
        return rows

    # -- jobs -----------------------------------------------------------------------------------------------------
    async def create_job(
        self,
        *,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int,
        command: str,
        inputs: dict[str, Any],
        prompt: list[dict[str, str]],
        settings: dict[str, Any],
        model: str,
        variant: str | None = None,
        parent_job: int | None = None,
    ) -> int:
        """Record a job as 'queued'; returns its id. `variant`: the preset it is written in; `parent_job`: the
        first take, for a second one."""
        params = (
            guild_id,
            channel_id,
            user_id,
            command,
            _dumps(inputs),
            _dumps(prompt),
            _dumps(settings),
            model,
            self._now(),
            variant,
            parent_job,
        )
        async with self._write() as db:
            cur = await db.execute(
                "INSERT INTO jobs (guild_id, channel_id, user_id, command, inputs, prompt, settings, model, status,"
                " created_at, variant, parent_job) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)",
                params,
            )
            job_id = cur.lastrowid
        assert job_id is not None
        return job_id

    async def finish_job(
        self,
        job_id: int,
        *,
        output: str,
        raw_output: str,
        prompt_tokens: int,
        completion_tokens: int,
        queue_s: float,
        generate_s: float,
        model: str,
    ) -> bool:
        """Store a queued job's result and mark it 'done'. False if the job had already ended (the first ending
        wins). Raises LookupError for an unknown job."""
        async with self._write() as db:
            cur = await db.execute(
                "UPDATE jobs SET status = 'done', output = ?, raw_output = ?, prompt_tokens = ?, completion_tokens = ?,"
                " queue_s = ?, generate_s = ?, model = ?, finished_at = ? WHERE id = ? AND status = 'queued'",
                (
                    output,
                    raw_output,
                    prompt_tokens,
                    completion_tokens,
                    queue_s,
                    generate_s,
                    model,
                    self._now(),
                    job_id,
                ),
            )
            return await self._ended(db, cur.rowcount, job_id)

    async def fail_job(self, job_id: int, *, status: str, error: str) -> bool:
        """End a queued job as 'failed', 'cancelled' or 'rejected'. False if it had already ended."""
        if status not in FAIL_STATUSES:
            raise ValueError(f"status must be one of {', '.join(sorted(FAIL_STATUSES))}, not {status!r}.")
        async with self._write() as db:
            cur = await db.execute(
                "UPDATE jobs SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status = 'queued'",
                (status, error, self._now(), job_id),
            )
            return await self._ended(db, cur.rowcount, job_id)

    async def _ended(self, db: aiosqlite.Connection, rowcount: int, job_id: int) -> bool:
        if rowcount:
            return True
        async with db.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            raise LookupError(f"There is no job {job_id}.")
        log.info("job %d had already ended as %r; keeping that", job_id, row[0])
        return False

    # -- requests in flight (what a later process needs to finish them) -------------------------------------------
    async def open_request(self, job_id: int, *, application_id: int, token: str, expires: datetime,
                           author: str | None = None, locale: str = "en") -> None:
        """Keep a queued job's interaction so that another process can finish it (state 'queued'), and the catalog
        its member reads the bot's messages in."""
        now = self._now()
        async with self._write() as db:
            await db.execute(
                "INSERT INTO requests (job_id, application_id, token, token_expires, author, state, created_at,"
                " updated_at, locale) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?)",
                (job_id, application_id, token, expires.astimezone(UTC).isoformat(timespec="microseconds"), author,
                 now, now, locale))

    async def request_message(self, job_id: int, message_id: int) -> None:
        """The reply's message id, once an edit returned it."""
        async with self._write() as db:
            await db.execute("UPDATE requests SET message_id = ?, updated_at = ? WHERE job_id = ?"
                             " AND message_id IS NULL", (message_id, self._now(), job_id))

    async def request_running(self, job_id: int) -> None:
        """This process began writing the request: one more attempt."""
        async with self._write() as db:
            await db.execute("UPDATE requests SET state = 'running', attempts = attempts + 1, updated_at = ?"
                             " WHERE job_id = ? AND state IN ('queued', 'running')", (self._now(), job_id))

    async def request_written(self, job_id: int, written: dict[str, Any]) -> None:
        """The reply is written: kept until it is delivered."""
        async with self._write() as db:
            await db.execute("UPDATE requests SET state = 'written', written = ?, updated_at = ? WHERE job_id = ?"
                             " AND state IN ('queued', 'running')", (_dumps(written), self._now(), job_id))

    async def end_request(self, job_id: int, state: str) -> None:
        """The request ended ('delivered', 'failed' or 'expired'): its token and written copy are dropped."""
        if state not in ENDED_REQUESTS:
            raise ValueError(f"state must be one of {', '.join(sorted(ENDED_REQUESTS))}, not {state!r}.")
        async with self._write() as db:
            await db.execute("UPDATE requests SET state = ?, token = NULL, written = NULL, updated_at = ?"
                             " WHERE job_id = ?", (state, self._now(), job_id))

    async def request(self, job_id: int) -> RequestRow | None:
        row = await self._one("SELECT * FROM requests WHERE job_id = ?", (job_id,))
        return None if row is None else _request(row)

    async def unfinished_requests(self) -> list[tuple[RequestRow, JobRow]]:
        """Every request a process left unfinished (queued, running or written), oldest first, with its job."""
        unfinished = "state IN ('queued', 'running', 'written')"
        rows = await self._all(f"SELECT * FROM requests WHERE {unfinished} ORDER BY job_id")
        jobs = {row["id"]: _job(row) for row in await self._all(
            f"SELECT * FROM jobs WHERE id IN (SELECT job_id FROM requests WHERE {unfinished})")}
        return [(_request(row), jobs[row["job_id"]]) for row in rows if row["job_id"] in jobs]

    async def reopen_job(self, job_id: int) -> None:
        """A job a crashed process left 'queued' or ended as 'failed' by a stop, queued again for the next try."""
        async with self._write() as db:
            await db.execute("UPDATE jobs SET status = 'queued', error = NULL, finished_at = NULL WHERE id = ?"
                             " AND status != 'done'", (job_id,))

    # -- replies --------------------------------------------------------------------------------------------------
    async def add_reply(
        self, *, message_id: int, job_id: int, channel_id: int, guild_id: int | None, part: int = 0
    ) -> None:
        """Remember that Discord message `message_id` is (part `part` of) the reply to `job_id`.

        Adding the same message again changes nothing. Raises LookupError for an unknown job.
        """
        try:
            async with self._write() as db:
                await db.execute(
                    "INSERT INTO replies (message_id, job_id, channel_id, guild_id, part, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
                    (message_id, job_id, channel_id, guild_id, part, self._now()),
                )
        except sqlite3.IntegrityError as exc:
            if "FOREIGN KEY" in str(exc):
                raise LookupError(f"There is no job {job_id} to attach message {message_id} to.") from None
            raise

    async def job_for_message(self, message_id: int) -> JobRow | None:
        """The job whose reply `message_id` is (a part of); None for any other message."""
        row = await self._one(
            "SELECT j.* FROM replies AS r JOIN jobs AS j ON j.id = r.job_id WHERE r.message_id = ?", (message_id,))
        return None if row is None else _job(row)

    # -- feedback -------------------------------------------------------------------------------------------------
    async def record_reaction(self, *, message_id: int, user_id: int, emoji: str, score: int, added: bool) -> bool:
        """Record a reaction being added or removed on one of the bot's replies.

        One row per (message, user, emoji): the first add inserts it; a removal keeps it with active=0 and sets
        removed_at; adding it again sets active=1, clears removed_at and bumps updated_at. Returns False and writes
        nothing when `message_id` is not a stored reply; True otherwise (also when there was nothing to change,
        e.g. the removal of a reaction that was never recorded).
        """
        now = self._now()
        async with self._write() as db:
            async with db.execute("SELECT job_id, guild_id FROM replies WHERE message_id = ?", (message_id,)) as cur:
                reply = await cur.fetchone()
            if reply is None:
                return False
            if added:
                await db.execute(
                    "INSERT INTO feedback (message_id, user_id, emoji, score, active, job_id, guild_id, created_at,"
                    " updated_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)"
                    " ON CONFLICT (message_id, user_id, emoji) DO UPDATE SET"
                    " active = 1, score = excluded.score, updated_at = excluded.updated_at, removed_at = NULL"
                    " WHERE feedback.active = 0 OR feedback.score != excluded.score",
                    (message_id, user_id, emoji, score, reply["job_id"], reply["guild_id"], now, now),
                )
            else:
                await db.execute(
                    "UPDATE feedback SET active = 0, removed_at = ?, updated_at = ?"
                    " WHERE message_id = ? AND user_id = ? AND emoji = ? AND active = 1",
                    (now, now, message_id, user_id, emoji),
                )
        return True

    async def guild_feedback_summary(self, guild_id: int) -> dict[str, dict[str, int]]:
        """Per command: "up"/"down" = active reactions with a positive/negative score, "jobs" = finished jobs."""
        rows = await self._all(
            "SELECT j.command AS command, COUNT(DISTINCT j.id) AS jobs,"
            " COALESCE(SUM(f.score > 0), 0) AS up, COALESCE(SUM(f.score < 0), 0) AS down"
            " FROM jobs AS j LEFT JOIN feedback AS f ON f.job_id = j.id AND f.active = 1"
            " WHERE j.guild_id = ? AND j.status = 'done' GROUP BY j.command ORDER BY j.command",
            (guild_id,),
        )
        return {row["command"]: {"up": row["up"], "down": row["down"], "jobs": row["jobs"]} for row in rows}

    async def liked_examples(self, guild_id: int, command: str, limit: int = 2) -> list[JobRow]:
        """This guild's finished `command` jobs with the highest net score above 0, newest first among equals."""
        if limit <= 0:
            return []
        rows = await self._all(
            "SELECT j.* FROM jobs AS j JOIN ("
            "  SELECT job_id, SUM(score) AS net FROM feedback WHERE guild_id = ? AND active = 1 GROUP BY job_id"
            ") AS s ON s.job_id = j.id"
            " WHERE j.guild_id = ? AND j.command = ? AND j.status = 'done' AND s.net > 0"
            " ORDER BY s.net DESC, j.created_at DESC, j.id DESC LIMIT ?",
            (guild_id, guild_id, command, limit),
        )
        return [_job(row) for row in rows]

    # -- learning -------------------------------------------------------------------------------------------------
    async def variant_record(self, guild_id: int, command: str) -> dict[str, tuple[int, int]]:
        """Per variant of `command` in this guild: (liked, disliked) = its replies whose net reaction score is above
        / below 0, counting only replies written since the moderators last made the command forget."""
        rows = await self._all(
            "SELECT j.variant AS variant, SUM(s.net > 0) AS liked, SUM(s.net < 0) AS disliked FROM jobs AS j JOIN ("
            "  SELECT job_id, SUM(score) AS net FROM feedback WHERE guild_id = ? AND active = 1 GROUP BY job_id"
            ") AS s ON s.job_id = j.id"
            " WHERE j.guild_id = ? AND j.command = ? AND j.variant IS NOT NULL AND j.created_at > COALESCE("
            "  (SELECT forgot_at FROM learning_resets WHERE guild_id = ? AND command = ?), '')"
            " GROUP BY j.variant",
            (guild_id, guild_id, command, guild_id, command),
        )
        return {row["variant"]: (int(row["liked"]), int(row["disliked"])) for row in rows}

    async def forget_learning(self, guild_id: int, command: str) -> None:
        """From now on, reactions to `command`'s earlier replies no longer count for its variants."""
        async with self._write() as db:
            await db.execute(
                "INSERT INTO learning_resets (guild_id, command, forgot_at) VALUES (?, ?, ?)"
                " ON CONFLICT (guild_id, command) DO UPDATE SET forgot_at = excluded.forgot_at",
                (guild_id, command, self._now()),
            )

    async def add_take(self, *, first_job: int, second_job: int, user_id: int) -> None:
        """Remember that `second_job` is another take on `first_job`, asked for by `user_id`."""
        async with self._write() as db:
            await db.execute(
                "INSERT INTO takes (first_job, second_job, user_id, created_at) VALUES (?, ?, ?, ?)",
                (first_job, second_job, user_id, self._now()),
            )

    async def has_take(self, first_job: int) -> bool:
        return await self._one("SELECT 1 FROM takes WHERE first_job = ?", (first_job,)) is not None

    async def settle_take(self, job_id: int) -> int | None:
        """If `job_id` is one of two takes: the one now rated higher (net score), stored as the members' choice
        (None, and no choice stored, while they are rated the same)."""
        async with self._write() as db:
            async with db.execute(
                "SELECT t.first_job, t.second_job, ("
                "  SELECT COALESCE(SUM(score), 0) FROM feedback WHERE job_id = t.first_job AND active = 1) AS a, ("
                "  SELECT COALESCE(SUM(score), 0) FROM feedback WHERE job_id = t.second_job AND active = 1) AS b"
                " FROM takes AS t WHERE t.first_job = ? OR t.second_job = ?",
                (job_id, job_id),
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            first, second, a, b = row
            chosen = first if a > b else second if b > a else None
            await db.execute(
                "UPDATE takes SET chosen_job = ?, decided_at = ? WHERE first_job = ?",
                (chosen, self._now() if chosen else None, first),
            )
        return chosen

    async def export_pairs(self, guild_id: int | None = None) -> AsyncIterator[dict[str, Any]]:
        """One row per pair of takes the members chose between, in TRL's conversational preference (DPO) form:
        {"prompt": [messages], "chosen": [{"role": "assistant", ...}], "rejected": [...]} plus "command",
        "guild_id", "chosen_job", "rejected_job". The prompt is the first take's, without its variant's note."""
        rows = await self._all(
            "SELECT t.chosen_job AS chosen_id, a.prompt AS prompt, a.command AS command, a.guild_id AS guild_id,"
            " a.variant AS variant, c.output AS chosen, r.output AS rejected, r.id AS rejected_id"
            " FROM takes AS t JOIN jobs AS a ON a.id = t.first_job JOIN jobs AS c ON c.id = t.chosen_job"
            " JOIN jobs AS r ON r.id = CASE WHEN t.chosen_job = t.first_job THEN t.second_job ELSE t.first_job END"
            " WHERE t.chosen_job IS NOT NULL AND (? IS NULL OR a.guild_id = ?) ORDER BY t.first_job",
            (guild_id, guild_id),
        )
        for row in rows:
            yield {
                "prompt": json.loads(row["prompt"]),
                "chosen": [{"role": "assistant", "content": row["chosen"]}],
                "rejected": [{"role": "assistant", "content": row["rejected"]}],
                "command": row["command"],
                "guild_id": row["guild_id"],
                "first_variant": row["variant"],
                "chosen_job": row["chosen_id"],
                "rejected_job": row["rejected_id"],
            }

    async def export_feedback(self, guild_id: int | None = None) -> AsyncIterator[dict[str, Any]]:
        """One row per finished job whose net score is not 0, in job order, in TRL's conversational
        unpaired-preference (KTO) form: {"prompt": [messages], "completion": [{"role": "assistant", ...}],
        "label": net > 0} plus "command", "job_id", "model" and "score"."""
        after = 0
        while True:
            rows = await self._all(
                "SELECT j.*, s.net AS net FROM jobs AS j JOIN ("
                "  SELECT job_id, SUM(score) AS net FROM feedback WHERE active = 1 GROUP BY job_id HAVING net != 0"
                ") AS s ON s.job_id = j.id"
                " WHERE j.status = 'done' AND j.output IS NOT NULL AND j.id > ? AND (? IS NULL OR j.guild_id = ?)"
                " ORDER BY j.id LIMIT ?",
                (after, guild_id, guild_id, _EXPORT_PAGE),
            )
            for row in rows:
                net = int(row["net"])
                yield {
                    "prompt": json.loads(row["prompt"]),
                    "completion": [{"role": "assistant", "content": row["output"]}],
                    "label": net > 0,
                    "command": row["command"],
                    "job_id": row["id"],
                    "model": row["model"],
                    "score": net,
                }
            if len(rows) < _EXPORT_PAGE:
                return
            after = rows[-1]["id"]

    # -- guild config ---------------------------------------------------------------------------------------------
    async def set_command_scope(self, guild_id: int, command: str, *, scope: str, scope_id: int, enabled: bool) -> None:
        """Switch `command` on or off in a channel, a category, or (scope 'guild', scope_id = guild_id) the guild."""
        _check_scope(guild_id, scope, scope_id)
        async with self._write() as db:
            await db.execute(
                "INSERT INTO command_rules (guild_id, command, scope, scope_id, enabled, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, command, scope, scope_id) DO UPDATE SET"
                " enabled = excluded.enabled, updated_at = excluded.updated_at",
                (guild_id, command, scope, scope_id, int(enabled), self._now()),
            )

    async def clear_command_scope(self, guild_id: int, command: str, scope: str, scope_id: int) -> bool:
        """Remove a rule so the next broader one (or the default, on) applies. True if there was one."""
        _check_scope(guild_id, scope, scope_id)
        async with self._write() as db:
            cur = await db.execute(
                "DELETE FROM command_rules WHERE guild_id = ? AND command = ? AND scope = ? AND scope_id = ?",
                (guild_id, command, scope, scope_id),
            )
            return cur.rowcount > 0

    async def command_enabled(self, guild_id: int, command: str, *, channel_id: int, category_id: int | None) -> bool:
        """Whether `command` may run in this channel: a channel rule beats a category rule beats a guild rule
        beats the default (on). For a thread, pass its parent channel's id (and that channel's category)."""
        rows = await self._all(
            "SELECT scope, enabled FROM command_rules WHERE guild_id = ? AND command = ? AND ("
            " (scope = 'channel' AND scope_id = ?) OR (scope = 'category' AND scope_id = ?)"
            " OR (scope = 'guild' AND scope_id = ?))",
            (guild_id, command, channel_id, category_id, guild_id),
        )
        by_scope = {row["scope"]: bool(row["enabled"]) for row in rows}
        for scope in SCOPES:
            if scope in by_scope:
                return by_scope[scope]
        return True

    async def set_cooldown(self, guild_id: int, command: str, seconds: int) -> None:
        """Set how long a member waits between two uses of `command`; 0 removes the cooldown."""
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= MAX_COOLDOWN_S:
            raise ValueError(
                f"A cooldown is a whole number of seconds from 0 to {MAX_COOLDOWN_S} (one day); 0 turns it off."
            )
        async with self._write() as db:
            if seconds == 0:
                await db.execute(
                    "DELETE FROM command_cooldowns WHERE guild_id = ? AND command = ?", (guild_id, command)
                )
            else:
                await db.execute(
                    "INSERT INTO command_cooldowns (guild_id, command, seconds, updated_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (guild_id, command) DO UPDATE SET"
                    " seconds = excluded.seconds, updated_at = excluded.updated_at",
                    (guild_id, command, seconds, self._now()),
                )

    async def cooldown(self, guild_id: int, command: str) -> int:
        """Seconds between two uses of `command` by one member; 0 = no cooldown."""
        row = await self._one(
            "SELECT seconds FROM command_cooldowns WHERE guild_id = ? AND command = ?", (guild_id, command)
        )
        return 0 if row is None else int(row["seconds"])

    async def set_mood_cap(self, guild_id: int, n: int) -> None:
        lo, hi = MOOD_CAP_RANGE
        if isinstance(n, bool) or not isinstance(n, int) or not lo <= n <= hi:
            raise ValueError(
                f"The mood cap must be a whole number from {lo} to {hi} (the default is {DEFAULT_MOOD_CAP})."
            )
        async with self._write() as db:
            await db.execute(
                "INSERT INTO guild_config (guild_id, mood_cap, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET mood_cap = excluded.mood_cap, updated_at = excluded.updated_at",
                (guild_id, n, self._now()),
            )

    async def pin_language(self, guild_id: int, scope: str, scope_id: int, locale: str | None) -> None:
        """Pin the replies' language server-wide (`scope` 'guild') or in one channel; None takes the pin away."""
        async with self._write() as db:
            if locale is None:
                await db.execute("DELETE FROM language_pins WHERE guild_id = ? AND scope = ? AND scope_id = ?",
                                 (guild_id, scope, scope_id))
            else:
                await db.execute(
                    "INSERT INTO language_pins (guild_id, scope, scope_id, locale, updated_at) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (guild_id, scope, scope_id) DO UPDATE SET locale = excluded.locale,"
                    " updated_at = excluded.updated_at", (guild_id, scope, scope_id, locale, self._now()))

    async def language_pins(self, guild_id: int) -> dict[tuple[str, int], str]:
        """The server's pins: (scope, scope_id) -> locale."""
        rows = await self._all("SELECT scope, scope_id, locale FROM language_pins WHERE guild_id = ?", (guild_id,))
        return {(r["scope"], int(r["scope_id"])): str(r["locale"]) for r in rows}

    async def pinned_language(self, guild_id: int, channel_id: int | None) -> str | None:
        """The language pinned for replies in this channel, else server-wide; None where the member's own holds."""
        row = await self._one(
            "SELECT locale FROM language_pins WHERE guild_id = ? AND ((scope = 'channel' AND scope_id = ?)"
            " OR scope = 'guild') ORDER BY CASE scope WHEN 'channel' THEN 0 ELSE 1 END LIMIT 1",
            (guild_id, channel_id or 0))
        return None if row is None else str(row["locale"])

    async def mood_cap(self, guild_id: int) -> int:
        row = await self._one("SELECT mood_cap FROM guild_config WHERE guild_id = ?", (guild_id,))
        return DEFAULT_MOOD_CAP if row is None else int(row["mood_cap"])

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        rules = await self._all(
            "SELECT command, scope, scope_id, enabled FROM command_rules WHERE guild_id = ?"
            " ORDER BY command, CASE scope WHEN 'guild' THEN 0 WHEN 'category' THEN 1 ELSE 2 END, scope_id",
            (guild_id,),
        )
        cooldowns = await self._all(
            "SELECT command, seconds FROM command_cooldowns WHERE guild_id = ? ORDER BY command", (guild_id,)
        )
        return GuildSettings(
            guild_id=guild_id,
            rules=[CommandRule(r["command"], r["scope"], r["scope_id"], bool(r["enabled"])) for r in rules],
            cooldowns={r["command"]: int(r["seconds"]) for r in cooldowns},
            mood_cap=await self.mood_cap(guild_id),
        )

    # -- film nights (/filmnight; see bot/nights.py) ---------------------------------------------------------------
    async def create_night(self, *, guild_id: int, channel_id: int, planned_by: int, starts_at: datetime,
                           place_channel_id: int | None, place: str | None, theme: str | None, mood: str | None,
                           liked_film_id: int | None, poll_hours: int, poll_ends_at: datetime, locale: str,
                           candidates: list[tuple[int, int | None]], timers: dict[str, datetime]) -> int:
        """Record a night in voting with its candidates ((film id, suggested by), in the poll's order) and its
        timers, in one transaction; returns its id."""
        now = self._now()
        async with self._write() as db:
            cur = await db.execute(
                "INSERT INTO film_nights (guild_id, channel_id, planned_by, starts_at, place_channel_id, place, theme,"
                " mood, liked_film_id, poll_hours, poll_ends_at, locale, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (guild_id, channel_id, planned_by, _iso(starts_at), place_channel_id, place, theme, mood,
                 liked_film_id, poll_hours, _iso(poll_ends_at), locale, now, now))
            night_id = int(cur.lastrowid or 0)
            await db.executemany(
                "INSERT INTO night_candidates (night_id, answer_id, film_id, suggested_by) VALUES (?, ?, ?, ?)",
                [(night_id, answer, film, by) for answer, (film, by) in enumerate(candidates, start=1)])
            await db.executemany("INSERT INTO night_timers (night_id, kind, due_at) VALUES (?, ?, ?)",
                                 [(night_id, kind, _iso(due)) for kind, due in timers.items()])
        return night_id

    async def set_night_poll(self, night_id: int, message_id: int) -> None:
        async with self._write() as db:
            await db.execute("UPDATE film_nights SET poll_message_id = ?, updated_at = ? WHERE id = ?",
                             (message_id, self._now(), night_id))

    async def night(self, night_id: int) -> NightRow | None:
        row = await self._one("SELECT * FROM film_nights WHERE id = ?", (night_id,))
        return None if row is None else NightRow.from_row(row)

    async def nights(self, guild_id: int, limit: int = 10) -> list[NightRow]:
        """The server's nights, the latest first."""
        rows = await self._all("SELECT * FROM film_nights WHERE guild_id = ? ORDER BY starts_at DESC, id DESC LIMIT ?",
                               (guild_id, limit))
        return [NightRow.from_row(r) for r in rows]

    async def night_of_event(self, guild_id: int, event_id: int) -> NightRow | None:
        row = await self._one("SELECT * FROM film_nights WHERE guild_id = ? AND event_id = ?", (guild_id, event_id))
        return None if row is None else NightRow.from_row(row)

    async def night_candidates(self, night_id: int) -> list[CandidateRow]:
        rows = await self._all("SELECT answer_id, film_id, suggested_by, votes FROM night_candidates"
                               " WHERE night_id = ? ORDER BY answer_id", (night_id,))
        return [CandidateRow(int(r["answer_id"]), int(r["film_id"]), r["suggested_by"], r["votes"]) for r in rows]

    async def due_timers(self, now: datetime) -> list[TimerRow]:
        rows = await self._all("SELECT night_id, kind, due_at, tries FROM night_timers WHERE done_at IS NULL"
                               " AND due_at <= ? ORDER BY due_at, night_id", (_iso(now),))
        return [TimerRow(int(r["night_id"]), str(r["kind"]), _parse(r["due_at"]), int(r["tries"])) for r in rows]

    async def next_timer(self) -> datetime | None:
        row = await self._one("SELECT MIN(due_at) AS due FROM night_timers WHERE done_at IS NULL")
        return None if row is None or row["due"] is None else _parse(row["due"])

    async def finish_timer(self, night_id: int, kind: str) -> None:
        async with self._write() as db:
            await db.execute("UPDATE night_timers SET done_at = ? WHERE night_id = ? AND kind = ?",
                             (self._now(), night_id, kind))

    async def retry_timer(self, night_id: int, kind: str, due_at: datetime) -> None:
        async with self._write() as db:
            await db.execute("UPDATE night_timers SET due_at = ?, tries = tries + 1 WHERE night_id = ? AND kind = ?",
                             (_iso(due_at), night_id, kind))

    async def set_timer(self, night_id: int, kind: str, due_at: datetime) -> None:
        async with self._write() as db:
            await db.execute("INSERT INTO night_timers (night_id, kind, due_at) VALUES (?, ?, ?) ON CONFLICT"
                             " (night_id, kind) DO UPDATE SET due_at = excluded.due_at, done_at = NULL, tries = 0",
                             (night_id, kind, _iso(due_at)))

    async def close_night_poll(self, night: NightRow, votes: dict[int, int], winner_film_id: int) -> None:
        """The poll's counts (answer id -> votes) and its winner; the winner leaves the suggestions, the other
        suggestions of this poll stay for the next one (counted as carried over)."""
        async with self._write() as db:
            await db.executemany("UPDATE night_candidates SET votes = ? WHERE night_id = ? AND answer_id = ?",
                                 [(count, night.id, answer) for answer, count in votes.items()])
            await db.execute("UPDATE film_nights SET status = 'scheduled', winner_film_id = ?, votes = ?,"
                             " updated_at = ? WHERE id = ?",
                             (winner_film_id, sum(votes.values()), self._now(), night.id))
            await db.execute("DELETE FROM night_suggestions WHERE guild_id = ? AND film_id = ?",
                             (night.guild_id, winner_film_id))
            await db.execute("UPDATE night_suggestions SET polls = polls + 1 WHERE guild_id = ? AND film_id IN"
                             " (SELECT film_id FROM night_candidates WHERE night_id = ?)", (night.guild_id, night.id))

    async def set_night_event(self, night_id: int, event_id: int) -> None:
        async with self._write() as db:
            await db.execute("UPDATE film_nights SET event_id = ?, updated_at = ? WHERE id = ?",
                             (event_id, self._now(), night_id))

    async def end_night(self, night_id: int, status: str, *, note: str | None = None, interested: int | None = None,
                        mood_summary: str | None = None) -> None:
        """A night done (with its recap), canceled or failed (with why); its remaining timers are dropped."""
        async with self._write() as db:
            await db.execute("UPDATE film_nights SET status = ?, note = COALESCE(?, note), interested ="
                             " COALESCE(?, interested), mood_summary = COALESCE(?, mood_summary), updated_at = ?"
                             " WHERE id = ?", (status, note, interested, mood_summary, self._now(), night_id))
            await db.execute("UPDATE night_timers SET done_at = ? WHERE night_id = ? AND done_at IS NULL",
                             (self._now(), night_id))

    async def set_night_interested(self, night_id: int, interested: int) -> None:
        async with self._write() as db:
            await db.execute("UPDATE film_nights SET interested = ?, updated_at = ? WHERE id = ?",
                             (interested, self._now(), night_id))

    async def mark_watched(self, guild_id: int, film_id: int, night_id: int | None) -> None:
        async with self._write() as db:
            await db.execute("INSERT INTO watched_films (guild_id, film_id, night_id, watched_at) VALUES (?, ?, ?, ?)"
                             " ON CONFLICT (guild_id, film_id) DO NOTHING", (guild_id, film_id, night_id, self._now()))
            await db.execute("DELETE FROM night_suggestions WHERE guild_id = ? AND film_id = ?", (guild_id, film_id))

    async def watched_films(self, guild_id: int) -> set[int]:
        rows = await self._all("SELECT film_id FROM watched_films WHERE guild_id = ?", (guild_id,))
        return {int(r["film_id"]) for r in rows}

    async def suggest_film(self, guild_id: int, film_id: int, user_id: int, limit: int) -> str:
        """Put a film forward for the next poll: 'added', 'already' (someone did) or 'full' (`limit` reached)."""
        async with self._write() as db:
            async with db.execute("SELECT COUNT(*) AS n, SUM(film_id = ?) AS same FROM night_suggestions"
                                  " WHERE guild_id = ?", (film_id, guild_id)) as cur:
                row = await cur.fetchone()
            if row is not None and row["same"]:
                return "already"
            if row is not None and int(row["n"]) >= limit:
                return "full"
            await db.execute("INSERT INTO night_suggestions (guild_id, film_id, user_id, created_at) VALUES"
                             " (?, ?, ?, ?)", (guild_id, film_id, user_id, self._now()))
        return "added"

    async def film_suggestions(self, guild_id: int) -> list[tuple[int, int]]:
        """(film id, who suggested it), the oldest first."""
        rows = await self._all("SELECT film_id, user_id FROM night_suggestions WHERE guild_id = ?"
                               " ORDER BY created_at, film_id", (guild_id,))
        return [(int(r["film_id"]), int(r["user_id"])) for r in rows]

    async def set_night_reminders(self, guild_id: int, user_id: int, on: bool) -> None:
        async with self._write() as db:
            if on:
                await db.execute("INSERT INTO night_reminders (guild_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                                 (guild_id, user_id))
            else:
                await db.execute("DELETE FROM night_reminders WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))

    async def night_reminded(self, guild_id: int) -> list[int]:
        rows = await self._all("SELECT user_id FROM night_reminders WHERE guild_id = ? ORDER BY user_id", (guild_id,))
        return [int(r["user_id"]) for r in rows]
