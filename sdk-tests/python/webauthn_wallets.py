"""WebAuthn (passkeys) and crypto wallets through Stytch's official Python SDK against Tessera,
with signers independent of the server's libraries: a software WebAuthn authenticator written
here (P-256 with `cryptography`, the little CBOR it needs encoded by hand, webauthn-json
credentials as `@github/webauthn-json` serialises them, the browser's clientDataJSON),
eth-account (EIP-191 personal_sign, secp256k1, EIP-55) for Ethereum and PyNaCl (ed25519) +
base58 for Solana. The wallet scenarios mirror sdk-tests/node/wallets.js.

Environment: TESSERA_URL, PROJECT_ID, SECRET as the other scripts; ORIGIN, an authorized origin
of the project (e.g. https://app.example.com); DOMAIN, its host (the relying-party id);
SIWE_DOMAIN, the host[:port] of an authorized origin (the same one's); optionally SIWE_URI
(default ORIGIN when its authority is SIWE_DOMAIN, else http://SIWE_DOMAIN).
Asks the harness {"need": "email_link", "to": ADDRESS} twice (magic-link logins, for sessions
with another factor) and reads each token on stdin. Prints PASS last."""

import base64
import datetime
import hashlib
import json
import os
import secrets
import sys
from urllib.parse import urlparse

import base58
import nacl.exceptions
import nacl.signing
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import to_checksum_address
from stytch import Client
from stytch.consumer.models.crypto_wallets import SIWEParams
from stytch.core.response_base import StytchError


def env(name: str) -> str:
    v = os.environ.get(name)
    if not v:
        raise SystemExit(f"{name} is not set")
    return v


def need(kind: str, to: str) -> str:
    print(json.dumps({"need": kind, "to": to}), flush=True)
    return sys.stdin.readline().strip()


def expect_error(error_type: str, status, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except StytchError as e:
        assert e.details.error_type == error_type, e.details
        if status is not None:
            assert e.details.status_code == status, e.details
        return e.details
    raise AssertionError(f"expected {error_type}")


def log(*args):
    print("#", *args, flush=True)


c = Client(env("PROJECT_ID"), env("SECRET"), environment=env("TESSERA_URL") + "/")
ORIGIN = env("ORIGIN")
DOMAIN = env("DOMAIN")
SIWE_DOMAIN = env("SIWE_DOMAIN")
SIWE_URI = os.environ.get("SIWE_URI") or (
    ORIGIN if urlparse(ORIGIN).netloc == SIWE_DOMAIN else f"http://{SIWE_DOMAIN}")


# =================================================================================================
# A software WebAuthn authenticator, playing the browser's part too.

UP, UV, AT = 0x01, 0x04, 0x40  # authenticatorData flags: user present, verified, attested data


def b64url(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64decode_any(s: str) -> bytes:
    """base64url or standard base64, padded or not (webauthn-json's atob takes both)."""
    s = s.rstrip("=").replace("-", "+").replace("_", "/")
    return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)


def cbor_bytes(b: bytes) -> bytes:
    """A CBOR byte string (major type 2)."""
    n = len(b)
    if n < 24:
        head = bytes([0x40 | n])
    elif n < 0x100:
        head = bytes([0x58, n])
    elif n < 0x10000:
        head = bytes([0x59]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x5A]) + n.to_bytes(4, "big")
    return head + b


def cbor_text(s: str) -> bytes:
    """A short CBOR text string (major type 3, under 24 bytes)."""
    b = s.encode()
    assert len(b) < 24
    return bytes([0x60 | len(b)]) + b


def cose_p256_key(x: bytes, y: bytes) -> bytes:
    """{1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}"""
    return (bytes([0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21]) + cbor_bytes(x)
            + bytes([0x22]) + cbor_bytes(y))


def attestation_object_none(auth_data: bytes) -> bytes:
    """{"fmt": "none", "attStmt": {}, "authData": bytes}, keys in CTAP2 canonical order."""
    return (bytes([0xA3]) + cbor_text("fmt") + cbor_text("none") + cbor_text("attStmt")
            + bytes([0xA0]) + cbor_text("authData") + cbor_bytes(auth_data))


def authenticator_data(rp_id: str, flags: int, counter: int) -> bytes:
    return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + counter.to_bytes(4, "big")


def client_data_json(kind: str, challenge: str, origin: str) -> bytes:
    """As Chromium writes it: type, challenge, origin, crossOrigin."""
    return json.dumps({"type": kind, "challenge": challenge, "origin": origin,
                       "crossOrigin": False}, separators=(",", ":")).encode()


def public_key_options(options_json: str) -> dict:
    o = json.loads(options_json)
    return o.get("publicKey", o)


class SoftAuthenticator:
    """One P-256 credential under a random 16 to 32-byte id, with its signature counter and,
    when resident (discoverable), the user handle it was registered with."""

    def __init__(self, resident: bool = True):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.raw_id = secrets.token_bytes(16 + secrets.randbelow(17))
        self.resident = resident
        self.user_handle = None
        self.counter = 1  # the counter the next assertion carries

    @property
    def credential_id(self) -> str:
        return b64url(self.raw_id)

    def xy(self):
        n = self.key.public_key().public_numbers()
        return n.x.to_bytes(32, "big"), n.y.to_bytes(32, "big")

    def create(self, options_json: str, rp_id: str, origin: str) -> str:
        """navigator.credentials.create() through webauthn-json: attestation none, flags
        UP|UV|AT, counter 0, a zero AAGUID."""
        o = public_key_options(options_json)
        assert o["rp"]["id"] == rp_id, options_json
        challenge = b64url(b64decode_any(o["challenge"]))
        if self.resident:
            self.user_handle = b64decode_any(o["user"]["id"])
        cdj = client_data_json("webauthn.create", challenge, origin)
        x, y = self.xy()
        auth_data = (authenticator_data(rp_id, UP | UV | AT, 0) + bytes(16)
                     + len(self.raw_id).to_bytes(2, "big") + self.raw_id + cose_p256_key(x, y))
        return json.dumps({
            "id": self.credential_id,
            "rawId": self.credential_id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(cdj),
                "attestationObject": b64url(attestation_object_none(auth_data)),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        })

    def get(self, options_json: str, rp_id: str, origin: str, challenge: str = None) -> str:
        """navigator.credentials.get() through webauthn-json: flags UP|UV, the next counter, an
        ECDSA P-256 SHA-256 (DER) signature over authenticatorData || SHA-256(clientDataJSON),
        the user handle (null unless resident). `challenge` overrides the options' one."""
        o = public_key_options(options_json)
        if o.get("rpId") is not None:
            assert o["rpId"] == rp_id, options_json
        if challenge is None:
            challenge = b64url(b64decode_any(o["challenge"]))
        cdj = client_data_json("webauthn.get", challenge, origin)
        auth_data = authenticator_data(rp_id, UP | UV, self.counter)
        self.counter += 1
        signature = self.key.sign(auth_data + hashlib.sha256(cdj).digest(),
                                  ec.ECDSA(hashes.SHA256()))
        return json.dumps({
            "id": self.credential_id,
            "rawId": self.credential_id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(cdj),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(self.user_handle) if self.user_handle is not None else None,
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        })


def kinds(session):
    return [(f.type.value, f.delivery_method.value) for f in session.authentication_factors]


def passkey_options() -> str:
    s = c.webauthn.authenticate_start(domain=DOMAIN, return_passkey_credential_options=True)
    assert s.user_id == "", s
    o = json.loads(s.public_key_credential_request_options)
    assert o["rpId"] == DOMAIN and o.get("allowCredentials", []) == [], o
    return s.public_key_credential_request_options


# =================================================================================================
# WebAuthn

email = "py-passkey@example.com"
c.magic_links.email.login_or_create(email=email)
ml = c.magic_links.authenticate(token=need("email_link", email), session_duration_minutes=60)
user_id = ml.user_id
auth = SoftAuthenticator(resident=True)
AGENT = "Python soft authenticator/1.0"

# The creation options: a JSON string with base64url binary fields, passkey settings.
start = c.webauthn.register_start(user_id=user_id, domain=DOMAIN, user_agent=AGENT,
                                  return_passkey_credential_options=True)
assert start.user_id == user_id
options = json.loads(start.public_key_credential_creation_options)
assert options["rp"]["id"] == DOMAIN, options
assert options["authenticatorSelection"]["residentKey"] == "required", options
assert options["attestation"] == "none", options
assert not set("+/=") & set(options["challenge"]), options["challenge"]
assert {"type": "public-key", "alg": -7} in options["pubKeyCredParams"], options
assert b64decode_any(options["user"]["id"]) == user_id.encode(), options["user"]
assert options["user"]["name"] == email, options["user"]

# Registered into the magic-link session: two factors.
reg = c.webauthn.register(user_id=user_id,
                          public_key_credential=auth.create(start.public_key_credential_creation_options, DOMAIN, ORIGIN),
                          session_token=ml.session_token)
reg_id = reg.webauthn_registration_id
assert reg_id.startswith("webauthn-registration-test-"), reg_id
assert reg.user_id == user_id and reg.session is not None
assert reg.session.session_id == ml.session.session_id
assert reg.session_token == ml.session_token, "the same session, stepped up"
assert kinds(reg.session) == [("magic_link", "email"), ("webauthn", "webauthn_registration")], kinds(reg.session)
wf = reg.session.authentication_factors[1].webauthn_factor
assert (wf.webauthn_registration_id, wf.domain, wf.user_agent) == (reg_id, DOMAIN, AGENT), wf
assert [r.webauthn_registration_id for r in reg.user.webauthn_registrations] == [reg_id]
local = c.sessions.authenticate_jwt_local(session_jwt=reg.session_jwt)
assert local.session_id == ml.session.session_id
assert [f.type for f in local.authentication_factors] == ["magic_link", "webauthn"], local
log("a passkey registered into a magic-link session: two factors")

# The user object lists it; the credentials listing gives its public key.
user = c.users.get(user_id=user_id)
assert len(user.webauthn_registrations) == 1, user.webauthn_registrations
r = user.webauthn_registrations[0]
assert (r.webauthn_registration_id, r.domain, r.user_agent, r.verified) == (reg_id, DOMAIN, AGENT, True), r
creds = c.webauthn.list_credentials(user_id=user_id, domain=DOMAIN)
assert len(creds.credentials) == 1, creds
cred = creds.credentials[0]
assert (cred.credential_id, cred.webauthn_registration_id, cred.type) == (auth.credential_id, reg_id, "public-key"), cred
x, y = auth.xy()
cose = b64decode_any(cred.public_key)
assert x in cose and y in cose, cred.public_key
log("users.get lists the registration; list_credentials gives its id and COSE public key")

# A passkey login, no user named: the same user, a new session with the webauthn factor.
a = c.webauthn.authenticate(public_key_credential=auth.get(passkey_options(), DOMAIN, ORIGIN),
                            session_duration_minutes=60)
assert a.user_id == user_id and a.webauthn_registration_id == reg_id, a
assert a.session is not None and a.session.session_id != ml.session.session_id
assert len(a.session_token) == 44 and a.session_jwt.count(".") == 2
assert kinds(a.session) == [("webauthn", "webauthn_registration")], kinds(a.session)
assert a.session.authentication_factors[0].webauthn_factor.webauthn_registration_id == reg_id
assert c.sessions.authenticate(session_token=a.session_token).session.session_id == a.session.session_id
log("a discoverable passkey login: the same user, a webauthn session")

# A login naming the user lists its credential (the counter goes on rising).
named = c.webauthn.authenticate_start(domain=DOMAIN, user_id=user_id)
assert named.user_id == user_id
o = json.loads(named.public_key_credential_request_options)
assert [cr["id"] for cr in o["allowCredentials"]] == [auth.credential_id], o
n = c.webauthn.authenticate(public_key_credential=auth.get(named.public_key_credential_request_options, DOMAIN, ORIGIN))
assert n.user_id == user_id and n.session_token == "" and n.session is None, n
log("a login naming the user; no session asked, none given")

# Rename; an empty name is refused.
renamed = c.webauthn.update(webauthn_registration_id=reg_id, name="Laptop")
assert renamed.webauthn_registration is not None
assert (renamed.webauthn_registration.webauthn_registration_id, renamed.webauthn_registration.name) == (reg_id, "Laptop")
assert c.users.get(user_id=user_id).webauthn_registrations[0].name == "Laptop"
expect_error("empty_webauthn_registration_name", 400, c.webauthn.update, webauthn_registration_id=reg_id, name="  ")
log("renamed")

# A replayed assertion: its ceremony was used.
assertion = auth.get(passkey_options(), DOMAIN, ORIGIN)
c.webauthn.authenticate(public_key_credential=assertion)
expect_error("unable_to_auth_webauthn_registration", 401, c.webauthn.authenticate, public_key_credential=assertion)
# A clone: its counter goes back.
counter = auth.counter
auth.counter = 1
expect_error("unable_to_auth_webauthn_registration", 401, c.webauthn.authenticate,
             public_key_credential=auth.get(passkey_options(), DOMAIN, ORIGIN))
auth.counter = counter + 10
# Another origin (a phishing site), a challenge the server never issued, a foreign domain.
expect_error("unable_to_auth_webauthn_registration", 401, c.webauthn.authenticate,
             public_key_credential=auth.get(passkey_options(), DOMAIN, "https://evil.example"))
expect_error("unable_to_auth_webauthn_registration", 401, c.webauthn.authenticate,
             public_key_credential=auth.get(passkey_options(), DOMAIN, ORIGIN, challenge=b64url(bytes(32))))
expect_error("invalid_webauthn_domain", 400, c.webauthn.authenticate_start, domain="evil.example")
expect_error("invalid_public_key_credential", 400, c.webauthn.authenticate, public_key_credential="not json")
log("a replayed assertion, a cloned counter, a foreign origin, domain or challenge are refused")

# A step-up: a passkey assertion on the magic-link session keeps that session.
step = c.webauthn.authenticate(public_key_credential=auth.get(passkey_options(), DOMAIN, ORIGIN),
                               session_token=ml.session_token)
assert step.session is not None and step.session.session_id == ml.session.session_id
assert [f.type for f in step.session.authentication_factors] == ["magic_link", "webauthn"], kinds(step.session)
log("a passkey steps up the magic-link session")

# The same credential again: the options exclude it, and the server refuses it.
again = c.webauthn.register_start(user_id=user_id, domain=DOMAIN)
o = json.loads(again.public_key_credential_creation_options)
assert [cr["id"] for cr in o["excludeCredentials"]] == [auth.credential_id], o
expect_error("duplicate_webauthn_registration", 400, c.webauthn.register, user_id=user_id,
             public_key_credential=auth.create(again.public_key_credential_creation_options, DOMAIN, ORIGIN))
log("a duplicate registration is refused")

# Delete: gone from the user, and the passkey no longer logs in.
deleted = c.users.delete_webauthn_registration(webauthn_registration_id=reg_id)
assert deleted.user_id == user_id and deleted.user.webauthn_registrations == [], deleted
assert c.users.get(user_id=user_id).webauthn_registrations == []
assert c.webauthn.list_credentials(user_id=user_id, domain=DOMAIN).credentials == []
expect_error("webauthn_registration_not_found", 404, c.webauthn.authenticate,
             public_key_credential=auth.get(passkey_options(), DOMAIN, ORIGIN))
expect_error("webauthn_registration_not_found", 404, c.users.delete_webauthn_registration,
             webauthn_registration_id=reg_id)
expect_error("webauthn_registration_not_found", 404, c.webauthn.authenticate_start, domain=DOMAIN, user_id=user_id)
log("a deleted passkey no longer logs in")


# =================================================================================================
# Crypto wallets

CHALLENGE_PREFIX = "Signing in with Project: "


class EthWallet:
    type = "ethereum"

    def __init__(self):
        self.account = Account.create()
        self.address = self.account.address  # EIP-55 checksummed

    def sign(self, message: str) -> str:
        """EIP-191 personal_sign over the UTF-8 text: 0x-hex of r || s || v."""
        return "0x" + bytes(self.account.sign_message(encode_defunct(text=message)).signature).hex()


class SolWallet:
    type = "solana"

    def __init__(self):
        self.key = nacl.signing.SigningKey.generate()
        self.address = base58.b58encode(bytes(self.key.verify_key)).decode()

    def sign(self, message: str) -> str:
        """ed25519 over the UTF-8 bytes, base58."""
        return base58.b58encode(self.key.sign(message.encode()).signature).decode()


class Raw:
    def __init__(self, type_: str, address: str):
        self.type, self.address = type_, address


def verify_ethereum(address: str, message: str, signature: str) -> bool:
    return Account.recover_message(encode_defunct(text=message), signature=signature) == address


def verify_solana(address: str, message: str, signature: str) -> bool:
    try:
        nacl.signing.VerifyKey(base58.b58decode(address)).verify(message.encode(), base58.b58decode(signature))
        return True
    except nacl.exceptions.BadSignatureError:
        return False


def rfc3339(dt: datetime.datetime) -> str:
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def start(w, **extra):
    return c.crypto_wallets.authenticate_start(crypto_wallet_type=w.type, crypto_wallet_address=w.address, **extra)


def authenticate(w, signature: str, **extra):
    return c.crypto_wallets.authenticate(crypto_wallet_type=w.type, crypto_wallet_address=w.address,
                                         signature=signature, **extra)


def login(w, start_extra=None, auth_extra=None):
    """start → sign the challenge → authenticate with a 60-minute session."""
    started = start(w, **(start_extra or {}))
    signature = w.sign(started.challenge)
    authed = authenticate(w, signature, session_duration_minutes=60, **(auth_extra or {}))
    return started, signature, authed


def wallet_of(user, address: str, type_: str):
    found = [cw for cw in user.crypto_wallets if cw.crypto_wallet_address == address]
    assert len(found) == 1, (address, user.crypto_wallets)
    assert found[0].crypto_wallet_type == type_ and found[0].verified, found[0]
    assert found[0].crypto_wallet_id.startswith("crypto-wallet-test-"), found[0]
    return found[0]


def crypto_factors(session):
    return [f for f in session.authentication_factors if f.type == "crypto"]


def crypto_factor(session, wallet):
    """The crypto factor of a session (exactly one) naming `wallet`."""
    fs = crypto_factors(session)
    assert len(fs) == 1, kinds(session)
    f = fs[0]
    assert f.delivery_method == "crypto_wallet" and f.last_authenticated_at is not None, f
    cf = f.crypto_wallet_factor
    assert (cf.crypto_wallet_id, cf.crypto_wallet_address, cf.crypto_wallet_type) == (
        wallet.crypto_wallet_id, wallet.crypto_wallet_address, wallet.crypto_wallet_type), cf
    return f


def parse_siwe(message: str) -> dict:
    """An EIP-4361 message: its header, statement and fields; asserts the line layout."""
    lines = message.split("\n")
    suffix = " wants you to sign in with your Ethereum account:"
    assert lines[0].endswith(suffix), message
    out = {"domain": lines[0][: -len(suffix)], "address": lines[1]}
    # address LF, LF, [statement LF], LF: two empty lines when there is no statement.
    assert lines[2] == "", message
    if lines[3] == "":
        i = 4
    else:
        out["statement"] = lines[3]
        assert lines[4] == "", message
        i = 5
    order = ["URI", "Version", "Chain ID", "Nonce", "Issued At", "Expiration Time", "Not Before", "Request ID"]
    keys = []
    while i < len(lines) and lines[i] != "Resources:":
        k, sep, v = lines[i].partition(": ")
        assert sep and k in order, (lines[i], message)
        out[k] = v
        keys.append(k)
        i += 1
    assert keys == sorted(keys, key=order.index), message
    if i < len(lines):
        out["Resources"] = [ln[2:] for ln in lines[i + 1:]]
        assert all(ln.startswith("- ") for ln in lines[i + 1:]), message
    for k in ("URI", "Version", "Chain ID", "Nonce", "Issued At"):
        assert k in out, (k, message)
    assert out["Version"] == "1", message
    assert out["Nonce"].isalnum() and len(out["Nonce"]) >= 8, out["Nonce"]
    return out


# An Ethereum login creates a user; the address comes back checksummed, however it was sent.
eth = EthWallet()
lower = Raw("ethereum", eth.address.lower())
first = start(lower)
assert first.user_created and first.user_id
assert first.challenge.startswith(CHALLENGE_PREFIX) and len(first.challenge) > len(CHALLENGE_PREFIX) + 8, first.challenge
first_sig = eth.sign(first.challenge)
assert len(first_sig) == 132 and int(first_sig, 16) >= 0
assert verify_ethereum(eth.address, first.challenge, first_sig)
a = authenticate(lower, first_sig, session_duration_minutes=60)
assert a.user_id == first.user_id and len(a.session_token) == 44 and a.session_jwt.count(".") == 2
assert to_checksum_address(lower.address) == eth.address
eth_wallet = wallet_of(a.user, eth.address, "ethereum")
assert len(a.user.crypto_wallets) == 1
assert a.session.user_id == a.user_id and len(a.session.authentication_factors) == 1
crypto_factor(a.session, eth_wallet)
crypto_factor(c.sessions.authenticate_jwt_local(session_jwt=a.session_jwt), eth_wallet)
crypto_factor(c.sessions.authenticate(session_token=a.session_token).session, eth_wallet)
log("ethereum login creates a user, its session has the crypto factor, address checksummed")

again_start, _, again = login(eth)
assert not again_start.user_created and again_start.user_id == a.user_id
assert again_start.challenge != first.challenge
assert again.user_id == a.user_id and again.session.session_id != a.session.session_id
assert wallet_of(again.user, eth.address, "ethereum").crypto_wallet_id == eth_wallet.crypto_wallet_id
log("the same wallet logs in again to the same user")

sol = SolWallet()
assert len(base58.b58decode(sol.address)) == 32
sol_start = start(sol)
assert sol_start.user_created and sol_start.user_id != a.user_id
assert sol_start.challenge.startswith(CHALLENGE_PREFIX), sol_start.challenge
sol_sig = sol.sign(sol_start.challenge)
assert len(base58.b58decode(sol_sig)) == 64 and verify_solana(sol.address, sol_start.challenge, sol_sig)
s = authenticate(sol, sol_sig, session_duration_minutes=60)
assert s.user_id == sol_start.user_id
crypto_factor(s.session, wallet_of(s.user, sol.address, "solana"))
log("solana login")

# SIWE: the server's defaults (chain 1, issued now, expires 10 minutes later), through the SDK's
# SIWEParams model ...
siwe = EthWallet()
defaults = start(siwe, siwe_params=SIWEParams(domain=SIWE_DOMAIN, uri=SIWE_URI, resources=[]))
assert defaults.user_created
d = parse_siwe(defaults.challenge)
assert defaults.challenge.split("\n")[0] == f"{SIWE_DOMAIN} wants you to sign in with your Ethereum account:"
assert (d["domain"], d["address"], d["URI"], d["Chain ID"]) == (SIWE_DOMAIN, siwe.address, SIWE_URI, "1"), d
assert abs((parse_time(d["Issued At"]) - now()).total_seconds()) < 60, d
assert parse_time(d["Expiration Time"]) - parse_time(d["Issued At"]) == datetime.timedelta(minutes=10), d
# ... then every parameter given (a dict); this later challenge is the one that counts.
issued_at = rfc3339(now() - datetime.timedelta(seconds=30))
params = {
    "domain": SIWE_DOMAIN,
    "uri": f"{SIWE_URI}/login",
    "resources": [f"{SIWE_URI}/terms", "ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq"],
    "chain_id": "137",
    "statement": "Sign in to the Tessera wallet test",
    "issued_at": issued_at,
    "message_request_id": "py-wallets-1",
}
siwe_start = start(siwe, siwe_params=params)
assert not siwe_start.user_created and siwe_start.user_id == defaults.user_id
m = parse_siwe(siwe_start.challenge)
assert (m["domain"], m["address"], m["URI"], m["Chain ID"]) == (SIWE_DOMAIN, siwe.address, params["uri"], "137"), m
assert (m["statement"], m["Resources"], m["Request ID"]) == (params["statement"], params["resources"], "py-wallets-1"), m
assert parse_time(m["Issued At"]) == parse_time(issued_at), m
assert parse_time(m["Expiration Time"]) - parse_time(issued_at) == datetime.timedelta(minutes=10), m
assert m["Nonce"] != d["Nonce"]
siwe_sig = siwe.sign(siwe_start.challenge)
assert verify_ethereum(siwe.address, siwe_start.challenge, siwe_sig)
w = authenticate(siwe, siwe_sig, session_duration_minutes=60)
assert w.user_id == siwe_start.user_id
crypto_factor(w.session, wallet_of(w.user, siwe.address, "ethereum"))
log("SIWE (EIP-4361) login: domain, address, URI, chain id, nonce, issued at and expiry checked")

# Only the latest challenge counts; a signature over an older one, or by another key, fails.
twice = EthWallet()
older = start(twice)
newer = start(twice)
assert not newer.user_created and newer.user_id == older.user_id and newer.challenge != older.challenge
expect_error("unable_to_authenticate_crypto_wallet", 401, authenticate, twice, twice.sign(older.challenge),
             session_duration_minutes=60)
latest = start(twice)
expect_error("unable_to_authenticate_crypto_wallet", 401, authenticate, twice, EthWallet().sign(latest.challenge),
             session_duration_minutes=60)
assert login(twice)[2].user_id == older.user_id
log("a signature over an older challenge, or by another key, is refused")

# Single use: the same signature a second time finds no pending challenge (404); nor does an
# address that never started.
replay = EthWallet()
_, once_sig, _ = login(replay)
expect_error("crypto_wallet_not_found", 404, authenticate, replay, once_sig, session_duration_minutes=60)
never = EthWallet()
expect_error("crypto_wallet_not_found", 404, authenticate, never, never.sign(f"{CHALLENGE_PREFIX}nothing"))
log("a replayed challenge and an address with no challenge are refused")


# SIWE time bounds: refused at start or, the message being signed, at authenticate.
def siwe_refused(error_type: str, **params) -> str:
    wallet = EthWallet()
    try:
        started = start(wallet, siwe_params={"domain": SIWE_DOMAIN, "uri": SIWE_URI, **params})
    except StytchError as e:
        assert (e.details.error_type, e.details.status_code) == (error_type, 400), e.details
        return "start"
    msg = parse_siwe(started.challenge)
    if "issued_at" in params:
        assert parse_time(msg["Issued At"]) == parse_time(params["issued_at"]), msg
    if "not_before" in params:
        assert parse_time(msg["Not Before"]) == parse_time(params["not_before"]), msg
    expect_error(error_type, 400, authenticate, wallet, wallet.sign(started.challenge), session_duration_minutes=60)
    return "authenticate"


expired_at = siwe_refused("siwe_message_expired", issued_at=rfc3339(now() - datetime.timedelta(hours=1)))
assert expired_at == "authenticate", expired_at
early_at = siwe_refused("siwe_message_not_valid_yet", not_before=rfc3339(now() + datetime.timedelta(minutes=5)))
log(f"an expired SIWE message (refused at {expired_at}) and one not valid yet (at {early_at})")

expect_error("invalid_siwe_domain", 400, start, EthWallet(),
             siwe_params={"domain": "evil.example.com", "uri": "https://evil.example.com"})
expect_error("crypto_wallet_type_incompatible_with_siwe", 400, start, SolWallet(),
             siwe_params={"domain": SIWE_DOMAIN, "uri": SIWE_URI})
log("a foreign SIWE domain and SIWE on solana are refused")

for address in ["0x1234", "0x" + "zz" * 20, eth.address[2:], "not an address"]:
    expect_error("invalid_ethereum_address", 400, start, Raw("ethereum", address))
for address in [eth.address, "0OIl" + sol.address[4:], base58.b58encode(secrets.token_bytes(20)).decode()]:
    expect_error("invalid_solana_address", 400, start, Raw("solana", address))
log("malformed addresses are refused")

sized = EthWallet()
good = sized.sign(start(sized).challenge)
expect_error("signature_is_incorrect_size", 400, authenticate, sized, good[:-2])
expect_error("signature_is_incorrect_size", 400, authenticate, sized, good + "00")
expect_error("invalid_signature", 400, authenticate, sized, "0x" + "zz" * 65)
sized_sol = SolWallet()
good_sol = base58.b58decode(sized_sol.sign(start(sized_sol).challenge))
expect_error("signature_is_incorrect_size", 400, authenticate, sized_sol, base58.b58encode(good_sol[:63]).decode())
expect_error("invalid_signature", 400, authenticate, sized_sol, "0OIl" + base58.b58encode(good_sol).decode()[4:])
log("signatures of the wrong size or encoding are refused")

# Attach: a new Solana wallet with the Ethereum user's session (at start and authenticate: the
# session gains it), a new Ethereum wallet with its user_id; both join that user.
attach_sol = SolWallet()
by_session_start, _, by_session = login(attach_sol, {"session_token": a.session_token},
                                        {"session_token": a.session_token})
assert not by_session_start.user_created and by_session_start.user_id == a.user_id
assert by_session.user_id == a.user_id and by_session.session.session_id == a.session.session_id
assert by_session.session_token == a.session_token
attached_sol = wallet_of(by_session.user, attach_sol.address, "solana")
addresses = [f.crypto_wallet_factor.crypto_wallet_address for f in crypto_factors(by_session.session)]
assert attach_sol.address in addresses, kinds(by_session.session)
attach_eth = EthWallet()
by_user_start, _, by_user = login(attach_eth, {"user_id": a.user_id})
assert not by_user_start.user_created and by_user_start.user_id == a.user_id and by_user.user_id == a.user_id
user = c.users.get(user_id=a.user_id)
assert len(user.crypto_wallets) == 3, user.crypto_wallets
wallet_of(user, eth.address, "ethereum")
assert wallet_of(user, attach_sol.address, "solana").crypto_wallet_id == attached_sol.crypto_wallet_id
wallet_of(user, attach_eth.address, "ethereum")
log("wallets attached by session token and by user id, listed by users.get;",
    "the session's crypto factors:", addresses)

# A magic-link session gains the crypto factor when authenticate names it.
email = "py-wallets@example.com"
c.magic_links.email.login_or_create(email=email)
ml = c.magic_links.authenticate(token=need("email_link", email), session_duration_minutes=60)
second = EthWallet()
second_start = start(second, session_token=ml.session_token)
assert not second_start.user_created and second_start.user_id == ml.user_id
stepped = authenticate(second, second.sign(second_start.challenge), session_token=ml.session_token,
                       session_duration_minutes=60)
assert stepped.user_id == ml.user_id and stepped.session.session_id == ml.session.session_id
assert stepped.session_token == ml.session_token
assert [f.type for f in stepped.session.authentication_factors] == ["magic_link", "crypto"], kinds(stepped.session)
crypto_factor(stepped.session, wallet_of(stepped.user, second.address, "ethereum"))
assert stepped.user.emails[0].email == email
local = c.sessions.authenticate_jwt_local(session_jwt=stepped.session_jwt)
assert [f.type for f in local.authentication_factors] == ["magic_link", "crypto"]
log("a magic-link session gains a second factor, crypto")

# Delete: the wallet leaves its user, and logs in next as a new user.
deleted = c.users.delete_crypto_wallet(crypto_wallet_id=attached_sol.crypto_wallet_id)
assert deleted.user_id == a.user_id
assert attached_sol.crypto_wallet_id not in [cw.crypto_wallet_id for cw in deleted.user.crypto_wallets]
user = c.users.get(user_id=a.user_id)
assert len(user.crypto_wallets) == 2 and attach_sol.address not in [cw.crypto_wallet_address for cw in user.crypto_wallets]
expect_error("crypto_wallet_not_found", 404, c.users.delete_crypto_wallet, crypto_wallet_id=attached_sol.crypto_wallet_id)
reborn_start, _, reborn = login(attach_sol)
assert reborn_start.user_created and reborn_start.user_id != a.user_id and reborn.user_id == reborn_start.user_id
assert len(reborn.user.crypto_wallets) == 1
crypto_factor(reborn.session, wallet_of(reborn.user, attach_sol.address, "solana"))
log("a deleted wallet leaves its user, and logs in next as a new user")

print("PASS", flush=True)
