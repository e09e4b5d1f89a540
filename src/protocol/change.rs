//! A change: what one replica did to one record, as kept in its outbox and carried on
//! the wire.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{EntityKind, Fields, Hlc, Id, ReplicaId};

/// A recorded change, as kept in the outbox and shipped by sync.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The replica that made it.
    pub replica: ReplicaId,
    /// Contiguous per replica, from 1; with `replica` the idempotency key.
    pub seq: u64,
    /// Clock of the change.
    pub hlc: Hlc,
    /// Kind of record.
    pub entity: EntityKind,
    /// Record id.
    pub id: Id,
    /// What changed.
    #[serde(flatten)]
    pub op: ChangeOp,
}

/// What a change does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ChangeOp {
    /// A new record with all its fields.
    Create {
        /// The fields.
        fields: Fields,
    },
    /// One field set; `base` is the clock of the value it replaced.
    Set {
        /// Field name.
        field: String,
        /// New value.
        value: serde_json::Value,
        /// Clock of the replaced value.
        base: Option<Hlc>,
    },
    /// The record went to the trash.
    Delete {
        /// Clock of the tombstone it replaced.
        base: Option<Hlc>,
        /// The clock of every field as the deleting replica saw it, so a replica that
        /// holds a newer edit can tell the edit was concurrent with the delete.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        seen: BTreeMap<String, Hlc>,
    },
    /// The record came back from the trash.
    Restore {
        /// Clock of the tombstone it replaced.
        base: Option<Hlc>,
    },
}
