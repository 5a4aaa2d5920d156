-- Requests in flight, kept so that a later process can finish them after a crash or a redeploy: the interaction's
-- webhook (the application id and the token, a secret Discord honours for 15 minutes; set to NULL as soon as the
-- request ends), the reply's message once known, how far the request got and how many processes began writing it.
-- The request itself (the member's options) is the job's `inputs`; the written reply is kept here before it is
-- delivered, so a crash between the two delivers it without writing it again.

CREATE TABLE requests (
    job_id         INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    application_id INTEGER NOT NULL,
    token          TEXT,                    -- NULL once the request is delivered, failed or expired
    token_expires  TEXT    NOT NULL,        -- when Discord stops honouring the token (UTC ISO-8601)
    message_id     INTEGER,                 -- the reply's message, once an edit has returned it
    author         TEXT,                    -- the heading's author line ("Ana's review"), if the reply has one
    state          TEXT    NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'running', 'written', 'delivered', 'failed', 'expired')),
    attempts       INTEGER NOT NULL DEFAULT 0,  -- processes that began writing it
    written        TEXT,                    -- JSON: the reply as written (text, raw text, figures), until delivered
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);
CREATE INDEX requests_unfinished ON requests (state) WHERE state IN ('queued', 'running', 'written');
