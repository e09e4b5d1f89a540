//! Silent data defects, through the real binary: numbers read per locale, idempotent
//! re-import, dangling references in `check`, activities and their account, the done
//! rule, and list filters that do not apply to a kind.

mod common;

use common::{Env, s};
use serde_json::Value;

fn amount_of(env: &Env, name: &str) -> String {
    let opp = env.json(&["opp", "show", name]);
    opp[0]["amount"].as_str().expect("amount").to_string()
}

#[test]
fn amounts_with_a_decimal_comma_locale() {
    let env = Env::new();
    std::fs::create_dir_all(env.data()).expect("data dir");
    std::fs::write(env.data().join("config.toml"), "locale = \"de-DE\"\n").expect("config");
    env.ok(&["account", "add", "--name", "Acme"]);
    env.ok(&[
        "opp",
        "add",
        "--name",
        "A",
        "--account",
        "Acme",
        "--amount",
        "12.500,00",
    ]);
    assert_eq!(amount_of(&env, "A"), "12500.00");
    env.ok(&["opp", "add", "--name", "B", "--account", "Acme", "--amount", "1,5"]);
    assert_eq!(amount_of(&env, "B"), "1.50");
    env.ok(&["opp", "add", "--name", "C", "--account", "Acme", "--amount", "1.234,56"]);
    assert_eq!(amount_of(&env, "C"), "1234.56");
    // Not a number in de-DE: refused, nothing written.
    let err = env.fails(
        &["opp", "add", "--name", "D", "--account", "Acme", "--amount", "1,234.56"],
        3,
    );
    assert!(err.contains("de-DE"), "{err}");
    // The shell's LANG does not override config.toml.
    let out = env
        .cmd()
        .env("LANG", "en_US.UTF-8")
        .args(["opp", "edit", "B", "--amount", "2,5"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(amount_of(&env, "B"), "2.50");
    // Other decimal fields too: a product's tax.
    env.ok(&[
        "product", "add", "--sku", "P1", "--name", "Pump", "--price", "1.200,50", "--tax", "7,5",
    ]);
    let p = env.json(&["product", "show", "P1"]);
    assert_eq!(p[0]["prices"]["EUR"], "1200.50");
    assert_eq!(p[0]["tax_pct"], "7.5");
}

#[test]
fn amounts_with_a_decimal_point_locale_from_lang() {
    let env = Env::new();
    env.ok(&["account", "add", "--name", "Acme"]);
    let run = |args: &[&str]| env.cmd().env("LANG", "en_US.UTF-8").args(args).output().expect("run");
    let out = run(&["opp", "add", "--name", "A", "--account", "Acme", "--amount", "1,234.56"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(amount_of(&env, "A"), "1234.56");
    // A comma that does not group thousands is refused with both readings.
    let out = run(&["opp", "add", "--name", "B", "--account", "Acme", "--amount", "1,5"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1.5 or 15"), "{err}");
    // LC_ALL wins over LANG.
    let out = env
        .cmd()
        .env("LANG", "en_US.UTF-8")
        .env("LC_ALL", "de_DE.UTF-8")
        .args(["opp", "add", "--name", "C", "--account", "Acme", "--amount", "1,5"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(amount_of(&env, "C"), "1.50");
}

#[test]
fn without_a_locale_a_comma_is_refused_with_both_readings() {
    let env = Env::new();
    env.ok(&["account", "add", "--name", "Acme"]);
    for lang in [None, Some("C"), Some("POSIX"), Some("C.UTF-8")] {
        let mut cmd = env.cmd();
        if let Some(l) = lang {
            cmd.env("LANG", l);
        }
        let out = cmd
            .args(["opp", "add", "--name", "A", "--account", "Acme", "--amount", "1,5"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(3), "LANG={lang:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is it 1.5 or 15?"), "{err}");
        assert!(err.contains("locale = \"de-DE\""), "{err}");
    }
    let err = env.fails(
        &[
            "opp",
            "add",
            "--name",
            "A",
            "--account",
            "Acme",
            "--amount",
            "12.500,00",
        ],
        3,
    );
    assert!(err.contains("12500") && err.contains("12.5"), "{err}");
    assert_eq!(env.json(&["opp", "list"]), serde_json::json!([]));
    env.ok(&["opp", "add", "--name", "A", "--account", "Acme", "--amount", "12500.50"]);
    assert_eq!(amount_of(&env, "A"), "12500.50");
    // A bad locale in config.toml is a clear error.
    std::fs::write(env.data().join("config.toml"), "locale = \"xx-YY\"\n").expect("config");
    let err = env.fails(&["opp", "list"], 3);
    assert!(err.contains("locale"), "{err}");
}

#[test]
fn csv_import_reads_numbers_per_file_locale() {
    let env = Env::new();
    env.ok(&["account", "add", "--name", "Acme"]);
    let file = env.write(
        "opps.csv",
        "name,account,amount\nA,Acme,\"12.500,00\"\nB,Acme,\"1,5\"\n",
    );
    let err = env.fails(&["import", "opps", s(&file)], 3);
    assert!(err.contains("row 2, column amount:") && err.contains("is it"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    let out = env.ok(&["import", "opps", s(&file), "--locale", "de-DE"]);
    assert_eq!(out.trim(), "create 2, update 0, unchanged 0");
    assert_eq!(amount_of(&env, "A"), "12500.00");
    assert_eq!(amount_of(&env, "B"), "1.50");
    env.fails(&["import", "opps", s(&file), "--locale", "klingon"], 2);
}

fn outbox(env: &Env) -> u64 {
    env.json(&["sync", "status"])["pending"].as_u64().expect("pending")
}

#[test]
fn re_importing_a_file_changes_nothing_the_second_time() {
    let env = Env::new();
    env.ok(&["account", "add", "--name", "Acme GmbH"]);
    let file = env.write(
        "contacts.csv",
        "First Name,Last Name,E-mail Address,Company,Job Title\n\
         Anna,Meyer,anna@acme.de,Acme GmbH,CEO\n\
         Björn,Åström,bjorn@acme.de,Acme GmbH,Buyer\n\
         Carla,Ruiz,,Acme GmbH,CFO\n",
    );
    assert_eq!(
        env.ok(&["import", "contacts", s(&file)]).trim(),
        "create 3, update 0, unchanged 0"
    );
    let pending = outbox(&env);
    assert_eq!(
        env.ok(&["import", "contacts", s(&file)]).trim(),
        "create 0, update 0, unchanged 3"
    );
    assert_eq!(outbox(&env), pending, "an unchanged re-import records nothing");
    assert_eq!(env.json(&["contact", "list"]).as_array().map(Vec::len), Some(3));

    // One edited cell: that field of that record is updated, and recorded as an edit.
    let edited = env.write(
        "contacts2.csv",
        "First Name,Last Name,E-mail Address,Company,Job Title\n\
         anna,MEYER,ANNA@acme.de,Acme GmbH,CEO\n\
         Björn,Åström,bjorn@acme.de,Acme GmbH,Head of Buying\n\
         Carla,Ruiz,,Acme GmbH,CFO\n",
    );
    let dry = env.ok(&["import", "contacts", s(&edited), "--dry-run"]);
    assert_eq!(dry.trim(), "create 0, update 2, unchanged 1");
    assert_eq!(outbox(&env), pending, "a dry run writes nothing");
    let real = env.ok(&["import", "contacts", s(&edited)]);
    assert_eq!(real.trim(), "create 0, update 2, unchanged 1");
    let bjorn = env.json(&["contact", "show", "Björn Åström"]);
    assert_eq!(bjorn[0]["title"], "Head of Buying");
    assert_eq!(env.json(&["contact", "list"]).as_array().map(Vec::len), Some(3));
    // Anna matched by e-mail (case ignored); her name is now written as in the file, and
    // her address, the same ignoring case, is kept as it was.
    let anna = env.json(&["contact", "list", "--search", "anna"]);
    assert_eq!(anna[0]["first_name"], "anna");
    assert_eq!(anna[0]["emails"], serde_json::json!(["anna@acme.de"]));

    // A blank cell leaves its field alone; a new e-mail is added, not swapped in.
    let partial = env.write(
        "contacts3.csv",
        "First Name,Last Name,E-mail Address,Company,Job Title
         Björn,Åström,bjorn@acme.de;b@acme.de,Acme GmbH,
",
    );
    assert_eq!(
        env.ok(&["import", "contacts", s(&partial)]).trim(),
        "create 0, update 1, unchanged 0"
    );
    let bjorn = env.json(&["contact", "show", "Björn Åström"]);
    assert_eq!(bjorn[0]["title"], "Head of Buying");
    assert_eq!(bjorn[0]["emails"], serde_json::json!(["bjorn@acme.de", "b@acme.de"]));
    assert_eq!(
        env.ok(&["import", "contacts", s(&edited)]).trim(),
        "create 0, update 0, unchanged 3"
    );

    // The export round-trips: matched by id, nothing changes.
    let export = env.path("export.csv");
    env.ok(&["export", "contacts", "--format", "csv", "-o", s(&export)]);
    let before = outbox(&env);
    assert_eq!(
        env.ok(&["import", "contacts", s(&export)]).trim(),
        "create 0, update 0, unchanged 3"
    );
    assert_eq!(outbox(&env), before);
}

#[test]
fn import_modes_and_conflicting_rows() {
    let env = Env::new();
    env.ok(&["account", "add", "--name", "Acme"]);
    let file = env.write("accounts.csv", "name,city\nacme ,Berlin\nNordic Paper AB,Umeå\n");
    // create: a row that matches an existing record is an error; nothing is written.
    let err = env.fails(&["import", "accounts", s(&file), "--mode", "create"], 3);
    assert!(err.contains("row 2: matches existing account 'Acme'"), "{err}");
    assert_eq!(env.json(&["account", "list"]).as_array().map(Vec::len), Some(1));
    // update: a row that matches nothing is an error.
    let err = env.fails(&["import", "accounts", s(&file), "--mode", "update"], 3);
    assert!(err.contains("row 3: matches no existing account"), "{err}");
    assert!(!err.contains("row 2"), "{err}");
    // upsert (the default): one update, one create.
    assert_eq!(
        env.ok(&["import", "accounts", s(&file)]).trim(),
        "create 1, update 1, unchanged 0"
    );
    assert_eq!(env.json(&["account", "show", "Acme"])[0]["city"], "Berlin");
    // Two rows of one file for one record are an error.
    let twice = env.write("twice.csv", "name,city\nTwin AG,Köln\ntwin ag,Bonn\n");
    let err = env.fails(&["import", "accounts", s(&twice)], 3);
    assert!(err.contains("row 3: the same account as row 2"), "{err}");
    // Rows matched by id may share a name (two records may), but not an id.
    let a = env.add(&["account", "add", "--name", "Same Name"]);
    let b = env.add(&["account", "add", "--name", "Same Name"]);
    let by_id = env.write(
        "ids.csv",
        &format!("id,name,city\n{a},Same Name,Ulm\n{b},Same Name,Jena\n"),
    );
    assert_eq!(
        env.ok(&["import", "accounts", s(&by_id)]).trim(),
        "create 0, update 2, unchanged 0"
    );
    let same = env.write("same.csv", &format!("id,name\n{a},Same Name\n{a},Same Name\n"));
    let err = env.fails(&["import", "accounts", s(&same)], 3);
    assert!(err.contains("row 3: the same account as row 2"), "{err}");
    // An id of another kind, or one that is not an id at all, is an error.
    let contact = env.add(&["contact", "add", "--first", "A", "--last", "B"]);
    let wrong = env.write("wrong.csv", &format!("id,name\n{contact},X\n0015g00000XyZ,Y\n"));
    let err = env.fails(&["import", "accounts", s(&wrong)], 3);
    assert!(
        err.contains("row 2, column id:") && err.contains("a contact, not of accounts"),
        "{err}"
    );
    assert!(
        err.contains("row 3, column id: '0015g00000XyZ' is not an outpost id"),
        "{err}"
    );
    // A row that matches several existing records names them.
    env.ok(&["account", "add", "--name", "acme"]);
    let err = env.fails(&["import", "accounts", s(&file)], 3);
    assert!(err.contains("row 2: matches 2 existing accounts"), "{err}");
    // JSON counts for scripts.
    let ok = env.write("one.csv", "name\nNordic Paper AB\n");
    let counts: Value =
        serde_json::from_str(&env.ok(&["import", "accounts", s(&ok), "--format", "json"])).expect("json");
    assert_eq!(counts["unchanged"], 1);
    assert_eq!(counts["create"], 0);
}

#[test]
fn check_reports_dangling_references_and_repair_does_not_invent_data() {
    let env = Env::new();
    env.ok(&["account", "add", "--name", "Acme"]);
    env.ok(&[
        "contact",
        "add",
        "--first",
        "Anna",
        "--last",
        "Meyer",
        "--account",
        "Acme",
    ]);
    assert!(env.ok(&["check"]).contains("ok"));
    // A backup whose account is missing gives a contact that points at nothing.
    let backup = env.path("b.ndjson");
    env.ok(&["backup", s(&backup)]);
    let text = std::fs::read_to_string(&backup).expect("backup");
    let cut: String = text
        .lines()
        .filter(|l| !l.contains("\"type\":\"record\",\"entity\":\"account\""))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&backup, cut).expect("write");
    let other = Env::new();
    other.ok(&["restore", s(&backup)]);
    let out = other.run(&["check"]);
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.lines().any(|l| l == "ok"), "{stdout}");
    assert!(
        stdout.contains("dangling: contact") && stdout.contains("'Anna Meyer': account_id points at account"),
        "{stdout}"
    );
    let out = other.run(&["check", "--repair"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("dangling: contact"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not invent or remove"));
    let contact = other.json(&["contact", "show", "Anna Meyer"]);
    assert!(contact[0]["account_id"].is_string(), "the link is kept");
}

#[test]
fn logging_an_activity_for_a_contact_or_deal_fills_its_account() {
    let env = Env::new();
    let acme = env.add(&["account", "add", "--name", "Acme"]);
    let nordic = env.add(&["account", "add", "--name", "Nordic"]);
    env.ok(&[
        "contact",
        "add",
        "--first",
        "Anna",
        "--last",
        "Meyer",
        "--account",
        "Acme",
    ]);
    env.ok(&[
        "opp",
        "add",
        "--name",
        "Big deal",
        "--account",
        "Nordic",
        "--amount",
        "100",
    ]);
    let call = env.json(&[
        "activity",
        "log",
        "call",
        "--subject",
        "Hello",
        "--contact",
        "Anna Meyer",
    ]);
    assert_eq!(call["account_id"], acme.as_str());
    let visit = env.json(&["activity", "log", "visit", "--subject", "On site", "--opp", "Big deal"]);
    assert_eq!(visit["account_id"], nordic.as_str());
    // A given account is kept.
    let note = env.json(&[
        "activity",
        "log",
        "note",
        "--subject",
        "x",
        "--contact",
        "Anna Meyer",
        "--account",
        "Nordic",
    ]);
    assert_eq!(note["account_id"], nordic.as_str());
    // `activity add` follows the same rule.
    let task = env.json(&[
        "activity",
        "add",
        "--kind",
        "task",
        "--subject",
        "t",
        "--contact",
        "Anna Meyer",
    ]);
    assert_eq!(task["account_id"], acme.as_str());
}

#[test]
fn only_tasks_can_be_marked_done() {
    let env = Env::new();
    env.ok(&["activity", "log", "call", "--subject", "Price talk"]);
    env.ok(&["activity", "log", "task", "--subject", "Send quote"]);
    let err = env.fails(&["activity", "done", "Price talk"], 3);
    assert!(err.contains("not a task"), "{err}");
    env.ok(&["activity", "done", "Send quote"]);
    assert_eq!(env.json(&["activity", "show", "Send quote"])[0]["done"], true);
    env.ok(&["activity", "done", "Send quote", "--undo"]);
    assert_eq!(env.json(&["activity", "show", "Send quote"])[0]["done"], false);
}

#[test]
fn list_filters_that_do_not_apply_are_usage_errors() {
    let env = Env::new();
    let err = env.fails(&["account", "list", "--stage", "Proposal"], 2);
    assert!(
        err.contains("--stage does not apply to accounts") && err.contains("opportunities"),
        "{err}"
    );
    let err = env.fails(&["product", "list", "--owner", "sara"], 2);
    assert!(err.contains("--owner does not apply to products"), "{err}");
    env.fails(&["lead", "list", "--account", "Acme"], 2);
    let help = env.ok(&["account", "list", "--help"]);
    assert!(!help.contains("--stage") && help.contains("--owner"), "{help}");
    assert!(env.ok(&["opp", "list", "--help"]).contains("--stage"));
    env.ok(&["opp", "list", "--stage", "Proposal"]);
}
