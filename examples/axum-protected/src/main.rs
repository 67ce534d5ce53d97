//! An axum service whose `/me` route needs a Tessera session, checked locally from the session
//! JWT (Bearer header or the browser SDK's `stytch_session_jwt` cookie) with no round trip, and
//! whose `/` route greets signed-in and anonymous visitors alike.
//!
//! ```sh
//! TESSERA_URL=http://127.0.0.1:4000 TESSERA_PROJECT_ID=project-test-… \
//! TESSERA_SECRET=secret-test-… cargo run -p axum-protected
//! curl -H "Authorization: Bearer $SESSION_JWT" http://127.0.0.1:3001/me
//! ```

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tessera_client::Client;
use tessera_client::axum::{Authenticated, SessionAuth};

/// Only for signed-in users: the session the request carries.
async fn me(Authenticated(session): Authenticated) -> Json<Value> {
    Json(json!({
        "user_id": session.user_id,
        "session_id": session.session_id,
        "expires_at": session.expires_at,
        "factors": session.authentication_factors.len(),
    }))
}

/// For everyone.
async fn home(session: Option<Authenticated>) -> String {
    match session {
        Some(Authenticated(s)) => format!("Hello, {}!\n", s.user_id),
        None => "Hello, stranger! GET /me with a session to see it.\n".into(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str| {
        std::env::var(name).map_err(|_| format!("set {name} (see the example's doc comment)"))
    };
    let client = Client::new(
        &var("TESSERA_URL")?,
        &var("TESSERA_PROJECT_ID")?,
        &var("TESSERA_SECRET")?,
    )?;
    let app = Router::new()
        .route("/", get(home))
        .route("/me", get(me))
        .with_state(SessionAuth::new(client));
    let addr = std::env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:3001".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
