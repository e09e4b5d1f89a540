use serde::{Deserialize, Serialize};

use super::{opt_email, opt_phone, required, tidy};
use crate::model::Id;
use crate::model::entity::{Context, EntityKind, Index, Link, Record, link};
use crate::model::validate::Invalid;

/// A company the team sells to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Account {
    /// Company name (unique names make good REFs).
    pub name: String,
    /// Industry.
    pub industry: Option<String>,
    /// Web site.
    pub website: Option<String>,
    /// Main phone number (E.164 when the country is known).
    pub phone: Option<String>,
    /// Main e-mail address.
    pub email: Option<String>,
    /// Billing address: city.
    pub city: Option<String>,
    /// Billing address: postcode (territory rules match its prefix).
    pub postcode: Option<String>,
    /// Billing address: country, an ISO 3166 code (an English name given is stored as
    /// its code).
    pub country: Option<String>,
    /// Owning user.
    pub owner: Option<String>,
    /// The sales territory (set by hand or by `territory assign`).
    pub territory_id: Option<Id>,
    /// Billing address: street (lines separated by newlines).
    pub street: Option<String>,
    /// Billing address: region, state or province.
    pub region: Option<String>,
    /// Shipping address: street.
    pub shipping_street: Option<String>,
    /// Shipping address: postcode.
    pub shipping_postcode: Option<String>,
    /// Shipping address: city.
    pub shipping_city: Option<String>,
    /// Shipping address: region.
    pub shipping_region: Option<String>,
    /// Shipping address: country (ISO code).
    pub shipping_country: Option<String>,
}

impl Record for Account {
    fn check(&mut self, old: Option<&Self>, _ctx: &Context) -> Result<(), Invalid> {
        required("name", &mut self.name)?;
        for f in [
            &mut self.industry,
            &mut self.website,
            &mut self.city,
            &mut self.postcode,
            &mut self.country,
            &mut self.owner,
            &mut self.street,
            &mut self.region,
            &mut self.shipping_street,
            &mut self.shipping_postcode,
            &mut self.shipping_city,
            &mut self.shipping_region,
            &mut self.shipping_country,
        ] {
            tidy(f);
        }
        opt_email("email", &mut self.email)?;
        crate::model::country::check("country", &mut self.country, old.and_then(|o| o.country.as_deref()))?;
        crate::model::country::check(
            "shipping_country",
            &mut self.shipping_country,
            old.and_then(|o| o.shipping_country.as_deref()),
        )?;
        opt_phone("phone", &mut self.phone, self.country.as_deref())
    }

    fn links(&self) -> Vec<Link> {
        let mut out = Vec::new();
        link(&mut out, "territory_id", EntityKind::Territory, self.territory_id);
        out
    }

    fn indexes(&self) -> Vec<(Index, String)> {
        self.owner.iter().map(|o| (Index::Owner, o.clone())).collect()
    }

    fn title(&self) -> String {
        self.name.clone()
    }
}
