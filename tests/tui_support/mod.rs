//! Shared by the TUI tests: a demo store at a fixed clock, the harness, snapshots.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use outpost::app::App;
use outpost::tui::clock::Clock;
use outpost::tui::harness::Harness;

/// The zone the tests live in.
pub const ZONE: chrono_tz::Tz = chrono_tz::Europe::Berlin;

/// "Now" in every TUI test: Tuesday 10 March 2026, 09:00 in Berlin.
pub fn now() -> DateTime<chrono_tz::Tz> {
    ZONE.with_ymd_and_hms(2026, 3, 10, 9, 0, 0)
        .single()
        .expect("valid time")
}

/// The test clock.
pub fn clock() -> Clock {
    Clock::fixed(now().with_timezone(&Utc), ZONE)
}

/// A fresh store filled with the demo (seed 7, 800 contacts) as of [`now`].
pub fn demo_app() -> (tempfile::TempDir, Arc<App>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = App::open(dir.path()).expect("open");
    app.demo_at(7, 800, &now()).expect("demo");
    (dir, Arc::new(app))
}

/// A session on a fresh demo store.
pub fn session(w: u16, h: u16) -> (tempfile::TempDir, Harness) {
    let (dir, app) = demo_app();
    (dir, Harness::new(app, clock(), (w, h)))
}

/// Masks what differs between runs: the device code in quote numbers (Q-1A2B-0001).
pub fn mask(screen: &str) -> String {
    let chars: Vec<char> = screen.chars().collect();
    let mut out = String::with_capacity(screen.len());
    let mut i = 0;
    while i < chars.len() {
        let is_code = chars[i] == 'Q'
            && chars.get(i + 1) == Some(&'-')
            && chars.get(i + 6) == Some(&'-')
            && (i + 2..i + 6).all(|j| chars.get(j).is_some_and(|c| c.is_ascii_hexdigit()));
        if is_code {
            out.push_str("Q-####-");
            i += 7;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Compares `text` with `tests/snapshots/NAME.txt` byte for byte; with
/// `UPDATE_SNAPSHOTS=1` writes it instead.
pub fn assert_snapshot(name: &str, text: &str) {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "snapshots", &format!("{name}.txt")]
        .iter()
        .collect();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::write(&path, text).expect("write snapshot");
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with UPDATE_SNAPSHOTS=1 to write it",
            path.display()
        )
    });
    if want != text {
        let diff: Vec<String> = want
            .lines()
            .zip(text.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(5)
            .map(|(i, (a, b))| format!("line {}:\n  want: {a}\n  got:  {b}", i + 1))
            .collect();
        panic!(
            "screen differs from {} (UPDATE_SNAPSHOTS=1 rewrites it)\n{}\n\nfull screen:\n{text}",
            path.display(),
            diff.join("\n")
        );
    }
}
