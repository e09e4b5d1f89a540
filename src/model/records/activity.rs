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

    /// Every variant, in [`ActivityKind::CHOICES`] order.
    pub const ALL: [Self; 6] = [
        Self::Call,
        Self::Meeting,
        Self::Visit,
        Self::Email,
        Self::Note,
        Self::Task,
    ];

    /// The serde name ("call").
    #[must_use]
    pub fn name(self) -> &'static str {
        Self::CHOICES[self as usize]
    }
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
        out.push((Index::Touch, TouchDigest::of(self).encode()));
        out
    }

    fn title(&self) -> String {
        self.subject.clone()
    }
}

/// What the stale and activity reports read of an activity: when, what kind, done, due,
/// the deal, the owner, and the subject of an open follow-up (the overdue list names it;
/// other subjects are left out to keep the index small). Kept as the `idx_touch` index
/// value, so those reports scan a few megabytes of keys instead of every activity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TouchDigest {
    /// When it happened.
    pub at: Option<DateTime<Utc>>,
    /// Call, meeting, visit, email, note or task.
    pub kind: ActivityKind,
    /// Done.
    pub done: bool,
    /// Due date.
    pub due: Option<NaiveDate>,
    /// The deal it is about.
    pub opportunity_id: Option<Id>,
    /// Owner (login).
    pub owner: Option<String>,
    /// The subject, for an open activity with a due date only.
    pub subject: Option<String>,
}

/// Between the digest's parts: a control character, which no field may hold
/// (`validate::check_shape`), so no part can contain it.
const SEP: char = '\u{1f}';

impl TouchDigest {
    /// The digest of `a`.
    #[must_use]
    pub fn of(a: &Activity) -> Self {
        Self {
            at: a.at,
            kind: a.kind,
            done: a.done,
            due: a.due,
            opportunity_id: a.opportunity_id,
            owner: a.owner.clone().filter(|o| !o.is_empty()),
            subject: (a.due.is_some() && !a.done).then(|| a.subject.clone()),
        }
    }

    /// The index value: the parts joined by U+001F, the subject last.
    #[must_use]
    pub fn encode(&self) -> String {
        let at = self
            .at
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            .unwrap_or_default();
        let kind = self.kind.name();
        let due = self.due.map(|d| d.to_string()).unwrap_or_default();
        let deal = self.opportunity_id.map(|i| i.to_string()).unwrap_or_default();
        let done = if self.done { "1" } else { "0" };
        let owner = self.owner.as_deref().unwrap_or_default();
        let mut out = [at.as_str(), kind, done, due.as_str(), deal.as_str(), owner].join(&SEP.to_string());
        if let Some(s) = &self.subject {
            out.push(SEP);
            out.push_str(s);
        }
        out
    }

    /// Reads [`TouchDigest::encode`]'s text; `None` if it is not one.
    #[must_use]
    pub fn decode(text: &str) -> Option<Self> {
        let mut parts = text.splitn(7, SEP);
        let mut next = || parts.next();
        let at = match next()? {
            "" => None,
            t => Some(DateTime::parse_from_rfc3339(t).ok()?.with_timezone(&Utc)),
        };
        let kind = next()?;
        let kind = ActivityKind::ALL.into_iter().find(|k| k.name() == kind)?;
        let done = match next()? {
            "1" => true,
            "0" => false,
            _ => return None,
        };
        let due = match next()? {
            "" => None,
            d => Some(d.parse().ok()?),
        };
        let opportunity_id = match next()? {
            "" => None,
            i => Some(i.parse().ok()?),
        };
        let owner = Some(next()?.to_string()).filter(|o| !o.is_empty());
        let subject = next().map(str::to_string);
        Some(Self {
            at,
            kind,
            done,
            due,
            opportunity_id,
            owner,
            subject,
        })
    }
}

#[cfg(test)]
mod digest_tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn kinds_follow_the_choices() {
        for (k, name) in ActivityKind::ALL.iter().zip(ActivityKind::CHOICES) {
            assert_eq!(serde_json::to_value(k).expect("kind"), serde_json::json!(name));
            assert_eq!(k.name(), *name);
        }
    }

    #[test]
    fn an_open_follow_up_keeps_its_subject_and_others_do_not() {
        let mut a = Activity {
            kind: ActivityKind::Task,
            subject: "Send the offer".into(),
            due: "2026-03-01".parse().ok(),
            ..Activity::default()
        };
        assert_eq!(TouchDigest::of(&a).subject.as_deref(), Some("Send the offer"));
        a.done = true;
        assert_eq!(TouchDigest::of(&a).subject, None);
        assert_eq!(TouchDigest::decode("garbage"), None);
    }

    proptest! {
        #[test]
        fn a_digest_reads_back_as_written(
            secs in proptest::option::of(-2_000_000_000i64..4_000_000_000),
            nanos in 0u32..1_000_000_000,
            kind in 0usize..6,
            done: bool,
            due in proptest::option::of(-100_000i32..100_000),
            deal: Option<u128>,
            owner in "[^\\x00-\\x1f]{0,12}",
            subject in "[^\\x00-\\x1f]{0,20}",
        ) {
            let a = Activity {
                kind: ActivityKind::ALL[kind],
                subject,
                at: secs.and_then(|s| DateTime::from_timestamp(s, nanos)),
                due: due.and_then(|d| NaiveDate::from_num_days_from_ce_opt(730_000 + d)),
                done,
                opportunity_id: deal.and_then(|d| Id::from_slice(&d.to_be_bytes())),
                owner: Some(owner),
                ..Activity::default()
            };
            let d = TouchDigest::of(&a);
            prop_assert_eq!(TouchDigest::decode(&d.encode()), Some(d));
        }
    }
}
