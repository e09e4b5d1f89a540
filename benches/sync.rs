//! Sync benchmarks over loopback with a real server (sled backend) and real stores.
//! `cargo bench --bench sync` prints the figures; `OUTPOST_BENCH_RECORDS` changes the
//! size of the big first sync (default 100000).
//!
//! 1. 10,000 changes pushed by one replica and pulled by another (target < 2 s).
//! 2. First sync of a 100k-record store into an empty replica (target < 10 s).
//! 3. 50 replicas syncing at once against one server.

use std::time::{Duration, Instant};

use outpost::model::records::Role;
use outpost::model::{EntityKind, Fields};
use outpost::server::backend::FileAccounts;
use outpost::server::{Running, Storage, admin};
use outpost::store::{Mutation, Store};
use outpost::sync::client::HttpApi;
use outpost::sync::engine::{self, Options, Report};
use serde_json::json;

fn token(storage: &Storage, name: &str) -> String {
    let Storage::Sled(dir) = storage else {
        return String::new();
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let a = FileAccounts::new(dir).expect("accounts");
        admin::add_user(&a, name, Role::Manager).await.expect("user").secret
    })
}

fn accounts(store: &Store, n: usize, tag: &str) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(5000) {
        let muts: Vec<Mutation> = chunk
            .iter()
            .map(|i| {
                let mut f = Fields::new();
                f.insert("name".into(), json!(format!("{tag} client {i:06}")));
                f.insert("city".into(), json!(["Berlin", "Munich", "Hamburg", "Cologne"][i % 4]));
                f.insert("industry".into(), json!("Manufacturing"));
                Mutation::create(EntityKind::Account, f)
            })
            .collect();
        store.commit(&muts).expect("commit");
    }
}

fn sync(store: &Store, url: &str, token: &str) -> (Report, Duration) {
    let api = HttpApi::new(url, token);
    let started = Instant::now();
    let report = engine::sync(store, &api, url, Options::default(), &mut |_| {}).expect("sync");
    (report, started.elapsed())
}

fn main() {
    let t = tempfile::tempdir().expect("temp");
    let storage = Storage::Sled(t.path().join("server"));
    let (ta, tb) = (token(&storage, "a"), token(&storage, "b"));
    let server = Running::start(storage.clone(), "127.0.0.1:0".parse().expect("addr")).expect("server");
    let url = server.url();

    // 1. 10,000 changes each way: 2,000 creates + 8,000 edits pushed by A, pulled by B.
    let a = Store::open(&t.path().join("a")).expect("store");
    let b = Store::open(&t.path().join("b")).expect("store");
    accounts(&a, 2000, "A");
    let ids: Vec<_> = a.live(EntityKind::Account).map(|r| r.expect("scan").0).collect();
    let edits: Vec<Mutation> = (0..8000)
        .map(|i| {
            let mut f = Fields::new();
            f.insert("city".into(), json!(format!("City {i}")));
            Mutation::update(EntityKind::Account, ids[i % ids.len()], f)
        })
        .collect();
    for chunk in edits.chunks(2000) {
        a.commit(chunk).expect("edits");
    }
    let (push, tp) = sync(&a, &url, &ta);
    let (pull, tq) = sync(&b, &url, &tb);
    println!(
        "10k changes: push {} in {:.2} s, pull {} in {:.2} s, total {:.2} s (target < 2 s)",
        push.sent,
        tp.as_secs_f64(),
        pull.received,
        tq.as_secs_f64(),
        (tp + tq).as_secs_f64()
    );

    server.stop();

    // 2. First sync of a big store into an empty replica (a fresh server).
    let storage = Storage::Sled(t.path().join("server2"));
    let server = Running::start(storage.clone(), "127.0.0.1:0".parse().expect("addr")).expect("server");
    let url = server.url();
    let n: usize = std::env::var("OUTPOST_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let big = Store::open(&t.path().join("big")).expect("store");
    let tbig = token(&storage, "big");
    let started = Instant::now();
    accounts(&big, n, "Big");
    let made = started.elapsed();
    let (push, tp) = sync(&big, &url, &tbig);
    let empty = Store::open(&t.path().join("empty")).expect("store");
    let tempty = token(&storage, "empty");
    let (pull, tq) = sync(&empty, &url, &tempty);
    println!(
        "{n} records: made locally in {:.2} s; pushed in {:.2} s; first sync of an empty replica received {} in {:.2} s (target < 10 s)",
        made.as_secs_f64(),
        tp.as_secs_f64(),
        pull.received,
        tq.as_secs_f64()
    );
    assert_eq!(push.sent, n);

    server.stop();

    // 3. 50 replicas at once (a fresh server), each with 100 new records, then each
    // pulls the others'.
    let storage = Storage::Sled(t.path().join("server3"));
    let server = Running::start(storage.clone(), "127.0.0.1:0".parse().expect("addr")).expect("server");
    let url = server.url();
    let count: usize = std::env::var("OUTPOST_BENCH_REPLICAS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let replicas: Vec<(Store, String)> = (0..count)
        .map(|i| {
            let s = Store::open(&t.path().join(format!("r{i}"))).expect("store");
            accounts(&s, 100, &format!("R{i}"));
            (s, token(&storage, &format!("r{i}")))
        })
        .collect();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for (s, tok) in &replicas {
            let url = url.clone();
            scope.spawn(move || {
                let api = HttpApi::new(&url, tok);
                let opts = Options::default();
                engine::sync(s, &api, &url, opts, &mut |_| {}).expect("concurrent sync");
            });
        }
    });
    let first = started.elapsed();
    println!(
        "{count} replicas syncing at once (each pushes 100 new records, pulls what is there): {:.2} s",
        first.as_secs_f64()
    );
    let started = Instant::now();
    std::thread::scope(|scope| {
        for (s, tok) in &replicas {
            let url = url.clone();
            scope.spawn(move || {
                let api = HttpApi::new(&url, tok);
                engine::sync(s, &api, &url, Options::default(), &mut |_| {}).expect("second sync");
            });
        }
    });
    println!(
        "{count} replicas syncing again to catch up with each other: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    server.stop();
}
