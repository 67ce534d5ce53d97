use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tessera_proto::ErrorResponse;

use super::breaker::Breaker;
use super::extract::RequestId;
use crate::error::{Error, ErrorType};

/// The status table.
mod table;

pub(crate) use table::describe;

/// What a failed handler leaves in the response for [`render_errors`] to write.
#[derive(Clone)]
struct PendingError {
    kind: ErrorType,
    message: Option<String>,
    cause: Option<Arc<anyhow::Error>>,
}

impl IntoResponse for Error {
    /// Pure: sets the status and stores the error; [`render_errors`] writes the envelope (it
    /// knows the request id) and logs server errors.
    fn into_response(self) -> Response {
        let kind = self.kind();
        let (status, _) = describe(kind);
        let pending = match self {
            Error::Api { message, .. } => PendingError {
                kind,
                message: message.map(|m| m.into_owned()),
                cause: None,
            },
            Error::Internal(e) => PendingError {
                kind,
                message: None,
                cause: Some(Arc::new(e)),
            },
        };
        let mut res = status.into_response();
        res.extensions_mut().insert(pending);
        res
    }
}

/// An error type for a bare error status produced outside our handlers (framework defaults).
fn kind_for_status(status: StatusCode) -> ErrorType {
    match status {
        StatusCode::NOT_FOUND => ErrorType::RouteNotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorType::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorType::RequestTooLarge,
        StatusCode::UNAUTHORIZED => ErrorType::UnauthorizedCredentials,
        StatusCode::TOO_MANY_REQUESTS => ErrorType::TooManyRequests,
        s if s.is_server_error() => ErrorType::InternalServerError,
        _ => ErrorType::BadRequest,
    }
}

/// The error envelope for `kind`.
pub(crate) fn envelope(
    request_id: &RequestId,
    kind: ErrorType,
    message: Option<String>,
) -> ErrorResponse {
    let (status, default_message) = describe(kind);
    ErrorResponse {
        status_code: status.as_u16(),
        request_id: request_id.as_str().to_owned(),
        error_type: kind.as_str().to_owned(),
        error_message: message.unwrap_or_else(|| default_message.to_owned()),
        error_url: format!(
            "https://stytch.com/docs/api/errors/{}#{}",
            status.as_u16(),
            kind.as_str()
        ),
        error_details: None,
    }
}

/// The error type a failed handler's answer will carry, before [`render_errors`] writes it.
pub(crate) fn pending_kind(res: &Response) -> Option<ErrorType> {
    res.extensions().get::<PendingError>().map(|p| p.kind)
}

/// Middleware: gives every request its id and turns every error answer, ours or the
/// framework's, into Stytch's envelope with the HTTP status equal to `status_code`.
/// It also holds the database [`Breaker`]: while the database is known to be unreachable, a
/// request is answered 503 here without going further.
pub(crate) async fn render_errors(
    State(breaker): State<Arc<Breaker>>,
    mut req: Request,
    next: Next,
) -> Response {
    let request_id = RequestId::for_request(req.headers());
    req.extensions_mut().insert(request_id.clone());
    let guarded = !super::breaker::exempt(req.uri().path());
    let mut res = if !guarded {
        next.run(req).await
    } else if breaker.admits() {
        let res = next.run(req).await;
        breaker.record(res.status(), pending_kind(&res));
        res
    } else {
        Error::new(ErrorType::DatabaseUnavailable).into_response()
    };
    let pending = res.extensions_mut().remove::<PendingError>();
    let status = res.status();
    let pending = match pending {
        Some(p) => p,
        None if status.as_u16() >= 400 && !res.headers().contains_key(header::CONTENT_TYPE) => {
            PendingError {
                kind: kind_for_status(status),
                message: None,
                cause: None,
            }
        }
        None => return res,
    };
    if let Some(cause) = &pending.cause {
        tracing::error!(
            request_id = request_id.as_str(),
            error = format!("{cause:#}"),
            "internal error"
        );
    }
    let body = envelope(&request_id, pending.kind, pending.message);
    let (parts, _) = res.into_parts();
    let mut res = (
        StatusCode::from_u16(body.status_code).unwrap_or(parts.status),
        axum::Json(body),
    )
        .into_response();
    for (name, value) in parts.headers.iter() {
        // Appended, not inserted: a header may repeat (two `Set-Cookie`s).
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            res.headers_mut().append(name.clone(), value.clone());
        }
    }
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_type_has_a_client_or_server_status_and_a_message() {
        for kind in ErrorType::ALL {
            let (status, message) = describe(*kind);
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{kind}"
            );
            assert!(message.ends_with('.'), "{kind}: {message}");
        }
    }

    #[test]
    fn statuses_match_stytch() {
        assert_eq!(describe(ErrorType::UnauthorizedCredentials).0, 401);
        assert_eq!(describe(ErrorType::UserNotFound).0, 404);
        assert_eq!(describe(ErrorType::DuplicateEmail).0, 400);
        assert_eq!(describe(ErrorType::InternalServerError).0, 500);
    }

    #[test]
    fn the_envelope_has_every_field() {
        let rid = RequestId::new(crate::model::Environment::Test);
        let e = envelope(&rid, ErrorType::UserNotFound, None);
        assert_eq!(e.status_code, 404);
        assert!(e.request_id.starts_with("request-id-test-"));
        assert_eq!(e.error_type, "user_not_found");
        assert_eq!(
            e.error_url,
            "https://stytch.com/docs/api/errors/404#user_not_found"
        );
    }
}
