use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{currency, non_negative, tidy};
use crate::model::Id;
use crate::model::entity::{Context, EntityKind, Link, Record, link};
use crate::model::money::DEFAULT_CURRENCY;
use crate::model::validate::Invalid;

/// Where a quote is in its life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteStatus {
    /// Being written.
    #[default]
    Draft,
    /// Sent to the customer.
    Sent,
    /// Accepted by the customer.
    Accepted,
    /// Turned down.
    Rejected,
}

impl QuoteStatus {
    /// The serde names of every variant, in order (the registry's choices).
    pub const CHOICES: &'static [&'static str] = &["draft", "sent", "accepted", "rejected"];
}

/// A priced proposal for an opportunity. Its lines are [`QuoteLine`] records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Quote {
    /// Human number, unique without coordination: device code plus a local counter.
    pub number: String,
    /// The opportunity quoted for.
    pub opportunity_id: Option<Id>,
    /// The account (taken from the opportunity).
    pub account_id: Option<Id>,
    /// Draft, sent, accepted, rejected.
    pub status: QuoteStatus,
    /// Currency of every line.
    pub currency: String,
    /// Last day the offer holds.
    pub valid_until: Option<NaiveDate>,
    /// Free text printed on the quote.
    pub notes: Option<String>,
}

impl Default for Quote {
    fn default() -> Self {
        Self {
            number: String::new(),
            opportunity_id: None,
            account_id: None,
            status: QuoteStatus::Draft,
            currency: DEFAULT_CURRENCY.to_string(),
            valid_until: None,
            notes: None,
        }
    }
}

impl Record for Quote {
    fn check(&mut self, _old: Option<&Self>, _ctx: &Context) -> Result<(), Invalid> {
        if self.opportunity_id.is_none() {
            return Err(Invalid::new("opportunity_id", "a quote needs an opportunity"));
        }
        super::required("number", &mut self.number)?;
        if let Some(d) = self.valid_until {
            crate::model::validate::date("valid_until", d)?;
        }
        currency("currency", &mut self.currency)?;
        tidy(&mut self.notes);
        Ok(())
    }

    fn links(&self) -> Vec<Link> {
        let mut out = Vec::new();
        link(&mut out, "opportunity_id", EntityKind::Opportunity, self.opportunity_id);
        link(&mut out, "account_id", EntityKind::Account, self.account_id);
        out
    }

    fn title(&self) -> String {
        self.number.clone()
    }
}

/// One line of a quote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QuoteLine {
    /// The quote this line belongs to.
    pub quote_id: Option<Id>,
    /// The product sold, if from the catalogue.
    pub product_id: Option<Id>,
    /// Text on the line.
    pub description: String,
    /// How many.
    pub quantity: Decimal,
    /// Price of one, in the quote's currency.
    pub unit_price: Decimal,
    /// Discount in percent.
    pub discount_pct: Decimal,
    /// Tax in percent.
    pub tax_pct: Decimal,
    /// Sort position on the quote.
    pub position: u32,
}

impl Default for QuoteLine {
    fn default() -> Self {
        Self {
            quote_id: None,
            product_id: None,
            description: String::new(),
            quantity: Decimal::ONE,
            unit_price: Decimal::ZERO,
            discount_pct: Decimal::ZERO,
            tax_pct: Decimal::ZERO,
            position: 0,
        }
    }
}

impl Record for QuoteLine {
    fn check(&mut self, _old: Option<&Self>, _ctx: &Context) -> Result<(), Invalid> {
        if self.quote_id.is_none() {
            return Err(Invalid::new("quote_id", "a quote line belongs to a quote"));
        }
        super::required("description", &mut self.description)?;
        non_negative("quantity", self.quantity)?;
        non_negative("unit_price", self.unit_price)?;
        non_negative("discount_pct", self.discount_pct)?;
        non_negative("tax_pct", self.tax_pct)?;
        if self.discount_pct > Decimal::from(100) {
            return Err(Invalid::new("discount_pct", "a discount is at most 100%"));
        }
        Ok(())
    }

    fn links(&self) -> Vec<Link> {
        let mut out = Vec::new();
        link(&mut out, "quote_id", EntityKind::Quote, self.quote_id);
        link(&mut out, "product_id", EntityKind::Product, self.product_id);
        out
    }

    fn title(&self) -> String {
        self.description.clone()
    }
}
