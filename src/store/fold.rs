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
//!
//! A first sync folds and sends at once ([`Folded`]): the fold runs on a second thread
//! while the push sends only changes the fold has passed, so the laptop folds the next
//! part while the server applies the last. Before each push request the store records
//! the highest sequence number it may carry ([`K_PUSHED_THROUGH`]); a create after it
//! cannot have been sent, and may still take a folded field.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

use sled::Transactional;
use sled::transaction::UnabortableTransactionError;

use super::apply::{fail, finish};
use super::meta::{K_ACKED_SEQ, K_RESTORED, K_SYNC_SERVER, parse_u64};
use super::{META, OUTBOX, Store, StoreError, Stored, entity_pos, write};
use crate::model::EntityKind;
use crate::protocol::{Change, ChangeOp};

impl Store {
    /// Whether nothing in the outbox can have reached a server (see the module text).
    pub fn nothing_sent(&self) -> Result<bool, StoreError> {
        Ok(Sent::read(|k| self.meta(k))?.none)
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

    /// Records, before a push request carrying changes up to sequence number `last` is
    /// made, that they may have reached a server: [`K_PUSHED`], and [`K_PUSHED_THROUGH`]
    /// (which never moves back).
    pub fn mark_pushed_through(&self, last: u64) -> Result<(), StoreError> {
        let through = parse_u64(self.tree(META).get(K_PUSHED_THROUGH)?.as_deref(), 0)?;
        if self.meta(K_PUSHED)?.as_deref() == Some("1") && through >= last {
            return Ok(());
        }
        let meta = self.tree(META);
        meta.insert(K_PUSHED_THROUGH, last.max(through).to_string().as_bytes())?;
        meta.insert(K_PUSHED, b"1".as_slice())?;
        self.flush()
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
        self.fold_into_creates_where(kinds, field, &|_, _| true, pick)
    }

    /// [`Store::fold_into_creates`] that reads only the records whose create gave
    /// `field` a value `may_take` accepts (`None`: the create left it unset). A record
    /// folds only while its field still holds the create's value, so a `pick` that
    /// answers `None` for every record holding a value `may_take` refuses need not see
    /// those records (adoption: the records somebody else owns).
    pub fn fold_into_creates_where(
        &self,
        kinds: &[EntityKind],
        field: &str,
        may_take: &(dyn Fn(EntityKind, Option<&serde_json::Value>) -> bool + Sync),
        pick: &(dyn Fn(EntityKind, &Stored) -> Option<serde_json::Value> + Sync),
    ) -> Result<usize, StoreError> {
        if !self.nothing_sent()? {
            return Ok(0);
        }
        let fold = Fold {
            kinds,
            field,
            may_take,
            pick,
        };
        self.fold_sharing(&fold, &Folded::default())
    }

    /// [`Store::fold_into_creates`] for a push running beside it on another thread:
    /// `folded` tells it how far the fold has come, and tells the fold to stop. Each
    /// part folds only creates no push request may have carried, so this may start
    /// after a push began; the caller checks [`Store::nothing_sent`] first.
    pub fn fold_into_creates_sharing(
        &self,
        kinds: &[EntityKind],
        field: &str,
        pick: &(dyn Fn(EntityKind, &Stored) -> Option<serde_json::Value> + Sync),
        folded: &Folded,
    ) -> Result<usize, StoreError> {
        let fold = Fold {
            kinds,
            field,
            may_take: &|_, _| true,
            pick,
        };
        self.fold_sharing(&fold, folded)
    }

    fn fold_sharing(&self, fold: &Fold<'_>, folded: &Folded) -> Result<usize, StoreError> {
        // The push waits on `folded`: it hears the end even if the fold panics.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.fold_parts(fold, folded)));
        folded.finish(matches!(result, Ok(Ok(_))));
        result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    fn fold_parts(&self, fold: &Fold<'_>, shared: &Folded) -> Result<usize, StoreError> {
        // The next batch's candidates are read (decoded, picked) on a second thread while
        // this one writes the last batch; each batch checks its records again when it
        // writes, so reading ahead never overtakes a change.
        let Some(first) = Sent::read(|k| self.meta(k))?.first_unsent() else {
            return Ok(0);
        };
        let (to_write, batches) = std::sync::mpsc::sync_channel::<Result<Part, StoreError>>(0);
        let folded = std::thread::scope(|scope| {
            scope.spawn(move || {
                let mut from = first;
                while !shared.stopped() {
                    let read = self.fold_candidates(from, fold);
                    let next = read.as_ref().ok().and_then(|part| part.next);
                    if to_write.send(read).is_err() {
                        return;
                    }
                    match next {
                        Some(seq) => from = seq,
                        None => return,
                    }
                }
            });
            let mut folded = 0;
            // A larger page cache once there is something to write (a pass that only
            // reads, an adoption that finds nothing, gains nothing from it).
            let mut cache = None;
            for part in batches {
                let part = part?;
                if cache.is_none() && !part.candidates.is_empty() {
                    cache = Some(self.larger_cache(super::FOLD_CACHE_BYTES));
                }
                folded += self.fold_batch(&part.candidates, fold.field)?;
                if let Some(next) = part.next {
                    shared.advance(next - 1);
                }
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
    fn fold_candidates(&self, from: u64, fold: &Fold<'_>) -> Result<Part, StoreError> {
        let mut batch: Vec<Candidate> = Vec::new();
        let mut read = 0;
        let mut last = None;
        for item in self.tree(OUTBOX).range(from.to_be_bytes()..self.published_end()?) {
            let (k, v) = item?;
            read += 1;
            last = <[u8; 8]>::try_from(k.as_ref()).ok().map(u64::from_be_bytes);
            let change: Change = serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt(format!("outbox: {e}")))?;
            if fold.kinds.contains(&change.entity)
                && let Some(candidate) = self.fold_candidate(change, fold)?
            {
                batch.push(candidate);
            }
            if read == super::WRITE_BATCH {
                break;
            }
        }
        let next = last.filter(|_| read == super::WRITE_BATCH).map(|seq| seq + 1);
        Ok(Part {
            candidates: batch,
            next,
        })
    }

    /// The record of a create whose `field` may be folded, with the new value.
    fn fold_candidate(&self, change: Change, fold: &Fold<'_>) -> Result<Option<Candidate>, StoreError> {
        let ChangeOp::Create { fields } = &change.op else {
            return Ok(None);
        };
        if !(fold.may_take)(change.entity, fields.get(fold.field)) {
            return Ok(None);
        }
        let Some(bytes) = self.entity_tree(change.entity).get(change.id.as_bytes())? else {
            return Ok(None);
        };
        let stored = super::decode(&bytes)?;
        if stored.deleted || !still_the_creates(&stored, &change, fold.field) {
            return Ok(None);
        }
        Ok((fold.pick)(change.entity, &stored).map(|value| Candidate {
            change,
            bytes,
            stored,
            value,
        }))
    }

    /// Rewrites one batch in one transaction, checking again that no push request may
    /// have carried each create and that each record is as read.
    fn fold_batch(&self, batch: &[Candidate], field: &str) -> Result<usize, StoreError> {
        if batch.is_empty() {
            return Ok(0);
        }
        let _writing = self.writing();
        let result = self.trees.as_slice().transaction(|trees| {
            let sent = Sent::read(|k| {
                let v = trees[META].get(k)?;
                Ok::<_, UnabortableTransactionError>(v.map(|b| String::from_utf8_lossy(&b).into_owned()))
            })?;
            let mut n = 0;
            for Candidate {
                change,
                bytes,
                stored: current,
                value,
            } in batch
            {
                if !sent.unsent(change.seq) {
                    continue; // a push request may have carried it: left to the caller's commit
                }
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

/// What a fold writes: `field` of the records of `kinds` whose create's value of it
/// `may_take` accepts, the value `pick` answers (see [`Store::fold_into_creates_where`]).
struct Fold<'a> {
    kinds: &'a [EntityKind],
    field: &'a str,
    may_take: &'a (dyn Fn(EntityKind, Option<&serde_json::Value>) -> bool + Sync),
    pick: &'a (dyn Fn(EntityKind, &Stored) -> Option<serde_json::Value> + Sync),
}

/// The candidates of one part of the outbox, and where the next part starts (`None`
/// after the last).
struct Part {
    candidates: Vec<Candidate>,
    next: Option<u64>,
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

/// Meta key: the highest sequence number a push request may have carried, written
/// before the request. A store that pushed before it was kept has none (and folds
/// nothing once it pushed).
pub const K_PUSHED_THROUGH: &str = "pushed_through";

/// What may have reached a server, from the meta entries.
struct Sent {
    /// Nothing: no push request made (`pushed` is "0", or absent on a store bound to no
    /// server), not restored from a backup, nothing acknowledged.
    none: bool,
    /// Changes up to this number may have (not on a restored store: its backup's
    /// changes may have been sent from the store it was taken of).
    through: Option<u64>,
}

impl Sent {
    fn read<E>(meta: impl Fn(&str) -> Result<Option<String>, E>) -> Result<Self, E> {
        let never_pushed = match meta(K_PUSHED)?.as_deref() {
            Some(p) => p == "0",
            None => meta(K_SYNC_SERVER)?.is_none(),
        };
        let restored = meta(K_RESTORED)?.is_some();
        let nothing_acked = meta(K_ACKED_SEQ)?.is_none_or(|v| v == "0");
        let through = meta(K_PUSHED_THROUGH)?.and_then(|v| v.parse().ok());
        Ok(Self {
            none: never_pushed && !restored && nothing_acked,
            through: through.filter(|_| !restored),
        })
    }

    /// Whether the change numbered `seq` cannot have been sent.
    fn unsent(&self, seq: u64) -> bool {
        self.none || self.through.is_some_and(|t| seq > t)
    }

    /// The first change number that cannot have been sent, if any is known.
    fn first_unsent(&self) -> Option<u64> {
        if self.none {
            Some(0)
        } else {
            self.through.map(|t| t.saturating_add(1))
        }
    }
}

/// How far a fold running beside a push has come ([`Store::fold_into_creates_sharing`]).
#[derive(Debug, Default)]
pub struct Folded {
    state: Mutex<FoldState>,
    moved: Condvar,
}

#[derive(Debug, Default)]
struct FoldState {
    /// Every create up to this sequence number was folded (or left).
    through: u64,
    /// `Some(true)` once the fold finished, `Some(false)` if it failed.
    ended: Option<bool>,
    /// The push stopped: the fold should too.
    stop: bool,
}

impl Folded {
    /// Waits until the fold passed sequence number `seq` or ended, and answers up to
    /// which number changes may be sent (`u64::MAX` once it finished), or `None` if it
    /// failed (its error is the fold's to report) or `abandoned` was set meanwhile (it
    /// is looked at every 50 ms).
    pub fn wait_for(&self, seq: u64, abandoned: &AtomicBool) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match state.ended {
                Some(true) => return Some(u64::MAX),
                Some(false) => return None,
                None if state.through >= seq => return Some(state.through),
                None if abandoned.load(Ordering::Relaxed) => return None,
                None => {
                    state = self
                        .moved
                        .wait_timeout(state, std::time::Duration::from_millis(50))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
            }
        }
    }

    /// Tells the fold to stop after the part it is writing.
    pub fn stop(&self) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).stop = true;
    }

    fn stopped(&self) -> bool {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).stop
    }

    fn advance(&self, through: u64) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).through = through;
        self.moved.notify_all();
    }

    fn finish(&self, ok: bool) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).ended = Some(ok);
        self.moved.notify_all();
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A push that stopped is not kept waiting for a fold that has not come far enough;
    /// what the fold passed, or its end, still answers first.
    #[test]
    fn a_wait_for_the_fold_ends_when_it_is_abandoned() {
        let folded = Folded::default();
        folded.advance(10);
        let abandoned = AtomicBool::new(true);
        assert_eq!(folded.wait_for(5, &abandoned), Some(10));
        let waiting = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| folded.wait_for(20, &waiting));
            std::thread::sleep(std::time::Duration::from_millis(120));
            assert!(!waiter.is_finished(), "it waits while the fold is behind");
            waiting.store(true, Ordering::Relaxed);
            let given_up = (0..200).any(|_| {
                std::thread::sleep(std::time::Duration::from_millis(10));
                waiter.is_finished()
            });
            if !given_up {
                folded.finish(false); // ends the wait, so the test fails instead of hanging
            }
            assert!(given_up, "the wait ends within 2 s of being abandoned");
            assert_eq!(waiter.join().expect("waiter"), None);
        });
        folded.finish(true);
        assert_eq!(folded.wait_for(20, &abandoned), Some(u64::MAX));
    }
}
