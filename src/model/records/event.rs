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
}

impl Record for Event {
    fn check(&mut self, _old: Option<&Self>, _ctx: &Context) -> Result<(), Invalid> {
        required("title", &mut self.title)?;
        crate::model::validate::instant("start", &self.start)?;
        crate::model::validate::instant("end", &self.end)?;
        for f in [&mut self.tz, &mut self.location, &mut self.description] {
            tidy(f);
        }
        if let Some(tz) = &self.tz {
            tz.parse::<chrono_tz::Tz>()
                .map_err(|_| Invalid::new("tz", format!("'{tz}' is not a time zone (e.g. Europe/Berlin)")))?;
        }
        self.attendees.retain(|a| !a.trim().is_empty());
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

    fn title(&self) -> String {
        self.title.clone()
    }
}
