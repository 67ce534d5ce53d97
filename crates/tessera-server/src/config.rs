use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::delivery::DeliveryConfig;
use crate::store::DatabaseUrl;

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// Certificate and key (PEM) for serving HTTPS directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsPaths {
    /// Certificate chain, PEM.
    pub cert: PathBuf,
    /// Private key, PEM.
    pub key: PathBuf,
}

/// The settings of an optional `--config tessera.toml`. Every key is optional; command-line flags
/// and `TESSERA_*` environment variables take precedence over the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// See `--listen`.
    pub listen: Option<SocketAddr>,
    /// See `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// See `--database-url`.
    pub database_url: Option<String>,
    /// See `--tls-cert`.
    pub tls_cert: Option<PathBuf>,
    /// See `--tls-key`.
    pub tls_key: Option<PathBuf>,
    /// See `--log-format`.
    pub log_format: Option<LogFormat>,
    /// See `--smtp-url`.
    pub smtp_url: Option<String>,
    /// See `--email-from`.
    pub email_from: Option<String>,
    /// See `--sms-webhook-url`.
    pub sms_webhook_url: Option<String>,
    /// See `--trusted-proxy`.
    pub trusted_proxies: Option<Vec<std::net::IpAddr>>,
    /// See `--purge-interval-seconds`.
    pub purge_interval_seconds: Option<u64>,
    /// See `--sqlite-shared`.
    pub sqlite_shared: Option<bool>,
}

impl FileConfig {
    /// Reads a TOML file; a missing `path` gives the empty config.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing config file {}", path.display()))
    }
}

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4000";
/// The default data directory.
pub const DEFAULT_DATA_DIR: &str = "./tessera-data";

/// Everything a running server needs, resolved from flags, environment, file and defaults.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (`:0` picks a free port).
    pub listen: SocketAddr,
    /// The database.
    pub database: DatabaseUrl,
    /// HTTPS, when set.
    pub tls: Option<TlsPaths>,
    /// Log format.
    pub log_format: LogFormat,
    /// Email and text delivery.
    pub delivery: DeliveryConfig,
    /// Peers whose `X-Forwarded-For` header is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How often expired sessions, links and codes are deleted.
    pub purge_interval: std::time::Duration,
    /// How long an instance trusts its cached signing keys (a rotation elsewhere reaches it
    /// within this time).
    pub key_cache_ttl: std::time::Duration,
    /// Limits on links and codes the frontend API sends.
    pub send_limits: crate::service::limits::SendLimits,
    /// Whether other processes may open an embedded SQLite database meanwhile.
    pub sqlite_sharing: crate::store::SqliteSharing,
}

/// The default purge interval.
pub const DEFAULT_PURGE_INTERVAL_SECONDS: u64 = 60;

impl Config {
    /// A configuration for tests: a free loopback port, the given database, and no key caching
    /// (so a rotation is visible at once).
    pub fn for_tests(database: DatabaseUrl) -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database,
            tls: None,
            log_format: LogFormat::Human,
            delivery: DeliveryConfig::default(),
            trusted_proxies: Vec::new(),
            purge_interval: std::time::Duration::from_secs(DEFAULT_PURGE_INTERVAL_SECONDS),
            key_cache_ttl: std::time::Duration::ZERO,
            send_limits: Default::default(),
            sqlite_sharing: Default::default(),
        }
    }
}

/// Resolves the database: a flag (or environment variable) beats the file, whichever of
/// `database_url` and `data_dir` it sets; within one layer `database_url` beats `data_dir`;
/// then the default data directory.
pub fn resolve_database(
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    file: &FileConfig,
) -> anyhow::Result<DatabaseUrl> {
    let in_dir = |dir: PathBuf| DatabaseUrl::Sqlite(dir.join("tessera.db"));
    if let Some(url) = database_url {
        return DatabaseUrl::parse(&url);
    }
    if let Some(dir) = data_dir {
        return Ok(in_dir(dir));
    }
    if let Some(url) = &file.database_url {
        return DatabaseUrl::parse(url);
    }
    Ok(in_dir(
        file.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
    ))
}

/// Pairs the TLS paths; one without the other is an error.
pub fn resolve_tls(
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
) -> anyhow::Result<Option<TlsPaths>> {
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some(TlsPaths { cert, key })),
        (None, None) => Ok(None),
        _ => anyhow::bail!("--tls-cert and --tls-key must be given together"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_config_rejects_unknown_keys() {
        assert!(toml::from_str::<FileConfig>("listen = \"0.0.0.0:80\"").is_ok());
        assert!(toml::from_str::<FileConfig>("lisen = \"0.0.0.0:80\"").is_err());
    }

    #[test]
    fn database_precedence_is_flags_then_file_then_default() {
        let file = FileConfig {
            database_url: Some("postgres://f/db".into()),
            ..Default::default()
        };
        assert_eq!(
            resolve_database(Some("sqlite://x.db".into()), None, &file).unwrap(),
            DatabaseUrl::Sqlite("x.db".into())
        );
        assert!(matches!(
            resolve_database(None, None, &file).unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert_eq!(
            resolve_database(None, Some("d".into()), &FileConfig::default()).unwrap(),
            DatabaseUrl::Sqlite("d/tessera.db".into())
        );
        // A --data-dir flag beats the file's database_url (flags win over the file).
        assert_eq!(
            resolve_database(None, Some("d".into()), &file).unwrap(),
            DatabaseUrl::Sqlite("d/tessera.db".into())
        );
        let dir_file = FileConfig {
            data_dir: Some("fd".into()),
            ..Default::default()
        };
        assert_eq!(
            resolve_database(None, None, &dir_file).unwrap(),
            DatabaseUrl::Sqlite("fd/tessera.db".into())
        );
        assert_eq!(
            resolve_database(None, None, &FileConfig::default()).unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from(DEFAULT_DATA_DIR).join("tessera.db"))
        );
    }

    #[test]
    fn tls_needs_both_files() {
        assert!(resolve_tls(Some("c".into()), None).is_err());
        assert!(resolve_tls(None, None).unwrap().is_none());
    }
}
