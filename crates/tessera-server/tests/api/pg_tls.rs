//! TLS to PostgreSQL: a throw-away cluster with `ssl=on` and a test CA that refuses clear-text
//! connections. `sslmode=verify-full` with the CA connects and serves; a clear-text connection,
//! another CA and a name the certificate does not carry are all refused.

use std::path::Path;
use std::process::Command;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use tessera_server::service::master_key::MasterKeySource;
use tessera_server::store::DatabaseUrl;
use tessera_server::{Config, Server};

use crate::harness::{free_port, initdb, is_root, pg_bin_dir, pg_command, spawn_with};

/// A CA, and a server certificate for `localhost` only that it signed: (ca.pem, cert, key).
fn certificates() -> (String, String, String) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Tessera test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let server = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = server.signed_by(&key, &ca_cert, &ca_key).unwrap();
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

/// Stops the cluster when the test ends.
struct Cluster {
    data: std::path::PathBuf,
    port: u16,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = pg_command(&pg_bin_dir().join("pg_ctl"), is_root())
            .arg("-D")
            .arg(&self.data)
            .args(["stop", "-m", "immediate"])
            .output();
    }
}

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn start_tls_cluster(dir: &Path, cert: &str, key: &str) -> Cluster {
    let root = is_root();
    let bin = pg_bin_dir();
    let data = dir.join("data");
    write_private(&dir.join("server.crt"), cert);
    write_private(&dir.join("server.key"), key);
    if root {
        assert!(
            Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir)
                .status()
                .unwrap()
                .success()
        );
    }
    initdb(&data);
    // TLS only: a clear-text connection is turned away.
    let hba = "local all all trust\n\
               hostssl all all 127.0.0.1/32 trust\n\
               hostnossl all all 127.0.0.1/32 reject\n";
    let hba_path = data.join("pg_hba.conf");
    std::fs::write(&hba_path, hba).unwrap();
    if root {
        assert!(
            Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&hba_path)
                .status()
                .unwrap()
                .success()
        );
    }
    let port = free_port();
    let opts = format!(
        "-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on \
         -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key",
        dir = dir.display()
    );
    let out = pg_command(&bin.join("pg_ctl"), root)
        .arg("-D")
        .arg(&data)
        .args(["-o", &opts, "-l"])
        .arg(dir.join("log"))
        .args(["-w", "start"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(dir.join("log")).unwrap_or_default()
    );
    Cluster { data, port }
}

#[tokio::test]
async fn verify_full_over_tls_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates();
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, &ca).unwrap();
    let cluster = start_tls_cluster(dir.path(), &cert, &key);
    let url = |host: &str, mode: &str, root: &Path| {
        format!(
            "postgres://postgres@{host}:{}/postgres?sslmode={mode}&sslrootcert={}",
            cluster.port,
            root.display()
        )
    };
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("master.key");
    tessera_server::sealing::MasterKey::create(&key_file).unwrap();
    let config = |u: String| {
        let mut c = Config::for_tests(DatabaseUrl::parse(&u).unwrap());
        c.master_key = MasterKeySource::File(key_file.clone());
        c
    };

    // Verified, by name: the server starts and logins work over it.
    let app = spawn_with(config(url("localhost", "verify-full", &ca_path)), None).await;
    let login = app.login("tls@example.com", 30).await;
    assert!(!login.session_token.is_empty());
    drop(app);

    // Clear text is refused by the cluster; another CA, or a name not in the certificate,
    // by Tessera.
    let other_ca = dir.path().join("other-ca.pem");
    std::fs::write(&other_ca, certificates().0).unwrap();
    for (u, why) in [
        (url("localhost", "disable", &ca_path), "clear text"),
        (url("localhost", "verify-full", &other_ca), "another CA"),
        (
            url("127.0.0.1", "verify-full", &ca_path),
            "a name the certificate lacks",
        ),
    ] {
        let err = match Server::build(&config(u)).await {
            Ok(_) => panic!("connected with {why}"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains("connecting to"), "{why}: {err}");
    }
}
