//! The wire, byte by byte: error envelopes for bad input, and the calling conventions of the
//! official SDKs (Python's repeated ids and query parameters, Node's `{}` DELETE bodies, the Rust
//! crate's percent-encoded hyphens).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{TestApp, both_backends};

both_backends!(
    bad_requests_get_the_envelope,
    sdk_calling_conventions_are_accepted,
    nul_characters_are_the_callers_error,
);

/// Sends a request and checks the error envelope: HTTP status equals `status_code`, all five
/// fields present, JSON content type.
async fn expect_error(req: reqwest::RequestBuilder, status: u16, error_type: &str) -> Value {
    let res = req.send().await.unwrap();
    assert_eq!(
        res.status().as_u16(),
        status,
        "HTTP status for {error_type}"
    );
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    assert_eq!(res.headers()["cache-control"], "no-store", "{error_type}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status_code"], status, "{body}");
    assert_eq!(body["error_type"], error_type, "{body}");
    assert!(
        body["request_id"]
            .as_str()
            .unwrap()
            .starts_with("request-id-"),
        "{body}"
    );
    assert!(
        !body["error_message"].as_str().unwrap().is_empty(),
        "{body}"
    );
    assert_eq!(
        body["error_url"],
        format!("https://stytch.com/docs/api/errors/{status}#{error_type}")
    );
    body
}

async fn bad_requests_get_the_envelope(app: &TestApp) {
    let http = reqwest::Client::new();
    let (pid, secret) = (&app.creds.project_id, &app.creds.secret);
    let authed =
        |m: Method, path: &str| http.request(m, app.url(path)).basic_auth(pid, Some(secret));

    // Credentials.
    expect_error(
        http.get(app.url("/v1/users/x")),
        401,
        "unauthorized_credentials",
    )
    .await;
    expect_error(
        http.get(app.url("/v1/users/x"))
            .basic_auth(pid, Some("secret-test-wrong")),
        401,
        "unauthorized_credentials",
    )
    .await;
    expect_error(
        http.get(app.url("/v1/users/x"))
            .basic_auth("project-test-nope", Some(secret)),
        401,
        "unauthorized_credentials",
    )
    .await;
    expect_error(
        http.get(app.url("/v1/users/x"))
            .header("authorization", "Bearer abc"),
        401,
        "invalid_authorization_header",
    )
    .await;
    expect_error(
        http.get(app.url("/v1/users/x"))
            .header("authorization", "Basic %%%"),
        401,
        "invalid_authorization_header",
    )
    .await;
    // Credentials are checked before the body is read.
    expect_error(
        http.post(app.url("/v1/users")).body("{not json"),
        401,
        "unauthorized_credentials",
    )
    .await;

    // Bodies.
    let b = expect_error(
        authed(Method::POST, "/v1/users").body("{not json"),
        400,
        "bad_request",
    )
    .await;
    assert!(
        b["error_message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    let b = expect_error(authed(Method::POST, "/v1/users"), 400, "bad_request").await;
    assert!(b["error_message"].as_str().unwrap().contains("empty"));
    // serde would fill the fields from an array by position (it made a user of this once).
    let b = expect_error(
        authed(Method::POST, "/v1/users").body(r#"["arr@example.com"]"#),
        400,
        "bad_request",
    )
    .await;
    assert!(b["error_message"].as_str().unwrap().contains("JSON object"));
    expect_error(
        authed(Method::POST, "/v1/users").body("   "),
        400,
        "bad_request",
    )
    .await;
    let b = expect_error(
        authed(Method::POST, "/v1/users").json(&json!({"email": 42})),
        400,
        "bad_request",
    )
    .await;
    assert!(
        b["error_message"]
            .as_str()
            .unwrap()
            .contains("does not match")
    );
    expect_error(
        authed(Method::POST, "/v1/users").json(&json!([1])),
        400,
        "bad_request",
    )
    .await;
    expect_error(
        authed(Method::POST, "/v1/users").body(vec![b'a'; 2 * 1024 * 1024]),
        413,
        "request_too_large",
    )
    .await;

    // Routes and methods.
    expect_error(authed(Method::GET, "/v1/nope"), 404, "route_not_found").await;
    expect_error(http.get(app.url("/")), 404, "route_not_found").await;
    expect_error(
        authed(Method::PATCH, "/v1/users/x"),
        405,
        "method_not_allowed",
    )
    .await;
    expect_error(
        authed(Method::GET, "/v1/users/search"),
        405,
        "method_not_allowed",
    )
    .await;

    // A well-formed request for something that is not there.
    expect_error(
        authed(
            Method::GET,
            "/v1/users/user-test-00000000-0000-0000-0000-000000000000",
        ),
        404,
        "user_not_found",
    )
    .await;

    // Nothing above created anything, and the server still works.
    let r: Value = authed(Method::POST, "/v1/users/search")
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["results_metadata"]["total"], 0);
}

/// A NUL character (which PostgreSQL cannot store in text) in a query or a body: a client
/// error on both backends, never a 500 (found by schemathesis in `GET /v1/sessions`).
async fn nul_characters_are_the_callers_error(app: &TestApp) {
    let http = reqwest::Client::new();
    let auth =
        |r: reqwest::RequestBuilder| r.basic_auth(&app.creds.project_id, Some(&app.creds.secret));
    for req in [
        auth(http.get(app.url("/v1/sessions?user_id=user%00x"))),
        auth(http.get(app.url("/v1/events?user_id=%00"))),
        auth(http.get(app.url("/v1/sessions/session%00x/timeline"))),
        auth(http.post(app.url("/v1/users")))
            .json(&json!({"email": "nul@example.com", "name": {"first_name": "a\u{0}b"}})),
    ] {
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        assert!((200..500).contains(&status), "{status}: {body}");
    }
}

async fn sdk_calling_conventions_are_accepted(app: &TestApp) {
    // Successes are not to be cached either, on both APIs.
    for path in [
        format!("/v1/sessions/jwks/{}", app.creds.project_id),
        format!("/sdk/v1/projects/bootstrap/{}", app.creds.public_token),
        "/healthz".to_owned(),
    ] {
        let res = reqwest::get(app.url(&path)).await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
    }
    let http = reqwest::Client::new();
    let (pid, secret) = (&app.creds.project_id, &app.creds.secret);
    let authed = |m: Method, url: String| http.request(m, url).basic_auth(pid, Some(secret));

    // No Content-Type (curl without -H) is fine.
    let res = authed(Method::POST, app.url("/v1/users"))
        .body(r#"{"email":"conv@example.com","external_id":"conv-1"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let created: Value = res.json().await.unwrap();
    let user_id = created["user_id"].as_str().unwrap().to_owned();

    // Python: every argument repeated as a query parameter; PUT repeats the id in the body.
    let res = authed(
        Method::GET,
        app.url(&format!("/v1/users/{user_id}?user_id={user_id}")),
    )
    .header("content-type", "application/json")
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["user_id"], user_id.as_str());
    assert!(
        got.get("user").is_none(),
        "get is flattened, no user wrapper"
    );
    for key in [
        "emails",
        "phone_numbers",
        "webauthn_registrations",
        "providers",
        "totps",
        "crypto_wallets",
        "biometric_registrations",
        "roles",
    ] {
        assert!(got[key].is_array(), "{key} must be an array");
    }
    assert!(got["is_locked"].is_boolean());
    assert!(got["password"].is_null());

    let res = authed(Method::PUT, app.url(&format!("/v1/users/{user_id}")))
        .json(&json!({"user_id": user_id, "name": {"first_name": "Conv"}, "unknown_field": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Stytch's Rust crate percent-encodes hyphens in ids and sends `{}` bodies on GET.
    let encoded = user_id.replace('-', "%2D");
    let res = authed(
        Method::GET,
        app.url(&format!("/v1/users/{encoded}?user_id={encoded}")),
    )
    .json(&json!({}))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Explicit nulls for unset options (the Rust crate) mean "absent".
    let res = authed(Method::POST, app.url("/v1/users"))
        .json(
            &json!({"email": "nulls@example.com", "phone_number": null, "name": null,
                      "trusted_metadata": null, "external_id": null, "roles": null,
                      "create_user_as_pending": null}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Node: DELETE carries `{}`; Python: no body.
    let res = authed(
        Method::DELETE,
        app.url(&format!("/v1/users/{user_id}/external_id")),
    )
    .json(&json!({}))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = authed(Method::DELETE, app.url(&format!("/v1/users/{user_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status_code"], 200);
    assert_eq!(body["user_id"], user_id.as_str());
}

/// A client that opens a connection and never finishes its headers (slow loris) is cut off
/// after the header-read timeout instead of holding the connection forever. Storage plays no
/// part, so SQLite only.
#[tokio::test]
async fn unfinished_headers_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = crate::harness::spawn_app(crate::harness::Backend::Sqlite).await;
    let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed =
        tokio::time::timeout(std::time::Duration::from_secs(25), s.read_to_end(&mut rest)).await;
    assert!(
        closed.is_ok(),
        "the connection was still open 25 s after it stopped sending headers"
    );
}
