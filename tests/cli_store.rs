//! Backup/restore, migrations, trash, check, demo and completions through the real binary.

mod common;

use common::{Env, s};
use outpost::model::EntityKind;
use outpost::store::{Mutation, Store};

#[test]
fn backup_then_restore_gives_an_identical_store() {
    let a = Env::new();
    a.ok(&["demo", "--scale", "60"]);
    let first = a.json(&["account", "list", "--limit", "1"])[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    a.ok(&["account", "rm", &first, "--cascade"]);
    let first = a.path("one.ndjson");
    a.ok(&["backup", s(&first)]);
    let b = Env::new();
    let out = b.run(&["restore", s(&first)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let second = b.path("two.ndjson");
    b.ok(&["backup", s(&second)]);
    assert_eq!(
        std::fs::read(&first).expect("read"),
        std::fs::read(&second).expect("read"),
        "backups of original and restored store differ"
    );
    assert!(b.ok(&["check"]).contains("ok"));
    assert_eq!(
        a.ok(&["export", "opps", "--format", "csv"]),
        b.ok(&["export", "opps", "--format", "csv"])
    );
    assert_eq!(
        a.ok(&["trash", "list", "--format", "csv"]),
        b.ok(&["trash", "list", "--format", "csv"])
    );
    // Restoring over data is refused; the store is untouched.
    let err = b.fails(&["restore", s(&first)], 3);
    assert!(err.contains("not empty"), "{err}");
}

#[test]
fn broken_backups_are_refused_before_anything_is_written() {
    let env = Env::new();
    let good = Env::new();
    good.ok(&["account", "add", "--name", "Acme"]);
    let file = good.path("b.ndjson");
    good.ok(&["backup", s(&file)]);
    let text = std::fs::read_to_string(&file).expect("read");
    let cases = [
        ("garbage.ndjson", "this is not json\n".to_string(), "line 1"),
        (
            "noheader.ndjson",
            text.lines().skip(1).collect::<Vec<_>>().join("\n"),
            "header",
        ),
        ("truncated.ndjson", format!("{}{{\"type\":\"record\"", text), "line"),
        ("empty.ndjson", String::new(), "empty"),
        (
            "wrongkind.ndjson",
            text.replace("\"entity\":\"account\"", "\"entity\":\"opportunity\""),
            "not a field",
        ),
        (
            "noseq.ndjson",
            text.lines()
                .filter(|l| !l.contains("\"next_seq\""))
                .collect::<Vec<_>>()
                .join("\n"),
            "next is",
        ),
    ];
    for (name, body, needle) in cases {
        let p = env.write(name, &body);
        let err = env.fails(&["restore", s(&p)], 3);
        assert!(
            err.contains(needle) && err.contains("nothing was restored"),
            "{name}: {err}"
        );
    }
    assert_eq!(env.json(&["account", "list"]), serde_json::json!([]));
    env.fails(&["restore", "/no/such/backup"], 1);
}

#[test]
fn an_older_stage_history_array_becomes_entries_and_shows_the_same_history() {
    let env = Env::new();
    let opp = {
        let store = Store::open(&env.data()).expect("open");
        let mut a = serde_json::Map::new();
        a.insert("name".into(), "Old Corp".into());
        let account = Mutation::create(EntityKind::Account, a);
        let mut o = serde_json::Map::new();
        o.insert("name".into(), "Old deal".into());
        o.insert("account_id".into(), account.id.to_string().into());
        o.insert("stage".into(), "Negotiation".into());
        let opp = Mutation::create(EntityKind::Opportunity, o);
        store.commit(&[account, opp.clone()]).expect("commit");
        opp.id
    };
    let outbox_before = {
        // Make it look like schema 3: the history is one array field, no loss reason.
        let db = open_raw(&env.data().join("store"));
        let tree = db.open_tree("opportunity").expect("tree");
        let bytes = tree.get(opp.as_bytes()).expect("get").expect("record");
        let mut stored: outpost::store::Stored = serde_json::from_slice(&bytes).expect("decode");
        stored.fields.remove("loss_reason");
        stored.fields.insert(
            "stage_history".into(),
            serde_json::json!([
                {"stage": "Negotiation", "at": "2026-02-01T12:30:00Z"},
                {"stage": "Prospecting", "at": "2026-01-05T10:00:00Z"},
            ]),
        );
        tree.insert(opp.as_bytes(), serde_json::to_vec(&stored).expect("encode"))
            .expect("insert");
        db.open_tree("meta")
            .expect("tree")
            .insert("schema_version", "3")
            .expect("insert");
        db.flush().expect("flush");
        db.open_tree("outbox").expect("tree").len()
    };
    let shown = env.json(&["opp", "show", "Old deal"])[0].clone();
    let history: Vec<(String, String)> = shown["stage_history"]
        .as_array()
        .expect("an array")
        .iter()
        .map(|h| (s_of(&h["stage"]), s_of(&h["at"])))
        .collect();
    assert_eq!(
        history,
        [
            ("Prospecting".to_string(), "2026-01-05T10:00:00.000Z".to_string()),
            ("Negotiation".to_string(), "2026-02-01T12:30:00.000Z".to_string()),
        ],
        "the same history, ordered by time"
    );
    let table = env.ok(&["opp", "show", "Old deal"]);
    assert!(table.contains("Stage history"), "{table}");
    {
        let store = Store::open(&env.data()).expect("open");
        assert_eq!(store.schema_version().expect("schema"), outpost::store::SCHEMA_VERSION);
        let stored = store.get(EntityKind::Opportunity, opp).expect("get").expect("deal");
        assert!(stored.fields["stage_history"].is_object(), "stored as entries");
        assert_eq!(store.outbox_len(), outbox_before, "migrating sends nothing");
    }
    // A move after the migration adds an entry and keeps the old ones.
    env.ok(&["opp", "move", "Old deal", "Closed Won"]);
    let shown = env.json(&["opp", "show", "Old deal"])[0].clone();
    let stages: Vec<String> = shown["stage_history"]
        .as_array()
        .expect("an array")
        .iter()
        .map(|h| s_of(&h["stage"]))
        .collect();
    assert_eq!(stages, ["Prospecting", "Negotiation", "Closed Won"]);
    assert_eq!(shown["stage_history"][2]["from"], "Negotiation");
    assert!(env.ok(&["check"]).contains("ok"));

    // A backup written by the older schema (history as an array) restores to entries.
    let file = env.path("new.ndjson");
    env.ok(&["backup", s(&file)]);
    let old_backup: Vec<String> = std::fs::read_to_string(&file)
        .expect("read")
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).expect("json line");
            if v["type"] == "header" {
                v["schema"] = 3.into();
            }
            if let Some(h) = v.get_mut("fields").and_then(|f| f.get_mut("stage_history")) {
                let mut list: Vec<serde_json::Value> = h.as_object().expect("entries").values().cloned().collect();
                list.reverse();
                *h = serde_json::Value::Array(list);
            }
            v.to_string()
        })
        .collect();
    let restored = Env::new();
    let old_file = restored.write("old.ndjson", &(old_backup.join("\n") + "\n"));
    restored.ok(&["restore", s(&old_file)]);
    let again = restored.json(&["opp", "show", "Old deal"])[0].clone();
    let strip_ids = |v: &serde_json::Value| -> Vec<(String, String)> {
        v.as_array()
            .expect("an array")
            .iter()
            .map(|h| (s_of(&h["stage"]), s_of(&h["at"])))
            .collect()
    };
    assert_eq!(strip_ids(&again["stage_history"]), strip_ids(&shown["stage_history"]));
    assert!(restored.ok(&["check"]).contains("ok"));
    let store = Store::open(&restored.data()).expect("open");
    let stored = store.get(EntityKind::Opportunity, opp).expect("get").expect("deal");
    assert!(stored.fields["stage_history"].is_object(), "restored as entries");
}

fn s_of(v: &serde_json::Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

#[test]
fn an_older_store_is_migrated_and_a_newer_one_refused() {
    let env = Env::new();
    {
        let store = Store::open(&env.data()).expect("open");
        let mut f = serde_json::Map::new();
        f.insert("name".into(), "Old Corp".into());
        store
            .commit(&[Mutation::create(EntityKind::Account, f)])
            .expect("commit");
    }
    {
        // Make it look like schema 1: no title index.
        let db = open_raw(&env.data().join("store"));
        db.open_tree("idx_title").expect("tree").clear().expect("clear");
        db.open_tree("meta")
            .expect("tree")
            .insert("schema_version", "1")
            .expect("insert");
        db.flush().expect("flush");
    }
    assert!(
        env.ok(&["account", "show", "Old Corp"]).contains("Old Corp"),
        "the migration rebuilt the title index"
    );
    assert!(env.ok(&["check"]).contains("ok"));
    {
        let db = open_raw(&env.data().join("store"));
        db.open_tree("meta")
            .expect("tree")
            .insert("schema_version", "99")
            .expect("insert");
        db.flush().expect("flush");
    }
    let err = env.fails(&["account", "list"], 1);
    assert!(err.contains("schema version 99") && err.contains("newer"), "{err}");
}

#[test]
fn a_schema_4_store_gets_its_activity_digests_back() {
    let env = Env::new();
    env.ok(&["demo", "--scale", "60"]);
    let before = [
        env.ok(&["report", "activity", "--format", "json"]),
        env.ok(&["report", "stale", "--format", "json"]),
    ];
    assert!(before[0].contains("activity_ids"), "{}", before[0]);
    {
        // Schema 4 had no idx_touch: the reports would see no activity at all.
        let db = open_raw(&env.data().join("store"));
        let touch = db.open_tree("idx_touch").expect("tree");
        assert!(!touch.is_empty(), "activities are digested as they are written");
        touch.clear().expect("clear");
        db.open_tree("meta")
            .expect("tree")
            .insert("schema_version", "4")
            .expect("insert");
        db.flush().expect("flush");
    }
    let after = [
        env.ok(&["report", "activity", "--format", "json"]),
        env.ok(&["report", "stale", "--format", "json"]),
    ];
    assert_eq!(before, after, "the migration wrote every digest again");
    assert!(env.ok(&["check"]).contains("ok"));
}

#[test]
fn trash_list_and_restore() {
    let env = Env::new();
    let id = env.add(&["account", "add", "--name", "Acme"]);
    env.ok(&["account", "rm", "Acme"]);
    let trash = env.json(&["trash", "list"]);
    assert_eq!(trash[0]["id"], id.as_str());
    assert_eq!(trash[0]["kind"], "account");
    env.fails(&["account", "edit", &id, "--city", "X"], 4);
    env.ok(&["trash", "restore", &id[..23]]);
    assert_eq!(env.json(&["account", "show", "Acme"])[0]["name"], "Acme");
    env.fails(&["trash", "restore", &id], 4);
    env.ok(&["account", "rm", "Acme"]);
    env.ok(&["trash", "restore", "acme"]);
    assert_eq!(
        env.json(&["account", "list"]).as_array().map(Vec::len),
        Some(1),
        "restored by name"
    );
}

#[test]
fn demo_is_reproducible_and_refuses_a_full_store() {
    let a = Env::new();
    let b = Env::new();
    a.ok(&["demo", "--seed", "3", "--scale", "40"]);
    b.ok(&["demo", "--seed", "3", "--scale", "40"]);
    let names = |e: &Env| -> Vec<String> {
        e.json(&["export", "accounts"])
            .as_array()
            .expect("array")
            .iter()
            .map(|r| r["name"].as_str().expect("name").to_string())
            .collect()
    };
    assert_eq!(names(&a), names(&b));
    assert!(
        names(&a).iter().any(|n| !n.is_ascii()),
        "names from several countries, some non-ASCII"
    );
    let err = a.fails(&["demo"], 3);
    assert!(err.contains("already has records"), "{err}");
    let c = Env::new();
    c.ok(&["demo"]);
    for (entity, at_least) in [
        ("account", 200),
        ("contact", 800),
        ("lead", 150),
        ("opp", 300),
        ("product", 40),
        ("quote", 60),
        ("activity", 1500),
        ("event", 50),
    ] {
        let n = c.json(&[entity, "list"]).as_array().map_or(0, Vec::len);
        assert!(n >= at_least, "{entity}: {n}");
    }
    let stages: std::collections::BTreeSet<String> = c
        .json(&["opp", "list"])
        .as_array()
        .expect("array")
        .iter()
        .map(|o| o["stage"].as_str().expect("stage").to_string())
        .collect();
    assert_eq!(stages.len(), 7, "every stage: {stages:?}");
    assert!(c.ok(&["check"]).contains("ok"));
}

#[test]
fn check_finds_and_repairs_a_broken_index() {
    let env = Env::new();
    env.ok(&["demo", "--scale", "20"]);
    {
        let db = open_raw(&env.data().join("store"));
        let t = db.open_tree("idx_parent").expect("tree");
        let first = t.first().expect("read").expect("an entry");
        t.remove(first.0).expect("remove");
        db.flush().expect("flush");
    }
    let out = env.run(&["check"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("idx_parent: 1 entries missing"));
    assert!(env.ok(&["check", "--repair"]).contains("repaired"));
    assert!(env.ok(&["check"]).contains("ok"));
}

#[test]
fn completions_for_every_shell() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert!(env.ok(&["completions", shell]).contains("outpost"), "{shell}");
    }
    env.fails(&["completions", "tcsh"], 2);
}

#[test]
fn the_store_is_locked_against_a_second_process_with_a_clear_message() {
    let env = Env::new();
    env.ok(&["account", "add", "--name", "Acme"]);
    let _store = Store::open(&env.data()).expect("open");
    let err = env.fails(&["account", "list"], 1);
    assert!(err.contains("in use by another outpost process"), "{err}");
}

/// Opens the store's sled database directly. sled lets go of its file lock from a
/// background thread shortly after the last handle drops, so a busy machine may need a
/// moment.
fn open_raw(path: &std::path::Path) -> sled::Db {
    for _ in 0..100 {
        match sled::open(path) {
            Ok(db) => return db,
            Err(e) if e.to_string().contains("lock") => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(e) => panic!("sled: {e}"),
        }
    }
    panic!("sled: {} stayed locked", path.display())
}

/// `list` in the store's order streams its rows: with `--limit` it gives the first rows
/// of the whole list, in every format and with filters, and sorting still sees them all.
#[test]
fn a_limited_list_is_the_start_of_the_whole_one() {
    let env = Env::new();
    env.ok(&["demo", "--scale", "60"]);
    let all = env.json(&["contact", "list"]);
    let all = all.as_array().expect("a list");
    assert!(all.len() > 20);
    let five = env.json(&["contact", "list", "--limit", "5"]);
    assert_eq!(five.as_array().expect("a list").as_slice(), &all[..5]);
    assert_eq!(env.json(&["contact", "list", "--limit", "0"]), serde_json::json!([]));
    let ndjson = env.ok(&["contact", "list", "--format", "ndjson", "--limit", "3"]);
    let lines: Vec<serde_json::Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson line"))
        .collect();
    assert_eq!(lines.as_slice(), &all[..3]);
    let csv = env.ok(&["contact", "list", "--format", "csv", "--limit", "2"]);
    assert_eq!(csv.lines().count(), 3, "a header and two rows: {csv}");
    // Sorted or reversed, the limit applies to the whole list.
    let last = env.json(&["contact", "list", "--desc", "--limit", "1"]);
    assert_eq!(last[0], all[all.len() - 1]);
    let by_name = env.json(&["contact", "list", "--sort", "last_name", "--limit", "1"]);
    let first_name = all
        .iter()
        .filter_map(|c| c["last_name"].as_str())
        .min_by_key(|n| n.to_lowercase())
        .expect("names");
    assert_eq!(by_name[0]["last_name"], first_name);
    // With a filter, the first rows of the filtered list.
    let account = all[0]["account_id"].as_str().expect("an account").to_string();
    let theirs = env.json(&["contact", "list", "--account", &account]);
    let one = env.json(&["contact", "list", "--account", &account, "--limit", "1"]);
    assert_eq!(one[0], theirs[0]);
}

/// A backup or an export of a data dir that holds no store (a mistyped --data-dir) is an
/// error, and makes neither a store nor an empty backup file.
#[test]
fn a_backup_of_a_data_dir_without_a_store_is_refused() {
    let env = Env::new();
    let file = env.path("b.ndjson");
    let err = env.fails(&["backup", file.to_str().expect("path")], 4);
    assert!(err.contains("holds no outpost data"), "{err}");
    assert!(!file.exists(), "no empty backup");
    assert!(!env.data().join("store").exists(), "no store made");
    env.fails(&["export", "contact"], 4);
}

/// `trash restore` of an account trashed with `--cascade` brings back its contacts and
/// deals trashed with it, not a contact trashed on its own before.
#[test]
fn a_cascade_comes_back_from_the_trash_whole() {
    let env = Env::new();
    env.add(&["account", "add", "--name", "Meridian Lda."]);
    for (first, last) in [("Ana", "One"), ("Rui", "Two")] {
        env.add(&[
            "contact",
            "add",
            "--first",
            first,
            "--last",
            last,
            "--account",
            "Meridian Lda.",
        ]);
    }
    env.add(&[
        "opp",
        "add",
        "--name",
        "Deal",
        "--account",
        "Meridian Lda.",
        "--amount",
        "10",
    ]);
    env.ok(&["contact", "rm", "Rui Two"]);
    env.ok(&["account", "rm", "Meridian Lda.", "--cascade"]);
    let out = env.ok(&["trash", "restore", "Meridian Lda."]);
    assert!(out.contains("and 2 related records trashed with it"), "{out}");
    assert_eq!(env.json(&["contact", "list"]).as_array().map(Vec::len), Some(1));
    assert_eq!(env.json(&["opp", "list"]).as_array().map(Vec::len), Some(1));
    let trash = env.json(&["trash", "list"]);
    assert_eq!(trash.as_array().map(Vec::len), Some(1), "{trash}");
}

/// A converted lead links the account, contact and deal made from it: the cascade comes
/// back in an order where each record's links are back first.
#[test]
fn a_cascade_with_a_converted_lead_comes_back_too() {
    let env = Env::new();
    env.add(&[
        "lead",
        "add",
        "--first",
        "Ana",
        "--last",
        "Lead",
        "--company",
        "Lead Co",
    ]);
    env.ok(&["lead", "convert", "Ana Lead"]);
    env.ok(&["account", "rm", "Lead Co", "--cascade"]);
    let out = env.ok(&["trash", "restore", "Lead Co"]);
    assert!(out.contains("and 3 related records trashed with it"), "{out}");
    assert_eq!(env.json(&["trash", "list"]), serde_json::json!([]));
    assert!(env.ok(&["check"]).contains("ok"));
}
