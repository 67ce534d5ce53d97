-- Users and the two factors that identify them (emails, phone numbers). Every key is scoped to
-- the project, so projects never see each other; keys are (project_id, id) because Stytch's
-- sandbox user has the same fixed id in every test project.
CREATE TABLE users (
    project_id         TEXT NOT NULL REFERENCES projects (project_id) ON DELETE CASCADE,
    user_id            TEXT NOT NULL,
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
    PRIMARY KEY (project_id, user_id),
    CONSTRAINT users_external_id_key UNIQUE (project_id, external_id)
) STRICT;
-- Search pages in (created_at, user_id) order.
CREATE INDEX users_project_created ON users (project_id, created_at, user_id);

CREATE TABLE user_emails (
    project_id TEXT NOT NULL,
    email_id   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    email      TEXT NOT NULL,               -- lower-cased
    verified   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (project_id, email_id),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, user_id) ON DELETE CASCADE,
    CONSTRAINT user_emails_email_key UNIQUE (project_id, email)
) STRICT;
CREATE INDEX user_emails_user ON user_emails (project_id, user_id);

CREATE TABLE user_phone_numbers (
    project_id   TEXT NOT NULL,
    phone_id     TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    phone_number TEXT NOT NULL,             -- E.164
    verified     INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (project_id, phone_id),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, user_id) ON DELETE CASCADE,
    CONSTRAINT user_phone_numbers_phone_key UNIQUE (project_id, phone_number)
) STRICT;
CREATE INDEX user_phone_numbers_user ON user_phone_numbers (project_id, user_id);
