use serde::{Deserialize, Serialize};

use super::{opt_email, opt_phone, required, tidy};
use crate::model::Id;
use crate::model::entity::{Context, EntityKind, Index, Link, Record, link};
use crate::model::validate::Invalid;

/// Where a lead is in qualification.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    /// Not yet worked.
    #[default]
    New,
    /// Reached out.
    Contacted,
    /// Worth pursuing.
    Qualified,
    /// Not worth pursuing.
    Disqualified,
    /// Turned into an account, contact and maybe an opportunity.
    Converted,
}

impl LeadStatus {
    /// The serde names people may set (`converted` is set by converting).
    pub const CHOICES: &'static [&'static str] = &["new", "contacted", "qualified", "disqualified"];
}

/// An unqualified prospect.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Lead {
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// The company the person works for.
    pub company: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Where the lead came from (web, trade show, referral...).
    pub source: Option<String>,
    /// Qualification status.
    pub status: LeadStatus,
    /// Country, for the phone number.
    pub country: Option<String>,
    /// Owning user.
    pub owner: Option<String>,
    /// The account made or linked on conversion.
    pub converted_account_id: Option<Id>,
    /// The contact made on conversion.
    pub converted_contact_id: Option<Id>,
    /// The opportunity made on conversion.
    pub converted_opportunity_id: Option<Id>,
}

impl Record for Lead {
    fn check(&mut self, old: Option<&Self>, _ctx: &Context) -> Result<(), Invalid> {
        required("first_name", &mut self.first_name)?;
        required("last_name", &mut self.last_name)?;
        required("company", &mut self.company)?;
        for f in [&mut self.source, &mut self.country, &mut self.owner] {
            tidy(f);
        }
        opt_email("email", &mut self.email)?;
        crate::model::country::check("country", &mut self.country, old.and_then(|o| o.country.as_deref()))?;
        opt_phone("phone", &mut self.phone, self.country.as_deref())?;
        if self.status == LeadStatus::Converted && self.converted_contact_id.is_none() {
            return Err(Invalid::new(
                "status",
                "a lead becomes converted through `outpost lead convert`",
            ));
        }
        Ok(())
    }

    fn links(&self) -> Vec<Link> {
        let mut out = Vec::new();
        link(
            &mut out,
            "converted_account_id",
            EntityKind::Account,
            self.converted_account_id,
        );
        link(
            &mut out,
            "converted_contact_id",
            EntityKind::Contact,
            self.converted_contact_id,
        );
        link(
            &mut out,
            "converted_opportunity_id",
            EntityKind::Opportunity,
            self.converted_opportunity_id,
        );
        out
    }

    fn indexes(&self) -> Vec<(Index, String)> {
        self.owner.iter().map(|o| (Index::Owner, o.clone())).collect()
    }

    fn title(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}
