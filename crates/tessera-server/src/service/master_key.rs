//! The master key's life: found (or, beside a new SQLite database, created) at start-up,
//! checked against the database so that a wrong key stops the server, used to seal signing
//! keys stored in clear by earlier versions, and rotated by re-sealing every value at once.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

use crate::model::Timestamp;
use crate::sealing::{MasterKey, sealed_by};
use crate::store::keys::SealedValue;
use crate::store::{DatabaseUrl, Store};

const CHECK_CONTEXT: &str = "master_key_check";
const CHECK_PLAINTEXT: &[u8] = b"tessera master key check v1";

/// The context a project's signing key is sealed for.
pub fn key_context(project_id: &str, kid: &str) -> String {
    format!("signing_key\0{project_id}\0{kid}")
}

/// The context a TOTP registration's seed is sealed for.
pub fn totp_secret_context(project_id: &str, totp_id: &str) -> String {
    format!("totp-secret|{project_id}|{totp_id}")
}

/// The context a TOTP registration's recovery codes are sealed for.
pub fn totp_codes_context(project_id: &str, totp_id: &str) -> String {
    format!("totp-recovery-codes|{project_id}|{totp_id}")
}

/// The context a sealed OAuth value is sealed for: `what` is `client-secret` (keyed by the
/// provider), `flow` (by the state's digest) or `grant` (by the token's digest).
pub fn oauth_context(what: &str, project_id: &str, key: &str) -> String {
    format!("oauth-{what}|{project_id}|{key}")
}

/// The context an administrator's TOTP seed is sealed for.
pub fn admin_totp_context(admin_id: &str) -> String {
    format!("admin-totp|{admin_id}")
}

/// The context a webhook endpoint's signing secret is sealed for.
pub fn webhook_secret_context(project_id: &str, endpoint_id: &str) -> String {
    format!("webhook-secret|{project_id}|{endpoint_id}")
}

/// The context a session's token is sealed for.
pub fn token_context(project_id: &str, session_id: &str) -> String {
    format!("session_token\0{project_id}\0{session_id}")
}

/// Where the master key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterKeySource {
    /// A key file named by `--master-key-file`: it must exist.
    File(PathBuf),
    /// The default file beside an SQLite database: created with a new database.
    Beside(PathBuf),
    /// None named where one is required (PostgreSQL).
    Missing,
}

impl MasterKeySource {
    /// With no file named: `master.key` beside an SQLite database; none for PostgreSQL.
    pub fn default_for(db: &DatabaseUrl) -> Self {
        match db {
            DatabaseUrl::Sqlite(path) => MasterKeySource::Beside(
                path.parent()
                    .unwrap_or_else(|| Path::new("."))
                    .join("master.key"),
            ),
            DatabaseUrl::Postgres(_) => MasterKeySource::Missing,
        }
    }

    /// The file, if there is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            MasterKeySource::File(p) | MasterKeySource::Beside(p) => Some(p),
            MasterKeySource::Missing => None,
        }
    }
}

/// The key that opens this database, or a start-up error that says why not. A database that
/// has never had a key gets the given (or a new default) one; one that has refuses any other.
/// Signing keys stored in clear by an earlier version are sealed on the way.
pub async fn unlock(store: &Store, source: &MasterKeySource) -> anyhow::Result<Arc<MasterKey>> {
    let check = store.master_key_check().await?;
    let key = match source {
        MasterKeySource::Missing => anyhow::bail!(
            "PostgreSQL needs a master key: --master-key-file PATH (TESSERA_MASTER_KEY_FILE, \
             master_key_file), a file of 32 random bytes readable only by the server, e.g. \
             `head -c 32 /dev/urandom > master.key && chmod 600 master.key`"
        ),
        MasterKeySource::File(p) => MasterKey::load(p)?,
        MasterKeySource::Beside(p) if check.is_none() && !p.exists() => {
            let key = MasterKey::create(p)?;
            tracing::info!(file = %p.display(), key = %key.id(), "created the master key");
            key
        }
        MasterKeySource::Beside(p) => MasterKey::load(p).with_context(
            || "this database is sealed under a master key: give its file with --master-key-file",
        )?,
    };
    let path = source.path().map(Path::display);
    let check = match check {
        Some(c) => c,
        None => {
            let sealed = key.seal(CHECK_CONTEXT, CHECK_PLAINTEXT);
            store
                .init_master_key_check(&sealed, Timestamp::now())
                .await?;
            // Another instance may have set it first, with another key: read it back.
            store
                .master_key_check()
                .await?
                .context("the master key check was not stored")?
        }
    };
    if key.open(CHECK_CONTEXT, &check).is_err() {
        let sealed_under = sealed_by(&check).unwrap_or_else(|| "?".into());
        anyhow::bail!(
            "the master key {} (from {}) does not open this database, which is sealed under \
             master key {sealed_under}: start with the key file it was created with",
            key.id(),
            path.map_or_else(|| "?".to_owned(), |p| p.to_string()),
        );
    }
    seal_keys_in_clear(store, &key).await?;
    Ok(Arc::new(key))
}

/// Seals the signing keys an earlier version stored in clear (PKCS#8 DER).
async fn seal_keys_in_clear(store: &Store, key: &MasterKey) -> anyhow::Result<()> {
    let mut sealed = 0;
    for (project_id, kid, stored) in store.signing_key_secrets().await? {
        if sealed_by(&stored).is_none() {
            let new = key.seal(&key_context(&project_id, &kid), &stored);
            sealed += store
                .replace_signing_key_secret(&project_id, &kid, &stored, &new)
                .await? as u32;
        }
    }
    if sealed > 0 {
        tracing::info!(keys = sealed, "sealed signing keys stored in clear");
    }
    Ok(())
}

/// Re-seals every sealed value of the database under `new`, in one transaction; `old` must be
/// the database's key. How many values were re-sealed.
pub async fn rotate(store: &Store, old: &MasterKey, new: &MasterKey) -> anyhow::Result<u64> {
    let check = store
        .master_key_check()
        .await?
        .context("this database has no master key yet: start the server once first")?;
    anyhow::ensure!(
        old.open(CHECK_CONTEXT, &check).is_ok(),
        "the current master key {} does not open this database",
        old.id()
    );
    store
        .reseal(|what, stored| {
            let context = match what {
                SealedValue::SigningKey { project_id, kid } => key_context(project_id, kid),
                SealedValue::SessionToken {
                    project_id,
                    session_id,
                } => token_context(project_id, session_id),
                SealedValue::TotpSecret {
                    project_id,
                    totp_id,
                } => totp_secret_context(project_id, totp_id),
                SealedValue::WebhookSecret {
                    project_id,
                    endpoint_id,
                } => webhook_secret_context(project_id, endpoint_id),
                SealedValue::TotpRecoveryCodes {
                    project_id,
                    totp_id,
                } => totp_codes_context(project_id, totp_id),
                SealedValue::Oauth {
                    what,
                    project_id,
                    key,
                } => oauth_context(what, project_id, key),
                SealedValue::AdminTotp { admin_id } => admin_totp_context(admin_id),
                SealedValue::Check => CHECK_CONTEXT.to_owned(),
            };
            let plain = match sealed_by(stored) {
                None => stored.to_vec(),
                Some(id) if id == new.id() => new.open(&context, stored)?,
                Some(_) => old.open(&context, stored)?,
            };
            Ok::<_, anyhow::Error>(new.seal(&context, &plain))
        })
        .await
        .inspect(|_| {
            crate::service::security_log::credential_changed("", "master_key_rotated", &new.id())
        })
}
