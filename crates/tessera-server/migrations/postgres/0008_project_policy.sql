-- Per-project security policy (Tessera extensions, set with `tessera project create|update`):
-- a session not authenticated for the idle timeout is dead, none lives past started_at plus
-- the maximum lifetime (NULL: no limit); deleting a factor or changing the primary one through
-- the frontend API needs a factor authenticated within recent_auth_minutes; notify_sign_in
-- emails the user's verified address on every new sign-in.
ALTER TABLE projects ADD COLUMN session_idle_timeout_minutes BIGINT;
ALTER TABLE projects ADD COLUMN session_max_lifetime_minutes BIGINT;
ALTER TABLE projects ADD COLUMN recent_auth_minutes BIGINT NOT NULL DEFAULT 10;
ALTER TABLE projects ADD COLUMN notify_sign_in BOOLEAN NOT NULL DEFAULT FALSE;
-- Rate limits as a JSON object of overrides (send_per_destination, send_per_ip,
-- send_per_project, authenticate_per_ip); absent keys take the defaults.
ALTER TABLE projects ADD COLUMN rate_limits TEXT NOT NULL DEFAULT '{}';

-- Rate-limit counters in fixed windows, shared by every instance on one database: one row per
-- project and bucket (say "send-ip:203.0.113.7"), counted by one upsert.
CREATE TABLE rate_counters (
    project_id   TEXT NOT NULL,
    bucket       TEXT NOT NULL,
    window_start BIGINT NOT NULL,              -- epoch ms
    hits         BIGINT NOT NULL,
    PRIMARY KEY (project_id, bucket)
);
CREATE INDEX rate_counters_window ON rate_counters (window_start);

-- Passcode guesses are counted in the same table now (bucket "guess:<method id>").
INSERT INTO rate_counters (project_id, bucket, window_start, hits)
    SELECT project_id, 'guess:' || method_id, window_start, wrong FROM otp_guesses;
DROP TABLE otp_guesses;
