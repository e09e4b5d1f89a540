//! Reports: forecasts and pipeline health as pure functions over plain record data.
//!
//! [`App::report_data`] reads the records once (no report does I/O); each report is a
//! function from a [`Data`] (plus its options) to rows. Every row carries the ids of
//! the records behind it. Amounts in several currencies are converted to the base
//! currency (`currency` in config.toml) with the `[rates]` table (`USD = 0.92`: one USD
//! is 0.92 of the base currency); a currency without a rate is kept apart, never added
//! to another.

pub mod activity;
pub mod changes;
pub mod customers;
pub mod forecast;
pub mod pipeline;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{App, AppError};
use crate::model::entity::Index;
use crate::model::records::{StageChange, TouchDigest};
use crate::model::stage::{Pipeline, StageState};
use crate::model::{EntityKind, Id};

/// An opportunity as the reports read it.
#[derive(Clone, Debug, PartialEq)]
pub struct Opp {
    /// The opportunity's id.
    pub id: Id,
    /// Deal name.
    pub name: String,
    /// The account buying.
    pub account_id: Option<Id>,
    /// Expected amount.
    pub amount: Decimal,
    /// ISO 4217 currency of the amount.
    pub currency: String,
    /// Stage name.
    pub stage: String,
    /// Win probability, percent.
    pub probability: u8,
    /// Expected (or actual) close date.
    pub close: Option<NaiveDate>,
    /// Owning user (login).
    pub owner: Option<String>,
    /// The agreed next step.
    pub next_step: Option<String>,
    /// The forecast category set on the record, if any (else it follows the stage).
    pub forecast_category: Option<String>,
    /// Stage history ordered by time.
    pub history: Vec<StageChange>,
}

/// A user with a quota.
#[derive(Clone, Debug, PartialEq)]
pub struct UserQuota {
    /// The user's id.
    pub id: Id,
    /// Login (what `owner` fields store); the name when there is none.
    pub login: String,
    /// Quota per quarter.
    pub quota: Decimal,
    /// Currency of the quota.
    pub currency: String,
}

/// An activity: only when it happened and what it is about.
#[derive(Clone, Debug, PartialEq)]
pub struct Touch {
    /// The activity's id.
    pub id: Id,
    /// The deal it is about.
    pub opportunity_id: Option<Id>,
    /// When it happened.
    pub at: Option<DateTime<Utc>>,
    /// call, meeting, visit, email, note or task.
    pub kind: &'static str,
    /// Who did it (or has to): one shared text per owner (a few logins over 187k
    /// activities).
    pub owner: Option<std::sync::Arc<str>>,
    /// Due date (follow-ups and tasks).
    pub due: Option<NaiveDate>,
    /// Done.
    pub done: bool,
    /// One-line summary.
    pub subject: Box<str>,
}

/// Everything the reports read, gathered once.
#[derive(Clone, Debug, Default)]
pub struct Data {
    /// Live opportunities.
    pub opps: Vec<Opp>,
    /// Live users.
    pub users: Vec<UserQuota>,
    /// Live activities.
    pub touches: Vec<Touch>,
    /// The pipeline stages.
    pub pipeline: Pipeline,
    /// Currency conversion.
    pub money: Money,
    /// Account names by id.
    pub account_names: HashMap<Id, String>,
    /// Product names (SKU and name) by id.
    pub product_names: HashMap<Id, String>,
    /// Live quotes.
    pub quotes: Vec<QuoteRef>,
    /// Live quote lines.
    pub lines: Vec<QuoteLineRef>,
    /// When each field of each opportunity got its current value (`_created`: when the
    /// record was made). Read only for `report changes` ([`Parts::field_times`]).
    pub field_times: HashMap<Id, changes::FieldTimes>,
}

/// A quote: what it belongs to and whether it was accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct QuoteRef {
    /// The quote's id.
    pub id: Id,
    /// Its opportunity.
    pub opportunity_id: Option<Id>,
    /// Its account.
    pub account_id: Option<Id>,
    /// Status accepted.
    pub accepted: bool,
}

/// A quote line: its quote and product.
#[derive(Clone, Debug, PartialEq)]
pub struct QuoteLineRef {
    /// The quote.
    pub quote_id: Option<Id>,
    /// The product.
    pub product_id: Option<Id>,
}

/// The base currency and the rates to it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Money {
    /// The base (reporting) currency.
    pub base: String,
    /// One unit of the key currency is this much of the base currency.
    pub rates: BTreeMap<String, Decimal>,
}

impl Money {
    /// `amount` in `currency` as (currency, amount) for totals: in the base currency when
    /// `currency` is it or has a rate, else unchanged.
    #[must_use]
    pub fn convert(&self, amount: Decimal, currency: &str) -> (String, Decimal) {
        if currency == self.base {
            return (currency.to_string(), amount);
        }
        match self.rates.get(currency) {
            Some(rate) => (self.base.clone(), (amount.saturating_mul(*rate)).round_dp(2)),
            None => (currency.to_string(), amount),
        }
    }
}

/// Amount times probability (percent).
#[must_use]
pub fn weighted(amount: Decimal, probability: u8) -> Decimal {
    (amount.saturating_mul(Decimal::from(probability)) / Decimal::from(100)).round_dp(2)
}

/// The state of a stage (unknown stages count as open).
#[must_use]
pub fn state_of(pipeline: &Pipeline, stage: &str) -> StageState {
    pipeline
        .stages
        .iter()
        .find(|s| s.name == stage)
        .map_or(StageState::Open, |s| s.state)
}

/// Forecast categories, in order of confidence.
pub const CATEGORIES: [&str; 5] = ["Pipeline", "Best Case", "Commit", "Closed", "Omitted"];

/// The category an opportunity's stage gives: won is Closed, lost is Omitted, an open
/// deal at 80 % or more is Commit, at 50 % or more Best Case, else Pipeline.
#[must_use]
pub fn default_category(state: StageState, probability: u8) -> &'static str {
    match state {
        StageState::Won => "Closed",
        StageState::Lost => "Omitted",
        StageState::Open if probability >= 80 => "Commit",
        StageState::Open if probability >= 50 => "Best Case",
        StageState::Open => "Pipeline",
    }
}

/// The forecast category of `o`: its own field when it names a category, else the
/// stage's default.
#[must_use]
pub fn category(pipeline: &Pipeline, o: &Opp) -> &'static str {
    let key = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    if let Some(set) = o.forecast_category.as_deref()
        && let Some(c) = CATEGORIES.iter().find(|c| key(c) == key(set))
    {
        return c;
    }
    default_category(state_of(pipeline, &o.stage), o.probability)
}

/// Ids as strings, sorted, for a row.
#[must_use]
pub fn ids(list: &[Id]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(ToString::to_string).collect();
    v.sort();
    v
}

/// A decimal as a JSON number-free string with two places at most ("12.50").
#[must_use]
pub fn money_text(d: Decimal) -> String {
    d.round_dp(2).normalize().to_string()
}

/// Which records besides opportunities and users a report reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts {
    /// Activities (stale, activity).
    pub activities: bool,
    /// Account names (rfm, at-risk, cross-sell for one account).
    pub customers: bool,
    /// Products, quotes and quote lines: what each account bought (cross-sell).
    pub baskets: bool,
    /// When each opportunity field got its value (changes), read in the opportunities'
    /// scan.
    pub field_times: bool,
}

impl Parts {
    /// Everything.
    pub const ALL: Self = Self {
        activities: true,
        customers: true,
        baskets: true,
        field_times: true,
    };

    /// Opportunities and users only (forecast, pipeline, win rate, cycle, funnel,
    /// changes).
    pub const DEALS: Self = Self {
        activities: false,
        customers: false,
        baskets: false,
        field_times: false,
    };
}

impl App {
    /// Reads every record the reports need, once.
    pub fn report_data(&self) -> Result<Data, AppError> {
        self.report_data_with(Parts::ALL)
    }

    /// Reads the opportunities and users, and the `parts` asked for.
    pub fn report_data_with(&self, parts: Parts) -> Result<Data, AppError> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct OppFields {
            name: String,
            account_id: Option<Id>,
            amount: Option<Decimal>,
            currency: String,
            stage: String,
            probability: u64,
            close_date: Option<NaiveDate>,
            owner: Option<String>,
            next_step: Option<String>,
            forecast_category: Option<String>,
            #[serde(deserialize_with = "ordered_history")]
            stage_history: Vec<StageChange>,
        }
        fn ordered_history<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<StageChange>, D::Error> {
            use serde::Deserialize;
            Ok(crate::model::records::StageHistory::deserialize(d)?.into_ordered())
        }
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct UserFields {
            login: Option<String>,
            name: String,
            quota: Option<Decimal>,
            currency: String,
        }
        let mut data = Data {
            pipeline: self.config.pipeline.clone(),
            money: Money {
                base: self.config.currency.clone(),
                rates: self.config.rates.clone(),
            },
            ..Data::default()
        };
        let opps: Vec<(Id, OppFields, Option<changes::FieldTimes>)> = if parts.field_times {
            let all = self.store.live_fields_clocks_all(
                EntityKind::Opportunity,
                Some(&changes::CLOCKED),
                |f: OppFields, c| (f, field_times(c)),
            )?;
            all.into_iter().map(|(id, (f, t))| (id, f, Some(t))).collect()
        } else {
            let all = self.store.live_fields_all::<OppFields>(EntityKind::Opportunity)?;
            all.into_iter().map(|(id, f)| (id, f, None)).collect()
        };
        data.opps.reserve_exact(opps.len());
        for (id, f, times) in opps {
            if let Some(times) = times {
                data.field_times.insert(id, times);
            }
            data.opps.push(Opp {
                id,
                name: f.name,
                account_id: f.account_id,
                amount: f.amount.unwrap_or_default(),
                currency: f.currency,
                stage: f.stage,
                probability: u8::try_from(f.probability.min(100)).unwrap_or(0),
                close: f.close_date,
                owner: f.owner.filter(|o| !o.is_empty()),
                next_step: f.next_step.filter(|s| !s.trim().is_empty()),
                forecast_category: f.forecast_category.filter(|s| !s.is_empty()),
                history: f.stage_history,
            });
        }
        for item in self.store.live_fields::<UserFields>(EntityKind::User) {
            let (id, f) = item?;
            data.users.push(UserQuota {
                id,
                login: f.login.filter(|l| !l.is_empty()).unwrap_or(f.name),
                quota: f.quota.unwrap_or_default(),
                currency: f.currency,
            });
        }
        if parts.activities {
            self.read_touches(&mut data)?;
        }
        if parts.customers {
            self.read_account_names(&mut data)?;
        }
        if parts.baskets {
            self.read_baskets(&mut data)?;
        }
        Ok(data)
    }

    /// The activities from their digests in `idx_touch` (a few megabytes of keys), not
    /// from the records: at 100k contacts those are 190k records and 70 MB.
    fn read_touches(&self, data: &mut Data) -> Result<(), AppError> {
        /// Touches read into one part before the next is started.
        const PART: usize = 8192;
        let mut owners: HashMap<String, std::sync::Arc<str>> = HashMap::new();
        // Read in parts and then moved into a vector of exactly their number: pushing
        // onto one vector doubles it, with the old and the new buffer alive at once
        // (41 MB at 187k activities, and 8 MB of it left unused).
        let mut parts: Vec<Vec<Touch>> = Vec::new();
        let mut part: Vec<Touch> = Vec::with_capacity(PART);
        for entry in self.store.index_iter(Index::Touch, EntityKind::Activity) {
            let (value, id) = entry?;
            let d = TouchDigest::decode(&value).ok_or_else(|| {
                AppError::Store(crate::store::StoreError::Corrupt(format!(
                    "activity {id}: its report digest does not read (outpost check --repair rebuilds it)"
                )))
            })?;
            if part.len() == PART {
                parts.push(std::mem::replace(&mut part, Vec::with_capacity(PART)));
            }
            part.push(Touch {
                id,
                opportunity_id: d.opportunity_id,
                at: d.at,
                kind: d.kind.name(),
                owner: d
                    .owner
                    .map(|o| owners.entry(o).or_insert_with_key(|o| o.as_str().into()).clone()),
                due: d.due,
                done: d.done,
                subject: d.subject.unwrap_or_default().into_boxed_str(),
            });
        }
        parts.push(part);
        data.touches.reserve_exact(parts.iter().map(Vec::len).sum());
        for part in parts {
            data.touches.extend(part);
        }
        Ok(())
    }

    fn read_account_names(&self, data: &mut Data) -> Result<(), AppError> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct NameFields {
            name: String,
        }
        for (id, f) in self.store.live_fields_all::<NameFields>(EntityKind::Account)? {
            data.account_names.insert(id, f.name);
        }
        Ok(())
    }

    fn read_baskets(&self, data: &mut Data) -> Result<(), AppError> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct QuoteFields {
            opportunity_id: Option<Id>,
            account_id: Option<Id>,
            status: String,
        }
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct LineFields {
            quote_id: Option<Id>,
            product_id: Option<Id>,
        }
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct ProductFields {
            sku: String,
            name: String,
        }
        for item in self.store.live_fields::<ProductFields>(EntityKind::Product) {
            let (id, f) = item?;
            data.product_names
                .insert(id, format!("{} {}", f.sku, f.name).trim().to_string());
        }
        for (id, f) in self.store.live_fields_all::<QuoteFields>(EntityKind::Quote)? {
            data.quotes.push(QuoteRef {
                id,
                opportunity_id: f.opportunity_id,
                account_id: f.account_id,
                accepted: f.status == "accepted",
            });
        }
        for (_, f) in self.store.live_fields_all::<LineFields>(EntityKind::QuoteLine)? {
            data.lines.push(QuoteLineRef {
                quote_id: f.quote_id,
                product_id: f.product_id,
            });
        }
        Ok(())
    }
}

/// When each field got its current value, from its clock (`_created`: when the record
/// was made).
fn field_times(clocks: crate::store::FieldClocks) -> changes::FieldTimes {
    clocks
        .into_iter()
        .filter_map(|(f, c)| {
            let ms = i64::try_from(c.wall).ok()?;
            Some((f, DateTime::<Utc>::from_timestamp_millis(ms)?))
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod testdata {
    use super::*;

    /// An opportunity for tests: id from `n`, no history.
    pub fn opp(n: u128, amount: i64, currency: &str, stage: &str, probability: u8, close: &str, owner: &str) -> Opp {
        Opp {
            id: id(n),
            name: format!("deal {n}"),
            account_id: None,
            amount: Decimal::from(amount),
            currency: currency.into(),
            stage: stage.into(),
            probability,
            close: close.parse().ok(),
            owner: Some(owner.to_string()).filter(|o| !o.is_empty()),
            next_step: None,
            forecast_category: None,
            history: Vec::new(),
        }
    }

    /// A fixed id.
    pub fn id(n: u128) -> Id {
        Id::from_slice(&n.to_be_bytes()).unwrap_or_default()
    }

    /// Data over `opps` with the default pipeline and EUR as base.
    pub fn data(opps: Vec<Opp>) -> Data {
        Data {
            opps,
            pipeline: Pipeline::default(),
            money: Money {
                base: "EUR".into(),
                rates: BTreeMap::new(),
            },
            ..Data::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_only_with_a_rate() {
        let mut m = Money {
            base: "EUR".into(),
            rates: BTreeMap::new(),
        };
        assert_eq!(m.convert(Decimal::from(100), "USD"), ("USD".into(), Decimal::from(100)));
        m.rates.insert("USD".into(), "0.92".parse().expect("test data"));
        assert_eq!(m.convert(Decimal::from(100), "USD"), ("EUR".into(), Decimal::from(92)));
        assert_eq!(m.convert(Decimal::from(7), "EUR"), ("EUR".into(), Decimal::from(7)));
    }

    #[test]
    fn categories_follow_the_stage_unless_set() {
        let p = Pipeline::default();
        let mut o = testdata::opp(1, 10, "EUR", "Negotiation", 80, "2026-01-01", "");
        assert_eq!(category(&p, &o), "Commit");
        o.probability = 60;
        assert_eq!(category(&p, &o), "Best Case");
        o.probability = 10;
        assert_eq!(category(&p, &o), "Pipeline");
        o.stage = "Closed Won".into();
        assert_eq!(category(&p, &o), "Closed");
        o.stage = "Closed Lost".into();
        assert_eq!(category(&p, &o), "Omitted");
        o.forecast_category = Some("best-case".into());
        assert_eq!(category(&p, &o), "Best Case");
    }
}
