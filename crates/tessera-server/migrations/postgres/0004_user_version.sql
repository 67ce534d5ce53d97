-- A user's version: bumped by any change to the user row, its emails or its phone numbers, so
-- a rendering of the user (cached per instance for sessions/authenticate) can be checked
-- against the database with one integer read. The triggers bump it whatever code path writes.
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION users_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;
CREATE TRIGGER users_version_update BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION users_bump_version();

-- The UPDATE below goes through users_version_update, which does the increment.
CREATE FUNCTION user_factor_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE users SET version = version WHERE project_id = OLD.project_id AND user_id = OLD.user_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.user_id <> OLD.user_id) THEN
        UPDATE users SET version = version WHERE project_id = NEW.project_id AND user_id = NEW.user_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER user_emails_version AFTER INSERT OR UPDATE OR DELETE ON user_emails
    FOR EACH ROW EXECUTE FUNCTION user_factor_bump_version();
CREATE TRIGGER user_phone_numbers_version AFTER INSERT OR UPDATE OR DELETE ON user_phone_numbers
    FOR EACH ROW EXECUTE FUNCTION user_factor_bump_version();
