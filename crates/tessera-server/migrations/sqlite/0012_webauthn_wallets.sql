-- WebAuthn registrations (passkeys) and crypto wallets, with their single-use challenges.

-- A user's WebAuthn credentials. `credential` is the verified credential as JSON (public key,
-- sign counter, flags, policy); `credential_id` is base64url and unique in a project, so one
-- authenticator's credential cannot be registered twice.
CREATE TABLE user_webauthn_registrations (
    project_id         TEXT NOT NULL,
    registration_id    TEXT NOT NULL,
    user_id            TEXT NOT NULL,
    domain             TEXT NOT NULL,
    credential_id      TEXT NOT NULL,
    user_handle        TEXT NOT NULL,
    credential         TEXT NOT NULL,
    public_key         TEXT NOT NULL DEFAULT '',
    sign_count         INTEGER NOT NULL DEFAULT 0,
    authenticator_type TEXT NOT NULL DEFAULT '',
    user_agent         TEXT NOT NULL DEFAULT '',
    name               TEXT NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL,
    last_used_at       INTEGER,
    PRIMARY KEY (project_id, registration_id),
    CONSTRAINT user_webauthn_registrations_credential UNIQUE (project_id, credential_id),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, user_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX user_webauthn_registrations_user ON user_webauthn_registrations (project_id, user_id);

-- A ceremony between start and finish, found by the digest of its challenge (the browser
-- echoes the challenge in clientDataJSON). Single use: the finish deletes the row.
CREATE TABLE webauthn_challenges (
    project_id       TEXT NOT NULL,
    challenge_digest BLOB NOT NULL,
    purpose          TEXT NOT NULL,
    user_id          TEXT,
    domain           TEXT NOT NULL,
    ceremony         TEXT NOT NULL,
    expires_at       INTEGER NOT NULL,
    PRIMARY KEY (project_id, challenge_digest)
) STRICT;
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);

-- A user's wallets; `address` is canonical (EIP-55 for Ethereum, base58 for Solana).
CREATE TABLE user_crypto_wallets (
    project_id  TEXT NOT NULL,
    wallet_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    wallet_type TEXT NOT NULL,
    address     TEXT NOT NULL,
    verified    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (project_id, wallet_id),
    CONSTRAINT user_crypto_wallets_address UNIQUE (project_id, wallet_type, address),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, user_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX user_crypto_wallets_user ON user_crypto_wallets (project_id, user_id);

-- The one live challenge of a wallet (a new start replaces it), taken once by authenticate.
CREATE TABLE crypto_wallet_challenges (
    project_id  TEXT NOT NULL,
    wallet_type TEXT NOT NULL,
    address     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    challenge   TEXT NOT NULL,
    siwe        INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (project_id, wallet_type, address)
) STRICT;
CREATE INDEX crypto_wallet_challenges_expiry ON crypto_wallet_challenges (expires_at);

-- Both show in the user object: bump the user's version (see 0004).
CREATE TRIGGER user_webauthn_registrations_version_insert AFTER INSERT ON user_webauthn_registrations
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = NEW.project_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER user_webauthn_registrations_version_update
    AFTER UPDATE OF name, domain, authenticator_type, user_agent ON user_webauthn_registrations
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = NEW.project_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER user_webauthn_registrations_version_delete AFTER DELETE ON user_webauthn_registrations
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = OLD.project_id AND user_id = OLD.user_id;
END;
CREATE TRIGGER user_crypto_wallets_version_insert AFTER INSERT ON user_crypto_wallets
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = NEW.project_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER user_crypto_wallets_version_update AFTER UPDATE ON user_crypto_wallets
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = NEW.project_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER user_crypto_wallets_version_delete AFTER DELETE ON user_crypto_wallets
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = OLD.project_id AND user_id = OLD.user_id;
END;
