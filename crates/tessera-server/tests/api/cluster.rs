//! Three `tessera serve` processes on one PostgreSQL database behind Debian's nginx
//! (round-robin): Stytch's official Python and Node SDKs run the session guide through it, a
//! revoke on one instance fails the session on every other at once, a key rotation reaches every
//! instance, and attempt limits hold across instances.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tessera_client::proto::sessions::{AuthenticateSessionRequest, RevokeSessionRequest};
use tessera_client::{Client, OtpChannel};

use crate::delivery::code_in;
use crate::harness::{Backend, api_error, fresh_database};
use crate::otps::{auth, phone};
use crate::sdk::{installed, repo, run_command_at};
use crate::topology::{Deployment, Instance, Nginx};

/// A database, three instances on it and nginx in front.
pub(crate) struct Cluster {
    pub(crate) deployment: Deployment,
    pub(crate) instances: Vec<Instance>,
    pub(crate) nginx: Nginx,
}

impl Cluster {
    pub(crate) async fn start(size: usize) -> Self {
        let (url, _) = fresh_database(Backend::Postgres);
        let tessera_server::store::DatabaseUrl::Postgres(url) = url else {
            unreachable!()
        };
        let deployment = Deployment::new(url).await;
        let mut instances = Vec::new();
        for _ in 0..size {
            instances.push(deployment.serve(&[]).await);
        }
        let ports: Vec<u16> = instances.iter().map(|i| i.port).collect();
        let nginx = Nginx::start(&ports).await;
        Cluster {
            deployment,
            instances,
            nginx,
        }
    }

    /// A backend client of the project through `url`.
    pub(crate) fn client(&self, url: &str) -> Client {
        let c = &self.deployment.creds;
        Client::new(url, &c.project_id, &c.secret).unwrap()
    }
}

#[tokio::test]
async fn three_instances_behind_nginx_act_as_one() {
    let cluster = Cluster::start(3).await;
    let d = &cluster.deployment;
    let lb = cluster.nginx.url();

    // Stytch's official SDKs, unchanged, through the load balancer: every call may land on
    // another instance than the one before.
    let python = installed(repo().join("target/sdk-env/python/bin/python"));
    installed(repo().join("sdk-tests/node/node_modules/stytch"));
    for (program, script) in [
        (python, "sdk-tests/python/session_guide.py"),
        (PathBuf::from("node"), "sdk-tests/node/session_guide.js"),
    ] {
        // Each script counts the users of its project: one project each.
        let project = d.another_project().await;
        let mut cmd = tokio::process::Command::new(program);
        cmd.arg(repo().join(script))
            .env("PROJECT_ID", &project.project_id)
            .env("SECRET", &project.secret);
        run_command_at(&lb, (&d.smtp, &d.sms), cmd).await;
    }

    let direct: Vec<Client> = cluster
        .instances
        .iter()
        .map(|i| cluster.client(&i.url()))
        .collect();
    let via_lb = cluster.client(&lb);
    let login = crate::harness::login(&via_lb, &d.smtp, "cluster@example.com", 60).await;
    let by_token = |token: &str| AuthenticateSessionRequest {
        session_token: Some(token.to_owned()),
        ..Default::default()
    };
    for c in &direct {
        c.sessions()
            .authenticate(&by_token(&login.session_token))
            .await
            .unwrap();
    }

    // A revoke on one instance fails the session on every other at once.
    direct[0]
        .sessions()
        .revoke(&RevokeSessionRequest {
            session_token: Some(login.session_token.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    for c in &direct[1..] {
        assert_eq!(
            api_error(
                c.sessions()
                    .authenticate(&by_token(&login.session_token))
                    .await
            ),
            (404, "session_not_found".into())
        );
    }

    // A key rotation (by the CLI, on the shared database) reaches every instance: each signs
    // with the new key and publishes it within its cache bound (at once, through NOTIFY).
    let before = jwt_kid(&via_lb, &d.smtp, "rotation@example.com").await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args([
            "keys",
            "rotate",
            "--database-url",
            &d.database,
            "--master-key-file",
        ])
        .arg(&d.key)
        .env_remove("TESSERA_MASTER_KEY_FILE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rotated = Instant::now();
    let s = crate::harness::login(&direct[1], &d.smtp, "rotation2@example.com", 60).await;
    for c in &direct {
        loop {
            let r = c
                .sessions()
                .authenticate(&by_token(&s.session_token))
                .await
                .unwrap();
            let kid = kid_of(&r.session_jwt);
            let published = c.sessions().jwks().await.unwrap().keys;
            if kid != before && published.iter().any(|k| k.kid == kid) {
                break;
            }
            assert!(
                rotated.elapsed() < Duration::from_secs(5),
                "an instance still signs with the old key"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // Five wrong passcodes spread over the three instances exhaust the code on all of them.
    let number = "+14155550177";
    let sent = via_lb
        .otps()
        .login_or_create(OtpChannel::Sms, &phone(number))
        .await
        .unwrap();
    let phone_id = sent.phone_id.unwrap();
    let code = code_in(&d.sms.last_to("sms", number).await);
    let wrong = if code == "111111" { "222222" } else { "111111" };
    for i in 0..5 {
        assert_eq!(
            api_error(
                direct[i % 3]
                    .otps()
                    .authenticate(&auth(&phone_id, wrong, None))
                    .await
            ),
            (404, "otp_code_not_found".into())
        );
    }
    for c in &direct {
        assert_eq!(
            api_error(c.otps().authenticate(&auth(&phone_id, &code, None)).await),
            (401, "unable_to_auth_otp_code".into())
        );
    }
}

/// Logs `email` in through `client` and returns the key id of its JWT.
async fn jwt_kid(client: &Client, smtp: &crate::delivery::SmtpSink, email: &str) -> String {
    kid_of(
        &crate::harness::login(client, smtp, email, 60)
            .await
            .session_jwt,
    )
}

fn kid_of(jwt: &str) -> String {
    tessera_client::jwt::kid_of(jwt).expect("a JWT with a kid")
}
