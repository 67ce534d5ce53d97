//! Sign-In with Ethereum (EIP-4361) through the `siwe` crate: the message a wallet signs, built
//! from checked parameters at start, and its validity window checked at authenticate.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Address, CHALLENGE_MINUTES};
use crate::error::{Error, ErrorType, Result};
use crate::model::Project;
use crate::service::webauthn;

/// Sign-In with Ethereum parameters, checked by [`siwe_message`].
#[derive(Debug, Clone, Default)]
pub struct Siwe {
    /// The domain (host, or host:port) asking.
    pub domain: String,
    /// The URI.
    pub uri: String,
    /// EIP-155 chain id.
    pub chain_id: Option<String>,
    /// The statement.
    pub statement: Option<String>,
    /// RFC 3339.
    pub issued_at: Option<String>,
    /// RFC 3339.
    pub not_before: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
    /// Resources.
    pub resources: Vec<String>,
}

fn siwe_error(kind: ErrorType, message: String) -> Error {
    Error::with_message(kind, message)
}

fn rfc3339(field: &str, s: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
        siwe_error(
            ErrorType::InvalidSiweParams,
            format!("siwe_params.{field} must be an RFC 3339 time."),
        )
    })
}

/// The EIP-4361 message for `address`: the domain must be one of the project's (its
/// authorized origins' hosts, or its WebAuthn domains), the URI an authorized origin's or
/// below one; it expires [`CHALLENGE_MINUTES`] after `issued_at`.
pub(crate) fn siwe_message(
    project: &Project,
    address: &Address,
    p: Siwe,
    now: OffsetDateTime,
) -> Result<String> {
    let host = p
        .domain
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if p.domain.is_empty() || !webauthn::allowed_domains(project).contains(&host) {
        return Err(siwe_error(
            ErrorType::InvalidSiweDomain,
            format!(
                "The SIWE domain {:?} is not one of the project's domains.",
                p.domain
            ),
        ));
    }
    let uri = url::Url::parse(&p.uri).map_err(|_| {
        siwe_error(
            ErrorType::InvalidSiweUri,
            "siwe_params.uri must be a URI.".into(),
        )
    })?;
    if uri.host_str().map(str::to_ascii_lowercase).as_deref() != Some(host.as_str()) {
        return Err(siwe_error(
            ErrorType::InvalidSiweUri,
            "siwe_params.uri must be on the SIWE domain.".into(),
        ));
    }
    let chain_id: u64 = p.chain_id.as_deref().unwrap_or("1").parse().map_err(|_| {
        siwe_error(
            ErrorType::InvalidSiweParams,
            "siwe_params.chain_id must be a number.".into(),
        )
    })?;
    let issued_at = match &p.issued_at {
        Some(s) => rfc3339("issued_at", s)?,
        None => now,
    };
    let expires = issued_at
        .checked_add(time::Duration::minutes(CHALLENGE_MINUTES))
        .ok_or_else(|| {
            siwe_error(
                ErrorType::InvalidSiweParams,
                "siwe_params.issued_at is too far in the future.".into(),
            )
        })?;
    let not_before = p
        .not_before
        .as_deref()
        .map(|s| rfc3339("not_before", s))
        .transpose()?;
    let resources = p
        .resources
        .iter()
        .map(|r| r.parse())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| {
            siwe_error(
                ErrorType::InvalidSiweParams,
                "siwe_params.resources must be URIs.".into(),
            )
        })?;
    if p.statement.as_deref().is_some_and(|s| s.contains('\n')) {
        return Err(siwe_error(
            ErrorType::InvalidSiweParams,
            "siwe_params.statement must be one line.".into(),
        ));
    }
    let mut address_bytes = [0u8; 20];
    address_bytes.copy_from_slice(&address.bytes);
    let message = siwe::Message {
        domain: p.domain.parse().map_err(|_| {
            siwe_error(
                ErrorType::InvalidSiweDomain,
                "siwe_params.domain is not a host.".into(),
            )
        })?,
        address: address_bytes,
        statement: p.statement,
        uri: p.uri.parse().map_err(|_| {
            siwe_error(
                ErrorType::InvalidSiweUri,
                "siwe_params.uri must be a URI.".into(),
            )
        })?,
        version: siwe::Version::V1,
        chain_id,
        nonce: siwe::generate_nonce(),
        issued_at: issued_at.into(),
        expiration_time: Some(expires.into()),
        not_before: not_before.map(Into::into),
        request_id: p.request_id,
        resources,
    };
    // What is stored must read back at authenticate: an empty statement or a request id with a
    // line break writes a message EIP-4361 cannot parse.
    let text = message.to_string();
    if text.parse::<siwe::Message>().is_err() {
        return Err(siwe_error(
            ErrorType::InvalidSiweParams,
            "siwe_params do not make a valid EIP-4361 message (an empty statement, or a \
             request id with a line break?)."
                .into(),
        ));
    }
    Ok(text)
}

/// Refuses a Sign-In with Ethereum message outside its validity window.
pub(crate) fn check_siwe_window(message: &str, now: OffsetDateTime) -> Result<()> {
    let m: siwe::Message = message
        .parse()
        .map_err(|_| Error::Internal(anyhow::anyhow!("a stored SIWE message does not parse")))?;
    if m.expiration_time.as_ref().is_some_and(|exp| *exp < now) {
        return Err(Error::new(ErrorType::SiweMessageExpired));
    }
    if m.not_before.as_ref().is_some_and(|nbf| *nbf > now) {
        return Err(Error::new(ErrorType::SiweMessageNotValidYet));
    }
    Ok(())
}
