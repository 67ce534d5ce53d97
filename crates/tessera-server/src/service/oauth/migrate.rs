//! `sessions/migrate`: a session imported from another identity provider. Tessera calls the
//! project's configured userinfo URL with the presented access token, takes the email the
//! provider says it verified, finds (or creates) that user and starts a session with the
//! `imported` factor, so nobody is logged out by a move to Tessera.

use openidconnect::AccessToken;

use crate::error::{Error, ErrorType, Result};
use crate::model::session::{AuthFactor, FactorKind, FactorSubject};
use crate::model::user::{EmailAddress, Name};
use crate::model::{Project, Timestamp};
use crate::service::factors::{self, Authenticated, Destination};
use crate::service::sessions::{ClientAttributes, SessionEngine, SessionRequest};
use crate::service::users;
use crate::store::users::FactorRef;

use super::protocol::{Providers, identity_of_userinfo};

/// Imports a session for the owner of the verified email the other provider's userinfo names.
pub async fn migrate(
    engine: &SessionEngine,
    providers: &Providers,
    project: &Project,
    token: &str,
    (session, attrs): (SessionRequest, &ClientAttributes),
    now: Timestamp,
) -> Result<Authenticated> {
    let url = project
        .policy
        .identity
        .migrate_userinfo_url
        .as_deref()
        .ok_or_else(|| Error::new(ErrorType::InvalidUserinfoUrl))?;
    if token.is_empty() || token.len() > 8192 {
        return Err(Error::new(ErrorType::MigrateFromExternalMissingUserinfo));
    }
    let resp = providers
        .http()
        .get(url)
        .bearer_auth(AccessToken::new(token.to_owned()).secret())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "sessions/migrate: the userinfo call failed");
            Error::new(ErrorType::MigrateFromExternalUnexpectedResponse)
        })?;
    let status = resp.status();
    if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        return Err(Error::new(ErrorType::MigrateFromExternalMissingUserinfo));
    }
    if !status.is_success() {
        tracing::warn!(%status, "sessions/migrate: the userinfo endpoint answered an error");
        return Err(Error::new(ErrorType::MigrateFromExternalUnexpectedResponse));
    }
    let info: serde_json::Value = resp
        .json()
        .await
        .map_err(|_| Error::new(ErrorType::MigrateFromExternalUnexpectedResponse))?;
    let who = identity_of_userinfo(&info)
        .ok_or_else(|| Error::new(ErrorType::MigrateFromExternalMissingUserinfo))?;
    let email = match (&who.email, who.email_verified) {
        (Some(e), true) => EmailAddress::parse(e)
            .map_err(|_| Error::new(ErrorType::MigrateFromExternalEmailDoesNotExist))?,
        _ => return Err(Error::new(ErrorType::MigrateFromExternalEmailDoesNotExist)),
    };
    let store = engine.store();
    let new = users::NewUser {
        name: Name {
            first: who.given_name.clone(),
            middle: String::new(),
            last: who.family_name.clone(),
        },
        ..Default::default()
    };
    let (user, _) =
        factors::owner_or_create(store, project, &Destination::Email(email.clone()), new, now)
            .await?;
    let mine = user
        .emails
        .iter()
        .find(|m| m.email == email)
        .cloned()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("the imported user lost its email")))?;
    if !mine.verified {
        let f = FactorRef::Email(mine.email_id.clone());
        store
            .verify_factor(
                &project.project_id,
                &user.user_id,
                &f,
                user.activates_on_verify(),
            )
            .await?;
    }
    let user = users::get(store, project, &user.user_id).await?;
    let factor = AuthFactor::new(
        FactorKind::Imported,
        FactorSubject::Imported {
            email_id: mine.email_id.clone(),
        },
        now,
    );
    factors::complete(
        engine,
        project,
        (user, mine.email_id),
        factor,
        session,
        attrs,
        now,
    )
    .await
}
