//! Authenticator apps (RFC 6238 TOTP: SHA-1, 6 digits, 30 s, one step either side) with ten
//! single-use recovery codes. The seed is sealed with the master key; a code works once
//! (the newest accepted step is stored and only a later one passes); wrong codes count against
//! the registration like passcodes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::{Rng, RngCore};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use crate::crypto::Digest256;
use crate::error::{Error, ErrorType, Result};
use crate::model::ids::IdKind;
use crate::model::session::{AuthFactor, FactorKind, FactorSubject};
use crate::model::user::User;
use crate::model::{Project, Timestamp};
use crate::service::factors::{self, Authenticated};
use crate::service::master_key::{totp_codes_context, totp_secret_context};
use crate::service::sessions::{ClientAttributes, Locator, SessionEngine, SessionRequest};
use crate::service::{sandbox, security_log, users};
use crate::store::totps::{NewRecoveryCode, TotpRow};

/// Seconds per code.
pub const STEP_SECONDS: u64 = 30;
/// Recovery codes per registration.
pub const RECOVERY_CODES: usize = 10;
/// Wrong codes (TOTP or recovery) per registration per window, as for passcodes.
pub const WRONG_PER_WINDOW: i64 = crate::service::otps::WRONG_GUESSES_PER_WINDOW;
/// Their window.
pub const GUESS_WINDOW_MS: i64 = crate::service::otps::GUESS_WINDOW_MS;
const DEFAULT_MINUTES: i64 = 1440;

/// A new registration, shown once.
#[derive(Debug)]
pub struct Created {
    /// Its id.
    pub totp_id: String,
    /// The seed, base32.
    pub secret: String,
    /// The `otpauth://` URI as a PNG QR code data URL.
    pub qr_code: String,
    /// The recovery codes.
    pub recovery_codes: Vec<String>,
    /// The user.
    pub user: User,
}

fn totp(secret: Vec<u8>, issuer: &str, account: &str) -> Result<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS,
        secret,
        Some(issuer.replace(':', " ")),
        account.replace(':', " "),
    )
    .map_err(|e| Error::Internal(anyhow::anyhow!("TOTP parameters refused: {e:?}")))
}

/// `data:image/png;base64,…` of `text` as a QR code (4 pixels a module, a 4-module margin).
pub fn qr_png(text: &str) -> Result<String> {
    let qr = qrcodegen::QrCode::encode_text(text, qrcodegen::QrCodeEcc::Medium)
        .map_err(|e| Error::Internal(anyhow::anyhow!("QR encoding failed: {e:?}")))?;
    let (scale, border) = (4, 4);
    let size = (qr.size() + 2 * border) * scale;
    let mut pixels = Vec::with_capacity((size * size) as usize);
    for y in 0..size {
        for x in 0..size {
            let dark = qr.get_module(x / scale - border, y / scale - border);
            pixels.push(if dark { 0u8 } else { 255u8 });
        }
    }
    let mut png_bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png_bytes, size as u32, size as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let fail = |e: png::EncodingError| Error::Internal(anyhow::anyhow!("PNG encoding: {e}"));
        let mut w = enc.write_header().map_err(fail)?;
        w.write_image_data(&pixels).map_err(fail)?;
    }
    Ok(format!(
        "data:image/png;base64,{}",
        STANDARD.encode(png_bytes)
    ))
}

fn recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rngs::OsRng;
    let group = |rng: &mut rand::rngs::OsRng| -> String {
        (0..4)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect()
    };
    format!(
        "{}-{}-{}",
        group(&mut rng),
        group(&mut rng),
        group(&mut rng)
    )
}

fn looks_like_recovery_code(s: &str) -> bool {
    s.len() == 14
        && s.split('-').count() == 3
        && s.split('-')
            .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn looks_like_totp_code(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

fn code_digest(totp_id: &str, code: &str) -> Vec<u8> {
    Digest256::of(&format!("{totp_id}:{}", code.to_ascii_lowercase()))
        .0
        .to_vec()
}

/// `totps` create: a new registration (unverified until its first code), replacing an
/// unfinished one; `active_totp_exists` when the user has a verified one.
pub async fn create(
    engine: &SessionEngine,
    project: &Project,
    user_id: &str,
    minutes: Option<i64>,
    now: Timestamp,
) -> Result<Created> {
    let minutes = minutes.unwrap_or(DEFAULT_MINUTES);
    if !(5..=1440).contains(&minutes) {
        return Err(Error::with_message(
            ErrorType::InvalidExpiration,
            "expiration_minutes must be between 5 and 1440.",
        ));
    }
    let store = engine.store();
    let sandboxed = sandbox::is_sandbox_user(project, user_id);
    if sandboxed {
        // Stytch's SDK suites enrol the sandbox user again on every run.
        sandbox::ensure(store, project).await?;
    }
    let user = users::get(store, project, user_id).await?;
    if sandboxed {
        for t in &user.totps {
            store.delete_totp(&project.project_id, &t.totp_id).await?;
        }
    } else if user.totps.iter().any(|t| t.verified) {
        return Err(Error::new(ErrorType::ActiveTotpExists));
    }
    let pid = &project.project_id;
    let totp_id = IdKind::Totp.mint(project.env);
    let mut seed = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let account = user
        .emails
        .first()
        .map(|e| e.email.as_str().to_owned())
        .or_else(|| {
            user.phone_numbers
                .first()
                .map(|p| p.phone_number.as_str().to_owned())
        })
        .unwrap_or_else(|| user.user_id.clone());
    let t = totp(seed.clone(), &project.name, &account)?;
    let secret = t.get_secret_base32();
    let qr_code = qr_png(&t.get_url())?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let key = engine.master_key();
    let row = TotpRow {
        totp_id: totp_id.clone(),
        user_id: user.user_id.clone(),
        secret_sealed: key.seal(&totp_secret_context(pid, &totp_id), &seed),
        recovery_sealed: key.seal(
            &totp_codes_context(pid, &totp_id),
            serde_json::to_string(&codes).unwrap_or_default().as_bytes(),
        ),
        verified: false,
        expires_at: now.plus_minutes(minutes).millis(),
    };
    let stored: Vec<NewRecoveryCode> = codes
        .iter()
        .map(|c| NewRecoveryCode {
            code_id: IdKind::TotpRecoveryCode.mint(project.env),
            digest: code_digest(&totp_id, c),
        })
        .collect();
    store.insert_totp(pid, &row, &stored, now).await?;
    Ok(Created {
        totp_id,
        secret,
        qr_code,
        recovery_codes: codes,
        user: users::get(store, project, &user.user_id).await?,
    })
}

/// The registration a code is checked against: the verified one, else the newest unfinished.
async fn registration(
    engine: &SessionEngine,
    project: &Project,
    user_id: &str,
    now: Timestamp,
) -> Result<(User, TotpRow)> {
    let store = engine.store();
    let user = users::get(store, project, user_id).await?;
    let rows = store.totps_of(&project.project_id, &user.user_id).await?;
    let row = match rows.iter().find(|r| r.verified) {
        Some(r) => r.clone(),
        None => {
            let r = rows
                .last()
                .cloned()
                .ok_or_else(|| Error::new(ErrorType::TotpNotFound))?;
            if r.expires_at <= now.millis() {
                return Err(Error::new(ErrorType::ExpiredTotp));
            }
            r
        }
    };
    Ok((user, row))
}

async fn check_budget(
    engine: &SessionEngine,
    project: &Project,
    totp_id: &str,
    now: Timestamp,
) -> Result<String> {
    let bucket = format!("guess:{totp_id}");
    let spent = engine
        .store()
        .events_in_window(&project.project_id, &bucket, now, GUESS_WINDOW_MS)
        .await?;
    if spent >= WRONG_PER_WINDOW {
        security_log::limit_hit(project, "totp_guesses", "totp");
        return Err(Error::new(ErrorType::TooManyRequests));
    }
    Ok(bucket)
}

/// A validated `totps/authenticate` or `totps/recover`.
#[derive(Debug)]
pub struct AuthenticateInput {
    /// The user.
    pub user_id: String,
    /// The TOTP or recovery code.
    pub code: String,
    /// Session creation or attachment.
    pub session: SessionRequest,
    /// This request's attributes.
    pub attrs: ClientAttributes,
}

/// `totps/authenticate`: a code of this step or the one either side, never one whose step
/// (or a later one) was already accepted; the first code verifies the registration.
pub async fn authenticate(
    engine: &SessionEngine,
    project: &Project,
    input: AuthenticateInput,
    now: Timestamp,
) -> Result<Authenticated> {
    let code = input.code.trim();
    if looks_like_recovery_code(code) {
        return Err(Error::new(ErrorType::RecoveryCodeUsedAsTotpCode));
    }
    if !looks_like_totp_code(code) {
        return Err(Error::new(ErrorType::InvalidTotpCode));
    }
    if sandbox::is_sandbox_user(project, &input.user_id) && code == sandbox::TOTP_CODE {
        return sandboxed(engine, project, input, FactorKind::Totp, now).await;
    }
    let (mut user, row) = registration(engine, project, &input.user_id, now).await?;
    let bucket = check_budget(engine, project, &row.totp_id, now).await?;
    factors::check_attachable(engine, project, &input.session, &user.user_id, now).await?;
    let pid = &project.project_id;
    let seed = engine
        .master_key()
        .open(&totp_secret_context(pid, &row.totp_id), &row.secret_sealed)
        .map_err(|e| Error::Internal(anyhow::anyhow!("a TOTP seed does not open: {e}")))?;
    let t = totp(seed, &project.name, "")?;
    let now_step = (now.millis().max(0) as u64 / 1000) / STEP_SECONDS;
    let mut matched = None;
    for step in [now_step - 1, now_step, now_step + 1] {
        let expected = t.generate(step * STEP_SECONDS);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
            matched = Some(step);
        }
    }
    let store = engine.store();
    let Some(step) = matched else {
        store
            .count_event(pid, &bucket, now, GUESS_WINDOW_MS)
            .await?;
        return Err(Error::new(ErrorType::UnableToAuthenticateTotp));
    };
    if !store
        .accept_totp_step(pid, &row.totp_id, step as i64)
        .await?
    {
        return Err(Error::new(ErrorType::TotpCodeAlreadyAuthenticated));
    }
    let mut enrolled = false;
    if let Some(t) = user.totps.iter_mut().find(|t| t.totp_id == row.totp_id) {
        if !t.verified {
            security_log::factor_added(project, &user.user_id, &row.totp_id);
            enrolled = true;
        }
        t.verified = true;
    }
    let factor = AuthFactor::new(
        FactorKind::Totp,
        FactorSubject::Totp {
            totp_id: row.totp_id.clone(),
        },
        now,
    );
    let who = (user, row.totp_id);
    let (req, attrs) = (input.session, &input.attrs);
    let mut done = factors::complete(engine, project, who, factor, req, attrs, now).await?;
    if enrolled {
        // The first code completes the enrolment: the user is told, like any factor added.
        done.added = Some("An authenticator app".into());
    }
    Ok(done)
}

/// `totps/recover`: one of the registration's recovery codes, once.
pub async fn recover(
    engine: &SessionEngine,
    project: &Project,
    input: AuthenticateInput,
    now: Timestamp,
) -> Result<Authenticated> {
    let code = input.code.trim().to_ascii_lowercase();
    if looks_like_totp_code(&code) {
        return Err(Error::new(ErrorType::TotpCodeUsedAsRecoveryCode));
    }
    if !looks_like_recovery_code(&code) {
        return Err(Error::new(ErrorType::InvalidRecoveryCode));
    }
    if sandbox::is_sandbox_user(project, &input.user_id) && code == sandbox::RECOVERY_CODE {
        return sandboxed(engine, project, input, FactorKind::RecoveryCode, now).await;
    }
    let (user, row) = registration(engine, project, &input.user_id, now).await?;
    let bucket = check_budget(engine, project, &row.totp_id, now).await?;
    factors::check_attachable(engine, project, &input.session, &user.user_id, now).await?;
    let pid = &project.project_id;
    let store = engine.store();
    let digest = code_digest(&row.totp_id, &code);
    let Some(code_id) = store
        .spend_recovery_code(pid, &row.totp_id, &digest, now)
        .await?
    else {
        store
            .count_event(pid, &bucket, now, GUESS_WINDOW_MS)
            .await?;
        return Err(Error::new(ErrorType::UnableToAuthenticateRecoveryCode));
    };
    let factor = AuthFactor::new(
        FactorKind::RecoveryCode,
        FactorSubject::RecoveryCode {
            totp_recovery_code_id: code_id,
        },
        now,
    );
    let who = (user, row.totp_id);
    factors::complete(
        engine,
        project,
        who,
        factor,
        input.session,
        &input.attrs,
        now,
    )
    .await
}

/// Stytch's sandbox codes for the sandbox user of a test project: always right, never spent.
async fn sandboxed(
    engine: &SessionEngine,
    project: &Project,
    input: AuthenticateInput,
    kind: FactorKind,
    now: Timestamp,
) -> Result<Authenticated> {
    let store = engine.store();
    sandbox::ensure(store, project).await?;
    let user = users::get(store, project, sandbox::USER_ID).await?;
    let totp_id = user
        .totps
        .first()
        .map(|t| t.totp_id.clone())
        .unwrap_or_else(|| sandbox::TOTP_ID.to_owned());
    let subject = match kind {
        FactorKind::Totp => FactorSubject::Totp {
            totp_id: totp_id.clone(),
        },
        _ => FactorSubject::RecoveryCode {
            totp_recovery_code_id: "totp-recovery-code-test-sandbox".into(),
        },
    };
    let factor = AuthFactor::new(kind, subject, now);
    factors::check_attachable(engine, project, &input.session, sandbox::USER_ID, now).await?;
    let who = (user, totp_id);
    factors::complete(
        engine,
        project,
        who,
        factor,
        input.session,
        &input.attrs,
        now,
    )
    .await
}

/// A registration's unused recovery codes.
#[derive(Debug)]
pub struct RecoveryCodes {
    /// The registration.
    pub totp_id: String,
    /// Completed.
    pub verified: bool,
    /// Codes not yet used.
    pub codes: Vec<String>,
}

/// `totps/recovery_codes`: every registration of the user with its unused codes.
pub async fn recovery_codes(
    engine: &SessionEngine,
    project: &Project,
    user_id: &str,
) -> Result<(User, Vec<RecoveryCodes>)> {
    let store = engine.store();
    if sandbox::is_sandbox_user(project, user_id) {
        sandbox::ensure(store, project).await?;
    }
    let user = users::get(store, project, user_id).await?;
    let pid = &project.project_id;
    let mut out = vec![];
    for row in store.totps_of(pid, &user.user_id).await? {
        let sealed = engine
            .master_key()
            .open(&totp_codes_context(pid, &row.totp_id), &row.recovery_sealed)
            .map_err(|e| Error::Internal(anyhow::anyhow!("recovery codes do not open: {e}")))?;
        let all: Vec<String> = serde_json::from_slice(&sealed)
            .map_err(|_| Error::Internal(anyhow::anyhow!("recovery codes are unreadable")))?;
        let unused = store.unused_recovery_codes(pid, &row.totp_id).await?;
        let codes = all
            .into_iter()
            .filter(|c| unused.contains(&code_digest(&row.totp_id, c)))
            .collect();
        out.push(RecoveryCodes {
            totp_id: row.totp_id,
            verified: row.verified,
            codes,
        });
    }
    Ok((user, out))
}

/// Deletes a registration by id; its user.
pub async fn delete(engine: &SessionEngine, project: &Project, totp_id: &str) -> Result<User> {
    let store = engine.store();
    let user_id = store
        .delete_totp(&project.project_id, totp_id)
        .await?
        .ok_or_else(|| Error::new(ErrorType::TotpNotFound))?;
    security_log::factor_removed(project, &user_id, totp_id, "backend");
    users::get(store, project, &user_id).await
}

/// A signed-in user deletes one of its own registrations (the frontend API), with a factor
/// proven within the project's `recent_auth_minutes`; the user as it now is.
pub async fn delete_own(
    engine: &SessionEngine,
    project: &Project,
    loc: &Locator,
    totp_id: &str,
    now: Timestamp,
) -> Result<User> {
    let owns = |u: &User| u.totps.iter().any(|t| t.totp_id == totp_id);
    factors::check_own_recent(engine, project, (loc, now), owns, ErrorType::TotpNotFound).await?;
    delete(engine, project, totp_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_their_shapes() {
        let c = recovery_code();
        assert!(looks_like_recovery_code(&c), "{c}");
        assert!(!looks_like_totp_code(&c));
        assert!(looks_like_totp_code("012345"));
        assert!(!looks_like_recovery_code("012345"));
    }

    #[test]
    fn the_qr_code_is_a_png() {
        let url = qr_png("otpauth://totp/T:a%40b.co?secret=JBSWY3DPEHPK3PXP&issuer=T").unwrap();
        let png = STANDARD
            .decode(url.strip_prefix("data:image/png;base64,").unwrap())
            .unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}
