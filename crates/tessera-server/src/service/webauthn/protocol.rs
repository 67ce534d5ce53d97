//! The protocol side of WebAuthn: the relying party a project accepts for a domain, the
//! options' JSON as `@github/webauthn-json` wants it, reading what a browser sent (its
//! challenge, attachment, the credential's COSE key), and the errors these produce.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use webauthn_rs_core::WebauthnCore;
use webauthn_rs_core::proto::AuthenticatorAttachment;

use super::CEREMONY_MINUTES;
use crate::crypto::Digest256;
use crate::error::{Error, ErrorType, Result};
use crate::model::Project;

/// The longest credential JSON read (an attestation with a certificate chain fits easily).
const MAX_CREDENTIAL_JSON: usize = 64 * 1024;

/// The relying party for `domain`, if the project accepts it: its origins are the authorized
/// origins on that host or below it (or `https://<domain>` when none is).
pub(crate) fn relying_party(project: &Project, domain: &str) -> Result<(WebauthnCore, String)> {
    let domain = domain.trim().to_ascii_lowercase();
    let bad = || {
        Error::with_message(
            ErrorType::InvalidWebauthnDomain,
            "The domain is not one of the project's WebAuthn domains (its authorized origins' \
             host names, or those set with tessera project update --webauthn-domains).",
        )
    };
    if domain.is_empty() || !allowed_domains(project).contains(&domain) {
        return Err(bad());
    }
    let mut origins: Vec<url::Url> = project
        .authorized_origins
        .iter()
        .filter_map(|o| url::Url::parse(o).ok())
        .filter(|u| {
            u.host_str()
                .is_some_and(|h| h == domain || h.ends_with(&format!(".{domain}")))
        })
        .collect();
    if origins.is_empty() {
        origins.push(url::Url::parse(&format!("https://{domain}")).map_err(|_| bad())?);
    }
    let name = if project.name.is_empty() {
        &project.project_id
    } else {
        &project.name
    };
    let rp = WebauthnCore::new_unsafe_experts_only(
        name,
        &domain,
        origins,
        Duration::from_secs(CEREMONY_MINUTES as u64 * 60),
        Some(false),
        Some(false),
    );
    Ok((rp, domain))
}

/// The relying-party ids a project accepts (also the Sign-In with Ethereum domains).
pub fn allowed_domains(project: &Project) -> Vec<String> {
    let set = &project.policy.identity.webauthn_domains;
    if !set.is_empty() {
        return set.clone();
    }
    project
        .authorized_origins
        .iter()
        .filter_map(|o| url::Url::parse(o).ok())
        .filter_map(|u| u.host_str().map(str::to_ascii_lowercase))
        .collect()
}

pub(super) fn internal(what: &str, e: impl std::fmt::Debug) -> Error {
    Error::Internal(anyhow::anyhow!("webauthn {what}: {e:?}"))
}

/// The options as the browser SDK hands them to `@github/webauthn-json`: one JSON object with
/// base64url binary fields and no `null`s.
pub(super) fn options_json(options: impl Serialize) -> Result<String> {
    let mut v = serde_json::to_value(options).map_err(|e| internal("options", e))?;
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|_, x| !x.is_null());
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    Ok(v.to_string())
}

/// The challenge a browser echoed in `clientDataJSON`, as the digest a ceremony is found by.
pub(crate) fn challenge_digest(client_data_json: &[u8]) -> Result<Digest256> {
    #[derive(Deserialize)]
    struct ClientData {
        challenge: String,
    }
    let cd: ClientData = serde_json::from_slice(client_data_json)
        .map_err(|_| invalid("clientDataJSON is not a JSON object with a challenge."))?;
    Ok(Digest256::of(&cd.challenge))
}

pub(super) fn invalid(message: &'static str) -> Error {
    Error::with_message(ErrorType::InvalidPublicKeyCredential, message)
}

pub(crate) fn parse_credential<T: serde::de::DeserializeOwned>(json: &str) -> Result<T> {
    if json.is_empty() || json.len() > MAX_CREDENTIAL_JSON {
        return Err(invalid(
            "public_key_credential must be the authenticator's answer as a JSON string.",
        ));
    }
    serde_json::from_str(json).map_err(|_| {
        invalid("public_key_credential is not a WebAuthn credential in webauthn-json's form.")
    })
}

pub(crate) fn authenticator_type(t: Option<&str>) -> Result<Option<AuthenticatorAttachment>> {
    match t {
        None | Some("") => Ok(None),
        Some("platform") => Ok(Some(AuthenticatorAttachment::Platform)),
        Some("cross-platform") => Ok(Some(AuthenticatorAttachment::CrossPlatform)),
        Some(_) => Err(Error::with_message(
            ErrorType::InvalidAuthenticatorType,
            "authenticator_type must be platform or cross-platform.",
        )),
    }
}

/// The `authenticatorAttachment` a browser reported with a credential, if any.
pub(crate) fn attachment_of(credential: &str) -> String {
    serde_json::from_str::<serde_json::Value>(credential)
        .ok()
        .and_then(|v| v["authenticatorAttachment"].as_str().map(str::to_owned))
        .filter(|a| a == "platform" || a == "cross-platform")
        .unwrap_or_default()
}

/// The COSE public key (its CBOR bytes) in a verified attestation object's authenticator
/// data: after the RP id hash (32), flags (1), counter (4), AAGUID (16), the credential id's
/// length (2) and the id.
pub(crate) fn cose_key_of(attestation_object: &[u8]) -> Result<Vec<u8>> {
    use serde::Deserialize as _;
    use serde_cbor_2::Value;
    let bad = || invalid("The attestation object holds no credential public key.");
    let att: Value = serde_cbor_2::from_slice(attestation_object).map_err(|_| bad())?;
    let Value::Map(m) = att else {
        return Err(bad());
    };
    let Some(Value::Bytes(auth)) = m.get(&Value::Text("authData".into())) else {
        return Err(bad());
    };
    let id_len = auth.get(53..55).ok_or_else(bad)?;
    let start = 55 + usize::from(u16::from_be_bytes([id_len[0], id_len[1]]));
    let rest = auth.get(start..).ok_or_else(bad)?;
    let mut de = serde_cbor_2::Deserializer::from_slice(rest);
    Value::deserialize(&mut de).map_err(|_| bad())?;
    Ok(rest[..de.byte_offset()].to_vec())
}
