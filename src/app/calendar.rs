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
