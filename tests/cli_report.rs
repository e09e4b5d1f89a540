//! `outpost report NAME` through the real binary: every report in every format, with
//! figures checked by hand (several currencies, with and without a rate).

mod common;

use common::Env;
use serde_json::Value;

const REPORTS: [&[&str]; 14] = [
    &["forecast"],
    &["forecast", "--by", "month"],
    &["pipeline"],
    &["winrate"],
    &["cycle"],
    &["funnel"],
    &["stale"],
    &["rfm"],
    &["at-risk"],
    &["cross-sell"],
    &["changes", "--since", "2024-01-01"],
    &["activity"],
    &["activity", "--show", "overdue"],
    &["activity", "--show", "no-next-step"],
];

fn json(env: &Env, args: &[&str]) -> Vec<Value> {
    let mut full = vec!["report"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--format", "json"]);
    serde_json::from_str(&env.ok(&full)).expect("json array")
}

fn store() -> Env {
    let env = Env::new();
    env.ok(&["user", "add", "--name", "Ana", "--login", "ana", "--quota", "1000"]);
    env.ok(&["account", "add", "--name", "Acme"]);
    env.ok(&[
        "opp",
        "add",
        "--account",
        "Acme",
        "--name",
        "Won",
        "--amount",
        "300",
        "--stage",
        "Closed Won",
        "--close",
        "2024-02-29",
        "--owner",
        "ana",
    ]);
    env.ok(&[
        "opp",
        "add",
        "--account",
        "Acme",
        "--name",
        "Open EUR",
        "--amount",
        "1000",
        "--stage",
        "Proposal",
        "--close",
        "2024-03-31",
        "--owner",
        "ana",
    ]);
    env.ok(&[
        "opp",
        "add",
        "--account",
        "Acme",
        "--name",
        "Open USD",
        "--amount",
        "100",
        "--currency",
        "USD",
        "--stage",
        "Negotiation",
        "--close",
        "2024-04-01",
        "--owner",
        "ana",
    ]);
    env
}

#[test]
fn every_report_in_every_format() {
    let env = store();
    for args in REPORTS {
        for format in ["table", "json", "ndjson", "csv"] {
            let mut full = vec!["report"];
            full.extend_from_slice(args);
            full.extend_from_slice(&["--format", format]);
            let out = env.ok(&full);
            match format {
                "json" => assert!(serde_json::from_str::<Vec<Value>>(&out).is_ok(), "{args:?}: {out}"),
                "ndjson" => {
                    for line in out.lines() {
                        let v: Value = serde_json::from_str(line).expect("ndjson line");
                        assert!(v.is_object());
                    }
                }
                "csv" => assert!(out.lines().next().is_some_and(|h| h.contains(',')), "{args:?}: {out}"),
                _ => assert!(!out.is_empty()),
            }
        }
    }
    // An empty store: every report runs.
    let empty = Env::new();
    for args in REPORTS {
        let mut full = vec!["report"];
        full.extend_from_slice(args);
        empty.ok(&full);
    }
}

#[test]
fn forecast_keeps_currencies_apart_without_a_rate_and_converts_with_one() {
    let env = store();
    let rows = json(&env, &["forecast"]);
    let all: Vec<(&str, &str, &str)> = rows
        .iter()
        .filter(|r| r["period"] == "all" && r["owner"].is_null())
        .map(|r| {
            (
                r["currency"].as_str().expect("test data"),
                r["open"].as_str().expect("test data"),
                r["weighted"].as_str().expect("test data"),
            )
        })
        .collect();
    assert_eq!(all, vec![("EUR", "1000", "600"), ("USD", "100", "80")]);
    let q1 = rows
        .iter()
        .find(|r| r["period"] == "2024-Q1" && r["owner"] == "ana" && r["currency"] == "EUR")
        .expect("ana's Q1");
    assert_eq!(q1["closed_won"], "300");
    assert_eq!(q1["quota"], "1000");
    assert_eq!(q1["attainment_pct"], "30");
    assert_eq!(q1["best_case"], "1000");
    assert_eq!(q1["opportunity_ids"].as_array().map(Vec::len), Some(2));
    assert_eq!(q1["user_ids"].as_array().map(Vec::len), Some(1));

    std::fs::write(
        env.data().join("config.toml"),
        "currency = \"EUR\"\n[rates]\nUSD = 0.92\n",
    )
    .expect("test data");
    let rows = json(&env, &["forecast", "--by", "month"]);
    let all: Vec<(&str, &str, &str)> = rows
        .iter()
        .filter(|r| r["period"] == "all" && r["owner"].is_null())
        .map(|r| {
            (
                r["currency"].as_str().expect("test data"),
                r["open"].as_str().expect("test data"),
                r["weighted"].as_str().expect("test data"),
            )
        })
        .collect();
    assert_eq!(all, vec![("EUR", "1092", "673.6")]);
    assert!(rows.iter().any(|r| r["period"] == "2024-02"));

    std::fs::write(env.data().join("config.toml"), "[rates]\nUSD = -1\n").expect("test data");
    let err = env.fails(&["report", "forecast"], 3);
    assert!(err.contains("rates"), "{err}");
}

#[test]
fn pipeline_funnel_winrate_and_stale_figures() {
    let env = store();
    let p = json(&env, &["pipeline"]);
    let got: Vec<(&str, &str, i64)> = p
        .iter()
        .map(|r| {
            (
                r["stage"].as_str().expect("test data"),
                r["currency"].as_str().expect("test data"),
                r["count"].as_i64().expect("test data"),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("Proposal", "EUR", 1),
            ("Negotiation", "USD", 1),
            ("Closed Won", "EUR", 1)
        ]
    );
    let f = json(&env, &["funnel"]);
    let reached: Vec<i64> = f.iter().map(|r| r["reached"].as_i64().expect("test data")).collect();
    assert!(reached.windows(2).all(|w| w[1] <= w[0]), "{reached:?}");
    assert_eq!(reached.last(), Some(&1));
    let err = env.fails(&["report", "winrate", "--from", "2027-01-01", "--to", "2026-01-01"], 3);
    assert!(err.contains("is after --to"), "a backwards range is an error: {err}");
    let w = json(&env, &["winrate"]);
    let total = w
        .iter()
        .find(|r| r["owner"].is_null() && r["currency"] == "EUR")
        .expect("total EUR");
    assert_eq!((total["won"].as_i64(), total["lost"].as_i64()), (Some(1), Some(0)));
    assert_eq!(total["win_rate_count_pct"], "100");
    // The close dates of 2024 have passed: both open deals are listed as late.
    let s = json(&env, &["stale"]);
    assert_eq!(s.len(), 2);
    assert!(s.iter().all(|r| r["reasons"].to_string().contains("close date passed")));
    assert!(s.iter().all(|r| r["opportunity_id"].is_string()));
    // A bad date is a usage error.
    env.fails(&["report", "winrate", "--from", "2024-02-30"], 2);
}

#[test]
fn forecast_category_set_on_the_opportunity_wins_over_the_stage() {
    let env = store();
    env.ok(&["opp", "edit", "Open EUR", "--forecast-category", "commit"]);
    let shown: Value =
        serde_json::from_str(&env.ok(&["opp", "show", "Open EUR", "--format", "json"])).expect("test data");
    let shown = if shown.is_array() { shown[0].clone() } else { shown };
    assert_eq!(shown["forecast_category"], "commit");
    let rows = json(&env, &["forecast"]);
    let all = rows
        .iter()
        .find(|r| r["period"] == "all" && r["owner"].is_null() && r["currency"] == "EUR")
        .expect("test data");
    assert_eq!(
        (all["commit"].as_str(), all["best_case"].as_str()),
        (Some("1000"), Some("0"))
    );
    // Clap knows the choices: an unknown one is a usage error.
    let err = env.fails(&["opp", "edit", "Open EUR", "--forecast-category", "maybe"], 2);
    assert!(err.contains("best_case"), "{err}");
}

#[test]
fn customers_rfm_at_risk_and_cross_sell() {
    let env = Env::new();
    env.ok(&["account", "add", "--name", "Acme"]);
    env.ok(&["account", "add", "--name", "Beta"]);
    for (name, close) in [("A1", "2024-01-01"), ("A2", "2024-01-31"), ("A3", "2024-03-01")] {
        env.ok(&[
            "opp",
            "add",
            "--account",
            "Acme",
            "--name",
            name,
            "--amount",
            "100",
            "--stage",
            "Closed Won",
            "--close",
            close,
        ]);
    }
    env.ok(&[
        "opp",
        "add",
        "--account",
        "Beta",
        "--name",
        "B1",
        "--amount",
        "50",
        "--currency",
        "USD",
        "--stage",
        "Closed Won",
        "--close",
        "2024-02-29",
    ]);
    let rows = json(&env, &["rfm"]);
    assert_eq!(rows.len(), 2);
    let acme = rows.iter().find(|r| r["account"] == "Acme").expect("test data");
    assert_eq!(
        (acme["frequency"].as_i64(), acme["monetary"].as_str()),
        (Some(3), Some("300"))
    );
    assert_eq!(acme["opportunity_ids"].as_array().map(Vec::len), Some(3));
    let beta = rows.iter().find(|r| r["account"] == "Beta").expect("test data");
    assert_eq!(beta["monetary"], "0");
    assert_eq!(beta["other_currencies"]["USD"], "50");
    // Acme bought every 30 days; the last in March 2024 is long ago.
    let risk = json(&env, &["at-risk"]);
    assert_eq!(risk.len(), 1);
    assert_eq!(risk[0]["usual_interval_days"], 30);
    assert!(
        risk[0]["reason"]
            .as_str()
            .expect("test data")
            .contains("usually every 30 days")
    );
    // No quotes: no cross-sell; an unknown account is exit 4.
    assert!(json(&env, &["cross-sell"]).is_empty());
    assert!(json(&env, &["cross-sell", "--account", "Acme"]).is_empty());
    env.fails(&["report", "cross-sell", "--account", "Nobody"], 4);
    for format in ["table", "ndjson", "csv"] {
        for r in ["rfm", "at-risk", "cross-sell"] {
            env.ok(&["report", r, "--format", format]);
        }
    }
}

#[test]
fn changes_since_a_day_through_the_binary() {
    let env = Env::new();
    env.ok(&["account", "add", "--name", "Acme"]);
    let today = chrono::Utc::now().date_naive().to_string();
    env.ok(&[
        "opp",
        "add",
        "--account",
        "Acme",
        "--name",
        "Now",
        "--amount",
        "10",
        "--close",
        &today,
    ]);
    env.ok(&[
        "opp",
        "add",
        "--account",
        "Acme",
        "--name",
        "Later",
        "--amount",
        "10",
        "--close",
        "2999-01-01",
    ]);
    let rows = json(&env, &["changes", "--since", "2000-01-01"]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0]["name"].as_str(), rows[0]["direction"].as_str()),
        (Some("Now"), Some("in"))
    );
    assert_eq!(rows[0]["reasons"][0], "created");
    env.ok(&["opp", "edit", "Now", "--close", "2999-01-02"]);
    let rows = json(&env, &["changes", "--since", "2000-01-01"]);
    assert!(rows.is_empty(), "created since and not in the quarter: {rows:?}");
    assert!(json(&env, &["changes", "--since", "2999-01-01"]).is_empty());
    for format in ["table", "ndjson", "csv"] {
        env.ok(&["report", "changes", "--since", "2000-01-01", "--format", format]);
    }
    env.fails(&["report", "changes"], 2);
}

#[test]
fn activity_weeks_overdue_and_no_next_step() {
    let env = store();
    for (kind, at) in [
        ("call", "2024-02-29 10:00"),
        ("visit", "2024-03-03 10:00"),
        ("meeting", "2024-03-04 09:00"),
    ] {
        env.ok(&[
            "activity",
            "add",
            "--kind",
            kind,
            "--subject",
            kind,
            "--account",
            "Acme",
            "--at",
            at,
            "--owner",
            "ana",
        ]);
    }
    env.ok(&[
        "activity",
        "add",
        "--kind",
        "task",
        "--subject",
        "Send offer",
        "--account",
        "Acme",
        "--due",
        "2024-01-01",
        "--owner",
        "ana",
    ]);
    let weeks = json(&env, &["activity"]);
    let got: Vec<(&str, i64, i64, i64)> = weeks
        .iter()
        .map(|r| {
            (
                r["week"].as_str().expect("test data"),
                r["calls"].as_i64().expect("test data"),
                r["meetings"].as_i64().expect("test data"),
                r["visits"].as_i64().expect("test data"),
            )
        })
        .collect();
    assert_eq!(got, vec![("2024-W09", 1, 0, 1), ("2024-W10", 0, 1, 0)]);
    assert!(weeks.iter().all(|r| r["owner"] == "ana"));
    let overdue = json(&env, &["activity", "--show", "overdue"]);
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0]["subject"], "Send offer");
    // Both open deals of the store have no next step.
    let open = json(&env, &["activity", "--show", "no-next-step"]);
    assert_eq!(open.len(), 2);
}

#[test]
fn forecast_for_one_owner() {
    let env = store();
    env.ok(&["user", "add", "--name", "Bo", "--login", "bo"]);
    env.ok(&["account", "add", "--name", "Other"]);
    env.ok(&[
        "opp",
        "add",
        "--account",
        "Other",
        "--name",
        "Bo's",
        "--amount",
        "5",
        "--close",
        "2024-03-01",
        "--owner",
        "bo",
    ]);
    let rows = json(&env, &["forecast", "--owner", "ana"]);
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|r| r["owner"].is_null() || r["owner"] == "ana"),
        "{rows:?}"
    );
    let all = rows
        .iter()
        .find(|r| r["period"] == "all" && r["owner"].is_null() && r["currency"] == "EUR")
        .expect("test data");
    assert_eq!(all["open"], "1000");
}
