//! Fuzzing entry points: arbitrary bytes through the parsing the server does on untrusted input.
//!
//! Each `pub fn` takes any bytes and must never panic: `fuzz/` runs them under libFuzzer,
//! `tests/api/fuzz_corpus.rs` replays its corpus on stable. Checks that sit inline in an async
//! handler or service are repeated here in their order, with a comment naming where they are.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

// The `http` crate's header types, as reqwest re-exports them: the very types the extractors
// take, named without making this module an importer of the web framework (`layout.rs`).
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::value::RawValue;
use tessera_proto::crypto_wallets as cw;
use time::OffsetDateTime;

use crate::error::{Error, ErrorType, Result};
use crate::http::crypto_wallets::siwe as wire_siwe;
use crate::http::extract::{RequestId, basic_credentials, client_ip};
use crate::http::sdk::cookies;
use crate::jwt::{SigningKey, UnverifiedJwt};
use crate::model::project::{CookieMode, CookiePolicy, ProjectPolicy};
use crate::model::user::{EmailAddress, ExternalId, PhoneNumber};
use crate::model::{Environment, Project, Timestamp};
use crate::service::crypto_wallets::{self as wallets, Address, Siwe, WalletType};
use crate::service::factors::Channel;
use crate::service::links::{self, LinkKind};
use crate::service::projects;
use crate::service::sessions::{Claims, issuer};
use crate::service::webauthn::protocol as webauthn;

/// `request_bodies`: every body type of `/v1` and `/sdk/v1` and its handler's checks.
mod bodies;

pub use bodies::{BODY_TYPES, request_bodies};

/// The project every target runs against.
const PROJECT_ID: &str = "project-test-00000000-0000-4000-8000-000000000000";
/// The key id of the signing key [`jwt_server`] signs and verifies with.
const KID: &str = "jwk-test-fuzz";
/// "Now" for the checks that depend on the time: 2027-01-15T08:00:00Z.
const NOW_SECONDS: i64 = 1_800_000_000;
/// The Ethereum address Sign-In with Ethereum messages are made for.
const WALLET: &str = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";
/// What a wallet signs in the request bodies' signature checks.
const CHALLENGE: &str = "Signing in with Project: Fuzz: 0123456789abcdefghijklmnopqrstuv";
/// `base64url(sha256("fuzz-verifier-0123456789-0123456789-0123456789"))`: the PKCE challenge a
/// magic link or reset was sent with, so that the seeds' verifier matches.
const PKCE_CHALLENGE: &str = "1nSOJuWjmimVtGHANPkZpV_SfXp_-vgbhcpIIUQXbEs";
/// The peers of the client IP checks: a trusted proxy, then anybody.
const TRUSTED: [IpAddr; 3] = [
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
    IpAddr::V6(Ipv6Addr::LOCALHOST),
];
const UNTRUSTED: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9));

fn project() -> &'static Project {
    static PROJECT: OnceLock<Project> = OnceLock::new();
    PROJECT.get_or_init(|| Project {
        project_id: PROJECT_ID.into(),
        name: "Fuzz".into(),
        env: Environment::Test,
        public_token: "public-token-test-00000000-0000-4000-8000-000000000000".into(),
        redirect_urls: vec![
            "http://localhost:3000/authenticate".into(),
            "https://app.example.com/auth?next=%2Fhome".into(),
        ],
        authorized_origins: vec![
            "http://localhost:3000".into(),
            "https://app.example.com".into(),
        ],
        created_at: Timestamp::from_millis(0),
        policy: ProjectPolicy::default(),
    })
}

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(NOW_SECONDS).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// An error is formatted as the envelope would format it, then dropped.
fn settle(outcome: Result<()>) {
    if let Err(e) = outcome {
        let _ = (e.kind(), e.to_string());
    }
}

fn email(s: &str) -> Result<()> {
    EmailAddress::parse(s).map(drop)
}

/// A redirect URL checked against the project's, then made into a link as the mail will be.
fn redirect(url: Option<&str>, kind: LinkKind) -> Result<()> {
    let u = links::redirect_url(project(), url, kind)?;
    links::typed_link(&u, kind.as_str(), "fuzz-token");
    Ok(())
}

/// A send's locale and destination on every channel (`http::otps::send`).
fn destinations(locale: &Option<String>, email: &Option<String>, phone: &Option<String>) {
    let (email, phone) = (email.as_deref(), phone.as_deref());
    for channel in [Channel::Sms, Channel::Whatsapp, Channel::Email] {
        settle(channel.check_locale(locale.as_deref()));
        settle(channel.destination(email, phone).map(drop));
    }
}

/// `service::crypto_wallets::start` but its store: the address, then the SIWE message.
fn wallet_start(kind: &str, address: &str, siwe: Option<Siwe>) -> Result<()> {
    let kind = WalletType::parse(kind)?;
    let address = Address::parse(kind, address)?;
    if siwe.is_some() && kind != WalletType::Ethereum {
        return Err(Error::new(ErrorType::CryptoWalletTypeIncompatibleWithSiwe));
    }
    if let Some(p) = siwe {
        let message = wallets::siwe_message(project(), &address, p, now())?;
        // What `authenticate` does with the stored message once its signature verified: a
        // message the server wrote always reads back (never a 500 after a valid signature).
        if let Err(Error::Internal(e)) = wallets::check_siwe_window(&message, now()) {
            panic!("a SIWE message the server wrote does not read back: {e}");
        }
    }
    Ok(())
}

/// `service::crypto_wallets::authenticate`'s decoding, and a verification of [`CHALLENGE`].
fn wallet_signature(kind: &str, address: &str, signature: &str) -> Result<()> {
    let kind = WalletType::parse(kind)?;
    let address = Address::parse(kind, address)?;
    let signature = address.signature(signature)?;
    address.verify(CHALLENGE, &signature);
    Ok(())
}

/// The frontend API's SIWE domain when none is given: the URI's authority
/// (`http::sdk::keys::wallet_start`).
fn sdk_siwe(p: cw::SiweParams) -> Siwe {
    let authority = url::Url::parse(&p.uri).ok().and_then(|u| {
        u.host_str()
            .map(|h| u.port().map_or(h.to_owned(), |port| format!("{h}:{port}")))
    });
    wire_siwe(p, authority)
}

/// The key [`jwt_server`] signs with: generated once per process (`None` if that failed).
fn signing_key() -> Option<&'static SigningKey> {
    static KEY: OnceLock<Option<SigningKey>> = OnceLock::new();
    KEY.get_or_init(|| {
        let generated = SigningKey::generate(KID.into(), Timestamp::from_millis(0));
        generated.ok().map(|g| g.key)
    })
    .as_ref()
}

/// Session JWTs as `service::sessions::verify_jwt` reads them: split, header decoded, then
/// signature, claims, audience and issuer, with the one key of a fixed project. Input that
/// starts with `{` is a payload instead: it is signed here first, so that the claims parser
/// sees what only a signature lets through.
pub fn jwt_server(data: &[u8]) {
    let Some(key) = signing_key() else {
        return;
    };
    let text = String::from_utf8_lossy(data);
    let signed = if text.starts_with('{') {
        let payload = serde_json::from_str::<&RawValue>(&text).ok();
        payload.and_then(|p| key.sign(&p).ok())
    } else {
        None
    };
    settle(verify_jwt(key, signed.as_deref().unwrap_or(&text)));
}

/// `service::sessions::verify_jwt` with `key` as the project's only published key.
fn verify_jwt(key: &SigningKey, jwt: &str) -> Result<()> {
    let bad = || Error::new(ErrorType::UnableToParseSessionJwt);
    let parsed = UnverifiedJwt::parse(jwt).ok_or_else(bad)?;
    let claims: Claims = parsed.verify_with(key).ok_or_else(bad)?;
    if !claims.aud.iter().any(|a| a == PROJECT_ID) || claims.iss != issuer(PROJECT_ID) {
        return Err(bad());
    }
    Ok(())
}

/// The headers read before any handler, one per line: `Authorization`, `Cookie`,
/// `X-Forwarded-For`, `Origin`, `X-SDK-Parent-Host`; any further line is another `Cookie`. A
/// line no header value may hold is left out (hyper refuses it before the server sees it).
/// Then: Basic credentials and the environment they name (request ids, `ProjectAuth`, the
/// frontend API's caller), the HttpOnly session cookie with its CSRF rule, and the client IP
/// behind trusted proxies.
pub fn basic_auth_and_cookies(data: &[u8]) {
    const NAMES: [&str; 5] = [
        "authorization",
        "cookie",
        "x-forwarded-for",
        "origin",
        "x-sdk-parent-host",
    ];
    let mut headers = HeaderMap::new();
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        if let Ok(v) = HeaderValue::from_bytes(line) {
            headers.append(NAMES.get(i).copied().unwrap_or("cookie"), v);
        }
    }
    RequestId::for_request(&headers);
    if let Ok(Some((user, _))) = basic_credentials(&headers) {
        Environment::of_credential(&user);
    }
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let httponly = CookiePolicy {
        mode: CookieMode::Httponly,
        domain: Some("example.com".into()),
    };
    for policy in [&httponly, &CookiePolicy::default()] {
        settle(cookies::session_token(policy, &headers, text("origin")).map(drop));
    }
    for peer in [TRUSTED[0], TRUSTED[2], UNTRUSTED] {
        client_ip(Some(peer), text("x-forwarded-for"), &TRUSTED);
    }
}

/// One address as every check that takes it: email, E.164 phone number, external id, the
/// destination of a send on each channel, a magic link or reset redirect URL against the
/// project's, an authorized origin, a WebAuthn relying-party domain.
pub fn addresses(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let s = text.as_ref();
    settle(email(s));
    settle(PhoneNumber::parse(s).map(drop));
    settle(ExternalId::parse(s).map(drop));
    let given = Some(s.to_owned());
    destinations(&None, &given, &given);
    for kind in [LinkKind::Login, LinkKind::Signup, LinkKind::Invite] {
        settle(redirect(Some(s), kind));
    }
    let _ = projects::parse_origin(s);
    settle(webauthn::relying_party(project(), s).map(drop));
}

/// Sign-In with Ethereum and wallets, all on each input: the input as a stored EIP-4361
/// message (its validity window checked); as `siwe_params` JSON, made into the message for a
/// fixed address as both APIs make it, then read back; and as the lines `wallet type`,
/// `address`, `signature`, `message` (the rest), the address and signature decoded for either
/// chain and the signature verified.
pub fn siwe(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    settle(wallets::check_siwe_window(&text, now()));
    if let Ok(p) = serde_json::from_str::<cw::SiweParams>(&text) {
        for siwe in [wire_siwe(p.clone(), None), sdk_siwe(p)] {
            settle(wallet_start("ethereum", WALLET, Some(siwe)));
        }
    }
    let mut lines = text.splitn(4, '\n');
    let mut next = || lines.next().unwrap_or_default();
    let (kind, address, signature, message) = (next(), next(), next(), next());
    settle(WalletType::parse(kind).map(drop));
    for kind in [WalletType::Ethereum, WalletType::Solana] {
        let Ok(address) = Address::parse(kind, address) else {
            continue;
        };
        if let Ok(signature) = address.signature(signature) {
            address.verify(message, &signature);
        }
    }
}
