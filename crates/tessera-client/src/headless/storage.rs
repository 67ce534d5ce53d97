use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tessera_proto::sessions::Session;
use tessera_proto::users::User;

/// What a headless client keeps between runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Persisted {
    /// The opaque session token.
    pub session_token: Option<String>,
    /// The latest session JWT.
    pub session_jwt: Option<String>,
    /// The last known session.
    pub session: Option<Session>,
    /// The last known user.
    pub user: Option<User>,
    /// The PKCE verifier of a magic link sent and not yet used.
    pub pkce_verifier: Option<String>,
}

/// Where a headless client keeps its state. Errors are ignored by the client (the state stays
/// in memory), so implementations should be best-effort and quick.
pub trait Storage: Send + Sync {
    /// The stored state, if any.
    fn load(&self) -> std::io::Result<Persisted>;
    /// Replaces the stored state.
    fn save(&self, state: &Persisted) -> std::io::Result<()>;
    /// Forgets the stored state.
    fn clear(&self) -> std::io::Result<()>;
}

/// Keeps the state in memory only: a restart starts logged out.
#[derive(Debug, Default)]
pub struct MemoryStorage(Mutex<Persisted>);

impl Storage for MemoryStorage {
    fn load(&self) -> std::io::Result<Persisted> {
        Ok(self.0.lock().expect("storage poisoned").clone())
    }

    fn save(&self, state: &Persisted) -> std::io::Result<()> {
        *self.0.lock().expect("storage poisoned") = state.clone();
        Ok(())
    }

    fn clear(&self) -> std::io::Result<()> {
        *self.0.lock().expect("storage poisoned") = Persisted::default();
        Ok(())
    }
}

/// Keeps the state in a JSON file, readable by its owner only (mode 0600 on Unix; an existing
/// file with a wider mode is narrowed when read). Each save writes a new file next to it,
/// created exclusively under a random name (so it is never a file or symlink someone else
/// prepared), syncs it and renames it over the old one, so a crash leaves either the old state
/// or the new one, never half of either. A symlink at the path is never followed: reading
/// refuses it, and saving replaces the link itself.
#[derive(Debug, Clone)]
pub struct FileStorage {
    path: PathBuf,
}

impl FileStorage {
    /// State kept at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileStorage { path: path.into() }
    }
}

impl Storage for FileStorage {
    fn load(&self) -> std::io::Result<Persisted> {
        use std::io::Read;
        let mut file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Persisted::default()),
            Err(e) => return Err(e),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::{MetadataExt, PermissionsExt};
            // What was opened must be the path itself, not what a symlink there points to.
            let (opened, at_path) = (file.metadata()?, std::fs::symlink_metadata(&self.path)?);
            if at_path.file_type().is_symlink()
                || (opened.dev(), opened.ino()) != (at_path.dev(), at_path.ino())
            {
                return Err(std::io::Error::other(format!(
                    "{} is a symbolic link: refusing to read session state through it",
                    self.path.display()
                )));
            }
            if opened.permissions().mode() & 0o077 != 0 {
                file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            }
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(serde_json::from_slice(&bytes).unwrap_or_default())
    }

    fn save(&self, state: &Persisted) -> std::io::Result<()> {
        let json = serde_json::to_vec(state).map_err(std::io::Error::other)?;
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(format!(".{}.tmp", random_verifier()));
        let tmp = PathBuf::from(tmp);
        let mut options = std::fs::OpenOptions::new();
        // O_CREAT|O_EXCL: fails on anything already there, a symlink included.
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(&json)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, &self.path)
    }

    fn clear(&self) -> std::io::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// A PKCE verifier: 32 random bytes, base64url.
pub(crate) fn random_verifier() -> String {
    use base64::Engine;
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the OS random source works");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_storage_round_trips_atomically_with_owner_only_permissions() {
        let dir = std::env::temp_dir().join(format!("tessera-storage-{}", random_verifier()));
        std::fs::create_dir_all(&dir).unwrap();
        let s = FileStorage::new(dir.join("state.json"));
        assert_eq!(s.load().unwrap(), Persisted::default());
        let p = Persisted {
            session_token: Some("t".into()),
            session_jwt: Some("j".into()),
            ..Default::default()
        };
        s.save(&p).unwrap();
        assert_eq!(s.load().unwrap(), p);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("state.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        s.clear().unwrap();
        assert_eq!(s.load().unwrap(), Persisted::default());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn file_storage_follows_no_symlink_and_narrows_a_wide_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("tessera-storage-{}", random_verifier()));
        std::fs::create_dir_all(&dir).unwrap();
        let victim = dir.join("victim.txt");
        std::fs::write(&victim, b"keep me").unwrap();
        let path = dir.join("state.json");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        let s = FileStorage::new(&path);
        assert!(s.load().is_err(), "a symlink is not read through");
        let p = Persisted {
            session_token: Some("t".into()),
            ..Default::default()
        };
        s.save(&p).unwrap();
        assert_eq!(
            std::fs::read(&victim).unwrap(),
            b"keep me",
            "the link's target is untouched"
        );
        assert!(
            !std::fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(s.load().unwrap(), p);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(s.load().unwrap(), p);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "a wide mode is narrowed on read");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
