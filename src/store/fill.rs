//! Filling index trees from the records, in key order. A write that adds records one by
//! one adds their index entries at random places in the index trees, and sled clones the
//! leaf each one lands in: a restore of 409k records spent most of its time so. Where the
//! index trees start empty (a restore, a migration that adds an index), their entries
//! are instead gathered from the records once these are written, sorted, and written in
//! order: keys of one kind land after each other in the same leaves (every valued index
//! key starts with its kind's tag), and a leaf is written once per batch instead of once
//! per key.
//!
//! The keys are gathered kind by kind into one buffer per tree, sorted and written when
//! a kind ends or the buffers reach [`GATHER_BYTES`], so memory stays bounded whatever
//! the store's size. Every key goes through `write::add_index_key`, as any index write.

use super::write::{Pending, add_index_key};
use super::{ENTITY_BASE, IDX_PARENT, Store, StoreError, is_packed, keys, packed};
use crate::model::{EntityKind, Id};

/// Key bytes gathered before they are sorted and written (about 18 bytes more per key
/// are held beside them).
const GATHER_BYTES: usize = 16 * 1024 * 1024;

/// Keys gathered in one [`Pending`] before it is written: a packed tree's bucket is
/// rewritten once per part in memory, not once per key in sled.
const KEYS_PER_PART: usize = 2_000;

/// Records read before their entries are made, half of them on a second thread. The
/// records read share the pages they came from: a first pull of 409k records peaked at
/// 107-108 MB in parts of 8,192 and 101 MB in parts of 2,048 or fewer, in the same time.
const RECORDS_PER_PART: usize = 2_048;

/// The keys gathered for one index tree, in one buffer.
#[derive(Default)]
struct Gathered {
    bytes: Vec<u8>,
    /// (start, length) of each key in `bytes`.
    keys: Vec<(u32, u32)>,
}

impl Gathered {
    fn push(&mut self, key: &[u8]) {
        let start = u32::try_from(self.bytes.len()).unwrap_or(u32::MAX);
        self.bytes.extend_from_slice(key);
        self.keys.push((start, u32::try_from(key.len()).unwrap_or(u32::MAX)));
    }

    fn key(&self, (start, len): (u32, u32)) -> &[u8] {
        &self.bytes[start as usize..(start + len) as usize]
    }

    /// Writes the keys to the index tree at `pos` in the order it stores them (a packed
    /// tree's by bucket), then empties the buffer.
    fn write(&mut self, store: &Store, pos: usize) -> Result<(), StoreError> {
        let mut order = std::mem::take(&mut self.keys);
        if is_packed(pos) {
            order.sort_unstable_by(|a, b| {
                let (a, b) = (self.key(*a), self.key(*b));
                (packed::bucket(a), a).cmp(&(packed::bucket(b), b))
            });
        } else {
            order.sort_unstable_by(|a, b| self.key(*a).cmp(self.key(*b)));
        }
        order.dedup_by(|a, b| self.key(*a) == self.key(*b));
        for part in order.chunks(KEYS_PER_PART) {
            let pending = Pending::new(store.tree(pos));
            for k in part {
                add_index_key(&pending, pos, self.key(*k))?;
            }
            pending.apply()?;
        }
        self.bytes = Vec::new();
        Ok(())
    }
}

/// The index entries of the live records among `records` (keys and stored bytes of
/// `kind`'s tree), decoded half on this thread and half on a second: decoding is most of
/// a fill's work, and a laptop has two cores or more.
fn entries_on_two_threads(
    kind: EntityKind,
    records: &[(sled::IVec, sled::IVec)],
) -> Result<Vec<(usize, Vec<u8>)>, StoreError> {
    let (mine, theirs) = records.split_at(records.len() / 2);
    let (mine, theirs) = on_two_threads(|| entries(kind, mine), || entries(kind, theirs));
    let mut out = mine?;
    out.extend(theirs?);
    Ok(out)
}

/// Runs `here` on this thread and `there` on a second one, and answers both; a panic on
/// the second is this one's (as it would be on one thread).
fn on_two_threads<A, B: Send>(here: impl FnOnce() -> A, there: impl FnOnce() -> B + Send) -> (A, B) {
    std::thread::scope(|scope| {
        let other = scope.spawn(there);
        let mine = here();
        (mine, other.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    })
}

/// The index entries of the live records among `records`.
fn entries(kind: EntityKind, records: &[(sled::IVec, sled::IVec)]) -> Result<Vec<(usize, Vec<u8>)>, StoreError> {
    let mut out = Vec::with_capacity(records.len() * 3);
    for (key, bytes) in records {
        let stored = super::decode(bytes)?;
        let (Some(id), false) = (Id::from_slice(key), stored.deleted) else {
            continue;
        };
        if let Some(checked) = kind.describe(&stored.fields) {
            out.extend(keys::entries(kind, id, &checked));
        }
    }
    Ok(out)
}

impl Store {
    /// Adds the index entries of every live record of `kinds` to the index trees that
    /// `wanted` picks (by position), in key order (see the module's comment). Entries
    /// already there stay. The callers hold the store alone: a restore before its last
    /// transaction, a migration at open.
    pub(crate) fn fill_indexes(&self, kinds: &[EntityKind], wanted: impl Fn(usize) -> bool) -> Result<(), StoreError> {
        self.fill_indexes_within(kinds, wanted, GATHER_BYTES, RECORDS_PER_PART)
    }

    /// Writes the gathered keys of every index tree (`trees`, by position), the trees
    /// shared between this thread and a second one by their number of keys: sled lets
    /// writers to different trees run at once, and a laptop has two cores or more.
    fn write_gathered(&self, trees: &mut [Gathered]) -> Result<(), StoreError> {
        let mut todo: Vec<(usize, &mut Gathered)> = trees
            .iter_mut()
            .enumerate()
            .skip(IDX_PARENT)
            .filter(|(_, g)| !g.keys.is_empty())
            .collect();
        todo.sort_by_key(|(_, g)| std::cmp::Reverse(g.keys.len()));
        let (mut here, mut there): (Vec<_>, Vec<_>) = (Vec::new(), Vec::new());
        let (mut here_keys, mut there_keys) = (0, 0);
        for (pos, g) in todo {
            if here_keys <= there_keys {
                here_keys += g.keys.len();
                here.push((pos, g));
            } else {
                there_keys += g.keys.len();
                there.push((pos, g));
            }
        }
        let write = |group: Vec<(usize, &mut Gathered)>| -> Result<(), StoreError> {
            for (pos, g) in group {
                g.write(self, pos)?;
            }
            Ok(())
        };
        let (mine, theirs) = on_two_threads(|| write(here), || write(there));
        mine.and(theirs)
    }

    /// [`Store::fill_indexes`], reading `records_per_part` records at a time and writing
    /// whenever `budget` key bytes are gathered.
    fn fill_indexes_within(
        &self,
        kinds: &[EntityKind],
        wanted: impl Fn(usize) -> bool,
        budget: usize,
        records_per_part: usize,
    ) -> Result<(), StoreError> {
        debug_assert!(records_per_part > 0, "a part of no records reads nothing");
        let mut trees: Vec<Gathered> = (0..ENTITY_BASE).map(|_| Gathered::default()).collect();
        let mut held = 0usize;
        for &kind in kinds {
            let mut records = self.entity_tree(kind).iter();
            loop {
                let part = records.by_ref().take(records_per_part).collect::<Result<Vec<_>, _>>()?;
                if part.is_empty() {
                    break;
                }
                for (pos, key) in entries_on_two_threads(kind, &part)? {
                    if wanted(pos) {
                        held += key.len();
                        trees[pos].push(&key);
                    }
                }
                if held >= budget {
                    self.write_gathered(&mut trees)?;
                    held = 0;
                }
            }
            // The next kind's valued keys sort after this one's (its tag is higher).
            self.write_gathered(&mut trees)?;
            held = 0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::Mutation;
    use super::super::mutation::tests::fields;
    use super::*;

    /// Every index tree's keys (a packed one's unpacked and sorted).
    fn index_contents(store: &Store) -> Vec<Vec<Vec<u8>>> {
        (IDX_PARENT..ENTITY_BASE)
            .map(|pos| {
                let mut keys: Vec<Vec<u8>> = if is_packed(pos) {
                    packed::keys(store.tree(pos), Vec::new())
                        .map(|k| k.expect("key"))
                        .collect()
                } else {
                    store
                        .tree(pos)
                        .iter()
                        .keys()
                        .map(|k| k.expect("key").to_vec())
                        .collect()
                };
                keys.sort();
                keys
            })
            .collect()
    }

    /// Filled from the records, in parts far smaller than a kind (so keys of one kind
    /// land among those written before, and idx_parent's keys of several kinds
    /// interleave), read a few records at a time (a kind's last part of one record, its
    /// half on this thread empty), the index trees hold exactly what writing each record
    /// put there; a record in the trash adds nothing.
    #[test]
    fn filled_indexes_hold_exactly_what_each_record_write_put_there() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("open");
        let mut accounts = Vec::new();
        for i in 0..30 {
            accounts.push(Mutation::create(
                EntityKind::Account,
                fields(&[
                    ("name", json!(format!("Account {i:02}"))),
                    ("owner", json!(format!("rep{}", i % 3))),
                ]),
            ));
        }
        store.commit(&accounts).expect("accounts");
        let ids: Vec<Id> = store.live(EntityKind::Account).map(|r| r.expect("account").0).collect();
        let mut rest = Vec::new();
        for i in 0..120 {
            let account = ids[(i * 7) % ids.len()].to_string();
            rest.push(Mutation::create(
                EntityKind::Contact,
                fields(&[
                    ("first_name", json!(format!("First{i}"))),
                    ("last_name", json!(format!("Last{}", 119 - i))),
                    ("account_id", json!(account)),
                ]),
            ));
            rest.push(Mutation::create(
                EntityKind::Activity,
                fields(&[
                    ("kind", json!("task")),
                    ("due", json!(format!("2026-12-{:02}", 1 + i % 28))),
                    ("owner", json!(format!("rep{}", i % 4))),
                    ("subject", json!(format!("Call {i}"))),
                    ("account_id", json!(account)),
                ]),
            ));
        }
        store.commit(&rest).expect("contacts and activities");
        let trashed = store
            .live(EntityKind::Contact)
            .next()
            .expect("a contact")
            .expect("read")
            .0;
        store
            .commit(&[Mutation {
                kind: EntityKind::Contact,
                id: trashed,
                op: super::super::mutation::Op::Delete,
            }])
            .expect("trash a contact");
        let written = index_contents(&store);
        // idx_parent, idx_title, then stage, owner, close, due and touch.
        let counts: Vec<usize> = written.iter().map(Vec::len).collect();
        assert_eq!(counts, vec![239, 269, 0, 150, 0, 120, 120]);
        for pos in IDX_PARENT..ENTITY_BASE {
            store.tree(pos).clear().expect("clear");
        }
        store
            .fill_indexes_within(&EntityKind::ALL_BY_TAG, |_| true, 1000, 7)
            .expect("fill");
        assert_eq!(index_contents(&store), written);
        assert!(store.verify().expect("verify").ok());
        // Filling again adds nothing (entries already there stay, once).
        store
            .fill_indexes_within(&EntityKind::ALL_BY_TAG, |_| true, 1 << 20, 2)
            .expect("fill again");
        assert_eq!(index_contents(&store), written);
    }
}
