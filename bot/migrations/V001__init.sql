-- cinebot's first schema: jobs, the bot's reply messages, reaction feedback, per-guild command settings.
-- Applied by bot.store inside one transaction together with PRAGMA user_version; no BEGIN/COMMIT here.
-- Timestamps are UTC ISO-8601 strings with microseconds, e.g. 2025-01-31T20:15:00.123456+00:00.

CREATE TABLE jobs (
    id                INTEGER PRIMARY KEY,
    guild_id          INTEGER,                 -- NULL in DMs and on the command line
    channel_id        INTEGER,
    user_id           INTEGER NOT NULL,
    command           TEXT    NOT NULL,
    inputs            TEXT    NOT NULL,        -- JSON object: the command's validated input
    prompt            TEXT    NOT NULL,        -- JSON list of {"role", "content"} messages sent to the model
    settings          TEXT    NOT NULL,        -- JSON object: generation settings
    model             TEXT    NOT NULL,
    status            TEXT    NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'done', 'failed', 'cancelled', 'rejected')),
    output            TEXT,                    -- the cleaned reply as shown
    raw_output        TEXT,                    -- the model's text before post-processing
    error             TEXT,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    queue_s           REAL,
    generate_s        REAL,
    created_at        TEXT    NOT NULL,
    finished_at       TEXT
);
CREATE INDEX jobs_by_guild_command ON jobs (guild_id, command, status);

-- The bot's Discord messages; a reply split over several messages has one row per part.
CREATE TABLE replies (
    message_id INTEGER PRIMARY KEY,
    job_id     INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    channel_id INTEGER NOT NULL,
    guild_id   INTEGER,
    part       INTEGER NOT NULL DEFAULT 0 CHECK (part >= 0),
    created_at TEXT    NOT NULL
);
CREATE INDEX replies_by_job ON replies (job_id, part);

-- One row per (message, user, emoji); removing a reaction keeps the row with active = 0.
CREATE TABLE feedback (
    message_id INTEGER NOT NULL REFERENCES replies (message_id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    emoji      TEXT    NOT NULL,
    score      INTEGER NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    job_id     INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    guild_id   INTEGER,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    removed_at TEXT,
    PRIMARY KEY (message_id, user_id, emoji)
) WITHOUT ROWID;
CREATE INDEX feedback_by_job ON feedback (job_id, active);
CREATE INDEX feedback_by_guild ON feedback (guild_id, active);

-- Where a command is switched on or off. Precedence: channel > category > guild > default (on).
CREATE TABLE command_rules (
    guild_id   INTEGER NOT NULL,
    command    TEXT    NOT NULL,
    scope      TEXT    NOT NULL CHECK (scope IN ('channel', 'category', 'guild')),
    scope_id   INTEGER NOT NULL,               -- channel id, category id, or the guild's own id
    enabled    INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, command, scope, scope_id)
) WITHOUT ROWID;

CREATE TABLE command_cooldowns (
    guild_id   INTEGER NOT NULL,
    command    TEXT    NOT NULL,
    seconds    INTEGER NOT NULL CHECK (seconds > 0),
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, command)
) WITHOUT ROWID;

CREATE TABLE guild_config (
    guild_id   INTEGER PRIMARY KEY,
    mood_cap   INTEGER NOT NULL CHECK (mood_cap BETWEEN 1 AND 500),
    updated_at TEXT    NOT NULL
);
