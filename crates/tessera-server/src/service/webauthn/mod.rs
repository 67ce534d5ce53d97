//! WebAuthn (passkeys and security keys) on `webauthn-rs-core`: registration and login
//! ceremonies with their state kept server-side for five minutes and taken once, relying-party
//! ids checked against the project's, the origin against its authorized origins, attestation
//! `none`, and the sign counter moving only forward (a counter that goes back is a cloned
//! authenticator and fails the login).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use webauthn_rs_core::proto::{
    AttestationConveyancePreference, AuthenticationState, Credential, PublicKeyCredential,
    RegisterPublicKeyCredential, RegistrationState, UserVerificationPolicy,
};

use crate::crypto::Digest256;
use crate::error::{Error, ErrorType, Result};
use crate::model::ids::IdKind;
use crate::model::session::{AuthFactor, FactorKind, FactorSubject};
use crate::model::user::{User, WebauthnRegistration};
use crate::model::{Project, Timestamp};
use crate::service::factors::{self, Authenticated};
use crate::service::sessions::{ClientAttributes, Locator, SessionEngine, SessionRequest};
use crate::service::{security_log, users};
use crate::store::Store;
use crate::store::webauthn::{CeremonyRow, CredentialRow, NewCredential};

/// Relying parties, options and what browsers send.
pub(crate) mod protocol;

pub use protocol::allowed_domains;
use protocol::{
    attachment_of, authenticator_type, challenge_digest, cose_key_of, internal, options_json,
    parse_credential, relying_party,
};

/// How long a ceremony waits for the authenticator.
pub const CEREMONY_MINUTES: i64 = 5;
/// Display names longer than this are refused.
const MAX_NAME: usize = 200;

/// `register/start`'s parameters.
#[derive(Debug, Clone, Default)]
pub struct RegisterStart {
    /// The user registering.
    pub user_id: String,
    /// The relying-party id.
    pub domain: String,
    /// Stored on the registration.
    pub user_agent: String,
    /// `platform`, `cross-platform` or none.
    pub authenticator_type: Option<String>,
    /// Passkey options: resident key required.
    pub passkey: bool,
    /// `user.id`, `user.name`, `user.displayName` overrides.
    pub overrides: (Option<String>, Option<String>, Option<String>),
}

/// What a registration ceremony keeps besides the library's state.
#[derive(Serialize, Deserialize)]
struct Registering {
    state: RegistrationState,
    user_handle: String,
    authenticator_type: String,
    user_agent: String,
}

/// The name a user carries in the authenticator's account list.
fn account_name(user: &User) -> String {
    user.emails
        .first()
        .map(|e| e.email.as_str().to_owned())
        .or_else(|| {
            user.phone_numbers
                .first()
                .map(|p| p.phone_number.as_str().to_owned())
        })
        .unwrap_or_else(|| user.user_id.clone())
}

/// `register/start`: creation options for the user, excluding the credentials it has for the
/// domain (so an authenticator is not registered twice).
pub async fn register_start(
    store: &Store,
    project: &Project,
    input: RegisterStart,
    now: Timestamp,
) -> Result<String> {
    let (rp, domain) = relying_party(project, &input.domain)?;
    let attachment = authenticator_type(input.authenticator_type.as_deref())?;
    let user = users::get(store, project, &input.user_id).await?;
    let (id, name, display) = input.overrides;
    let handle = id.unwrap_or_else(|| user.user_id.clone());
    if handle.is_empty() || handle.len() > 64 {
        return Err(Error::with_message(
            ErrorType::BadRequest,
            "override_id must be 1 to 64 bytes.",
        ));
    }
    let name = name.unwrap_or_else(|| account_name(&user));
    let display = display.unwrap_or_else(|| {
        let n = &user.name;
        let full = [&n.first, &n.middle, &n.last]
            .into_iter()
            .filter(|p| !p.is_empty())
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ");
        if full.is_empty() { name.clone() } else { full }
    });
    let existing = store
        .webauthn_credentials_of(&project.project_id, &user.user_id, Some(&domain))
        .await?;
    let exclude = existing
        .iter()
        .filter_map(|c| URL_SAFE_NO_PAD.decode(&c.credential_id).ok())
        .collect::<Vec<_>>();
    let builder = rp
        .new_challenge_register_builder(handle.as_bytes(), &name, &display)
        .map_err(|_| Error::with_message(ErrorType::BadRequest, "The user's names are empty."))?
        .attestation(AttestationConveyancePreference::None)
        .user_verification_policy(UserVerificationPolicy::Preferred)
        .exclude_credentials((!exclude.is_empty()).then_some(exclude))
        .require_resident_key(input.passkey)
        .authenticator_attachment(attachment);
    let (ccr, state) = rp
        .generate_challenge_register(builder)
        .map_err(|e| internal("register start", e))?;
    let options = options_json(&ccr.public_key)?;
    let challenge = URL_SAFE_NO_PAD.encode::<&[u8]>(ccr.public_key.challenge.as_ref());
    let ceremony = Registering {
        state,
        user_handle: URL_SAFE_NO_PAD.encode(handle.as_bytes()),
        authenticator_type: input.authenticator_type.unwrap_or_default(),
        user_agent: input.user_agent,
    };
    let row = CeremonyRow {
        purpose: "register".into(),
        user_id: Some(user.user_id),
        domain,
        ceremony: serde_json::to_string(&ceremony).map_err(|e| internal("state", e))?,
    };
    let expires = now.plus_minutes(CEREMONY_MINUTES);
    store
        .insert_webauthn_ceremony(
            &project.project_id,
            &Digest256::of(&challenge).0,
            &row,
            expires,
        )
        .await?;
    Ok(options)
}

/// `register`: verifies the authenticator's attestation against the pending ceremony of
/// `user_id` and stores the credential; with a session request, the session gets the factor.
pub async fn register(
    engine: &SessionEngine,
    project: &Project,
    (user_id, credential): (&str, &str),
    req: SessionRequest,
    attrs: &ClientAttributes,
    now: Timestamp,
) -> Result<Authenticated> {
    let reg: RegisterPublicKeyCredential = parse_credential(credential)?;
    let digest = challenge_digest(reg.response.client_data_json.as_ref())?;
    factors::check_attachable(engine, project, &req, user_id, now).await?;
    let store = engine.store();
    let pending = store
        .take_webauthn_ceremony(&project.project_id, &digest.0, now)
        .await?
        .filter(|c| c.purpose == "register" && c.user_id.as_deref() == Some(user_id))
        .ok_or_else(|| Error::new(ErrorType::NoPendingWebauthnRegistration))?;
    let ceremony: Registering =
        serde_json::from_str(&pending.ceremony).map_err(|e| internal("stored state", e))?;
    let (rp, _) = relying_party(project, &pending.domain)?;
    let cred: Credential = match rp.register_credential(&reg, &ceremony.state, None) {
        Ok(c) => c,
        Err(e) => {
            // The library refuses a credential the options excluded: one registered already.
            let id = URL_SAFE_NO_PAD.encode(&reg.raw_id);
            if store
                .webauthn_credential(&project.project_id, &id)
                .await?
                .is_some()
            {
                return Err(Error::new(ErrorType::DuplicateWebauthnRegistration));
            }
            security_log::proof_refused(project, "webauthn", &format!("{e:?}"));
            return Err(Error::with_message(
                ErrorType::InvalidPublicKeyCredential,
                format!("The authenticator's answer was refused: {e}."),
            ));
        }
    };
    let authenticator_type = match ceremony.authenticator_type.as_str() {
        "" => attachment_of(credential),
        t => t.to_owned(),
    };
    let new = NewCredential {
        registration_id: IdKind::WebauthnRegistration.mint(project.env),
        user_id: user_id.to_owned(),
        domain: pending.domain.clone(),
        credential_id: URL_SAFE_NO_PAD.encode::<&[u8]>(cred.cred_id.as_ref()),
        user_handle: ceremony.user_handle,
        credential: serde_json::to_string(&cred).map_err(|e| internal("credential", e))?,
        public_key: STANDARD.encode(cose_key_of(reg.response.attestation_object.as_ref())?),
        authenticator_type,
        user_agent: ceremony.user_agent.clone(),
        name: String::new(),
    };
    if !store
        .insert_webauthn_credential(&project.project_id, &new, now)
        .await?
    {
        return Err(Error::new(ErrorType::DuplicateWebauthnRegistration));
    }
    security_log::factor_added(project, user_id, &new.registration_id);
    let user = users::get(store, project, user_id).await?;
    let factor = AuthFactor::new(
        FactorKind::Webauthn,
        FactorSubject::Webauthn {
            webauthn_registration_id: new.registration_id.clone(),
            domain: new.domain,
            user_agent: new.user_agent,
        },
        now,
    );
    let mut a = factors::complete(
        engine,
        project,
        (user, new.registration_id),
        factor,
        req,
        attrs,
        now,
    )
    .await?;
    a.added = Some("A passkey or security key".into());
    Ok(a)
}

/// `authenticate/start`: request options for the user's credentials on the domain, or for any
/// discoverable credential when no user is named.
pub async fn authenticate_start(
    store: &Store,
    project: &Project,
    (domain, user_id): (&str, Option<&str>),
    now: Timestamp,
) -> Result<String> {
    let (rp, domain) = relying_party(project, domain)?;
    let creds = match user_id {
        None => vec![],
        Some(id) => {
            let user = users::get(store, project, id).await?;
            let rows = store
                .webauthn_credentials_of(&project.project_id, &user.user_id, Some(&domain))
                .await?;
            if rows.is_empty() {
                return Err(Error::new(ErrorType::WebauthnRegistrationNotFound));
            }
            rows.iter().map(stored).collect::<Result<Vec<_>>>()?
        }
    };
    let builder = rp
        .new_challenge_authenticate_builder(creds, Some(UserVerificationPolicy::Preferred))
        .map_err(|e| internal("authenticate builder", e))?;
    let (rcr, mut state) = rp
        .generate_challenge_authenticate(builder)
        .map_err(|e| internal("authenticate start", e))?;
    // The credentials are read again at the finish: the state need not carry them.
    state.set_allowed_credentials(vec![]);
    let options = options_json(&rcr.public_key)?;
    let challenge = URL_SAFE_NO_PAD.encode::<&[u8]>(rcr.public_key.challenge.as_ref());
    let row = CeremonyRow {
        purpose: "authenticate".into(),
        user_id: user_id.map(str::to_owned),
        domain,
        ceremony: serde_json::to_string(&state).map_err(|e| internal("state", e))?,
    };
    store
        .insert_webauthn_ceremony(
            &project.project_id,
            &Digest256::of(&challenge).0,
            &row,
            now.plus_minutes(CEREMONY_MINUTES),
        )
        .await?;
    Ok(options)
}

fn stored(row: &CredentialRow) -> Result<Credential> {
    serde_json::from_str(&row.credential).map_err(|e| internal("stored credential", e))
}

/// `authenticate`: verifies an assertion against its ceremony and the stored credential; the
/// session gets the `webauthn` factor. `expected_user` is the session's user on a step-up.
pub async fn authenticate(
    engine: &SessionEngine,
    project: &Project,
    (credential, expected_user): (&str, Option<&str>),
    req: SessionRequest,
    attrs: &ClientAttributes,
    now: Timestamp,
) -> Result<Authenticated> {
    let rsp: PublicKeyCredential = parse_credential(credential)?;
    let digest = challenge_digest(rsp.response.client_data_json.as_ref())?;
    let store = engine.store();
    let refused = |reason: &str| {
        security_log::proof_refused(project, "webauthn", reason);
        Error::new(ErrorType::UnableToAuthWebauthnRegistration)
    };
    let ceremony = store
        .take_webauthn_ceremony(&project.project_id, &digest.0, now)
        .await?
        .filter(|c| c.purpose == "authenticate")
        .ok_or_else(|| refused("no_pending_ceremony"))?;
    let row = store
        .webauthn_credential(&project.project_id, &URL_SAFE_NO_PAD.encode(&rsp.raw_id))
        .await?
        .filter(|r| r.domain == ceremony.domain)
        .ok_or_else(|| Error::new(ErrorType::WebauthnRegistrationNotFound))?;
    let named = ceremony.user_id.as_deref().or(expected_user);
    if named.is_some_and(|u| u != row.user_id) {
        return Err(refused("credential_of_another_user"));
    }
    if let Some(handle) = rsp.get_user_unique_id()
        && URL_SAFE_NO_PAD.encode(handle) != row.user_handle
    {
        return Err(refused("user_handle_mismatch"));
    }
    let state: AuthenticationState =
        serde_json::from_str(&ceremony.ceremony).map_err(|e| internal("stored state", e))?;
    let mut cred = stored(&row)?;
    let (rp, _) = relying_party(project, &ceremony.domain)?;
    let result = rp
        .authenticate_single_credential(&rsp, &state, &cred)
        .map_err(|e| refused(&format!("{e:?}")))?;
    cred.counter = result.counter();
    cred.backup_state = result.backup_state();
    cred.backup_eligible = result.backup_eligible();
    let json = serde_json::to_string(&cred).map_err(|e| internal("credential", e))?;
    if !store
        .record_webauthn_use(
            &project.project_id,
            &row.registration_id,
            (&json, result.counter()),
            now,
        )
        .await?
    {
        // Deleted meanwhile, or another login with this counter value won: a clone.
        return Err(refused("counter_not_advanced"));
    }
    factors::check_attachable(engine, project, &req, &row.user_id, now).await?;
    let user = users::get(store, project, &row.user_id).await?;
    let factor = AuthFactor::new(
        FactorKind::Webauthn,
        FactorSubject::Webauthn {
            webauthn_registration_id: row.registration_id.clone(),
            domain: row.domain,
            user_agent: row.user_agent,
        },
        now,
    );
    factors::complete(
        engine,
        project,
        (user, row.registration_id),
        factor,
        req,
        attrs,
        now,
    )
    .await
}

/// Renames a registration; the registration as it now is.
pub async fn rename(
    store: &Store,
    project: &Project,
    registration_id: &str,
    name: &str,
) -> Result<WebauthnRegistration> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::new(ErrorType::EmptyWebauthnRegistrationName));
    }
    if name.chars().count() > MAX_NAME {
        return Err(Error::with_message(
            ErrorType::BadRequest,
            "name must be at most 200 characters.",
        ));
    }
    let user_id = store
        .rename_webauthn_registration(&project.project_id, registration_id, name)
        .await?
        .ok_or_else(|| Error::new(ErrorType::WebauthnRegistrationNotFound))?;
    let user = users::get(store, project, &user_id).await?;
    user.webauthn_registrations
        .into_iter()
        .find(|r| r.registration_id == registration_id)
        .ok_or_else(|| Error::new(ErrorType::WebauthnRegistrationNotFound))
}

/// A signed-in user renames one of its own registrations.
pub async fn rename_own(
    engine: &SessionEngine,
    project: &Project,
    (loc, now): (&Locator, Timestamp),
    registration_id: &str,
    name: &str,
) -> Result<WebauthnRegistration> {
    let (_, user) = crate::service::sessions::resolve_with_user(engine, project, loc, now).await?;
    if !user
        .webauthn_registrations
        .iter()
        .any(|r| r.registration_id == registration_id)
    {
        return Err(Error::new(ErrorType::WebauthnRegistrationNotFound));
    }
    rename(engine.store(), project, registration_id, name).await
}

/// One credential as `GET /v1/webauthn/credentials` lists it.
#[derive(Debug, Clone)]
pub struct PublicCredential {
    /// base64url.
    pub credential_id: String,
    /// Its registration.
    pub registration_id: String,
    /// The COSE key, base64.
    pub public_key: String,
}

/// A user's credentials for a domain.
pub async fn credentials(
    store: &Store,
    project: &Project,
    user_id: &str,
    domain: &str,
) -> Result<Vec<PublicCredential>> {
    let user = users::get(store, project, user_id).await?;
    let rows = store
        .webauthn_credentials_of(&project.project_id, &user.user_id, Some(domain))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| PublicCredential {
            credential_id: r.credential_id,
            registration_id: r.registration_id,
            public_key: r.public_key,
        })
        .collect())
}

/// Deletes a registration; the user as it now is.
pub async fn delete(store: &Store, project: &Project, registration_id: &str) -> Result<User> {
    let user_id = store
        .delete_webauthn_registration(&project.project_id, registration_id)
        .await?
        .ok_or_else(|| Error::new(ErrorType::WebauthnRegistrationNotFound))?;
    security_log::factor_removed(project, &user_id, registration_id, "backend");
    users::get(store, project, &user_id).await
}

/// A signed-in user deletes one of its own registrations, with a recent factor.
pub async fn delete_own(
    engine: &SessionEngine,
    project: &Project,
    loc: &Locator,
    registration_id: &str,
    now: Timestamp,
) -> Result<User> {
    let owns = |u: &User| {
        u.webauthn_registrations
            .iter()
            .any(|r| r.registration_id == registration_id)
    };
    factors::check_own_recent(
        engine,
        project,
        (loc, now),
        owns,
        ErrorType::WebauthnRegistrationNotFound,
    )
    .await?;
    delete(engine.store(), project, registration_id).await
}
