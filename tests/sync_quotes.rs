//! Quotes between laptops through a real server: two laptops add lines to one draft
//! (both kept), a discount approval round trip between a rep and a manager, and every
//! change to a quote another laptop already sent (header, line edits, moves, removals,
//! new lines) surfacing in the inbox, on sled and on PostgreSQL (`OUTPOST_TEST_PG`).

mod sync_support;

use serde_json::Value;
use sync_support::{Laptop, PgDb, ServerProc};

fn show(l: &Laptop, q: &str) -> serde_json::Value {
    l.json(&["quote", "show", q])[0].clone()
}

/// A server, a rep (rita) and a manager (max), both logged in, with a deal and a product
/// made by rita and synced to max. Returns the quote number.
fn team(t: &tempfile::TempDir) -> (ServerProc, Laptop, Laptop, String) {
    team_on(t, None)
}

/// [`team`] on a server storing in `database` (PostgreSQL) or, with `None`, in sled.
fn team_on(t: &tempfile::TempDir, database: Option<&str>) -> (ServerProc, Laptop, Laptop, String) {
    let server = ServerProc::start(&t.path().join("server"), "127.0.0.1:0", database);
    let (tr, tm) = (server.add_user("rita", "rep"), server.add_user("max", "manager"));
    let rita = Laptop::new(t, "rita");
    let max = Laptop::new(t, "max");
    std::fs::create_dir_all(&rita.dir).expect("dir");
    std::fs::write(
        rita.dir.join("config.toml"),
        "[quotes]\ndiscount_limits = { rep = 15 }\n",
    )
    .expect("config");
    rita.login(&server.url, &tr);
    max.login(&server.url, &tm);
    rita.ok(&["account", "add", "--name", "Łódź Logistics"]);
    rita.ok(&[
        "opp",
        "add",
        "--name",
        "Fleet",
        "--account",
        "Łódź Logistics",
        "--amount",
        "1",
    ]);
    rita.ok(&[
        "product", "add", "--sku", "GW-1", "--name", "Gateway", "--price", "100", "--tax", "23",
    ]);
    let q = rita.json(&["quote", "add", "--opp", "Fleet"])["number"]
        .as_str()
        .expect("number")
        .to_string();
    rita.sync();
    max.sync();
    (server, rita, max, q)
}

#[test]
fn two_laptops_add_lines_to_one_draft_and_both_stay() {
    both_lines_stay(None);
}

#[test]
fn two_laptops_add_lines_to_one_draft_and_both_stay_on_postgres() {
    let Some(db) = PgDb::create("both_lines") else {
        return;
    };
    both_lines_stay(Some(&db.url));
}

fn both_lines_stay(database: Option<&str>) {
    let t = sync_support::temp();
    let (_server, rita, max, q) = team_on(&t, database);
    rita.ok(&[
        "quote",
        "line-add",
        &q,
        "--product",
        "GW-1",
        "--qty",
        "2",
        "--description",
        "Rita's",
    ]);
    max.ok(&[
        "quote",
        "line-add",
        &q,
        "--product",
        "GW-1",
        "--qty",
        "3",
        "--description",
        "Max's",
    ]);
    rita.sync();
    max.sync();
    rita.sync();
    let (a, b) = (show(&rita, &q), show(&max, &q));
    assert_eq!(a["lines"].as_array().map(Vec::len), Some(2), "{a}");
    assert_eq!(a["lines"], b["lines"]);
    assert_eq!(a["totals"], b["totals"]);
    assert_eq!(a["totals"]["grand_total"], "615.00"); // 5 x 100 + 23%
}

#[test]
fn a_discount_approval_round_trip() {
    approval_round_trip(None);
}

#[test]
fn a_discount_approval_round_trip_on_postgres() {
    let Some(db) = PgDb::create("approval") else {
        return;
    };
    approval_round_trip(Some(&db.url));
}

fn approval_round_trip(database: Option<&str>) {
    let t = sync_support::temp();
    let (_server, rita, max, q) = team_on(&t, database);
    rita.ok(&[
        "quote",
        "line-add",
        &q,
        "--product",
        "GW-1",
        "--qty",
        "10",
        "--discount",
        "20",
    ]);
    let err = rita.fails(&["quote", "send", &q]);
    assert!(err.contains("20%") && err.contains("15%"), "{err}");
    rita.ok(&["quote", "submit", &q]);
    // A rep cannot approve, not locally and not by pushing the fields.
    let err = rita.fails(&["quote", "approve", &q]);
    assert!(err.contains("managers"), "{err}");
    rita.sync();
    max.sync();
    let queue = max.json(&["quote", "approvals"]);
    assert_eq!(queue.as_array().map(Vec::len), Some(1), "{queue}");
    assert_eq!(queue[0]["max_discount_pct"], "20");
    max.ok(&["quote", "approve", &q, "--comment", "Strategic account"]);
    max.sync();
    // Before her sync rita still waits; after it she can send.
    assert!(rita.fails(&["quote", "send", &q]).contains("waiting"));
    rita.sync();
    let v = show(&rita, &q);
    assert_eq!(
        (
            v["status"].as_str(),
            v["approval_comment"].as_str(),
            v["approved_by"].as_str()
        ),
        (Some("approved"), Some("Strategic account"), Some("max"))
    );
    rita.ok(&["quote", "send", &q]);
    rita.sync();
    max.sync();
    assert_eq!(show(&max, &q)["status"], "sent");
}

#[test]
fn a_rep_pushing_an_approval_is_refused() {
    let t = sync_support::temp();
    let (_server, rita, max, q) = team(&t);
    rita.ok(&["quote", "line-add", &q, "--product", "GW-1", "--discount", "40"]);
    rita.ok(&["quote", "submit", &q]);
    // Rita claims to be a manager in her config: her laptop lets her, the server does not.
    std::fs::write(
        rita.dir.join("config.toml"),
        "[quotes]\ndiscount_limits = { rep = 15 }\n",
    )
    .expect("config");
    let login = std::fs::read_to_string(rita.dir.join("sync.toml")).unwrap_or_default();
    assert!(login.contains("role = \"rep\""), "{login}");
    {
        std::fs::write(
            rita.dir.join("sync.toml"),
            login.replace("role = \"rep\"", "role = \"manager\""),
        )
        .expect("login");
        rita.ok(&["quote", "approve", &q]);
        let out = rita.ok(&["sync"]);
        assert!(out.contains("refused") || out.contains("conflict"), "{out}");
        let conflicts = rita.json(&["conflicts", "list"]);
        assert!(conflicts.to_string().contains("managers"), "{conflicts}");
        max.sync();
        assert_ne!(show(&max, &q)["status"], "approved");
    }
}

#[test]
fn a_change_to_a_quote_sent_elsewhere_is_a_conflict_not_a_silent_change() {
    let t = sync_support::temp();
    let (_server, rita, max, q) = team(&t);
    rita.ok(&["quote", "line-add", &q, "--product", "GW-1"]);
    rita.sync();
    max.sync();
    // Rita sends it; max, offline, edits the draft he has and adds a line.
    rita.ok(&["quote", "send", &q]);
    rita.sync();
    max.ok(&["quote", "edit", &q, "--notes", "Free shipping"]);
    max.ok(&["quote", "line-add", &q, "--product", "GW-1", "--qty", "5"]);
    let before = show(&rita, &q);
    let out = max.ok(&["sync"]);
    let conflicts = max.json(&["conflicts", "list"]);
    let text = conflicts.to_string();
    assert!(
        text.contains("was sent on another laptop") && text.contains("quote revise"),
        "{out}\n{text}"
    );
    rita.sync();
    let after = show(&rita, &q);
    assert_eq!(after["totals"], before["totals"]);
    assert_eq!(after["lines"], before["lines"]);
    assert!(after["notes"].is_null(), "{after}");
    // Max's view shows the sent document too (his edit set aside in the inbox).
    let m = show(&max, &q);
    assert_eq!(m["status"], "sent");
    assert!(m["notes"].is_null(), "{m}");
}

#[test]
fn every_change_to_a_quote_sent_elsewhere_waits_in_the_inbox() {
    changes_to_a_sent_quote(None);
}

#[test]
fn every_change_to_a_quote_sent_elsewhere_waits_in_the_inbox_on_postgres() {
    let Some(db) = PgDb::create("frozen_lines") else {
        return;
    };
    changes_to_a_sent_quote(Some(&db.url));
}

/// The document's lines as (description, quantity), in order.
fn lines_of(v: &Value) -> Vec<(String, String)> {
    v["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["description"].as_str().unwrap_or_default().to_string(),
                l["quantity"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn changes_to_a_sent_quote(database: Option<&str>) {
    let t = sync_support::temp();
    let (server, rita, max, q) = team_on(&t, database);
    for (qty, text) in [("1", "First"), ("2", "Second"), ("3", "Third")] {
        rita.ok(&[
            "quote",
            "line-add",
            &q,
            "--product",
            "GW-1",
            "--qty",
            qty,
            "--description",
            text,
        ]);
    }
    rita.sync();
    max.sync();
    rita.ok(&["quote", "send", &q]);
    rita.sync();
    let sent = show(&rita, &q);

    // Max, offline with the draft, changes a line's quantity, removes a line, moves one,
    // gives a header discount and adds a line; then syncs.
    max.ok(&["quote", "line-edit", &q, "1", "--qty", "7"]);
    max.ok(&["quote", "line-rm", &q, "2"]);
    max.ok(&["quote", "line-move", &q, "2", "1"]);
    max.ok(&["quote", "edit", &q, "--discount", "5"]);
    max.ok(&[
        "quote",
        "line-add",
        &q,
        "--product",
        "GW-1",
        "--qty",
        "9",
        "--description",
        "Max's extra",
    ]);
    max.ok(&["sync"]);

    // Each change is in his inbox with the reason.
    let open = max.json(&["conflicts", "list"]);
    let open = open.as_array().expect("conflicts");
    let about = |field: &str, kind: &str| open.iter().filter(|c| c["field"] == field && c["kind"] == kind).count();
    assert_eq!(about("quantity", "refused"), 1, "{open:#?}");
    assert_eq!(about("_deleted", "refused"), 1, "{open:#?}");
    assert!(about("position", "refused") >= 2, "{open:#?}");
    assert_eq!(about("discount_pct", "refused"), 1, "{open:#?}");
    assert_eq!(open.iter().filter(|c| c["kind"] == "held").count(), 1, "{open:#?}");
    for c in open {
        let why = c["reason"].as_str().unwrap_or_default();
        assert!(
            why.contains("was sent on another laptop") && why.contains("quote revise"),
            "{c}"
        );
    }

    // The server holds the quote exactly as sent: a laptop that pulls everything sees it.
    let fresh = Laptop::new(&t, "vera");
    fresh.login(&server.url, &server.add_user("vera", "manager"));
    fresh.sync();
    rita.sync();
    for v in [show(&fresh, &q), show(&rita, &q)] {
        assert_eq!(v["status"], "sent");
        assert_eq!(v["lines"], sent["lines"], "{v}");
        assert_eq!(v["totals"], sent["totals"], "{v}");
        assert_eq!(v["discount_pct"], sent["discount_pct"], "{v}");
    }
    assert_eq!(
        lines_of(&sent),
        [("First", "1"), ("Second", "2"), ("Third", "3")].map(|(a, b)| (a.to_string(), b.to_string()))
    );

    // Max sees the sent document, and under it what waits in his inbox.
    let mine = show(&max, &q);
    assert_eq!(mine["status"], "sent");
    assert_eq!(lines_of(&mine), lines_of(&sent));
    assert_eq!(mine["totals"], sent["totals"]);
    let listed = mine["conflicts"].as_array().expect("conflicts on the quote");
    assert_eq!(listed.len(), open.len(), "{mine:#}");
    let whats: Vec<&str> = listed.iter().filter_map(|c| c["what"].as_str()).collect();
    for w in ["quantity", "removed", "position", "discount_pct", "added"] {
        assert!(whats.contains(&w), "{w} in {whats:?}");
    }
    let table = max.ok(&["quote", "show", &q]);
    assert!(
        table.contains("Not on this quote") && table.contains("line 1 quantity: 7") && table.contains("line 2 removed"),
        "{table}"
    );
    assert!(
        table.contains("new line: 9") && table.contains("Max's extra"),
        "{table}"
    );

    // So does the quote editor in his TUI.
    {
        let app = std::sync::Arc::new(outpost::app::App::open(&max.dir).expect("open"));
        let id = app.resolve(outpost::model::EntityKind::Quote, &q).expect("quote");
        let mut s = outpost::tui::harness::Harness::new(app, chrono_tz::UTC, (120, 40));
        outpost::tui::update::apply(
            &mut s.state,
            outpost::tui::effect::Effect::Open(outpost::model::EntityKind::Quote, id),
        );
        s.settle();
        let screen = s.screen();
        assert!(
            screen.contains("6 change(s) made here wait in the inbox") && screen.contains("Third"),
            "{screen}"
        );
    }

    // Revising carries his changes into the new draft and empties the inbox.
    let new = max.ok(&["quote", "revise", &q]).trim().to_string();
    let r2 = show(&max, &new);
    assert_eq!(r2["status"], "draft");
    assert_eq!(r2["discount_pct"], "5", "{r2:#}");
    assert_eq!(
        lines_of(&r2),
        [("Third", "3"), ("First", "7"), ("Max's extra", "9")].map(|(a, b)| (a.to_string(), b.to_string())),
        "{r2:#}"
    );
    assert!(r2.get("conflicts").is_none(), "{r2:#}");
    assert_eq!(max.json(&["conflicts", "list"]), serde_json::json!([]));
    assert_eq!(lines_of(&show(&max, &q)), lines_of(&sent));

    // The revision syncs without a refusal; everyone sees it, the sent quote unchanged.
    let out = max.ok(&["sync"]);
    assert_eq!(max.json(&["conflicts", "list"]), serde_json::json!([]), "{out}");
    rita.sync();
    assert_eq!(lines_of(&show(&rita, &new)), lines_of(&r2));
    assert_eq!(show(&rita, &new)["totals"], r2["totals"]);
    assert_eq!(show(&rita, &q)["lines"], sent["lines"]);
}

#[test]
fn dropping_the_refused_changes_leaves_the_sent_quote() {
    let t = sync_support::temp();
    let (_server, rita, max, q) = team(&t);
    rita.ok(&["quote", "line-add", &q, "--product", "GW-1", "--qty", "2"]);
    rita.sync();
    max.sync();
    rita.ok(&["quote", "send", &q]);
    rita.sync();
    max.ok(&["quote", "line-edit", &q, "1", "--qty", "4"]);
    max.ok(&["quote", "line-add", &q, "--product", "GW-1", "--qty", "9"]);
    max.ok(&["sync"]);
    assert_eq!(max.json(&["conflicts", "list"]).as_array().map(Vec::len), Some(2));
    // Keeping his value would change the sent quote: refused, alone or in bulk.
    let open = max.json(&["conflicts", "list"]);
    let refused = open
        .as_array()
        .and_then(|a| a.iter().find(|c| c["kind"] == "refused"))
        .and_then(|c| c["id"].as_str())
        .expect("a refused edit")
        .to_string();
    let err = max.fails(&["conflicts", "resolve", &refused, "--keep", "mine"]);
    assert!(err.contains("is sent") && err.contains("quote revise"), "{err}");
    max.run(&["conflicts", "resolve", "--all", "--kind", "refused", "--keep", "mine"]);
    assert_eq!(max.json(&["conflicts", "list"]).as_array().map(Vec::len), Some(2));
    assert_eq!(lines_of(&show(&max, &q))[0].1, "2");
    // As the inbox says: theirs for the refused edit, discard for the held line.
    max.ok(&["conflicts", "resolve", "--all", "--kind", "refused", "--keep", "theirs"]);
    max.ok(&["conflicts", "resolve", "--all", "--kind", "held", "--discard"]);
    assert_eq!(max.json(&["conflicts", "list"]), serde_json::json!([]));
    let v = show(&max, &q);
    assert!(v.get("conflicts").is_none(), "{v:#}");
    let quantities: Vec<String> = lines_of(&v).into_iter().map(|(_, qty)| qty).collect();
    assert_eq!(quantities, ["2"], "{v:#}");
    max.ok(&["sync"]);
    assert_eq!(max.json(&["conflicts", "list"]), serde_json::json!([]));
    rita.sync();
    assert_eq!(show(&rita, &q)["lines"], v["lines"]);
}
