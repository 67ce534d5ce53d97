use std::time::Duration;

use reqwest::Method;
use tessera_proto::sessions::*;

use crate::jwt::{self, JwtError};
use crate::{Client, ClientError};

/// A session accepted by [`Sessions::authenticate_jwt`].
#[derive(Debug, Clone, PartialEq)]
pub struct JwtSession {
    /// The session.
    pub session: Session,
    /// A fresh JWT when the API was asked (the given one was stale); `None` when the given JWT
    /// was verified locally.
    pub session_jwt: Option<String>,
}

/// The Sessions API: `client.sessions().authenticate(..)`.
#[derive(Debug, Clone, Copy)]
pub struct Sessions<'a> {
    pub(crate) client: &'a Client,
}

impl Sessions<'_> {
    /// `POST /v1/sessions/authenticate`.
    pub async fn authenticate(
        &self,
        req: &AuthenticateSessionRequest,
    ) -> Result<AuthenticateSessionResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "sessions", "authenticate"], Some(req))
            .await
    }

    /// `POST /v1/sessions/migrate`: a session imported from another identity provider's
    /// userinfo (the project's configured URL is called with `session_token`).
    pub async fn migrate(
        &self,
        req: &tessera_proto::oauth::MigrateRequest,
    ) -> Result<FactorAuthenticateResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "sessions", "migrate"], Some(req))
            .await
    }

    /// `GET /v1/sessions?user_id=`: a user's active sessions.
    pub async fn list(&self, user_id: &str) -> Result<GetSessionsResponse, ClientError> {
        self.client
            .call_query(Method::GET, &["v1", "sessions"], &[("user_id", user_id)])
            .await
    }

    /// `POST /v1/sessions/revoke`.
    pub async fn revoke(&self, req: &RevokeSessionRequest) -> Result<EmptyResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "sessions", "revoke"], Some(req))
            .await
    }

    /// Verifies a session JWT locally: signature against the project's JWKS (fetched once and
    /// cached; fetched again when an unknown key id appears, so rotations need no restart, and
    /// every [`jwt::JWKS_MAX_AGE`], so a retired key stops verifying; if that fetch fails the
    /// keys already known stay in use until the next try),
    /// issuer, audience, `exp`/`nbf` (with [`jwt::CLOCK_SKEW`]) and, when given, that it was
    /// issued at most `max_token_age` ago. No network round trip once the keys are known.
    pub async fn authenticate_jwt_local(
        &self,
        session_jwt: &str,
        max_token_age: Option<Duration>,
    ) -> Result<Session, ClientError> {
        let verifier = &self.client.jwt;
        if verifier.keys_older_than(jwt::JWKS_MAX_AGE) {
            // Unreachable now: the keys already known stay in use until the next try.
            let _: Result<bool, ClientError> = verifier
                .refresh(None, || async { Ok(self.jwks().await?.keys) })
                .await;
        }
        match verifier.verify(session_jwt, max_token_age) {
            Err(JwtError::UnknownKey) => {
                let kid = jwt::kid_of(session_jwt);
                verifier
                    .refresh(kid.as_deref(), || async { Ok(self.jwks().await?.keys) })
                    .await
                    .map_err(|e: ClientError| e)?;
                Ok(verifier.verify(session_jwt, max_token_age)?)
            }
            r => Ok(r?),
        }
    }

    /// Verifies a session JWT locally, and asks the API when it is genuine but expired or
    /// older than `max_token_age` (a revoked session then fails; a live one gets a fresh JWT).
    /// A forged or foreign JWT fails without a request.
    pub async fn authenticate_jwt(
        &self,
        session_jwt: &str,
        max_token_age: Option<Duration>,
    ) -> Result<JwtSession, ClientError> {
        match self
            .authenticate_jwt_local(session_jwt, max_token_age)
            .await
        {
            Ok(session) => Ok(JwtSession {
                session,
                session_jwt: None,
            }),
            Err(ClientError::Jwt(e)) if e.is_stale() => {
                let r = self
                    .authenticate(&AuthenticateSessionRequest {
                        session_jwt: Some(session_jwt.to_owned()),
                        ..Default::default()
                    })
                    .await?;
                Ok(JwtSession {
                    session: r.session,
                    session_jwt: Some(r.session_jwt),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// `GET /v1/sessions/revocations` (a Tessera extension): the sessions revoked since
    /// `cursor` (the last six minutes without one), waiting up to `wait` for one. Most callers
    /// want [`Client::subscribe_revocations`] instead.
    pub async fn revocations(
        &self,
        cursor: Option<&str>,
        wait: Duration,
    ) -> Result<SessionRevocationsResponse, ClientError> {
        let wait = wait.as_secs().to_string();
        let mut query = vec![("timeout_seconds", wait.as_str())];
        if let Some(c) = cursor {
            query.push(("cursor", c));
        }
        self.client
            .call_query(Method::GET, &["v1", "sessions", "revocations"], &query)
            .await
    }

    /// `GET /v1/sessions/{session_id}/timeline` (a Tessera extension): the session's events,
    /// oldest first (created, factors added, extensions, claim changes, its end with reason
    /// and actor), also after it ended, while its events are retained. Follows the pages of a
    /// long session: the answer holds every event.
    pub async fn timeline(
        &self,
        session_id: &str,
    ) -> Result<tessera_proto::events::SessionTimelineResponse, ClientError> {
        let path = ["v1", "sessions", session_id, "timeline"];
        let mut all: tessera_proto::events::SessionTimelineResponse =
            self.client.call_query(Method::GET, &path, &[]).await?;
        while all.has_more {
            let cursor = all.next_cursor.clone();
            let page: tessera_proto::events::SessionTimelineResponse = self
                .client
                .call_query(Method::GET, &path, &[("cursor", cursor.as_str())])
                .await?;
            all.events.extend(page.events);
            (all.next_cursor, all.has_more) = (page.next_cursor, page.has_more);
        }
        Ok(all)
    }

    /// `GET /v1/sessions/jwks/{project_id}` for this client's project.
    pub async fn jwks(&self) -> Result<JwksResponse, ClientError> {
        let pid = self.client.project_id().to_owned();
        self.client
            .call(
                Method::GET,
                &["v1", "sessions", "jwks", &pid],
                crate::NO_BODY,
            )
            .await
    }
}
