-- Projects and their API secrets. Ids are Stytch's prefixed strings (TEXT); times are epoch
-- milliseconds (BIGINT) so that one SQL text serves SQLite and PostgreSQL alike.
CREATE TABLE projects (
    project_id         TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    live               BOOLEAN NOT NULL,
    public_token       TEXT NOT NULL UNIQUE,
    redirect_urls      TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
    authorized_origins TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
    created_at         BIGINT NOT NULL
);

-- Only the SHA-256 digest of a secret is stored; secrets carry 256 bits of entropy.
CREATE TABLE project_secrets (
    secret_digest BYTEA PRIMARY KEY,
    project_id    TEXT NOT NULL REFERENCES projects (project_id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL
);
CREATE INDEX project_secrets_project ON project_secrets (project_id);
