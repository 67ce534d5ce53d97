use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{self, RsaKeyPair};
use serde::Deserialize;

use crate::model::Timestamp;

/// An RS256 signing key: the parsed private key (parsed once, never per signature) and the
/// public components published in the JWKS.
pub struct SigningKey {
    /// `jwk-test-<uuid>`.
    pub kid: String,
    key_pair: Option<RsaKeyPair>,
    /// Modulus, base64url.
    pub n: String,
    /// Exponent, base64url.
    pub e: String,
    n_bytes: Vec<u8>,
    e_bytes: Vec<u8>,
    /// Creation time.
    pub created_at: Timestamp,
    /// When it stopped signing (still verifying until its JWTs expire).
    pub retired_at: Option<Timestamp>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// A freshly generated key with its PKCS#8 DER, to store.
pub struct GeneratedKey {
    /// The key, ready to sign.
    pub key: SigningKey,
    /// PKCS#8 DER of the private key.
    pub pkcs8_der: Vec<u8>,
}

impl SigningKey {
    /// Generates a 2048-bit RSA key (about 0.1 s of CPU: call from a blocking thread).
    pub fn generate(kid: String, now: Timestamp) -> anyhow::Result<GeneratedKey> {
        use rsa::pkcs8::EncodePrivateKey;
        use rsa::traits::PublicKeyParts;
        let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)?;
        let der = private.to_pkcs8_der()?.as_bytes().to_vec();
        let n = private.n().to_bytes_be();
        let e = private.e().to_bytes_be();
        let key = SigningKey::from_parts(kid, &der, &n, &e, now, None)?;
        Ok(GeneratedKey {
            key,
            pkcs8_der: der,
        })
    }

    /// Rebuilds a key from stored parts.
    pub fn from_parts(
        kid: String,
        pkcs8_der: &[u8],
        n: &[u8],
        e: &[u8],
        created_at: Timestamp,
        retired_at: Option<Timestamp>,
    ) -> anyhow::Result<Self> {
        let key_pair = RsaKeyPair::from_pkcs8(pkcs8_der)
            .map_err(|e| anyhow::anyhow!("invalid stored signing key {kid}: {e}"))?;
        Ok(SigningKey {
            kid,
            key_pair: Some(key_pair),
            n: URL_SAFE_NO_PAD.encode(n),
            e: URL_SAFE_NO_PAD.encode(e),
            n_bytes: n.to_vec(),
            e_bytes: e.to_vec(),
            created_at,
            retired_at,
        })
    }

    /// Signs `claims` as a JWT with header `{"alg":"RS256","kid":…,"typ":"JWT"}`.
    pub fn sign(&self, claims: &impl serde::Serialize) -> anyhow::Result<String> {
        let key_pair = self
            .key_pair
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("key {} cannot sign", self.kid))?;
        let header = format!(r#"{{"alg":"RS256","kid":"{}","typ":"JWT"}}"#, self.kid);
        let payload = serde_json::to_vec(claims)?;
        let mut jwt = String::with_capacity(64 + payload.len() * 4 / 3 + 350);
        URL_SAFE_NO_PAD.encode_string(header, &mut jwt);
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut jwt);
        let mut sig = vec![0u8; key_pair.public().modulus_len()];
        key_pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                jwt.as_bytes(),
                &mut sig,
            )
            .map_err(|_| anyhow::anyhow!("RSA signing failed"))?;
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(&sig, &mut jwt);
        Ok(jwt)
    }

    /// Checks an RS256 signature over `signing_input`.
    pub fn verify(&self, signing_input: &[u8], sig: &[u8]) -> bool {
        signature::RsaPublicKeyComponents {
            n: &self.n_bytes,
            e: &self.e_bytes,
        }
        .verify(&signature::RSA_PKCS1_2048_8192_SHA256, signing_input, sig)
        .is_ok()
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

/// A JWT split into its parts; nothing in it is trusted until [`UnverifiedJwt::verify_with`]
/// returns the payload.
pub struct UnverifiedJwt<'a> {
    /// The header's `kid`.
    pub kid: String,
    signing_input: &'a str,
    payload_b64: &'a str,
    signature: Vec<u8>,
}

impl<'a> UnverifiedJwt<'a> {
    /// Splits and decodes the header; `None` for anything that is not a compact RS256 JWT with a
    /// `kid`.
    pub fn parse(jwt: &'a str) -> Option<Self> {
        let (signing_input, sig_b64) = jwt.rsplit_once('.')?;
        let (header_b64, payload_b64) = signing_input.split_once('.')?;
        let header: Header =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header_b64).ok()?).ok()?;
        if header.alg != "RS256" {
            return None;
        }
        Some(UnverifiedJwt {
            kid: header.kid?,
            signing_input,
            payload_b64,
            signature: URL_SAFE_NO_PAD.decode(sig_b64).ok()?,
        })
    }

    /// The payload, if `key` signed this JWT. Expiry is the caller's business.
    pub fn verify_with<T: serde::de::DeserializeOwned>(&self, key: &SigningKey) -> Option<T> {
        if key.kid != self.kid || !key.verify(self.signing_input.as_bytes(), &self.signature) {
            return None;
        }
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(self.payload_b64).ok()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn signs_and_verifies_and_rejects_tampering() {
        let k = SigningKey::generate("jwk-test-1".into(), Timestamp::from_millis(0))
            .unwrap()
            .key;
        let jwt = k.sign(&json!({"sub": "user-test-1"})).unwrap();
        let header: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(jwt.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            header,
            json!({"alg": "RS256", "kid": "jwk-test-1", "typ": "JWT"})
        );
        let parsed = UnverifiedJwt::parse(&jwt).unwrap();
        assert_eq!(
            parsed.verify_with::<Value>(&k).unwrap()["sub"],
            "user-test-1"
        );

        // Another payload under the same signature fails.
        let mut parts: Vec<&str> = jwt.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"sub":"user-test-2"}"#);
        parts[1] = &forged;
        let forged = parts.join(".");
        assert!(
            UnverifiedJwt::parse(&forged)
                .unwrap()
                .verify_with::<Value>(&k)
                .is_none()
        );

        // Another key fails; alg none and garbage do not even parse.
        let other = SigningKey::generate("jwk-test-1".into(), Timestamp::from_millis(0))
            .unwrap()
            .key;
        assert!(parsed.verify_with::<Value>(&other).is_none());
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"jwk-test-1"}"#);
        assert!(UnverifiedJwt::parse(&format!("{none_header}.e30.")).is_none());
        assert!(UnverifiedJwt::parse("garbage").is_none());
    }

    #[test]
    fn stored_parts_round_trip() {
        let g = SigningKey::generate("jwk-test-2".into(), Timestamp::from_millis(0)).unwrap();
        let n = URL_SAFE_NO_PAD.decode(&g.key.n).unwrap();
        let e = URL_SAFE_NO_PAD.decode(&g.key.e).unwrap();
        let back = SigningKey::from_parts(
            "jwk-test-2".into(),
            &g.pkcs8_der,
            &n,
            &e,
            g.key.created_at,
            None,
        )
        .unwrap();
        let jwt = back.sign(&json!({"a": 1})).unwrap();
        assert!(
            UnverifiedJwt::parse(&jwt)
                .unwrap()
                .verify_with::<Value>(&g.key)
                .is_some()
        );
    }
}
