//! Email magic links end to end, on both backends, with a real SMTP conversation.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::Digest;
use tessera_client::proto::magic_links::*;
use tessera_client::proto::sessions::SessionOptions;
use tessera_client::proto::users::CreateUserRequest;

use crate::delivery::link_token;
use crate::harness::{TestApp, api_error, both_backends};

both_backends!(
    login_or_create_then_authenticate,
    a_token_raced_by_50_requests_yields_exactly_one_session,
    send_reaches_known_users_only,
    pkce_binds_the_link_to_its_requester,
    redirect_urls_are_checked_against_the_project,
    invites_and_their_revocation,
    embeddable_links,
    attribute_matching,
    bad_authenticate_inputs_do_not_spend_the_token,
    sandbox_magic_links,
);

fn req(email: &str) -> EmailMagicLinkRequest {
    EmailMagicLinkRequest {
        email: email.into(),
        ..Default::default()
    }
}

fn auth(token: &str) -> AuthenticateMagicLinkRequest {
    AuthenticateMagicLinkRequest {
        token: token.into(),
        ..Default::default()
    }
}

async fn login_or_create_then_authenticate(app: &TestApp) {
    let ml = app.client.magic_links();
    let first = ml.login_or_create(&req("New@Example.com")).await.unwrap();
    assert!(first.user_created);
    let mail = app.smtp.last_to("new@example.com").await;
    assert!(
        mail.header("Subject")
            .unwrap()
            .starts_with("Finish signing up"),
        "{}",
        mail.data
    );
    assert!(
        mail.body()
            .contains("http://localhost:3000/authenticate?stytch_token_type=magic_links&token="),
        "{}",
        mail.data
    );
    let token = link_token(&mail);
    assert_eq!(token.len(), 44);

    // Without a duration, no session: empty strings and null, as the SDKs expect.
    let r = ml.authenticate(&auth(&token)).await.unwrap();
    assert_eq!(r.user_id, first.user_id);
    assert_eq!(r.method_id, first.email_id);
    assert_eq!((r.session_token.as_str(), r.session_jwt.as_str()), ("", ""));
    assert!(r.session.is_none());
    assert!(
        r.user.emails[0].verified,
        "the email is verified by the link"
    );
    assert_eq!(r.user.status, "active");
    assert!(!r.reset_sessions);

    // A second login_or_create finds the user and sends a login link.
    let second = ml.login_or_create(&req("new@example.com")).await.unwrap();
    assert!(!second.user_created);
    assert_eq!(second.user_id, first.user_id);
    let mail = app.smtp.last_to("new@example.com").await;
    assert!(mail.header("Subject").unwrap().starts_with("Log in to"));
    let r = ml
        .authenticate(&AuthenticateMagicLinkRequest {
            token: link_token(&mail),
            session: SessionOptions {
                session_duration_minutes: Some(60),
                ..Default::default()
            },
            ..Default::default()
        })
        .await
        .unwrap();
    let s = r.session.unwrap();
    assert_eq!(
        s.authentication_factors[0]
            .email_factor
            .as_ref()
            .unwrap()
            .email_address,
        "new@example.com"
    );
    assert_eq!(r.session_token.len(), 44);

    // Pending users created by login_or_create stay pending until they authenticate.
    let p = ml
        .login_or_create(&EmailMagicLinkRequest {
            create_user_as_pending: Some(true),
            ..req("pending@example.com")
        })
        .await
        .unwrap();
    assert_eq!(
        app.client
            .users()
            .get(&p.user_id)
            .await
            .unwrap()
            .user
            .status,
        "pending"
    );
}

async fn a_token_raced_by_50_requests_yields_exactly_one_session(app: &TestApp) {
    let token = app.magic_link_token("race@example.com").await;
    let client = Arc::new(app.client.clone());
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let client = Arc::clone(&client);
            let token = token.clone();
            tokio::spawn(async move {
                client
                    .magic_links()
                    .authenticate(&AuthenticateMagicLinkRequest {
                        token,
                        session: SessionOptions {
                            session_duration_minutes: Some(60),
                            ..Default::default()
                        },
                        ..Default::default()
                    })
                    .await
            })
        })
        .collect();
    let mut wins = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(r) => wins.push(r),
            Err(e) => assert_eq!(e.error_type(), Some("unable_to_auth_magic_link"), "{e}"),
        }
    }
    assert_eq!(wins.len(), 1, "exactly one request wins the token");
    let sessions = app.client.sessions().list(&wins[0].user_id).await.unwrap();
    assert_eq!(sessions.sessions.len(), 1, "exactly one session exists");
}

async fn send_reaches_known_users_only(app: &TestApp) {
    let ml = app.client.magic_links();
    assert_eq!(
        api_error(ml.send(&req("stranger@example.com")).await),
        (404, "email_not_found".into())
    );
    assert_eq!(app.smtp.count_to("stranger@example.com"), 0);
    let u = app
        .client
        .users()
        .create(&CreateUserRequest {
            email: Some("known@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let r = ml.send(&req("known@example.com")).await.unwrap();
    assert_eq!(
        (r.user_id.as_str(), r.email_id.as_str()),
        (u.user_id.as_str(), u.email_id.as_str())
    );
    let token = link_token(&app.smtp.last_to("known@example.com").await);
    ml.authenticate(&auth(&token)).await.unwrap();

    // send with user_id leaves a new address off the user until its link is spent.
    let r = ml
        .send(&EmailMagicLinkRequest {
            user_id: Some(u.user_id.clone()),
            ..req("second@example.com")
        })
        .await
        .unwrap();
    assert_eq!(r.user_id, u.user_id);
    let user = app.client.users().get(&u.user_id).await.unwrap().user;
    assert!(user.emails.iter().all(|e| e.email != "second@example.com"));
    ml.authenticate(&auth(&link_token(
        &app.smtp.last_to("second@example.com").await,
    )))
    .await
    .unwrap();
    let user = app.client.users().get(&u.user_id).await.unwrap().user;
    assert_eq!(user.emails.len(), 2);
    assert!(user.emails.iter().all(|e| e.verified));
}

async fn pkce_binds_the_link_to_its_requester(app: &TestApp) {
    let verifier = "a-very-long-random-verifier-string-0123456789";
    let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let ml = app.client.magic_links();
    ml.login_or_create(&EmailMagicLinkRequest {
        code_challenge: Some(challenge),
        ..req("pkce@example.com")
    })
    .await
    .unwrap();
    let token = link_token(&app.smtp.last_to("pkce@example.com").await);
    assert_eq!(
        api_error(ml.authenticate(&auth(&token)).await),
        (400, "pkce_expected_code_verifier".into())
    );
    let wrong = AuthenticateMagicLinkRequest {
        code_verifier: Some("wrong".into()),
        ..auth(&token)
    };
    assert_eq!(api_error(ml.authenticate(&wrong).await).1, "pkce_mismatch");
    let right = AuthenticateMagicLinkRequest {
        code_verifier: Some(verifier.into()),
        ..auth(&token)
    };
    ml.authenticate(&right)
        .await
        .expect("failed PKCE attempts do not spend the token");

    // A verifier for a link sent without a challenge is refused too.
    let token = app.magic_link_token("pkce@example.com").await;
    let extra = AuthenticateMagicLinkRequest {
        code_verifier: Some(verifier.into()),
        ..auth(&token)
    };
    assert_eq!(
        api_error(ml.authenticate(&extra).await).1,
        "pkce_did_not_expect_code_verifier"
    );
}

async fn redirect_urls_are_checked_against_the_project(app: &TestApp) {
    let ml = app.client.magic_links();
    let evil = EmailMagicLinkRequest {
        login_magic_link_url: Some("https://evil.example.net/steal".into()),
        signup_magic_link_url: Some("https://evil.example.net/steal".into()),
        ..req("redirect@example.com")
    };
    assert_eq!(
        api_error(ml.login_or_create(&evil).await),
        (400, "no_match_for_provided_magic_link_url".into())
    );
    assert_eq!(app.smtp.count_to("redirect@example.com"), 0);
    // The refused call created no user.
    let all = app
        .client
        .users()
        .search(&Default::default())
        .await
        .unwrap();
    assert_eq!(all.results_metadata.total, 0);
    let ok = EmailMagicLinkRequest {
        signup_magic_link_url: Some("http://localhost:3000/authenticate".into()),
        ..req("redirect@example.com")
    };
    ml.login_or_create(&ok).await.unwrap();
    let bad_expiry = EmailMagicLinkRequest {
        login_expiration_minutes: Some(4),
        ..req("redirect@example.com")
    };
    assert_eq!(
        api_error(ml.login_or_create(&bad_expiry).await).1,
        "invalid_expiration"
    );
    let bad_locale = EmailMagicLinkRequest {
        locale: Some("xx".into()),
        ..req("redirect@example.com")
    };
    assert_eq!(
        api_error(ml.login_or_create(&bad_locale).await).1,
        "invalid_locale"
    );
    assert_eq!(
        api_error(ml.login_or_create(&req("not-an-email")).await).1,
        "invalid_email"
    );

    // A project without redirect URLs must be given one.
    let (_, bare) = app.new_project(false).await;
    assert_eq!(
        api_error(
            bare.magic_links()
                .login_or_create(&req("bare@example.com"))
                .await
        )
        .1,
        "no_signup_redirect_urls_set"
    );
}

async fn invites_and_their_revocation(app: &TestApp) {
    let ml = app.client.magic_links();
    let inv = ml
        .invite(&InviteRequest {
            email: "invitee@example.com".into(),
            name: Some(tessera_client::proto::common::Name {
                first_name: Some("In".into()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    let user = app.client.users().get(&inv.user_id).await.unwrap().user;
    assert_eq!(user.status, "pending");
    assert_eq!(user.name.first_name.as_deref(), Some("In"));
    assert!(
        app.smtp
            .last_to("invitee@example.com")
            .await
            .header("Subject")
            .unwrap()
            .contains("invited")
    );

    // Revoking the invite kills the link and the pending user.
    let token = link_token(&app.smtp.last_to("invitee@example.com").await);
    ml.revoke_invite(&RevokeInviteRequest {
        email: "invitee@example.com".into(),
    })
    .await
    .unwrap();
    assert_eq!(
        api_error(ml.authenticate(&auth(&token)).await).1,
        "magic_link_not_found"
    );
    assert_eq!(
        api_error(app.client.users().get(&inv.user_id).await).1,
        "user_not_found"
    );
    assert_eq!(
        api_error(
            ml.revoke_invite(&RevokeInviteRequest {
                email: "invitee@example.com".into()
            })
            .await
        )
        .1,
        "invite_not_found"
    );

    // An accepted invite activates the user; active users cannot be invited again.
    let inv = ml
        .invite(&InviteRequest {
            email: "joiner@example.com".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    // With a session: the link, the email, the status and the session are written together.
    let r = ml
        .authenticate(&AuthenticateMagicLinkRequest {
            session: SessionOptions {
                session_duration_minutes: Some(30),
                ..Default::default()
            },
            ..auth(&link_token(&app.smtp.last_to("joiner@example.com").await))
        })
        .await
        .unwrap();
    assert_eq!(r.user_id, inv.user_id);
    assert_eq!(r.user.status, "active");
    assert!(r.user.emails[0].verified);
    let stored = app.client.users().get(&inv.user_id).await.unwrap().user;
    assert_eq!(stored.status, "active");
    assert!(stored.emails[0].verified);
    let seen = app
        .client
        .sessions()
        .authenticate(
            &tessera_client::proto::sessions::AuthenticateSessionRequest {
                session_token: Some(r.session_token.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        seen.session.session_id,
        r.session.as_ref().unwrap().session_id
    );
    assert_eq!(seen.user.status, "active");
    assert!(seen.user.emails[0].verified);
    let factors = &seen.session.authentication_factors;
    assert_eq!(factors.len(), 1);
    assert_eq!(factors[0].delivery_method, "email");
    assert_eq!(
        api_error(
            ml.invite(&InviteRequest {
                email: "joiner@example.com".into(),
                ..Default::default()
            })
            .await
        ),
        (400, "user_already_active".into())
    );
}

async fn embeddable_links(app: &TestApp) {
    let u = app
        .client
        .users()
        .create(&CreateUserRequest {
            email: Some("embed@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let ml = app.client.magic_links();
    let created = ml
        .create(&CreateEmbeddableRequest {
            user_id: u.user_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.token.len(), 44);
    let r = ml
        .authenticate(&AuthenticateMagicLinkRequest {
            token: created.token.clone(),
            session: SessionOptions {
                session_duration_minutes: Some(30),
                ..Default::default()
            },
            ..Default::default()
        })
        .await
        .unwrap();
    let f = &r.session.unwrap().authentication_factors[0];
    assert_eq!(
        (f.factor_type.as_str(), f.delivery_method.as_str()),
        ("magic_link", "embedded")
    );
    assert!(
        !r.user.emails[0].verified,
        "embeddable links verify no email"
    );
    assert_eq!(
        api_error(ml.authenticate(&auth(&created.token)).await).1,
        "unable_to_auth_magic_link"
    );
    assert_eq!(
        api_error(
            ml.create(&CreateEmbeddableRequest {
                user_id: "user-test-nobody".into(),
                ..Default::default()
            })
            .await
        )
        .1,
        "user_not_found"
    );
}

async fn attribute_matching(app: &TestApp) {
    let ml = app.client.magic_links();
    let attrs = |ip: &str| {
        Some(tessera_client::proto::common::Attributes {
            ip_address: Some(ip.into()),
            user_agent: Some("Browser/1".into()),
        })
    };
    ml.login_or_create(&EmailMagicLinkRequest {
        attributes: attrs("198.51.100.1"),
        ..req("attrs@example.com")
    })
    .await
    .unwrap();
    let token = link_token(&app.smtp.last_to("attrs@example.com").await);
    let strict = |ip: &str| AuthenticateMagicLinkRequest {
        attributes: attrs(ip),
        options: Some(AttributeOptions {
            ip_match_required: true,
            user_agent_match_required: true,
        }),
        ..auth(&token)
    };
    assert_eq!(
        api_error(ml.authenticate(&strict("203.0.113.7")).await),
        (401, "attribute_mismatch".into())
    );
    ml.authenticate(&strict("198.51.100.1")).await.unwrap();
}

async fn bad_authenticate_inputs_do_not_spend_the_token(app: &TestApp) {
    let ml = app.client.magic_links();
    let token = app.magic_link_token("careful@example.com").await;
    let with = |s: SessionOptions| AuthenticateMagicLinkRequest {
        session: s,
        ..auth(&token)
    };
    let cases = vec![
        (
            SessionOptions {
                session_duration_minutes: Some(1),
                ..Default::default()
            },
            "invalid_session_duration_minutes",
        ),
        (
            SessionOptions {
                session_token: Some("a".into()),
                session_jwt: Some("b".into()),
                ..Default::default()
            },
            "too_many_session_arguments",
        ),
        (
            SessionOptions {
                session_token: Some("unknown".into()),
                ..Default::default()
            },
            "session_not_found",
        ),
        (
            SessionOptions {
                session_duration_minutes: Some(60),
                session_custom_claims: Some(
                    serde_json::json!({"iss": "me"})
                        .as_object()
                        .unwrap()
                        .clone(),
                ),
                ..Default::default()
            },
            "reserved_claims_in_custom_claims",
        ),
    ];
    for (s, expected) in cases {
        assert_eq!(api_error(ml.authenticate(&with(s)).await).1, expected);
    }
    // Another user's session cannot receive this factor.
    let other = app.login("other@example.com", 60).await;
    let r = ml
        .authenticate(&with(SessionOptions {
            session_token: Some(other.session_token),
            ..Default::default()
        }))
        .await;
    assert_eq!(api_error(r), (400, "user_id_mismatch".into()));
    // The token still works.
    ml.authenticate(&auth(&token)).await.unwrap();
    assert_eq!(
        api_error(ml.authenticate(&auth("no-such-token")).await),
        (404, "magic_link_not_found".into())
    );

    // An expired link is refused at once.
    use tessera_server::model::Timestamp;
    let expired = "expired-token-for-test-0000000000000000000=";
    let record = tessera_server::store::magic_links::MagicLinkRecord {
        user_id: other.user_id.clone(),
        email_id: Some(other.user.emails[0].email_id.clone()),
        kind: "login".into(),
        code_challenge: None,
        ip_address: String::new(),
        user_agent: String::new(),
        expires_at: Timestamp::now().millis() - 1,
        used_at: None,

        pending_address: None,
    };
    app.store
        .insert_magic_link(
            &app.creds.project_id,
            tessera_server::crypto::Digest256::of(expired),
            &record,
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        api_error(ml.authenticate(&auth(expired)).await),
        (401, "unable_to_auth_magic_link".into())
    );
}

async fn sandbox_magic_links(app: &TestApp) {
    let ml = app.client.magic_links();
    let sandbox_user = "user-test-e3795c81-f849-4167-bfda-e4a6e9c280fd";
    let r = ml.send(&req("sandbox@stytch.com")).await.unwrap();
    assert_eq!(r.user_id, sandbox_user);
    assert_eq!(
        ml.login_or_create(&req("sandbox@stytch.com"))
            .await
            .unwrap()
            .user_id,
        sandbox_user
    );
    assert_eq!(
        app.smtp.count_to("sandbox@stytch.com"),
        0,
        "sandbox sends nothing"
    );
    for _ in 0..2 {
        let r = ml
            .authenticate(&AuthenticateMagicLinkRequest {
                session: SessionOptions {
                    session_duration_minutes: Some(60),
                    ..Default::default()
                },
                ..auth("DOYoip3rvIMMW5lgItikFK-Ak1CfMsgjuiCyI7uuU94=")
            })
            .await
            .expect("the sandbox token is reusable");
        assert_eq!(r.user_id, sandbox_user);
        assert_eq!(r.user.emails[0].email, "sandbox@stytch.com");
    }
    let used = ml
        .authenticate(&auth("3pzjQpgksDlGKWEwUq2Up--hCHC_0oamfLHyfspKDFU="))
        .await;
    assert_eq!(api_error(used), (401, "unable_to_auth_magic_link".into()));
    let missing = ml
        .authenticate(&auth("CprTtwhnRNiMBiUS2jSLcWYrfuO2POeBNdo5HhW6qTM="))
        .await;
    assert_eq!(api_error(missing), (404, "magic_link_not_found".into()));
}
