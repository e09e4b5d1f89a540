//! Money: `rust_decimal` amounts with an ISO 4217 currency code. Never floats.
//!
//! Rounding to the currency's minor unit happens in one place, [`round_to_minor`],
//! half away from zero.

use rust_decimal::{Decimal, RoundingStrategy};

/// Currency used when none is given.
pub const DEFAULT_CURRENCY: &str = "EUR";

/// ISO 4217 codes in active use, with their minor-unit digits where not 2.
const CURRENCIES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD:3 BIF:0 \
BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP:0 CNY COP CRC CUP CVE CZK DJF:0 DKK DOP \
DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF:0 GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD:3 \
IRR ISK:0 JMD JOD:3 JPY:0 KES KGS KHR KMF:0 KPW KRW:0 KWD:3 KYD KZT LAK LBP LKR LRD LSL LYD:3 \
MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR:3 PAB PEN \
PGK PHP PKR PLN PYG:0 QAR RON RSD RUB RWF:0 SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN \
SYP SZL THB TJS TMT TND:3 TOP TRY TTD TWD TZS UAH UGX:0 USD UYU UZS VES VND:0 VUV:0 WST XAF:0 \
XCD XOF:0 XPF:0 YER ZAR ZMW ZWL";

/// Minor-unit digits of a known ISO 4217 currency, or `None` for an unknown code.
#[must_use]
pub fn minor_digits(code: &str) -> Option<u32> {
    CURRENCIES.split_whitespace().find_map(|entry| {
        let (c, digits) = entry.split_once(':').unwrap_or((entry, "2"));
        (c == code).then(|| digits.parse().unwrap_or(2))
    })
}

/// Normalises a currency code ("eur" -> "EUR") or says why it is not one.
pub fn parse_currency(code: &str) -> Result<String, String> {
    let up = code.trim().to_ascii_uppercase();
    if minor_digits(&up).is_some() {
        Ok(up)
    } else {
        Err(format!(
            "'{code}' is not an ISO 4217 currency code (for example EUR, USD, GBP, JPY)"
        ))
    }
}

/// The largest amount accepted anywhere (a trillion times a thousand), far above any deal,
/// and low enough that sums and weighted sums of many such amounts cannot overflow.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// Checks an amount is within 0..=[`MAX_AMOUNT`].
pub fn check_range(value: Decimal) -> Result<(), String> {
    if value.is_sign_negative() && !value.is_zero() {
        Err(format!("{value} is negative; amounts must be 0 or more"))
    } else if value > Decimal::from(MAX_AMOUNT) {
        Err(format!("{value} is too large; amounts go up to {MAX_AMOUNT}"))
    } else {
        Ok(())
    }
}

/// How people write numbers where they type them: which character is the decimal mark.
/// Comes from `locale = "de-DE"` in config.toml, else from the shell's `LC_ALL`,
/// `LC_NUMERIC` or `LANG` (e.g. `de_DE.UTF-8`). Without one (`C`, `POSIX`, unset) a
/// comma in a number is refused, since `1,5` is 1.5 in one language and 15 in another.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NumberLocale {
    /// The locale's name as given, e.g. "de-DE"; empty when there is none.
    name: String,
    /// `,` or `.`; `None` when no locale is known.
    decimal: Option<char>,
}

/// Languages that write a decimal comma (`1.234,56` or `1 234,56`).
const DECIMAL_COMMA: &[&str] = &[
    "af", "az", "be", "bg", "bs", "ca", "cs", "da", "de", "el", "es", "et", "eu", "fi", "fo", "fr", "gl", "hr", "hu",
    "hy", "id", "is", "it", "ka", "kk", "ky", "lb", "lt", "lv", "mk", "mn", "nb", "nl", "nn", "no", "pl", "pt", "ro",
    "ru", "sk", "sl", "sq", "sr", "sv", "tr", "uk", "uz", "vi",
];

/// Languages that write a decimal point (`1,234.56`).
const DECIMAL_POINT: &[&str] = &[
    "am", "ar", "bn", "cy", "en", "fa", "ga", "gu", "he", "hi", "ja", "km", "kn", "ko", "lo", "ml", "mr", "ms", "mt",
    "my", "ne", "pa", "si", "sw", "ta", "te", "th", "tl", "ur", "yo", "zh", "zu",
];

/// Language-region pairs that differ from their language.
const POINT_REGIONS: &[&str] = &[
    "de-CH", "de-LI", "it-CH", "es-MX", "es-US", "es-PR", "es-DO", "es-GT", "es-HN", "es-NI", "es-PA", "es-SV", "es-PE",
];

impl NumberLocale {
    /// No locale: commas in numbers are refused.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// Reads a locale name: "de-DE", "de_DE.UTF-8", "en_US", "fr". `C`, `POSIX` and ""
    /// mean no locale. An unknown language is an error.
    pub fn parse(name: &str) -> Result<Self, String> {
        let trimmed = name.trim();
        let base = trimmed.split(['.', '@']).next().unwrap_or("").replace('_', "-");
        if base.is_empty() || base.eq_ignore_ascii_case("C") || base.eq_ignore_ascii_case("POSIX") {
            return Ok(Self::none());
        }
        let mut parts = base.split('-');
        let lang = parts.next().unwrap_or("").to_ascii_lowercase();
        let region = parts.next().map(str::to_ascii_uppercase);
        let tag = match &region {
            Some(r) => format!("{lang}-{r}"),
            None => lang.clone(),
        };
        let decimal = if POINT_REGIONS.contains(&tag.as_str()) || DECIMAL_POINT.contains(&lang.as_str()) {
            '.'
        } else if DECIMAL_COMMA.contains(&lang.as_str()) {
            ','
        } else {
            return Err(format!(
                "'{name}' is not a locale outpost knows; use a language tag such as de-DE, fr-FR, en-US or en-GB"
            ));
        };
        Ok(Self {
            name: tag,
            decimal: Some(decimal),
        })
    }

    /// The locale of the shell: `LC_ALL`, else `LC_NUMERIC`, else `LANG` (the first that
    /// is set and not empty). An unknown one counts as none.
    #[must_use]
    pub fn from_env() -> Self {
        ["LC_ALL", "LC_NUMERIC", "LANG"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .find(|v| !v.trim().is_empty())
            .and_then(|v| Self::parse(&v).ok())
            .unwrap_or_default()
    }

    /// The decimal mark, or `None` without a locale.
    #[must_use]
    pub fn decimal(&self) -> Option<char> {
        self.decimal
    }

    /// The locale's name ("de-DE"), or "" without one.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Characters that may group thousands besides the locale's own (`1 234 567`).
fn is_space_group(c: char) -> bool {
    matches!(c, ' ' | '_' | '\u{a0}' | '\u{202f}' | '\'')
}

/// Reads `text` with `decimal` as the decimal mark and `group` (or a space) grouping
/// thousands: groups must be whole (`1,234,567`), never inside the fraction.
fn strict(text: &str, decimal: char, group: char) -> Option<Decimal> {
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.strip_prefix('+').unwrap_or(text)),
    };
    let mut halves = body.split(decimal);
    let int = halves.next().unwrap_or("");
    let frac = halves.next();
    if halves.next().is_some() {
        return None;
    }
    if let Some(f) = frac
        && (f.is_empty() || !f.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let seps: Vec<char> = int.chars().filter(|c| !c.is_ascii_digit()).collect();
    if seps.iter().any(|c| *c != group && !is_space_group(*c)) || seps.windows(2).any(|w| w[0] != w[1]) {
        return None;
    }
    let digits: String = if let Some(&sep) = seps.first() {
        let groups: Vec<&str> = int.split(sep).collect();
        // 1 to 3 digits first, and no leading zero: "0.125" groups nothing.
        let first_ok = (1..=3).contains(&groups[0].len()) && !groups[0].starts_with('0');
        if !first_ok || groups[1..].iter().any(|g| g.len() != 3) {
            return None;
        }
        groups.concat()
    } else {
        int.to_string()
    };
    if digits.is_empty() && frac.is_none() {
        return None;
    }
    let canonical = match frac {
        Some(f) => format!("{sign}{}.{f}", if digits.is_empty() { "0" } else { &digits }),
        None => format!("{sign}{digits}"),
    };
    canonical.parse().ok()
}

/// The ways `text` could be read, for a message: decimal comma, decimal point, and
/// commas dropped.
fn readings(text: &str) -> Vec<Decimal> {
    let mut out: Vec<Decimal> = Vec::new();
    let dropped: String = text.chars().filter(|c| *c != ',').collect();
    for value in [strict(text, ',', '.'), strict(text, '.', ','), dropped.parse().ok()]
        .into_iter()
        .flatten()
    {
        if !out.iter().any(|o| o.normalize() == value.normalize()) {
            out.push(value);
        }
    }
    out
}

/// Reads a decimal number written the way `locale` writes it, or says why not. Never
/// guesses: a number that reads two ways under the locale (or any comma without a locale)
/// is refused with the readings.
///
/// - no locale: `1234.56`, `1 234.56`; any comma is refused.
/// - decimal point (en-US): `1,234.56`, `1234.56`; commas only in whole groups of three.
/// - decimal comma (de-DE): `1.234,56`, `1234,56`, `1 234,56`, `1.234.567`; a lone dot
///   that cannot group thousands (`12.5`, `1500.00`) can only be a decimal point and is
///   read as one; a lone dot before three digits (`12.500`) reads two ways (twelve
///   thousand five hundred, or twelve and a half as outpost's exports write it) and is
///   refused with both readings.
pub fn parse_decimal(text: &str, locale: &NumberLocale) -> Result<Decimal, String> {
    let t = text.trim();
    let not_a_number = || format!("'{text}' is not a number");
    if t.is_empty() || !t.chars().any(|c| c.is_ascii_digit()) {
        return Err(not_a_number());
    }
    let show = |v: &[Decimal]| {
        v.iter()
            .map(|d| d.normalize().to_string())
            .collect::<Vec<_>>()
            .join(" or ")
    };
    match locale.decimal {
        None => {
            if t.contains(',') {
                let r = readings(t);
                let hint = "set locale = \"de-DE\" or \"en-US\" in config.toml (or LANG), or write";
                return Err(match r.as_slice() {
                    [] => format!("'{text}' is not a number (use digits and a dot, e.g. 12500.50)"),
                    [one] => format!(
                        "\"{text}\": a comma means a decimal mark in some languages and a thousands separator in others; {hint} {}",
                        one.normalize()
                    ),
                    [first, ..] => format!("\"{text}\": is it {}? {hint} {}", show(&r), first.normalize()),
                });
            }
            strict(t, '.', '\u{0}').ok_or_else(|| format!("'{text}' is not a number (use digits and a dot, e.g. 12500.50)"))
        }
        Some('.') => strict(t, '.', ',').ok_or_else(|| {
            let r = readings(t);
            if t.contains(',') && r.len() > 1 {
                format!(
                    "\"{text}\" is not a number in {}, where a comma groups thousands (1,234.56): is it {}? write it with a dot, e.g. {}",
                    locale.name,
                    show(&r),
                    r[0].normalize()
                )
            } else {
                format!("'{text}' is not a number in {} (e.g. 1,234.56 or 1234.56)", locale.name)
            }
        }),
        Some(_) => {
            let bad = || format!("'{text}' is not a number in {} (e.g. 1.234,56 or 1234,56)", locale.name);
            if t.contains(',') {
                return strict(t, ',', '.').ok_or_else(bad);
            }
            // No comma: dots group thousands when they can; a single dot that cannot
            // is the decimal point of a machine-written number. A single dot before
            // exactly three digits ("2.125") could be either, and outpost's own exports
            // write such numbers: refused, showing both readings, never guessed.
            let grouped = strict(t, ',', '.');
            let machine = (t.matches('.').count() == 1).then(|| strict(t, '.', '\u{0}')).flatten();
            match (grouped, machine) {
                (Some(g), Some(m)) if g != m => Err(format!(
                    "\"{text}\" in {}: is it {} (a dot grouping thousands) or {} (a decimal point, as \
                     outpost's exports write numbers)? write {} or {}; to import a file outpost \
                     exported, pass --locale C",
                    locale.name,
                    g.normalize(),
                    m.normalize(),
                    g.normalize(),
                    write_decimal(&m.normalize().to_string(), locale)
                )),
                (Some(g), _) => Ok(g),
                (None, Some(m)) => Ok(m),
                (None, None) => Err(bad()),
            }
        }
    }
}

/// Writes a stored decimal ("1234.5") with the locale's decimal mark ("1234,5" in
/// de-DE), without grouping, so that [`parse_decimal`] reads it back as the same number.
#[must_use]
pub fn write_decimal(text: &str, locale: &NumberLocale) -> String {
    match locale.decimal {
        Some(',') => text.replace('.', ","),
        _ => text.to_string(),
    }
}

/// Parses a non-negative amount written the way `locale` writes numbers
/// (see [`parse_decimal`]).
pub fn parse_amount(text: &str, locale: &NumberLocale) -> Result<Decimal, String> {
    let value = parse_decimal(text, locale)?;
    check_range(value).map_err(|m| format!("amount {m}"))?;
    Ok(value)
}

/// Rounds to the currency's minor unit, half away from zero. The one rounding place.
#[must_use]
pub fn round_to_minor(amount: Decimal, currency: &str) -> Decimal {
    amount.round_dp_with_strategy(
        minor_digits(currency).unwrap_or(2),
        RoundingStrategy::MidpointAwayFromZero,
    )
}

/// Pads an amount to at least the currency's minor digits ("12500.5" -> "12500.50")
/// without rounding away extra precision.
#[must_use]
pub fn pad_to_minor(mut amount: Decimal, currency: &str) -> Decimal {
    let digits = minor_digits(currency).unwrap_or(2);
    if amount.scale() < digits {
        amount.rescale(digits);
    }
    amount
}

/// Formats an amount for people: thousands separators, the currency's minor digits.
#[must_use]
pub fn display(amount: Decimal, currency: &str) -> String {
    let rounded = round_to_minor(amount, currency);
    let digits = minor_digits(currency).unwrap_or(2) as usize;
    let text = format!("{:.*}", digits, rounded);
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    if frac.is_empty() {
        format!("{grouped} {currency}")
    } else {
        format!("{grouped}.{frac} {currency}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_away_from_zero_to_minor_units() {
        assert_eq!(round_to_minor(d("2.345"), "EUR"), d("2.35"));
        assert_eq!(round_to_minor(d("2.5"), "JPY"), d("3"));
        assert_eq!(round_to_minor(d("1.0005"), "KWD"), d("1.001"));
    }

    #[test]
    fn parses_amounts_and_refuses_negatives() {
        let none = NumberLocale::none();
        assert_eq!(parse_amount("1200.50", &none), Ok(d("1200.50")));
        assert!(parse_amount("-1", &none).is_err());
        assert!(parse_amount("abc", &none).is_err());
        assert_eq!(parse_currency("usd"), Ok("USD".into()));
        assert!(parse_currency("XYZ").is_err());
        assert_eq!(display(d("1234567.5"), "EUR"), "1,234,567.50 EUR");
    }

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn locale(name: &str) -> NumberLocale {
        NumberLocale::parse(name).expect("locale")
    }

    #[test]
    fn locale_names() {
        assert_eq!(locale("de_DE.UTF-8").decimal(), Some(','));
        assert_eq!(locale("de-DE").name(), "de-DE");
        assert_eq!(locale("en_US.utf8").decimal(), Some('.'));
        assert_eq!(locale("de_CH").decimal(), Some('.'));
        assert_eq!(locale("fr").decimal(), Some(','));
        assert_eq!(locale("C.UTF-8"), NumberLocale::none());
        assert_eq!(locale("POSIX"), NumberLocale::none());
        assert_eq!(locale(""), NumberLocale::none());
        assert!(NumberLocale::parse("xx-YY").is_err());
    }

    #[test]
    fn decimal_comma_locale() {
        let de = locale("de-DE");
        assert_eq!(parse_decimal("1.234,56", &de), Ok(d("1234.56")));
        assert_eq!(parse_decimal("12.500,00", &de), Ok(d("12500.00")));
        assert_eq!(parse_decimal("1,5", &de), Ok(d("1.5")));
        assert_eq!(parse_decimal("1234,56", &de), Ok(d("1234.56")));
        assert_eq!(parse_decimal("1 234,56", &de), Ok(d("1234.56")));
        let two_ways = parse_decimal("12.500", &de).expect_err("reads two ways");
        assert!(two_ways.contains("12500") && two_ways.contains("12.5"), "{two_ways}");
        assert!(parse_decimal("2.125", &de).is_err(), "an export's 2.125 is never 2125");
        assert_eq!(parse_decimal("1.234.567", &de), Ok(d("1234567")));
        assert_eq!(parse_decimal("1500", &de), Ok(d("1500")));
        // A lone dot that cannot group thousands is a decimal point (machine-written).
        assert_eq!(parse_decimal("12.5", &de), Ok(d("12.5")));
        assert_eq!(parse_decimal("1500.00", &de), Ok(d("1500.00")));
        assert_eq!(parse_decimal("0.125", &de), Ok(d("0.125")));
        for bad in [
            "1,234.56", "1.23,4", "12.50.0", "1,2,3", "1.2345,6", ",", "1,", "1.234.5",
        ] {
            assert!(parse_decimal(bad, &de).is_err(), "{bad}");
        }
    }

    #[test]
    fn decimal_point_locale() {
        let en = locale("en-US");
        assert_eq!(parse_decimal("1,234.56", &en), Ok(d("1234.56")));
        assert_eq!(parse_decimal("12,500", &en), Ok(d("12500")));
        assert_eq!(parse_decimal("1,234,567.5", &en), Ok(d("1234567.5")));
        assert_eq!(parse_decimal("1234.56", &en), Ok(d("1234.56")));
        assert_eq!(parse_decimal(".5", &en), Ok(d("0.5")));
        for bad in [
            "1,5",
            "12.500,00",
            "1,23.4",
            "1,2345",
            "12,50",
            "1.2.3",
            "1.5,000",
            "0,125",
        ] {
            assert!(parse_decimal(bad, &en).is_err(), "{bad}");
        }
        let message = parse_decimal("1,5", &en).expect_err("refused");
        assert!(message.contains("1.5 or 15"), "{message}");
    }

    #[test]
    fn written_decimals_read_back_the_same() {
        for name in ["de-DE", "en-US", "C"] {
            let l = locale(name);
            for text in ["1.500", "12500.00", "0.125", "7"] {
                assert_eq!(
                    parse_decimal(&write_decimal(text, &l), &l),
                    Ok(d(text)),
                    "{name} {text}"
                );
            }
        }
    }

    #[test]
    fn without_a_locale_a_comma_is_refused_with_both_readings() {
        let none = NumberLocale::none();
        assert_eq!(parse_decimal("1234.56", &none), Ok(d("1234.56")));
        assert_eq!(parse_decimal("1 234.56", &none), Ok(d("1234.56")));
        assert_eq!(parse_decimal("12500", &none), Ok(d("12500")));
        let message = parse_decimal("1,5", &none).expect_err("refused");
        assert!(message.contains("is it 1.5 or 15?"), "{message}");
        assert!(message.contains("locale = \"de-DE\""), "{message}");
        let message = parse_decimal("12.500,00", &none).expect_err("refused");
        assert!(message.contains("12500") && message.contains("12.5"), "{message}");
        assert!(
            parse_decimal("1,234.56", &none)
                .expect_err("refused")
                .contains("1234.56")
        );
        for bad in ["1.2.3", "1 23", "12,5x", "1e5", "--1", ""] {
            assert!(parse_decimal(bad, &none).is_err(), "{bad}");
        }
    }
}
