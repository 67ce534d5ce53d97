//! OAuth providers by Stytch's names: their wire names, factor keys and presets (an OpenID
//! Connect issuer, or plain OAuth 2.0 endpoints with a userinfo call).

use serde::{Deserialize, Serialize};

/// How Tessera talks to a provider when the project sets no override.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// OpenID Connect: discovery from the issuer, an `id_token` verified against its JWKS.
    Oidc {
        /// The issuer URL.
        issuer: &'static str,
    },
    /// Plain OAuth 2.0 with a userinfo call (and GitHub's verified-emails call).
    OAuth2 {
        /// Authorization endpoint.
        authorize: &'static str,
        /// Token endpoint.
        token: &'static str,
        /// Userinfo endpoint.
        userinfo: &'static str,
        /// GitHub's `/user/emails`, which says which addresses are verified.
        emails: Option<&'static str>,
    },
    /// No preset: the project gives an issuer or the three endpoints.
    None,
}

macro_rules! providers {
    ($($variant:ident => $name:literal, $type_:literal, $factor:literal, $scopes:literal, $preset:expr;)*) => {
        /// An OAuth provider Stytch names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum Provider {
            $(#[doc = concat!("`", $name, "`")] $variant,)*
        }

        impl Provider {
            /// Every provider.
            pub const ALL: &'static [Provider] = &[$(Provider::$variant,)*];

            /// The name in routes and the CLI, e.g. `google`.
            pub const fn name(self) -> &'static str {
                match self { $(Provider::$variant => $name,)* }
            }

            /// `provider_type` on the wire, e.g. `Google`.
            pub const fn provider_type(self) -> &'static str {
                match self { $(Provider::$variant => $type_,)* }
            }

            /// The key of the session factor's sub-object, e.g. `git_lab_oauth_factor`.
            pub const fn factor_key(self) -> &'static str {
                match self { $(Provider::$variant => $factor,)* }
            }

            /// Scopes asked for by default (space-separated).
            pub const fn default_scopes(self) -> &'static str {
                match self { $(Provider::$variant => $scopes,)* }
            }

            /// The preset endpoints.
            pub const fn preset(self) -> Preset {
                match self { $(Provider::$variant => $preset,)* }
            }
        }
    };
}

/// Microsoft's tenant of personal accounts, whose discovery document names itself as issuer (the
/// `common` and `consumers` aliases name a `{tenantid}` template instead, which no `id_token`
/// verifier can match); a work tenant is `--issuer https://login.microsoftonline.com/<id>/v2.0`.
const MICROSOFT_CONSUMERS: &str =
    "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0";

const fn oidc(issuer: &'static str) -> Preset {
    Preset::Oidc { issuer }
}

providers! {
    Amazon => "amazon", "Amazon", "amazon_oauth_factor", "profile", Preset::OAuth2 {
        authorize: "https://www.amazon.com/ap/oa",
        token: "https://api.amazon.com/auth/o2/token",
        userinfo: "https://api.amazon.com/user/profile",
        emails: None,
    };
    Apple => "apple", "Apple", "apple_oauth_factor", "openid email name", oidc("https://appleid.apple.com");
    Bitbucket => "bitbucket", "Bitbucket", "bitbucket_oauth_factor", "account email", Preset::None;
    Coinbase => "coinbase", "Coinbase", "coinbase_oauth_factor", "wallet:user:read wallet:user:email", Preset::None;
    Discord => "discord", "Discord", "discord_oauth_factor", "identify email", Preset::OAuth2 {
        authorize: "https://discord.com/oauth2/authorize",
        token: "https://discord.com/api/oauth2/token",
        userinfo: "https://discord.com/api/users/@me",
        emails: None,
    };
    Facebook => "facebook", "Facebook", "facebook_oauth_factor", "public_profile email", Preset::OAuth2 {
        authorize: "https://www.facebook.com/v19.0/dialog/oauth",
        token: "https://graph.facebook.com/v19.0/oauth/access_token",
        userinfo: "https://graph.facebook.com/me?fields=id,name,email,picture",
        emails: None,
    };
    Figma => "figma", "Figma", "figma_oauth_factor", "files:read", Preset::None;
    Github => "github", "GitHub", "github_oauth_factor", "read:user user:email", Preset::OAuth2 {
        authorize: "https://github.com/login/oauth/authorize",
        token: "https://github.com/login/oauth/access_token",
        userinfo: "https://api.github.com/user",
        emails: Some("https://api.github.com/user/emails"),
    };
    Gitlab => "gitlab", "GitLab", "git_lab_oauth_factor", "openid email profile", oidc("https://gitlab.com");
    Google => "google", "Google", "google_oauth_factor", "openid email profile", oidc("https://accounts.google.com");
    Linkedin => "linkedin", "LinkedIn", "linked_in_oauth_factor", "openid email profile", oidc("https://www.linkedin.com/oauth");
    Microsoft => "microsoft", "Microsoft", "microsoft_oauth_factor", "openid email profile", oidc(MICROSOFT_CONSUMERS);
    Salesforce => "salesforce", "Salesforce", "salesforce_oauth_factor", "openid email profile", oidc("https://login.salesforce.com");
    Slack => "slack", "Slack", "slack_oauth_factor", "openid email profile", oidc("https://slack.com");
    Snapchat => "snapchat", "Snapchat", "snapchat_oauth_factor", "https://auth.snapchat.com/oauth2/api/user.display_name", Preset::None;
    Tiktok => "tiktok", "TikTok", "tik_tok_oauth_factor", "user.info.basic", Preset::None;
    Twitch => "twitch", "Twitch", "twitch_oauth_factor", "openid user:read:email", oidc("https://id.twitch.tv/oauth2");
    Twitter => "twitter", "Twitter", "twitter_oauth_factor", "users.read tweet.read", Preset::None;
    Yahoo => "yahoo", "Yahoo", "yahoo_oauth_factor", "openid email profile", oidc("https://api.login.yahoo.com");
}

impl Provider {
    /// The provider a route or flag names.
    pub fn parse(s: &str) -> Option<Self> {
        Provider::ALL.iter().copied().find(|p| p.name() == s)
    }

    /// `delivery_method` of its session factor, e.g. `oauth_google`.
    pub const fn delivery_method(self) -> &'static str {
        macro_rules! dm {
            ($($v:ident => $s:literal),*) => { match self { $(Provider::$v => $s,)* } };
        }
        dm!(Amazon => "oauth_amazon", Apple => "oauth_apple", Bitbucket => "oauth_bitbucket",
            Coinbase => "oauth_coinbase", Discord => "oauth_discord", Facebook => "oauth_facebook",
            Figma => "oauth_figma", Github => "oauth_github", Gitlab => "oauth_gitlab",
            Google => "oauth_google", Linkedin => "oauth_linkedin", Microsoft => "oauth_microsoft",
            Salesforce => "oauth_salesforce", Slack => "oauth_slack", Snapchat => "oauth_snapchat",
            Tiktok => "oauth_tiktok", Twitch => "oauth_twitch", Twitter => "oauth_twitter",
            Yahoo => "oauth_yahoo")
    }
}

/// A project's settings for one provider (stored as JSON; the client secret is sealed apart).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProviderSettings {
    /// The client id the provider issued.
    pub client_id: String,
    /// Scopes to ask for (space-separated); empty: the provider's defaults.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scopes: String,
    /// An OpenID Connect issuer in place of the preset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Endpoint overrides for plain OAuth 2.0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
    /// See `authorization_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// See `authorization_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_url: Option<String>,
    /// Apple: the team id that signs the client-secret JWT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// Apple: the key id of that private key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

/// Where a configured provider's protocol work happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoints {
    /// OpenID Connect from this issuer.
    Oidc {
        /// The issuer.
        issuer: String,
    },
    /// Plain OAuth 2.0.
    OAuth2 {
        /// Authorization endpoint.
        authorize: String,
        /// Token endpoint.
        token: String,
        /// Userinfo endpoint.
        userinfo: String,
        /// Verified-emails endpoint (GitHub).
        emails: Option<String>,
    },
}

impl ProviderSettings {
    /// The endpoints these settings make with `provider`'s preset; `Err` says what is missing.
    pub fn endpoints(&self, provider: Provider) -> Result<Endpoints, String> {
        if let Some(issuer) = &self.issuer {
            return Ok(Endpoints::Oidc {
                issuer: issuer.clone(),
            });
        }
        let overrides = (
            self.authorization_url.clone(),
            self.token_url.clone(),
            self.userinfo_url.clone(),
        );
        match (provider.preset(), overrides) {
            (_, (Some(authorize), Some(token), Some(userinfo))) => Ok(Endpoints::OAuth2 {
                authorize,
                token,
                userinfo,
                emails: None,
            }),
            (Preset::Oidc { issuer }, (None, None, None)) => Ok(Endpoints::Oidc {
                issuer: issuer.to_owned(),
            }),
            (
                Preset::OAuth2 {
                    authorize,
                    token,
                    userinfo,
                    emails,
                },
                (a, t, u),
            ) => Ok(Endpoints::OAuth2 {
                authorize: a.unwrap_or_else(|| authorize.to_owned()),
                token: t.unwrap_or_else(|| token.to_owned()),
                userinfo: u.unwrap_or_else(|| userinfo.to_owned()),
                emails: emails.map(str::to_owned),
            }),
            _ => Err(format!(
                "{} has no preset here: give --issuer (OpenID Connect) or all of \
                 --authorization-url, --token-url and --userinfo-url",
                provider.name()
            )),
        }
    }

    /// The scopes to ask for: the project's, else the provider's defaults.
    pub fn scopes(&self, provider: Provider) -> Vec<String> {
        let s = if self.scopes.trim().is_empty() {
            provider.default_scopes()
        } else {
            self.scopes.as_str()
        };
        s.split_whitespace().map(str::to_owned).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_factor_keys_follow_stytch() {
        for p in Provider::ALL {
            assert_eq!(Provider::parse(p.name()), Some(*p));
            assert_eq!(p.delivery_method(), format!("oauth_{}", p.name()));
            assert!(p.factor_key().ends_with("_oauth_factor"));
        }
        assert_eq!(Provider::Gitlab.factor_key(), "git_lab_oauth_factor");
        assert_eq!(Provider::parse("myspace"), None);
    }

    #[test]
    fn endpoints_come_from_presets_or_overrides() {
        let s = ProviderSettings::default();
        assert!(matches!(
            s.endpoints(Provider::Google),
            Ok(Endpoints::Oidc { .. })
        ));
        assert!(matches!(
            s.endpoints(Provider::Github),
            Ok(Endpoints::OAuth2 {
                emails: Some(_),
                ..
            })
        ));
        assert!(s.endpoints(Provider::Tiktok).is_err());
        let own = ProviderSettings {
            issuer: Some("http://127.0.0.1:1".into()),
            ..Default::default()
        };
        assert_eq!(
            own.endpoints(Provider::Github),
            Ok(Endpoints::Oidc {
                issuer: "http://127.0.0.1:1".into()
            })
        );
        assert_eq!(s.scopes(Provider::Github), ["read:user", "user:email"]);
    }
}
