//! A user's devices: their live sessions, each user agent made readable, and logging out the
//! others.

use crate::error::Result;
use crate::model::event::EndReason;
use crate::model::session::Session;
use crate::model::{Project, Timestamp};
use crate::service::sessions::{self, Locator, SessionEngine};

/// A user agent, readable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Described {
    /// "Chrome 131"; "" when unknown.
    pub browser: String,
    /// "Mac OSX 10.15.7"; "" when unknown.
    pub os: String,
    /// `pc`, `smartphone`, `mobilephone`, `crawler`, `appliance`, `misc` (tools such as curl);
    /// "" when unknown.
    pub device: String,
}

/// Reads a user agent (woothee's patterns).
pub fn describe(user_agent: &str) -> Described {
    let Some(r) = woothee::parser::Parser::new().parse(user_agent) else {
        return Described::default();
    };
    let known = |s: &str| {
        if s == "UNKNOWN" {
            String::new()
        } else {
            s.to_owned()
        }
    };
    let with_version = |name: &str, v: &str| match (known(name), known(v)) {
        (n, _) if n.is_empty() => String::new(),
        (n, v) if v.is_empty() => n,
        (n, v) => format!("{n} {v}"),
    };
    Described {
        browser: with_version(r.name, r.version),
        os: with_version(r.os, &r.os_version),
        device: known(r.category),
    }
}

/// The live sessions of the user whose session `loc` names, newest first, and that session's
/// id.
pub async fn list(
    engine: &SessionEngine,
    project: &Project,
    loc: &Locator,
    now: Timestamp,
) -> Result<(String, Vec<Session>)> {
    let current = sessions::resolve(engine, project, loc, now).await?;
    let all = engine
        .store()
        .sessions_of_user(&project.project_id, &current.user_id, now)
        .await?;
    Ok((current.session_id, all))
}

/// Logs out every other session of the user whose session `loc` names; how many.
pub async fn revoke_others(
    engine: &SessionEngine,
    project: &Project,
    loc: &Locator,
    now: Timestamp,
) -> Result<usize> {
    let current = sessions::resolve(engine, project, loc, now).await?;
    let mine = (current.user_id.as_str(), Some(current.session_id.as_str()));
    sessions::revoke_others(engine, project, mine, EndReason::RevokedByUser, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_read_as_people_say_them() {
        let d = describe(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
             (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        );
        assert_eq!(d.browser, "Chrome 131.0.0.0");
        assert!(d.os.starts_with("Mac OSX"), "{d:?}");
        assert_eq!(d.device, "pc");
        let phone = describe(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
             (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
        );
        assert_eq!(phone.device, "smartphone");
        assert_eq!(describe(""), Described::default());
        assert_eq!(describe("curl/8.5.0").device, "misc");
    }
}
