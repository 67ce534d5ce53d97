use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tessera_proto::ErrorResponse;
use tessera_proto::sessions as wire;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Json, Path, ProjectAuth, Query, RequestId};
use crate::error::{Error, ErrorType, Result};
use crate::model::Timestamp;
use crate::model::session::parse_duration_minutes;
use crate::service::factors::{Authenticated, MatchOptions};
use crate::service::sessions::{
    self, AuthenticatedSession, ClientAttributes, Locator, RevokeBy, SessionRequest,
};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(authenticate))
        .routes(routes!(list))
        .routes(routes!(revoke))
        .routes(routes!(jwks))
}

/// The session parameters of a factor-authenticate request, checked before any secret is spent.
pub(crate) fn session_request(s: wire::SessionOptions) -> Result<SessionRequest> {
    SessionRequest::parse(
        s.session_token,
        s.session_jwt,
        s.session_duration_minutes,
        s.session_custom_claims,
    )
}

/// The attribute matching a factor-authenticate request asks for.
pub(crate) fn match_options(
    o: Option<tessera_proto::magic_links::AttributeOptions>,
) -> MatchOptions {
    let o = o.unwrap_or_default();
    MatchOptions {
        ip: o.ip_match_required,
        user_agent: o.user_agent_match_required,
    }
}

/// How every `/v1` factor login ends: the outcome goes to the security log (as `factor`) and a
/// failure to the event store, a
/// success tells the user what it should know (`notify::after_factor`) and becomes the common
/// answer.
pub(crate) async fn concluded(
    (app, project): (&AppState, &crate::model::Project),
    (factor, outcome, attrs): (&str, Result<Authenticated>, &ClientAttributes),
    request_id: RequestId,
    now: Timestamp,
) -> Result<axum::Json<wire::FactorAuthenticateResponse>> {
    crate::service::factors::log_outcome(project, factor, &outcome, attrs);
    crate::service::factors::record_failure(app.store(), project, factor, &outcome, attrs).await;
    let a = outcome?;
    crate::service::notify::after_factor(&app.delivery, project, &a, attrs).await;
    Ok(factor_response(request_id, a, now))
}

/// The wire answer of every factor-authenticate endpoint.
pub(crate) fn factor_response(
    request_id: RequestId,
    a: Authenticated,
    now: Timestamp,
) -> axum::Json<wire::FactorAuthenticateResponse> {
    let roles = a.user.effective_roles();
    let (session_token, session_jwt, session) = super::wire::issued(a.issued, roles);
    axum::Json(wire::FactorAuthenticateResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: a.user.user_id.clone(),
        user: super::wire::user(a.user, now),
        method_id: a.method_id,
        session_token,
        session_jwt,
        session,
        reset_sessions: a.reset_sessions,
        email_id: None,
        totp_id: None,
        webauthn_registration_id: None,
    })
}

/// Authenticate a session by token or JWT (a JWT past its `exp` is accepted while its session
/// lives), optionally extending it and merging custom claims; returns a fresh JWT.
#[utoipa::path(post, operation_id = "sessions_authenticate", path = "/v1/sessions/authenticate", tag = "sessions",
    request_body = wire::AuthenticateSessionRequest,
    responses((status = 200, body = wire::AuthenticateSessionResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn authenticate(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Json(req): Json<wire::AuthenticateSessionRequest>,
) -> Result<Response> {
    let loc = Locator::from_pair(req.session_token, req.session_jwt)?
        .ok_or_else(|| Error::new(ErrorType::NoSessionArguments))?;
    let duration = req
        .session_duration_minutes
        .map(parse_duration_minutes)
        .transpose()?;
    let a = sessions::authenticate(
        &app.sessions,
        &project,
        loc,
        (duration, req.session_custom_claims),
        crate::model::event::Actor::Project,
        Timestamp::now(),
    )
    .await?;
    Ok(authenticated(&request_id, &a, false))
}

/// The JSON answer to `sessions/authenticate`: the fields of
/// [`wire::AuthenticateSessionResponse`] (and, for the frontend API, `user_id`, as in
/// `tessera_proto::sdk::AuthenticateResponse`), in the same order, wrapped in `{"data": …}` for
/// the frontend API. Written in one buffer of the right size: the rendered parts are copied, not
/// re-serialized, and the JWT is copied without an escaping pass over its ~1 KB.
pub(crate) fn authenticated(
    request_id: &RequestId,
    a: &AuthenticatedSession,
    sdk: bool,
) -> Response {
    let r = &a.rendered;
    let size = r.session.get().len() + r.user.get().len() + r.jwt.jwt.len() + a.token.len() + 256;
    let mut body = Vec::with_capacity(size);
    if sdk {
        body.extend_from_slice(b"{\"data\":");
    }
    body.extend_from_slice(b"{\"request_id\":");
    minted_str(&mut body, request_id.as_str());
    body.extend_from_slice(b",\"status_code\":200");
    if sdk {
        body.extend_from_slice(b",\"user_id\":");
        json_str(&mut body, &r.basis.user_id);
    }
    body.extend_from_slice(b",\"session\":");
    body.extend_from_slice(r.session.get().as_bytes());
    body.extend_from_slice(b",\"session_token\":");
    json_str(&mut body, &a.token);
    body.extend_from_slice(b",\"session_jwt\":");
    minted_str(&mut body, &r.jwt.jwt);
    body.extend_from_slice(b",\"user\":");
    body.extend_from_slice(r.user.get().as_bytes());
    body.push(b'}');
    if sdk {
        body.push(b'}');
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// Appends a string this server made (a request id, a JWT: base64url, `.`, `-`) as a JSON
/// string, without looking at each byte again.
fn minted_str(out: &mut Vec<u8>, s: &str) {
    debug_assert!(
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    );
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// Appends `s` as a JSON string: as it is when nothing in it needs escaping (ids, tokens and
/// JWTs never do), else through serde_json.
fn json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing a string into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

#[derive(Deserialize, IntoParams)]
struct ListQuery {
    /// The user (or external id).
    user_id: Option<String>,
}

/// List a user's active sessions.
#[utoipa::path(get, path = "/v1/sessions", tag = "sessions", params(ListQuery),
    responses((status = 200, body = wire::GetSessionsResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn list(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<wire::GetSessionsResponse>> {
    let user_id = q
        .user_id
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Error::with_message(ErrorType::BadRequest, "user_id is required."))?;
    let (user, list) = sessions::list(&app.sessions, &project, &user_id, Timestamp::now()).await?;
    let roles = user.effective_roles();
    Ok(axum::Json(wire::GetSessionsResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        sessions: list
            .iter()
            .map(|s| super::wire::session(s, roles.clone()))
            .collect(),
    }))
}

/// Revoke a session by id, token or JWT; it fails everywhere at once.
#[utoipa::path(post, path = "/v1/sessions/revoke", tag = "sessions",
    request_body = wire::RevokeSessionRequest,
    responses((status = 200, body = wire::EmptyResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn revoke(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Json(req): Json<wire::RevokeSessionRequest>,
) -> Result<axum::Json<wire::EmptyResponse>> {
    let given = [&req.session_id, &req.session_token, &req.session_jwt]
        .iter()
        .filter(|v| v.as_deref().is_some_and(|s| !s.is_empty()))
        .count();
    let by = match given {
        0 => return Err(Error::new(ErrorType::NoSessionRevokeArguments)),
        1 => match (
            req.session_id.filter(|s| !s.is_empty()),
            Locator::from_pair(req.session_token, req.session_jwt)?,
        ) {
            (Some(id), _) => RevokeBy::Id(id),
            (None, Some(loc)) => RevokeBy::Locator(loc),
            (None, None) => return Err(Error::new(ErrorType::NoSessionRevokeArguments)),
        },
        _ => return Err(Error::new(ErrorType::TooManySessionRevokeArguments)),
    };
    let reason = crate::model::event::EndReason::RevokedByApi;
    sessions::revoke(&app.sessions, &project, (by, reason), Timestamp::now()).await?;
    Ok(axum::Json(wire::EmptyResponse {
        request_id: request_id.into_string(),
        status_code: 200,
    }))
}

/// The public keys session JWTs are signed with. No credentials needed (the official SDKs
/// fetch it without); Basic credentials are accepted and ignored.
#[utoipa::path(get, path = "/v1/sessions/jwks/{project_id}", tag = "sessions",
    params(("project_id" = String, Path)),
    responses((status = 200, body = wire::JwksResponse), (status = "4XX", body = ErrorResponse)))]
async fn jwks(
    request_id: RequestId,
    State(app): State<AppState>,
    Path(project_id): Path<String>,
) -> Result<axum::Json<wire::JwksResponse>> {
    let keys = sessions::published_keys(&app.sessions, &project_id).await?;
    Ok(axum::Json(wire::JwksResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        keys: keys
            .iter()
            .map(|k| wire::Jwk {
                kty: "RSA".into(),
                key_use: "sig".into(),
                key_ops: vec!["verify".into()],
                alg: "RS256".into(),
                kid: k.kid.clone(),
                x5c: vec![],
                x5t_s256: String::new(),
                n: k.n.clone(),
                e: k.e.clone(),
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use serde_json::{Map, Value, json};

    use super::{authenticated, json_str, wire};
    use crate::http::extract::RequestId;
    use crate::http::wire as render;
    use crate::model::session::{AuthFactor, FactorKind, FactorSubject, Session};
    use crate::model::user::{
        EmailAddress, EmailFactor, Metadata, Name, PhoneFactor, PhoneNumber, User, UserStatus,
    };
    use crate::model::{Environment, Timestamp};
    use crate::service::sessions::cache::{MintedJwt, Rendered};
    use crate::service::sessions::{AuthenticatedSession, Render};
    use crate::store::sessions::SessionBasis;

    /// Text with what JSON must escape: quotes, backslashes, control characters, non-ASCII.
    fn text(rng: &mut StdRng) -> String {
        const PIECES: [&str; 12] = [
            "a",
            "Z9",
            "\"",
            "\\",
            "\n",
            "\t",
            "\u{1}",
            "é",
            "𝄞",
            "</script>",
            " ",
            "-_.",
        ];
        (0..rng.gen_range(0..6))
            .map(|_| PIECES[rng.gen_range(0..PIECES.len())])
            .collect()
    }

    fn claims(rng: &mut StdRng) -> Map<String, Value> {
        (0..rng.gen_range(0..4))
            .map(|i| {
                let v = match rng.gen_range(0..4) {
                    0 => json!(text(rng)),
                    1 => json!(rng.r#gen::<i32>()),
                    2 => json!([text(rng), null, true]),
                    _ => json!({ "nested": text(rng) }),
                };
                (format!("{}{i}", text(rng)), v)
            })
            .collect()
    }

    fn time(rng: &mut StdRng) -> Timestamp {
        Timestamp::from_millis(rng.gen_range(0..4_102_444_800_000))
    }

    fn session(rng: &mut StdRng, user_id: &str) -> Session {
        let factors = (0..rng.gen_range(0..3))
            .map(|_| {
                let subject = if rng.r#gen() {
                    FactorSubject::Email {
                        email_id: format!("email-test-{}", text(rng)),
                        email_address: text(rng),
                    }
                } else {
                    FactorSubject::Phone {
                        phone_id: format!("phone-number-test-{}", text(rng)),
                        phone_number: text(rng),
                    }
                };
                AuthFactor::new(FactorKind::OtpSms, subject, time(rng))
            })
            .collect();
        Session {
            session_id: format!("session-test-{}", rng.r#gen::<u64>()),
            user_id: user_id.to_owned(),
            started_at: time(rng),
            last_accessed_at: time(rng),
            expires_at: time(rng),
            ip_address: text(rng),
            user_agent: text(rng),
            factors,
            custom_claims: claims(rng),
        }
    }

    fn user(rng: &mut StdRng) -> User {
        let status = if rng.r#gen() {
            UserStatus::Active
        } else {
            UserStatus::Pending
        };
        let mut u = User::bare(
            format!("user-test-{}", rng.r#gen::<u64>()),
            status,
            time(rng),
        );
        u.name = Name {
            first: text(rng),
            middle: text(rng),
            last: text(rng),
        };
        u.emails = (0..rng.gen_range(0..3))
            .map(|i| EmailFactor {
                email_id: format!("email-test-{i}"),
                email: EmailAddress::from_stored(format!("{}@example.com", text(rng))),
                verified: rng.r#gen(),
            })
            .collect();
        u.phone_numbers = (0..rng.gen_range(0..2))
            .map(|i| PhoneFactor {
                phone_id: format!("phone-number-test-{i}"),
                phone_number: PhoneNumber::from_stored(format!("+1555{i}")),
                verified: rng.r#gen(),
            })
            .collect();
        let meta = Value::Object(claims(rng)).to_string();
        u.trusted_metadata = Metadata::from_stored(&meta).unwrap_or_default();
        u.roles = (0..rng.gen_range(0..3)).map(|_| text(rng)).collect();
        u
    }

    fn body_of(res: axum::response::Response) -> Vec<u8> {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(axum::body::to_bytes(res.into_body(), usize::MAX))
            .unwrap()
            .to_vec()
    }

    /// The hand-written answer is byte for byte what serde writes for the same wire structs,
    /// on both APIs, for generated sessions, users, tokens and JWTs.
    #[test]
    fn the_answer_writer_matches_serde() {
        let mut rng = StdRng::seed_from_u64(0x7e55e7a);
        let now = Timestamp::from_millis(1_800_000_000_000);
        for case in 0..500 {
            let u = user(&mut rng);
            let s = session(&mut rng, &u.user_id);
            let roles = u.effective_roles();
            let jwt = format!("eyJ{}.e30.{}", rng.r#gen::<u64>(), rng.r#gen::<u32>());
            let token = if rng.gen_bool(0.2) {
                String::new()
            } else {
                text(&mut rng)
            };
            let request_id = RequestId::new(Environment::Test);
            let basis = SessionBasis {
                session_id: s.session_id.clone(),
                user_id: u.user_id.clone(),
                started_at: 0,
                last_accessed_at: 0,
                expires_at: 0,
                ip_address: String::new(),
                user_agent: String::new(),
                factors: String::new(),
                custom_claims: String::new(),
                user_version: 1,
                user_lock_expires_at: None,
                token_sealed: None,
            };
            let minted = MintedJwt::new("k", (0, 300), Arc::from(jwt.as_str()), 0, 0);
            let a = AuthenticatedSession {
                rendered: Arc::new(Rendered {
                    project_id: "project-test-1".into(),
                    basis,
                    accessed_at: 0,
                    session: crate::http::WireRender.session(&s, roles.clone()).unwrap(),
                    user: crate::http::WireRender.user(u.clone(), now).unwrap(),
                    jwt: Arc::new(minted),
                }),
                token: token.clone(),
            };
            let backend = wire::AuthenticateSessionResponse {
                request_id: request_id.as_str().to_owned(),
                status_code: 200,
                session: render::session(&s, roles.clone()),
                session_token: token.clone(),
                session_jwt: jwt.clone(),
                user: render::user(u.clone(), now),
            };
            let frontend = tessera_proto::sdk::Data {
                data: tessera_proto::sdk::AuthenticateResponse {
                    request_id: request_id.as_str().to_owned(),
                    status_code: 200,
                    user_id: u.user_id.clone(),
                    session: render::session(&s, roles),
                    session_token: token,
                    session_jwt: jwt,
                    user: render::user(u, now),
                    method_id: None,
                    webauthn_registration_id: None,
                },
            };
            for (sdk, expected) in [
                (false, serde_json::to_vec(&backend).unwrap()),
                (true, serde_json::to_vec(&frontend).unwrap()),
            ] {
                let body = body_of(authenticated(&request_id, &a, sdk));
                assert_eq!(
                    String::from_utf8_lossy(&body),
                    String::from_utf8_lossy(&expected),
                    "case {case}, sdk {sdk}"
                );
            }
        }
    }

    #[test]
    fn strings_are_written_as_json() {
        for s in [
            "abc-DEF_123.xyz=",
            "",
            "a\"b",
            "back\\slash",
            "line\nbreak",
            "tab\t",
            "é ü",
        ] {
            let mut out = Vec::new();
            json_str(&mut out, s);
            let back: String = serde_json::from_slice(&out).unwrap();
            assert_eq!(back, s);
        }
    }
}
