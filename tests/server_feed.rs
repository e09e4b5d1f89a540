//! The calendar feed (issue 10, item 6): `outpost serve` publishes each user's events and
//! open tasks as an iCalendar URL; `outpost sync feed` prints it. Against a real server on
//! 127.0.0.1, over sled and PostgreSQL (OUTPOST_TEST_PG): the feed holds the user's own
//! and attended events with their RRULE and their open tasks, nobody else's; a sync token
//! does not open it and its secret does not authorize sync; `--rotate` and `--revoke`
//! make the old URL answer 404. With OUTPOST_TEST_PYTHON, Python's `icalendar` and
//! `vobject` read the served file.

mod sync_support;

use sync_support::{Laptop, PgDb, ServerProc};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// GET `url` (with a bearer token when given): status, content type, body.
fn get(url: &str, token: Option<&str>) -> (u16, String, String) {
    let mut req = agent().get(url);
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut resp = req.call().expect("request");
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ctype, resp.body_mut().read_to_string().unwrap_or_default())
}

fn event(laptop: &Laptop, title: &str, start: &str, extra: &[&str]) {
    let mut args = vec![
        "event",
        "add",
        "--title",
        title,
        "--start",
        start,
        "--tz",
        "Europe/Berlin",
    ];
    args.extend_from_slice(extra);
    laptop.ok(&args);
}

fn feed_url(laptop: &Laptop, args: &[&str]) -> String {
    let mut all = vec!["sync", "feed"];
    all.extend_from_slice(args);
    laptop.ok(&all).trim().to_string()
}

/// Two users, their events and tasks synced; returns the server and both laptops with
/// their tokens.
fn team(t: &tempfile::TempDir, database: Option<&str>) -> (ServerProc, (Laptop, String), (Laptop, String)) {
    let server = ServerProc::start(&t.path().join("srv"), "127.0.0.1:0", database);
    let anna_token = sync_support::server_user_add(
        &server.dir,
        database,
        &["anna", "--name", "Anna Berg", "--email", "anna@example.com"],
    );
    let bob_token = sync_support::server_user_add(&server.dir, database, &["bob"]);
    let anna = Laptop::new(t, "anna");
    anna.login(&server.url, &anna_token);
    event(
        &anna,
        "Weekly review",
        "2026-03-02 09:00",
        &["--rrule", "FREQ=WEEKLY;BYDAY=MO;COUNT=10", "--exdate", "2026-03-16"],
    );
    anna.ok(&[
        "activity",
        "add",
        "--kind",
        "task",
        "--subject",
        "Send the quote",
        "--due",
        "2026-03-03",
    ]);
    anna.ok(&["activity", "add", "--kind", "task", "--subject", "Undated chore"]);
    anna.ok(&[
        "activity",
        "add",
        "--kind",
        "call",
        "--subject",
        "A call, not a task",
        "--due",
        "2026-03-03",
    ]);
    anna.sync();
    let bob = Laptop::new(t, "bob");
    bob.login(&server.url, &bob_token);
    event(&bob, "Bob alone", "2026-03-03 10:00", &[]);
    event(
        &bob,
        "Joint visit",
        "2026-03-04 14:00",
        &["--attendee", "Anna Berg <anna@example.com>"],
    );
    bob.ok(&[
        "activity",
        "add",
        "--kind",
        "task",
        "--subject",
        "Bob's task",
        "--due",
        "2026-03-05",
    ]);
    bob.sync();
    (server, (anna, anna_token), (bob, bob_token))
}

fn the_feed_is_the_users_and_only_opens_with_its_secret(database: Option<&str>) {
    let t = sync_support::temp();
    let (server, (anna, anna_token), (bob, bob_token)) = team(&t, database);

    // Before the first `sync feed`, there is none.
    let (status, _, body) = get(&format!("{}/v1/feed", server.url), Some(&anna_token));
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("no_feed"), "{body}");

    let url = feed_url(&anna, &[]);
    assert!(
        url.starts_with(&format!("{}/v1/feed/opf_", server.url)) && url.ends_with(".ics"),
        "{url}"
    );
    assert!(!url.contains(&anna_token), "the sync token is never in the URL");
    assert_eq!(feed_url(&anna, &[]), url, "printed again, the same URL");

    let (status, ctype, ics) = get(&url, None);
    assert_eq!(status, 200, "{ics}");
    assert!(ctype.starts_with("text/calendar"), "{ctype}");
    assert!(
        ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"),
        "{ics}"
    );
    assert!(ics.contains("SUMMARY:Weekly review"), "{ics}");
    assert!(
        ics.contains("RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO") || ics.contains("RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10"),
        "{ics}"
    );
    assert!(ics.contains("EXDATE;TZID=Europe/Berlin:20260316T090000"), "{ics}");
    assert!(ics.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin"), "{ics}");
    assert!(ics.contains("SUMMARY:Joint visit"), "attended: {ics}");
    assert!(
        ics.contains("BEGIN:VTODO") && ics.contains("SUMMARY:Send the quote"),
        "{ics}"
    );
    for absent in ["Bob alone", "Bob's task", "Undated chore", "A call, not a task"] {
        assert!(!ics.contains(absent), "{absent} is not anna's: {ics}");
    }

    // Bob's feed is his.
    let bob_url = feed_url(&bob, &[]);
    assert_ne!(bob_url, url);
    let (_, _, bob_ics) = get(&bob_url, None);
    assert!(bob_ics.contains("Bob alone") && bob_ics.contains("Joint visit") && bob_ics.contains("Bob's task"));
    assert!(!bob_ics.contains("Weekly review") && !bob_ics.contains("Send the quote"));

    // A token does not open a feed; a feed secret does not authorize sync.
    let secret = url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .trim_end_matches(".ics")
        .to_string();
    for guess in [
        format!("{}/v1/feed/{anna_token}.ics", server.url),
        format!(
            "{}/v1/feed/{}.ics",
            server.url, "opf_0123456789abcdef0123456789abcdef01234567"
        ),
        format!("{}/v1/feed/{secret}", server.url),
        format!("{}/v1/feed/{}.ics", server.url, &secret[..secret.len() - 1]),
    ] {
        let (status, ctype, body) = get(&guess, Some(&anna_token));
        assert_eq!(status, 404, "{guess}: {body}");
        assert!(
            ctype.starts_with("application/json") && !body.contains("VCALENDAR"),
            "{body}"
        );
    }
    for path in ["/v1/whoami", "/v1/pull?replica=00000000000000ab", "/v1/feed"] {
        let (status, _, body) = get(&format!("{}{path}", server.url), Some(&secret));
        assert_eq!(status, 401, "the feed secret on {path}: {body}");
    }
    let refused = agent()
        .post(&format!("{}/v1/push", server.url))
        .header("Authorization", &format!("Bearer {secret}"))
        .header("Content-Type", "application/json")
        .send(r#"{"replica":"00000000000000ab","changes":[]}"#)
        .expect("push");
    assert_eq!(refused.status().as_u16(), 401);

    // The feed follows the data: a synced change shows on the next read.
    anna.ok(&[
        "activity",
        "add",
        "--kind",
        "task",
        "--subject",
        "Later task",
        "--due",
        "2026-03-09",
    ]);
    anna.sync();
    assert!(get(&url, None).2.contains("SUMMARY:Later task"));

    // Rotate: a new URL, the old one is dead.
    let rotated = feed_url(&anna, &["--rotate"]);
    assert_ne!(rotated, url);
    assert_eq!(get(&url, None).0, 404, "the old URL after --rotate");
    assert_eq!(get(&rotated, None).0, 200);
    assert_eq!(get(&bob_url, None).0, 200, "bob's feed is untouched");

    // Revoke: no feed at all, until `sync feed` makes a new one.
    let out = anna.ok(&["sync", "feed", "--revoke"]);
    assert!(out.contains("revoked"), "{out}");
    assert_eq!(get(&rotated, None).0, 404, "the URL after --revoke");
    let again = anna.ok(&["sync", "feed", "--revoke", "--format", "json"]);
    let again: serde_json::Value = serde_json::from_str(&again).expect("json");
    assert_eq!(again["revoked"], false, "{again}");
    assert_eq!(get(&format!("{}/v1/feed", server.url), Some(&anna_token)).0, 404);
    let fresh = anna.ok(&["sync", "feed", "--format", "json"]);
    let fresh: serde_json::Value = serde_json::from_str(&fresh).expect("json");
    assert_eq!(fresh["created"], true, "{fresh}");
    let fresh_url = fresh["url"].as_str().expect("url");
    assert!(fresh_url != url && fresh_url != rotated);
    assert_eq!(get(fresh_url, None).0, 200);

    // Refused usage: both flags at once.
    let out = anna.run(&["sync", "feed", "--rotate", "--revoke"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    drop(bob_token);

    validate_with_python(&t, &get(fresh_url, None).2);
}

/// Python's `icalendar` and `vobject` read the served feed (when OUTPOST_TEST_PYTHON is set).
fn validate_with_python(t: &tempfile::TempDir, ics: &str) {
    let Ok(py) = std::env::var("OUTPOST_TEST_PYTHON") else {
        eprintln!("skipped the Python check of the feed: set OUTPOST_TEST_PYTHON");
        return;
    };
    let path = t.path().join("feed.ics");
    std::fs::write(&path, ics).expect("write");
    let script = r#"
import sys, icalendar, vobject
data = open(sys.argv[1], 'rb').read()
cal = icalendar.Calendar.from_ical(data)
for c in cal.walk():
    if c.name in ('VEVENT', 'VTODO'):
        print(c.name, c.get('SUMMARY'), c.get('RRULE').to_ical().decode() if c.get('RRULE') else '')
v = vobject.readOne(data.decode('utf-8'))
for ev in v.vevent_list:
    if hasattr(ev, 'rrule'):
        print('occurrences', [d.isoformat() for d in list(ev.getrruleset())[:3]])
"#;
    let out = std::process::Command::new(&py)
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("VEVENT Weekly review FREQ=WEEKLY"), "{stdout}");
    assert!(stdout.contains("VEVENT Joint visit"), "{stdout}");
    assert!(stdout.contains("VTODO Send the quote"), "{stdout}");
    assert!(
        stdout.contains(
            "occurrences ['2026-03-02T09:00:00+01:00', '2026-03-09T09:00:00+01:00', '2026-03-23T09:00:00+01:00']"
        ),
        "the 16th is an exception: {stdout}"
    );
}

#[test]
fn calendar_feed_on_sled() {
    the_feed_is_the_users_and_only_opens_with_its_secret(None);
}

#[test]
fn calendar_feed_on_postgres() {
    let Some(db) = PgDb::create("feed") else {
        return;
    };
    the_feed_is_the_users_and_only_opens_with_its_secret(Some(&db.url));
}
