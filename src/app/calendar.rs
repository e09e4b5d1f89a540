//! The agenda: event occurrences (recurring events expanded, `model::recur`) and open
//! tasks due in a window, optionally only one owner's. `outpost agenda` prints it; the
//! TUI calendar and the dashboard read the same expansion (`App::agenda`).

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};

use super::dashboard::Agenda;
use super::{App, AppError};
use crate::model::entity::Index;
use crate::model::records::fields;
use crate::model::{EntityKind, Id};

/// One occurrence of a recurring event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// Its start.
    pub start: DateTime<Utc>,
    /// Its end.
    pub end: DateTime<Utc>,
    /// The event's zone (UTC when none).
    pub tz: Option<chrono_tz::Tz>,
}

/// One line of the agenda.
#[derive(Clone, Debug, PartialEq)]
pub enum AgendaItem {
    /// An occurrence of an event.
    Event(Agenda),
    /// An open task due on a day of the window.
    Task {
        /// The activity's id.
        id: Id,
        /// Subject.
        subject: String,
        /// Due date.
        due: NaiveDate,
        /// Owner's login.
        owner: Option<String>,
        /// What it is about ("" when nothing).
        about: String,
    },
}

impl AgendaItem {
    /// The instant the item sorts by (a task: the start of its due day in `zone`).
    pub fn sort_key<Z: TimeZone>(&self, zone: &Z) -> DateTime<Utc> {
        match self {
            AgendaItem::Event(a) => a.start,
            AgendaItem::Task { due, .. } => {
                crate::model::recur::local_instant(zone, due.and_time(chrono::NaiveTime::MIN))
            }
        }
    }

    /// The item as the JSON object `outpost agenda --format json` prints: `type`
    /// (`event` or `task`), `id`; events `event_id`, `title`, `start` and `end` (ISO 8601
    /// with the offset of `zone`), `all_day`, `location`, `account_name`, `owner`,
    /// `recurring`; tasks `activity_id`, `title`, `due`, `owner`, `about`.
    pub fn to_json<Z: TimeZone>(&self, zone: &Z) -> Value
    where
        Z::Offset: std::fmt::Display,
    {
        match self {
            AgendaItem::Event(a) => json!({
                "type": "event",
                "id": a.id.to_string(),
                "event_id": a.id.to_string(),
                "title": a.title,
                "start": a.start.with_timezone(zone).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
                "end": a.end.with_timezone(zone).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
                "all_day": a.all_day,
                "location": a.location,
                "account_name": a.account,
                "owner": a.owner,
                "recurring": a.recurring,
            }),
            AgendaItem::Task {
                id,
                subject,
                due,
                owner,
                about,
            } => json!({
                "type": "task",
                "id": id.to_string(),
                "activity_id": id.to_string(),
                "title": subject,
                "due": due.to_string(),
                "owner": owner,
                "about": about,
            }),
        }
    }
}

/// The machine's IANA zone: `TZ` when it names one, else the system's setting.
#[must_use]
pub fn local_zone() -> Option<chrono_tz::Tz> {
    std::env::var("TZ")
        .ok()
        .and_then(|t| t.trim_start_matches(':').parse().ok())
        .or_else(|| iana_time_zone::get_timezone().ok().and_then(|t| t.parse().ok()))
}

impl App {
    /// A new event's defaults: the machine's zone when none is given (times without a
    /// zone were read in it), and an attendee that names a contact (id, id prefix or
    /// name, not an e-mail address) becomes "First Last <e-mail>".
    pub(crate) fn complete_new_event(&self, fields: &mut crate::model::Fields) -> Result<(), AppError> {
        if fields.get(fields::event::TZ).is_none_or(Value::is_null)
            && let Some(z) = local_zone()
        {
            fields.insert(fields::event::TZ.into(), json!(z.name()));
        }
        self.attendees_from_contacts(fields)
    }

    /// Replaces attendees that name a contact with "First Last <e-mail>".
    pub(crate) fn attendees_from_contacts(&self, fields: &mut crate::model::Fields) -> Result<(), AppError> {
        let Some(Value::Array(list)) = fields.get(fields::event::ATTENDEES) else {
            return Ok(());
        };
        let mut out = Vec::new();
        for a in list.clone() {
            let Some(text) = a.as_str() else { continue };
            if text.contains('@') {
                out.push(a);
                continue;
            }
            match self.resolve(EntityKind::Contact, text) {
                Ok(id) => {
                    let s = self.store.get(EntityKind::Contact, id)?;
                    let f = s.map(|s| s.fields).unwrap_or_default();
                    let name = super::kinds::title_of(EntityKind::Contact, &f);
                    let mail = f
                        .get(fields::contact::EMAILS)
                        .and_then(Value::as_array)
                        .and_then(|l| l.first())
                        .and_then(Value::as_str);
                    out.push(json!(match mail {
                        Some(m) => format!("{name} <{m}>"),
                        None => name,
                    }));
                }
                Err(AppError::Ambiguous(m)) => return Err(AppError::Invalid(format!("--attendee: {m}"))),
                Err(_) => out.push(a),
            }
        }
        fields.insert(fields::event::ATTENDEES.into(), Value::Array(out));
        Ok(())
    }

    /// The series event `id` and the start of its occurrence on the local day `on`.
    fn occurrence_on(&self, id: Id, on: &str) -> Result<(crate::model::records::Event, DateTime<Utc>), AppError> {
        use crate::model::recur::Series;
        let day = NaiveDate::parse_from_str(on.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::Invalid(format!("--on: '{on}' is not a date (YYYY-MM-DD)")))?;
        let stored = self
            .store
            .get(EntityKind::Event, id)?
            .filter(|s| !s.deleted)
            .ok_or_else(|| AppError::NotFound(format!("no event {id}")))?;
        let e: crate::model::records::Event =
            serde_json::from_value(Value::Object(stored.fields.into_iter().collect()))
                .map_err(|err| AppError::Invalid(format!("event {id} cannot be read: {err}")))?;
        let Some(rule) = e.rule() else {
            return Err(AppError::Invalid(format!(
                "'{}' does not repeat; edit it with `event edit`",
                e.title
            )));
        };
        let tz = e.zone();
        let local = |d: NaiveDate| match tz {
            Some(z) => crate::model::recur::local_instant(&z, d.and_time(chrono::NaiveTime::MIN)),
            None => Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)),
        };
        let exdates = e.exdate_list();
        let series = Series {
            start: e.start,
            tz,
            rule: Some(&rule),
            exdates: &exdates,
        };
        let from = local(day);
        let to = local(day + chrono::Duration::days(1));
        let start = series
            .starts(chrono::Duration::zero(), from, to)
            .into_iter()
            .find(|s| *s >= from)
            .ok_or_else(|| AppError::Invalid(format!("'{}' has no occurrence on {day}", e.title)))?;
        Ok((e, start))
    }

    /// The start and end of the occurrence of recurring event `id` on the local day `on`
    /// (in the event's zone), and that zone: what a "this occurrence" form shows.
    pub fn occurrence(&self, id: Id, on: &str) -> Result<Occurrence, AppError> {
        let (e, start) = self.occurrence_on(id, on)?;
        Ok(Occurrence {
            start,
            end: start + (e.end - e.start),
            tz: e.zone(),
        })
    }

    /// The local day (in the event's zone) of the first occurrence of recurring event `id`
    /// on or after `from`, within ten years; `None` for an event that does not repeat or
    /// has no occurrence left.
    pub fn next_occurrence_day(&self, id: Id, from: NaiveDate) -> Result<Option<NaiveDate>, AppError> {
        use crate::model::recur::Series;
        let Some(stored) = self.store.get(EntityKind::Event, id)?.filter(|s| !s.deleted) else {
            return Ok(None);
        };
        let Ok(e) = serde_json::from_value::<crate::model::records::Event>(Value::Object(stored.fields)) else {
            return Ok(None);
        };
        let Some(rule) = e.rule() else { return Ok(None) };
        let tz = e.zone();
        let exdates = e.exdate_list();
        let series = Series {
            start: e.start,
            tz,
            rule: Some(&rule),
            exdates: &exdates,
        };
        let at = |d: NaiveDate| crate::protocol::ical::instant_of(d.and_time(chrono::NaiveTime::MIN), tz);
        let starts = series.starts(
            chrono::Duration::zero(),
            at(from),
            at(from + chrono::Duration::days(3653)),
        );
        Ok(starts
            .into_iter()
            .find(|s| *s >= at(from))
            .map(|s| crate::protocol::ical::local_of(s, tz).date()))
    }

    /// Cancels the occurrence of recurring event `id` on the local day `on` (an EXDATE).
    pub fn cancel_occurrence(&self, id: Id, on: &str) -> Result<NaiveDate, AppError> {
        let (e, _) = self.occurrence_on(id, on)?;
        let day = NaiveDate::parse_from_str(on.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::Invalid(format!("--on: '{on}' is not a date")))?;
        let mut exdates = e.exdates.clone();
        exdates.push(day.to_string());
        let mut f = crate::model::Fields::new();
        f.insert(fields::event::EXDATES.into(), json!(exdates));
        self.store
            .commit(&[crate::store::Mutation::update(EntityKind::Event, id, f)])?;
        Ok(day)
    }

    /// Moves the occurrence of recurring event `id` on the local day `on` to `to` (in
    /// the event's zone): an event of its own with `series_id` and `recurrence_id`,
    /// updated when that occurrence was moved before. Returns its id.
    pub fn move_occurrence(&self, id: Id, on: &str, to: &str, end: Option<&str>) -> Result<Id, AppError> {
        let (e, original) = self.occurrence_on(id, on)?;
        let now = self.clock().now();
        let tz = e.zone();
        let start = super::input::parse_datetime(to, tz, now).map_err(|m| AppError::Invalid(format!("--to: {m}")))?;
        let end = match end {
            Some(t) => {
                super::input::parse_datetime(t, tz, now).map_err(|m| AppError::Invalid(format!("--end: {m}")))?
            }
            None => start + (e.end - e.start),
        };
        let mut f = crate::model::Fields::new();
        f.insert(
            fields::event::START.into(),
            json!(start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
        f.insert(
            fields::event::END.into(),
            json!(end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
        let existing = self
            .store
            .live_fields::<crate::model::records::Event>(EntityKind::Event)
            .filter_map(Result::ok)
            .find(|(_, m)| m.series_id == Some(id) && m.recurrence_id == Some(original))
            .map(|(mid, _)| mid);
        if let Some(mid) = existing {
            self.store
                .commit(&[crate::store::Mutation::update(EntityKind::Event, mid, f)])?;
            return Ok(mid);
        }
        let copy = crate::model::records::Event {
            rrule: None,
            exdates: Vec::new(),
            uid: None,
            series_id: Some(id),
            recurrence_id: Some(original),
            start,
            end,
            ..e
        };
        let Value::Object(map) = serde_json::to_value(&copy).unwrap_or(Value::Null) else {
            return Err(AppError::Invalid("the occurrence cannot be written".into()));
        };
        let mut all: crate::model::Fields = map.into_iter().collect();
        all.extend(f);
        all.insert(
            fields::event::RECURRENCE_ID.into(),
            json!(original.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
        let m = crate::store::Mutation::create(EntityKind::Event, all);
        let new = m.id;
        self.store.commit(&[m])?;
        Ok(new)
    }

    /// The login `--mine` means: the logged-in user, else `owner` in config.toml.
    pub fn me(&self) -> Result<String, AppError> {
        self.config.owner.clone().ok_or_else(|| {
            AppError::Invalid(
                "--mine needs a user: log in with `outpost sync login`, set `owner` in config.toml, or give --owner"
                    .into(),
            )
        })
    }

    /// Event occurrences overlapping `[from, to)` and open tasks due on the local days
    /// `first..=last`, of `owner` only when given, in time order (a day's tasks first).
    pub fn agenda_items<Z: TimeZone>(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        days: (NaiveDate, NaiveDate),
        owner: Option<&str>,
        zone: &Z,
    ) -> Result<Vec<AgendaItem>, AppError> {
        let mut out: Vec<AgendaItem> = self
            .agenda(from, to)?
            .into_iter()
            .filter(|a| owner.is_none() || a.owner.as_deref() == owner)
            .map(AgendaItem::Event)
            .collect();
        let (first, last) = days;
        let (lo, hi) = (first.to_string(), last.to_string());
        for (due, id) in self.store.index_entries(Index::Due, EntityKind::Activity)? {
            if due < lo || due > hi {
                continue;
            }
            let Ok(d) = due.parse::<NaiveDate>() else { continue };
            let Some(s) = self.store.get(EntityKind::Activity, id)?.filter(|s| !s.deleted) else {
                continue;
            };
            let is_open_task = s.fields.get(fields::activity::KIND).and_then(Value::as_str) == Some("task")
                && s.fields.get(fields::activity::DONE).and_then(Value::as_bool) != Some(true);
            let task_owner = s.fields.get(fields::shared::OWNER).and_then(Value::as_str);
            if !is_open_task || (owner.is_some() && task_owner != owner) {
                continue;
            }
            let about = super::kinds::ABOUT
                .iter()
                .find_map(|(f, k)| {
                    s.fields
                        .get(*f)
                        .and_then(Value::as_str)
                        .and_then(|r| r.parse::<Id>().ok())
                        .map(|r| super::dashboard::fast_title(self, *k, r))
                })
                .unwrap_or_default();
            out.push(AgendaItem::Task {
                id,
                subject: s.text(fields::activity::SUBJECT).to_string(),
                due: d,
                owner: task_owner.map(str::to_string),
                about,
            });
        }
        out.sort_by_key(|i| (i.sort_key(zone), matches!(i, AgendaItem::Event(_))));
        Ok(out)
    }
}
