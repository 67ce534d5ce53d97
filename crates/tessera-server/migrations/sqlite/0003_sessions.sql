-- Session signing keys, sessions and the single-use secrets that create them (magic links and
-- one-time passcodes). Tokens and codes are stored only as SHA-256 digests.

-- RS256 keys, one current (retired_at IS NULL) per project. A retired key stays published in
-- the JWKS until every JWT it signed has expired.
CREATE TABLE signing_keys (
    project_id  TEXT NOT NULL REFERENCES projects (project_id) ON DELETE CASCADE,
    kid         TEXT NOT NULL,
    private_key BLOB NOT NULL,             -- PKCS#8 DER; never logged, never served
    n           TEXT NOT NULL,             -- public modulus, base64url
    e           TEXT NOT NULL,             -- public exponent, base64url
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER,
    PRIMARY KEY (project_id, kid)
) STRICT;
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (project_id) WHERE retired_at IS NULL;

CREATE TABLE sessions (
    project_id       TEXT NOT NULL,
    session_id       TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    token_digest     BLOB NOT NULL,
    started_at       INTEGER NOT NULL,
    last_accessed_at INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    ip_address       TEXT NOT NULL DEFAULT '',
    user_agent       TEXT NOT NULL DEFAULT '',
    factors          TEXT NOT NULL DEFAULT '[]',   -- JSON array of authentication factors
    custom_claims    TEXT NOT NULL DEFAULT '{}',   -- JSON object
    PRIMARY KEY (project_id, session_id),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, user_id) ON DELETE CASCADE,
    CONSTRAINT sessions_token_key UNIQUE (project_id, token_digest)
) STRICT;
CREATE INDEX sessions_user ON sessions (project_id, user_id, expires_at);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- kind: login, signup, invite or embedded. used_at makes a token single-use: it is set by one
-- conditional UPDATE, which only one of many concurrent requests can win.
CREATE TABLE magic_links (
    project_id     TEXT NOT NULL,
    token_digest   BLOB NOT NULL,
    user_id        TEXT NOT NULL,
    email_id       TEXT,                       -- NULL for embeddable links
    kind           TEXT NOT NULL,
    code_challenge TEXT,                       -- PKCE S256 challenge
    ip_address     TEXT NOT NULL DEFAULT '',
    user_agent     TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER,
    PRIMARY KEY (project_id, token_digest),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, user_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX magic_links_user ON magic_links (project_id, user_id);
CREATE INDEX magic_links_expires ON magic_links (expires_at);

-- One live code per method (email_id or phone_id): a new send replaces the old code.
CREATE TABLE otp_codes (
    project_id  TEXT NOT NULL,
    method_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    channel     TEXT NOT NULL,                 -- sms, whatsapp or email
    code_digest BLOB NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    ip_address  TEXT NOT NULL DEFAULT '',
    user_agent  TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (project_id, method_id),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, user_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX otp_codes_expires ON otp_codes (expires_at);
