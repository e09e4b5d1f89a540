//! Turns text from flags or CSV cells into stored field values, using the field registry.

use chrono::{DateTime, Duration, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde_json::{Value, json};

use super::spec::{Spec, Ty};
use crate::model::money::{DEFAULT_CURRENCY, NumberLocale, parse_amount, parse_currency};
use crate::model::{EntityKind, Fields, Id};

/// A value that could not be read: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's flag / column name.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Resolves a REF (id, id prefix or unique name) of a kind to an id.
pub type Resolver<'a> = dyn FnMut(EntityKind, &str) -> Result<Id, String> + 'a;

/// Builds stored fields from (spec, texts) pairs. Empty text clears a field. `now` (the
/// app's clock) gives meaning to "now", "today" and "+3d"; decimal fields are read the
/// way `locale` writes numbers (see `money::parse_decimal`).
pub fn build(
    values: &[(&'static Spec, Vec<String>)],
    now: DateTime<Utc>,
    locale: &NumberLocale,
    resolve: &mut Resolver<'_>,
) -> Result<Fields, FieldError> {
    let tz = values
        .iter()
        .find(|(s, _)| s.json == "tz")
        .and_then(|(_, v)| v.last())
        .filter(|t| !t.trim().is_empty())
        .map(|t| {
            t.trim().parse::<chrono_tz::Tz>().map_err(|_| {
                err(
                    "tz",
                    format!("'{t}' is not a time zone (e.g. Europe/Berlin, America/New_York)"),
                )
            })
        })
        .transpose()?;
    let price_currency = values
        .iter()
        .find(|(s, _)| s.ty == Ty::PriceCurrency)
        .and_then(|(_, v)| v.last())
        .map(|c| parse_currency(c).map_err(|m| err("currency", m)))
        .transpose()?;
    let mut fields = Fields::new();
    for (spec, texts) in values {
        let value =
            parse(spec, texts, tz, price_currency.as_deref(), now, locale, resolve).map_err(|m| err(spec.flag, m))?;
        if spec.ty != Ty::PriceCurrency {
            fields.insert(spec.json.to_string(), value);
        }
    }
    Ok(fields)
}

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_string(),
        message: message.into(),
    }
}

fn parse(
    spec: &Spec,
    texts: &[String],
    tz: Option<chrono_tz::Tz>,
    price_currency: Option<&str>,
    now: DateTime<Utc>,
    locale: &NumberLocale,
    resolve: &mut Resolver<'_>,
) -> Result<Value, String> {
    if spec.ty == Ty::List {
        let items: Vec<Value> = texts
            .iter()
            .flat_map(|t| t.split(';'))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| Value::String(t.to_string()))
            .collect();
        return Ok(Value::Array(items));
    }
    let text = texts.last().map_or("", |t| t.trim());
    if text.is_empty() {
        return Ok(match spec.ty {
            Ty::Prices => json!({}),
            Ty::Bool => Value::Bool(false),
            _ => Value::Null,
        });
    }
    Ok(match spec.ty {
        Ty::Text | Ty::List => Value::String(text.to_string()),
        Ty::Amount => Value::String(parse_amount(text, locale)?.to_string()),
        Ty::Currency | Ty::PriceCurrency => Value::String(parse_currency(text)?),
        Ty::Int => Value::from(text.parse::<u32>().map_err(|_| {
            if text.trim_start_matches('-').chars().all(|c| c.is_ascii_digit()) {
                format!("{text} is out of range")
            } else {
                format!("'{text}' is not a whole number")
            }
        })?),
        Ty::Date => Value::String(parse_date(text, now.with_timezone(&Local).date_naive())?.to_string()),
        Ty::DateTime => {
            Value::String(parse_datetime(text, tz, now)?.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        }
        Ty::Bool => Value::Bool(parse_bool(text)?),
        Ty::Ref(kind) => Value::String(resolve(kind, text)?.to_string()),
        Ty::Choice(options) => {
            let lower = text.to_ascii_lowercase();
            if options.contains(&lower.as_str()) {
                Value::String(lower)
            } else {
                return Err(format!("'{text}' is not one of: {}", options.join(", ")));
            }
        }
        Ty::Prices => parse_prices(text, price_currency, locale)?,
    })
}

/// "100" (in `currency`) or "EUR 100; USD 120.50" -> {"EUR": "100", ...}.
fn parse_prices(text: &str, currency: Option<&str>, locale: &NumberLocale) -> Result<Value, String> {
    let mut map = serde_json::Map::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (code, amount) = match part.split_once(|c: char| c.is_whitespace() || c == '=') {
            Some((a, b)) if a.chars().all(|c| c.is_ascii_alphabetic()) => (parse_currency(a)?, b.trim()),
            _ => (currency.unwrap_or(DEFAULT_CURRENCY).to_string(), part),
        };
        let amount = parse_amount(amount, locale)?.to_string();
        if map.contains_key(&code) {
            return Err(format!(
                "{code} is given twice in '{text}'; give one price per currency"
            ));
        }
        map.insert(code, Value::String(amount));
    }
    Ok(Value::Object(map))
}

/// true/false, yes/no, y/n, 1/0, on/off.
pub fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "on" | "x" => Ok(true),
        "false" | "no" | "n" | "0" | "off" | "" => Ok(false),
        _ => Err(format!("'{text}' is not yes or no")),
    }
}

/// YYYY-MM-DD, today, tomorrow, yesterday, +3d, -2d, +2w.
pub fn parse_date(text: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let t = text.trim().to_ascii_lowercase();
    let bad = || format!("'{text}' is not a date (YYYY-MM-DD, today, tomorrow, +3d, +2w)");
    match t.as_str() {
        "today" => return Ok(today),
        "tomorrow" => return Ok(today + Duration::days(1)),
        "yesterday" => return Ok(today - Duration::days(1)),
        _ => {}
    }
    if let Some(rest) = t.strip_prefix('+').or_else(|| t.strip_prefix('-')) {
        let sign = if t.starts_with('-') { -1 } else { 1 };
        let (num, per) = if let Some(n) = rest.strip_suffix('d') {
            (n, 1)
        } else if let Some(n) = rest.strip_suffix('w') {
            (n, 7)
        } else {
            return Err(bad());
        };
        let n: i64 = num.parse().map_err(|_| bad())?;
        return n
            .checked_mul(per * sign)
            .and_then(Duration::try_days)
            .and_then(|d| today.checked_add_signed(d))
            .ok_or_else(|| format!("'{text}' is too far away"));
    }
    NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(|_| bad())
}

/// "YYYY-MM-DD HH:MM" (or with T, seconds, or a date alone) in `tz` or the local zone;
/// RFC 3339 as is; "now" (which is `now`).
pub fn parse_datetime(text: &str, tz: Option<chrono_tz::Tz>, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    let bad = || format!("'{text}' is not a date and time (\"YYYY-MM-DD HH:MM\")");
    let naive = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    .or_else(|| {
        let (day, time) = t.split_once(' ').unwrap_or((t, "00:00"));
        let date = parse_date(day, now.with_timezone(&Local).date_naive()).ok()?;
        let time = NaiveTime::parse_from_str(time, "%H:%M").ok()?;
        Some(date.and_time(time))
    })
    .ok_or_else(bad)?;
    let local = match tz {
        Some(tz) => tz.from_local_datetime(&naive).earliest().map(|d| d.with_timezone(&Utc)),
        None => Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|d| d.with_timezone(&Utc)),
    };
    local.ok_or_else(|| format!("'{text}' does not exist in that time zone (a daylight-saving gap)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_absolute_and_relative() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        assert_eq!(
            parse_date("2026-12-01", today),
            Ok(NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"))
        );
        assert_eq!(
            parse_date("+2w", today),
            Ok(NaiveDate::from_ymd_opt(2026, 12, 7).expect("date"))
        );
        assert_eq!(
            parse_date("tomorrow", today),
            Ok(NaiveDate::from_ymd_opt(2026, 11, 24).expect("date"))
        );
        assert!(parse_date("2026-13-01", today).is_err());
        assert!(parse_date("+xd", today).is_err());
        for bad in [
            "+5é",
            "+99999999999d",
            "+999999999999999999d",
            "-9223372036854775807w",
            "+d",
            "+",
        ] {
            assert!(parse_date(bad, today).is_err(), "{bad}");
        }
    }

    #[test]
    fn datetimes_in_a_zone() {
        let tz: chrono_tz::Tz = "Europe/Berlin".parse().expect("tz");
        let now = "2026-03-10T08:00:00Z".parse::<DateTime<Utc>>().expect("time");
        let dt = parse_datetime("2026-07-01 09:30", Some(tz), now).expect("parse");
        assert_eq!(dt.to_rfc3339(), "2026-07-01T07:30:00+00:00");
        assert!(parse_datetime("tomorrow-ish", None, now).is_err());
        assert_eq!(parse_datetime("now", None, now), Ok(now), "now is the given clock's");
    }

    #[test]
    fn prices_in_one_or_many_currencies() {
        let none = NumberLocale::none();
        assert_eq!(parse_prices("100", Some("USD"), &none), Ok(json!({"USD": "100"})));
        assert_eq!(
            parse_prices("EUR 10.5; gbp 9", None, &none),
            Ok(json!({"EUR": "10.5", "GBP": "9"}))
        );
        assert!(parse_prices("EUR x", None, &none).is_err());
        let twice = parse_prices("EUR 10; eur 12", None, &none).expect_err("twice");
        assert!(twice.contains("EUR is given twice"), "{twice}");
        assert!(
            parse_prices("100; EUR 12", Some("EUR"), &none).is_err(),
            "the default currency counts"
        );
        assert!(parse_prices("EUR 1,5", None, &none).is_err());
        let de = NumberLocale::parse("de-DE").expect("locale");
        assert_eq!(parse_prices("EUR 1.234,5", None, &de), Ok(json!({"EUR": "1234.5"})));
    }
}
