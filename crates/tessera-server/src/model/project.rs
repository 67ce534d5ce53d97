use super::{Environment, Timestamp};

/// A project: one tenant with its own users, sessions, keys and settings.
#[derive(Debug, Clone)]
pub struct Project {
    /// `project-test-<uuid>`.
    pub project_id: String,
    /// Display name.
    pub name: String,
    /// Test or live.
    pub env: Environment,
    /// `public-token-test-<uuid>`: identifies the project to browser SDKs; grants nothing alone.
    pub public_token: String,
    /// Allowed magic-link and OAuth redirect URLs.
    pub redirect_urls: Vec<String>,
    /// Origins allowed to call the frontend API.
    pub authorized_origins: Vec<String>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Session lifetimes and what sensitive changes need.
    pub policy: ProjectPolicy,
}

/// A project's security policy (Tessera extensions to Stytch's project settings).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProjectPolicy {
    /// A session not authenticated for this long is dead.
    pub session_idle_timeout_minutes: Option<i64>,
    /// No session lives past `started_at` plus this; extensions are capped there.
    pub session_max_lifetime_minutes: Option<i64>,
    /// Deleting a factor or changing the primary one through the frontend API needs a factor
    /// authenticated within this many minutes.
    pub recent_auth_minutes: i64,
    /// Email the user's verified address on every new sign-in.
    pub notify_sign_in: bool,
    /// Rate limits of the frontend API.
    pub limits: RateLimits,
    /// What a password must be.
    pub passwords: PasswordPolicy,
    /// Where browsers keep the session: readable by script, or in HttpOnly cookies.
    pub cookies: CookiePolicy,
    /// Impersonation and session import.
    pub identity: IdentityPolicy,
    /// How many days events are kept; none: the server's `--event-retention-days`.
    pub event_retention_days: Option<i64>,
    /// How the hosted login page shows the project.
    pub branding: Branding,
}

/// The hosted login page's logo and colours (its title is the project's name).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Branding {
    /// An `https` image URL shown above the form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    /// `#rrggbb`: the primary buttons and focus rings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_color: Option<String>,
    /// `#rrggbb`: the page behind the form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background_color: Option<String>,
}

impl Branding {
    fn with(mut self, change: &PolicyChange) -> Result<Self, String> {
        for (given, slot, name) in [
            (
                &change.brand_primary_color,
                &mut self.primary_color,
                "primary",
            ),
            (
                &change.brand_background_color,
                &mut self.background_color,
                "background",
            ),
        ] {
            match given.as_deref() {
                None => {}
                Some("") => *slot = None,
                Some(c) if colour_ok(c) => *slot = Some(c.to_ascii_lowercase()),
                Some(c) => return Err(format!("the {name} colour must be #rrggbb, not {c:?}")),
            }
        }
        match change.brand_logo_url.as_deref() {
            None => {}
            Some("") => self.logo_url = None,
            Some(u) => match url::Url::parse(u) {
                Ok(parsed) if parsed.scheme() == "https" && u.len() <= 2048 => {
                    self.logo_url = Some(u.to_owned())
                }
                _ => return Err(format!("the logo URL must be an https URL, not {u:?}")),
            },
        }
        Ok(self)
    }
}

/// `#` and six hexadecimal digits: nothing else reaches the page's CSS.
fn colour_ok(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

impl Default for ProjectPolicy {
    fn default() -> Self {
        ProjectPolicy {
            session_idle_timeout_minutes: None,
            session_max_lifetime_minutes: None,
            recent_auth_minutes: 10,
            notify_sign_in: false,
            limits: RateLimits::default(),
            passwords: PasswordPolicy::default(),
            cookies: CookiePolicy::default(),
            identity: IdentityPolicy::default(),
            event_retention_days: None,
            branding: Branding::default(),
        }
    }
}

/// How a password's strength is judged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StrengthPolicy {
    /// zxcvbn's estimate must score at least 3 of 4.
    #[default]
    Zxcvbn,
    /// A minimum length and a number of character classes (lower, upper, digit, symbol).
    Luds,
}

impl StrengthPolicy {
    /// `zxcvbn` or `luds`.
    pub const fn as_str(self) -> &'static str {
        match self {
            StrengthPolicy::Zxcvbn => "zxcvbn",
            StrengthPolicy::Luds => "luds",
        }
    }
}

/// A project's password policy, as Stytch's dashboard sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PasswordPolicy {
    /// zxcvbn (the default) or LUDS.
    pub strength: StrengthPolicy,
    /// LUDS: the minimum length, 8..=32.
    pub luds_min_length: u32,
    /// LUDS: how many of the four character classes, 1..=4.
    pub luds_complexity: u32,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            strength: StrengthPolicy::Zxcvbn,
            luds_min_length: 8,
            luds_complexity: 3,
        }
    }
}

/// Rate limits of the frontend API, where the caller is a public page: what it can make the
/// server send, and how often one client may try a factor. Counted in the database, so they
/// hold across instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RateLimits {
    /// Links and codes per email address or phone number per 10 minutes.
    pub send_per_destination: u32,
    /// Links and codes per client IP per 10 minutes.
    pub send_per_ip: u32,
    /// Links and codes per project per hour (what a public page can cost its owner).
    pub send_per_project: u32,
    /// Factor authentication attempts (`magic_links/authenticate`, `otps/authenticate`, …) per
    /// client IP per 10 minutes.
    pub authenticate_per_ip: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            send_per_destination: 5,
            send_per_ip: 30,
            send_per_project: 1000,
            authenticate_per_ip: 60,
        }
    }
}

/// Who holds a browser's session tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CookieMode {
    /// The browser SDK keeps them where script can read them (cookies on the app's origin or
    /// `localStorage`), as Stytch's SDK does by default.
    #[default]
    Readable,
    /// The frontend API sets them as `HttpOnly; Secure; SameSite=Lax` cookies, accepts them in
    /// place of the Basic secret and leaves them out of its JSON: no script ever sees them.
    Httponly,
}

impl CookieMode {
    /// `readable` or `httponly`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CookieMode::Readable => "readable",
            CookieMode::Httponly => "httponly",
        }
    }
}

/// How the frontend API hands sessions to browsers.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct CookiePolicy {
    /// Readable tokens (the default) or HttpOnly cookies.
    pub mode: CookieMode,
    /// The `Domain` of the HttpOnly cookies (say `example.com`, so that `app.example.com`'s
    /// backend receives them too); none: host-only cookies of Tessera's own host.
    pub domain: Option<String>,
}

/// Impersonation and session import.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct IdentityPolicy {
    /// Administrators may mint impersonation tokens (the default; every one is logged).
    pub impersonation: bool,
    /// The other identity provider's userinfo URL that `sessions/migrate` calls.
    pub migrate_userinfo_url: Option<String>,
    /// The WebAuthn relying-party ids (and Sign-In with Ethereum domains) the project accepts;
    /// empty: the host names of its authorized origins.
    pub webauthn_domains: Vec<String>,
    /// Browser logins with an Ethereum wallet must use Sign-In with Ethereum (bootstrap's
    /// `siwe_required_for_crypto_wallets`, which makes Stytch's SDK send `siwe_params`).
    pub siwe_required: bool,
}

impl Default for IdentityPolicy {
    fn default() -> Self {
        IdentityPolicy {
            impersonation: true,
            migrate_userinfo_url: None,
            webauthn_domains: vec![],
            siwe_required: false,
        }
    }
}

/// Whether `d` is a plain DNS name a cookie's `Domain` may hold (no scheme, port or path).
fn cookie_domain_ok(d: &str) -> bool {
    d.len() <= 253
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// A change of policy: the fields given are set (a limit of 0 removes it), the others kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PolicyChange {
    /// See [`ProjectPolicy::session_idle_timeout_minutes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_idle_timeout_minutes: Option<i64>,
    /// See [`ProjectPolicy::session_max_lifetime_minutes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_max_lifetime_minutes: Option<i64>,
    /// See [`ProjectPolicy::recent_auth_minutes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recent_auth_minutes: Option<i64>,
    /// See [`ProjectPolicy::notify_sign_in`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_sign_in: Option<bool>,
    /// See [`RateLimits::send_per_destination`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_per_destination: Option<u32>,
    /// See [`RateLimits::send_per_ip`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_per_ip: Option<u32>,
    /// See [`RateLimits::send_per_project`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_per_project: Option<u32>,
    /// See [`RateLimits::authenticate_per_ip`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticate_per_ip: Option<u32>,
    /// See [`PasswordPolicy::strength`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_strength: Option<StrengthPolicy>,
    /// See [`PasswordPolicy::luds_min_length`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub luds_min_length: Option<u32>,
    /// See [`PasswordPolicy::luds_complexity`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub luds_complexity: Option<u32>,
    /// See [`CookiePolicy::mode`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie_mode: Option<CookieMode>,
    /// See [`CookiePolicy::domain`]; an empty string removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie_domain: Option<String>,
    /// See [`IdentityPolicy::impersonation`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impersonation: Option<bool>,
    /// See [`IdentityPolicy::migrate_userinfo_url`]; an empty string removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrate_userinfo_url: Option<String>,
    /// See [`IdentityPolicy::webauthn_domains`]; an empty list returns to the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webauthn_domains: Option<Vec<String>>,
    /// See [`IdentityPolicy::siwe_required`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siwe_required: Option<bool>,
    /// See [`ProjectPolicy::event_retention_days`]; 0 returns to the server's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_retention_days: Option<i64>,
    /// See [`Branding::logo_url`]; an empty string removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_logo_url: Option<String>,
    /// See [`Branding::primary_color`]; an empty string removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_primary_color: Option<String>,
    /// See [`Branding::background_color`]; an empty string removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_background_color: Option<String>,
}

impl ProjectPolicy {
    /// This policy with `change` applied; a negative or absurd value is refused.
    pub fn with(self, change: PolicyChange) -> Result<Self, String> {
        const YEAR: i64 = 366 * 24 * 60;
        let limit = |name: &str, v: i64| {
            if (0..=YEAR * 10).contains(&v) {
                Ok((v > 0).then_some(v))
            } else {
                Err(format!(
                    "{name} must be between 0 (no limit) and {}",
                    YEAR * 10
                ))
            }
        };
        let mut p = self;
        p.branding = p.branding.with(&change)?;
        if let Some(v) = change.session_idle_timeout_minutes {
            p.session_idle_timeout_minutes = limit("session idle timeout", v)?;
        }
        if let Some(v) = change.session_max_lifetime_minutes {
            p.session_max_lifetime_minutes = limit("session max lifetime", v)?;
        }
        if let Some(v) = change.recent_auth_minutes {
            if !(1..=YEAR).contains(&v) {
                return Err(format!("recent auth minutes must be between 1 and {YEAR}"));
            }
            p.recent_auth_minutes = v;
        }
        if let Some(v) = change.notify_sign_in {
            p.notify_sign_in = v;
        }
        if let Some(v) = change.event_retention_days {
            if v != 0 && !(2..=3660).contains(&v) {
                return Err(
                    "event retention days must be between 2 and 3660 (0: the server's default)"
                        .into(),
                );
            }
            p.event_retention_days = (v > 0).then_some(v);
        }
        let l = &mut p.limits;
        for (given, slot) in [
            (change.send_per_destination, &mut l.send_per_destination),
            (change.send_per_ip, &mut l.send_per_ip),
            (change.send_per_project, &mut l.send_per_project),
            (change.authenticate_per_ip, &mut l.authenticate_per_ip),
        ] {
            if let Some(v) = given {
                if v == 0 {
                    return Err("a rate limit must be at least 1".into());
                }
                *slot = v;
            }
        }
        if let Some(v) = change.password_strength {
            p.passwords.strength = v;
        }
        if let Some(v) = change.luds_min_length {
            if !(8..=32).contains(&v) {
                return Err("the LUDS minimum length must be between 8 and 32".into());
            }
            p.passwords.luds_min_length = v;
        }
        if let Some(v) = change.luds_complexity {
            if !(1..=4).contains(&v) {
                return Err("the LUDS complexity must be between 1 and 4".into());
            }
            p.passwords.luds_complexity = v;
        }
        if let Some(v) = change.cookie_mode {
            p.cookies.mode = v;
        }
        if let Some(d) = change.cookie_domain {
            let d = d.trim_start_matches('.').to_ascii_lowercase();
            if d.is_empty() {
                p.cookies.domain = None;
            } else if cookie_domain_ok(&d) {
                p.cookies.domain = Some(d);
            } else {
                return Err(format!(
                    "the cookie domain must be a DNS name such as example.com, not {d:?}"
                ));
            }
        }
        if let Some(v) = change.impersonation {
            p.identity.impersonation = v;
        }
        if let Some(v) = change.siwe_required {
            p.identity.siwe_required = v;
        }
        if let Some(list) = change.webauthn_domains {
            let mut domains = Vec::with_capacity(list.len());
            for d in list {
                let d = d.trim().trim_end_matches('.').to_ascii_lowercase();
                if d.is_empty() {
                    continue;
                }
                if !cookie_domain_ok(&d) {
                    return Err(format!(
                        "a WebAuthn domain must be a host name such as example.com, not {d:?}"
                    ));
                }
                domains.push(d);
            }
            p.identity.webauthn_domains = domains;
        }
        if let Some(u) = change.migrate_userinfo_url {
            if u.is_empty() {
                p.identity.migrate_userinfo_url = None;
            } else {
                match url::Url::parse(&u) {
                    Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {
                        p.identity.migrate_userinfo_url = Some(u)
                    }
                    _ => {
                        return Err(format!(
                            "the userinfo URL must be an http(s) URL, not {u:?}"
                        ));
                    }
                }
            }
        }
        Ok(p)
    }

    /// Whether a session that started at `started_at` and was last authenticated at
    /// `last_accessed_at` (epoch ms, as stored) is dead at `now` under this policy.
    /// `idle_grace_ms` is how far behind the stored access time may be (its write-behind):
    /// a session is never ended for idleness before the timeout.
    pub fn ends(
        &self,
        started_at: i64,
        last_accessed_at: i64,
        now: i64,
        idle_grace_ms: i64,
    ) -> bool {
        let lifetime_over = self
            .session_max_lifetime_minutes
            .is_some_and(|m| now >= started_at + m * 60_000);
        let idle = self
            .session_idle_timeout_minutes
            .is_some_and(|m| now - last_accessed_at > m * 60_000 + idle_grace_ms);
        lifetime_over || idle
    }

    /// The latest end a session that started at `started_at` may have (epoch ms).
    pub fn latest_end(&self, started_at: i64) -> Option<i64> {
        self.session_max_lifetime_minutes
            .map(|m| started_at + m * 60_000)
    }

    /// How long the stored access time may lag the last access: the write-behind bound, cut to
    /// a tenth of the idle timeout so that idleness is judged within 10 % of it.
    pub fn touch_bound_ms(&self, default_ms: i64) -> i64 {
        match self.session_idle_timeout_minutes {
            Some(m) => default_ms.min(m * 6_000),
            None => default_ms,
        }
    }
}

/// Credentials returned once, when a project is created. The secret is never stored in clear.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProjectCredentials {
    /// The project id (HTTP Basic user name).
    pub project_id: String,
    /// The secret (HTTP Basic password).
    pub secret: String,
    /// The public token for browser SDKs.
    pub public_token: String,
}
