//! Shared helpers of the sync tests: servers on 127.0.0.1 with sled or PostgreSQL
//! storage, users and tokens, PostgreSQL databases made and dropped per test.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use outpost::model::records::Role;
use outpost::server::backend::{FileAccounts, PgBackend};
use outpost::server::{admin, Running, Storage};

/// A loopback address with a free port.
pub fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
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
        let name = format!("outpost_t_{}_{}", test.replace(|c: char| !c.is_ascii_alphanumeric(), "_"), fastrand::u32(..));
        rt().block_on(async {
            let (client, conn) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls).await.expect("connect to OUTPOST_TEST_PG");
            tokio::spawn(conn);
            client.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create database");
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
                let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
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
