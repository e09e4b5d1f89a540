//! The one place that writes a record and its index entries, always inside a
//! transaction. Local mutations (`mutation.rs`), remote changes (`apply.rs`, held records
//! included), `restore` (`backup.rs`) and migrations (`meta.rs`) all go through
//! [`replace`], so indexes stay exact whichever way a record changed. No other code
//! writes an entity tree.

use sled::transaction::{TransactionalTree, UnabortableTransactionError};

use super::{Stored, entity_pos, is_packed, keys, packed};
use crate::model::{EntityKind, Id};

/// Replaces `old` by `new` (either may be absent): drops the index entries of the old
/// version if it was live, writes or removes the record, and indexes the new version if
/// it is live. Index values are read with `describe`, without validation: remote records
/// were validated where they were written.
pub(crate) fn replace(
    trees: &[TransactionalTree],
    kind: EntityKind,
    id: Id,
    old: Option<&Stored>,
    new: Option<&Stored>,
) -> Result<(), UnabortableTransactionError> {
    let entries = |s: Option<&Stored>| {
        s.filter(|s| !s.deleted)
            .and_then(|s| kind.describe(&s.fields))
            .map(|checked| keys::entries(kind, id, &checked))
            .unwrap_or_default()
    };
    // Only the entries that differ are written: an edit of one field leaves the rest.
    let (before, after) = (entries(old), entries(new));
    for (tree, key) in before.iter().filter(|e| !after.contains(e)) {
        if is_packed(*tree) {
            packed::remove(&trees[*tree], key)?;
        } else {
            trees[*tree].remove(key.as_slice())?;
        }
    }
    match new {
        Some(stored) => {
            trees[entity_pos(kind)].insert(id.as_bytes(), stored.encode())?;
        }
        None => {
            trees[entity_pos(kind)].remove(id.as_bytes())?;
        }
    }
    for (tree, key) in after.iter().filter(|e| !before.contains(e)) {
        if is_packed(*tree) {
            packed::insert(&trees[*tree], key)?;
        } else {
            trees[*tree].insert(key.as_slice(), &[] as &[u8])?;
        }
    }
    Ok(())
}
