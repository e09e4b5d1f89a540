//! Report figures on a big store (`outpost demo --scale 100000`), printed, not asserted
//! (target: each report < 300 ms): for every report, the time to read what it needs
//! (`App::report_data_with` and its `Parts`, as `outpost report NAME` reads) and to
//! compute it, best of three; then the TUI's reports job (every report at once).
//!
//! `cargo bench --bench reports` uses `$OUTPOST_BENCH_STORE` (default
//! /tmp/outpost-bench-reports-100k) and fills it with the demo first when it is empty.

// The allocator the `outpost` binary uses (src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use outpost::app::App;
use outpost::app::report::{self, Parts, activity, changes, customers, forecast, pipeline};
use outpost::model::EntityKind;
use outpost::tui::clock::Clock;

fn ms(d: Duration) -> String {
    format!("{:8.1} ms", d.as_secs_f64() * 1000.0)
}

const OPPS: Parts = Parts {
    activities: false,
    customers: false,
};
const ACTIVITIES: Parts = Parts {
    activities: true,
    customers: false,
};
const CUSTOMERS: Parts = Parts {
    activities: false,
    customers: true,
};

/// A report: its name, what it reads (and whether the field clocks), and its rows.
type Report = (&'static str, Parts, bool, Box<dyn Fn(&report::Data) -> usize>);

/// Best of three runs of `f`: (read, compute, rows).
fn time(app: &App, parts: Parts, field_times: bool, f: &dyn Fn(&report::Data) -> usize) -> (Duration, Duration, usize) {
    let mut best = (Duration::MAX, Duration::MAX, 0);
    for _ in 0..3 {
        let t0 = Instant::now();
        let mut data = app.report_data_with(parts).expect("read");
        if field_times {
            app.report_field_times(&mut data).expect("field times");
        }
        let read = t0.elapsed();
        let t1 = Instant::now();
        let rows = f(&data);
        let compute = t1.elapsed();
        if read + compute < best.0 + best.1 {
            best = (read, compute, rows);
        }
    }
    best
}

fn main() {
    let dir: PathBuf =
        std::env::var_os("OUTPOST_BENCH_STORE").map_or_else(|| "/tmp/outpost-bench-reports-100k".into(), PathBuf::from);
    {
        let app = App::open(&dir).expect("open");
        if app.count(EntityKind::Contact) == 0 {
            eprintln!("filling {} with the demo at 100,000 contacts…", dir.display());
            app.demo(1, 100_000).expect("demo");
        }
    }
    let app = App::open(&dir).expect("open");
    let now = app.clock().now();
    let today = now.date_naive();
    println!(
        "store: {} accounts, {} opportunities, {} activities, {} quotes",
        app.count(EntityKind::Account),
        app.count(EntityKind::Opportunity),
        app.count(EntityKind::Activity),
        app.count(EntityKind::Quote)
    );
    let since = changes::quarter(today).0;
    let reports: Vec<Report> = vec![
        (
            "forecast",
            OPPS,
            false,
            Box::new(|d| forecast::forecast(d, forecast::Period::Quarter, None).len()),
        ),
        ("pipeline", OPPS, false, Box::new(|d| pipeline::pipeline(d).len())),
        (
            "winrate",
            OPPS,
            false,
            Box::new(|d| pipeline::winrate(d, None, None).len()),
        ),
        ("cycle", OPPS, false, Box::new(move |d| pipeline::cycle(d, now).len())),
        ("funnel", OPPS, false, Box::new(|d| pipeline::funnel(d).len())),
        (
            "stale",
            ACTIVITIES,
            false,
            Box::new(move |d| pipeline::stale(d, today, 21).len()),
        ),
        (
            "rfm",
            CUSTOMERS,
            false,
            Box::new(move |d| customers::rfm(d, today).len()),
        ),
        (
            "at-risk",
            CUSTOMERS,
            false,
            Box::new(move |d| customers::at_risk(d, today).len()),
        ),
        (
            "cross-sell",
            CUSTOMERS,
            false,
            Box::new(|d| customers::cross_sell(d, None).len()),
        ),
        ("activity", ACTIVITIES, false, Box::new(|d| activity::weekly(d).len())),
        (
            "changes",
            OPPS,
            true,
            Box::new(move |d| changes::changes(d, since, today).len()),
        ),
    ];
    println!(
        "{:<12} {:>11} {:>11} {:>11} {:>7}",
        "report", "read", "compute", "total", "rows"
    );
    for (name, parts, times, f) in &reports {
        let (read, compute, rows) = time(&app, *parts, *times, f.as_ref());
        println!(
            "{name:<12} {} {} {} {rows:>7}",
            ms(read),
            ms(compute),
            ms(read + compute)
        );
    }
    let clock = Clock::new(app.clock().clone(), outpost::tui::clock::Zone::Local);
    let t0 = Instant::now();
    let data = outpost::tui::load::reports::load(&app, &clock, &mut |_, _| {}).expect("reports job");
    println!(
        "TUI reports job (every report, off the UI thread): {} ({} tables)",
        ms(t0.elapsed()),
        data.tables.len()
    );
}
