-- The revocation feed (GET /v1/sessions/revocations): one row for each session that ends before
-- its expiry (revoked, logged out, idle, its user deleted), written by the database itself so
-- that no path that deletes a session can forget it, and a NOTIFY on `tessera_revocations` at
-- commit so that every instance wakes its waiting subscribers at once. Rows live an hour (a
-- session JWT lives 5 minutes), then the purge deletes them.
CREATE TABLE session_revocations (
    project_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    revoked_at BIGINT NOT NULL,  -- epoch milliseconds, the database's clock
    expires_at BIGINT NOT NULL   -- when the session would have expired
);
CREATE INDEX session_revocations_by_time ON session_revocations (project_id, revoked_at, session_id);
CREATE INDEX session_revocations_purge ON session_revocations (revoked_at);

CREATE FUNCTION session_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    now_ms BIGINT := (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT;
BEGIN
    IF OLD.expires_at > now_ms THEN
        INSERT INTO session_revocations (project_id, session_id, revoked_at, expires_at)
        VALUES (OLD.project_id, OLD.session_id, now_ms, OLD.expires_at);
        PERFORM pg_notify('tessera_revocations', OLD.project_id);
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER sessions_revoked AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION session_revoked();
