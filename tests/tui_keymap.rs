//! The keymap file: user bindings merge over the built-in ones; mistakes are refused at
//! start-up with the file and line.

use outpost::tui::action::Action;
use outpost::tui::commands::Scope;
use outpost::tui::keymap::Keymap;
use outpost::tui::keys::KeyPress;

fn load(text: &str) -> Result<Keymap, String> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("keymap.toml"), text).expect("write");
    Keymap::load(Some(dir.path())).map_err(|e| e.to_string())
}

#[test]
fn a_duplicate_key_is_refused_with_file_and_line() {
    let err = load("# mine\n[board]\n\"L\" = \"stage_next\"\n\"shift-l\" = \"stage_prev\"\n").expect_err("duplicate");
    assert!(err.contains("keymap.toml:4:"), "{err}");
    assert!(err.contains("bound twice") && err.contains("first on line 3"), "{err}");
}

#[test]
fn the_same_key_written_twice_is_a_toml_error_with_its_line() {
    let err = load("[list]\n\"x\" = \"edit\"\n\"x\" = \"new\"\n").expect_err("duplicate");
    assert!(err.contains("keymap.toml:3:"), "{err}");
}

#[test]
fn an_unknown_action_is_refused_with_file_and_line() {
    let err = load("[global]\n\n\"F\" = \"fly_away\"\n").expect_err("unknown");
    assert!(err.contains("keymap.toml:3:"), "{err}");
    assert!(err.contains("unknown action 'fly_away'"), "{err}");
}

#[test]
fn unknown_sections_and_key_names_are_refused() {
    let err = load("[sidebar]\n\"x\" = \"edit\"\n").expect_err("section");
    assert!(
        err.contains("keymap.toml:1:") && err.contains("unknown section"),
        "{err}"
    );
    let err = load("[list]\n\"hyper-x\" = \"edit\"\n").expect_err("key");
    assert!(err.contains("keymap.toml:2:") && err.contains("not a key"), "{err}");
}

#[test]
fn the_fixed_keys_cannot_be_rebound() {
    let err = load("[list]\n\"/\" = \"search\"\n").expect_err("fixed");
    assert!(err.contains("keymap.toml:2:") && err.contains("fixed"), "{err}");
}

#[test]
fn user_bindings_apply_over_the_defaults() {
    let map = load("[board]\n\"ctrl-l\" = \"stage_next\"\n[global]\n\"n\" = \"noop\"\n").expect("valid");
    assert_eq!(map.get(Scope::Board, KeyPress::ctrl('l')), Some(Action::StageNext));
    assert_eq!(map.get(Scope::Global, KeyPress::char('n')), None);
    assert_eq!(map.get(Scope::Global, KeyPress::char('?')), Some(Action::Help));
}

#[test]
fn the_binary_refuses_a_bad_keymap_before_touching_the_terminal() {
    let config = tempfile::tempdir().expect("tempdir");
    let data = tempfile::tempdir().expect("tempdir");
    std::fs::write(config.path().join("keymap.toml"), "[global]\n\"z\" = \"zoom\"\n").expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_outpost"))
        .env("OUTPOST_CONFIG_DIR", config.path())
        .env("OUTPOST_DATA_DIR", data.path())
        .output()
        .expect("run outpost");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("keymap.toml:2:") && err.contains("unknown action 'zoom'"),
        "{err}"
    );
}
