//! Secrets at rest: AES-256-GCM (ring) under a master key that lives outside the database, so a
//! copied database file or backup yields no signing key and no session token.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use rand::RngCore;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use sha2::{Digest, Sha256};

/// The first bytes of every sealed value (format 1: magic, key id, nonce, ciphertext and tag).
const MAGIC: &[u8; 4] = b"tsk1";
/// Length of a master key.
pub const KEY_LEN: usize = 32;
const ID_LEN: usize = 4;
const HEADER: usize = MAGIC.len() + ID_LEN + NONCE_LEN;

/// The master key: 32 random bytes, read from a file that only its owner may read.
pub struct MasterKey {
    key: LessSafeKey,
    id: [u8; ID_LEN],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.id())
    }
}

/// A sealed value that this key cannot open.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Not a sealed value at all (a plaintext row from before sealing, say).
    #[error("not a sealed value")]
    NotSealed,
    /// Sealed under another master key (its id).
    #[error("sealed under master key {0}")]
    OtherKey(String),
    /// Sealed under this key's id but altered, or for another context.
    #[error("sealed value fails authentication")]
    Tampered,
}

impl MasterKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<Self> {
        anyhow::ensure!(
            bytes.len() == KEY_LEN,
            "a master key is {KEY_LEN} bytes, not {}",
            bytes.len()
        );
        let digest = Sha256::new()
            .chain_update(b"tessera master key id\0")
            .chain_update(bytes)
            .finalize();
        let mut id = [0u8; ID_LEN];
        id.copy_from_slice(&digest[..ID_LEN]);
        let key = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| anyhow::anyhow!("AES-256-GCM refused the key"))?;
        Ok(MasterKey {
            key: LessSafeKey::new(key),
            id,
        })
    }

    /// A fresh random key (not saved anywhere).
    pub fn generate() -> (Self, [u8; KEY_LEN]) {
        let mut bytes = [0u8; KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let key = Self::from_bytes(&bytes).expect("32 bytes make a key");
        (key, bytes)
    }

    /// Reads a key file: 32 raw bytes, or 64 hex digits (a trailing newline allowed). A file
    /// that others than its owner may read is refused.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let bytes = read_private(path)?;
        let text = std::str::from_utf8(&bytes).map(str::trim);
        let raw = match text {
            Ok(t) if t.len() == 2 * KEY_LEN && t.bytes().all(|b| b.is_ascii_hexdigit()) => (0
                ..KEY_LEN)
                .map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()?,
            _ => bytes,
        };
        Self::from_bytes(&raw).with_context(|| format!("master key file {}", path.display()))
    }

    /// Creates a key file (mode 0600, never over an existing file) holding a fresh key.
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        let (key, bytes) = Self::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(path)
            .with_context(|| format!("creating master key file {}", path.display()))?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        Ok(key)
    }

    /// A short public name of the key (not secret: a digest prefix), for messages.
    pub fn id(&self) -> String {
        self.id.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Seals `plaintext` for `context` (a value sealed for one context does not open in
    /// another: a sealed token copied onto another session row is useless).
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut out = Vec::with_capacity(HEADER + plaintext.len() + AES_256_GCM.tag_len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let mut body = out.split_off(HEADER);
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut body,
            )
            .expect("AES-GCM seals any length a row holds");
        out.extend_from_slice(&body);
        out
    }

    /// Opens a value [`MasterKey::seal`] made for `context`.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        let id = sealed_by(sealed).ok_or(SealError::NotSealed)?;
        if id != self.id() {
            return Err(SealError::OtherKey(id));
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&sealed[MAGIC.len() + ID_LEN..HEADER]);
        let mut body = sealed[HEADER..].to_vec();
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut body,
            )
            .map_err(|_| SealError::Tampered)?;
        Ok(plain.to_vec())
    }
}

/// The id of the key that sealed `value`; `None` when it is not a sealed value.
pub fn sealed_by(value: &[u8]) -> Option<String> {
    if value.len() < HEADER + AES_256_GCM.tag_len() || !value.starts_with(MAGIC) {
        return None;
    }
    Some(
        value[MAGIC.len()..MAGIC.len() + ID_LEN]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

/// Reads a secret file, refusing one that its group or others may read.
fn read_private(path: &Path) -> anyhow::Result<Vec<u8>> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("reading master key file {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata()?.permissions().mode();
        anyhow::ensure!(
            mode & 0o077 == 0,
            "master key file {} is readable by others (mode {:o}): chmod 600 it",
            path.display(),
            mode & 0o777
        );
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut &file, &mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_open_only_with_their_key_and_context() {
        let (k, _) = MasterKey::generate();
        let sealed = k.seal("session/a", b"token");
        assert_eq!(k.open("session/a", &sealed).unwrap(), b"token");
        assert!(matches!(
            k.open("session/b", &sealed),
            Err(SealError::Tampered)
        ));
        let (other, _) = MasterKey::generate();
        assert!(matches!(
            other.open("session/a", &sealed),
            Err(SealError::OtherKey(id)) if id == k.id()
        ));
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(matches!(
            k.open("session/a", &flipped),
            Err(SealError::Tampered)
        ));
        assert!(matches!(
            k.open("session/a", b"0\x82plain-der"),
            Err(SealError::NotSealed)
        ));
        assert_ne!(k.seal("x", b"same"), k.seal("x", b"same"), "fresh nonces");
    }

    #[test]
    fn key_files_are_private_and_read_raw_or_hex() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let k = MasterKey::create(&path).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(MasterKey::load(&path).unwrap().id(), k.id());
        assert!(MasterKey::create(&path).is_err(), "never overwrites");

        let hex = dir.path().join("hex.key");
        std::fs::write(&hex, format!("{}\n", "ab".repeat(32))).unwrap();
        std::fs::set_permissions(&hex, std::fs::Permissions::from_mode(0o600)).unwrap();
        let from_hex = MasterKey::load(&hex).unwrap();
        assert_eq!(
            from_hex.id(),
            MasterKey::from_bytes(&[0xab; 32]).unwrap().id()
        );

        std::fs::set_permissions(&hex, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = MasterKey::load(&hex).unwrap_err().to_string();
        assert!(err.contains("readable by others"), "{err}");
        let short = dir.path().join("short.key");
        std::fs::write(&short, b"short").unwrap();
        std::fs::set_permissions(&short, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(MasterKey::load(&short).is_err());
    }
}
