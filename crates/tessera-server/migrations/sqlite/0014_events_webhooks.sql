-- The event store, webhook endpoints and their outbox (the PostgreSQL tree says the same with
-- plpgsql functions; SQLite triggers are written out per table).
--
-- `events` holds every state change of a project, written in the same transaction as the change:
-- users and their factors by the triggers below (whatever code path writes them), sessions by
-- the store's session statements (which know the reason and the actor) and by the triggers for
-- what those do not cover (a session created; a session deleted with its user). Rows are kept
-- for the project's retention (`projects.event_retention_days`, else the server's
-- `--event-retention-days`) and then purged.
CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT NOT NULL,             -- event- and 128 random bits: unique without an index
    project_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,           -- epoch milliseconds
    type       TEXT NOT NULL,              -- session.created, user.factor_added, ...
    user_id    TEXT,
    session_id TEXT,
    actor      TEXT,                       -- user, project, admin, system; NULL when unknown
    data       TEXT NOT NULL DEFAULT '{}'  -- JSON object; never a secret, token or code
) STRICT;
CREATE INDEX events_by_project ON events (project_id, seq);
CREATE INDEX events_by_session ON events (project_id, session_id, seq) WHERE session_id IS NOT NULL;
CREATE INDEX events_by_user ON events (project_id, user_id, seq) WHERE user_id IS NOT NULL;
CREATE INDEX events_by_time ON events (project_id, created_at);

ALTER TABLE projects ADD COLUMN event_retention_days INTEGER;

-- Webhook endpoints: `event_types` is '*' or a comma-separated list of event types; the signing
-- secret (Standard Webhooks, `whsec_…`) is sealed with the master key.
CREATE TABLE webhook_endpoints (
    endpoint_id   TEXT PRIMARY KEY,
    project_id    TEXT NOT NULL REFERENCES projects (project_id) ON DELETE CASCADE,
    url           TEXT NOT NULL,
    event_types   TEXT NOT NULL,
    secret_sealed BLOB NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_endpoints_project ON webhook_endpoints (project_id);

-- The outbox: one row per (endpoint, event), inserted by the trigger on `events` in the
-- transaction of the change; the dispatcher claims due rows (`next_attempt_at` doubles as the
-- claim's lease) and records each attempt's outcome. The rows are the delivery log.
CREATE TABLE webhook_deliveries (
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (endpoint_id) ON DELETE CASCADE,
    event_seq       INTEGER NOT NULL,
    project_id      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL DEFAULT 'pending',  -- pending, delivered, failed
    last_status     INTEGER,                          -- HTTP status of the last attempt
    last_error      TEXT,
    delivered_at    INTEGER,
    PRIMARY KEY (endpoint_id, event_seq)
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, created_at);
CREATE INDEX webhook_deliveries_purge ON webhook_deliveries (project_id, created_at);

CREATE TRIGGER events_outbox AFTER INSERT ON events
BEGIN
    INSERT INTO webhook_deliveries (endpoint_id, event_seq, project_id, created_at, next_attempt_at)
    SELECT w.endpoint_id, NEW.seq, NEW.project_id, NEW.created_at, NEW.created_at
    FROM webhook_endpoints w
    WHERE w.project_id = NEW.project_id
      AND (w.event_types = '*' OR instr(',' || w.event_types || ',', ',' || NEW.type || ',') > 0);
END;

-- Users.
CREATE TRIGGER users_created AFTER INSERT ON users
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), NEW.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.created', NEW.user_id, NULL, json_object('status', NEW.status));
END;
CREATE TRIGGER users_deleted AFTER DELETE ON users
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), OLD.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.deleted', OLD.user_id, NULL, '{}');
END;
CREATE TRIGGER users_updated AFTER UPDATE ON users
WHEN OLD.status IS NOT NEW.status OR OLD.first_name IS NOT NEW.first_name
    OR OLD.middle_name IS NOT NEW.middle_name OR OLD.last_name IS NOT NEW.last_name
    OR OLD.trusted_metadata IS NOT NEW.trusted_metadata
    OR OLD.untrusted_metadata IS NOT NEW.untrusted_metadata
    OR OLD.external_id IS NOT NEW.external_id OR OLD.roles IS NOT NEW.roles
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), NEW.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.updated', NEW.user_id, NULL, json_object('status', NEW.status));
END;

-- Factors: added, verified (tables with a `verified` column), removed.
CREATE TRIGGER user_emails_added AFTER INSERT ON user_emails
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), NEW.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_added', NEW.user_id, NULL, json_object('factor', 'email', 'id', NEW.email_id, 'verified', json(CASE WHEN NEW.verified THEN 'true' ELSE 'false' END)));
END;
CREATE TRIGGER user_emails_removed AFTER DELETE ON user_emails
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), OLD.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_removed', OLD.user_id, NULL, json_object('factor', 'email', 'id', OLD.email_id));
END;
CREATE TRIGGER user_emails_verified AFTER UPDATE OF verified ON user_emails
WHEN NEW.verified AND NOT OLD.verified
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), NEW.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_verified', NEW.user_id, NULL, json_object('factor', 'email', 'id', NEW.email_id));
END;
CREATE TRIGGER user_phone_numbers_added AFTER INSERT ON user_phone_numbers
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), NEW.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_added', NEW.user_id, NULL, json_object('factor', 'phone_number', 'id', NEW.phone_id, 'verified', json(CASE WHEN NEW.verified THEN 'true' ELSE 'false' END)));
END;
CREATE TRIGGER user_phone_numbers_removed AFTER DELETE ON user_phone_numbers
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), OLD.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_removed', OLD.user_id, NULL, json_object('factor', 'phone_number', 'id', OLD.phone_id));
END;
CREATE TRIGGER user_phone_numbers_verified AFTER UPDATE OF verified ON user_phone_numbers
WHEN NEW.verified AND NOT OLD.verified
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), NEW.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_verified', NEW.user_id, NULL, json_object('factor', 'phone_number', 'id', NEW.phone_id));
END;
CREATE TRIGGER user_passwords_added AFTER INSERT ON user_passwords
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), NEW.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_added', NEW.user_id, NULL, json_object('factor', 'password', 'id', NEW.password_id, 'verified', json('true')));
END;
CREATE TRIGGER user_passwords_removed AFTER DELETE ON user_passwords
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), OLD.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_removed', OLD.user_id, NULL, json_object('factor', 'password', 'id', OLD.password_id));
END;
CREATE TRIGGER user_totps_added AFTER INSERT ON user_totps
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), NEW.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_added', NEW.user_id, NULL, json_object('factor', 'totp', 'id', NEW.totp_id, 'verified', json(CASE WHEN NEW.verified THEN 'true' ELSE 'false' END)));
END;
CREATE TRIGGER user_totps_removed AFTER DELETE ON user_totps
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), OLD.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_removed', OLD.user_id, NULL, json_object('factor', 'totp', 'id', OLD.totp_id));
END;
CREATE TRIGGER user_totps_verified AFTER UPDATE OF verified ON user_totps
WHEN NEW.verified AND NOT OLD.verified
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), NEW.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_verified', NEW.user_id, NULL, json_object('factor', 'totp', 'id', NEW.totp_id));
END;
CREATE TRIGGER user_oauth_registrations_added AFTER INSERT ON user_oauth_registrations
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), NEW.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_added', NEW.user_id, NULL, json_object('factor', 'oauth', 'id', NEW.registration_id, 'verified', json('true')));
END;
CREATE TRIGGER user_oauth_registrations_removed AFTER DELETE ON user_oauth_registrations
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), OLD.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_removed', OLD.user_id, NULL, json_object('factor', 'oauth', 'id', OLD.registration_id));
END;
CREATE TRIGGER user_webauthn_registrations_added AFTER INSERT ON user_webauthn_registrations
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), NEW.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_added', NEW.user_id, NULL, json_object('factor', 'webauthn', 'id', NEW.registration_id, 'verified', json('true')));
END;
CREATE TRIGGER user_webauthn_registrations_removed AFTER DELETE ON user_webauthn_registrations
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), OLD.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_removed', OLD.user_id, NULL, json_object('factor', 'webauthn', 'id', OLD.registration_id));
END;
CREATE TRIGGER user_crypto_wallets_added AFTER INSERT ON user_crypto_wallets
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), NEW.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_added', NEW.user_id, NULL, json_object('factor', 'crypto_wallet', 'id', NEW.wallet_id, 'verified', json(CASE WHEN NEW.verified THEN 'true' ELSE 'false' END)));
END;
CREATE TRIGGER user_crypto_wallets_removed AFTER DELETE ON user_crypto_wallets
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), OLD.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_removed', OLD.user_id, NULL, json_object('factor', 'crypto_wallet', 'id', OLD.wallet_id));
END;
CREATE TRIGGER user_crypto_wallets_verified AFTER UPDATE OF verified ON user_crypto_wallets
WHEN NEW.verified AND NOT OLD.verified
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), NEW.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'user.factor_verified', NEW.user_id, NULL, json_object('factor', 'crypto_wallet', 'id', NEW.wallet_id));
END;

-- Sessions: creation here, with the kinds of its factors only (an address they proved stays
-- out); a deletion the store did not explain first (it writes `session.revoked` before deleting)
-- is its user's deletion. Extensions, factors and claims are written by the store with the
-- change, which knows who made it.
CREATE TRIGGER sessions_created AFTER INSERT ON sessions
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), NEW.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'session.created', NEW.user_id, NEW.session_id, json_object('factors', (SELECT json_group_array(json_extract(f.value, '$.kind')) FROM json_each(NEW.factors) f), 'expires_at', NEW.expires_at, 'ip_address', NEW.ip_address, 'user_agent', NEW.user_agent));
END;
CREATE TRIGGER sessions_deleted AFTER DELETE ON sessions
WHEN OLD.expires_at > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    AND NOT EXISTS (SELECT 1 FROM events e WHERE e.project_id = OLD.project_id
        AND e.session_id = OLD.session_id AND e.type = 'session.revoked')
BEGIN
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || lower(hex(randomblob(16))), OLD.project_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'session.revoked', OLD.user_id, OLD.session_id, '{"reason":"user_deleted"}');
END;
