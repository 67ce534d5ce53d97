//! Logs in to Tessera with an email passcode (or, with `--password`, a password and then an
//! authenticator-app code if the user has one) through the frontend API, prints the session,
//! keeps it fresh in the background (printing each change), and logs out on Enter.
//!
//! ```sh
//! cargo run -p cli-login -- http://127.0.0.1:4000 public-token-test-… ada@example.com
//! cargo run -p cli-login -- http://127.0.0.1:4000 public-token-test-… ada@example.com --password
//! ```
//!
//! The password is read from standard input as typed (this example does not hide it).
//!
//! The session is kept in `./cli-login-session.json` (mode 0600): run it again and it resumes
//! without a new login. With no SMTP server configured, Tessera prints the code in its log
//! (`DEVELOPMENT DELIVERY`).

use std::time::Duration;

use tessera_client::headless::{FileStorage, HeadlessClient};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (base_url, public_token, email, by_password) = match &args[..] {
        [u, t, e] => (u, t, e, false),
        [u, t, e, flag] if flag == "--password" => (u, t, e, true),
        _ => {
            eprintln!("usage: cli-login <tessera-url> <public-token> <email> [--password]");
            std::process::exit(2);
        }
    };
    let refresh = std::env::var("CLI_LOGIN_REFRESH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(tessera_client::headless::DEFAULT_REFRESH_INTERVAL);
    let client = HeadlessClient::builder(base_url, public_token)
        .storage(FileStorage::new("cli-login-session.json"))
        .refresh_interval(refresh)
        .build()?;
    let _changes = client.session().on_change(|s| match s {
        Some(s) => println!(
            "session changed: {} (expires {}, last access {})",
            s.session_id, s.expires_at, s.last_accessed_at
        ),
        None => println!("session ended"),
    });
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();

    let resumed = if client.session().get_sync().is_some() {
        // A stored session: confirm it with the server before trusting it.
        client.session().authenticate(None).await.is_ok()
    } else {
        false
    };
    if !resumed && by_password {
        println!("Password for {email}:");
        let password = stdin.next_line().await?.unwrap_or_default();
        match client.passwords().authenticate(email, &password, 60).await {
            Ok(_) => {}
            Err(e) if e.error_type() == Some("reset_password") => {
                eprintln!("This password must be reset first (it was breached, or the email was");
                eprintln!("proven by another login). Reset it by email and run this again.");
                client.passwords().reset_by_email_start(email, None).await?;
                eprintln!("A reset link was sent to {email}.");
                std::process::exit(1);
            }
            Err(e) => return Err(e.into()),
        }
        let has_app = client
            .user()
            .get_sync()
            .is_some_and(|u| u.totps.iter().any(|t| t.verified));
        if has_app {
            println!("Code from your authenticator app (or a recovery code):");
            let code = stdin.next_line().await?.unwrap_or_default();
            let code = code.trim();
            if code.contains('-') {
                client.totps().recover(code, 60).await?;
            } else {
                client.totps().authenticate(code, 60).await?;
            }
        }
    } else if !resumed {
        let sent = client.otps().email_login_or_create(email, 5).await?;
        println!("A code was sent to {email}. Enter it:");
        let code = stdin.next_line().await?.unwrap_or_default();
        client
            .otps()
            .authenticate(code.trim(), &sent.method_id, 60)
            .await?;
    }
    let session = client.session().get_sync().expect("logged in");
    let user = client.user().get_sync().expect("logged in");
    println!("logged in as {} ({})", user.user_id, email);
    let factors: Vec<&str> = session
        .authentication_factors
        .iter()
        .map(|f| f.factor_type.as_str())
        .collect();
    println!("factors: {}", factors.join(" + "));
    println!(
        "session {} expires at {}",
        session.session_id, session.expires_at
    );
    if let Some(t) = client.session().get_tokens() {
        println!(
            "session JWT: {}…",
            &t.session_jwt[..t.session_jwt.len().min(40)]
        );
    }
    println!(
        "The session is refreshed every {} s in the background. Press Enter to log out.",
        refresh.as_secs()
    );
    stdin.next_line().await?;
    client.session().revoke().await?;
    println!("logged out");
    Ok(())
}
