//! `tessera admin create EMAIL`: an administrator of the admin console (`serve --admin`).

use std::io::BufRead;

use clap::{Args, Subcommand};

use super::{DbArgs, run_admin};
use crate::admin::AdminRequest;

#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Make an administrator: prints the password (generated unless --password-stdin) once, and
    /// the TOTP seed as a QR code and an otpauth:// URI for an authenticator app.
    Create(AdminCreateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct AdminCreateArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The administrator's email (the login).
    email: String,
    /// Read the password (12 characters at least) from the first line of standard input
    /// instead of generating one.
    #[arg(long)]
    password_stdin: bool,
}

#[derive(serde::Deserialize)]
struct Created {
    email: String,
    password: String,
    otpauth_uri: String,
}

/// Runs an `admin` command.
pub(crate) async fn run(cmd: AdminCommand) -> anyhow::Result<()> {
    let AdminCommand::Create(a) = cmd;
    let password = if a.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Some(line.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        None
    };
    let req = AdminRequest::AdminCreate {
        email: a.email,
        password,
    };
    let c: Created = serde_json::from_value(run_admin(&a.db.resolve()?, req).await?)?;
    println!("Administrator {} created.", c.email);
    if !a.password_stdin {
        println!("Password (shown only this once): {}", c.password);
    }
    println!("Scan this with an authenticator app (or enter the URI below):\n");
    print!("{}", terminal_qr(&c.otpauth_uri));
    println!("\n{}", c.otpauth_uri);
    println!("\nThen log in at /admin/login of `tessera serve --admin`.");
    Ok(())
}

/// `text` as a QR code of half-block characters, two modules a line, with a quiet zone.
fn terminal_qr(text: &str) -> String {
    let Ok(qr) = qrcodegen::QrCode::encode_text(text, qrcodegen::QrCodeEcc::Medium) else {
        return String::new();
    };
    let border = 2;
    let range = -border..qr.size() + border;
    let mut out = String::new();
    for y in range.clone().step_by(2) {
        for x in range.clone() {
            let (top, bottom) = (qr.get_module(x, y), qr.get_module(x, y + 1));
            // Dark modules are drawn as spaces on a light terminal's inverse: light is the ink.
            out.push(match (top, bottom) {
                (false, false) => '█',
                (false, true) => '▀',
                (true, false) => '▄',
                (true, true) => ' ',
            });
        }
        out.push('\n');
    }
    out
}
