//! The PostgreSQL schema, created and migrated when a server starts. Migrations run in
//! one transaction under an advisory lock, so servers starting together do not race.

use tokio_postgres::Client;

use crate::server::error::BackendError;

/// The schema version this build writes.
pub const VERSION: i64 = 3;

const LOCK_KEY: i64 = 0x6f75_7470_6f73_7401;

/// Steps, the first from nothing to version 1. Version 2: users have a display name,
/// an e-mail and a quota beside their login (`name`); a missing display name is the login.
/// Version 3: a user's calendar feed secret (`feed_secret`, printed again by `outpost
/// sync feed`) and its SHA-256 (`feed_hash`, unique: the feed's lookup).
const STEPS: &[&str] = &[
    r"
CREATE TABLE outpost_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE outpost_head (id INT PRIMARY KEY, head BIGINT NOT NULL);
INSERT INTO outpost_head VALUES (1, 0);
CREATE TABLE outpost_users (name TEXT PRIMARY KEY, role TEXT NOT NULL, created_ms BIGINT NOT NULL);
CREATE TABLE outpost_tokens (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    user_name TEXT NOT NULL REFERENCES outpost_users(name),
    created_ms BIGINT NOT NULL,
    revoked_ms BIGINT
);
CREATE TABLE outpost_replicas (
    replica TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    acked BIGINT NOT NULL,
    first_seen_ms BIGINT NOT NULL
);
CREATE TABLE outpost_records (
    entity TEXT NOT NULL,
    id TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (entity, id)
);
CREATE TABLE outpost_log (
    cursor BIGINT PRIMARY KEY,
    replica TEXT NOT NULL,
    seq BIGINT NOT NULL,
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    annotated BOOLEAN NOT NULL,
    refused BOOLEAN NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (replica, seq)
);
",
    r"
ALTER TABLE outpost_users ADD COLUMN display_name TEXT, ADD COLUMN email TEXT, ADD COLUMN quota TEXT;
",
    r"
ALTER TABLE outpost_users ADD COLUMN feed_secret TEXT, ADD COLUMN feed_hash TEXT UNIQUE;
",
];

/// Creates or migrates the schema; refuses a database written by a newer outpost.
/// Returns the server id.
pub async fn migrate(client: &mut Client) -> Result<String, BackendError> {
    let tx = client.transaction().await.map_err(super::pg::pg_err)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(super::pg::pg_err)?;
    let exists: bool = tx
        .query_one("SELECT to_regclass('outpost_meta') IS NOT NULL", &[])
        .await
        .map_err(super::pg::pg_err)?
        .get(0);
    let mut version: i64 = 0;
    if exists {
        let row = tx
            .query_opt("SELECT value FROM outpost_meta WHERE key = 'schema_version'", &[])
            .await
            .map_err(super::pg::pg_err)?;
        version = row.and_then(|r| r.get::<_, String>(0).parse().ok()).unwrap_or(0);
    }
    if version > VERSION {
        return Err(BackendError::storage(format!(
            "the database has outpost schema {version}, newer than this server understands ({VERSION}); upgrade outpost"
        )));
    }
    let from = usize::try_from(version).unwrap_or(0);
    for step in STEPS.iter().skip(from) {
        tx.batch_execute(step).await.map_err(super::pg::pg_err)?;
    }
    tx.execute(
        "INSERT INTO outpost_meta VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        &[&VERSION.to_string()],
    )
    .await
    .map_err(super::pg::pg_err)?;
    let fresh = crate::server::backend::sled_backend::new_server_id()?;
    tx.execute(
        "INSERT INTO outpost_meta VALUES ('server_id', $1) ON CONFLICT (key) DO NOTHING",
        &[&fresh],
    )
    .await
    .map_err(super::pg::pg_err)?;
    let id: String = tx
        .query_one("SELECT value FROM outpost_meta WHERE key = 'server_id'", &[])
        .await
        .map_err(super::pg::pg_err)?
        .get(0);
    tx.commit().await.map_err(super::pg::pg_err)?;
    Ok(id)
}
