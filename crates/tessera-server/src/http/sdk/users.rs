use axum::extract::State;
use tessera_proto::sdk as wire;

use super::Data;
use super::extract::Caller;
use crate::error::{Error, ErrorType, Result};
use crate::http::extract::{Json, Path, RequestId};
use crate::model::Timestamp;
use crate::model::user::{User, parse_name_part};
use crate::service::users::{self, UserPatch};
use crate::service::{addresses, notify, sessions};
use crate::state::AppState;
use crate::store::users::FactorRef;

/// The user of the caller's session.
async fn session_user(app: &AppState, caller: &Caller) -> Result<User> {
    let loc = caller.session()?;
    let (_, user) =
        sessions::resolve_with_user(&app.sessions, &caller.project, &loc, Timestamp::now()).await?;
    Ok(user)
}

/// The signed-in user.
pub(super) async fn me(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
) -> Result<Data<wire::MeResponse>> {
    let user = session_user(&app, &caller).await?;
    Ok(Data(wire::MeResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user: crate::http::wire::user(user, Timestamp::now()),
    }))
}

/// A user changes its own name or untrusted metadata (trusted metadata, roles and the
/// external id are for the backend only).
pub(super) async fn update_me(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    Json(req): Json<wire::UpdateMeRequest>,
) -> Result<Data<wire::UpdateMeResponse>> {
    let user = session_user(&app, &caller).await?;
    let name = req.name.unwrap_or_default();
    let part = |s: Option<String>| s.map(parse_name_part).transpose();
    let patch = UserPatch {
        first_name: part(name.first_name)?,
        middle_name: part(name.middle_name)?,
        last_name: part(name.last_name)?,
        untrusted_metadata: req.untrusted_metadata.filter(|v| !v.is_null()),
        ..Default::default()
    };
    let user = users::update(app.store(), &caller.project, &user.user_id, patch).await?;
    let user = crate::http::wire::user(user, Timestamp::now());
    Ok(Data(wire::UpdateMeResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: user.user_id.clone(),
        emails: user.emails.clone(),
        phone_numbers: user.phone_numbers.clone(),
        crypto_wallets: user.crypto_wallets.clone(),
        user,
    }))
}

/// Deletes one of the signed-in user's own factors (see [`addresses::delete_own`]) and tells the
/// user; another user's id is "not found".
async fn delete_factor(
    request_id: RequestId,
    app: AppState,
    caller: Caller,
    factor: FactorRef,
) -> Result<Data<wire::DeleteFactorResponse>> {
    let loc = caller.session()?;
    let now = Timestamp::now();
    let (user, removed) =
        addresses::delete_own(&app.sessions, &caller.project, &loc, factor, now).await?;
    let notice = notify::Notice::FactorRemoved(&removed);
    notify::tell(
        &app.delivery,
        &caller.project,
        &user,
        notice,
        Some(&removed),
    )
    .await;
    Ok(Data(wire::DeleteFactorResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: user.user_id.clone(),
        user: crate::http::wire::user(user, now),
    }))
}

/// `DELETE /users/emails/{email_id}`.
pub(super) async fn delete_email(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Data<wire::DeleteFactorResponse>> {
    delete_factor(request_id, app, caller, FactorRef::Email(id)).await
}

/// `DELETE /users/phone_numbers/{phone_id}`.
pub(super) async fn delete_phone(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Data<wire::DeleteFactorResponse>> {
    delete_factor(request_id, app, caller, FactorRef::Phone(id)).await
}

/// Factors Tessera does not have (biometrics, which are mobile only): a signed-in
/// user owns none, so each id is not found.
pub(super) async fn delete_other(
    State(app): State<AppState>,
    caller: Caller,
    Path((kind, _id)): Path<(String, String)>,
) -> Result<Data<wire::DeleteFactorResponse>> {
    let missing = match kind.as_str() {
        "totps" => ErrorType::TotpNotFound,
        "oauth" => ErrorType::OauthUserRegistrationNotFound,
        "biometric_registrations" => ErrorType::BiometricRegistrationNotFound,
        _ => return Err(Error::new(ErrorType::RouteNotFound)),
    };
    session_user(&app, &caller).await?;
    Err(Error::new(missing))
}
