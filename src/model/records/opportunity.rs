use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

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
    /// When it was entered.
    pub at: DateTime<Utc>,
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
    /// Every stage entered, with its time.
    pub stage_history: Vec<StageChange>,
}

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
            stage_history: Vec::new(),
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
        if self.account_id.is_none() {
            return Err(Invalid::new(
                "account_id",
                "an opportunity needs an account (--account REF)",
            ));
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
        let entered = old.is_none_or(|o| o.stage != stage.name);
        if entered {
            // The probability that goes with a new stage is the app's decision
            // (`App::move_stage`, `App::edit`), which knows whether the user gave one.
            self.stage = stage.name.clone();
            self.stage_history.push(StageChange {
                stage: stage.name.clone(),
                at: ctx.now,
            });
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
