-- Users and the two factors that identify them (emails, phone numbers). Every row carries its
-- project_id, and every unique key is scoped to the project, so projects never see each other.
CREATE TABLE users (
    user_id            TEXT PRIMARY KEY,
    project_id         TEXT NOT NULL REFERENCES projects (project_id) ON DELETE CASCADE,
    status             TEXT NOT NULL,
    first_name         TEXT NOT NULL DEFAULT '',
    middle_name        TEXT NOT NULL DEFAULT '',
    last_name          TEXT NOT NULL DEFAULT '',
    trusted_metadata   TEXT NOT NULL DEFAULT '{}',
    untrusted_metadata TEXT NOT NULL DEFAULT '{}',
    external_id        TEXT,
    roles              TEXT NOT NULL DEFAULT '[]',
    lock_created_at    INTEGER,
    lock_expires_at    INTEGER,
    created_at         INTEGER NOT NULL,
    CONSTRAINT users_external_id_key UNIQUE (project_id, external_id)
) STRICT;
-- Search pages in (created_at, user_id) order.
CREATE INDEX users_project_created ON users (project_id, created_at, user_id);

CREATE TABLE user_emails (
    email_id   TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    email      TEXT NOT NULL,               -- lower-cased
    verified   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT user_emails_email_key UNIQUE (project_id, email)
) STRICT;
CREATE INDEX user_emails_user ON user_emails (user_id);

CREATE TABLE user_phone_numbers (
    phone_id     TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    phone_number TEXT NOT NULL,             -- E.164
    verified     INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    CONSTRAINT user_phone_numbers_phone_key UNIQUE (project_id, phone_number)
) STRICT;
CREATE INDEX user_phone_numbers_user ON user_phone_numbers (user_id);
