use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{required, tidy};
use crate::model::Id;
use crate::model::entity::{Context, EntityKind, Index, Link, Record, link};
use crate::model::validate::Invalid;

/// What kind of activity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// A phone call.
    Call,
    /// A meeting.
    Meeting,
    /// A visit at the customer.
    Visit,
    /// An e-mail.
    Email,
    /// A note.
    #[default]
    Note,
    /// A task with a due date.
    Task,
}

impl ActivityKind {
    /// The serde names of every variant, in order (the registry's choices).
    pub const CHOICES: &'static [&'static str] = &["call", "meeting", "visit", "email", "note", "task"];
}

/// A call, meeting, visit, e-mail, note or task.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Activity {
    /// Call, meeting, visit, email, note or task.
    pub kind: ActivityKind,
    /// One-line summary.
    pub subject: String,
    /// Longer text.
    pub body: Option<String>,
    /// Outcome of a call or visit.
    pub outcome: Option<String>,
    /// Related account.
    pub account_id: Option<Id>,
    /// Related contact.
    pub contact_id: Option<Id>,
    /// Related opportunity.
    pub opportunity_id: Option<Id>,
    /// Related lead.
    pub lead_id: Option<Id>,
    /// When it happened (or is planned).
    pub at: Option<DateTime<Utc>>,
    /// Due date (tasks).
    pub due: Option<NaiveDate>,
    /// Whether the task is done.
    pub done: bool,
    /// Owning user.
    pub owner: Option<String>,
}

impl Record for Activity {
    fn check(&mut self, _old: Option<&Self>, _ctx: &Context) -> Result<(), Invalid> {
        required("subject", &mut self.subject)?;
        if let Some(at) = &self.at {
            crate::model::validate::instant("at", at)?;
        }
        if let Some(due) = self.due {
            crate::model::validate::date("due", due)?;
        }
        for f in [&mut self.body, &mut self.outcome, &mut self.owner] {
            tidy(f);
        }
        Ok(())
    }

    fn links(&self) -> Vec<Link> {
        let mut out = Vec::new();
        link(&mut out, "account_id", EntityKind::Account, self.account_id);
        link(&mut out, "contact_id", EntityKind::Contact, self.contact_id);
        link(&mut out, "opportunity_id", EntityKind::Opportunity, self.opportunity_id);
        link(&mut out, "lead_id", EntityKind::Lead, self.lead_id);
        out
    }

    fn indexes(&self) -> Vec<(Index, String)> {
        let mut out = Vec::new();
        if let (Some(d), false) = (self.due, self.done) {
            out.push((Index::Due, d.to_string()));
        }
        if let Some(o) = &self.owner {
            out.push((Index::Owner, o.clone()));
        }
        out
    }

    fn title(&self) -> String {
        self.subject.clone()
    }
}
