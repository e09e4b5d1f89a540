use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{currency, non_negative, opt_email, required, tidy};
use crate::model::Id;
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

impl Role {
    /// The serde names of every variant, in order (the registry's choices).
    pub const CHOICES: &'static [&'static str] = &["rep", "manager", "admin"];
}

/// A user of the system, with a sales quota. Users of the sync server are User records
/// every replica receives: `login` is their stable id (what `owner` stores), `name` how
/// people see them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct User {
    /// Login on the sync server: the value `owner` fields store. Empty for users made
    /// only on this laptop.
    pub login: Option<String>,
    /// Display name ("Sara Lindqvist").
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
            login: None,
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
        tidy(&mut self.login);
        if let Some(l) = &self.login
            && l.chars().any(char::is_whitespace)
        {
            return Err(Invalid::new("login", format!("'{l}' has spaces; {}", login_hint(l))));
        }
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

/// The id of the User record of a server login: the same on every server process and
/// every replica (derived from the login, so no coordination is needed).
#[must_use]
pub fn user_record_id(login: &str) -> Id {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("outpost user\0{login}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    // A version 8 (custom) UUID, RFC 9562 variant.
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    Id(uuid::Uuid::from_bytes(b))
}

/// Checks a login: 1-64 lowercase letters, digits, `.`, `_` or `-`, starting with a
/// letter or digit. The message suggests a valid login.
pub fn check_login(login: &str) -> Result<(), String> {
    let ok = !login.is_empty()
        && login.len() <= 64
        && login.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && login
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!("'{login}' is not a valid login; {}", login_hint(login)))
    }
}

fn login_hint(login: &str) -> String {
    let rule = "a login is 1-64 lowercase letters, digits, '.', '_' or '-'";
    match suggest_login(login) {
        Some(s) => format!(
            "{rule}, e.g. `{s}` (give the display name with --name \"{}\")",
            login.trim()
        ),
        None => format!("{rule}, e.g. `sara`"),
    }
}

/// A valid login made from `text` ("Kenji Mori" -> "kenji.mori"), if it has letters or
/// digits to make one from.
#[must_use]
pub fn suggest_login(text: &str) -> Option<String> {
    let mut out = String::new();
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-') {
            out.push(c);
        } else if (c.is_whitespace() || c == '.') && !out.is_empty() && !out.ends_with('.') {
            out.push('.');
        }
    }
    let out: String = out.trim_end_matches('.').chars().take(64).collect();
    check_login_plain(&out).then_some(out)
}

fn check_login_plain(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

/// Whether `text` names the person with this login, display name and e-mail: equal to
/// any of them, ignoring case and surrounding spaces. Empty text names nobody.
#[must_use]
pub fn names_person(text: &str, login: &str, name: Option<&str>, email: Option<&str>) -> bool {
    let t = text.trim();
    if t.is_empty() {
        return false;
    }
    let same = |v: &str| {
        let v = v.trim();
        !v.is_empty() && (v.eq_ignore_ascii_case(t) || v.to_lowercase() == t.to_lowercase())
    };
    same(login) || name.is_some_and(same) || email.is_some_and(same)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_lowercase_words_and_bad_ones_get_a_suggestion() {
        for ok in ["sara", "anna.meyer", "k_mori", "rep-2", "007"] {
            assert!(check_login(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Kenji Mori", "Anna", "a b", "sara@example.com", ".x", "ü"] {
            assert!(check_login(bad).is_err(), "{bad}");
        }
        let e = check_login("Kenji Mori").expect_err("invalid");
        assert!(e.contains("kenji.mori") && e.contains("--name \"Kenji Mori\""), "{e}");
        assert!(check_login("Anna").expect_err("invalid").contains("`anna`"));
        assert_eq!(suggest_login("sara@example.com").as_deref(), Some("saraexample.com"));
        assert_eq!(suggest_login("  "), None);
        assert!(check_login(&"a".repeat(65)).is_err());
    }

    #[test]
    fn a_person_is_named_by_login_name_or_email_ignoring_case() {
        let p = |t: &str| names_person(t, "sara", Some("Sara Lindqvist"), Some("sara@example.com"));
        assert!(p("sara"));
        assert!(p(" SARA "));
        assert!(p("sara lindqvist"));
        assert!(p("Sara@Example.com"));
        assert!(!p(""));
        assert!(!p("Sara L"));
        assert!(!p("ben"));
        assert!(names_person("Åsa Öberg", "asa", Some("åsa öberg"), None));
        assert!(!names_person("x", "sara", None, None));
    }

    #[test]
    fn user_record_ids_are_stable_per_login() {
        assert_eq!(user_record_id("sara"), user_record_id("sara"));
        assert_ne!(user_record_id("sara"), user_record_id("ben"));
        assert_eq!(user_record_id("sara").0.get_version_num(), 8);
    }
}
