//! Conflicts: a value that lost a concurrent edit, an edit that met a delete, or a
//! change the server refused. The server detects them and ships them with the change
//! that caused them, so every replica keeps the same conflicts under the same ids.

use serde::{Deserialize, Serialize};

use super::record::{DELETED, Stored};
use crate::model::{EntityKind, Hlc, Id, ReplicaId};

/// What kind of disagreement a conflict records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// Two replicas set the same field to different values without seeing each other.
    Edit,
    /// A field was edited while another replica deleted the record.
    Delete,
    /// The server refused a local change (permissions); the local value was put back.
    Refused,
    /// The server refused a record it does not hold (e.g. a create); the record stays
    /// here as written, held, and a sync sends it again once the answer may differ.
    Held,
}

impl ConflictKind {
    /// The snake_case name used in tables and JSON.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Edit => "edit",
            Self::Delete => "delete",
            Self::Refused => "refused",
            Self::Held => "held",
        }
    }
}

/// One side of a conflict: a value and the clock it was written with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Side {
    /// The value (`null` for "deleted" or "absent").
    pub value: serde_json::Value,
    /// When and where it was written (absent when the record did not exist).
    pub hlc: Option<Hlc>,
}

/// A conflict, identical on every replica that holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    /// Server cursor of the change that raised it, plus a suffix when one change raised
    /// several (`"812"`, `"812-1"`).
    pub id: String,
    /// Edit, delete or refused.
    pub kind: ConflictKind,
    /// Kind of the record.
    pub entity: EntityKind,
    /// The record.
    pub record: Id,
    /// The field (`_deleted` for the tombstone, `_created` for a refused create).
    pub field: String,
    /// The value that is in the record now.
    pub winner: Side,
    /// The value that was set aside.
    pub loser: Side,
    /// User whose change raised the conflict.
    pub actor: String,
    /// When the server accepted that change.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Why the server refused the change (refused and held conflicts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Conflict {
    /// The id for the `n`th conflict raised by the change at server cursor `cursor`.
    #[must_use]
    pub fn make_id(cursor: u64, n: usize) -> String {
        if n == 0 {
            cursor.to_string()
        } else {
            format!("{cursor}-{n}")
        }
    }

    /// Splits an id back into (cursor, n).
    #[must_use]
    pub fn parse_id(id: &str) -> Option<(u64, u16)> {
        let (c, n) = id.split_once('-').unwrap_or((id, "0"));
        Some((c.trim().parse().ok()?, n.trim().parse().ok()?))
    }

    /// Whether the record still holds exactly the state the conflict describes: once the
    /// field (or the tombstone) is written again, by anyone, the conflict is settled.
    #[must_use]
    pub fn still_holds(&self, record: Option<&Stored>) -> bool {
        match self.kind {
            ConflictKind::Refused => true,
            ConflictKind::Held => record.is_some_and(|r| !r.deleted),
            ConflictKind::Edit => record.is_some_and(|r| r.clocks.get(&self.field) == self.winner.hlc.as_ref()),
            ConflictKind::Delete => {
                record.is_some_and(|r| r.deleted && r.clocks.get(DELETED) == self.winner.hlc.as_ref())
            }
        }
    }

    /// "mine" is the side this replica wrote; when it wrote neither or both, it is the
    /// value in the record now. Returns (mine, theirs).
    #[must_use]
    pub fn mine_theirs(&self, me: ReplicaId) -> (&Side, &Side) {
        let wrote = |s: &Side| s.hlc.is_some_and(|h| h.replica == me);
        if wrote(&self.loser) && !wrote(&self.winner) {
            (&self.loser, &self.winner)
        } else {
            (&self.winner, &self.loser)
        }
    }
}
