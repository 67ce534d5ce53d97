use rand::Rng;
use subtle::ConstantTimeEq;

use crate::crypto::Digest256;
use crate::delivery::TextChannel;
use crate::error::{Error, ErrorType, Result};
use crate::model::ids::IdKind;
use crate::model::session::{AuthFactor, FactorKind, FactorSubject};
use crate::model::user::{EmailAddress, PhoneFactor, PhoneNumber, User};
use crate::model::{Project, Timestamp};
use crate::service::magic_links::{
    self, AttachTo, Authenticated, MatchOptions, check_attributes, ensure_email_on,
};
use crate::service::sessions::{self, ClientAttributes, SessionRequest};
use crate::service::{sandbox, users};
use crate::state::AppState;
use crate::store::otps::OtpRecord;
use crate::store::users::{FactorRef, NewFactor};

/// Wrong guesses allowed per code; the next attempt finds the code dead.
pub const MAX_ATTEMPTS: i64 = 5;
const DEFAULT_MINUTES: i64 = 2;
const SMS_LOCALES: [&str; 16] = [
    "en", "es", "pt-br", "fr", "it", "de-DE", "zh-Hans", "ca-ES", "ja", "ru", "nl", "pl", "tr",
    "fa", "vi", "cs",
];

/// Where a passcode goes.
#[derive(Debug, Clone)]
pub enum Destination {
    /// By SMS or WhatsApp.
    Phone(TextChannel, PhoneNumber),
    /// By email.
    Email(EmailAddress),
}

impl Destination {
    fn channel(&self) -> &'static str {
        match self {
            Destination::Phone(TextChannel::Sms, _) => "sms",
            Destination::Phone(TextChannel::Whatsapp, _) => "whatsapp",
            Destination::Email(_) => "email",
        }
    }

    fn is_sandbox(&self, project: &Project) -> bool {
        match self {
            Destination::Phone(_, p) => sandbox::is_sandbox_phone(project, p.as_str()),
            Destination::Email(e) => sandbox::is_sandbox_email(project, e.as_str()),
        }
    }
}

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

fn check_locale(to: &Destination, locale: Option<&str>) -> Result<()> {
    match (to, locale) {
        (Destination::Email(_), l) => magic_links::parse_locale(l),
        (_, Some(l)) if !SMS_LOCALES.contains(&l) => Err(Error::new(ErrorType::InvalidLocale)),
        _ => Ok(()),
    }
}

fn code_digest(method_id: &str, code: &str) -> Digest256 {
    Digest256::of(&format!("{method_id}:{code}"))
}

/// Finds the phone on `user`, attaching it (unverified) when it is new to the user.
async fn ensure_phone_on(
    app: &AppState,
    project: &Project,
    user: User,
    phone: &PhoneNumber,
    now: Timestamp,
) -> Result<(User, String)> {
    if let Some(p) = user.phone_numbers.iter().find(|p| &p.phone_number == phone) {
        let id = p.phone_id.clone();
        return Ok((user, id));
    }
    let factor = PhoneFactor {
        phone_id: IdKind::PhoneNumber.mint(project.env),
        phone_number: phone.clone(),
        verified: false,
    };
    app.store
        .add_factor(
            &project.project_id,
            &user.user_id,
            &NewFactor::Phone(factor.clone()),
            now,
        )
        .await?;
    let user = users::get(&app.store, project, &user.user_id).await?;
    Ok((user, factor.phone_id))
}

async fn find_owner(app: &AppState, project: &Project, to: &Destination) -> Result<Option<User>> {
    Ok(match to {
        Destination::Phone(_, p) => {
            app.store
                .user_by_phone(&project.project_id, p.as_str())
                .await?
        }
        Destination::Email(e) => {
            app.store
                .user_by_email(&project.project_id, e.as_str())
                .await?
        }
    })
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
    app: &AppState,
    project: &Project,
    input: SendInput,
    mode: SendMode,
    now: Timestamp,
) -> Result<Sent> {
    let minutes = parse_minutes(input.minutes)?;
    check_locale(&input.to, input.locale.as_deref())?;
    let sandboxed = input.to.is_sandbox(project);
    if sandboxed && matches!(input.to, Destination::Email(_)) {
        sandbox::ensure(&app.store, project).await?;
    }
    // The sandbox phone behaves like login_or_create even on `send`, as at Stytch.
    let mode = match mode {
        SendMode::Existing if sandboxed => SendMode::LoginOrCreate { pending: false },
        m => m,
    };
    let (user, created) = match (&mode, find_owner(app, project, &input.to).await?) {
        (SendMode::Attach(to), _) => (
            magic_links::attach_target(app, project, to, now).await?,
            false,
        ),
        (_, Some(u)) => (u, false),
        (SendMode::Existing, None) => {
            return Err(Error::new(match input.to {
                Destination::Phone(..) => ErrorType::PhoneNumberNotFound,
                Destination::Email(_) => ErrorType::EmailNotFound,
            }));
        }
        (SendMode::LoginOrCreate { pending }, None) => {
            let mut new_user = users::NewUser {
                pending: *pending,
                ..Default::default()
            };
            match &input.to {
                Destination::Phone(_, p) => new_user.phone_number = Some(p.clone()),
                Destination::Email(e) => new_user.email = Some(e.clone()),
            }
            match users::create(&app.store, project, new_user, now).await {
                Ok(u) => (u, true),
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorType::DuplicateEmail | ErrorType::DuplicatePhoneNumber
                    ) =>
                {
                    (find_owner(app, project, &input.to).await?.ok_or(e)?, false)
                }
                Err(e) => return Err(e),
            }
        }
    };
    let (user, method_id) = match &input.to {
        Destination::Phone(_, p) => ensure_phone_on(app, project, user, p, now).await?,
        Destination::Email(e) => {
            let (u, f) = ensure_email_on(app, project, user, e, now).await?;
            (u, f.email_id)
        }
    };
    let code = if sandboxed {
        sandbox::OTP_CODE.to_owned()
    } else {
        format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
    };
    let record = OtpRecord {
        user_id: user.user_id.clone(),
        channel: input.to.channel().into(),
        code_digest: code_digest(&method_id, &code).0.to_vec(),
        attempts: 0,
        ip_address: input.attrs.ip_address.clone(),
        user_agent: input.attrs.user_agent.clone(),
        expires_at: now.plus_minutes(minutes).millis(),
    };
    app.store
        .put_otp(&project.project_id, &method_id, &record, now)
        .await?;
    if !sandboxed {
        let text = format!(
            "{code} is your {} verification code. It expires in {minutes} minute{}.",
            project.name,
            if minutes == 1 { "" } else { "s" }
        );
        match &input.to {
            Destination::Phone(channel, p) => app.delivery.text(*channel, p.as_str(), text).await?,
            Destination::Email(e) => {
                app.delivery
                    .email(
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
    app: &AppState,
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
    let dead = || Error::new(ErrorType::UnableToAuthOtpCode);
    let pid = &project.project_id;
    // Counting the attempt is the first write, so the limit holds under concurrency.
    let record = app
        .store
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
    if !bool::from(digest.0[..].ct_eq(&record.code_digest)) {
        return Err(Error::new(ErrorType::OtpCodeNotFound));
    }
    check_attributes(
        input.options,
        (&record.ip_address, &record.user_agent),
        &input.attrs,
    )?;
    if let Some(loc) = &input.session.existing {
        let s = sessions::resolve(app, project, loc, now).await?;
        if s.user_id != record.user_id {
            return Err(Error::new(ErrorType::UserIdMismatch));
        }
    }
    if !app.store.delete_otp(pid, &input.method_id, digest).await? {
        return Err(dead());
    }
    let factor_ref = if input.method_id.starts_with("email-") {
        FactorRef::Email(input.method_id.clone())
    } else {
        FactorRef::Phone(input.method_id.clone())
    };
    app.store
        .verify_factor(pid, &record.user_id, &factor_ref)
        .await?;
    let user = users::get(&app.store, project, &record.user_id).await?;
    let (kind, subject) = match &factor_ref {
        FactorRef::Email(id) => (
            FactorKind::OtpEmail,
            FactorSubject::Email {
                email_id: id.clone(),
                email_address: user
                    .emails
                    .iter()
                    .find(|e| &e.email_id == id)
                    .map(|e| e.email.as_str().to_owned())
                    .ok_or_else(|| Error::new(ErrorType::EmailNotFound))?,
            },
        ),
        FactorRef::Phone(id) => (
            if record.channel == "whatsapp" {
                FactorKind::OtpWhatsapp
            } else {
                FactorKind::OtpSms
            },
            FactorSubject::Phone {
                phone_id: id.clone(),
                phone_number: user
                    .phone_numbers
                    .iter()
                    .find(|p| &p.phone_id == id)
                    .map(|p| p.phone_number.as_str().to_owned())
                    .ok_or_else(|| Error::new(ErrorType::PhoneNumberNotFound))?,
            },
        ),
    };
    let factor = AuthFactor::new(kind, subject, now);
    let issued = sessions::start_or_attach(
        app,
        project,
        &user,
        factor,
        input.session,
        &input.attrs,
        now,
    )
    .await?;
    Ok(Authenticated {
        user,
        method_id: input.method_id,
        issued,
    })
}
