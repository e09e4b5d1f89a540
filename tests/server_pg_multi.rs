//! Two `outpost serve` processes on one PostgreSQL database: concurrent pushers spread
//! over both, and a puller (also alternating) that must see every change exactly once,
//! in cursor order.

mod sync_support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use outpost::model::{EntityKind, Hlc, Id, ReplicaId};
use outpost::protocol::wire::PushRequest;
use outpost::protocol::{Change, ChangeOp};
use outpost::server::directory;
use outpost::sync::client::{Api, HttpApi};
use serde_json::json;
use sync_support::{PgDb, ServerProc};

const PUSHERS: u64 = 3;
const CHANGES: u64 = 300;

fn create(replica: ReplicaId, seq: u64) -> Change {
    let mut fields = outpost::model::Fields::new();
    fields.insert("name".into(), json!(format!("Client {replica}-{seq}")));
    Change {
        replica,
        seq,
        hlc: Hlc {
            wall: 1_700_000_000_000 + seq,
            counter: 0,
            replica,
        },
        entity: EntityKind::Account,
        id: Id::new(),
        op: ChangeOp::Create { fields },
    }
}

#[test]
fn two_servers_one_database_every_change_seen_exactly_once() {
    let Some(db) = PgDb::create("multi") else {
        return;
    };
    let t = sync_support::temp();
    let s1 = ServerProc::start(&t.path().join("s1"), "127.0.0.1:0", Some(&db.url));
    let s2 = ServerProc::start(&t.path().join("s2"), "127.0.0.1:0", Some(&db.url));
    let urls = [s1.url.clone(), s2.url.clone()];
    let tokens: Vec<String> = (0..=PUSHERS)
        .map(|i| s1.add_user(&format!("rep{i}"), "manager"))
        .collect();

    let done = Arc::new(AtomicBool::new(false));
    let puller = {
        let (urls, token, done) = (urls.clone(), tokens[0].clone(), Arc::clone(&done));
        std::thread::spawn(move || {
            let apis = [HttpApi::new(&urls[0], &token), HttpApi::new(&urls[1], &token)];
            let me = ReplicaId(0xfeed);
            let (mut cursor, mut seen, mut n) = (0u64, Vec::new(), 0usize);
            loop {
                let finished = done.load(Ordering::SeqCst);
                let page = apis[n % 2].pull(me, cursor, 37).expect("pull");
                n += 1;
                for e in &page.entries {
                    assert!(e.cursor > cursor, "cursor order");
                    cursor = e.cursor;
                    seen.push((e.change.replica, e.change.seq));
                }
                cursor = page.next;
                if finished && !page.more {
                    return seen;
                }
            }
        })
    };
    let pushers: Vec<_> = (1..=PUSHERS)
        .map(|i| {
            let (urls, token) = (urls.clone(), tokens[usize::try_from(i).unwrap_or(0)].clone());
            std::thread::spawn(move || {
                let apis = [HttpApi::new(&urls[0], &token), HttpApi::new(&urls[1], &token)];
                let replica = ReplicaId(0x1000 + i);
                let mut rng = fastrand::Rng::with_seed(i);
                let mut seq = 1;
                while seq <= CHANGES {
                    let n = rng.u64(1..25).min(CHANGES - seq + 1);
                    let changes: Vec<Change> = (seq..seq + n).map(|s| create(replica, s)).collect();
                    let resp = apis[rng.usize(0..2)]
                        .push(&PushRequest::new(replica, changes))
                        .expect("push");
                    assert_eq!(resp.acked, seq + n - 1);
                    seq += n;
                }
            })
        })
        .collect();
    for p in pushers {
        p.join().expect("pusher");
    }
    done.store(true, Ordering::SeqCst);
    let seen = puller.join().expect("puller");
    let unique: BTreeSet<_> = seen.iter().copied().collect();
    assert_eq!(seen.len(), unique.len(), "a change was seen twice");
    // Both servers write the users as User records; together, once per user.
    let server_id = HttpApi::new(&urls[0], &tokens[0]).health().expect("health").server_id;
    let server = directory::replica(&server_id);
    let users = unique.iter().filter(|(r, _)| *r == server).count();
    assert_eq!(
        users,
        usize::try_from(PUSHERS + 1).unwrap_or(0),
        "each user's record once"
    );
    assert_eq!(
        unique.len() - users,
        usize::try_from(PUSHERS * CHANGES).unwrap_or(0),
        "a change was missed"
    );
    drop((s1, s2));
}
