//! Server storage behind one trait pair: [`Accounts`] (users and tokens) and [`Changes`]
//! (the log, record states, replicas). Two backends implement them: sled in the
//! server's data dir (one server process) and PostgreSQL (any number of processes).
//! The push logic itself is shared (`engine.rs`); backends load, lock and store.

mod accounts_file;
mod pg;
mod pg_pool;
mod pg_schema;
mod sled_backend;

use std::future::Future;

use serde::{Deserialize, Serialize};

pub use accounts_file::FileAccounts;
pub use pg::PgBackend;
pub use sled_backend::SledBackend;

use super::auth::{NewToken, Principal};
use super::error::{ApiError, BackendError};
use crate::model::records::Role;
use crate::model::{EntityKind, Fields, Id, ReplicaId};
use crate::protocol::Change;
use crate::protocol::wire::{Entry, PushRequest, PushResponse};
use axum::http::StatusCode;

/// A user as listed by `outpost server user list`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// Login: the stable id, what `owner` fields store.
    pub login: String,
    /// Display name (the login when none was given).
    pub name: String,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Quarterly quota (a decimal amount), if one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<String>,
    /// Role.
    pub role: Role,
    /// When the user was added.
    pub created: chrono::DateTime<chrono::Utc>,
    /// Their tokens.
    pub tokens: Vec<TokenInfo>,
}

/// A token as listed (never the secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Id (start of the hash).
    pub id: String,
    /// When it was issued.
    pub created: chrono::DateTime<chrono::Utc>,
    /// When it was revoked, if it was.
    pub revoked: Option<chrono::DateTime<chrono::Utc>>,
}

/// A user to add.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewUser {
    /// Login (checked by [`crate::model::records::check_login`]).
    pub login: String,
    /// Display name; the login when `None`.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Quarterly quota.
    pub quota: Option<String>,
    /// Role.
    pub role: Role,
}

/// One pull page with entries still in their stored JSON form (the server does not
/// re-encode them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawPage {
    /// Entries, each one JSON object.
    pub entries: Vec<String>,
    /// Cursor to continue from.
    pub next: u64,
    /// Whether more entries are waiting.
    pub more: bool,
    /// End of the log when read.
    pub head: u64,
}

/// Users and tokens.
pub trait Accounts: Send + Sync + 'static {
    /// Adds a user with a first token. Fails if the login is taken.
    fn add_user(&self, user: &NewUser, token: &NewToken) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// Issues another token to an existing user.
    fn add_token(&self, user: &str, token: &NewToken) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// Every user with their tokens, by login.
    fn users(&self) -> impl Future<Output = Result<Vec<UserInfo>, BackendError>> + Send;
    /// Revokes a token by id. Returns false if it was unknown or already revoked.
    fn revoke_token(&self, id: &str) -> impl Future<Output = Result<bool, BackendError>> + Send;
    /// The user of a live token, by the token's hash.
    fn authenticate(&self, hash: &str) -> impl Future<Output = Result<Option<Principal>, BackendError>> + Send;
    /// The user's calendar feed secret, if they have one.
    fn feed_secret(&self, user: &str) -> impl Future<Output = Result<Option<String>, BackendError>> + Send;
    /// Sets (`Some`) or removes (`None`) the user's calendar feed secret; the one it
    /// replaces opens nothing from then on. Fails for an unknown user.
    fn set_feed_secret(
        &self,
        user: &str,
        secret: Option<&str>,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// The user whose calendar feed secret `secret` is (compared in constant time).
    fn feed_user(&self, secret: &str) -> impl Future<Output = Result<Option<Principal>, BackendError>> + Send;
}

/// The change log and the records' merged state.
pub trait Changes: Send + Sync + 'static {
    /// This server's id (a store syncs with one server only).
    fn server_id(&self) -> &str;
    /// `sled` or `postgres`.
    fn backend_name(&self) -> &'static str;
    /// Applies a push atomically: all of it or nothing.
    fn push(&self, who: Principal, req: PushRequest)
    -> impl Future<Output = Result<PushResponse, BackendError>> + Send;
    /// Makes the User records in the log match `users` (see `server/directory.rs`):
    /// appends the directory's changes when they differ. Returns how many it appended.
    fn reconcile_users(&self, users: Vec<UserInfo>) -> impl Future<Output = Result<usize, BackendError>> + Send;
    /// Every record of `kind` the server holds that is not in the trash, with its
    /// fields (for the calendar feed).
    fn live_records(&self, kind: EntityKind) -> impl Future<Output = Result<Vec<(Id, Fields)>, BackendError>> + Send;
    /// Checks that the storage answers: a read on sled, `SELECT 1` on PostgreSQL.
    fn ping(&self) -> impl Future<Output = Result<(), BackendError>> + Send;
    /// Reads the page after `after` that `replica` may see (claiming the replica for
    /// `who` if it is new). A cursor beyond the end of the log is refused (400
    /// `bad_cursor`): a client never received it from this server.
    fn pull(
        &self,
        who: Principal,
        replica: ReplicaId,
        after: u64,
        limit: usize,
    ) -> impl Future<Output = Result<RawPage, BackendError>> + Send;
}

/// A complete storage backend.
pub trait Backend: Accounts + Changes {}

impl<T: Accounts + Changes> Backend for T {}

/// Refuses a pull cursor beyond the end of the log.
pub(crate) fn check_cursor(after: u64, head: u64) -> Result<(), BackendError> {
    if after > head {
        return Err(BackendError::Api(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_cursor",
            format!(
                "cursor {after} is beyond the end of this server's log ({head}); a client only continues \
                 from a cursor this server gave it"
            ),
        )));
    }
    Ok(())
}

/// The changes of a push the replica's acknowledged sequence already covers (a retry).
pub(crate) fn replayed(req: &PushRequest, acked: u64) -> impl Iterator<Item = &Change> {
    req.changes.iter().filter(move |c| c.seq <= acked)
}

/// Compares a replayed change with the entry the server logged for its `(replica, seq)`
/// (JSON): the same change is skipped, a different one is a replica fault (409
/// `replay_mismatch`, logged), never silently dropped.
pub(crate) fn check_replay(pushed: &Change, stored: &[u8]) -> Result<(), BackendError> {
    let Ok(entry) = serde_json::from_slice::<Entry>(stored) else {
        return Ok(());
    };
    if entry.change == *pushed {
        return Ok(());
    }
    eprintln!(
        "outpost serve: replica {} pushed change {} again with different content (logged at cursor {}); refused",
        pushed.replica, pushed.seq, entry.cursor
    );
    Err(BackendError::Api(ApiError::new(
        StatusCode::CONFLICT,
        "replay_mismatch",
        format!(
            "change {} of replica {} was acknowledged with other content; a replica never reuses a sequence \
             number (was this data dir restored or copied?)",
            pushed.seq, pushed.replica
        ),
    )))
}

/// Log value layout shared by backends that store bytes: flags, replica, entry JSON.
pub(crate) mod log_value {
    use crate::model::ReplicaId;
    use crate::protocol::wire::Entry;

    const REFUSED: u8 = 1;
    const ANNOTATED: u8 = 2;

    /// Encodes an entry.
    pub fn encode(entry: &Entry) -> Vec<u8> {
        let mut flags = 0;
        if entry.refused.is_some() {
            flags |= REFUSED;
        }
        if entry.annotated() {
            flags |= ANNOTATED;
        }
        let mut out = vec![flags];
        out.extend_from_slice(&entry.change.replica.0.to_be_bytes());
        out.extend(serde_json::to_vec(entry).unwrap_or_default());
        out
    }

    /// Whether `reader` sees the entry, and its JSON.
    pub fn visible(bytes: &[u8], reader: ReplicaId) -> Option<&[u8]> {
        let flags = *bytes.first()?;
        let replica = u64::from_be_bytes(bytes.get(1..9)?.try_into().ok()?);
        let json = bytes.get(9..)?;
        let show = if replica == reader.0 {
            flags & ANNOTATED != 0
        } else {
            flags & REFUSED == 0
        };
        show.then_some(json)
    }
}

/// Milliseconds to a time (for backends storing integers).
pub(crate) fn time_of(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
