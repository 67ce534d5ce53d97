//! A project's OAuth providers: set (the client secret sealed with the master key), listed
//! (never the secret), deleted; and the ready-to-use form a flow needs (Apple's client secret
//! is a short-lived ES256 JWT signed here with the team's private key).

use serde::Serialize;

use super::protocol::Configured;
use crate::error::{Error, ErrorType, Result};
use crate::model::Timestamp;
use crate::model::oauth::{Endpoints, Provider, ProviderSettings};
use crate::sealing::MasterKey;
use crate::service::master_key::oauth_context;
use crate::store::Store;
use crate::store::oauth::ProviderRow;

/// A provider as listed (bootstrap, `tessera project oauth list`): never its secret.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// Its name, e.g. `google`.
    pub provider: String,
    /// Its `provider_type`, e.g. `Google`.
    pub provider_type: String,
    /// The client id.
    pub client_id: String,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// `oidc` or `oauth2`.
    pub protocol: &'static str,
    /// The issuer (OpenID Connect) or authorization endpoint (OAuth 2.0).
    pub endpoint: String,
}

fn parse(name: &str) -> Result<Provider> {
    Provider::parse(name).ok_or_else(|| Error::new(ErrorType::InvalidOauthProvider))
}

fn bad(message: String) -> Error {
    Error::with_message(ErrorType::InvalidArgument, message)
}

fn check_url(what: &str, u: &Option<String>) -> Result<()> {
    if let Some(u) = u {
        match url::Url::parse(u) {
            Ok(p) if matches!(p.scheme(), "http" | "https") => {}
            _ => return Err(bad(format!("{what} must be an http(s) URL, not {u:?}"))),
        }
    }
    Ok(())
}

/// Sets a project's provider (replacing its settings and secret).
pub async fn set(
    store: &Store,
    master: &MasterKey,
    project_id: &str,
    name: &str,
    settings: ProviderSettings,
    client_secret: &str,
) -> Result<Listed> {
    let provider = parse(name)?;
    if settings.client_id.trim().is_empty() {
        return Err(bad("a client id is required".into()));
    }
    if client_secret.is_empty() {
        return Err(bad("a client secret is required".into()));
    }
    settings.endpoints(provider).map_err(bad)?;
    check_url("the issuer", &settings.issuer)?;
    check_url("the authorization URL", &settings.authorization_url)?;
    check_url("the token URL", &settings.token_url)?;
    check_url("the userinfo URL", &settings.userinfo_url)?;
    if provider == Provider::Apple && settings.issuer.is_none() {
        if settings.team_id.is_none() || settings.key_id.is_none() {
            return Err(bad(
                "Apple needs --team-id and --key-id, and the .p8 private key as the secret".into(),
            ));
        }
        jsonwebtoken::EncodingKey::from_ec_pem(client_secret.as_bytes())
            .map_err(|_| bad("Apple's secret must be the .p8 private key (PEM)".into()))?;
    }
    if store.project(project_id).await?.is_none() {
        return Err(Error::with_message(
            ErrorType::InvalidArgument,
            "no such project",
        ));
    }
    let row = ProviderRow {
        provider: provider.name().to_owned(),
        settings: serde_json::to_string(&settings).unwrap_or_default(),
        secret_sealed: master.seal(
            &oauth_context("client-secret", project_id, provider.name()),
            client_secret.as_bytes(),
        ),
    };
    store
        .put_oauth_provider(project_id, &row, Timestamp::now())
        .await?;
    listed(&row)
}

fn listed(row: &ProviderRow) -> Result<Listed> {
    let provider = parse(&row.provider)?;
    let settings: ProviderSettings = serde_json::from_str(&row.settings)
        .map_err(|_| Error::Internal(anyhow::anyhow!("unreadable OAuth provider settings")))?;
    let (protocol, endpoint) = match settings.endpoints(provider) {
        Ok(Endpoints::Oidc { issuer }) => ("oidc", issuer),
        Ok(Endpoints::OAuth2 { authorize, .. }) => ("oauth2", authorize),
        Err(_) => ("oauth2", String::new()),
    };
    Ok(Listed {
        provider: provider.name().to_owned(),
        provider_type: provider.provider_type().to_owned(),
        scopes: settings.scopes(provider),
        client_id: settings.client_id,
        protocol,
        endpoint,
    })
}

/// A project's providers.
pub async fn list(store: &Store, project_id: &str) -> Result<Vec<Listed>> {
    store
        .oauth_providers(project_id)
        .await?
        .iter()
        .map(listed)
        .collect()
}

/// Deletes a project's provider.
pub async fn delete(store: &Store, project_id: &str, name: &str) -> Result<()> {
    let provider = parse(name)?;
    if store
        .delete_oauth_provider(project_id, provider.name())
        .await?
    {
        Ok(())
    } else {
        Err(Error::new(ErrorType::OauthConfigNotFound))
    }
}

/// The provider a flow uses, its secret opened.
pub async fn configured(
    store: &Store,
    master: &MasterKey,
    project_id: &str,
    provider: Provider,
) -> Result<Configured> {
    let row = store
        .oauth_providers(project_id)
        .await?
        .into_iter()
        .find(|r| r.provider == provider.name())
        .ok_or_else(|| Error::new(ErrorType::OauthConfigNotFound))?;
    let settings: ProviderSettings = serde_json::from_str(&row.settings)
        .map_err(|_| Error::Internal(anyhow::anyhow!("unreadable OAuth provider settings")))?;
    let secret = master
        .open(
            &oauth_context("client-secret", project_id, provider.name()),
            &row.secret_sealed,
        )
        .map_err(|e| {
            Error::Internal(anyhow::anyhow!("an OAuth client secret does not open: {e}"))
        })?;
    let secret = String::from_utf8(secret)
        .map_err(|_| Error::Internal(anyhow::anyhow!("an OAuth client secret is not text")))?;
    let endpoints = settings
        .endpoints(provider)
        .map_err(|m| Error::with_message(ErrorType::OauthConfigNotFound, m))?;
    let client_secret = match (&settings.team_id, &settings.key_id) {
        (Some(team), Some(kid)) if provider == Provider::Apple => {
            apple_secret(&secret, team, kid, &settings.client_id)?
        }
        _ => secret,
    };
    Ok(Configured {
        provider,
        endpoints,
        scopes: settings.scopes(provider),
        client_id: settings.client_id,
        client_secret,
    })
}

/// Apple's client secret: an ES256 JWT from the team, for the client, valid five minutes.
fn apple_secret(pem: &str, team: &str, kid: &str, client_id: &str) -> Result<String> {
    let key = jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes())
        .map_err(|e| Error::Internal(anyhow::anyhow!("Apple's private key: {e}")))?;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(kid.to_owned());
    let now = Timestamp::now().millis() / 1000;
    let claims = serde_json::json!({
        "iss": team, "iat": now, "exp": now + 300,
        "aud": "https://appleid.apple.com", "sub": client_id,
    });
    jsonwebtoken::encode(&header, &claims, &key)
        .map_err(|e| Error::Internal(anyhow::anyhow!("signing Apple's client secret: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apples_client_secret_is_an_es256_jwt_from_the_team() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let jwt = apple_secret(
            &key.serialize_pem(),
            "TEAM123456",
            "KEY1234567",
            "com.example.app",
        )
        .unwrap();
        let public =
            jsonwebtoken::DecodingKey::from_ec_pem(key.public_key_pem().as_bytes()).unwrap();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        v.set_audience(&["https://appleid.apple.com"]);
        v.set_issuer(&["TEAM123456"]);
        let data = jsonwebtoken::decode::<serde_json::Value>(&jwt, &public, &v).unwrap();
        assert_eq!(data.header.kid.as_deref(), Some("KEY1234567"));
        assert_eq!(data.claims["sub"], "com.example.app");
        let life = data.claims["exp"].as_i64().unwrap() - data.claims["iat"].as_i64().unwrap();
        assert_eq!(life, 300);
    }
}
