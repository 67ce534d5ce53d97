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
    /// See `--sqlite-shared`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient_bool"
    )]
    pub sqlite_shared: Option<bool>,
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
const ENV_KEYS: [&str; 17] = [
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
}

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
mod tests {
    use figment::Jail;

    use super::*;

    /// One key: how each layer sets it, and what the resolved configuration then says.
    struct Key {
        env: (&'static str, &'static str),
        file: &'static str,
        flag: fn(&mut Settings),
        /// The value of the key in a resolved configuration, as text.
        read: fn(&Config) -> String,
        /// What `read` gives for the default, the file, the environment and the flag.
        expect: [&'static str; 4],
    }

    fn keys() -> Vec<Key> {
        vec![
            Key {
                env: ("TESSERA_LISTEN", "127.0.0.1:2"),
                file: "listen = \"127.0.0.1:1\"",
                flag: |s| s.listen = Some("127.0.0.1:3".parse().unwrap()),
                read: |c| c.listen.to_string(),
                expect: [
                    "127.0.0.1:4000",
                    "127.0.0.1:1",
                    "127.0.0.1:2",
                    "127.0.0.1:3",
                ],
            },
            Key {
                env: ("TESSERA_DATA_DIR", "env-dir"),
                file: "data_dir = \"file-dir\"",
                flag: |s| s.data_dir = Some("flag-dir".into()),
                read: |c| c.database.redacted(),
                expect: [
                    "sqlite://./tessera-data/tessera.db",
                    "sqlite://file-dir/tessera.db",
                    "sqlite://env-dir/tessera.db",
                    "sqlite://flag-dir/tessera.db",
                ],
            },
            Key {
                env: ("TESSERA_DATABASE_URL", "sqlite://env.db"),
                file: "database_url = \"sqlite://file.db\"",
                flag: |s| s.database_url = Some("sqlite://flag.db".into()),
                read: |c| c.database.redacted(),
                expect: [
                    "sqlite://./tessera-data/tessera.db",
                    "sqlite://file.db",
                    "sqlite://env.db",
                    "sqlite://flag.db",
                ],
            },
            Key {
                env: ("TESSERA_TLS_CERT", "e.pem"),
                file: "tls_cert = \"f.pem\"\ntls_key = \"k.pem\"",
                flag: |s| s.tls_cert = Some("c.pem".into()),
                read: |c| format!("{:?}", c.tls.as_ref().map(|t| &t.cert)),
                expect: [
                    "None",
                    "Some(\"f.pem\")",
                    "Some(\"e.pem\")",
                    "Some(\"c.pem\")",
                ],
            },
            Key {
                env: ("TESSERA_TLS_KEY", "e.key"),
                file: "tls_key = \"f.key\"\ntls_cert = \"c.pem\"",
                flag: |s| s.tls_key = Some("k.key".into()),
                read: |c| format!("{:?}", c.tls.as_ref().map(|t| &t.key)),
                expect: [
                    "None",
                    "Some(\"f.key\")",
                    "Some(\"e.key\")",
                    "Some(\"k.key\")",
                ],
            },
            Key {
                env: ("TESSERA_LOG_FORMAT", "human"),
                file: "log_format = \"json\"",
                flag: |s| s.log_format = Some(LogFormat::Json),
                read: |c| format!("{:?}", c.log_format),
                expect: ["Human", "Json", "Human", "Json"],
            },
            Key {
                env: ("TESSERA_SMTP_URL", "smtp://env"),
                file: "smtp_url = \"smtp://file\"",
                flag: |s| s.smtp_url = Some("smtp://flag".into()),
                read: |c| format!("{:?}", c.delivery.smtp_url),
                expect: [
                    "None",
                    "Some(\"smtp://file\")",
                    "Some(\"smtp://env\")",
                    "Some(\"smtp://flag\")",
                ],
            },
            Key {
                env: ("TESSERA_EMAIL_FROM", "e@x.co"),
                file: "email_from = \"f@x.co\"",
                flag: |s| s.email_from = Some("c@x.co".into()),
                read: |c| format!("{:?}", c.delivery.email_from),
                expect: [
                    "None",
                    "Some(\"f@x.co\")",
                    "Some(\"e@x.co\")",
                    "Some(\"c@x.co\")",
                ],
            },
            Key {
                env: ("TESSERA_SMS_WEBHOOK_URL", "http://env"),
                file: "sms_webhook_url = \"http://file\"",
                flag: |s| s.sms_webhook_url = Some("http://flag".into()),
                read: |c| format!("{:?}", c.delivery.sms_webhook_url),
                expect: [
                    "None",
                    "Some(\"http://file\")",
                    "Some(\"http://env\")",
                    "Some(\"http://flag\")",
                ],
            },
            Key {
                env: ("TESSERA_SMS_WEBHOOK_SECRET", "env-key"),
                file: "sms_webhook_secret = \"file-key\"",
                flag: |s| s.sms_webhook_secret = Some("flag-key".into()),
                read: |c| format!("{:?}", c.delivery.sms_webhook_secret),
                expect: [
                    "None",
                    "Some(\"file-key\")",
                    "Some(\"env-key\")",
                    "Some(\"flag-key\")",
                ],
            },
            Key {
                env: ("TESSERA_MASTER_KEY_FILE", "env.key"),
                file: "master_key_file = \"file.key\"",
                flag: |s| s.master_key_file = Some("flag.key".into()),
                read: |c| format!("{:?}", c.master_key.path()),
                expect: [
                    "Some(\"./tessera-data/master.key\")",
                    "Some(\"file.key\")",
                    "Some(\"env.key\")",
                    "Some(\"flag.key\")",
                ],
            },
            Key {
                env: ("TESSERA_TRUSTED_PROXIES", "10.0.0.2, 10.0.0.3"),
                file: "trusted_proxies = [\"10.0.0.1\"]",
                flag: |s| s.trusted_proxies = Some(vec!["10.0.0.4".parse().unwrap()]),
                read: |c| format!("{:?}", c.trusted_proxies),
                expect: ["[]", "[10.0.0.1]", "[10.0.0.2, 10.0.0.3]", "[10.0.0.4]"],
            },
            Key {
                env: ("TESSERA_PURGE_INTERVAL_SECONDS", "2"),
                file: "purge_interval_seconds = 1",
                flag: |s| s.purge_interval_seconds = Some(3),
                read: |c| c.purge_interval.as_secs().to_string(),
                expect: ["60", "1", "2", "3"],
            },
            Key {
                env: ("TESSERA_SQLITE_SHARED", "0"),
                file: "sqlite_shared = true",
                flag: |s| s.sqlite_shared = Some(true),
                read: |c| format!("{:?}", c.sqlite_sharing),
                expect: ["Exclusive", "Shared", "Exclusive", "Shared"],
            },
        ]
    }

    /// Flag over environment over file over default, for every key.
    #[test]
    fn every_key_takes_flag_then_environment_then_file_then_default() {
        for key in keys() {
            Jail::expect_with(|jail| {
                jail.create_file("tessera.toml", key.file)?;
                let file = Some(Path::new("tessera.toml"));
                let mut flags = Settings::default();
                (key.flag)(&mut flags);
                let resolve = |flags: &Settings, file| {
                    let layers = Layers::load(flags.clone(), file).map_err(|e| e.to_string())?;
                    layers
                        .config()
                        .map(|c| (key.read)(&c))
                        .map_err(|e| e.to_string())
                };
                let none = Settings::default();
                assert_eq!(
                    resolve(&none, None)?,
                    key.expect[0],
                    "{}: default",
                    key.env.0
                );
                assert_eq!(resolve(&none, file)?, key.expect[1], "{}: file", key.env.0);
                jail.set_env(key.env.0, key.env.1);
                assert_eq!(resolve(&none, file)?, key.expect[2], "{}: env", key.env.0);
                assert_eq!(resolve(&flags, file)?, key.expect[3], "{}: flag", key.env.0);
                Ok(())
            });
        }
    }

    #[test]
    fn the_database_is_chosen_by_the_highest_layer_naming_one() {
        Jail::expect_with(|jail| {
            jail.create_file("t.toml", "database_url = \"postgres://f/db\"")?;
            let file = Some(Path::new("t.toml"));
            let flags = Settings {
                data_dir: Some("d".into()),
                ..Default::default()
            };
            let db = |flags: Settings| Layers::load(flags, file).unwrap().database().unwrap();
            // A --data-dir flag beats the file's database_url.
            assert_eq!(
                db(flags.clone()),
                DatabaseUrl::Sqlite("d/tessera.db".into())
            );
            assert!(matches!(db(Settings::default()), DatabaseUrl::Postgres(_)));
            jail.set_env("TESSERA_DATA_DIR", "e");
            assert_eq!(
                db(Settings::default()),
                DatabaseUrl::Sqlite("e/tessera.db".into())
            );
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        Jail::expect_with(|jail| {
            jail.create_file("t.toml", "lisen = \"0.0.0.0:80\"")?;
            assert!(Layers::load(Settings::default(), Some(Path::new("t.toml"))).is_err());
            assert!(Layers::load(Settings::default(), Some(Path::new("missing.toml"))).is_err());
            jail.set_env("TESSERA_PURGE_INTERVAL_SECONDS", "soon");
            assert!(Layers::load(Settings::default(), None).is_err());
            Ok(())
        });
    }

    #[test]
    fn tls_needs_both_files() {
        assert!(resolve_tls(Some("c".into()), None).is_err());
        assert!(resolve_tls(None, None).unwrap().is_none());
    }
}
