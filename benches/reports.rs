//! Report figures on a big store (`outpost demo --scale 100000`), printed, not asserted
//! (target: each report < 300 ms): for every report, the time to read what it needs
//! (`App::report_data_with` and its `Parts`, as `outpost report NAME` reads) and to
//! compute it, best of five (wall), with the least CPU time of the five (every
//! thread, from /proc/self/stat); then the TUI's reports job (every report at once).
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

const OPPS: Parts = Parts::DEALS;
const ACTIVITIES: Parts = Parts {
    activities: true,
    ..Parts::DEALS
};
const CUSTOMERS: Parts = Parts {
    customers: true,
    ..Parts::DEALS
};
const BASKETS: Parts = Parts {
    baskets: true,
    ..Parts::DEALS
};

/// A report: its name, what it reads (and whether the field clocks), and its rows.
type Report = (&'static str, Parts, bool, Box<dyn Fn(&report::Data) -> usize>);

/// CPU time of this process so far (every thread, finished ones too), from
/// `/proc/self/stat` (clock ticks, 10 ms); zero where it cannot be read.
fn cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at its closing ')'.
    let rest = text.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest.split_whitespace().map(|x| x.parse().unwrap_or(0)).collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// One report's best run: read and compute (wall), the CPU time of the whole run, rows.
struct Best {
    read: Duration,
    compute: Duration,
    cpu: Duration,
    rows: usize,
}

/// Best of five runs of `f` by wall time, and the least CPU time of the five.
fn time(app: &App, parts: Parts, field_times: bool, f: &dyn Fn(&report::Data) -> usize) -> Best {
    let mut best: Option<Best> = None;
    let mut least_cpu = Duration::MAX;
    for _ in 0..5 {
        let c0 = cpu();
        let t0 = Instant::now();
        let data = app.report_data_with(Parts { field_times, ..parts }).expect("read");
        let read = t0.elapsed();
        let t1 = Instant::now();
        let rows = f(&data);
        let compute = t1.elapsed();
        drop(data);
        least_cpu = least_cpu.min(cpu().saturating_sub(c0));
        if best.as_ref().is_none_or(|b| read + compute < b.read + b.compute) {
            best = Some(Best {
                read,
                compute,
                cpu: Duration::ZERO,
                rows,
            });
        }
    }
    let mut best = best.expect("five runs");
    best.cpu = least_cpu;
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
    let load = || std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average: {}", load().trim());
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
            BASKETS,
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
        "{:<12} {:>11} {:>11} {:>11} {:>11} {:>7}",
        "report", "read", "compute", "total", "cpu", "rows"
    );
    for (name, parts, times, f) in &reports {
        let b = time(&app, *parts, *times, f.as_ref());
        println!(
            "{name:<12} {} {} {} {} {:>7}",
            ms(b.read),
            ms(b.compute),
            ms(b.read + b.compute),
            ms(b.cpu),
            b.rows
        );
    }
    let clock = Clock::new(app.clock().clone(), outpost::tui::clock::Zone::Local);
    let c0 = cpu();
    let t0 = Instant::now();
    let data = outpost::tui::load::reports::load(&app, &clock, &mut |_, _| {}).expect("reports job");
    println!(
        "TUI reports job (every report, off the UI thread): {}, cpu {} ({} tables)",
        ms(t0.elapsed()),
        ms(cpu().saturating_sub(c0)),
        data.tables.len()
    );
    println!("load average: {}", load().trim());
}
