use axum::extract::State;
use tessera_proto::ErrorResponse;
use tessera_proto::otps as wire;
use tessera_proto::sessions::FactorAuthenticateResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Client, Json, ProjectAuth, RequestId};
use super::sessions::{concluded, match_options, session_request};
use crate::error::Result;
use crate::model::Timestamp;
use crate::service::addresses;
use crate::service::factors::Channel;
use crate::service::otps::{self, AuthenticateInput, SendInput, SendMode};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sms_send))
        .routes(routes!(sms_login_or_create))
        .routes(routes!(whatsapp_send))
        .routes(routes!(whatsapp_login_or_create))
        .routes(routes!(email_send))
        .routes(routes!(email_login_or_create))
        .routes(routes!(authenticate))
}

/// Shared by the six send endpoints: parse, send, answer with the right id field.
async fn send(
    app: AppState,
    project: std::sync::Arc<crate::model::Project>,
    request_id: RequestId,
    client: Client,
    channel: Channel,
    login_or_create: bool,
    req: wire::OtpSendRequest,
) -> Result<axum::Json<wire::OtpSendResponse>> {
    let to = channel.destination(req.email.as_deref(), req.phone_number.as_deref())?;
    let mode = if login_or_create {
        SendMode::LoginOrCreate {
            pending: req.create_user_as_pending.unwrap_or(false),
        }
    } else {
        match addresses::attach_from(req.user_id, req.session_token, req.session_jwt)? {
            Some(to) => SendMode::Attach(to),
            None => SendMode::Existing,
        }
    };
    let input = SendInput {
        to,
        minutes: req.expiration_minutes,
        attrs: client.with(req.attributes.as_ref()),
        locale: req.locale,
    };
    let sent = otps::send(
        (&app.sessions, &app.delivery),
        &project,
        input,
        mode,
        Timestamp::now(),
    )
    .await?;
    let (phone_id, email_id) = match channel {
        Channel::Email => (None, Some(sent.method_id)),
        _ => (Some(sent.method_id), None),
    };
    Ok(axum::Json(wire::OtpSendResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: sent.user_id,
        phone_id,
        email_id,
        user_created: login_or_create.then_some(sent.user_created),
    }))
}

macro_rules! send_endpoint {
    ($name:ident, $path:literal, $channel:expr, $loc:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "otps",
            request_body = wire::OtpSendRequest,
            responses((status = 200, body = wire::OtpSendResponse), (status = "4XX", body = ErrorResponse)),
            security(("project_secret" = [])))]
        async fn $name(
            ProjectAuth(project): ProjectAuth,
            request_id: RequestId,
            client: Client,
            State(app): State<AppState>,
            Json(req): Json<wire::OtpSendRequest>,
        ) -> Result<axum::Json<wire::OtpSendResponse>> {
            send(app, project, request_id, client, $channel, $loc, req).await
        }
    };
}

send_endpoint!(
    sms_send,
    "/v1/otps/sms/send",
    Channel::Sms,
    false,
    "Text a passcode to a user's phone number."
);
send_endpoint!(
    sms_login_or_create,
    "/v1/otps/sms/login_or_create",
    Channel::Sms,
    true,
    "Text a passcode, creating the user when the number is new."
);
send_endpoint!(
    whatsapp_send,
    "/v1/otps/whatsapp/send",
    Channel::Whatsapp,
    false,
    "Send a passcode by WhatsApp to a user's phone number."
);
send_endpoint!(
    whatsapp_login_or_create,
    "/v1/otps/whatsapp/login_or_create",
    Channel::Whatsapp,
    true,
    "Send a passcode by WhatsApp, creating the user when the number is new."
);
send_endpoint!(
    email_send,
    "/v1/otps/email/send",
    Channel::Email,
    false,
    "Email a passcode to a user's address."
);
send_endpoint!(
    email_login_or_create,
    "/v1/otps/email/login_or_create",
    Channel::Email,
    true,
    "Email a passcode, creating the user when the address is new."
);

/// Authenticate a passcode (once, at most 5 guesses), creating or extending a session as asked.
#[utoipa::path(post, operation_id = "otps_authenticate", path = "/v1/otps/authenticate", tag = "otps",
    request_body = wire::OtpAuthenticateRequest,
    responses((status = 200, body = FactorAuthenticateResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn authenticate(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    client: Client,
    State(app): State<AppState>,
    Json(req): Json<wire::OtpAuthenticateRequest>,
) -> Result<axum::Json<FactorAuthenticateResponse>> {
    let input = AuthenticateInput {
        method_id: req.method_id,
        code: req.code,
        options: match_options(req.options),
        attrs: client.with(req.attributes.as_ref()),
        session: session_request(req.session)?,
    };
    let now = Timestamp::now();
    let attrs = input.attrs.clone();
    let a = otps::authenticate(&app.sessions, &project, input, now).await;
    let parts = (&app, &*project);
    concluded(parts, ("otp", a, &attrs), request_id, now).await
}
