use rand::Rng;
use subtle::ConstantTimeEq;

use crate::crypto::Digest256;
use crate::delivery::Delivery;
use crate::error::{Error, ErrorType, Result};
use crate::model::session::FactorKind;
use crate::model::{Project, Timestamp};
use crate::service::addresses::{self, AttachTo};
use crate::service::factors::{self, Authenticated, Channel, Destination, MatchOptions};
use crate::service::sessions::{ClientAttributes, SessionEngine, SessionRequest};
use crate::service::{passwords, sandbox, users};
use crate::store::otps::OtpRecord;
use crate::store::users::FactorRef;

/// Wrong guesses allowed per code; the next attempt finds the code dead.
pub const MAX_ATTEMPTS: i64 = 5;
/// Wrong passcodes allowed per destination (email or phone id) per window, whatever was
/// resent: past them, every code of that destination is refused until the window ends.
pub const WRONG_GUESSES_PER_WINDOW: i64 = 10;
/// The window of [`WRONG_GUESSES_PER_WINDOW`]: one hour.
pub const GUESS_WINDOW_MS: i64 = 3_600_000;
const DEFAULT_MINUTES: i64 = 2;

/// A validated send / login_or_create.
#[derive(Debug, Clone)]
pub struct SendInput {
    /// Where.
    pub to: Destination,
    /// Code lifetime, 1..=10 minutes.
    pub minutes: Option<i64>,
    /// Sender attributes.
    pub attrs: ClientAttributes,
    /// Message locale.
    pub locale: Option<String>,
}

/// What a send answers.
#[derive(Debug)]
pub struct Sent {
    /// The user.
    pub user_id: String,
    /// The phone or email id: the `method_id` to authenticate with.
    pub method_id: String,
    /// Whether login_or_create created the user.
    pub user_created: bool,
}

fn parse_minutes(m: Option<i64>) -> Result<i64> {
    let m = m.unwrap_or(DEFAULT_MINUTES);
    if (1..=10).contains(&m) {
        Ok(m)
    } else {
        Err(Error::new(ErrorType::InvalidExpirationOtp))
    }
}

fn code_digest(method_id: &str, code: &str) -> Digest256 {
    Digest256::of(&format!("{method_id}:{code}"))
}

/// How a send finds its user.
#[derive(Debug, Clone)]
pub enum SendMode {
    /// `send`: the destination must belong to a user.
    Existing,
    /// `send` with `user_id` or a session: attach the destination to that user.
    Attach(AttachTo),
    /// `login_or_create`: create the user when the destination is new.
    LoginOrCreate {
        /// Create as pending.
        pending: bool,
    },
}

/// Sends a fresh code, replacing any earlier code of the same destination.
pub async fn send(
    (engine, delivery): (&SessionEngine, &Delivery),
    project: &Project,
    input: SendInput,
    mode: SendMode,
    now: Timestamp,
) -> Result<Sent> {
    let store = engine.store();
    let minutes = parse_minutes(input.minutes)?;
    input.to.channel().check_locale(input.locale.as_deref())?;
    let sandboxed = input.to.is_sandbox(project);
    if sandboxed && input.to.channel() == Channel::Email {
        sandbox::ensure(store, project).await?;
    }
    // The sandbox phone behaves like login_or_create even on `send`, as at Stytch.
    let mode = match mode {
        SendMode::Existing if sandboxed => SendMode::LoginOrCreate { pending: false },
        m => m,
    };
    let (user, created) = match &mode {
        SendMode::Attach(to) => (
            addresses::attach_target(engine, project, to, now).await?,
            false,
        ),
        SendMode::Existing => (
            factors::owner(store, project, &input.to)
                .await?
                .ok_or_else(|| input.to.not_found())?,
            false,
        ),
        SendMode::LoginOrCreate { pending } => {
            let new = users::NewUser {
                pending: *pending,
                ..Default::default()
            };
            factors::owner_or_create(store, project, &input.to, new, now).await?
        }
    };
    let reuse = match &mode {
        SendMode::Attach(_) => {
            let (uid, address) = (&user.user_id, input.to.as_str());
            store
                .pending_method(&project.project_id, uid, address)
                .await?
        }
        _ => None,
    };
    let (method_id, pending_address) = addresses::target_on(project, &user, &input.to, reuse);
    let code = if sandboxed {
        sandbox::OTP_CODE.to_owned()
    } else {
        format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
    };
    let record = OtpRecord {
        user_id: user.user_id.clone(),
        channel: match input.to.channel() {
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
            Channel::Email => "email",
        }
        .into(),
        code_digest: code_digest(&method_id, &code).0.to_vec(),
        attempts: 0,
        ip_address: input.attrs.ip_address.clone(),
        user_agent: input.attrs.user_agent.clone(),
        expires_at: now.plus_minutes(minutes).millis(),
        pending_address,
    };
    store
        .put_otp(&project.project_id, &method_id, &record, now)
        .await?;
    if !sandboxed {
        let text = format!(
            "{code} is your {} verification code. It expires in {minutes} minute{}.",
            project.name,
            if minutes == 1 { "" } else { "s" }
        );
        let live = project.env == crate::model::Environment::Live;
        match &input.to {
            Destination::Phone(channel, p) => {
                delivery.text(live, *channel, p.as_str(), text).await?
            }
            Destination::Email(e) => {
                delivery
                    .email(
                        live,
                        e.as_str(),
                        &format!("Your {} code: {code}", project.name),
                        text,
                    )
                    .await?
            }
        }
    }
    Ok(Sent {
        user_id: user.user_id,
        method_id,
        user_created: created,
    })
}

/// A validated `otps/authenticate`.
#[derive(Debug)]
pub struct AuthenticateInput {
    /// The phone or email id the code went to.
    pub method_id: String,
    /// Six digits.
    pub code: String,
    /// Attribute matching.
    pub options: MatchOptions,
    /// This request's attributes.
    pub attrs: ClientAttributes,
    /// Session creation or attachment.
    pub session: SessionRequest,
}

/// `otps/authenticate`: at most [`MAX_ATTEMPTS`] guesses per code, a code works once however
/// many requests race, and a success verifies the phone or email.
pub async fn authenticate(
    engine: &SessionEngine,
    project: &Project,
    input: AuthenticateInput,
    now: Timestamp,
) -> Result<Authenticated> {
    if input.code.len() != 6 || !input.code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::new(ErrorType::InvalidCode));
    }
    if !(input.method_id.starts_with("phone-number-") || input.method_id.starts_with("email-")) {
        return Err(Error::new(ErrorType::InvalidMethodId));
    }
    let store = engine.store();
    let dead = || Error::new(ErrorType::UnableToAuthOtpCode);
    let pid = &project.project_id;
    // Counting the attempt is the first write, so the limit holds under concurrency.
    let record = store
        .attempt_otp(pid, &input.method_id)
        .await?
        .ok_or_else(dead)?;
    // An attempt past the limit fails whatever its code, but does not delete the code: an
    // earlier attempt (within the limit, with the right code) may be about to spend it, and
    // must win. The code row stays until it is spent, replaced or purged at expiry.
    if record.expires_at <= now.millis() || record.attempts > MAX_ATTEMPTS {
        return Err(dead());
    }
    let digest = code_digest(&input.method_id, &input.code);
    // A pending address's budget is the address's: fresh ids for it share one budget.
    let budget = format!(
        "guess:{}",
        record
            .pending_address
            .as_deref()
            .unwrap_or(&input.method_id)
    );
    if !bool::from(digest.0[..].ct_eq(&record.code_digest)) {
        store
            .count_event(pid, &budget, now, GUESS_WINDOW_MS)
            .await?;
        return Err(Error::new(ErrorType::OtpCodeNotFound));
    }
    // Right, but the destination's guess budget is spent (over several codes, maybe): refused
    // like a dead code, so a guesser learns nothing from a late right answer.
    if store
        .events_in_window(pid, &budget, now, GUESS_WINDOW_MS)
        .await?
        >= WRONG_GUESSES_PER_WINDOW
    {
        return Err(dead());
    }
    factors::check_attributes(
        input.options,
        (&record.ip_address, &record.user_agent),
        &input.attrs,
    )?;
    factors::check_attachable(engine, project, &input.session, &record.user_id, now).await?;
    if !store.delete_otp(pid, &input.method_id, digest).await? {
        return Err(dead());
    }
    let factor_ref = if input.method_id.starts_with("email-") {
        FactorRef::Email(input.method_id.clone())
    } else {
        FactorRef::Phone(input.method_id.clone())
    };
    let kind = match (&factor_ref, record.channel.as_str()) {
        (FactorRef::Email(_), _) => FactorKind::OtpEmail,
        (FactorRef::Phone(_), "whatsapp") => FactorKind::OtpWhatsapp,
        (FactorRef::Phone(_), _) => FactorKind::OtpSms,
    };
    if let Some(address) = &record.pending_address {
        let proven = (
            record.user_id.as_str(),
            input.method_id.as_str(),
            address.as_str(),
        );
        let (req, attrs) = (input.session, &input.attrs);
        return addresses::complete_proven(engine, project, proven, kind, req, attrs, now).await;
    }
    let mut user = users::get(store, project, &record.user_id).await?;
    if let FactorRef::Email(email_id) = &factor_ref {
        passwords::after_email_proven(store, project, &mut user, email_id).await?;
    }
    let activate = user.activates_on_verify();
    store
        .verify_factor(pid, &record.user_id, &factor_ref, activate)
        .await?;
    user.mark_verified(&input.method_id);
    let factor = factors::factor_on(&user, kind, &input.method_id, now)?;
    let who = (user, input.method_id);
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
