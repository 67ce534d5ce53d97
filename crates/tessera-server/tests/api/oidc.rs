//! A real OpenID provider (npm `oidc-provider`, `sdk-tests/oidc/provider.mjs`) on loopback for
//! the OAuth tests, and the headless login driver (`sdk-tests/oidc/login.mjs`) that clicks
//! through its login page as a browser would.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

fn oidc_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sdk-tests/oidc")
}

/// A running provider; killed on drop.
pub(crate) struct OidcProvider {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub(crate) issuer: String,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl OidcProvider {
    /// Starts a provider with one client, `client` (secret `<client>-secret`), redirecting to
    /// `server`'s OAuth callback, and makes it the Google of `project_id`.
    pub(crate) async fn as_google(
        app: &crate::harness::TestApp,
        project_id: &str,
        (client, server): (&str, &str),
    ) -> Self {
        let secret = format!("{client}-secret");
        let provider = OidcProvider::start(json!([{
            "client_id": client, "client_secret": secret,
            "redirect_uris": [format!("{server}/v1/public/oauth/callback")],
        }]));
        let google = tessera_server::model::oauth::ProviderSettings {
            client_id: client.into(),
            issuer: Some(provider.issuer.clone()),
            ..Default::default()
        };
        tessera_server::service::oauth::config::set(
            &app.store,
            &app.master,
            project_id,
            "google",
            google,
            &secret,
        )
        .await
        .unwrap();
        provider
    }

    /// Starts the provider with `clients` (`{client_id, client_secret, redirect_uris, fault?}`).
    pub(crate) fn start(clients: Value) -> Self {
        let config = json!({ "port": 0, "clients": clients });
        let mut child = Command::new("node")
            .arg(oidc_dir().join("provider.mjs"))
            .env("OIDC_CONFIG", config.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs sdk-tests/oidc/provider.mjs (scripts/setup-sdk-tests installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: Value = serde_json::from_str(&line).expect("the provider prints its issuer");
        OidcProvider {
            child,
            issuer: ready["issuer"].as_str().unwrap().to_owned(),
        }
    }

    /// Drives a login from `start_url` as `login`; the driver's JSON answer. Async: the
    /// server under test runs on the test's own runtime.
    pub(crate) async fn login(&self, start_url: &str, login: &str, extra: &[&str]) -> Value {
        let out = tokio::process::Command::new("node")
            .arg(oidc_dir().join("login.mjs"))
            .arg(start_url)
            .arg(login)
            .args(["--provider", &self.issuer])
            .args(extra)
            .output()
            .await
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "login.mjs: {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }

    /// A login driven on another task (for code that only takes a callback): after the flow,
    /// the app's redirect URL is requested too, as the browser would.
    pub(crate) fn login_in_background(&self, start_url: String, login: &'static str) {
        let issuer = self.issuer.clone();
        tokio::spawn(async move {
            let out = tokio::process::Command::new("node")
                .arg(oidc_dir().join("login.mjs"))
                .arg(&start_url)
                .arg(login)
                .args(["--provider", &issuer])
                .output()
                .await
                .unwrap();
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            let to = v["location"]
                .as_str()
                .expect("a redirect to the app")
                .to_owned();
            let _ = reqwest::get(to).await;
        });
    }

    /// GETs `url` with the cookies of an earlier run (`{host: {name: value}}`).
    pub(crate) async fn request(&self, url: &str, cookies: &Value) -> Value {
        let mut cmd = tokio::process::Command::new("node");
        cmd.arg(oidc_dir().join("login.mjs"))
            .args(["--request", url]);
        for (host, jar) in cookies.as_object().into_iter().flatten() {
            for (name, value) in jar.as_object().into_iter().flatten() {
                cmd.args([
                    "--cookie",
                    &format!("{host}={name}={}", value.as_str().unwrap()),
                ]);
            }
        }
        let out = cmd.output().await.unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    }
}
