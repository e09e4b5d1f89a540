//! Identity through the real binary and a real `outpost serve` on 127.0.0.1: server
//! users have a login and a display name and reach every laptop as User records; owners
//! resolve by login, name or e-mail; work done before the first login is adopted; demo
//! data is not pushed by mistake. Each scenario runs on sled, and on PostgreSQL when
//! `OUTPOST_TEST_PG` is set.

mod sync_support;

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use sync_support::{Laptop, PgDb, ServerProc, server_cmd, server_user_add as add_user};

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn by_name<'a>(records: &'a [Value], name: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no record named {name} in {records:?}"))
}

/// The first-day path of the issue: a rep works offline with her display name as the
/// configured owner, her admin adds her to the server, she logs in and syncs. Nothing is
/// refused or lost, and her manager sees the records as hers.
fn first_day(database: Option<&str>) {
    let t = sync_support::temp();
    let srv = t.path().join("srv");
    let sara = Laptop::new(&t, "sara");
    std::fs::create_dir_all(&sara.dir).expect("mkdir");
    std::fs::write(sara.dir.join("config.toml"), "owner = \"Sara Lindqvist\"\n").expect("config");
    sara.ok(&["account", "add", "--name", "Nordic Paper AB", "--city", "Umeå"]);
    sara.ok(&[
        "opp",
        "add",
        "--name",
        "Nordic deal",
        "--account",
        "Nordic Paper AB",
        "--amount",
        "5000",
    ]);
    // Before the first sync nobody is known, so any owner is kept as typed.
    let offline = Laptop::new(&t, "offline");
    offline.ok(&["account", "add", "--name", "Fjord Timber", "--owner", "Kenji Mori"]);
    assert_eq!(offline.records("accounts")[0]["owner"], "Kenji Mori");
    assert_eq!(
        by_name(&sara.records("accounts"), "Nordic Paper AB")["owner"],
        "Sara Lindqvist"
    );

    let sara_token = add_user(
        &srv,
        database,
        &[
            "sara",
            "--role",
            "rep",
            "--name",
            "Sara Lindqvist",
            "--email",
            "sara@example.com",
        ],
    );
    let boss_token = add_user(&srv, database, &["maja", "--role", "manager", "--name", "Maja Berg"]);
    let server = ServerProc::start(&srv, "127.0.0.1:0", database);

    let out = sara.ok(&["sync", "login", "--server", &server.url, "--token", &sara_token]);
    assert!(out.contains("as sara (Sara Lindqvist)"), "{out}");
    assert!(out.contains("adopted 2 records"), "{out}");
    let sync = sara.run(&["sync"]);
    let (stdout, stderr) = text(&sync);
    assert!(sync.status.success(), "{stdout}{stderr}");
    assert!(!stderr.contains("refused"), "{stderr}");
    assert!(stdout.ends_with("conflicts 0\n"), "{stdout}");
    let status = sara.json(&["sync", "status"]);
    assert_eq!(
        (status["pending"].as_u64(), status["open_conflicts"].as_u64()),
        (Some(0), Some(0))
    );

    // Still there on her laptop, now owned by her login and shown by name.
    let accounts = sara.records("accounts");
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    let nordic = by_name(&accounts, "Nordic Paper AB");
    assert_eq!(
        (&nordic["owner"], &nordic["owner_name"]),
        (&Value::from("sara"), &Value::from("Sara Lindqvist"))
    );
    let opps = sara.records("opps");
    assert_eq!(opps.len(), 1);
    assert_eq!(opps[0]["owner"], "sara");
    assert!(sara.ok(&["opp", "list"]).contains("Sara Lindqvist"));

    // The manager's laptop gets them, owned by sara and shown as "Sara Lindqvist".
    let boss = Laptop::new(&t, "maja");
    boss.login(&server.url, &boss_token);
    boss.sync();
    let seen = boss.records("accounts");
    let nordic = by_name(&seen, "Nordic Paper AB");
    assert_eq!(nordic["owner"], "sara");
    assert_eq!(nordic["owner_name"], "Sara Lindqvist");
    let opps = boss.json(&["opp", "list"]);
    assert_eq!(opps[0]["owner"], "sara");
    assert_eq!(opps[0]["owner_name"], "Sara Lindqvist");
    let table = boss.ok(&["account", "list"]);
    assert!(table.contains("Sara Lindqvist"), "{table}");
    let users = boss.records("users");
    let logins: Vec<&str> = users.iter().filter_map(|u| u["login"].as_str()).collect();
    assert_eq!(logins.len(), 2, "{users:?}");
    assert!(logins.contains(&"sara") && logins.contains(&"maja"));

    // Every laptop resolves an owner by login, display name or e-mail, any case.
    for (i, who) in ["sara", "Sara Lindqvist", "SARA@example.com", " sara lindqvist "]
        .iter()
        .enumerate()
    {
        let name = format!("Lead account {i}");
        boss.ok(&["account", "add", "--name", &name, "--owner", who]);
        assert_eq!(by_name(&boss.records("accounts"), &name)["owner"], "sara", "{who}");
    }
    let mine = boss.json(&["account", "list", "--owner", "Sara Lindqvist"]);
    assert_eq!(mine.as_array().map(Vec::len), Some(5), "{mine}");
    // Once the users are known, an owner naming nobody is invalid input (exit 3).
    let out = boss.run(&["account", "add", "--name", "Nobody's", "--owner", "Kenji Mori"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("Kenji Mori") && stderr.contains("sara") && stderr.contains("Sara Lindqvist"),
        "{stderr}"
    );
    let out = boss.run(&["account", "edit", "Nordic Paper AB", "--owner", "nobody"]);
    assert_eq!(out.status.code(), Some(3));
    // Sara receives the users too: her laptop shows the manager by name.
    sara.sync();
    let users = sara.records("users");
    assert!(
        users.iter().any(|u| u["login"] == "maja" && u["name"] == "Maja Berg"),
        "{users:?}"
    );
}

#[test]
fn first_day_on_sled_keeps_the_reps_work_and_the_manager_sees_it_as_hers() {
    first_day(None);
}

#[test]
fn first_day_on_postgres_keeps_the_reps_work_and_the_manager_sees_it_as_hers() {
    let Some(db) = PgDb::create("identity_first_day") else {
        return;
    };
    first_day(Some(&db.url));
}

fn logins_and_names(database: Option<&str>) {
    let t = sync_support::temp();
    let srv = t.path().join("srv");
    for bad in ["Kenji Mori", "Anna", "sara@example.com"] {
        let out = server_cmd(&srv, database, &["user", "add", bad, "--role", "rep"]);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(3), "{bad}: {stderr}");
        assert!(stderr.contains("not a valid login"), "{stderr}");
    }
    let out = server_cmd(&srv, database, &["user", "add", "Kenji Mori"]);
    assert!(text(&out).1.contains("kenji.mori"), "a valid login is suggested");
    add_user(
        &srv,
        database,
        &[
            "kenji.mori",
            "--name",
            "Kenji Mori",
            "--email",
            "kenji@example.com",
            "--quota",
            "120000",
        ],
    );
    add_user(&srv, database, &["ben"]);
    let out = server_cmd(&srv, database, &["user", "add", "ben"]);
    assert_eq!(out.status.code(), Some(3), "a taken login is invalid input");
    let out = server_cmd(&srv, database, &["user", "add", "eva", "--email", "not an address"]);
    assert_eq!(out.status.code(), Some(3));
    let out = server_cmd(&srv, database, &["user", "list"]);
    let (table, _) = text(&out);
    assert!(
        table.contains("LOGIN") && table.contains("Kenji Mori") && table.contains("kenji@example.com"),
        "{table}"
    );
    let out = server_cmd(&srv, database, &["--format", "json", "user", "list"]);
    let users: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(users[0]["login"], "ben");
    assert_eq!(users[0]["name"], "ben", "the display name defaults to the login");
    assert_eq!(users[1]["login"], "kenji.mori");
    assert_eq!(users[1]["name"], "Kenji Mori");
    assert_eq!(users[1]["quota"], "120000");

    // The quota reaches the laptops with the user.
    let server = ServerProc::start(&srv, "127.0.0.1:0", database);
    let token = add_user(&srv, database, &["boss", "--role", "manager"]);
    let laptop = Laptop::new(&t, "boss");
    laptop.login(&server.url, &token);
    laptop.sync();
    let users = laptop.records("users");
    let kenji = users.iter().find(|u| u["login"] == "kenji.mori").expect("kenji");
    assert_eq!(
        (&kenji["name"], &kenji["quota"]),
        (&Value::from("Kenji Mori"), &Value::from("120000.00"))
    );
    assert_eq!(users.len(), 3, "added while the server runs: {users:?}");
    // The server's users change only on the server.
    laptop.ok(&["user", "edit", "Kenji Mori", "--name", "K. Mori"]);
    laptop.sync();
    let held = laptop.json(&["conflicts", "list"]);
    assert!(
        held.to_string().contains("change only on the server"),
        "the server refused the rename: {held}"
    );
}

#[test]
fn server_user_add_takes_a_login_and_a_display_name_on_sled() {
    logins_and_names(None);
}

#[test]
fn server_user_add_takes_a_login_and_a_display_name_on_postgres() {
    let Some(db) = PgDb::create("identity_logins") else {
        return;
    };
    logins_and_names(Some(&db.url));
}

#[test]
fn demo_data_is_not_pushed_unless_the_user_keeps_it() {
    let t = sync_support::temp();
    let srv = t.path().join("srv");
    let token = add_user(&srv, None, &["boss", "--role", "manager", "--name", "Maja Berg"]);
    let server = ServerProc::start(&srv, "127.0.0.1:0", None);
    let laptop = Laptop::new(&t, "demo");
    laptop.ok(&["demo", "--scale", "200"]);
    let out = laptop.run(&["sync", "login", "--server", &server.url, "--token", &token]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("demo") && stderr.contains("--data-dir") && stderr.contains("--keep-demo"),
        "{stderr}"
    );
    assert!(!laptop.dir.join("sync.toml").exists(), "not logged in");
    // A plain sync with the login in the environment refuses the same way.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_outpost"))
        .arg("--data-dir")
        .arg(&laptop.dir)
        .arg("sync")
        .env("OUTPOST_SERVER", &server.url)
        .env("OUTPOST_TOKEN", &token)
        .output()
        .expect("sync");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out).1);
    assert_eq!(
        laptop.json(&["sync", "status"])["server_id"],
        Value::Null,
        "nothing was sent"
    );

    let accounts = laptop.records("accounts").len();
    // The demo's records are owned by its sales team; a record's owner must be a user of
    // the server, so the team that tries outpost with the demo data adds them there (their
    // display names turn into their logins on the laptop once it knows them).
    sync_support::add_demo_team(&srv, None);
    laptop.ok(&[
        "sync",
        "login",
        "--server",
        &server.url,
        "--token",
        &token,
        "--keep-demo",
    ]);
    // Small pushes, so a quote and its lines go in different requests: the demo writes
    // them as a rep does (a draft, its lines, then the status), so no line reaches the
    // server after its quote was sent and none is refused.
    // The owners' names become logins inside the creates while the first creates are
    // already being sent (the fold runs beside the push): one change per record.
    let pending = laptop.json(&["sync", "status"])["pending"].as_u64().expect("pending");
    let out = laptop.ok(&["sync", "--batch", "40"]);
    assert!(!out.contains("held"), "{out}");
    assert!(out.contains(&format!("sent {pending},")), "{out}");
    assert!(out.contains("owners typed as a name"), "{out}");
    let held = laptop.json(&["conflicts", "list"]);
    let held = held.as_array().expect("a list");
    assert!(
        held.is_empty(),
        "nothing is held, yet {} records are: {}",
        held.len(),
        held[0]["reason"]
    );
    let other = Laptop::new(&t, "other");
    other.login(&server.url, &token_for(&srv, "boss"));
    other.sync();
    assert_eq!(
        other.records("accounts").len(),
        accounts,
        "kept demo data reaches the team"
    );
    let team = ["anna", "tom", "marie", "kenji", "sara"];
    for kind in ["accounts", "contacts", "opportunities", "activities"] {
        let theirs = other.records(kind);
        assert!(
            theirs
                .iter()
                .all(|r| team.contains(&r["owner"].as_str().unwrap_or_default())),
            "every one of the {kind} is owned by a login"
        );
        assert_eq!(theirs, laptop.records(kind), "the {kind} are the same on both laptops");
    }
    for kind in ["quotes", "quote_lines"] {
        let mine = laptop.records(kind);
        assert!(!mine.is_empty(), "the demo has {kind}");
        assert_eq!(
            other.records(kind).len(),
            mine.len(),
            "every one of the {kind} reaches the team"
        );
    }
    let sent = laptop
        .records("quotes")
        .iter()
        .filter(|q| q["status"] != "draft")
        .count();
    assert!(sent > 0, "the demo has sent quotes");
}

fn token_for(srv: &Path, login: &str) -> String {
    let out = server_cmd(srv, None, &["token", "add", login]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string()
}

#[test]
fn a_plain_sync_with_the_login_in_the_environment_adopts_offline_work() {
    let t = sync_support::temp();
    let srv = t.path().join("srv");
    let token = add_user(&srv, None, &["sara", "--name", "Sara Lindqvist"]);
    let server = ServerProc::start(&srv, "127.0.0.1:0", None);
    let laptop = Laptop::new(&t, "sara");
    laptop.ok(&[
        "account",
        "add",
        "--name",
        "Nordic Paper AB",
        "--owner",
        "sara lindqvist",
    ]);
    laptop.ok(&["account", "add", "--name", "Unowned AB"]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_outpost"))
        .arg("--data-dir")
        .arg(&laptop.dir)
        .arg("sync")
        .env("OUTPOST_SERVER", &server.url)
        .env("OUTPOST_TOKEN", &token)
        .output()
        .expect("sync");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("adopted 2 records"), "{stdout}");
    assert!(!stderr.contains("refused"), "{stderr}");
    for a in laptop.records("accounts") {
        assert_eq!(a["owner"], "sara", "{a}");
    }
    assert!(
        laptop
            .json(&["conflicts", "list"])
            .as_array()
            .is_some_and(Vec::is_empty)
    );
}

#[test]
fn a_postgres_database_of_the_previous_schema_keeps_its_users() {
    let Some(db) = PgDb::create("identity_schema1") else {
        return;
    };
    let t = sync_support::temp();
    let srv = t.path().join("srv");
    let token = add_user(&srv, Some(&db.url), &["anna", "--name", "Anna Meyer"]);
    // Back to schema 1: users had only a name (the login).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(conn);
        client
            .batch_execute(
                "ALTER TABLE outpost_users DROP COLUMN display_name, DROP COLUMN email, DROP COLUMN quota, \
                 DROP COLUMN feed_secret, DROP COLUMN feed_hash; \
                 UPDATE outpost_meta SET value = '1' WHERE key = 'schema_version';",
            )
            .await
            .expect("downgrade");
    });
    let out = server_cmd(&srv, Some(&db.url), &["--format", "json", "user", "list"]);
    let users: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (&users[0]["login"], &users[0]["name"]),
        (&Value::from("anna"), &Value::from("anna"))
    );
    let server = ServerProc::start(&srv, "127.0.0.1:0", Some(&db.url));
    let laptop = Laptop::new(&t, "anna");
    let out = laptop.ok(&["sync", "login", "--server", &server.url, "--token", &token]);
    assert!(out.contains("as anna, rep"), "the old token still works: {out}");
    laptop.sync();
    let users = laptop.records("users");
    assert_eq!(
        (&users[0]["login"], &users[0]["name"]),
        (&Value::from("anna"), &Value::from("anna"))
    );
}

/// Seeded: reps work offline before their first login, naming themselves as owner in
/// every way people do (no owner, login, display name in any case, e-mail), then sync in
/// random order. Nothing is refused, nothing vanishes, and every record ends up owned by
/// its author's login on every replica.
#[test]
fn offline_work_naming_its_author_any_way_is_adopted_and_reaches_everyone() {
    use outpost::app::App;
    use outpost::app::spec;
    use outpost::model::EntityKind;
    use outpost::model::records::Role;
    use outpost::server::backend::{FileAccounts, NewUser};
    use outpost::server::{Storage, admin};
    use outpost::sync::client::HttpApi;
    use outpost::sync::engine::{self, Options};

    let t = sync_support::temp();
    let storage = Storage::Sled(t.path().join("srv"));
    let people = [
        ("sara", "Sara Lindqvist", "sara@example.com"),
        ("kenji.mori", "Kenji Mori", "kenji@example.com"),
        ("asa", "Åsa Öberg", "asa@example.com"),
    ];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let tokens: Vec<String> = rt.block_on(async {
        let a = FileAccounts::new(&t.path().join("srv")).expect("accounts");
        let mut out = Vec::new();
        for (login, name, email) in people {
            let user = NewUser {
                login: login.into(),
                name: Some(name.into()),
                email: Some(email.into()),
                quota: None,
                role: Role::Rep,
            };
            out.push(admin::add(&a, &user).await.expect("add").secret);
        }
        out
    });
    let server = sync_support::start(&storage);
    let url = server.url();
    let (name_spec, owner_spec) = (
        spec::lookup(EntityKind::Account, "name").expect("name"),
        spec::lookup(EntityKind::Account, "owner").expect("owner"),
    );
    for seed in 0..3u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let apps: Vec<App> = (0..people.len())
            .map(|i| App::open(&t.path().join(format!("s{seed}-{i}"))).expect("app"))
            .collect();
        let mut made = Vec::new();
        for (i, app) in apps.iter().enumerate() {
            let (login, name, email) = people[i];
            for n in 0..rng.usize(3..12) {
                let owner = match rng.usize(0..7) {
                    0 => String::new(),
                    1 => login.to_string(),
                    2 => name.to_string(),
                    3 => name.to_uppercase(),
                    4 => format!("  {} ", name.to_lowercase()),
                    5 => email.to_uppercase(),
                    _ => login.to_uppercase(),
                };
                let record = format!("{seed}-{login}-{n}");
                let mut values = vec![(name_spec, vec![record.clone()])];
                if !owner.is_empty() {
                    values.push((owner_spec, vec![owner]));
                }
                app.create(EntityKind::Account, &values).expect("create offline");
                made.push((record, login));
            }
        }
        // Sync in random order, several rounds; the first sync of each adopts.
        for _ in 0..3 {
            let mut order: Vec<usize> = (0..apps.len()).collect();
            rng.shuffle(&mut order);
            for i in order {
                let api = HttpApi::new(&url, &tokens[i]);
                let report =
                    engine::sync(apps[i].store_for_tests(), &api, &url, Options::default(), &mut |_| {}).expect("sync");
                assert_eq!(report.refused, 0, "seed {seed}: {report:?}");
            }
        }
        for app in &apps {
            let mut have = std::collections::BTreeMap::new();
            for item in app.live(EntityKind::Account) {
                let (_, s) = item.expect("record");
                have.insert(s.text("name").to_string(), s.text("owner").to_string());
            }
            for (record, login) in &made {
                assert_eq!(
                    have.get(record).map(String::as_str),
                    Some(*login),
                    "seed {seed}: {record}"
                );
            }
        }
    }
}
