//! The one place that writes a record and its index entries, always inside a
//! transaction. Local mutations (`mutation.rs`), remote changes (`apply.rs`, held records
//! included), `restore` (`backup.rs`) and migrations (`meta.rs`) all go through
//! [`replace`], so indexes stay exact whichever way a record changed. No other code
//! writes an entity tree.

use sled::transaction::{TransactionalTree, UnabortableTransactionError};

use super::{Stored, entity_pos, keys};
use crate::model::entity::Checked;
use crate::model::{EntityKind, Id};

/// Adds (or removes) the index entries of one record version.
pub(crate) fn index(
    trees: &[TransactionalTree],
    kind: EntityKind,
    id: Id,
    checked: &Checked,
    add: bool,
) -> Result<(), UnabortableTransactionError> {
    for (tree, key) in keys::entries(kind, id, checked) {
        if add {
            trees[tree].insert(key, &[] as &[u8])?;
        } else {
            trees[tree].remove(key)?;
        }
    }
    Ok(())
}

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
    if let Some(checked) = old.filter(|s| !s.deleted).and_then(|s| kind.describe(&s.fields)) {
        index(trees, kind, id, &checked, false)?;
    }
    match new {
        Some(stored) => {
            trees[entity_pos(kind)].insert(id.as_bytes(), stored.encode())?;
            if let Some(checked) = Some(stored)
                .filter(|s| !s.deleted)
                .and_then(|s| kind.describe(&s.fields))
            {
                index(trees, kind, id, &checked, true)?;
            }
        }
        None => {
            trees[entity_pos(kind)].remove(id.as_bytes())?;
        }
    }
    Ok(())
}
