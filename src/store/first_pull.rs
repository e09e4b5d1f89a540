//! A first pull into an empty store: a new laptop's first sync brings the whole team's
//! records (409k at 100k contacts). Written one by one with their index entries, each
//! record's keys land on random leaves of big index trees, and sled copies and writes
//! back a leaf for every key. So while the store is filled from nothing, pulled records
//! are written without their index entries (`write::replace_indexing`) and the
//! entries are written from the records once the pull ends, sorted, as a restore does
//! (`fill.rs`).
//!
//! The rules that keep every index exact:
//! - A pulled change removes the entries of the version it replaces, as ever (a local
//!   write during the pull may have added them); it adds none.
//! - A local write during the pull indexes as ever; the fill adds its entries again,
//!   which changes nothing.
//! - The fill reads every record and then writes its entries, so no record may change
//!   between the two: record writes hold [`Store::writing`] shared, the fill holds it
//!   alone.
//! - A meta marker, set before the first record is written and removed after the fill,
//!   makes an interrupted pull (killed, network lost) fill at the next open.

use super::{META, Store, StoreError};
use crate::model::EntityKind;

/// meta key: set while records are written without their index entries.
pub(crate) const K_INDEXES_TO_FILL: &str = "indexes_to_fill";

impl Store {
    /// Before a pull: when the store holds no record at all, its pulled records are
    /// written without index entries until [`Store::end_first_pull`]. Returns whether
    /// they are.
    pub fn begin_first_pull(&self) -> Result<bool, StoreError> {
        // Alone: two pulls at once (the TUI's and one run for another process) begin and
        // end in turn.
        let _alone = self.alone();
        if self.indexes_to_fill()? {
            return Ok(true);
        }
        if !self.has_no_records() {
            return Ok(false);
        }
        self.tree(META).insert(K_INDEXES_TO_FILL, b"1".as_slice())?;
        self.flush()?;
        Ok(true)
    }

    /// After a pull that [`Store::begin_first_pull`] began (whether it ended well or
    /// not), and at open (a pull cut short): if the marker says records were written
    /// without their index entries, writes every record's entries, while no other
    /// record write runs, then removes the marker.
    pub fn end_first_pull(&self) -> Result<(), StoreError> {
        let _alone = self.alone();
        if !self.indexes_to_fill()? {
            return Ok(());
        }
        // Freed memory goes back at once meanwhile, even inside `outpost sync`.
        let _lean = crate::tuning::lean();
        self.fill_indexes(&EntityKind::ALL_BY_TAG, |_| true)?;
        self.flush()?;
        self.tree(META).remove(K_INDEXES_TO_FILL)?;
        self.flush()
    }

    /// Whether pulled records are written without their index entries now: a first
    /// pull is under way (`outpost check` run meanwhile finds the indexes incomplete,
    /// and says so instead). Read under [`Store::writing`] or [`Store::alone`], so a
    /// fill cannot end in between; read without either only for what a fill ending
    /// meanwhile cannot make wrong (the size of a pull's next transaction).
    pub(crate) fn indexes_to_fill(&self) -> Result<bool, StoreError> {
        Ok(self.tree(META).contains_key(K_INDEXES_TO_FILL)?)
    }

    /// Held by every record write outside a pull's: see the module's comment.
    pub(crate) fn writing(&self) -> std::sync::RwLockReadGuard<'_, ()> {
        self.fill_gate.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Held while no record write may run: the fill, a repair of the indexes
    /// (`verify.rs`), the start of a first pull.
    pub(crate) fn alone(&self) -> std::sync::RwLockWriteGuard<'_, ()> {
        self.fill_gate
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::Mutation;
    use super::super::apply::tests::Merging;
    use super::super::mutation::tests::fields;
    use super::*;
    use crate::model::{Hlc, Id, ReplicaId};
    use crate::protocol::ChangeOp;

    /// The laptop's clock in these tests.
    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc)
    }

    fn open(dir: &std::path::Path) -> Store {
        Store::open_with_clock(dir, crate::model::WallClock::manual(now())).expect("open")
    }

    /// Builds pulled changes of another replica, with rising clocks a second ahead of
    /// the laptop's: each wins over a local write made before it was pulled.
    #[derive(Default)]
    struct Log(Vec<Merging>, u64);

    impl Log {
        fn push(&mut self, kind: EntityKind, id: Id, op: ChangeOp) {
            let hlc = Hlc {
                wall: u64::try_from(now().timestamp_millis()).expect("ms") + 1_000 + self.1,
                counter: 0,
                replica: ReplicaId(9),
            };
            self.0.push(Merging { kind, id, hlc, op });
            self.1 += 1;
        }
        fn create(&mut self, kind: EntityKind, pairs: &[(&str, serde_json::Value)]) -> Id {
            let id = Id::new();
            self.push(kind, id, ChangeOp::Create { fields: fields(pairs) });
            id
        }
        fn set(&mut self, kind: EntityKind, id: Id, field: &str, value: serde_json::Value) {
            let op = ChangeOp::Set {
                field: field.into(),
                value,
                base: None,
            };
            self.push(kind, id, op);
        }
        fn take(&mut self) -> Vec<Merging> {
            std::mem::take(&mut self.0)
        }
    }

    fn problems(store: &Store) -> Vec<String> {
        store.verify().expect("verify").problems
    }

    /// Accounts and their activities (owner, due and parent indexes, and the packed
    /// touch index), created, edited, trashed and edited again.
    fn first_page(log: &mut Log) -> (Vec<Id>, Vec<Id>) {
        let accounts: Vec<Id> = (0..40)
            .map(|i| {
                log.create(
                    EntityKind::Account,
                    &[
                        ("name", json!(format!("Account {i:02}"))),
                        ("owner", json!(format!("rep{}", i % 3))),
                    ],
                )
            })
            .collect();
        let activities: Vec<Id> = (0..60)
            .map(|i| {
                log.create(
                    EntityKind::Activity,
                    &[
                        ("kind", json!("task")),
                        ("due", json!(format!("2026-12-{:02}", 1 + i % 28))),
                        ("owner", json!(format!("rep{}", i % 4))),
                        ("subject", json!(format!("Call {i}"))),
                        ("account_id", json!(accounts[i % accounts.len()].to_string())),
                    ],
                )
            })
            .collect();
        for (i, id) in accounts.iter().enumerate().step_by(5) {
            log.set(EntityKind::Account, *id, "owner", json!(format!("rep{}", 7 + i % 2)));
        }
        for id in activities.iter().step_by(7) {
            log.push(
                EntityKind::Activity,
                *id,
                ChangeOp::Delete {
                    base: None,
                    seen: Default::default(),
                },
            );
        }
        for id in activities.iter().skip(3).step_by(9) {
            log.set(EntityKind::Activity, *id, "due", json!("2027-01-15"));
        }
        (accounts, activities)
    }

    /// Pages of a first pull go in larger transactions: one of exactly `FIRST_PULL_PART`
    /// changes, one a change over it, and an empty one each land whole and move the
    /// cursor, and once filled every index is exact.
    #[test]
    fn first_pull_pages_around_a_transactions_size_land_whole_with_their_cursor() {
        let dir = tempfile::tempdir().expect("dir");
        let store = open(dir.path());
        assert!(store.begin_first_pull().expect("begin"));
        let part = super::super::apply::FIRST_PULL_PART;
        let mut log = Log::default();
        let mut made = 0;
        for (cursor, n) in [(1, part), (2, part + 1), (3, 0)] {
            for i in 0..n {
                log.create(EntityKind::Account, &[("name", json!(format!("Account {cursor}-{i}")))]);
            }
            made += n;
            let applied = store.apply_remote(&log.take(), cursor).expect("page");
            assert_eq!(applied.changed, n);
            assert_eq!(store.sync_state().expect("state").cursor, cursor);
            assert_eq!(store.live(EntityKind::Account).count(), made);
        }
        store.end_first_pull().expect("fill");
        assert_eq!(problems(&store), Vec::<String>::new());
    }

    /// Pulled into an empty store, records are written without index entries until the
    /// pull ends; local writes in between (an edit of a pulled record, a new record)
    /// index as ever; later pulled edits of those records drop what the local write
    /// indexed. Once filled, every index is exact.
    #[test]
    fn a_first_pull_with_local_writes_between_its_pages_ends_with_every_index_exact() {
        let dir = tempfile::tempdir().expect("dir");
        let store = open(dir.path());
        assert!(store.begin_first_pull().expect("begin"));
        let mut log = Log::default();
        let (accounts, activities) = first_page(&mut log);
        store.apply_remote(&log.take(), 1).expect("first page");
        // The pulled records are not indexed yet, and `check` says why.
        let meanwhile = problems(&store);
        assert!(
            meanwhile.iter().any(|p| p.contains("a first sync is under way")),
            "{meanwhile:?}"
        );
        assert!(
            !meanwhile.iter().any(|p| p.contains("entries missing")),
            "{meanwhile:?}"
        );
        assert!(store.tree(super::super::IDX_TITLE).is_empty());
        let mine = Mutation::create(
            EntityKind::Account,
            fields(&[("name", json!("Mine")), ("owner", json!("me"))]),
        );
        store
            .commit(&[
                Mutation::update(EntityKind::Account, accounts[1], fields(&[("owner", json!("me"))])),
                Mutation::update(
                    EntityKind::Activity,
                    activities[2],
                    fields(&[("due", json!("2026-12-31")), ("owner", json!("me"))]),
                ),
                mine.clone(),
            ])
            .expect("local writes");
        log.set(EntityKind::Account, accounts[1], "owner", json!("rep9"));
        log.set(EntityKind::Activity, activities[2], "due", json!("2027-02-01"));
        log.push(
            EntityKind::Activity,
            activities[4],
            ChangeOp::Delete {
                base: None,
                seen: Default::default(),
            },
        );
        let second = store.apply_remote(&log.take(), 2).expect("second page");
        assert_eq!(
            second.changed, 3,
            "each pulled change wins over the local write before it"
        );
        store.end_first_pull().expect("fill");
        assert_eq!(problems(&store), Vec::<String>::new());
        assert!(store.meta(K_INDEXES_TO_FILL).expect("meta").is_none());
        // Writes after the pull index as ever.
        log.set(EntityKind::Account, accounts[3], "owner", json!("rep5"));
        store.apply_remote(&log.take(), 3).expect("a later pull");
        store
            .commit(&[Mutation::update(
                EntityKind::Account,
                mine.id,
                fields(&[("owner", json!("rep5"))]),
            )])
            .expect("a later write");
        assert_eq!(problems(&store), Vec::<String>::new());
    }

    /// A first pull cut short (the process killed before the fill) leaves the marker:
    /// the next open fills the indexes, and the pull goes on indexing as ever.
    #[test]
    fn a_first_pull_cut_short_is_indexed_at_the_next_open() {
        let dir = tempfile::tempdir().expect("dir");
        let mut log = Log::default();
        {
            let store = open(dir.path());
            assert!(store.begin_first_pull().expect("begin"));
            first_page(&mut log);
            store.apply_remote(&log.take(), 1).expect("first page");
            assert!(!problems(&store).is_empty());
        }
        let store = open(dir.path());
        assert!(store.meta(K_INDEXES_TO_FILL).expect("meta").is_none());
        assert_eq!(problems(&store), Vec::<String>::new());
        assert_eq!(store.count(EntityKind::Account), 40);
    }

    /// Two first pulls at once (the TUI's own and one run for another process) and local
    /// writes beside them, on three threads: whatever the interleaving, every index is
    /// exact once both pulls end.
    #[test]
    fn two_first_pulls_at_once_beside_local_writes_end_with_every_index_exact() {
        for round in 0..5 {
            let dir = tempfile::tempdir().expect("dir");
            let store = open(dir.path());
            let mut log = Log::default();
            let (accounts, _) = first_page(&mut log);
            let pages: Vec<Vec<Merging>> = {
                let all = log.take();
                let mut pages = vec![Vec::new(), Vec::new()];
                for (i, m) in all.into_iter().enumerate() {
                    pages[i % 2].push(m);
                }
                pages
            };
            std::thread::scope(|scope| {
                for (n, page) in pages.iter().enumerate() {
                    let store = &store;
                    scope.spawn(move || {
                        let first = store.begin_first_pull().expect("begin");
                        for part in page.chunks(7 + round + n) {
                            store.apply_remote(part, 1).expect("page");
                        }
                        if first {
                            store.end_first_pull().expect("fill");
                        }
                    });
                }
                let store = &store;
                let accounts = &accounts;
                scope.spawn(move || {
                    for (i, id) in accounts.iter().enumerate().take(12) {
                        let owner = json!(format!("local{i}"));
                        // A pulled create may not have landed yet: then there is nothing
                        // to edit, and the write is refused.
                        let _ =
                            store.commit(&[Mutation::update(EntityKind::Account, *id, fields(&[("owner", owner)]))]);
                        let mine = fields(&[("name", json!(format!("Local {round} {i}"))), ("owner", json!("me"))]);
                        store
                            .commit(&[Mutation::create(EntityKind::Account, mine)])
                            .expect("create");
                    }
                });
            });
            assert!(!store.indexes_to_fill().expect("meta"), "round {round}");
            assert_eq!(problems(&store), Vec::<String>::new(), "round {round}");
        }
    }

    /// A store that holds a record already indexes what it pulls as it writes it.
    #[test]
    fn a_store_with_records_pulls_indexed() {
        let dir = tempfile::tempdir().expect("dir");
        let store = open(dir.path());
        store
            .commit(&[Mutation::create(
                EntityKind::Account,
                fields(&[("name", json!("Mine"))]),
            )])
            .expect("commit");
        assert!(!store.begin_first_pull().expect("begin"));
        let mut log = Log::default();
        first_page(&mut log);
        store.apply_remote(&log.take(), 1).expect("page");
        assert_eq!(problems(&store), Vec::<String>::new());
        store.end_first_pull().expect("nothing to fill");
        assert_eq!(problems(&store), Vec::<String>::new());
    }
}
