//! Writes that span several transactions (a large import, `outpost demo`) without ever
//! shipping half of them. Each part is committed with [`Store::commit_staged`]: records
//! and index entries as usual, but the changes go to the `outbox_staged` tree, not the
//! outbox, and take no outbox sequence number. A `meta` marker ([`K_STAGED`]) says what
//! is under way and how far:
//!
//! - `<what> staging`: parts are being written. If the process dies now, the next open
//!   [`discards`](Store::discard_staged) the write: the records the staged creates made
//!   are removed (they never left this laptop) and the staged changes dropped; the outbox
//!   is exactly what it was before, so nothing of it reaches the server.
//! - `<what> publishing`: the last part is in (set in that part's transaction, with any
//!   edits of existing records), so the write is complete; the staged changes are moved
//!   to the outbox in bounded batches, numbered in order ([`Store::publish_staged`]). If
//!   the process dies now, the next open finishes publishing.
//!
//! Both steps go in batches, so memory stays flat however large the write.

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::apply::finish;
use super::meta::{K_NEXT_SEQ, parse_u64};
use super::{Change, ChangeOp, META, OUTBOX, STAGED, Store, StoreError};

/// Meta key: the staging counter (key of the next staged change).
pub(crate) const K_STAGED_NEXT: &str = "staged_next";
/// Meta key: what staged write is under way, and whether it is `staging` or `publishing`.
pub const K_STAGED: &str = "staged_write";

/// The state of a staged write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Staging {
    /// Parts are being written; an interruption rolls it back.
    Staging(String),
    /// Complete; its changes are being moved to the outbox.
    Publishing(String),
}

impl Staging {
    /// The marker value.
    #[must_use]
    pub fn value(&self) -> String {
        match self {
            Self::Staging(w) => format!("{w} staging"),
            Self::Publishing(w) => format!("{w} publishing"),
        }
    }
}

type Tx<T> = Result<T, ConflictableTransactionError<StoreError>>;

impl Store {
    /// The staged write under way, if any.
    pub fn staging(&self) -> Result<Option<Staging>, StoreError> {
        let Some(v) = self.meta(K_STAGED)? else {
            return Ok(None);
        };
        Ok(match v.rsplit_once(' ') {
            Some((w, "publishing")) => Some(Staging::Publishing(w.to_string())),
            Some((w, _)) => Some(Staging::Staging(w.to_string())),
            None => Some(Staging::Staging(v)),
        })
    }

    /// How many changes are staged.
    #[must_use]
    pub fn staged_len(&self) -> usize {
        self.tree(STAGED).len()
    }

    fn staged_batch(&self, limit: usize) -> Result<(Vec<(sled::IVec, Change)>, bool), StoreError> {
        let mut out = Vec::with_capacity(limit.min(4096));
        let mut more = false;
        for item in self.tree(STAGED).iter() {
            let (k, v) = item?;
            if out.len() == limit {
                more = true;
                break;
            }
            let c: Change = serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt(format!("staged: {e}")))?;
            out.push((k, c));
        }
        Ok((out, more))
    }

    /// Moves up to `limit` staged changes to the outbox, numbered after its last one, in
    /// one transaction; the one that moves the last also applies `done` to `meta` (clears
    /// the marker). Returns how many moved (0 when nothing was staged).
    pub fn publish_staged(&self, limit: usize, done: &[(&str, Option<&str>)]) -> Result<usize, StoreError> {
        let (batch, more) = self.staged_batch(limit.max(1))?;
        let trees = [
            self.tree(META).clone(),
            self.tree(OUTBOX).clone(),
            self.tree(STAGED).clone(),
        ];
        let result = trees.as_slice().transaction(|t| -> Tx<usize> {
            let mut seq =
                parse_u64(t[0].get(K_NEXT_SEQ)?.as_deref(), 1).map_err(ConflictableTransactionError::Abort)?;
            for (k, c) in &batch {
                let mut c = c.clone();
                c.seq = seq;
                c.replica = self.replica;
                t[1].insert(&seq.to_be_bytes(), serde_json::to_vec(&c).unwrap_or_default())?;
                t[2].remove(k)?;
                seq += 1;
            }
            t[0].insert(K_NEXT_SEQ, seq.to_string().as_bytes())?;
            if !more {
                apply_meta(&t[0], done)?;
            }
            Ok(batch.len())
        });
        let n = finish(result)?;
        self.flush()?;
        Ok(n)
    }

    /// Rolls back up to `limit` staged changes in one transaction: a staged create's
    /// record is removed (with its index entries, through the one record-writing
    /// function; it never left this laptop), and the change dropped. The outbox is not
    /// touched. The transaction that drops the last also applies `done` to `meta`.
    /// Returns how many records were removed.
    pub fn discard_staged(&self, limit: usize, done: &[(&str, Option<&str>)]) -> Result<(usize, bool), StoreError> {
        let (batch, more) = self.staged_batch(limit.max(1))?;
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
                trees[STAGED].remove(k)?;
            }
            if !more {
                apply_meta(&trees[META], done)?;
            }
            Ok(removed)
        });
        let n = finish(result)?;
        self.flush()?;
        Ok((n, more))
    }
}

fn apply_meta(meta: &sled::transaction::TransactionalTree, pairs: &[(&str, Option<&str>)]) -> Tx<()> {
    for (k, v) in pairs {
        match v {
            Some(v) => meta.insert(k.as_bytes(), v.as_bytes())?,
            None => meta.remove(k.as_bytes())?,
        };
    }
    Ok(())
}
