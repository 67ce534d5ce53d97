//! The OpenAPI document is generated from the router and must describe every route; the
//! compatibility table must agree with it.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::harness::{Backend, spawn_app};

fn documented_routes(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

/// `| METHOD | /path | done |` rows of COMPATIBILITY.md.
fn compatibility_done_rows() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../COMPATIBILITY.md"
    ))
    .expect("COMPATIBILITY.md at the repository root");
    text.lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells.len() >= 4 && cells[3].starts_with("done"))
                .then(|| (cells[1].to_owned(), cells[2].trim_matches('`').to_owned()))
        })
        .collect()
}

#[tokio::test]
async fn every_route_is_documented_and_answers() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc: Value = reqwest::get(app.url("/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc,
        serde_json::to_value(tessera_server::http::openapi()).unwrap()
    );
    let documented = documented_routes(&doc);
    assert!(documented.len() >= 10, "{documented:?}");

    // Every documented route exists: none answers route_not_found or method_not_allowed.
    let http = reqwest::Client::new();
    for (method, path) in &documented {
        let concrete = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x-test" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let res = http
            .request(method.parse().unwrap(), app.url(&concrete))
            .basic_auth(&app.creds.project_id, Some(&app.creds.secret))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert!(
            body["error_type"] != "route_not_found" && body["error_type"] != "method_not_allowed",
            "{method} {path} is documented but not routed ({status}: {body})"
        );
    }

    // Every documented /v1 route is marked done in COMPATIBILITY.md, and vice versa.
    let documented_v1: BTreeSet<_> = documented
        .into_iter()
        .filter(|(_, p)| p.starts_with("/v1/"))
        .collect();
    assert_eq!(documented_v1, compatibility_done_rows());

    // Every documented operation names its request and response schemas.
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            assert!(
                op["responses"]["200"]["content"]["application/json"]["schema"].is_object(),
                "{method} {path} has no 200 schema"
            );
            if method == "post" || method == "put" {
                assert!(
                    op["requestBody"].is_object(),
                    "{method} {path} has no request body schema"
                );
            }
        }
    }
}
