//! Every entity command through the real binary: add, list, show, edit, rm, formats.

mod common;

use common::Env;
use serde_json::Value;

#[test]
fn account_add_list_show_edit_rm() {
    let env = Env::new();
    let id = env.add(&[
        "account",
        "add",
        "--name",
        "Acme GmbH",
        "--industry",
        "Machines",
        "--city",
        "Berlin",
        "--country",
        "DE",
        "--phone",
        "030 1234567",
        "--email",
        "info@acme.de",
        "--website",
        "https://acme.de",
        "--owner",
        "anna",
    ]);
    assert_eq!(id.len(), 36, "add prints the id: {id}");
    let shown = env.json(&["account", "show", "acme"]);
    let rec = &shown[0];
    assert_eq!(rec["id"], id);
    assert_eq!(rec["name"], "Acme GmbH");
    assert_eq!(rec["phone"], "+49301234567", "phone normalised to E.164");
    assert!(rec["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    env.ok(&["account", "edit", &id[..13], "--city", "Hamburg"]);
    assert_eq!(env.json(&["account", "show", &id])[0]["city"], "Hamburg");
    let table = env.ok(&["account", "list"]);
    assert!(table.starts_with("ID") && table.contains("Acme GmbH") && table.contains("Hamburg"));
    env.ok(&["account", "rm", "Acme GmbH"]);
    assert_eq!(env.json(&["account", "list"]), Value::Array(vec![]));
    env.fails(&["account", "show", &id], 4);
}

#[test]
fn add_with_json_format_prints_the_whole_record_with_relation_names_and_money() {
    let env = Env::new();
    env.add(&["account", "add", "--name", "Acme GmbH", "--country", "DE"]);
    let contact = env.json(&[
        "contact",
        "add",
        "--first",
        "Anna",
        "--last",
        "Meyer",
        "--account",
        "Acme",
        "--email",
        "anna@acme.de",
        "--email",
        "a.m@acme.de",
        "--phone",
        "0171 2345678",
        "--title",
        "CEO",
    ]);
    assert_eq!(contact["account_name"], "Acme GmbH");
    assert_eq!(contact["emails"], serde_json::json!(["anna@acme.de", "a.m@acme.de"]));
    assert_eq!(
        contact["phones"],
        serde_json::json!(["+491712345678"]),
        "the account's country makes the number E.164"
    );
    let opp = env.json(&[
        "opp",
        "add",
        "--name",
        "Acme rollout",
        "--account",
        "Acme GmbH",
        "--amount",
        "12500.5",
        "--close",
        "2026-12-15",
        "--currency",
        "usd",
    ]);
    assert_eq!(opp["amount"], "12500.50");
    assert_eq!(opp["currency"], "USD");
    assert_eq!(opp["stage"], "Prospecting");
    assert_eq!(opp["probability"], 10);
    assert_eq!(opp["close_date"], "2026-12-15");
    assert_eq!(opp["account_id"], contact["account_id"]);
}

#[test]
fn opp_move_follows_stage_probability_and_keeps_history() {
    let env = Env::new();
    env.add(&["account", "add", "--name", "Acme"]);
    env.add(&[
        "opp",
        "add",
        "--name",
        "Deal",
        "--account",
        "Acme",
        "--amount",
        "100",
        "--stage",
        "qualification",
    ]);
    env.ok(&["opp", "move", "Deal", "negotiation"]);
    let opp = &env.json(&["opp", "show", "Deal"])[0];
    assert_eq!(opp["stage"], "Negotiation");
    assert_eq!(opp["probability"], 80);
    let history: Vec<&str> = opp["stage_history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["stage"].as_str().expect("stage"))
        .collect();
    assert_eq!(history, ["Qualification", "Negotiation"]);
    env.ok(&["opp", "edit", "Deal", "--stage", "proposal", "--probability", "80"]);
    assert_eq!(
        env.json(&["opp", "show", "Deal"])[0]["probability"],
        80,
        "an explicit probability wins"
    );
    env.ok(&["opp", "edit", "Deal", "--stage", "negotiation", "--probability", "80"]);
    assert_eq!(
        env.json(&["opp", "show", "Deal"])[0]["probability"],
        80,
        "even when it equals the old one"
    );
    env.ok(&["opp", "edit", "Deal", "--stage", "closed won"]);
    assert_eq!(
        env.json(&["opp", "show", "Deal"])[0]["probability"],
        100,
        "without one it follows the stage"
    );
    // A loss reason goes with a lost stage, is kept on the deal, and is cleared when
    // the deal reopens.
    let err = env.fails(&["opp", "move", "Deal", "Proposal", "--reason", "x"], 3);
    assert!(err.contains("lost stage"), "{err}");
    env.ok(&["opp", "move", "Deal", "Closed Lost", "--reason", "Budget frozen"]);
    let opp = &env.json(&["opp", "show", "Deal"])[0];
    assert_eq!(opp["loss_reason"], "Budget frozen");
    let last = opp["stage_history"]
        .as_array()
        .and_then(|h| h.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (&last["stage"], &last["from"]),
        (&"Closed Lost".into(), &"Closed Won".into())
    );
    assert!(env.ok(&["opp", "show", "Deal"]).contains("Budget frozen"));
    env.ok(&["opp", "move", "Deal", "Negotiation"]);
    assert!(env.json(&["opp", "show", "Deal"])[0]["loss_reason"].is_null());
    // As instants: a time on a whole second is written without its fraction.
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = env.json(&["opp", "show", "Deal"])[0]["stage_history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| chrono::DateTime::parse_from_rfc3339(h["at"].as_str().unwrap_or_default()).expect("a time"))
        .collect();
    assert!(times.is_sorted(), "ordered by time: {times:?}");
    let err = env.fails(&["opp", "move", "Deal", "Party"], 3);
    assert!(
        err.contains("unknown stage 'Party'") && err.contains("Closed Won"),
        "{err}"
    );
    let err = env.fails(
        &[
            "opp",
            "add",
            "--name",
            "X",
            "--account",
            "Acme",
            "--amount",
            "1",
            "--probability",
            "150",
        ],
        3,
    );
    assert!(err.contains("probability"), "{err}");
}

#[test]
fn lead_convert_creates_account_contact_and_opportunity_in_one_go() {
    let env = Env::new();
    env.add(&[
        "lead",
        "add",
        "--first",
        "José",
        "--last",
        "Núñez",
        "--company",
        "Iberia Foods",
        "--email",
        "jose@iberia.es",
        "--phone",
        "+34 91 123 4567",
        "--source",
        "Web",
    ]);
    env.ok(&["lead", "convert", "José Núñez", "--amount", "5000"]);
    let lead = &env.json(&["lead", "show", "José Núñez"])[0];
    assert_eq!(lead["status"], "converted");
    assert_eq!(lead["converted_account_name"], "Iberia Foods");
    assert_eq!(lead["converted_contact_name"], "José Núñez");
    let opps = env.json(&["opp", "list"]);
    assert_eq!(opps[0]["amount"], "5000.00");
    assert_eq!(opps[0]["account_name"], "Iberia Foods");
    let contact = &env.json(&["contact", "list"])[0];
    assert_eq!(contact["emails"][0], "jose@iberia.es");
    let err = env.fails(&["lead", "convert", "José Núñez"], 3);
    assert!(err.contains("already converted"), "{err}");
    // A second lead at the same company links the existing account, no opportunity.
    env.add(&[
        "lead",
        "add",
        "--first",
        "Ana",
        "--last",
        "Silva",
        "--company",
        "Iberia Foods",
    ]);
    env.ok(&["lead", "convert", "Ana Silva", "--no-opp"]);
    assert_eq!(env.json(&["account", "list"]).as_array().map(Vec::len), Some(1));
    assert_eq!(env.json(&["opp", "list"]).as_array().map(Vec::len), Some(1));
}

#[test]
fn products_quotes_and_lines() {
    let env = Env::new();
    env.add(&["account", "add", "--name", "Acme"]);
    env.add(&["opp", "add", "--name", "Deal", "--account", "Acme", "--amount", "100"]);
    env.add(&[
        "product", "add", "--sku", "GW-1", "--name", "Gateway", "--price", "499", "--tax", "19",
    ]);
    let p = &env.json(&["product", "edit", "GW-1", "--price", "550", "--currency", "USD"])[0];
    assert_eq!(p["prices"], serde_json::json!({"EUR": "499.00", "USD": "550.00"}));
    let q = env.json(&["quote", "add", "--opp", "Deal"]);
    let number = q["number"].as_str().expect("number").to_string();
    assert!(number.starts_with("Q-") && number.ends_with("-0001"), "{number}");
    assert_eq!(q["account_name"], "Acme");
    let line = env.json(&["quote", "line-add", &number, "--product", "GW-1", "--qty", "3"]);
    assert_eq!(line["unit_price"], "499.00");
    assert_eq!(line["description"], "Gateway");
    assert_eq!(line["quote_name"], number.as_str());
    let lines = env.json(&["quote", "lines", &number]);
    assert_eq!(lines.as_array().map(Vec::len), Some(1));
    let q2 = env.json(&["quote", "add", "--opp", "Deal"]);
    assert!(q2["number"].as_str().is_some_and(|n| n.ends_with("-0002")));
    let err = env.fails(&["opp", "rm", "Deal"], 3);
    assert!(err.contains("2 quotes") && err.contains("--cascade"), "{err}");
    env.ok(&["opp", "rm", "Deal", "--cascade"]);
    assert_eq!(env.json(&["quote", "list"]), serde_json::json!([]));
    let trash = env.json(&["trash", "list"]);
    assert_eq!(trash.as_array().map(Vec::len), Some(4), "{trash}");
}

#[test]
fn activities_log_with_follow_up_and_done() {
    let env = Env::new();
    env.add(&["account", "add", "--name", "Acme"]);
    env.add(&[
        "activity",
        "log",
        "visit",
        "--subject",
        "Plant tour",
        "--account",
        "Acme",
        "--outcome",
        "Positive",
        "--next-step",
        "Send quote",
        "--next-due",
        "2026-12-01",
    ]);
    let all = env.json(&["activity", "list", "--sort", "kind"]);
    let kinds: Vec<&str> = all
        .as_array()
        .expect("list")
        .iter()
        .map(|a| a["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["task", "visit"]);
    let task = &all[0];
    assert_eq!(task["due"], "2026-12-01");
    assert_eq!(task["done"], false);
    assert_eq!(task["account_name"], "Acme");
    env.ok(&["activity", "done", "Send quote"]);
    assert_eq!(env.json(&["activity", "show", "Send quote"])[0]["done"], true);
    let t = env.json(&[
        "activity",
        "add",
        "--kind",
        "task",
        "--subject",
        "Call back",
        "--due",
        "2026-11-30",
    ]);
    assert_eq!(t["due"], "2026-11-30");
    env.fails(&["activity", "log", "dance", "--subject", "x"], 2);
}

#[test]
fn events_take_a_time_zone_and_refuse_ending_before_start() {
    let env = Env::new();
    let e = env.json(&[
        "event",
        "add",
        "--title",
        "Visit",
        "--start",
        "2026-07-01 10:00",
        "--tz",
        "Europe/Berlin",
        "--location",
        "Berlin",
    ]);
    assert_eq!(e["start"], "2026-07-01T08:00:00Z");
    assert_eq!(e["end"], "2026-07-01T09:00:00Z", "default one hour");
    let err = env.fails(
        &[
            "event",
            "add",
            "--title",
            "T",
            "--start",
            "2026-12-01 10:00",
            "--end",
            "2026-12-01 09:00",
        ],
        3,
    );
    assert!(err.contains("end"), "{err}");
    let err = env.fails(
        &[
            "event",
            "add",
            "--title",
            "T",
            "--start",
            "2026-12-01 10:00",
            "--tz",
            "Mars/Olympus",
        ],
        3,
    );
    assert!(err.contains("time zone"), "{err}");
    let err = env.fails(&["event", "add", "--title", "T", "--start", "next tuesday"], 3);
    assert!(err.contains("--start"), "{err}");
}

#[test]
fn users_have_roles_and_quotas() {
    let env = Env::new();
    let u = env.json(&[
        "user",
        "add",
        "--name",
        "Anna",
        "--email",
        "anna@x.de",
        "--role",
        "manager",
        "--quota",
        "150000",
    ]);
    assert_eq!(u["role"], "manager");
    assert_eq!(u["quota"], "150000.00");
    env.fails(&["user", "add", "--name", "B", "--role", "boss"], 2);
}

#[test]
fn csv_and_ndjson_output() {
    let env = Env::new();
    env.add(&["account", "add", "--name", "Comma, Quote \"Inc\"", "--city", "Köln"]);
    env.add(&["account", "add", "--name", "Plain"]);
    let csv = env.ok(&["account", "list", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        // Issue 8 added postcode and territory to accounts, issue 10 the rest of the
        // billing address and the shipping address.
        Some(
            "id,name,industry,website,phone,email,street,city,postcode,region,country,owner,territory_id,territory_name,shipping_street,shipping_postcode,shipping_city,shipping_region,shipping_country,created_at,updated_at"
        )
    );
    assert!(
        csv.contains(",\"Comma, Quote \"\"Inc\"\"\",,,,,,Köln,"),
        "RFC 4180 quoting: {csv}"
    );
    assert_eq!(
        csv.matches("\r\n").count(),
        3,
        "CRLF after the header and each record: {csv:?}"
    );
    let nd = env.ok(&["account", "list", "--format", "ndjson"]);
    assert_eq!(nd.lines().count(), 2);
    for line in nd.lines() {
        let v: Value = serde_json::from_str(line).expect("ndjson line");
        assert!(v["id"].is_string());
    }
}

#[test]
fn refs_by_prefix_name_and_ambiguity() {
    let env = Env::new();
    let a = env.add(&["account", "add", "--name", "Alpha One"]);
    env.add(&["account", "add", "--name", "Alpha Two"]);
    let err = env.fails(&["account", "show", "alpha"], 4);
    assert!(
        err.contains("Alpha One") && err.contains("Alpha Two"),
        "candidates listed: {err}"
    );
    assert!(env.ok(&["account", "show", "ALPHA ONE"]).contains(&a));
    assert!(env.ok(&["account", "show", &a[..30]]).contains("Alpha One"));
    let err = env.fails(&["account", "show", "Omega"], 4);
    assert!(err.contains("no account matches 'Omega'"), "{err}");
}

#[test]
fn bad_input_is_refused_with_the_field_and_changes_nothing() {
    let env = Env::new();
    env.add(&["account", "add", "--name", "Acme"]);
    let cases: &[(&[&str], i32, &str)] = &[
        (&["account", "add", "--name", "  "], 3, "name"),
        (
            &["account", "add", "--name", "X", "--email", "not-an-email"],
            3,
            "e-mail",
        ),
        (&["account", "add", "--name", "X", "--phone", "call me"], 3, "phone"),
        (
            &["contact", "add", "--first", "A", "--last", "B", "--account", "Nope"],
            4,
            "no account matches",
        ),
        (
            &["opp", "add", "--name", "X", "--account", "Acme", "--amount", "-5"],
            3,
            "negative",
        ),
        (
            &["opp", "add", "--name", "X", "--account", "Acme", "--amount", "ten"],
            3,
            "amount",
        ),
        (
            &[
                "opp",
                "add",
                "--name",
                "X",
                "--account",
                "Acme",
                "--amount",
                "79228162514264337593543950335",
            ],
            3,
            "too large",
        ),
        (
            &[
                "opp",
                "add",
                "--name",
                "X",
                "--account",
                "Acme",
                "--amount",
                "1",
                "--close",
                "+5é",
            ],
            3,
            "not a date",
        ),
        (
            &[
                "opp",
                "add",
                "--name",
                "X",
                "--account",
                "Acme",
                "--amount",
                "1",
                "--close",
                "+99999999999d",
            ],
            3,
            "too far",
        ),
        (
            &[
                "opp",
                "add",
                "--name",
                "X",
                "--account",
                "Acme",
                "--amount",
                "1",
                "--probability",
                "99999999999",
            ],
            3,
            "out of range",
        ),
        (
            &[
                "opp",
                "add",
                "--name",
                "X",
                "--account",
                "Acme",
                "--amount",
                "5",
                "--currency",
                "XYZ",
            ],
            3,
            "ISO 4217",
        ),
        (
            &[
                "opp",
                "add",
                "--name",
                "X",
                "--account",
                "Acme",
                "--amount",
                "5",
                "--close",
                "2026-02-30",
            ],
            3,
            "date",
        ),
        (&["opp", "add", "--name", "X", "--amount", "5"], 2, "--account"),
        (&["account", "add", "--nme", "x"], 2, "--name"),
        (&["account", "edit", "Acme"], 3, "nothing to change"),
        (&["frobnicate"], 2, "unrecognized subcommand"),
        (
            &[
                "lead",
                "add",
                "--first",
                "A",
                "--last",
                "B",
                "--company",
                "C",
                "--status",
                "won",
            ],
            2,
            "possible values",
        ),
    ];
    for (args, code, needle) in cases {
        let err = env.fails(args, *code);
        assert!(err.contains(needle), "{args:?}: expected '{needle}' in: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(env.json(&["account", "list"]).as_array().map(Vec::len), Some(1));
    assert!(env.ok(&["check"]).contains("ok"));
}

#[test]
fn list_filters_sort_and_limit() {
    let env = Env::new();
    env.add(&["account", "add", "--name", "Acme"]);
    env.add(&["account", "add", "--name", "Bolt"]);
    for (name, account, amount, stage, owner) in [
        ("A1", "Acme", "300", "proposal", "anna"),
        ("A2", "Acme", "100", "proposal", "tom"),
        ("B1", "Bolt", "200", "prospecting", "anna"),
    ] {
        env.add(&[
            "opp",
            "add",
            "--name",
            name,
            "--account",
            account,
            "--amount",
            amount,
            "--stage",
            stage,
            "--owner",
            owner,
        ]);
    }
    let names = |v: Value| -> Vec<String> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|o| o["name"].as_str().expect("name").to_string())
            .collect()
    };
    assert_eq!(
        names(env.json(&["opp", "list", "--account", "Acme", "--sort", "amount"])),
        ["A2", "A1"]
    );
    assert_eq!(
        names(env.json(&["opp", "list", "--stage", "Proposal", "--owner", "anna"])),
        ["A1"]
    );
    assert_eq!(
        names(env.json(&["opp", "list", "--sort", "amount", "--desc", "--limit", "2"])),
        ["A1", "B1"]
    );
    assert_eq!(names(env.json(&["opp", "list", "--search", "b1"])), ["B1"]);
    env.fails(&["opp", "list", "--sort", "colour"], 3);
}
