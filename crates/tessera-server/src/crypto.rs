use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A SHA-256 digest of a high-entropy secret or token. Only digests are ever stored.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Digest256(pub [u8; 32]);

impl std::fmt::Debug for Digest256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Digest256(..)")
    }
}

impl Digest256 {
    /// Hashes `secret`. Secrets and tokens are generated with ≥ 256 bits of entropy, so a plain
    /// SHA-256 is preimage-safe and costs well under a microsecond (no password hash per request).
    pub fn of(secret: &str) -> Self {
        Digest256(Sha256::digest(secret.as_bytes()).into())
    }

    /// Constant-time comparison.
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        other.len() == 32 && bool::from(self.0.ct_eq(other))
    }
}

/// `n` random bytes from the OS CSPRNG, base64url without padding.
pub fn random_b64_nopad(n: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(n))
}

/// `n` random bytes from the OS CSPRNG, base64url with padding.
pub fn random_b64_padded(n: usize) -> String {
    URL_SAFE.encode(random_bytes(n))
}

/// `n` random bytes from the OS CSPRNG.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_compare_in_constant_time_and_only_when_equal() {
        let d = Digest256::of("secret-test-abc");
        assert!(d.ct_eq(&Digest256::of("secret-test-abc").0));
        assert!(!d.ct_eq(&Digest256::of("secret-test-abd").0));
        assert!(!d.ct_eq(&[0u8; 31]));
    }

    #[test]
    fn random_tokens_have_the_documented_lengths() {
        assert_eq!(random_b64_nopad(33).len(), 44);
        let padded = random_b64_padded(32);
        assert_eq!(padded.len(), 44);
        assert!(padded.ends_with('='));
        assert_ne!(random_b64_nopad(33), random_b64_nopad(33));
    }
}
