//! Applying what sync brings: a page of remote changes plus the new cursor in ONE sled
//! transaction (records, clocks, indexes, conflicts, observed clock, cursor), and pruning
//! the outbox once the server acknowledged it. Remote changes skip local relation
//! checks (the parent may arrive on a later page) but keep every index exact.

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::conflict::{self, LocalConflict};
use super::held::{self, HeldMark};
use super::meta::{K_ACKED_SEQ, K_CURSOR, K_LAST_HLC, K_LAST_SYNC, K_SYNC_SERVER, K_SYNC_USER, parse_hlc, parse_u64};
use super::{CONFLICTS, HELD, META, OUTBOX, Store, StoreError, Stored, entity_pos, write};
use crate::model::{EntityKind, Hlc, Id};
use crate::protocol::{Conflict, Outcome};

/// A refused change to a record the server does not hold: the record stays as written
/// and is marked held (see `held.rs`).
#[derive(Clone, Debug, PartialEq)]
pub struct Hold {
    /// Outbox sequence of the refused change.
    pub seq: u64,
    /// Whether it was the record's create (its reason is the one to show); a later
    /// edit or delete refused only because the create never arrived marks a record
    /// held only when nothing else did.
    pub create: bool,
    /// The `held` conflict that shows it.
    pub conflict: Conflict,
}

/// One item of a pulled page. The sync layer implements it; the store only applies.
pub trait Remote {
    /// The record it touches.
    fn target(&self) -> (EntityKind, Id);
    /// Its clock, folded into this replica's clock.
    fn hlc(&self) -> Hlc;
    /// Conflicts it raised, to keep.
    fn conflicts(&self) -> &[Conflict];
    /// The new state of the record, given the current one. Must be a pure function:
    /// sled may run a transaction more than once.
    fn merge(&self, current: Option<&Stored>) -> Outcome;
    /// Set when the item is a refusal that holds its record instead of changing it.
    fn hold(&self) -> Option<&Hold> {
        None
    }
}

/// What one applied page did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Items whose record changed.
    pub changed: usize,
    /// Conflicts recorded for the first time.
    pub conflicts: usize,
    /// Records newly marked held (or held again with a new reason).
    pub held: usize,
    /// Items whose clock was out of bounds (far in the future, or past the documented
    /// ranges): applied, but their clock not adopted (`Hlc::observe_bounded`).
    pub future_clocks: usize,
}

/// Pulled changes applied per transaction. sled holds every node copy a transaction
/// replaces until it ends, and a pulled record brings its index keys to random leaves.
/// A first pull of 409k records peaked at 124-129 MB in parts of 200, and at 137-165 MB
/// once keys were written blind (`write.rs`: faster, so more copies waited at once);
/// with blind writes, 119-147 MB in parts of 100 and 107-113 MB in parts of 50, in the
/// same time or less (19-25 s against 25-30 s, within this machine's noise).
const PULL_PART: usize = 50;

/// Pulled changes applied per transaction while records are written without their index
/// entries (a first pull, `first_pull.rs`): a record then changes one leaf of its own
/// tree and no random index leaves, and a transaction's fixed cost counts. A first pull
/// of 409k records took 9.5-9.9 s in parts of 50, 8.0 s in parts of 200 and 8.1-8.2 s
/// in parts of 1,000, its peak (108-109 MB, while the indexes are filled) the same.
pub(crate) const FIRST_PULL_PART: usize = 200;

impl std::ops::AddAssign for Applied {
    fn add_assign(&mut self, other: Self) {
        self.changed += other.changed;
        self.conflicts += other.conflicts;
        self.held += other.held;
        self.future_clocks += other.future_clocks;
    }
}

/// The sync bookkeeping kept in `meta`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncState {
    /// Server cursor up to which changes are applied.
    pub cursor: u64,
    /// Highest outbox sequence the server acknowledged.
    pub acked_seq: u64,
    /// Id of the server this store syncs with (set by the first sync).
    pub server_id: Option<String>,
    /// User the last sync ran as.
    pub user: Option<String>,
    /// When the last complete sync finished (RFC 3339).
    pub last_sync: Option<String>,
}

pub(crate) fn fail<E: std::fmt::Display>(e: E) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(StoreError::Corrupt(e.to_string()))
}

pub(crate) fn finish<T>(result: Result<T, TransactionError<StoreError>>) -> Result<T, StoreError> {
    match result {
        Ok(v) => Ok(v),
        Err(TransactionError::Abort(e)) => Err(e),
        Err(TransactionError::Storage(e)) => Err(StoreError::Sled(e)),
    }
}

/// Marks a record held for `h`, unless the refusal is stale or adds nothing. Returns
/// whether the mark was written.
fn hold(
    trees: &[sled::transaction::TransactionalTree],
    kind: EntityKind,
    id: Id,
    current: Option<&Stored>,
    h: &Hold,
) -> Result<bool, ConflictableTransactionError<StoreError>> {
    let Some(current) = current else {
        return Ok(false);
    };
    let k = held::key(kind, id);
    let mark = match trees[HELD].get(&k)? {
        Some(v) => Some(held::decode(&v).map_err(fail)?),
        None => None,
    };
    // A refusal of a change older than the pending retry says nothing about the retry.
    if mark.as_ref().and_then(|m| m.resent).is_some_and(|r| h.seq < r) {
        return Ok(false);
    }
    // An edit or delete refused because the create never arrived adds nothing to a
    // held record, and holds nothing in the trash (a discarded record stays discarded).
    if !h.create && (mark.is_some() || current.deleted) {
        return Ok(false);
    }
    let refused_at = Conflict::parse_id(&h.conflict.id).map_or(0, |(c, _)| c);
    let sent = h.conflict.loser.hlc.or(mark.as_ref().and_then(|m| m.sent));
    // One held conflict per record: a refusal of a record already held updates the
    // conflict that shows it (its reason) and keeps its id.
    if let Some(m) = &mark
        && let Some(ck) = Conflict::parse_id(&m.conflict).map(|(c, n)| conflict::key(c, n))
        && let Some(bytes) = trees[CONFLICTS].get(&ck)?
    {
        let mut existing: LocalConflict = serde_json::from_slice(&bytes).map_err(fail)?;
        if existing.resolved.is_none() && existing.conflict.kind == h.conflict.kind {
            existing.conflict.reason.clone_from(&h.conflict.reason);
            existing.conflict.loser = h.conflict.loser.clone();
            existing.conflict.at = h.conflict.at;
            trees[CONFLICTS].insert(ck, conflict::encode(&existing).1)?;
            let new = HeldMark {
                reason: h.conflict.reason.clone().unwrap_or_default(),
                resent: None,
                sent,
                refused_at,
                ..m.clone()
            };
            trees[HELD].insert(k, held::encode(&new))?;
            return Ok(true);
        }
    }
    let new = HeldMark {
        entity: kind,
        id,
        conflict: h.conflict.id.clone(),
        reason: h.conflict.reason.clone().unwrap_or_default(),
        resent: None,
        sent,
        refused_at,
    };
    trees[HELD].insert(k, held::encode(&new))?;
    let (ck, cv) = conflict::encode(&LocalConflict {
        conflict: h.conflict.clone(),
        resolved: None,
    });
    if trees[CONFLICTS].get(&ck)?.is_none() {
        trees[CONFLICTS].insert(ck, cv)?;
    }
    Ok(true)
}

impl Store {
    /// Applies `items` (one pulled page, in server order) in transactions of
    /// [`PULL_PART`] items ([`FIRST_PULL_PART`] in a first pull), the last of which
    /// stores `cursor`, then flushes (one transaction for a page of 2,000 held every node
    /// copy it replaced: 290 MB at the peak of a 100k-record pull, 107-113 MB in parts of
    /// 50). A crash part way leaves the cursor before
    /// the page: the next pull fetches it again and merging what was applied once more
    /// changes nothing (a merge of a change the record already holds is `Unchanged`, and a
    /// conflict or a hold already stored is not stored twice).
    pub fn apply_remote<R: Remote>(&self, items: &[R], cursor: u64) -> Result<Applied, StoreError> {
        self.apply_remote_within(items, cursor, None, Hlc::DEFAULT_MAX_SKEW_MS)
    }

    /// [`Store::apply_remote`], adopting a pulled clock when it is at most `skew_ms` ahead
    /// of the later of this laptop's clock and `server_now_ms` (the server's clock, as it
    /// told it). The server accepted every change it serves within its own bound, so a
    /// laptop whose clock runs slow still adopts them: else its next edit of such a value
    /// would carry an older clock than the value it replaces, and be dropped everywhere.
    pub fn apply_remote_within<R: Remote>(
        &self,
        items: &[R],
        cursor: u64,
        server_now_ms: Option<u64>,
        skew_ms: u64,
    ) -> Result<Applied, StoreError> {
        let now_ms = self.clock.now_ms().max(server_now_ms.unwrap_or(0));
        let mut total = Applied::default();
        let mut rest = items;
        loop {
            // Read without the guard, only to pick the size: a fill ending meanwhile
            // makes one part larger, nothing else.
            let size = if self.indexes_to_fill()? {
                FIRST_PULL_PART
            } else {
                PULL_PART
            };
            let (part, after) = rest.split_at(size.min(rest.len()));
            // The last part (an empty page's only one) moves the cursor.
            total += self.apply_part(part, after.is_empty().then_some(cursor), now_ms, skew_ms)?;
            if after.is_empty() {
                break;
            }
            rest = after;
        }
        self.flush()?;
        Ok(total)
    }

    /// One transaction of [`Store::apply_remote_within`]: `items`, and `cursor` when it is
    /// the page's last part.
    fn apply_part<R: Remote>(
        &self,
        items: &[R],
        cursor: Option<u64>,
        now_ms: u64,
        skew_ms: u64,
    ) -> Result<Applied, StoreError> {
        // Read under the guard: a fill that ends meanwhile clears it (`first_pull.rs`).
        let _writing = self.writing();
        let unindexed = self.indexes_to_fill()?;
        let result = self.trees.as_slice().transaction(|trees| {
            let mut applied = Applied::default();
            let mut clock = parse_hlc(trees[META].get(K_LAST_HLC)?.as_deref()).map_err(fail)?;
            for item in items {
                let (kind, id) = item.target();
                let tree = &trees[entity_pos(kind)];
                let current = match tree.get(id.as_bytes())? {
                    Some(bytes) => Some(super::decode(&bytes).map_err(fail)?),
                    None => None,
                };
                match item.merge(current.as_ref()) {
                    Outcome::Unchanged => {}
                    Outcome::Put(new) => {
                        write::replace_indexing(trees, kind, id, current.as_ref(), Some(&new), !unindexed)?;
                        applied.changed += 1;
                    }
                    Outcome::Remove => {
                        write::replace_indexing(trees, kind, id, current.as_ref(), None, !unindexed)?;
                        applied.changed += 1;
                    }
                }
                // A clock far in the future is never adopted: it would stamp every later
                // local write with it (and freeze last-writer-wins for the whole team).
                match Hlc::observe_within(clock, item.hlc(), now_ms, skew_ms) {
                    Some(c) => clock = c,
                    // This laptop's own refused changes come back too: not news to it.
                    None if item.hlc().replica == self.replica => {}
                    None => applied.future_clocks += 1,
                }
                if let Some(h) = item.hold()
                    && hold(trees, kind, id, current.as_ref(), h)?
                {
                    applied.held += 1;
                }
                for c in item.conflicts() {
                    let local = LocalConflict {
                        conflict: c.clone(),
                        resolved: None,
                    };
                    let (k, v) = conflict::encode(&local);
                    if trees[CONFLICTS].get(&k)?.is_none() {
                        trees[CONFLICTS].insert(k, v)?;
                        applied.conflicts += 1;
                    }
                }
            }
            trees[META].insert(K_LAST_HLC, clock.to_string().as_bytes())?;
            if let Some(cursor) = cursor {
                trees[META].insert(K_CURSOR, cursor.to_string().as_bytes())?;
            }
            Ok(applied)
        });
        finish(result)
    }

    /// Drops outbox changes up to `upto` (the server acknowledged them) and remembers
    /// `upto`, in transactions of [`super::WRITE_BATCH`] changes, the last of which
    /// remembers `upto` (a crash part way leaves acknowledged changes that the next
    /// acknowledgement drops).
    ///
    /// Only an acknowledgement removes changes this old (new ones are numbered after
    /// them, and the fold rewrites only changes no push carried), so the removals need
    /// not read what they remove: a change already gone is removed again, harmlessly.
    pub fn ack_outbox(&self, upto: u64) -> Result<(), StoreError> {
        let trees = [self.tree(META).clone(), self.tree(OUTBOX).clone()];
        let acked = parse_u64(self.tree(META).get(K_ACKED_SEQ)?.as_deref(), 0)?;
        let mut from = acked + 1;
        while from <= upto {
            let to = upto.min(from + super::WRITE_BATCH as u64 - 1);
            let result = trees.as_slice().transaction(|t| {
                for seq in from..=to {
                    t[1].remove_blind(&seq.to_be_bytes()[..]);
                }
                if to == upto {
                    t[0].insert(K_ACKED_SEQ, upto.to_string().as_bytes())?;
                }
                Ok(())
            });
            finish(result)?;
            from = to + 1;
        }
        self.flush()
    }

    /// Outbox changes after the acknowledged ones, oldest first, at most `limit`.
    pub fn pending(&self, limit: usize) -> Result<Vec<super::Change>, StoreError> {
        self.pending_between(0, u64::MAX, limit)
    }

    /// [`Store::pending`], only changes numbered after `after` and up to `through`.
    pub fn pending_between(&self, after: u64, through: u64, limit: usize) -> Result<Vec<super::Change>, StoreError> {
        self.outbox_from(after.saturating_add(1))
            .take_while(|c| c.as_ref().map_or(true, |c| c.seq <= through))
            .take(limit)
            .collect()
    }

    /// The sync bookkeeping.
    pub fn sync_state(&self) -> Result<SyncState, StoreError> {
        let num = |k: &str| -> Result<u64, StoreError> { Ok(self.meta(k)?.and_then(|v| v.parse().ok()).unwrap_or(0)) };
        Ok(SyncState {
            cursor: num(K_CURSOR)?,
            acked_seq: num(K_ACKED_SEQ)?,
            server_id: self.meta(K_SYNC_SERVER)?,
            user: self.meta(K_SYNC_USER)?,
            last_sync: self.meta(K_LAST_SYNC)?,
        })
    }

    /// Binds this store to a server (first sync) and records the user it syncs as.
    pub fn bind_server(&self, server_id: &str, user: &str) -> Result<(), StoreError> {
        let meta = self.tree(META);
        if meta.get(K_SYNC_SERVER)?.is_none() && meta.get(super::fold::K_PUSHED)?.is_none() {
            // Bound before any push: creates not sent yet may still take folded fields.
            meta.insert(super::fold::K_PUSHED, b"0".as_slice())?;
        }
        meta.insert(K_SYNC_SERVER, server_id.as_bytes())?;
        meta.insert(K_SYNC_USER, user.as_bytes())?;
        self.flush()
    }

    /// Records that a sync completed now.
    pub fn record_sync_finished(&self, when: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        self.tree(META).insert(
            K_LAST_SYNC,
            when.to_rfc3339_opts(chrono::SecondsFormat::Secs, true).as_bytes(),
        )?;
        self.flush()
    }

    /// The next outbox sequence this store will use (so the highest issued is one less).
    pub fn next_seq(&self) -> Result<u64, StoreError> {
        parse_u64(self.tree(META).get(super::meta::K_NEXT_SEQ)?.as_deref(), 1)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::model::{EntityKind, Id, ReplicaId, WallClock};
    use crate::protocol::{Conflict, Outcome, Stored};

    /// A pulled change that only carries a clock.
    struct Clocked(Hlc);

    impl Remote for Clocked {
        fn target(&self) -> (EntityKind, Id) {
            (EntityKind::Account, Id::from_slice(&[7; 16]).expect("id"))
        }
        fn hlc(&self) -> Hlc {
            self.0
        }
        fn conflicts(&self) -> &[Conflict] {
            &[]
        }
        fn merge(&self, _: Option<&Stored>) -> Outcome {
            Outcome::Unchanged
        }
    }

    /// A pulled change merged the way the sync engine merges it.
    pub(in crate::store) struct Merging {
        pub(in crate::store) kind: EntityKind,
        pub(in crate::store) id: Id,
        pub(in crate::store) hlc: Hlc,
        pub(in crate::store) op: crate::protocol::ChangeOp,
    }

    impl Remote for Merging {
        fn target(&self) -> (EntityKind, Id) {
            (self.kind, self.id)
        }
        fn hlc(&self) -> Hlc {
            self.hlc
        }
        fn conflicts(&self) -> &[Conflict] {
            &[]
        }
        fn merge(&self, current: Option<&Stored>) -> Outcome {
            crate::protocol::merge::outcome(current, self.hlc, &self.op)
        }
    }

    /// A page larger than one transaction is written in parts; the cursor moves with the
    /// last. Pulling the page again (after a crash between parts) changes nothing.
    #[test]
    fn a_page_in_parts_moves_the_cursor_last_and_applies_again_as_a_no_op() {
        let dir = tempfile::tempdir().expect("temp");
        let store = Store::open(dir.path()).expect("store");
        let page: Vec<Merging> = (0..super::super::WRITE_BATCH * 2 + 7)
            .map(|n| {
                let mut id = [0u8; 16];
                id[..8].copy_from_slice(&(n as u64 + 1).to_be_bytes());
                let mut fields = crate::model::Fields::new();
                fields.insert("name".into(), serde_json::json!(format!("Account {n}")));
                Merging {
                    kind: EntityKind::Account,
                    id: Id::from_slice(&id).expect("id"),
                    hlc: Hlc {
                        wall: 1_700_000_000_000 + n as u64,
                        counter: 0,
                        replica: ReplicaId(9),
                    },
                    op: crate::protocol::ChangeOp::Create { fields },
                }
            })
            .collect();
        // A crash after the first part: its records are there, the cursor is not.
        store
            .apply_part(&page[..super::super::WRITE_BATCH], None, 0, Hlc::DEFAULT_MAX_SKEW_MS)
            .expect("part");
        assert_eq!(store.sync_state().expect("state").cursor, 0);
        let again = store.apply_remote(&page, 3).expect("pull the page again");
        assert_eq!(again.changed, page.len() - super::super::WRITE_BATCH);
        assert_eq!(store.sync_state().expect("state").cursor, 3);
        assert_eq!(store.count(EntityKind::Account), page.len());
        let once_more = store.apply_remote(&page, 3).expect("and again");
        assert_eq!(once_more, Applied::default());
        assert!(store.verify().expect("verify").ok());
    }

    /// A laptop whose clock runs 3 hours slow pulls a change another laptop stamped 23
    /// hours ahead (accepted by the server within its one-day bound): it must adopt that
    /// clock, or its next edit of the value would carry an older clock and be dropped.
    #[test]
    fn a_slow_laptop_adopts_a_clock_the_server_accepted() {
        let dir = tempfile::tempdir().expect("temp");
        let server_now = chrono::DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        let clock = WallClock::manual(server_now - chrono::Duration::hours(3));
        let store = Store::open_with_clock(dir.path(), clock).expect("store");
        let ahead = Hlc {
            wall: u64::try_from((server_now + chrono::Duration::hours(23)).timestamp_millis()).expect("ms"),
            counter: 0,
            replica: ReplicaId(42),
        };
        let server_ms = u64::try_from(server_now.timestamp_millis()).expect("ms");
        // Against the laptop's own clock alone it is 26 hours ahead: not adopted.
        let before = store.apply_remote(&[Clocked(ahead)], 1).expect("apply");
        assert_eq!(before.future_clocks, 1);
        assert!(store.last_hlc().expect("hlc") < ahead);
        // Against the server's clock it is within the bound: adopted.
        let after = store
            .apply_remote_within(&[Clocked(ahead)], 2, Some(server_ms), Hlc::DEFAULT_MAX_SKEW_MS)
            .expect("apply");
        assert_eq!(after.future_clocks, 0);
        assert!(store.last_hlc().expect("hlc") >= ahead);
    }
}
