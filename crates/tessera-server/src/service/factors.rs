//! The factor seam: what every factor family does the same way. Destinations and locales per
//! channel, finding or creating a factor's user (attaching further addresses is
//! `service::addresses`), the checks made before a single-use secret
//! is spent, and the session a successful factor creates or steps up (with the frontend API's
//! rule for a stale session token on a login call). A new factor family builds on these and
//! repeats none of them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::delivery::TextChannel;
use crate::error::{Error, ErrorType, Result};
use crate::model::session::{self, AuthFactor, FactorKind, FactorSubject};
use crate::model::user::{EmailAddress, PhoneNumber, User};
use crate::model::{Project, Timestamp};
use crate::service::sessions::{ClientAttributes, Issued, Locator, SessionEngine};
use crate::service::sessions::{SessionRequest, resolve, resolve_with_user, start_or_attach};
use crate::service::{sandbox, security_log, users};
use crate::store::Store;

/// Locales of emails (magic links and email passcodes), as Stytch accepts them.
const EMAIL_LOCALES: [&str; 4] = ["en", "es", "pt-br", "fr"];
/// Locales of SMS and WhatsApp passcodes, as Stytch accepts them.
const TEXT_LOCALES: [&str; 16] = [
    "en", "es", "pt-br", "fr", "it", "de-DE", "zh-Hans", "ca-ES", "ja", "ru", "nl", "pl", "tr",
    "fa", "vi", "cs",
];

/// Session length when a frontend login call does not say (the browser SDK always does).
pub const DEFAULT_SESSION_MINUTES: i64 = 60;

/// How a secret reaches its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// A text message.
    Sms,
    /// A WhatsApp message.
    Whatsapp,
    /// An email.
    Email,
}

impl Channel {
    /// The channel a route names (`sms`, `whatsapp`, `email`); anything else is no route.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "sms" => Ok(Channel::Sms),
            "whatsapp" => Ok(Channel::Whatsapp),
            "email" => Ok(Channel::Email),
            _ => Err(Error::new(ErrorType::RouteNotFound)),
        }
    }

    /// Checks a message locale against the ones this channel's messages exist in.
    pub fn check_locale(self, locale: Option<&str>) -> Result<()> {
        let known: &[&str] = match self {
            Channel::Email => &EMAIL_LOCALES,
            Channel::Sms | Channel::Whatsapp => &TEXT_LOCALES,
        };
        match locale {
            Some(l) if !known.contains(&l) => Err(Error::new(ErrorType::InvalidLocale)),
            _ => Ok(()),
        }
    }

    /// The destination of a send on this channel, from the request's `email` or
    /// `phone_number`.
    pub fn destination(self, email: Option<&str>, phone: Option<&str>) -> Result<Destination> {
        let text = match self {
            Channel::Email => {
                let e = email.ok_or_else(|| {
                    Error::with_message(ErrorType::InvalidEmail, "email is required.")
                })?;
                return Ok(Destination::Email(EmailAddress::parse(e)?));
            }
            Channel::Sms => TextChannel::Sms,
            Channel::Whatsapp => TextChannel::Whatsapp,
        };
        let p = phone.ok_or_else(|| {
            Error::with_message(ErrorType::InvalidPhoneNumber, "phone_number is required.")
        })?;
        Ok(Destination::Phone(text, PhoneNumber::parse(p)?))
    }
}

/// Where a secret goes: a validated address on a channel.
#[derive(Debug, Clone)]
pub enum Destination {
    /// By SMS or WhatsApp.
    Phone(TextChannel, PhoneNumber),
    /// By email.
    Email(EmailAddress),
}

impl Destination {
    /// The channel.
    pub fn channel(&self) -> Channel {
        match self {
            Destination::Phone(TextChannel::Sms, _) => Channel::Sms,
            Destination::Phone(TextChannel::Whatsapp, _) => Channel::Whatsapp,
            Destination::Email(_) => Channel::Email,
        }
    }

    /// The address, normalized.
    pub fn as_str(&self) -> &str {
        match self {
            Destination::Phone(_, p) => p.as_str(),
            Destination::Email(e) => e.as_str(),
        }
    }

    /// Whether it is one of Stytch's sandbox addresses of a test project.
    pub fn is_sandbox(&self, project: &Project) -> bool {
        match self {
            Destination::Phone(_, p) => sandbox::is_sandbox_phone(project, p.as_str()),
            Destination::Email(e) => sandbox::is_sandbox_email(project, e.as_str()),
        }
    }

    /// The error for "nobody has this address".
    pub fn not_found(&self) -> Error {
        Error::new(match self {
            Destination::Phone(..) => ErrorType::PhoneNumberNotFound,
            Destination::Email(_) => ErrorType::EmailNotFound,
        })
    }
}

/// The user who has `to` as a factor, if any. Only the backend API puts an unverified address
/// on a user (the app vouches for it); an address a user sends to for attachment stays off the
/// user until proven ([`target_on`]), so a lookup never finds somebody's unproven claim.
pub async fn owner(store: &Store, project: &Project, to: &Destination) -> Result<Option<User>> {
    let pid = &project.project_id;
    Ok(match to {
        Destination::Phone(_, p) => store.user_by_phone(pid, p.as_str()).await?,
        Destination::Email(e) => store.user_by_email(pid, e.as_str()).await?,
    })
}

/// The owner of `to`, or a new user with `to` as its only factor (made from `new`); whether it
/// was created. Two concurrent calls for a new address end with one user: the loser of the
/// store's unique key reads the winner's.
pub async fn owner_or_create(
    store: &Store,
    project: &Project,
    to: &Destination,
    new: users::NewUser,
    now: Timestamp,
) -> Result<(User, bool)> {
    match owner(store, project, to).await? {
        Some(u) => Ok((u, false)),
        None => create_owner(store, project, to, new, now).await,
    }
}

/// [`owner_or_create`] for a caller that has just found no owner: creates the user, or reads the
/// one a concurrent request created first; whether it was created here.
pub async fn create_owner(
    store: &Store,
    project: &Project,
    to: &Destination,
    mut new: users::NewUser,
    now: Timestamp,
) -> Result<(User, bool)> {
    match to {
        Destination::Phone(_, p) => new.phone_number = Some(p.clone()),
        Destination::Email(e) => new.email = Some(e.clone()),
    }
    match users::create(store, project, new, now).await {
        Ok(u) => Ok((u, true)),
        Err(e)
            if matches!(
                e.kind(),
                ErrorType::DuplicateEmail | ErrorType::DuplicatePhoneNumber
            ) =>
        {
            Ok((owner(store, project, to).await?.ok_or(e)?, false))
        }
        Err(e) => Err(e),
    }
}

/// Attribute matching an authenticate call asks for.
#[derive(Debug, Clone, Copy, Default)]
pub struct MatchOptions {
    /// IP must match the send's.
    pub ip: bool,
    /// User agent must match the send's.
    pub user_agent: bool,
}

/// Checks `opts` against the attributes captured when the secret was sent.
pub fn check_attributes(
    opts: MatchOptions,
    sent: (&str, &str),
    now: &ClientAttributes,
) -> Result<()> {
    if (opts.ip && sent.0 != now.ip_address) || (opts.user_agent && sent.1 != now.user_agent) {
        return Err(Error::new(ErrorType::AttributeMismatch));
    }
    Ok(())
}

/// Before a single-use secret is spent: a session named for attachment must be live and
/// belong to the secret's user, so a failed attachment does not waste the secret.
pub async fn check_attachable(
    engine: &SessionEngine,
    project: &Project,
    req: &SessionRequest,
    user_id: &str,
    now: Timestamp,
) -> Result<()> {
    if let Some(loc) = &req.existing {
        let s = resolve(engine, project, loc, now).await?;
        if s.user_id != user_id {
            return Err(Error::new(ErrorType::UserIdMismatch));
        }
    }
    Ok(())
}

/// A sensitive change through a session (deleting a factor) needs a factor proven in it within
/// the project's `recent_auth_minutes`, so a stolen session token alone cannot strip the account.
pub fn require_recent(project: &Project, session: &session::Session, now: Timestamp) -> Result<()> {
    let window = project.policy.recent_auth_minutes * 60_000;
    let recent = session
        .factors
        .iter()
        .any(|f| now.millis() - f.last_authenticated_at.millis() <= window);
    if recent {
        Ok(())
    } else {
        Err(Error::new(ErrorType::RecentAuthenticationRequired))
    }
}

/// Before a signed-in user deletes one of its own factors through the frontend API: the
/// session's user must own it (else `missing`) and have proven a factor recently
/// ([`require_recent`]).
pub async fn check_own_recent(
    engine: &SessionEngine,
    project: &Project,
    (loc, now): (&Locator, Timestamp),
    owns: impl Fn(&User) -> bool,
    missing: ErrorType,
) -> Result<()> {
    let (session, user) = resolve_with_user(engine, project, loc, now).await?;
    if !owns(&user) {
        return Err(Error::new(missing));
    }
    require_recent(project, &session, now)
}

/// The session entry of a factor on one of the user's emails or phone numbers.
pub fn factor_on(
    user: &User,
    kind: FactorKind,
    method_id: &str,
    now: Timestamp,
) -> Result<AuthFactor> {
    let subject = if let Some(e) = user.emails.iter().find(|e| e.email_id == method_id) {
        FactorSubject::Email {
            email_id: e.email_id.clone(),
            email_address: e.email.as_str().to_owned(),
        }
    } else if let Some(p) = user.phone_numbers.iter().find(|p| p.phone_id == method_id) {
        FactorSubject::Phone {
            phone_id: p.phone_id.clone(),
            phone_number: p.phone_number.as_str().to_owned(),
        }
    } else {
        return Err(Error::new(if method_id.starts_with("phone-number-") {
            ErrorType::PhoneNumberNotFound
        } else {
            ErrorType::EmailNotFound
        }));
    };
    Ok(AuthFactor::new(kind, subject, now))
}

/// PKCE S256 (magic links now, OAuth next): `base64url(sha256(verifier))` against the challenge
/// sent earlier, padding ignored, compared in constant time.
pub fn check_pkce(challenge: Option<&str>, verifier: Option<&str>) -> Result<()> {
    match (challenge, verifier) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(Error::new(ErrorType::PkceExpectedCodeVerifier)),
        (None, Some(_)) => Err(Error::new(ErrorType::PkceDidNotExpectCodeVerifier)),
        (Some(c), Some(v)) => {
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes()));
            let c = c.trim_end_matches('=');
            if c.len() == computed.len() && bool::from(c.as_bytes().ct_eq(computed.as_bytes())) {
                Ok(())
            } else {
                Err(Error::new(ErrorType::PkceMismatch))
            }
        }
    }
}

/// The outcome of a successful factor authentication.
#[derive(Debug)]
pub struct Authenticated {
    /// The user, its factor now verified.
    pub user: User,
    /// The email, phone or other factor id used (`""` for embeddable links).
    pub method_id: String,
    /// The session, when one was created or attached.
    pub issued: Option<Issued>,
    /// The address this authentication attached to the user (a proven pending address).
    pub added: Option<String>,
    /// The user's other sessions were revoked (a password reset).
    pub reset_sessions: bool,
}

/// Logs a factor authentication's outcome to the security log.
pub fn log_outcome(
    project: &Project,
    factor: &str,
    outcome: &Result<Authenticated>,
    attrs: &ClientAttributes,
) {
    let ip = &attrs.ip_address;
    match outcome {
        Ok(a) => {
            let session = a
                .issued
                .as_ref()
                .map(|i| (i.session.session_id.as_str(), i.created));
            security_log::login_succeeded(project, factor, &a.user.user_id, session, ip);
            metrics::counter!("tessera_logins_total", "factor" => factor.to_owned(),
                "outcome" => "success")
            .increment(1);
            if session.is_some_and(|s| s.1) {
                metrics::counter!("tessera_sessions_created_total", "factor" => factor.to_owned())
                    .increment(1);
            }
        }
        Err(e) => {
            security_log::login_failed(project, factor, e.kind().as_str(), ip);
            metrics::counter!("tessera_logins_total", "factor" => factor.to_owned(),
                "outcome" => "failure")
            .increment(1);
        }
    }
}

/// Records a failed factor authentication in the event store (`user.login_failed`).
pub async fn record_failure(
    store: &crate::store::Store,
    project: &Project,
    factor: &str,
    outcome: &Result<Authenticated>,
    attrs: &ClientAttributes,
) {
    if let Err(e) = outcome {
        let client = (attrs.ip_address.as_str(), attrs.user_agent.as_str());
        let reason = e.kind().as_str();
        crate::service::events::login_failed(store, &project.project_id, factor, reason, client)
            .await;
    }
}

/// After a factor succeeded: attaches it to the named session, or creates a session when a
/// duration is given, or neither; the answer every factor's authenticate call gives.
pub async fn complete(
    engine: &SessionEngine,
    project: &Project,
    (user, method_id): (User, String),
    factor: AuthFactor,
    req: SessionRequest,
    attrs: &ClientAttributes,
    now: Timestamp,
) -> Result<Authenticated> {
    let issued = start_or_attach(engine, project, &user, factor, req, attrs, now).await?;
    Ok(Authenticated {
        user,
        method_id,
        issued,
        added: None,
        reset_sessions: false,
    })
}

/// The session a frontend login creates or steps up: the caller's live session if it has one,
/// else a new one of the asked (or [default](DEFAULT_SESSION_MINUTES)) length. A stale or
/// unknown session token on a login call counts as no session: the user is logging in again.
pub async fn frontend_session(
    engine: &SessionEngine,
    project: &Project,
    session_token: Option<&str>,
    minutes: Option<i64>,
) -> Result<SessionRequest> {
    let minutes = minutes.map(session::parse_duration_minutes).transpose()?;
    let existing = match session_token {
        None => None,
        Some(t) => {
            let loc = Locator::Token(t.to_owned());
            match resolve_with_user(engine, project, &loc, Timestamp::now()).await {
                Ok(_) => Some(loc),
                Err(e) if e.kind() == ErrorType::SessionNotFound => None,
                Err(e) => return Err(e),
            }
        }
    };
    let duration_minutes = match (&existing, minutes) {
        (_, Some(m)) => Some(m),
        (Some(_), None) => None,
        (None, None) => Some(DEFAULT_SESSION_MINUTES),
    };
    Ok(SessionRequest {
        existing,
        duration_minutes,
        custom_claims: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(check_pkce(Some(challenge), Some(verifier)).is_ok());
        assert!(check_pkce(Some(&format!("{challenge}=")), Some(verifier)).is_ok());
        assert_eq!(
            check_pkce(Some(challenge), Some("wrong"))
                .unwrap_err()
                .kind(),
            ErrorType::PkceMismatch
        );
        assert_eq!(
            check_pkce(Some(challenge), None).unwrap_err().kind(),
            ErrorType::PkceExpectedCodeVerifier
        );
        assert_eq!(
            check_pkce(None, Some(verifier)).unwrap_err().kind(),
            ErrorType::PkceDidNotExpectCodeVerifier
        );
    }

    #[test]
    fn each_channel_checks_its_own_locales() {
        for c in [Channel::Sms, Channel::Whatsapp] {
            assert!(c.check_locale(Some("de-DE")).is_ok());
            assert!(c.check_locale(Some("zh-Hans")).is_ok());
        }
        assert_eq!(
            Channel::Email
                .check_locale(Some("de-DE"))
                .unwrap_err()
                .kind(),
            ErrorType::InvalidLocale
        );
        for c in [Channel::Sms, Channel::Whatsapp, Channel::Email] {
            assert!(c.check_locale(None).is_ok());
            assert!(c.check_locale(Some("pt-br")).is_ok());
            assert!(c.check_locale(Some("xx")).is_err());
        }
    }

    #[test]
    fn destinations_need_their_field() {
        assert!(matches!(
            Channel::Sms.destination(None, Some("+12025550123")),
            Ok(Destination::Phone(TextChannel::Sms, _))
        ));
        assert_eq!(
            Channel::Whatsapp
                .destination(Some("a@b.co"), None)
                .unwrap_err()
                .kind(),
            ErrorType::InvalidPhoneNumber
        );
        assert_eq!(
            Channel::Email.destination(None, None).unwrap_err().kind(),
            ErrorType::InvalidEmail
        );
        assert_eq!(
            Channel::parse("fax").unwrap_err().kind(),
            ErrorType::RouteNotFound
        );
    }
}
