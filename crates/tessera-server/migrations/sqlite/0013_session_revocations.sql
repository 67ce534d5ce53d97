-- The revocation feed (GET /v1/sessions/revocations): one row for each session that ends before
-- its expiry (revoked, logged out, idle, its user deleted), written by the database itself so
-- that no path that deletes a session can forget it. Rows live an hour (a session JWT lives 5
-- minutes), then the purge deletes them.
CREATE TABLE session_revocations (
    project_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    revoked_at INTEGER NOT NULL,  -- epoch milliseconds, the database's clock
    expires_at INTEGER NOT NULL   -- when the session would have expired
);
CREATE INDEX session_revocations_by_time ON session_revocations (project_id, revoked_at, session_id);
CREATE INDEX session_revocations_purge ON session_revocations (revoked_at);

CREATE TRIGGER sessions_revoked AFTER DELETE ON sessions
WHEN OLD.expires_at > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
BEGIN
    INSERT INTO session_revocations (project_id, session_id, revoked_at, expires_at)
    VALUES (OLD.project_id, OLD.session_id,
            CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), OLD.expires_at);
END;
