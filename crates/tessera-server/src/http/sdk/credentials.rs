use axum::extract::State;
use tessera_proto::passwords as pw;
use tessera_proto::sdk as wire;
use tessera_proto::totps::RecoveryCodesResponse;

use super::Data;
use super::extract::Caller;
use super::factors::{concluded, session_request};
use crate::error::Result;
use crate::http::extract::{Client, Json, Path, RequestId};
use crate::http::passwords::{start_input, strength};
use crate::model::Timestamp;
use crate::model::user::EmailAddress;
use crate::service::factors::{self, MatchOptions};
use crate::service::passwords::reset::{self, EmailResetInput, ExistingInput, SessionResetInput};
use crate::service::passwords::{self, AuthenticateInput, CreateInput};
use crate::service::sessions::resolve_with_user;
use crate::service::{limits, notify, totps, users};
use crate::state::AppState;

/// The per-IP authenticate limit of a browser login.
pub(super) async fn limit(app: &AppState, caller: &Caller, client: &Client) -> Result<()> {
    limits::check_authenticate(
        app.store(),
        &caller.project,
        &client.0.ip_address,
        Timestamp::now(),
    )
    .await
}

/// `POST /passwords`: sign up with an email and a password.
pub(super) async fn create(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<pw::CreateRequest>,
) -> Result<Data<wire::AuthenticateResponse>> {
    limit(&app, &caller, &client).await?;
    let input = CreateInput {
        email: EmailAddress::parse(&req.email)?,
        password: req.password,
        user: users::NewUser::default(),
        session: session_request(&app, &caller, req.session.session_duration_minutes).await?,
        attrs: client.0,
    };
    let (now, attrs) = (Timestamp::now(), input.attrs.clone());
    let a = passwords::create((&app.sessions, &app.passwords), &caller.project, input, now).await;
    concluded(&app, &caller, ("password", a, attrs), request_id, now).await
}

/// `POST /passwords/authenticate`.
pub(super) async fn authenticate(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<pw::AuthenticateRequest>,
) -> Result<Data<wire::AuthenticateResponse>> {
    limit(&app, &caller, &client).await?;
    let input = AuthenticateInput {
        email: EmailAddress::parse(&req.email)?,
        password: req.password,
        session: session_request(&app, &caller, req.session.session_duration_minutes).await?,
        attrs: client.0,
    };
    let (now, attrs) = (Timestamp::now(), input.attrs.clone());
    let a =
        passwords::authenticate((&app.sessions, &app.passwords), &caller.project, input, now).await;
    concluded(&app, &caller, ("password", a, attrs), request_id, now).await
}

/// `POST /passwords/strength_check`.
pub(super) async fn strength_check(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<pw::StrengthCheckRequest>,
) -> Result<Data<pw::StrengthCheckResponse>> {
    limit(&app, &caller, &client).await?;
    Ok(Data(
        strength(&app, &caller.project, request_id, req).await?,
    ))
}

/// `POST /passwords/email/reset/start`: counted like every other email the page can send.
pub(super) async fn reset_start(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<pw::ResetStartRequest>,
) -> Result<Data<wire::Empty>> {
    let now = Timestamp::now();
    let input = start_input(req, client.0)?;
    let ip = input.attrs.ip_address.clone();
    limits::check_send(app.store(), &caller.project, input.email.as_str(), &ip, now).await?;
    reset::start((&app.sessions, &app.delivery), &caller.project, input, now).await?;
    Ok(Data(wire::Empty {
        request_id: request_id.into_string(),
        status_code: 200,
    }))
}

/// `POST /passwords/email/reset`.
pub(super) async fn reset_by_email(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<pw::EmailResetRequest>,
) -> Result<Data<wire::AuthenticateResponse>> {
    limit(&app, &caller, &client).await?;
    let input = EmailResetInput {
        token: req.token,
        password: req.password,
        code_verifier: req.code_verifier.filter(|v| !v.is_empty()),
        options: MatchOptions::default(),
        attrs: client.0,
        session: session_request(&app, &caller, req.session.session_duration_minutes).await?,
    };
    let (now, attrs) = (Timestamp::now(), input.attrs.clone());
    let a = reset::by_email((&app.sessions, &app.passwords), &caller.project, input, now).await;
    concluded(&app, &caller, ("password", a, attrs), request_id, now).await
}

/// `POST /passwords/existing_password/reset`.
pub(super) async fn reset_existing(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<pw::ExistingResetRequest>,
) -> Result<Data<wire::AuthenticateResponse>> {
    limit(&app, &caller, &client).await?;
    let input = ExistingInput {
        email: EmailAddress::parse(&req.email)?,
        existing: req.existing_password,
        new: req.new_password,
        session: session_request(&app, &caller, req.session.session_duration_minutes).await?,
        attrs: client.0,
    };
    let (now, attrs) = (Timestamp::now(), input.attrs.clone());
    let a =
        reset::with_existing((&app.sessions, &app.passwords), &caller.project, input, now).await;
    concluded(&app, &caller, ("password", a, attrs), request_id, now).await
}

/// `POST /passwords/session/reset`: the caller's session.
pub(super) async fn reset_by_session(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<pw::SessionResetRequest>,
) -> Result<Data<wire::AuthenticateResponse>> {
    limit(&app, &caller, &client).await?;
    let input = SessionResetInput {
        session: caller.session()?,
        duration_minutes: req.session.session_duration_minutes,
        password: req.password,
        attrs: client.0,
    };
    let (now, attrs) = (Timestamp::now(), input.attrs.clone());
    let a = reset::by_session((&app.sessions, &app.passwords), &caller.project, input, now).await;
    concluded(&app, &caller, ("password", a, attrs), request_id, now).await
}

/// `POST /users/search`: `new`, `passwordless` or `password` for the prebuilt UI.
pub(super) async fn user_search(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<wire::UserSearchRequest>,
) -> Result<Data<wire::UserSearchResponse>> {
    limit(&app, &caller, &client).await?;
    let email = EmailAddress::parse(&req.email)?;
    let to = factors::Destination::Email(email);
    let user = factors::owner(app.store(), &caller.project, &to).await?;
    let user_type = match user {
        None => "new",
        Some(u) if u.password.is_some() => "password",
        Some(_) => "passwordless",
    };
    Ok(Data(wire::UserSearchResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_type: user_type.into(),
    }))
}

/// The signed-in user's id.
/// The signed-in user's id.
pub(super) async fn session_user(app: &AppState, caller: &Caller) -> Result<String> {
    let loc = caller.session()?;
    let (_, user) =
        resolve_with_user(&app.sessions, &caller.project, &loc, Timestamp::now()).await?;
    Ok(user.user_id)
}

/// `POST /totps`: the signed-in user enrols an authenticator app.
pub(super) async fn totp_create(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    Json(req): Json<wire::TotpCreateRequest>,
) -> Result<Data<wire::TotpCreateResponse>> {
    let user_id = session_user(&app, &caller).await?;
    let now = Timestamp::now();
    let c = totps::create(
        &app.sessions,
        &caller.project,
        &user_id,
        req.expiration_minutes,
        now,
    )
    .await?;
    Ok(Data(wire::TotpCreateResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        totp_id: c.totp_id,
        secret: c.secret,
        qr_code: c.qr_code,
        recovery_codes: c.recovery_codes,
        user_id: c.user.user_id.clone(),
        user: crate::http::wire::user(c.user, now),
    }))
}

async fn totp_login(
    request_id: RequestId,
    app: AppState,
    (caller, client): (Caller, Client),
    req: wire::TotpCodeRequest,
    recover: bool,
) -> Result<Data<wire::AuthenticateResponse>> {
    limit(&app, &caller, &client).await?;
    let user_id = session_user(&app, &caller).await?;
    let code = if recover {
        req.recovery_code
    } else {
        req.totp_code
    };
    let input = totps::AuthenticateInput {
        user_id,
        code: code.unwrap_or_default(),
        session: session_request(&app, &caller, req.session_duration_minutes).await?,
        attrs: client.0,
    };
    let (now, attrs) = (Timestamp::now(), input.attrs.clone());
    let (a, what) = if recover {
        (
            totps::recover(&app.sessions, &caller.project, input, now).await,
            "recovery_code",
        )
    } else {
        (
            totps::authenticate(&app.sessions, &caller.project, input, now).await,
            "totp",
        )
    };
    concluded(&app, &caller, (what, a, attrs), request_id, now).await
}

/// `POST /totps/authenticate`: a step-up of the caller's session.
pub(super) async fn totp_authenticate(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<wire::TotpCodeRequest>,
) -> Result<Data<wire::AuthenticateResponse>> {
    totp_login(request_id, app, (caller, client), req, false).await
}

/// `POST /totps/recover`.
pub(super) async fn totp_recover(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<wire::TotpCodeRequest>,
) -> Result<Data<wire::AuthenticateResponse>> {
    totp_login(request_id, app, (caller, client), req, true).await
}

/// `POST /totps/recovery_codes` (no body).
pub(super) async fn totp_recovery_codes(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
) -> Result<Data<RecoveryCodesResponse>> {
    let user_id = session_user(&app, &caller).await?;
    let (user, list) = totps::recovery_codes(&app.sessions, &caller.project, &user_id).await?;
    Ok(Data(crate::http::totps::codes_response(
        request_id,
        user.user_id,
        list,
    )))
}

/// `DELETE /users/totps/{totp_id}`: the session's own registration, with a recent factor.
pub(super) async fn totp_delete(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Data<wire::DeleteFactorResponse>> {
    let now = Timestamp::now();
    let loc = caller.session()?;
    let user = totps::delete_own(&app.sessions, &caller.project, &loc, &id, now).await?;
    let notice = notify::Notice::FactorRemoved("An authenticator app");
    notify::tell(&app.delivery, &caller.project, &user, notice, None).await;
    Ok(Data(wire::DeleteFactorResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: user.user_id.clone(),
        user: crate::http::wire::user(user, now),
    }))
}
