//! Sync through the real binary: a real `outpost serve` on 127.0.0.1 and two or three
//! laptops (data dirs), as a sales team would use it.

mod sync_support;

use serde_json::Value;
use sync_support::{Laptop, ServerProc};

struct Team {
    _t: tempfile::TempDir,
    server: ServerProc,
    anna: Laptop,
    ben: Laptop,
    boss: Laptop,
}

fn team() -> Team {
    team_on(None)
}

/// A team on a sled server, or a PostgreSQL one given its database URL.
fn team_on(database: Option<&str>) -> Team {
    let t = sync_support::temp();
    let server = ServerProc::start(&t.path().join("server"), "127.0.0.1:0", database);
    let (ta, tb, tm) = (
        server.add_user("anna", "rep"),
        server.add_user("ben", "rep"),
        server.add_user("boss", "manager"),
    );
    let (anna, ben, boss) = (Laptop::new(&t, "anna"), Laptop::new(&t, "ben"), Laptop::new(&t, "boss"));
    anna.login(&server.url, &ta);
    ben.login(&server.url, &tb);
    boss.login(&server.url, &tm);
    Team {
        _t: t,
        server,
        anna,
        ben,
        boss,
    }
}

fn one(l: &Laptop, kind: &str) -> Value {
    let r = l.records(kind);
    assert_eq!(r.len(), 1, "{r:?}");
    r.into_iter().next().unwrap_or_default()
}

fn open_conflicts(l: &Laptop) -> Vec<Value> {
    match l.json(&["conflicts", "list"]) {
        Value::Array(a) => a,
        other => panic!("{other}"),
    }
}

#[test]
fn edits_to_different_fields_merge_and_new_records_belong_to_their_user() {
    let tm = team();
    tm.anna
        .ok(&["account", "add", "--name", "Acme GmbH", "--city", "Berlin"]);
    assert_eq!(tm.anna.sync(), (1, 0, 0));
    assert_eq!(tm.ben.sync(), (0, 1, 0));
    assert_eq!(
        one(&tm.ben, "accounts")["owner"],
        "anna",
        "created after login: owned by the user"
    );
    tm.anna.ok(&["account", "edit", "Acme GmbH", "--city", "Munich"]);
    tm.boss.sync();
    tm.boss.ok(&["account", "edit", "Acme GmbH", "--industry", "Steel"]);
    tm.anna.sync();
    tm.boss.sync();
    tm.anna.sync();
    tm.ben.sync();
    for l in [&tm.anna, &tm.ben, &tm.boss] {
        let a = one(l, "accounts");
        assert_eq!(
            (a["city"].as_str(), a["industry"].as_str()),
            (Some("Munich"), Some("Steel"))
        );
        assert!(open_conflicts(l).is_empty());
        let check = l.run(&["check"]);
        assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
    }
}

#[test]
fn same_field_gives_one_winner_everywhere_and_a_conflict_both_sides_see() {
    let tm = team();
    tm.anna
        .ok(&["account", "add", "--name", "Acme GmbH", "--city", "Berlin"]);
    tm.anna.sync();
    tm.boss.sync();
    tm.anna.ok(&["account", "edit", "Acme GmbH", "--city", "Munich"]);
    tm.boss.ok(&["account", "edit", "Acme GmbH", "--city", "Hamburg"]);
    tm.anna.sync();
    let (_, _, conflicts) = tm.boss.sync();
    assert_eq!(conflicts, 1);
    tm.anna.sync();
    tm.ben.sync();
    let winner = one(&tm.boss, "accounts")["city"].clone();
    assert_eq!(winner, "Hamburg", "boss wrote last by the clock");
    for l in [&tm.anna, &tm.ben, &tm.boss] {
        assert_eq!(one(l, "accounts")["city"], winner);
        let c = open_conflicts(l);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0]["kind"], "edit");
        assert_eq!(c[0]["loser"]["value"], "Munich");
    }
    // A backup keeps the conflicts (and the sync bookkeeping).
    let file = tm.anna.dir.with_extension("ndjson");
    tm.anna.ok(&["backup", file.to_str().unwrap_or_default()]);
    let copy = Laptop::new(&tm._t, "anna-restored");
    copy.ok(&["restore", file.to_str().unwrap_or_default()]);
    assert_eq!(open_conflicts(&copy).len(), 1);
    assert_eq!(
        copy.json(&["sync", "status"])["cursor"],
        tm.anna.json(&["sync", "status"])["cursor"]
    );
    // Anna keeps hers; the resolution is a normal edit that syncs and settles it everywhere.
    let id = open_conflicts(&tm.anna)[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mine = open_conflicts(&tm.anna)[0]["mine"]["value"].clone();
    assert_eq!(mine, "Munich");
    tm.anna.ok(&["conflicts", "resolve", &id, "--keep", "mine"]);
    tm.anna.sync();
    tm.boss.sync();
    tm.ben.sync();
    for l in [&tm.anna, &tm.ben, &tm.boss] {
        assert_eq!(one(l, "accounts")["city"], "Munich");
        assert!(open_conflicts(l).is_empty());
    }
}

#[test]
fn delete_against_edit_is_a_conflict_not_a_silent_drop() {
    let tm = team();
    tm.anna
        .ok(&["account", "add", "--name", "Acme GmbH", "--city", "Berlin"]);
    tm.anna.sync();
    tm.boss.sync();
    tm.anna.ok(&["account", "edit", "Acme GmbH", "--city", "Munich"]);
    tm.boss.ok(&["account", "rm", "Acme GmbH"]);
    tm.boss.sync();
    tm.anna.sync();
    tm.boss.sync();
    for l in [&tm.anna, &tm.boss] {
        assert!(l.records("accounts").is_empty(), "the delete stands");
        let c = open_conflicts(l);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0]["kind"], "delete");
        assert_eq!(c[0]["loser"]["value"], "Munich");
    }
    // Keeping the edit brings the record back, with the edit, everywhere.
    let id = open_conflicts(&tm.anna)[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    tm.anna.ok(&["conflicts", "resolve", &id, "--keep", "mine"]);
    tm.anna.sync();
    tm.boss.sync();
    assert_eq!(one(&tm.boss, "accounts")["city"], "Munich");
    assert!(open_conflicts(&tm.boss).is_empty());
}

#[test]
fn records_created_offline_on_two_laptops_reach_everyone() {
    let tm = team();
    tm.anna.ok(&["account", "add", "--name", "Anna's Client"]);
    tm.anna.ok(&[
        "contact",
        "add",
        "--first",
        "Eva",
        "--last",
        "Kern",
        "--account",
        "Anna's Client",
    ]);
    tm.ben.ok(&["account", "add", "--name", "Ben's Client"]);
    tm.anna.sync();
    tm.ben.sync();
    tm.anna.sync();
    tm.boss.sync();
    for l in [&tm.anna, &tm.ben, &tm.boss] {
        let names: Vec<String> = l
            .records("accounts")
            .iter()
            .map(|a| a["name"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert_eq!(l.records("contacts").len(), 1);
    }
    assert_eq!(tm.anna.sync(), (0, 0, 0), "nothing left to move");
}

#[test]
fn a_rep_cannot_change_another_reps_record_and_gets_the_servers_value_back() {
    let tm = team();
    tm.anna
        .ok(&["account", "add", "--name", "Acme GmbH", "--city", "Berlin"]);
    tm.anna.sync();
    tm.ben.sync();
    tm.ben.ok(&["account", "edit", "Acme GmbH", "--city", "Paris"]);
    let out = tm.ben.run(&["sync"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("refused 1"));
    assert_eq!(
        one(&tm.ben, "accounts")["city"],
        "Berlin",
        "the local value is put back"
    );
    let c = open_conflicts(&tm.ben);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["kind"], "refused");
    assert!(c[0]["reason"].as_str().unwrap_or_default().contains("owned by 'anna'"));
    let status = tm.ben.json(&["sync", "status"]);
    assert_eq!(
        (status["refused"].as_u64(), status["pending"].as_u64()),
        (Some(1), Some(0))
    );
    tm.anna.sync();
    assert_eq!(one(&tm.anna, "accounts")["city"], "Berlin");
    assert!(open_conflicts(&tm.anna).is_empty());
}

#[test]
fn wrong_and_revoked_tokens_and_a_missing_server_change_nothing() {
    let mut tm = team();
    let stranger = Laptop::new(&tm._t, "stranger");
    let err = stranger.fails(&["sync", "login", "--server", &tm.server.url, "--token", "opt_wrong"]);
    assert!(err.contains("refused the token"), "{err}");
    assert!(!stranger.dir.join("sync.toml").exists());
    assert!(stranger.fails(&["sync"]).contains("not logged in"));

    tm.ben.ok(&["account", "add", "--name", "Ben's Client"]);
    let revoke = std::process::Command::new(env!("CARGO_BIN_EXE_outpost"))
        .arg("--data-dir")
        .arg(&tm.server.dir)
        .args(["server", "token", "revoke", "--user", "ben"])
        .output()
        .expect("revoke");
    assert!(revoke.status.success());
    let err = tm.ben.fails(&["sync"]);
    assert!(err.contains("unknown or revoked"), "{err}");
    assert_eq!(
        tm.ben.json(&["sync", "status"])["pending"],
        1,
        "nothing was sent or lost"
    );

    tm.server.kill();
    let err = tm.anna.fails(&["sync"]);
    assert!(err.contains("cannot reach"), "{err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(tm.anna.dir.join("sync.toml"))
            .expect("login file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_store_bound_to_one_server_refuses_another() {
    let tm = team();
    tm.anna.sync();
    let t2 = sync_support::temp();
    let other = ServerProc::start(&t2.path().join("s2"), "127.0.0.1:0", None);
    let token = other.add_user("anna", "rep");
    let err = tm
        .anna
        .fails(&["sync", "login", "--server", &other.url, "--token", &token]);
    assert!(err.contains("syncs with server"), "{err}");
}

#[test]
fn server_killed_mid_push_and_mid_pull_then_sync_again() {
    let mut tm = team();
    let csv = tm.anna.dir.with_extension("csv");
    let mut text = String::from("name,city\n");
    for i in 0..400 {
        text.push_str(&format!("Client {i:03},City {}\n", i % 7));
    }
    std::fs::write(&csv, text).expect("csv");
    tm.anna.ok(&["import", "accounts", csv.to_str().unwrap_or_default()]);

    // Kill the server while anna pushes one change per request.
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_outpost"))
        .arg("--data-dir")
        .arg(&tm.anna.dir)
        .args(["sync", "--batch", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("sync");
    std::thread::sleep(std::time::Duration::from_millis(400));
    tm.server.restart();
    let _ = child.wait_with_output();
    let pending = tm.anna.json(&["sync", "status"])["pending"].as_u64().unwrap_or(0);
    tm.anna.sync();
    assert_eq!(tm.anna.json(&["sync", "status"])["pending"], 0, "was {pending} before");

    // Kill it while ben pulls one entry per page.
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_outpost"))
        .arg("--data-dir")
        .arg(&tm.ben.dir)
        .args(["sync", "--page", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("sync");
    std::thread::sleep(std::time::Duration::from_millis(400));
    tm.server.restart();
    let _ = child.wait_with_output();
    tm.ben.sync();
    tm.anna.sync();
    assert_eq!(tm.ben.records("accounts"), tm.anna.records("accounts"));
    assert_eq!(tm.ben.records("accounts").len(), 400);
    for l in [&tm.anna, &tm.ben] {
        assert!(l.run(&["check"]).status.success());
    }
}

#[test]
fn dry_run_counts_and_changes_nothing() {
    let tm = team();
    tm.anna.ok(&["account", "add", "--name", "Acme GmbH"]);
    tm.anna.ok(&["account", "add", "--name", "Beta AG"]);
    let out = tm.anna.ok(&["sync", "--dry-run"]);
    assert!(out.contains("would send 2"), "{out}");
    assert_eq!(tm.anna.json(&["sync", "status"])["pending"], 2);
    assert_eq!(tm.anna.sync(), (2, 0, 0));
    let out = tm.ben.ok(&["sync", "--dry-run"]);
    assert!(out.contains("would receive 2"), "{out}");
    assert!(tm.ben.records("accounts").is_empty());
}

/// Account names and cities as a laptop lists them, sorted.
fn accounts(l: &Laptop) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = l
        .records("accounts")
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap_or_default().to_string(),
                a["city"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_store_restored_from_a_backup_older_than_its_last_sync_syncs_as_a_new_replica_and_loses_nothing() {
    restored_laptop_syncs(None);
    if let Some(db) = sync_support::PgDb::create("restored") {
        restored_laptop_syncs(Some(&db.url));
    }
}

fn restored_laptop_syncs(database: Option<&str>) {
    let tm = team_on(database);
    tm.anna.ok(&["account", "add", "--name", "Acme"]);
    tm.anna.sync();
    // Pending at the backup: a new account and an edit the server has not seen yet.
    tm.anna.ok(&["account", "add", "--name", "Pending", "--city", "Lyon"]);
    tm.anna.ok(&["account", "edit", "Acme", "--city", "Bonn"]);
    let backup = tm.anna.dir.with_extension("backup.ndjson");
    tm.anna.ok(&["backup", backup.to_str().expect("path")]);
    // After the backup, anna edits more and syncs everything (the backup's pending too).
    tm.anna.ok(&["account", "edit", "Acme", "--city", "Berlin"]);
    tm.anna.ok(&["account", "add", "--name", "Bolt"]);
    assert_eq!(tm.anna.sync().0, 4);
    // The laptop is stolen; last week's backup is restored on a new one, with new edits.
    let restored = Laptop {
        dir: tm.anna.dir.with_extension("restored"),
    };
    restored.ok(&["restore", backup.to_str().expect("path")]);
    std::fs::copy(tm.anna.dir.join("sync.toml"), restored.dir.join("sync.toml")).expect("same login");
    restored.ok(&["account", "edit", "Pending", "--city", "Paris"]);
    restored.ok(&["account", "add", "--name", "Cargo"]);
    assert_eq!(restored.json(&["sync", "status"])["pending"], 4);
    let replica_device = |l: &Laptop| {
        let store = outpost::store::Store::open(&l.dir).expect("open");
        format!("{:04X}", store.replica().0 & 0xFFFF)
    };
    assert_ne!(replica_device(&restored), replica_device(&tm.anna), "a new identity");
    // Backed up again before its first sync and restored once more (the new laptop
    // died too): the copy goes on where the restored store was.
    let again = tm.anna.dir.with_extension("again.ndjson");
    restored.ok(&["backup", again.to_str().expect("path")]);
    let restored = Laptop {
        dir: tm.anna.dir.with_extension("restored2"),
    };
    restored.ok(&["restore", again.to_str().expect("path")]);
    std::fs::copy(tm.anna.dir.join("sync.toml"), restored.dir.join("sync.toml")).expect("same login");
    assert_eq!(restored.json(&["sync", "status"])["pending"], 4);
    // A dry run counts what the first sync of the restored identity really sends.
    let dry = restored.json(&["sync", "--dry-run"]);
    assert_eq!(dry["sent"], 2, "{dry}");
    assert_eq!(
        restored.json(&["sync", "status"])["pending"],
        4,
        "the dry run changed nothing"
    );
    let (sent, _, _) = restored.sync();
    assert_eq!(
        sent, 2,
        "the backup's pending changes were on the server already: not sent again"
    );
    assert_eq!(restored.json(&["sync", "status"])["pending"], 0);
    tm.anna.sync();
    tm.ben.sync();
    tm.boss.sync();
    let expected = vec![
        ("Acme".to_string(), "Berlin".to_string()),
        ("Bolt".to_string(), String::new()),
        ("Cargo".to_string(), String::new()),
        ("Pending".to_string(), "Paris".to_string()),
    ];
    for l in [&restored, &tm.anna, &tm.ben, &tm.boss] {
        assert_eq!(
            accounts(l),
            expected,
            "{}: nothing lost, nothing twice",
            l.dir.display()
        );
        assert!(
            open_conflicts(l).is_empty(),
            "{}: {:?}",
            l.dir.display(),
            open_conflicts(l)
        );
    }
    // The restored store goes on as a replica of its own; later edits flow both ways.
    restored.ok(&["account", "edit", "Bolt", "--city", "Oslo"]);
    assert_eq!(restored.sync().0, 1);
    tm.anna.ok(&["account", "edit", "Cargo", "--city", "Riga"]);
    tm.anna.sync();
    restored.sync();
    tm.ben.sync();
    for l in [&restored, &tm.anna, &tm.ben] {
        let a = accounts(l);
        assert!(
            a.contains(&("Bolt".into(), "Oslo".into())) && a.contains(&("Cargo".into(), "Riga".into())),
            "{a:?}"
        );
        assert_eq!(a.len(), 4);
    }

    // A backup whose pending changes never reached the server (the laptop was lost
    // before its next sync): the restored store sends them.
    tm.anna.ok(&["account", "add", "--name", "Unsent"]);
    tm.anna.ok(&["account", "edit", "Acme", "--city", "Kiel"]);
    let lost = tm.anna.dir.with_extension("lost.ndjson");
    tm.anna.ok(&["backup", lost.to_str().expect("path")]);
    let second = Laptop {
        dir: tm.anna.dir.with_extension("second"),
    };
    second.ok(&["restore", lost.to_str().expect("path")]);
    std::fs::copy(tm.anna.dir.join("sync.toml"), second.dir.join("sync.toml")).expect("same login");
    assert_eq!(second.sync().0, 2);
    tm.ben.sync();
    let a = accounts(&tm.ben);
    assert!(
        a.contains(&("Unsent".into(), String::new())) && a.contains(&("Acme".into(), "Kiel".into())),
        "{a:?}"
    );
    assert!(open_conflicts(&tm.ben).is_empty());

    // A backup taken after the last sync restores and syncs normally.
    let fresh = tm.anna.dir.with_extension("fresh.ndjson");
    tm.ben.ok(&["backup", fresh.to_str().expect("path")]);
    let again = Laptop {
        dir: tm.ben.dir.with_extension("again"),
    };
    again.ok(&["restore", fresh.to_str().expect("path")]);
    std::fs::copy(tm.ben.dir.join("sync.toml"), again.dir.join("sync.toml")).expect("same login");
    again.ok(&["account", "add", "--name", "Dock", "--owner", "ben"]);
    assert_eq!(again.sync().0, 1);
    assert!(tm.boss.sync().1 >= 1);
    assert!(tm.boss.records("accounts").iter().any(|a| a["name"] == "Dock"));
}

/// The stages of a deal's history as a laptop shows it (`opp show --format json`).
fn history_of(l: &Laptop, deal: &str) -> Vec<(String, String)> {
    let shown = l.json(&["opp", "show", deal]);
    shown[0]["stage_history"]
        .as_array()
        .expect("stage_history is an array")
        .iter()
        .map(|h| {
            (
                h["stage"].as_str().unwrap_or_default().to_string(),
                h["at"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn two_laptops_move_one_deal_offline_and_both_history_entries_survive() {
    for anna_first in [true, false] {
        moves_offline(anna_first, None);
        if let Some(db) = sync_support::PgDb::create("history") {
            moves_offline(anna_first, Some(&db.url));
        }
    }
}

fn moves_offline(anna_first: bool, database: Option<&str>) {
    let tm = team_on(database);
    tm.anna.ok(&["account", "add", "--name", "Nordic Paper AB"]);
    tm.anna.ok(&[
        "opp",
        "add",
        "--name",
        "Nordic deal",
        "--account",
        "Nordic Paper AB",
        "--amount",
        "5000",
    ]);
    tm.anna.sync();
    tm.boss.sync();
    // Both offline: anna moves the deal on, a little later her manager marks it lost.
    tm.anna.ok(&["opp", "move", "Nordic deal", "Negotiation"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    tm.boss.ok(&["opp", "move", "Nordic deal", "Closed Lost"]);
    if anna_first {
        tm.anna.sync();
        tm.boss.sync();
    } else {
        tm.boss.sync();
        tm.anna.sync();
    }
    tm.anna.sync();
    tm.boss.sync();
    // Ben's laptop holds exactly what the server holds.
    tm.ben.sync();
    let want = history_of(&tm.ben, "Nordic deal");
    let stages: Vec<&str> = want.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        stages,
        ["Prospecting", "Negotiation", "Closed Lost"],
        "anna first: {anna_first}: both moves in the history, ordered by time"
    );
    // As instants: a time on a whole second is written without its fraction
    // ("…07Z" after "…07.056Z" as text).
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = want
        .iter()
        .map(|(_, t)| chrono::DateTime::parse_from_rfc3339(t).expect("an RFC 3339 time"))
        .collect();
    assert!(times.is_sorted(), "ordered by time: {want:?}");
    for l in [&tm.anna, &tm.ben, &tm.boss] {
        assert_eq!(history_of(l, "Nordic deal"), want, "anna first: {anna_first}");
        let deal = one(l, "opps");
        assert_eq!(deal["stage"], "Closed Lost", "the later move wins the stage everywhere");
        let check = l.run(&["check"]);
        assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
    }
    // The stage itself was a concurrent edit: kept as a conflict, not lost.
    let conflicts = open_conflicts(&tm.anna);
    assert!(
        conflicts
            .iter()
            .any(|c| c["field"] == "stage" && c["loser"]["value"] == "Negotiation"),
        "{conflicts:?}"
    );
    assert!(conflicts.iter().all(|c| c["field"] != "stage_history"), "{conflicts:?}");
}

/// A new laptop's first pull writes records without their index entries and fills them
/// at the end (`store/first_pull.rs`). Killed (SIGKILL) part way, at any point, it
/// leaves a store that opens with every index exact; the next sync brings the rest, and
/// the laptop ends with what a pull left alone brings.
#[test]
fn a_first_pull_killed_part_way_leaves_every_index_exact_and_the_next_sync_finishes_it() {
    let t = sync_support::temp();
    let server = ServerProc::start(&t.path().join("server"), "127.0.0.1:0", None);
    sync_support::add_demo_team(&server.dir, None);
    let boss = Laptop::new(&t, "boss");
    boss.ok(&["demo", "--scale", "1000"]);
    boss.ok(&[
        "sync",
        "login",
        "--server",
        &server.url,
        "--token",
        &server.add_user("boss", "manager"),
        "--keep-demo",
    ]);
    boss.sync();
    let whole = Laptop::new(&t, "whole");
    whole.login(&server.url, &server.add_user("maja", "manager"));
    // Small pages: a kill lands between pages as well as in the fill.
    let started = std::time::Instant::now();
    whole.ok(&["sync", "--page", "100"]);
    let took = started.elapsed();
    let received = whole.ok(&["check"]);
    let kinds = ["account", "contact", "opportunity", "activity"];
    let mut outcomes = Vec::new();
    for (n, fraction) in [0.3, 0.6, 0.85, 0.95].into_iter().enumerate() {
        let laptop = Laptop::new(&t, &format!("cut{n}"));
        laptop.login(&server.url, &server.add_user(&format!("cut{n}"), "manager"));
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_outpost"))
            .arg("--data-dir")
            .arg(&laptop.dir)
            .args(["sync", "--page", "100"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn sync");
        std::thread::sleep(took.mul_f64(fraction));
        let _ = child.kill();
        let _ = child.wait();
        if laptop.dir.join("store").exists() {
            let store = outpost::store::Store::open(&laptop.dir).expect("the store opens after a kill");
            let report = store.verify().expect("verify");
            assert!(report.ok(), "killed at {fraction}: {:?}", report.problems);
            outcomes.push(report.records);
        }
        laptop.sync();
        for kind in kinds {
            assert_eq!(
                laptop.records(kind).len(),
                whole.records(kind).len(),
                "{kind} after a kill at {fraction}"
            );
        }
        assert!(laptop.ok(&["check"]).contains("ok"), "killed at {fraction}");
    }
    eprintln!(
        "a first pull took {took:?} ({}); records found after each kill: {outcomes:?}",
        received.lines().next().unwrap_or_default()
    );
}
