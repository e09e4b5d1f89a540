//! iCalendar (RFC 5545): `export event|activity --format ics` and `import event FILE.ics`.
//!
//! Export reads the store and hands the records to the pure writer,
//! [`crate::protocol::ical::write_calendar`] (the server's calendar feed calls the same
//! writer on the records it holds).
//!
//! Import reads VEVENTs as common calendar programs write them (TZID as IANA name, as a
//! path ending in one, or a Windows name; floating and UTC times; DATE values; DURATION;
//! several EXDATE lines); unknown properties and components are ignored. A UID that is an
//! outpost id is that record (created with that id when missing); another UID is kept in
//! `uid`, so importing the file again updates instead of duplicating.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use super::contentline::{self, Line, unescape};
use super::{App, AppError};
use crate::model::records::{Event, reminder_text};
use crate::model::recur::{Exdate, Rule, Until, local_instant};
use crate::model::{EntityKind, Fields, Id};
use crate::protocol::ical::{TaskCalendar, instant_of, local_of, write_calendar};
use crate::store::Mutation;

/// What an import of a file did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileReport {
    /// Records created.
    pub created: usize,
    /// Records changed.
    pub updated: usize,
    /// Records already equal.
    pub unchanged: usize,
    /// Entries not imported, with why (a match in the trash, a cancelled event).
    pub skipped: Vec<String>,
    /// Bad entries (`line N: ...`); with `--partial` the rest were imported.
    pub errors: Vec<String>,
}

impl FileReport {
    /// The end of a file import: with bad entries and no `--partial`, an error listing
    /// them and nothing written; else `muts` committed in one write (none on a dry run).
    /// `entries` names what the file holds, singular and plural ("card", "cards").
    pub(super) fn finish(
        self,
        app: &App,
        path: &std::path::Path,
        entries: (&str, &str),
        muts: &[Mutation],
        partial: bool,
        dry_run: bool,
    ) -> Result<Self, AppError> {
        if !self.errors.is_empty() && !partial {
            let noun = if self.errors.len() == 1 { entries.0 } else { entries.1 };
            let mut msg = format!(
                "{}: {} bad {noun}; nothing imported (--partial imports the good ones):",
                path.display(),
                self.errors.len(),
            );
            for e in &self.errors {
                let _ = write!(msg, "\n  {e}");
            }
            return Err(AppError::Invalid(msg));
        }
        if !dry_run && !muts.is_empty() {
            app.store.commit(muts)?;
        }
        Ok(self)
    }
}

// ---------------------------------------------------------------------------------------
// Reading

/// One component read from a file.
#[derive(Debug, Default)]
struct Component {
    name: String,
    line: usize,
    props: Vec<Line>,
    children: Vec<Component>,
}

impl Component {
    fn get(&self, name: &str) -> Option<&Line> {
        self.props.iter().find(|p| p.name == name)
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Line> + 'a {
        self.props.iter().filter(move |p| p.name == name)
    }
}

/// Parses the component tree; BEGIN/END must pair up.
fn components(text: &str) -> Result<Vec<Component>, String> {
    let lines = contentline::parse(text).map_err(|e| format!("line {}: {}", e.line, e.message))?;
    let mut stack: Vec<Component> = Vec::new();
    let mut top = Vec::new();
    for l in lines {
        match l.name.as_str() {
            "BEGIN" => stack.push(Component {
                name: l.value.trim().to_ascii_uppercase(),
                line: l.number,
                ..Component::default()
            }),
            "END" => {
                let name = l.value.trim().to_ascii_uppercase();
                let Some(c) = stack.pop() else {
                    return Err(format!("line {}: END:{name} without BEGIN", l.number));
                };
                if c.name != name {
                    return Err(format!(
                        "line {}: END:{name} closes BEGIN:{} of line {}",
                        l.number, c.name, c.line
                    ));
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(c),
                    None => top.push(c),
                }
            }
            _ => match stack.last_mut() {
                Some(c) => c.props.push(l),
                None => return Err(format!("line {}: {} outside BEGIN:VCALENDAR", l.number, l.name)),
            },
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("line {}: BEGIN:{} is never ended", open.line, open.name));
    }
    Ok(top)
}

/// Common Windows zone names (Outlook, Exchange) and their IANA zones.
const WINDOWS_ZONES: &[(&str, &str)] = &[
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Romance Standard Time", "Europe/Paris"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("Central European Standard Time", "Europe/Warsaw"),
    ("GMT Standard Time", "Europe/London"),
    ("Greenwich Standard Time", "Atlantic/Reykjavik"),
    ("E. Europe Standard Time", "Europe/Chisinau"),
    ("FLE Standard Time", "Europe/Kiev"),
    ("Russian Standard Time", "Europe/Moscow"),
    ("Eastern Standard Time", "America/New_York"),
    ("Central Standard Time", "America/Chicago"),
    ("Mountain Standard Time", "America/Denver"),
    ("US Mountain Standard Time", "America/Phoenix"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("Alaskan Standard Time", "America/Anchorage"),
    ("Hawaiian Standard Time", "Pacific/Honolulu"),
    ("AUS Eastern Standard Time", "Australia/Sydney"),
    ("E. Australia Standard Time", "Australia/Brisbane"),
    ("Cen. Australia Standard Time", "Australia/Adelaide"),
    ("W. Australia Standard Time", "Australia/Perth"),
    ("New Zealand Standard Time", "Pacific/Auckland"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("China Standard Time", "Asia/Shanghai"),
    ("India Standard Time", "Asia/Kolkata"),
    ("Singapore Standard Time", "Asia/Singapore"),
    ("UTC", "UTC"),
];

/// A TZID as an IANA zone: the name itself, a path ending in one
/// (`/mozilla.org/20050126_1/Europe/Berlin`), or a Windows name.
fn zone_of(tzid: &str) -> Option<Tz> {
    let t = tzid.trim().trim_matches('"');
    if let Ok(z) = t.parse::<Tz>() {
        return Some(z);
    }
    let parts: Vec<&str> = t.split('/').collect();
    for i in 1..parts.len() {
        if let Ok(z) = parts[i..].join("/").parse::<Tz>() {
            return Some(z);
        }
    }
    WINDOWS_ZONES
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(t))
        .and_then(|(_, z)| z.parse().ok())
}

/// A DATE or DATE-TIME value with its parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
enum When {
    Date(NaiveDate),
    At(DateTime<Utc>, Option<Tz>),
}

fn read_when(value: &str, line: &Line) -> Result<When, String> {
    let v = value.trim();
    let bad = || format!("line {}: {} '{v}' is not a date or date-time", line.number, line.name);
    let is_date =
        line.param("VALUE").is_some_and(|p| p.eq_ignore_ascii_case("DATE")) || (v.len() == 8 && !v.contains('T'));
    if is_date {
        return NaiveDate::parse_from_str(v, "%Y%m%d")
            .map(When::Date)
            .map_err(|_| bad());
    }
    if let Some(z) = v.strip_suffix('Z').or_else(|| v.strip_suffix('z')) {
        let n = NaiveDateTime::parse_from_str(z, "%Y%m%dT%H%M%S").map_err(|_| bad())?;
        return Ok(When::At(Utc.from_utc_datetime(&n), None));
    }
    let n = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M"))
        .map_err(|_| bad())?;
    match line.param("TZID") {
        Some(id) => {
            let tz = zone_of(id)
                .ok_or_else(|| format!("line {}: TZID '{id}' is not a time zone outpost knows", line.number))?;
            Ok(When::At(local_instant(&tz, n), Some(tz)))
        }
        // A floating time: the local zone of this machine.
        None => {
            let tz = super::calendar::local_zone();
            Ok(When::At(instant_of(n, tz), tz))
        }
    }
}

/// Reads an RFC 5545 DURATION (`PT1H30M`, `P1D`, `-PT15M`, `P1W`) as seconds.
fn duration_secs(text: &str) -> Option<i64> {
    let t = text.trim();
    let (sign, t) = match t.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let t = t.strip_prefix('P')?;
    let mut total = 0i64;
    let mut num = String::new();
    let mut in_time = false;
    for c in t.chars() {
        match c {
            'T' => in_time = true,
            d if d.is_ascii_digit() => num.push(d),
            u => {
                let n: i64 = num.parse().ok()?;
                num.clear();
                total += n * match (u, in_time) {
                    ('W', false) => 604_800,
                    ('D', false) => 86_400,
                    ('H', true) => 3600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
            }
        }
    }
    num.is_empty().then_some(sign * total)
}

/// A VEVENT read from a file.
#[derive(Debug)]
struct Read {
    line: usize,
    uid: Option<String>,
    recurrence_id: Option<DateTime<Utc>>,
    cancelled: bool,
    event: Event,
    /// X-OUTPOST-ID of a moved occurrence.
    own_id: Option<Id>,
    /// What the file says that the event cannot keep, for the report.
    left_out: Vec<String>,
    /// X-OUTPOST-SOURCE-UID: the UID the event had in the calendar it came from, which
    /// outpost's own export keeps beside its id.
    source_uid: Option<String>,
    /// SEQUENCE: which of two versions of one event (or occurrence) is the later.
    sequence: u32,
}

/// One version of each event and of each moved occurrence (by UID and RECURRENCE-ID):
/// of two, the one with the higher SEQUENCE (RFC 5545: an updated invitation), the
/// other reported as left out. Two of one SEQUENCE are an error: which is meant cannot
/// be told, and keeping either would drop the other silently.
fn latest_versions(reads: Vec<Read>, report: &mut FileReport) -> Vec<Read> {
    let mut kept: Vec<Read> = Vec::with_capacity(reads.len());
    let mut at: HashMap<(String, Option<DateTime<Utc>>), usize> = HashMap::new();
    for r in reads {
        let Some(uid) = r.uid.clone() else {
            kept.push(r);
            continue;
        };
        let key = (uid.clone(), r.recurrence_id);
        let Some(&i) = at.get(&key) else {
            at.insert(key, kept.len());
            kept.push(r);
            continue;
        };
        let what = if r.recurrence_id.is_some() {
            "occurrence of UID"
        } else {
            "UID"
        };
        let other = &kept[i];
        if r.sequence == other.sequence {
            report.errors.push(format!(
                "line {}: the {what} '{uid}' is also the entry at line {} (both SEQUENCE {}); two entries of one \
                 file are two records, or one has the higher SEQUENCE",
                r.line, other.line, r.sequence
            ));
            continue;
        }
        let (older, newer) = if r.sequence > other.sequence {
            (std::mem::replace(&mut kept[i], r), i)
        } else {
            (r, i)
        };
        report.skipped.push(format!(
            "line {}: an older version (SEQUENCE {}) of {what} '{uid}'; the one at line {} (SEQUENCE {}) is imported",
            older.line, older.sequence, kept[newer].line, kept[newer].sequence
        ));
    }
    kept
}

fn read_event(c: &Component) -> Result<Read, String> {
    let text = |n: &str| c.get(n).map(|l| unescape(&l.value)).filter(|s| !s.trim().is_empty());
    let start_line = c
        .get("DTSTART")
        .ok_or_else(|| format!("line {}: the VEVENT has no DTSTART", c.line))?;
    let start = read_when(&start_line.value, start_line)?;
    let mut e = Event {
        title: text("SUMMARY").unwrap_or_else(|| "(no title)".into()),
        location: text("LOCATION"),
        description: text("DESCRIPTION"),
        ..Event::default()
    };
    let tz = match start {
        When::Date(d) => {
            // A whole day in its zone (X-OUTPOST-TZ) or this machine's, as `event add
            // --all-day` stores it.
            e.all_day = true;
            let tz = c
                .get("X-OUTPOST-TZ")
                .and_then(|l| l.value.trim().parse::<Tz>().ok())
                .or_else(super::calendar::local_zone);
            e.start = instant_of(d.and_time(chrono::NaiveTime::MIN), tz);
            tz
        }
        When::At(i, tz) => {
            e.start = i;
            tz
        }
    };
    e.tz = tz.map(|z| z.name().to_string());
    let end = match c.get("DTEND") {
        Some(l) => Some(read_when(&l.value, l)?),
        None => None,
    };
    e.end = match (end, start) {
        (Some(When::Date(d)), When::Date(s)) => {
            // DTEND is the (exclusive) midnight after the last day.
            instant_of(d.max(s + Duration::days(1)).and_time(chrono::NaiveTime::MIN), tz)
        }
        (Some(When::At(i, _)), _) => i,
        (Some(When::Date(d)), When::At(..)) => instant_of(d.and_time(chrono::NaiveTime::MIN), tz),
        (None, _) => match c.get("DURATION").and_then(|l| duration_secs(&l.value)) {
            Some(s) => e.start + Duration::seconds(s),
            None if e.all_day => e.start + Duration::days(1),
            None => e.start,
        },
    };
    if e.end < e.start {
        return Err(format!(
            "line {}: '{}' ends ({}) before it starts ({}); fix DTEND or DURATION",
            c.line,
            e.title,
            e.end.format("%Y-%m-%d %H:%M UTC"),
            e.start.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    let left_out: Vec<String> = c
        .all("RDATE")
        .map(|l| {
            format!(
                "line {}: '{}' has extra dates (RDATE {}), which outpost does not keep; those occurrences are left out",
                l.number,
                e.title,
                l.value.trim()
            )
        })
        .collect();
    if let Some(l) = c.get("RRULE") {
        let mut rule = Rule::parse(&l.value, tz).map_err(|m| format!("line {}: RRULE: {m}", l.number))?;
        // The end of a local day is that day (the form `export_rule` writes a date in).
        if let Some(Until::Instant(u)) = rule.until {
            let local = local_of(u, tz);
            if local.time() == chrono::NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default() {
                rule.until = Some(Until::Date(local.date()));
            }
        }
        e.rrule = Some(rule.to_text());
    }
    let start_local = local_of(e.start, tz);
    for l in c.all("EXDATE") {
        for v in l.value.split(',') {
            match read_when(v, l)? {
                When::Date(d) => e.exdates.push(d.to_string()),
                When::At(i, z) => {
                    let local = local_of(i, z.or(tz));
                    // An EXDATE at the series' own time of day is that day.
                    let x = if local.time() == start_local.time() {
                        Exdate::Date(local.date())
                    } else {
                        Exdate::Instant(i)
                    };
                    e.exdates.push(x.to_text());
                }
            }
        }
    }
    for l in c.all("ATTENDEE") {
        let mail = l.value.trim();
        let mail = mail
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("mailto:"))
            .map_or(mail, |_| &mail[7..]);
        let name = l.param("CN").map(str::trim).filter(|n| !n.is_empty());
        let who = match (name, mail.is_empty()) {
            (Some(n), false) if n != mail => format!("{n} <{mail}>"),
            (Some(n), true) => n.to_string(),
            _ => mail.to_string(),
        };
        if !who.is_empty() {
            e.attendees.push(who);
        }
    }
    for l in c.all("X-OUTPOST-ATTENDEE") {
        e.attendees.push(unescape(&l.value));
    }
    let id_prop = |n: &str| c.get(n).and_then(|l| l.value.trim().parse::<Id>().ok());
    e.account_id = id_prop("X-OUTPOST-ACCOUNT-ID");
    e.contact_id = id_prop("X-OUTPOST-CONTACT-ID");
    e.opportunity_id = id_prop("X-OUTPOST-OPPORTUNITY-ID");
    e.owner = text("X-OUTPOST-OWNER");
    for a in c.children.iter().filter(|a| a.name == "VALARM") {
        if let Some(t) = a.get("TRIGGER")
            && !t.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE-TIME"))
            && !t.param("RELATED").is_some_and(|v| v.eq_ignore_ascii_case("END"))
            && let Some(s) = duration_secs(&t.value)
            && s <= 0
        {
            e.reminders.push(reminder_text(-s / 60));
        }
    }
    let recurrence_id = match c.get("RECURRENCE-ID") {
        Some(l) => Some(match read_when(&l.value, l)? {
            When::Date(d) => instant_of(d.and_time(chrono::NaiveTime::MIN), tz),
            When::At(i, _) => i,
        }),
        None => None,
    };
    let cancelled = c
        .get("STATUS")
        .is_some_and(|s| s.value.trim().eq_ignore_ascii_case("CANCELLED"));
    Ok(Read {
        line: c.line,
        uid: c
            .get("UID")
            .map(|l| unescape(&l.value))
            .filter(|u| !u.trim().is_empty())
            .or_else(|| text("X-OUTPOST-SOURCE-UID")),
        source_uid: text("X-OUTPOST-SOURCE-UID"),
        recurrence_id,
        cancelled,
        own_id: id_prop("X-OUTPOST-ID"),
        left_out,
        sequence: c.get("SEQUENCE").and_then(|l| l.value.trim().parse().ok()).unwrap_or(0),
        event: e,
    })
}

fn event_fields(e: &Event) -> Fields {
    let Value::Object(map) = serde_json::to_value(e).unwrap_or(Value::Null) else {
        return Fields::new();
    };
    let mut f: Fields = map.into_iter().collect();
    // Instants as the CLI writes them (whole seconds, Z).
    f.insert(
        "start".into(),
        json!(e.start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    );
    f.insert(
        "end".into(),
        json!(e.end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    );
    if let Some(r) = e.recurrence_id {
        f.insert(
            "recurrence_id".into(),
            json!(r.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
    }
    f
}

impl App {
    /// Writes every live event as one VCALENDAR (RFC 5545).
    pub fn export_events_ics(&self, out: &mut dyn std::io::Write) -> Result<usize, AppError> {
        let mut events = Vec::new();
        for item in self.store.live_fields::<Event>(EntityKind::Event) {
            events.push(item?);
        }
        let mut text = String::new();
        write_calendar(&events, &[], self.clock().now(), &mut text);
        out.write_all(text.as_bytes())
            .map_err(|e| AppError::io(std::path::Path::new("-"), e))?;
        Ok(events.len())
    }

    /// Writes every live task (activities of kind task) as VTODOs in one VCALENDAR.
    /// The tasks are written as they are read, so memory stays flat whatever their number.
    pub fn export_tasks_ics(&self, out: &mut dyn std::io::Write) -> Result<usize, AppError> {
        let mut write = |text: String| {
            out.write_all(text.as_bytes())
                .map_err(|e| AppError::io(std::path::Path::new("-"), e))
        };
        let mut calendar = TaskCalendar::new(self.clock().now());
        let mut count = 0;
        for item in self.store.live(EntityKind::Activity) {
            let (id, s) = item?;
            if s.fields.get("kind").and_then(Value::as_str) == Some("task") {
                calendar.push(id, &s.fields);
                count += 1;
                if let Some(text) = calendar.ready() {
                    write(text)?;
                }
            }
        }
        write(calendar.finish())?;
        Ok(count)
    }

    /// Imports the VEVENTs of an .ics file. Every entry is checked first; with errors
    /// nothing is written (`partial`: the good ones are, and the report lists the rest).
    pub fn import_ics(&self, path: &std::path::Path, partial: bool, dry_run: bool) -> Result<FileReport, AppError> {
        let bytes = std::fs::read(path).map_err(|e| AppError::io(path, e))?;
        let text = super::import::utf8_text(path, &bytes)?;
        let tree = components(text).map_err(|m| AppError::Invalid(format!("{}: {m}", path.display())))?;
        let mut report = FileReport::default();
        let mut reads: Vec<Read> = Vec::new();
        let mut todo = 0;
        let mut calendars = 0;
        for cal in &tree {
            if cal.name != "VCALENDAR" {
                report.errors.push(format!(
                    "line {}: BEGIN:{} where BEGIN:VCALENDAR was expected",
                    cal.line, cal.name
                ));
                continue;
            }
            calendars += 1;
            for c in &cal.children {
                match c.name.as_str() {
                    "VEVENT" => match read_event(c) {
                        Ok(mut r) => {
                            report.skipped.append(&mut r.left_out);
                            reads.push(r);
                        }
                        Err(m) => report.errors.push(m),
                    },
                    "VTODO" => todo += 1,
                    _ => {}
                }
            }
        }
        if calendars == 0 && report.errors.is_empty() {
            report.errors.push("line 1: no BEGIN:VCALENDAR in the file".into());
        }
        if todo > 0 {
            report
                .skipped
                .push(format!("{todo} VTODO (tasks are not imported from .ics)"));
        }
        // Existing events by id and by source UID, and moved occurrences by (series, at).
        let mut by_uid: HashMap<String, Id> = HashMap::new();
        let mut existing: HashMap<Id, Event> = HashMap::new();
        let mut moved: HashMap<(Id, DateTime<Utc>), Id> = HashMap::new();
        for item in self.store.live_fields::<Event>(EntityKind::Event) {
            let (id, e) = item?;
            if let Some(u) = &e.uid {
                by_uid.insert(u.clone(), id);
            }
            if let (Some(s), Some(r)) = (e.series_id, e.recurrence_id) {
                moved.insert((s, r), id);
            }
            existing.insert(id, e);
        }
        let mut reads = latest_versions(reads, &mut report);
        // Series first, so their moved occurrences find them.
        reads.sort_by_key(|r| r.recurrence_id.is_some());
        let mut muts: Vec<Mutation> = Vec::new();
        let mut planned: HashMap<Id, Event> = HashMap::new();
        let mut file_uids: HashMap<String, Id> = HashMap::new();
        for r in reads {
            let line = r.line;
            let uid = r.uid.clone();
            let outpost_id = uid.as_deref().and_then(|u| u.trim().parse::<Id>().ok());
            let target_of_uid = |u: &str| -> Option<Id> {
                file_uids
                    .get(u)
                    .copied()
                    .or_else(|| {
                        u.trim()
                            .parse::<Id>()
                            .ok()
                            .filter(|i| existing.contains_key(i) || planned.contains_key(i))
                    })
                    .or_else(|| by_uid.get(u).copied())
            };
            let mut e = r.event;
            // Links to records this store does not hold are dropped, with a note.
            for (name, kind, slot) in [
                ("account", EntityKind::Account, &mut e.account_id),
                ("contact", EntityKind::Contact, &mut e.contact_id),
                ("opportunity", EntityKind::Opportunity, &mut e.opportunity_id),
            ] {
                if let Some(id) = *slot
                    && self.store.get(kind, id)?.is_none_or(|s| s.deleted)
                {
                    report.skipped.push(format!(
                        "line {line}: the {name} link {id} names no record here; left out"
                    ));
                    *slot = None;
                }
            }
            if let Some(rid) = r.recurrence_id {
                let Some(series) = uid.as_deref().and_then(target_of_uid) else {
                    report.errors.push(format!(
                        "line {line}: an occurrence (RECURRENCE-ID) of UID '{}' whose series is neither in the file nor here",
                        uid.unwrap_or_default()
                    ));
                    continue;
                };
                if r.cancelled {
                    // A cancelled occurrence is an EXDATE of its series.
                    let mut s = planned
                        .get(&series)
                        .or_else(|| existing.get(&series))
                        .cloned()
                        .unwrap_or_default();
                    let tz = s.zone();
                    let local = local_of(rid, tz);
                    let x = if local.time() == local_of(s.start, tz).time() {
                        Exdate::Date(local.date())
                    } else {
                        Exdate::Instant(rid)
                    };
                    if !s.exdates.contains(&x.to_text()) {
                        s.exdates.push(x.to_text());
                        s.exdates.sort();
                    }
                    planned.insert(series, s);
                    continue;
                }
                e.series_id = Some(series);
                e.recurrence_id = Some(rid);
                e.uid = None;
                let id = moved
                    .get(&(series, rid))
                    .copied()
                    .or(r.own_id.filter(|i| !existing.contains_key(i)))
                    .unwrap_or_else(Id::new);
                planned.insert(id, e);
                continue;
            }
            if r.cancelled {
                report
                    .skipped
                    .push(format!("line {line}: '{}' is cancelled (STATUS:CANCELLED)", e.title));
                continue;
            }
            let id = match uid.as_deref().and_then(target_of_uid) {
                Some(id) => id,
                None => outpost_id.unwrap_or_else(Id::new),
            };
            // A foreign UID is kept, so the next import of the file finds the record.
            // Outpost's own export names the record by its id and keeps the source UID
            // beside it: both stay.
            e.uid = if outpost_id.is_some() {
                r.source_uid.clone()
            } else {
                uid.clone()
            };
            if let Some(u) = &uid {
                file_uids.insert(u.clone(), id);
            }
            if let Some(prev) = planned.get(&id) {
                // A cancelled occurrence read before its series: keep those EXDATEs.
                for x in &prev.exdates {
                    if !e.exdates.contains(x) {
                        e.exdates.push(x.clone());
                    }
                }
            }
            planned.insert(id, e);
        }
        // Check every planned record; build creates and updates.
        let mut order: Vec<(Id, Event)> = planned.into_iter().collect();
        order.sort_by_key(|(id, e)| (e.series_id.is_some(), *id));
        for (id, mut e) in order {
            if let Some(old) = existing.get(&id) {
                // Keep what the file cannot say (a time in UTC names no zone).
                if e.owner.is_none() {
                    e.owner.clone_from(&old.owner);
                }
                if e.tz.is_none() {
                    e.tz.clone_from(&old.tz);
                }
                for (new, old) in [
                    (&mut e.account_id, old.account_id),
                    (&mut e.contact_id, old.contact_id),
                    (&mut e.opportunity_id, old.opportunity_id),
                ] {
                    if new.is_none() {
                        *new = old;
                    }
                }
            }
            let mut fields = event_fields(&e);
            if let Some(old) = existing.get(&id) {
                let mut checked = e.clone();
                if let Err(inv) = crate::model::entity::Record::check(&mut checked, Some(old), self.store.context()) {
                    report
                        .errors
                        .push(format!("'{}': {}: {}", e.title, inv.field, inv.message));
                    continue;
                }
                fields = event_fields(&checked);
                let old_fields = event_fields(old);
                fields.retain(|k, v| old_fields.get(k) != Some(v));
                if fields.is_empty() {
                    report.unchanged += 1;
                } else {
                    report.updated += 1;
                    muts.push(Mutation::update(EntityKind::Event, id, fields));
                }
            } else {
                if self.store.get(EntityKind::Event, id)?.is_some_and(|s| s.deleted) {
                    report.skipped.push(format!(
                        "'{}' ({id}) is in the trash; restore it to import it again",
                        e.title
                    ));
                    continue;
                }
                if let Err(err) = self.complete_new(EntityKind::Event, &mut fields) {
                    report.errors.push(format!("'{}': {err}", e.title));
                    continue;
                }
                if let Err(inv) = EntityKind::Event.validate(&fields, None, self.store.context()) {
                    report
                        .errors
                        .push(format!("'{}': {}: {}", e.title, inv.field, inv.message));
                    continue;
                }
                let mut m = Mutation::create(EntityKind::Event, fields);
                m.id = id;
                report.created += 1;
                muts.push(m);
            }
        }
        report.finish(self, path, ("entry", "entries"), &muts, partial, dry_run)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_zones_and_attendees_are_read() {
        assert_eq!(duration_secs("PT1H30M"), Some(5400));
        assert_eq!(duration_secs("-PT15M"), Some(-900));
        assert_eq!(duration_secs("P1W"), Some(604_800));
        assert_eq!(duration_secs("P1DT2H"), Some(93_600));
        assert_eq!(duration_secs("1H"), None);
        assert_eq!(
            zone_of("/mozilla.org/20050126_1/Europe/Berlin").map(|z| z.name()),
            Some("Europe/Berlin")
        );
        assert_eq!(
            zone_of("W. Europe Standard Time").map(|z| z.name()),
            Some("Europe/Berlin")
        );
        assert_eq!(zone_of("Narnia/Cair"), None);
    }

    #[test]
    fn structure_errors_name_their_lines() {
        let e = components("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n").expect_err("bad");
        assert!(e.starts_with("line 3:"), "{e}");
        let e = components("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n").expect_err("bad");
        assert!(e.starts_with("line 2:"), "{e}");
    }
}
