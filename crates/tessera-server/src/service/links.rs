use crate::error::{Error, ErrorType, Result};
use crate::model::Project;

/// Which link a user gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// An active user logging in.
    Login,
    /// A new or pending user.
    Signup,
    /// An invited user.
    Invite,
    /// Handed to the caller, not emailed.
    Embedded,
}

impl LinkKind {
    /// `login`, `signup`, `invite` or `embedded`.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Login => "login",
            LinkKind::Signup => "signup",
            LinkKind::Invite => "invite",
            LinkKind::Embedded => "embedded",
        }
    }
}

/// The redirect URL a link points to: the given one if the project allows it, else the
/// project's first.
pub fn redirect_url(project: &Project, given: Option<&str>, kind: LinkKind) -> Result<String> {
    match given {
        Some(u) => {
            let parsed =
                url::Url::parse(u).map_err(|_| Error::new(ErrorType::InvalidMagicLinkUrl))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(Error::new(ErrorType::InvalidMagicLinkUrl));
            }
            if project.redirect_urls.iter().any(|allowed| allowed == u) {
                Ok(u.to_owned())
            } else {
                Err(Error::new(ErrorType::NoMatchForProvidedMagicLinkUrl))
            }
        }
        None => project.redirect_urls.first().cloned().ok_or_else(|| {
            Error::new(match kind {
                LinkKind::Signup => ErrorType::NoSignupRedirectUrlsSet,
                LinkKind::Invite => ErrorType::NoInviteRedirectUrlsSet,
                _ => ErrorType::NoLoginRedirectUrlsSet,
            })
        }),
    }
}

/// `<redirect>?stytch_token_type=<kind>&token=<token>` (magic links, password resets).
pub fn typed_link(redirect: &str, kind: &str, token: &str) -> String {
    let mut u = url::Url::parse(redirect).expect("redirect URLs are checked");
    u.query_pairs_mut()
        .append_pair("stytch_token_type", kind)
        .append_pair("token", token);
    u.into()
}
