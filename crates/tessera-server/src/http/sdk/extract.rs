use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;

use crate::error::{Error, ErrorType, Result};
use crate::model::Project;
use crate::service::sessions::Locator;
use crate::state::AppState;

/// Who is calling: the project named by the Basic user (its public token), and the session
/// token in the Basic secret, unless the secret is the public token again (no session).
/// Put in the request by [`super::cors::guard`], which has already checked the origin.
#[derive(Clone)]
pub(crate) struct Caller {
    pub(crate) project: Arc<Project>,
    pub(crate) session_token: Option<String>,
}

impl Caller {
    /// The session this call acts on, or `unauthorized_credentials` (one of the error types
    /// the browser SDK treats as final, so it clears its state instead of retrying).
    pub(crate) fn session(&self) -> Result<Locator> {
        self.session_token
            .clone()
            .map(Locator::Token)
            .ok_or_else(|| {
                Error::with_message(
                    ErrorType::UnauthorizedCredentials,
                    "No session: send Basic public_token:session_token.",
                )
            })
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Error> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            Error::with_message(
                ErrorType::UnauthorizedCredentials,
                "Send HTTP Basic public_token:session_token (or public_token:public_token).",
            )
        })
    }
}

impl OptionalFromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Option<Self>, Error> {
        Ok(parts.extensions.get::<Caller>().cloned())
    }
}
