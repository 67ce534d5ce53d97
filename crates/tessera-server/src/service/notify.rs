//! Security notifications to a user's verified addresses (email, else SMS): a factor added or
//! removed, a password changed, and, when the project asks for it, every new sign-in. Best effort: a failed
//! notification is logged and never fails the request that caused it.

use crate::delivery::{Delivery, TextChannel};
use crate::model::user::User;
use crate::model::{Environment, Project};
use crate::service::factors::Authenticated;
use crate::service::sessions::ClientAttributes;

/// What the user is told.
#[derive(Debug, Clone, Copy)]
pub enum Notice<'a> {
    /// An email address or phone number was added to the account.
    FactorAdded(&'a str),
    /// One was removed.
    FactorRemoved(&'a str),
    /// A new session was started.
    SignIn(&'a ClientAttributes),
    /// The password was changed (a reset) and the other sessions ended.
    PasswordChanged,
}

impl Notice<'_> {
    fn text(&self, project: &str) -> (String, String) {
        let footer = "If this was not you, secure your account now: sign in, review its email \
                      addresses and phone numbers, and log out other sessions.";
        match self {
            Notice::FactorAdded(what) => (
                format!("{project}: {what} was added to your account"),
                format!(
                    "{what} can now be used to sign in to your {project} account.\n\n{footer}\n"
                ),
            ),
            Notice::FactorRemoved(what) => (
                format!("{project}: {what} was removed from your account"),
                format!(
                    "{what} can no longer be used to sign in to your {project} account.\n\n{footer}\n"
                ),
            ),
            Notice::PasswordChanged => (
                format!("{project}: your password was changed"),
                format!(
                    "The password of your {project} account was changed, and every other session \
                     of the account was logged out.\n\n{footer}\n"
                ),
            ),
            Notice::SignIn(attrs) => (
                format!("{project}: new sign-in to your account"),
                format!(
                    "Someone signed in to your {project} account.\n\nIP address: {}\nBrowser: {}\n\n{footer}\n",
                    none_if_empty(&attrs.ip_address),
                    none_if_empty(&attrs.user_agent)
                ),
            ),
        }
    }
}

fn none_if_empty(s: &str) -> &str {
    if s.is_empty() { "unknown" } else { s }
}

/// Tells `user` what happened: by email at every verified email address it has, or, when it
/// has none, by SMS at its verified phone numbers; never at the address the notice is about
/// when it was just added (whoever added it knows), while `also` (a removed address or
/// number) is told too.
pub async fn tell(
    delivery: &Delivery,
    project: &Project,
    user: &User,
    notice: Notice<'_>,
    also: Option<&str>,
) {
    let added = match notice {
        Notice::FactorAdded(a) => Some(a),
        _ => None,
    };
    let mut emails: Vec<&str> = user
        .emails
        .iter()
        .filter(|e| e.verified && Some(e.email.as_str()) != added)
        .map(|e| e.email.as_str())
        .collect();
    let mut phones: Vec<&str> = if emails.is_empty() {
        user.phone_numbers
            .iter()
            .filter(|p| p.verified && Some(p.phone_number.as_str()) != added)
            .map(|p| p.phone_number.as_str())
            .collect()
    } else {
        Vec::new()
    };
    match also {
        Some(a) if a.contains('@') && !emails.contains(&a) => emails.push(a),
        Some(a) if a.starts_with('+') && !phones.contains(&a) => phones.push(a),
        _ => {}
    }
    let (subject, body) = notice.text(&project.name);
    let live = project.env == Environment::Live;
    let failed = |e: crate::error::Error| {
        tracing::warn!(
            project_id = %project.project_id,
            user_id = %user.user_id,
            error = %e,
            "security notification not delivered"
        );
    };
    for address in emails {
        if let Err(e) = delivery.email(live, address, &subject, body.clone()).await {
            failed(e);
        }
    }
    for number in phones {
        let text = format!("{subject}. If this was not you, secure your account now.");
        if let Err(e) = delivery.text(live, TextChannel::Sms, number, text).await {
            failed(e);
        }
    }
}

/// After a factor authenticated: tells the user of a factor it attached (an address, an
/// authenticator app), of a password reset, and of the sign-in when the project asks for
/// sign-in notices.
pub async fn after_factor(
    delivery: &Delivery,
    project: &Project,
    a: &Authenticated,
    attrs: &ClientAttributes,
) {
    if let Some(added) = &a.added {
        tell(delivery, project, &a.user, Notice::FactorAdded(added), None).await;
    }
    if a.reset_sessions {
        tell(delivery, project, &a.user, Notice::PasswordChanged, None).await;
    }
    let signed_in = a.issued.as_ref().is_some_and(|i| i.created);
    if signed_in && project.policy.notify_sign_in {
        tell(delivery, project, &a.user, Notice::SignIn(attrs), None).await;
    }
}
