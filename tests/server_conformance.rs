//! One conformance suite for the server, run against both storage backends: protocol
//! hygiene (precise 4xx, never 500, never a partial write), idempotent pushes, pull
//! visibility, ownership, permissions, tokens.

mod sync_support;

use std::collections::BTreeMap;

use outpost::model::records::Role;
use outpost::model::{EntityKind, Fields, Hlc, Id, ReplicaId};
use outpost::protocol::wire::{DIRECTORY_ACTOR, PullResponse, PushRequest};
use outpost::protocol::{Change, ChangeOp};
use outpost::server::{Running, Storage};
use outpost::sync::SyncError;
use outpost::sync::client::{Api, HttpApi};
use serde_json::json;
use sync_support::{PgDb, add_user, revoke_user, start};

struct Replica {
    id: ReplicaId,
    seq: u64,
    wall: u64,
}

impl Replica {
    fn new(n: u64) -> Self {
        Self {
            id: ReplicaId(0xa000 + n),
            seq: 0,
            wall: 1_700_000_000_000,
        }
    }

    fn change(&mut self, entity: EntityKind, id: Id, op: ChangeOp) -> Change {
        self.seq += 1;
        self.wall += 1;
        Change {
            replica: self.id,
            seq: self.seq,
            hlc: self.hlc(),
            entity,
            id,
            op,
        }
    }

    fn hlc(&self) -> Hlc {
        Hlc {
            wall: self.wall,
            counter: 0,
            replica: self.id,
        }
    }

    fn create(&mut self, entity: EntityKind, id: Id, fields: serde_json::Value) -> Change {
        let serde_json::Value::Object(fields) = fields else {
            panic!("fields must be an object")
        };
        self.change(entity, id, ChangeOp::Create { fields })
    }

    fn set(&mut self, id: Id, field: &str, value: serde_json::Value, base: Option<Hlc>) -> Change {
        self.change(
            EntityKind::Account,
            id,
            ChangeOp::Set {
                field: field.into(),
                value,
                base,
            },
        )
    }
}

fn push(api: &HttpApi, r: &Replica, changes: Vec<Change>) -> Result<outpost::protocol::wire::PushResponse, SyncError> {
    api.push(&PushRequest::new(r.id, changes))
}

fn pull_all(api: &HttpApi, r: ReplicaId) -> PullResponse {
    let mut all = PullResponse {
        entries: Vec::new(),
        next: 0,
        more: false,
        head: 0,
        unknown: Default::default(),
    };
    loop {
        let page = api.pull(r, all.next, 3).expect("pull");
        // The server's users as User records are checked in tests/identity.rs.
        all.entries
            .extend(page.entries.into_iter().filter(|e| e.actor != DIRECTORY_ACTOR));
        all.next = page.next;
        all.head = page.head;
        if !page.more {
            return all;
        }
    }
}

fn status_of(e: SyncError) -> (u16, String) {
    match e {
        SyncError::Rejected { status, code, .. } => (status, code),
        SyncError::Unauthorized { .. } => (401, "unauthorized".into()),
        other => panic!("expected a rejection, got {other}"),
    }
}

/// Sends raw bytes to /v1/push.
fn raw_push(server: &Running, token: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    // A server refusing an oversized body answers 413 and may close the connection while
    // the client is still writing; under load the client then sees a reset instead of the
    // answer. Retrying is what a client does; a server that never answers still fails.
    let mut attempt = 0;
    let mut resp = loop {
        match agent
            .post(&format!("{}/v1/push", server.url()))
            .header("Authorization", &format!("Bearer {token}"))
            .content_type("application/json")
            .send(&body[..])
        {
            Ok(resp) => break resp,
            Err(e) if attempt < 8 => {
                attempt += 1;
                eprintln!("raw push attempt {attempt}: {e}; again");
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("request: {e}"),
        }
    };
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(json!({"raw": text})))
}

/// Sends raw bytes to /v1/push marked `Content-Encoding: gzip` (compressed unless `raw`).
fn gzip_push(server: &Running, token: &str, body: &[u8], raw: bool) -> (u16, serde_json::Value) {
    use std::io::Write;
    let bytes = if raw {
        body.to_vec()
    } else {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(body).expect("gzip");
        enc.finish().expect("gzip")
    };
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut resp = agent
        .post(&format!("{}/v1/push", server.url()))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Encoding", "gzip")
        .content_type("application/json")
        .send(&bytes[..])
        .expect("request");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(json!({"raw": text})))
}

/// Sends a raw GET accepting gzip; returns the response head.
fn raw_get_head(server: &Running, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(server.addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: test\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    text.split("\r\n\r\n").next().unwrap_or_default().to_ascii_lowercase()
}

fn gzipped(server: &Running, path: &str) -> bool {
    raw_get_head(server, path).contains("content-encoding: gzip")
}

fn raw_get_status(server: &Running, path: &str) -> u16 {
    raw_get_head(server, path)
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn suite(storage: &Storage) {
    let alice = add_user(storage, "alice", Role::Rep);
    let bob = add_user(storage, "bob", Role::Rep);
    let boss = add_user(storage, "boss", Role::Manager);
    let server = start(storage);
    let url = server.url();
    let (a, b, m) = (
        HttpApi::new(&url, &alice),
        HttpApi::new(&url, &bob),
        HttpApi::new(&url, &boss),
    );

    // Health and the API description need no token.
    let health = a.health().expect("health");
    assert_eq!(health.status, "ok");
    let text = ureq::get(&format!("{url}/v1/openapi.json"))
        .call()
        .expect("openapi")
        .body_mut()
        .read_to_string()
        .expect("openapi body");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("openapi is JSON");
    assert!(doc["paths"]["/v1/push"].is_object());
    assert!(
        gzipped(&server, "/v1/openapi.json"),
        "responses are compressed when the client accepts gzip"
    );
    assert_eq!(raw_get_status(&server, "/v1/nothing"), 404);

    // Tokens.
    assert_eq!(a.whoami().expect("whoami").user, "alice");
    assert_eq!(
        status_of(HttpApi::new(&url, "opt_nope").whoami().expect_err("bad token")).0,
        401
    );

    // Push and pull.
    let mut ra = Replica::new(1);
    let mut rb = Replica::new(2);
    let acme = Id::new();
    let create = ra.create(
        EntityKind::Account,
        acme,
        json!({"name": "Acme", "city": "Berlin", "owner": "alice"}),
    );
    let created_at = create.hlc;
    let first = push(&a, &ra, vec![create.clone()]).expect("push");
    assert_eq!((first.acked, first.accepted, first.skipped), (1, 1, 0));
    let seen_by_b = pull_all(&b, rb.id);
    assert_eq!(seen_by_b.entries.len(), 1);
    assert_eq!(seen_by_b.entries[0].actor, "alice");
    assert!(
        pull_all(&a, ra.id).entries.is_empty(),
        "a replica does not get its own plain changes back"
    );

    // A replayed push is skipped, not duplicated.
    let again = push(&a, &ra, vec![create]).expect("replay");
    assert_eq!((again.acked, again.accepted, again.skipped), (1, 0, 1));
    assert_eq!(pull_all(&b, rb.id).entries.len(), 1);

    // A gap is refused precisely, and nothing is written.
    let head = pull_all(&b, rb.id).head;
    ra.seq += 1; // skip one
    let gap = ra.set(acme, "city", json!("Munich"), Some(created_at));
    assert_eq!(
        status_of(push(&a, &ra, vec![gap]).expect_err("gap")),
        (422, "seq_gap".into())
    );
    assert_eq!(pull_all(&b, rb.id).head, head);
    ra.seq -= 2;

    // A replica belongs to its first user.
    let stolen = Change {
        ..ra.set(acme, "city", json!("x"), Some(created_at))
    };
    ra.seq -= 1;
    assert_eq!(
        status_of(push(&b, &ra, vec![stolen]).expect_err("owned")),
        (403, "replica_owned".into())
    );
    assert_eq!(status_of(b.pull(ra.id, 0, 10).expect_err("owned pull")).0, 403);

    // Malformed bodies get precise 4xx.
    assert_eq!(raw_push(&server, &alice, b"{not json".to_vec()).0, 400);
    assert_eq!(
        raw_push(&server, &alice, br#"{"replica": 5, "changes": []}"#.to_vec()).0,
        422
    );
    assert_eq!(
        raw_push(
            &server,
            &alice,
            br#"{"replica": "000000000000a001", "changes": [], "extra": 1}"#.to_vec()
        )
        .0,
        422
    );
    assert_eq!(
        raw_push(
            &server,
            &alice,
            br#"{"replica": "000000000000a001", "changes": [{"seq": "one"}]}"#.to_vec()
        )
        .0,
        422
    );
    let (status, body) = raw_push(&server, &alice, vec![b' '; 9 * 1024 * 1024]);
    assert_eq!(status, 413, "{body}");
    assert_eq!(raw_push(&server, "", b"{}".to_vec()).0, 401);
    // Compressed bodies: malformed JSON inside, a gzip bomb past the limit, broken gzip.
    assert_eq!(gzip_push(&server, &alice, b"{not json", false).0, 400);
    let (status, body) = gzip_push(&server, &alice, &vec![b' '; 9 * 1024 * 1024], false);
    assert_eq!(status, 413, "the limit counts decompressed bytes: {body}");
    let (status, body) = gzip_push(&server, &alice, b"this is not gzip", true);
    assert_eq!(status, 400, "broken gzip: {body}");

    // A change whose value does not fit the entity fails the whole push: no partial write.
    let good = ra.create(EntityKind::Account, Id::new(), json!({"name": "Good"}));
    let bad = ra.create(
        EntityKind::Opportunity,
        Id::new(),
        json!({"name": "Bad", "amount": [1, 2]}),
    );
    let (status, body) = raw_push(
        &server,
        &alice,
        serde_json::to_vec(&json!({"replica": ra.id, "changes": [good, bad]})).expect("json"),
    );
    assert_eq!(status, 422, "{body}");
    assert_eq!(pull_all(&b, rb.id).head, head, "nothing of the failed push was written");
    ra.seq -= 2;

    // Permissions: a rep may not change another rep's record; the refusal comes back to them.
    let by_bob = rb.set(acme, "city", json!("Paris"), Some(created_at));
    let refused = push(&b, &rb, vec![by_bob]).expect("push is acknowledged");
    assert_eq!((refused.acked, refused.refused), (1, 1));
    let bob_view = pull_all(&b, rb.id);
    let r = bob_view
        .entries
        .iter()
        .find(|e| e.refused.is_some())
        .expect("bob sees his refusal");
    assert!(r.refused.as_ref().expect("refusal").reason.contains("owned by 'alice'"));
    assert!(
        pull_all(&a, ra.id).entries.is_empty(),
        "alice does not see bob's refused change"
    );

    // A manager may; concurrent edits of the same field raise one conflict both sides see.
    let mut rm = Replica::new(3);
    let by_boss = rm.set(acme, "city", json!("Hamburg"), Some(created_at));
    assert_eq!(push(&m, &rm, vec![by_boss]).expect("manager push").refused, 0);
    ra.wall += 100;
    let by_alice = ra.set(acme, "city", json!("Munich"), Some(created_at));
    let pushed = push(&a, &ra, vec![by_alice]).expect("alice push");
    assert_eq!(pushed.conflicts, 1);
    let conflicts_a: Vec<_> = pull_all(&a, ra.id)
        .entries
        .into_iter()
        .flat_map(|e| e.conflicts)
        .collect();
    let conflicts_m: Vec<_> = pull_all(&m, rm.id)
        .entries
        .into_iter()
        .flat_map(|e| e.conflicts)
        .collect();
    assert_eq!(conflicts_a.len(), 1);
    assert_eq!(conflicts_a, conflicts_m);
    assert_eq!(conflicts_a[0].winner.value, json!("Munich"));
    assert_eq!(conflicts_a[0].loser.value, json!("Hamburg"));

    // Revoked tokens are refused at once, before anything is written.
    revoke_user(storage, "bob");
    assert_eq!(status_of(b.whoami().expect_err("revoked")).0, 401);
    let late = rb.set(acme, "name", json!("Bob's"), Some(created_at));
    assert_eq!(status_of(push(&b, &rb, vec![late]).expect_err("revoked push")).0, 401);
    drop(server);

    // Restarted, the server has everything.
    let server = start(storage);
    let a = HttpApi::new(&server.url(), &alice);
    let all = pull_all(&a, ReplicaId(0xffff));
    let mut per_replica: BTreeMap<ReplicaId, usize> = BTreeMap::new();
    for e in &all.entries {
        *per_replica.entry(e.change.replica).or_default() += 1;
    }
    assert_eq!(per_replica.get(&ra.id), Some(&2));
    assert_eq!(per_replica.get(&rm.id), Some(&1));
    assert_eq!(
        per_replica.get(&rb.id),
        None,
        "refused changes are only for their replica"
    );

    // A change of a kind this server does not know (a newer client's) is refused alone,
    // in the push answer: acknowledged, not logged, and the push's other changes land.
    let mut rn = Replica::new(4);
    let known = rn.create(
        EntityKind::Account,
        Id::new(),
        json!({"name": "Known", "owner": "alice"}),
    );
    let mut newer =
        serde_json::to_value(rn.create(EntityKind::Account, Id::new(), json!({"name": "North"}))).expect("json");
    newer["entity"] = json!("hovercraft");
    let (status, body) = raw_push(
        &server,
        &alice,
        serde_json::to_vec(&json!({"replica": rn.id, "changes": [known, newer]})).expect("json"),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["acked"].as_u64(),
            body["accepted"].as_u64(),
            body["refused"].as_u64()
        ),
        (Some(2), Some(1), Some(1)),
        "{body}"
    );
    assert_eq!(body["refusals"][0]["entity"], "hovercraft", "{body}");
    let after = pull_all(&a, ReplicaId(0xffff));
    assert_eq!(after.head, all.head + 1, "only the known change was logged");
    assert!(after.entries.iter().all(|e| e.change.entity == EntityKind::Account));
}

#[test]
fn sled_backend_conforms() {
    let t = sync_support::temp();
    suite(&Storage::Sled(t.path().join("server")));
}

#[test]
fn postgres_backend_conforms() {
    let Some(db) = PgDb::create("conformance") else {
        return;
    };
    suite(&Storage::Postgres(db.url.clone()));
}

#[test]
fn fields_helper_is_a_map() {
    let f: Fields = serde_json::from_value(json!({"a": 1})).expect("map");
    assert_eq!(f.len(), 1);
}
