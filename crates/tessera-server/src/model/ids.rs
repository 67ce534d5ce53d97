use std::fmt;

/// Stytch's two data universes. Every identifier carries its environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Environment {
    /// `-test-` identifiers; sandbox values are honoured.
    Test,
    /// `-live-` identifiers.
    Live,
}

impl Environment {
    /// `"test"` or `"live"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Environment::Test => "test",
            Environment::Live => "live",
        }
    }

    /// The environment a project id, secret or public token belongs to, from its prefix.
    pub fn of_credential(s: &str) -> Option<Self> {
        ["project-", "secret-", "public-token-"]
            .iter()
            .find_map(|p| s.strip_prefix(p))
            .and_then(|rest| {
                if rest.starts_with("test-") {
                    Some(Environment::Test)
                } else if rest.starts_with("live-") {
                    Some(Environment::Live)
                } else {
                    None
                }
            })
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds of prefixed identifiers Tessera mints.
#[derive(Debug, Clone, Copy)]
pub enum IdKind {
    /// `project-`
    Project,
    /// `public-token-`
    PublicToken,
    /// `request-id-`
    Request,
    /// `user-`
    User,
    /// `email-`
    Email,
    /// `phone-number-`
    PhoneNumber,
    /// `session-`
    Session,
    /// `jwk-`
    Jwk,
}

impl IdKind {
    const fn prefix(self) -> &'static str {
        match self {
            IdKind::Project => "project",
            IdKind::PublicToken => "public-token",
            IdKind::Request => "request-id",
            IdKind::User => "user",
            IdKind::Email => "email",
            IdKind::PhoneNumber => "phone-number",
            IdKind::Session => "session",
            IdKind::Jwk => "jwk",
        }
    }

    /// A fresh `<prefix>-<env>-<uuid v4>`.
    pub fn mint(self, env: Environment) -> String {
        // A v4 UUID from the thread's CSPRNG (ChaCha, seeded from the OS): ids are not secrets,
        // and asking the kernel for 16 bytes on every request id was a syscall per request.
        let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
        let mut buf = uuid::Uuid::encode_buffer();
        let id = id.hyphenated().encode_lower(&mut buf);
        let (prefix, env) = (self.prefix(), env.as_str());
        let mut s = String::with_capacity(prefix.len() + env.len() + id.len() + 2);
        s.push_str(prefix);
        s.push('-');
        s.push_str(env);
        s.push('-');
        s.push_str(id);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_prefix_and_environment() {
        let id = IdKind::PhoneNumber.mint(Environment::Live);
        assert!(id.starts_with("phone-number-live-"));
        assert_eq!(id.len(), "phone-number-live-".len() + 36);
        assert_eq!(
            Environment::of_credential("project-live-x"),
            Some(Environment::Live)
        );
        assert_eq!(
            Environment::of_credential("public-token-test-x"),
            Some(Environment::Test)
        );
        assert_eq!(Environment::of_credential("user-test-x"), None);
    }
}
