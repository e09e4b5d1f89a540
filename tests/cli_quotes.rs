//! Quotes through the real binary: lines and positions, totals in `quote show` (table and
//! JSON), the lifecycle (send, frozen, revise, accept, decline, expired), discount
//! approval, price books and the rendered documents (the PDF read back by pypdf).

mod common;

use common::{Env, s};
use serde_json::Value;

/// An account "Müller & Łódź GmbH" with contact 王小明, a deal and two products.
fn setup(env: &Env) {
    env.add(&["account", "add", "--name", "Müller & Łódź GmbH"]);
    env.add(&[
        "contact",
        "add",
        "--first",
        "小明",
        "--last",
        "王",
        "--account",
        "Müller & Łódź GmbH",
    ]);
    env.add(&[
        "opp",
        "add",
        "--name",
        "Rollout",
        "--account",
        "Müller & Łódź GmbH",
        "--amount",
        "1",
    ]);
    env.add(&[
        "product", "add", "--sku", "GW-1", "--name", "Gateway", "--price", "19.99", "--tax", "19",
    ]);
    env.add(&[
        "product",
        "add",
        "--sku",
        "SVC",
        "--name",
        "Service day",
        "--price",
        "100",
        "--tax",
        "7",
    ]);
}

fn new_quote(env: &Env, extra: &[&str]) -> String {
    let mut args = vec!["quote", "add", "--opp", "Rollout"];
    args.extend_from_slice(extra);
    env.json(&args)["number"].as_str().expect("number").to_string()
}

fn show(env: &Env, q: &str) -> Value {
    env.json(&["quote", "show", q])[0].clone()
}

/// The hand-checked case of `model::totals` through the binary: both discount levels
/// and two tax rates.
fn hand_checked(env: &Env) -> String {
    let q = new_quote(env, &["--discount", "5"]);
    env.ok(&[
        "quote",
        "line-add",
        &q,
        "--product",
        "GW-1",
        "--qty",
        "3",
        "--discount",
        "10",
    ]);
    env.ok(&["quote", "line-add", &q, "--product", "SVC", "--qty", "1"]);
    env.ok(&[
        "quote",
        "line-add",
        &q,
        "--description",
        "Cable",
        "--qty",
        "2",
        "--price",
        "0.125",
        "--tax",
        "19",
    ]);
    q
}

#[test]
fn totals_in_show_json_and_table() {
    let env = Env::new();
    setup(&env);
    let q = hand_checked(&env);
    let v = show(&env, &q);
    let nets: Vec<&str> = v["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["net"].as_str().expect("net"))
        .collect();
    assert_eq!(nets, ["53.97", "100.00", "0.25"]);
    let positions: Vec<u64> = v["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["position"].as_u64().expect("pos"))
        .collect();
    assert_eq!(positions, [1, 2, 3]);
    let t = &v["totals"];
    assert_eq!(t["subtotal"], "154.22");
    assert_eq!(t["discount"], "7.71");
    assert_eq!(t["net"], "146.51");
    assert_eq!(
        t["taxes"][0],
        serde_json::json!({"rate": "7", "base": "95.00", "tax": "6.65"})
    );
    assert_eq!(
        t["taxes"][1],
        serde_json::json!({"rate": "19", "base": "51.51", "tax": "9.79"})
    );
    assert_eq!(t["tax"], "16.44");
    assert_eq!(t["grand_total"], "162.95");
    assert_eq!(v["contact_name"], "小明 王");
    let table = env.ok(&["quote", "show", &q]);
    assert!(table.contains("Grand total  162.95 EUR"), "{table}");
    assert!(table.contains("Tax 19% on 51.51 EUR"), "{table}");
    // The stored lines keep their positions; `quote lines` lists them in order.
    let lines = env.json(&["quote", "lines", &q]);
    assert_eq!(lines[2]["description"], "Cable");
}

#[test]
fn yen_and_dinar() {
    let env = Env::new();
    setup(&env);
    let jpy = new_quote(&env, &["--currency", "JPY"]);
    env.ok(&[
        "quote",
        "line-add",
        &jpy,
        "--description",
        "Unit",
        "--qty",
        "3",
        "--price",
        "333",
        "--discount",
        "15",
        "--tax",
        "10",
    ]);
    let t = &show(&env, &jpy)["totals"];
    assert_eq!(
        (t["subtotal"].as_str(), t["tax"].as_str(), t["grand_total"].as_str()),
        (Some("849"), Some("85"), Some("934"))
    );
    let kwd = new_quote(&env, &["--currency", "KWD", "--discount", "5"]);
    env.ok(&[
        "quote",
        "line-add",
        &kwd,
        "--description",
        "Unit",
        "--qty",
        "7",
        "--price",
        "1.2345",
    ]);
    let t = &show(&env, &kwd)["totals"];
    assert_eq!(
        (
            t["subtotal"].as_str(),
            t["discount"].as_str(),
            t["grand_total"].as_str()
        ),
        (Some("8.642"), Some("0.432"), Some("8.210"))
    );
}

fn descriptions(env: &Env, q: &str) -> Vec<String> {
    show(env, q)["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["description"].as_str().expect("d").to_string())
        .collect()
}

#[test]
fn positions_are_kept_and_editable() {
    let env = Env::new();
    setup(&env);
    let q = new_quote(&env, &[]);
    for d in ["A", "B", "C"] {
        env.ok(&["quote", "line-add", &q, "--description", d, "--price", "1"]);
    }
    env.ok(&[
        "quote",
        "line-add",
        &q,
        "--description",
        "First",
        "--price",
        "1",
        "--at",
        "1",
    ]);
    assert_eq!(descriptions(&env, &q), ["First", "A", "B", "C"]);
    env.ok(&["quote", "line-move", &q, "4", "2"]);
    assert_eq!(descriptions(&env, &q), ["First", "C", "A", "B"]);
    env.ok(&["quote", "line-rm", &q, "1"]);
    assert_eq!(descriptions(&env, &q), ["C", "A", "B"]);
    env.ok(&["quote", "line-edit", &q, "2", "--qty", "4", "--discount", "50"]);
    assert_eq!(show(&env, &q)["lines"][1]["net"], "2.00");
    let err = env.fails(&["quote", "line-move", &q, "1", "9"], 3);
    assert!(
        err.contains("line 9 is not on the quote") && err.contains("1 to 3"),
        "{err}"
    );
    let err = env.fails(
        &[
            "quote",
            "line-add",
            &q,
            "--description",
            "X",
            "--price",
            "1",
            "--discount",
            "120",
        ],
        3,
    );
    assert!(err.contains("discount"), "{err}");
    // A line whose amount the totals cannot hold exactly is refused when it is added,
    // not left to make the quote impossible to show or send.
    for (qty, price) in [
        ("1000000000000000", "1000000000000000"),
        ("1000000000000", "1000000000000000"),
    ] {
        let args = [
            "quote",
            "line-add",
            &q,
            "--description",
            "Big",
            "--qty",
            qty,
            "--price",
            price,
        ];
        let err = env.fails(&args, 3);
        assert!(
            err.contains("too large for the quote's totals"),
            "{qty} x {price}: {err}"
        );
    }
    env.ok(&["quote", "show", &q]);
}

#[test]
fn lifecycle_frozen_revise_accept() {
    let env = Env::new();
    setup(&env);
    let q = new_quote(&env, &[]);
    let err = env.fails(&["quote", "send", &q], 3);
    assert!(err.contains("has no lines"), "{err}");
    env.ok(&["quote", "line-add", &q, "--product", "GW-1", "--qty", "10"]);
    let err = env.fails(&["quote", "edit", &q, "--status", "accepted"], 3);
    assert!(err.contains("status moves with") && err.contains("`send`"), "{err}");
    let err = env.fails(&["quote", "accept", &q], 3);
    assert!(err.contains("only a sent quote"), "{err}");
    env.ok(&["quote", "send", &q]);
    let v = show(&env, &q);
    assert_eq!(v["status"], "sent");
    assert!(v["sent_at"].is_string());
    // Frozen: no edits, no line changes.
    for args in [
        vec!["quote", "line-add", &q, "--product", "SVC"],
        vec!["quote", "edit", &q, "--notes", "changed"],
        vec!["quote", "line-rm", &q, "1"],
        vec!["quote", "line-move", &q, "1", "1"],
        vec!["quote", "line-edit", &q, "1", "--qty", "2"],
    ] {
        let err = env.fails(&args, 3);
        assert!(
            err.contains("is sent") && err.contains("quote revise"),
            "{args:?}: {err}"
        );
    }
    // A revision: same number with -R2, the same lines, a draft; prints its id.
    let id = env.ok(&["quote", "revise", &q]).trim().to_string();
    let r2 = env.json(&["quote", "show", &id])[0].clone();
    assert_eq!(
        r2["name"].as_str().or(r2["display_number"].as_str()),
        Some(format!("{q}-R2").as_str())
    );
    assert_eq!(r2["status"], "draft");
    assert_eq!(r2["revision"], 2);
    assert_eq!(r2["lines"].as_array().map(Vec::len), Some(1));
    assert_eq!(r2["totals"], show(&env, &q)["totals"]);
    env.ok(&["quote", "line-add", &format!("{q}-R2"), "--product", "SVC"]);
    let id3 = env.ok(&["quote", "revise", &q]).trim().to_string();
    assert_eq!(
        env.json(&["quote", "show", &id3])[0]["display_number"],
        format!("{q}-R3")
    );
    // Accept sets the deal's amount to the grand total; --win closes it won.
    env.ok(&["quote", "accept", &q, "--win"]);
    let opp = &env.json(&["opp", "show", "Rollout"])[0];
    assert_eq!(opp["amount"], show(&env, &q)["totals"]["grand_total"]);
    assert_eq!(opp["amount"], "237.88"); // 10 x 19.99 = 199.90 + 19% 37.98
    assert_eq!(opp["stage"], "Closed Won");
    assert_eq!(show(&env, &q)["status"], "accepted");
    let err = env.fails(&["quote", "line-add", &q, "--product", "SVC"], 3);
    assert!(err.contains("is accepted"), "{err}");
    // Decline and expiry.
    env.ok(&["quote", "send", &format!("{q}-R2")]);
    env.ok(&["quote", "decline", &format!("{q}-R2")]);
    assert_eq!(show(&env, &format!("{q}-R2"))["status"], "rejected");
    let err = env.fails(&["quote", "add", "--opp", "Rollout", "--valid-until", "2020-01-31"], 3);
    assert!(err.contains("before the quote's date"), "never valid: {err}");
    let old = new_quote(&env, &["--date", "2020-01-02", "--valid-until", "2020-01-31"]);
    env.ok(&["quote", "line-add", &old, "--product", "SVC"]);
    let err = env.fails(&["quote", "send", &old], 3);
    assert!(err.contains("2020-01-31") && err.contains("has passed"), "{err}");
    // Sent while it was valid (the laptop's clock then), it is expired now.
    let sent_then = std::process::Command::new("faketime")
        .arg("2020-01-15 12:00:00")
        .arg(env!("CARGO_BIN_EXE_outpost"))
        .args(["quote", "send", &old])
        .env("OUTPOST_DATA_DIR", env.data())
        .env("TZ", "UTC")
        .output();
    match sent_then {
        Ok(out) if out.status.success() => {
            assert_eq!(show(&env, &old)["status"], "expired");
            let err = env.fails(&["quote", "accept", &old], 3);
            assert!(err.contains("expired") && err.contains("2020-01-31"), "{err}");
            // Its revision is dated today, so the passed validity does not carry over.
            env.ok(&["quote", "revise", &old]);
            assert!(show(&env, &format!("{old}-R2"))["valid_until"].is_null());
        }
        Ok(out) => panic!("send under faketime: {}", String::from_utf8_lossy(&out.stderr)),
        Err(_) => eprintln!("skipped the expiry part: faketime is not installed (apt-get install faketime)"),
    }
}

#[test]
fn discount_over_the_limit_needs_approval() {
    let env = Env::new();
    setup(&env);
    std::fs::create_dir_all(env.data()).expect("dir");
    let config = env.data().join("config.toml");
    let role = |r: &str| {
        std::fs::write(
            &config,
            format!("[quotes]\nrole = \"{r}\"\ndiscount_limits = {{ rep = 15, manager = 40 }}\n"),
        )
        .expect("config");
    };
    role("rep");
    let q = new_quote(&env, &["--discount", "10"]);
    env.ok(&["quote", "line-add", &q, "--product", "GW-1", "--discount", "10"]);
    // 10% on the line and 10% on the quote: 19% in all, over the rep's 15%.
    assert_eq!(show(&env, &q)["max_discount_pct"], "19");
    let err = env.fails(&["quote", "send", &q], 3);
    assert!(
        err.contains("19%") && err.contains("15%") && err.contains("quote submit"),
        "{err}"
    );
    env.ok(&["quote", "submit", &q]);
    assert_eq!(show(&env, &q)["status"], "needs_approval");
    let queue = env.json(&["quote", "approvals"]);
    assert_eq!(queue[0]["number"], q.as_str());
    let err = env.fails(&["quote", "approve", &q], 3);
    assert!(err.contains("managers"), "{err}");
    let err = env.fails(&["quote", "send", &q], 3);
    assert!(err.contains("waiting for a manager"), "{err}");
    role("manager");
    env.ok(&["quote", "reject", &q, "--comment", "Too deep"]);
    let v = show(&env, &q);
    assert_eq!(
        (v["status"].as_str(), v["approval_comment"].as_str()),
        (Some("draft"), Some("Too deep"))
    );
    // Within a manager's own limit there is nothing to submit.
    let err = env.fails(&["quote", "submit", &q], 3);
    assert!(err.contains("within your limit"), "{err}");
    role("rep");
    env.ok(&["quote", "submit", &q]);
    role("manager");
    env.ok(&["quote", "approve", &q, "--comment", "OK for this customer"]);
    assert_eq!(show(&env, &q)["approved_discount_pct"], "19");
    role("rep");
    // A deeper discount after the approval needs a new one.
    env.ok(&["quote", "line-edit", &q, "1", "--discount", "20"]);
    assert!(env.fails(&["quote", "send", &q], 3).contains("over your limit"));
    env.ok(&["quote", "line-edit", &q, "1", "--discount", "10"]);
    env.ok(&["quote", "send", &q]);
    assert_eq!(env.json(&["quote", "approvals"]), serde_json::json!([]));
    std::fs::write(&config, "[quotes]\ndiscount_limits = { boss = 15 }\n").expect("config");
    let err = env.fails(&["quote", "list"], 3);
    assert!(err.contains("boss") && err.contains("rep, manager, admin"), "{err}");
}

/// Runs `python3 -c` with pypdf on a PDF; `None` (and a note) without OUTPOST_TEST_PYTHON.
fn pdf_text(path: &std::path::Path) -> Option<String> {
    let Ok(python) = std::env::var("OUTPOST_TEST_PYTHON") else {
        eprintln!("skipped: set OUTPOST_TEST_PYTHON to a python with pypdf to read the PDF back");
        return None;
    };
    let out = std::process::Command::new(python)
        .args([
            "-c",
            "import sys, pypdf\nr = pypdf.PdfReader(sys.argv[1])\nprint(len(r.pages))\nprint('\\n'.join(p.extract_text() for p in r.pages))",
            s(path),
        ])
        .output()
        .expect("run python");
    assert!(out.status.success(), "pypdf: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).expect("utf-8"))
}

#[test]
fn render_pdf_html_markdown() {
    let env = Env::new();
    setup(&env);
    std::fs::create_dir_all(env.data()).expect("dir");
    std::fs::write(
        env.data().join("config.toml"),
        "[quotes]\nterms = \"Net 30 days.\"\n[quotes.seller]\nname = \"Outpost Sales Ltd\"\naddress = \"1 Harbour Road\\nDublin\"\ntax_id = \"IE1234567X\"\n",
    )
    .expect("config");
    let q = hand_checked(&env);
    env.ok(&[
        "quote",
        "line-add",
        &q,
        "--description",
        "Ωμέγα Жуков 王小明 support",
        "--price",
        "10",
        "--tax",
        "19",
    ]);
    let grand = show(&env, &q)["totals"]["grand_total"]
        .as_str()
        .expect("total")
        .to_string();
    let md = env.path("q.md");
    env.ok(&["quote", "render", &q, "--output", s(&md)]);
    let text = std::fs::read_to_string(&md).expect("md");
    assert!(
        text.contains(&format!("**{grand} EUR**")) && text.contains("Müller") && text.contains("Outpost Sales Ltd"),
        "{text}"
    );
    let html = env.path("q.html");
    env.ok(&["quote", "render", &q, "--output", s(&html)]);
    let text = std::fs::read_to_string(&html).expect("html");
    assert!(
        text.contains(&format!("{grand} EUR")) && text.contains("Müller &amp; Łódź GmbH") && text.contains("王"),
        "{text}"
    );
    let pdf = env.path("q.pdf");
    env.ok(&["quote", "render", &q, "--output", s(&pdf)]);
    let bytes = std::fs::read(&pdf).expect("pdf");
    assert!(bytes.starts_with(b"%PDF-"));
    if let Some(text) = pdf_text(&pdf) {
        for want in [
            grand.as_str(),
            "Müller",
            "Łódź",
            "王小明",
            "Ωμέγα",
            "Жуков",
            "IE1234567X",
            "Net 30 days.",
        ] {
            assert!(text.contains(want), "{want} not in the PDF text:\n{text}");
        }
    }
    let err = env.fails(&["quote", "render", &q, "--output", s(&env.path("q.docx"))], 3);
    assert!(err.contains(".pdf, .html"), "{err}");
}

#[test]
fn long_quote_pdf_pages_and_missing_font() {
    let env = Env::new();
    setup(&env);
    let q = new_quote(&env, &[]);
    for i in 0..70 {
        env.ok(&[
            "quote",
            "line-add",
            &q,
            "--product",
            "GW-1",
            "--qty",
            &format!("{}", i + 1),
        ]);
    }
    let pdf = env.path("long.pdf");
    env.ok(&["quote", "render", &q, "--output", s(&pdf)]);
    let grand = show(&env, &q)["totals"]["grand_total"]
        .as_str()
        .expect("total")
        .to_string();
    if let Some(text) = pdf_text(&pdf) {
        let pages: usize = text.lines().next().and_then(|l| l.trim().parse().ok()).expect("pages");
        assert!(pages >= 2, "{pages} pages");
        assert!(text.contains(&grand), "{grand} not in:\n{text}");
    }
    std::fs::create_dir_all(env.data()).expect("dir");
    std::fs::write(
        env.data().join("config.toml"),
        "[quotes]\nfont = \"/nowhere/font.ttf\"\n",
    )
    .expect("config");
    let err = env.fails(&["quote", "render", &q, "--output", s(&env.path("x.pdf"))], 3);
    assert!(
        err.contains("/nowhere/font.ttf") && err.contains("[quotes]") && err.contains("font"),
        "{err}"
    );
    assert!(!env.path("x.pdf").exists());
}

#[test]
fn price_books_tiers_dates_and_inactive_products() {
    let env = Env::new();
    setup(&env);
    env.ok(&[
        "product",
        "edit",
        "GW-1",
        "--price-book",
        "EUR 18 10+",
        "--price-book",
        "EUR 15 50+ 2026-01-01..2026-06-30",
    ]);
    let p = &env.json(&["product", "show", "GW-1"])[0];
    assert_eq!(
        p["price_book"],
        serde_json::json!(["EUR 18.00 10+", "EUR 15.00 50+ 2026-01-01..2026-06-30"])
    );
    let q = new_quote(&env, &["--date", "2026-06-30"]);
    let price = |qty: &str| {
        env.json(&["quote", "line-add", &q, "--product", "GW-1", "--qty", qty])["unit_price"]
            .as_str()
            .expect("price")
            .to_string()
    };
    assert_eq!(price("9"), "19.99");
    assert_eq!(price("10"), "18.00");
    assert_eq!(price("50"), "15.00");
    let later = new_quote(&env, &["--date", "2026-07-01"]);
    let line = env.json(&["quote", "line-add", &later, "--product", "GW-1", "--qty", "50"]);
    assert_eq!(line["unit_price"], "18.00");
    let err = env.fails(
        &[
            "product",
            "edit",
            "GW-1",
            "--price-book",
            "EUR 15 50+ 2026-07-01..2026-06-30",
        ],
        3,
    );
    assert!(err.contains("ends before it starts"), "{err}");
    // CSV export and import carry the price book.
    let csv = env.path("products.csv");
    env.ok(&["export", "products", "--format", "csv", "--output", s(&csv)]);
    let text = std::fs::read_to_string(&csv).expect("csv");
    assert!(
        text.contains("EUR 18.00 10+; EUR 15.00 50+ 2026-01-01..2026-06-30"),
        "{text}"
    );
    let file = env.write("new.csv", "sku,name,price,price book\nHUB,Hub,50,EUR 45 5+; USD 60\n");
    env.ok(&["import", "products", s(&file)]);
    assert_eq!(
        env.json(&["product", "show", "HUB"])[0]["price_book"],
        serde_json::json!(["EUR 45.00 5+", "USD 60.00"])
    );
    // An inactive product is not offered on new lines; lines it is on stay.
    env.ok(&["product", "edit", "GW-1", "--active", "no"]);
    let err = env.fails(&["quote", "line-add", &q, "--product", "GW-1"], 3);
    assert!(err.contains("inactive"), "{err}");
    assert_eq!(show(&env, &q)["lines"].as_array().map(Vec::len), Some(3));
}

#[test]
fn orders_from_accepted_quotes() {
    let env = Env::new();
    setup(&env);
    let q = hand_checked(&env);
    let err = env.fails(&["order", "add", "--quote", &q], 3);
    assert!(err.contains("accepted quote"), "{err}");
    env.ok(&["quote", "send", &q]);
    let out = env.ok(&["quote", "accept", &q, "--order"]);
    assert!(out.contains("Order O-"), "{out}");
    let orders = env.json(&["order", "list"]);
    let number = orders[0]["number"].as_str().expect("number").to_string();
    assert_eq!(orders[0]["status"], "confirmed");
    assert_eq!(orders[0]["quote_name"], q.as_str());
    let o = env.json(&["order", "show", &number])[0].clone();
    assert_eq!(o["totals"], show(&env, &q)["totals"]);
    assert_eq!(o["totals"]["grand_total"], "162.95");
    assert_eq!(o["lines"][0]["net"], "53.97");
    assert_eq!(o["account_name"], "Müller & Łódź GmbH");
    let err = env.fails(&["order", "add", "--quote", &q], 3);
    assert!(err.contains("already has order"), "{err}");
    let err = env.fails(&["order", "status", &number, "delivered"], 3);
    assert!(err.contains("paid or shipped or cancelled"), "{err}");
    env.ok(&["order", "status", &number, "shipped"]);
    env.ok(&["order", "status", &number, "paid"]);
    let o = env.json(&["order", "status", &number, "delivered"])[0].clone();
    let history: Vec<&str> = o["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["status"].as_str().expect("s"))
        .collect();
    assert_eq!(history, ["confirmed", "shipped", "paid", "delivered"]);
    assert!(o["history"][3]["at"].is_string());
    let err = env.fails(&["order", "status", &number, "cancelled"], 3);
    assert!(err.contains("delivered"), "{err}");
    // Under the account and the deal.
    let table = env.ok(&["account", "show", "Müller & Łódź GmbH"]);
    assert!(table.contains("Orders (1)"), "{table}");
}

/// What `rm --cascade` trashed together comes back together (a sent quote with its
/// lines, whole), and a line trashed before a quote was sent cannot come back into it
/// alone (that would change a frozen quote's total).
#[test]
fn trash_restore_brings_back_what_was_trashed_together_and_keeps_a_sent_quote_frozen() {
    let env = Env::new();
    setup(&env);
    let q = new_quote(&env, &[]);
    env.ok(&["quote", "line-add", &q, "--description", "Kept", "--price", "100"]);
    env.ok(&["quote", "line-add", &q, "--description", "Dropped", "--price", "50"]);
    env.ok(&["quote", "line-rm", &q, "2"]);
    env.ok(&["quote", "send", &q]);
    let total = show(&env, &q)["grand_total"].clone();
    let dropped = env
        .json(&["trash", "list"])
        .as_array()
        .expect("trash")
        .iter()
        .find(|t| t["kind"] == "quote_line")
        .and_then(|t| t["id"].as_str().map(String::from))
        .expect("the dropped line in the trash");
    let err = env.fails(&["trash", "restore", &dropped], 3);
    assert!(err.contains("sent"), "{err}");
    assert_eq!(show(&env, &q)["grand_total"], total, "the sent quote as it was sent");

    env.ok(&["quote", "rm", &q, "--cascade"]);
    let out = env.ok(&["trash", "restore", &q]);
    assert!(out.contains("and 1 related record trashed with it"), "{out}");
    let back = show(&env, &q);
    assert_eq!(back["grand_total"], total, "{back}");
    assert_eq!(back["lines"].as_array().map(Vec::len), Some(1));
    let still: Vec<Value> = env.json(&["trash", "list"]).as_array().cloned().unwrap_or_default();
    assert_eq!(still.len(), 1, "the line dropped before stays in the trash: {still:?}");
}
