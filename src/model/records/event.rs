use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{required, tidy};
use crate::model::Id;
use crate::model::entity::{Context, EntityKind, Link, Record, link};
use crate::model::validate::Invalid;

/// A calendar event.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Event {
    /// Title.
    pub title: String,
    /// Start, in UTC.
    pub start: DateTime<Utc>,
    /// End, in UTC (at or after the start).
    pub end: DateTime<Utc>,
    /// Whether it takes whole days.
    pub all_day: bool,
    /// The IANA time zone it was entered in, for display.
    pub tz: Option<String>,
    /// Where.
    pub location: Option<String>,
    /// Who (names or e-mail addresses).
    pub attendees: Vec<String>,
    /// Related account.
    pub account_id: Option<Id>,
    /// Related contact.
    pub contact_id: Option<Id>,
    /// Related opportunity.
    pub opportunity_id: Option<Id>,
    /// Longer text.
    pub description: Option<String>,
    /// Owning user.
    pub owner: Option<String>,
    /// Recurrence rule (RFC 5545 RRULE subset, `model::recur`), stored canonical; the
    /// event is stored once and expanded when read.
    pub rrule: Option<String>,
    /// Exception dates of the rule: `YYYY-MM-DD` (that local day) or an RFC 3339 UTC
    /// time (that occurrence).
    pub exdates: Vec<String>,
    /// Reminders before the start: `15m`, `2h`, `1d`, `1w`.
    pub reminders: Vec<String>,
    /// For a moved occurrence of a series: the series event.
    pub series_id: Option<Id>,
    /// For a moved occurrence: the start it replaces (the RFC 5545 RECURRENCE-ID).
    pub recurrence_id: Option<DateTime<Utc>>,
    /// The UID the event had in the calendar file it was imported from (when that was
    /// not an outpost id), so a re-import updates it.
    pub uid: Option<String>,
}

/// Reads a reminder (`15m`, `2h`, `1d`, `1w`, or bare minutes) as minutes before.
pub fn reminder_minutes(text: &str) -> Result<i64, String> {
    let t = text.trim().to_ascii_lowercase();
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t.as_str(), "m"),
    };
    let mult = match unit.trim() {
        "m" | "min" | "mins" | "minute" | "minutes" => 1,
        "h" | "hour" | "hours" => 60,
        "d" | "day" | "days" => 1440,
        "w" | "week" | "weeks" => 10080,
        _ => return Err(format!("'{text}' is not a reminder (e.g. 15m, 2h, 1d, 1w)")),
    };
    num.parse::<i64>()
        .ok()
        .filter(|n| *n <= 60 * 24 * 366)
        .map(|n| n * mult)
        .filter(|n| *n <= 60 * 24 * 366)
        .ok_or_else(|| format!("'{text}' is not a reminder (e.g. 15m, 2h, 1d, 1w; at most a year)"))
}

/// Minutes as the shortest reminder text (`90m`, `2h`, `1d`, `1w`).
#[must_use]
pub fn reminder_text(minutes: i64) -> String {
    if minutes > 0 && minutes % 10080 == 0 {
        format!("{}w", minutes / 10080)
    } else if minutes > 0 && minutes % 1440 == 0 {
        format!("{}d", minutes / 1440)
    } else if minutes > 0 && minutes % 60 == 0 {
        format!("{}h", minutes / 60)
    } else {
        format!("{minutes}m")
    }
}

impl Event {
    /// The zone the event was entered in (UTC when none or unknown).
    #[must_use]
    pub fn zone(&self) -> Option<chrono_tz::Tz> {
        self.tz.as_deref().and_then(|t| t.parse().ok())
    }

    /// The parsed rule, if any (a stored rule always parses: `check` refused others).
    #[must_use]
    pub fn rule(&self) -> Option<crate::model::recur::Rule> {
        self.rrule
            .as_deref()
            .and_then(|r| crate::model::recur::Rule::parse(r, self.zone()).ok())
    }

    /// The parsed exception dates (unreadable ones are skipped).
    #[must_use]
    pub fn exdate_list(&self) -> Vec<crate::model::recur::Exdate> {
        self.exdates
            .iter()
            .filter_map(|e| crate::model::recur::Exdate::parse(e).ok())
            .collect()
    }
}

impl Record for Event {
    fn check(&mut self, _old: Option<&Self>, _ctx: &Context) -> Result<(), Invalid> {
        required("title", &mut self.title)?;
        crate::model::validate::instant("start", &self.start)?;
        crate::model::validate::instant("end", &self.end)?;
        for f in [
            &mut self.tz,
            &mut self.location,
            &mut self.description,
            &mut self.owner,
            &mut self.rrule,
            &mut self.uid,
        ] {
            tidy(f);
        }
        if let Some(tz) = &self.tz {
            tz.parse::<chrono_tz::Tz>()
                .map_err(|_| Invalid::new("tz", format!("'{tz}' is not a time zone (e.g. Europe/Berlin)")))?;
        }
        self.attendees.retain(|a| !a.trim().is_empty());
        if let Some(r) = &self.rrule {
            let rule = crate::model::recur::Rule::parse(r, self.zone()).map_err(|m| Invalid::new("rrule", m))?;
            self.rrule = Some(rule.to_text());
        }
        self.exdates.retain(|e| !e.trim().is_empty());
        for e in &mut self.exdates {
            *e = crate::model::recur::Exdate::parse(e)
                .map_err(|m| Invalid::new("exdates", m))?
                .to_text();
        }
        self.exdates.sort();
        self.exdates.dedup();
        self.reminders.retain(|e| !e.trim().is_empty());
        for r in &mut self.reminders {
            *r = reminder_text(reminder_minutes(r).map_err(|m| Invalid::new("reminders", m))?);
        }
        if self.rrule.is_some() && self.series_id.is_some() {
            return Err(Invalid::new(
                "rrule",
                "a moved occurrence of a series cannot have a rule of its own",
            ));
        }
        if self.end < self.start {
            return Err(Invalid::new(
                "end",
                format!("the event ends ({}) before it starts ({})", self.end, self.start),
            ));
        }
        Ok(())
    }

    fn links(&self) -> Vec<Link> {
        let mut out = Vec::new();
        link(&mut out, "account_id", EntityKind::Account, self.account_id);
        link(&mut out, "contact_id", EntityKind::Contact, self.contact_id);
        link(&mut out, "opportunity_id", EntityKind::Opportunity, self.opportunity_id);
        out
    }

    fn indexes(&self) -> Vec<(crate::model::entity::Index, String)> {
        self.owner
            .iter()
            .map(|o| (crate::model::entity::Index::Owner, o.clone()))
            .collect()
    }

    fn title(&self) -> String {
        self.title.clone()
    }
}
