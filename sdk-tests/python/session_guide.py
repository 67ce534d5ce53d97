"""Stytch's session guide, run through the official Python SDK against Tessera."""

import json
import os
import sys

from stytch import Client
from stytch.core.response_base import StytchError


def need(kind: str, to: str) -> str:
    """Asks the test harness for a link token or a code delivered to `to`."""
    print(json.dumps({"need": kind, "to": to}), flush=True)
    return sys.stdin.readline().strip()


def expect_error(error_type: str, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except StytchError as e:
        assert e.details.error_type == error_type, e.details
        return
    raise AssertionError(f"expected {error_type}")


def log(*args):
    print("#", *args, flush=True)


c = Client(os.environ["PROJECT_ID"], os.environ["SECRET"], environment=os.environ["TESSERA_URL"] + "/")
email = "py-guide@example.com"


def login(minutes: int):
    c.magic_links.email.login_or_create(email=email)
    token = need("email_link", email)
    return c.magic_links.authenticate(token=token, session_duration_minutes=minutes)


# Remember me for 30 days after login.
first = login(43200)
assert first.session is not None and len(first.session_token) == 44
again = c.sessions.authenticate(session_token=first.session_token)
assert again.session.expires_at == first.session.expires_at, "no extension without a duration"
assert again.user.user_id == first.user_id
log("remember me for 30 days after login")

# Remember me for 30 days since you last saw me.
extended = c.sessions.authenticate(session_token=first.session_token, session_duration_minutes=43200)
assert extended.session.expires_at >= again.session.expires_at
log("remember me since last seen")

# Local verification against the JWKS (PyJWT), and the remote path.
local = c.sessions.authenticate_jwt_local(session_jwt=extended.session_jwt)
assert local is not None and local.session_id == first.session.session_id
assert local.user_id == first.user_id
remote = c.sessions.authenticate_jwt(session_jwt=extended.session_jwt, max_token_age_seconds=0)
assert remote.session.session_id == first.session.session_id
# By JWT, the answer carries the session's token (apps write it to their cookie), as at Stytch.
by_jwt = c.sessions.authenticate(session_jwt=extended.session_jwt)
assert by_jwt.session_token == first.session_token, by_jwt.session_token
jwks = c.sessions.get_jwks(project_id=os.environ["PROJECT_ID"])
assert len(jwks.keys) >= 1
log("JWT verified locally and remotely")

# Multiple factors: add an SMS passcode to the same session.
phone = "+14155550177"
sent = c.otps.sms.send(phone_number=phone, session_token=first.session_token)
code = need("sms_code", phone)
mfa = c.otps.authenticate(method_id=sent.phone_id, code=code, session_token=first.session_token)
methods = [f.delivery_method.value for f in mfa.session.authentication_factors]
assert methods == ["email", "sms"], methods
assert mfa.session.session_id == first.session.session_id
log("two factors in one session")

# Log out one session.
second = login(60)
c.sessions.revoke(session_id=second.session.session_id)
expect_error("session_not_found", c.sessions.authenticate, session_token=second.session_token)
log("logged out one session")

# Log out everywhere.
login(60)
listed = c.sessions.get(user_id=first.user_id)
assert len(listed.sessions) == 2, len(listed.sessions)
for s in listed.sessions:
    c.sessions.revoke(session_id=s.session_id)
assert c.sessions.get(user_id=first.user_id).sessions == []
expect_error("session_not_found", c.sessions.authenticate, session_token=first.session_token)
log("logged out everywhere")

# Users API through the strict models.
created = c.users.create(email="py-user@example.com", name={"first_name": "Py"}, trusted_metadata={"a": 1})
got = c.users.get(user_id=created.user_id)
assert got.emails[0].email == "py-user@example.com"
c.users.update(user_id=created.user_id, untrusted_metadata={"theme": "dark"})
pages = list(c.users.search_all(limit=1))
assert sum(len(p.results) for p in pages) == 2
expect_error("duplicate_email", c.users.create, email="py-user@example.com")
c.users.delete(user_id=created.user_id)
expect_error("user_not_found", c.users.get, user_id=created.user_id)
log("users API")

print("PASS", flush=True)
