use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{currency, non_negative, opt_email, required};
use crate::model::entity::{Context, Link, Record};
use crate::model::money::DEFAULT_CURRENCY;
use crate::model::validate::Invalid;

/// What a user may do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Changes records they own or that have no owner.
    #[default]
    Rep,
    /// Changes any record.
    Manager,
    /// Changes any record and runs the server.
    Admin,
}

/// A user of the system, with a sales quota.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct User {
    /// Name (used as owner on records).
    pub name: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Rep, manager or admin.
    pub role: Role,
    /// Amount to close per quarter.
    pub quota: Decimal,
    /// Currency of the quota.
    pub currency: String,
}

impl Default for User {
    fn default() -> Self {
        Self {
            name: String::new(),
            email: None,
            role: Role::Rep,
            quota: Decimal::ZERO,
            currency: DEFAULT_CURRENCY.to_string(),
        }
    }
}

impl Record for User {
    fn check(&mut self, _old: Option<&Self>, _ctx: &Context) -> Result<(), Invalid> {
        required("name", &mut self.name)?;
        opt_email("email", &mut self.email)?;
        non_negative("quota", self.quota)?;
        currency("currency", &mut self.currency)?;
        self.quota = crate::model::money::pad_to_minor(self.quota, &self.currency);
        Ok(())
    }

    fn links(&self) -> Vec<Link> {
        Vec::new()
    }

    fn title(&self) -> String {
        self.name.clone()
    }
}
