use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::model::{Fields, Hlc};

/// Clock key for the record's creation.
pub const CREATED: &str = "_created";
/// Clock key for the tombstone (delete / restore).
pub const DELETED: &str = "_deleted";

/// A record as stored: its fields, the clock of every field, and the tombstone.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    /// Field values.
    pub fields: Fields,
    /// Clock of each field's current value, plus `_created` and `_deleted`.
    pub clocks: BTreeMap<String, Hlc>,
    /// Whether the record is in the trash.
    #[serde(default)]
    pub deleted: bool,
}

impl Stored {
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("record: {e}")))
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
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
