-- The language replies are written in where the moderators pinned one (`/cinebot language`): server-wide (scope
-- 'guild') or in one channel (its threads follow it). Where none is pinned, a reply is in the member's own language.

CREATE TABLE language_pins (
    guild_id   INTEGER NOT NULL,
    scope      TEXT    NOT NULL CHECK (scope IN ('guild', 'channel')),
    scope_id   INTEGER NOT NULL,
    locale     TEXT    NOT NULL,         -- a locale of models/language.py's LANGUAGES ("en", "zh_CN", ...)
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, scope, scope_id)
);

-- The catalog the request's member reads the bot's messages in, so that a reply finished after a restart (and any
-- message about it) speaks to them as the first process did.
ALTER TABLE requests ADD COLUMN locale TEXT NOT NULL DEFAULT 'en';
