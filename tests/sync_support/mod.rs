//! Shared helpers of the sync tests: servers on 127.0.0.1 with sled or PostgreSQL
//! storage, users and tokens, PostgreSQL databases made and dropped per test.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use outpost::model::records::Role;
use outpost::server::backend::{FileAccounts, PgBackend};
use outpost::server::{Running, Storage, admin};

/// A loopback address with a free port.
pub fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Adds a user to the storage and returns their token.
pub fn add_user(storage: &Storage, name: &str, role: Role) -> String {
    rt().block_on(async {
        match storage {
            Storage::Sled(dir) => {
                let a = FileAccounts::new(dir).expect("accounts");
                admin::add_user(&a, name, role).await.expect("add user").secret
            }
            Storage::Postgres(url) => {
                let b = PgBackend::connect(url).await.expect("connect");
                admin::add_user(&b, name, role).await.expect("add user").secret
            }
        }
    })
}

/// Revokes every token of a user.
pub fn revoke_user(storage: &Storage, name: &str) {
    rt().block_on(async {
        match storage {
            Storage::Sled(dir) => {
                let a = FileAccounts::new(dir).expect("accounts");
                admin::revoke(&a, name, true).await.expect("revoke");
            }
            Storage::Postgres(url) => {
                let b = PgBackend::connect(url).await.expect("connect");
                admin::revoke(&b, name, true).await.expect("revoke");
            }
        }
    });
}

/// Starts a server.
pub fn start(storage: &Storage) -> Running {
    Running::start(storage.clone(), any_port()).expect("server starts")
}

/// A PostgreSQL database for one test, dropped at the end.
pub struct PgDb {
    admin_url: String,
    name: String,
    /// URL of the test database.
    pub url: String,
}

impl PgDb {
    /// Creates a fresh database, or `None` (after saying so) when `OUTPOST_TEST_PG` is
    /// not set.
    pub fn create(test: &str) -> Option<Self> {
        let Ok(admin_url) = std::env::var("OUTPOST_TEST_PG") else {
            eprintln!("skipped {test}: set OUTPOST_TEST_PG=postgres://user@host:port/db to run it against PostgreSQL");
            return None;
        };
        let name = format!(
            "outpost_t_{}_{}",
            test.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
            fastrand::u32(..)
        );
        rt().block_on(async {
            let (client, conn) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
                .await
                .expect("connect to OUTPOST_TEST_PG");
            tokio::spawn(conn);
            client
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create database");
        });
        let url = with_database(&admin_url, &name);
        Some(Self { admin_url, name, url })
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        rt().block_on(async move {
            if let Ok((client, conn)) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls).await {
                tokio::spawn(conn);
                let _ = client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        });
    }
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// A temporary directory kept for the test's life.
pub fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Path helper.
pub fn dir(t: &tempfile::TempDir, name: &str) -> PathBuf {
    t.path().join(name)
}

/// Whether a path exists (keeps `Path` in use for callers).
pub fn exists(p: &Path) -> bool {
    p.exists()
}

/// A laptop: a data dir and the real binary.
pub struct Laptop {
    /// Its data dir.
    pub dir: PathBuf,
}

impl Laptop {
    /// A laptop with a data dir under `t`.
    pub fn new(t: &tempfile::TempDir, name: &str) -> Self {
        Self {
            dir: t.path().join(name),
        }
    }

    /// Runs `outpost` on this laptop.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_outpost"))
            .arg("--data-dir")
            .arg(&self.dir)
            .args(args)
            .env("TZ", "UTC")
            .env("NO_COLOR", "1")
            .env_remove("OUTPOST_SERVER")
            .env_remove("OUTPOST_TOKEN")
            .env_remove("OUTPOST_DATA_DIR")
            .output()
            .expect("run outpost")
    }

    /// Runs, asserts success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "outpost {args:?} failed ({:?}):\n{}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs, asserts failure, returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "outpost {args:?} should fail:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Runs with `--format json` and parses stdout.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(&all)).expect("json output")
    }

    /// `sync login`.
    pub fn login(&self, url: &str, token: &str) {
        self.ok(&["sync", "login", "--server", url, "--token", token]);
    }

    /// `sync`, returning (sent, received, conflicts).
    pub fn sync(&self) -> (u64, u64, u64) {
        let out = self.ok(&["sync"]);
        let line = out.lines().last().unwrap_or_default().to_string();
        let nums: Vec<u64> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse().ok())
            .collect();
        assert!(line.starts_with("sent ") && nums.len() == 3, "summary line: {line}");
        (nums[0], nums[1], nums[2])
    }

    /// Every live record of a kind as JSON objects, sorted by id.
    pub fn records(&self, kind: &str) -> Vec<serde_json::Value> {
        let mut v = match self.json(&["export", kind]) {
            serde_json::Value::Array(a) => a,
            other => panic!("export gave {other}"),
        };
        v.sort_by_key(|r| r["id"].as_str().unwrap_or_default().to_string());
        v
    }
}

/// `outpost serve` as a child process.
pub struct ServerProc {
    child: std::process::Child,
    /// Base URL.
    pub url: String,
    /// Its data dir.
    pub dir: PathBuf,
    database: Option<String>,
}

impl ServerProc {
    /// Starts `outpost serve` on `listen` (e.g. `127.0.0.1:0`) with data in `dir` or
    /// the PostgreSQL `database`.
    pub fn start(dir: &Path, listen: &str, database: Option<&str>) -> Self {
        use std::io::BufRead;
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_outpost"));
        cmd.arg("--data-dir").arg(dir).args(["serve", "--listen", listen]);
        if let Some(db) = database {
            cmd.args(["--database", db]);
        }
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start outpost serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_string();
        Self {
            child,
            url,
            dir: dir.to_path_buf(),
            database: database.map(str::to_string),
        }
    }

    /// Kills the server abruptly (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills it and starts it again on the same address.
    pub fn restart(&mut self) {
        self.kill();
        let addr = self.url.trim_start_matches("http://").to_string();
        let mut last = None;
        for _ in 0..50 {
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                Self::start(&self.dir, &addr, self.database.as_deref())
            })) {
                Ok(s) => {
                    *self = s;
                    return;
                }
                Err(e) => last = Some(e),
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        std::panic::resume_unwind(last.expect("a failure"));
    }

    /// A user with a token, added with the real binary; returns the token (last line).
    pub fn add_user(&self, name: &str, role: &str) -> String {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_outpost"));
        cmd.arg("--data-dir")
            .arg(&self.dir)
            .args(["server", "user", "add", name, "--role", role]);
        if let Some(db) = &self.database {
            cmd.args(["--database", db]);
        }
        let out = cmd.output().expect("server user add");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_string()
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `outpost --data-dir DIR server ARGS [--database URL]`, as an admin would.
pub fn server_cmd(dir: &Path, database: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_outpost"));
    cmd.arg("--data-dir").arg(dir).arg("server").args(args);
    if let Some(db) = database {
        cmd.args(["--database", db]);
    }
    cmd.env_remove("OUTPOST_DATABASE").output().expect("outpost server")
}

/// `outpost server user add ARGS`, asserting success; returns the token (the last line).
pub fn server_user_add(dir: &Path, database: Option<&str>, args: &[&str]) -> String {
    let mut all = vec!["user", "add"];
    all.extend_from_slice(args);
    let out = server_cmd(dir, database, &all);
    assert!(
        out.status.success(),
        "server user add {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// The demo's sales team (the owners of its records, by display name) as users of the
/// server, as a team that tries outpost with the demo data adds them: their names turn
/// into their logins on a laptop once it knows them.
pub fn add_demo_team(dir: &Path, database: Option<&str>) {
    for (login, name) in [
        ("anna", "Anna Becker"),
        ("tom", "Tom Hughes"),
        ("marie", "Marie Laurent"),
        ("kenji", "Kenji Mori"),
        ("sara", "Sara Lindqvist"),
    ] {
        server_user_add(dir, database, &[login, "--name", name]);
    }
}
