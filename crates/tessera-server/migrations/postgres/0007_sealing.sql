-- Secrets at rest are sealed (AES-256-GCM) under a master key kept outside the database. This
-- row holds a constant sealed under it, so a server given another key refuses to start rather
-- than failing on every sealed value; signing keys (private_key) are sealed from now on.
CREATE TABLE master_key_check (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    sealed     BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

-- The session token sealed beside its digest: the server can hand it back (sessions/authenticate
-- by JWT answers with it, as Stytch does) while a copied database yields none. NULL for sessions
-- from before.
ALTER TABLE sessions ADD COLUMN token_sealed BYTEA;
