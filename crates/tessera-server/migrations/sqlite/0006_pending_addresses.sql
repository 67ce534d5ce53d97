-- An address sent to for attachment to an existing user (a "secondary" send) stays off the user
-- until its link or code is authenticated: the link or code carries it, and the id it will have.
ALTER TABLE magic_links ADD COLUMN pending_address TEXT;
ALTER TABLE otp_codes ADD COLUMN pending_address TEXT;
