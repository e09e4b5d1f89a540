//! CSV safety through the real binary: formulas escaped on export (unless `--raw`),
//! the escape undone on import (unless `--raw`), control characters refused on import,
//! and `export -o DIR` refused before anything is written.

mod common;

use common::{Env, s};
use serde_json::Value;

/// Names a spreadsheet would run as formulas, a value that looks escaped already, and
/// ones that must stay as they are.
const NAMES: [&str; 7] = [
    "=HYPERLINK(\"http://evil.example\",\"Click\")",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "'=already quoted",
    "Plain Co",
    "O'Brien & Sons",
];

fn fields(env: &Env, kind: &str, field: &str) -> Vec<String> {
    let mut v: Vec<String> = env
        .json(&[kind, "list"])
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| r[field].as_str().unwrap_or_default().to_string())
        .collect();
    v.sort();
    v
}

fn csv_cells(text: &str, column: &str) -> Vec<String> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let at = r
        .headers()
        .expect("headers")
        .iter()
        .position(|h| h == column)
        .expect("column");
    let mut v: Vec<String> = r.records().map(|x| x.expect("row")[at].to_string()).collect();
    v.sort();
    v
}

fn source() -> Env {
    let env = Env::new();
    for name in NAMES {
        env.ok(&["account", "add", &format!("--name={name}")]);
    }
    env.ok(&[
        "contact",
        "add",
        "--first",
        "Ana",
        "--last",
        "Lind",
        "--phone",
        "+49 30 1234567",
    ]);
    env
}

#[test]
fn export_escapes_formulas_and_import_takes_the_escape_back() {
    let a = source();
    let text = a.ok(&["export", "accounts", "--format", "csv"]);
    let mut expected: Vec<String> = vec![
        "'=HYPERLINK(\"http://evil.example\",\"Click\")".into(),
        "'+cmd|' /C calc'!A0".into(),
        "'-2+3+cmd|' /C calc'!A0".into(),
        "'@SUM(1+1)*cmd|' /C calc'!A0".into(),
        "''=already quoted".into(),
        "Plain Co".into(),
        "O'Brien & Sons".into(),
    ];
    expected.sort();
    assert_eq!(csv_cells(&text, "name"), expected);
    // A phone number is not a formula: it stays as it is.
    let contacts = a.ok(&["export", "contacts", "--format", "csv"]);
    let phone = csv_cells(&contacts, "phones");
    assert!(phone[0].starts_with('+') && !phone[0].starts_with("'+"), "{phone:?}");

    // Exported, then imported elsewhere: the same values.
    let b = Env::new();
    let file = b.write("accounts.csv", &text);
    b.ok(&["import", "accounts", s(&file)]);
    assert_eq!(fields(&b, "account", "name"), fields(&a, "account", "name"));
    // And exported again from there: the same file.
    assert_eq!(
        csv_cells(&b.ok(&["export", "accounts", "--format", "csv"]), "name"),
        csv_cells(&text, "name")
    );

    // --raw both ways round-trips too, and writes the cells as stored.
    let raw = a.path("raw.csv");
    a.ok(&["export", "accounts", "--format", "csv", "--raw", "-o", s(&raw)]);
    let raw_text = std::fs::read_to_string(&raw).expect("read");
    let mut stored: Vec<String> = NAMES.iter().map(ToString::to_string).collect();
    stored.sort();
    assert_eq!(csv_cells(&raw_text, "name"), stored);
    let c = Env::new();
    let file = c.write("raw.csv", &raw_text);
    c.ok(&["import", "accounts", "--raw", s(&file)]);
    assert_eq!(fields(&c, "account", "name"), fields(&a, "account", "name"));
    // An escaped file imported with --raw keeps the quote, as asked.
    let d = Env::new();
    let file = d.write("escaped.csv", &text);
    d.ok(&["import", "accounts", "--raw", s(&file)]);
    assert!(
        fields(&d, "account", "name")
            .iter()
            .any(|n| n.starts_with("'=HYPERLINK"))
    );
}

#[test]
fn control_characters_in_a_csv_are_refused_with_row_and_column() {
    let env = Env::new();
    let file = env.write("bad.csv", "name,city\nGood,Oslo\nBad\u{0}Co,Rome\nAlso,Ri\u{7}ga\n");
    let err = env.fails(&["import", "accounts", s(&file)], 3);
    assert!(err.contains("row 3, column 'name'") && err.contains("U+0000"), "{err}");
    assert!(err.contains("row 4, column 'city'") && err.contains("U+0007"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(env.json(&["account", "list"]), Value::Array(Vec::new()));
    // A tab or line break is refused in a one-line field (the model's rule, shared with
    // the server), and is text in a field that may hold several lines.
    let one_line = env.write("one.csv", "name,city\n\"Two\tWords\",Oslo\n");
    let err = env.fails(&["import", "accounts", s(&one_line)], 3);
    assert!(err.contains("U+0009"), "{err}");
    let ok = env.write(
        "ok.csv",
        "sku,name,price,description\nP-1,Widget,10,\"Line one\nLine\ttwo\"\n",
    );
    env.ok(&["import", "products", s(&ok)]);
}

#[test]
fn export_to_a_directory_is_a_usage_error_before_anything_is_written() {
    let env = source();
    let dir = env.path("outdir");
    std::fs::create_dir_all(&dir).expect("dir");
    let err = env.fails(&["export", "accounts", "-o", s(&dir)], 2);
    assert!(err.contains("names a directory") && !err.contains("exported"), "{err}");
    assert_eq!(std::fs::read_dir(&dir).expect("dir").count(), 0);
    let missing = format!("{}/", env.path("nothere").display());
    env.fails(&["export", "accounts", "-o", &missing], 2);
    assert!(!env.path("nothere").exists());
}
