//! HTTPS end to end through the real binary: a CA and a server certificate made at test
//! time (rcgen), `outpost serve --tls-cert --tls-key`, two laptops logging in with
//! `--ca-cert` and syncing; the certificate rotated with SIGHUP; plain `http://` to a
//! host that is not loopback refused before any connection is made.

mod sync_support;

use std::io::BufRead;
use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use sync_support::{Laptop, temp};

/// A CA: its PEM certificate and its issuer.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.self_signed(&key).expect("self-signed");
    Ca {
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// A certificate for 127.0.0.1 and localhost signed by `ca`: (cert PEM, key PEM).
fn leaf(ca: &Ca) -> (String, String) {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, "outpost test server");
    let cert = params.signed_by(&key, &ca.issuer).expect("signed");
    (cert.pem(), key.serialize_pem())
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

/// `outpost serve` with TLS as a child; killed when dropped.
struct Server {
    child: std::process::Child,
    url: String,
    dir: PathBuf,
}

impl Server {
    fn start(dir: &Path, cert: &Path, key: &Path) -> Self {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_outpost"))
            .arg("--data-dir")
            .arg(dir)
            .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
            .arg(cert)
            .arg("--tls-key")
            .arg(key)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start outpost serve");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("listening line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_string();
        Self {
            child,
            url,
            dir: dir.to_path_buf(),
        }
    }

    fn add_user(&self, name: &str) -> String {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_outpost"))
            .arg("--data-dir")
            .arg(&self.dir)
            .args(["server", "user", "add", name, "--role", "rep"])
            .output()
            .expect("server user add");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    fn hangup(&self) {
        let ok = std::process::Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .expect("kill -HUP");
        assert!(ok.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn laptops_sync_over_https_with_a_private_ca_and_rotation_on_sighup() {
    let t = temp();
    let pki = t.path().join("pki");
    std::fs::create_dir_all(&pki).expect("dir");
    let first = ca("outpost test CA one");
    let (cert, key) = leaf(&first);
    let cert_file = write(&pki, "cert.pem", &cert);
    let key_file = write(&pki, "key.pem", &key);
    let ca_file = write(&pki, "ca.pem", &first.pem);

    let server = Server::start(&t.path().join("server"), &cert_file, &key_file);
    assert!(server.url.starts_with("https://127.0.0.1:"), "{}", server.url);
    let anna = server.add_user("anna");
    let ben = server.add_user("ben");

    // Without the private CA the certificate is not trusted, and nothing is saved.
    let a = Laptop::new(&t, "a");
    let err = a.fails(&["sync", "login", "--server", &server.url, "--token", &anna]);
    assert!(err.contains("cannot reach"), "{err}");
    assert!(!a.dir.join("sync.toml").exists());

    let ca_arg = ca_file.to_str().expect("utf-8 path");
    a.ok(&[
        "sync",
        "login",
        "--server",
        &server.url,
        "--token",
        &anna,
        "--ca-cert",
        ca_arg,
    ]);
    let saved = std::fs::read_to_string(a.dir.join("sync.toml")).expect("login file");
    assert!(saved.contains("ca_cert"), "{saved}");
    a.ok(&["account", "add", "--name", "Secure Ltd", "--city", "Oslo"]);
    assert_eq!(a.sync().0, 1);

    let b = Laptop::new(&t, "b");
    b.ok(&[
        "sync",
        "login",
        "--server",
        &server.url,
        "--token",
        &ben,
        "--ca-cert",
        ca_arg,
    ]);
    b.sync();
    let names: Vec<String> = b
        .records("account")
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(names.contains(&"Secure Ltd".to_string()), "{names:?}");

    // Rotate to a certificate of another CA: SIGHUP loads it for new connections.
    let second = ca("outpost test CA two");
    let (cert2, key2) = leaf(&second);
    write(&pki, "cert.pem", &cert2);
    write(&pki, "key.pem", &key2);
    server.hangup();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let out = a.run(&["sync"]);
        if !out.status.success() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the old CA is still trusted after SIGHUP"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let ca2_file = write(&pki, "ca2.pem", &second.pem);
    a.ok(&[
        "sync",
        "login",
        "--server",
        &server.url,
        "--token",
        &anna,
        "--ca-cert",
        ca2_file.to_str().expect("utf-8 path"),
    ]);
    a.ok(&["account", "edit", "Secure Ltd", "--city", "Bergen"]);
    assert_eq!(a.sync().0, 1);
}

#[test]
fn plain_http_to_a_non_loopback_host_is_refused_before_connecting() {
    let t = temp();
    let a = Laptop::new(&t, "a");
    // 10.255.255.1 is never contacted: the refusal comes first.
    let out = a.run(&["sync", "login", "--server", "http://10.255.255.1:1", "--token", "opt_x"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing plain http://") && err.contains("--insecure-http"),
        "{err}"
    );
    assert!(!a.dir.join("sync.toml").exists());

    // A saved login (e.g. from an older outpost) is refused the same way at sync.
    std::fs::create_dir_all(&a.dir).expect("dir");
    std::fs::write(
        a.dir.join("sync.toml"),
        "server = \"http://10.255.255.1:1\"\ntoken = \"opt_x\"\n",
    )
    .expect("write");
    let err = a.fails(&["sync"]);
    assert!(err.contains("refusing plain http://"), "{err}");

    // A CA file that holds no certificate is named.
    let bogus = t.path().join("bogus.pem");
    std::fs::write(&bogus, "not a certificate").expect("write");
    let err = a.fails(&[
        "sync",
        "login",
        "--server",
        "https://127.0.0.1:1",
        "--token",
        "opt_x",
        "--ca-cert",
        bogus.to_str().expect("utf-8"),
    ]);
    assert!(err.contains("bogus.pem") && err.contains("no PEM certificate"), "{err}");
}

#[test]
fn serve_refuses_a_key_that_does_not_load() {
    let t = temp();
    let c = ca("outpost test CA");
    let (cert, _) = leaf(&c);
    let cert_file = write(t.path(), "cert.pem", &cert);
    let key_file = write(t.path(), "key.pem", "nothing here");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_outpost"))
        .arg("--data-dir")
        .arg(t.path().join("server"))
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert_file)
        .arg("--tls-key")
        .arg(&key_file)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("key.pem"), "{err}");
}
