use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use super::{currency, non_negative, required, tidy};
use crate::model::Id;
use crate::model::entity::{Context, EntityKind, Index, Link, Record, link};
use crate::model::money::DEFAULT_CURRENCY;
use crate::model::validate::{self, Invalid};

/// One entry of an opportunity's stage history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageChange {
    /// The stage entered.
    pub stage: String,
    /// When it was entered (the time of the write that moved the deal).
    pub at: DateTime<Utc>,
    /// The stage left (none for the first entry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Who moved the deal, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// The stage history: entries keyed by their own id (a UUIDv7), an append-only set.
/// Sync merges it by union (`model::entity::merges_by_union`), so two replicas moving
/// one deal offline both keep their entry. Stored as a JSON object `{id: entry}`; an
/// older store's array of entries is read too (each entry then gets an id made from its
/// time and stage, the same on every replica).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct StageHistory(pub BTreeMap<String, StageChange>);

impl<'de> Deserialize<'de> for StageHistory {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Entries(BTreeMap<String, StageChange>),
            Legacy(Vec<StageChange>),
        }
        Ok(match Option::<Form>::deserialize(d)? {
            None => Self::default(),
            Some(Form::Entries(map)) => Self(map),
            Some(Form::Legacy(list)) => Self(list.into_iter().map(|c| (legacy_id(&c), c)).collect()),
        })
    }
}

/// The order people and reports read a history in: by time, then by entry id.
fn by_time(a: (&str, &StageChange), b: (&str, &StageChange)) -> std::cmp::Ordering {
    a.1.at.cmp(&b.1.at).then_with(|| a.0.cmp(b.0))
}

impl StageHistory {
    /// The entries ordered by time (then id), as people and reports read them.
    #[must_use]
    pub fn ordered(&self) -> Vec<(&str, &StageChange)> {
        let mut all: Vec<(&str, &StageChange)> = self.0.iter().map(|(k, v)| (k.as_str(), v)).collect();
        all.sort_by(|a, b| by_time(*a, *b));
        all
    }

    /// The entries ordered as [`StageHistory::ordered`] orders them, without their ids
    /// (what reports keep of 37,500 deals: their ids and map were a third of it).
    #[must_use]
    pub fn into_ordered(self) -> Vec<StageChange> {
        let mut all: Vec<(String, StageChange)> = self.0.into_iter().collect();
        all.sort_by(|a, b| by_time((&a.0, &a.1), (&b.0, &b.1)));
        all.into_iter().map(|(_, c)| c).collect()
    }

    /// The last entry by time.
    #[must_use]
    pub fn last(&self) -> Option<&StageChange> {
        self.ordered().last().map(|(_, c)| *c)
    }

    /// Adds the entries of `other` this history lacks (an entry never changes).
    pub fn absorb(&mut self, other: &Self) {
        for (k, v) in &other.0 {
            self.0.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }

    /// A stored value (object, legacy array or null) as a history; unreadable is empty.
    #[must_use]
    pub fn from_value(v: &serde_json::Value) -> Self {
        Self::deserialize(v).unwrap_or_default()
    }

    /// The union of two stored values, as the stored (object) form. Where both hold an
    /// id with different entries (which a well-behaved replica never writes), the
    /// greater entry by its JSON text wins, so the result is the same in any order.
    #[must_use]
    pub fn union(a: Option<&serde_json::Value>, b: &serde_json::Value) -> serde_json::Value {
        let mut out = a.map(Self::from_value).unwrap_or_default();
        for (k, v) in Self::from_value(b).0 {
            match out.0.get(&k) {
                Some(have) if text(have) >= text(&v) => {}
                _ => {
                    out.0.insert(k, v);
                }
            }
        }
        serde_json::to_value(&out).unwrap_or_default()
    }

    /// The entries as an array ordered by time, each with its `id`: the form output
    /// (`opp show --format json`) uses.
    #[must_use]
    pub fn to_output(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.ordered()
                .into_iter()
                .map(|(id, c)| {
                    let mut v = serde_json::to_value(c).unwrap_or_default();
                    if let Some(o) = v.as_object_mut() {
                        o.insert("id".into(), id.into());
                        o.insert("at".into(), output_time(c.at).into());
                    }
                    v
                })
                .collect(),
        )
    }
}

/// A history time as output shows it: with milliseconds always, as `created_at` and
/// `updated_at` are (chrono's own form drops a zero fraction, so a move on a whole
/// second sorted as text after a later one), and with every digit a finer time has.
fn output_time(at: DateTime<Utc>) -> String {
    let form = if at.timestamp_subsec_nanos().is_multiple_of(1_000_000) {
        chrono::SecondsFormat::Millis
    } else {
        chrono::SecondsFormat::AutoSi
    };
    at.to_rfc3339_opts(form, true)
}

fn text(c: &StageChange) -> String {
    serde_json::to_string(c).unwrap_or_default()
}

/// The id of an entry written before entries had ids: a UUIDv7 at the entry's time
/// whose other bits hash the stage, so every replica migrating the same entry agrees.
fn legacy_id(c: &StageChange) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in c.stage.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let ms = u64::try_from(c.at.timestamp_millis()).unwrap_or(0).to_be_bytes();
    let hb = h.to_be_bytes();
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&ms[2..]);
    bytes[6] = 0x70 | (hb[0] & 0x0f);
    bytes[7] = hb[1];
    bytes[8] = 0x80 | (hb[2] & 0x3f);
    bytes[9..].copy_from_slice(&hb[1..]);
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// A potential sale.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Opportunity {
    /// Deal name.
    pub name: String,
    /// The account buying.
    pub account_id: Option<Id>,
    /// Expected amount.
    pub amount: Decimal,
    /// ISO 4217 currency of the amount.
    pub currency: String,
    /// Pipeline stage (configuration decides the names).
    pub stage: String,
    /// Probability of winning, percent. Follows the stage unless set explicitly.
    pub probability: u32,
    /// Expected close date.
    pub close_date: Option<NaiveDate>,
    /// Owning user.
    pub owner: Option<String>,
    /// The agreed next step.
    pub next_step: Option<String>,
    /// Every stage entered, with its time: entries with their own ids, merged by union.
    pub stage_history: StageHistory,
    /// Why the deal was lost (asked when a won deal is moved to a lost stage).
    pub loss_reason: Option<String>,
    /// Forecast category (one of [`FORECAST_CATEGORIES`]); none follows the stage
    /// (see `app::report::default_category`).
    pub forecast_category: Option<String>,
}

/// The forecast categories as stored, in order of confidence.
pub const FORECAST_CATEGORIES: &[&str] = &["pipeline", "best_case", "commit", "closed", "omitted"];

impl Default for Opportunity {
    fn default() -> Self {
        Self {
            name: String::new(),
            account_id: None,
            amount: Decimal::ZERO,
            currency: DEFAULT_CURRENCY.to_string(),
            stage: String::new(),
            probability: 0,
            close_date: None,
            owner: None,
            next_step: None,
            stage_history: StageHistory::default(),
            loss_reason: None,
            forecast_category: None,
        }
    }
}

impl Opportunity {
    /// Amount times probability.
    #[must_use]
    pub fn weighted(&self) -> Decimal {
        self.amount.saturating_mul(Decimal::from(self.probability)) / Decimal::from(100)
    }
}

impl Record for Opportunity {
    fn check(&mut self, old: Option<&Self>, ctx: &Context) -> Result<(), Invalid> {
        required("name", &mut self.name)?;
        if let Some(d) = self.close_date {
            validate::date("close_date", d)?;
        }
        if self.account_id.is_none() {
            return Err(Invalid::new("account_id", "an opportunity needs an account"));
        }
        non_negative("amount", self.amount)?;
        currency("currency", &mut self.currency)?;
        self.amount = crate::model::money::pad_to_minor(self.amount, &self.currency);
        tidy(&mut self.owner);
        tidy(&mut self.next_step);
        let stage = if self.stage.trim().is_empty() {
            ctx.pipeline.first()
        } else {
            ctx.pipeline
                .find(&self.stage)
                .ok_or_else(|| Invalid::new("stage", ctx.pipeline.unknown(&self.stage)))?
        };
        tidy(&mut self.loss_reason);
        tidy(&mut self.forecast_category);
        if let Some(c) = &self.forecast_category {
            let key: String = c
                .chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect();
            let Some(known) = FORECAST_CATEGORIES.iter().find(|k| k.replace('_', "") == key) else {
                return Err(Invalid::new(
                    "forecast_category",
                    format!("'{c}' is not one of: {}", FORECAST_CATEGORIES.join(", ")),
                ));
            };
            self.forecast_category = Some((*known).to_string());
        }
        // History is append-only: a write never drops an entry it did not see.
        if let Some(o) = old {
            self.stage_history.absorb(&o.stage_history);
        }
        let entered = old.is_none_or(|o| o.stage != stage.name);
        if entered {
            // The probability that goes with a new stage is the app's decision
            // (`App::move_stage`, `App::edit`), which knows whether the user gave one.
            self.stage = stage.name.clone();
            self.stage_history.0.insert(
                Id::new().to_string(),
                StageChange {
                    stage: stage.name.clone(),
                    at: ctx.now,
                    from: old.map(|o| o.stage.clone()).filter(|s| !s.is_empty()),
                    by: ctx.user.clone(),
                },
            );
        }
        validate::probability(self.probability)
    }

    fn links(&self) -> Vec<Link> {
        let mut out = Vec::new();
        link(&mut out, "account_id", EntityKind::Account, self.account_id);
        out
    }

    fn indexes(&self) -> Vec<(Index, String)> {
        let mut out = vec![(Index::Stage, self.stage.clone())];
        if let Some(o) = &self.owner {
            out.push((Index::Owner, o.clone()));
        }
        if let Some(d) = self.close_date {
            out.push((Index::Close, d.to_string()));
        }
        out
    }

    fn title(&self) -> String {
        self.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Output times have milliseconds always, so they sort as text as they do as times;
    /// a finer stored time keeps every digit.
    #[test]
    fn output_history_times_have_milliseconds_and_sort_as_text() {
        let history = StageHistory::from_value(&serde_json::json!({
            "a": {"stage": "Prospecting", "at": "2026-03-01T09:00:07Z"},
            "b": {"stage": "Qualification", "at": "2026-03-01T09:00:07.056Z"},
            "c": {"stage": "Proposal", "at": "2026-03-01T09:00:08.000123Z"},
        }));
        let out = history.to_output();
        let times: Vec<&str> = out
            .as_array()
            .expect("an array")
            .iter()
            .map(|e| e["at"].as_str().expect("a time"))
            .collect();
        assert_eq!(
            times,
            [
                "2026-03-01T09:00:07.000Z",
                "2026-03-01T09:00:07.056Z",
                "2026-03-01T09:00:08.000123Z"
            ]
        );
        let mut as_text = times.clone();
        as_text.sort_unstable();
        assert_eq!(as_text, times);
        // The output reads back as the same history.
        let back: Vec<StageChange> = serde_json::from_value(out).expect("entries");
        assert_eq!(back, history.into_ordered());
    }

    /// Reports read the history without its ids, in the order people read it: by time,
    /// then by id for entries of the same time, for the map and the legacy array alike.
    #[test]
    fn into_ordered_is_ordered_without_the_ids() {
        let same = "2026-03-10T09:00:00Z";
        for value in [
            serde_json::json!({
                "b": {"stage": "Proposal", "at": same, "from": "Qualification"},
                "a": {"stage": "Qualification", "at": same, "by": "anna"},
                "c": {"stage": "Prospecting", "at": "2026-03-01T09:00:00Z"},
            }),
            serde_json::json!([
                {"stage": "Closed Won", "at": "2026-04-01T09:00:00Z"},
                {"stage": "Prospecting", "at": "2026-03-01T09:00:00Z"},
            ]),
        ] {
            let history = StageHistory::from_value(&value);
            let expected: Vec<StageChange> = history.ordered().into_iter().map(|(_, c)| c.clone()).collect();
            assert_eq!(history.into_ordered(), expected);
        }
    }
}
