//! Defects a hostile first-day trial found after the integrity work, each pinned through
//! the real binary (and a real server on 127.0.0.1 where a server is involved).

mod sync_support;

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use sync_support::{Laptop, ServerProc};

/// `server ARGS` on the sled server data in `dir`.
fn server_cmd(dir: &Path, args: &[&str]) -> Output {
    sync_support::server_cmd(dir, None, args)
}

/// `server user add ARGS` on the sled server data in `dir`; returns the token.
fn add_user(dir: &Path, args: &[&str]) -> String {
    sync_support::server_user_add(dir, None, args)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn by_name<'a>(records: &'a [Value], name: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {records:?}"))
}

/// A display name or e-mail that names another user, and a rep's display name that is
/// someone else's login, are refused when the user is added: each must name one person.
#[test]
fn a_new_users_name_or_email_may_not_name_another_user() {
    let t = sync_support::temp();
    let srv = t.path().join("srv");
    add_user(
        &srv,
        &["sara", "--name", "Sara Lindqvist", "--email", "sara@example.com"],
    );
    for args in [
        vec!["ok8", "--name", "sara"],
        vec!["sara2", "--email", "SARA@example.com"],
        vec!["sara3", "--name", "sara lindqvist"],
    ] {
        let mut all = vec!["user", "add"];
        all.extend(args.iter().copied());
        let out = server_cmd(&srv, &all);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("already names user 'sara'"), "{}", stderr(&out));
    }
    add_user(&srv, &["kenji", "--name", "Kenji Mori"]);
}

/// Reps cannot make or rename users through sync; they may set their own quota.
#[test]
fn a_rep_may_only_set_their_own_quota() {
    let t = sync_support::temp();
    let srv = t.path().join("srv");
    let sara_token = add_user(&srv, &["sara", "--name", "Sara Lindqvist"]);
    add_user(&srv, &["kenji", "--name", "Kenji Mori"]);
    let server = ServerProc::start(&srv, "127.0.0.1:0", None);
    let sara = Laptop::new(&t, "sara");
    sara.login(&server.url, &sara_token);
    sara.sync();
    sara.ok(&["user", "edit", "sara", "--quota", "90000"]);
    sara.ok(&["user", "edit", "kenji", "--quota", "1"]);
    sara.ok(&["user", "add", "--name", "Invented Person"]);
    sara.sync();
    let fresh = Laptop::new(&t, "fresh");
    fresh.login(&server.url, &add_user(&srv, &["boss", "--role", "manager"]));
    fresh.sync();
    let users = fresh.records("users");
    let quota = |login: &str| {
        users
            .iter()
            .find(|u| u["login"] == login)
            .map(|u| u["quota"].clone())
            .unwrap_or_default()
    };
    assert_eq!(quota("sara"), "90000.00", "her own quota goes through");
    assert_eq!(quota("kenji"), "0.00", "another user's quota is refused");
    assert!(
        users.iter().all(|u| u["name"] != "Invented Person"),
        "a rep cannot add users: {users:?}"
    );
    // The refused user is held on her laptop, not lost.
    assert!(sara.records("users").iter().any(|u| u["name"] == "Invented Person"));
}

/// A manager assigning deals offline by display name or e-mail, before the laptop knows
/// the users, ends up with logins after the first sync, on every laptop.
#[test]
fn owners_typed_as_names_before_the_first_sync_become_logins() {
    let t = sync_support::temp();
    let srv = t.path().join("srv");
    add_user(
        &srv,
        &["sara", "--name", "Sara Lindqvist", "--email", "sara@example.com"],
    );
    let boss_token = add_user(&srv, &["maja", "--role", "manager", "--name", "Maja Berg"]);
    let server = ServerProc::start(&srv, "127.0.0.1:0", None);
    let boss = Laptop::new(&t, "maja");
    boss.ok(&["account", "add", "--name", "By name", "--owner", "Sara Lindqvist"]);
    boss.ok(&["account", "add", "--name", "By mail", "--owner", "SARA@example.com"]);
    boss.ok(&["account", "add", "--name", "Typo", "--owner", "Sarah L"]);
    boss.login(&server.url, &boss_token);
    let out = boss.ok(&["sync"]);
    assert!(out.contains("2 owners typed as a name or e-mail"), "{out}");
    let other = Laptop::new(&t, "other");
    other.login(&server.url, &add_user(&srv, &["ola", "--role", "manager"]));
    other.sync();
    for laptop in [&boss, &other] {
        let accounts = laptop.records("accounts");
        assert_eq!(by_name(&accounts, "By name")["owner"], "sara");
        assert_eq!(by_name(&accounts, "By mail")["owner"], "sara");
    }
    // A name of nobody stays as typed, held on the laptop that wrote it: the server
    // takes only owners that are its users' logins.
    assert_eq!(by_name(&boss.records("accounts"), "Typo")["owner"], "Sarah L");
    let held = boss.json(&["conflicts", "list"]).to_string();
    assert!(held.contains("owner: 'Sarah L' is not a user of this server"), "{held}");
    assert!(!other.records("accounts").iter().any(|a| a["name"] == "Typo"));
    let mine = other.json(&["account", "list", "--owner", "sara"]);
    assert_eq!(mine.as_array().map(Vec::len), Some(2), "{mine}");
}

/// Re-importing a file whose owner column holds display names changes nothing.
#[test]
fn reimporting_display_name_owners_is_unchanged() {
    let t = sync_support::temp();
    let srv = t.path().join("srv");
    let token = add_user(
        &srv,
        &["sara", "--name", "Sara Lindqvist", "--email", "sara@example.com"],
    );
    let server = ServerProc::start(&srv, "127.0.0.1:0", None);
    let sara = Laptop::new(&t, "sara");
    sara.login(&server.url, &token);
    sara.sync();
    let file = t.path().join("owners.csv");
    std::fs::write(&file, "name,owner\nImp One,Sara Lindqvist\nImp Two,SARA@example.com\n").expect("csv");
    let path = file.to_string_lossy().into_owned();
    let first = sara.ok(&["import", "accounts", &path]);
    assert!(first.contains("create 2"), "{first}");
    let second = sara.ok(&["import", "accounts", &path]);
    assert!(second.contains("create 0, update 0, unchanged 2"), "{second}");
    for a in sara.records("accounts") {
        assert_eq!(a["owner"], "sara");
    }
}

/// Two laptops: one loses the deal with a reason, the other later moves it on. The later
/// move wins the stage and clears the reason everywhere.
#[test]
fn a_later_move_to_an_open_stage_clears_a_concurrent_loss_reason() {
    let t = sync_support::temp();
    let srv = t.path().join("srv");
    let a_token = add_user(&srv, &["anna", "--role", "manager"]);
    let b_token = add_user(&srv, &["ben", "--role", "manager"]);
    let server = ServerProc::start(&srv, "127.0.0.1:0", None);
    let a = Laptop::new(&t, "a");
    let b = Laptop::new(&t, "b");
    a.login(&server.url, &a_token);
    b.login(&server.url, &b_token);
    a.ok(&["account", "add", "--name", "Acme"]);
    a.ok(&["opp", "add", "--name", "Deal", "--account", "Acme", "--amount", "100"]);
    a.sync();
    b.sync();
    a.ok(&["opp", "move", "Deal", "Closed Lost", "--reason", "price"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    b.ok(&["opp", "move", "Deal", "Negotiation"]);
    a.sync();
    b.sync();
    a.sync();
    for laptop in [&a, &b] {
        let deal = &laptop.records("opps")[0];
        assert_eq!(deal["stage"], "Negotiation");
        assert_eq!(deal["loss_reason"], Value::Null, "{deal}");
    }
}

/// Local rules that the trial found two ways round.
#[test]
fn local_input_rules() {
    let t = sync_support::temp();
    let l = Laptop::new(&t, "l");
    std::fs::create_dir_all(&l.dir).expect("mkdir");
    std::fs::write(l.dir.join("config.toml"), "owner = \"anna\"\n").expect("config");
    // `--owner ""` on add means unowned, not the configured owner.
    l.ok(&["account", "add", "--name", "Nobody's", "--owner", ""]);
    l.ok(&["account", "add", "--name", "Annas"]);
    let accounts = l.records("accounts");
    assert_eq!(by_name(&accounts, "Nobody's")["owner"], Value::Null);
    assert_eq!(by_name(&accounts, "Annas")["owner"], "anna");
    // Only tasks have a done state, whichever command sets it.
    l.ok(&["activity", "log", "call", "--subject", "Called", "--account", "Annas"]);
    let out = l.run(&["activity", "edit", "Called", "--done", "false"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("only tasks"), "{}", stderr(&out));
    // A duplicated CSV header would drop one of the values: refused, naming both.
    let file = t.path().join("dup.csv");
    std::fs::write(&file, "name,city,city\nHdr,A,B\n").expect("csv");
    let out = l.run(&["import", "accounts", &file.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("columns 2 ('city') and 3 ('city')"),
        "{}",
        stderr(&out)
    );
    assert!(l.records("accounts").iter().all(|a| a["name"] != "Hdr"));
    // Under a decimal-comma locale a lone dot before three digits reads two ways.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_outpost"))
        .arg("--data-dir")
        .arg(&l.dir)
        .args(["opp", "add", "--name", "D", "--account", "Annas", "--amount", "2.125"])
        .env_remove("LC_ALL")
        .env_remove("LC_NUMERIC")
        .env("LANG", "de_DE.UTF-8")
        .output()
        .expect("outpost");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("2125") && stderr(&out).contains("2.125"),
        "{}",
        stderr(&out)
    );
}

/// `backup` to a device writes to it (never renames a file over it) and `-` is stdout.
#[test]
fn backup_to_stdout_and_devices() {
    let t = sync_support::temp();
    let l = Laptop::new(&t, "l");
    l.ok(&["account", "add", "--name", "Acme"]);
    let out = l.run(&["backup", "-"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("{\"type\":\"header\"") && text.contains("Acme"),
        "{text}"
    );
    assert!(!l.dir.join("-").exists(), "no file named '-'");
    let fifo = t.path().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success()
    );
    let reader = std::thread::spawn({
        let fifo = fifo.clone();
        move || std::fs::read_to_string(fifo).expect("read fifo")
    });
    let out = l.run(&["backup", &fifo.to_string_lossy()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(reader.join().expect("reader").contains("Acme"));
    let kind = std::fs::symlink_metadata(&fifo).expect("fifo").file_type();
    assert!(!kind.is_file(), "the fifo is still a fifo, not a file renamed over it");
}

/// A user whose display name is another user's login (an account made before such names
/// were refused) cannot change that user's records: a login-shaped owner names a login.
#[test]
fn a_display_name_equal_to_another_login_opens_nothing() {
    let t = sync_support::temp();
    let srv = t.path().join("srv");
    let sara_token = add_user(&srv, &["sara", "--name", "Sara Lindqvist"]);
    let ok8_token = add_user(&srv, &["ok8"]);
    // Give ok8 the display name "sara" behind the admin command's back, as an old
    // accounts file could have it.
    let file = srv.join("accounts.json");
    let mut accounts: Value = serde_json::from_str(&std::fs::read_to_string(&file).expect("accounts")).expect("json");
    for u in accounts["users"].as_array_mut().expect("users") {
        if u["login"] == "ok8" {
            u["name"] = Value::from("sara");
        }
    }
    std::fs::write(&file, accounts.to_string()).expect("write");
    let server = ServerProc::start(&srv, "127.0.0.1:0", None);
    let sara = Laptop::new(&t, "sara");
    sara.login(&server.url, &sara_token);
    sara.ok(&["account", "add", "--name", "Saras AB", "--city", "Umeå"]);
    sara.sync();
    let ok8 = Laptop::new(&t, "ok8");
    ok8.login(&server.url, &ok8_token);
    ok8.sync();
    ok8.ok(&["account", "edit", "Saras AB", "--city", "Hijacked"]);
    ok8.sync();
    sara.sync();
    assert_eq!(by_name(&sara.records("accounts"), "Saras AB")["city"], "Umeå");
}
