-- The administrators of the admin console (`tessera serve --admin`), made by
-- `tessera admin create EMAIL`: a password (argon2id) and a TOTP seed (sealed under the master
-- key) each; `last_totp_step` refuses a code used twice. Their sessions are short and stored by
-- the digest of their token, with the CSRF value of their forms.
CREATE TABLE admins (
    admin_id       TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    totp_sealed    BYTEA NOT NULL,
    last_totp_step BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL
);

CREATE TABLE admin_sessions (
    token_digest BYTEA PRIMARY KEY,
    admin_id     TEXT NOT NULL REFERENCES admins (admin_id) ON DELETE CASCADE,
    csrf         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX admin_sessions_expiry ON admin_sessions (expires_at);
