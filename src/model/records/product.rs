use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{non_negative, required, tidy};
use crate::model::entity::{Context, Link, Record};
use crate::model::money::parse_currency;
use crate::model::validate::Invalid;

/// Something the team sells, with a price per currency (a small price book).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Product {
    /// Stock-keeping unit, unique.
    pub sku: String,
    /// Product name.
    pub name: String,
    /// Unit price per ISO 4217 currency.
    pub prices: BTreeMap<String, Decimal>,
    /// Sales tax in percent.
    pub tax_pct: Decimal,
    /// Longer description for quotes.
    pub description: Option<String>,
    /// Whether it can be put on new quotes.
    pub active: bool,
    /// Price-book entries beyond `prices`, each "CUR PRICE [N+] [FROM..TO]": a price
    /// from quantity N (default 1) valid from FROM to TO inclusive (either open). See
    /// [`Product::price_for`].
    pub price_book: Vec<String>,
}

/// One parsed price-book entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceEntry {
    /// ISO 4217 code.
    pub currency: String,
    /// Price of one.
    pub price: Decimal,
    /// The smallest quantity it is for.
    pub min_qty: Decimal,
    /// First day it holds.
    pub valid_from: Option<NaiveDate>,
    /// Last day it holds.
    pub valid_to: Option<NaiveDate>,
}

impl PriceEntry {
    /// Reads "EUR 90 10+ 2026-01-01..2026-06-30" ("EUR 90", "EUR 80 50+", "USD 99
    /// ..2026-12-31" also).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!(
                "'{text}': {why}; a price-book entry is \"CUR PRICE [N+] [FROM..TO]\", e.g. \"EUR 90 10+ 2026-01-01..2026-06-30\""
            )
        };
        let mut parts = text.split_whitespace();
        let currency = parse_currency(parts.next().ok_or_else(|| bad("empty"))?).map_err(|m| bad(&m))?;
        let price: Decimal = parts
            .next()
            .ok_or_else(|| bad("no price"))?
            .parse()
            .map_err(|_| bad("the price is not a number (use a dot for decimals)"))?;
        crate::model::money::check_range(price).map_err(|m| bad(&m))?;
        let mut entry = Self {
            currency,
            price,
            min_qty: Decimal::ONE,
            valid_from: None,
            valid_to: None,
        };
        entry.price = crate::model::money::pad_to_minor(price, &entry.currency);
        let mut seen_qty = false;
        let mut seen_dates = false;
        for p in parts {
            if let Some(n) = p.strip_suffix('+').filter(|_| !seen_qty) {
                let q: Decimal = n.parse().map_err(|_| bad("the quantity before + is not a number"))?;
                crate::model::money::check_range(q).map_err(|m| bad(&m))?;
                entry.min_qty = q.normalize();
                seen_qty = true;
            } else if let Some((a, b)) = p.split_once("..").filter(|_| !seen_dates) {
                let date = |s: &str| -> Result<Option<NaiveDate>, String> {
                    if s.is_empty() {
                        return Ok(None);
                    }
                    NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map(Some)
                        .map_err(|_| bad(&format!("'{s}' is not a date (YYYY-MM-DD)")))
                };
                entry.valid_from = date(a)?;
                entry.valid_to = date(b)?;
                if let (Some(f), Some(t)) = (entry.valid_from, entry.valid_to)
                    && t < f
                {
                    return Err(bad("it ends before it starts"));
                }
                seen_dates = true;
            } else {
                return Err(bad(&format!("'{p}' is neither a quantity (10+) nor dates (FROM..TO)")));
            }
        }
        Ok(entry)
    }

    /// The canonical text ("EUR 90.00 10+ 2026-01-01..2026-06-30").
    #[must_use]
    pub fn text(&self) -> String {
        let mut t = format!("{} {}", self.currency, self.price);
        if self.min_qty != Decimal::ONE {
            t.push_str(&format!(" {}+", self.min_qty));
        }
        if self.valid_from.is_some() || self.valid_to.is_some() {
            let d = |x: Option<NaiveDate>| x.map(|d| d.to_string()).unwrap_or_default();
            t.push_str(&format!(" {}..{}", d(self.valid_from), d(self.valid_to)));
        }
        t
    }

    /// Whether it holds for `qty` on `date`.
    #[must_use]
    pub fn holds(&self, currency: &str, qty: Decimal, date: NaiveDate) -> bool {
        self.currency == currency
            && qty >= self.min_qty
            && self.valid_from.is_none_or(|f| f <= date)
            && self.valid_to.is_none_or(|t| date <= t)
    }
}

impl Product {
    /// The unit price a new line takes: among the price-book entries that hold in
    /// `currency` for `qty` on `date`, the one with the highest quantity tier, then the
    /// latest start (a dated entry before an open one), then the lowest price; without
    /// one, `prices[currency]`.
    #[must_use]
    pub fn price_for(&self, currency: &str, qty: Decimal, date: NaiveDate) -> Option<Decimal> {
        self.price_book
            .iter()
            .filter_map(|t| PriceEntry::parse(t).ok())
            .filter(|e| e.holds(currency, qty, date))
            .max_by(|a, b| {
                a.min_qty
                    .cmp(&b.min_qty)
                    .then(a.valid_from.cmp(&b.valid_from))
                    .then(b.price.cmp(&a.price))
            })
            .map(|e| e.price)
            .or_else(|| self.prices.get(currency).copied())
    }
}

impl Default for Product {
    fn default() -> Self {
        Self {
            sku: String::new(),
            name: String::new(),
            prices: BTreeMap::new(),
            tax_pct: Decimal::ZERO,
            description: None,
            active: true,
            price_book: Vec::new(),
        }
    }
}

impl Record for Product {
    fn check(&mut self, _old: Option<&Self>, _ctx: &Context) -> Result<(), Invalid> {
        required("sku", &mut self.sku)?;
        required("name", &mut self.name)?;
        tidy(&mut self.description);
        let mut prices = BTreeMap::new();
        for (code, price) in &self.prices {
            let code = parse_currency(code).map_err(|m| Invalid::new("prices", m))?;
            non_negative("prices", *price)?;
            let padded = crate::model::money::pad_to_minor(*price, &code);
            prices.insert(code, padded);
        }
        self.prices = prices;
        let mut book = Vec::with_capacity(self.price_book.len());
        for t in &self.price_book {
            let e = PriceEntry::parse(t).map_err(|m| Invalid::new("price_book", m))?;
            book.push(e.text());
        }
        self.price_book = book;
        non_negative("tax_pct", self.tax_pct)?;
        if self.tax_pct > Decimal::from(100) {
            return Err(Invalid::new("tax_pct", format!("{}% is over 100%", self.tax_pct)));
        }
        Ok(())
    }

    fn links(&self) -> Vec<Link> {
        Vec::new()
    }

    fn title(&self) -> String {
        self.sku.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn product(book: &[&str]) -> Product {
        let mut p = Product {
            sku: "GW".into(),
            name: "Gateway".into(),
            prices: [("EUR".to_string(), d("100"))].into_iter().collect(),
            price_book: book.iter().map(|s| (*s).to_string()).collect(),
            ..Product::default()
        };
        p.check(None, &Context::default()).expect("valid");
        p
    }

    #[test]
    fn entries_read_and_print_canonically() {
        let p = product(&[
            "eur 90 10+ 2026-01-01..2026-06-30",
            "EUR 80 50+",
            "USD 99 ..2026-12-31",
            "JPY 1000",
        ]);
        assert_eq!(
            p.price_book,
            [
                "EUR 90.00 10+ 2026-01-01..2026-06-30",
                "EUR 80.00 50+",
                "USD 99.00 ..2026-12-31",
                "JPY 1000"
            ]
        );
        for bad in [
            "EUR",
            "EUR x",
            "XXX 1",
            "EUR 1 ten+",
            "EUR 1 2026-02-01..2026-01-01",
            "EUR 1 5+ 6+",
            "EUR -1",
        ] {
            assert!(PriceEntry::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tiers_and_validity_boundaries() {
        let p = product(&[
            "EUR 90 10+ 2026-01-01..2026-06-30",
            "EUR 80 50+",
            "EUR 95 2026-03-01..2026-03-31",
        ]);
        let at = |qty: &str, date: &str| p.price_for("EUR", d(qty), day(date)).map(|x| x.to_string());
        // Below every tier and outside March: the base price.
        assert_eq!(at("1", "2026-02-15").as_deref(), Some("100.00"));
        // The March offer, first and last day inclusive; not the day before or after.
        assert_eq!(at("1", "2026-03-01").as_deref(), Some("95.00"));
        assert_eq!(at("1", "2026-03-31").as_deref(), Some("95.00"));
        assert_eq!(at("1", "2026-02-28").as_deref(), Some("100.00"));
        assert_eq!(at("1", "2026-04-01").as_deref(), Some("100.00"));
        // 10+ from its first quantity, within its dates only.
        assert_eq!(at("9", "2026-05-01").as_deref(), Some("100.00"));
        assert_eq!(at("10", "2026-05-01").as_deref(), Some("90.00"));
        assert_eq!(at("10", "2026-06-30").as_deref(), Some("90.00"));
        assert_eq!(at("10", "2026-07-01").as_deref(), Some("100.00"));
        assert_eq!(at("10", "2025-12-31").as_deref(), Some("100.00"));
        // The higher tier wins when both hold; 50+ has no dates.
        assert_eq!(at("50", "2026-05-01").as_deref(), Some("80.00"));
        assert_eq!(at("49.5", "2026-05-01").as_deref(), Some("90.00"));
        // Another currency: no entry, no base price.
        assert_eq!(p.price_for("USD", d("1"), day("2026-05-01")), None);
    }
}
