//! WebAuthn and crypto wallets for browsers: the ceremonies of `webauthn.register`,
//! `webauthn.authenticate` (also with conditional mediation), `webauthn.update`, and
//! `cryptoWallets.authenticateStart` / `authenticate`. A session in the Basic secret makes a
//! call a step-up of that session; without one, a login.

use axum::extract::State;
use tessera_proto::crypto_wallets as cw;
use tessera_proto::sdk as wire;
use tessera_proto::webauthn as wa;

use super::Data;
use super::credentials::{limit, session_user};
use super::extract::Caller;
use super::factors::{concluded, session_request};
use crate::error::Result;
use crate::http::extract::{Client, Json, Path, RequestId};
use crate::model::Timestamp;
use crate::model::user::User;
use crate::service::crypto_wallets::{self, Attach, StartInput};
use crate::service::notify;
use crate::service::webauthn::{self, RegisterStart};
use crate::state::AppState;

/// `POST /webauthn/register/start`: creation options for the signed-in user.
pub(super) async fn register_start(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    Json(req): Json<wa::SdkRegisterStartRequest>,
) -> Result<Data<wa::RegisterStartResponse>> {
    let user_id = session_user(&app, &caller).await?;
    let input = RegisterStart {
        user_id: user_id.clone(),
        domain: req.domain,
        user_agent: req.user_agent.unwrap_or_default(),
        authenticator_type: req.authenticator_type,
        passkey: req.return_passkey_credential_options.unwrap_or(false),
        overrides: (
            req.override_id,
            req.override_name,
            req.override_display_name,
        ),
    };
    let options =
        webauthn::register_start(app.store(), &caller.project, input, Timestamp::now()).await?;
    Ok(Data(wa::RegisterStartResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id,
        public_key_credential_creation_options: options,
    }))
}

/// `POST /webauthn/register`: the new credential joins the signed-in session.
pub(super) async fn register(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<wa::SdkCredentialRequest>,
) -> Result<Data<wire::AuthenticateResponse>> {
    let user_id = session_user(&app, &caller).await?;
    let session = session_request(&app, &caller, req.session_duration_minutes).await?;
    let now = Timestamp::now();
    let a = webauthn::register(
        &app.sessions,
        &caller.project,
        (&user_id, &req.public_key_credential),
        session,
        &client.0,
        now,
    )
    .await;
    with_registration(concluded(&app, &caller, ("webauthn", a, client.0), request_id, now).await)
}

/// The answer with its `webauthn_registration_id` (the method id of a WebAuthn login).
fn with_registration(
    r: Result<Data<wire::AuthenticateResponse>>,
) -> Result<Data<wire::AuthenticateResponse>> {
    let mut r = r?;
    r.0.webauthn_registration_id = r.0.method_id.clone();
    Ok(r)
}

/// `POST /webauthn/authenticate/start/{primary,secondary}`: a login offers any passkey
/// (discoverable, also for conditional mediation); a step-up the session user's credentials.
pub(super) async fn authenticate_start(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Path(which): Path<String>,
    Json(req): Json<wa::SdkAuthenticateStartRequest>,
) -> Result<Data<wa::AuthenticateStartResponse>> {
    limit(&app, &caller, &client).await?;
    let user_id = match which.as_str() {
        "primary" => None,
        "secondary" => Some(session_user(&app, &caller).await?),
        _ => {
            return Err(crate::error::Error::new(
                crate::error::ErrorType::RouteNotFound,
            ));
        }
    };
    let options = webauthn::authenticate_start(
        app.store(),
        &caller.project,
        (&req.domain, user_id.as_deref()),
        Timestamp::now(),
    )
    .await?;
    Ok(Data(wa::AuthenticateStartResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: user_id.unwrap_or_default(),
        public_key_credential_request_options: options,
    }))
}

/// `POST /webauthn/authenticate`: a passkey login, or a step-up of the signed-in session (whose
/// user the credential must belong to).
pub(super) async fn authenticate(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<wa::SdkCredentialRequest>,
) -> Result<Data<wire::AuthenticateResponse>> {
    limit(&app, &caller, &client).await?;
    let session = session_request(&app, &caller, req.session_duration_minutes).await?;
    let expected = match &session.existing {
        Some(_) => Some(session_user(&app, &caller).await?),
        None => None,
    };
    let now = Timestamp::now();
    let a = webauthn::authenticate(
        &app.sessions,
        &caller.project,
        (&req.public_key_credential, expected.as_deref()),
        session,
        &client.0,
        now,
    )
    .await;
    with_registration(concluded(&app, &caller, ("webauthn", a, client.0), request_id, now).await)
}

/// `PUT /webauthn/update/{id}`: renames one of the signed-in user's registrations.
pub(super) async fn update(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<wa::UpdateRequest>,
) -> Result<Data<wa::UpdateResponse>> {
    let loc = caller.session()?;
    let r = webauthn::rename_own(
        &app.sessions,
        &caller.project,
        (&loc, Timestamp::now()),
        &id,
        &req.name,
    )
    .await?;
    Ok(Data(crate::http::webauthn::update_response(request_id, r)))
}

/// `DELETE /users/webauthn_registrations/{id}`: the session's own, with a recent factor.
pub(super) async fn webauthn_delete(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Data<wire::DeleteFactorResponse>> {
    let now = Timestamp::now();
    let loc = caller.session()?;
    let user = webauthn::delete_own(&app.sessions, &caller.project, &loc, &id, now).await?;
    Ok(deleted(
        &app,
        &caller,
        (request_id, user),
        "A passkey or security key",
        now,
    )
    .await)
}

/// Tells the user a factor went, and answers with the user as it now is.
async fn deleted(
    app: &AppState,
    caller: &Caller,
    (request_id, user): (RequestId, User),
    what: &'static str,
    now: Timestamp,
) -> Data<wire::DeleteFactorResponse> {
    let notice = notify::Notice::FactorRemoved(what);
    notify::tell(&app.delivery, &caller.project, &user, notice, None).await;
    Data(wire::DeleteFactorResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: user.user_id.clone(),
        user: crate::http::wire::user(user, now),
    })
}

/// `POST /crypto_wallets/authenticate/start/{primary,secondary}`: the wallet's challenge; a
/// step-up attaches the wallet to the session's user.
pub(super) async fn wallet_start(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Path(which): Path<String>,
    Json(req): Json<cw::SdkStartRequest>,
) -> Result<Data<cw::SdkStartResponse>> {
    limit(&app, &caller, &client).await?;
    let attach = match which.as_str() {
        "primary" => Attach::Nobody,
        "secondary" => Attach::Session(caller.session()?),
        _ => {
            return Err(crate::error::Error::new(
                crate::error::ErrorType::RouteNotFound,
            ));
        }
    };
    if caller.project.policy.identity.siwe_required
        && req.crypto_wallet_type == "ethereum"
        && req.siwe_params.is_none()
    {
        return Err(crate::error::Error::with_message(
            crate::error::ErrorType::InvalidSiweParams,
            "This project requires Sign-In with Ethereum: send siwe_params.",
        ));
    }
    let siwe = req.siwe_params.map(|p| {
        // The browser SDK sends no domain: it is the URI's authority (the page's origin).
        let authority = url::Url::parse(&p.uri).ok().and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_owned(), |port| format!("{h}:{port}")))
        });
        crate::http::crypto_wallets::siwe(p, authority)
    });
    let input = StartInput {
        wallet_type: req.crypto_wallet_type,
        address: req.crypto_wallet_address,
        attach,
        siwe,
    };
    let s = crypto_wallets::start(&app.sessions, &caller.project, input, Timestamp::now()).await?;
    Ok(Data(cw::SdkStartResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        challenge: s.challenge,
    }))
}

/// `POST /crypto_wallets/authenticate`: a wallet login, or a step-up of the signed-in session.
pub(super) async fn wallet_authenticate(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<cw::SdkAuthenticateRequest>,
) -> Result<Data<wire::AuthenticateResponse>> {
    limit(&app, &caller, &client).await?;
    let session = session_request(&app, &caller, req.session_duration_minutes).await?;
    let now = Timestamp::now();
    let a = crypto_wallets::authenticate(
        &app.sessions,
        &caller.project,
        (
            &req.crypto_wallet_type,
            &req.crypto_wallet_address,
            &req.signature,
        ),
        session,
        &client.0,
        now,
    )
    .await;
    concluded(
        &app,
        &caller,
        ("crypto_wallet", a, client.0),
        request_id,
        now,
    )
    .await
}

/// `DELETE /users/crypto_wallets/{id}`: the session's own, with a recent factor.
pub(super) async fn wallet_delete(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Data<wire::DeleteFactorResponse>> {
    let now = Timestamp::now();
    let loc = caller.session()?;
    let user = crypto_wallets::delete_own(&app.sessions, &caller.project, &loc, &id, now).await?;
    Ok(deleted(&app, &caller, (request_id, user), "A crypto wallet", now).await)
}
