//! Crypto-wallet logins on both backends: the official Node SDK with signatures made by
//! independent libraries (viem and siwe for Ethereum, tweetnacl for Solana) in
//! `sdk-tests/node/wallets.js`, and 50 concurrent answers to one challenge.

use std::path::PathBuf;

use ed25519_dalek::Signer as _;
use tessera_client::Client;
use tessera_client::proto::crypto_wallets::{AuthenticateRequest, AuthenticateStartRequest};
use tessera_client::proto::sessions::SessionOptions;
use tessera_server::service::projects::{self, NewProject};

use crate::harness::{TestApp, both_backends};
use crate::sdk::{installed, repo, run_command};

both_backends!(
    node_sdk_runs_crypto_wallets,
    one_wallet_signature_logs_in_once_under_fifty_concurrent_uses,
    a_project_can_require_sign_in_with_ethereum_in_browsers
);

/// The page origin the wallet scripts sign in for.
const ORIGIN: &str = "http://localhost:3000";

async fn project(app: &TestApp) -> (String, String) {
    let creds = projects::create(
        (&app.store, &app.master),
        NewProject {
            name: "Wallets".into(),
            authorized_origins: vec![ORIGIN.into()],
            redirect_urls: vec![format!("{ORIGIN}/authenticate")],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    (creds.project_id, creds.secret)
}

async fn node_sdk_runs_crypto_wallets(app: &TestApp) {
    installed(repo().join("sdk-tests/node/node_modules/viem"));
    let (project_id, secret) = project(app).await;
    let mut cmd = tokio::process::Command::new(PathBuf::from("node"));
    cmd.arg(repo().join("sdk-tests/node/wallets.js"))
        .env("PROJECT_ID", project_id)
        .env("SECRET", secret)
        .env("SIWE_DOMAIN", "localhost:3000");
    run_command(app, cmd).await;
}

async fn one_wallet_signature_logs_in_once_under_fifty_concurrent_uses(app: &TestApp) {
    let (project_id, secret) = project(app).await;
    let client = Client::new(&app.base_url, &project_id, &secret).unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    let address = bs58::encode(key.verifying_key().to_bytes()).into_string();
    let start = client
        .crypto_wallets()
        .authenticate_start(&AuthenticateStartRequest {
            crypto_wallet_type: "solana".into(),
            crypto_wallet_address: address.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(start.user_created);
    let found = crate::webauthn::search(
        &client,
        "crypto_wallet_address",
        vec![address.clone()].into(),
    );
    assert_eq!(
        found.await,
        std::slice::from_ref(&start.user_id),
        "a new wallet's user, unverified"
    );
    let unverified = crate::webauthn::search(&client, "crypto_wallet_verified", false.into());
    assert_eq!(unverified.await, std::slice::from_ref(&start.user_id));
    let signature = bs58::encode(key.sign(start.challenge.as_bytes()).to_bytes()).into_string();
    let req = AuthenticateRequest {
        crypto_wallet_type: "solana".into(),
        crypto_wallet_address: address,
        signature,
        session: SessionOptions {
            session_duration_minutes: Some(60),
            ..Default::default()
        },
    };
    let tries = (0..50).map(|_| {
        let (client, req) = (client.clone(), req.clone());
        tokio::spawn(async move { client.crypto_wallets().authenticate(&req).await.is_ok() })
    });
    let mut wins = 0;
    for t in tries {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1, "one challenge, one session");
    let verified = crate::webauthn::search(&client, "crypto_wallet_verified", true.into());
    assert_eq!(verified.await.len(), 1);
}

/// `--siwe-required true`: bootstrap says so (Stytch's SDK then sends `siwe_params` with the
/// page's origin as `uri` and no domain), a plain Ethereum start from a browser is refused,
/// and the message's domain is the URI's authority.
async fn a_project_can_require_sign_in_with_ethereum_in_browsers(app: &TestApp) {
    use crate::frontend::{ORIGIN as PAGE, Page};
    use reqwest::Method;
    use serde_json::json;

    let pid = app.creds.project_id.clone();
    let args = ["project", "update", &pid, "--siwe-required", "true"];
    let policy: serde_json::Value =
        serde_json::from_str(&crate::secrets::tessera(app, &args).await).unwrap();
    assert_eq!(policy["identity"]["siwe_required"], true);
    let page = Page::new(app, Some(PAGE));
    let pt = app.creds.public_token.clone();
    let boot = page
        .call(
            Method::GET,
            &format!("/projects/bootstrap/{pt}"),
            None,
            None,
        )
        .await;
    assert_eq!(boot.data()["siwe_required_for_crypto_wallets"], true);

    let address = "0x52908400098527886e0f7030069857d2e4169ee7";
    let plain = json!({"crypto_wallet_type": "ethereum", "crypto_wallet_address": address});
    let path = "/crypto_wallets/authenticate/start/primary";
    let refused = page.call(Method::POST, path, None, Some(plain)).await;
    assert_eq!(
        (refused.status, refused.error_type()),
        (400, "invalid_siwe_params")
    );

    let siwe = json!({
        "crypto_wallet_type": "ethereum",
        "crypto_wallet_address": address,
        "siwe_params": {"uri": PAGE, "statement": "Sign in to the shop"},
    });
    let started = page.call(Method::POST, path, None, Some(siwe)).await;
    let challenge = started.data()["challenge"].as_str().unwrap().to_owned();
    assert!(
        challenge.starts_with("localhost:3000 wants you to sign in with your Ethereum account:\n"),
        "{challenge}"
    );
    assert!(
        challenge.contains("\n0x52908400098527886E0F7030069857D2E4169EE7\n"),
        "{challenge}"
    );
    assert!(
        challenge.contains("\nURI: http://localhost:3000\n"),
        "{challenge}"
    );

    // Solana wallets have no SIWE: they are unaffected.
    let key = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    let sol = bs58::encode(key.verifying_key().to_bytes()).into_string();
    let body = json!({"crypto_wallet_type": "solana", "crypto_wallet_address": sol});
    let r = page.call(Method::POST, path, None, Some(body)).await;
    assert!(
        r.data()["challenge"]
            .as_str()
            .unwrap()
            .starts_with("Signing in with Project: ")
    );
}
