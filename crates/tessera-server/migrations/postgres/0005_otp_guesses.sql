-- Wrong passcodes per destination per hour, across every code sent to it: a resend starts a new
-- code but not a new guess budget. One row per project and email or phone id.
CREATE TABLE otp_guesses (
    project_id   TEXT NOT NULL,
    method_id    TEXT NOT NULL,
    window_start BIGINT NOT NULL,              -- epoch ms; the window is one hour from here
    wrong        BIGINT NOT NULL,
    PRIMARY KEY (project_id, method_id)
);
CREATE INDEX otp_guesses_window ON otp_guesses (window_start);
