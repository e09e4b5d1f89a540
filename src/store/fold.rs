//! Folding a field into creates that never left this laptop. Before a store's first
//! push, a change to one field of records still waiting to be sent (adoption making
//! unowned records the user's, or owners typed as names becoming logins) is written
//! into each record's outbox `create` instead of being appended as one more change:
//! a big first sync then sends one change per record instead of two, and the server
//! ends with the same record as the laptop.
//!
//! Only a create nothing may have sent is rewritten: the store is bound to no server
//! (it never pushed), was not restored from a backup (whose pending changes a server
//! may already hold) and has nothing acknowledged. And only when the field's value is
//! still the one the create wrote (its clock is the create's), so no later edit is
//! overtaken; the value keeps the create's clock. Records and their index entries are
//! written through `write::replace`, a few thousand per transaction, reading the
//! outbox in order (memory stays bounded whatever the store's size).

use sled::Transactional;

use super::apply::{fail, finish};
use super::meta::{K_ACKED_SEQ, K_RESTORED, K_SYNC_SERVER};
use super::{META, OUTBOX, Store, StoreError, Stored, entity_pos, write};
use crate::model::EntityKind;
use crate::protocol::{Change, ChangeOp};

impl Store {
    /// Whether nothing in the outbox can have reached a server (see the module text).
    pub fn nothing_sent(&self) -> Result<bool, StoreError> {
        let pushed = self.meta(K_PUSHED)?;
        Ok(unsent(
            self.meta(K_SYNC_SERVER)?.is_some(),
            pushed.as_deref(),
            self.meta(K_RESTORED)?.is_some(),
            self.meta(K_ACKED_SEQ)?.as_deref(),
        ))
    }

    /// Records, before a push request is first made, that this store's outbox may have
    /// reached a server (see [`K_PUSHED`]).
    pub fn mark_pushed(&self) -> Result<(), StoreError> {
        if self.meta(K_PUSHED)?.as_deref() != Some("1") {
            self.tree(META).insert(K_PUSHED, b"1".as_slice())?;
            self.flush()?;
        }
        Ok(())
    }

    /// Sets `field` of the records of `kinds` that `pick` chooses (given the kind and the record, it
    /// answers the new value) by rewriting their unsent creates, when nothing was sent
    /// yet and the field's value is the create's. Returns how many records changed;
    /// the caller changes the others (an edited field, a store that synced) through
    /// [`Store::commit`].
    pub fn fold_into_creates(
        &self,
        kinds: &[EntityKind],
        field: &str,
        pick: &(dyn Fn(EntityKind, &Stored) -> Option<serde_json::Value> + Sync),
    ) -> Result<usize, StoreError> {
        if !self.nothing_sent()? {
            return Ok(0);
        }
        // The next batch's candidates are read (decoded, picked) on a second thread while
        // this one writes the last batch; each batch checks its records again when it
        // writes, so reading ahead never overtakes a change.
        let (to_write, batches) = std::sync::mpsc::sync_channel::<Result<Vec<Candidate>, StoreError>>(0);
        let folded = std::thread::scope(|scope| {
            scope.spawn(move || {
                let mut from = 0u64;
                loop {
                    let read = self.fold_candidates(from, kinds, field, pick);
                    let next = read.as_ref().ok().and_then(|(_, next)| *next);
                    if to_write.send(read.map(|(batch, _)| batch)).is_err() {
                        return;
                    }
                    match next {
                        Some(seq) => from = seq,
                        None => return,
                    }
                }
            });
            let mut folded = 0;
            for batch in batches {
                folded += self.fold_batch(&batch?, field)?;
            }
            Ok::<_, StoreError>(folded)
        })?;
        if folded > 0 {
            self.flush()?;
        }
        Ok(folded)
    }

    /// The candidates among [`super::WRITE_BATCH`] outbox entries from sequence number `from`, and
    /// where the next batch starts (`None` at the end of the outbox).
    fn fold_candidates(
        &self,
        from: u64,
        kinds: &[EntityKind],
        field: &str,
        pick: &dyn Fn(EntityKind, &Stored) -> Option<serde_json::Value>,
    ) -> Result<(Vec<Candidate>, Option<u64>), StoreError> {
        let mut batch: Vec<Candidate> = Vec::new();
        let mut read = 0;
        let mut last = None;
        for item in self.tree(OUTBOX).range(from.to_be_bytes()..self.published_end()?) {
            let (k, v) = item?;
            read += 1;
            last = <[u8; 8]>::try_from(k.as_ref()).ok().map(u64::from_be_bytes);
            let change: Change = serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt(format!("outbox: {e}")))?;
            if kinds.contains(&change.entity)
                && let Some(candidate) = self.fold_candidate(change, field, pick)?
            {
                batch.push(candidate);
            }
            if read == super::WRITE_BATCH {
                break;
            }
        }
        let next = last.filter(|_| read == super::WRITE_BATCH).map(|seq| seq + 1);
        Ok((batch, next))
    }

    /// The record of a create whose `field` may be folded, with the new value.
    fn fold_candidate(
        &self,
        change: Change,
        field: &str,
        pick: &dyn Fn(EntityKind, &Stored) -> Option<serde_json::Value>,
    ) -> Result<Option<Candidate>, StoreError> {
        if !matches!(change.op, ChangeOp::Create { .. }) {
            return Ok(None);
        }
        let Some(bytes) = self.entity_tree(change.entity).get(change.id.as_bytes())? else {
            return Ok(None);
        };
        let stored = super::decode(&bytes)?;
        if stored.deleted || !still_the_creates(&stored, &change, field) {
            return Ok(None);
        }
        Ok(pick(change.entity, &stored).map(|value| Candidate {
            change,
            bytes,
            stored,
            value,
        }))
    }

    /// Rewrites one batch in one transaction, checking again that nothing was sent and
    /// that each record is as read.
    fn fold_batch(&self, batch: &[Candidate], field: &str) -> Result<usize, StoreError> {
        if batch.is_empty() {
            return Ok(0);
        }
        let result = self.trees.as_slice().transaction(|trees| {
            let text = |v: Option<sled::IVec>| v.map(|b| String::from_utf8_lossy(&b).into_owned());
            let unsent = unsent(
                trees[META].get(K_SYNC_SERVER)?.is_some(),
                text(trees[META].get(K_PUSHED)?).as_deref(),
                trees[META].get(K_RESTORED)?.is_some(),
                text(trees[META].get(K_ACKED_SEQ)?).as_deref(),
            );
            if !unsent {
                return Ok(0);
            }
            let mut n = 0;
            for Candidate {
                change,
                bytes,
                stored: current,
                value,
            } in batch
            {
                let tree = &trees[entity_pos(change.entity)];
                if tree.get(change.id.as_bytes())?.as_ref() != Some(bytes) {
                    continue; // changed since it was read: left to the caller's commit
                }
                let mut new = current.clone();
                new.fields.insert(field.to_string(), value.clone());
                new.clocks.insert(field.to_string(), change.hlc);
                write::replace(trees, change.entity, change.id, Some(current), Some(&new))?;
                let mut create = change.clone();
                if let ChangeOp::Create { fields } = &mut create.op {
                    fields.insert(field.to_string(), value.clone());
                }
                let bytes = serde_json::to_vec(&create).map_err(fail)?;
                trees[OUTBOX].insert(&create.seq.to_be_bytes(), bytes)?;
                n += 1;
            }
            Ok(n)
        });
        finish(result)
    }
}

/// A create to fold: the change, the record as read (bytes and decoded), the new value.
struct Candidate {
    change: Change,
    bytes: sled::IVec,
    stored: Stored,
    value: serde_json::Value,
}

/// Meta key: "0" when the store was bound to a server (`bind_server`) before it made
/// any push request, "1" from just before its first one. A store bound by an older
/// outpost has none, and counts as having pushed.
pub const K_PUSHED: &str = "pushed";

/// Whether nothing can have been sent, from the meta entries: no push request made
/// (`pushed` is "0", or absent on a store bound to no server); not restored from a
/// backup; nothing acknowledged.
fn unsent(bound: bool, pushed: Option<&str>, restored: bool, acked: Option<&str>) -> bool {
    let never_pushed = match pushed {
        Some(p) => p == "0",
        None => !bound,
    };
    never_pushed && !restored && acked.is_none_or(|v| v == "0")
}

/// Whether `field` of `stored` still holds what `create` wrote: its clock is the
/// create's (or it has none and the create did not set it).
fn still_the_creates(stored: &Stored, create: &Change, field: &str) -> bool {
    let ChangeOp::Create { fields } = &create.op else {
        return false;
    };
    if stored.clocks.get(crate::protocol::CREATED) != Some(&create.hlc) {
        return false;
    }
    match stored.clocks.get(field) {
        Some(clock) => *clock == create.hlc && stored.fields.get(field) == fields.get(field),
        None => !fields.contains_key(field),
    }
}
