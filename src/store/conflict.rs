//! Conflicts: a value that lost a concurrent edit, an edit that met a delete, or a local
//! change the server refused. The server detects them and ships them with the change
//! that caused them, so every replica keeps the same records under the same ids; this
//! file holds the record type and the `conflicts` tree.

use serde::{Deserialize, Serialize};

use super::{CONFLICTS, Store, StoreError};
use crate::protocol::{Conflict, ConflictKind};

/// A conflict as kept on this replica, with how it was settled here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalConflict {
    /// The conflict.
    #[serde(flatten)]
    pub conflict: Conflict,
    /// Set when someone resolved it on this replica (`mine`, `theirs` or `value`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<String>,
}

pub(crate) fn key(cursor: u64, n: u16) -> Vec<u8> {
    let mut k = cursor.to_be_bytes().to_vec();
    k.extend_from_slice(&n.to_be_bytes());
    k
}

fn conflict_key(c: &Conflict) -> Vec<u8> {
    let (cursor, n) = Conflict::parse_id(&c.id).unwrap_or((0, 0));
    key(cursor, n)
}

pub(crate) fn encode(c: &LocalConflict) -> (Vec<u8>, Vec<u8>) {
    (conflict_key(&c.conflict), serde_json::to_vec(c).unwrap_or_default())
}

fn decode(bytes: &[u8]) -> Result<LocalConflict, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("conflict: {e}")))
}

impl Store {
    /// Every conflict this replica knows, oldest first.
    pub fn conflicts(&self) -> Result<Vec<LocalConflict>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree(CONFLICTS).iter() {
            out.push(decode(&item?.1)?);
        }
        Ok(out)
    }

    /// One conflict by id.
    pub fn conflict(&self, id: &str) -> Result<Option<LocalConflict>, StoreError> {
        let Some((cursor, n)) = Conflict::parse_id(id) else {
            return Ok(None);
        };
        self.tree(CONFLICTS)
            .get(key(cursor, n))?
            .map(|v| decode(&v))
            .transpose()
    }

    /// Whether a conflict still needs a decision: not resolved here, and the record
    /// still holds the state it describes.
    pub fn conflict_is_open(&self, c: &LocalConflict) -> Result<bool, StoreError> {
        if c.resolved.is_some() {
            return Ok(false);
        }
        if c.conflict.kind == ConflictKind::Held {
            // Open while the record's mark points at it (a newer refusal replaces it; an
            // accepted retry or a discard removes it).
            let mark = self.held(c.conflict.entity, c.conflict.record)?;
            if mark.is_none_or(|m| m.conflict != c.conflict.id) {
                return Ok(false);
            }
        }
        let record = self.get(c.conflict.entity, c.conflict.record)?;
        Ok(c.conflict.still_holds(record.as_ref()))
    }
}
