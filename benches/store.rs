//! Store benchmarks; prints figures (run `cargo bench --bench store`).
//!
//! - insert of 100k contacts through `Store::commit`
//! - CSV import of 100k rows (target < 3 s)
//! - export of 100k contacts as CSV (target < 1 s)
//! - open plus first `list` on a 100k store
//! - `demo --scale 100000`
//! - every `report` over that demo store: loading the records once, then each report
//!   (target < 300 ms each)

use std::fmt::Write as _;
use std::time::Instant;

use outpost::app::App;
use outpost::app::export::Format;
use outpost::app::view::Names;
use outpost::model::{EntityKind, Fields};
use outpost::store::Mutation;
use serde_json::json;

const N: usize = 100_000;

// Same allocator as the `outpost` binary, so the figures match what users see.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn time<T>(label: &str, target: Option<f64>, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    let secs = started.elapsed().as_secs_f64();
    let verdict = target.map_or(String::new(), |t| {
        format!("  (target < {t} s: {})", if secs < t { "met" } else { "MISSED" })
    });
    println!("{label:<44} {secs:>8.3} s{verdict}");
    out
}

fn main() {
    let filter = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let run = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));

    if run("insert") {
        let dir = tempfile::tempdir().expect("dir");
        let app = App::open(dir.path()).expect("open");
        let muts: Vec<Mutation> = (0..N)
            .map(|i| {
                let f: Fields = [
                    ("first_name", json!(format!("First{i}"))),
                    ("last_name", json!(format!("Last{i}"))),
                    ("emails", json!([format!("p{i}@example.com")])),
                    ("title", json!("Buyer")),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
                Mutation::create(EntityKind::Contact, f)
            })
            .collect();
        time("insert 100k contacts (commit, 10k a batch)", None, || {
            for chunk in muts.chunks(10_000) {
                app.store_for_tests().commit(chunk).expect("commit");
            }
        });
    }

    let dir = tempfile::tempdir().expect("dir");
    if run("import") || run("export") || run("open") {
        let app = App::open(dir.path()).expect("open");
        let mut csv = String::from("First Name,Last Name,E-mail Address,Phone,Job Title,Country\n");
        for i in 0..N {
            let _ = writeln!(csv, "Fïrst{i},Last{i},p{i}@example.com,030 {:07},Buyer,DE", i);
        }
        let file = dir.path().join("contacts.csv");
        std::fs::write(&file, csv).expect("write csv");
        let report = time("import 100k contact rows from CSV", Some(3.0), || {
            app.import_csv(EntityKind::Contact, &file, &Default::default())
                .expect("import")
        });
        assert_eq!(report.created, N);
        let mut sink = std::io::sink();
        let n = time("export 100k contacts as CSV", Some(1.0), || {
            app.export(EntityKind::Contact, Format::Csv, &mut sink).expect("export")
        });
        assert_eq!(n, N);
        time("export 100k contacts as NDJSON", Some(1.0), || {
            app.export(EntityKind::Contact, Format::Ndjson, &mut sink)
                .expect("export")
        });
    }
    if run("open") {
        let app = time("open a 100k store", None, || App::open(dir.path()).expect("open"));
        time("first list page (50 contacts, table)", None, || {
            let mut out = Vec::new();
            let mut s = outpost::app::export::Sink::new(Format::Table, EntityKind::Contact, &mut out).expect("sink");
            let mut names = Names::default();
            for item in app.live(EntityKind::Contact).take(50) {
                let (id, rec) = item.expect("record");
                s.push(&app.view(EntityKind::Contact, id, &rec, &mut names))
                    .expect("push");
            }
            s.finish().expect("finish")
        });
        drop(app);
        time("open + full list of 100k (table)", Some(1.0), || {
            let app = App::open(dir.path()).expect("open");
            let mut out = Vec::new();
            let mut s = outpost::app::export::Sink::new(Format::Table, EntityKind::Contact, &mut out).expect("sink");
            let mut names = Names::default();
            for item in app.live(EntityKind::Contact) {
                let (id, rec) = item.expect("record");
                s.push(&app.view(EntityKind::Contact, id, &rec, &mut names))
                    .expect("push");
            }
            s.finish().expect("finish")
        });
    }
    if run("demo") {
        let dir = tempfile::tempdir().expect("dir");
        let app = App::open(dir.path()).expect("open");
        let summary = time("demo --scale 100000", Some(60.0), || app.demo(1, N).expect("demo"));
        let total: usize = summary.counts.iter().map(|(_, n)| n).sum();
        println!("  ({total} records)");
    }
    if run("report") {
        use outpost::app::report::{activity, changes, customers, forecast, pipeline};
        let dir = tempfile::tempdir().expect("dir");
        let app = App::open(dir.path()).expect("open");
        app.demo(1, N).expect("demo");
        let today = app.clock().now().date_naive();
        let now = app.clock().now();
        let parts = outpost::app::report::Parts::DEALS;
        time("report: load deals and users (forecast ...)", Some(0.3), || {
            app.report_data_with(parts).expect("load")
        });
        let customers = outpost::app::report::Parts {
            customers: true,
            baskets: true,
            ..outpost::app::report::Parts::DEALS
        };
        time("report: load with customers (rfm ...)", Some(0.3), || {
            app.report_data_with(customers).expect("load")
        });
        let changes = outpost::app::report::Parts {
            field_times: true,
            ..outpost::app::report::Parts::DEALS
        };
        time("report: load deals with field times (changes)", Some(0.3), || {
            app.report_data_with(changes).expect("load")
        });
        let data = time("report: load everything", Some(0.3), || {
            app.report_data().expect("load")
        });
        println!(
            "  ({} opportunities, {} activities)",
            data.opps.len(),
            data.touches.len()
        );
        let month = forecast::Period::Month;
        time("report forecast --by month", Some(0.3), || {
            forecast::forecast(&data, month, None).len()
        });
        time("report forecast", Some(0.3), || {
            forecast::forecast(&data, forecast::Period::Quarter, None).len()
        });
        time("report pipeline", Some(0.3), || pipeline::pipeline(&data).len());
        time("report winrate", Some(0.3), || {
            pipeline::winrate(&data, None, None).len()
        });
        time("report cycle", Some(0.3), || pipeline::cycle(&data, now).len());
        time("report funnel", Some(0.3), || pipeline::funnel(&data).len());
        time("report stale", Some(0.3), || pipeline::stale(&data, today, 21).len());
        time("report changes", Some(0.3), || {
            changes::changes(&data, today, today).len()
        });
        time("report rfm", Some(0.3), || customers::rfm(&data, today).len());
        time("report at-risk", Some(0.3), || customers::at_risk(&data, today).len());
        time("report cross-sell", Some(0.3), || {
            customers::cross_sell(&data, None).len()
        });
        time("report activity", Some(0.3), || activity::weekly(&data).len());
        time("report activity --show overdue", Some(0.3), || {
            activity::overdue(&data, today).len()
        });
    }
}
