//! The `meta` tree: schema version, replica id, last clock, next outbox sequence, device
//! code and the counter of each numbered kind. Values are UTF-8 text.

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::{META, Store, StoreError, Stored};
use crate::model::entity::Index;
use crate::model::records::StageHistory;
use crate::model::{EntityKind, Hlc, ReplicaId};

/// The schema this build writes. History:
/// 1 — first release; 2 — adds `idx_title` (REF by name), built by migration;
/// 3 — sync: the `conflicts` tree, and the outbox may start after `acked_seq` (changes
/// the server acknowledged are pruned). Nothing to convert: an older store has no
/// conflicts and nothing acknowledged; 4 — an opportunity's `stage_history` is a set of
/// entries keyed by their own ids (merged by union) instead of an array; migration
/// gives each entry of an array an id made from its time and stage (the same on every
/// replica) and changes no clock, so nothing new is sent.
pub const SCHEMA_VERSION: u32 = 5;

pub const K_SCHEMA: &str = "schema_version";
pub const K_REPLICA: &str = "replica_id";
pub const K_LAST_HLC: &str = "last_hlc";
pub const K_NEXT_SEQ: &str = "next_seq";
pub const K_DEVICE: &str = "device_code";
/// The counter of a numbered kind (`quote_counter`: the key quotes always used, so
/// stores and backups made before the counters were generic keep counting).
#[must_use]
pub fn counter_key(kind: EntityKind) -> String {
    format!("{}_counter", kind.name())
}
/// Highest outbox sequence the sync server acknowledged (pruned from the outbox).
pub const K_ACKED_SEQ: &str = "acked_seq";
/// Set by `restore` to "<new replica> <next seq>": the restored store stamps its new
/// changes as a new replica (so they never collide with what the backed-up store did
/// after the backup), and the outbox entries before `<next seq>` are the backup's own
/// pending changes of the old replica. The first sync sends those under the old replica
/// (the server skips the ones it already holds, by sequence number), then the store
/// takes the new identity for good and the marker goes (see `sync::engine`). Written
/// as "1" by older versions (no new replica: the old refusal applies). Never backed up.
pub const K_RESTORED: &str = "restored_from_backup";

/// What the [`K_RESTORED`] marker says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Restored {
    /// The identity the backup was made under (`replica_id`).
    pub old: ReplicaId,
    /// The identity the restored store stamps with (the old one on a legacy marker).
    pub new: ReplicaId,
    /// Outbox sequence numbers below this are the backup's own pending changes.
    pub next: u64,
}

/// Reads the [`K_RESTORED`] marker.
pub fn restored(meta: &sled::Tree) -> Result<Option<Restored>, StoreError> {
    let Some(text) = get(meta, K_RESTORED)? else {
        return Ok(None);
    };
    let old: ReplicaId = get(meta, K_REPLICA)?
        .ok_or_else(|| StoreError::Corrupt("meta has no replica id".into()))?
        .parse()
        .map_err(StoreError::Corrupt)?;
    let marker = || StoreError::Corrupt(format!("meta {K_RESTORED} is '{text}'"));
    match text.split_once(' ') {
        Some((new, next)) => Ok(Some(Restored {
            old,
            new: new.parse().map_err(|_| marker())?,
            next: next.parse().map_err(|_| marker())?,
        })),
        None => Ok(Some(Restored {
            old,
            new: old,
            next: u64::MAX,
        })),
    }
}
/// Server cursor up to which remote changes are applied.
pub const K_CURSOR: &str = "sync_cursor";
/// Id of the server this store syncs with.
pub const K_SYNC_SERVER: &str = "sync_server";
/// User the store last synced as.
pub const K_SYNC_USER: &str = "sync_user";
/// When the last complete sync finished.
pub const K_LAST_SYNC: &str = "last_sync";
/// The login that adopted this store's offline work before its first push.
pub const K_ADOPTED: &str = "adopted_by";
pub use super::staged::K_STAGED;
/// Set by `outpost demo` ("1"); "kept" once `sync login --keep-demo` allowed pushing it.
pub const K_DEMO: &str = "demo_data";

/// Sets up a new store, or migrates an older one; refuses a newer one. Returns the
/// replica id new changes are stamped with (a restored store's new one, see
/// [`K_RESTORED`]).
pub fn init_or_migrate(store: &Store) -> Result<ReplicaId, StoreError> {
    let meta = store.tree(META);
    let Some(version) = get(meta, K_SCHEMA)? else {
        let replica = ReplicaId::random();
        let device = format!("{:04X}", replica.0 & 0xFFFF);
        meta.insert(K_REPLICA, replica.to_string().as_bytes())?;
        meta.insert(K_DEVICE, device.as_bytes())?;
        meta.insert(K_NEXT_SEQ, b"1".as_slice())?;
        meta.insert(K_SCHEMA, SCHEMA_VERSION.to_string().as_bytes())?;
        meta.flush()?;
        return Ok(replica);
    };
    let found: u32 = version
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("schema version '{version}'")))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: store.path().to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found < SCHEMA_VERSION {
        migrate(store, found)?;
    }
    if let Some(r) = restored(meta)? {
        return Ok(r.new);
    }
    get(meta, K_REPLICA)?
        .ok_or_else(|| StoreError::Corrupt("meta has no replica id".into()))?
        .parse()
        .map_err(StoreError::Corrupt)
}

/// Runs every migration step from `from` up to [`SCHEMA_VERSION`].
fn migrate(store: &Store, from: u32) -> Result<(), StoreError> {
    let mut version = from;
    while version < SCHEMA_VERSION {
        match version {
            // 1 -> 2: idx_title did not exist; rebuild every index from the records.
            1 => store.rebuild_indexes()?,
            // 2 -> 3: the conflicts tree is created empty on open; nothing to convert.
            2 => {}
            // 3 -> 4: stage history arrays become sets of entries.
            3 => upgrade_records(store)?,
            // 4 -> 5: idx_touch (what the stale and activity reports read of activities).
            4 => store.fill_index(Index::Touch, EntityKind::Activity)?,
            _ => return Err(StoreError::Corrupt(format!("no migration from schema {version}"))),
        }
        version += 1;
        store.tree(META).insert(K_SCHEMA, version.to_string().as_bytes())?;
    }
    store.flush()
}

/// Brings every record written by an older schema to today's form (clocks untouched),
/// in one transaction through the one record-writing function. Upgrading is
/// idempotent, so a migration interrupted before its schema bump simply runs again.
fn upgrade_records(store: &Store) -> Result<(), StoreError> {
    let kind = EntityKind::Opportunity;
    let mut changed = Vec::new();
    for item in store.entity_tree(kind).iter() {
        let (key, bytes) = item?;
        let before = super::decode(&bytes)?;
        let mut after = before.clone();
        if upgrade(kind, &mut after) {
            let id = crate::model::Id::from_slice(&key)
                .ok_or_else(|| StoreError::Corrupt(format!("{kind}: a key that is not an id")))?;
            changed.push((id, before, after));
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    let result = store.trees.as_slice().transaction(|trees| {
        for (id, before, after) in &changed {
            super::write::replace(trees, kind, *id, Some(before), Some(after))?;
        }
        Ok::<_, ConflictableTransactionError<StoreError>>(())
    });
    match result {
        Ok(()) => Ok(()),
        Err(TransactionError::Abort(e)) => Err(e),
        Err(TransactionError::Storage(e)) => Err(StoreError::Sled(e)),
    }
}

/// Upgrades one record of an older schema (a store being migrated, a restored backup).
/// Returns whether it changed.
pub(crate) fn upgrade(kind: EntityKind, stored: &mut Stored) -> bool {
    if kind != EntityKind::Opportunity {
        return false;
    }
    match stored.fields.get("stage_history") {
        Some(v @ serde_json::Value::Array(_)) => {
            let set = serde_json::to_value(StageHistory::from_value(v)).unwrap_or_default();
            stored.fields.insert("stage_history".into(), set);
            true
        }
        _ => false,
    }
}

/// Reads a text value from the meta tree.
pub fn get(meta: &sled::Tree, key: &str) -> Result<Option<String>, StoreError> {
    Ok(meta.get(key)?.map(|v| String::from_utf8_lossy(&v).into_owned()))
}

/// Parses the last clock value (zero if none).
pub fn parse_hlc(value: Option<&[u8]>) -> Result<Hlc, StoreError> {
    match value {
        None => Ok(Hlc::ZERO),
        Some(v) => String::from_utf8_lossy(v).parse().map_err(StoreError::Corrupt),
    }
}

/// Parses a counter (default `default`).
pub fn parse_u64(value: Option<&[u8]>, default: u64) -> Result<u64, StoreError> {
    match value {
        None => Ok(default),
        Some(v) => String::from_utf8_lossy(v)
            .parse()
            .map_err(|_| StoreError::Corrupt("meta counter".into())),
    }
}

impl Store {
    /// A meta value (for sync and the CLI).
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        get(self.tree(META), key)
    }

    /// The last clock value issued or seen.
    pub fn last_hlc(&self) -> Result<Hlc, StoreError> {
        parse_hlc(self.tree(META).get(K_LAST_HLC)?.as_deref())
    }

    /// Brings back a clock that a wrong wall clock pushed past `ceiling_ms` (the latest
    /// time the server accepts now). The new clock is the latest record clock at or below
    /// the ceiling (so a new edit still follows every value the team holds) or the wall
    /// time now, whichever is later. Values stamped beyond the ceiling were this laptop's
    /// own (the server refuses and the laptop holds them): they are sent again later with
    /// the new clock. Returns (old, new) when the clock moved back, else `None`. Scans
    /// every record, so it runs only when the clock is beyond the ceiling.
    pub fn rewind_clock(&self, ceiling_ms: u64) -> Result<Option<(Hlc, Hlc)>, StoreError> {
        let old = self.last_hlc()?;
        if old.wall <= ceiling_ms {
            return Ok(None);
        }
        let mut latest = Hlc {
            wall: self.clock().now_ms().min(ceiling_ms),
            counter: 0,
            replica: self.replica(),
        };
        for kind in crate::model::EntityKind::ALL {
            for item in self.scan(kind) {
                let (_, stored) = item?;
                for h in stored.clocks.values().filter(|h| h.wall <= ceiling_ms) {
                    latest = latest.max(*h);
                }
            }
        }
        if latest >= old {
            return Ok(None);
        }
        self.tree(META).insert(K_LAST_HLC, latest.to_string().as_bytes())?;
        self.db.flush()?;
        Ok(Some((old, latest)))
    }

    /// The schema version on disk.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self.meta(K_SCHEMA)?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }
}

#[cfg(test)]
mod clock_tests {
    use crate::model::{EntityKind, WallClock};
    use crate::store::{Mutation, Store};

    /// A laptop that wrote with its clock three days ahead gets its clock back to the time
    /// now once its wall clock is right; a clock within the ceiling is left alone.
    #[test]
    fn a_clock_run_ahead_is_set_back_to_what_the_server_accepts() {
        let dir = tempfile::tempdir().expect("temp");
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        let clock = WallClock::manual(now + chrono::Duration::days(3));
        let store = Store::open_with_clock(dir.path(), clock.clone()).expect("store");
        let mut f = serde_json::Map::new();
        f.insert("name".into(), "FutureCo".into());
        store
            .commit(&[Mutation::create(EntityKind::Account, f)])
            .expect("commit");
        let ahead = store.last_hlc().expect("hlc");
        clock.set(now);
        let now_ms = u64::try_from(now.timestamp_millis()).expect("ms");
        let ceiling = now_ms + 24 * 3600 * 1000;
        let (old, new) = store.rewind_clock(ceiling).expect("rewind").expect("moved back");
        assert_eq!(old, ahead);
        assert_eq!(new.wall, now_ms, "back to the time now");
        assert_eq!(store.last_hlc().expect("hlc"), new);
        // A new write is stamped with the time now, not three days ahead.
        let mut f = serde_json::Map::new();
        f.insert("name".into(), "TodayCo".into());
        let stamped = store
            .commit(&[Mutation::create(EntityKind::Account, f)])
            .expect("commit");
        assert!(stamped[0].wall < ceiling, "{}", stamped[0]);
        assert_eq!(store.rewind_clock(ceiling).expect("again"), None, "nothing to do");
    }
}
