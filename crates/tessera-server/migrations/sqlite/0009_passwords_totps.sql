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
    requires_reset INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (project_id, user_id),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, user_id) ON DELETE CASCADE,
    CONSTRAINT user_passwords_id_key UNIQUE (project_id, password_id)
) STRICT;

-- Authenticator-app registrations. The seed and the ten recovery codes are sealed with the
-- master key (the codes only because /totps/recovery_codes shows them again; they are
-- checked against totp_recovery_codes' digests). last_step is the newest 30-second step
-- accepted, so a code works once; an unverified registration must be completed by expires_at.
CREATE TABLE user_totps (
    project_id      TEXT NOT NULL,
    totp_id         TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    secret_sealed   BLOB NOT NULL,
    recovery_sealed BLOB NOT NULL,
    verified        INTEGER NOT NULL DEFAULT 0,
    last_step       INTEGER,
    expires_at      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (project_id, totp_id),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, user_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX user_totps_user ON user_totps (project_id, user_id);

CREATE TABLE totp_recovery_codes (
    project_id  TEXT NOT NULL,
    totp_id     TEXT NOT NULL,
    code_id     TEXT NOT NULL,
    code_digest BLOB NOT NULL,
    used_at     INTEGER,
    PRIMARY KEY (project_id, totp_id, code_digest),
    FOREIGN KEY (project_id, totp_id) REFERENCES user_totps (project_id, totp_id) ON DELETE CASCADE
) STRICT;

-- Password reset links: the token's digest, single use.
CREATE TABLE password_resets (
    project_id     TEXT NOT NULL,
    token_digest   BLOB NOT NULL,
    user_id        TEXT NOT NULL,
    email_id       TEXT NOT NULL,
    code_challenge TEXT,
    ip_address     TEXT NOT NULL,
    user_agent     TEXT NOT NULL,
    expires_at     INTEGER NOT NULL,
    PRIMARY KEY (project_id, token_digest),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, user_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX password_resets_expiry ON password_resets (expires_at);

-- Both show in the user object: bump the user's version (see 0004).
CREATE TRIGGER user_passwords_version_insert AFTER INSERT ON user_passwords
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = NEW.project_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER user_passwords_version_update AFTER UPDATE ON user_passwords
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = NEW.project_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER user_passwords_version_delete AFTER DELETE ON user_passwords
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = OLD.project_id AND user_id = OLD.user_id;
END;
CREATE TRIGGER user_totps_version_insert AFTER INSERT ON user_totps
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = NEW.project_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER user_totps_version_update AFTER UPDATE OF verified ON user_totps
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = NEW.project_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER user_totps_version_delete AFTER DELETE ON user_totps
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = OLD.project_id AND user_id = OLD.user_id;
END;
