use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::delivery::DeliveryConfig;
use crate::service::master_key::MasterKeySource;
use crate::store::DatabaseUrl;

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
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

/// Every setting, as one layer (flags, `TESSERA_*` environment, the `--config` TOML file) gives
/// it: all optional, so a layer names only what it sets. [`Layers`] merges them.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// See `--listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// See `--data-dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// See `--database-url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// See `--tls-cert`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// See `--tls-key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    /// See `--log-format`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    /// See `--smtp-url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_url: Option<String>,
    /// See `--email-from`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_from: Option<String>,
    /// See `--sms-webhook-url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_webhook_url: Option<String>,
    /// See `--sms-webhook-secret`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_webhook_secret: Option<String>,
    /// See `--trusted-proxy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_proxies: Option<Vec<std::net::IpAddr>>,
    /// See `--purge-interval-seconds`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purge_interval_seconds: Option<u64>,
    /// See `--database-timeout-seconds`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_timeout_seconds: Option<u64>,
    /// See `--database-wait-seconds`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_wait_seconds: Option<u64>,
    /// See `--master-key-file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_key_file: Option<PathBuf>,
    /// See `--pwned-passwords-url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pwned_passwords_url: Option<String>,
    /// See `--public-url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// See `--event-retention-days`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_retention_days: Option<i64>,
    /// See `--metrics-listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_listen: Option<SocketAddr>,
    /// See `--metrics-token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_token: Option<String>,
    /// See `--webhook-retry-base-ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_retry_base_ms: Option<u64>,
    /// See `--sqlite-shared`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient_bool"
    )]
    pub sqlite_shared: Option<bool>,
    /// See `--admin`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient_bool"
    )]
    pub admin: Option<bool>,
}

/// `true`/`false`, or `1`/`0` as environment variables often say it.
fn lenient_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Int(i64),
        Text(String),
    }
    Ok(match Option::<Flag>::deserialize(d)? {
        None => None,
        Some(Flag::Bool(b)) => Some(b),
        Some(Flag::Int(i)) => Some(i != 0),
        Some(Flag::Text(t)) => match t.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Some(true),
            "false" | "0" | "no" | "off" | "" => Some(false),
            _ => return Err(serde::de::Error::custom(format!("not a boolean: {t:?}"))),
        },
    })
}

/// The environment variables that are settings: `TESSERA_` and the key in upper case.
const ENV_KEYS: [&str; 22] = [
    "listen",
    "data_dir",
    "database_url",
    "tls_cert",
    "tls_key",
    "log_format",
    "smtp_url",
    "email_from",
    "sms_webhook_url",
    "sms_webhook_secret",
    "purge_interval_seconds",
    "database_timeout_seconds",
    "database_wait_seconds",
    "sqlite_shared",
    "master_key_file",
    "pwned_passwords_url",
    "public_url",
    "event_retention_days",
    "metrics_listen",
    "metrics_token",
    "webhook_retry_base_ms",
    "admin",
];

/// The three layers of settings, highest first: command-line flags, `TESSERA_*` environment
/// variables, the `--config` TOML file; each key is taken from the highest layer that sets it,
/// else its default. The database is one choice: the highest layer that sets `database_url` or
/// `data_dir` decides (within a layer the URL wins).
#[derive(Debug, Default, Clone)]
pub struct Layers {
    /// From flags.
    pub flags: Settings,
    /// From the environment.
    pub env: Settings,
    /// From the file.
    pub file: Settings,
}

impl Layers {
    /// Reads the environment and the file (if any) beside the given flags.
    pub fn load(flags: Settings, file: Option<&Path>) -> anyhow::Result<Self> {
        // An empty variable is as good as unset (`TESSERA_DATA_DIR=` does not mean `.`).
        let set: Vec<&str> = ENV_KEYS
            .into_iter()
            .filter(|k| {
                std::env::var(format!("TESSERA_{}", k.to_uppercase()))
                    .is_ok_and(|v| !v.trim().is_empty())
            })
            .collect();
        let env = Figment::from(Env::prefixed("TESSERA_").only(&set));
        let mut env: Settings = env.extract().context("reading TESSERA_* settings")?;
        if let Ok(list) = std::env::var("TESSERA_TRUSTED_PROXIES")
            && !list.trim().is_empty()
        {
            env.trusted_proxies = Some(
                list.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        p.parse()
                            .with_context(|| format!("TESSERA_TRUSTED_PROXIES: {p:?}"))
                    })
                    .collect::<anyhow::Result<_>>()?,
            );
        }
        let file = match file {
            None => Settings::default(),
            Some(path) => {
                anyhow::ensure!(path.is_file(), "config file {} not found", path.display());
                Figment::from(Toml::file_exact(path))
                    .extract()
                    .with_context(|| format!("parsing config file {}", path.display()))?
            }
        };
        Ok(Layers { flags, env, file })
    }

    /// Every key from the highest layer that sets it.
    pub fn merged(&self) -> anyhow::Result<Settings> {
        Ok(Figment::new()
            .merge(Serialized::defaults(&self.file))
            .merge(Serialized::defaults(&self.env))
            .merge(Serialized::defaults(&self.flags))
            .extract()?)
    }

    /// The database: see [`Layers`].
    pub fn database(&self) -> anyhow::Result<DatabaseUrl> {
        for layer in [&self.flags, &self.env, &self.file] {
            if let Some(url) = &layer.database_url {
                return DatabaseUrl::parse(url);
            }
            if let Some(dir) = &layer.data_dir {
                return Ok(DatabaseUrl::Sqlite(dir.join("tessera.db")));
            }
        }
        Ok(DatabaseUrl::Sqlite(
            PathBuf::from(DEFAULT_DATA_DIR).join("tessera.db"),
        ))
    }

    /// Where the master key comes from: the named file, else `master.key` beside an SQLite
    /// database; PostgreSQL has no default.
    pub fn master_key(&self) -> anyhow::Result<MasterKeySource> {
        Ok(match (self.merged()?.master_key_file, self.database()?) {
            (Some(p), _) => MasterKeySource::File(p),
            (None, db) => MasterKeySource::default_for(&db),
        })
    }

    /// What `tessera serve` runs with: the merged settings over the defaults.
    pub fn config(&self) -> anyhow::Result<Config> {
        let s = self.merged()?;
        Ok(Config {
            master_key: self.master_key()?,
            listen: match s.listen {
                Some(l) => l,
                None => DEFAULT_LISTEN.parse()?,
            },
            database: self.database()?,
            tls: resolve_tls(s.tls_cert, s.tls_key)?,
            log_format: s.log_format.unwrap_or_default(),
            delivery: DeliveryConfig {
                smtp_url: s.smtp_url,
                email_from: s.email_from,
                sms_webhook_url: s.sms_webhook_url,
                sms_webhook_secret: s.sms_webhook_secret,
            },
            trusted_proxies: s.trusted_proxies.unwrap_or_default(),
            purge_interval: std::time::Duration::from_secs(
                s.purge_interval_seconds
                    .unwrap_or(DEFAULT_PURGE_INTERVAL_SECONDS)
                    .max(1),
            ),
            key_cache_ttl: crate::service::keys::DEFAULT_CACHE_TTL,
            database_timeout: std::time::Duration::from_secs(
                s.database_timeout_seconds
                    .unwrap_or(DEFAULT_DATABASE_TIMEOUT_SECONDS)
                    .max(1),
            ),
            database_wait: std::time::Duration::from_secs(
                s.database_wait_seconds
                    .unwrap_or(DEFAULT_DATABASE_WAIT_SECONDS),
            ),
            pwned_passwords_url: s.pwned_passwords_url,
            public_url: s.public_url.map(|u| u.trim_end_matches('/').to_owned()),
            event_retention_days: in_range(
                "event_retention_days",
                s.event_retention_days
                    .unwrap_or(DEFAULT_EVENT_RETENTION_DAYS),
                MIN_EVENT_RETENTION_DAYS..=MAX_EVENT_RETENTION_DAYS,
            )?,
            metrics: Metrics {
                listen: s.metrics_listen,
                token: s.metrics_token.filter(|t| !t.is_empty()),
            },
            webhook_retry_base: std::time::Duration::from_millis(in_range(
                "webhook_retry_base_ms",
                s.webhook_retry_base_ms
                    .unwrap_or(DEFAULT_WEBHOOK_RETRY_BASE_MS),
                1..=3_600_000,
            )?),
            admin: s.admin == Some(true),
            sqlite_sharing: if s.sqlite_shared == Some(true) {
                crate::store::SqliteSharing::Shared
            } else {
                crate::store::SqliteSharing::Exclusive
            },
        })
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
    /// Whether other processes may open an embedded SQLite database meanwhile.
    pub sqlite_sharing: crate::store::SqliteSharing,
    /// The longest a request waits for a database connection before it answers 503.
    pub database_timeout: std::time::Duration,
    /// How long start-up keeps trying to reach the database before it gives up.
    pub database_wait: std::time::Duration,
    /// Where the master key comes from.
    pub master_key: MasterKeySource,
    /// Base URL of a Pwned Passwords range API (`<url>/range/<5 hex>`); none: no breach check.
    pub pwned_passwords_url: Option<String>,
    /// The URL browsers reach this server at (OAuth providers redirect to
    /// `<public_url>/v1/public/oauth/callback`); none: taken from each request's `Host`.
    pub public_url: Option<String>,
    /// How long events are kept, for a project that sets no retention of its own.
    pub event_retention_days: i64,
    /// Where `/metrics` is served, if anywhere.
    pub metrics: Metrics,
    /// Serve the admin console at `/admin`.
    pub admin: bool,
    /// The first retry delay of a webhook delivery (doubling after each failure).
    pub webhook_retry_base: std::time::Duration,
}

/// Where Prometheus metrics are served: off unless one of these is set.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// A listener of its own (`/metrics` there, without a token).
    pub listen: Option<SocketAddr>,
    /// A bearer token that opens `/metrics` on the main listener.
    pub token: Option<String>,
}

impl Metrics {
    /// Whether metrics are recorded at all.
    pub fn enabled(&self) -> bool {
        self.listen.is_some() || self.token.is_some()
    }
}

/// The default of `--event-retention-days`.
pub const DEFAULT_EVENT_RETENTION_DAYS: i64 = 30;
/// The shortest event retention: webhooks retry an event for a day, and need it meanwhile.
pub const MIN_EVENT_RETENTION_DAYS: i64 = 2;
/// The longest event retention (ten years).
pub const MAX_EVENT_RETENTION_DAYS: i64 = 3660;

/// `value` of setting `name`, refused outside `range`.
fn in_range<T: PartialOrd + std::fmt::Display + Copy>(
    name: &str,
    value: T,
    range: std::ops::RangeInclusive<T>,
) -> anyhow::Result<T> {
    anyhow::ensure!(
        range.contains(&value),
        "{name} must be between {} and {} (got {value})",
        range.start(),
        range.end()
    );
    Ok(value)
}
/// The default of `--webhook-retry-base-ms`: 5 s, doubling to an hour at most, for a day.
pub const DEFAULT_WEBHOOK_RETRY_BASE_MS: u64 = 5_000;

/// The default purge interval.
pub const DEFAULT_PURGE_INTERVAL_SECONDS: u64 = 60;
/// The default of `--database-timeout-seconds`.
pub const DEFAULT_DATABASE_TIMEOUT_SECONDS: u64 = 2;
/// The default of `--database-wait-seconds`.
pub const DEFAULT_DATABASE_WAIT_SECONDS: u64 = 60;

impl Config {
    /// A configuration for tests: a free loopback port, the given database, and no key caching
    /// (so a rotation is visible at once).
    pub fn for_tests(database: DatabaseUrl) -> Self {
        Config {
            master_key: MasterKeySource::default_for(&database),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database,
            tls: None,
            log_format: LogFormat::Human,
            delivery: DeliveryConfig::default(),
            trusted_proxies: Vec::new(),
            purge_interval: std::time::Duration::from_secs(DEFAULT_PURGE_INTERVAL_SECONDS),
            key_cache_ttl: std::time::Duration::ZERO,
            sqlite_sharing: Default::default(),
            database_timeout: std::time::Duration::from_secs(DEFAULT_DATABASE_TIMEOUT_SECONDS),
            database_wait: std::time::Duration::ZERO,
            pwned_passwords_url: None,
            public_url: None,
            event_retention_days: DEFAULT_EVENT_RETENTION_DAYS,
            metrics: Metrics::default(),
            admin: false,
            webhook_retry_base: std::time::Duration::from_millis(DEFAULT_WEBHOOK_RETRY_BASE_MS),
        }
    }
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
// figment's `Jail` fixes the closures' error type (`figment::Error`, a large one).
#[allow(clippy::result_large_err)]
mod tests;
