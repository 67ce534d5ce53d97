//! HTTPS served directly with a self-signed certificate (what Stytch's SDKs need for a custom
//! base URL).

use tessera_client::Client;
use tessera_client::proto::users::CreateUserRequest;
use tessera_server::Config;
use tessera_server::config::TlsPaths;

use crate::harness::{Backend, fresh_database, spawn_with};

#[tokio::test]
async fn serves_https_with_a_self_signed_certificate() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();

    let (database, db_dir) = fresh_database(Backend::Sqlite);
    let mut config = Config::for_tests(database);
    config.tls = Some(TlsPaths {
        cert: cert_path,
        key: key_path,
    });
    let app = spawn_with(config, db_dir).await;
    assert!(app.base_url.starts_with("https://localhost:"));

    // A client that trusts the certificate works end to end.
    let client = Client::builder(&app.base_url, &app.creds.project_id, &app.creds.secret)
        .add_root_certificate_pem(cert.cert.pem().as_bytes())
        .build()
        .unwrap();
    let created = client
        .users()
        .create(&CreateUserRequest {
            email: Some("tls@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        client
            .users()
            .get(&created.user_id)
            .await
            .unwrap()
            .user
            .user_id,
        created.user_id
    );

    // One that does not trust it refuses to talk; plain HTTP to the TLS port gets nothing.
    let untrusting = Client::new(&app.base_url, &app.creds.project_id, &app.creds.secret).unwrap();
    assert!(matches!(
        untrusting.users().get(&created.user_id).await,
        Err(tessera_client::ClientError::Transport(_))
    ));
    let plain = format!("http://localhost:{}/healthz", app.addr.port());
    let plain_ok = reqwest::get(&plain)
        .await
        .map(|r| r.status().is_success())
        .unwrap_or(false);
    assert!(!plain_ok, "plain HTTP must not be served on the TLS port");
}
