//! The wire protocol, shared by the client and the server: JSON over HTTP under `/v1`.
//! Field names here are a contract; `server/openapi.rs` describes them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Change, Conflict, Stored};
use crate::model::records::Role;
use crate::model::{EntityKind, ReplicaId};

/// Version of this protocol, reported by `/v1/health`.
pub const API_VERSION: u32 = 1;
/// Most changes one push may carry (servers before issue 13 took 1000; a client that
/// is told `413` sends smaller pushes).
pub const MAX_PUSH_CHANGES: usize = 5000;
/// Largest request body the server reads (bytes).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Most entries one pull page holds.
pub const MAX_PAGE: usize = 2000;
/// Rough upper bound of a pull page's body (bytes) before compression.
pub const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;
/// Largest response body the client reads (bytes, after decompression).
pub const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// `POST /v1/push`: outbox changes of one replica, contiguous and in sequence order.
///
/// Decoding is tolerant of record kinds: a change whose `entity` this build does not
/// know (a newer client's kind) is kept aside in [`PushRequest::unknown`] by its envelope
/// instead of failing the whole push; the server refuses it alone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawPush")]
pub struct PushRequest {
    /// The pushing replica (it must belong to the token's user).
    pub replica: ReplicaId,
    /// Its changes; sequences already acknowledged are skipped, a gap is refused.
    pub changes: Vec<Change>,
    /// Changes of kinds this build does not know (filled when decoding; never sent),
    /// and the changes the client withheld (see [`PushRequest::withheld`]).
    #[serde(skip)]
    pub unknown: Vec<UnknownChange>,
    /// The record schema the client speaks (`model::entity::SCHEMA`); absent means the
    /// server's own. A server older than the client keeps fields it does not know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<u32>,
    /// Changes the client cannot send (too large for any push): their envelopes with
    /// the reason, so the server acknowledges their sequence numbers and refuses them
    /// in the answer, as it does changes of unknown kinds; the laptop holds the records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<UnknownChange>,
}

impl PushRequest {
    /// A push of these changes.
    #[must_use]
    pub fn new(replica: ReplicaId, changes: Vec<Change>) -> Self {
        Self {
            replica,
            changes,
            unknown: Vec::new(),
            // The first schema goes unsaid, so servers older than the field accept it.
            schema: (crate::model::entity::SCHEMA > 1).then_some(crate::model::entity::SCHEMA),
            withheld: Vec::new(),
        }
    }
}

/// The envelope of a change whose kind this build does not know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownChange {
    /// The replica that made it.
    pub replica: ReplicaId,
    /// Its sequence number.
    pub seq: u64,
    /// The kind, as sent.
    pub entity: String,
    /// The record id, as sent.
    pub id: String,
    /// Why the client withheld it (only on withheld changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPush {
    replica: ReplicaId,
    changes: Vec<Value>,
    #[serde(default)]
    schema: Option<u32>,
    #[serde(default)]
    withheld: Vec<UnknownChange>,
}

/// [`RawPush`] when every change is of a kind this build knows (the usual push): read
/// in one pass, without a tree of values between the bytes and the changes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KnownPush {
    replica: ReplicaId,
    changes: Vec<Change>,
    #[serde(default)]
    schema: Option<u32>,
    #[serde(default)]
    withheld: Vec<UnknownChange>,
}

impl PushRequest {
    /// Reads a push from its JSON body: the same request, or the same error, as
    /// `serde_json::from_slice`. A push of known kinds is read straight into its
    /// changes; any other body (a change of an unknown kind, or anything that does not
    /// fit) is read again as [`Deserialize`] reads it.
    pub fn from_json(bytes: &[u8]) -> serde_json::Result<Self> {
        match serde_json::from_slice::<KnownPush>(bytes) {
            Ok(known) => {
                let mut req = Self::new(known.replica, known.changes);
                req.schema = known.schema;
                req.set_aside(known.withheld);
                Ok(req)
            }
            Err(_) => serde_json::from_slice(bytes),
        }
    }

    /// Keeps the changes the client withheld with the reason it gave, as refusals to be.
    fn set_aside(&mut self, withheld: Vec<UnknownChange>) {
        for mut w in withheld {
            let why = w.reason.take().unwrap_or_default();
            let why: String = why.chars().filter(|c| !c.is_control()).take(500).collect();
            w.reason = Some(format!("the laptop could not send it: {why}"));
            self.unknown.push(w);
        }
    }
}

impl TryFrom<RawPush> for PushRequest {
    type Error = serde_json::Error;

    fn try_from(raw: RawPush) -> Result<Self, Self::Error> {
        let mut req = Self::new(raw.replica, Vec::with_capacity(raw.changes.len()));
        req.schema = raw.schema;
        req.set_aside(raw.withheld);
        for v in raw.changes {
            if let Some(entity) = unknown_kind(&v) {
                #[derive(Deserialize)]
                struct Envelope {
                    replica: ReplicaId,
                    seq: u64,
                    #[serde(default)]
                    id: Value,
                }
                let e: Envelope = serde_json::from_value(v)?;
                req.unknown.push(UnknownChange {
                    replica: e.replica,
                    seq: e.seq,
                    entity,
                    id: e.id.as_str().unwrap_or_default().to_string(),
                    reason: None,
                });
            } else {
                req.changes.push(serde_json::from_value(v)?);
            }
        }
        Ok(req)
    }
}

/// The `entity` of a change (as JSON) when it names a kind this build does not know.
fn unknown_kind(change: &Value) -> Option<String> {
    let entity = change.get("entity")?.as_str()?;
    serde_json::from_value::<EntityKind>(Value::String(entity.to_string()))
        .is_err()
        .then(|| entity.to_string())
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
    /// Changes of kinds this server does not know: acknowledged, refused (counted in
    /// `refused`) and not logged; the server holds nothing of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<UnknownRefusal>,
}

/// A change refused in the push answer itself because the server does not know its kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownRefusal {
    /// The change's sequence number.
    pub seq: u64,
    /// Its kind, as sent.
    pub entity: String,
    /// Its record id, as sent.
    pub id: String,
    /// Why.
    pub reason: String,
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
///
/// Decoding is tolerant of record kinds: an entry whose change names a kind this build
/// does not know (a newer server's kind) is skipped and counted in
/// [`PullResponse::unknown`], not an error; `next` still moves the cursor past it.
/// Any other malformed entry still fails the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawPull")]
pub struct PullResponse {
    /// Entries after the cursor, in log order.
    pub entries: Vec<Entry>,
    /// The cursor to store with this page and send next time.
    pub next: u64,
    /// Whether more entries are waiting.
    pub more: bool,
    /// The end of the log when the page was read.
    pub head: u64,
    /// Entries skipped because this build does not know their kind, per kind (filled
    /// when decoding; never sent).
    #[serde(skip)]
    pub unknown: BTreeMap<String, usize>,
}

/// A page as read: each entry's text kept whole ([`serde_json::value::RawValue`]) and
/// decoded straight into an [`Entry`]; only one that fails is read again as a `Value`,
/// to tell an unknown kind from a malformed entry. (Decoding every entry to a `Value`
/// first, then to an `Entry`, built each one twice: the most of a first pull's time
/// after the store's own.)
#[derive(Deserialize)]
struct RawPull {
    entries: Vec<Box<serde_json::value::RawValue>>,
    next: u64,
    more: bool,
    head: u64,
}

impl TryFrom<RawPull> for PullResponse {
    type Error = serde_json::Error;

    fn try_from(raw: RawPull) -> Result<Self, Self::Error> {
        let mut page = Self {
            entries: Vec::with_capacity(raw.entries.len()),
            next: raw.next,
            more: raw.more,
            head: raw.head,
            unknown: BTreeMap::new(),
        };
        for text in raw.entries {
            match serde_json::from_str(text.get()) {
                Ok(entry) => page.entries.push(entry),
                Err(e) => {
                    let v: Value = serde_json::from_str(text.get())?;
                    match v.get("change").and_then(unknown_kind) {
                        Some(kind) => *page.unknown.entry(kind).or_default() += 1,
                        None => return Err(e),
                    }
                }
            }
        }
        Ok(page)
    }
}

/// The actor of the changes the server itself makes: the User records of its users
/// (not a valid login, so no token acts as it).
pub const DIRECTORY_ACTOR: &str = "(server)";

/// `GET`/`POST /v1/feed`: the token's user's calendar feed, an iCalendar URL a phone
/// subscribes to. Its secret is read-only (it opens the feed and nothing else) and is
/// not the sync token; `POST` replaces it, so the old URL stops answering.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedInfo {
    /// The secret in the feed's URL.
    pub secret: String,
    /// The feed's path on the server, `/v1/feed/SECRET.ics`.
    pub path: String,
}

/// `DELETE /v1/feed`: whether there was a feed to revoke.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedRevoked {
    /// False when the user had no feed.
    pub revoked: bool,
}

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
    /// The server's clock when it answered (absent from older servers): a laptop whose
    /// clock is far ahead of it is told at sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// How far ahead of the server's clock a change's clock may be, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_clock_skew_ms: Option<u64>,
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{Hlc, Id};
    use crate::protocol::ChangeOp;

    fn change(seq: u64) -> Change {
        let replica = ReplicaId(0xaa);
        Change {
            replica,
            seq,
            hlc: Hlc {
                wall: 1_700_000_000_000,
                counter: 0,
                replica,
            },
            entity: EntityKind::Account,
            id: Id::new(),
            op: ChangeOp::Create {
                fields: crate::model::Fields::new(),
            },
        }
    }

    #[test]
    fn a_push_sets_changes_of_unknown_kinds_aside_and_keeps_the_rest() {
        let known = change(1);
        let mut unknown = serde_json::to_value(change(2)).expect("json");
        unknown["entity"] = json!("hovercraft");
        let body = json!({"replica": ReplicaId(0xaa), "changes": [known.clone(), unknown]});
        let req: PushRequest = serde_json::from_value(body).expect("tolerant");
        assert_eq!(req.changes, vec![known]);
        assert_eq!(req.unknown.len(), 1);
        assert_eq!((req.unknown[0].seq, req.unknown[0].entity.as_str()), (2, "hovercraft"));
        // The wire format of a known push is unchanged.
        let plain = PushRequest::new(ReplicaId(0xaa), vec![change(3)]);
        let text = serde_json::to_string(&plain).expect("json");
        assert!(!text.contains("unknown"), "{text}");
        assert_eq!(serde_json::from_str::<PushRequest>(&text).expect("back"), plain);
        // A malformed change of a known kind still fails the push.
        let bad = json!({"replica": ReplicaId(0xaa), "changes": [{"entity": "account", "seq": 1}]});
        assert!(serde_json::from_value::<PushRequest>(bad).is_err());
        // And an unknown top-level field still does.
        let extra = json!({"replica": ReplicaId(0xaa), "changes": [], "x": 1});
        assert!(serde_json::from_value::<PushRequest>(extra).is_err());
    }

    #[test]
    fn a_push_body_reads_the_same_in_one_pass_as_through_values() {
        let mut set = change(2);
        set.op = ChangeOp::Set {
            field: "name".into(),
            value: json!("Nordic \"AB\""),
            base: Some(set.hlc),
        };
        let mut unknown = serde_json::to_value(change(3)).expect("json");
        unknown["entity"] = json!("hovercraft");
        let withheld =
            json!([{"replica": ReplicaId(0xaa), "seq": 4, "entity": "account", "id": "x", "reason": "too\u{7} big"}]);
        let bodies = [
            json!({"replica": ReplicaId(0xaa), "changes": [change(1), set.clone()]}),
            json!({"replica": ReplicaId(0xaa), "changes": [change(1), set.clone()], "schema": 2, "withheld": withheld}),
            json!({"replica": ReplicaId(0xaa), "changes": [change(1), unknown], "withheld": withheld}),
            json!({"replica": ReplicaId(0xaa), "changes": [], "x": 1}),
            json!({"replica": ReplicaId(0xaa), "changes": [{"entity": "account", "seq": 1}]}),
        ];
        for body in bodies {
            let bytes = serde_json::to_vec(&body).expect("json");
            let one_pass = PushRequest::from_json(&bytes).map_err(|e| e.to_string());
            let values = serde_json::from_slice::<PushRequest>(&bytes).map_err(|e| e.to_string());
            assert_eq!(one_pass, values, "{body}");
        }
        let replica = serde_json::to_string(&ReplicaId(0xaa)).expect("json");
        let set = serde_json::to_string(&set).expect("json");
        let raw = [
            format!(r#"{{"replica": {replica}, "changes": [{set}], "changes": []}}"#),
            format!(
                r#"{{"replica": {replica}, "changes": [{}]}}"#,
                set.replace(r#""op""#, r#""seq":9,"op""#)
            ),
            format!(r#"{{"replica": {replica}, "#),
        ];
        for body in raw {
            assert_eq!(
                PushRequest::from_json(body.as_bytes()).map_err(|e| e.to_string()),
                serde_json::from_slice::<PushRequest>(body.as_bytes()).map_err(|e| e.to_string()),
                "{body}"
            );
        }
    }

    #[test]
    fn a_pull_page_skips_entries_of_unknown_kinds_and_counts_them() {
        let entry = |cursor: u64, entity: &str| {
            let mut change = serde_json::to_value(change(cursor)).expect("json");
            change["entity"] = json!(entity);
            json!({"cursor": cursor, "actor": "bo", "at": "2026-01-01T00:00:00Z", "change": change})
        };
        let body = json!({
            "entries": [entry(1, "hovercraft"), entry(2, "account"), entry(3, "hovercraft")],
            "next": 3, "more": false, "head": 3,
        });
        let page: PullResponse = serde_json::from_value(body).expect("tolerant");
        assert_eq!(page.entries.len(), 1);
        assert_eq!(page.entries[0].cursor, 2);
        assert_eq!(page.unknown.get("hovercraft"), Some(&2));
        assert_eq!(page.next, 3, "the cursor still covers the skipped entries");
        // A malformed entry of a known kind still fails the page.
        let bad =
            json!({"entries": [{"cursor": 1, "change": {"entity": "account"}}], "next": 1, "more": false, "head": 1});
        assert!(serde_json::from_value::<PullResponse>(bad).is_err());
    }
}
