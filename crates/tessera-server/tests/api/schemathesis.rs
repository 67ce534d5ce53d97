//! schemathesis (PyPI) against `/openapi.json` on both backends: every documented operation,
//! generated inputs, no server error and no answer outside its schema. A bounded budget here
//! (`TESSERA_SCHEMATHESIS_EXAMPLES`, default 25 per operation and phase); the longer run is
//! `sdk-tests/schemathesis/run URL PROJECT SECRET PUBLIC_TOKEN 500` against any server.

use crate::harness::{TestApp, both_backends};
use crate::sdk::repo;

both_backends!(schemathesis_finds_no_server_error_nor_schema_break);

async fn schemathesis_finds_no_server_error_nor_schema_break(app: &TestApp) {
    let examples =
        std::env::var("TESSERA_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "25".to_owned());
    let out = tokio::process::Command::new(repo().join("sdk-tests/schemathesis/run"))
        .arg(format!("http://127.0.0.1:{}", app.addr.port()))
        .args([
            &app.creds.project_id,
            &app.creds.secret,
            &app.creds.public_token,
            &examples,
        ])
        .output()
        .await
        .expect("run sdk-tests/schemathesis/run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
