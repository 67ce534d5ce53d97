//! A software WebAuthn authenticator (P-256, attestation "none") for the API tests, written
//! independently of webauthn-rs: `ring` signs, the little CBOR needed is encoded by hand, and
//! the answers are webauthn-json credentials, as `@github/webauthn-json` (inside Stytch's
//! browser SDK) serialises `navigator.credentials.create()` and `.get()`.
//!
//! It plays the browser's part too (clientDataJSON with the origin and challenge), and does
//! not refuse what a real client would refuse on its own (a credential listed in
//! `excludeCredentials`, one missing from `allowCredentials`), so tests can check that the
//! server refuses it. It does check the relying-party id, as a browser does: to sign for
//! another one, rewrite `rp.id` / `rpId` in the options and pass the same name.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// authenticatorData flags: user present.
const UP: u8 = 0x01;
/// authenticatorData flags: user verified.
const UV: u8 = 0x04;
/// authenticatorData flags: attested credential data included.
const AT: u8 = 0x40;

/// One credential (a P-256 key and a random id) on a software authenticator, with its
/// signature counter and, when `resident`, the user handle it was registered with.
pub(crate) struct SoftAuthenticator {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    credential_id: Vec<u8>,
    resident: bool,
    user_handle: Option<Vec<u8>>,
    /// The counter the next assertion carries.
    counter: u32,
}

impl SoftAuthenticator {
    /// A new authenticator holding one new P-256 key under a random 16 to 32-byte credential
    /// id. A `resident` (discoverable) one keeps the user handle from `create` and returns it
    /// in assertions; otherwise assertions carry `"userHandle": null`.
    pub(crate) fn new(resident: bool) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .expect("the system RNG generates a P-256 key");
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .expect("ring reads the key it generated");
        let mut len = [0u8; 1];
        rng.fill(&mut len).expect("the system RNG works");
        let mut credential_id = vec![0u8; 16 + usize::from(len[0] % 17)];
        rng.fill(&mut credential_id).expect("the system RNG works");
        SoftAuthenticator {
            key,
            rng,
            credential_id,
            resident,
            user_handle: None,
            counter: 1,
        }
    }

    /// The credential id, base64url without padding (as the server stores and lists it).
    pub(crate) fn credential_id(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.credential_id)
    }

    /// The next assertion carries counter `n` (and the one after it `n + 1`): set it back to
    /// replay an old counter, as a cloned authenticator would.
    pub(crate) fn set_counter(&mut self, n: u32) {
        self.counter = n;
    }

    /// `navigator.credentials.create()` through webauthn-json: reads the creation options (the
    /// JSON string from `register/start`, either `{"publicKey": {...}}` or the bare options),
    /// checks `rp.id == rp_id`, keeps `user.id` as the user handle if resident, and answers
    /// with the credential JSON string for `webauthn/register`: attestation `none`, flags
    /// UP|UV|AT, counter 0, a zero AAGUID, transports `["internal"]`, attachment `platform`.
    /// Every call registers the same credential (id and key).
    pub(crate) fn create(&mut self, options_json: &str, rp_id: &str, origin: &str) -> String {
        let options = public_key_options(options_json);
        let options_rp = options["rp"]["id"].as_str();
        assert_eq!(
            options_rp,
            Some(rp_id),
            "the creation options name another relying party: {options_json}"
        );
        let challenge = options_challenge(&options);
        if self.resident {
            let user_id = options["user"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("no user.id in the creation options: {options_json}"));
            self.user_handle = Some(decode_b64(user_id));
        }
        let client_data = client_data_json("webauthn.create", &challenge, origin);

        let public_key = self.key.public_key().as_ref();
        // SEC1 uncompressed: 0x04 || x || y.
        let (x, y) = public_key[1..].split_at(32);
        let mut auth_data = authenticator_data(rp_id, UP | UV | AT, 0);
        auth_data.extend_from_slice(&[0u8; 16]); // AAGUID
        let id_len =
            u16::try_from(self.credential_id.len()).expect("a credential id of 16 to 32 bytes");
        auth_data.extend_from_slice(&id_len.to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&cose_p256_key(x, y));

        let id = self.credential_id();
        json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "clientDataJSON": URL_SAFE_NO_PAD.encode(client_data.as_bytes()),
                "attestationObject": URL_SAFE_NO_PAD.encode(attestation_object_none(&auth_data)),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        })
        .to_string()
    }

    /// `navigator.credentials.get()` through webauthn-json: reads the request options (bare or
    /// under `publicKey`), checks `rpId` (when given) against `rp_id`, and answers with the
    /// assertion JSON string for `webauthn/authenticate`: flags UP|UV, the next counter, an
    /// ECDSA P-256 SHA-256 (ASN.1 DER) signature over authenticatorData || SHA-256(clientDataJSON),
    /// and the user handle (`null` unless resident and registered).
    pub(crate) fn get(&mut self, options_json: &str, rp_id: &str, origin: &str) -> String {
        self.get_with(options_json, rp_id, origin, None)
    }

    /// [`get`](Self::get) for negative tests: `origin` is signed as given, and
    /// `challenge_override` (a base64url string) replaces the options' challenge in the
    /// clientDataJSON.
    pub(crate) fn get_with(
        &mut self,
        options_json: &str,
        rp_id: &str,
        origin: &str,
        challenge_override: Option<&str>,
    ) -> String {
        let options = public_key_options(options_json);
        if let Some(options_rp) = options["rpId"].as_str() {
            assert_eq!(
                options_rp, rp_id,
                "the request options name another relying party: {options_json}"
            );
        }
        let challenge = match challenge_override {
            Some(c) => c.to_owned(),
            None => options_challenge(&options),
        };
        let client_data = client_data_json("webauthn.get", &challenge, origin);
        let auth_data = authenticator_data(rp_id, UP | UV, self.counter);
        self.counter = self.counter.wrapping_add(1);

        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(client_data.as_bytes()));
        let signature = self
            .key
            .sign(&self.rng, &signed)
            .expect("ring signs with the system RNG");

        let id = self.credential_id();
        let user_handle = match &self.user_handle {
            Some(h) => Value::String(URL_SAFE_NO_PAD.encode(h)),
            None => Value::Null,
        };
        json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "clientDataJSON": URL_SAFE_NO_PAD.encode(client_data.as_bytes()),
                "authenticatorData": URL_SAFE_NO_PAD.encode(&auth_data),
                "signature": URL_SAFE_NO_PAD.encode(signature.as_ref()),
                "userHandle": user_handle,
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        })
        .to_string()
    }
}

/// The options object of a JSON string: the value under `publicKey` if there is one, else the
/// whole object.
fn public_key_options(options_json: &str) -> Value {
    let mut v: Value = serde_json::from_str(options_json)
        .unwrap_or_else(|e| panic!("the options are not JSON ({e}): {options_json}"));
    match v.get_mut("publicKey") {
        Some(inner) => inner.take(),
        None => v,
    }
}

/// The options' challenge, normalised to base64url without padding as a browser writes it
/// into clientDataJSON.
fn options_challenge(options: &Value) -> String {
    let challenge = options["challenge"]
        .as_str()
        .unwrap_or_else(|| panic!("no challenge in the options: {options}"));
    URL_SAFE_NO_PAD.encode(decode_b64(challenge))
}

/// Decodes base64url or standard base64, padded or not (webauthn-json's `atob` takes both).
fn decode_b64(s: &str) -> Vec<u8> {
    let unpadded = s.trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(unpadded)
        .or_else(|_| STANDARD_NO_PAD.decode(unpadded))
        .unwrap_or_else(|e| panic!("not base64 ({e}): {s}"))
}

/// clientDataJSON as Chromium writes it (member order type, challenge, origin, crossOrigin).
fn client_data_json(kind: &str, challenge: &str, origin: &str) -> String {
    format!(
        r#"{{"type":{},"challenge":{},"origin":{},"crossOrigin":false}}"#,
        Value::from(kind),
        Value::from(challenge),
        Value::from(origin),
    )
}

/// authenticatorData without attested credential data: SHA-256(rp id) || flags || counter
/// (big-endian).
fn authenticator_data(rp_id: &str, flags: u8, counter: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(37);
    out.extend_from_slice(&Sha256::digest(rp_id.as_bytes()));
    out.push(flags);
    out.extend_from_slice(&counter.to_be_bytes());
    out
}

/// The head of a CBOR byte string (major type 2) of `len` bytes.
fn cbor_bytes_head(len: usize) -> Vec<u8> {
    match len {
        0..=23 => vec![0x40 | len as u8],
        24..=0xff => vec![0x58, len as u8],
        0x100..=0xffff => vec![0x59, (len >> 8) as u8, len as u8],
        _ => {
            let mut head = vec![0x5a];
            head.extend_from_slice(
                &u32::try_from(len)
                    .expect("a byte string under 4 GiB")
                    .to_be_bytes(),
            );
            head
        }
    }
}

/// A CBOR byte string.
fn cbor_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = cbor_bytes_head(bytes.len());
    out.extend_from_slice(bytes);
    out
}

/// The COSE_Key of a P-256 public key: {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}.
fn cose_p256_key(x: &[u8], y: &[u8]) -> Vec<u8> {
    let mut out = vec![
        0xa5, // map(5)
        0x01, 0x02, // kty: EC2
        0x03, 0x26, // alg: ES256 (-7)
        0x20, 0x01, // crv (-1): P-256
        0x21, // x (-2)
    ];
    out.extend_from_slice(&cbor_bytes(x));
    out.push(0x22); // y (-3)
    out.extend_from_slice(&cbor_bytes(y));
    out
}

/// The attestation object of attestation "none":
/// {"fmt": "none", "attStmt": {}, "authData": bytes}, keys in CTAP2 canonical order.
fn attestation_object_none(auth_data: &[u8]) -> Vec<u8> {
    let mut out = vec![0xa3]; // map(3)
    out.push(0x63); // text(3)
    out.extend_from_slice(b"fmt");
    out.push(0x64); // text(4)
    out.extend_from_slice(b"none");
    out.push(0x67); // text(7)
    out.extend_from_slice(b"attStmt");
    out.push(0xa0); // map(0)
    out.push(0x68); // text(8)
    out.extend_from_slice(b"authData");
    out.extend_from_slice(&cbor_bytes(auth_data));
    out
}
