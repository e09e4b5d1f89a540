//! A seeded randomized simulation: several replicas create, edit, delete and restore
//! offline and sync in random order while requests and responses are dropped or sent
//! twice and the server restarts. At the end every replica equals the server (a fresh
//! replica that pulls everything), all hold the same conflicts, every store verifies,
//! and every acknowledged write is the winning value, a recorded conflict, or was
//! overwritten by a write that had seen it. The rep also creates records owned by
//! someone else (the server refuses them): those stay on the rep's laptop, held, and
//! reach everyone once the rep takes ownership; no local write ever vanishes from the
//! replica that made it.

mod sync_support;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use outpost::model::records::{Role, StageHistory};
use outpost::model::{EntityKind, Fields, Hlc, Id, ReplicaId};
use outpost::protocol::wire::{Health, PullResponse, PushRequest, PushResponse, WhoAmI};
use outpost::protocol::{ChangeOp, ConflictKind, Stored};
use outpost::server::{Running, Storage};
use outpost::store::{Mutation, Op, Store};
use outpost::sync::SyncError;
use outpost::sync::client::{Api, HttpApi};
use outpost::sync::engine::{self, Options};
use serde_json::{Value, json};

/// Drops requests or responses and repeats requests, at random.
struct Faulty {
    inner: HttpApi,
    rng: RefCell<fastrand::Rng>,
    on: bool,
}

impl Faulty {
    fn lost() -> SyncError {
        SyncError::Unreachable {
            server: "sim".into(),
            detail: "dropped".into(),
        }
    }

    /// Before: maybe drop the request. After: maybe send again, maybe drop the answer.
    fn around<T>(&self, call: impl Fn() -> Result<T, SyncError>) -> Result<T, SyncError> {
        let roll = |p: f64| self.on && self.rng.borrow_mut().f64() < p;
        if roll(0.08) {
            return Err(Self::lost());
        }
        let mut result = call();
        if roll(0.08) {
            result = call();
        }
        if roll(0.08) {
            return Err(Self::lost());
        }
        result
    }
}

impl Api for Faulty {
    fn health(&self) -> Result<Health, SyncError> {
        self.inner.health()
    }
    fn whoami(&self) -> Result<WhoAmI, SyncError> {
        self.around(|| self.inner.whoami())
    }
    fn push(&self, req: &PushRequest) -> Result<PushResponse, SyncError> {
        self.around(|| self.inner.push(req))
    }
    fn pull(&self, replica: ReplicaId, after: u64, limit: usize) -> Result<PullResponse, SyncError> {
        self.around(|| self.inner.pull(replica, after, limit))
    }
}

/// One write a replica made, as its outbox recorded it.
#[derive(Clone, Debug)]
struct Write {
    id: Id,
    field: String,
    value: Value,
    hlc: Hlc,
    base: Option<Hlc>,
}

struct Replica {
    _dir: tempfile::TempDir,
    store: Store,
    token: String,
    name: String,
    writes: Vec<Write>,
    /// Records this replica created.
    created: Vec<Id>,
    /// Stage moves made here: (deal, history entry id).
    moves: Vec<(Id, String)>,
}

fn record(store: &Store, hlcs: &[Hlc], writes: &mut Vec<Write>) {
    for change in store.outbox() {
        let c = change.expect("outbox");
        if !hlcs.contains(&c.hlc) {
            continue;
        }
        if let ChangeOp::Set { field, value, base } = c.op
            && field != "stage_history"
        {
            writes.push(Write {
                id: c.id,
                field,
                value,
                hlc: c.hlc,
                base,
            });
        }
    }
}

/// The entry ids of a deal's stage history.
fn history_ids(store: &Store, deal: Id) -> BTreeSet<String> {
    store
        .get(EntityKind::Opportunity, deal)
        .expect("get")
        .map(|s| StageHistory::from_value(s.fields.get("stage_history").unwrap_or(&Value::Null)))
        .map(|h| h.0.into_keys().collect())
        .unwrap_or_default()
}

/// Creates an (unowned) deal on a live account or moves one to a random stage, offline;
/// remembers the history entries it made. Returns false when there is no account yet.
fn stage_move(r: &mut Replica, rng: &mut fastrand::Rng) -> bool {
    let accounts: Vec<Id> = r.store.live(EntityKind::Account).map(|x| x.expect("scan").0).collect();
    if accounts.is_empty() {
        return false;
    }
    let deals: Vec<Id> = r
        .store
        .live(EntityKind::Opportunity)
        .map(|x| x.expect("scan").0)
        .collect();
    let stages = outpost::model::stage::Pipeline::default().stages;
    let stage = json!(stages[rng.usize(0..stages.len())].name);
    let m = if deals.is_empty() || rng.u8(0..100) < 25 {
        let mut f = Fields::new();
        f.insert("name".into(), json!(format!("Deal {}", rng.u32(..))));
        f.insert(
            "account_id".into(),
            json!(accounts[rng.usize(0..accounts.len())].to_string()),
        );
        f.insert("stage".into(), stage);
        Mutation::create(EntityKind::Opportunity, f)
    } else {
        let mut f = Fields::new();
        f.insert("stage".into(), stage);
        Mutation::update(EntityKind::Opportunity, deals[rng.usize(0..deals.len())], f)
    };
    let before = history_ids(&r.store, m.id);
    let hlcs = r.store.commit(std::slice::from_ref(&m)).expect("local stage move");
    for entry in history_ids(&r.store, m.id).difference(&before) {
        r.moves.push((m.id, entry.clone()));
    }
    record(&r.store, &hlcs, &mut r.writes);
    true
}

fn random_write(r: &mut Replica, rng: &mut fastrand::Rng) {
    if rng.u8(0..100) < 15 && stage_move(r, rng) {
        return;
    }
    let live: Vec<Id> = r.store.live(EntityKind::Account).map(|x| x.expect("scan").0).collect();
    let trashed: Vec<Id> = r
        .store
        .scan(EntityKind::Account)
        .map(|x| x.expect("scan"))
        .filter(|(_, s)| s.deleted)
        .map(|(id, _)| id)
        .collect();
    let rep = r.name == "user0";
    // Held accounts (a record linking to a held one is held too; the fix is its parent's).
    let held: Vec<Id> = r
        .store
        .held_live()
        .expect("held")
        .into_iter()
        .filter(|m| m.entity == EntityKind::Account)
        .map(|m| m.id)
        .collect();
    if rep && !held.is_empty() && rng.u8(0..100) < 15 {
        // The rep fixes a held record: takes ownership (or leaves it unowned).
        let mut f = Fields::new();
        let owner = if rng.bool() { json!(r.name) } else { json!("") };
        f.insert("owner".into(), owner);
        let m = Mutation::update(EntityKind::Account, held[rng.usize(0..held.len())], f);
        let hlcs = r.store.commit(&[m]).expect("fix a held record");
        record(&r.store, &hlcs, &mut r.writes);
        return;
    }
    let roll = rng.u8(0..100);
    let m = if live.is_empty() || roll < 20 {
        let mut f = Fields::new();
        f.insert("name".into(), json!(format!("Client {}", rng.u32(..))));
        f.insert("city".into(), json!(["Berlin", "Munich", "Hamburg"][rng.usize(0..3)]));
        if rep && rng.u8(0..100) < 35 {
            // Someone else's record: the server refuses a rep's create of it.
            f.insert("owner".into(), json!("user1"));
        } else if rng.bool() {
            f.insert("owner".into(), json!(r.name));
        }
        r.created.push(Id::new());
        Mutation {
            kind: EntityKind::Account,
            id: *r.created.last().expect("just pushed"),
            op: Op::Create(f),
        }
    } else if roll < 88 {
        let id = live[rng.usize(0..live.len())];
        let field = ["city", "industry", "website"][rng.usize(0..3)];
        let mut f = Fields::new();
        f.insert(field.into(), json!(format!("{field}-{}", rng.u16(..))));
        Mutation::update(EntityKind::Account, id, f)
    } else if roll < 95 || trashed.is_empty() {
        Mutation {
            kind: EntityKind::Account,
            id: live[rng.usize(0..live.len())],
            op: Op::Delete,
        }
    } else {
        Mutation {
            kind: EntityKind::Account,
            id: trashed[rng.usize(0..trashed.len())],
            op: Op::Restore,
        }
    };
    let hlcs = r.store.commit(&[m]).expect("local write");
    record(&r.store, &hlcs, &mut r.writes);
}

fn sync(r: &Replica, url: &str, rng: &mut fastrand::Rng, faults: bool) -> Result<(), SyncError> {
    let api = Faulty {
        inner: HttpApi::new(url, &r.token),
        rng: RefCell::new(fastrand::Rng::with_seed(rng.u64(..))),
        on: faults,
    };
    let opts = Options {
        batch: rng.usize(1..6),
        page: rng.usize(1..8),
        dry_run: false,
        retry_held: false,
    };
    engine::sync(&r.store, &api, url, opts, &mut |_| {}).map(|_| ())
}

/// Syncs, and records the writes a sync makes itself: re-sending a held record stamps
/// every field again (a create carrying the record's values, after seeing them).
fn sync_tracked(r: &mut Replica, url: &str, rng: &mut fastrand::Rng, faults: bool) -> Result<(), SyncError> {
    // Any kind: a record linking to a held one is held too.
    let before: Vec<(EntityKind, Id, Stored)> = r
        .store
        .held_live()
        .expect("held")
        .into_iter()
        .filter_map(|m| Some((m.entity, m.id, r.store.get(m.entity, m.id).expect("get")?)))
        .collect();
    let result = sync(r, url, rng, faults);
    for (kind, id, old) in before {
        let Some(now) = r.store.get(kind, id).expect("get") else {
            continue;
        };
        let created = now.clocks.get(outpost::store::CREATED).copied();
        if created == old.clocks.get(outpost::store::CREATED).copied() {
            continue;
        }
        let hlc = created.expect("created clock");
        // Stage history is checked by its entries (see `moves`), as `record` does.
        for (field, value) in now.fields.iter().filter(|(f, _)| *f != "stage_history") {
            r.writes.push(Write {
                id,
                field: field.clone(),
                value: value.clone(),
                hlc,
                base: old.clocks.get(field).copied(),
            });
        }
    }
    result
}

fn restart(server: Running, storage: &Storage) -> Running {
    let addr = server.addr;
    server.stop();
    for _ in 0..50 {
        if let Ok(s) = Running::start(storage.clone(), addr) {
            return s;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the server did not come back on {addr}");
}

fn records(store: &Store) -> BTreeMap<Id, Stored> {
    [EntityKind::Account, EntityKind::Opportunity]
        .into_iter()
        .flat_map(|k| store.scan(k).map(|x| x.expect("scan")))
        .collect()
}

fn conflict_ids(store: &Store) -> BTreeSet<String> {
    store
        .conflicts()
        .expect("conflicts")
        .into_iter()
        .filter(|c| !matches!(c.conflict.kind, ConflictKind::Refused | ConflictKind::Held))
        .map(|c| c.conflict.id)
        .collect()
}

fn simulate(seed: u64, replicas: usize, steps: usize) {
    let t = sync_support::temp();
    simulate_on(&Storage::Sled(t.path().join("server")), seed, replicas, steps);
}

fn simulate_on(storage: &Storage, seed: u64, replicas: usize, steps: usize) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let storage = storage.clone();
    let mut team: Vec<Replica> = (0..replicas)
        .map(|i| {
            let role = if i == 0 { Role::Rep } else { Role::Manager };
            let dir = sync_support::temp();
            Replica {
                store: Store::open(dir.path()).expect("store"),
                _dir: dir,
                token: sync_support::add_user(&storage, &format!("user{i}"), role),
                name: format!("user{i}"),
                writes: Vec::new(),
                created: Vec::new(),
                moves: Vec::new(),
            }
        })
        .collect();
    let mut server = Running::start(storage.clone(), sync_support::any_port()).expect("server");
    for step in 0..steps {
        let who = rng.usize(0..team.len());
        match rng.u8(0..100) {
            0..=59 => random_write(&mut team[who], &mut rng),
            60..=96 => {
                let url = server.url();
                let _ = sync_tracked(&mut team[who], &url, &mut rng, true);
            }
            _ => server = restart(server, &storage),
        }
        if step % 50 == 49 {
            for r in &team {
                // Links to records held on another laptop may dangle; the store itself
                // (indexes, outbox) must always be sound.
                let report = r.store.verify().expect("verify");
                assert!(
                    report.problems.is_empty(),
                    "seed {seed} step {step}: {:?}",
                    report.problems
                );
            }
        }
    }
    server = restart(server, &storage);
    let url = server.url();
    for _ in 0..2 {
        for r in &mut team {
            sync_tracked(r, &url, &mut rng, false).unwrap_or_else(|e| panic!("seed {seed}: final sync failed: {e}"));
        }
    }
    // The server's state, as a fresh replica pulls it.
    let fresh_dir = sync_support::temp();
    let fresh = Replica {
        store: Store::open(fresh_dir.path()).expect("store"),
        _dir: fresh_dir,
        token: sync_support::add_user(&storage, "auditor", Role::Manager),
        name: "auditor".into(),
        writes: Vec::new(),
        created: Vec::new(),
        moves: Vec::new(),
    };
    sync(&fresh, &url, &mut rng, false).expect("fresh sync");
    let truth = records(&fresh.store);
    let truth_conflicts = conflict_ids(&fresh.store);
    // Records some laptop has and the server does not (held there).
    let held_anywhere: std::collections::HashSet<Id> = team
        .iter()
        .flat_map(|r| records(&r.store).into_keys())
        .filter(|id| !truth.contains_key(id))
        .collect();
    let mut held_total = 0;
    for (i, r) in team.iter().enumerate() {
        assert_eq!(r.store.outbox_len(), 0, "seed {seed}: replica {i} has unsent changes");
        // No record this replica created ever vanishes from it.
        for id in &r.created {
            assert!(
                r.store.get(EntityKind::Account, *id).expect("get").is_some(),
                "seed {seed}: replica {i} lost its record {id}"
            );
        }
        // What the server does not have is held here (refused, kept as written).
        let mut mine = records(&r.store);
        let held: BTreeSet<Id> = r.store.held_marks().expect("held").into_iter().map(|m| m.id).collect();
        mine.retain(|id, _| {
            if truth.contains_key(id) {
                return true;
            }
            assert!(
                held.contains(id),
                "seed {seed}: replica {i} has {id}, which the server lacks, and it is not held"
            );
            false
        });
        for id in &held {
            assert!(
                !truth.contains_key(id),
                "seed {seed}: replica {i}'s {id} reached the server but is still held"
            );
        }
        held_total += held.len();
        assert_eq!(mine, truth, "seed {seed}: replica {i} differs from the server");
        assert_eq!(
            conflict_ids(&r.store),
            truth_conflicts,
            "seed {seed}: replica {i} has other conflicts"
        );
        let report = r.store.verify().expect("verify");
        assert!(
            report.problems.is_empty(),
            "seed {seed}: replica {i} fails verify: {:?}",
            report.problems
        );
        // A link may dangle only towards a record that a laptop holds (the server refused
        // it), never towards one the server lost.
        for d in &report.dangling {
            assert!(
                held_anywhere.contains(&d.missing),
                "seed {seed}: replica {i}: {d:?} points at a record no laptop has"
            );
        }
    }
    // Every stage move made on any replica is in every replica's history, unless the
    // server refused it (a rep moving someone else's deal): then the replica that made it
    // keeps it as a `refused` conflict, as for any refused edit.
    let refused_moves: BTreeSet<(Id, String)> = team
        .iter()
        .flat_map(|r| r.store.conflicts().expect("conflicts"))
        .filter(|c| c.conflict.kind == ConflictKind::Refused && c.conflict.field == "stage_history")
        .flat_map(|c| {
            let deal = c.conflict.record;
            StageHistory::from_value(&c.conflict.loser.value)
                .0
                .into_keys()
                .map(move |k| (deal, k))
        })
        .collect();
    let moves: Vec<&(Id, String)> = team
        .iter()
        .flat_map(|r| r.moves.iter())
        .filter(|m| !refused_moves.contains(*m))
        .collect();
    for (i, r) in team.iter().chain([&fresh]).enumerate() {
        for (deal, entry) in &moves {
            // A deal of a held account is held too: only the laptop holding it has it
            // (it is checked there, like any held record, above).
            if held_anywhere.contains(deal) && r.store.get(EntityKind::Opportunity, *deal).expect("get").is_none() {
                continue;
            }
            assert!(
                history_ids(&r.store, *deal).contains(entry),
                "seed {seed}: replica {i} lost stage move {entry} of deal {deal}"
            );
        }
    }
    // Every acknowledged write is accounted for.
    let conflicts = fresh.store.conflicts().expect("conflicts");
    let mut in_conflict: BTreeSet<Hlc> = BTreeSet::new();
    for c in &conflicts {
        in_conflict.extend(c.conflict.winner.hlc);
        in_conflict.extend(c.conflict.loser.hlc);
    }
    let all_writes: Vec<&Write> = team.iter().flat_map(|r| r.writes.iter()).collect();
    let superseded: BTreeSet<(Id, &str, Hlc)> = all_writes
        .iter()
        .filter_map(|w| w.base.map(|b| (w.id, w.field.as_str(), b)))
        .collect();
    for (i, r) in team.iter().enumerate() {
        let refused: BTreeSet<Hlc> = r
            .store
            .conflicts()
            .expect("conflicts")
            .into_iter()
            .filter(|c| c.conflict.kind == ConflictKind::Refused)
            .filter_map(|c| c.conflict.loser.hlc)
            .collect();
        let own = records(&r.store);
        let accounted = |w: &Write| {
            // A write to a record the server never accepted is judged on this replica.
            let rec = truth.get(&w.id).or_else(|| own.get(&w.id));
            let current = rec.and_then(|s| s.fields.get(&w.field)) == Some(&w.value)
                || rec.and_then(|s| s.clocks.get(&w.field)) == Some(&w.hlc);
            current || in_conflict.contains(&w.hlc) || superseded.contains(&(w.id, w.field.as_str(), w.hlc))
        };
        for w in &r.writes {
            let rec = truth.get(&w.id).or_else(|| own.get(&w.id));
            // Two concurrent writes of the same value are no conflict: either standing
            // for the value accounts for both (likely with a handful of stages).
            let same_value = all_writes
                .iter()
                .any(|x| x.id == w.id && x.field == w.field && x.value == w.value && x.hlc != w.hlc && accounted(x));
            let ok = accounted(w) || refused.contains(&w.hlc) || same_value;
            if !ok {
                eprintln!("record now: {:?}", rec);
                for x in all_writes.iter().filter(|x| x.id == w.id && x.field == w.field) {
                    eprintln!("  write {:?}", x);
                }
                for c in conflicts.iter().filter(|c| c.conflict.record == w.id) {
                    eprintln!("  conflict {:?}", c.conflict);
                }
            }
            assert!(ok, "seed {seed}: replica {i}'s write {w:?} was lost");
        }
    }
    let refused = team[0]
        .store
        .conflicts()
        .expect("conflicts")
        .iter()
        .filter(|c| c.conflict.kind == ConflictKind::Refused)
        .count();
    eprintln!(
        "seed {seed}: {} records, {} writes, {} stage moves, {} conflicts, {refused} refused, {held_total} held",
        truth.len(),
        all_writes.len(),
        moves.len(),
        conflicts.len()
    );
    server.stop();
}

#[test]
fn randomized_team_converges_seed_1() {
    simulate(1, 3, 250);
}

#[test]
fn randomized_team_converges_seed_2() {
    simulate(2, 4, 300);
}

#[test]
fn randomized_team_converges_seed_3() {
    simulate(0x5eed, 3, 300);
}

#[test]
fn randomized_team_converges_on_postgres() {
    let Some(db) = sync_support::PgDb::create("sim") else {
        return;
    };
    simulate_on(&Storage::Postgres(db.url.clone()), 7, 3, 250);
}

/// More seeds on demand: `OUTPOST_SIM_SEEDS=50 cargo test --test sync_sim many_seeds`.
#[test]
fn many_seeds_when_asked() {
    let n: u64 = std::env::var("OUTPOST_SIM_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    for seed in 100..100 + n {
        simulate(seed, 2 + usize::try_from(seed % 3).unwrap_or(0), 250);
    }
}
