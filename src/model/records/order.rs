//! An order: what a customer bought, made from an accepted quote. It carries a copy of
//! the quote's lines and discount at that moment (so later revisions do not change it);
//! its totals are computed from that copy by `model::totals`, like a quote's.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{currency, required, tidy};
use crate::model::Id;
use crate::model::entity::{Context, EntityKind, Link, Record, link};
use crate::model::money::DEFAULT_CURRENCY;
use crate::model::totals::LineIn;
use crate::model::validate::Invalid;

/// Where an order is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Made from the accepted quote.
    #[default]
    Confirmed,
    /// The customer paid.
    Paid,
    /// On its way.
    Shipped,
    /// Arrived.
    Delivered,
    /// Called off.
    Cancelled,
}

impl OrderStatus {
    /// The serde names of every variant, in order (the registry's choices).
    pub const CHOICES: &'static [&'static str] = &["confirmed", "paid", "shipped", "delivered", "cancelled"];

    /// The serde name.
    #[must_use]
    pub fn name(self) -> &'static str {
        Self::CHOICES[self as usize]
    }
}

impl Order {
    /// The statuses the order may move to: paid and shipped once each, in either order;
    /// delivered once shipped; cancelled until delivered; nothing after cancelled.
    #[must_use]
    pub fn next(&self) -> Vec<OrderStatus> {
        use OrderStatus::{Cancelled, Delivered, Paid, Shipped};
        let been = |s: OrderStatus| self.status == s || self.history.iter().any(|e| e.status == s);
        if been(Cancelled) {
            return Vec::new();
        }
        let mut out = Vec::new();
        if !been(Paid) {
            out.push(Paid);
        }
        if !been(Shipped) {
            out.push(Shipped);
        } else if !been(Delivered) {
            out.push(Delivered);
        }
        if !been(Delivered) {
            out.push(Cancelled);
        }
        out
    }
}

/// One status change and when it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    /// The status it moved to.
    pub status: OrderStatus,
    /// When.
    pub at: DateTime<Utc>,
}

/// A line copied from the quote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderLine {
    /// The product, if from the catalogue.
    pub product_id: Option<Id>,
    /// Its SKU then.
    pub sku: Option<String>,
    /// Line text.
    pub description: String,
    /// How many.
    pub quantity: Decimal,
    /// Price of one.
    pub unit_price: Decimal,
    /// Line discount in percent.
    pub discount_pct: Decimal,
    /// Tax in percent.
    pub tax_pct: Decimal,
}

impl OrderLine {
    /// What the totals need of this line.
    #[must_use]
    pub fn totals_input(&self) -> LineIn {
        LineIn {
            quantity: self.quantity,
            unit_price: self.unit_price,
            discount_pct: self.discount_pct,
            tax_pct: self.tax_pct,
        }
    }
}

/// An order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Order {
    /// Human number: `O-<device>-0001`.
    pub number: String,
    /// The quote it was made from.
    pub quote_id: Option<Id>,
    /// The deal.
    pub opportunity_id: Option<Id>,
    /// The customer.
    pub account_id: Option<Id>,
    /// Confirmed, paid, shipped, delivered or cancelled.
    pub status: OrderStatus,
    /// Currency of every line.
    pub currency: String,
    /// The quote-level discount then.
    pub discount_pct: Decimal,
    /// The quote's lines then, in order.
    pub lines: Vec<OrderLine>,
    /// Every status change with its time, oldest first.
    pub history: Vec<OrderEvent>,
    /// Free text.
    pub notes: Option<String>,
}

impl Default for Order {
    fn default() -> Self {
        Self {
            number: String::new(),
            quote_id: None,
            opportunity_id: None,
            account_id: None,
            status: OrderStatus::Confirmed,
            currency: DEFAULT_CURRENCY.to_string(),
            discount_pct: Decimal::ZERO,
            lines: Vec::new(),
            history: Vec::new(),
            notes: None,
        }
    }
}

impl Record for Order {
    fn check(&mut self, _old: Option<&Self>, _ctx: &Context) -> Result<(), Invalid> {
        if self.quote_id.is_none() {
            return Err(Invalid::new("quote_id", "an order is made from a quote"));
        }
        required("number", &mut self.number)?;
        currency("currency", &mut self.currency)?;
        tidy(&mut self.notes);
        for (i, l) in self.lines.iter().enumerate() {
            crate::model::totals::totals(&self.currency, &[l.totals_input()], Decimal::ZERO)
                .map_err(|e| Invalid::new("lines", format!("line {}: {e}", i + 1)))?;
        }
        crate::model::totals::totals(&self.currency, &[], self.discount_pct)
            .map_err(|e| Invalid::new("discount_pct", e.to_string()))?;
        Ok(())
    }

    fn links(&self) -> Vec<Link> {
        let mut out = Vec::new();
        link(&mut out, "quote_id", EntityKind::Quote, self.quote_id);
        link(&mut out, "opportunity_id", EntityKind::Opportunity, self.opportunity_id);
        link(&mut out, "account_id", EntityKind::Account, self.account_id);
        out
    }

    fn title(&self) -> String {
        self.number.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(steps: &[OrderStatus]) -> Order {
        let mut o = Order::default();
        for s in steps {
            o.status = *s;
            o.history.push(OrderEvent {
                status: *s,
                at: DateTime::<Utc>::default(),
            });
        }
        o
    }

    #[test]
    fn status_moves() {
        use OrderStatus::*;
        assert_eq!(moved(&[Confirmed]).next(), [Paid, Shipped, Cancelled]);
        assert_eq!(moved(&[Confirmed, Paid]).next(), [Shipped, Cancelled]);
        assert_eq!(moved(&[Confirmed, Shipped]).next(), [Paid, Delivered, Cancelled]);
        assert_eq!(moved(&[Confirmed, Shipped, Paid]).next(), [Delivered, Cancelled]);
        assert!(moved(&[Confirmed, Paid, Shipped, Delivered]).next().is_empty());
        assert_eq!(moved(&[Confirmed, Shipped, Delivered]).next(), [Paid]);
        assert!(moved(&[Confirmed, Cancelled]).next().is_empty());
        for (i, c) in OrderStatus::CHOICES.iter().enumerate() {
            let s: OrderStatus = serde_json::from_value(serde_json::json!(c)).expect("status");
            assert_eq!(s as usize, i);
            assert_eq!(s.name(), *c);
        }
    }
}
