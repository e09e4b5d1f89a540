//! The stored record: fields, the clock of each field, the tombstone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Fields, Hlc};

/// Clock key for the record's creation.
pub const CREATED: &str = "_created";
/// Clock key for the tombstone (delete / restore).
pub const DELETED: &str = "_deleted";

/// A record as stored: its fields, the clock of every field, and the tombstone.
///
/// On disk the clocks are compact: one `clock` for the record (its creation) and only
/// the fields whose clock differs; in memory every field has its entry in `clocks`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Disk", into = "Disk")]
pub struct Stored {
    /// Field values.
    pub fields: Fields,
    /// Clock of each field's current value, plus `_created` and `_deleted`.
    pub clocks: BTreeMap<String, Hlc>,
    /// Whether the record is in the trash.
    #[serde(default)]
    pub deleted: bool,
}

/// The on-disk form of [`Stored`].
#[derive(Serialize, Deserialize)]
struct Disk {
    fields: Fields,
    clock: Hlc,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    clocks: BTreeMap<String, Hlc>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    deleted: bool,
}

impl From<Stored> for Disk {
    fn from(s: Stored) -> Self {
        let clock = s.clocks.get(CREATED).copied().unwrap_or(Hlc::ZERO);
        let clocks = s.clocks.into_iter().filter(|(_, c)| *c != clock).collect();
        Self {
            fields: s.fields,
            clock,
            clocks,
            deleted: s.deleted,
        }
    }
}

impl From<Disk> for Stored {
    fn from(d: Disk) -> Self {
        let mut clocks = d.clocks;
        clocks.entry(CREATED.to_string()).or_insert(d.clock);
        for k in d.fields.keys() {
            if !clocks.contains_key(k) {
                clocks.insert(k.clone(), d.clock);
            }
        }
        Self {
            fields: d.fields,
            clocks,
            deleted: d.deleted,
        }
    }
}

impl Stored {
    /// Reads a record from its stored (JSON) bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The stored (JSON) bytes of a record.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// When the record was created (UTC), from its creation clock.
    #[must_use]
    pub fn created_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.clocks.get(CREATED).and_then(|c| ms_to_time(c.wall))
    }

    /// When any field last changed (UTC).
    #[must_use]
    pub fn updated_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.clocks.values().max().and_then(|c| ms_to_time(c.wall))
    }

    /// A text field, or "".
    #[must_use]
    pub fn text(&self, field: &str) -> &str {
        self.fields.get(field).and_then(|v| v.as_str()).unwrap_or("")
    }
}

fn ms_to_time(ms: u64) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp_millis(i64::try_from(ms).ok()?)
}
