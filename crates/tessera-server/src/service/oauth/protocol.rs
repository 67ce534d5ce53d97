//! The protocol work with a provider, through `openidconnect` and `oauth2`: discovery (cached),
//! the authorization URL, the code exchange, the `id_token`'s verification (signature against
//! the provider's JWKS, `iss`, `aud`, `exp`, `nonce`) and the userinfo calls of plain OAuth 2.0
//! providers (GitHub's verified-emails call too).

use std::sync::Arc;
use std::time::{Duration, Instant};

use oauth2::basic::BasicClient;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreIdTokenClaims, CoreProviderMetadata,
};
use openidconnect::{
    AccessToken, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
    TokenUrl, UserInfoClaims,
};
use serde_json::Value;

use crate::error::{Error, ErrorType, Result};
use crate::model::oauth::{Endpoints, Provider};

/// How long a provider's discovery document and keys are trusted before being fetched again
/// (also fetched again at once when an `id_token` names a key they lack).
const DISCOVERY_TTL: Duration = Duration::from_secs(600);
/// Any one call to a provider.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A provider ready for a flow: its endpoints and credentials.
#[derive(Debug, Clone)]
pub struct Configured {
    /// Which.
    pub provider: Provider,
    /// Its endpoints.
    pub endpoints: Endpoints,
    /// The client id.
    pub client_id: String,
    /// The client secret (for Apple, the signed client-secret JWT).
    pub client_secret: String,
    /// Scopes to ask for.
    pub scopes: Vec<String>,
}

/// The provider's tokens, returned by `oauth/authenticate` as `provider_values`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Grant {
    /// Access token.
    pub access_token: String,
    /// Refresh token (`""` when none).
    pub refresh_token: String,
    /// ID token (`""` for plain OAuth 2.0).
    pub id_token: String,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// When the access token expires (epoch ms).
    pub expires_at: Option<i64>,
}

/// Who the provider says the user is.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// The provider's stable id of the user.
    pub subject: String,
    /// An email address.
    pub email: Option<String>,
    /// The provider says it verified that address.
    pub email_verified: bool,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Picture URL.
    pub picture: String,
    /// Locale.
    pub locale: String,
}

/// The HTTP client for providers and the discovery cache.
pub struct Providers {
    /// `--public-url`, if given.
    public_url: Option<String>,
    http: reqwest::Client,
    discovery: quick_cache::sync::Cache<String, (Instant, Arc<CoreProviderMetadata>)>,
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> Error {
    tracing::warn!(error = %e, "OAuth provider: {what} failed");
    Error::new(ErrorType::OauthProviderUnavailable)
}

fn refused(what: &str, e: impl std::fmt::Display) -> Error {
    tracing::warn!(error = %e, "OAuth provider answer refused: {what}");
    Error::with_message(
        ErrorType::OauthFlowCallbackError,
        format!("The provider's answer was refused ({what}); start the login again."),
    )
}

fn misconfigured(what: &str) -> Error {
    Error::with_message(
        ErrorType::OauthConfigNotFound,
        format!("The provider's {what} is not a valid URL."),
    )
}

impl Providers {
    /// A client that follows no redirects and gives up after 10 s; `public_url` is where
    /// browsers reach this server.
    pub fn new(public_url: Option<String>) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .user_agent("tessera")
            .build()
            .expect("the HTTP client builds");
        Providers {
            public_url,
            http,
            discovery: quick_cache::sync::Cache::new(256),
        }
    }

    /// Tessera's callback URL: under `--public-url`, else under the scheme and host the browser
    /// used for the start request (the provider accepts only a registered one, so a forged
    /// `Host` only breaks the flow).
    pub fn callback_url(&self, scheme: &str, host: &str) -> String {
        match &self.public_url {
            Some(base) => format!("{base}/v1/public/oauth/callback"),
            None => format!("{scheme}://{host}/v1/public/oauth/callback"),
        }
    }

    /// The plain HTTP client (sessions/migrate's userinfo call).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    async fn metadata(&self, issuer: &str, fresh: bool) -> Result<Arc<CoreProviderMetadata>> {
        if !fresh
            && let Some((at, m)) = self.discovery.get(issuer)
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(m);
        }
        let url = IssuerUrl::new(issuer.to_owned()).map_err(|_| misconfigured("issuer"))?;
        let m = CoreProviderMetadata::discover_async(url, &self.http)
            .await
            .map_err(|e| unavailable("discovery", e))?;
        let m = Arc::new(m);
        self.discovery
            .insert(issuer.to_owned(), (Instant::now(), Arc::clone(&m)));
        Ok(m)
    }

    /// The URL the browser is sent to.
    pub async fn authorize_url(
        &self,
        c: &Configured,
        redirect_uri: &str,
        (state, nonce, verifier): (&str, &str, &str),
        extra: &[(String, String)],
    ) -> Result<String> {
        let redirect =
            RedirectUrl::new(redirect_uri.to_owned()).map_err(|_| misconfigured("redirect URI"))?;
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
            verifier.to_owned(),
        ));
        let (state, nonce) = (state.to_owned(), nonce.to_owned());
        let url = match &c.endpoints {
            Endpoints::Oidc { issuer } => {
                let m = self.metadata(issuer, false).await?;
                let client = CoreClient::from_provider_metadata(
                    (*m).clone(),
                    ClientId::new(c.client_id.clone()),
                    Some(ClientSecret::new(c.client_secret.clone())),
                )
                .set_redirect_uri(redirect);
                let mut req = client
                    .authorize_url(
                        CoreAuthenticationFlow::AuthorizationCode,
                        move || CsrfToken::new(state),
                        move || Nonce::new(nonce),
                    )
                    .set_pkce_challenge(challenge);
                for s in c.scopes.iter().filter(|s| *s != "openid") {
                    req = req.add_scope(Scope::new(s.clone()));
                }
                if c.provider == Provider::Apple {
                    // Apple sends name and email only to a form post.
                    req = req.add_extra_param("response_mode", "form_post");
                }
                for (k, v) in extra {
                    req = req.add_extra_param(k.clone(), v.clone());
                }
                req.url().0
            }
            Endpoints::OAuth2 { authorize, .. } => {
                let client = BasicClient::new(ClientId::new(c.client_id.clone()))
                    .set_auth_uri(
                        AuthUrl::new(authorize.clone())
                            .map_err(|_| misconfigured("authorization URL"))?,
                    )
                    .set_redirect_uri(redirect);
                let mut req = client
                    .authorize_url(move || CsrfToken::new(state))
                    .set_pkce_challenge(challenge);
                for s in &c.scopes {
                    req = req.add_scope(Scope::new(s.clone()));
                }
                for (k, v) in extra {
                    req = req.add_extra_param(k.clone(), v.clone());
                }
                req.url().0
            }
        };
        Ok(url.into())
    }

    /// Exchanges the callback's code (with the flow's PKCE verifier) and says who the user is.
    pub async fn exchange(
        &self,
        c: &Configured,
        redirect_uri: &str,
        code: &str,
        (nonce, verifier): (&str, &str),
    ) -> Result<(Identity, Grant)> {
        let redirect =
            RedirectUrl::new(redirect_uri.to_owned()).map_err(|_| misconfigured("redirect URI"))?;
        let code = AuthorizationCode::new(code.to_owned());
        let verifier = PkceCodeVerifier::new(verifier.to_owned());
        match &c.endpoints {
            Endpoints::Oidc { issuer } => {
                let m = self.metadata(issuer, false).await?;
                let client = CoreClient::from_provider_metadata(
                    (*m).clone(),
                    ClientId::new(c.client_id.clone()),
                    Some(ClientSecret::new(c.client_secret.clone())),
                )
                .set_redirect_uri(redirect);
                let resp = client
                    .exchange_code(code)
                    .map_err(|_| misconfigured("token endpoint"))?
                    .set_pkce_verifier(verifier)
                    .request_async(&self.http)
                    .await
                    .map_err(|e| refused("code exchange", e))?;
                let id_token = resp
                    .id_token()
                    .ok_or_else(|| refused("no id_token", "missing"))?;
                let nonce = Nonce::new(nonce.to_owned());
                let claims: CoreIdTokenClaims =
                    match id_token.claims(&client.id_token_verifier(), &nonce) {
                        Ok(claims) => claims.clone(),
                        Err(first) => {
                            // The provider may have rotated its keys since discovery.
                            let m = self.metadata(issuer, true).await?;
                            let client = CoreClient::from_provider_metadata(
                                (*m).clone(),
                                ClientId::new(c.client_id.clone()),
                                Some(ClientSecret::new(c.client_secret.clone())),
                            );
                            id_token
                                .claims(&client.id_token_verifier(), &nonce)
                                .map_err(|e| refused("id_token", format!("{first}; then {e}")))?
                                .clone()
                        }
                    };
                let mut who = identity_of_id_token(&claims);
                if who.email.is_none()
                    && let Ok(req) = client
                        .user_info(resp.access_token().clone(), Some(claims.subject().clone()))
                {
                    let info: UserInfoClaims<
                        openidconnect::EmptyAdditionalClaims,
                        CoreGenderClaim,
                    > = req
                        .request_async(&self.http)
                        .await
                        .map_err(|e| refused("userinfo", e))?;
                    who.email = info.email().map(|e| e.as_str().to_owned());
                    who.email_verified = info.email_verified().unwrap_or(false);
                }
                let grant = Grant {
                    access_token: resp.access_token().secret().clone(),
                    refresh_token: resp
                        .refresh_token()
                        .map(|t| t.secret().clone())
                        .unwrap_or_default(),
                    id_token: id_token.to_string(),
                    scopes: granted(resp.scopes(), &c.scopes),
                    expires_at: expiry(resp.expires_in()),
                };
                Ok((who, grant))
            }
            Endpoints::OAuth2 {
                token,
                userinfo,
                emails,
                ..
            } => {
                let client = BasicClient::new(ClientId::new(c.client_id.clone()))
                    .set_client_secret(ClientSecret::new(c.client_secret.clone()))
                    .set_token_uri(
                        TokenUrl::new(token.clone()).map_err(|_| misconfigured("token URL"))?,
                    )
                    .set_redirect_uri(redirect);
                let resp = client
                    .exchange_code(code)
                    .set_pkce_verifier(verifier)
                    .request_async(&self.http)
                    .await
                    .map_err(|e| refused("code exchange", e))?;
                let access = resp.access_token().clone();
                let info = self.get_json(userinfo, &access).await?;
                let mut who =
                    identity_of_userinfo(&info).ok_or_else(|| refused("userinfo", "no user id"))?;
                if let Some(emails) = emails {
                    let list = self.get_json(emails, &access).await?;
                    (who.email, who.email_verified) = verified_email(&list);
                }
                let grant = Grant {
                    access_token: access.secret().clone(),
                    refresh_token: resp
                        .refresh_token()
                        .map(|t| t.secret().clone())
                        .unwrap_or_default(),
                    id_token: String::new(),
                    scopes: granted(resp.scopes(), &c.scopes),
                    expires_at: expiry(resp.expires_in()),
                };
                Ok((who, grant))
            }
        }
    }

    /// GET `url` with the access token; the JSON answer.
    pub async fn get_json(&self, url: &str, access: &AccessToken) -> Result<Value> {
        let resp = self
            .http
            .get(url)
            .bearer_auth(access.secret())
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| unavailable("userinfo", e))?;
        if !resp.status().is_success() {
            return Err(refused("userinfo", resp.status()));
        }
        resp.json().await.map_err(|e| refused("userinfo", e))
    }
}

fn granted(given: Option<&Vec<Scope>>, asked: &[String]) -> Vec<String> {
    match given {
        Some(s) => s.iter().map(|s| s.to_string()).collect(),
        None => asked.to_vec(),
    }
}

fn expiry(d: Option<Duration>) -> Option<i64> {
    d.map(|d| crate::model::Timestamp::now().millis() + d.as_millis() as i64)
}

fn identity_of_id_token(c: &CoreIdTokenClaims) -> Identity {
    let localized = |v: Option<String>| v.unwrap_or_default();
    Identity {
        subject: c.subject().as_str().to_owned(),
        email: c.email().map(|e| e.as_str().to_owned()),
        email_verified: c.email_verified().unwrap_or(false),
        given_name: localized(
            c.given_name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
        ),
        family_name: localized(
            c.family_name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
        ),
        picture: localized(
            c.picture()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
        ),
        locale: localized(c.locale().map(|l| l.as_str().to_owned())),
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true)) || v.as_str() == Some("true")
}

/// Who a userinfo answer names: OIDC claim names, or the common ones of OAuth 2.0 providers
/// (GitHub's and Discord's `id`, Amazon's `user_id`, `avatar_url`, `verified`).
pub fn identity_of_userinfo(v: &Value) -> Option<Identity> {
    let subject = ["sub", "id", "user_id"].iter().find_map(|k| text(&v[k]))?;
    let name = text(&v["name"]).unwrap_or_default();
    let (given, family) = match (text(&v["given_name"]), text(&v["family_name"])) {
        (Some(g), f) => (g, f.unwrap_or_default()),
        (None, _) => match name.split_once(' ') {
            Some((g, f)) => (g.to_owned(), f.to_owned()),
            None => (name.clone(), String::new()),
        },
    };
    Some(Identity {
        subject,
        email: text(&v["email"]),
        email_verified: truthy(&v["email_verified"]) || truthy(&v["verified"]),
        given_name: given,
        family_name: family,
        picture: ["picture", "avatar_url", "profile_image_url"]
            .iter()
            .find_map(|k| text(&v[k]))
            .unwrap_or_default(),
        locale: text(&v["locale"]).unwrap_or_default(),
    })
}

/// GitHub's `/user/emails`: the primary verified address, else any verified one.
fn verified_email(list: &Value) -> (Option<String>, bool) {
    let all = list.as_array().map(Vec::as_slice).unwrap_or_default();
    let pick = all
        .iter()
        .find(|e| truthy(&e["verified"]) && truthy(&e["primary"]))
        .or_else(|| all.iter().find(|e| truthy(&e["verified"])));
    match pick.and_then(|e| text(&e["email"])) {
        Some(e) => (Some(e), true),
        None => (None, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn userinfo_shapes_of_common_providers() {
        let gh = identity_of_userinfo(
            &json!({"id": 42, "name": "Ada Lovelace", "avatar_url": "https://a/x.png"}),
        )
        .unwrap();
        assert_eq!(
            (
                gh.subject.as_str(),
                gh.given_name.as_str(),
                gh.family_name.as_str()
            ),
            ("42", "Ada", "Lovelace")
        );
        assert!(!gh.email_verified);
        let d =
            identity_of_userinfo(&json!({"id": "7", "email": "a@b.co", "verified": true})).unwrap();
        assert!(d.email_verified);
        assert!(identity_of_userinfo(&json!({"name": "nobody"})).is_none());
        let (e, v) = verified_email(&json!([
            {"email": "x@b.co", "verified": false, "primary": true},
            {"email": "y@b.co", "verified": true, "primary": false}
        ]));
        assert_eq!((e.as_deref(), v), (Some("y@b.co"), true));
        assert_eq!(
            verified_email(&json!([{"email": "x@b.co", "verified": false}])),
            (None, false)
        );
    }
}
