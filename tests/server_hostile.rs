//! Hostile clients against a real server on 127.0.0.1, over both backends (PostgreSQL
//! when `OUTPOST_TEST_PG` is set): slow request heads and bodies, too many requests at
//! once, a huge `Expect: 100-continue`, non-JSON pushes, cursors beyond the log, an
//! acknowledged change replayed with other content. Each case asserts the status (or
//! the closed connection) and that the server's log, as a replica pulls it, did not
//! change. Every loop is bounded in count and time; nothing leaves loopback.

mod sync_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use outpost::model::records::Role;
use outpost::model::{EntityKind, Hlc, Id, ReplicaId};
use outpost::protocol::wire::PushRequest;
use outpost::protocol::{Change, ChangeOp};
use outpost::server::{Limits, Running, Storage};
use outpost::sync::client::{Api, HttpApi};
use serde_json::{Value, json};
use sync_support::{PgDb, add_user, any_port};

const HEADER_TIMEOUT: Duration = Duration::from_secs(1);
const BODY_TIMEOUT: Duration = Duration::from_secs(2);

fn limits() -> Limits {
    Limits {
        header_timeout: HEADER_TIMEOUT,
        body_timeout: BODY_TIMEOUT,
        max_connections: 64,
        max_requests: 3,
        max_bodies: 1,
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

/// Status and JSON body of a GET.
fn get(url: &str, token: Option<&str>) -> (u16, Value) {
    let mut req = agent().get(url);
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut resp = req.call().expect("GET");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(json!({ "raw": text })))
}

/// Status and JSON body of a POST to /v1/push with this content type.
fn post(url: &str, token: &str, content_type: Option<&str>, body: &[u8]) -> (u16, Value) {
    let mut req = agent()
        .post(&format!("{url}/v1/push"))
        .header("Authorization", &format!("Bearer {token}"));
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    let mut resp = req.send(body).expect("POST");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(json!({ "raw": text })))
}

/// What a replica sees of the whole log (the observer's replica, from cursor 0).
fn snapshot(url: &str, token: &str) -> Value {
    let (status, body) = get(
        &format!("{url}/v1/pull?replica={}&after=0&limit=2000", ReplicaId(0x0b5e)),
        Some(token),
    );
    assert_eq!(status, 200, "{body}");
    json!({"entries": body["entries"], "head": body["head"]})
}

/// A raw connection to the server.
fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(15))).expect("timeout");
    s
}

/// Reads until the peer closes the connection (or 15 s pass); returns what came and when.
fn read_to_close(s: &mut TcpStream) -> (String, Duration, bool) {
    let start = Instant::now();
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&all).into_owned(), start.elapsed(), true),
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return (String::from_utf8_lossy(&all).into_owned(), start.elapsed(), false);
            }
            // Reset by the server: closed.
            Err(_) => return (String::from_utf8_lossy(&all).into_owned(), start.elapsed(), true),
        }
    }
}

/// Reads one response head (up to the blank line).
fn read_head(s: &mut TcpStream) -> String {
    let mut all = Vec::new();
    let mut buf = [0u8; 1];
    while !all.ends_with(b"\r\n\r\n") && all.len() < 16 * 1024 {
        match s.read(&mut buf) {
            Ok(1) => all.push(buf[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&all).into_owned()
}

/// A push request head with a body of `len` bytes still to come.
fn push_head(addr: SocketAddr, token: &str, len: u64, extra: &str) -> String {
    format!(
        "POST /v1/push HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {len}\r\n{extra}\r\n"
    )
}

fn change(replica: ReplicaId, seq: u64, id: Id, op: ChangeOp) -> Change {
    Change {
        replica,
        seq,
        hlc: Hlc {
            wall: 1_700_000_000_000 + seq,
            counter: 0,
            replica,
        },
        entity: EntityKind::Account,
        id,
        op,
    }
}

fn fields(v: Value) -> serde_json::Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("an object"),
    }
}

fn suite(storage: &Storage) {
    let alice = add_user(storage, "alice", Role::Rep);
    let bob = add_user(storage, "bob", Role::Rep);
    let server = Running::start_with(storage.clone(), any_port(), limits()).expect("server starts");
    let (url, addr) = (server.url(), server.addr);

    // What the hostile cases must leave alone: alice's account, created and renamed.
    let ra = ReplicaId(0xa11ce);
    let id = Id::new();
    let create = change(
        ra,
        1,
        id,
        ChangeOp::Create {
            fields: fields(json!({"name": "Acme"})),
        },
    );
    let rename = change(
        ra,
        2,
        id,
        ChangeOp::Set {
            field: "city".into(),
            value: json!("Lyon"),
            base: None,
        },
    );
    let api = HttpApi::new(&url, &alice);
    let first = api
        .push(&PushRequest::new(ra, vec![create.clone(), rename.clone()]))
        .expect("push");
    assert_eq!(first.acked, 2);
    let before = snapshot(&url, &bob);
    let unchanged = |case: &str| assert_eq!(snapshot(&url, &bob), before, "{case} changed the log");

    // Health: live, ready and health answer 200 while the storage does.
    for path in ["/v1/live", "/v1/ready", "/v1/health"] {
        let (status, body) = get(&format!("{url}{path}"), None);
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(body["status"], "ok");
    }

    // A slow client sending half a request line is disconnected within the header deadline.
    let mut slow = connect(addr);
    slow.write_all(b"GET /v1/health HT").expect("write");
    let (got, waited, closed) = read_to_close(&mut slow);
    assert!(closed, "a partial request head kept the connection open for {waited:?}");
    assert!(
        waited < HEADER_TIMEOUT + Duration::from_secs(3),
        "closed only after {waited:?}"
    );
    assert!(!got.starts_with("HTTP/1.1 200"), "answered a partial request: {got}");

    // Many such clients at once (bounded) do not stop the server answering.
    let mut crowd: Vec<TcpStream> = (0..40)
        .map(|_| {
            let mut s = connect(addr);
            s.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n").expect("write");
            s
        })
        .collect();
    let (status, _) = get(&format!("{url}/v1/ready"), None);
    assert_eq!(status, 200, "a crowd of slow clients starved /v1/ready");
    for s in &mut crowd {
        let (_, waited, closed) = read_to_close(s);
        assert!(closed && waited < HEADER_TIMEOUT + Duration::from_secs(5), "{waited:?}");
    }
    drop(crowd);

    // A slow body: the request is answered 408 within the body deadline.
    let mut slow = connect(addr);
    slow.write_all(push_head(addr, &alice, 1000, "").as_bytes())
        .expect("write");
    slow.write_all(b"{\"replica\":").expect("write");
    let start = Instant::now();
    let head = read_head(&mut slow);
    assert!(head.starts_with("HTTP/1.1 408"), "slow body: {head}");
    assert!(
        start.elapsed() < BODY_TIMEOUT + Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    unchanged("a slow body");

    // Expect: 100-continue with a 10 GB body: 413 at once, never `100 Continue`.
    let mut greedy = connect(addr);
    greedy
        .write_all(push_head(addr, &alice, 10_000_000_000, "Expect: 100-continue\r\n").as_bytes())
        .expect("write");
    let head = read_head(&mut greedy);
    assert!(
        head.starts_with("HTTP/1.1 413"),
        "Expect: 100-continue of 10 GB: {head}"
    );
    assert!(!head.contains("100 Continue"));
    unchanged("a huge Expect: 100-continue");

    // Only JSON is pushed: text/plain (even holding valid JSON) and no type at all are 415.
    let body = serde_json::to_vec(&PushRequest::new(
        ra,
        vec![change(
            ra,
            3,
            id,
            ChangeOp::Set {
                field: "city".into(),
                value: json!("Nice"),
                base: None,
            },
        )],
    ))
    .expect("json");
    for ct in [Some("text/plain"), None, Some("application/x-www-form-urlencoded")] {
        let (status, reply) = post(&url, &alice, ct, &body);
        assert_eq!(status, 415, "{ct:?}: {reply}");
        assert_eq!(reply["error"]["code"], "unsupported_media_type");
    }
    assert_eq!(post(&url, &alice, Some("application/json; charset=utf-8"), b"[").0, 400);
    unchanged("a non-JSON push");

    // Cursors beyond the end of the log are refused on both backends (no wrap to 1).
    let head = before["head"].as_u64().expect("head");
    let obs = ReplicaId(0x0b5e);
    for after in [
        u64::MAX.to_string(),
        (head + 1).to_string(),
        (i64::MAX as u64).to_string(),
    ] {
        let (status, reply) = get(&format!("{url}/v1/pull?replica={obs}&after={after}"), Some(&bob));
        assert_eq!(status, 400, "after={after}: {reply}");
        assert_eq!(reply["error"]["code"], "bad_cursor");
    }
    let (status, reply) = get(&format!("{url}/v1/pull?replica={obs}&after={head}"), Some(&bob));
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["entries"], json!([]));
    let (status, _) = get(
        &format!("{url}/v1/pull?replica={obs}&after=18446744073709551616"),
        Some(&bob),
    );
    assert_eq!(status, 400);
    unchanged("cursors beyond the log");

    // An acknowledged change sent again with other content: 409, nothing written.
    let mut forged = rename.clone();
    if let ChangeOp::Set { value, .. } = &mut forged.op {
        *value = json!("Marseille");
    }
    let (status, reply) = post(
        &url,
        &alice,
        Some("application/json"),
        &serde_json::to_vec(&PushRequest::new(ra, vec![forged])).expect("json"),
    );
    assert_eq!(status, 409, "{reply}");
    assert_eq!(reply["error"]["code"], "replay_mismatch");
    unchanged("a replayed seq with other content");
    // The same change again is a harmless retry.
    let again = api.push(&PushRequest::new(ra, vec![rename.clone()])).expect("retry");
    assert_eq!((again.acked, again.skipped), (2, 1));
    unchanged("a plain retry");

    // Requests at once are capped: slow bodies hold the only body slot and the request
    // slots; the next request is told 503 busy; all are answered within the deadlines.
    let mut holders: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut s = connect(addr);
            s.write_all(push_head(addr, &alice, 1000, "").as_bytes())
                .expect("write");
            s.write_all(b"{").expect("write");
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(400));
    let (status, reply) = get(&format!("{url}/v1/live"), None);
    assert_eq!(status, 503, "{reply}");
    assert_eq!(reply["error"]["code"], "busy");
    for s in &mut holders {
        let head = read_head(s);
        assert!(
            head.starts_with("HTTP/1.1 408") || head.starts_with("HTTP/1.1 503"),
            "a held request: {head}"
        );
    }
    drop(holders);
    assert_eq!(get(&format!("{url}/v1/live"), None).0, 200);

    // Push bodies at once are capped: a push waits while a slow body holds the slot.
    let mut holder = connect(addr);
    holder
        .write_all(push_head(addr, &alice, 1000, "").as_bytes())
        .expect("write");
    holder.write_all(b"{").expect("write");
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    let retried = api
        .push(&PushRequest::new(ra, vec![rename]))
        .expect("push after the slot frees");
    assert_eq!(retried.acked, 2);
    assert!(
        start.elapsed() >= Duration::from_millis(800),
        "a push read its body while the only body slot was held ({:?})",
        start.elapsed()
    );
    assert!(read_head(&mut holder).starts_with("HTTP/1.1 408"));
    unchanged("capped bodies");
    drop(server);
}

#[test]
fn sled_server_withstands_hostile_clients() {
    let t = sync_support::temp();
    suite(&Storage::Sled(t.path().join("server")));
}

#[test]
fn postgres_server_withstands_hostile_clients() {
    let Some(db) = PgDb::create("hostile") else { return };
    suite(&Storage::Postgres(db.url.clone()));
}

#[test]
fn ready_fails_when_postgres_is_gone_and_live_does_not() {
    let Some(db) = PgDb::create("ready") else { return };
    let storage = Storage::Postgres(db.url.clone());
    let server = Running::start_with(storage, any_port(), limits()).expect("server starts");
    let url = server.url();
    assert_eq!(get(&format!("{url}/v1/ready"), None).0, 200);
    drop(db); // drops the database, closing the server's connections
    for path in ["/v1/ready", "/v1/health"] {
        let (status, body) = get(&format!("{url}{path}"), None);
        assert_eq!(status, 503, "{path} with the database gone: {body}");
        assert_eq!(body["error"]["code"], "unavailable");
    }
    let (status, body) = get(&format!("{url}/v1/live"), None);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn connections_over_the_cap_are_closed_at_once() {
    let t = sync_support::temp();
    let small = Limits {
        max_connections: 4,
        ..limits()
    };
    let server = Running::start_with(Storage::Sled(t.path().join("s")), any_port(), small).expect("server");
    let held: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut s = connect(server.addr);
            s.write_all(b"GET /v1/live HTTP/1.1\r\n").expect("write");
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut extra = connect(server.addr);
    let _ = extra.write_all(b"GET /v1/live HTTP/1.1\r\nHost: x\r\n\r\n");
    let (got, waited, closed) = read_to_close(&mut extra);
    assert!(closed && got.is_empty(), "the fifth connection was served: {got}");
    assert!(waited < HEADER_TIMEOUT, "{waited:?}");
    // The partial heads time out, and the server answers again.
    drop(held);
    let deadline = Instant::now() + HEADER_TIMEOUT + Duration::from_secs(5);
    loop {
        let mut s = connect(server.addr);
        let _ = s.write_all(b"GET /v1/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let (got, _, _) = read_to_close(&mut s);
        if got.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "the server did not answer again: {got}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn openapi_lists_the_hygiene_statuses() {
    let t = sync_support::temp();
    let server = Running::start_with(Storage::Sled(t.path().join("s")), any_port(), limits()).expect("server");
    let (status, doc) = get(&format!("{}/v1/openapi.json", server.url()), None);
    assert_eq!(status, 200);
    let push = &doc["paths"]["/v1/push"]["post"]["responses"];
    for code in ["408", "409", "413", "415", "503"] {
        assert!(push[code].is_object(), "push {code}");
    }
    assert!(doc["paths"]["/v1/pull"]["get"]["responses"]["400"].is_object());
    for path in ["/v1/live", "/v1/ready", "/v1/health"] {
        assert!(doc["paths"][path]["get"]["responses"]["503"].is_object(), "{path}");
    }
}
