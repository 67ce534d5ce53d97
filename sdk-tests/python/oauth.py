"""OAuth, session import and impersonation through Stytch's official Python SDK against
Tessera. The harness runs each browser flow at a real OpenID provider and answers
{"need": "oauth_token", "to": "<provider>:<login>[:<attach token>]"} with the token the flow
hands the app, and {"need": "impersonation_token", "to": user_id} with a minted token."""

import json
import os
import sys

from stytch import Client
from stytch.core.response_base import StytchError


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

# Sign-up with an OpenID provider: the provider's tokens and subject, the oauth factor.
token = need("oauth_token", "google:py-oauth@example.com")
a = c.oauth.authenticate(token=token, session_duration_minutes=60)
assert a.provider_type == "Google" and a.provider_subject.startswith("sub-"), a
assert a.provider_values.access_token and a.provider_values.id_token.count(".") == 2
assert "email" in a.provider_values.scopes
assert a.user_session is not None
factor = a.user_session.authentication_factors[0]
assert (factor.type, factor.delivery_method) == ("oauth", "oauth_google"), factor
assert factor.google_oauth_factor.id == a.oauth_user_registration_id
assert a.user.providers[0].oauth_user_registration_id == a.oauth_user_registration_id
assert a.user.emails[0].verified
local = c.sessions.authenticate_jwt_local(session_jwt=a.session_jwt)
assert local.session_id == a.user_session.session_id
expect_error("oauth_token_not_found", c.oauth.authenticate, token=token)
log("sign-up with an OpenID provider")

# A verified provider email links to the existing user.
existing = c.users.create(email="py-link@example.com")
b = c.oauth.authenticate(token=need("oauth_token", "google:py-link@example.com"))
assert b.user_id == existing.user_id and b.session_token == ""
log("linked by a verified email")

# Attach a second provider (GitHub-style OAuth 2.0) to the first user, in its session.
at = c.oauth.attach(provider="github", user_id=a.user_id)
g = c.oauth.authenticate(
    token=need("oauth_token", f"github:py-elsewhere@example.com:{at.oauth_attach_token}"),
    session_token=a.session_token,
)
assert g.user_id == a.user_id and len(g.user.providers) == 2 and g.provider_type == "GitHub"
assert len(g.user_session.authentication_factors) == 2
log("attached GitHub")

# Import a session from the provider's userinfo.
m = c.sessions.migrate(session_token=a.provider_values.access_token, session_duration_minutes=30)
assert m.user_id == a.user_id and m.session is not None
assert m.session.authentication_factors[0].type == "imported"
expect_error("migrate_from_external_missing_userinfo", c.sessions.migrate, session_token="nope")
log("session imported")

# Impersonation: a 60-minute session with the impersonated factor, once.
it = need("impersonation_token", a.user_id)
i = c.impersonation.authenticate(impersonation_token=it)
assert i.session.authentication_factors[0].type == "impersonated"
assert i.session.authentication_factors[0].delivery_method == "impersonation"
expect_error("unable_to_auth_impersonation_token", c.impersonation.authenticate, impersonation_token=it)
log("impersonated once")

# Deleting the registration.
d = c.users.delete_oauth_registration(oauth_user_registration_id=g.oauth_user_registration_id)
assert len(d.user.providers) == 1 if hasattr(d, "user") else True
after = c.users.get(user_id=a.user_id)
assert [p.provider_type for p in after.providers] == ["Google"], after.providers
print("PASS", flush=True)
