//! Conversions from domain types to the wire types of HTTP answers.

use tessera_proto::{common, sessions as ws, users as wu};

use crate::model::Timestamp;
use crate::model::session::{AuthFactor, Session};
use crate::model::user::User;
use crate::service::sessions::claims;

/// The wire form of a user.
pub(crate) fn user(u: User, now: Timestamp) -> wu::User {
    wu::User {
        is_locked: u.is_locked(now),
        roles: u.effective_roles(),
        lock_created_at: u.lock.map(|(a, _)| a.to_rfc3339()),
        lock_expires_at: u.lock.map(|(_, b)| b.to_rfc3339()),
        user_id: u.user_id,
        status: u.status.as_str().to_owned(),
        created_at: u.created_at.to_rfc3339(),
        name: common::Name {
            first_name: Some(u.name.first),
            middle_name: Some(u.name.middle),
            last_name: Some(u.name.last),
        },
        emails: u
            .emails
            .into_iter()
            .map(|e| wu::Email {
                email_id: e.email_id,
                email: e.email.as_str().to_owned(),
                verified: e.verified,
            })
            .collect(),
        phone_numbers: u
            .phone_numbers
            .into_iter()
            .map(|p| wu::PhoneNumber {
                phone_id: p.phone_id,
                phone_number: p.phone_number.as_str().to_owned(),
                verified: p.verified,
            })
            .collect(),
        webauthn_registrations: u
            .webauthn_registrations
            .into_iter()
            .map(webauthn_registration)
            .collect(),
        providers: u
            .providers
            .into_iter()
            .map(|p| wu::OAuthProvider {
                provider_type: crate::model::oauth::Provider::parse(&p.provider)
                    .map_or(p.provider.clone(), |k| k.provider_type().to_owned()),
                provider_subject: p.provider_subject,
                profile_picture_url: p.profile_picture_url,
                locale: p.locale,
                oauth_user_registration_id: p.registration_id,
            })
            .collect(),
        totps: u
            .totps
            .into_iter()
            .map(|t| wu::Totp {
                totp_id: t.totp_id,
                verified: t.verified,
            })
            .collect(),
        crypto_wallets: u
            .crypto_wallets
            .into_iter()
            .map(|w| wu::CryptoWallet {
                crypto_wallet_id: w.wallet_id,
                crypto_wallet_address: w.address,
                crypto_wallet_type: w.wallet_type,
                verified: w.verified,
            })
            .collect(),
        biometric_registrations: vec![],
        password: u.password.map(|p| wu::Password {
            password_id: p.password_id,
            requires_reset: p.requires_reset,
        }),
        trusted_metadata: u.trusted_metadata.as_map().clone(),
        untrusted_metadata: u.untrusted_metadata.as_map().clone(),
        external_id: u.external_id.map(|e| e.as_str().to_owned()),
    }
}

/// A factor login's session as an answer carries it: `(session_token, session_jwt, session)`,
/// `("", "", None)` when none was created or attached.
pub(crate) fn issued(
    issued: Option<crate::service::sessions::Issued>,
    roles: Vec<String>,
) -> (String, String, Option<ws::Session>) {
    match issued {
        Some(i) => (i.token, i.jwt, Some(session(&i.session, roles))),
        None => (String::new(), String::new(), None),
    }
}

/// The wire form of a factor in a session answer: the JWT's form with its times.
pub(crate) fn factor(f: &AuthFactor) -> ws::AuthenticationFactor {
    ws::AuthenticationFactor {
        created_at: Some(f.created_at.to_rfc3339()),
        updated_at: Some(f.last_authenticated_at.to_rfc3339()),
        ..claims::factor(f)
    }
}

/// The wire form of a session.
pub(crate) fn session(s: &Session, roles: Vec<String>) -> ws::Session {
    ws::Session {
        session_id: s.session_id.clone(),
        user_id: s.user_id.clone(),
        started_at: s.started_at.to_rfc3339(),
        last_accessed_at: s.last_accessed_at.to_rfc3339(),
        expires_at: s.expires_at.to_rfc3339(),
        attributes: ws::SessionAttributes {
            ip_address: s.ip_address.clone(),
            user_agent: s.user_agent.clone(),
        },
        authentication_factors: s.factors.iter().map(factor).collect(),
        custom_claims: s.custom_claims.clone(),
        roles,
    }
}

/// A WebAuthn registration on the wire (every stored one completed its ceremony).
pub(crate) fn webauthn_registration(
    r: crate::model::user::WebauthnRegistration,
) -> wu::WebAuthnRegistration {
    wu::WebAuthnRegistration {
        webauthn_registration_id: r.registration_id,
        domain: r.domain,
        user_agent: r.user_agent,
        verified: true,
        authenticator_type: r.authenticator_type,
        name: r.name,
    }
}
