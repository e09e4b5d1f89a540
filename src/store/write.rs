//! The one place that writes a record and its index entries. Local mutations
//! (`mutation.rs`), remote changes (`apply.rs`, held records included) and migrations
//! (`meta.rs`) all go through [`replace`], so indexes stay exact whichever way a record
//! changed. No other code writes an entity tree. Where the index trees start empty (a
//! restore, a migration that adds an index), their entries are written afterwards from
//! the records, in key order (`fill.rs`), through the same [`add_index_key`]; a restore
//! writes its records with [`put_unindexed`].
//!
//! It writes through [`TreeWrite`]: a transaction's trees, or [`Pending`] writes that
//! are applied tree by tree afterwards. The latter only where something else makes the
//! whole write all-or-nothing: a restore into an empty store, which its marker empties
//! again if it does not finish, and an index filled from the records, which a
//! migration cut short fills again. A transaction holds sled's global write lock and
//! every node copy it makes until it ends; a restore of 409k records and their 2 million
//! keys needs neither. In a transaction, keys are written blind (without reading the
//! value they replace, the vendored sled's `insert_blind`).

use std::cell::RefCell;
use std::collections::BTreeMap;

use sled::transaction::{TransactionalTree, UnabortableTransactionError};
use sled::{IVec, Tree};

use super::{StoreError, Stored, entity_pos, is_packed, keys, packed};
use crate::model::{EntityKind, Id};

/// One tree as [`replace`] writes it.
pub(crate) trait TreeWrite {
    /// What a read or write can fail with.
    type Error;
    /// The value of `key`, with this write's own changes.
    fn get(&self, key: &[u8]) -> Result<Option<IVec>, Self::Error>;
    /// Sets `key`.
    fn insert(&self, key: &[u8], value: Vec<u8>) -> Result<(), Self::Error>;
    /// Removes `key`.
    fn remove(&self, key: &[u8]) -> Result<(), Self::Error>;
}

impl TreeWrite for TransactionalTree {
    type Error = UnabortableTransactionError;
    fn get(&self, key: &[u8]) -> Result<Option<IVec>, Self::Error> {
        TransactionalTree::get(self, key)
    }
    // Blind writes (the vendored sled's patch): sled's `insert` and `remove` read the
    // key's old value first, a descent of the tree for every index key, and nothing here
    // looks at it.
    fn insert(&self, key: &[u8], value: Vec<u8>) -> Result<(), Self::Error> {
        self.insert_blind(key, value);
        Ok(())
    }
    fn remove(&self, key: &[u8]) -> Result<(), Self::Error> {
        self.remove_blind(key);
        Ok(())
    }
}

/// Writes to one tree held back until [`Pending::apply`] (see the module's comment for
/// where that is allowed).
pub(crate) struct Pending<'t> {
    tree: &'t Tree,
    writes: RefCell<BTreeMap<Vec<u8>, Option<Vec<u8>>>>,
}

impl<'t> Pending<'t> {
    /// Nothing pending yet on `tree`.
    pub(crate) fn new(tree: &'t Tree) -> Self {
        Self {
            tree,
            writes: RefCell::new(BTreeMap::new()),
        }
    }

    /// Writes what is pending in key order, leaf by leaf: through the vendored sled's
    /// `write_sorted`, which copies and writes each leaf once for the keys that land in
    /// it, where `insert` copies it once per key. Not as one sled batch: a batch takes
    /// sled's global write lock and pins its log until it ends (the log's buffers
    /// written meanwhile stay in memory), and each batch seals a log buffer. The write
    /// is all-or-nothing by other means (see the module's comment).
    pub(crate) fn apply(self) -> Result<(), StoreError> {
        let items: Vec<(Vec<u8>, Option<IVec>)> = self
            .writes
            .into_inner()
            .into_iter()
            .map(|(k, v)| (k, v.map(IVec::from)))
            .collect();
        Ok(self.tree.write_sorted(&items)?)
    }
}

impl TreeWrite for Pending<'_> {
    type Error = StoreError;
    fn get(&self, key: &[u8]) -> Result<Option<IVec>, Self::Error> {
        if let Some(v) = self.writes.borrow().get(key) {
            return Ok(v.as_deref().map(IVec::from));
        }
        Ok(self.tree.get(key)?)
    }
    fn insert(&self, key: &[u8], value: Vec<u8>) -> Result<(), Self::Error> {
        self.writes.borrow_mut().insert(key.to_vec(), Some(value));
        Ok(())
    }
    fn remove(&self, key: &[u8]) -> Result<(), Self::Error> {
        self.writes.borrow_mut().insert(key.to_vec(), None);
        Ok(())
    }
}

/// Replaces `old` by `new` (either may be absent): drops the index entries of the old
/// version if it was live, writes or removes the record, and indexes the new version if
/// it is live. Index values are read with `describe`, without validation: remote records
/// were validated where they were written.
pub(crate) fn replace<T: TreeWrite>(
    trees: &[T],
    kind: EntityKind,
    id: Id,
    old: Option<&Stored>,
    new: Option<&Stored>,
) -> Result<(), T::Error> {
    replace_indexing(trees, kind, id, old, new, true)
}

/// [`replace`], where `index_new` false leaves the new version's entries to a fill of
/// the indexes afterwards (a first pull into an empty store, `first_pull.rs`). The old
/// version's entries are removed either way (a local write may have added them);
/// removing an entry that is not there changes nothing.
pub(crate) fn replace_indexing<T: TreeWrite>(
    trees: &[T],
    kind: EntityKind,
    id: Id,
    old: Option<&Stored>,
    new: Option<&Stored>,
    index_new: bool,
) -> Result<(), T::Error> {
    let entries = |s: Option<&Stored>| {
        s.filter(|s| !s.deleted)
            .and_then(|s| kind.describe(&s.fields))
            .map(|checked| keys::entries(kind, id, &checked))
            .unwrap_or_default()
    };
    // Only the entries that differ are written: an edit of one field leaves the rest.
    let (before, after) = (entries(old), if index_new { entries(new) } else { Vec::new() });
    for (tree, key) in before.iter().filter(|e| !after.contains(e)) {
        remove_index_key(&trees[*tree], *tree, key)?;
    }
    match new {
        Some(stored) => trees[entity_pos(kind)].insert(id.as_bytes(), stored.encode())?,
        None => trees[entity_pos(kind)].remove(id.as_bytes())?,
    }
    for (tree, key) in after.iter().filter(|e| !before.contains(e)) {
        add_index_key(&trees[*tree], *tree, key)?;
    }
    Ok(())
}

/// Writes the record `stored` alone, without its index entries: only where the index
/// trees are filled from the records once all are written ([`super::Store::fill_indexes`],
/// a restore into an empty store), so computing each record's entries here would be
/// work thrown away.
pub(crate) fn put_unindexed<T: TreeWrite>(
    trees: &[T],
    kind: EntityKind,
    id: Id,
    stored: &Stored,
) -> Result<(), T::Error> {
    trees[entity_pos(kind)].insert(id.as_bytes(), stored.encode())
}

/// Adds `key` to the index tree at `pos`: in its bucket if the tree is packed, else as
/// a key of its own.
pub(crate) fn add_index_key<T: TreeWrite>(tree: &T, pos: usize, key: &[u8]) -> Result<(), T::Error> {
    if is_packed(pos) {
        packed::insert(tree, key)
    } else {
        tree.insert(key, Vec::new())
    }
}

/// Removes `key` from the index tree at `pos` (see [`add_index_key`]).
pub(crate) fn remove_index_key<T: TreeWrite>(tree: &T, pos: usize, key: &[u8]) -> Result<(), T::Error> {
    if is_packed(pos) {
        packed::remove(tree, key)
    } else {
        tree.remove(key)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Opens the sled database in `dir`, once the last handle to it has let go of its
    /// lock (a moment after it drops).
    fn open_again(dir: &std::path::Path) -> sled::Db {
        crate::store::lock::wait_until_released(dir);
        sled::Config::new().path(dir).open().expect("open")
    }

    /// Every key and value of `tree`, in order.
    fn read_all(tree: &sled::Tree) -> Vec<(Vec<u8>, Vec<u8>)> {
        tree.iter()
            .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())).expect("read"))
            .collect()
    }

    /// The vendored sled's blind writes in a transaction: read back by the transaction
    /// itself, over what the tree held (and over its own earlier reads), and in the tree
    /// once it commits; an aborted transaction writes nothing.
    #[test]
    fn blind_writes_read_back_in_their_transaction_and_land_when_it_commits() {
        use sled::Transactional;
        use sled::transaction::ConflictableTransactionError;
        let dir = tempfile::tempdir().expect("dir");
        let db = sled::open(dir.path()).expect("open");
        let (a, b) = (db.open_tree("a").expect("a"), db.open_tree("b").expect("b"));
        a.insert("kept", "old").expect("insert");
        a.insert("gone", "old").expect("insert");
        let trees = [a.clone(), b.clone()];
        trees
            .as_slice()
            .transaction(|t| {
                assert_eq!(t[0].get("kept")?.as_deref(), Some(b"old".as_slice()));
                TreeWrite::insert(&t[0], b"kept", b"new".to_vec())?;
                TreeWrite::remove(&t[0], b"gone")?;
                TreeWrite::insert(&t[1], b"fresh", b"1".to_vec())?;
                assert_eq!(TreeWrite::get(&t[0], b"kept")?.as_deref(), Some(b"new".as_slice()));
                assert_eq!(TreeWrite::get(&t[0], b"gone")?, None);
                assert_eq!(TreeWrite::get(&t[1], b"fresh")?.as_deref(), Some(b"1".as_slice()));
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .expect("commit");
        assert_eq!(a.get("kept").expect("get").as_deref(), Some(b"new".as_slice()));
        assert_eq!(a.get("gone").expect("get"), None);
        assert_eq!(b.get("fresh").expect("get").as_deref(), Some(b"1".as_slice()));
        let aborted = trees.as_slice().transaction(|t| {
            TreeWrite::insert(&t[1], b"never", b"1".to_vec())?;
            Err::<(), _>(ConflictableTransactionError::Abort(()))
        });
        assert!(aborted.is_err());
        assert_eq!(b.get("never").expect("get"), None);
    }

    /// sled as outpost patches it (`vendor/sled`): batches go in key order and the
    /// rightmost node splits near its end. Ascending keys past many leaves and index
    /// nodes, with keys in between and removals, read back whole and in order, before
    /// and after a reopen.
    #[test]
    fn ascending_batches_past_many_nodes_read_back_whole_after_a_reopen() {
        let dir = tempfile::tempdir().expect("dir");
        let open = || open_again(dir.path());
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        {
            let db = open();
            let tree = db.open_tree("t").expect("tree");
            for part in 0..100u32 {
                let pending = Pending::new(&tree);
                for i in 0..200u32 {
                    // Ascending (an outbox, a log), and every 7th a key between
                    // earlier ones (an index).
                    let n = part * 200 + i;
                    let key = if n % 7 == 0 {
                        (n / 3).to_be_bytes().iter().chain(b"x").copied().collect()
                    } else {
                        n.to_be_bytes().to_vec()
                    };
                    let value = n.to_le_bytes().repeat(1 + (n % 40) as usize);
                    pending.insert(&key, value.clone()).expect("insert");
                    model.insert(key, value);
                }
                if part % 10 == 9 {
                    // Acknowledged from the left, as the outbox is.
                    let gone: Vec<Vec<u8>> = model.keys().take(150).cloned().collect();
                    for k in gone {
                        pending.remove(&k).expect("remove");
                        model.remove(&k);
                    }
                }
                pending.apply().expect("apply");
            }
            let read = read_all(&tree);
            assert_eq!(read, model.clone().into_iter().collect::<Vec<_>>());
            db.flush().expect("flush");
        }
        let db = open();
        let tree = db.open_tree("t").expect("tree");
        let read = read_all(&tree);
        assert_eq!(read.len(), model.len());
        assert_eq!(
            read,
            model.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>()
        );
        for (k, v) in model.iter().step_by(97) {
            assert_eq!(tree.get(k).expect("get").as_deref(), Some(v.as_slice()));
        }
        let back: Vec<Vec<u8>> = tree.iter().rev().take(3).map(|r| r.expect("read").0.to_vec()).collect();
        let want: Vec<Vec<u8>> = model.keys().rev().take(3).cloned().collect();
        assert_eq!(back, want, "read backwards too");
    }

    /// The vendored sled's `write_sorted`, which `Pending::apply` writes with: two
    /// threads write runs into one tree at once, each run partly out of order and
    /// removing keys of the run before, with values small and large (leaves split by
    /// count and by size), while a third thread inserts and removes keys one by one.
    /// Everything reads back as written, after a reopen.
    #[test]
    fn sorted_runs_from_two_threads_beside_single_writes_read_back_whole_after_a_reopen() {
        let dir = tempfile::tempdir().expect("dir");
        let open = || open_again(dir.path());
        // Thread t's keys end in t, so the threads' keys interleave in the tree without
        // overlapping.
        let key = |t: u8, n: u32| -> Vec<u8> { [&b"k"[..], &n.to_be_bytes()[..], &[t]].concat() };
        let value = |t: u8, n: u32| -> Vec<u8> { vec![t ^ n as u8; (n % 5) as usize * 90] };
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        {
            let db = open();
            let tree = db.open_tree("t").expect("tree");
            std::thread::scope(|scope| {
                for t in 0..2u8 {
                    let tree = &tree;
                    scope.spawn(move || {
                        let mut rng = fastrand::Rng::with_seed(u64::from(t));
                        for run in 0..60u32 {
                            let mut items: Vec<(Vec<u8>, Option<IVec>)> = (0..300u32)
                                .map(|i| (key(t, run * 300 + i), Some(value(t, run * 300 + i).into())))
                                .collect();
                            // A few out of order, and one written twice (the later wins).
                            for _ in 0..5 {
                                let (a, b) = (rng.usize(..items.len()), rng.usize(..items.len()));
                                items.swap(a, b);
                            }
                            items.push((key(t, run * 300), Some(vec![t; 7].into())));
                            // Removals behind the run: the last run's keys 1 to 9.
                            if run > 0 {
                                items.extend((1..10).map(|i| (key(t, (run - 1) * 300 + i), None)));
                            }
                            tree.write_sorted(&items).expect("write_sorted");
                        }
                    });
                }
                let tree = &tree;
                scope.spawn(move || {
                    for n in 0..4_000u32 {
                        tree.insert(key(9, n * 4), value(9, n)).expect("insert");
                        if n % 3 == 0 {
                            tree.remove(key(9, n * 4)).expect("remove");
                        }
                    }
                });
            });
            for t in 0..2u8 {
                for n in 0..18_000u32 {
                    let v = if n % 300 == 0 { vec![t; 7] } else { value(t, n) };
                    if n >= 17_700 || !(1..10).contains(&(n % 300)) {
                        model.insert(key(t, n), v);
                    }
                }
            }
            for n in (0..4_000u32).filter(|n| n % 3 != 0) {
                model.insert(key(9, n * 4), value(9, n));
            }
            db.flush().expect("flush");
        }
        let db = open();
        let tree = db.open_tree("t").expect("tree");
        let read = read_all(&tree);
        assert_eq!(read.len(), model.len());
        assert!(read.into_iter().eq(model.clone()), "every key and value as written");
        for (k, v) in model.iter().step_by(53) {
            assert_eq!(tree.get(k).expect("get").as_deref(), Some(v.as_slice()));
        }
    }

    /// The vendored sled's leaf-by-leaf writes through each way in (`write_sorted`, a
    /// transaction's commit, a batch) against a model, round by round and after a
    /// reopen. Keys share a long prefix (a leaf stores them without it); runs set keys,
    /// set a key to the value it holds, write one key several times in a row, remove
    /// absent keys, come sorted or not, and now and then empty most of a range (its
    /// leaves merge).
    #[test]
    fn leaf_by_leaf_writes_match_a_model_through_every_way_in() {
        use sled::transaction::ConflictableTransactionError;
        let dir = tempfile::tempdir().expect("dir");
        let open = || open_again(dir.path());
        let key = |n: u16| [&b"long/shared/prefix/"[..], &n.to_be_bytes()].concat();
        let ways = ["write_sorted", "transaction", "batch"];
        let mut models: Vec<BTreeMap<Vec<u8>, Vec<u8>>> = Vec::new();
        {
            let db = open();
            let mut rng = fastrand::Rng::with_seed(7);
            for way in ways {
                let tree = db.open_tree(way).expect("tree");
                let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
                for round in 0..200 {
                    let mut ops: Vec<(Vec<u8>, Option<IVec>)> = Vec::new();
                    if round % 25 == 24 {
                        let start = rng.u16(0..200);
                        ops.extend((start..start + 100).filter(|n| n % 10 != 0).map(|n| (key(n), None)));
                    } else {
                        for _ in 0..rng.usize(50..150) {
                            let n = rng.u16(0..300);
                            let value = match rng.u8(0..4) {
                                0 => None,
                                // The value it holds (or the removal of an absent key).
                                1 => model.get(&key(n)).map(|v| IVec::from(v.as_slice())),
                                _ => Some(IVec::from(vec![rng.u8(..); rng.usize(0..60)])),
                            };
                            for _ in 0..rng.usize(1..4) {
                                ops.push((key(n), value.clone()));
                            }
                        }
                        if round % 2 == 0 {
                            // Stable: one key's writes keep their order.
                            ops.sort_by(|a, b| a.0.cmp(&b.0));
                        }
                    }
                    match way {
                        "write_sorted" => tree.write_sorted(&ops).expect("write_sorted"),
                        "transaction" => tree
                            .transaction(|t| {
                                for (k, v) in &ops {
                                    match v {
                                        Some(v) => t.insert(k.as_slice(), v.clone()).map(drop)?,
                                        None => t.remove(k.as_slice()).map(drop)?,
                                    }
                                }
                                Ok::<(), ConflictableTransactionError>(())
                            })
                            .expect("transaction"),
                        _ => {
                            let mut batch = sled::Batch::default();
                            for (k, v) in &ops {
                                match v {
                                    Some(v) => batch.insert(k.as_slice(), v.clone()),
                                    None => batch.remove(k.as_slice()),
                                }
                            }
                            tree.apply_batch(batch).expect("batch");
                        }
                    }
                    for (k, v) in &ops {
                        match v {
                            Some(v) => model.insert(k.clone(), v.to_vec()),
                            None => model.remove(k),
                        };
                    }
                    let want: Vec<(Vec<u8>, Vec<u8>)> = model.clone().into_iter().collect();
                    assert_eq!(read_all(&tree), want, "{way}, round {round}");
                }
                models.push(model);
            }
            db.flush().expect("flush");
        }
        let db = open();
        for (way, model) in ways.iter().zip(models) {
            let tree = db.open_tree(way).expect("tree");
            assert_eq!(
                read_all(&tree),
                model.into_iter().collect::<Vec<_>>(),
                "{way} after a reopen"
            );
        }
    }

    /// A watched tree written leaf by leaf: the watcher hears every change in order,
    /// one change per write (a writer holding unfilled reservations could block on a
    /// full queue), and no write waits for ever.
    #[test]
    fn a_watcher_hears_every_change_of_a_run_in_order() {
        let dir = tempfile::tempdir().expect("dir");
        let db = sled::Config::new().path(dir.path()).open().expect("open");
        let tree = db.open_tree("t").expect("tree");
        let mut events = tree.watch_prefix(b"k");
        let items: Vec<(Vec<u8>, Option<IVec>)> = (0..3_000u32)
            .map(|n| {
                (
                    [&b"k"[..], &n.to_be_bytes()].concat(),
                    Some(IVec::from(&n.to_le_bytes()[..])),
                )
            })
            .chain(
                (0..3_000u32)
                    .step_by(2)
                    .map(|n| ([&b"k"[..], &n.to_be_bytes()].concat(), None)),
            )
            .collect();
        let count = items.len();
        let heard = std::thread::scope(|scope| {
            let listener = scope.spawn(move || {
                (0..count)
                    .map(|_| match events.next().expect("event") {
                        sled::Event::Insert { key, .. } => (key.to_vec(), true),
                        sled::Event::Remove { key } => (key.to_vec(), false),
                    })
                    .collect::<Vec<_>>()
            });
            tree.write_sorted(&items).expect("write_sorted");
            listener.join().expect("listener")
        });
        let want: Vec<(Vec<u8>, bool)> = items.iter().map(|(k, v)| (k.clone(), v.is_some())).collect();
        assert_eq!(heard, want);
        assert_eq!(tree.len(), 1_500);
    }
}
