use serde_json::Value;

use crate::error::{Error, ErrorType, Result};
use crate::model::Timestamp;
use crate::model::user::{EmailAddress, UserStatus};
use crate::store::UserFilter;

const FUZZY_MIN_LEN: usize = 3;
const MAX_FILTER_VALUES: usize = 1000;

fn invalid(name: &str, expected: &str) -> Error {
    Error::with_message(
        ErrorType::UserSearchInvalidFilterValue,
        format!("filter_value of {name} must be {expected}."),
    )
}

fn strings(name: &str, v: &Value) -> Result<Vec<String>> {
    let Value::Array(items) = v else {
        return Err(Error::with_message(
            ErrorType::InvalidArgument,
            format!("filter_value of {name} must be an array of strings."),
        ));
    };
    if items.len() > MAX_FILTER_VALUES {
        return Err(invalid(name, "an array of at most 1000 strings"));
    }
    items
        .iter()
        .map(|i| {
            i.as_str()
                .map(str::to_owned)
                .ok_or_else(|| invalid(name, "an array of strings"))
        })
        .collect()
}

fn boolean(name: &str, v: &Value) -> Result<bool> {
    v.as_bool().ok_or_else(|| invalid(name, "true or false"))
}

fn fuzzy(name: &str, v: &Value) -> Result<String> {
    let s = v.as_str().ok_or_else(|| invalid(name, "a string"))?;
    if s.chars().count() < FUZZY_MIN_LEN {
        return Err(Error::with_message(
            ErrorType::UserSearchInvalidFilterValue,
            format!("filter_value of {name} must be at least {FUZZY_MIN_LEN} characters."),
        ));
    }
    Ok(s.to_lowercase())
}

fn time(name: &str, v: &Value) -> Result<Timestamp> {
    v.as_str()
        .and_then(Timestamp::parse_rfc3339)
        .ok_or_else(|| invalid(name, "an RFC 3339 timestamp"))
}

/// Turns one Stytch search operand into a store condition.
pub fn operand(name: &str, value: &Value) -> Result<UserFilter> {
    use UserFilter as F;
    if value.is_null() {
        return Err(Error::with_message(
            ErrorType::UserSearchMissingFilterValue,
            format!("{name} needs a filter_value."),
        ));
    }
    Ok(match name {
        "created_at_greater_than" => F::CreatedAfter(time(name, value)?),
        "created_at_less_than" => F::CreatedBefore(time(name, value)?),
        "created_at_between" => F::And(vec![
            F::CreatedAfter(time(name, &value["greater_than"])?),
            F::CreatedBefore(time(name, &value["less_than"])?),
        ]),
        "status" => F::Status(
            value
                .as_str()
                .and_then(UserStatus::parse)
                .ok_or_else(|| invalid(name, "\"active\" or \"pending\""))?,
        ),
        "user_id" => {
            let ids = strings(name, value)?;
            let internal = ids.iter().filter(|i| i.starts_with("user-")).count();
            if internal == ids.len() {
                F::UserIds(ids)
            } else if internal == 0 {
                F::ExternalIds(ids)
            } else {
                return Err(Error::new(
                    ErrorType::UserSearchCannotMixInternalAndExternalUserIds,
                ));
            }
        }
        "full_name_fuzzy" => F::FullNameFuzzy(fuzzy(name, value)?),
        "email_address" => F::EmailAddresses(
            strings(name, value)?
                .iter()
                .map(|e| {
                    EmailAddress::parse(e)
                        .map(|e| e.as_str().to_owned())
                        .unwrap_or_else(|_| e.to_lowercase())
                })
                .collect(),
        ),
        "email_id" => F::EmailIds(strings(name, value)?),
        "email_verified" => F::EmailVerified(boolean(name, value)?),
        "email_address_fuzzy" => F::EmailFuzzy(fuzzy(name, value)?),
        "email_domain" => F::EmailDomains(
            strings(name, value)?
                .iter()
                .map(|d| d.trim_start_matches('@').to_lowercase())
                .collect(),
        ),
        "phone_number" => F::PhoneNumbers(strings(name, value)?),
        "phone_id" => F::PhoneIds(strings(name, value)?),
        "phone_verified" => F::PhoneVerified(boolean(name, value)?),
        "phone_number_fuzzy" => F::PhoneFuzzy(fuzzy(name, value)?),
        "oauth_provider" => F::OauthProviders(
            strings(name, value)?
                .iter()
                .map(|p| p.to_ascii_lowercase())
                .collect(),
        ),
        "webauthn_registration_id" => F::WebauthnIds(strings(name, value)?),
        // Every stored registration completed its ceremony.
        "webauthn_registration_verified" => match boolean(name, value)? {
            true => F::WebauthnAny,
            false => F::Const(false),
        },
        "crypto_wallet_id" => F::WalletIds(strings(name, value)?),
        "crypto_wallet_address" => F::WalletAddresses(
            strings(name, value)?
                .into_iter()
                .map(|a| {
                    use crate::service::crypto_wallets::{Address, WalletType};
                    Address::parse(WalletType::Ethereum, &a).map_or(a, |e| e.text)
                })
                .collect(),
        ),
        "crypto_wallet_verified" => F::WalletVerified(boolean(name, value)?),
        // Mobile biometrics do not exist here: no user has one, so "has one" never holds and
        // "has none" always does. The values are still checked.
        "biometric_registration_id" => {
            strings(name, value)?;
            F::Const(false)
        }
        "biometric_registration_verified" => {
            boolean(name, value)?;
            F::Const(false)
        }
        "password_exists" => F::PasswordExists(boolean(name, value)?),
        "totp_id" => F::TotpIds(strings(name, value)?),
        "totp_verified" => F::TotpVerified(boolean(name, value)?),
        _ => {
            return Err(Error::with_message(
                ErrorType::UserSearchFilterNameNotRecognized,
                format!("Unknown filter_name {name:?}."),
            ));
        }
    })
}

/// Joins operands with `AND` or `OR`; no query means every user.
pub fn query(operator: &str, operands: Vec<UserFilter>) -> Result<UserFilter> {
    match operator.to_ascii_uppercase().as_str() {
        "AND" => Ok(UserFilter::And(operands)),
        "OR" if operands.is_empty() => Ok(UserFilter::And(operands)),
        "OR" => Ok(UserFilter::Or(operands)),
        _ => Err(Error::with_message(
            ErrorType::UserSearchInvalidOperator,
            "operator must be \"AND\" or \"OR\".",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operands_parse_into_filters() {
        assert_eq!(
            operand("email_address", &json!(["Ada@Example.com"])).unwrap(),
            UserFilter::EmailAddresses(vec!["ada@example.com".into()])
        );
        assert_eq!(
            operand("status", &json!("pending")).unwrap(),
            UserFilter::Status(UserStatus::Pending)
        );
        assert_eq!(
            operand("password_exists", &json!(false)).unwrap(),
            UserFilter::PasswordExists(false)
        );
        assert!(matches!(
            operand("user_id", &json!(["ext-1", "ext-2"])).unwrap(),
            UserFilter::ExternalIds(_)
        ));
    }

    #[test]
    fn bad_operands_get_specific_errors() {
        let kind = |n: &str, v: Value| operand(n, &v).unwrap_err().kind();
        assert_eq!(
            kind("nope", json!(1)),
            ErrorType::UserSearchFilterNameNotRecognized
        );
        assert_eq!(
            kind("status", Value::Null),
            ErrorType::UserSearchMissingFilterValue
        );
        assert_eq!(
            kind("email_address_fuzzy", json!("ab")),
            ErrorType::UserSearchInvalidFilterValue
        );
        assert_eq!(
            kind("user_id", json!(["user-test-1", "ext"])),
            ErrorType::UserSearchCannotMixInternalAndExternalUserIds
        );
        assert_eq!(
            query("XOR", vec![]).unwrap_err().kind(),
            ErrorType::UserSearchInvalidOperator
        );
    }
}
