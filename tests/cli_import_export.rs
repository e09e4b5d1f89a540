//! `import` and `export` through the real binary, including bad files.

mod common;

use common::{Env, s};

#[test]
fn import_matches_aliases_and_flag_names_and_resolves_accounts() {
    let env = Env::new();
    env.add(&["account", "add", "--name", "Acme GmbH", "--country", "DE"]);
    let file = env.write(
        "contacts.csv",
        "First Name,Last Name,E-mail Address,Company,Job Title,phone\n\
         Anna,Meyer,anna@acme.de,Acme GmbH,CEO,030 123456\n\
         Björn,Åström,bjorn@acme.de;b@acme.de,Acme GmbH,Buyer,\n",
    );
    let out = env.run(&["import", "contacts", s(&file)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("imported 2 contacts"));
    let list = env.json(&["contact", "list", "--sort", "first_name"]);
    assert_eq!(list[0]["first_name"], "Anna");
    assert_eq!(list[0]["account_name"], "Acme GmbH");
    assert_eq!(list[0]["title"], "CEO");
    assert_eq!(list[1]["emails"], serde_json::json!(["bjorn@acme.de", "b@acme.de"]));
}

#[test]
fn import_reports_every_bad_row_and_imports_nothing() {
    let env = Env::new();
    let file = env.write(
        "accounts.csv",
        "name,email,phone\nGood,ok@x.de,\n,empty@x.de,\nBad mail,nope,\nBad phone,,call me\n",
    );
    let err = env.fails(&["import", "accounts", s(&file)], 3);
    assert!(err.contains("row 3, column name: must not be empty"), "{err}");
    assert!(err.contains("row 4, column email:"), "{err}");
    assert!(err.contains("row 5, column phone:"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(env.json(&["account", "list"]), serde_json::json!([]));
}

/// A file of many parts (`store::WRITE_BATCH` rows each) is written part by part while
/// the next rows are read: a bad row after several parts were written leaves nothing,
/// nothing staged and nothing to sync; the same file without it imports every row once.
#[test]
fn a_bad_row_after_parts_were_written_leaves_nothing_and_the_good_file_imports_whole() {
    let env = Env::new();
    env.ok(&["account", "add", "--name", "Acme GmbH"]);
    let rows = 5 * outpost::store::WRITE_BATCH + 17;
    let file = |bad_row: Option<usize>| {
        let mut text = String::from("first_name,last_name,email,account\n");
        for n in 0..rows {
            let email = if Some(n) == bad_row {
                "not an e-mail".to_string()
            } else {
                format!("p{n}@acme.example")
            };
            text.push_str(&format!("P{n},Person,{email},Acme GmbH\n"));
        }
        text
    };
    let bad = env.write("bad.csv", &file(Some(rows - 3)));
    let err = env.fails(&["import", "contacts", s(&bad)], 3);
    assert!(err.contains(&format!("row {}, column email:", rows - 1)), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(env.json(&["contact", "list"]), serde_json::json!([]));
    let store = outpost::store::Store::open(&env.data()).expect("open");
    assert_eq!(store.staged_len(), 0, "nothing left staged");
    assert_eq!(store.outbox_len(), 1, "only the account waits to be sent");
    drop(store);
    let good = env.write("good.csv", &file(None));
    let out = env.ok(&["import", "contacts", s(&good)]);
    assert!(out.contains(&format!("create {rows}, update 0")), "{out}");
    let list = env.json(&["contact", "list"]);
    assert_eq!(list.as_array().map(Vec::len), Some(rows));
    assert!(
        list.as_array()
            .into_iter()
            .flatten()
            .all(|c| c["account_name"] == "Acme GmbH")
    );
    let store = outpost::store::Store::open(&env.data()).expect("open");
    assert_eq!(store.staged_len(), 0);
    assert_eq!(store.outbox_len(), rows + 1, "every row once, and the account");
}

#[test]
fn import_map_skip_and_dry_run() {
    let env = Env::new();
    let file = env.write(
        "leads.csv",
        "Vorname,Nachname,Firma,Notes\nKarl,Weiß,Rhein AG,call him\n",
    );
    let err = env.fails(&["import", "leads", s(&file)], 3);
    assert!(err.contains("'Vorname'") && err.contains("--map"), "{err}");
    let args = [
        "import",
        "leads",
        s(&file),
        "--map",
        "Vorname=first",
        "--map",
        "Nachname=last_name",
        "--map",
        "Firma=company",
        "--map",
        "Notes=",
    ];
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    let out = env.run(&dry);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("would import 1 leads"));
    assert_eq!(env.json(&["lead", "list"]), serde_json::json!([]));
    env.ok(&args);
    assert_eq!(env.json(&["lead", "list"])[0]["last_name"], "Weiß");
    let err = env.fails(&["import", "leads", s(&file), "--map", "Vorname=shoe_size"], 3);
    assert!(err.contains("no field 'shoe_size'"), "{err}");
}

#[test]
fn malformed_csv_files_get_clear_errors() {
    let env = Env::new();
    let ragged = env.write("ragged.csv", "name,city\nAcme,Berlin\nBolt,Paris,extra\n");
    let err = env.fails(&["import", "accounts", s(&ragged)], 3);
    assert!(
        err.contains("row 3") && err.contains("3 fields but the header has 2"),
        "{err}"
    );
    let latin1 = env.path("latin1.csv");
    std::fs::write(&latin1, b"name\nM\xfcller AG\n").expect("write");
    let err = env.fails(&["import", "accounts", s(&latin1)], 3);
    assert!(err.contains("row 2") && err.contains("UTF-8"), "{err}");
    // A control character is one error of its row, not also a missing field.
    let nul = env.write("nul.csv", "name,city\nNUL\u{0}Co,Berlin\n");
    let err = env.fails(&["import", "accounts", s(&nul)], 3);
    assert!(
        err.contains("1 of 1 rows have errors") && err.contains("U+0000"),
        "{err}"
    );
    assert!(!err.contains("must not be empty"), "{err}");
    let empty = env.write("empty.csv", "");
    env.fails(&["import", "accounts", s(&empty)], 3);
    let no_name = env.write("noname.csv", "city\nBerlin\n");
    let err = env.fails(&["import", "accounts", s(&no_name)], 3);
    assert!(err.contains("no column for name"), "{err}");
    let err = env.fails(&["import", "accounts", "/no/such/file.csv"], 1);
    assert!(err.contains("/no/such/file.csv"), "{err}");
    assert_eq!(err.matches("(os error 2)").count(), 1, "said once: {err}");
    env.fails(&["import", "widgets", s(&ragged)], 2);
    assert_eq!(env.json(&["account", "list"]), serde_json::json!([]));
}

/// A file read through a pipe (`/dev/stdin`, `<(...)`) imports as CSV: nothing looks into
/// it first, which would use it up. A vCard, an iCalendar text or JSON where CSV is read
/// is named as such.
#[test]
fn a_piped_csv_imports_and_a_file_that_is_not_csv_is_named() {
    use std::io::Write as _;
    use std::process::Stdio;
    let env = Env::new();
    let piped = |text: &str| {
        let mut child = env
            .cmd()
            .args(["import", "accounts", "/dev/stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
        child.wait_with_output().expect("wait")
    };
    let out = piped("name,city\nAcme,Berlin\nBolt,Paris\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(env.json(&["account", "list"]).as_array().map(Vec::len), Some(2));
    let out = piped("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Lee\r\nEND:VCARD\r\n");
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("this is a vCard file, not CSV") && err.contains(".vcf"),
        "{err}"
    );
    let json = env.write("accounts.json", "[{\"name\": \"Acme\"}]\n");
    let err = env.fails(&["import", "accounts", s(&json)], 3);
    assert!(err.contains("this is JSON, not CSV"), "{err}");
    assert_eq!(env.json(&["account", "list"]).as_array().map(Vec::len), Some(2));
}

/// Two records that share an e-mail export as two rows with their ids, and those rows
/// import as those two records into an empty store (and are unchanged the second time);
/// a row without an id that shares the e-mail is still the same contact as the first.
#[test]
fn rows_with_ids_that_share_an_email_import_as_their_records() {
    let from = Env::new();
    let one = from.add(&[
        "contact",
        "add",
        "--first",
        "Ana",
        "--last",
        "One",
        "--email",
        "ana@x.example",
    ]);
    let two = from.add(&[
        "contact",
        "add",
        "--first",
        "Ana",
        "--last",
        "Two",
        "--email",
        "ana@x.example",
    ]);
    let csv = from.ok(&["export", "contact", "--format", "csv"]);
    let into = Env::new();
    let file = into.write("c.csv", &csv);
    assert_eq!(
        into.ok(&["import", "contact", s(&file)]).trim(),
        "create 2, update 0, unchanged 0"
    );
    let mut ids: Vec<String> = into
        .json(&["contact", "list"])
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect();
    ids.sort();
    let mut expected = vec![one, two];
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(
        into.ok(&["import", "contact", s(&file)]).trim(),
        "create 0, update 0, unchanged 2"
    );
    assert_eq!(
        into.ok(&["import", "contact", s(&file), "--format", "csv"]),
        "rows,create,update,unchanged,dry_run\n2,0,0,2,false\n",
        "the counts as CSV, not JSON"
    );
    let fresh = Env::new();
    let mixed = fresh.write(
        "e.csv",
        &format!(
            "id,first_name,last_name,emails\n{},Ana,One,ana@x.example\n,Ana,Two,ana@x.example\n",
            ids[0]
        ),
    );
    let err = fresh.fails(&["import", "contact", s(&mixed)], 3);
    assert!(err.contains("row 3: the same contact as row 2"), "{err}");
    // The other way round too.
    let reversed = fresh.write(
        "f.csv",
        &format!(
            "id,first_name,last_name,emails\n,Ana,Two,ana@x.example\n{},Ana,One,ana@x.example\n",
            ids[0]
        ),
    );
    let err = fresh.fails(&["import", "contact", s(&reversed)], 3);
    assert!(err.contains("row 3: the same contact as row 2"), "{err}");
    assert_eq!(fresh.json(&["contact", "list"]), serde_json::json!([]));
}

#[test]
fn export_round_trips_through_import() {
    let src = Env::new();
    src.ok(&["demo", "--scale", "40", "--seed", "7"]);
    for entity in [
        "accounts",
        "contacts",
        "leads",
        "opps",
        "products",
        "activities",
        "events",
        "quotes",
        "quote_lines",
        "users",
    ] {
        for format in ["csv", "json", "ndjson"] {
            let out = src.ok(&["export", entity, "--format", format]);
            assert!(!out.is_empty(), "{entity} {format}");
        }
    }
    let dst = Env::new();
    for (entity, count) in [("accounts", 10), ("products", 40)] {
        let file = src.path(&format!("{entity}.csv"));
        src.ok(&["export", entity, "--format", "csv", "-o", s(&file)]);
        let out = dst.run(&["import", entity, s(&file)]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            dst.json(&[entity.trim_end_matches('s'), "list"])
                .as_array()
                .map(Vec::len),
            Some(count),
            "{entity}"
        );
    }
    let file = src.path("contacts.csv");
    src.ok(&["export", "contacts", "--format", "csv", "-o", s(&file)]);
    dst.ok(&["import", "contacts", s(&file)]);
    let a = src.json(&["export", "contacts"]);
    let b = dst.json(&["export", "contacts"]);
    let strip = |v: &serde_json::Value| -> Vec<(String, String, String, String)> {
        let mut rows: Vec<_> = v
            .as_array()
            .expect("array")
            .iter()
            .map(|c| {
                (
                    c["first_name"].to_string(),
                    c["last_name"].to_string(),
                    c["emails"].to_string(),
                    c["account_name"].to_string(),
                )
            })
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(strip(&a), strip(&b));
    let json: serde_json::Value =
        serde_json::from_str(&src.ok(&["export", "opps", "--format", "json"])).expect("one json array");
    assert_eq!(json.as_array().map(Vec::len), Some(15));
}
