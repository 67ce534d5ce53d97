//! Stytch's sandbox values, honoured in test projects only so that code written against
//! Stytch's test environment runs unchanged. The sandbox user and session are real rows,
//! created on the first use of a sandbox value, so every answer about them is a complete,
//! valid object and a project that never uses them never sees them.

use serde_json::Map;

use crate::crypto::Digest256;
use crate::error::Result;
use crate::model::session::{AuthFactor, FactorKind, FactorSubject, Session};
use crate::model::user::{EmailAddress, EmailFactor, User, UserStatus};
use crate::model::{Environment, Project, Timestamp};
use crate::store::Store;
use crate::store::sessions::TokenAtRest;

/// The sandbox user.
pub const USER_ID: &str = "user-test-e3795c81-f849-4167-bfda-e4a6e9c280fd";
/// The sandbox user's email.
pub const EMAIL: &str = "sandbox@stytch.com";
/// The sandbox user's email id.
pub const EMAIL_ID: &str = "email-test-23873e89-d4ed-4e92-b3b9-e5c7198fa286";
/// The phone number whose passcode is always `000000` and never sent.
pub const PHONE: &str = "+10000000000";
/// The passcode of sandbox destinations.
pub const OTP_CODE: &str = "000000";
/// A magic-link token that always authenticates the sandbox user and is never used up.
pub const MAGIC_LINK_TOKEN: &str = "DOYoip3rvIMMW5lgItikFK-Ak1CfMsgjuiCyI7uuU94=";
/// A magic-link token that is always "already used or expired".
pub const MAGIC_LINK_USED_TOKEN: &str = "3pzjQpgksDlGKWEwUq2Up--hCHC_0oamfLHyfspKDFU=";
/// The TOTP code that always authenticates the sandbox user (and never wears out).
pub const TOTP_CODE: &str = "000000";
/// The recovery code that always authenticates the sandbox user (and never wears out).
pub const RECOVERY_CODE: &str = "a1b2-c3d4-e5f6";
/// The TOTP registration the sandbox codes name when the sandbox user has none.
pub const TOTP_ID: &str = "totp-test-41920359-8bbb-4fe8-8fa3-aaa83f35f02c";
/// An OAuth token that always authenticates the sandbox user and is never used up.
pub const OAUTH_TOKEN: &str = "hdPVZHHX0UoRa7hJTuuPHi1vlddffSnoweRbVFf5-H8g";
/// An OAuth token that is never found (400 `oauth_token_not_found`).
pub const OAUTH_MISSING_TOKEN: &str = "59cnLELtq5cFVS6uYK9f-pAWzBkhqZl8AvLhbhOvKNWw";
/// The sandbox user's Google subject and registration, as the sandbox OAuth token proves them.
pub const OAUTH_SUBJECT: &str = "10769150350006150715113082367";
/// See [`OAUTH_SUBJECT`].
pub const OAUTH_REGISTRATION_ID: &str =
    "oauth-user-registration-test-d3f0b1d6-bc52-4c5b-8dbb-0cee4b2ef1c4";

/// The sandbox session.
pub const SESSION_ID: &str = "session-test-eb94233f-8800-4ebd-8645-51dc15f9d028";
/// The sandbox session's token.
pub const SESSION_TOKEN: &str = "WJtR5BCy38Szd5AfoDpf0iqFKEt4EE5JhjlWUY7l3FtY";

fn enabled(project: &Project) -> bool {
    project.env == Environment::Test
}

/// Whether this is the sandbox email of a test project.
pub fn is_sandbox_email(project: &Project, email: &str) -> bool {
    enabled(project) && email == EMAIL
}

/// Whether this is the sandbox phone number of a test project.
pub fn is_sandbox_phone(project: &Project, phone: &str) -> bool {
    enabled(project) && phone == PHONE
}

/// Whether this is the sandbox user of a test project.
pub fn is_sandbox_user(project: &Project, user_id: &str) -> bool {
    enabled(project) && user_id == USER_ID
}

/// Whether this is one of the sandbox OAuth tokens of a test project: `Some(true)` for the
/// one that authenticates.
pub fn sandbox_oauth_token(project: &Project, token: &str) -> Option<bool> {
    if !enabled(project) {
        return None;
    }
    match token {
        OAUTH_TOKEN => Some(true),
        OAUTH_MISSING_TOKEN => Some(false),
        _ => None,
    }
}

/// Whether this is the sandbox session of a test project.
pub fn is_sandbox_session(project: &Project, session_id: &str) -> bool {
    enabled(project) && session_id == SESSION_ID
}

/// Whether this is the sandbox session token of a test project.
pub fn is_sandbox_session_token(project: &Project, token: &str) -> bool {
    enabled(project) && token == SESSION_TOKEN
}

/// Whether this is the reusable sandbox magic-link token of a test project.
pub fn is_sandbox_magic_link(project: &Project, token: &str) -> bool {
    enabled(project) && token == MAGIC_LINK_TOKEN
}

/// Whether this is the always-used sandbox magic-link token of a test project.
pub fn is_used_sandbox_magic_link(project: &Project, token: &str) -> bool {
    enabled(project) && token == MAGIC_LINK_USED_TOKEN
}

/// Creates the sandbox user (with its verified email) and its never-expiring session, unless
/// they exist. Concurrent first uses are harmless: the loser's insert fails on the key and the
/// rows are there.
pub async fn ensure(store: &Store, project: &Project) -> Result<()> {
    if !enabled(project)
        || store
            .get_user(&project.project_id, USER_ID)
            .await?
            .is_some()
    {
        return Ok(());
    }
    if let Err(e) = create(store, project).await
        && store
            .get_user(&project.project_id, USER_ID)
            .await?
            .is_none()
    {
        return Err(e);
    }
    Ok(())
}

async fn create(store: &Store, project: &Project) -> Result<()> {
    let started = Timestamp::parse_rfc3339("2021-08-28T00:41:58Z").unwrap_or(project.created_at);
    let email = EmailAddress::parse(EMAIL)?;
    let user = User {
        emails: vec![EmailFactor {
            email_id: EMAIL_ID.into(),
            email,
            verified: true,
        }],
        ..User::bare(USER_ID.into(), UserStatus::Active, started)
    };
    store.insert_user(&project.project_id, &user).await?;
    let factor = AuthFactor::new(
        FactorKind::MagicLinkEmail,
        FactorSubject::Email {
            email_id: EMAIL_ID.into(),
            email_address: EMAIL.into(),
        },
        started,
    );
    let session = Session {
        session_id: SESSION_ID.into(),
        user_id: USER_ID.into(),
        started_at: started,
        last_accessed_at: started,
        // Never expires in practice (year 2100).
        expires_at: Timestamp::from_millis(4_102_444_800_000),
        ip_address: String::new(),
        user_agent: String::new(),
        factors: vec![factor],
        custom_claims: Map::new(),
    };
    store
        .insert_session(
            &project.project_id,
            &session,
            &TokenAtRest {
                digest: Digest256::of(SESSION_TOKEN),
                sealed: None,
            },
        )
        .await?;
    Ok(())
}
