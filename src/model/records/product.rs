use std::collections::BTreeMap;

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
