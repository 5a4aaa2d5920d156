-- Film nights (/filmnight): a native poll of catalog films, the winner as a scheduled event, reminders and a recap.
-- Every step waits in `night_timers`, so that a restart picks up what was due while the bot was away.

CREATE TABLE film_nights (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    channel_id       INTEGER NOT NULL,          -- where the poll, the announcement and the recap go
    planned_by       INTEGER NOT NULL,
    starts_at        TEXT    NOT NULL,          -- UTC, ISO 8601
    place_channel_id INTEGER,                   -- a voice or stage channel of the server, or
    place            TEXT,                      -- a place outside Discord ("the Rex, screen 2")
    theme            TEXT,
    mood             TEXT,
    liked_film_id    INTEGER,
    poll_hours       INTEGER NOT NULL,
    poll_message_id  INTEGER,
    poll_ends_at     TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'voting'
                     CHECK (status IN ('voting', 'scheduled', 'done', 'canceled', 'failed')),
    winner_film_id   INTEGER,
    votes            INTEGER,                   -- votes cast in the poll, when it closed
    event_id         INTEGER,
    interested       INTEGER,                   -- members who marked the event "Interested", last seen
    mood_summary     TEXT,                      -- the recap's shares, for /filmnight history
    note             TEXT,                      -- why a night failed, for the moderators
    locale           TEXT    NOT NULL DEFAULT 'en',
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
);
CREATE INDEX film_nights_guild ON film_nights (guild_id, starts_at);

-- The poll's answers: the catalog film behind each, and who suggested it (NULL: the bot's pick).
CREATE TABLE night_candidates (
    night_id     INTEGER NOT NULL REFERENCES film_nights (id) ON DELETE CASCADE,
    answer_id    INTEGER NOT NULL,             -- Discord's answer id, 1..10, in the poll's order
    film_id      INTEGER NOT NULL,
    suggested_by INTEGER,
    votes        INTEGER,
    PRIMARY KEY (night_id, answer_id)
);

-- Films members put forward for the next poll (/filmnight suggest); a suggestion that loses stays for the next.
CREATE TABLE night_suggestions (
    guild_id     INTEGER NOT NULL,
    film_id      INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    created_at   TEXT    NOT NULL,
    polls        INTEGER NOT NULL DEFAULT 0,   -- polls it has been in without winning
    PRIMARY KEY (guild_id, film_id)
);

-- Films a server has watched together: never a candidate again.
CREATE TABLE watched_films (
    guild_id   INTEGER NOT NULL,
    film_id    INTEGER NOT NULL,
    night_id   INTEGER,
    watched_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, film_id)
);

-- What is due and when: the poll's close, the two reminders, the recap. `done_at` is set once it has run.
CREATE TABLE night_timers (
    night_id INTEGER NOT NULL REFERENCES film_nights (id) ON DELETE CASCADE,
    kind     TEXT    NOT NULL CHECK (kind IN ('remind_vote', 'close_poll', 'remind_night', 'recap')),
    due_at   TEXT    NOT NULL,
    done_at  TEXT,
    tries    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (night_id, kind)
);
CREATE INDEX night_timers_due ON night_timers (done_at, due_at);

-- Members who asked to be reminded of the server's film nights (/filmnight remind).
CREATE TABLE night_reminders (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
