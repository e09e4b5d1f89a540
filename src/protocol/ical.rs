//! The iCalendar (RFC 5545) writer, pure: one VCALENDAR from events and tasks, a VEVENT
//! per event (UID = record id; a moved occurrence is a VEVENT with its series' UID and
//! RECURRENCE-ID), RRULE and EXDATE kept, VALARM per reminder, times with TZID and a
//! VTIMEZONE (its transitions from the tz database) for events with a zone, UTC
//! otherwise; a VTODO per task. CRLF, folded at 75 octets, TEXT escaped. Fields
//! iCalendar has no property for travel as `X-OUTPOST-*`.
//!
//! Shared by `export event|activity --format ics` on the laptop (`app::ical`, which reads
//! the store) and the server's calendar feed (`server::feed`, which reads what it holds).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use serde_json::Value;

use super::contentline::{escape, fold_into};
use crate::model::records::{Event, reminder_minutes};
use crate::model::recur::{Exdate, Rule, Until, local_instant};
use crate::model::{Fields, Id};

const PRODID: &str = "-//outpost//outpost CRM//EN";

fn ical_local(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

fn ical_utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

fn offset_text(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.abs();
    if a % 60 == 0 {
        format!("{sign}{:02}{:02}", a / 3600, (a % 3600) / 60)
    } else {
        format!("{sign}{:02}{:02}{:02}", a / 3600, (a % 3600) / 60, a % 60)
    }
}

/// The VTIMEZONE of `tz` for the years `from..=to`: an observance at the start, then one
/// per transition the tz database has in those years.
fn vtimezone(out: &mut String, tz: Tz, from: i32, to: i32) {
    let offset_at = |t: DateTime<Utc>| {
        let o = tz.offset_from_utc_datetime(&t.naive_utc());
        (
            o.fix().local_minus_utc(),
            !o.dst_offset().is_zero(),
            o.abbreviation().map(str::to_string),
        )
    };
    fold_into(out, "BEGIN:VTIMEZONE");
    fold_into(out, &format!("TZID:{}", tz.name()));
    let Some(mut t) =
        NaiveDate::from_ymd_opt(from, 1, 1).map(|d| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)))
    else {
        fold_into(out, "END:VTIMEZONE");
        return;
    };
    let end =
        NaiveDate::from_ymd_opt(to + 1, 1, 1).map_or(t, |d| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)));
    let observance =
        |out: &mut String, at: DateTime<Utc>, before: i32, (after, dst, name): &(i32, bool, Option<String>)| {
            let kind = if *dst { "DAYLIGHT" } else { "STANDARD" };
            fold_into(out, &format!("BEGIN:{kind}"));
            let local = at.naive_utc() + Duration::seconds(i64::from(before));
            fold_into(out, &format!("DTSTART:{}", ical_local(local)));
            fold_into(out, &format!("TZOFFSETFROM:{}", offset_text(before)));
            fold_into(out, &format!("TZOFFSETTO:{}", offset_text(*after)));
            if let Some(n) = name.as_deref().filter(|n| !n.starts_with(['+', '-'])) {
                fold_into(out, &format!("TZNAME:{}", escape(n)));
            }
            fold_into(out, &format!("END:{kind}"));
        };
    let mut current = offset_at(t);
    observance(out, t, current.0, &current);
    while t < end {
        let next = t + Duration::days(1);
        let n = offset_at(next);
        if n.0 != current.0 || n.1 != current.1 {
            // The transition lies in (t, next]: find its second.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if offset_at(mid).0 == current.0 && offset_at(mid).1 == current.1 {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let after = offset_at(hi);
            observance(out, hi, current.0, &after);
            current = after;
        }
        t = next;
    }
    fold_into(out, "END:VTIMEZONE");
}

/// Writes DTSTART-like property `name` for an instant: DATE for all-day, TZID local
/// time with a zone, UTC otherwise.
fn time_prop(name: &str, at: DateTime<Utc>, tz: Option<Tz>, all_day: bool) -> String {
    match (all_day, tz) {
        (true, Some(z)) => format!("{name};VALUE=DATE:{}", at.with_timezone(&z).format("%Y%m%d")),
        (true, None) => format!("{name};VALUE=DATE:{}", at.format("%Y%m%d")),
        // The second of a doubled local time (fall back) does not read back as itself
        // from a local time: UTC says it exactly.
        (false, Some(z)) if local_instant(&z, at.with_timezone(&z).naive_local()) != at => {
            format!("{name}:{}", ical_utc(at))
        }
        (false, Some(z)) => format!(
            "{name};TZID={}:{}",
            z.name(),
            ical_local(at.with_timezone(&z).naive_local())
        ),
        (false, None) => format!("{name}:{}", ical_utc(at)),
    }
}

/// The local time of an instant in `tz` (UTC without a zone).
#[must_use]
pub fn local_of(at: DateTime<Utc>, tz: Option<Tz>) -> NaiveDateTime {
    tz.map_or(at.naive_utc(), |z| at.with_timezone(&z).naive_local())
}

/// The instant of a local time in `tz` (a missing or doubled one as RFC 5545 reads it;
/// UTC without a zone).
#[must_use]
pub fn instant_of(local: NaiveDateTime, tz: Option<Tz>) -> DateTime<Utc> {
    tz.map_or_else(|| Utc.from_utc_datetime(&local), |z| local_instant(&z, local))
}

/// The end of an all-day event as the exclusive DATE after its last day.
fn all_day_end(e: &Event, tz: Option<Tz>) -> NaiveDate {
    let start = local_of(e.start, tz).date();
    let end = local_of(e.end, tz);
    let last = if end.time() == chrono::NaiveTime::MIN {
        end.date()
    } else {
        end.date() + Duration::days(1)
    };
    last.max(start + Duration::days(1))
}

/// The RRULE as exported: a date UNTIL of a timed event becomes the end of that local
/// day in UTC (RFC 5545 wants UNTIL of the DTSTART's type).
fn export_rule(rule: &Rule, tz: Option<Tz>, all_day: bool) -> String {
    let mut r = rule.clone();
    if !all_day && let Some(Until::Date(d)) = r.until {
        let last = d.and_hms_opt(23, 59, 59).unwrap_or_default();
        r.until = Some(Until::Instant(instant_of(last, tz)));
    }
    r.to_text()
}

fn write_event(out: &mut String, id: Id, e: &Event, stamp: &str, series_uid: Option<String>) {
    let tz = e.zone();
    fold_into(out, "BEGIN:VEVENT");
    match (&series_uid, e.recurrence_id) {
        (Some(uid), Some(rid)) => {
            fold_into(out, &format!("UID:{uid}"));
            fold_into(out, &time_prop("RECURRENCE-ID", rid, tz, e.all_day));
            fold_into(out, &format!("X-OUTPOST-ID:{id}"));
        }
        _ => fold_into(out, &format!("UID:{id}")),
    }
    fold_into(out, &format!("DTSTAMP:{stamp}"));
    fold_into(out, &time_prop("DTSTART", e.start, tz, e.all_day));
    if e.all_day {
        fold_into(
            out,
            &format!("DTEND;VALUE=DATE:{}", all_day_end(e, tz).format("%Y%m%d")),
        );
    } else {
        fold_into(out, &time_prop("DTEND", e.end, tz, false));
    }
    fold_into(out, &format!("SUMMARY:{}", escape(&e.title)));
    if let Some(l) = &e.location {
        fold_into(out, &format!("LOCATION:{}", escape(l)));
    }
    if let Some(d) = &e.description {
        fold_into(out, &format!("DESCRIPTION:{}", escape(d)));
    }
    if let Some(rule) = e.rule() {
        fold_into(out, &format!("RRULE:{}", export_rule(&rule, tz, e.all_day)));
    }
    let start_time = local_of(e.start, tz).time();
    for x in e.exdate_list() {
        let line = match (x, e.all_day) {
            (Exdate::Date(d), true) => format!("EXDATE;VALUE=DATE:{}", d.format("%Y%m%d")),
            (Exdate::Date(d), false) => time_prop("EXDATE", instant_of(d.and_time(start_time), tz), tz, false),
            (Exdate::Instant(i), all_day) => time_prop("EXDATE", i, tz, all_day),
        };
        fold_into(out, &line);
    }
    for a in &e.attendees {
        match split_attendee(a) {
            (name, Some(mail)) => {
                let cn = name
                    .map(|n| format!(";CN=\"{}\"", n.replace('"', "'")))
                    .unwrap_or_default();
                fold_into(out, &format!("ATTENDEE{cn}:mailto:{mail}"));
            }
            (_, None) => fold_into(out, &format!("X-OUTPOST-ATTENDEE:{}", escape(a))),
        }
    }
    for (prop, v) in [
        ("X-OUTPOST-ACCOUNT-ID", e.account_id),
        ("X-OUTPOST-CONTACT-ID", e.contact_id),
        ("X-OUTPOST-OPPORTUNITY-ID", e.opportunity_id),
    ] {
        if let Some(v) = v {
            fold_into(out, &format!("{prop}:{v}"));
        }
    }
    if let Some(o) = &e.owner {
        fold_into(out, &format!("X-OUTPOST-OWNER:{}", escape(o)));
    }
    if let Some(u) = &e.uid {
        fold_into(out, &format!("X-OUTPOST-SOURCE-UID:{}", escape(u)));
    }
    if let (true, Some(z)) = (e.all_day, tz) {
        // DATE values carry no zone: the one the day is taken in.
        fold_into(out, &format!("X-OUTPOST-TZ:{}", z.name()));
    }
    for r in &e.reminders {
        if let Ok(m) = reminder_minutes(r) {
            fold_into(out, "BEGIN:VALARM");
            fold_into(out, "ACTION:DISPLAY");
            fold_into(out, &format!("DESCRIPTION:{}", escape(&e.title)));
            fold_into(out, &format!("TRIGGER:-PT{m}M"));
            fold_into(out, "END:VALARM");
        }
    }
    fold_into(out, "END:VEVENT");
}

/// `"Name <a@b>"` -> (Some(Name), Some(a@b)); `"a@b"` -> (None, Some(a@b)); a name alone
/// -> (Some(name), None).
#[must_use]
pub fn split_attendee(a: &str) -> (Option<&str>, Option<&str>) {
    let a = a.trim();
    if let Some((name, rest)) = a.rsplit_once('<')
        && let Some(mail) = rest.strip_suffix('>')
        && mail.contains('@')
    {
        let n = name.trim().trim_matches('"').trim();
        return ((!n.is_empty()).then_some(n), Some(mail.trim()));
    }
    if a.contains('@') && !a.contains(' ') {
        return (None, Some(a.strip_prefix("mailto:").unwrap_or(a)));
    }
    (Some(a), None)
}

/// Opens a VCALENDAR with the VTIMEZONEs of `zones` over the years `years`.
fn calendar_head(out: &mut String, zones: &BTreeMap<String, (i32, i32)>) {
    fold_into(out, "BEGIN:VCALENDAR");
    fold_into(out, "VERSION:2.0");
    fold_into(out, &format!("PRODID:{PRODID}"));
    fold_into(out, "CALSCALE:GREGORIAN");
    for (name, (lo, hi)) in zones {
        if let Ok(tz) = name.parse::<Tz>() {
            vtimezone(out, tz, *lo - 1, (*hi + 10).min(*lo + 60));
        }
    }
}

/// Writes events (each series before its moved occurrences) and tasks (activity fields,
/// as VTODO) as one VCALENDAR stamped `now`.
pub fn write_calendar(events: &[(Id, Event)], tasks: &[(Id, Fields)], now: DateTime<Utc>, out: &mut String) {
    let mut events: Vec<&(Id, Event)> = events.iter().collect();
    events.sort_by_key(|(id, e)| (e.series_id.unwrap_or(*id), e.series_id.is_some(), *id));
    let mut zones: BTreeMap<String, (i32, i32)> = BTreeMap::new();
    for (_, e) in &events {
        if let Some(z) = e.zone().filter(|_| !e.all_day) {
            let y = e.start.year();
            let entry = zones.entry(z.name().to_string()).or_insert((y, y));
            entry.0 = entry.0.min(y);
            entry.1 = entry.1.max(y);
        }
    }
    calendar_head(out, &zones);
    let stamp = ical_utc(now);
    let ids: HashMap<Id, &Event> = events.iter().map(|(i, e)| (*i, e)).collect();
    for (id, e) in &events {
        // A moved occurrence carries its series' UID: the series' foreign UID when it
        // was imported with one, else its id.
        let series_uid = e.series_id.map(|s| {
            ids.get(&s)
                .and_then(|se| se.uid.clone())
                .unwrap_or_else(|| s.to_string())
        });
        write_event(out, *id, e, &stamp, series_uid);
    }
    for (id, t) in tasks {
        write_todo(out, *id, t, &stamp);
    }
    fold_into(out, "END:VCALENDAR");
}

/// A calendar of tasks only, written as they come: what [`write_calendar`] writes for no
/// events and these tasks, for a caller that reads them one at a time (`flush` gets the
/// text so far, every few thousand tasks, and the end).
pub struct TaskCalendar {
    text: String,
    stamp: String,
}

impl TaskCalendar {
    /// The calendar's head, stamped `now`.
    #[must_use]
    pub fn new(now: DateTime<Utc>) -> Self {
        let mut text = String::new();
        calendar_head(&mut text, &BTreeMap::new());
        Self {
            text,
            stamp: ical_utc(now),
        }
    }

    /// Adds a task (an activity's fields) as a VTODO.
    pub fn push(&mut self, id: Id, task: &Fields) {
        write_todo(&mut self.text, id, task, &self.stamp);
    }

    /// The text written since the last call, once it is long enough to be worth writing.
    pub fn ready(&mut self) -> Option<String> {
        (self.text.len() >= 64 * 1024).then(|| std::mem::take(&mut self.text))
    }

    /// The rest of the text, with the calendar's end.
    #[must_use]
    pub fn finish(mut self) -> String {
        fold_into(&mut self.text, "END:VCALENDAR");
        self.text
    }
}

fn write_todo(out: &mut String, id: Id, t: &Fields, stamp: &str) {
    let text = |k: &str| t.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    fold_into(out, "BEGIN:VTODO");
    fold_into(out, &format!("UID:{id}"));
    fold_into(out, &format!("DTSTAMP:{stamp}"));
    fold_into(out, &format!("SUMMARY:{}", escape(text("subject").unwrap_or(""))));
    if let Some(b) = text("body") {
        fold_into(out, &format!("DESCRIPTION:{}", escape(b)));
    }
    if let Some(d) = text("due").and_then(|d| d.parse::<NaiveDate>().ok()) {
        fold_into(out, &format!("DUE;VALUE=DATE:{}", d.format("%Y%m%d")));
    }
    let done = t.get("done").and_then(Value::as_bool) == Some(true);
    fold_into(
        out,
        if done {
            "STATUS:COMPLETED"
        } else {
            "STATUS:NEEDS-ACTION"
        },
    );
    for (prop, k) in [
        ("X-OUTPOST-ACCOUNT-ID", "account_id"),
        ("X-OUTPOST-CONTACT-ID", "contact_id"),
        ("X-OUTPOST-OPPORTUNITY-ID", "opportunity_id"),
        ("X-OUTPOST-LEAD-ID", "lead_id"),
    ] {
        if let Some(v) = text(k) {
            fold_into(out, &format!("{prop}:{v}"));
        }
    }
    if let Some(o) = text("owner") {
        fold_into(out, &format!("X-OUTPOST-OWNER:{}", escape(o)));
    }
    fold_into(out, "END:VTODO");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_calendar_written_as_the_tasks_come_is_the_calendar_of_those_tasks() {
        let now: DateTime<Utc> = "2026-03-10T12:00:00Z".parse().expect("time");
        let tasks: Vec<(Id, Fields)> = (0..2000)
            .map(|i| {
                let mut f = Fields::new();
                f.insert("kind".into(), serde_json::json!("task"));
                f.insert(
                    "subject".into(),
                    serde_json::json!(format!("Call back, then write; number {i} — ünïcode")),
                );
                f.insert("due".into(), serde_json::json!("2026-03-12"));
                f.insert("done".into(), serde_json::json!(i % 3 == 0));
                (Id::new(), f)
            })
            .collect();
        let mut whole = String::new();
        write_calendar(&[], &tasks, now, &mut whole);
        let mut streamed = String::new();
        let mut cal = TaskCalendar::new(now);
        for (id, f) in &tasks {
            cal.push(*id, f);
            if let Some(part) = cal.ready() {
                streamed.push_str(&part);
            }
        }
        streamed.push_str(&cal.finish());
        assert_eq!(streamed, whole);
    }

    #[test]
    fn vtimezone_lists_the_real_transitions() {
        let mut out = String::new();
        vtimezone(&mut out, "Europe/Berlin".parse().expect("tz"), 2026, 2026);
        assert!(
            out.contains(
                "BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST"
            ),
            "{out}"
        );
        assert!(
            out.contains("BEGIN:STANDARD\r\nDTSTART:20261025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100"),
            "{out}"
        );
        let mut out = String::new();
        vtimezone(&mut out, "Australia/Sydney".parse().expect("tz"), 2026, 2026);
        assert!(
            out.contains("DTSTART:20260405T030000\r\nTZOFFSETFROM:+1100\r\nTZOFFSETTO:+1000"),
            "{out}"
        );
        assert!(
            out.contains("DTSTART:20261004T020000\r\nTZOFFSETFROM:+1000\r\nTZOFFSETTO:+1100"),
            "{out}"
        );
    }

    #[test]
    fn attendees_split_into_name_and_mail() {
        assert_eq!(
            split_attendee("Sara Lind <sara@example.com>"),
            (Some("Sara Lind"), Some("sara@example.com"))
        );
        assert_eq!(split_attendee("sara@example.com"), (None, Some("sara@example.com")));
        assert_eq!(split_attendee("Sara"), (Some("Sara"), None));
    }
}
