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

/// Parses a non-negative amount ("12500.50", "1,200", "1 200.5").
pub fn parse_amount(text: &str) -> Result<Decimal, String> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '_' | '\u{a0}'))
        .collect();
    let value: Decimal = cleaned
        .parse()
        .map_err(|_| format!("'{text}' is not an amount (use digits and a dot, e.g. 12500.50)"))?;
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
        let d = |s: &str| s.parse::<Decimal>().expect("decimal");
        assert_eq!(round_to_minor(d("2.345"), "EUR"), d("2.35"));
        assert_eq!(round_to_minor(d("2.5"), "JPY"), d("3"));
        assert_eq!(round_to_minor(d("1.0005"), "KWD"), d("1.001"));
    }

    #[test]
    fn parses_amounts_and_refuses_negatives() {
        assert_eq!(parse_amount("1,200.50"), Ok("1200.50".parse().expect("decimal")));
        assert!(parse_amount("-1").is_err());
        assert!(parse_amount("abc").is_err());
        assert_eq!(parse_currency("usd"), Ok("USD".into()));
        assert!(parse_currency("XYZ").is_err());
        assert_eq!(
            display("1234567.5".parse().expect("decimal"), "EUR"),
            "1,234,567.50 EUR"
        );
    }
}
