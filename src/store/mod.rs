//! The sled store on the laptop: one tree per entity, secondary-index trees, the outbox
//! and `meta`. Every local mutation goes through [`Store::commit`] (see `mutation.rs`),
//! and every record write, local or remote, restore or migration, through
//! `write::replace`; there is no second write path.

mod apply;
mod backup;
mod conflict;
mod error;
mod fill;
mod first_pull;
mod fold;
mod held;
mod keys;
pub mod lock;
pub mod meta;
mod mutation;
mod packed;
mod read;
mod staged;
mod verify;
mod write;

use std::path::{Path, PathBuf};

use sled::{Db, Tree};

/// The protocol types the store keeps, re-exported from [`crate::protocol`] where they
/// now live (so code that named them through `store` still builds).
pub use crate::protocol::{CREATED, Change, ChangeOp, Conflict, ConflictKind, DELETED, Outcome, Side, Stored};
pub use apply::{Applied, Hold, Remote, SyncState};
pub use backup::{BackupSummary, RestoreError, write_backup};
pub use conflict::LocalConflict;
pub use error::StoreError;
pub use fold::Folded;
pub use held::{HeldMark, K_USERS_AT};
pub use meta::SCHEMA_VERSION;
pub use mutation::{Mutation, Op, Settle};
pub use read::FieldClocks;
pub use staged::Staging;
pub use verify::{Dangling, VerifyReport};

use crate::model::entity::{Context, Index};
use crate::model::{EntityKind, ReplicaId, WallClock};

/// Positions of the fixed trees in [`Store::trees`]; entity trees follow.
pub(crate) const META: usize = 0;
pub(crate) const OUTBOX: usize = 1;
pub(crate) const IDX_PARENT: usize = 2;
pub(crate) const IDX_TITLE: usize = 3;
pub(crate) const IDX_FIRST_SECONDARY: usize = 4;
pub(crate) const ENTITY_BASE: usize = IDX_FIRST_SECONDARY + Index::ALL.len();
/// Trees added after the entity trees, appended at the end so positions stay stable.
pub(crate) const CONFLICTS: usize = ENTITY_BASE + EntityKind::ALL_BY_TAG.len();
/// Marks on held records (see `held.rs`).
pub(crate) const HELD: usize = CONFLICTS + 1;

/// Names of the fixed trees, in position order.
const FIXED_TREES: [&str; 4] = ["meta", "outbox", "idx_parent", "idx_title"];

/// Records written per sled transaction or batch by the large writes: import, demo,
/// restore, the first sync's fold and an index migration. sled keeps every node copy a
/// transaction or batch replaces until it ends (it holds one epoch guard throughout): at
/// 100k records, parts of 2,000 peaked at 254 MB (restore) and 318 MB (demo), parts of
/// 200 at 145 and 157 MB, in the same time.
pub const WRITE_BATCH: usize = 200;

/// sled's page cache on the laptop. 8 MB instead of 32 took 27-37 MB off `import`,
/// `backup` and `demo` at 100k records, with no measurable change in the TUI's loads or
/// keystrokes (`cargo bench --bench tui`); a first pull of 100k records takes about 20%
/// longer. (sled's cache keeps to this size only as patched in `vendor/sled`.)
const CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// sled's page cache: `default`, or `OUTPOST_CACHE_MB` megabytes when that is set to a
/// whole number from 1 to 4096 (to trade speed for memory on a small machine, or to
/// measure; the laptop's store and `outpost serve`'s sled data both read it).
#[must_use]
pub fn cache_bytes(default: u64) -> u64 {
    cache_bytes_set().unwrap_or(default)
}

/// The page cache `OUTPOST_CACHE_MB` sets, if it does.
fn cache_bytes_set() -> Option<u64> {
    std::env::var("OUTPOST_CACHE_MB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|mb| (1..=4096).contains(mb))
        .map(|mb| mb * 1024 * 1024)
}

/// sled's page cache while the owners are folded into a first push's creates
/// (`fold.rs`): at 100k contacts the fold rewrites 369k records, their index entries
/// and outbox entries all over the store while the push reads the outbox, and with
/// [`CACHE_BYTES`] a fifth of that CPU went to reading evicted pages back from the log.
/// With 32 MB the first push's CPU fell 32.6 -> 27.4 s and its peak rose 116 -> 126 MB;
/// once the push read its next batch while sending the last, 32 MB peaked at 135-153
/// MB and 24 MB at 120-128 MB, in the same time (27-30 s), so it is 24 MB.
/// The cache grows at the fold's first part with something to write (an adoption pass
/// that only reads took 55 -> 82 MB with it, for nothing) and goes back to its size
/// when the fold ends (a first pull, which writes into an empty store, peaked at
/// 166-171 MB with 32 MB throughout).
const FOLD_CACHE_BYTES: u64 = 24 * 1024 * 1024;

/// A stretch of work with a larger page cache ([`Store::larger_cache`]); the cache
/// goes back to its usual size when this drops, not to a size another stretch set (two
/// folds at once in one process would shrink the cache under the one still running:
/// slower, nothing else). In the TUI the fold's 24 MB come on top of what the views
/// hold, for the length of a first sync.
#[must_use = "the cache is larger until this is dropped"]
pub(crate) struct LargerCache<'s> {
    db: &'s Db,
}

impl Drop for LargerCache<'_> {
    fn drop(&mut self) {
        // Only made when `OUTPOST_CACHE_MB` is not set: the usual size is the default.
        self.db.set_cache_capacity(CACHE_BYTES);
    }
}

/// The local database.
pub struct Store {
    db: Db,
    trees: Vec<Tree>,
    path: PathBuf,
    replica: ReplicaId,
    ctx: Context,
    clock: WallClock,
    /// The log's size on disk when opened (see [`Store::grown`]).
    opened_size: u64,
    /// Record writes hold it shared; filling the indexes after a first pull holds it
    /// alone (see `first_pull.rs`).
    fill_gate: std::sync::RwLock<()>,
    /// Last, so it drops after `db` and `trees`: waits for sled to let go of its lock.
    _released: lock::ReleasedOnDrop,
}

impl Store {
    /// Opens (creating if needed) the store in `dir` on the system clock, migrating an
    /// older schema and refusing a newer one.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with_clock(dir, WallClock::system())
    }

    /// [`Store::open`] with the clock every write reads its time from (tests and the
    /// TUI harness pass theirs).
    pub fn open_with_clock(dir: &Path, clock: WallClock) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Io {
            path: dir.to_path_buf(),
            error: e,
        })?;
        let db = sled::Config::new()
            .path(dir.join("store"))
            .mode(sled::Mode::HighThroughput)
            // A smaller page cache for the 150 MB memory budget of issue 13.
            .cache_capacity(cache_bytes(CACHE_BYTES))
            .open()
            .map_err(|e| StoreError::open(dir, e))?;
        let mut trees = Vec::new();
        for name in FIXED_TREES {
            trees.push(db.open_tree(name)?);
        }
        for index in Index::ALL {
            trees.push(db.open_tree(index.tree())?);
        }
        for kind in EntityKind::ALL_BY_TAG {
            trees.push(db.open_tree(kind.name())?);
        }
        trees.push(db.open_tree("conflicts")?);
        trees.push(db.open_tree("held")?);
        let opened_size = db.size_on_disk().unwrap_or(0);
        let mut store = Self {
            db,
            trees,
            path: dir.to_path_buf(),
            replica: ReplicaId(0),
            ctx: Context::default(),
            clock,
            opened_size,
            fill_gate: std::sync::RwLock::new(()),
            _released: lock::ReleasedOnDrop::new(&dir.join("store")),
        };
        if store.tree(META).contains_key(backup::K_RESTORING)? {
            // A restore was killed part way: the store goes back to empty.
            store.discard_restore()?;
        }
        store.replica = meta::init_or_migrate(&store)?;
        // A first pull was cut short: its records' index entries are written now.
        store.end_first_pull()?;
        Ok(store)
    }

    /// Gives sled's page cache `bytes` until the guard drops, unless `OUTPOST_CACHE_MB`
    /// set its size (then it is left alone).
    pub(crate) fn larger_cache(&self, bytes: u64) -> Option<LargerCache<'_>> {
        if cache_bytes_set().is_some() {
            return None;
        }
        self.db.set_cache_capacity(bytes);
        Some(LargerCache { db: &self.db })
    }

    /// How many bytes the log grew since this store was opened.
    #[must_use]
    pub fn grown(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0).saturating_sub(self.opened_size)
    }

    /// Opens and closes the store in `dir`, for sled to write a snapshot of its log:
    /// sled replays everything written since its last snapshot on every open until an
    /// open writes a new one, so after a big write (a demo of 409k records: 1.4 s) the
    /// command that wrote it pays that once, not the TUI's first frame.
    ///
    /// The store that wrote must have been dropped: a dropped store has let go of its
    /// lock (see [`lock::ReleasedOnDrop`]).
    pub fn settle(dir: &Path) -> Result<(), StoreError> {
        drop(Self::open(dir)?);
        Ok(())
    }

    /// The directory the store lives in.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This store's replica id.
    #[must_use]
    pub fn replica(&self) -> ReplicaId {
        self.replica
    }

    /// Configuration used when checking records.
    #[must_use]
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// The clock every write reads its time from.
    #[must_use]
    pub fn clock(&self) -> &WallClock {
        &self.clock
    }

    /// Replaces the configuration (pipeline stages, the writing user). Its `now` is
    /// ignored: each write takes the time from [`Store::clock`].
    pub fn set_context(&mut self, ctx: Context) {
        self.ctx = ctx;
    }

    /// Makes everything written so far durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    pub(crate) fn tree(&self, pos: usize) -> &Tree {
        &self.trees[pos]
    }

    pub(crate) fn entity_tree(&self, kind: EntityKind) -> &Tree {
        &self.trees[entity_pos(kind)]
    }
}

/// Reads a stored record; bytes that do not parse are corrupt data.
pub(crate) fn decode(bytes: &[u8]) -> Result<Stored, StoreError> {
    Stored::decode(bytes).map_err(|e| StoreError::Corrupt(format!("record: {e}")))
}

pub(crate) fn entity_pos(kind: EntityKind) -> usize {
    ENTITY_BASE + usize::from(kind.tag() - 1)
}

pub(crate) fn index_pos(index: Index) -> usize {
    IDX_FIRST_SECONDARY + Index::ALL.iter().position(|i| *i == index).unwrap_or(0)
}

/// Whether the index tree at `pos` keeps its keys packed in buckets (`packed.rs`): the
/// indexes that are read whole.
pub(crate) fn is_packed(pos: usize) -> bool {
    pos == index_pos(Index::Touch)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dropped store has let go of its lock: it opens again at once, every time, even
    /// right after a write left sled's background threads busy.
    #[test]
    fn a_dropped_store_opens_again_at_once() {
        let dir = tempfile::tempdir().expect("dir");
        for round in 0..30 {
            let store = Store::open(dir.path()).unwrap_or_else(|e| panic!("open {round}: {e}"));
            let value = vec![b'x'; 64 * 1024];
            for i in 0..20u32 {
                store
                    .tree(META)
                    .insert(i.to_be_bytes(), value.as_slice())
                    .expect("write");
            }
            store.db.flush().expect("flush");
        }
    }
}
