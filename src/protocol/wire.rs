//! The wire protocol, shared by the client and the server: JSON over HTTP under `/v1`.
//! Field names here are a contract; `server/openapi.rs` describes them.

use serde::{Deserialize, Serialize};

use super::{Change, Conflict, Stored};
use crate::model::ReplicaId;
use crate::model::records::Role;

/// Version of this protocol, reported by `/v1/health`.
pub const API_VERSION: u32 = 1;
/// Most changes one push may carry.
pub const MAX_PUSH_CHANGES: usize = 1000;
/// Largest request body the server reads (bytes).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Most entries one pull page holds.
pub const MAX_PAGE: usize = 2000;
/// Rough upper bound of a pull page's body (bytes) before compression.
pub const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;
/// Largest response body the client reads (bytes, after decompression).
pub const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// `POST /v1/push`: outbox changes of one replica, contiguous and in sequence order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// The pushing replica (it must belong to the token's user).
    pub replica: ReplicaId,
    /// Its changes; sequences already acknowledged are skipped, a gap is refused.
    pub changes: Vec<Change>,
}

/// The answer to a push.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Highest sequence of this replica the server now holds; the client drops its
    /// outbox up to here.
    pub acked: u64,
    /// Changes applied by this push.
    pub accepted: usize,
    /// Changes skipped because an earlier (retried) push already brought them.
    pub skipped: usize,
    /// Changes refused (kept in the log; the client learns why on its next pull).
    pub refused: usize,
    /// Conflicts this push raised.
    pub conflicts: usize,
    /// Server cursor after this push.
    pub head: u64,
}

impl PushResponse {
    /// Counts one logged entry of this push: accepted or refused, and its conflicts.
    pub fn count(&mut self, entry: &Entry) {
        if entry.refused.is_some() {
            self.refused += 1;
        } else {
            self.accepted += 1;
        }
        self.conflicts += entry.conflicts.len();
    }
}

/// Why the server refused a change, and the record as the server has it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Refusal {
    /// What was refused and why.
    pub reason: String,
    /// The server's record. When present the client puts back what the change touched;
    /// when absent (the server never had the record) the client keeps its record as
    /// written and marks it held: a refusal never deletes local data.
    pub current: Option<Stored>,
}

/// One accepted (or refused) change in the server's log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the server's log (the pull cursor).
    pub cursor: u64,
    /// User whose token pushed it.
    pub actor: String,
    /// When the server accepted it.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The change.
    pub change: Change,
    /// Conflicts it raised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
    /// Set when the server refused it; only its own replica receives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refusal>,
}

impl Entry {
    /// Whether the replica that pushed it must see it again on pull (it carries news).
    #[must_use]
    pub fn annotated(&self) -> bool {
        !self.conflicts.is_empty() || self.refused.is_some()
    }

    /// Whether `replica` receives this entry when it pulls: changes of other replicas
    /// that were accepted, and its own ones that carry conflicts or a refusal.
    #[must_use]
    pub fn visible_to(&self, replica: ReplicaId) -> bool {
        if self.change.replica == replica {
            self.annotated()
        } else {
            self.refused.is_none()
        }
    }
}

/// `GET /v1/pull?replica=R&after=C&limit=N`: one page of the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Entries after the cursor, in log order.
    pub entries: Vec<Entry>,
    /// The cursor to store with this page and send next time.
    pub next: u64,
    /// Whether more entries are waiting.
    pub more: bool,
    /// The end of the log when the page was read.
    pub head: u64,
}

/// The actor of the changes the server itself makes: the User records of its users
/// (not a valid login, so no token acts as it).
pub const DIRECTORY_ACTOR: &str = "(server)";

/// `GET /v1/whoami`: who a token belongs to, on which server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WhoAmI {
    /// The user's login (what `owner` fields store).
    pub user: String,
    /// Their role.
    pub role: Role,
    /// The server's id (a store syncs with one server only).
    pub server_id: String,
    /// Their display name (absent from servers before display names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Their e-mail address, if the server knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// `GET /v1/health`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The server's id.
    pub server_id: String,
    /// Protocol version.
    pub api: u32,
    /// outpost version.
    pub version: String,
    /// Storage backend (`sled` or `postgres`).
    pub backend: String,
}

/// Every error answer: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A machine-readable code and a message for people.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable code: `unauthorized`, `forbidden`, `replica_owned`, `bad_json`,
    /// `invalid`, `seq_gap`, `too_large`, `retry`, `unavailable`, `not_found`.
    pub code: String,
    /// What went wrong and what to do.
    pub message: String,
}
