//! Writes that span several transactions (a large import, `outpost demo`) without ever
//! shipping half of them. Each part is committed with [`Store::commit_staged`]: records
//! and index entries as usual, and its changes written to the outbox tree with the
//! sequence numbers they will have, but `next_seq` (which bounds what the outbox holds:
//! what sync sends, backs up and checks) does not move. The staged numbers go on in
//! [`K_STAGED_NEXT`]. The last part moves `next_seq` over all of them in its own
//! transaction, so the whole write enters the outbox at once, at no extra cost.
//!
//! A `meta` marker ([`K_STAGED`], "what staging") is set by the first part and cleared
//! by the last. If the process dies between, the next open
//! [`discards`](Store::discard_staged) the write, in bounded batches: the records the
//! staged creates made are removed (they never left this laptop) with the staged
//! changes; the outbox is exactly what it was before, and nothing of it is ever sent.
//! Only one staged write runs at a time (the store is opened by one process) and an
//! ordinary commit refuses to run while one is under way.

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionalTree, UnabortableTransactionError};

use super::apply::finish;
use super::meta::{K_NEXT_SEQ, parse_u64};
use super::{Change, ChangeOp, META, OUTBOX, Store, StoreError};

/// Meta key: the sequence number of the next staged change, while a staged write runs.
pub(crate) const K_STAGED_NEXT: &str = "staged_next_seq";
/// Meta key: the staged write under way ("import staging", "demo staging").
pub const K_STAGED: &str = "staged_write";

/// The state of a staged write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Staging {
    /// Parts are being written (an interruption rolls it back): what is written.
    Staging(String),
}

impl Staging {
    /// The marker value.
    #[must_use]
    pub fn value(&self) -> String {
        match self {
            Self::Staging(w) => format!("{w} staging"),
        }
    }
}

/// How a commit numbers its changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seq {
    /// Into the outbox (`next_seq` moves).
    Outbox,
    /// Staged (after `next_seq`, which stays).
    Stage,
    /// Staged, and then everything staged goes into the outbox.
    Publish,
}

/// The first sequence number a commit uses. An ordinary commit while a staged write is
/// under way would reuse the staged numbers, so it is refused.
pub(crate) fn first_seq(meta: &TransactionalTree, how: Seq) -> Result<u64, StoreError> {
    let staged = meta
        .get(K_STAGED_NEXT)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    match (how, staged) {
        (Seq::Outbox, Some(_)) => Err(StoreError::Corrupt(
            "a large write (import or demo) is under way in this store; run the command again once it is \
             done (an interrupted one is rolled back when outpost next opens the store)"
                .into(),
        )),
        (_, Some(v)) => parse_u64(Some(&v), 1),
        (_, None) => parse_u64(
            meta.get(K_NEXT_SEQ)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?
                .as_deref(),
            1,
        ),
    }
}

/// Records where numbering stopped: `next_seq` for an ordinary commit and for the part
/// that publishes (which ends the staging), the staged counter otherwise.
pub(crate) fn record_seq(meta: &TransactionalTree, how: Seq, seq: u64) -> Result<(), UnabortableTransactionError> {
    let text = seq.to_string();
    match how {
        Seq::Outbox => {
            meta.insert(K_NEXT_SEQ, text.as_bytes())?;
        }
        Seq::Stage => {
            meta.insert(K_STAGED_NEXT, text.as_bytes())?;
        }
        Seq::Publish => {
            meta.insert(K_NEXT_SEQ, text.as_bytes())?;
            meta.remove(K_STAGED_NEXT)?;
        }
    }
    Ok(())
}

type Tx<T> = Result<T, ConflictableTransactionError<StoreError>>;

impl Store {
    /// The staged write under way, if any.
    pub fn staging(&self) -> Result<Option<Staging>, StoreError> {
        let Some(v) = self.meta(K_STAGED)? else {
            return Ok(None);
        };
        let what = v.strip_suffix(" staging").unwrap_or(&v);
        Ok(Some(Staging::Staging(what.to_string())))
    }

    /// The outbox's first `next_seq` key: changes from there on are staged ones.
    pub(super) fn published_end(&self) -> Result<[u8; 8], StoreError> {
        Ok(super::meta::parse_u64(self.tree(META).get(K_NEXT_SEQ)?.as_deref(), 1)?.to_be_bytes())
    }

    /// The outbox entries that are published (below `next_seq`), oldest first.
    pub(crate) fn published_outbox(&self) -> impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>> + '_ {
        // The empty key is the smallest: every entry, a damaged short key too (`verify`).
        self.published_outbox_from(sled::IVec::default())
    }

    /// [`Store::published_outbox`] from key `from` on.
    pub(crate) fn published_outbox_from(
        &self,
        from: sled::IVec,
    ) -> impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>> + '_ {
        let end = self.published_end().unwrap_or([0xFF; 8]);
        self.tree(OUTBOX).range(from..sled::IVec::from(&end))
    }

    /// How many changes are staged.
    #[must_use]
    pub fn staged_len(&self) -> usize {
        self.published_end()
            .map_or(0, |end| self.tree(OUTBOX).range(end..).count())
    }

    /// Rolls back up to `limit` staged changes in one transaction: a staged create's
    /// record is removed (with its index entries, through the one record-writing
    /// function; it never left this laptop), and the change dropped. Published changes
    /// are not touched. The transaction that drops the last also ends the staging and
    /// applies `done` to `meta`. Returns how many records were removed, and whether
    /// more remain.
    pub fn discard_staged(&self, limit: usize, done: &[(&str, Option<&str>)]) -> Result<(usize, bool), StoreError> {
        let end = self.published_end()?;
        let mut batch: Vec<(sled::IVec, Change)> = Vec::new();
        let mut more = false;
        for item in self.tree(OUTBOX).range(end..) {
            let (k, v) = item?;
            if batch.len() == limit.max(1) {
                more = true;
                break;
            }
            let c: Change = serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt(format!("outbox: {e}")))?;
            batch.push((k, c));
        }
        let _writing = self.writing();
        let result = self.trees.as_slice().transaction(|trees| -> Tx<usize> {
            let mut removed = 0;
            for (k, c) in &batch {
                if matches!(c.op, ChangeOp::Create { .. })
                    && let Some(bytes) = trees[super::entity_pos(c.entity)].get(c.id.as_bytes())?
                {
                    let before = super::decode(&bytes).map_err(ConflictableTransactionError::Abort)?;
                    super::write::replace(trees, c.entity, c.id, Some(&before), None)?;
                    removed += 1;
                }
                trees[OUTBOX].remove(k)?;
            }
            if !more {
                trees[META].remove(K_STAGED_NEXT)?;
                for (k, v) in done {
                    match v {
                        Some(v) => trees[META].insert(k.as_bytes(), v.as_bytes())?,
                        None => trees[META].remove(k.as_bytes())?,
                    };
                }
            }
            Ok(removed)
        });
        let n = finish(result)?;
        self.flush()?;
        Ok((n, more))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{EntityKind, Fields};
    use crate::store::Mutation;

    fn account(name: &str) -> Mutation {
        let mut f = Fields::new();
        f.insert("name".into(), json!(name));
        Mutation::create(EntityKind::Account, f)
    }

    #[test]
    fn staged_changes_stay_out_of_the_outbox_until_published_and_discarding_leaves_it_as_it_was() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("open");
        store.commit(&[account("Before")]).expect("commit");
        let before: Vec<Change> = store.outbox().collect::<Result<_, _>>().expect("outbox");
        let mark = [(K_STAGED, Some("import staging"))];
        store
            .commit_staged(&[account("A"), account("B")], &mark, false)
            .expect("stage");
        store.commit_staged(&[account("C")], &[], false).expect("stage");
        assert_eq!(store.outbox_len(), 1);
        assert_eq!(store.staged_len(), 3);
        assert!(store.verify().expect("verify").ok(), "a store mid-staging checks out");
        let outbox: Vec<Change> = store.outbox().collect::<Result<_, _>>().expect("outbox");
        assert_eq!(outbox, before, "the outbox shows only published changes");
        let err = store
            .commit(&[account("D")])
            .expect_err("no ordinary commit mid-staging");
        assert!(err.to_string().contains("under way"), "{err}");
        // Rolled back in batches: the records go (not to the trash), the outbox stays.
        let (removed, more) = store.discard_staged(2, &[(K_STAGED, None)]).expect("discard");
        assert_eq!((removed, more), (2, true));
        assert_eq!(
            store.discard_staged(2, &[(K_STAGED, None)]).expect("discard"),
            (1, false)
        );
        assert_eq!(store.count(EntityKind::Account), 1);
        assert_eq!(store.staged_len(), 0);
        assert!(store.staging().expect("marker").is_none());
        assert!(store.verify().expect("verify").ok());
        let after: Vec<Change> = store.outbox().collect::<Result<_, _>>().expect("outbox");
        assert_eq!(after, before);
        // Staged then published: every change enters the outbox at once, numbered on.
        store.commit_staged(&[account("E")], &mark, false).expect("stage");
        store
            .commit_staged(&[account("F")], &[(K_STAGED, None)], true)
            .expect("publish");
        assert_eq!(store.outbox_len(), 3);
        assert_eq!(store.staged_len(), 0);
        let seqs: Vec<u64> = store.outbox().map(|c| c.expect("change").seq).collect();
        assert_eq!(seqs, vec![1, 2, 3]);
        store.commit(&[account("G")]).expect("ordinary commits go on");
        assert!(store.verify().expect("verify").ok());
    }
}
