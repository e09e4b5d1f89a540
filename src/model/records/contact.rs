use serde::{Deserialize, Serialize};

use super::{required, tidy};
use crate::model::entity::{Context, EntityKind, Index, Link, Record, link};
use crate::model::validate::{self, Invalid};
use crate::model::{Id, phone};

/// A person, usually working at an account.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// The account the person works at.
    pub account_id: Option<Id>,
    /// Job title.
    pub title: Option<String>,
    /// E-mail addresses, the first is the main one.
    pub emails: Vec<String>,
    /// Phone numbers, the first is the main one.
    pub phones: Vec<String>,
    /// Country (ISO code): of the mailing address, and for phone numbers.
    pub country: Option<String>,
    /// Owning user.
    pub owner: Option<String>,
    /// Mailing address: street (lines separated by newlines).
    pub street: Option<String>,
    /// Mailing address: postcode.
    pub postcode: Option<String>,
    /// Mailing address: city.
    pub city: Option<String>,
    /// Mailing address: region, state or province.
    pub region: Option<String>,
}

impl Record for Contact {
    fn check(&mut self, old: Option<&Self>, _ctx: &Context) -> Result<(), Invalid> {
        required("first_name", &mut self.first_name)?;
        required("last_name", &mut self.last_name)?;
        for f in [
            &mut self.title,
            &mut self.country,
            &mut self.owner,
            &mut self.street,
            &mut self.postcode,
            &mut self.city,
            &mut self.region,
        ] {
            tidy(f);
        }
        crate::model::country::check("country", &mut self.country, old.and_then(|o| o.country.as_deref()))?;
        self.emails.retain(|e| !e.trim().is_empty());
        for e in &mut self.emails {
            *e = validate::email("emails", e)?;
        }
        self.phones.retain(|p| !p.trim().is_empty());
        for p in &mut self.phones {
            *p = phone::normalise(p, self.country.as_deref()).map_err(|m| Invalid::new("phones", m))?;
        }
        Ok(())
    }

    fn links(&self) -> Vec<Link> {
        let mut out = Vec::new();
        link(&mut out, "account_id", EntityKind::Account, self.account_id);
        out
    }

    fn indexes(&self) -> Vec<(Index, String)> {
        self.owner.iter().map(|o| (Index::Owner, o.clone())).collect()
    }

    fn title(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}
