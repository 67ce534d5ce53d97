//! The request bodies target: each body type of the API as its extractor reads it, then the
//! checks its handler makes before the store.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tessera_proto::{common, crypto_wallets as cw, magic_links as ml, oauth, otps};
use tessera_proto::{passwords as pw, sdk, sessions, totps, users, webauthn as wa};
use webauthn_rs_core::proto::{PublicKeyCredential, RegisterPublicKeyCredential};

use super::{PKCE_CHALLENGE, destinations, email, project, redirect, settle};
use super::{sdk_siwe, wallet_signature, wallet_start, wire_siwe};
use crate::error::{Error, ErrorType, Result};
use crate::model::session::{merge_custom_claims, parse_duration_minutes};
use crate::model::user::{self, EmailAddress, ExternalId, Metadata, PhoneNumber};
use crate::service::factors::{Channel, check_pkce};
use crate::service::links::LinkKind;
use crate::service::passwords::legacy::Legacy;
use crate::service::sessions::{Locator, SessionRequest};
use crate::service::users::{SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT};
use crate::service::webauthn::protocol as webauthn;
use crate::service::{addresses, magic_links, search};
use crate::store::SearchCursor;

/// How many request body types [`request_bodies`] knows (its selector byte is taken modulo).
pub const BODY_TYPES: u8 = 51;

/// The body half of `http::extract::read_json`.
fn json<T: DeserializeOwned>(bytes: &[u8], empty: Option<fn() -> T>) -> Result<T> {
    crate::http::extract::parse_body(bytes, empty)
}

/// A `Json<T>` body, then the checks its handler makes before reaching the store.
fn checked<T: DeserializeOwned>(body: &[u8], checks: impl FnOnce(T) -> Result<()>) -> Result<()> {
    checks(json(body, None)?)
}

/// The session options of a factor login (`http::sessions::session_request`).
fn session(s: sessions::SessionOptions) -> Result<()> {
    SessionRequest::parse(
        s.session_token,
        s.session_jwt,
        s.session_duration_minutes,
        s.session_custom_claims,
    )
    .map(drop)
}

/// A frontend login's `session_duration_minutes` (`factors::frontend_session`).
fn minutes(m: Option<i64>) -> Result<()> {
    m.map(parse_duration_minutes).transpose().map(drop)
}

/// `http::users::name`.
fn name(n: Option<common::Name>) -> Result<()> {
    let n = n.unwrap_or_default();
    for part in [n.first_name, n.middle_name, n.last_name] {
        part.map(user::parse_name_part).transpose()?;
    }
    Ok(())
}

/// `http::users::metadata`: metadata given on create.
fn metadata(v: Option<Value>) -> Result<()> {
    match v {
        Some(v) if !v.is_null() => Metadata::parse(v).map(drop),
        _ => Ok(()),
    }
}

/// Metadata given on update, merged as `service::users::update` merges it.
fn patch(v: Option<Value>) -> Result<()> {
    match v {
        Some(p) if !p.is_null() => Metadata::default().merge(p).map(drop),
        _ => Ok(()),
    }
}

/// An optional field through its parser.
fn opt<T>(v: &Option<String>, parse: impl FnOnce(&str) -> Result<T>) -> Result<()> {
    v.as_deref().map(parse).transpose().map(drop)
}

/// A magic link's lifetime and redirect (`service::magic_links::link_target`).
fn link_target(url: Option<&str>, minutes: Option<i64>, kind: LinkKind) -> Result<()> {
    let default = if kind == LinkKind::Login { 60 } else { 10_080 };
    magic_links::parse_minutes(minutes, default)?;
    redirect(url, kind)
}

/// How many of these are given (not empty).
fn given(values: [&Option<String>; 3]) -> usize {
    let given = |v: &&Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
    values.into_iter().filter(given).count()
}

/// `service::webauthn::register` up to the ceremony's lookup, and the key it would store.
fn register_credential(json: &str) -> Result<()> {
    let reg: RegisterPublicKeyCredential = webauthn::parse_credential(json)?;
    webauthn::challenge_digest(reg.response.client_data_json.as_ref())?;
    webauthn::attachment_of(json);
    webauthn::cose_key_of(reg.response.attestation_object.as_ref()).map(drop)
}

/// `service::webauthn::authenticate` up to the ceremony's lookup.
fn login_credential(json: &str) -> Result<()> {
    let rsp: PublicKeyCredential = webauthn::parse_credential(json)?;
    webauthn::challenge_digest(rsp.response.client_data_json.as_ref())?;
    rsp.get_user_unique_id();
    Ok(())
}

/// WebAuthn `register/start`: the relying party for the domain, the authenticator type.
fn relying_party(domain: &str, authenticator_type: Option<&str>) -> Result<()> {
    webauthn::relying_party(project(), domain)?;
    webauthn::authenticator_type(authenticator_type).map(drop)
}

/// Request bodies of `/v1` and `/sdk/v1`: the first byte picks the type (modulo
/// [`BODY_TYPES`], in the order below), the rest is the body, read as the `Json` extractor
/// reads it; a body that reads is then put through the checks its handler makes before the
/// store (sessions, durations, addresses, metadata, roles, redirect URLs, legacy hashes,
/// WebAuthn credentials, wallets and SIWE).
pub fn request_bodies(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    settle(match which % BODY_TYPES {
        // `http::users::new_user`.
        0 => checked(body, |r: users::CreateUserRequest| {
            opt(&r.email, EmailAddress::parse)?;
            opt(&r.phone_number, PhoneNumber::parse)?;
            name(r.name)?;
            metadata(r.trusted_metadata)?;
            metadata(r.untrusted_metadata)?;
            opt(&r.external_id, ExternalId::parse)?;
            user::parse_roles(r.roles.unwrap_or_default()).map(drop)
        }),
        1 => checked(body, |r: users::UpdateUserRequest| {
            name(r.name)?;
            opt(&r.external_id, ExternalId::parse)?;
            r.roles.map(user::parse_roles).transpose()?;
            patch(r.trusted_metadata)?;
            patch(r.untrusted_metadata)
        }),
        // `http::users::search_users`, then `service::users::search` up to the store.
        2 => checked(body, |r: users::SearchUsersRequest| {
            if let Some(q) = r.query {
                let operands = q.operands.iter();
                let operands = operands.map(|o| search::operand(&o.filter_name, &o.filter_value));
                search::query(&q.operator, operands.collect::<Result<_>>()?)?;
            }
            let limit = r.limit.unwrap_or(SEARCH_DEFAULT_LIMIT);
            if !(1..=SEARCH_MAX_LIMIT).contains(&limit) {
                return Err(Error::new(ErrorType::UserSearchInvalidLimit));
            }
            if let Some(c) = r.cursor.filter(|c| !c.is_empty()) {
                let c = SearchCursor::decode(&c)
                    .ok_or_else(|| Error::new(ErrorType::UserSearchInvalidCursor))?;
                SearchCursor::decode(&c.encode());
            }
            Ok(())
        }),
        3 => checked(body, |r: users::ExchangePrimaryFactorRequest| {
            match (r.email_address.as_deref(), r.phone_number.as_deref()) {
                (Some(e), None) => email(e),
                (None, Some(p)) => PhoneNumber::parse(p).map(drop),
                _ => Err(Error::new(ErrorType::InvalidExchangePrimaryFactorFields)),
            }
        }),
        // `http::sessions::authenticate`; custom claims as `sessions::authenticate` merges them.
        4 => checked(body, |r: sessions::AuthenticateSessionRequest| {
            Locator::from_pair(r.session_token, r.session_jwt)?
                .ok_or_else(|| Error::new(ErrorType::NoSessionArguments))?;
            minutes(r.session_duration_minutes)?;
            let claims = r.session_custom_claims.unwrap_or_default();
            merge_custom_claims(&Map::new(), claims).map(drop)
        }),
        // `http::sessions::revoke`.
        5 => checked(body, |r: sessions::RevokeSessionRequest| {
            match given([&r.session_id, &r.session_token, &r.session_jwt]) {
                0 => Err(Error::new(ErrorType::NoSessionRevokeArguments)),
                1 => Locator::from_pair(r.session_token, r.session_jwt).map(drop),
                _ => Err(Error::new(ErrorType::TooManySessionRevokeArguments)),
            }
        }),
        // `http::magic_links::send` and `link_input`, then both link targets.
        6 => checked(body, |r: ml::EmailMagicLinkRequest| {
            addresses::attach_from(r.user_id, r.session_token, r.session_jwt)?;
            Channel::Email.check_locale(r.locale.as_deref())?;
            email(&r.email)?;
            let login = r.login_magic_link_url.as_deref();
            link_target(login, r.login_expiration_minutes, LinkKind::Login)?;
            let signup = r.signup_magic_link_url.as_deref();
            link_target(signup, r.signup_expiration_minutes, LinkKind::Signup)
        }),
        7 => checked(body, |r: ml::InviteRequest| {
            Channel::Email.check_locale(r.locale.as_deref())?;
            email(&r.email)?;
            name(r.name)?;
            metadata(r.trusted_metadata)?;
            metadata(r.untrusted_metadata)?;
            redirect(r.invite_magic_link_url.as_deref(), LinkKind::Invite)?;
            magic_links::parse_minutes(r.invite_expiration_minutes, 10_080).map(drop)
        }),
        8 => checked(body, |r: ml::RevokeInviteRequest| email(&r.email)),
        9 => checked(body, |r: ml::CreateEmbeddableRequest| {
            magic_links::parse_minutes(r.expiration_minutes, 60).map(drop)
        }),
        10 => checked(body, |r: ml::AuthenticateMagicLinkRequest| {
            session(r.session)?;
            check_pkce(Some(PKCE_CHALLENGE), r.code_verifier.as_deref())
        }),
        11 => checked(body, |r: otps::OtpSendRequest| {
            destinations(&r.locale, &r.email, &r.phone_number);
            addresses::attach_from(r.user_id, r.session_token, r.session_jwt).map(drop)
        }),
        12 => checked(body, |r: otps::OtpAuthenticateRequest| session(r.session)),
        13 => checked(body, |r: pw::CreateRequest| {
            email(&r.email)?;
            name(r.name)?;
            metadata(r.trusted_metadata.map(Value::Object))?;
            metadata(r.untrusted_metadata.map(Value::Object))?;
            session(r.session)
        }),
        14 => checked(body, |r: pw::AuthenticateRequest| {
            email(&r.email)?;
            session(r.session)
        }),
        15 => checked(body, |r: pw::StrengthCheckRequest| opt(&r.email, email)),
        // `http::passwords::migrate`, and the hash as it is stored and read back.
        16 => checked(body, |r: pw::MigrateRequest| {
            email(&r.email)?;
            let stored = Legacy::from_request(&r)?.to_stored();
            Legacy::from_stored(&stored)?;
            name(r.name)?;
            metadata(r.trusted_metadata.map(Value::Object))?;
            metadata(r.untrusted_metadata.map(Value::Object))
        }),
        // `http::passwords::start_input`, then `service::passwords::reset::start`.
        17 => checked(body, |r: pw::ResetStartRequest| {
            email(&r.email)?;
            if !(5..=10_080).contains(&r.reset_password_expiration_minutes.unwrap_or(30)) {
                return Err(Error::new(ErrorType::InvalidExpiration));
            }
            redirect(r.reset_password_redirect_url.as_deref(), LinkKind::Login)
        }),
        18 => checked(body, |r: pw::EmailResetRequest| {
            session(r.session)?;
            check_pkce(Some(PKCE_CHALLENGE), r.code_verifier.as_deref())
        }),
        19 => checked(body, |r: pw::ExistingResetRequest| {
            email(&r.email)?;
            session(r.session)
        }),
        20 => checked(body, |r: pw::SessionResetRequest| {
            Locator::from_pair(r.session.session_token, r.session.session_jwt)?
                .ok_or_else(|| Error::new(ErrorType::NoSessionArguments))
                .map(drop)
        }),
        21 => checked(body, |_: totps::CreateRequest| Ok(())),
        22 => checked(body, |r: totps::AuthenticateRequest| session(r.session)),
        23 => checked(body, |_: totps::RecoveryCodesRequest| Ok(())),
        24 => checked(body, |r: totps::RecoverRequest| session(r.session)),
        25 => checked(body, |r: oauth::AuthenticateRequest| session(r.session)),
        // `http::oauth::attach`.
        26 => checked(body, |r: oauth::AttachRequest| {
            match given([&r.user_id, &r.session_token, &r.session_jwt]) {
                0 => Err(Error::new(ErrorType::NoUserSelectionArguments)),
                1 => Ok(()),
                _ => Err(Error::new(ErrorType::TooManyUserSelectionArguments)),
            }
        }),
        27 => checked(body, |_: oauth::ImpersonationAuthenticateRequest| Ok(())),
        // `service::impersonation::mint` up to the store.
        28 => checked(body, |r: oauth::ImpersonationTokenRequest| {
            email(&r.impersonator_email)?;
            let reason = r.reason.trim();
            if reason.is_empty() || reason.len() > 500 {
                return Err(Error::new(ErrorType::InvalidArgument));
            }
            Ok(())
        }),
        29 => checked(body, |r: oauth::MigrateRequest| {
            let (m, c) = (r.session_duration_minutes, r.session_custom_claims);
            SessionRequest::parse(None, None, m, c).map(drop)
        }),
        30 => checked(body, |r: wa::RegisterStartRequest| {
            relying_party(&r.domain, r.authenticator_type.as_deref())
        }),
        31 => checked(body, |r: wa::RegisterRequest| {
            session(r.session)?;
            register_credential(&r.public_key_credential)
        }),
        32 => checked(body, |r: wa::AuthenticateStartRequest| {
            webauthn::relying_party(project(), &r.domain).map(drop)
        }),
        33 => checked(body, |r: wa::AuthenticateRequest| {
            session(r.session)?;
            login_credential(&r.public_key_credential)
        }),
        34 => checked(body, |_: wa::UpdateRequest| Ok(())),
        // `http::crypto_wallets::authenticate_start`.
        35 => checked(body, |r: cw::AuthenticateStartRequest| {
            let given = [&r.user_id, &r.session_token, &r.session_jwt];
            if given.iter().filter(|v| v.is_some()).count() > 1 {
                return Err(Error::new(ErrorType::TooManyUserSelectionArguments));
            }
            let siwe = r.siwe_params.map(|p| wire_siwe(p, None));
            wallet_start(&r.crypto_wallet_type, &r.crypto_wallet_address, siwe)
        }),
        36 => checked(body, |r: cw::AuthenticateRequest| {
            session(r.session)?;
            let (t, a) = (&r.crypto_wallet_type, &r.crypto_wallet_address);
            wallet_signature(t, a, &r.signature)
        }),
        37 => json::<sdk::SessionAuthenticateRequest>(body, Some(Default::default))
            .and_then(|r| minutes(r.session_duration_minutes)),
        // `http::sdk::factors::magic_link_send_any`.
        38 => checked(body, |r: sdk::MagicLinkSendRequest| {
            Channel::Email.check_locale(r.locale.as_deref())?;
            email(&r.email)?;
            r.code_challenge
                .filter(|c| !c.is_empty())
                .ok_or_else(|| Error::new(ErrorType::PkceExpectedCodeChallenge))?;
            let login = r.login_magic_link_url.as_deref();
            link_target(login, r.login_expiration_minutes, LinkKind::Login)?;
            let signup = r.signup_magic_link_url.as_deref();
            link_target(signup, r.signup_expiration_minutes, LinkKind::Signup)
        }),
        39 => checked(body, |r: sdk::MagicLinkAuthenticateRequest| {
            minutes(r.session_duration_minutes)?;
            check_pkce(Some(PKCE_CHALLENGE), r.code_verifier.as_deref())
        }),
        // `http::sdk::factors::otp_send_any`, for each channel of the path.
        40 => checked(body, |r: sdk::OtpSendRequest| {
            for channel in ["sms", "whatsapp", "email"] {
                settle(Channel::parse(channel).map(drop));
            }
            destinations(&r.locale, &r.email, &r.phone_number);
            Ok(())
        }),
        41 => checked(body, |r: sdk::OtpAuthenticateRequest| {
            minutes(r.session_duration_minutes)
        }),
        // `http::sdk::users::update_me`.
        42 => checked(body, |r: sdk::UpdateMeRequest| {
            name(r.name)?;
            patch(r.untrusted_metadata)
        }),
        43 => checked(body, |_: sdk::TotpCreateRequest| Ok(())),
        44 => checked(body, |r: sdk::TotpCodeRequest| {
            minutes(r.session_duration_minutes)
        }),
        45 => checked(body, |r: sdk::UserSearchRequest| email(&r.email)),
        46 => checked(body, |r: wa::SdkRegisterStartRequest| {
            relying_party(&r.domain, r.authenticator_type.as_deref())
        }),
        // The same body registers and logs in.
        47 => checked(body, |r: wa::SdkCredentialRequest| {
            minutes(r.session_duration_minutes)?;
            settle(register_credential(&r.public_key_credential));
            login_credential(&r.public_key_credential)
        }),
        48 => checked(body, |r: wa::SdkAuthenticateStartRequest| {
            webauthn::relying_party(project(), &r.domain).map(drop)
        }),
        49 => checked(body, |r: cw::SdkStartRequest| {
            let siwe = r.siwe_params.map(sdk_siwe);
            wallet_start(&r.crypto_wallet_type, &r.crypto_wallet_address, siwe)
        }),
        50 => checked(body, |r: cw::SdkAuthenticateRequest| {
            minutes(r.session_duration_minutes)?;
            let (t, a) = (&r.crypto_wallet_type, &r.crypto_wallet_address);
            wallet_signature(t, a, &r.signature)
        }),
        _ => Ok(()),
    });
}
