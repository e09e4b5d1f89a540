//! Crash test: an import killed with SIGKILL part way leaves a store that opens, passes
//! the index check, and holds only whole records (an import commits in transactions of
//! `store::WRITE_BATCH` rows); the next start of outpost rolls the interrupted import back.

mod common;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use common::{Env, s};
use outpost::model::EntityKind;
use outpost::store::Store;

const ROWS: usize = 20_000;

#[test]
fn sigkill_during_a_large_import_leaves_a_consistent_store() {
    let mut csv = String::from("first,last,email,phone,title\n");
    for i in 0..ROWS {
        let _ = writeln!(csv, "Fïrst{i},Last{i},p{i}@example.com,+49 30 {:07},Buyer", i);
    }
    // Measure one uninterrupted import to know when to strike.
    let full = Env::new();
    let file = full.write("contacts.csv", &csv);
    let started = Instant::now();
    full.ok(&["import", "contacts", s(&file)]);
    let took = started.elapsed();
    let mut outcomes = Vec::new();
    for fraction in [0.2, 0.5, 0.8, 0.95, 1.0, 1.05] {
        let env = Env::new();
        env.ok(&["account", "add", "--name", "Before the crash"]);
        let outbox_before = outbox(&env);
        assert_eq!(outbox_before.len(), 1);
        let file = env.write("contacts.csv", &csv);
        let mut child = env.cmd().args(["import", "contacts", s(&file)]).spawn().expect("spawn");
        std::thread::sleep(took.mul_f64(fraction));
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();
        let store = Store::open(&env.data()).expect("the store opens after a crash");
        let report = store.verify().expect("verify");
        assert!(report.ok(), "after a kill at {fraction}: {:?}", report.problems);
        let contacts = store.count(EntityKind::Contact);
        assert_eq!(
            contacts % outpost::store::WRITE_BATCH,
            0,
            "a torn transaction: {contacts} of {ROWS}"
        );
        for item in store.live(EntityKind::Contact) {
            let (_, rec) = item.expect("every record decodes");
            assert!(rec.text("first_name").starts_with("Fïrst") && rec.text("last_name").starts_with("Last"));
        }
        assert_eq!(store.count(EntityKind::Account), 1, "earlier data survives");
        drop(store);
        // The next command rolls an interrupted import back: all rows or none stay.
        let live = env.json(&["contact", "list"]).as_array().map_or(0, Vec::len);
        assert!(
            live == 0 || live == ROWS,
            "after recovery: {live} of {ROWS} (raw {contacts})"
        );
        assert!(env.ok(&["check"]).contains("ok"));
        // A rolled-back import sent nothing: the outbox is exactly what it was before,
        // and its records are gone, not in the trash. A completed one queued each row.
        let after = outbox(&env);
        if live == 0 {
            assert_eq!(after, outbox_before, "after a kill at {fraction}");
            assert_eq!(env.json(&["trash", "list"]).as_array().map_or(0, Vec::len), 0);
        } else {
            assert_eq!(after.len(), 1 + ROWS, "after a kill at {fraction}");
            assert_eq!(after[..1], outbox_before[..]);
        }
        let store = Store::open(&env.data()).expect("open");
        assert_eq!(store.staged_len(), 0, "nothing left staged");
        assert_eq!(store.outbox_len(), after.len(), "what `sync --dry-run` would send");
        drop(store);
        outcomes.push((contacts, live));
    }
    eprintln!("import of {ROWS} rows took {took:?}; (written, live after recovery) for each kill: {outcomes:?}");
    assert!(took > Duration::ZERO);
}

/// The outbox as raw changes (JSON), oldest first.
fn outbox(env: &Env) -> Vec<String> {
    let store = Store::open(&env.data()).expect("open");
    store
        .outbox()
        .map(|c| serde_json::to_string(&c.expect("change")).expect("json"))
        .collect()
}

/// `outpost demo` writes all or nothing: killed part way, the next command removes what
/// it wrote (nothing of it in the outbox), and running it again works.
#[test]
fn sigkill_during_a_large_demo_leaves_nothing_and_a_rerun_works() {
    let full = Env::new();
    let started = Instant::now();
    full.ok(&["demo", "--scale", "8000"]);
    let took = started.elapsed();
    let store = Store::open(&full.data()).expect("open");
    let total: usize = EntityKind::ALL.iter().map(|k| store.count(*k)).sum();
    assert!(
        total > 5_000 * 2,
        "the demo spans several transactions: {total} records"
    );
    // One create per record, and the status of each quote past its draft (the demo
    // writes a quote as a rep does: a draft, its lines, then its status).
    let statuses = store
        .live(EntityKind::Quote)
        .filter(|q| q.as_ref().is_ok_and(|(_, q)| q.text("status") != "draft"))
        .count();
    assert!(statuses > 0, "the demo has sent quotes");
    assert_eq!(store.outbox_len(), total + statuses);
    drop(store);
    let mut outcomes = Vec::new();
    for fraction in [0.2, 0.5, 0.8, 1.2] {
        let env = Env::new();
        let mut child = env.cmd().args(["demo", "--scale", "8000"]).spawn().expect("spawn");
        std::thread::sleep(took.mul_f64(fraction));
        let _ = child.kill();
        let _ = child.wait();
        let contacts_raw = Store::open(&env.data()).map_or(0, |s| s.count(EntityKind::Contact));
        // The next command finishes or rolls back; then the store is all or nothing.
        let live = env.json(&["contact", "list"]).as_array().map_or(0, Vec::len);
        assert!(
            live == 0 || live == 8_000,
            "after a kill at {fraction}: {live} contacts"
        );
        assert!(env.ok(&["check"]).contains("ok"));
        let store = Store::open(&env.data()).expect("open");
        assert_eq!(store.staged_len(), 0);
        if live == 0 {
            assert!(store.has_no_records(), "nothing left behind");
            assert_eq!(store.outbox_len(), 0);
            drop(store);
            env.ok(&["demo", "--scale", "8000"]);
            assert_eq!(env.json(&["contact", "list"]).as_array().map_or(0, Vec::len), 8_000);
        } else {
            assert!(store.outbox_len() > 8_000);
        }
        outcomes.push((contacts_raw, live));
    }
    eprintln!("demo took {took:?}; (contacts written, live after recovery) per kill: {outcomes:?}");
}

/// `restore` streams in transactions, meta last, and a killed one is emptied on open: a
/// restore killed part way leaves an empty store that a second restore fills, or the
/// whole backup, never part of it.
#[test]
fn sigkill_during_a_restore_leaves_nothing_or_everything() {
    let mut csv = String::from("first,last,email\n");
    for i in 0..ROWS {
        let _ = writeln!(csv, "First{i},Last{i},r{i}@example.com");
    }
    let source = Env::new();
    let file = source.write("contacts.csv", &csv);
    source.ok(&["import", "contacts", s(&file)]);
    let backup = source.path("backup.ndjson");
    source.ok(&["backup", s(&backup)]);
    let full = Env::new();
    let started = Instant::now();
    full.ok(&["restore", s(&backup)]);
    let took = started.elapsed();
    let mut outcomes = Vec::new();
    for fraction in [0.3, 0.6, 0.9, 1.0, 1.5] {
        let env = Env::new();
        let mut child = env.cmd().args(["restore", s(&backup)]).spawn().expect("spawn");
        std::thread::sleep(took.mul_f64(fraction));
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();
        if !env.data().join("store").exists() {
            outcomes.push(0);
            continue; // killed before the store was created
        }
        let store = Store::open(&env.data()).expect("the store opens after a crash");
        let report = store.verify().expect("verify");
        assert!(report.ok(), "after a kill at {fraction}: {:?}", report.problems);
        let contacts = store.count(EntityKind::Contact);
        assert!(
            contacts == 0 || contacts == ROWS,
            "a torn restore: {contacts} of {ROWS}"
        );
        let restored = store.meta("restored_from_backup").expect("meta").is_some();
        assert_eq!(restored, contacts == ROWS, "the marker lands with the records");
        drop(store);
        if contacts == 0 {
            env.ok(&["restore", s(&backup)]);
        }
        assert_eq!(env.json(&["contact", "list"]).as_array().map_or(0, Vec::len), ROWS);
        assert!(env.ok(&["check"]).contains("ok"));
        outcomes.push(contacts);
    }
    eprintln!("restore of {ROWS} records took {took:?}; records found after each kill: {outcomes:?}");
}
