//! The man pages in `man/` must match the clap definitions. `UPDATE_MAN=1 cargo test
//! --test man_pages` rewrites them.

use std::path::Path;

#[test]
fn man_pages_are_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let pages = outpost::cli::man::pages().expect("render man pages");
    assert!(pages.len() > 40, "one page per subcommand");
    if std::env::var_os("UPDATE_MAN").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("man dir");
        for (name, body) in &pages {
            std::fs::write(dir.join(name), body).expect("write page");
        }
    }
    let mut stale = Vec::new();
    for (name, body) in &pages {
        match std::fs::read(dir.join(name)) {
            Ok(on_disk) if on_disk == *body => {}
            _ => stale.push(name.clone()),
        }
    }
    let on_disk = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    assert!(
        stale.is_empty(),
        "stale man pages {stale:?}: run `UPDATE_MAN=1 cargo test --test man_pages`"
    );
    assert_eq!(
        on_disk,
        pages.len(),
        "man/ holds pages for commands that no longer exist: run `UPDATE_MAN=1 cargo test --test man_pages`"
    );
}
