//! The admin console's administrators: accounts with a password and a TOTP seed, logins that
//! need both (rate-limited, a code never used twice), and short sessions.

use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use crate::crypto::{self, Digest256};
use crate::error::{Error, ErrorType, Result};
use crate::model::Timestamp;
use crate::model::user::EmailAddress;
use crate::sealing::MasterKey;
use crate::service::master_key::admin_totp_context;
use crate::service::passwords::hashing::Hasher;
use crate::service::security_log;
use crate::store::Store;
use crate::store::admins::AdminRow;

/// How long an admin session lives, however busy: administrators log in again.
pub const SESSION_MINUTES: i64 = 30;
/// The rate-limit counters' pseudo-project.
const LIMITS: &str = "admin-console";
/// Login attempts per client IP, and per email, in [`LIMIT_WINDOW_MS`].
const LIMIT: i64 = 10;
const LIMIT_WINDOW_MS: i64 = 15 * 60 * 1000;
const STEP_SECONDS: u64 = 30;

/// A new administrator: the password (given, or generated and shown once) and the
/// `otpauth://` URI to add to an authenticator app.
#[derive(Debug, serde::Serialize)]
pub struct Created {
    /// The login.
    pub email: String,
    /// The password (generated when none was given).
    pub password: String,
    /// The TOTP seed as an `otpauth://totp/…` URI.
    pub otpauth_uri: String,
}

/// A live admin session.
#[derive(Debug, Clone)]
pub struct AdminSession {
    /// The administrator.
    pub admin_id: String,
    /// Their email.
    pub email: String,
    /// The value each of the session's forms carries.
    pub csrf: String,
}

fn totp(secret: Vec<u8>, email: &str) -> Result<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS,
        secret,
        Some("Tessera admin".into()),
        email.replace(':', " "),
    )
    .map_err(|e| Error::Internal(anyhow::anyhow!("TOTP parameters refused: {e:?}")))
}

/// Makes an administrator. A given password needs 12 characters at least.
pub async fn create(
    (store, master, hasher): (&Store, &MasterKey, &Hasher),
    email: &str,
    password: Option<String>,
    now: Timestamp,
) -> Result<Created> {
    let email = EmailAddress::parse(email)?.as_str().to_owned();
    let password = match password {
        Some(p) if p.chars().count() >= 12 => p,
        Some(_) => {
            return Err(Error::with_message(
                ErrorType::WeakPassword,
                "an administrator's password needs 12 characters at least",
            ));
        }
        None => crypto::random_b64_nopad(18),
    };
    let admin_id = format!("admin-{}", uuid::Uuid::new_v4());
    let secret = crypto::random_bytes(20);
    let otpauth_uri = totp(secret.clone(), &email)?.get_url();
    let row = AdminRow {
        totp_sealed: master.seal(&admin_totp_context(&admin_id), &secret),
        password_hash: hasher.hash(password.clone()).await?,
        admin_id,
        email: email.clone(),
    };
    if !store.insert_admin(&row, now).await? {
        return Err(Error::with_message(
            ErrorType::BadRequest,
            "this email is already an administrator",
        ));
    }
    Ok(Created {
        email,
        password,
        otpauth_uri,
    })
}

/// What a login form sends.
#[derive(Debug)]
pub struct Credentials {
    /// The email.
    pub email: String,
    /// The password.
    pub password: String,
    /// The authenticator app's current code.
    pub code: String,
}

/// Logs an administrator in: the password and a code of the current (or an adjacent) time
/// step, never one already used; answers the session's token and the session. Every refusal
/// is the same `unauthorized_credentials`, and takes a password check's time.
pub async fn login(
    (store, master, hasher): (&Store, &MasterKey, &Hasher),
    c: Credentials,
    ip: &str,
    now: Timestamp,
) -> Result<(String, AdminSession)> {
    let email = c.email.trim().to_ascii_lowercase();
    for bucket in [format!("ip:{ip}"), format!("email:{email}")] {
        if store
            .count_event(LIMITS, &bucket, now, LIMIT_WINDOW_MS)
            .await?
            > LIMIT
        {
            security_log::admin_login(&email, false, "too_many_requests", ip);
            return Err(Error::new(ErrorType::TooManyRequests));
        }
    }
    let refused = |reason: &str| {
        security_log::admin_login(&email, false, reason, ip);
        Error::new(ErrorType::UnauthorizedCredentials)
    };
    let Some(row) = store.admin_by_email(&email).await? else {
        // The same work as a wrong password, so that timing does not tell who is an admin.
        let _ = hasher.hash(c.password).await;
        return Err(refused("unknown_admin"));
    };
    if !hasher
        .check(row.password_hash.clone(), c.password)
        .await?
        .ok
    {
        return Err(refused("wrong_password"));
    }
    let secret = master
        .open(&admin_totp_context(&row.admin_id), &row.totp_sealed)
        .map_err(|e| Error::Internal(anyhow::anyhow!("an admin TOTP seed: {e}")))?;
    let totp = totp(secret, &row.email)?;
    let step = now.millis().div_euclid(1000) as u64 / STEP_SECONDS;
    let code = c.code.trim().as_bytes();
    let matched = [step.saturating_sub(1), step, step + 1]
        .into_iter()
        .find(|s| {
            let want = totp.generate(s * STEP_SECONDS);
            want.len() == code.len() && bool::from(want.as_bytes().ct_eq(code))
        });
    let Some(matched) = matched else {
        return Err(refused("wrong_code"));
    };
    if !store
        .spend_admin_totp_step(&row.admin_id, matched as i64)
        .await?
    {
        return Err(refused("code_reused"));
    }
    let token = crypto::random_b64_nopad(32);
    let csrf = crypto::random_b64_nopad(32);
    let ends = now.plus_minutes(SESSION_MINUTES);
    store
        .insert_admin_session(Digest256::of(&token), &row.admin_id, &csrf, (now, ends))
        .await?;
    security_log::admin_login(&email, true, "", ip);
    Ok((
        token,
        AdminSession {
            admin_id: row.admin_id,
            email: row.email,
            csrf,
        },
    ))
}

/// The live session of `token`.
pub async fn session(store: &Store, token: &str, now: Timestamp) -> Result<Option<AdminSession>> {
    Ok(store
        .admin_session(Digest256::of(token), now)
        .await?
        .map(|s| AdminSession {
            admin_id: s.admin_id,
            email: s.email,
            csrf: s.csrf,
        }))
}

/// Ends the session of `token`.
pub async fn logout(store: &Store, token: &str) -> Result<()> {
    store.delete_admin_session(Digest256::of(token)).await?;
    Ok(())
}
