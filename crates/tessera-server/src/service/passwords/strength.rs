//! Password strength: the project's policy (zxcvbn or LUDS) with its feedback, and the breach
//! check against a Pwned Passwords k-anonymity range API.

use sha1::{Digest, Sha1};
use tessera_proto::passwords::{Feedback, LudsRequirements};

use crate::error::{Error, ErrorType, Result};
use crate::model::project::{PasswordPolicy, StrengthPolicy};

/// Longest password accepted (bytes): argon2 takes any length, but a megabyte password is a
/// denial of service, not a password.
pub const MAX_LEN: usize = 256;

/// What the policy says of a password.
#[derive(Debug, Clone)]
pub struct Strength {
    /// It passes the policy (breach aside).
    pub valid: bool,
    /// zxcvbn's score (0 under LUDS).
    pub score: i64,
    /// Why, and what would help.
    pub feedback: Feedback,
}

/// Judges `password` by `policy`; `user_inputs` (the email and its parts) count as guessable.
pub fn judge(policy: &PasswordPolicy, password: &str, user_inputs: &[&str]) -> Strength {
    // zxcvbn's dictionaries (the common-password list among them) apply under both policies.
    let entropy = zxcvbn::zxcvbn(password, user_inputs);
    let score = i64::from(u8::from(entropy.score()));
    match policy.strength {
        StrengthPolicy::Zxcvbn => {
            let (warning, suggestions) = match entropy.feedback() {
                Some(f) => (
                    f.warning().map(|w| w.to_string()).unwrap_or_default(),
                    f.suggestions().iter().map(|s| s.to_string()).collect(),
                ),
                None => (String::new(), vec![]),
            };
            let valid = score >= 3;
            let suggestions = if valid || !suggestions.is_empty() {
                suggestions
            } else {
                vec!["Add another word or two. Uncommon words are better.".to_owned()]
            };
            Strength {
                valid,
                score,
                feedback: Feedback {
                    warning,
                    suggestions,
                    luds_requirements: None,
                },
            }
        }
        StrengthPolicy::Luds => {
            let has = |f: fn(char) -> bool| password.chars().any(f);
            let lower = has(|c| c.is_lowercase());
            let upper = has(|c| c.is_uppercase());
            let digit = has(|c| c.is_ascii_digit());
            let symbol = has(|c| !c.is_alphanumeric() && !c.is_whitespace());
            let classes = [lower, upper, digit, symbol].iter().filter(|b| **b).count() as i64;
            let missing_complexity = (i64::from(policy.luds_complexity) - classes).max(0);
            let length = password.chars().count() as i64;
            let missing_characters = (i64::from(policy.luds_min_length) - length).max(0);
            // A LUDS-shaped password from the common-password list ("Password1!") still fails.
            let common = score < 1;
            let valid = missing_complexity == 0 && missing_characters == 0 && !common;
            let mut suggestions = vec![];
            if missing_characters > 0 {
                suggestions.push(format!(
                    "Use at least {} characters.",
                    policy.luds_min_length
                ));
            }
            if missing_complexity > 0 {
                suggestions.push(format!(
                    "Use {} of: lower case, upper case, digits, symbols.",
                    policy.luds_complexity
                ));
            }
            Strength {
                valid,
                score: 0,
                feedback: Feedback {
                    warning: if common {
                        "This is a very common password.".into()
                    } else {
                        String::new()
                    },
                    suggestions,
                    luds_requirements: Some(LudsRequirements {
                        has_lower_case: lower,
                        has_upper_case: upper,
                        has_digit: digit,
                        has_symbol: symbol,
                        missing_complexity,
                        missing_characters,
                    }),
                },
            }
        }
    }
}

/// Judges `password` by `policy`, with the email (and its parts) as guessable words.
pub fn judge_for(policy: &PasswordPolicy, password: &str, email: Option<&str>) -> Strength {
    let inputs = user_inputs(email);
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    judge(policy, password, &inputs)
}

/// The email and its local part and domain, as zxcvbn's user inputs.
fn user_inputs(email: Option<&str>) -> Vec<String> {
    let Some(e) = email else { return vec![] };
    let mut v = vec![e.to_owned()];
    if let Some((local, domain)) = e.split_once('@') {
        v.push(local.to_owned());
        v.extend(domain.split('.').map(str::to_owned));
    }
    v
}

/// A Pwned Passwords range API client: `GET <base>/range/<first 5 of SHA-1 hex>` lists
/// `SUFFIX:COUNT` lines; only the five characters leave the server.
#[derive(Debug, Clone)]
pub struct BreachCheck {
    base: String,
    http: reqwest::Client,
}

impl BreachCheck {
    /// A client of the API at `base`.
    pub fn new(base: &str) -> Self {
        BreachCheck {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
        }
    }

    /// Whether `password` is in the corpus. An unreachable API is an error (fail closed: a
    /// password is not accepted unchecked).
    pub async fn breached(&self, password: &str) -> Result<bool> {
        let hex: String = Sha1::digest(password.as_bytes())
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        let (prefix, suffix) = hex.split_at(5);
        let unavailable = |e: &dyn std::fmt::Display| {
            tracing::warn!(error = %e, "the Pwned Passwords API failed");
            Error::with_message(
                ErrorType::InternalServerError,
                "The breached-password check is unavailable; try again later.",
            )
        };
        let body = self
            .http
            .get(format!("{}/range/{prefix}", self.base))
            .header("Add-Padding", "true")
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| unavailable(&e))?
            .text()
            .await
            .map_err(|e| unavailable(&e))?;
        Ok(body.lines().any(|line| {
            line.split_once(':').is_some_and(|(s, count)| {
                s.trim().eq_ignore_ascii_case(suffix) && count.trim() != "0"
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zxcvbn_needs_three_and_explains() {
        let p = PasswordPolicy::default();
        let weak = judge(&p, "password123", &[]);
        assert!(!weak.valid);
        assert!(weak.score < 3);
        assert!(!weak.feedback.warning.is_empty() || !weak.feedback.suggestions.is_empty());
        let strong = judge(&p, "vapor-Glacier-83-tundra-quill", &[]);
        assert!(strong.valid, "{strong:?}");
        // The user's own email makes a password guessable.
        let mine = judge(&p, "jane.doe@example.com", &["jane.doe@example.com"]);
        assert!(!mine.valid);
    }

    #[test]
    fn luds_counts_classes_and_length() {
        let p = PasswordPolicy {
            strength: StrengthPolicy::Luds,
            luds_min_length: 10,
            luds_complexity: 3,
        };
        let s = judge(&p, "abcdefg1", &[]);
        assert!(!s.valid);
        let r = s.feedback.luds_requirements.unwrap();
        assert_eq!((r.missing_characters, r.missing_complexity), (2, 1));
        assert!(r.has_lower_case && r.has_digit && !r.has_upper_case && !r.has_symbol);
        assert_eq!(s.score, 0);
        assert!(judge(&p, "Qx7!mvtbzrw", &[]).valid);
    }
}
