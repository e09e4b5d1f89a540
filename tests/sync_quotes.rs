//! Quotes between laptops through a real server: two laptops add lines to one draft
//! (both kept), a discount approval round trip between a rep and a manager, and a change
//! to a quote another laptop already sent surfacing as a conflict.

mod sync_support;

use sync_support::{Laptop, ServerProc};

fn show(l: &Laptop, q: &str) -> serde_json::Value {
    l.json(&["quote", "show", q])[0].clone()
}

/// A server, a rep (rita) and a manager (max), both logged in, with a deal and a product
/// made by rita and synced to max. Returns the quote number.
fn team(t: &tempfile::TempDir) -> (ServerProc, Laptop, Laptop, String) {
    let server = ServerProc::start(&t.path().join("server"), "127.0.0.1:0", None);
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
    let t = sync_support::temp();
    let (_server, rita, max, q) = team(&t);
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
    let t = sync_support::temp();
    let (_server, rita, max, q) = team(&t);
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
