//! Consistency check: every index equals what a full scan says, the outbox is
//! contiguous, every record decodes, every link points at a record that exists. Also the
//! index rebuild used by migrations.

use std::collections::{BTreeSet, HashSet};

use sled::Transactional;

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

impl Store {
    /// Index entries a full scan of the records says should exist, per index tree.
    fn expected_indexes(&self, report: &mut VerifyReport) -> Result<Vec<BTreeSet<Vec<u8>>>, StoreError> {
        let mut expected = vec![BTreeSet::new(); ENTITY_BASE];
        // Every record that exists (trashed ones too), and the links of the live ones.
        let mut exists: HashSet<(EntityKind, Id)> = HashSet::new();
        let mut links: Vec<(EntityKind, Id, String, crate::model::entity::Link)> = Vec::new();
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
                for (tree, key) in keys::entries(kind, id, &checked) {
                    expected[tree].insert(key);
                }
                for link in &checked.links {
                    links.push((kind, id, checked.title.clone(), link.clone()));
                }
            }
        }
        for (kind, id, title, link) in links {
            if !exists.contains(&(link.kind, link.id)) {
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
        Ok(expected)
    }

    /// Checks indexes against a full scan, and the outbox for gaps.
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        let mut report = VerifyReport::default();
        let expected = self.expected_indexes(&mut report)?;
        for (tree, want) in expected.iter().enumerate().skip(IDX_PARENT) {
            let have = self.index_keys(tree)?;
            report.index_entries += have.len();
            let name = String::from_utf8_lossy(&self.tree(tree).name()).into_owned();
            let missing = want.difference(&have).count();
            let extra = have.difference(want).count();
            if missing > 0 {
                report.problems.push(format!("index {name}: {missing} entries missing"));
            }
            if extra > 0 {
                report.problems.push(format!("index {name}: {extra} stale entries"));
            }
        }
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

    /// Rebuilds every index from the records (migrations, `check --repair`), in one
    /// transaction over the index trees: stale entries are removed and missing ones
    /// added together, so a crash leaves the old indexes or the new ones, never cleared
    /// ones. The records are scanned first; the callers (a migration at open, `check
    /// --repair`) hold the store alone, so no write runs between the scan and the swap.
    pub fn rebuild_indexes(&self) -> Result<(), StoreError> {
        let mut scratch = VerifyReport::default();
        let expected = self.expected_indexes(&mut scratch)?;
        // Per index tree: the entries to remove and the ones to add.
        type Keys = Vec<Vec<u8>>;
        let mut diff: Vec<(usize, Keys, Keys)> = Vec::new();
        for (tree, want) in expected.iter().enumerate().skip(IDX_PARENT) {
            let have = self.index_keys(tree)?;
            let stale = have.difference(want).cloned().collect();
            let missing = want.difference(&have).cloned().collect();
            diff.push((tree, stale, missing));
        }
        let trees: Vec<sled::Tree> = (IDX_PARENT..expected.len()).map(|t| self.tree(t).clone()).collect();
        let result = trees.as_slice().transaction(|tx| {
            for (tree, stale, missing) in &diff {
                let tx = &tx[tree - IDX_PARENT];
                for key in stale {
                    remove_index_key(tx, *tree, key)?;
                }
                for key in missing {
                    add_index_key(tx, *tree, key)?;
                }
            }
            Ok::<_, sled::transaction::ConflictableTransactionError<StoreError>>(())
        });
        finish(result)?;
        self.flush()
    }
}

impl Store {
    /// Builds one secondary index afresh from the records of `kind` (a migration that
    /// adds an index): empties its tree, then writes the entries in batches of 2,000 while
    /// streaming the records, so memory stays flat whatever the store's size. Callers
    /// hold the store alone; one interrupted before its schema bump runs again.
    pub(crate) fn fill_index(&self, index: Index, kind: EntityKind) -> Result<(), StoreError> {
        const BATCH: usize = 2_000;
        let pos = keys::secondary(index);
        let tree = self.tree(pos);
        tree.clear()?;
        let write = |chunk: &[Vec<u8>]| {
            finish(tree.transaction(|tx| {
                for key in chunk {
                    add_index_key(tx, pos, key)?;
                }
                Ok::<_, sled::transaction::ConflictableTransactionError<StoreError>>(())
            }))
        };
        let mut chunk = Vec::with_capacity(BATCH);
        for item in self.entity_tree(kind).iter() {
            let (key, bytes) = item?;
            let stored = super::decode(&bytes)?;
            let (Some(id), false) = (Id::from_slice(&key), stored.deleted) else {
                continue;
            };
            let Some(checked) = kind.describe(&stored.fields) else {
                continue;
            };
            chunk.extend(
                keys::entries(kind, id, &checked)
                    .into_iter()
                    .filter(|(t, _)| *t == pos)
                    .map(|(_, k)| k),
            );
            if chunk.len() >= BATCH {
                write(&chunk)?;
                chunk.clear();
            }
        }
        write(&chunk)?;
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
}
