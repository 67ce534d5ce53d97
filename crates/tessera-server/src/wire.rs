//! Conversions from domain types to wire types, shared by the HTTP answers and the session JWT.

use tessera_proto::{common, sessions as ws, users as wu};

use crate::model::Timestamp;
use crate::model::session::{AuthFactor, FactorSubject, Session};
use crate::model::user::User;

/// The wire form of a user.
pub fn user(u: User, now: Timestamp) -> wu::User {
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
        webauthn_registrations: vec![],
        providers: vec![],
        totps: vec![],
        crypto_wallets: vec![],
        biometric_registrations: vec![],
        password: None,
        trusted_metadata: u.trusted_metadata.as_map().clone(),
        untrusted_metadata: u.untrusted_metadata.as_map().clone(),
        external_id: u.external_id.map(|e| e.as_str().to_owned()),
    }
}

/// The wire form of a factor; inside a JWT it has no `created_at`/`updated_at`.
pub fn factor(f: &AuthFactor, in_jwt: bool) -> ws::AuthenticationFactor {
    let (factor_type, delivery_method) = f.kind.wire();
    let mut out = ws::AuthenticationFactor {
        factor_type: factor_type.to_owned(),
        delivery_method: delivery_method.to_owned(),
        last_authenticated_at: f.last_authenticated_at.to_rfc3339(),
        created_at: (!in_jwt).then(|| f.created_at.to_rfc3339()),
        updated_at: (!in_jwt).then(|| f.last_authenticated_at.to_rfc3339()),
        email_factor: None,
        phone_number_factor: None,
        embeddable_magic_link_factor: None,
    };
    match &f.subject {
        FactorSubject::Email {
            email_id,
            email_address,
        } => {
            out.email_factor = Some(ws::EmailFactor {
                email_id: email_id.clone(),
                email_address: email_address.clone(),
            })
        }
        FactorSubject::Phone {
            phone_id,
            phone_number,
        } => {
            out.phone_number_factor = Some(ws::PhoneNumberFactor {
                phone_id: phone_id.clone(),
                phone_number: phone_number.clone(),
            })
        }
        FactorSubject::Embedded { embedded_id } => {
            out.embeddable_magic_link_factor = Some(ws::EmbeddableMagicLinkFactor {
                embedded_id: embedded_id.clone(),
            })
        }
    }
    out
}

/// The wire form of a session.
pub fn session(s: &Session, roles: Vec<String>) -> ws::Session {
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
        authentication_factors: s.factors.iter().map(|f| factor(f, false)).collect(),
        custom_claims: s.custom_claims.clone(),
        roles,
    }
}
