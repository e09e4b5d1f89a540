//! Store benchmarks; prints figures (run `cargo bench --bench store`).
//!
//! - insert of 100k contacts through `Store::commit`
//! - CSV import of 100k rows (target < 3 s)
//! - export of 100k contacts as CSV (target < 1 s)
//! - open plus first `list` on a 100k store
//! - `demo --scale 100000`
//! - every `report` over that demo store: loading the records once, then each report
//!   (target < 300 ms each)
//! - `floor`: what sled alone takes for the writes a 100k-row import cannot avoid and
//!   for a full scan, next to sqlite3 doing the whole import and export of the same rows
//!   (issue 13's ratios)

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

/// [`time`] without a target, answering the seconds it printed.
fn seconds(label: &str, f: impl FnOnce()) -> f64 {
    let started = Instant::now();
    time(label, None, f);
    started.elapsed().as_secs_f64()
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
    if run("floor") {
        floor();
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

/// The floor under issue 13's import and export ratios: sled alone, with none of
/// outpost's work, writing what an import of 100k contact rows must write (each record,
/// and with it the title-index entry and the outbox change the integrity rules ask for,
/// in transactions of 200 as the import's parts), and scanning the records back, next
/// to sqlite3 importing and exporting the same rows as CSV (when it is installed).
fn floor() {
    use outpost::model::{Hlc, Id, ReplicaId};
    use outpost::protocol::{CREATED, Change, ChangeOp};
    use outpost::store::Stored;
    use sled::Transactional;
    use sled::transaction::ConflictableTransactionError;

    let dir = tempfile::tempdir().expect("dir");
    let replica = ReplicaId(7);
    let rows: Vec<Row> = (0..N)
        .map(|i| {
            let fields: Fields = [
                ("first_name", json!(format!("Fïrst{i}"))),
                ("last_name", json!(format!("Last{i}"))),
                ("emails", json!([format!("p{i}@example.com")])),
                ("phones", json!([format!("+49 30 {i:07}")])),
                ("title", json!("Buyer")),
                ("country", json!("DE")),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            let hlc = Hlc {
                wall: 1_780_000_000_000 + i as u64,
                counter: 0,
                replica,
            };
            let id = Id::new();
            let stored = Stored {
                fields: fields.clone(),
                clocks: [(CREATED.to_string(), hlc)].into_iter().collect(),
                deleted: false,
            };
            let change = Change {
                replica,
                seq: i as u64 + 1,
                hlc,
                entity: EntityKind::Contact,
                id,
                op: ChangeOp::Create { fields },
            };
            let mut title = vec![EntityKind::Contact.tag()];
            title.extend_from_slice(format!("fïrst{i} last{i}").as_bytes());
            title.push(0);
            title.extend_from_slice(id.as_bytes());
            Row {
                id,
                record: stored.encode(),
                change: serde_json::to_vec(&change).expect("change"),
                title,
            }
        })
        .collect();
    let db = sled::open(dir.path().join("sled")).expect("sled");
    let records = db.open_tree("records").expect("tree");
    let secs_records = seconds("floor: sled alone, 100k records (200 a tx)", || {
        for part in rows.chunks(200) {
            records
                .transaction(|t| {
                    for Row { id, record, .. } in part {
                        t.insert(id.as_bytes(), record.as_slice())?;
                    }
                    Ok::<_, ConflictableTransactionError<()>>(())
                })
                .expect("transaction");
        }
        db.flush().expect("flush");
    });
    let trees: Vec<sled::Tree> = ["contact", "title", "outbox"]
        .iter()
        .map(|t| db.open_tree(t).expect("tree"))
        .collect();
    let secs_writes = seconds("floor: ... + title entry + outbox change", || {
        for (n, part) in rows.chunks(200).enumerate() {
            trees
                .as_slice()
                .transaction(|t| {
                    for (
                        i,
                        Row {
                            id,
                            record,
                            change,
                            title,
                        },
                    ) in part.iter().enumerate()
                    {
                        t[0].insert(id.as_bytes(), record.as_slice())?;
                        t[1].insert(title.as_slice(), &[])?;
                        t[2].insert(&((n * 200 + i) as u64 + 1).to_be_bytes(), change.as_slice())?;
                    }
                    Ok::<_, ConflictableTransactionError<()>>(())
                })
                .expect("transaction");
        }
        db.flush().expect("flush");
    });
    let secs_scan = seconds("floor: sled alone, scan 100k records", || {
        let n = records.iter().filter_map(Result::ok).count();
        assert_eq!(n, N);
    });
    // As an export reads them: only the columns' fields, text borrowed.
    let wanted = ["first_name", "last_name", "emails", "phones", "title", "country"];
    let secs_decode = seconds("floor: ... and read each as an export does", || {
        for item in records.iter() {
            let (_, bytes) = item.expect("record");
            std::hint::black_box(outpost::protocol::record::Cells::decode(&bytes, &wanted).expect("decode"));
        }
    });
    let Some((import, export)) = sqlite_times(dir.path(), &rows) else {
        println!("  (sqlite3 is not installed: no ratios; apt-get install sqlite3)");
        return;
    };
    println!("floor: sqlite3 .import of the same 100k rows   {import:>8.3} s");
    println!("floor: sqlite3 -csv select * of them            {export:>8.3} s");
    println!(
        "  sled's records alone take {:.1}x sqlite3's whole import, with the title entry and the change \
         {:.1}x (target for outpost's import: 2.0x)",
        secs_records / import,
        secs_writes / import
    );
    println!(
        "  sled's scan alone takes {:.2}x sqlite3's whole export, reading each record's cells {:.2}x (target for \
         outpost's export: 1.0x)",
        secs_scan / export,
        secs_decode / export
    );
}

/// One contact as [`floor`] writes it: its id, stored record, outbox change and
/// title-index key.
struct Row {
    id: outpost::model::Id,
    record: Vec<u8>,
    change: Vec<u8>,
    title: Vec<u8>,
}

/// sqlite3's `.import --csv` and `-csv select *` of `rows`' fields, in seconds (whole
/// processes, as `benches/compare.sh` times them), or `None` without sqlite3.
fn sqlite_times(dir: &std::path::Path, rows: &[Row]) -> Option<(f64, f64)> {
    use std::process::{Command, Stdio};
    let mut csv = String::from("id,first_name,last_name,emails,phones,title,country\n");
    for Row { id, record, .. } in rows {
        let stored = outpost::store::Stored::decode(record).expect("decode");
        let f = |k: &str| match stored.fields.get(k) {
            Some(serde_json::Value::Array(a)) => a.first().and_then(|v| v.as_str()).unwrap_or("").to_string(),
            Some(v) => v.as_str().unwrap_or("").to_string(),
            None => String::new(),
        };
        let _ = writeln!(
            csv,
            "{id},{},{},{},{},{},{}",
            f("first_name"),
            f("last_name"),
            f("emails"),
            f("phones"),
            f("title"),
            f("country")
        );
    }
    let file = dir.join("rows.csv");
    std::fs::write(&file, csv).expect("write csv");
    let db = dir.join("rows.db");
    let run = |args: &[&str]| -> Option<f64> {
        let started = Instant::now();
        let ok = Command::new("sqlite3")
            .args(args)
            .stdout(Stdio::null())
            .status()
            .ok()?
            .success();
        ok.then(|| started.elapsed().as_secs_f64())
    };
    let import = run(&[db.to_str()?, &format!(".import --csv {} contacts", file.to_str()?)])?;
    let export = run(&["-csv", db.to_str()?, "select * from contacts"])?;
    Some((import, export))
}
