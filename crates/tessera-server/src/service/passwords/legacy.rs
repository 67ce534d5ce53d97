//! Hashes imported by `passwords/migrate`: each `hash_type` Stytch accepts, validated on import
//! and checked at the first login (which replaces it by argon2id).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use subtle::ConstantTimeEq;
use tessera_proto::passwords::MigrateRequest;

use crate::error::{Error, ErrorType, Result};

/// An imported hash, as stored after [`super::hashing::LEGACY_PREFIX`] (bytes in base64).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Legacy {
    /// A `$2a$`/`$2b$`/`$2y$` string.
    Bcrypt {
        /// The string.
        hash: String,
    },
    /// `digest(prepend + password + append)`.
    Salted {
        /// `md_5`, `sha_1` or `sha_512`.
        algorithm: String,
        /// The digest, base64.
        digest: String,
        /// Put before the password.
        prepend: String,
        /// Put after the password.
        append: String,
    },
    /// An argon2i or argon2id PHC string (a raw hash is stored in this form).
    Argon2 {
        /// The PHC string.
        phc: String,
    },
    /// scrypt.
    Scrypt {
        /// Salt, base64.
        salt: String,
        /// log2(N).
        log_n: u8,
        /// r.
        r: u32,
        /// p.
        p: u32,
        /// The hash, base64.
        hash: String,
    },
    /// A portable phpass `$P$`/`$H$` string.
    Phpass {
        /// The string.
        hash: String,
    },
    /// PBKDF2-HMAC.
    Pbkdf2 {
        /// SHA-512 (else SHA-256).
        sha512: bool,
        /// Salt, base64.
        salt: String,
        /// Iterations.
        iterations: u32,
        /// The hash, base64.
        hash: String,
    },
}

fn invalid(what: &str) -> Error {
    Error::with_message(
        ErrorType::InvalidHash,
        format!("The hash is not a valid {what} hash."),
    )
}

fn config(what: &str) -> Error {
    Error::with_message(
        ErrorType::InvalidHashConfig,
        format!("{what} is missing or invalid."),
    )
}

/// Hex (either case) or base64 (padded or not).
fn bytes(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.len().is_multiple_of(2) && !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
            .collect();
    }
    STANDARD
        .decode(s)
        .or_else(|_| STANDARD_NO_PAD.decode(s))
        .ok()
        .filter(|b| !b.is_empty())
}

/// Base64 (padded or not), else hex: what Stytch documents for scrypt and PBKDF2 salts and
/// hashes comes first, so a base64 value made only of hex digits is still read as base64.
fn base64_first(s: &str) -> Option<Vec<u8>> {
    let t = s.trim();
    STANDARD
        .decode(t)
        .or_else(|_| STANDARD_NO_PAD.decode(t))
        .ok()
        .filter(|b| !b.is_empty())
        .or_else(|| bytes(t))
}

fn b64(b: &[u8]) -> String {
    STANDARD.encode(b)
}

fn unb64(s: &str) -> Vec<u8> {
    STANDARD.decode(s).unwrap_or_default()
}

impl Legacy {
    /// Validates a migrate request's hash into what is stored.
    pub fn from_request(r: &MigrateRequest) -> Result<Legacy> {
        let hash = r.hash.trim();
        Ok(match r.hash_type.as_str() {
            "bcrypt" => {
                hash.parse::<bcrypt::HashParts>()
                    .map_err(|_| invalid("bcrypt"))?;
                Legacy::Bcrypt { hash: hash.into() }
            }
            t @ ("md_5" | "sha_1" | "sha_512") => {
                let (len, salts) = match t {
                    "md_5" => (16, &r.md_5_config),
                    "sha_1" => (20, &r.sha_1_config),
                    _ => (64, &r.sha_512_config),
                };
                let digest = bytes(hash)
                    .filter(|d| d.len() == len)
                    .ok_or_else(|| invalid(t))?;
                let salts = salts.clone().unwrap_or_default();
                Legacy::Salted {
                    algorithm: t.into(),
                    digest: b64(&digest),
                    prepend: salts.prepend_salt,
                    append: salts.append_salt,
                }
            }
            t @ ("argon_2i" | "argon_2id") => {
                let alg = if t == "argon_2i" {
                    argon2::Algorithm::Argon2i
                } else {
                    argon2::Algorithm::Argon2id
                };
                let phc = if hash.starts_with('$') {
                    let parsed = argon2::PasswordHash::new(hash).map_err(|_| invalid("argon2"))?;
                    if parsed.algorithm != alg.ident() {
                        return Err(invalid(t));
                    }
                    // argon2 0.5 multiplies the lanes by 8 in a u32 before it checks them: a
                    // larger count overflows (a panic in debug builds), so it is refused first.
                    let lanes = parsed.params.get_decimal("p").unwrap_or(1);
                    if lanes > argon2::Params::MAX_P_COST {
                        return Err(invalid(t));
                    }
                    argon2::Params::try_from(&parsed).map_err(|_| invalid(t))?;
                    hash.to_owned()
                } else {
                    let c = r
                        .argon_2_config
                        .as_ref()
                        .ok_or_else(|| config("argon_2_config"))?;
                    let out = bytes(hash).ok_or_else(|| invalid(t))?;
                    if out.len() != c.key_length as usize {
                        return Err(Error::with_message(
                            ErrorType::InvalidHashConfig,
                            "argon_2_config.key_length does not match the hash's length.",
                        ));
                    }
                    if c.threads > argon2::Params::MAX_P_COST {
                        return Err(config("argon_2_config"));
                    }
                    let params = argon2::Params::new(
                        c.memory,
                        c.iteration_amount,
                        c.threads,
                        Some(c.key_length as usize),
                    )
                    .map_err(|_| config("argon_2_config"))?;
                    let salt = argon2::password_hash::SaltString::encode_b64(c.salt.as_bytes())
                        .map_err(|_| config("argon_2_config.salt"))?;
                    let output =
                        argon2::password_hash::Output::new(&out).map_err(|_| invalid(t))?;
                    argon2::PasswordHash {
                        algorithm: alg.ident(),
                        version: Some(argon2::Version::V0x13.into()),
                        params: (&params).try_into().map_err(|_| config("argon_2_config"))?,
                        salt: Some(salt.as_salt()),
                        hash: Some(output),
                    }
                    .to_string()
                };
                Legacy::Argon2 { phc }
            }
            "scrypt" => {
                if hash.starts_with("$scrypt$") {
                    let parsed = scrypt::password_hash::PasswordHash::new(hash)
                        .map_err(|_| invalid("scrypt"))?;
                    let params =
                        scrypt::Params::try_from(&parsed).map_err(|_| invalid("scrypt"))?;
                    let salt = parsed.salt.ok_or_else(|| invalid("scrypt"))?;
                    let mut buf = [0u8; 64];
                    let salt = salt.decode_b64(&mut buf).map_err(|_| invalid("scrypt"))?;
                    let out = parsed.hash.ok_or_else(|| invalid("scrypt"))?;
                    Legacy::Scrypt {
                        salt: b64(salt),
                        log_n: params.log_n(),
                        r: params.r(),
                        p: params.p(),
                        hash: b64(out.as_bytes()),
                    }
                } else {
                    let c = r
                        .scrypt_config
                        .as_ref()
                        .ok_or_else(|| config("scrypt_config"))?;
                    let n = c.n_parameter;
                    if !(n > 1 && n <= 262_144 && n.is_power_of_two()) {
                        return Err(config("scrypt_config.n_parameter"));
                    }
                    let salt = base64_first(&c.salt).ok_or_else(|| config("scrypt_config.salt"))?;
                    let out = base64_first(hash).ok_or_else(|| invalid("scrypt"))?;
                    if out.len() != c.key_length as usize {
                        return Err(Error::with_message(
                            ErrorType::InvalidHashConfig,
                            "scrypt_config.key_length does not match the hash's length.",
                        ));
                    }
                    let log_n = n.trailing_zeros() as u8;
                    scrypt::Params::new(log_n, c.r_parameter, c.p_parameter, out.len())
                        .map_err(|_| config("scrypt_config"))?;
                    Legacy::Scrypt {
                        salt: b64(&salt),
                        log_n,
                        r: c.r_parameter,
                        p: c.p_parameter,
                        hash: b64(&out),
                    }
                }
            }
            "phpass" => {
                let ok = hash.len() == 34
                    && (hash.starts_with("$P$") || hash.starts_with("$H$"))
                    && hash.bytes().skip(3).all(|b| ITOA64.contains(&b))
                    && (7..=30).contains(&itoa(hash.as_bytes()[3]).unwrap_or(0));
                if !ok {
                    return Err(invalid("phpass"));
                }
                Legacy::Phpass { hash: hash.into() }
            }
            "pbkdf_2" => {
                let c = r
                    .pbkdf_2_config
                    .as_ref()
                    .ok_or_else(|| config("pbkdf_2_config"))?;
                let sha512 = match c.algorithm.as_deref().unwrap_or("sha256") {
                    "sha256" => false,
                    "sha512" => true,
                    _ => return Err(config("pbkdf_2_config.algorithm")),
                };
                if c.iteration_amount == 0 {
                    return Err(config("pbkdf_2_config.iteration_amount"));
                }
                let salt = base64_first(&c.salt).ok_or_else(|| config("pbkdf_2_config.salt"))?;
                let out = base64_first(hash).ok_or_else(|| invalid("pbkdf_2"))?;
                if out.len() != c.key_length as usize {
                    return Err(Error::with_message(
                        ErrorType::InvalidHashConfig,
                        "pbkdf_2_config.key_length does not match the hash's length.",
                    ));
                }
                Legacy::Pbkdf2 {
                    sha512,
                    salt: b64(&salt),
                    iterations: c.iteration_amount,
                    hash: b64(&out),
                }
            }
            _ => return Err(Error::new(ErrorType::InvalidHashType)),
        })
    }

    /// The stored form (after the prefix).
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads the stored form.
    pub fn from_stored(json: &str) -> Result<Legacy> {
        serde_json::from_str(json)
            .map_err(|_| Error::Internal(anyhow::anyhow!("a stored imported hash is unreadable")))
    }

    /// Whether `password` is the one this hash was made from (constant time in the password
    /// for a given hash).
    pub fn verify(&self, password: &str) -> bool {
        let eq = |a: &[u8], b: &[u8]| a.len() == b.len() && bool::from(a.ct_eq(b));
        match self {
            Legacy::Bcrypt { hash } => bcrypt::verify(password, hash).unwrap_or(false),
            Legacy::Salted {
                algorithm,
                digest,
                prepend,
                append,
            } => {
                let input = format!("{prepend}{password}{append}");
                let computed = match algorithm.as_str() {
                    "md_5" => md5::Md5::digest(input.as_bytes()).to_vec(),
                    "sha_1" => sha1::Sha1::digest(input.as_bytes()).to_vec(),
                    _ => sha2::Sha512::digest(input.as_bytes()).to_vec(),
                };
                eq(&computed, &unb64(digest))
            }
            Legacy::Argon2 { phc } => match argon2::PasswordHash::new(phc) {
                Ok(parsed) => argon2::password_hash::PasswordVerifier::verify_password(
                    &argon2::Argon2::default(),
                    password.as_bytes(),
                    &parsed,
                )
                .is_ok(),
                Err(_) => false,
            },
            Legacy::Scrypt {
                salt,
                log_n,
                r,
                p,
                hash,
            } => {
                let expected = unb64(hash);
                let Ok(params) = scrypt::Params::new(*log_n, *r, *p, expected.len()) else {
                    return false;
                };
                let mut out = vec![0u8; expected.len()];
                scrypt::scrypt(password.as_bytes(), &unb64(salt), &params, &mut out).is_ok()
                    && eq(&out, &expected)
            }
            Legacy::Phpass { hash } => {
                phpass(password, hash).is_some_and(|h| eq(h.as_bytes(), hash.as_bytes()))
            }
            Legacy::Pbkdf2 {
                sha512,
                salt,
                iterations,
                hash,
            } => {
                let expected = unb64(hash);
                let mut out = vec![0u8; expected.len()];
                let salt = unb64(salt);
                if *sha512 {
                    pbkdf2::pbkdf2_hmac::<sha2::Sha512>(
                        password.as_bytes(),
                        &salt,
                        *iterations,
                        &mut out,
                    );
                } else {
                    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
                        password.as_bytes(),
                        &salt,
                        *iterations,
                        &mut out,
                    );
                }
                eq(&out, &expected)
            }
        }
    }
}

/// phpass's alphabet.
const ITOA64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn itoa(b: u8) -> Option<u32> {
    ITOA64.iter().position(|&c| c == b).map(|i| i as u32)
}

/// phpass's portable hash of `password` with the setting (`$P$`, count, salt) of `setting`.
fn phpass(password: &str, setting: &str) -> Option<String> {
    let s = setting.as_bytes();
    if s.len() < 12 {
        return None;
    }
    let count = 1u64 << itoa(s[3])?;
    let salt = &s[4..12];
    let mut h = md5::Md5::new()
        .chain_update(salt)
        .chain_update(password)
        .finalize();
    for _ in 0..count {
        h = md5::Md5::new()
            .chain_update(h)
            .chain_update(password)
            .finalize();
    }
    // phpass's encode64 of the 16 bytes: little-endian groups of three, six bits at a time.
    let mut out = String::from_utf8(s[..12].to_vec()).ok()?;
    let mut i = 0;
    while i < 16 {
        let mut v = u32::from(h[i]);
        i += 1;
        out.push(ITOA64[(v & 0x3f) as usize] as char);
        if i < 16 {
            v |= u32::from(h[i]) << 8;
        }
        out.push(ITOA64[((v >> 6) & 0x3f) as usize] as char);
        if i >= 16 {
            break;
        }
        i += 1;
        if i < 16 {
            v |= u32::from(h[i]) << 16;
        }
        out.push(ITOA64[((v >> 12) & 0x3f) as usize] as char);
        if i >= 16 {
            break;
        }
        i += 1;
        out.push(ITOA64[((v >> 18) & 0x3f) as usize] as char);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phpass_matches_the_reference() {
        // From phpass's own test vectors (test.php): "test12345".
        let h = "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0";
        assert_eq!(phpass("test12345", h).as_deref(), Some(h));
        assert!(Legacy::Phpass { hash: h.into() }.verify("test12345"));
        assert!(!Legacy::Phpass { hash: h.into() }.verify("test12346"));
    }

    #[test]
    fn base64_salts_made_of_hex_digits_stay_base64() {
        // "deadbeefcafe" is valid hex and valid base64: a salt is read as base64, a digest as hex.
        assert_eq!(base64_first("deadbeefcafe").unwrap().len(), 9);
        assert_eq!(bytes("deadbeefcafe").unwrap().len(), 6);
    }

    #[test]
    fn unknown_types_and_bad_hashes_are_refused() {
        let req = |t: &str, h: &str| MigrateRequest {
            email: "a@b.co".into(),
            hash: h.into(),
            hash_type: t.into(),
            ..Default::default()
        };
        let kind = |r| Legacy::from_request(&r).unwrap_err().kind();
        assert_eq!(kind(req("md_4", "00")), ErrorType::InvalidHashType);
        assert_eq!(kind(req("bcrypt", "$2a$nope")), ErrorType::InvalidHash);
        assert_eq!(kind(req("md_5", "abcd")), ErrorType::InvalidHash);
        assert_eq!(kind(req("pbkdf_2", "abcd")), ErrorType::InvalidHashConfig);
        assert_eq!(kind(req("phpass", "$P$short")), ErrorType::InvalidHash);
        assert_eq!(
            kind(req(
                "argon_2id",
                "$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$iHSDPHzUhPzK7rCcJgOFfg"
            )),
            ErrorType::InvalidHash
        );
        // Found by the fuzz replay: lanes past argon2's maximum (its check overflowed).
        assert_eq!(
            kind(req(
                "argon_2id",
                "$argon2id$v=19$m=65536,t=3,p=4155550123$c2FsdHNhbHQ$iHSDPHzUhPzK7rCcJgOFfg"
            )),
            ErrorType::InvalidHash
        );
        let mut with_config = req("argon_2id", "00112233445566778899aabbccddeeff");
        with_config.argon_2_config = Some(
            serde_json::from_value(serde_json::json!({
                "salt": "saltsalt", "iteration_amount": 3, "memory": 65536,
                "threads": 4155550123u32, "key_length": 16
            }))
            .unwrap(),
        );
        assert_eq!(kind(with_config), ErrorType::InvalidHashConfig);
    }
}
