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
    /// `password-`
    Password,
    /// `totp-`
    Totp,
    /// `totp-recovery-code-`
    TotpRecoveryCode,
    /// `oauth-user-registration-`
    OauthRegistration,
    /// `webauthn-registration-`
    WebauthnRegistration,
    /// `crypto-wallet-`
    CryptoWallet,
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
            IdKind::OauthRegistration => "oauth-user-registration",
            IdKind::Jwk => "jwk",
            IdKind::Password => "password",
            IdKind::Totp => "totp",
            IdKind::TotpRecoveryCode => "totp-recovery-code",
            IdKind::WebauthnRegistration => "webauthn-registration",
            IdKind::CryptoWallet => "crypto-wallet",
        }
    }

    /// A fresh `<prefix>-<env>-<uuid>`: a v7 UUID (time-ordered) for the rows that accumulate
    /// (users, their emails and phones, sessions), a v4 UUID for the rest.
    pub fn mint(self, env: Environment) -> String {
        // Random bits from the thread's CSPRNG (ChaCha, seeded from the OS): ids are not
        // secrets, and asking the kernel for 16 bytes on every request id was a syscall per
        // request. A time-ordered id lands next to the last one in its table's primary-key
        // index instead of on a random page: on a large SQLite database, each new session
        // otherwise dirtied one more random page for the WAL and its checkpoint to copy.
        // Creation times are not hidden by it: every such object shows its own.
        let id = match self {
            IdKind::User | IdKind::Email | IdKind::PhoneNumber | IdKind::Session => {
                let millis = crate::model::Timestamp::now().millis().max(0) as u64;
                uuid::Builder::from_unix_timestamp_millis(millis, &rand::random()).into_uuid()
            }
            _ => uuid::Builder::from_random_bytes(rand::random()).into_uuid(),
        };
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
    fn stored_ids_are_time_ordered() {
        let a = IdKind::Session.mint(Environment::Test);
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = IdKind::Session.mint(Environment::Test);
        assert!(a < b, "{a} then {b}");
        let u = uuid::Uuid::parse_str(&b["session-test-".len()..]).unwrap();
        assert_eq!(u.get_version_num(), 7);
        let r = IdKind::Request.mint(Environment::Test);
        let r = uuid::Uuid::parse_str(&r["request-id-test-".len()..]).unwrap();
        assert_eq!(r.get_version_num(), 4);
    }

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
