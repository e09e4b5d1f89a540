//! A sales territory: a named area (optionally inside a parent territory), the users who
//! work it, and the rules that say which accounts belong to it. [`Rules::score`] is the
//! one place the "most specific rule wins" order is defined.

use serde::{Deserialize, Serialize};

use super::{required, tidy};
use crate::model::entity::{Context, EntityKind, Link, Record, link};
use crate::model::validate::Invalid;
use crate::model::{Id, phone};

/// A sales territory.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Territory {
    /// Name ("DACH South").
    pub name: String,
    /// The territory this one lies in.
    pub parent_id: Option<Id>,
    /// Logins of the users who work it.
    pub members: Vec<String>,
    /// Rule: ISO 3166 alpha-2 country codes (upper case).
    pub countries: Vec<String>,
    /// Rule: postcode prefixes (upper case, no spaces).
    pub postcodes: Vec<String>,
    /// Rule: industries (matched ignoring case).
    pub industries: Vec<String>,
}

impl Record for Territory {
    fn check(&mut self, _old: Option<&Self>, _ctx: &Context) -> Result<(), Invalid> {
        required("name", &mut self.name)?;
        // Lists may come as one comma-separated value (`--countries DE,AT`).
        let split = |list: &[String]| -> Vec<String> {
            list.iter()
                .flat_map(|v| v.split([',', ';']))
                .map(ToString::to_string)
                .collect()
        };
        let mut members = Vec::new();
        for m in &split(&self.members) {
            let m = m.trim();
            if m.is_empty() {
                continue;
            }
            super::check_login(m).map_err(|e| Invalid::new("members", e))?;
            push_unique(&mut members, m.to_string());
        }
        self.members = members;
        let mut countries = Vec::new();
        for c in &split(&self.countries) {
            let c = c.trim();
            if c.is_empty() {
                continue;
            }
            let code = country_code(c).ok_or_else(|| {
                Invalid::new(
                    "countries",
                    format!("'{c}' is not a country; use an ISO 3166 code such as DE or AT"),
                )
            })?;
            push_unique(&mut countries, code);
        }
        self.countries = countries;
        let mut postcodes = Vec::new();
        for p in &split(&self.postcodes) {
            let p = fold_postcode(p);
            if p.is_empty() {
                continue;
            }
            if !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(Invalid::new(
                    "postcodes",
                    format!("'{p}' is not a postcode prefix; use letters and digits such as 80 or SW1"),
                ));
            }
            push_unique(&mut postcodes, p);
        }
        self.postcodes = postcodes;
        let mut industries = Vec::new();
        for i in &split(&self.industries) {
            let mut v = Some(i.clone());
            tidy(&mut v);
            if let Some(v) = v {
                push_unique(&mut industries, v);
            }
        }
        self.industries = industries;
        Ok(())
    }

    fn links(&self) -> Vec<Link> {
        let mut out = Vec::new();
        link(&mut out, "parent_id", EntityKind::Territory, self.parent_id);
        out
    }

    fn title(&self) -> String {
        self.name.clone()
    }
}

fn push_unique(list: &mut Vec<String>, v: String) {
    if !list.contains(&v) {
        list.push(v);
    }
}

/// A country given as an ISO code or an English name, as its upper-case alpha-2 code.
/// Two letters are taken as a code even when the phone table does not list the country.
#[must_use]
pub fn country_code(text: &str) -> Option<String> {
    let t = text.trim();
    if let Some(code) = phone::country_code(t) {
        return Some(code.to_string());
    }
    (t.len() == 2 && t.chars().all(|c| c.is_ascii_alphabetic())).then(|| t.to_ascii_uppercase())
}

/// A postcode folded for prefix matching: upper case, no spaces.
#[must_use]
pub fn fold_postcode(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// What the rules look at on an account.
#[derive(Clone, Debug, Default)]
pub struct Place<'a> {
    /// Country (code or name).
    pub country: Option<&'a str>,
    /// Postcode.
    pub postcode: Option<&'a str>,
    /// Industry.
    pub industry: Option<&'a str>,
}

/// How specifically a territory's rules match a place; higher wins. Compared in order:
/// the longest matching postcode prefix (a postcode rule only counts when the territory's
/// country rule, if any, matches too), then a country match, then an industry match.
/// `None` when the territory has rules and one of them contradicts the place, or when it
/// has no rules at all. Ties are broken by the caller (deeper territory in the tree, then
/// name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Score {
    /// Length of the matching postcode prefix (0: no postcode rule matched).
    pub postcode: usize,
    /// The country rule matched.
    pub country: bool,
    /// The industry rule matched.
    pub industry: bool,
}

impl Territory {
    /// How specifically this territory's rules match `place`. Every kind of rule the
    /// territory has must match (countries AND postcodes AND industries); a territory
    /// without rules matches nothing.
    #[must_use]
    pub fn score(&self, place: &Place<'_>) -> Option<Score> {
        if self.countries.is_empty() && self.postcodes.is_empty() && self.industries.is_empty() {
            return None;
        }
        let mut score = Score {
            postcode: 0,
            country: false,
            industry: false,
        };
        if !self.countries.is_empty() {
            let code = place.country.and_then(country_code)?;
            if !self.countries.contains(&code) {
                return None;
            }
            score.country = true;
        }
        if !self.postcodes.is_empty() {
            let pc = fold_postcode(place.postcode?);
            score.postcode = self
                .postcodes
                .iter()
                .filter(|p| pc.starts_with(p.as_str()))
                .map(String::len)
                .max()?;
        }
        if !self.industries.is_empty() {
            let ind = place.industry?.trim();
            if !self.industries.iter().any(|i| i.eq_ignore_ascii_case(ind)) {
                return None;
            }
            score.industry = true;
        }
        Some(score)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(countries: &[&str], postcodes: &[&str], industries: &[&str]) -> Territory {
        let mut t = Territory {
            name: "T".into(),
            countries: countries.iter().map(ToString::to_string).collect(),
            postcodes: postcodes.iter().map(ToString::to_string).collect(),
            industries: industries.iter().map(ToString::to_string).collect(),
            ..Territory::default()
        };
        t.check(None, &Context::default()).expect("valid");
        t
    }

    fn place<'a>(country: &'a str, postcode: &'a str, industry: &'a str) -> Place<'a> {
        Place {
            country: Some(country),
            postcode: Some(postcode),
            industry: Some(industry),
        }
    }

    #[test]
    fn rules_are_normalised_and_bad_ones_refused() {
        let t = t(&["de", "Austria", "DE"], &[" 80 ", "8 1"], &[" Retail "]);
        assert_eq!(t.countries, ["DE", "AT"]);
        assert_eq!(t.postcodes, ["80", "81"]);
        assert_eq!(t.industries, ["Retail"]);
        let mut bad = Territory {
            name: "X".into(),
            countries: vec!["Atlantis".into()],
            ..Territory::default()
        };
        assert_eq!(
            bad.check(None, &Context::default()).expect_err("bad").field,
            "countries"
        );
        let mut bad = Territory {
            name: "X".into(),
            members: vec!["Sara L".into()],
            ..Territory::default()
        };
        assert_eq!(bad.check(None, &Context::default()).expect_err("bad").field, "members");
    }

    #[test]
    fn every_rule_must_match_and_longer_postcode_prefixes_score_higher() {
        let p = place("Germany", "80331", "retail");
        let de = t(&["DE"], &[], &[]).score(&p).expect("country");
        let munich = t(&["DE"], &["80"], &[]).score(&p).expect("postcode");
        let inner = t(&[], &["803"], &[]).score(&p).expect("longer");
        let retail = t(&[], &[], &["Retail"]).score(&p).expect("industry");
        assert!(inner > munich && munich > de && de > retail);
        assert_eq!(t(&["AT"], &["80"], &[]).score(&p), None);
        assert_eq!(t(&["DE"], &[], &["Banking"]).score(&p), None);
        assert_eq!(t(&[], &[], &[]).score(&p), None);
        assert_eq!(t(&["DE"], &[], &[]).score(&Place::default()), None);
    }
}
