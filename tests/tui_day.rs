//! The TUI through a rep's day (issue 12): syncing from the TUI against a real server,
//! on a key and on its own with `sync_every`.

mod sync_support;
mod tui_support;

use std::sync::Arc;

use outpost::app::App;
use outpost::model::EntityKind;
use outpost::model::records::Role;
use outpost::server::Storage;
use outpost::tui::event::Event;
use outpost::tui::harness::Harness;
use outpost::tui::update;
use sync_support::Laptop;

/// A server with one user, a colleague's laptop that has pushed an account, and this
/// laptop logged in (by the CLI) but never synced.
fn setup(t: &tempfile::TempDir, config: &str) -> (outpost::server::Running, Laptop, Laptop) {
    let storage = Storage::Sled(t.path().join("srv"));
    let token = sync_support::add_user(&storage, "rep", Role::Rep);
    let server = sync_support::start(&storage);
    let url = server.url();
    let other = Laptop::new(t, "other");
    other.login(&url, &token);
    other.ok(&["account", "add", "--name", "Colleague Works AB"]);
    other.sync();
    let me = Laptop::new(t, "me");
    std::fs::create_dir_all(&me.dir).expect("mkdir");
    std::fs::write(me.dir.join("config.toml"), config).expect("config");
    me.login(&url, &token);
    (server, other, me)
}

fn session(me: &Laptop) -> Harness {
    let app = Arc::new(App::open_with_clock(&me.dir, tui_support::clock()).expect("open"));
    Harness::new(app, tui_support::ZONE, (120, 40))
}

fn has_account(s: &Harness, name: &str) -> bool {
    s.state
        .app
        .store_for_tests()
        .ids_by_title(EntityKind::Account, name)
        .is_ok_and(|ids| !ids.is_empty())
}

#[test]
fn a_key_syncs_in_the_background_and_says_what_moved() {
    let t = sync_support::temp();
    let (_server, _other, me) = setup(&t, "");
    let mut s = session(&me);
    assert_eq!(s.state.dashboard.reachable, Some(true), "the dashboard asks the server");
    assert!(s.screen().contains("server up"), "{}", s.screen());
    assert!(!has_account(&s, "Colleague Works AB"));

    // A change made here goes up, the colleague's comes down.
    s.keys("3 n");
    s.type_text("Mine Ltd");
    s.keys("ctrl-s esc");
    s.keys("Y");
    let (message, _) = s.state.status.message.clone().expect("a message");
    assert_eq!(
        message,
        "Synced: sent 1, received 1, conflicts 0, held 0",
        "{}",
        s.screen()
    );
    assert!(has_account(&s, "Colleague Works AB"));
    let list = s
        .state
        .list(EntityKind::Account)
        .and_then(|l| l.data.as_ref())
        .expect("rows");
    assert_eq!(list.rows.len(), 2, "the list shows what the sync brought");

    // The palette runs the same sync.
    s.keys(":");
    s.type_text("sync");
    s.keys("enter");
    let (message, _) = s.state.status.message.clone().expect("a message");
    assert_eq!(message, "Synced: sent 0, received 0, conflicts 0, held 0");
    s.keys("1");
    assert!(!s.screen().contains("synced never"), "{}", s.screen());
}

#[test]
fn sync_every_syncs_on_its_own_when_due() {
    let t = sync_support::temp();
    let (_server, other, me) = setup(&t, "sync_every = \"15m\"\n");
    let mut s = session(&me);
    // Never synced: due at the first tick.
    update::handle_event(&mut s.state, Event::Tick);
    s.settle();
    assert!(has_account(&s, "Colleague Works AB"));
    let first = s.state.sync_started.expect("started");

    // Not again before 15 minutes.
    other.ok(&["account", "add", "--name", "Later Works AB"]);
    other.sync();
    s.state.app.clock().advance(chrono::Duration::minutes(10));
    update::handle_event(&mut s.state, Event::Tick);
    s.settle();
    assert_eq!(s.state.sync_started, Some(first));
    assert!(!has_account(&s, "Later Works AB"));
    s.state.app.clock().advance(chrono::Duration::minutes(6));
    update::handle_event(&mut s.state, Event::Tick);
    s.settle();
    assert!(has_account(&s, "Later Works AB"), "synced after 15 minutes");
}

#[test]
fn without_a_server_the_key_says_how_to_set_one_up() {
    let (_dir, mut s) = tui_support::session(120, 40);
    assert_eq!(s.state.dashboard.reachable, None);
    s.keys("Y");
    let (message, level) = s.state.status.message.clone().expect("a message");
    assert!(message.contains("sync login"), "{message}");
    assert_eq!(level, outpost::tui::state::Level::Error);
}

#[test]
fn the_palette_offers_sync_and_undo_and_ctrl_u_clears_it() {
    let (_dir, mut s) = tui_support::session(120, 40);
    s.keys(":");
    s.type_text("undo");
    let Some(outpost::tui::popups::Popup::Palette(p)) = s.state.popups.last() else {
        panic!("palette")
    };
    assert_eq!(p.matches().first(), Some(&outpost::tui::action::Action::Undo));
    s.keys("ctrl-u");
    let Some(outpost::tui::popups::Popup::Palette(p)) = s.state.popups.last() else {
        panic!("palette")
    };
    assert_eq!(p.input.text(), "", "ctrl-u clears the input");
    s.type_text("sync");
    let Some(outpost::tui::popups::Popup::Palette(p)) = s.state.popups.last() else {
        panic!("palette")
    };
    assert_eq!(p.matches().first(), Some(&outpost::tui::action::Action::Sync));
}

#[test]
fn help_stops_at_its_last_page() {
    let (_dir, mut s) = tui_support::session(120, 40);
    s.keys("? G");
    let Some(outpost::tui::popups::Popup::Help(h)) = s.state.popups.last() else {
        panic!("help")
    };
    let len = outpost::tui::popups::help::lines(&s.state.ctx()).len();
    assert_eq!(h.scroll, len - (40 - 6), "the last line sits on the last row");
    let screen = s.screen();
    assert!(screen.contains("Does nothing") || screen.contains("Forms"), "{screen}");
    s.keys("G j j");
    let Some(outpost::tui::popups::Popup::Help(h2)) = s.state.popups.last() else {
        panic!("help")
    };
    assert_eq!(h2.scroll, len - 34, "no further");
}

#[test]
fn opportunities_open_on_open_deals_from_today_on() {
    let (_dir, mut s) = tui_support::session(120, 40);
    s.keys("6");
    let id = s
        .state
        .list(EntityKind::Opportunity)
        .and_then(|l| l.selected_id())
        .expect("a deal");
    let deal = s
        .state
        .app
        .record(EntityKind::Opportunity, id)
        .expect("get")
        .expect("deal");
    let today = s.state.clock.today().to_string();
    assert!(deal.text("close_date") >= today.as_str(), "{}", deal.text("close_date"));
    let stage = s.state.app.config.pipeline.find(deal.text("stage")).expect("stage");
    assert_eq!(stage.state, outpost::model::stage::StageState::Open);
    let l = s.state.list(EntityKind::Opportunity).expect("list");
    assert_eq!(l.offset, l.selected, "shown at the top");
    assert!(l.selected > 0, "older deals are above, not gone");
}

#[test]
fn the_today_panel_counts_and_hints_at_more() {
    let (_dir, s) = tui_support::session(80, 24);
    let n = s
        .state
        .dashboard
        .data
        .as_ref()
        .map(|d| d.agenda.len() + d.due_today.len())
        .expect("data");
    let screen = s.screen();
    assert!(screen.contains(&format!("({n})")), "{screen}");
    if n > 9 {
        assert!(screen.contains("more"), "{screen}");
    }
}

/// Runs the real binary on `dir` in a thread (it waits for the TUI's answer).
fn cli_in_thread(dir: &std::path::Path, args: &[&str]) -> std::thread::JoinHandle<std::process::Output> {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| (*s).to_string()).collect();
    std::thread::spawn(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_outpost"))
            .arg("--data-dir")
            .arg(&dir)
            .args(&args)
            .env("NO_COLOR", "1")
            .env_remove("OUTPOST_DATA_DIR")
            .output()
            .expect("run outpost")
    })
}

/// Answers one request from the socket in the session, as the TUI's event loop does.
fn answer_one(s: &mut Harness, rx: &std::sync::mpsc::Receiver<Event>) {
    let event = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("a command arrives on the socket");
    assert!(matches!(event, Event::Remote(..)));
    update::handle_event(&mut s.state, event);
    s.settle();
}

#[test]
fn cli_commands_run_in_the_open_tui_over_its_socket_and_the_tui_refreshes() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, app) = tui_support::demo_app();
    let mut s = Harness::new(app, tui_support::ZONE, (120, 40));
    s.state.remote = Some(outpost::cli::remote::handler());
    let (tx, rx) = std::sync::mpsc::channel();
    let sock = outpost::tui::remote::listen(dir.path(), tx).expect("listen");
    let mode = std::fs::metadata(&sock).expect("socket").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "this user only");
    s.keys("4");
    let before = s
        .state
        .list(EntityKind::Contact)
        .and_then(|l| l.data.as_ref())
        .map(|d| d.rows.len());

    // A write: same output and exit code as without the TUI, and the list shows it.
    let cli = cli_in_thread(dir.path(), &["contact", "add", "--first", "Zed", "--last", "Remote"]);
    answer_one(&mut s, &rx);
    let out = cli.join().expect("cli");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(id.parse::<outpost::model::Id>().is_ok(), "prints the new id: {id}");
    let after = s
        .state
        .list(EntityKind::Contact)
        .and_then(|l| l.data.as_ref())
        .map(|d| d.rows.len());
    assert_eq!(after, before.map(|n| n + 1), "the open list reloaded");
    assert!(s.screen().contains("another terminal"), "{}", s.screen());

    // A read in JSON, relative paths from the caller's directory.
    let cli = cli_in_thread(dir.path(), &["contact", "show", &id, "--format", "json"]);
    answer_one(&mut s, &rx);
    let out = cli.join().expect("cli");
    assert_eq!(out.status.code(), Some(0));
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(shown[0]["first_name"], "Zed");

    // Errors keep their exit codes and go to stderr.
    let cli = cli_in_thread(dir.path(), &["contact", "show", "nobody-by-this-name"]);
    answer_one(&mut s, &rx);
    let out = cli.join().expect("cli");
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));
    let cli = cli_in_thread(dir.path(), &["contact", "edit", &id, "--email", "not-an-email"]);
    answer_one(&mut s, &rx);
    let out = cli.join().expect("cli");
    assert_eq!(
        out.status.code(),
        Some(3),
        "invalid data: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // With nobody answering, the message names the process holding the store.
    outpost::tui::remote::stop(&sock);
    let out = cli_in_thread(dir.path(), &["contact", "list"]).join().expect("cli");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("pid {}", std::process::id())), "{err}");
}
