-- How the hosted login page (`/login`) shows a project: its logo and colours, as JSON
-- (`{"logo_url": …, "primary_color": "#rrggbb", "background_color": "#rrggbb"}`); the project's
-- name is its title.
ALTER TABLE projects ADD COLUMN branding TEXT NOT NULL DEFAULT '{}';
