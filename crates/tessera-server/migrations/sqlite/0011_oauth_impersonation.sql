-- OAuth and OpenID Connect logins, impersonation and session import.

-- Impersonation allowed or not, and the userinfo URL sessions/migrate calls, as a JSON object
-- of overrides. Set with `tessera project update --impersonation --migrate-userinfo-url`.
ALTER TABLE projects ADD COLUMN identity_policy TEXT NOT NULL DEFAULT '{}';

-- A project's OAuth providers: `settings` is JSON (client id, scopes, issuer, endpoint
-- overrides, Apple's team and key ids); the client secret (Apple: its private key) is sealed.
CREATE TABLE oauth_providers (
    project_id    TEXT NOT NULL REFERENCES projects (project_id) ON DELETE CASCADE,
    provider      TEXT NOT NULL,
    settings      TEXT NOT NULL,
    secret_sealed BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (project_id, provider)
) STRICT;

-- A browser's flow between start and callback, found by the digest (hex) of its `state`; the
-- digest of the browser's binding cookie must match; nonce, PKCE verifier and the app's
-- redirect URLs are sealed. Single use: the callback deletes the row.
CREATE TABLE oauth_states (
    state_digest   TEXT NOT NULL PRIMARY KEY,
    project_id     TEXT NOT NULL,
    browser_digest BLOB NOT NULL,
    flow_sealed    BLOB NOT NULL,
    expires_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);

-- The user's links to provider accounts (the user object's `providers`).
CREATE TABLE user_oauth_registrations (
    project_id          TEXT NOT NULL,
    registration_id     TEXT NOT NULL,
    user_id             TEXT NOT NULL,
    provider            TEXT NOT NULL,
    provider_subject    TEXT NOT NULL,
    email_id            TEXT,
    profile_picture_url TEXT NOT NULL DEFAULT '',
    locale              TEXT NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL,
    PRIMARY KEY (project_id, registration_id),
    CONSTRAINT user_oauth_registrations_subject UNIQUE (project_id, provider, provider_subject),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, user_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX user_oauth_registrations_user ON user_oauth_registrations (project_id, user_id);

-- The single-use token the callback hands the app (`stytch_token_type=oauth&token=`), by
-- digest (hex); the provider's tokens are sealed until oauth/authenticate returns them.
CREATE TABLE oauth_tokens (
    project_id      TEXT NOT NULL,
    token_digest    TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    registration_id TEXT NOT NULL,
    grant_sealed    BLOB NOT NULL,
    code_challenge  TEXT,
    expires_at      INTEGER NOT NULL,
    PRIMARY KEY (project_id, token_digest),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, user_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX oauth_tokens_expiry ON oauth_tokens (expires_at);

-- oauth/attach's single-use token: the next OAuth flow that presents it logs into this user.
CREATE TABLE oauth_attach_tokens (
    project_id   TEXT NOT NULL,
    token_digest BLOB NOT NULL,
    user_id      TEXT NOT NULL,
    provider     TEXT NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (project_id, token_digest),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, user_id) ON DELETE CASCADE
) STRICT;

-- Impersonation tokens minted by an administrator, single use, by digest.
CREATE TABLE impersonation_tokens (
    project_id         TEXT NOT NULL,
    token_digest       BLOB NOT NULL,
    user_id            TEXT NOT NULL,
    impersonator_id    TEXT NOT NULL,
    impersonator_email TEXT NOT NULL,
    reason             TEXT NOT NULL,
    expires_at         INTEGER NOT NULL,
    PRIMARY KEY (project_id, token_digest),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, user_id) ON DELETE CASCADE
) STRICT;

-- Registrations show in the user object: bump the user's version (see 0004).
CREATE TRIGGER user_oauth_registrations_version_insert AFTER INSERT ON user_oauth_registrations
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = NEW.project_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER user_oauth_registrations_version_update AFTER UPDATE ON user_oauth_registrations
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = NEW.project_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER user_oauth_registrations_version_delete AFTER DELETE ON user_oauth_registrations
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = OLD.project_id AND user_id = OLD.user_id;
END;
