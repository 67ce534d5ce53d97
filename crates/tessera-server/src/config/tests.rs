//! Each setting through each layer (file, environment, flag) and the defaults.
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
            env: ("TESSERA_EVENT_RETENTION_DAYS", "20"),
            file: "event_retention_days = 10",
            flag: |s| s.event_retention_days = Some(40),
            read: |c| c.event_retention_days.to_string(),
            expect: ["30", "10", "20", "40"],
        },
        Key {
            env: ("TESSERA_METRICS_LISTEN", "127.0.0.1:9002"),
            file: "metrics_listen = \"127.0.0.1:9001\"",
            flag: |s| s.metrics_listen = Some("127.0.0.1:9003".parse().unwrap()),
            read: |c| format!("{:?}", c.metrics.listen),
            expect: [
                "None",
                "Some(127.0.0.1:9001)",
                "Some(127.0.0.1:9002)",
                "Some(127.0.0.1:9003)",
            ],
        },
        Key {
            env: ("TESSERA_METRICS_TOKEN", "env-token"),
            file: "metrics_token = \"file-token\"",
            flag: |s| s.metrics_token = Some("flag-token".into()),
            read: |c| format!("{:?}", c.metrics.token),
            expect: [
                "None",
                "Some(\"file-token\")",
                "Some(\"env-token\")",
                "Some(\"flag-token\")",
            ],
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
        jail.set_env("TESSERA_PURGE_INTERVAL_SECONDS", "5");
        // Out of range: refused when the configuration is resolved, with the setting's name.
        for (key, value) in [
            ("TESSERA_EVENT_RETENTION_DAYS", "1"),
            ("TESSERA_EVENT_RETENTION_DAYS", "100000"),
            ("TESSERA_WEBHOOK_RETRY_BASE_MS", "0"),
        ] {
            jail.set_env(key, value);
            let layers = Layers::load(Settings::default(), None).unwrap();
            let err = layers.config().unwrap_err();
            assert!(err.to_string().contains(&key[8..].to_lowercase()), "{err}");
            jail.clear_env();
        }
        Ok(())
    });
}

#[test]
fn tls_needs_both_files() {
    assert!(resolve_tls(Some("c".into()), None).is_err());
    assert!(resolve_tls(None, None).unwrap().is_none());
}
