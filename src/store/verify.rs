//! Consistency check: every index equals what a full scan says, the outbox is
//! contiguous, every record decodes, every link points at a record that exists. Also the
//! index rebuild used by migrations.

use std::collections::{BTreeSet, HashSet};

use super::apply::finish;
use super::write::{add_index_key, remove_index_key};
use super::{ENTITY_BASE, IDX_PARENT, Store, StoreError, is_packed, keys, packed};
use crate::model::entity::Index;
use crate::model::{EntityKind, Id};

/// A live record whose link names a record that does not exist (not even in the trash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dangling {
    /// The record's kind.
    pub kind: EntityKind,
    /// The record.
    pub id: Id,
    /// Its name.
    pub title: String,
    /// The field holding the link (`account_id`).
    pub field: String,
    /// The kind the link should point at.
    pub target_kind: EntityKind,
    /// The id that names nothing.
    pub missing: Id,
}

impl std::fmt::Display for Dangling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} '{}': {} points at {} {}, which does not exist",
            self.kind, self.id, self.title, self.field, self.target_kind, self.missing
        )
    }
}

/// What `outpost check` found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records read.
    pub records: usize,
    /// Index entries read.
    pub index_entries: usize,
    /// Changes in the outbox.
    pub outbox: usize,
    /// Everything wrong with indexes, records and the outbox, one line each.
    pub problems: Vec<String>,
    /// Links to records that do not exist. `check --repair` cannot fix these (it never
    /// invents or removes data); they are listed for people to fix.
    pub dangling: Vec<Dangling>,
}

impl VerifyReport {
    /// True when nothing is wrong.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.problems.is_empty() && self.dangling.is_empty()
    }
}

/// An order-independent summary of a set of index keys: their number and the wrapping
/// sum of a 128-bit hash of each. Two trees with equal digests hold the same keys (a
/// false match needs a 128-bit collision), so a healthy store is checked without
/// holding its keys; only a tree whose digest differs is compared key by key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Digest {
    count: usize,
    sum: u128,
}

impl Digest {
    fn add(&mut self, key: &[u8]) {
        use std::hash::{Hash, Hasher};
        let half = |salt: u8| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            salt.hash(&mut h);
            key.hash(&mut h);
            h.finish()
        };
        self.count += 1;
        self.sum = self.sum.wrapping_add(u128::from(half(0)) << 64 | u128::from(half(1)));
    }
}

/// A live record's link, kept while the scan learns which records exist.
struct LinkFrom {
    kind: EntityKind,
    id: Id,
    link: crate::model::entity::Link,
}

impl Store {
    /// Scans every record once: counts them, reports the ones that do not decode and the
    /// links that name no record, and hands each live record's index entries (tree,
    /// key) to `entry`, one record at a time.
    fn scan_records(&self, report: &mut VerifyReport, entry: &mut dyn FnMut(usize, Vec<u8>)) -> Result<(), StoreError> {
        // Every record that exists (trashed ones too), and the links of the live ones.
        let mut exists: HashSet<(EntityKind, Id)> = HashSet::new();
        let mut links: Vec<LinkFrom> = Vec::new();
        for kind in EntityKind::ALL {
            for item in self.entity_tree(kind).iter() {
                let (k, v) = item?;
                report.records += 1;
                let Some(id) = crate::model::Id::from_slice(&k) else {
                    report.problems.push(format!("{kind}: a key that is not an id"));
                    continue;
                };
                exists.insert((kind, id));
                let stored = match super::decode(&v) {
                    Ok(s) => s,
                    Err(e) => {
                        report.problems.push(format!("{kind} {id}: {e}"));
                        continue;
                    }
                };
                if stored.deleted {
                    continue;
                }
                let Some(checked) = kind.describe(&stored.fields) else {
                    report.problems.push(format!("{kind} {id}: fields do not decode"));
                    continue;
                };
                let mut entries = keys::entries(kind, id, &checked);
                entries.sort_unstable();
                entries.dedup();
                for (tree, key) in entries {
                    entry(tree, key);
                }
                links.extend(checked.links.iter().map(|link| LinkFrom {
                    kind,
                    id,
                    link: link.clone(),
                }));
            }
        }
        for LinkFrom { kind, id, link } in links {
            if !exists.contains(&(link.kind, link.id)) {
                let title = self
                    .entity_tree(kind)
                    .get(id.as_bytes())?
                    .and_then(|v| super::decode(&v).ok())
                    .and_then(|s| kind.describe(&s.fields))
                    .map(|c| c.title)
                    .unwrap_or_default();
                report.dangling.push(Dangling {
                    kind,
                    id,
                    title,
                    field: link.field.to_string(),
                    target_kind: link.kind,
                    missing: link.id,
                });
            }
        }
        Ok(())
    }

    /// The digest of the entries a full scan of the records says each index tree should
    /// hold (see [`Store::scan_records`] for what goes into `report`).
    fn expected_digests(&self, report: &mut VerifyReport) -> Result<Vec<Digest>, StoreError> {
        let mut digests = vec![Digest::default(); ENTITY_BASE];
        self.scan_records(report, &mut |tree, key| digests[tree].add(&key))?;
        Ok(digests)
    }

    /// The entries a full scan of the records says the index tree at `pos` should hold.
    fn expected_keys(&self, pos: usize) -> Result<BTreeSet<Vec<u8>>, StoreError> {
        let mut want = BTreeSet::new();
        self.scan_records(&mut VerifyReport::default(), &mut |tree, key| {
            if tree == pos {
                want.insert(key);
            }
        })?;
        Ok(want)
    }

    /// The digest of what the index tree at `pos` holds.
    fn index_digest(&self, pos: usize) -> Result<Digest, StoreError> {
        let mut digest = Digest::default();
        if is_packed(pos) {
            for key in packed::keys(self.tree(pos), Vec::new()) {
                digest.add(&key?);
            }
        } else {
            for item in self.tree(pos).iter() {
                digest.add(&item?.0);
            }
        }
        Ok(digest)
    }

    /// The index trees whose entries differ from what the records say, each with the
    /// entries it holds that it should not (stale) and the ones it lacks (missing). Held
    /// in memory one tree at a time, and only for a tree that differs.
    fn index_differences(
        &self,
        report: &mut VerifyReport,
        mut each: impl FnMut(usize, Vec<Vec<u8>>, Vec<Vec<u8>>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let expected = self.expected_digests(report)?;
        for (tree, want) in expected.iter().enumerate().skip(IDX_PARENT) {
            let have = self.index_digest(tree)?;
            report.index_entries += have.count;
            if have == *want {
                continue;
            }
            let want = self.expected_keys(tree)?;
            let have = self.index_keys(tree)?;
            let stale = have.difference(&want).cloned().collect();
            let missing = want.difference(&have).cloned().collect();
            each(tree, stale, missing)?;
        }
        Ok(())
    }

    /// Checks indexes against a full scan, and the outbox for gaps.
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        let mut report = VerifyReport::default();
        let mut problems = Vec::new();
        // A first pull under way writes its records' entries when it ends.
        let filling = self.indexes_to_fill()?;
        if filling {
            problems.push(
                "indexes: a first sync is under way and writes them when it ends; check again after it".to_string(),
            );
        }
        self.index_differences(&mut report, |tree, stale, missing| {
            let name = String::from_utf8_lossy(&self.tree(tree).name()).into_owned();
            if !missing.is_empty() && !filling {
                problems.push(format!("index {name}: {} entries missing", missing.len()));
            }
            if !stale.is_empty() {
                problems.push(format!("index {name}: {} stale entries", stale.len()));
            }
            Ok(())
        })?;
        report.problems.extend(problems);
        let acked: u64 = self
            .meta(super::meta::K_ACKED_SEQ)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut previous: Option<u64> = (acked > 0).then_some(acked);
        for item in self.published_outbox() {
            let (k, _) = item?;
            let seq = u64::from_be_bytes(k.as_ref().try_into().unwrap_or([0; 8]));
            if let Some(p) = previous.filter(|p| seq != p + 1) {
                report
                    .problems
                    .push(format!("outbox: gap after sequence {p} (next is {seq})"));
            }
            if previous.is_none() && seq != 1 {
                report
                    .problems
                    .push(format!("outbox: starts at sequence {seq}, expected 1"));
            }
            previous = Some(seq);
            report.outbox += 1;
        }
        if let Some(last) = previous {
            let next: u64 = self
                .meta(super::meta::K_NEXT_SEQ)?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if next != last + 1 {
                report
                    .problems
                    .push(format!("outbox: next sequence is {next} but the last change is {last}"));
            }
        }
        Ok(report)
    }

    /// Rebuilds every index from the records (migrations, `check --repair`): in each index
    /// tree that differs from what the records say, stale entries are removed and
    /// missing ones added in one transaction, so a crash leaves that tree old or new,
    /// never cleared (a migration bumps the schema after, so an interrupted one runs
    /// again). It holds the store alone ([`Store::alone`]): no record write runs between
    /// the scan and the swap, not even a sync's in the open TUI beside `check --repair`.
    pub fn rebuild_indexes(&self) -> Result<(), StoreError> {
        // No record may change between reading what the indexes should hold and
        // writing it.
        let _alone = self.alone();
        self.index_differences(&mut VerifyReport::default(), |pos, stale, missing| {
            let tree = self.tree(pos);
            finish(tree.transaction(|tx| {
                for key in &stale {
                    remove_index_key(tx, pos, key)?;
                }
                for key in &missing {
                    add_index_key(tx, pos, key)?;
                }
                Ok::<_, sled::transaction::ConflictableTransactionError<StoreError>>(())
            }))
        })?;
        self.flush()
    }
}

impl Store {
    /// Builds one secondary index afresh from the records of `kind` (a migration that
    /// adds an index): empties its tree, then fills it in key order
    /// ([`Store::fill_indexes`]), with memory flat whatever the store's size. Callers
    /// hold the store alone; one interrupted before its schema bump runs again.
    pub(crate) fn fill_index(&self, index: Index, kind: EntityKind) -> Result<(), StoreError> {
        let pos = keys::secondary(index);
        self.tree(pos).clear()?;
        self.fill_indexes(&[kind], |p| p == pos)?;
        self.flush()
    }

    /// The keys of the index tree at `pos` (unpacked, for a packed one).
    fn index_keys(&self, pos: usize) -> Result<BTreeSet<Vec<u8>>, StoreError> {
        if is_packed(pos) {
            return packed::keys(self.tree(pos), Vec::new()).collect();
        }
        let mut have = BTreeSet::new();
        for item in self.tree(pos).iter() {
            have.insert(item?.0.to_vec());
        }
        Ok(have)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{IDX_TITLE, Mutation};
    use super::*;

    #[test]
    fn a_rebuild_removes_stale_entries_and_adds_missing_ones_in_one_go() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("open");
        let mut fields = crate::model::Fields::new();
        fields.insert("name".into(), json!("Acme"));
        store
            .commit(&[Mutation::create(EntityKind::Account, fields)])
            .expect("create");
        let good = store.verify().expect("verify");
        assert!(good.ok());
        // Damage the title index: drop its real entry, add a stale one.
        let titles = store.tree(IDX_TITLE);
        let real: Vec<_> = titles.iter().keys().map(|k| k.expect("key")).collect();
        assert!(!real.is_empty());
        for k in &real {
            titles.remove(k).expect("remove");
        }
        titles.insert(b"stale-entry".as_slice(), &[] as &[u8]).expect("insert");
        let broken = store.verify().expect("verify");
        assert_eq!(broken.problems.len(), 2, "{:?}", broken.problems);
        store.rebuild_indexes().expect("rebuild");
        let fixed = store.verify().expect("verify");
        assert!(fixed.ok(), "{:?}", fixed.problems);
        assert_eq!(fixed.index_entries, good.index_entries);
    }

    #[test]
    fn a_packed_index_with_a_key_swapped_for_another_is_found_and_repaired() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("open");
        let mut muts = Vec::new();
        for i in 0..50 {
            let mut fields = crate::model::Fields::new();
            fields.insert("kind".into(), json!("call"));
            fields.insert("subject".into(), json!(format!("Call {i}")));
            muts.push(Mutation::create(EntityKind::Activity, fields));
        }
        store.commit(&muts).expect("create");
        let good = store.verify().expect("verify");
        assert!(good.ok(), "{:?}", good.problems);
        let pos = super::super::index_pos(Index::Touch);
        let tree = store.tree(pos);
        let keys: Vec<Vec<u8>> = packed::keys(tree, Vec::new()).map(|k| k.expect("key")).collect();
        assert_eq!(keys.len(), 50);
        // As many keys as before, one of them wrong: the count alone would not tell.
        let mut wrong = keys[7].clone();
        *wrong.last_mut().expect("a key") ^= 0x55;
        finish(tree.transaction(|tx| {
            packed::remove(tx, &keys[7])?;
            packed::insert(tx, &wrong)?;
            Ok::<_, sled::transaction::ConflictableTransactionError<StoreError>>(())
        }))
        .expect("damage");
        let broken = store.verify().expect("verify");
        assert_eq!(broken.index_entries, good.index_entries);
        assert_eq!(broken.problems.len(), 2, "{:?}", broken.problems);
        assert!(
            broken
                .problems
                .iter()
                .any(|p| p.contains("idx_touch: 1 entries missing")),
            "{:?}",
            broken.problems
        );
        store.rebuild_indexes().expect("rebuild");
        let fixed = store.verify().expect("verify");
        assert!(fixed.ok(), "{:?}", fixed.problems);
        // A bucket is a set: the repair appends the key it adds, so compare them sorted.
        let sorted = |mut keys: Vec<Vec<u8>>| {
            keys.sort();
            keys
        };
        let again: Vec<Vec<u8>> = packed::keys(tree, Vec::new()).map(|k| k.expect("key")).collect();
        assert_eq!(
            sorted(again),
            sorted(keys),
            "the packed index holds exactly its keys again"
        );
    }
}
