//! The admin channel: its wire form, and commands reaching a running server.
use super::*;
use crate::store::SqliteSharing;

#[test]
fn requests_round_trip_as_tagged_json() {
    let req = AdminRequest::ProjectCreate {
        name: "Shop".into(),
        live: true,
        redirect_urls: vec!["https://shop.example.com/auth".into()],
        authorized_origins: vec![],
        policy: PolicyChange {
            session_idle_timeout_minutes: Some(30),
            ..Default::default()
        },
    };
    let text = serde_json::to_string(&req).unwrap();
    assert!(text.contains(r#""command":"project_create""#), "{text}");
    assert_eq!(serde_json::from_str::<AdminRequest>(&text).unwrap(), req);
    let rotate: AdminRequest = serde_json::from_str(r#"{"command":"keys_rotate"}"#).unwrap();
    assert_eq!(rotate, AdminRequest::KeysRotate { project: None });
    assert!(serde_json::from_str::<AdminRequest>(r#"{"command":"drop_all"}"#).is_err());
    let at = |p: &str| socket_path(&DatabaseUrl::Sqlite(p.into())).unwrap();
    assert_eq!(at("/d/tessera.db"), Path::new("/d/tessera.db-admin.sock"));
    assert_eq!(at("tessera.db"), Path::new("./tessera.db-admin.sock"));
    assert!(socket_path(&DatabaseUrl::Postgres("postgres://h/db".into())).is_none());
}

#[tokio::test]
async fn commands_reach_a_running_server_over_the_socket() {
    let dir = tempfile::tempdir().unwrap();
    let db = DatabaseUrl::Sqlite(dir.path().join("tessera.db"));
    let path = socket_path(&db).unwrap();
    let list = AdminRequest::ProjectList;
    assert!(call(&path, &list).await.is_none(), "no server yet");

    let store = Store::connect_with(&db, SqliteSharing::Exclusive)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let master = Arc::new(crate::sealing::MasterKey::generate().0);
    let held = Held {
        store: store.clone(),
        master,
    };
    let listener = AdminListener::bind(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
    };
    let server = tokio::spawn(serve(listener, held, Arc::new(|| {}), shutdown));

    let create = AdminRequest::ProjectCreate {
        name: "Shop".into(),
        live: false,
        redirect_urls: vec![],
        authorized_origins: vec!["https://shop.example.com".into()],
        policy: Default::default(),
    };
    let creds = call(&path, &create).await.unwrap().unwrap();
    let project_id = creds["project_id"].as_str().unwrap();
    assert!(project_id.starts_with("project-test-"), "{creds}");
    assert!(
        creds["secret"]
            .as_str()
            .unwrap()
            .starts_with("secret-test-")
    );
    let rows = call(&path, &list).await.unwrap().unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["project_id"], project_id);
    assert_eq!(rows[0]["environment"], "test");
    assert_eq!(rows[0]["authorized_origins"][0], "https://shop.example.com");
    let rotate = AdminRequest::KeysRotate {
        project: Some("nope".into()),
    };
    let err = call(&path, &rotate).await.unwrap().unwrap_err();
    assert_eq!(err.to_string(), "no such project");

    stop.send(()).unwrap();
    server.await.unwrap();
    assert!(!path.exists(), "the socket is removed on shutdown");
    store.close().await;
    // A socket file left by a server that died, or any other file: no server answers.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(call(&path, &list).await.is_none());
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, b"").unwrap();
    assert!(call(&path, &list).await.is_none());
}
