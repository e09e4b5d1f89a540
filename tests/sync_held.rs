//! A refusal never deletes local data, and conflicts resolve in bulk: through the real
//! binary and a real `outpost serve` on 127.0.0.1.

mod sync_support;

use serde_json::Value;
use sync_support::{Laptop, ServerProc};

struct Team {
    _server: ServerProc,
    _t: tempfile::TempDir,
    anna: Laptop,
    boss: Laptop,
}

fn team() -> Team {
    team_on(None)
}

fn team_on(database: Option<&str>) -> Team {
    let t = sync_support::temp();
    let server = ServerProc::start(&t.path().join("server"), "127.0.0.1:0", database);
    let (ta, tm) = (server.add_user("anna", "rep"), server.add_user("boss", "manager"));
    server.add_user("ben", "rep");
    let (anna, boss) = (Laptop::new(&t, "anna"), Laptop::new(&t, "boss"));
    anna.login(&server.url, &ta);
    boss.login(&server.url, &tm);
    Team {
        _t: t,
        _server: server,
        anna,
        boss,
    }
}

fn array(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        other => panic!("expected an array, got {other}"),
    }
}

fn open_conflicts(l: &Laptop) -> Vec<Value> {
    array(l.json(&["conflicts", "list"]))
}

fn held(l: &Laptop) -> Vec<Value> {
    open_conflicts(l).into_iter().filter(|c| c["kind"] == "held").collect()
}

fn names(l: &Laptop, kind: &str) -> Vec<String> {
    let mut n: Vec<String> = l
        .records(kind)
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_string())
        .collect();
    n.sort();
    n
}

fn status_held(l: &Laptop) -> u64 {
    l.json(&["sync", "status"])["held"].as_u64().expect("held count")
}

#[test]
fn a_refused_create_stays_held_until_fixed_or_discarded() {
    held_until_fixed_or_discarded(&team());
}

#[test]
fn a_refused_create_stays_held_until_fixed_or_discarded_on_postgres() {
    let Some(db) = sync_support::PgDb::create("held") else {
        return;
    };
    held_until_fixed_or_discarded(&team_on(Some(&db.url)));
}

fn held_until_fixed_or_discarded(tm: &Team) {
    tm.anna.ok(&[
        "account",
        "add",
        "--name",
        "Nordic Paper AB",
        "--city",
        "Umeå",
        "--owner",
        "ben",
    ]);
    tm.anna.ok(&["account", "add", "--name", "Scrap Co", "--owner", "ben"]);
    tm.anna.ok(&["account", "add", "--name", "Own AB"]);
    let out = tm.anna.run(&["sync"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2 record(s) held"), "{err}");
    assert!(!err.contains("put back"), "{err}");
    assert!(err.contains("outpost conflicts list"), "{err}");

    // Nothing was deleted: the rep's records are all here, as written.
    assert_eq!(names(&tm.anna, "accounts"), ["Nordic Paper AB", "Own AB", "Scrap Co"]);
    let nordic = tm
        .anna
        .records("accounts")
        .into_iter()
        .find(|r| r["name"] == "Nordic Paper AB")
        .expect("nordic");
    assert_eq!(
        (nordic["city"].as_str(), nordic["owner"].as_str()),
        (Some("Umeå"), Some("ben"))
    );
    let h = held(&tm.anna);
    assert_eq!(h.len(), 2, "{h:?}");
    assert!(
        h.iter()
            .all(|c| c["reason"].as_str().is_some_and(|r| r.contains("ben"))),
        "{h:?}"
    );
    assert_eq!(status_held(&tm.anna), 2);
    let table = tm.anna.ok(&["conflicts", "list"]);
    assert!(table.contains("held") && table.contains("Nordic Paper AB"), "{table}");
    let show = tm.anna.ok(&["account", "show", "Nordic Paper AB"]);
    assert!(show.starts_with("HELD:") && show.contains("ben"), "{show}");
    let shown = tm.anna.json(&["account", "show", "Nordic Paper AB"]);
    let reason = shown[0]["held"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("ben"), "{shown}");

    // Another sync keeps them (unchanged, they are not even sent again).
    tm.anna.sync();
    assert_eq!(names(&tm.anna, "accounts").len(), 3);
    assert_eq!(status_held(&tm.anna), 2);
    assert_eq!(held(&tm.anna).len(), 2, "one open held conflict per record");

    // The server has only the account it accepted.
    tm.boss.sync();
    assert_eq!(names(&tm.boss, "accounts"), ["Own AB"]);

    // The rep fixes one (takes ownership) and syncs: it reaches the server.
    tm.anna.ok(&["account", "edit", "Nordic Paper AB", "--owner", "anna"]);
    tm.anna.sync();
    assert_eq!(status_held(&tm.anna), 1);
    let h = held(&tm.anna);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["title"], "Scrap Co");
    let show = tm.anna.ok(&["account", "show", "Nordic Paper AB"]);
    assert!(!show.contains("HELD"), "{show}");
    assert!(
        tm.anna.json(&["account", "show", "Nordic Paper AB"])[0]
            .get("held")
            .is_none()
    );
    tm.boss.sync();
    assert_eq!(names(&tm.boss, "accounts"), ["Nordic Paper AB", "Own AB"]);
    let on_boss = tm
        .boss
        .records("accounts")
        .into_iter()
        .find(|r| r["name"] == "Nordic Paper AB")
        .expect("nordic on boss");
    assert_eq!(
        (on_boss["city"].as_str(), on_boss["owner"].as_str()),
        (Some("Umeå"), Some("anna"))
    );

    // Only --discard trashes the other one; --keep theirs is a usage error.
    let scrap = h[0]["id"].as_str().expect("id").to_string();
    let out = tm.anna.run(&["conflicts", "resolve", &scrap, "--keep", "theirs"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--discard"));
    tm.anna.sync();
    assert_eq!(names(&tm.anna, "accounts").len(), 3, "sync never trashes a held record");
    tm.anna.ok(&["conflicts", "resolve", &scrap, "--discard"]);
    assert_eq!(names(&tm.anna, "accounts"), ["Nordic Paper AB", "Own AB"]);
    assert!(tm.anna.ok(&["trash", "list"]).contains("Scrap Co"));
    assert_eq!(status_held(&tm.anna), 0);
    let out = tm.anna.run(&["sync"]);
    assert!(out.status.success());
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("held"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(open_conflicts(&tm.anna).is_empty(), "{:?}", open_conflicts(&tm.anna));
    assert_eq!(status_held(&tm.anna), 0);
    tm.boss.sync();
    assert_eq!(names(&tm.boss, "accounts"), ["Nordic Paper AB", "Own AB"]);
}

#[test]
fn discard_applies_only_to_held_records() {
    let tm = team();
    tm.anna.ok(&["account", "add", "--name", "Own AB", "--city", "Berlin"]);
    tm.anna.sync();
    tm.boss.sync();
    tm.boss.ok(&["account", "edit", "Own AB", "--city", "Paris"]);
    tm.anna.ok(&["account", "edit", "Own AB", "--city", "Rome"]);
    tm.boss.sync();
    tm.anna.sync();
    let c = open_conflicts(&tm.anna);
    assert_eq!(c.len(), 1, "{c:?}");
    let id = c[0]["id"].as_str().expect("id");
    let out = tm.anna.run(&["conflicts", "resolve", id, "--discard"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a held record"));
    assert_eq!(open_conflicts(&tm.anna).len(), 1, "nothing changed");
}

#[test]
fn bulk_resolution_takes_kind_and_entity_filters() {
    let tm = team();
    tm.anna.ok(&["account", "add", "--name", "Own AB", "--city", "Berlin"]);
    tm.anna.ok(&[
        "contact",
        "add",
        "--first",
        "Eva",
        "--last",
        "Berg",
        "--account",
        "Own AB",
        "--title",
        "CFO",
    ]);
    tm.anna.sync();
    tm.boss.sync();
    tm.boss.ok(&["account", "edit", "Own AB", "--city", "Paris"]);
    tm.boss.ok(&["contact", "edit", "Eva Berg", "--title", "CEO"]);
    tm.anna.ok(&["account", "edit", "Own AB", "--city", "Rome"]);
    tm.anna.ok(&["contact", "edit", "Eva Berg", "--title", "CTO"]);
    tm.boss.sync();
    let (_, _, conflicts) = tm.anna.sync();
    assert_eq!(conflicts, 2);

    let out = tm
        .anna
        .ok(&["conflicts", "resolve", "--all", "--kind", "delete", "--keep", "mine"]);
    assert!(out.contains("Resolved 0 conflict(s)"), "{out}");
    let out = tm
        .anna
        .ok(&["conflicts", "resolve", "--all", "--entity", "contact", "--keep", "mine"]);
    assert!(out.contains("Resolved 1 conflict(s)"), "{out}");
    let left = open_conflicts(&tm.anna);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["entity"], "account");
    let done = tm
        .anna
        .json(&["conflicts", "resolve", "--all", "--kind", "edit", "--keep", "theirs"]);
    assert_eq!(done["resolved"], 1);
    assert!(open_conflicts(&tm.anna).is_empty());

    tm.anna.sync();
    tm.boss.sync();
    for l in [&tm.anna, &tm.boss] {
        assert_eq!(l.records("accounts")[0]["city"], "Paris");
        assert_eq!(l.records("contacts")[0]["title"], "CTO");
    }
    let usage = tm
        .anna
        .run(&["conflicts", "resolve", "--kind", "edit", "--keep", "mine"]);
    assert_eq!(usage.status.code(), Some(2), "--kind needs --all");
}

fn cursor(l: &Laptop) -> u64 {
    l.json(&["sync", "status"])["cursor"].as_u64().expect("cursor")
}

fn held_id(l: &Laptop) -> String {
    let h = held(l);
    assert_eq!(h.len(), 1, "{h:?}");
    h[0]["id"].as_str().expect("id").to_string()
}

#[test]
fn an_unchanged_held_record_is_not_sent_again() {
    unchanged_held_is_quiet(&team());
}

#[test]
fn an_unchanged_held_record_is_not_sent_again_on_postgres() {
    let Some(db) = sync_support::PgDb::create("held_quiet") else {
        return;
    };
    unchanged_held_is_quiet(&team_on(Some(&db.url)));
}

fn unchanged_held_is_quiet(tm: &Team) {
    tm.anna.ok(&["account", "add", "--name", "Held2", "--owner", "ben"]);
    let (sent, _, _) = tm.anna.sync();
    assert_eq!(sent, 1);
    let first = held_id(&tm.anna);
    let head = cursor(&tm.anna);

    // Unchanged, it is not sent again: nothing sent, the server log does not grow, and
    // the held conflict keeps its id.
    for _ in 0..3 {
        let out = tm.anna.run(&["sync"]);
        assert!(out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("1 record(s) held"), "still reported: {err}");
        let line = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or_default()
            .to_string();
        assert!(line.starts_with("sent 0"), "{line} {err}");
        assert_eq!(cursor(&tm.anna), head, "the server log did not grow");
        assert_eq!(held_id(&tm.anna), first);
        assert_eq!(status_held(&tm.anna), 1);
    }
    let table = tm.anna.ok(&["conflicts", "list", "--all"]);
    assert_eq!(table.matches("held").count(), 1, "one held conflict, ever: {table}");

    // An edit makes the next sync send it again (the edit, then the record), refused
    // again under the same conflict; then it is quiet again.
    tm.anna.ok(&["account", "edit", "Held2", "--city", "Oslo"]);
    let (sent, _, _) = tm.anna.sync();
    assert_eq!(sent, 2, "the edit and the re-sent record");
    assert_eq!(held_id(&tm.anna), first);
    let head = cursor(&tm.anna);
    assert_eq!(tm.anna.sync().0, 0);
    assert_eq!(cursor(&tm.anna), head);

    // --retry-held sends it again on demand.
    let out = tm.anna.ok(&["sync", "--retry-held"]);
    assert!(out.lines().last().unwrap_or_default().starts_with("sent 1"), "{out}");
    assert_eq!(held_id(&tm.anna), first);
    assert_eq!(tm.anna.sync().0, 0);

    // A change to the server's users may change the answer: the sync after the one that
    // pulled it sends the record again.
    tm._server.add_user("kenji", "rep");
    assert_eq!(tm.anna.sync().0, 0, "this sync pulls the new user");
    assert_eq!(tm.anna.sync().0, 1, "and the next one tries again");
    assert_eq!(tm.anna.sync().0, 0);
    assert_eq!(held_id(&tm.anna), first);

    // Fixed, it reaches the server; its conflict is settled and its id refused.
    tm.anna.ok(&["account", "edit", "Held2", "--owner", "anna"]);
    tm.anna.sync();
    assert_eq!(status_held(&tm.anna), 0);
    for how in [&["--keep", "mine"][..], &["--discard"][..]] {
        let mut argv = vec!["conflicts", "resolve", first.as_str()];
        argv.extend_from_slice(how);
        let out = tm.anna.run(&argv);
        assert_eq!(out.status.code(), Some(3), "{argv:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("settled"), "{err}");
    }
    assert_eq!(names(&tm.anna, "accounts"), ["Held2"], "nothing was trashed");
    tm.boss.sync();
    assert_eq!(names(&tm.boss, "accounts"), ["Held2"]);
}

#[test]
fn children_of_a_held_record_are_held_and_go_with_it() {
    held_family(&team());
}

#[test]
fn children_of_a_held_record_are_held_and_go_with_it_on_postgres() {
    let Some(db) = sync_support::PgDb::create("held_family") else {
        return;
    };
    held_family(&team_on(Some(&db.url)));
}

fn held_family(tm: &Team) {
    tm.anna.ok(&["account", "add", "--name", "Held Co", "--owner", "ben"]);
    tm.anna
        .ok(&["contact", "add", "--first", "A", "--last", "B", "--account", "Held Co"]);
    tm.anna
        .ok(&["opp", "add", "--name", "D", "--account", "Held Co", "--amount", "100"]);
    tm.anna.ok(&["account", "add", "--name", "Gone Co", "--owner", "ben"]);
    tm.anna
        .ok(&["contact", "add", "--first", "C", "--last", "D", "--account", "Gone Co"]);
    let (sent, _, _) = tm.anna.sync();
    assert_eq!(sent, 5);
    assert_eq!(status_held(&tm.anna), 5, "the children are held with their parents");
    let h = held(&tm.anna);
    let child = h.iter().find(|c| c["title"] == "A B").expect("held contact");
    assert!(
        child["reason"]
            .as_str()
            .is_some_and(|r| r.contains("its account is not on the server")),
        "{child}"
    );
    assert_eq!(tm.anna.records("contacts").len(), 2, "kept as written");

    // Nothing dangles on the manager's laptop.
    tm.boss.sync();
    assert!(tm.boss.records("contacts").is_empty());
    assert!(tm.boss.records("opportunities").is_empty());
    let out = tm.boss.run(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    // Unchanged, nothing is sent again.
    assert_eq!(tm.anna.sync().0, 0);

    // Discarding a parent that held records link to needs --cascade.
    let gone = h
        .iter()
        .find(|c| c["title"] == "Gone Co")
        .and_then(|c| c["id"].as_str())
        .expect("gone")
        .to_string();
    let out = tm.anna.run(&["conflicts", "resolve", &gone, "--discard"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--cascade") && err.contains("contact"), "{err}");
    assert_eq!(status_held(&tm.anna), 5, "nothing was discarded");
    let out = tm.anna.ok(&["conflicts", "resolve", &gone, "--discard", "--cascade"]);
    assert!(out.contains("1 held record(s) linking to it"), "{out}");
    assert_eq!(status_held(&tm.anna), 3);
    let trash = tm.anna.ok(&["trash", "list"]);
    assert!(trash.contains("Gone Co") && trash.contains("C D"), "{trash}");

    // The parent is fixed: one sync brings the whole family across, parents first.
    tm.anna.ok(&["account", "edit", "Held Co", "--owner", "anna"]);
    tm.anna.sync();
    assert_eq!(status_held(&tm.anna), 0);
    assert!(held(&tm.anna).is_empty());
    tm.boss.sync();
    assert_eq!(names(&tm.boss, "accounts"), ["Held Co"]);
    assert_eq!(tm.boss.records("contacts").len(), 1);
    assert_eq!(tm.boss.records("opportunities").len(), 1);
    let out = tm.boss.run(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_settled_edit_conflict_is_not_resolved_again() {
    let tm = team();
    tm.anna.ok(&["account", "add", "--name", "Own AB", "--city", "Berlin"]);
    tm.anna.sync();
    tm.boss.sync();
    tm.boss.ok(&["account", "edit", "Own AB", "--city", "Paris"]);
    tm.anna.ok(&["account", "edit", "Own AB", "--city", "Rome"]);
    tm.boss.sync();
    tm.anna.sync();
    let c = open_conflicts(&tm.anna);
    assert_eq!(c.len(), 1, "{c:?}");
    let id = c[0]["id"].as_str().expect("id").to_string();
    // Writing the field again settles it; resolving it would write a stale value.
    tm.anna.ok(&["account", "edit", "Own AB", "--city", "Oslo"]);
    assert!(open_conflicts(&tm.anna).is_empty());
    let out = tm.anna.run(&["conflicts", "resolve", &id, "--keep", "theirs"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("settled"));
    assert_eq!(tm.anna.records("accounts")[0]["city"], "Oslo", "nothing was written");
}

/// An edit written while the laptop's clock ran days ahead is refused for its time; the
/// next sync, with the clock right, sets the clock back and sends the edit again with
/// the time now, in the same sync: the server and the other laptops get it, and no
/// refused conflict is left open. (Needs `faketime`, which `.ci/run` installs.)
#[test]
fn an_edit_made_while_the_clock_ran_ahead_is_sent_again_once_it_is_right() {
    let faketime_there = std::process::Command::new("faketime")
        .args(["+0 days", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !faketime_there {
        eprintln!("skipped: faketime is not installed (apt-get install faketime)");
        return;
    }
    let t = team();
    t.anna.ok(&["account", "add", "--name", "Acme GmbH", "--owner", "anna"]);
    t.anna.ok(&[
        "opp",
        "add",
        "--name",
        "Acme pilot",
        "--account",
        "Acme GmbH",
        "--owner",
        "anna",
        "--amount",
        "1000",
        "--close",
        "2027-03-01",
    ]);
    t.anna.sync();
    t.boss.sync();
    let ahead = |args: &[&str]| {
        let out = std::process::Command::new("faketime")
            .arg("+3 days")
            .arg(env!("CARGO_BIN_EXE_outpost"))
            .arg("--data-dir")
            .arg(&t.anna.dir)
            .args(args)
            .env("TZ", "UTC")
            .env("NO_COLOR", "1")
            .output()
            .expect("faketime");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    t.anna.ok(&["account", "add", "--name", "Shared AB", "--owner", "anna"]);
    t.anna.sync();
    t.boss.sync();
    ahead(&["account", "edit", "Acme GmbH", "--industry", "Robotics"]);
    ahead(&["opp", "move", "Acme pilot", "Proposal"]);
    // The boss changes this one after anna's edit (ahead) was made: his value must not
    // be overwritten by anna's sent again, and the two stay a conflict to decide.
    ahead(&["account", "edit", "Shared AB", "--city", "Malmö"]);
    t.boss.ok(&["account", "edit", "Shared AB", "--city", "Lund"]);
    t.boss.sync();
    let out = t.anna.run(&["sync"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let industry = |l: &Laptop| t_industry(l);
    assert_eq!(industry(&t.anna), "Robotics", "the laptop keeps the edit");
    let open: Vec<Value> = open_conflicts(&t.anna);
    assert_eq!(open.len(), 1, "only the city the boss changed since: {open:?}");
    assert_eq!(open[0]["field"], "city");
    let city = |l: &Laptop| l.json(&["account", "show", "Shared AB"])[0]["city"].clone();
    assert_eq!(city(&t.anna), "Lund", "the boss's later value stands");
    let opp = |l: &Laptop| l.json(&["opp", "show", "Acme pilot"])[0].clone();
    assert_eq!(opp(&t.anna)["stage"], "Proposal");
    // One move into Proposal, at the time now: not also one dated three days ahead.
    let history = opp(&t.anna)["stage_history"].clone();
    let entered: Vec<&Value> = history
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["stage"] == "Proposal")
        .collect();
    assert_eq!(entered.len(), 1, "{history}");
    let at = chrono::DateTime::parse_from_rfc3339(entered[0]["at"].as_str().expect("at")).expect("time");
    assert!(at <= chrono::Utc::now() + chrono::Duration::minutes(5), "{history}");
    t.boss.sync();
    assert_eq!(industry(&t.boss), "Robotics", "the server has it");
    assert_eq!(opp(&t.boss)["stage"], "Proposal");
    assert_eq!(opp(&t.boss)["stage_history"], history);
    assert_eq!(city(&t.boss), "Lund");
}

fn t_industry(l: &Laptop) -> String {
    l.json(&["account", "show", "Acme GmbH"])[0]["industry"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
