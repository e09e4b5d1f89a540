//! Phone numbers, normalised to E.164 (`+4930123456`) where the country is known.

/// Countries by ISO 3166 alpha-2 code, English name and calling code.
const COUNTRIES: &[(&str, &str, &str)] = &[
    ("AR", "Argentina", "54"),
    ("AT", "Austria", "43"),
    ("AU", "Australia", "61"),
    ("BE", "Belgium", "32"),
    ("BR", "Brazil", "55"),
    ("CA", "Canada", "1"),
    ("CH", "Switzerland", "41"),
    ("CL", "Chile", "56"),
    ("CN", "China", "86"),
    ("CO", "Colombia", "57"),
    ("CZ", "Czechia", "420"),
    ("DE", "Germany", "49"),
    ("DK", "Denmark", "45"),
    ("EG", "Egypt", "20"),
    ("ES", "Spain", "34"),
    ("FI", "Finland", "358"),
    ("FR", "France", "33"),
    ("GB", "United Kingdom", "44"),
    ("GR", "Greece", "30"),
    ("HU", "Hungary", "36"),
    ("ID", "Indonesia", "62"),
    ("IE", "Ireland", "353"),
    ("IL", "Israel", "972"),
    ("IN", "India", "91"),
    ("IT", "Italy", "39"),
    ("JP", "Japan", "81"),
    ("KE", "Kenya", "254"),
    ("KR", "South Korea", "82"),
    ("MA", "Morocco", "212"),
    ("MX", "Mexico", "52"),
    ("NG", "Nigeria", "234"),
    ("NL", "Netherlands", "31"),
    ("NO", "Norway", "47"),
    ("NZ", "New Zealand", "64"),
    ("PL", "Poland", "48"),
    ("PT", "Portugal", "351"),
    ("RO", "Romania", "40"),
    ("SA", "Saudi Arabia", "966"),
    ("SE", "Sweden", "46"),
    ("SG", "Singapore", "65"),
    ("TR", "Turkey", "90"),
    ("TW", "Taiwan", "886"),
    ("UA", "Ukraine", "380"),
    ("AE", "United Arab Emirates", "971"),
    ("US", "United States", "1"),
    ("VN", "Vietnam", "84"),
    ("ZA", "South Africa", "27"),
];

/// The calling code of a country given as an alpha-2 code or an English name.
#[must_use]
pub fn calling_code(country: &str) -> Option<&'static str> {
    find(country).map(|(_, _, cc)| *cc)
}

/// The ISO 3166 alpha-2 code of a country given as a code or an English name, when the
/// country is one this table knows.
#[must_use]
pub fn country_code(country: &str) -> Option<&'static str> {
    find(country).map(|(code, _, _)| *code)
}

fn find(country: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    let c = country.trim();
    let alias = match c.to_ascii_lowercase().as_str() {
        "uk" | "england" | "great britain" => "GB",
        "usa" | "united states of america" => "US",
        "deutschland" => "DE",
        "españa" => "ES",
        "österreich" => "AT",
        "schweiz" | "suisse" => "CH",
        "日本" => "JP",
        "中国" => "CN",
        _ => c,
    };
    COUNTRIES
        .iter()
        .find(|(code, name, _)| code.eq_ignore_ascii_case(alias) || name.eq_ignore_ascii_case(alias))
}

/// Normalises a phone number. International forms (`+49 30 1234`, `0049 30 1234`) become
/// E.164 always; national forms (`030 1234`) become E.164 when `country` is known and stay
/// as bare digits otherwise.
pub fn normalise(raw: &str, country: Option<&str>) -> Result<String, String> {
    let text = raw.trim();
    let bad = |why: &str| format!("'{raw}' is not a phone number: {why}");
    if text.is_empty() {
        return Err(bad("it is empty"));
    }
    let mut digits = String::new();
    for (i, ch) in text.chars().enumerate() {
        match ch {
            '0'..='9' => digits.push(ch),
            '+' if i == 0 => {}
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
            _ => return Err(bad(&format!("unexpected '{ch}'"))),
        }
    }
    let e164 = if text.starts_with('+') {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_string()
    } else if let Some(cc) = country.and_then(calling_code) {
        let national = if cc == "1" {
            digits.strip_prefix('1').filter(|r| r.len() == 10).unwrap_or(&digits)
        } else {
            digits.strip_prefix('0').unwrap_or(&digits)
        };
        format!("{cc}{national}")
    } else {
        if !(4..=15).contains(&digits.len()) {
            return Err(bad("expected 4 to 15 digits"));
        }
        return Ok(digits);
    };
    if !(8..=15).contains(&e164.len()) {
        return Err(bad("an international number has 8 to 15 digits"));
    }
    Ok(format!("+{e164}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_to_e164_where_the_country_is_known() {
        assert_eq!(normalise("030 123 4567", Some("DE")), Ok("+49301234567".into()));
        assert_eq!(
            normalise("(415) 555-0100", Some("United States")),
            Ok("+14155550100".into())
        );
        assert_eq!(normalise("0044 20 7946 0000", None), Ok("+442079460000".into()));
        assert_eq!(normalise("+33 1 23 45 67 89", Some("DE")), Ok("+33123456789".into()));
        assert_eq!(normalise("555-0100", None), Ok("5550100".into()));
        assert!(normalise("call me", None).is_err());
        assert!(normalise("+12", None).is_err());
    }
}
