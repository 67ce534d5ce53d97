"""Passwords and TOTP through Stytch's official Python SDK against Tessera: sign-up under the
strength policy and the breach check, login, the three resets, migrated hashes of every
hash_type, and an authenticator app with recovery codes (codes computed by pyotp)."""

import base64
import json
import os
import sys

import pyotp
from stytch import Client
from stytch.core.response_base import StytchError

from hashes import bodies


def need(kind: str, to: str) -> str:
    print(json.dumps({"need": kind, "to": to}), flush=True)
    return sys.stdin.readline().strip()


def expect_error(error_type: str, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except StytchError as e:
        assert e.details.error_type == error_type, e.details
        return e.details
    raise AssertionError(f"expected {error_type}")


def log(*args):
    print("#", *args, flush=True)


c = Client(os.environ["PROJECT_ID"], os.environ["SECRET"], environment=os.environ["TESSERA_URL"] + "/")
breached = os.environ["BREACHED_PASSWORD"]
email = "py-passwords@example.com"
strong = "vapor-Glacier-83-tundra-quill"

# Weak and breached passwords are refused, with feedback.
weak = c.passwords.strength_check(password="password123")
assert not weak.valid_password and weak.score < 3 and weak.strength_policy == "zxcvbn"
assert weak.feedback.warning or weak.feedback.suggestions
found = c.passwords.strength_check(password=breached, email=email)
assert found.breached_password and not found.valid_password
expect_error("weak_password", c.passwords.create, email=email, password="password123")
expect_error("weak_password", c.passwords.create, email=email, password=breached)
log("weak and breached passwords refused")

# Sign up, log in, a wrong password.
created = c.passwords.create(email=email, password=strong, session_duration_minutes=60)
assert created.user.password is not None and created.email_id.startswith("email-test-")
logged_in = c.passwords.authenticate(email=email, password=strong, session_duration_minutes=60)
assert logged_in.session.authentication_factors[0].type == "password"
expect_error("unauthorized_credentials", c.passwords.authenticate, email=email, password=strong + "x")
log("sign up and log in")

# Reset by email (the link from the SMTP server); the other sessions are revoked.
c.passwords.email.reset_start(email=email)
token = need("reset_link", email)
second = "second-Password-for-Python-1"
reset = c.passwords.email.reset(token=token, password=second, session_duration_minutes=60)
assert reset.user.emails[0].verified
expect_error("session_not_found", c.sessions.authenticate, session_token=logged_in.session_token)
expect_error("unable_to_auth_password_reset_token", c.passwords.email.reset, token=token, password=second)
log("reset by email")

# Reset with the existing password, then by session.
third = "third-Password-for-Python-2"
existing = c.passwords.existing_password.reset(
    email=email, existing_password=second, new_password=third, session_duration_minutes=60)
fourth = "fourth-Password-for-Python-3"
by_session = c.passwords.sessions.reset(password=fourth, session_token=existing.session_token)
assert by_session.session is not None and by_session.user_id == created.user_id
c.passwords.authenticate(email=email, password=fourth)
# A session without a recent password or email factor may not (an SMS passcode session).
sent = c.otps.sms.login_or_create(phone_number="+14155550188")
code = need("sms_code", "+14155550188")
phone = c.otps.authenticate(method_id=sent.phone_id, code=code, session_duration_minutes=30)
expect_error("session_too_old_to_reset_password", c.passwords.sessions.reset,
             password="fifth-Password-for-Python-4", session_token=phone.session_token)
log("existing and session resets")

# Users migrated with each hash type log in with their original passwords.
original = "Migrated-from-elsewhere-2024"
for i, body in enumerate(bodies(original)):
    who = f"py-import{i}@example.com"
    m = c.passwords.migrate(email=who, **body)
    assert m.user_created, body["hash_type"]
    c.passwords.authenticate(email=who, password=original)
    c.passwords.authenticate(email=who, password=original)  # now argon2id
    expect_error("unauthorized_credentials", c.passwords.authenticate, email=who, password=original + "!")
log("migrated", len(bodies(original)), "hash types")

# An authenticator app: enrol, step up the password session, replay, recovery codes.
totp = c.totps.create(user_id=created.user_id)
assert totp.qr_code.startswith("data:image/png;base64,")
assert base64.b64decode(totp.qr_code.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
assert len(totp.recovery_codes) == 10
session = c.passwords.authenticate(email=email, password=fourth, session_duration_minutes=60)
now_code = pyotp.TOTP(totp.secret).now()
stepped = c.totps.authenticate(user_id=created.user_id, totp_code=now_code, session_token=session.session_token)
kinds = [f.type for f in stepped.session.authentication_factors]
assert kinds == ["password", "totp"], kinds
expect_error("totp_code_already_authenticated", c.totps.authenticate, user_id=created.user_id, totp_code=now_code)
codes = c.totps.recovery_codes(user_id=created.user_id)
assert codes.totps[0].recovery_codes == totp.recovery_codes
rec = c.totps.recover(user_id=created.user_id, recovery_code=totp.recovery_codes[0], session_duration_minutes=30)
assert rec.totp_id == totp.totp_id
expect_error("unable_to_authenticate_recovery_code", c.totps.recover,
             user_id=created.user_id, recovery_code=totp.recovery_codes[0])
user = c.users.get(user_id=created.user_id)
assert user.totps[0].verified and user.password is not None
log("TOTP with recovery codes")

print("PASS", flush=True)
