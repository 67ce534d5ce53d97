-- How the frontend API hands sessions to browsers, as a JSON object of overrides: mode
-- "readable" (the default: the SDK keeps the tokens where script can read them) or "httponly"
-- (Tessera sets HttpOnly cookies and leaves the tokens out of its answers), and the cookies'
-- Domain. Set with `tessera project update --cookie-mode --cookie-domain`.
ALTER TABLE projects ADD COLUMN cookie_policy TEXT NOT NULL DEFAULT '{}';
