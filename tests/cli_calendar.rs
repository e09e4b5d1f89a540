//! Calendar and address book through the real binary: addresses, recurring events and
//! the agenda across daylight-saving changes, iCalendar and vCard both ways (round
//! trips, files other programs write, bad files, `--partial`), checked with Python's
//! `icalendar` and `vobject` when OUTPOST_TEST_PYTHON names a Python that has them.

mod common;

use common::{Env, s};
use serde_json::Value;

fn in_zone(env: &Env, zone: &str, args: &[&str]) -> String {
    let out = env.cmd().env("TZ", zone).args(args).output().expect("run");
    assert!(
        out.status.success(),
        "outpost {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn starts(agenda: &Value) -> Vec<String> {
    agenda
        .as_array()
        .expect("array")
        .iter()
        .filter(|i| i["type"] == "event")
        .map(|i| i["start"].as_str().expect("start").to_string())
        .collect()
}

#[test]
fn addresses_store_country_codes_and_refuse_unknown_countries() {
    let env = Env::new();
    let id = env.add(&[
        "account",
        "add",
        "--name",
        "Acme",
        "--street",
        "Hauptstr. 1",
        "--postcode",
        "10115",
        "--city",
        "Berlin",
        "--region",
        "Berlin",
        "--country",
        "Germany",
        "--shipping-street",
        "1 Main St",
        "--shipping-city",
        "Springfield",
        "--shipping-region",
        "IL",
        "--shipping-postcode",
        "62701",
        "--shipping-country",
        "United States",
    ]);
    let a = env.json(&["account", "show", &id]);
    let a = if a.is_array() { a[0].clone() } else { a };
    assert_eq!(a["country"], "DE");
    assert_eq!(a["shipping_country"], "US");
    assert_eq!(a["street"], "Hauptstr. 1");
    assert_eq!(a["shipping_city"], "Springfield");
    let err = env.fails(
        &["account", "add", "--name", "Nowhere", "--shipping-country", "Narnia"],
        3,
    );
    assert!(err.contains("shipping_country") && err.contains("Narnia"), "{err}");
    let c = env.add(&[
        "contact",
        "add",
        "--first",
        "Jo",
        "--last",
        "Lee",
        "--street",
        "Rue 2",
        "--city",
        "Paris",
        "--postcode",
        "75001",
        "--country",
        "France",
    ]);
    let c = env.json(&["contact", "show", &c]);
    let c = if c.is_array() { c[0].clone() } else { c };
    assert_eq!(c["country"], "FR");
    assert_eq!(c["city"], "Paris");
}

#[test]
fn recurring_event_expands_in_the_agenda_across_the_berlin_spring_forward() {
    let env = Env::new();
    let id = in_zone(
        &env,
        "Europe/Berlin",
        &[
            "event",
            "add",
            "--title",
            "Standup",
            "--start",
            "2026-03-02 09:00",
            "--rrule",
            "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10",
            "--exdate",
            "2026-03-04",
            "--reminder",
            "15m",
            "--owner",
            "sara",
        ],
    );
    let id = id.trim().lines().last().expect("id").to_string();
    let out = in_zone(
        &env,
        "Europe/Berlin",
        &["agenda", "--from", "2026-03-01", "--days", "40", "--format", "json"],
    );
    let agenda: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        starts(&agenda),
        [
            "2026-03-02T09:00:00+01:00",
            "2026-03-09T09:00:00+01:00",
            "2026-03-11T09:00:00+01:00",
            "2026-03-16T09:00:00+01:00",
            "2026-03-18T09:00:00+01:00",
            "2026-03-23T09:00:00+01:00",
            "2026-03-25T09:00:00+01:00",
            "2026-03-30T09:00:00+02:00",
            "2026-04-01T09:00:00+02:00",
        ],
        "the EXDATE is gone, the COUNT still counts it, and the time stays 09:00 after the change"
    );
    for item in agenda.as_array().expect("array") {
        assert_eq!(item["event_id"], id.as_str());
        assert!(
            item["end"].as_str().expect("end").ends_with(":00+01:00")
                || item["end"].as_str().expect("end").ends_with(":00+02:00")
        );
    }
    // The same occurrences seen from New York carry New York's offsets.
    let ny: Value = serde_json::from_str(&in_zone(
        &env,
        "America/New_York",
        &["agenda", "--from", "2026-03-30", "--days", "1", "--format", "json"],
    ))
    .expect("json");
    assert_eq!(starts(&ny), ["2026-03-30T03:00:00-04:00"]);
    // --owner and --mine filter; a task due in the window is listed too.
    env.add(&[
        "activity",
        "add",
        "--kind",
        "task",
        "--subject",
        "Call back",
        "--due",
        "2026-03-03",
        "--owner",
        "sara",
    ]);
    let mine: Value = serde_json::from_str(&env.ok(&[
        "agenda",
        "--from",
        "2026-03-02",
        "--days",
        "2",
        "--owner",
        "sara",
        "--format",
        "json",
    ]))
    .expect("json");
    let kinds: Vec<&str> = mine
        .as_array()
        .expect("a")
        .iter()
        .map(|i| i["type"].as_str().expect("t"))
        .collect();
    assert_eq!(kinds, ["event", "task"]);
    let none: Value = serde_json::from_str(&env.ok(&[
        "agenda",
        "--from",
        "2026-03-02",
        "--days",
        "2",
        "--owner",
        "bob",
        "--format",
        "json",
    ]))
    .expect("json");
    assert_eq!(none, serde_json::json!([]));
    let err = env.fails(&["agenda", "--mine"], 3);
    assert!(err.contains("--mine"), "{err}");
    // A bad rule names the part.
    let err = env.fails(
        &[
            "event",
            "add",
            "--title",
            "x",
            "--start",
            "2026-03-02 09:00",
            "--rrule",
            "FREQ=WEEKLY;BYSETPOS=1",
        ],
        3,
    );
    assert!(err.contains("rrule") && err.contains("BYSETPOS"), "{err}");
    let err = env.fails(
        &[
            "event",
            "add",
            "--title",
            "x",
            "--start",
            "2026-03-02 09:00",
            "--exdate",
            "someday",
        ],
        3,
    );
    assert!(err.contains("someday"), "{err}");
    let err = env.fails(&["account", "list", "--format", "ics"], 2);
    assert!(err.contains("export"), "{err}");
}

#[test]
fn sydney_and_new_york_doubled_and_missing_times() {
    let env = Env::new();
    // 02:30 daily in Sydney across the April fall-back (02:30 twice: the first) and
    // the October spring-forward (02:30 missing: 03:30).
    in_zone(
        &env,
        "Australia/Sydney",
        &[
            "event",
            "add",
            "--title",
            "Night job",
            "--start",
            "2026-04-04 02:30",
            "--rrule",
            "FREQ=DAILY;COUNT=3",
        ],
    );
    let out = in_zone(
        &env,
        "Australia/Sydney",
        &["agenda", "--from", "2026-04-04", "--days", "3", "--format", "json"],
    );
    assert_eq!(
        starts(&serde_json::from_str(&out).expect("json")),
        [
            "2026-04-04T02:30:00+11:00",
            "2026-04-05T02:30:00+11:00",
            "2026-04-06T02:30:00+10:00"
        ]
    );
    in_zone(
        &env,
        "America/New_York",
        &[
            "event",
            "add",
            "--title",
            "Early",
            "--start",
            "2026-03-07 02:15",
            "--rrule",
            "FREQ=DAILY;COUNT=3",
        ],
    );
    let out = in_zone(
        &env,
        "America/New_York",
        &["agenda", "--from", "2026-03-07", "--days", "3", "--format", "json"],
    );
    let got: Vec<String> = starts(&serde_json::from_str(&out).expect("json"))
        .into_iter()
        .filter(|s| s.contains("02:15") || s.contains("03:15"))
        .collect();
    assert_eq!(
        got,
        [
            "2026-03-07T02:15:00-05:00",
            "2026-03-08T03:15:00-04:00",
            "2026-03-09T02:15:00-04:00"
        ]
    );
}

fn strip(v: &Value) -> Vec<Value> {
    let mut rows: Vec<Value> = v
        .as_array()
        .expect("array")
        .iter()
        .map(|r| {
            let mut r = r.clone();
            let o = r.as_object_mut().expect("object");
            o.remove("created_at");
            o.remove("updated_at");
            r
        })
        .collect();
    rows.sort_by_key(|r| r["id"].as_str().unwrap_or("").to_string());
    rows
}

fn seed_events(env: &Env) {
    env.add(&["account", "add", "--name", "Acme", "--country", "DE"]);
    let out = in_zone(
        env,
        "Europe/Berlin",
        &[
            "event",
            "add",
            "--title",
            "Review, weekly; team",
            "--start",
            "2026-03-02 09:00",
            "--rrule",
            "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10",
            "--exdate",
            "2026-03-04",
            "--reminder",
            "15m",
            "--reminder",
            "1d",
            "--attendee",
            "Sara Lind <sara@example.com>",
            "--attendee",
            "Bob",
            "--account",
            "Acme",
            "--location",
            "Room 1",
            "--description",
            "Line one\nline two, with a long text that is folded: Grüße aus Berlin — ünïcödé",
            "--owner",
            "sara",
        ],
    );
    in_zone(
        env,
        "Europe/Berlin",
        &[
            "event",
            "add",
            "--title",
            "Holiday",
            "--start",
            "2026-05-01",
            "--all-day",
            "true",
        ],
    );
    in_zone(
        env,
        "Europe/Berlin",
        &[
            "event",
            "add",
            "--title",
            "NY call",
            "--start",
            "2026-11-01 01:30",
            "--tz",
            "America/New_York",
            "--rrule",
            "FREQ=MONTHLY;BYDAY=1SU;UNTIL=20270301",
        ],
    );
    let _ = out;
}

#[test]
fn ics_round_trip_gives_the_same_records_and_reimport_updates_by_uid() {
    let env = Env::new();
    seed_events(&env);
    let before = env.json(&["export", "event"]);
    let file = env.path("events.ics");
    env.ok(&["export", "event", "--format", "ics", "-o", s(&file)]);
    let bytes = std::fs::read(&file).expect("ics");
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "longer than 75 octets: {line}");
        assert!(!line.contains('\n'), "bare LF in {line:?}");
    }
    assert!(text.contains("RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10\r\n"));
    assert!(text.contains("EXDATE;TZID=Europe/Berlin:20260304T090000\r\n"));
    assert!(text.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"));
    assert!(text.contains("SUMMARY:Review\\, weekly\\; team\r\n"));
    assert!(text.contains("TRIGGER:-PT15M\r\n") && text.contains("TRIGGER:-PT1440M\r\n"));
    assert!(text.contains("DTSTART;VALUE=DATE:20260501\r\nDTEND;VALUE=DATE:20260502\r\n"));
    // The same store: nothing changes.
    let out = env.ok(&["import", "event", s(&file)]);
    assert_eq!(out.trim(), "create 0, update 0, unchanged 3, skipped 0, bad 0");
    // A fresh store: the same records (the account link names no record there).
    let fresh = Env::new();
    fresh.ok(&["import", "event", s(&file), "--partial"]);
    let after = fresh.json(&["export", "event"]);
    let without_links = |v: &Value| -> Vec<Value> {
        strip(v)
            .into_iter()
            .map(|mut r| {
                let o = r.as_object_mut().expect("o");
                o.remove("account_id");
                o.remove("account_name");
                r
            })
            .collect()
    };
    assert_eq!(without_links(&after), without_links(&before));
    // Re-import after a change in the file updates by UID, never duplicates.
    std::fs::write(&file, text.replace("SUMMARY:Holiday", "SUMMARY:Public holiday")).expect("write");
    let out = fresh.ok(&["import", "event", s(&file), "--partial"]);
    assert!(out.contains("update 1"), "{out}");
    assert_eq!(fresh.json(&["event", "list"]).as_array().expect("a").len(), 3);
}

const GOOGLE_LIKE: &str = "BEGIN:VCALENDAR\r
PRODID:-//Google Inc//Google Calendar 70.9054//EN\r
VERSION:2.0\r
CALSCALE:GREGORIAN\r
METHOD:PUBLISH\r
X-WR-CALNAME:Work\r
X-WR-TIMEZONE:Europe/Berlin\r
BEGIN:VTIMEZONE\r
TZID:/mozilla.org/20050126_1/Europe/Berlin\r
X-LIC-LOCATION:Europe/Berlin\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
TZNAME:CEST\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
TZNAME:CET\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
DTSTART;TZID=/mozilla.org/20050126_1/Europe/Berlin:20260302T100000\r
DTEND;TZID=/mozilla.org/20050126_1/Europe/Berlin:20260302T110000\r
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4\r
EXDATE;TZID=/mozilla.org/20050126_1/Europe/Berlin:20260309T100000\r
DTSTAMP:20260301T120000Z\r
UID:abc123@google.com\r
ORGANIZER;CN=Sara:mailto:sara@example.com\r
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Jo Lee;X-NUM-GUESTS=0:mailto:jo@example.com\r
CREATED:20260301T110000Z\r
DESCRIPTION:Weekly sync\\nwith notes\r
LAST-MODIFIED:20260301T120000Z\r
LOCATION:Berlin office\\, room 2\r
SEQUENCE:0\r
STATUS:CONFIRMED\r
SUMMARY:Team sync\r
TRANSP:OPAQUE\r
X-GOOGLE-CONFERENCE:https://meet.example.com/x\r
BEGIN:VALARM\r
ACTION:DISPLAY\r
DESCRIPTION:Reminder\r
TRIGGER:-P0DT0H30M0S\r
END:VALARM\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;TZID=/mozilla.org/20050126_1/Europe/Berlin:20260317T140000\r
DTEND;TZID=/mozilla.org/20050126_1/Europe/Berlin:20260317T150000\r
DTSTAMP:20260301T120000Z\r
UID:abc123@google.com\r
RECURRENCE-ID;TZID=/mozilla.org/20050126_1/Europe/Berlin:20260316T100000\r
SUMMARY:Team sync (moved)\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTAMP:20260301T120000Z\r
UID:abc123@google.com\r
RECURRENCE-ID;TZID=/mozilla.org/20050126_1/Europe/Berlin:20260323T100000\r
DTSTART;TZID=/mozilla.org/20050126_1/Europe/Berlin:20260323T100000\r
STATUS:CANCELLED\r
SUMMARY:Team sync\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20260406\r
DTEND;VALUE=DATE:20260408\r
DTSTAMP:20260301T120000Z\r
UID:holiday-1@example.com\r
SUMMARY:Easter\r
END:VEVENT\r
BEGIN:VTODO\r
UID:todo-1\r
SUMMARY:Ignored task\r
END:VTODO\r
END:VCALENDAR\r
";

#[test]
fn imports_what_calendar_programs_write_with_moved_and_cancelled_occurrences() {
    let env = Env::new();
    let file = env.write("google.ics", GOOGLE_LIKE);
    // DATE values (Easter) are days in the machine's zone.
    let out = in_zone(&env, "Europe/Berlin", &["import", "event", s(&file)]);
    assert!(out.contains("create 3"), "{out}");
    let agenda: Value = serde_json::from_str(&in_zone(
        &env,
        "Europe/Berlin",
        &["agenda", "--from", "2026-03-01", "--days", "40", "--format", "json"],
    ))
    .expect("json");
    let got: Vec<(String, String)> = agenda
        .as_array()
        .expect("a")
        .iter()
        .map(|i| {
            (
                i["title"].as_str().expect("t").to_string(),
                i["start"].as_str().expect("s").to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Team sync".to_string(), "2026-03-02T10:00:00+01:00".to_string()),
            ("Team sync (moved)".to_string(), "2026-03-17T14:00:00+01:00".to_string()),
            ("Easter".to_string(), "2026-04-06T00:00:00+02:00".to_string()),
        ],
        "9 March is an EXDATE, 16 March moved to the 17th, 23 March cancelled"
    );
    let events = env.json(&["event", "list"]);
    let sync = events
        .as_array()
        .expect("a")
        .iter()
        .find(|e| e["title"] == "Team sync")
        .expect("series");
    assert_eq!(sync["tz"], "Europe/Berlin");
    assert_eq!(sync["uid"], "abc123@google.com");
    assert_eq!(sync["reminders"], serde_json::json!(["30m"]));
    assert_eq!(sync["attendees"], serde_json::json!(["Jo Lee <jo@example.com>"]));
    assert_eq!(sync["location"], "Berlin office, room 2");
    assert_eq!(sync["exdates"], serde_json::json!(["2026-03-09", "2026-03-23"]));
    // Importing the same file again changes nothing and duplicates nothing.
    let out = in_zone(&env, "Europe/Berlin", &["import", "event", s(&file)]);
    assert!(out.contains("create 0") && out.contains("unchanged 3"), "{out}");
    // The export carries the moved occurrence under the series' UID.
    let ics = env.ok(&["export", "event", "--format", "ics"]);
    assert!(
        ics.contains("UID:abc123@google.com\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260316T100000\r\n"),
        "{ics}"
    );
}

#[test]
fn malformed_files_name_lines_and_import_nothing_unless_partial() {
    let env = Env::new();
    let bad = GOOGLE_LIKE
        .replace("DTSTART;VALUE=DATE:20260406\r\n", "DTSTART;VALUE=DATE:2026-13-45\r\n")
        .replace("RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4", "RRULE:FREQ=SOMETIMES");
    let file = env.write("bad.ics", &bad);
    let err = env.fails(&["import", "event", s(&file)], 3);
    assert!(err.contains("nothing imported"), "{err}");
    assert!(err.contains("line 29: RRULE"), "{err}");
    assert!(err.contains("line 67: DTSTART"), "{err}");
    assert_eq!(env.json(&["event", "list"]), serde_json::json!([]));
    // --partial: the good ones (none of this series' occurrences: their series is bad).
    let out = env.run(&["import", "event", s(&file), "--partial"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not imported: line 29"), "{stderr}");
    assert_eq!(
        env.json(&["event", "list"]).as_array().expect("a").len(),
        0,
        "the moved occurrence has no series"
    );
    let file = env.write(
        "broken.ics",
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nthis is no content line\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    );
    let err = env.fails(&["import", "event", s(&file)], 3);
    assert!(err.contains("line 3"), "{err}");
    let file = env.write(
        "open.ics",
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20260101T100000Z\r\nEND:VCALENDAR\r\n",
    );
    let err = env.fails(&["import", "event", s(&file)], 3);
    assert!(
        err.contains("line 4") && err.contains("BEGIN:VEVENT of line 2"),
        "{err}"
    );
}

const OLD_PHONE: &str = "BEGIN:VCARD\r
VERSION:2.1\r
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;\r
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller\r
TEL;CELL;PREF:+49 170 1234567\r
TEL;WORK:+49 30 7654321\r
EMAIL;INTERNET:juergen@example.de\r
ADR;WORK;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;;Hauptstra=C3=9Fe 5;Berlin;;10115;Deutschl=\r
and\r
X-CUSTOM:whatever\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:3.0\r
FN:Ann Lee\r
N:Lee;Ann;;;\r
TITLE:Buyer\r
ORG:Acme;Purchasing\r
EMAIL;TYPE=INTERNET,WORK,pref:ann@acme.test\r
NOTE:Met at the fair\\, liked the demo\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:4.0\r
FN:Bo Berg\r
N:Berg;Bo;;;\r
TEL;VALUE=uri;TYPE=\"work,voice\":tel:+46-8-123-456\r
END:VCARD\r
";

#[test]
fn vcards_from_old_phones_import_match_and_round_trip() {
    let env = Env::new();
    let acme = env.add(&["account", "add", "--name", "Acme"]);
    // An existing contact with Ann's e-mail: the card updates her.
    let ann = env.add(&[
        "contact",
        "add",
        "--first",
        "Ann",
        "--last",
        "Lee",
        "--email",
        "ANN@acme.test",
    ]);
    let file = env.write("phone.vcf", OLD_PHONE);
    let out = env.ok(&["import", "contact", s(&file)]);
    assert_eq!(out.trim(), "create 2, update 1, unchanged 0, skipped 0, bad 0");
    let contacts = env.json(&["contact", "list"]);
    let find = |first: &str| {
        contacts
            .as_array()
            .expect("a")
            .iter()
            .find(|c| c["first_name"] == first)
            .cloned()
            .expect("contact")
    };
    let j = find("Jürgen");
    assert_eq!(j["last_name"], "Müller");
    assert_eq!(j["phones"], serde_json::json!(["+491701234567", "+49307654321"]));
    assert_eq!(j["street"], "Hauptstraße 5");
    assert_eq!(j["country"], "DE");
    let a = find("Ann");
    assert_eq!(a["id"], ann.as_str());
    assert_eq!(a["title"], "Buyer");
    assert_eq!(a["account_id"], acme.as_str());
    assert_eq!(find("Bo")["phones"], serde_json::json!(["+468123456"]));
    // Again: matched by e-mail and phone, nothing new.
    let out = env.ok(&["import", "contact", s(&file)]);
    assert_eq!(out.trim(), "create 0, update 0, unchanged 3, skipped 0, bad 0");
    // Export 4.0 and 3.0, and the round trip into a fresh store.
    for version in ["4.0", "3.0"] {
        let vcf = env.ok(&["export", "contact", "--format", "vcf", "--vcard-version", version]);
        assert!(vcf.contains(&format!("VERSION:{version}\r\n")));
        assert!(vcf.contains(&format!("UID:{ann}\r\n")));
        assert!(
            vcf.contains("ADR;TYPE=work:;;Hauptstraße 5;Berlin;;10115;DE\r\n"),
            "{vcf}"
        );
        assert!(vcf.contains("ORG:Acme\r\n"));
        let fresh = Env::new();
        fresh.add(&["account", "add", "--name", "Acme"]);
        let f = fresh.write("c.vcf", &vcf);
        let out = fresh.ok(&["import", "contact", s(&f)]);
        assert!(out.starts_with("create 3,"), "{out}");
        let cleaned = |v: &Value| -> Vec<Value> {
            strip(v)
                .into_iter()
                .map(|mut r| {
                    let o = r.as_object_mut().expect("o");
                    o.remove("account_id");
                    r
                })
                .collect()
        };
        assert_eq!(
            cleaned(&fresh.json(&["export", "contact"])),
            cleaned(&env.json(&["export", "contact"]))
        );
    }
    // Two contacts with one phone: the card is skipped and reported.
    env.add(&[
        "contact",
        "add",
        "--first",
        "Twin",
        "--last",
        "One",
        "--phone",
        "+46 8 999 999",
    ]);
    env.add(&[
        "contact",
        "add",
        "--first",
        "Twin",
        "--last",
        "Two",
        "--phone",
        "+46 8 999 999",
    ]);
    let f = env.write(
        "twin.vcf",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Twin X\r\nTEL:+46 8 999 999\r\nEND:VCARD\r\n",
    );
    let out = env.run(&["import", "contact", s(&f)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("matches 2 contacts"), "{stderr}");
    // A bad card: nothing imported, its line named; --partial imports the rest.
    let bad = format!("{OLD_PHONE}BEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL:x@y.z\r\nEND:VCARD\r\n");
    let fresh = Env::new();
    let f = fresh.write("bad.vcf", &bad);
    let err = fresh.fails(&["import", "contact", s(&f)], 3);
    assert!(err.contains("line 27") && err.contains("no name"), "{err}");
    assert_eq!(fresh.json(&["contact", "list"]), serde_json::json!([]));
    let out = fresh.ok(&["import", "contact", s(&f), "--partial"]);
    assert!(out.starts_with("create 3,") && out.contains("bad 1"), "{out}");
}

fn python() -> Option<String> {
    match std::env::var("OUTPOST_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            eprintln!("skipped: set OUTPOST_TEST_PYTHON to a Python with icalendar and vobject");
            None
        }
    }
}

fn run_python(py: &str, script: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(py)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn third_party_parsers_read_our_files_and_we_read_theirs() {
    let Some(py) = python() else { return };
    let env = Env::new();
    seed_events(&env);
    env.add(&[
        "activity",
        "add",
        "--kind",
        "task",
        "--subject",
        "Send quote, today",
        "--due",
        "2026-03-03",
    ]);
    env.add(&[
        "contact",
        "add",
        "--first",
        "Jürgen",
        "--last",
        "Müller",
        "--email",
        "j@example.de",
        "--phone",
        "+49 30 1234",
        "--street",
        "Hauptstraße 5",
        "--city",
        "Berlin",
        "--country",
        "DE",
    ]);
    let ics = env.path("e.ics");
    env.ok(&["export", "event", "--format", "ics", "-o", s(&ics)]);
    let tasks = env.path("t.ics");
    env.ok(&["export", "activity", "--format", "ics", "-o", s(&tasks)]);
    let check_ics = r#"
import sys, icalendar, vobject
for path in sys.argv[1:]:
    data = open(path, 'rb').read()
    cal = icalendar.Calendar.from_ical(data)
    for c in cal.walk():
        if c.name in ('VEVENT', 'VTODO'):
            print(c.name, c['UID'], c.get('SUMMARY'))
            if 'DTSTART' in c: print(' start', c.decoded('DTSTART').isoformat())
    v = vobject.readOne(data.decode('utf-8'))
    for ev in getattr(v, 'vevent_list', []):
        if hasattr(ev, 'rrule'):
            print(' occurrences', [d.isoformat() for d in list(ev.getrruleset())[:3]])
"#;
    let out = run_python(&py, check_ics, &[s(&ics), s(&tasks)]);
    assert!(out.contains("VEVENT") && out.contains("Review, weekly; team"), "{out}");
    assert!(out.contains(" start 2026-03-02T09:00:00+01:00"), "{out}");
    assert!(
        out.contains(
            "occurrences ['2026-03-02T09:00:00+01:00', '2026-03-09T09:00:00+01:00', '2026-03-11T09:00:00+01:00']"
        ),
        "{out}"
    );
    assert!(out.contains("VTODO") && out.contains("Send quote, today"), "{out}");
    for version in ["4.0", "3.0"] {
        let vcf = env.path(&format!("c{version}.vcf"));
        env.ok(&[
            "export",
            "contact",
            "--format",
            "vcf",
            "--vcard-version",
            version,
            "-o",
            s(&vcf),
        ]);
        let out = run_python(
            &py,
            "import sys, vobject\nfor c in vobject.readComponents(open(sys.argv[1], encoding='utf-8').read()):\n    print(c.fn.value, c.uid.value, [e.value for e in c.email_list], [t.value for t in c.tel_list], c.adr.value.street, c.adr.value.country)",
            &[s(&vcf)],
        );
        assert!(
            out.contains("Jürgen Müller") && out.contains("['j@example.de']") && out.contains("Hauptstraße 5 DE"),
            "{out}"
        );
    }
    // Files the Python packages write come in.
    let theirs_ics = env.path("theirs.ics");
    let theirs_vcf = env.path("theirs.vcf");
    run_python(
        &py,
        r#"
import sys, datetime, icalendar, vobject
from zoneinfo import ZoneInfo
cal = icalendar.Calendar()
cal.add('prodid', '-//python icalendar//EN'); cal.add('version', '2.0')
ev = icalendar.Event()
ev.add('uid', 'py-1@example.org'); ev.add('summary', 'Python meeting; with, punctuation')
ev.add('dtstart', datetime.datetime(2026, 3, 28, 2, 30, tzinfo=ZoneInfo('America/New_York')))
ev.add('dtend', datetime.datetime(2026, 3, 28, 3, 30, tzinfo=ZoneInfo('America/New_York')))
ev.add('dtstamp', datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc))
ev.add('rrule', {'freq': 'daily', 'count': 3})
ev.add('description', 'x' * 200)
cal.add_component(ev)
open(sys.argv[1], 'wb').write(cal.to_ical())
out = ''
for first, last, mail in [('Ada', 'Lovelace', 'ada@example.org'), ('Émile', 'Zola', 'emile@example.fr')]:
    c = vobject.vCard()
    c.add('n').value = vobject.vcard.Name(family=last, given=first)
    c.add('fn').value = first + ' ' + last
    e = c.add('email'); e.value = mail; e.type_param = 'INTERNET'
    a = c.add('adr'); a.value = vobject.vcard.Address(street='1 Rue', city='Paris', code='75001', country='France')
    out += c.serialize()
open(sys.argv[2], 'w', encoding='utf-8', newline='').write(out)
"#,
        &[s(&theirs_ics), s(&theirs_vcf)],
    );
    let out = env.ok(&["import", "event", s(&theirs_ics)]);
    assert!(out.starts_with("create 1,"), "{out}");
    let agenda: Value = serde_json::from_str(&in_zone(
        &env,
        "America/New_York",
        &["agenda", "--from", "2026-03-28", "--days", "3", "--format", "json"],
    ))
    .expect("json");
    let py_starts: Vec<String> = agenda
        .as_array()
        .expect("a")
        .iter()
        .filter(|i| i["title"] == "Python meeting; with, punctuation")
        .map(|i| i["start"].as_str().expect("s").to_string())
        .collect();
    assert_eq!(
        py_starts,
        [
            "2026-03-28T02:30:00-04:00",
            "2026-03-29T02:30:00-04:00",
            "2026-03-30T02:30:00-04:00"
        ]
    );
    let out = env.ok(&["import", "contact", s(&theirs_vcf)]);
    assert!(out.starts_with("create 2,"), "{out}");
    let zola = env.json(&["contact", "list", "-s", "Zola"]);
    assert_eq!(zola[0]["first_name"], "Émile");
    assert_eq!(zola[0]["country"], "FR");
}

#[test]
fn one_occurrence_is_cancelled_or_moved_and_both_survive_an_ics_round_trip() {
    let env = Env::new();
    let berlin = |args: &[&str]| in_zone(&env, "Europe/Berlin", args);
    let id = berlin(&[
        "event",
        "add",
        "--title",
        "Standup",
        "--start",
        "2026-03-02 09:00",
        "--rrule",
        "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6",
    ]);
    let id = id.trim().lines().last().expect("id").to_string();
    berlin(&["event", "cancel", &id, "--on", "2026-03-09"]);
    let moved = berlin(&["event", "move", &id, "--on", "2026-03-11", "--to", "2026-03-12 14:00"]);
    let moved = moved.trim().to_string();
    // Moving it again updates the same record.
    let again = berlin(&["event", "move", &id, "--on", "2026-03-11", "--to", "2026-03-12 15:00"]);
    assert_eq!(again.trim(), moved);
    let agenda = |env: &Env| -> Vec<(String, String)> {
        let out = in_zone(
            env,
            "Europe/Berlin",
            &["agenda", "--from", "2026-03-01", "--days", "30", "--format", "json"],
        );
        let v: Value = serde_json::from_str(&out).expect("json");
        v.as_array()
            .expect("a")
            .iter()
            .map(|i| {
                (
                    i["start"].as_str().expect("s").to_string(),
                    i["event_id"].as_str().expect("id").to_string(),
                )
            })
            .collect()
    };
    let want = vec![
        ("2026-03-02T09:00:00+01:00".to_string(), id.clone()),
        ("2026-03-04T09:00:00+01:00".to_string(), id.clone()),
        ("2026-03-12T15:00:00+01:00".to_string(), moved.clone()),
        ("2026-03-16T09:00:00+01:00".to_string(), id.clone()),
        ("2026-03-18T09:00:00+01:00".to_string(), id.clone()),
    ];
    assert_eq!(agenda(&env), want);
    let err = env.fails(&["event", "cancel", &id, "--on", "2026-03-10"], 3);
    assert!(err.contains("no occurrence on 2026-03-10"), "{err}");
    let ics = env.ok(&["export", "event", "--format", "ics"]);
    assert!(
        ics.contains(&format!(
            "UID:{id}\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260311T090000\r\nX-OUTPOST-ID:{moved}\r\n"
        )),
        "{ics}"
    );
    assert!(ics.contains("EXDATE;TZID=Europe/Berlin:20260309T090000\r\n"), "{ics}");
    let fresh = Env::new();
    let f = fresh.write("s.ics", &ics);
    in_zone(&fresh, "Europe/Berlin", &["import", "event", s(&f)]);
    assert_eq!(agenda(&fresh), want, "the same ids and times after the round trip");
    let out = in_zone(&fresh, "Europe/Berlin", &["import", "event", s(&f)]);
    assert_eq!(out.trim(), "create 0, update 0, unchanged 2, skipped 0, bad 0");
}

/// A card's ORG links an account whatever the script of its capitals ("Öresund" is the
/// account "Öresund"), and a .vcf or .ics file that is not UTF-8 is refused with its
/// line, nothing imported, never read with replacement characters.
#[test]
fn a_card_links_an_account_in_any_script_and_a_file_not_in_utf8_is_refused() {
    let env = Env::new();
    let account = env.add(&["account", "add", "--name", "Öresund Chemie GmbH"]);
    let card = env.write(
        "c.vcf",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Giulia Rossi\r\nN:Rossi;Giulia;;;\r\nORG:Öresund Chemie GmbH\r\n\
         EMAIL:giulia@oresund.example\r\nEND:VCARD\r\n",
    );
    let out = env.ok(&["import", "contact", s(&card)]);
    assert!(out.contains("skipped 0"), "{out}");
    assert_eq!(env.json(&["contact", "list"])[0]["account_id"], account.as_str());

    let latin1 = env.path("latin1.vcf");
    std::fs::write(
        &latin1,
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=ISO-8859-1:M\xfcller;J\xfcrgen;;;\r\nEND:VCARD\r\n",
    )
    .expect("write");
    let err = env.fails(&["import", "contact", s(&latin1)], 3);
    assert!(err.contains("line 3") && err.contains("not UTF-8"), "{err}");
    let ics = env.path("latin1.ics");
    std::fs::write(
        &ics,
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x1\r\nDTSTART:20270105T100000Z\r\n\
          SUMMARY:Besprechung M\xfcnchen\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .expect("write");
    let err = env.fails(&["import", "event", s(&ics)], 3);
    assert!(err.contains("line 6") && err.contains("not UTF-8"), "{err}");
    assert_eq!(env.json(&["contact", "list"]).as_array().map(Vec::len), Some(1));
    assert_eq!(env.json(&["event", "list"]), serde_json::json!([]));
}

/// An .ics file's events come in as the file says, or the file is refused, never
/// reinterpreted: an event in UTC imports once and is unchanged after (its zone is not
/// wiped), two events with one UID are an error, an event ending before it starts is an
/// error (not made zero-length), and extra dates (RDATE) it cannot keep are reported.
#[test]
fn ics_imports_are_idempotent_and_refuse_what_they_would_reinterpret() {
    let env = Env::new();
    let event = |uid: &str, title: &str, start: &str, end: &str, extra: &str| {
        format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:{title}\r\n{extra}END:VEVENT\r\n"
        )
    };
    let cal = |events: &[String]| format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{}END:VCALENDAR\r\n", events.concat());
    let utc = env.write(
        "utc.ics",
        &cal(&[event("u1@x", "Review", "20270105T100000Z", "20270105T110000Z", "")]),
    );
    assert!(env.ok(&["import", "event", s(&utc)]).starts_with("create 1,"));
    let before = env.json(&["event", "list"]);
    let again = env.ok(&["import", "event", s(&utc)]);
    assert!(again.starts_with("create 0, update 0, unchanged 1"), "{again}");
    assert_eq!(env.json(&["event", "list"]), before);
    // Outpost's own export of it re-imports unchanged and keeps the source UID, so the
    // source file still finds its event after.
    let exported = env.write("ours.ics", &env.ok(&["export", "event", "--format", "ics"]));
    let ours = env.ok(&["import", "event", s(&exported)]);
    assert!(ours.starts_with("create 0, update 0, unchanged 1"), "{ours}");
    let source = env.ok(&["import", "event", s(&utc)]);
    assert!(source.starts_with("create 0, update 0, unchanged 1"), "{source}");

    let twice = env.write(
        "twice.ics",
        &cal(&[
            event("dup@x", "First", "20270106T100000Z", "20270106T110000Z", ""),
            event("dup@x", "Second", "20270107T100000Z", "20270107T110000Z", ""),
        ]),
    );
    let err = env.fails(&["import", "event", s(&twice)], 3);
    assert!(err.contains("the UID 'dup@x' is also the entry at line"), "{err}");
    // An updated invitation: the higher SEQUENCE is the event, the older one reported.
    let updated = env.write(
        "updated.ics",
        &cal(&[
            event(
                "inv@x",
                "Old time",
                "20270106T100000Z",
                "20270106T110000Z",
                "SEQUENCE:1\r\n",
            ),
            event(
                "inv@x",
                "New time",
                "20270106T140000Z",
                "20270106T150000Z",
                "SEQUENCE:2\r\n",
            ),
        ]),
    );
    let out = env.run(&["import", "event", s(&updated)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(said.contains("an older version (SEQUENCE 1) of UID 'inv@x'"), "{said}");
    let titles: Vec<Value> = env
        .json(&["event", "list"])
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["title"].clone())
        .collect();
    assert!(
        titles.contains(&Value::from("New time")) && !titles.contains(&Value::from("Old time")),
        "{titles:?}"
    );
    env.ok(&["event", "rm", "New time"]);
    // Two versions of one moved occurrence, of one SEQUENCE: an error too.
    let series = "RRULE:FREQ=WEEKLY;COUNT=4\r\n";
    let moved = "RECURRENCE-ID:20270118T100000Z\r\n";
    let occurrences = env.write(
        "occ.ics",
        &cal(&[
            event("w@x", "Weekly", "20270111T100000Z", "20270111T110000Z", series),
            event("w@x", "Moved", "20270118T120000Z", "20270118T130000Z", moved),
            event("w@x", "Moved again", "20270118T140000Z", "20270118T150000Z", moved),
        ]),
    );
    let err = env.fails(&["import", "event", s(&occurrences)], 3);
    assert!(
        err.contains("the occurrence of UID 'w@x' is also the entry at line"),
        "{err}"
    );
    let backwards = env.write(
        "back.ics",
        &cal(&[event("b@x", "Backwards", "20270108T100000Z", "20270108T090000Z", "")]),
    );
    let err = env.fails(&["import", "event", s(&backwards)], 3);
    assert!(
        err.contains("'Backwards' ends") && err.contains("before it starts"),
        "{err}"
    );
    assert_eq!(env.json(&["event", "list"]), before, "nothing of the refused files");

    let rdate = env.write(
        "rdate.ics",
        &cal(&[event(
            "r@x",
            "Extra",
            "20270109T100000Z",
            "20270109T110000Z",
            "RDATE:20270110T100000Z\r\n",
        )]),
    );
    let out = env.run(&["import", "event", s(&rdate)]);
    assert!(out.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("RDATE 20270110T100000Z") && said.contains("left out"),
        "{said}"
    );
}

/// Two cards of one file with one e-mail are the same contact twice: an error, nothing
/// imported (as two CSV rows are); two cards that give their ids are those records.
#[test]
fn two_cards_with_one_email_are_refused_unless_they_give_ids() {
    let env = Env::new();
    let card = |uid: &str, first: &str| {
        format!(
            "BEGIN:VCARD\r\nVERSION:3.0\r\n{uid}FN:{first} Lee\r\nN:Lee;{first};;;\r\nEMAIL:lee@x.example\r\nEND:VCARD\r\n"
        )
    };
    let twice = env.write("twice.vcf", &format!("{}{}", card("", "Ann"), card("", "Anne")));
    let err = env.fails(&["import", "contact", s(&twice)], 3);
    assert!(err.contains("has the e-mail of the card of line 1"), "{err}");
    assert_eq!(env.json(&["contact", "list"]), serde_json::json!([]));
    let ids = env.write(
        "ids.vcf",
        &format!(
            "{}{}",
            card("UID:urn:uuid:0192f1a0-0000-7000-8000-000000000001\r\n", "Ann"),
            card("UID:urn:uuid:0192f1a0-0000-7000-8000-000000000002\r\n", "Anne")
        ),
    );
    let out = env.ok(&["import", "contact", s(&ids)]);
    assert!(out.starts_with("create 2,"), "{out}");
}
