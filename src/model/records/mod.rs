//! The entities, one file each.

mod account;
mod activity;
mod contact;
mod event;
pub mod fields;
mod lead;
mod opportunity;
mod order;
mod product;
mod quote;
mod territory;
mod user;

pub use account::Account;
pub use activity::{Activity, ActivityKind, TouchDigest};
pub use contact::Contact;
pub use event::{Event, reminder_minutes, reminder_text};
pub use lead::{Lead, LeadStatus};
pub use opportunity::{FORECAST_CATEGORIES, Opportunity, StageChange, StageHistory};
pub use order::{Order, OrderEvent, OrderLine, OrderStatus};
pub use product::{PriceEntry, Product};
pub use quote::{Quote, QuoteLine, QuoteStatus};
pub use territory::{Place, Score, Territory, country_code, fold_postcode};
pub use user::{Role, User, check_login, names_person, suggest_login, user_record_id};

use super::validate::Invalid;

/// Trims optional text; empty becomes `None`.
pub(crate) fn tidy(value: &mut Option<String>) {
    if let Some(v) = value {
        let t = v.trim();
        if t.is_empty() {
            *value = None;
        } else if t.len() != v.len() {
            *value = Some(t.to_string());
        }
    }
}

/// Trims a required text field and checks it is not empty.
pub(crate) fn required(field: &str, value: &mut String) -> Result<(), Invalid> {
    let t = value.trim();
    if t.len() != value.len() {
        *value = t.to_string();
    }
    super::validate::non_empty(field, value)
}

/// Normalises an optional e-mail field.
pub(crate) fn opt_email(field: &str, value: &mut Option<String>) -> Result<(), Invalid> {
    tidy(value);
    if let Some(v) = value {
        *v = super::validate::email(field, v)?;
    }
    Ok(())
}

/// Normalises an optional phone field.
pub(crate) fn opt_phone(field: &str, value: &mut Option<String>, country: Option<&str>) -> Result<(), Invalid> {
    tidy(value);
    if let Some(v) = value {
        *v = super::phone::normalise(v, country).map_err(|m| Invalid::new(field, m))?;
    }
    Ok(())
}

/// Normalises a currency field.
pub(crate) fn currency(field: &str, value: &mut String) -> Result<(), Invalid> {
    *value = super::money::parse_currency(value).map_err(|m| Invalid::new(field, m))?;
    Ok(())
}

/// Checks an amount is not negative and not absurdly large.
pub(crate) fn non_negative(field: &str, value: rust_decimal::Decimal) -> Result<(), Invalid> {
    super::money::check_range(value).map_err(|m| Invalid::new(field, m))
}
