-- The event store, webhook endpoints and their outbox.
--
-- `events` holds every state change of a project, written in the same transaction as the change:
-- users and their factors by the triggers below (whatever code path writes them), sessions by
-- the store's session statements (which know the reason and the actor) and by the triggers for
-- what those do not cover (a session created; a session deleted with its user). Rows are kept
-- for the project's retention (`projects.event_retention_days`, else the server's
-- `--event-retention-days`) and then purged.
CREATE TABLE events (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id   TEXT NOT NULL,             -- event- and 128 random bits: unique without an index
    project_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,           -- epoch milliseconds
    type       TEXT NOT NULL,             -- session.created, user.factor_added, ...
    user_id    TEXT,
    session_id TEXT,
    actor      TEXT,                      -- user, project, admin, system; NULL when unknown
    data       TEXT NOT NULL DEFAULT '{}' -- JSON object; never a secret, token or code
);
CREATE INDEX events_by_project ON events (project_id, seq);
CREATE INDEX events_by_session ON events (project_id, session_id, seq) WHERE session_id IS NOT NULL;
CREATE INDEX events_by_user ON events (project_id, user_id, seq) WHERE user_id IS NOT NULL;
CREATE INDEX events_by_time ON events (project_id, created_at);

ALTER TABLE projects ADD COLUMN event_retention_days BIGINT;

-- Webhook endpoints: `event_types` is '*' or a comma-separated list of event types; the signing
-- secret (Standard Webhooks, `whsec_…`) is sealed with the master key.
CREATE TABLE webhook_endpoints (
    endpoint_id   TEXT PRIMARY KEY,
    project_id    TEXT NOT NULL REFERENCES projects (project_id) ON DELETE CASCADE,
    url           TEXT NOT NULL,
    event_types   TEXT NOT NULL,
    secret_sealed BYTEA NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_project ON webhook_endpoints (project_id);

-- The outbox: one row per (endpoint, event), inserted by the trigger on `events` in the
-- transaction of the change; the dispatcher claims due rows (`next_attempt_at` doubles as the
-- claim's lease) and records each attempt's outcome. The rows are the delivery log.
CREATE TABLE webhook_deliveries (
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (endpoint_id) ON DELETE CASCADE,
    event_seq       BIGINT NOT NULL,
    project_id      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL DEFAULT 'pending',  -- pending, delivered, failed
    last_status     INTEGER,                          -- HTTP status of the last attempt
    last_error      TEXT,
    delivered_at    BIGINT,
    PRIMARY KEY (endpoint_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, created_at);
CREATE INDEX webhook_deliveries_purge ON webhook_deliveries (project_id, created_at);

CREATE FUNCTION tessera_now_ms() RETURNS BIGINT LANGUAGE sql VOLATILE AS $$
    SELECT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT
$$;

CREATE FUNCTION tessera_event(p TEXT, t TEXT, u TEXT, s TEXT, d TEXT) RETURNS void
LANGUAGE sql VOLATILE AS $$
    INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, data)
    VALUES ('event-' || replace(gen_random_uuid()::text, '-', ''), p, tessera_now_ms(), t, u, s, d)
$$;

CREATE FUNCTION events_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (endpoint_id, event_seq, project_id, created_at, next_attempt_at)
    SELECT w.endpoint_id, NEW.seq, NEW.project_id, NEW.created_at, NEW.created_at
    FROM webhook_endpoints w
    WHERE w.project_id = NEW.project_id
      AND (w.event_types = '*' OR position(',' || NEW.type || ',' IN ',' || w.event_types || ',') > 0);
    RETURN NULL;
END
$$;
CREATE TRIGGER events_outbox AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_outbox();

-- Users.
CREATE FUNCTION users_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM tessera_event(NEW.project_id, 'user.created', NEW.user_id, NULL,
            json_build_object('status', NEW.status)::text);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM tessera_event(OLD.project_id, 'user.deleted', OLD.user_id, NULL, '{}');
    ELSIF (OLD.status, OLD.first_name, OLD.middle_name, OLD.last_name, OLD.trusted_metadata,
           OLD.untrusted_metadata, OLD.external_id, OLD.roles)
          IS DISTINCT FROM
          (NEW.status, NEW.first_name, NEW.middle_name, NEW.last_name, NEW.trusted_metadata,
           NEW.untrusted_metadata, NEW.external_id, NEW.roles) THEN
        PERFORM tessera_event(NEW.project_id, 'user.updated', NEW.user_id, NULL,
            json_build_object('status', NEW.status)::text);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_events AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION users_events();

-- Factors: TG_ARGV[0] is the factor's kind, TG_ARGV[1] its id column. A table without a
-- `verified` column has no verification event.
CREATE FUNCTION factor_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row JSONB := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_row JSONB := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM tessera_event(NEW.project_id, 'user.factor_added', NEW.user_id, NULL,
            json_build_object('factor', TG_ARGV[0], 'id', new_row ->> TG_ARGV[1],
                'verified', COALESCE((new_row ->> 'verified')::boolean, true))::text);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM tessera_event(OLD.project_id, 'user.factor_removed', OLD.user_id, NULL,
            json_build_object('factor', TG_ARGV[0], 'id', old_row ->> TG_ARGV[1])::text);
    ELSIF (new_row ->> 'verified')::boolean AND NOT (old_row ->> 'verified')::boolean THEN
        PERFORM tessera_event(NEW.project_id, 'user.factor_verified', NEW.user_id, NULL,
            json_build_object('factor', TG_ARGV[0], 'id', new_row ->> TG_ARGV[1])::text);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER user_emails_events AFTER INSERT OR UPDATE OR DELETE ON user_emails
    FOR EACH ROW EXECUTE FUNCTION factor_events('email', 'email_id');
CREATE TRIGGER user_phone_numbers_events AFTER INSERT OR UPDATE OR DELETE ON user_phone_numbers
    FOR EACH ROW EXECUTE FUNCTION factor_events('phone_number', 'phone_id');
CREATE TRIGGER user_passwords_events AFTER INSERT OR DELETE ON user_passwords
    FOR EACH ROW EXECUTE FUNCTION factor_events('password', 'password_id');
CREATE TRIGGER user_totps_events AFTER INSERT OR UPDATE OF verified OR DELETE ON user_totps
    FOR EACH ROW EXECUTE FUNCTION factor_events('totp', 'totp_id');
CREATE TRIGGER user_oauth_registrations_events AFTER INSERT OR DELETE ON user_oauth_registrations
    FOR EACH ROW EXECUTE FUNCTION factor_events('oauth', 'registration_id');
CREATE TRIGGER user_webauthn_registrations_events AFTER INSERT OR DELETE ON user_webauthn_registrations
    FOR EACH ROW EXECUTE FUNCTION factor_events('webauthn', 'registration_id');
CREATE TRIGGER user_crypto_wallets_events AFTER INSERT OR UPDATE OF verified OR DELETE ON user_crypto_wallets
    FOR EACH ROW EXECUTE FUNCTION factor_events('crypto_wallet', 'wallet_id');

-- Sessions: creation here, with the kinds of its factors only (an address they proved stays
-- out); a deletion the store did not explain first (it writes `session.revoked` before deleting)
-- is its user's deletion. Extensions, factors and claims are written by the store with the
-- change, which knows who made it.
CREATE FUNCTION sessions_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM tessera_event(NEW.project_id, 'session.created', NEW.user_id, NEW.session_id,
            json_build_object('factors', (SELECT COALESCE(json_agg(f -> 'kind'), '[]'::json) FROM json_array_elements(NEW.factors::json) f), 'expires_at', NEW.expires_at,
                'ip_address', NEW.ip_address, 'user_agent', NEW.user_agent)::text);
    ELSIF OLD.expires_at > tessera_now_ms() AND NOT EXISTS (
        SELECT 1 FROM events e WHERE e.project_id = OLD.project_id
        AND e.session_id = OLD.session_id AND e.type = 'session.revoked') THEN
        PERFORM tessera_event(OLD.project_id, 'session.revoked', OLD.user_id, OLD.session_id,
            '{"reason":"user_deleted"}');
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER sessions_events AFTER INSERT OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION sessions_events();
