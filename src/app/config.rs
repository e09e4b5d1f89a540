//! Settings from `config.toml` in the data dir: pipeline stages, defaults, and the
//! locale numbers are typed in.

use std::path::Path;

use serde::Deserialize;

use super::AppError;
use crate::model::money::{DEFAULT_CURRENCY, NumberLocale, parse_currency};
use crate::model::stage::{Pipeline, Stage};

/// Settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Pipeline stages.
    pub pipeline: Pipeline,
    /// Currency for new deals, quotes and prices.
    pub currency: String,
    /// Owner given to new records when none is set.
    pub owner: Option<String>,
    /// How typed numbers are read: `locale = "de-DE"` in config.toml, else the shell's
    /// `LC_ALL` / `LC_NUMERIC` / `LANG`; none means a comma in a number is refused.
    pub locale: NumberLocale,
    /// Exchange rates for reports: `[rates]` `USD = 0.92` means one USD is 0.92 of
    /// `currency`. A currency without a rate is reported apart.
    pub rates: std::collections::BTreeMap<String, rust_decimal::Decimal>,
    /// `sync_every = "15m"`: the TUI syncs on its own this often while a server is set up
    /// and reachable.
    pub sync_every: Option<std::time::Duration>,
    /// The locale documents print amounts in: `locale` in config.toml only (not the
    /// shell's); none prints a dot.
    pub document_locale: NumberLocale,
    /// `[quotes]`: discount limits per role, the seller, terms and the PDF font.
    pub quotes: QuotesConfig,
}

/// Reads an interval like `15m`, `1h`, `90s` or `1h30m` (at least a minute).
pub fn parse_every(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let mut secs = 0u64;
    let mut digits = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => {
                return Err(format!(
                    "'{t}' is not an interval; write it like \"15m\", \"1h\" or \"90s\""
                ));
            }
        };
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("'{t}' is not an interval; write it like \"15m\", \"1h\" or \"90s\""))?;
        secs = secs.saturating_add(n.saturating_mul(unit));
        digits.clear();
    }
    if !digits.is_empty() || t.is_empty() {
        return Err(format!("'{t}' needs a unit: s, m or h (\"15m\")"));
    }
    if secs < 60 {
        return Err(format!("'{t}' is too often; sync at most once a minute (\"1m\")"));
    }
    Ok(std::time::Duration::from_secs(secs))
}

/// `[quotes]` in config.toml.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotesConfig {
    /// The largest discount (percent, see `totals::max_discount`) each role may give
    /// without approval: `discount_limits = { rep = 15, manager = 30 }`. A role not
    /// listed has no limit.
    #[serde(default, deserialize_with = "decimal_map")]
    pub discount_limits: std::collections::BTreeMap<String, rust_decimal::Decimal>,
    /// Role of this laptop's user when not logged in to a server (default `rep`).
    pub role: Option<String>,
    /// Terms printed under the totals.
    pub terms: Option<String>,
    /// The TrueType/OpenType font (or collection) PDFs are set in; default the
    /// WenQuanYi Micro Hei of Debian's `fonts-wqy-microhei`.
    pub font: Option<std::path::PathBuf>,
    /// Which face of a font collection (`.ttc`), default 0.
    #[serde(default)]
    pub font_index: u32,
    /// The seller printed on documents.
    #[serde(default)]
    pub seller: Seller,
}

/// Reads `{ rep = 15, manager = "30.5" }`: TOML integers, floats or decimal strings.
fn decimal_map<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<std::collections::BTreeMap<String, rust_decimal::Decimal>, D::Error> {
    let raw = std::collections::BTreeMap::<String, toml::Value>::deserialize(d)?;
    raw.into_iter()
        .map(|(k, v)| {
            let parsed: Option<rust_decimal::Decimal> = match &v {
                toml::Value::Float(f) => f.to_string().parse().ok(),
                toml::Value::Integer(i) => Some((*i).into()),
                toml::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            parsed
                .map(|p| (k.clone(), p))
                .ok_or_else(|| serde::de::Error::custom(format!("{k} = {v}: a limit is a number (percent)")))
        })
        .collect()
}

/// `[quotes.seller]`: who sells, as printed on documents.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seller {
    /// Company name.
    pub name: Option<String>,
    /// Postal address; lines separated by newlines.
    pub address: Option<String>,
    /// VAT or tax id.
    pub tax_id: Option<String>,
    /// A PNG or JPEG logo (HTML documents link it; PDF and Markdown print the name).
    pub logo: Option<std::path::PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            pipeline: Pipeline::default(),
            currency: DEFAULT_CURRENCY.to_string(),
            owner: None,
            locale: NumberLocale::none(),
            rates: std::collections::BTreeMap::new(),
            sync_every: None,
            quotes: QuotesConfig::default(),
            document_locale: NumberLocale::none(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    currency: Option<String>,
    owner: Option<String>,
    locale: Option<String>,
    #[serde(default)]
    stages: Vec<Stage>,
    #[serde(default)]
    rates: std::collections::BTreeMap<String, toml::Value>,
    sync_every: Option<String>,
    #[serde(default)]
    quotes: QuotesConfig,
}

impl Config {
    /// Reads `DATA_DIR/config.toml` if it exists; defaults otherwise.
    pub fn load(data_dir: &Path) -> Result<Self, AppError> {
        let path = data_dir.join("config.toml");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self {
                    locale: NumberLocale::from_env(),
                    ..Self::default()
                });
            }
            Err(e) => return Err(AppError::io(&path, e)),
        };
        let file: File = toml::from_str(&text).map_err(|e| AppError::Invalid(format!("{}: {e}", path.display())))?;
        let mut config = Self::default();
        if let Some(c) = file.currency {
            config.currency =
                parse_currency(&c).map_err(|m| AppError::Invalid(format!("{}: currency: {m}", path.display())))?;
        }
        config.owner = file.owner;
        if let Some(every) = &file.sync_every {
            config.sync_every = Some(
                parse_every(every).map_err(|m| AppError::Invalid(format!("{}: sync_every: {m}", path.display())))?,
            );
        }
        for (role, limit) in &file.quotes.discount_limits {
            if !crate::model::records::Role::CHOICES.contains(&role.as_str()) {
                return Err(AppError::Invalid(format!(
                    "{}: quotes.discount_limits: '{role}' is not a role; roles are {}",
                    path.display(),
                    crate::model::records::Role::CHOICES.join(", ")
                )));
            }
            if limit.is_sign_negative() || *limit > rust_decimal::Decimal::ONE_HUNDRED {
                return Err(AppError::Invalid(format!(
                    "{}: quotes.discount_limits.{role} = {limit}: a limit is a percentage from 0 to 100",
                    path.display()
                )));
            }
        }
        if let Some(role) = &file.quotes.role
            && !crate::model::records::Role::CHOICES.contains(&role.as_str())
        {
            return Err(AppError::Invalid(format!(
                "{}: quotes.role: '{role}' is not a role; roles are {}",
                path.display(),
                crate::model::records::Role::CHOICES.join(", ")
            )));
        }
        config.quotes = file.quotes;
        for (code, rate) in &file.rates {
            let code =
                parse_currency(code).map_err(|m| AppError::Invalid(format!("{}: rates: {m}", path.display())))?;
            let parsed: Option<rust_decimal::Decimal> = match rate {
                toml::Value::Float(f) => f.to_string().parse().ok(),
                toml::Value::Integer(i) => Some((*i).into()),
                toml::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            match parsed.filter(|r| *r > rust_decimal::Decimal::ZERO) {
                Some(r) => {
                    config.rates.insert(code, r);
                }
                None => {
                    return Err(AppError::Invalid(format!(
                        "{}: rates: {code} = {rate}: a rate is a positive number (1 {code} in {})",
                        path.display(),
                        config.currency
                    )));
                }
            }
        }
        config.locale = match &file.locale {
            Some(l) => {
                NumberLocale::parse(l).map_err(|m| AppError::Invalid(format!("{}: locale: {m}", path.display())))?
            }
            None => NumberLocale::from_env(),
        };
        if file.locale.is_some() {
            config.document_locale = config.locale.clone();
        }
        if !file.stages.is_empty() {
            if let Some(bad) = file
                .stages
                .iter()
                .find(|s| s.probability > 100 || s.name.trim().is_empty())
            {
                return Err(AppError::Invalid(format!(
                    "{}: stage '{}' needs a name and a probability from 0 to 100",
                    path.display(),
                    bad.name
                )));
            }
            config.pipeline = Pipeline { stages: file.stages };
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sync_every_reads_minutes_hours_and_refuses_nonsense() {
        assert_eq!(super::parse_every("15m"), Ok(std::time::Duration::from_secs(900)));
        assert_eq!(super::parse_every("1h30m"), Ok(std::time::Duration::from_secs(5400)));
        assert!(super::parse_every("15").is_err_and(|e| e.contains("unit")));
        assert!(super::parse_every("10s").is_err_and(|e| e.contains("once a minute")));
        assert!(super::parse_every("soon").is_err());
    }
}
