//! WebAuthn through the backend API and the Rust client, on both backends, with a software
//! authenticator independent of the server's library: registration into a magic-link session
//! (two factors), the user object, discoverable login, step-up, rename, credentials with their
//! public keys, duplicate and replayed ceremonies, a cloned authenticator's counter, a foreign
//! origin or domain, 50 concurrent uses of one assertion, bad input, and delete.

use serde_json::Value;
use tessera_client::Client;
use tessera_client::proto::sessions::SessionOptions;
use tessera_client::proto::webauthn::{
    AuthenticateRequest, AuthenticateStartRequest, RegisterRequest, RegisterStartRequest,
};
use tessera_server::service::projects::{self, NewProject};

use crate::harness::{TestApp, api_error, both_backends, login};
use crate::soft_authenticator::SoftAuthenticator;

both_backends!(
    passkeys_register_log_in_and_are_deleted,
    webauthn_refuses_replays_clones_and_foreign_origins,
    one_assertion_logs_in_once_under_fifty_concurrent_uses,
    webauthn_bad_input_gets_clear_errors,
    the_headless_client_logs_in_with_a_wallet_and_a_passkey
);

const ORIGIN: &str = "https://app.example.com";
const DOMAIN: &str = "app.example.com";

async fn project(app: &TestApp) -> Client {
    project_with_token(app).await.0
}

async fn project_with_token(app: &TestApp) -> (Client, String) {
    let creds = projects::create(
        (&app.store, &app.master),
        NewProject {
            name: "Passkeys".into(),
            authorized_origins: vec![ORIGIN.into()],
            redirect_urls: vec![format!("{ORIGIN}/authenticate")],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let client = Client::new(&app.base_url, &creds.project_id, &creds.secret).unwrap();
    (client, creds.public_token)
}

fn minutes(m: i64) -> SessionOptions {
    SessionOptions {
        session_duration_minutes: Some(m),
        ..Default::default()
    }
}

/// Registers `auth` for `user_id` (attached to `session_token` if given).
async fn register(
    client: &Client,
    auth: &mut SoftAuthenticator,
    user_id: &str,
    session_token: Option<&str>,
) -> tessera_client::proto::sessions::FactorAuthenticateResponse {
    let start = client
        .webauthn()
        .register_start(&RegisterStartRequest {
            user_id: user_id.into(),
            domain: DOMAIN.into(),
            user_agent: Some("Test agent/1.0".into()),
            return_passkey_credential_options: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    let credential = auth.create(
        &start.public_key_credential_creation_options,
        DOMAIN,
        ORIGIN,
    );
    client
        .webauthn()
        .register(&RegisterRequest {
            user_id: user_id.into(),
            public_key_credential: credential,
            session: SessionOptions {
                session_token: session_token.map(str::to_owned),
                ..Default::default()
            },
        })
        .await
        .unwrap()
}

/// Discoverable request options.
async fn passkey_options(client: &Client) -> String {
    client
        .webauthn()
        .authenticate_start(&AuthenticateStartRequest {
            domain: DOMAIN.into(),
            return_passkey_credential_options: Some(true),
            ..Default::default()
        })
        .await
        .unwrap()
        .public_key_credential_request_options
}

async fn assert_with(
    client: &Client,
    credential: String,
) -> Result<tessera_client::proto::sessions::FactorAuthenticateResponse, tessera_client::ClientError>
{
    client
        .webauthn()
        .authenticate(&AuthenticateRequest {
            public_key_credential: credential,
            session: minutes(60),
        })
        .await
}

async fn passkeys_register_log_in_and_are_deleted(app: &TestApp) {
    let client = project(app).await;
    let ml = login(&client, &app.smtp, "passkey@example.com", 60).await;
    let user_id = ml.user_id.clone();
    let mut auth = SoftAuthenticator::new(true);

    // The creation options: a JSON string with base64url binary fields, passkey settings.
    let start = client
        .webauthn()
        .register_start(&RegisterStartRequest {
            user_id: user_id.clone(),
            domain: DOMAIN.into(),
            return_passkey_credential_options: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    let options: Value =
        serde_json::from_str(&start.public_key_credential_creation_options).unwrap();
    assert_eq!(options["rp"]["id"], DOMAIN);
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(
        options["authenticatorSelection"]["userVerification"],
        "preferred"
    );
    assert_eq!(options["attestation"], "none");
    let challenge = options["challenge"].as_str().unwrap();
    assert!(
        !challenge.contains(['+', '/', '=']),
        "base64url: {challenge}"
    );

    // Registered into the magic-link session: two factors.
    let reg = register(&client, &mut auth, &user_id, Some(&ml.session_token)).await;
    let id = reg.webauthn_registration_id.clone().unwrap();
    assert!(id.starts_with("webauthn-registration-test-"), "{id}");
    let session = reg.session.unwrap();
    assert_eq!(session.session_id, ml.session.unwrap().session_id);
    let kinds: Vec<_> = session
        .authentication_factors
        .iter()
        .map(|f| f.delivery_method.as_str())
        .collect();
    assert_eq!(kinds, ["email", "webauthn_registration"]);
    let w = session.authentication_factors[1]
        .webauthn_factor
        .clone()
        .unwrap();
    assert_eq!(
        (w.webauthn_registration_id.as_str(), w.domain.as_str()),
        (id.as_str(), DOMAIN)
    );
    assert_eq!(w.user_agent, "Test agent/1.0");

    // The user is told.
    let notice = app.smtp.last_to("passkey@example.com").await;
    let subject = notice.header("Subject").unwrap_or_default().to_owned();
    assert!(
        subject.contains("A passkey or security key was added"),
        "{subject}"
    );

    // The user object lists it; the credentials endpoint gives its public key.
    let user = client.users().get(&user_id).await.unwrap().user;
    assert_eq!(user.webauthn_registrations.len(), 1);
    assert_eq!(user.webauthn_registrations[0].webauthn_registration_id, id);
    assert!(user.webauthn_registrations[0].verified);
    let creds = client
        .webauthn()
        .credentials(&user_id, DOMAIN)
        .await
        .unwrap();
    assert_eq!(creds.credentials.len(), 1);
    assert_eq!(creds.credentials[0].credential_id, auth.credential_id());
    assert_eq!(creds.credentials[0].credential_type, "public-key");
    assert!(creds.credentials[0].public_key.len() > 80);

    // Search finds the user by its registration.
    assert_eq!(
        search(&client, "webauthn_registration_id", serde_json::json!([id])).await,
        std::slice::from_ref(&user_id)
    );
    assert_eq!(
        search(&client, "webauthn_registration_verified", true.into()).await,
        std::slice::from_ref(&user_id)
    );

    // A passkey login, no user named: the same user, a new session with the webauthn factor.
    let options = passkey_options(&client).await;
    let a = assert_with(&client, auth.get(&options, DOMAIN, ORIGIN))
        .await
        .unwrap();
    assert_eq!(a.user_id, user_id);
    assert_eq!(a.webauthn_registration_id.as_deref(), Some(id.as_str()));
    let factors = &a.session.unwrap().authentication_factors;
    assert_eq!(factors.len(), 1);
    assert_eq!(factors[0].factor_type, "webauthn");

    // A login naming the user lists its credential.
    let named = client
        .webauthn()
        .authenticate_start(&AuthenticateStartRequest {
            domain: DOMAIN.into(),
            user_id: Some(user_id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(named.user_id, user_id);
    let o: Value = serde_json::from_str(&named.public_key_credential_request_options).unwrap();
    assert_eq!(o["allowCredentials"][0]["id"], auth.credential_id());
    assert_with(
        &client,
        auth.get(&named.public_key_credential_request_options, DOMAIN, ORIGIN),
    )
    .await
    .unwrap();

    // Rename; an empty name is refused.
    let renamed = client.webauthn().update(&id, "Laptop").await.unwrap();
    assert_eq!(renamed.webauthn_registration.name, "Laptop");
    let (status, kind) = api_error(client.webauthn().update(&id, "  ").await);
    assert_eq!(
        (status, kind.as_str()),
        (400, "empty_webauthn_registration_name")
    );

    // The same credential again: refused, and the options exclude it.
    let again = client
        .webauthn()
        .register_start(&RegisterStartRequest {
            user_id: user_id.clone(),
            domain: DOMAIN.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let o: Value = serde_json::from_str(&again.public_key_credential_creation_options).unwrap();
    assert_eq!(o["excludeCredentials"][0]["id"], auth.credential_id());
    let credential = auth.create(
        &again.public_key_credential_creation_options,
        DOMAIN,
        ORIGIN,
    );
    let dup = client
        .webauthn()
        .register(&RegisterRequest {
            user_id: user_id.clone(),
            public_key_credential: credential,
            session: SessionOptions::default(),
        })
        .await;
    assert_eq!(api_error(dup).1, "duplicate_webauthn_registration");

    // Delete: gone from the user, and the passkey no longer logs in.
    let after = client.webauthn().delete(&id).await.unwrap();
    assert!(after.user.webauthn_registrations.is_empty());
    let options = passkey_options(&client).await;
    let (status, kind) = api_error(assert_with(&client, auth.get(&options, DOMAIN, ORIGIN)).await);
    assert_eq!(
        (status, kind.as_str()),
        (404, "webauthn_registration_not_found")
    );
    assert_eq!(
        api_error(client.webauthn().delete(&id).await).1,
        "webauthn_registration_not_found"
    );
}

/// The ids of the users one search filter finds.
pub(crate) async fn search(client: &Client, filter: &str, value: Value) -> Vec<String> {
    use tessera_client::proto::users::{SearchOperand, SearchQuery, SearchUsersRequest};
    let r = client
        .users()
        .search(&SearchUsersRequest {
            query: Some(SearchQuery {
                operator: "AND".into(),
                operands: vec![SearchOperand {
                    filter_name: filter.into(),
                    filter_value: value,
                }],
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    r.results.into_iter().map(|u| u.user_id).collect()
}

async fn webauthn_refuses_replays_clones_and_foreign_origins(app: &TestApp) {
    let client = project(app).await;
    let ml = login(&client, &app.smtp, "clone@example.com", 60).await;
    let mut auth = SoftAuthenticator::new(true);
    register(&client, &mut auth, &ml.user_id, None).await;

    // A replayed assertion: its ceremony was used.
    let options = passkey_options(&client).await;
    let credential = auth.get(&options, DOMAIN, ORIGIN);
    assert_with(&client, credential.clone()).await.unwrap();
    let (status, kind) = api_error(assert_with(&client, credential).await);
    assert_eq!(
        (status, kind.as_str()),
        (401, "unable_to_auth_webauthn_registration")
    );

    // A clone: its counter goes back.
    auth.set_counter(1);
    let options = passkey_options(&client).await;
    let r = assert_with(&client, auth.get(&options, DOMAIN, ORIGIN)).await;
    assert_eq!(api_error(r).1, "unable_to_auth_webauthn_registration");
    auth.set_counter(100);

    // Another origin (a phishing site), or a challenge the server never issued.
    let options = passkey_options(&client).await;
    let r = assert_with(
        &client,
        auth.get_with(&options, DOMAIN, "https://evil.example", None),
    );
    assert_eq!(api_error(r.await).1, "unable_to_auth_webauthn_registration");
    let options = passkey_options(&client).await;
    let forged = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let r = assert_with(
        &client,
        auth.get_with(&options, DOMAIN, ORIGIN, Some(forged)),
    );
    assert_eq!(api_error(r.await).1, "unable_to_auth_webauthn_registration");

    // A domain that is not the project's.
    let r = client
        .webauthn()
        .authenticate_start(&AuthenticateStartRequest {
            domain: "evil.example".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(api_error(r), (400, "invalid_webauthn_domain".into()));

    // A registration finished for another user than started it.
    let other = login(&client, &app.smtp, "other@example.com", 60).await;
    let start = client
        .webauthn()
        .register_start(&RegisterStartRequest {
            user_id: ml.user_id.clone(),
            domain: DOMAIN.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut second = SoftAuthenticator::new(false);
    let credential = second.create(
        &start.public_key_credential_creation_options,
        DOMAIN,
        ORIGIN,
    );
    let r = client
        .webauthn()
        .register(&RegisterRequest {
            user_id: other.user_id.clone(),
            public_key_credential: credential,
            session: SessionOptions::default(),
        })
        .await;
    assert_eq!(
        api_error(r),
        (400, "no_pending_webauthn_registration".into())
    );

    // The honest authenticator still works.
    let options = passkey_options(&client).await;
    assert_with(&client, auth.get(&options, DOMAIN, ORIGIN))
        .await
        .unwrap();
}

async fn one_assertion_logs_in_once_under_fifty_concurrent_uses(app: &TestApp) {
    let client = project(app).await;
    let ml = login(&client, &app.smtp, "race@example.com", 60).await;
    let mut auth = SoftAuthenticator::new(true);
    register(&client, &mut auth, &ml.user_id, None).await;
    let options = passkey_options(&client).await;
    let credential = auth.get(&options, DOMAIN, ORIGIN);
    let tries = (0..50).map(|_| {
        let (client, credential) = (client.clone(), credential.clone());
        tokio::spawn(async move { assert_with(&client, credential).await.is_ok() })
    });
    let mut wins = 0;
    for t in tries {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1, "one assertion, one session");
}

async fn webauthn_bad_input_gets_clear_errors(app: &TestApp) {
    let client = project(app).await;
    let ml = login(&client, &app.smtp, "bad@example.com", 60).await;
    for junk in [
        "",
        "not json",
        "{}",
        "[1,2]",
        r#"{"id":"x","rawId":"!!","type":"public-key"}"#,
    ] {
        let r = assert_with(&client, junk.into()).await;
        assert_eq!(
            api_error(r),
            (400, "invalid_public_key_credential".into()),
            "{junk}"
        );
        let r = client
            .webauthn()
            .register(&RegisterRequest {
                user_id: ml.user_id.clone(),
                public_key_credential: junk.into(),
                session: SessionOptions::default(),
            })
            .await;
        assert_eq!(api_error(r).1, "invalid_public_key_credential", "{junk}");
    }
    let r = client
        .webauthn()
        .register_start(&RegisterStartRequest {
            user_id: ml.user_id.clone(),
            domain: DOMAIN.into(),
            authenticator_type: Some("phone".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(api_error(r).1, "invalid_authenticator_type");
    let r = client
        .webauthn()
        .register_start(&RegisterStartRequest {
            user_id: "user-test-00000000-0000-0000-0000-000000000000".into(),
            domain: DOMAIN.into(),
            ..Default::default()
        })
        .await;
    assert_eq!(api_error(r).1, "user_not_found");
    let r = client
        .webauthn()
        .authenticate_start(&AuthenticateStartRequest {
            domain: DOMAIN.into(),
            user_id: Some(ml.user_id.clone()),
            ..Default::default()
        })
        .await;
    assert_eq!(
        api_error(r),
        (404, "webauthn_registration_not_found".into())
    );
    let r = client
        .webauthn()
        .credentials(&ml.user_id, DOMAIN)
        .await
        .unwrap();
    assert!(r.credentials.is_empty());

    // A project that names its parent domain as the relying party: its origin below it works,
    // the origin's own host is no longer a domain of the project.
    let creds = projects::create(
        (&app.store, &app.master),
        NewProject {
            name: "Parent domain".into(),
            authorized_origins: vec![ORIGIN.into()],
            redirect_urls: vec![format!("{ORIGIN}/authenticate")],
            policy: tessera_server::model::project::PolicyChange {
                webauthn_domains: Some(vec!["example.com".into()]),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let parent = Client::new(&app.base_url, &creds.project_id, &creds.secret).unwrap();
    let user = login(&parent, &app.smtp, "parent@example.com", 60).await;
    let mut auth = SoftAuthenticator::new(true);
    let start = parent
        .webauthn()
        .register_start(&RegisterStartRequest {
            user_id: user.user_id.clone(),
            domain: "example.com".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let credential = auth.create(
        &start.public_key_credential_creation_options,
        "example.com",
        ORIGIN,
    );
    let reg = parent
        .webauthn()
        .register(&RegisterRequest {
            user_id: user.user_id.clone(),
            public_key_credential: credential,
            session: SessionOptions::default(),
        })
        .await
        .unwrap();
    assert!(reg.webauthn_registration_id.is_some());
    let r = parent
        .webauthn()
        .authenticate_start(&AuthenticateStartRequest {
            domain: DOMAIN.into(),
            ..Default::default()
        })
        .await;
    assert_eq!(api_error(r).1, "invalid_webauthn_domain");
}

/// The Rust headless client, as a desktop app would use it: a Solana wallet login (the app's
/// wallet signs in a callback), a passkey added to that session through an authenticator the
/// app drives, a logout and a passkey login, a rename.
async fn the_headless_client_logs_in_with_a_wallet_and_a_passkey(app: &TestApp) {
    use ed25519_dalek::Signer as _;
    use tessera_client::headless::HeadlessClient;
    use tessera_client::proto::webauthn::SdkRegisterStartRequest;

    let (_, public_token) = project_with_token(app).await;
    let h = HeadlessClient::builder(&app.base_url, &public_token)
        .build()
        .unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    let address = bs58::encode(key.verifying_key().to_bytes()).into_string();
    let signer = key.clone();
    let s = h
        .crypto_wallets()
        .login(
            ("solana", &address),
            async move |challenge: String| {
                bs58::encode(signer.sign(challenge.as_bytes()).to_bytes()).into_string()
            },
            60,
        )
        .await
        .unwrap();
    assert_eq!(s.authentication_factors[0].factor_type, "crypto");
    let user = h.user().get_sync().unwrap();
    assert_eq!(user.crypto_wallets[0].crypto_wallet_address, address);
    assert!(user.crypto_wallets[0].verified);

    let mut auth = SoftAuthenticator::new(true);
    let options = h
        .webauthn()
        .register_start(&SdkRegisterStartRequest {
            domain: DOMAIN.into(),
            return_passkey_credential_options: Some(true),
            user_agent: Some("desktop-app/1.0".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let stepped = h
        .webauthn()
        .register(&auth.create(&options, DOMAIN, ORIGIN), 60)
        .await
        .unwrap();
    assert_eq!(stepped.session_id, s.session_id);
    assert_eq!(stepped.authentication_factors.len(), 2);

    h.session().revoke().await.unwrap();
    assert!(h.session().get_sync().is_none());
    let options = h.webauthn().authenticate_start(DOMAIN, true).await.unwrap();
    let again = h
        .webauthn()
        .authenticate(&auth.get(&options, DOMAIN, ORIGIN), 60)
        .await
        .unwrap();
    assert_eq!(again.user_id, user.user_id);
    let id = h.user().get_sync().unwrap().webauthn_registrations[0]
        .webauthn_registration_id
        .clone();
    let renamed = h.webauthn().update(&id, "Desk key").await.unwrap();
    assert_eq!(renamed.webauthn_registration.name, "Desk key");
}
