-- What the bot learns from reactions: the variant each reply was written in, when a server's moderators last made
-- a command forget what it learned, and "another take" pairs (the member's choice between two replies).

ALTER TABLE jobs ADD COLUMN variant TEXT;         -- the preset the reply was written in (models/tasks/variants.py)
ALTER TABLE jobs ADD COLUMN parent_job INTEGER REFERENCES jobs (id) ON DELETE SET NULL;  -- 🔁: the first take
CREATE INDEX jobs_by_variant ON jobs (guild_id, command, variant);

-- Reactions to jobs created before `forgot_at` no longer count for the command's variants.
CREATE TABLE learning_resets (
    guild_id  INTEGER NOT NULL,
    command   TEXT    NOT NULL,
    forgot_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, command)
) WITHOUT ROWID;

-- Two takes on one request; `chosen_job` is the one the members rated higher (NULL until they differ).
CREATE TABLE takes (
    first_job  INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    second_job INTEGER NOT NULL UNIQUE REFERENCES jobs (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    chosen_job INTEGER,
    created_at TEXT    NOT NULL,
    decided_at TEXT,
    PRIMARY KEY (first_job)
);
