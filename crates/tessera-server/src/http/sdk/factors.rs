use axum::extract::State;
use tessera_proto::sdk as wire;

use super::Data;
use super::extract::Caller;
use super::sessions::authenticated;
use crate::error::{Error, ErrorType, Result};
use crate::http::extract::{Client, Json, Path, RequestId};
use crate::model::Timestamp;
use crate::model::user::EmailAddress;
use crate::service::addresses::AttachTo;
use crate::service::factors::{self, Authenticated, Channel, MatchOptions};
use crate::service::magic_links::{self, EmailLinkInput};
use crate::service::otps::{self, SendInput, SendMode};
use crate::service::sessions::{ClientAttributes, SessionRequest};
use crate::service::{limits, notify};
use crate::state::AppState;

/// How a send finds its user.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    /// Create the user when the destination is new.
    LoginOrCreate,
    /// The destination must belong to a user (no session yet).
    Primary,
    /// Attach the destination to the caller's session (step-up / adding a factor).
    Secondary,
}

impl Which {
    fn parse(s: &str) -> Result<Self> {
        match s {
            "primary" => Ok(Which::Primary),
            "secondary" => Ok(Which::Secondary),
            _ => Err(Error::new(ErrorType::RouteNotFound)),
        }
    }

    fn attach(self, caller: &Caller) -> Result<Option<AttachTo>> {
        Ok(match self {
            Which::Secondary => Some(AttachTo::Session(caller.session()?)),
            _ => None,
        })
    }
}

/// The session a browser login creates or steps up (the seam's frontend rule).
pub(super) async fn session_request(
    app: &AppState,
    caller: &Caller,
    minutes: Option<i64>,
) -> Result<SessionRequest> {
    factors::frontend_session(
        &app.sessions,
        &caller.project,
        caller.session_token.as_deref(),
        minutes,
    )
    .await
}

/// How every browser login ends: the outcome goes to the security log (as `factor`), a success
/// tells the user what it should know, and its session becomes the answer.
pub(super) async fn concluded(
    app: &AppState,
    caller: &Caller,
    (factor, outcome, attrs): (&str, Result<Authenticated>, ClientAttributes),
    request_id: RequestId,
    now: Timestamp,
) -> Result<Data<wire::AuthenticateResponse>> {
    factors::log_outcome(&caller.project, factor, &outcome, &attrs);
    factors::record_failure(app.store(), &caller.project, factor, &outcome, &attrs).await;
    let a = outcome?;
    notify::after_factor(&app.delivery, &caller.project, &a, &attrs).await;
    let issued = a
        .issued
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("a frontend login minted no session")))?;
    Ok(authenticated(
        request_id,
        issued,
        a.user,
        Some(a.method_id),
        now,
    ))
}

async fn magic_link_send_any(
    request_id: RequestId,
    app: AppState,
    caller: Caller,
    client: Client,
    which: Which,
    req: wire::MagicLinkSendRequest,
) -> Result<Data<wire::Empty>> {
    Channel::Email.check_locale(req.locale.as_deref())?;
    let email = EmailAddress::parse(&req.email)?;
    let code_challenge = req
        .code_challenge
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::new(ErrorType::PkceExpectedCodeChallenge))?;
    let attach = which.attach(&caller)?;
    let ip = &client.0.ip_address;
    limits::check_send(
        app.store(),
        &caller.project,
        email.as_str(),
        ip,
        Timestamp::now(),
    )
    .await?;
    let input = EmailLinkInput {
        email: Some(email),
        login_url: req.login_magic_link_url,
        signup_url: req.signup_magic_link_url,
        login_minutes: req.login_expiration_minutes,
        signup_minutes: req.signup_expiration_minutes,
        code_challenge: Some(code_challenge),
        attrs: client.0,
        locale: req.locale,
    };
    let now = Timestamp::now();
    if which == Which::LoginOrCreate {
        magic_links::login_or_create(
            (app.store(), &app.delivery),
            &caller.project,
            input,
            false,
            now,
        )
        .await?;
    } else {
        magic_links::send(
            (&app.sessions, &app.delivery),
            &caller.project,
            input,
            attach,
            now,
        )
        .await?;
    }
    Ok(Data(wire::Empty {
        request_id: request_id.into_string(),
        status_code: 200,
    }))
}

/// `magic_links/email/login_or_create`: PKCE required, rate-limited.
pub(super) async fn magic_link_login_or_create(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<wire::MagicLinkSendRequest>,
) -> Result<Data<wire::Empty>> {
    magic_link_send_any(request_id, app, caller, client, Which::LoginOrCreate, req).await
}

/// `magic_links/email/send/primary` (to an existing user's address) and `send/secondary` (adds
/// the address to the caller's session's user).
pub(super) async fn magic_link_send(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Path(which): Path<String>,
    Json(req): Json<wire::MagicLinkSendRequest>,
) -> Result<Data<wire::Empty>> {
    let which = Which::parse(&which)?;
    magic_link_send_any(request_id, app, caller, client, which, req).await
}

/// `magic_links/authenticate`: the token from the link and the PKCE verifier.
pub(super) async fn magic_link_authenticate(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<wire::MagicLinkAuthenticateRequest>,
) -> Result<Data<wire::AuthenticateResponse>> {
    let ip = &client.0.ip_address;
    limits::check_authenticate(app.store(), &caller.project, ip, Timestamp::now()).await?;
    let session = session_request(&app, &caller, req.session_duration_minutes).await?;
    let input = magic_links::AuthenticateInput {
        token: req.token,
        code_verifier: req.code_verifier.filter(|v| !v.is_empty()),
        options: MatchOptions::default(),
        attrs: client.0,
        session,
    };
    let now = Timestamp::now();
    let attrs = input.attrs.clone();
    let a = magic_links::authenticate(&app.sessions, &caller.project, input, now).await;
    concluded(&app, &caller, ("magic_link", a, attrs), request_id, now).await
}

async fn otp_send_any(
    request_id: RequestId,
    app: AppState,
    caller: Caller,
    client: Client,
    channel: &str,
    which: Which,
    req: wire::OtpSendRequest,
) -> Result<Data<wire::OtpSendResponse>> {
    let channel = Channel::parse(channel)?;
    channel.check_locale(req.locale.as_deref())?;
    let to = channel.destination(req.email.as_deref(), req.phone_number.as_deref())?;
    let mode = match which {
        Which::LoginOrCreate => SendMode::LoginOrCreate { pending: false },
        Which::Primary => SendMode::Existing,
        Which::Secondary => SendMode::Attach(AttachTo::Session(caller.session()?)),
    };
    let ip = &client.0.ip_address;
    limits::check_send(
        app.store(),
        &caller.project,
        to.as_str(),
        ip,
        Timestamp::now(),
    )
    .await?;
    let input = SendInput {
        to,
        minutes: req.expiration_minutes,
        attrs: client.0,
        locale: req.locale,
    };
    let sent = otps::send(
        (&app.sessions, &app.delivery),
        &caller.project,
        input,
        mode,
        Timestamp::now(),
    )
    .await?;
    Ok(Data(wire::OtpSendResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        method_id: sent.method_id,
    }))
}

/// `otps/{sms,whatsapp,email}/login_or_create`: rate-limited.
pub(super) async fn otp_login_or_create(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Path(channel): Path<String>,
    Json(req): Json<wire::OtpSendRequest>,
) -> Result<Data<wire::OtpSendResponse>> {
    otp_send_any(
        request_id,
        app,
        caller,
        client,
        &channel,
        Which::LoginOrCreate,
        req,
    )
    .await
}

/// `otps/{sms,whatsapp,email}/send/{primary,secondary}`: rate-limited.
pub(super) async fn otp_send(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Path((channel, which)): Path<(String, String)>,
    Json(req): Json<wire::OtpSendRequest>,
) -> Result<Data<wire::OtpSendResponse>> {
    let which = Which::parse(&which)?;
    otp_send_any(request_id, app, caller, client, &channel, which, req).await
}

/// `otps/authenticate`: the code (in `token`) and the method id from the send.
pub(super) async fn otp_authenticate(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<wire::OtpAuthenticateRequest>,
) -> Result<Data<wire::AuthenticateResponse>> {
    let ip = &client.0.ip_address;
    limits::check_authenticate(app.store(), &caller.project, ip, Timestamp::now()).await?;
    let session = session_request(&app, &caller, req.session_duration_minutes).await?;
    let input = otps::AuthenticateInput {
        method_id: req.method_id,
        code: req.token,
        options: MatchOptions::default(),
        attrs: client.0,
        session,
    };
    let now = Timestamp::now();
    let attrs = input.attrs.clone();
    let a = otps::authenticate(&app.sessions, &caller.project, input, now).await;
    concluded(&app, &caller, ("otp", a, attrs), request_id, now).await
}
