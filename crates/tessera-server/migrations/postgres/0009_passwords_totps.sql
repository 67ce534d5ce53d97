-- Passwords and authenticator apps (TOTP) with their recovery codes.

-- The project's password strength policy as a JSON object of overrides (strength "zxcvbn" or
-- "luds", luds_min_length, luds_complexity); absent keys take the defaults.
ALTER TABLE projects ADD COLUMN password_policy TEXT NOT NULL DEFAULT '{}';

-- One password per user. `hash` is an argon2id PHC string, or, for a hash imported by
-- migrate and not yet used, "legacy:" and a JSON object naming its algorithm and parameters
-- (replaced by argon2id on the first successful login).
CREATE TABLE user_passwords (
    project_id     TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    password_id    TEXT NOT NULL,
    hash           TEXT NOT NULL,
    requires_reset BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (project_id, user_id),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, user_id) ON DELETE CASCADE,
    CONSTRAINT user_passwords_id_key UNIQUE (project_id, password_id)
);

-- Authenticator-app registrations. The seed and the ten recovery codes are sealed with the
-- master key (the codes only because /totps/recovery_codes shows them again; they are
-- checked against totp_recovery_codes' digests). last_step is the newest 30-second step
-- accepted, so a code works once; an unverified registration must be completed by expires_at.
CREATE TABLE user_totps (
    project_id      TEXT NOT NULL,
    totp_id         TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    secret_sealed   BYTEA NOT NULL,
    recovery_sealed BYTEA NOT NULL,
    verified        BOOLEAN NOT NULL DEFAULT FALSE,
    last_step       BIGINT,
    expires_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (project_id, totp_id),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, user_id) ON DELETE CASCADE
);
CREATE INDEX user_totps_user ON user_totps (project_id, user_id);

CREATE TABLE totp_recovery_codes (
    project_id  TEXT NOT NULL,
    totp_id     TEXT NOT NULL,
    code_id     TEXT NOT NULL,
    code_digest BYTEA NOT NULL,
    used_at     BIGINT,
    PRIMARY KEY (project_id, totp_id, code_digest),
    FOREIGN KEY (project_id, totp_id) REFERENCES user_totps (project_id, totp_id) ON DELETE CASCADE
);

-- Password reset links: the token's digest, single use.
CREATE TABLE password_resets (
    project_id     TEXT NOT NULL,
    token_digest   BYTEA NOT NULL,
    user_id        TEXT NOT NULL,
    email_id       TEXT NOT NULL,
    code_challenge TEXT,
    ip_address     TEXT NOT NULL,
    user_agent     TEXT NOT NULL,
    expires_at     BIGINT NOT NULL,
    PRIMARY KEY (project_id, token_digest),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, user_id) ON DELETE CASCADE
);
CREATE INDEX password_resets_expiry ON password_resets (expires_at);

-- Both show in the user object: bump the user's version (see 0004).
CREATE TRIGGER user_passwords_version AFTER INSERT OR UPDATE OR DELETE ON user_passwords
    FOR EACH ROW EXECUTE FUNCTION user_factor_bump_version();
CREATE TRIGGER user_totps_version AFTER INSERT OR UPDATE OF verified OR DELETE ON user_totps
    FOR EACH ROW EXECUTE FUNCTION user_factor_bump_version();
