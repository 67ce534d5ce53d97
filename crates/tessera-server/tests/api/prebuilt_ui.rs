//! The prebuilt UI and the hosted login page in Chromium, on both backends
//! (`sdk/js/e2e/ui.mjs` drives the pages; this test boots Tessera over HTTPS and answers the
//! script's requests for codes, links and token exchanges): `mountLogin` and `<TesseraLogin>`
//! used by keyboard, in English and French, light and dark; `<TesseraPasswordReset>` from a
//! reset email; `<TesseraPasskeyRegistration>` on a virtual authenticator; `/login` without
//! JavaScript by code and by link, back to the app with a token its backend exchanges. Each
//! screen is checked by axe-core and compared with its screenshot in `sdk/js/e2e/screenshots`
//! (`UPDATE_SCREENSHOTS=1` rewrites them).

use serde_json::Value;
use tessera_client::Client;
use tessera_client::proto::sessions::SessionOptions;
use tessera_server::model::project::PolicyChange;
use tessera_server::service::projects::{self, NewProject};

use crate::browser::spawn_tls;
use crate::delivery::{code_in, typed_link_url};
use crate::harness::{Backend, free_port};
use crate::sdk::{drive, installed, repo};

/// Tessera's host and the app's, both resolved to 127.0.0.1 by Chromium.
const HOSTS: [&str; 2] = ["tessera.test", "app.tessera.test"];

mod prebuilt_ui_in_chromium {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn sqlite() {
        run(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn postgres() {
        run(Backend::Postgres).await;
    }
}

async fn run(backend: Backend) {
    let script = repo().join("sdk/js/e2e/ui.mjs");
    installed(repo().join("sdk/js/packages/js/dist/tessera-ui.iife.js"));
    installed(repo().join("sdk/js/node_modules/axe-core/axe.min.js"));
    installed("/usr/bin/chromium".into());

    let listen = format!("127.0.0.1:{}", free_port());
    let (app, cert) = spawn_tls(backend, &listen, &[HOSTS[0], HOSTS[1], "localhost"]).await;
    let server = format!("https://{}:{}", HOSTS[0], app.addr.port());
    let page_port = free_port();
    let page_origin = format!("https://{}:{page_port}", HOSTS[1]);
    let creds = projects::create(
        (&app.store, &app.master),
        NewProject {
            name: "Acme".into(),
            authorized_origins: vec![page_origin.clone()],
            redirect_urls: vec![
                format!("{page_origin}/ui.html"),
                format!("{page_origin}/reset.html"),
                format!("{page_origin}/done.html"),
            ],
            policy: PolicyChange {
                brand_primary_color: Some("#7c3aed".into()),
                brand_background_color: Some("#ede9fe".into()),
                // The app's host, and the parent domain its passkeys share with the hosted page.
                webauthn_domains: Some(vec![HOSTS[1].into(), HOSTS[0].into()]),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // A real OpenID provider as the project's Google, for the hosted page's OAuth link.
    let oidc =
        crate::oidc::OidcProvider::as_google(&app, &creds.project_id, ("hosted-ui", &server)).await;
    let backend_client = Client::builder(
        &format!("https://localhost:{}", app.addr.port()),
        &creds.project_id,
        &creds.secret,
    )
    .add_root_certificate_pem(cert.pem.as_bytes())
    .build()
    .unwrap();

    let admin_password = "console-password-for-chromium";
    let totp = crate::admin_console::create_admin(&app, "admin@example.com", admin_password);
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(script)
        .env("TESSERA_URL", &server)
        .env("PUBLIC_TOKEN", &creds.public_token)
        .env("HOSTS", HOSTS.join(","))
        .env("CERT_PEM", &cert.cert_path)
        .env("KEY_PEM", &cert.key_path)
        .env("PAGE_PORT", page_port.to_string())
        .env("OIDC_ISSUER", &oidc.issuer)
        .env("ADMIN_EMAIL", "admin@example.com")
        .env("ADMIN_PASSWORD", admin_password);
    let mut last_step = 0;
    drive(cmd, async |req: &Value| {
        let to = req["to"].as_str().unwrap_or_default();
        match req["need"].as_str().unwrap() {
            "email_code" => code_in(&app.smtp.last_to(to).await.data),
            "sms_code" => code_in(&app.sms.last_to("sms", to).await),
            "email_link" => {
                let kind = req["kind"].as_str().unwrap_or("magic_links");
                typed_link_url(&app.smtp.last_to(to).await, kind).to_string()
            }
            // The administrator's authenticator app: a code of a step not used yet.
            "admin_code" => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs();
                let step = (now / 30).max(last_step + 1);
                last_step = step;
                totp.generate(step * 30)
            }
            // The app's backend exchanges the token the hosted page handed back (with the
            // credentials of another project when the script names them).
            "exchange" => {
                let client = match (req["project_id"].as_str(), req["secret"].as_str()) {
                    (Some(pid), Some(secret)) => Client::builder(
                        &format!("https://localhost:{}", app.addr.port()),
                        pid,
                        secret,
                    )
                    .add_root_certificate_pem(cert.pem.as_bytes())
                    .build()
                    .unwrap(),
                    _ => backend_client.clone(),
                };
                let token = req["token"].as_str().unwrap().to_owned();
                let r = crate::hosted::exchange(&client, token).await;
                match r {
                    // The user's first email, or phone number.
                    Ok(r) => r
                        .user
                        .emails
                        .first()
                        .map(|e| e.email.clone())
                        .or_else(|| r.user.phone_numbers.first().map(|p| p.phone_number.clone()))
                        .unwrap_or_default(),
                    Err(e) => format!("refused: {e}"),
                }
            }
            // The app's backend exchanges the token of a wallet's login: the wallet's address.
            "exchange_wallet" => {
                let token = req["token"].as_str().unwrap().to_owned();
                let r = crate::hosted::exchange(&backend_client, token).await;
                match r {
                    Ok(r) => r.user.crypto_wallets[0]
                        .crypto_wallet_address
                        .to_lowercase(),
                    Err(e) => format!("refused: {e}"),
                }
            }
            // The app's backend exchanges the token of an OAuth login.
            "exchange_oauth" => {
                let r = backend_client
                    .oauth()
                    .authenticate(&tessera_client::proto::oauth::AuthenticateRequest {
                        token: req["token"].as_str().unwrap().to_owned(),
                        session: SessionOptions {
                            session_duration_minutes: Some(60),
                            ..Default::default()
                        },
                        ..Default::default()
                    })
                    .await;
                match r {
                    Ok(r) => format!("{} {}", r.provider_type, r.user.emails[0].email),
                    Err(e) => format!("refused: {e}"),
                }
            }
            other => panic!("unknown request {other}"),
        }
    })
    .await;
}
