-- Per-project security policy (Tessera extensions, set with `tessera project create|update`):
-- a session not authenticated for the idle timeout is dead, none lives past started_at plus
-- the maximum lifetime (NULL: no limit); deleting a factor or changing the primary one through
-- the frontend API needs a factor authenticated within recent_auth_minutes; notify_sign_in
-- emails the user's verified address on every new sign-in.
ALTER TABLE projects ADD COLUMN session_idle_timeout_minutes BIGINT;
ALTER TABLE projects ADD COLUMN session_max_lifetime_minutes BIGINT;
ALTER TABLE projects ADD COLUMN recent_auth_minutes BIGINT NOT NULL DEFAULT 10;
ALTER TABLE projects ADD COLUMN notify_sign_in BOOLEAN NOT NULL DEFAULT FALSE;
