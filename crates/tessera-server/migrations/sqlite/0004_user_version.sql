-- A user's version: bumped by any change to the user row, its emails or its phone numbers, so
-- a rendering of the user (cached per instance for sessions/authenticate) can be checked
-- against the database with one integer read. The triggers bump it whatever code path writes.
ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- recursive_triggers is off (SQLite's default), so the inner UPDATE does not fire this again.
CREATE TRIGGER users_version_update AFTER UPDATE ON users WHEN NEW.version = OLD.version
BEGIN
    UPDATE users SET version = OLD.version + 1
    WHERE project_id = NEW.project_id AND user_id = NEW.user_id;
END;

CREATE TRIGGER user_emails_version_insert AFTER INSERT ON user_emails
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = NEW.project_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER user_emails_version_update AFTER UPDATE ON user_emails
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = NEW.project_id AND user_id IN (OLD.user_id, NEW.user_id);
END;
CREATE TRIGGER user_emails_version_delete AFTER DELETE ON user_emails
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = OLD.project_id AND user_id = OLD.user_id;
END;

CREATE TRIGGER user_phone_numbers_version_insert AFTER INSERT ON user_phone_numbers
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = NEW.project_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER user_phone_numbers_version_update AFTER UPDATE ON user_phone_numbers
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = NEW.project_id AND user_id IN (OLD.user_id, NEW.user_id);
END;
CREATE TRIGGER user_phone_numbers_version_delete AFTER DELETE ON user_phone_numbers
BEGIN
    UPDATE users SET version = version + 1
    WHERE project_id = OLD.project_id AND user_id = OLD.user_id;
END;
