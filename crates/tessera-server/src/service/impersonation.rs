//! Impersonation: an administrator mints a single-use token (valid five minutes, its reason in
//! the security log) that starts a 60-minute session for the user which cannot be extended and
//! carries the `impersonated` factor naming the administrator. A project may forbid it.

use crate::crypto::{Digest256, random_b64_nopad};
use crate::error::{Error, ErrorType, Result};
use crate::model::session::{AuthFactor, FactorKind, FactorSubject};
use crate::model::user::EmailAddress;
use crate::model::{Project, Timestamp};
use crate::service::factors::{self, Authenticated};
use crate::service::sessions::{ClientAttributes, SessionEngine, SessionRequest};
use crate::service::{security_log, users};
use crate::store::Store;
use crate::store::oauth::ImpersonationRow;

/// How long a token may wait to be used.
pub const TOKEN_MINUTES: i64 = 5;
/// How long an impersonated session lives (never extended).
pub const SESSION_MINUTES: i64 = 60;

fn forbidden(project: &Project) -> Result<()> {
    if project.policy.identity.impersonation {
        Ok(())
    } else {
        Err(Error::new(ErrorType::UserImpersonationNotAllowed))
    }
}

/// The administrator's id: stable for an email, never the email itself.
fn impersonator_id(email: &EmailAddress) -> String {
    let d = Digest256::of(email.as_str());
    let hex: String = d.0[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("impersonator-{hex}")
}

/// Mints a token for `user_id`; the token and its expiry.
pub async fn mint(
    store: &Store,
    project: &Project,
    user_id: &str,
    (impersonator, reason): (&str, &str),
    now: Timestamp,
) -> Result<(String, Timestamp)> {
    forbidden(project)?;
    let email = EmailAddress::parse(impersonator)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.len() > 500 {
        return Err(Error::with_message(
            ErrorType::InvalidArgument,
            "A reason (up to 500 characters) is required to impersonate a user.",
        ));
    }
    let user = users::get(store, project, user_id).await?;
    let token = random_b64_nopad(33);
    let expires = now.plus_minutes(TOKEN_MINUTES);
    let row = ImpersonationRow {
        user_id: user.user_id.clone(),
        impersonator_id: impersonator_id(&email),
        impersonator_email: email.as_str().to_owned(),
        reason: reason.to_owned(),
    };
    store
        .insert_impersonation_token(&project.project_id, &Digest256::of(&token).0, &row, expires)
        .await?;
    security_log::impersonation(
        project,
        "impersonation_minted",
        &user.user_id,
        email.as_str(),
        reason,
    );
    Ok((token, expires))
}

/// Spends a token: a new 60-minute session for its user.
pub async fn authenticate(
    engine: &SessionEngine,
    project: &Project,
    token: &str,
    attrs: &ClientAttributes,
    now: Timestamp,
) -> Result<Authenticated> {
    forbidden(project)?;
    if token.is_empty() || token.len() > 128 {
        return Err(Error::new(ErrorType::UnableToAuthImpersonationToken));
    }
    let store = engine.store();
    let row = store
        .take_impersonation_token(&project.project_id, &Digest256::of(token).0, now)
        .await?
        .ok_or_else(|| Error::new(ErrorType::UnableToAuthImpersonationToken))?;
    let user = users::get(store, project, &row.user_id).await?;
    security_log::impersonation(
        project,
        "impersonation_started",
        &user.user_id,
        &row.impersonator_email,
        &row.reason,
    );
    let factor = AuthFactor::new(
        FactorKind::Impersonated,
        FactorSubject::Impersonated {
            impersonator_id: row.impersonator_id.clone(),
            impersonator_email_address: row.impersonator_email,
        },
        now,
    );
    let req = SessionRequest {
        existing: None,
        duration_minutes: Some(SESSION_MINUTES),
        custom_claims: None,
    };
    factors::complete(
        engine,
        project,
        (user, row.impersonator_id),
        factor,
        req,
        attrs,
        now,
    )
    .await
}
