//! Sessions end to end, on both backends: the scenarios of Stytch's session guide, the JWT
//! contract checked by a third-party JOSE library, expired-JWT fallback, key rotation,
//! revocation, expiry and purge.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tessera_client::OtpChannel;
use tessera_client::proto::otps::{OtpAuthenticateRequest, OtpSendRequest};
use tessera_client::proto::sessions::*;
use tessera_server::model::Timestamp;

use crate::delivery::code_in;
use crate::harness::{TestApp, api_error, both_backends};

both_backends!(
    remember_me_for_30_days_after_login,
    remember_me_for_30_days_since_last_seen,
    log_out_one_session_and_everywhere,
    second_factor_joins_the_same_session,
    jwt_verifies_with_a_third_party_jose_library,
    expired_jwt_of_a_live_session_is_refreshed,
    rotated_keys_keep_old_jwts_valid,
    custom_claims_merge_delete_and_are_checked,
    bad_session_requests_get_specific_errors,
    expired_sessions_are_rejected_at_once_and_purged,
    sandbox_session_behaves_as_at_stytch,
    deleting_a_user_ends_its_sessions,
    answers_follow_every_change_at_once,
    concurrent_authenticates_each_get_their_own_session,
);

fn by_token(t: &str) -> AuthenticateSessionRequest {
    AuthenticateSessionRequest {
        session_token: Some(t.into()),
        ..Default::default()
    }
}

fn ts(s: &str) -> i64 {
    Timestamp::parse_rfc3339(s).unwrap().millis()
}

async fn remember_me_for_30_days_after_login(app: &TestApp) {
    let login = app.login("ada@example.com", 43200).await;
    let s = login.session.clone().unwrap();
    assert_eq!(login.session_token.len(), 44);
    assert!(s.session_id.starts_with("session-test-"));
    let thirty_days = 43200 * 60_000;
    assert!((ts(&s.expires_at) - ts(&s.started_at) - thirty_days).abs() <= 1000);
    let r = app
        .client
        .sessions()
        .authenticate(&by_token(&login.session_token))
        .await
        .unwrap();
    assert_eq!(r.session.session_id, s.session_id);
    assert_eq!(
        r.session.expires_at, s.expires_at,
        "no extension without a duration"
    );
    assert_eq!(r.session_token, login.session_token);
    assert_eq!(r.user.user_id, login.user_id);
    // Within a minute nothing is rewritten and the same JWT is handed out again.
    assert_eq!(r.session.last_accessed_at, s.last_accessed_at);
    assert_eq!(r.session_jwt, login.session_jwt);

    // Once last_accessed_at is a minute old, authenticate records the access and mints anew.
    let pid = &app.creds.project_id;
    let now = Timestamp::now();
    let mut stored = app
        .store
        .session_by_id(pid, &s.session_id, now)
        .await
        .unwrap()
        .unwrap();
    stored.last_accessed_at = Timestamp::from_millis(now.millis() - 61_000);
    assert!(
        app.store
            .update_session(pid, &stored, now, &[])
            .await
            .unwrap()
    );
    let r = app
        .client
        .sessions()
        .authenticate(&by_token(&login.session_token))
        .await
        .unwrap();
    assert!((ts(&r.session.last_accessed_at) - Timestamp::now().millis()).abs() < 2_000);
    assert_eq!(r.session.expires_at, s.expires_at);
    // The access is written behind, within a flush interval (250 ms).
    let mut stored_at = String::new();
    for _ in 0..100 {
        let listed = app.client.sessions().list(&login.user_id).await.unwrap();
        stored_at = listed.sessions[0].last_accessed_at.clone();
        if stored_at == r.session.last_accessed_at {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(stored_at, r.session.last_accessed_at, "and it was stored");

    // Written behind, an access time only moves forward, and never brings a session back.
    let sid = s.session_id.clone();
    let record_then_read = |at: i64| {
        let (pid, sid) = (pid.clone(), sid.clone());
        async move {
            if at > 0 {
                let batch = [(pid.clone(), sid.clone(), at)];
                app.store.record_accesses(&batch).await.unwrap();
            }
            let row = app.store.session_by_id(&pid, &sid, Timestamp::now());
            row.await.unwrap().map(|r| r.last_accessed_at.millis())
        }
    };
    let at = record_then_read(0).await.unwrap();
    assert_eq!(
        record_then_read(at - 5_000).await,
        Some(at),
        "not moved back"
    );
    let later = Some(at + 1_000);
    assert_eq!(record_then_read(at + 1_000).await, later, "moved forward");
    let now = Timestamp::now();
    assert!(
        app.store
            .delete_session(
                pid,
                &sid,
                now,
                (
                    tessera_server::model::event::EndReason::RevokedByApi,
                    tessera_server::model::event::Actor::Project
                )
            )
            .await
            .unwrap()
    );
    assert_eq!(record_then_read(at + 2_000).await, None, "not brought back");
}

async fn remember_me_for_30_days_since_last_seen(app: &TestApp) {
    let login = app.login("bob@example.com", 60).await;
    let before = ts(&login.session.as_ref().unwrap().expires_at);
    let r = app
        .client
        .sessions()
        .authenticate(&AuthenticateSessionRequest {
            session_token: Some(login.session_token.clone()),
            session_duration_minutes: Some(43200),
            ..Default::default()
        })
        .await
        .unwrap();
    let after = ts(&r.session.expires_at);
    assert!(
        after - before > 43000 * 60_000,
        "expires_at moved to now + 30 days"
    );
    // The JWT never states a later end than the session's. After an extension it may state the
    // earlier one until its successor, signed in the background, states the new one.
    let stated = |jwt: &str| {
        let p = payload(jwt);
        let claim = ts(p["https://stytch.com/session"]["expires_at"]
            .as_str()
            .unwrap());
        assert!(
            p["exp"].as_i64().unwrap() * 1000 <= claim,
            "exp within the session"
        );
        claim
    };
    assert!([before, after].contains(&stated(&r.session_jwt)));
    let mut jwt = r.session_jwt.clone();
    for _ in 0..100 {
        if stated(&jwt) == after {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let req = by_token(&login.session_token);
        let again = app.client.sessions().authenticate(&req).await.unwrap();
        jwt = again.session_jwt;
    }
    assert_eq!(stated(&jwt), after, "the successor states the extension");
    assert!(verify_with_jwks(app, &jwt, true).await.is_ok());
    // Asked again at once, the extension is not due (it would move the end by under 30 s):
    // the same end, without a write.
    let extend = AuthenticateSessionRequest {
        session_token: Some(login.session_token.clone()),
        session_duration_minutes: Some(43200),
        ..Default::default()
    };
    for _ in 0..3 {
        let again = app.client.sessions().authenticate(&extend).await.unwrap();
        assert_eq!(ts(&again.session.expires_at), after);
    }
    // And it can be shortened again.
    let r = app
        .client
        .sessions()
        .authenticate(&AuthenticateSessionRequest {
            session_token: Some(login.session_token.clone()),
            session_duration_minutes: Some(5),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(ts(&r.session.expires_at) < before);
    assert_eq!(
        stated(&r.session_jwt),
        ts(&r.session.expires_at),
        "a shortened session gets a JWT stating its new end at once"
    );
    // A revoked session fails at once, with a duration as without.
    app.revoke_token(&login.session_token).await;
    let err = app
        .client
        .sessions()
        .authenticate(&extend)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), Some("session_not_found"), "{err:?}");
}

async fn log_out_one_session_and_everywhere(app: &TestApp) {
    let a = app.login("carol@example.com", 60).await;
    let b = app.login("carol@example.com", 60).await;
    let c = app.login("carol@example.com", 60).await;
    let user_id = a.user_id.clone();
    let sessions = app.client.sessions();

    // Log out one session, by id: its token fails at once, the others live.
    sessions
        .revoke(&RevokeSessionRequest {
            session_id: Some(a.session.as_ref().unwrap().session_id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        api_error(sessions.authenticate(&by_token(&a.session_token)).await),
        (404, "session_not_found".into())
    );
    sessions
        .authenticate(&by_token(&b.session_token))
        .await
        .unwrap();

    // Revoking by token and by JWT works too; a second revoke finds nothing.
    sessions
        .revoke(&RevokeSessionRequest {
            session_jwt: Some(b.session_jwt.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        api_error(
            sessions
                .revoke(&RevokeSessionRequest {
                    session_jwt: Some(b.session_jwt.clone()),
                    ..Default::default()
                })
                .await
        ),
        (404, "session_not_found".into())
    );

    // Log out everywhere: list and revoke each.
    let d = app.login("carol@example.com", 60).await;
    let listed = sessions.list(&user_id).await.unwrap();
    let mut ids: Vec<_> = listed
        .sessions
        .iter()
        .map(|s| s.session_id.clone())
        .collect();
    ids.sort();
    let mut expected = vec![c.session.unwrap().session_id, d.session.unwrap().session_id];
    expected.sort();
    assert_eq!(ids, expected, "only live sessions are listed");
    for s in &listed.sessions {
        assert_eq!(s.user_id, user_id);
        assert_eq!(s.roles, vec!["stytch_user"]);
        sessions
            .revoke(&RevokeSessionRequest {
                session_id: Some(s.session_id.clone()),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    assert!(sessions.list(&user_id).await.unwrap().sessions.is_empty());
    for t in [&c.session_token, &d.session_token] {
        assert_eq!(
            api_error(sessions.authenticate(&by_token(t)).await).1,
            "session_not_found"
        );
    }
    // Listing an unknown user is a 404.
    assert_eq!(
        api_error(sessions.list("user-test-nobody").await).1,
        "user_not_found"
    );
}

async fn second_factor_joins_the_same_session(app: &TestApp) {
    let login = app.login("dave@example.com", 43200).await;
    // Attach a phone to the session's user and prove it with an SMS passcode.
    let sent = app
        .client
        .otps()
        .send(
            OtpChannel::Sms,
            &OtpSendRequest {
                phone_number: Some("+14155550142".into()),
                session_token: Some(login.session_token.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(sent.user_id, login.user_id);
    let phone_id = sent.phone_id.unwrap();
    let code = code_in(&app.sms.last_to("sms", "+14155550142").await);
    let r = app
        .client
        .otps()
        .authenticate(&OtpAuthenticateRequest {
            method_id: phone_id.clone(),
            code,
            session: SessionOptions {
                session_token: Some(login.session_token.clone()),
                ..Default::default()
            },
            ..Default::default()
        })
        .await
        .unwrap();
    let s = r.session.unwrap();
    assert_eq!(
        s.session_id,
        login.session.unwrap().session_id,
        "the same session"
    );
    assert_eq!(r.session_token, login.session_token);
    let factors: Vec<(&str, &str)> = s
        .authentication_factors
        .iter()
        .map(|f| (f.factor_type.as_str(), f.delivery_method.as_str()))
        .collect();
    assert_eq!(factors, vec![("magic_link", "email"), ("otp", "sms")]);
    assert_eq!(
        s.authentication_factors[1]
            .phone_number_factor
            .as_ref()
            .unwrap()
            .phone_id,
        phone_id
    );
    assert!(
        r.user.phone_numbers[0].verified,
        "proving the phone verifies it"
    );
    // The JWT carries both factors too.
    let claims = payload(&r.session_jwt);
    assert_eq!(
        claims["https://stytch.com/session"]["authentication_factors"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

fn payload(jwt: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}

fn header(jwt: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap()
}

/// Verifies a JWT against the JWKS with the `jsonwebtoken` crate, as a third party would.
async fn verify_with_jwks(app: &TestApp, jwt: &str, check_exp: bool) -> Result<Value, String> {
    let jwks: Value = reqwest::get(app.url(&format!("/v1/sessions/jwks/{}", app.creds.project_id)))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = header(jwt)["kid"].as_str().unwrap().to_owned();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .ok_or("kid not in JWKS")?;
    let decoding = jsonwebtoken::DecodingKey::from_rsa_components(
        key["n"].as_str().unwrap(),
        key["e"].as_str().unwrap(),
    )
    .map_err(|e| e.to_string())?;
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[&app.creds.project_id]);
    v.set_issuer(&[format!("stytch.com/{}", app.creds.project_id)]);
    v.set_required_spec_claims(&["exp", "nbf", "iat", "aud", "iss", "sub"]);
    v.validate_exp = check_exp;
    v.validate_nbf = true;
    v.leeway = 0;
    jsonwebtoken::decode::<Value>(jwt, &decoding, &v)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

async fn jwt_verifies_with_a_third_party_jose_library(app: &TestApp) {
    let login = app.login("erin@example.com", 60).await;
    let r = app
        .client
        .sessions()
        .authenticate(&AuthenticateSessionRequest {
            session_token: Some(login.session_token.clone()),
            session_custom_claims: Some(
                json!({"plan": "pro", "org": {"id": 7}})
                    .as_object()
                    .unwrap()
                    .clone(),
            ),
            ..Default::default()
        })
        .await
        .unwrap();
    let jwt = &r.session_jwt;
    let h = header(jwt);
    assert_eq!(h["alg"], "RS256");
    assert_eq!(h["typ"], "JWT");
    assert!(h["kid"].as_str().unwrap().starts_with("jwk-test-"));

    let claims = verify_with_jwks(app, jwt, true)
        .await
        .expect("verifies against the JWKS");
    assert_eq!(claims["sub"], login.user_id.as_str());
    assert_eq!(claims["aud"], json!([app.creds.project_id]));
    assert_eq!(claims["iat"], claims["nbf"]);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    assert_eq!(claims["plan"], "pro", "custom claims at the top level");
    assert_eq!(claims["org"]["id"], 7);
    let s = &claims["https://stytch.com/session"];
    assert_eq!(s["id"], r.session.session_id.as_str());
    for key in ["started_at", "last_accessed_at", "expires_at"] {
        assert!(
            Timestamp::parse_rfc3339(s[key].as_str().unwrap()).is_some(),
            "{key}"
        );
    }
    assert_eq!(s["expires_at"], r.session.expires_at.as_str());
    assert_eq!(s["roles"], json!(["stytch_user"]));
    assert!(s["attributes"]["ip_address"].is_string() && s["attributes"]["user_agent"].is_string());
    let f = &s["authentication_factors"][0];
    assert_eq!(
        (f["type"].as_str(), f["delivery_method"].as_str()),
        (Some("magic_link"), Some("email"))
    );
    assert!(f.get("created_at").is_none(), "no created_at inside JWTs");
    assert_eq!(f["email_factor"]["email_address"], "erin@example.com");

    // A tampered JWT fails both the third-party check and the server.
    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    let mut forged = payload(jwt);
    forged["sub"] = json!("user-test-someone-else");
    parts[1] = URL_SAFE_NO_PAD.encode(forged.to_string());
    let forged = parts.join(".");
    assert!(verify_with_jwks(app, &forged, true).await.is_err());
    let r = app
        .client
        .sessions()
        .authenticate(&AuthenticateSessionRequest {
            session_jwt: Some(forged),
            ..Default::default()
        })
        .await;
    assert_eq!(api_error(r), (401, "unable_to_parse_session_jwt".into()));
}

/// Signs `claims` with the project's current key, as the server would have earlier.
async fn sign_as_server(app: &TestApp, claims: &Value) -> String {
    let ring = tessera_server::service::keys::KeyRing::new(
        std::time::Duration::ZERO,
        std::sync::Arc::clone(&app.master),
    );
    let current = ring
        .signing_key(&app.store, &app.creds.project_id)
        .await
        .unwrap();
    current.sign(claims).unwrap()
}

async fn expired_jwt_of_a_live_session_is_refreshed(app: &TestApp) {
    let login = app.login("frank@example.com", 120).await;
    let mut claims = payload(&login.session_jwt);
    let hour = 3600;
    for k in ["iat", "nbf", "exp"] {
        claims[k] = json!(claims[k].as_i64().unwrap() - hour);
    }
    let expired = sign_as_server(app, &claims).await;
    assert!(
        verify_with_jwks(app, &expired, true)
            .await
            .unwrap_err()
            .contains("Expired")
    );
    assert!(
        verify_with_jwks(app, &expired, false).await.is_ok(),
        "validly signed"
    );

    let r = app
        .client
        .sessions()
        .authenticate(&AuthenticateSessionRequest {
            session_jwt: Some(expired.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        r.session.session_id,
        login.session.as_ref().unwrap().session_id
    );
    assert_eq!(
        r.session_token, login.session_token,
        "a JWT caller is handed the session's token, as at Stytch"
    );
    verify_with_jwks(app, &r.session_jwt, true)
        .await
        .expect("the fresh JWT is valid");

    // Once the session is revoked, the same JWT is refused.
    app.revoke_token(&login.session_token).await;
    let r = app
        .client
        .sessions()
        .authenticate(&AuthenticateSessionRequest {
            session_jwt: Some(expired),
            ..Default::default()
        })
        .await;
    assert_eq!(api_error(r), (404, "session_not_found".into()));
}

async fn rotated_keys_keep_old_jwts_valid(app: &TestApp) {
    let login = app.login("grace@example.com", 60).await;
    let old_kid = header(&login.session_jwt)["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let new_kid = tessera_server::service::keys::rotate(
        &app.store,
        &app.master,
        &app.creds.project_id,
        tessera_server::model::Environment::Test,
    )
    .await
    .unwrap();
    assert_ne!(old_kid, new_kid);

    let jwks = app.client.sessions().jwks().await.unwrap();
    let kids: Vec<_> = jwks.keys.iter().map(|k| k.kid.clone()).collect();
    assert_eq!(
        kids.len(),
        2,
        "old and new keys are both published: {kids:?}"
    );
    assert!(kids.contains(&old_kid) && kids.contains(&new_kid));

    // The old JWT still verifies, locally and on the server; new JWTs use the new key.
    verify_with_jwks(app, &login.session_jwt, true)
        .await
        .unwrap();
    let r = app
        .client
        .sessions()
        .authenticate(&AuthenticateSessionRequest {
            session_jwt: Some(login.session_jwt.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(header(&r.session_jwt)["kid"], new_kid.as_str());
    verify_with_jwks(app, &r.session_jwt, true).await.unwrap();
}

async fn custom_claims_merge_delete_and_are_checked(app: &TestApp) {
    let login = app.login("heidi@example.com", 60).await;
    let sessions = app.client.sessions();
    let with = |claims: Value| AuthenticateSessionRequest {
        session_token: Some(login.session_token.clone()),
        session_custom_claims: Some(claims.as_object().unwrap().clone()),
        ..Default::default()
    };
    sessions
        .authenticate(&with(json!({"a": 1, "b": {"x": 1}})))
        .await
        .unwrap();
    let r = sessions
        .authenticate(&with(json!({"a": null, "c": true})))
        .await
        .unwrap();
    assert_eq!(
        Value::Object(r.session.custom_claims.clone()),
        json!({"b": {"x": 1}, "c": true})
    );
    let claims = payload(&r.session_jwt);
    assert!(claims.get("a").is_none());
    assert_eq!(claims["c"], true);
    // Claims persist on later calls without claims.
    let r = sessions
        .authenticate(&by_token(&login.session_token))
        .await
        .unwrap();
    assert_eq!(r.session.custom_claims.len(), 2);

    for (claims, expected) in [
        (json!({"sub": "x"}), "reserved_claims_in_custom_claims"),
        (json!({"exp": 1}), "reserved_claims_in_custom_claims"),
        (
            json!({"https://stytch.com/session": {}}),
            "stytch_claims_in_custom_claims",
        ),
        (json!({"big": "x".repeat(5000)}), "custom_claims_too_large"),
    ] {
        assert_eq!(
            api_error(sessions.authenticate(&with(claims)).await),
            (400, expected.into())
        );
    }
    // A refused change changed nothing.
    let r = sessions
        .authenticate(&by_token(&login.session_token))
        .await
        .unwrap();
    assert_eq!(
        Value::Object(r.session.custom_claims),
        json!({"b": {"x": 1}, "c": true})
    );
}

async fn bad_session_requests_get_specific_errors(app: &TestApp) {
    let login = app.login("ivan@example.com", 60).await;
    let s = app.client.sessions();
    let cases: Vec<(AuthenticateSessionRequest, u16, &str)> = vec![
        (
            AuthenticateSessionRequest::default(),
            400,
            "no_session_arguments",
        ),
        (
            AuthenticateSessionRequest {
                session_token: Some(login.session_token.clone()),
                session_jwt: Some(login.session_jwt.clone()),
                ..Default::default()
            },
            400,
            "too_many_session_arguments",
        ),
        (
            AuthenticateSessionRequest {
                session_token: Some(login.session_token.clone()),
                session_duration_minutes: Some(4),
                ..Default::default()
            },
            400,
            "invalid_session_duration_minutes",
        ),
        (
            AuthenticateSessionRequest {
                session_token: Some(login.session_token.clone()),
                session_duration_minutes: Some(527_041),
                ..Default::default()
            },
            400,
            "invalid_session_duration_minutes",
        ),
        (by_token("not-a-real-token"), 404, "session_not_found"),
        (
            AuthenticateSessionRequest {
                session_jwt: Some("garbage".into()),
                ..Default::default()
            },
            401,
            "unable_to_parse_session_jwt",
        ),
    ];
    for (req, status, kind) in cases {
        assert_eq!(api_error(s.authenticate(&req).await), (status, kind.into()));
    }
    assert_eq!(
        api_error(s.revoke(&RevokeSessionRequest::default()).await).1,
        "no_session_revoke_arguments"
    );
    let two = RevokeSessionRequest {
        session_id: Some("session-test-x".into()),
        session_token: Some(login.session_token.clone()),
        ..Default::default()
    };
    assert_eq!(
        api_error(s.revoke(&two).await).1,
        "too_many_session_revoke_arguments"
    );
    let unknown = RevokeSessionRequest {
        session_id: Some("session-test-x".into()),
        ..Default::default()
    };
    assert_eq!(
        api_error(s.revoke(&unknown).await),
        (404, "session_not_found".into())
    );
    // None of that touched the session.
    s.authenticate(&by_token(&login.session_token))
        .await
        .unwrap();

    // A JWT of another project is refused, whatever its signature.
    let (_, other) = app.new_project(false).await;
    let r = other
        .sessions()
        .authenticate(&AuthenticateSessionRequest {
            session_jwt: Some(login.session_jwt.clone()),
            ..Default::default()
        })
        .await;
    assert_eq!(api_error(r).0, 401);
    assert_eq!(
        api_error(
            other
                .sessions()
                .authenticate(&by_token(&login.session_token))
                .await
        )
        .1,
        "session_not_found"
    );

    // The JWKS answers with and without credentials, and 404s unknown projects.
    let anon: Value = reqwest::get(app.url(&format!("/v1/sessions/jwks/{}", app.creds.project_id)))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let authed = app.client.sessions().jwks().await.unwrap();
    assert_eq!(anon["keys"][0]["kid"], authed.keys[0].kid.as_str());
    for k in [
        "kty", "use", "key_ops", "alg", "kid", "x5c", "x5tS256", "n", "e",
    ] {
        assert!(anon["keys"][0].get(k).is_some(), "JWKS key field {k}");
    }
    let res = reqwest::get(app.url("/v1/sessions/jwks/project-test-nope"))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

async fn expired_sessions_are_rejected_at_once_and_purged(app: &TestApp) {
    let login = app.login("judy@example.com", 60).await;
    let pid = &app.creds.project_id;
    let now = Timestamp::now();
    let session_id = login.session.as_ref().unwrap().session_id.clone();
    let mut s = app
        .store
        .session_by_id(pid, &session_id, now)
        .await
        .unwrap()
        .unwrap();
    s.expires_at = Timestamp::from_millis(now.millis() - 1);
    assert!(app.store.update_session(pid, &s, now, &[]).await.unwrap());

    // Rejected at once, by token and by JWT, and no longer listed.
    assert_eq!(
        api_error(
            app.client
                .sessions()
                .authenticate(&by_token(&login.session_token))
                .await
        )
        .1,
        "session_not_found"
    );
    let by_jwt = AuthenticateSessionRequest {
        session_jwt: Some(login.session_jwt.clone()),
        ..Default::default()
    };
    assert_eq!(
        api_error(app.client.sessions().authenticate(&by_jwt).await).1,
        "session_not_found"
    );
    assert!(
        app.client
            .sessions()
            .list(&login.user_id)
            .await
            .unwrap()
            .sessions
            .is_empty()
    );

    // The purge deletes it (and only expired rows).
    let live = app.login("judy@example.com", 60).await;
    let purged = app
        .store
        .purge_expired(
            Timestamp::now(),
            Timestamp::from_millis(0),
            Timestamp::from_millis(0),
        )
        .await
        .unwrap();
    assert!(purged >= 1);
    assert!(
        app.store
            .session_by_id(pid, &session_id, Timestamp::from_millis(0))
            .await
            .unwrap()
            .is_none()
    );
    app.client
        .sessions()
        .authenticate(&by_token(&live.session_token))
        .await
        .unwrap();
}

async fn sandbox_session_behaves_as_at_stytch(app: &TestApp) {
    let s = app.client.sessions();
    let r = s
        .authenticate(&by_token("WJtR5BCy38Szd5AfoDpf0iqFKEt4EE5JhjlWUY7l3FtY"))
        .await
        .unwrap();
    assert_eq!(
        r.session.user_id,
        "user-test-e3795c81-f849-4167-bfda-e4a6e9c280fd"
    );
    assert_eq!(
        r.session.session_id,
        "session-test-eb94233f-8800-4ebd-8645-51dc15f9d028"
    );
    assert_eq!(
        r.session_token,
        "WJtR5BCy38Szd5AfoDpf0iqFKEt4EE5JhjlWUY7l3FtY"
    );
    verify_with_jwks(app, &r.session_jwt, true).await.unwrap();
    assert_eq!(
        api_error(
            s.authenticate(&by_token("59cnLELtq5cFVS6uYK9f-pAWzBkhqZl8AvLhbhOvKNWw"))
                .await
        ),
        (404, "session_not_found".into())
    );
    let revoke = RevokeSessionRequest {
        session_token: Some("WJtR5BCy38Szd5AfoDpf0iqFKEt4EE5JhjlWUY7l3FtY".into()),
        ..Default::default()
    };
    assert_eq!(
        api_error(s.revoke(&revoke).await).1,
        "cannot_revoke_sandbox_session"
    );
    s.authenticate(&by_token("WJtR5BCy38Szd5AfoDpf0iqFKEt4EE5JhjlWUY7l3FtY"))
        .await
        .unwrap();
    // Live projects have no sandbox.
    let (_, live) = app.new_project(true).await;
    assert_eq!(
        api_error(
            live.sessions()
                .authenticate(&by_token("WJtR5BCy38Szd5AfoDpf0iqFKEt4EE5JhjlWUY7l3FtY"))
                .await
        )
        .1,
        "session_not_found"
    );
}

async fn deleting_a_user_ends_its_sessions(app: &TestApp) {
    let login = app.login("ken@example.com", 60).await;
    app.client.users().delete(&login.user_id).await.unwrap();
    assert_eq!(
        api_error(
            app.client
                .sessions()
                .authenticate(&by_token(&login.session_token))
                .await
        )
        .1,
        "session_not_found"
    );
}

/// `sessions/authenticate` reuses a rendered answer only while a fresh read of the session row
/// and the user's version match it: every change, by any path, shows in the very next answer,
/// whether the session is named by token or by a JWT verified before.
async fn answers_follow_every_change_at_once(app: &TestApp) {
    use tessera_client::proto::common::Name;
    use tessera_client::proto::users::UpdateUserRequest;
    use tessera_server::model::user::{PhoneFactor, PhoneNumber};
    use tessera_server::store::users::NewFactor;

    let login = app.login("cache@example.com", 60).await;
    let (pid, uid) = (&app.creds.project_id, &login.user_id);
    let by_jwt = AuthenticateSessionRequest {
        session_jwt: Some(login.session_jwt.clone()),
        ..Default::default()
    };
    let both = || async {
        let t = app
            .client
            .sessions()
            .authenticate(&by_token(&login.session_token))
            .await
            .unwrap();
        let j = app.client.sessions().authenticate(&by_jwt).await.unwrap();
        assert_eq!(t.user, j.user);
        assert_eq!(t.session, j.session);
        assert_eq!(
            j.session_token, t.session_token,
            "a JWT caller gets the token too"
        );
        t
    };
    // Twice, so the second answer is the reused one.
    let first = both().await;
    let again = both().await;
    assert_eq!(first.user, again.user);
    assert_eq!(first.session_jwt, again.session_jwt);

    // A change through the API.
    app.client
        .users()
        .update(
            uid,
            &UpdateUserRequest {
                name: Some(Name {
                    first_name: Some("Grace".into()),
                    ..Default::default()
                }),
                trusted_metadata: Some(json!({ "plan": "pro" })),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let r = both().await;
    assert_eq!(r.user.name.first_name.as_deref(), Some("Grace"));
    assert_eq!(r.user.trusted_metadata["plan"], "pro");

    // A factor added straight through the store (no service code runs): the triggers see it.
    let now = Timestamp::now();
    let phone = PhoneFactor {
        phone_id: format!("phone-number-test-{}", uuid::Uuid::new_v4()),
        phone_number: PhoneNumber::parse("+15555550199").unwrap(),
        verified: false,
    };
    app.store
        .add_factor(pid, uid, &NewFactor::Phone(phone.clone()), now)
        .await
        .unwrap();
    let r = both().await;
    assert_eq!(r.user.phone_numbers.len(), 1);
    assert_eq!(r.user.phone_numbers[0].phone_id, phone.phone_id);

    // Removing it, and the email, through the API.
    app.client
        .users()
        .delete_phone_number(&phone.phone_id)
        .await
        .unwrap();
    app.client
        .users()
        .delete_email(&r.user.emails[0].email_id)
        .await
        .unwrap();
    let r = both().await;
    assert!(r.user.phone_numbers.is_empty() && r.user.emails.is_empty());

    // The session row changed behind the service's back.
    let mut stored = app
        .store
        .session_by_id(pid, &r.session.session_id, now)
        .await
        .unwrap()
        .unwrap();
    stored.custom_claims.insert("tier".into(), json!("gold"));
    assert!(
        app.store
            .update_session(pid, &stored, now, &[])
            .await
            .unwrap()
    );
    let r = both().await;
    assert_eq!(r.session.custom_claims["tier"], "gold");
    assert_ne!(r.session_jwt, first.session_jwt, "new claims, new JWT");

    // Revoked: both ways fail at once.
    app.revoke_token(&login.session_token).await;
    for req in [by_token(&login.session_token), by_jwt.clone()] {
        let r = app.client.sessions().authenticate(&req).await;
        assert_eq!(api_error(r), (404, "session_not_found".to_owned()));
    }
}

/// Many concurrent `sessions/authenticate` calls (on PostgreSQL they are coalesced into shared
/// queries) each get exactly the session they named, and a revoked one fails among them.
async fn concurrent_authenticates_each_get_their_own_session(app: &TestApp) {
    let mut logins = Vec::new();
    for i in 0..4 {
        logins.push(app.login(&format!("crowd{i}@example.com"), 60).await);
    }
    let revoked = logins.pop().unwrap();
    app.revoke_token(&revoked.session_token).await;
    let client = std::sync::Arc::new(app.client.clone());
    let mut tasks = Vec::new();
    for round in 0..20 {
        for (i, login) in logins.iter().chain([&revoked]).enumerate() {
            let req = if (round + i) % 2 == 0 {
                by_token(&login.session_token)
            } else {
                AuthenticateSessionRequest {
                    session_jwt: Some(login.session_jwt.clone()),
                    ..Default::default()
                }
            };
            let expected = login.session.as_ref().unwrap().session_id.clone();
            let live = login.session_token != revoked.session_token;
            let client = std::sync::Arc::clone(&client);
            tasks.push(tokio::spawn(async move {
                let r = client.sessions().authenticate(&req).await;
                (expected, live, r)
            }));
        }
    }
    for t in tasks {
        let (expected, live, r) = t.await.unwrap();
        if live {
            let r = r.unwrap();
            assert_eq!(r.session.session_id, expected);
            assert_eq!(r.user.user_id, r.session.user_id);
        } else {
            assert_eq!(api_error(r), (404, "session_not_found".to_owned()));
        }
    }
}
