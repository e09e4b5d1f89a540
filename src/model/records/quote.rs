use chrono::{DateTime, NaiveDate, Utc};
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
    /// Its discount is over the writer's limit: waiting for a manager.
    NeedsApproval,
    /// A manager approved its discount; it can be sent.
    Approved,
    /// Sent to the customer (frozen).
    Sent,
    /// Accepted by the customer.
    Accepted,
    /// Turned down.
    Rejected,
    /// Sent and past `valid_until` without an answer (shown, not stored: see
    /// [`Quote::status_on`]).
    Expired,
}

impl QuoteStatus {
    /// The serde names of every variant, in order (the registry's choices).
    pub const CHOICES: &'static [&'static str] = &[
        "draft",
        "needs_approval",
        "approved",
        "sent",
        "accepted",
        "rejected",
        "expired",
    ];

    /// The serde name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::NeedsApproval => "needs_approval",
            Self::Approved => "approved",
            Self::Sent => "sent",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
        }
    }

    /// Sent and accepted quotes are frozen: their fields and lines do not change (a
    /// revision is a new draft). Rejected and expired ones are closed too.
    #[must_use]
    pub fn frozen(self) -> bool {
        matches!(self, Self::Sent | Self::Accepted | Self::Rejected | Self::Expired)
    }
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
    /// The customer's contact the quote is addressed to.
    pub contact_id: Option<Id>,
    /// Draft, needs approval, approved, sent, accepted, rejected.
    pub status: QuoteStatus,
    /// Currency of every line.
    pub currency: String,
    /// Last day the offer holds.
    pub valid_until: Option<NaiveDate>,
    /// Free text printed on the quote.
    pub notes: Option<String>,
    /// Quote-level discount in percent, on the subtotal.
    pub discount_pct: Decimal,
    /// The quote's date: prices are those valid on it (default: the day it was made).
    pub date: Option<NaiveDate>,
    /// Revision: 1 for the first, N+1 for `quote revise` (shown as `-R2`).
    pub revision: u32,
    /// The revision this one replaces.
    pub revises_id: Option<Id>,
    /// The largest discount a manager approved (see `totals::max_discount`).
    pub approved_discount_pct: Option<Decimal>,
    /// Who approved or rejected the discount (login or name).
    pub approved_by: Option<String>,
    /// The approver's comment.
    pub approval_comment: Option<String>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the customer accepted or rejected it.
    pub closed_at: Option<DateTime<Utc>>,
}

impl Quote {
    /// The status as of `today`: a sent quote past `valid_until` is expired.
    #[must_use]
    pub fn status_on(&self, today: NaiveDate) -> QuoteStatus {
        match (self.status, self.valid_until) {
            (QuoteStatus::Sent, Some(until)) if until < today => QuoteStatus::Expired,
            (s, _) => s,
        }
    }

    /// The number people see: `Q-AB12-0001`, `Q-AB12-0001-R2` from the second revision.
    #[must_use]
    pub fn display_number(&self) -> String {
        if self.revision > 1 {
            format!("{}-R{}", self.number, self.revision)
        } else {
            self.number.clone()
        }
    }
}

impl Default for Quote {
    fn default() -> Self {
        Self {
            number: String::new(),
            opportunity_id: None,
            account_id: None,
            contact_id: None,
            status: QuoteStatus::Draft,
            currency: DEFAULT_CURRENCY.to_string(),
            valid_until: None,
            notes: None,
            discount_pct: Decimal::ZERO,
            date: None,
            revision: 1,
            revises_id: None,
            approved_discount_pct: None,
            approved_by: None,
            approval_comment: None,
            sent_at: None,
            closed_at: None,
        }
    }
}

impl Record for Quote {
    fn check(&mut self, old: Option<&Self>, _ctx: &Context) -> Result<(), Invalid> {
        if self.opportunity_id.is_none() {
            return Err(Invalid::new("opportunity_id", "a quote needs an opportunity"));
        }
        super::required("number", &mut self.number)?;
        if let Some(d) = self.valid_until {
            crate::model::validate::date("valid_until", d)?;
        }
        currency("currency", &mut self.currency)?;
        tidy(&mut self.notes);
        tidy(&mut self.approved_by);
        tidy(&mut self.approval_comment);
        percent("discount_pct", self.discount_pct)?;
        if let Some(d) = self.date {
            crate::model::validate::date("date", d)?;
        }
        // Only when a write sets either: a quote that holds them crossed (an older
        // version, two offline edits) must stay editable.
        let dates_set = old.is_none_or(|o| o.date != self.date || o.valid_until != self.valid_until);
        if let (Some(date), Some(until)) = (self.date, self.valid_until)
            && until < date
            && dates_set
        {
            return Err(Invalid::new(
                "valid_until",
                format!("{until} is before the quote's date {date}: the quote would never be valid"),
            ));
        }
        if self.revision == 0 {
            self.revision = 1;
        }
        Ok(())
    }

    fn links(&self) -> Vec<Link> {
        let mut out = Vec::new();
        link(&mut out, "opportunity_id", EntityKind::Opportunity, self.opportunity_id);
        link(&mut out, "account_id", EntityKind::Account, self.account_id);
        link(&mut out, "contact_id", EntityKind::Contact, self.contact_id);
        link(&mut out, "revises_id", EntityKind::Quote, self.revises_id);
        out
    }

    fn title(&self) -> String {
        self.display_number()
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
        percent("discount_pct", self.discount_pct)?;
        percent("tax_pct", self.tax_pct)?;
        // The quote's totals must compute exactly: they scale a line's amount by up to
        // 100 (percentages) and add tax of up to 100%, so leave that much room.
        if self
            .quantity
            .checked_mul(self.unit_price)
            .and_then(|net| net.checked_mul(Decimal::from(10_000)))
            .is_none()
        {
            return Err(Invalid::new(
                "quantity",
                format!(
                    "{} x {} is too large for the quote's totals to be computed exactly",
                    self.quantity, self.unit_price
                ),
            ));
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

/// A percentage: 0 to 100.
fn percent(field: &str, value: Decimal) -> Result<(), Invalid> {
    non_negative(field, value)?;
    if value > Decimal::ONE_HUNDRED {
        return Err(Invalid::new(field, format!("{value}% is over 100%")));
    }
    Ok(())
}

impl QuoteLine {
    /// What the totals need of this line.
    #[must_use]
    pub fn totals_input(&self) -> crate::model::totals::LineIn {
        crate::model::totals::LineIn {
            quantity: self.quantity,
            unit_price: self.unit_price,
            discount_pct: self.discount_pct,
            tax_pct: self.tax_pct,
        }
    }
}
