//! The server trusts nobody (issue 14): a hostile or buggy laptop pushes clocks far in the
//! future, records the model refuses, field names with NUL bytes, and records too large
//! to send. Each case drives the real binary and a real `outpost serve` on 127.0.0.1,
//! over sled and PostgreSQL, and asserts the answer (status, refusal and its reason) and
//! that no other replica's data changed.

mod sync_support;

use serde_json::{Value, json};
use sync_support::{Laptop, PgDb, ServerProc};

/// Sends a push body with a token; returns the status and the JSON answer.
fn push(url: &str, token: &str, body: &Value) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut resp = agent
        .post(&format!("{url}/v1/push"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .expect("push");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The refusal reasons the server logged for `replica`'s changes, by sequence number.
fn refusals(url: &str, token: &str, replica: &str) -> Vec<(u64, String)> {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let text = agent
        .get(&format!("{url}/v1/pull?replica={replica}&after=0&limit=2000"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("pull")
        .body_mut()
        .read_to_string()
        .expect("body");
    let page: Value = serde_json::from_str(&text).expect("json");
    page["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["change"]["replica"] == replica)
        .filter_map(|e| {
            let reason = e["refused"]["reason"].as_str()?;
            Some((e["change"]["seq"].as_u64().unwrap_or(0), reason.to_string()))
        })
        .collect()
}

/// A hostile replica: its own id and sequence numbers, and bob's token.
struct Hostile {
    replica: String,
    seq: u64,
}

impl Hostile {
    fn new(n: u64) -> Self {
        Self {
            replica: format!("{:016x}", 0xbad0_0000_u64 + n),
            seq: 0,
        }
    }

    fn now_ms() -> u64 {
        u64::try_from(chrono::Utc::now().timestamp_millis()).expect("time")
    }

    /// A change with clock `hlc` (`None`: now) creating a record.
    fn create(&mut self, entity: &str, fields: Value, hlc: Option<String>) -> Value {
        self.seq += 1;
        let hlc = hlc.unwrap_or_else(|| format!("{:013}.00000.{}", Self::now_ms(), self.replica));
        json!({
            "replica": self.replica, "seq": self.seq, "hlc": hlc, "entity": entity,
            "id": uuid::Uuid::now_v7().to_string(), "op": "create", "fields": fields,
        })
    }

    fn body(&self, changes: Vec<Value>) -> Value {
        json!({ "replica": self.replica, "changes": changes })
    }
}

struct Team {
    _t: tempfile::TempDir,
    server: ServerProc,
    anna: Laptop,
    anna_token: String,
    bob_token: String,
    fresh: Laptop,
    t2: tempfile::TempDir,
}

fn team(db: Option<&str>) -> Team {
    let t = sync_support::temp();
    let server = ServerProc::start(&t.path().join("srv"), "127.0.0.1:0", db);
    let anna_token = server.add_user("anna", "rep");
    let bob_token = server.add_user("bob", "rep");
    let anna = Laptop::new(&t, "anna");
    anna.login(&server.url, &anna_token);
    let t2 = sync_support::temp();
    let fresh = Laptop::new(&t2, "fresh");
    Team {
        _t: t,
        server,
        anna,
        anna_token,
        bob_token,
        fresh,
        t2,
    }
}

fn everything(l: &Laptop) -> Vec<Value> {
    ["accounts", "contacts", "opps", "events"]
        .iter()
        .flat_map(|k| l.records(k))
        .collect()
}

#[test]
fn hostile_pushes_are_refused_with_reasons_on_sled() {
    hostile_pushes_are_refused_with_reasons(None);
}

#[test]
fn hostile_pushes_are_refused_with_reasons_on_postgres() {
    let Some(db) = PgDb::create("validation") else {
        return;
    };
    hostile_pushes_are_refused_with_reasons(Some(&db.url));
}

fn hostile_pushes_are_refused_with_reasons(db: Option<&str>) {
    let tm = team(db);
    let url = tm.server.url.clone();
    tm.anna.ok(&["account", "add", "--name", "Acme", "--city", "One"]);
    let acme = tm.anna.records("accounts")[0]["id"].as_str().expect("id").to_string();
    tm.anna.sync();
    let before = everything(&tm.anna);

    // 1. Clock poisoning: a saturated clock, and a wall time in 2286.
    let mut h = Hostile::new(1);
    let poison = format!("18446744073709551615.4294967295.{}", h.replica);
    let future = format!("9999999999999.00000.{}", h.replica);
    let changes = vec![
        h.create("account", json!({"name": "Poison", "owner": "bob"}), Some(poison)),
        h.create("account", json!({"name": "Future", "owner": "bob"}), Some(future)),
    ];
    let (status, answer) = push(&url, &tm.bob_token, &h.body(changes));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (answer["accepted"].as_u64(), answer["refused"].as_u64()),
        (Some(0), Some(2)),
        "{answer}"
    );
    let why = refusals(&url, &tm.bob_token, &h.replica);
    assert_eq!(why.len(), 2, "{why:?}");
    assert!(why[0].1.contains("counter above"), "{why:?}");
    assert!(
        why[1].1.contains("2286-11-20") && why[1].1.contains("ahead of the server"),
        "{why:?}"
    );

    // 2. Records the model refuses, each alone, each naming the field.
    let mut h = Hostile::new(2);
    let account = json!({"name": "Bob's", "owner": "bob"});
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "contact",
            json!({"first_name": "", "last_name": "X", "owner": "bob"}),
            "first_name",
        ),
        (
            "contact",
            json!({"first_name": "A", "last_name": "B", "emails": ["not an email"], "owner": "bob"}),
            "emails",
        ),
        (
            "contact",
            json!({"first_name": "A\u{0}", "last_name": "B", "owner": "bob"}),
            "first_name",
        ),
        ("account", json!({"name": "Line\nbreak", "owner": "bob"}), "name"),
        (
            "account",
            json!({"name": "Nul field", "ci\u{0}ty": "x", "owner": "bob"}),
            "field name",
        ),
        (
            "account",
            json!({"name": "Extra", "shoe_size": 44, "owner": "bob"}),
            "shoe_size",
        ),
        (
            "opportunity",
            json!({"name": "Neg", "account_id": "ACC", "amount": "-5.00", "owner": "bob"}),
            "amount",
        ),
        (
            "opportunity",
            json!({"name": "Stage", "account_id": "ACC", "stage": "NoSuchStage", "owner": "bob"}),
            "stage",
        ),
        (
            "opportunity",
            json!({"name": "Prob", "account_id": "ACC", "probability": 900, "owner": "bob"}),
            "probability",
        ),
        (
            "opportunity",
            json!({"name": "Cur", "account_id": "ACC", "currency": "XXX", "owner": "bob"}),
            "currency",
        ),
        (
            "event",
            json!({"title": "Backwards", "start": "2026-05-02T10:00:00Z", "end": "2026-05-01T10:00:00Z"}),
            "end",
        ),
        (
            "account",
            json!({"name": "x".repeat(70 * 1024), "owner": "bob"}),
            "name",
        ),
        // A move a rep says another user made (a login, in any case).
        (
            "opportunity",
            json!({"name": "Forged", "account_id": "ACC", "owner": "bob", "stage": "Prospecting",
                   "stage_history": {"01a00000-0000-7000-8000-000000000002":
                       {"stage": "Prospecting", "at": "2026-01-01T00:00:00Z", "by": "ANNA"}}}),
            "says 'ANNA' moved the deal",
        ),
    ];
    let parent = h.create("account", account, None);
    let parent_id = parent["id"].as_str().expect("id").to_string();
    let mut changes = vec![parent];
    for (entity, fields, _) in &cases {
        let text = fields.to_string().replace("\"ACC\"", &format!("\"{parent_id}\""));
        changes.push(h.create(entity, serde_json::from_str(&text).expect("json"), None));
    }
    let (status, answer) = push(&url, &tm.bob_token, &h.body(changes));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["accepted"].as_u64(), Some(1), "only the valid parent: {answer}");
    assert_eq!(answer["refused"].as_u64(), Some(cases.len() as u64), "{answer}");
    let why = refusals(&url, &tm.bob_token, &h.replica);
    assert_eq!(why.len(), cases.len(), "{why:?}");
    for ((_, fields, field), (_, reason)) in cases.iter().zip(&why) {
        let shown = if *field == "field name" {
            "not a field name"
        } else {
            field
        };
        assert!(reason.contains(shown), "{fields}: {reason}");
    }

    // 3. A set that breaks a record the server holds is refused too.
    let mut h3 = Hostile::new(3);
    h3.seq = 0;
    let anna_replica = "00000000000aaaa3";
    let set = json!({
        "replica": anna_replica, "seq": 1,
        "hlc": format!("{:013}.00000.{anna_replica}", Hostile::now_ms()),
        "entity": "account", "id": acme, "op": "set", "field": "name", "value": "", "base": null,
    });
    let (status, answer) = push(
        &url,
        &tm.anna_token,
        &json!({"replica": anna_replica, "changes": [set]}),
    );
    assert_eq!((status, answer["refused"].as_u64()), (200, Some(1)), "{answer}");
    assert!(
        refusals(&url, &tm.anna_token, anna_replica)[0]
            .1
            .contains("name: must not be empty")
    );

    // 4. A field name the sync keeps for itself (`_deleted`, `_created`), in a create as
    // in a set, makes the push malformed: refused whole (422), nothing written.
    let mut h4 = Hostile::new(4);
    let create = h4.create(
        "account",
        json!({"name": "Ghost", "owner": "bob", "_deleted": true}),
        None,
    );
    let mut set = h4.create("account", json!({"name": "Plain", "owner": "bob"}), None);
    set["op"] = json!("set");
    set["field"] = json!("_created");
    set["value"] = json!("x");
    set["base"] = Value::Null;
    for change in [create, set] {
        let mut change = change;
        change["seq"] = json!(1);
        let (status, answer) = push(&url, &tm.bob_token, &h4.body(vec![change]));
        assert_eq!(status, 422, "{answer}");
        assert!(
            answer.to_string().contains("is not a field name"),
            "the answer names the field: {answer}"
        );
    }

    // Nobody else's data changed: anna receives only bob's valid account, and a fresh
    // laptop gets exactly what anna has.
    tm.anna.sync();
    let after = everything(&tm.anna);
    let new: Vec<&Value> = after.iter().filter(|r| !before.contains(r)).collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0]["name"], "Bob's");
    tm.fresh.login(&url, &tm.anna_token);
    tm.fresh.sync();
    assert_eq!(everything(&tm.fresh), after);
    drop(tm.t2);
}

#[test]
fn a_poisoned_clock_moves_nobody_and_the_last_edit_wins_on_sled() {
    a_poisoned_clock_moves_nobody_and_the_last_edit_wins(None);
}

#[test]
fn a_poisoned_clock_moves_nobody_and_the_last_edit_wins_on_postgres() {
    let Some(db) = PgDb::create("poison") else {
        return;
    };
    a_poisoned_clock_moves_nobody_and_the_last_edit_wins(Some(&db.url));
}

fn a_poisoned_clock_moves_nobody_and_the_last_edit_wins(db: Option<&str>) {
    let tm = team(db);
    let url = tm.server.url.clone();
    tm.anna.ok(&["account", "add", "--name", "Acme", "--city", "One"]);
    tm.anna.sync();
    // The hostile laptop pushes a record of its own with a clock in 2286, which every
    // replica pulling it used to adopt.
    let mut h = Hostile::new(9);
    let future = format!("9999999999999.00000.{}", h.replica);
    let c = h.create("account", json!({"name": "Poison", "owner": "bob"}), Some(future));
    let (status, answer) = push(&url, &tm.bob_token, &h.body(vec![c]));
    assert_eq!((status, answer["refused"].as_u64()), (200, Some(1)), "{answer}");
    tm.anna.sync();
    tm.anna.ok(&["account", "edit", "Acme", "--city", "Two"]);
    tm.anna.sync();
    tm.anna.ok(&["account", "edit", "Acme", "--city", "Three"]);
    tm.anna.sync();
    tm.fresh.login(&url, &tm.bob_token);
    tm.fresh.sync();
    let accounts = tm.fresh.records("accounts");
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    assert_eq!(accounts[0]["city"], "Three", "the second edit wins everywhere");
    // New records are stamped with today's date, not 2286.
    tm.fresh.ok(&["account", "add", "--name", "Later"]);
    let later = tm
        .fresh
        .records("accounts")
        .into_iter()
        .find(|a| a["name"] == "Later")
        .expect("later");
    let created = later["created_at"].as_str().unwrap_or_default().to_string();
    let year = chrono::Utc::now().format("%Y").to_string();
    assert!(created.starts_with(&year), "{later}");
}

#[test]
fn a_record_too_large_to_send_is_held_and_sync_goes_on_on_sled() {
    a_record_too_large_to_send_is_held_and_sync_goes_on(None);
}

#[test]
fn a_record_too_large_to_send_is_held_and_sync_goes_on_on_postgres() {
    let Some(db) = PgDb::create("toolarge") else {
        return;
    };
    a_record_too_large_to_send_is_held_and_sync_goes_on(Some(&db.url));
}

fn a_record_too_large_to_send_is_held_and_sync_goes_on(db: Option<&str>) {
    let tm = team(db);
    let url = tm.server.url.clone();
    // Written before the limits existed: a backup whose contact has a 9 MB last name.
    let old = Laptop::new(&tm.t2, "old");
    old.ok(&["contact", "add", "--first", "Big", "--last", "SHORT"]);
    let file = tm.t2.path().join("old.ndjson");
    old.ok(&["backup", file.to_str().expect("path")]);
    let huge = "L".repeat(9 * 1024 * 1024);
    let text = std::fs::read_to_string(&file)
        .expect("backup")
        .replace("\"SHORT\"", &format!("\"{huge}\""));
    std::fs::write(&file, text).expect("write");
    let laptop = Laptop::new(&tm.t2, "restored");
    laptop.ok(&["restore", file.to_str().expect("path")]);
    laptop.login(&url, &tm.anna_token);
    // The laptop's own write path refuses the same size, naming the field (exit 3).
    let out = laptop.run(&["contact", "add", "--first", "A", "--last", &"y".repeat(70 * 1024)]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("last_name"), "{out:?}");
    laptop.ok(&["contact", "add", "--first", "Small", "--last", "One"]);
    let (sent, _, _) = laptop.sync();
    assert_eq!(sent, 2, "both changes leave the outbox");
    let status = laptop.json(&["sync", "status"]);
    assert_eq!(status["held"], 1, "{status}");
    assert_eq!(status["pending"].as_u64().unwrap_or(0), 0, "{status}");
    let held: Vec<Value> = laptop
        .json(&["conflicts", "list"])
        .as_array()
        .cloned()
        .unwrap_or_default();
    let reason = held[0]["reason"].as_str().unwrap_or_default().to_string();
    assert!(reason.contains("last_name") && reason.contains("too large"), "{held:?}");
    // Later changes go on syncing; the big record stays here as written.
    laptop.ok(&["contact", "add", "--first", "Later", "--last", "Two"]);
    laptop.sync();
    assert!(
        laptop
            .records("contacts")
            .iter()
            .any(|c| c["last_name"].as_str().is_some_and(|l| l.len() == huge.len()))
    );
    tm.fresh.login(&url, &tm.bob_token);
    tm.fresh.sync();
    let names: Vec<String> = tm
        .fresh
        .records("contacts")
        .iter()
        .map(|c| c["first_name"].to_string())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(!names.iter().any(|n| n.contains("Big")), "{names:?}");
}

#[test]
fn the_laptop_refuses_what_the_server_refuses() {
    let t = sync_support::temp();
    let l = Laptop::new(&t, "solo");
    for args in [
        vec!["account", "add", "--name", "Nordic\u{1}AB"],
        vec!["account", "add", "--name", "Two\nlines"],
        vec![
            "contact",
            "add",
            "--first",
            "A",
            "--last",
            "B",
            "--email",
            "not an email",
        ],
        vec!["account", "add", "--name", "Narnia Ltd", "--country", "Narnia"],
        vec!["event", "add", "--title", "Leap", "--start", "2026-06-30T23:59:60Z"],
        vec!["event", "add", "--title", "Zero", "--start", "0000-01-01 10:00"],
    ] {
        let out = l.run(&args);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {out:?}");
    }
    l.ok(&["account", "add", "--name", "Kenya Ltd", "--country", "Kenya"]);
    l.ok(&["account", "add", "--name", "Sverige AB", "--country", "se"]);
    let out = l.run(&[
        "opp",
        "add",
        "--name",
        "Zero",
        "--account",
        "Kenya Ltd",
        "--amount",
        "10",
        "--close",
        "0000-01-01",
    ]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("close"), "{out:?}");
    assert_eq!(l.records("accounts").len(), 2);
    assert!(l.records("events").is_empty());
}

/// An accounts file of an older version holds `ANNA` beside `anna`: `ANNA` never acts
/// as `anna`, a new login differing only in case is refused, and `server doctor`
/// reports it (exit 1) until it is dealt with.
#[test]
fn a_mixed_case_login_never_acts_as_the_lowercase_one() {
    let tm = team(None);
    let srv = tm.server.dir.clone();
    let zed = tm.server.add_user("zed", "rep");
    let out = sync_support::server_cmd(&srv, None, &["doctor"]);
    assert!(out.status.success(), "{out:?}");
    let file = srv.join("accounts.json");
    let text = std::fs::read_to_string(&file)
        .expect("accounts")
        .replace("\"zed\"", "\"ANNA\"");
    std::fs::write(&file, text).expect("write");
    let out = sync_support::server_cmd(&srv, None, &["doctor"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("ANNA") && shown.contains("not a valid login"), "{shown}");
    let out = sync_support::server_cmd(&srv, None, &["user", "add", "Anna"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");

    tm.anna.ok(&[
        "account", "add", "--name", "AnnaCo", "--city", "Oslo", "--owner", "anna",
    ]);
    tm.anna.sync();
    let before = everything(&tm.anna);
    let shouty = Laptop::new(&tm.t2, "shouty");
    shouty.login(&tm.server.url, &zed);
    shouty.sync();
    shouty.ok(&["account", "edit", "AnnaCo", "--city", "Taken"]);
    shouty.sync();
    let status = shouty.json(&["sync", "status"]);
    assert_eq!(status["pending"], 0, "{status}");
    assert_eq!(status["refused"], 1, "the edit was refused and put back: {status}");
    let back = shouty.records("accounts");
    assert_eq!(back[0]["city"], "Oslo", "{back:?}");
    tm.anna.sync();
    assert_eq!(everything(&tm.anna), before, "anna's record is unchanged");
}

#[test]
fn server_doctor_reports_mixed_case_logins_on_postgres() {
    let Some(db) = PgDb::create("doctor") else {
        return;
    };
    let t = sync_support::temp();
    let server = ServerProc::start(&t.path().join("srv"), "127.0.0.1:0", Some(&db.url));
    server.add_user("anna", "rep");
    let out = sync_support::server_cmd(&server.dir, Some(&db.url), &["doctor"]);
    assert!(out.status.success(), "{out:?}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(conn);
        client
            .batch_execute("INSERT INTO outpost_users (name, role, created_ms) VALUES ('Anna', 'rep', 0)")
            .await
            .expect("legacy user");
    });
    let out = sync_support::server_cmd(&server.dir, Some(&db.url), &["--format", "json", "doctor"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let found: Value = serde_json::from_slice(&out.stdout).expect("json");
    let logins: Vec<&str> = found
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|f| f["login"].as_str())
        .collect();
    assert!(logins.contains(&"Anna"), "{found}");
}

/// An `owner` must be a server user's login, exactly (issue 14): a push naming nobody, or
/// a mixed-case form of a login (`ANNA` for `anna`), is refused alone with the field named,
/// whoever pushes it; the laptop holds such a record as written; and the laptop itself
/// turns an owner typed in capitals into the login before it writes, so nothing typed is
/// lost and nothing is refused.
fn owners_must_be_server_logins(db: Option<&str>) {
    let tm = team(db);
    let url = tm.server.url.clone();
    let boss_token = tm.server.add_user("boss", "manager");
    tm.anna.ok(&["account", "add", "--name", "Acme", "--owner", "anna"]);
    tm.anna.sync();
    let acme = tm.anna.records("accounts")[0]["id"].as_str().expect("id").to_string();
    let before = everything(&tm.anna);

    // A manager may assign records to anyone, but only to someone who exists.
    let mut h = Hostile::new(20);
    let changes = vec![
        h.create("account", json!({"name": "Ghostly", "owner": "ghost"}), None),
        h.create("account", json!({"name": "Shouty", "owner": "ANNA"}), None),
        h.create("account", json!({"name": "Padded", "owner": " anna"}), None),
        h.create("account", json!({"name": "Fine", "owner": "anna"}), None),
        h.create("account", json!({"name": "Nobody's", "owner": ""}), None),
    ];
    let (status, answer) = push(&url, &boss_token, &h.body(changes));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (answer["accepted"].as_u64(), answer["refused"].as_u64()),
        (Some(2), Some(3)),
        "{answer}"
    );
    let why = refusals(&url, &boss_token, &h.replica);
    assert_eq!(why.iter().map(|w| w.0).collect::<Vec<_>>(), vec![1, 2, 3], "{why:?}");
    assert!(why.iter().all(|w| w.1.starts_with("owner: ")), "{why:?}");
    assert!(why[0].1.contains("'ghost' is not a user of this server"), "{why:?}");
    assert!(why[1].1.contains("did you mean 'anna'"), "{why:?}");

    // A rep cannot create or take records as a mixed-case form of their own login.
    let anna_replica = "00000000000aaa20";
    let hlc = || format!("{:013}.00000.{anna_replica}", Hostile::now_ms());
    let changes = vec![
        json!({"replica": anna_replica, "seq": 1, "hlc": hlc(), "entity": "account",
               "id": uuid::Uuid::now_v7().to_string(), "op": "create", "fields": {"name": "Mine?", "owner": "ANNA"}}),
        json!({"replica": anna_replica, "seq": 2, "hlc": hlc(), "entity": "account",
               "id": acme, "op": "set", "field": "owner", "value": "ANNA", "base": null}),
    ];
    let (status, answer) = push(
        &url,
        &tm.anna_token,
        &json!({"replica": anna_replica, "changes": changes}),
    );
    assert_eq!((status, answer["refused"].as_u64()), (200, Some(2)), "{answer}");
    let why = refusals(&url, &tm.anna_token, anna_replica);
    assert!(
        why.len() == 2 && why.iter().all(|w| w.1.starts_with("owner: ")),
        "{why:?}"
    );

    // Through the laptop: the owner typed in capitals becomes the login at write time.
    tm.anna.ok(&["account", "add", "--name", "Capitals", "--owner", "ANNA"]);
    tm.anna.ok(&["account", "edit", "Acme", "--owner", "Anna"]);
    let mine = tm.anna.records("accounts");
    assert!(mine.iter().all(|a| a["owner"] == "anna"), "{mine:?}");
    let (_, _, refused) = tm.anna.sync();
    assert_eq!(refused, 0);

    // A manager's laptop that wrote an owner nobody is before it logged in holds the
    // record as written, with the reason, and sends everything else.
    let boss = Laptop::new(&tm.t2, "boss");
    boss.ok(&["account", "add", "--name", "Phantom", "--owner", "ghost"]);
    boss.ok(&["account", "add", "--name", "Real", "--owner", "bob"]);
    boss.login(&url, &boss_token);
    boss.sync();
    let status = boss.json(&["sync", "status"]);
    assert_eq!(
        (status["held"].as_u64(), status["pending"].as_u64()),
        (Some(1), Some(0)),
        "{status}"
    );
    let held = boss.json(&["conflicts", "list"]).to_string();
    assert!(held.contains("owner") && held.contains("ghost"), "{held}");
    let phantom = boss.records("accounts").into_iter().find(|a| a["name"] == "Phantom");
    assert_eq!(
        phantom.map(|p| p["owner"].clone()),
        Some(json!("ghost")),
        "kept as written"
    );

    // Everyone else sees only what is valid.
    tm.anna.sync();
    let names: std::collections::BTreeSet<String> = tm
        .anna
        .records("accounts")
        .iter()
        .map(|a| a["name"].as_str().unwrap_or_default().to_string())
        .collect();
    let expected: std::collections::BTreeSet<String> = ["Acme", "Capitals", "Fine", "Nobody's", "Real"]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    assert_eq!(names, expected);
    assert!(
        tm.anna.records("accounts").iter().all(|a| a["owner"] != "ANNA"),
        "no ANNA anywhere"
    );
    assert_ne!(everything(&tm.anna), before);
}

#[test]
fn owners_must_be_server_logins_on_sled() {
    owners_must_be_server_logins(None);
}

#[test]
fn owners_must_be_server_logins_on_postgres() {
    let Some(db) = PgDb::create("owners") else {
        return;
    };
    owners_must_be_server_logins(Some(&db.url));
}

/// A method an endpoint does not take is answered like every other error: 405 with
/// the `Allow` header and a JSON body saying what is wrong.
#[test]
fn a_wrong_method_gets_a_json_error() {
    let tm = team(None);
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut resp = agent.get(&format!("{}/v1/push", tm.server.url)).call().expect("get");
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(resp.headers().get("allow").and_then(|v| v.to_str().ok()), Some("POST"));
    let body: Value = serde_json::from_str(&resp.body_mut().read_to_string().expect("body")).expect("json");
    assert_eq!(body["error"]["code"], "method_not_allowed", "{body}");
}
