//! Calendar benchmarks; prints figures (run `cargo bench --bench calendar`).
//!
//! - 10k events, a third of them recurring (weekly, daily, monthly rules with EXDATEs)
//! - export of those 10k events as .ics, and its import into an empty store
//! - the agenda of a year (every occurrence expanded) over those events

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use outpost::app::App;
use outpost::model::{EntityKind, Fields};
use outpost::store::Mutation;
use serde_json::json;

const N: usize = 10_000;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn time<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    println!("{label:<52} {:>8.3} s", started.elapsed().as_secs_f64());
    out
}

fn main() {
    let dir = tempfile::tempdir().expect("dir");
    let app = App::open(&dir.path().join("a")).expect("open");
    let base = Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).single().expect("time");
    let zones = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"];
    let rules = [
        Some("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=40"),
        Some("FREQ=DAILY;INTERVAL=2;UNTIL=20261231"),
        Some("FREQ=MONTHLY;BYDAY=-1FR"),
        None,
        None,
        None,
    ];
    let muts: Vec<Mutation> = (0..N)
        .map(|i| {
            let start = base + Duration::hours(i64::try_from(i * 7 % 8760).unwrap_or(0));
            let mut f = Fields::new();
            f.insert("title".into(), json!(format!("Meeting {i}")));
            f.insert("start".into(), json!(start.to_rfc3339()));
            f.insert("end".into(), json!((start + Duration::minutes(45)).to_rfc3339()));
            f.insert("tz".into(), json!(zones[i % zones.len()]));
            f.insert("location".into(), json!("Room, floor 2; building A"));
            if let Some(r) = rules[i % rules.len()] {
                f.insert("rrule".into(), json!(r));
                f.insert("exdates".into(), json!(["2026-03-04", "2026-06-10"]));
                f.insert("reminders".into(), json!(["15m"]));
            }
            Mutation::create(EntityKind::Event, f)
        })
        .collect();
    time("insert 10k events (a half recurring)", || {
        for chunk in muts.chunks(1000) {
            app.store_for_tests().commit(chunk).expect("commit");
        }
    });
    let mut ics = Vec::new();
    let n = time("export 10k events as .ics", || {
        app.export_events_ics(&mut ics).expect("export")
    });
    println!("  {n} events, {} bytes", ics.len());
    let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("from");
    let to = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).single().expect("to");
    let occ = time("agenda of a year (expand every occurrence)", || {
        app.agenda(from, to).expect("agenda")
    });
    println!("  {} occurrences", occ.len());
    let week = time("agenda of a week", || {
        app.agenda(from + Duration::days(60), from + Duration::days(67))
            .expect("agenda")
    });
    println!("  {} occurrences", week.len());
    let file = dir.path().join("e.ics");
    std::fs::write(&file, &ics).expect("write");
    let other = App::open(&dir.path().join("b")).expect("open");
    let r = time("import that .ics into an empty store", || {
        other.import_ics(&file, false, false).expect("import")
    });
    println!("  created {}", r.created);
    let r = time("import it again (all unchanged)", || {
        other.import_ics(&file, false, false).expect("import")
    });
    println!("  unchanged {}", r.unchanged);
}
