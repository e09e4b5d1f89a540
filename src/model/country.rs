//! Countries: a record's `country` is an ISO 3166-1 alpha-2 code (`DE`) or a country's
//! English name (`Germany`, `Czech Republic`), or one of the local names the phone table
//! knows (`Deutschland`). Anything else (`Narnia`) is refused when it is written, with
//! the hint to use the code; a value stored before the check stays editable.

use super::validate::Invalid;

/// Every ISO 3166-1 alpha-2 code.
const CODES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ \
BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET \
FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR \
IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN \
MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY \
QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR \
TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK";

/// English names (and common alternatives) of the countries and territories, with their
/// ISO 3166-1 alpha-2 codes (from Debian's iso-codes tables, alternatives by hand).
const NAMES: &[(&str, &str)] = &[
    ("Afghanistan", "AF"),
    ("Åland Islands", "AX"),
    ("Aland Islands", "AX"),
    ("Albania", "AL"),
    ("Algeria", "DZ"),
    ("American Samoa", "AS"),
    ("Andorra", "AD"),
    ("Angola", "AO"),
    ("Anguilla", "AI"),
    ("Antarctica", "AQ"),
    ("Antigua and Barbuda", "AG"),
    ("Argentina", "AR"),
    ("Armenia", "AM"),
    ("Aruba", "AW"),
    ("Australia", "AU"),
    ("Austria", "AT"),
    ("Azerbaijan", "AZ"),
    ("Bahamas", "BS"),
    ("The Bahamas", "BS"),
    ("Bahrain", "BH"),
    ("Bangladesh", "BD"),
    ("Barbados", "BB"),
    ("Belarus", "BY"),
    ("Belgium", "BE"),
    ("Belize", "BZ"),
    ("Benin", "BJ"),
    ("Bermuda", "BM"),
    ("Bhutan", "BT"),
    ("Bolivia", "BO"),
    ("Bonaire", "BQ"),
    ("Bosnia and Herzegovina", "BA"),
    ("Botswana", "BW"),
    ("Bouvet Island", "BV"),
    ("Brazil", "BR"),
    ("British Indian Ocean Territory", "IO"),
    ("Brunei", "BN"),
    ("Brunei Darussalam", "BN"),
    ("Bulgaria", "BG"),
    ("Burkina Faso", "BF"),
    ("Burundi", "BI"),
    ("Cabo Verde", "CV"),
    ("Cape Verde", "CV"),
    ("Cambodia", "KH"),
    ("Cameroon", "CM"),
    ("Canada", "CA"),
    ("Cayman Islands", "KY"),
    ("Central African Republic", "CF"),
    ("Chad", "TD"),
    ("Chile", "CL"),
    ("China", "CN"),
    ("Christmas Island", "CX"),
    ("Cocos Islands", "CC"),
    ("Cocos (Keeling) Islands", "CC"),
    ("Colombia", "CO"),
    ("Comoros", "KM"),
    ("Congo", "CG"),
    ("Republic of the Congo", "CG"),
    ("Democratic Republic of the Congo", "CD"),
    ("DR Congo", "CD"),
    ("Cook Islands", "CK"),
    ("Costa Rica", "CR"),
    ("Côte d'Ivoire", "CI"),
    ("Cote d'Ivoire", "CI"),
    ("Ivory Coast", "CI"),
    ("Croatia", "HR"),
    ("Cuba", "CU"),
    ("Curaçao", "CW"),
    ("Curacao", "CW"),
    ("Cyprus", "CY"),
    ("Czechia", "CZ"),
    ("Czech Republic", "CZ"),
    ("Denmark", "DK"),
    ("Djibouti", "DJ"),
    ("Dominica", "DM"),
    ("Dominican Republic", "DO"),
    ("Ecuador", "EC"),
    ("Egypt", "EG"),
    ("El Salvador", "SV"),
    ("Equatorial Guinea", "GQ"),
    ("Eritrea", "ER"),
    ("Estonia", "EE"),
    ("Eswatini", "SZ"),
    ("Swaziland", "SZ"),
    ("Ethiopia", "ET"),
    ("Falkland Islands", "FK"),
    ("Faroe Islands", "FO"),
    ("Fiji", "FJ"),
    ("Finland", "FI"),
    ("France", "FR"),
    ("French Guiana", "GF"),
    ("French Polynesia", "PF"),
    ("French Southern Territories", "TF"),
    ("Gabon", "GA"),
    ("Gambia", "GM"),
    ("The Gambia", "GM"),
    ("Georgia", "GE"),
    ("Germany", "DE"),
    ("Ghana", "GH"),
    ("Gibraltar", "GI"),
    ("Greece", "GR"),
    ("Greenland", "GL"),
    ("Grenada", "GD"),
    ("Guadeloupe", "GP"),
    ("Guam", "GU"),
    ("Guatemala", "GT"),
    ("Guernsey", "GG"),
    ("Guinea", "GN"),
    ("Guinea-Bissau", "GW"),
    ("Guyana", "GY"),
    ("Haiti", "HT"),
    ("Heard Island and McDonald Islands", "HM"),
    ("Holy See", "VA"),
    ("Vatican", "VA"),
    ("Vatican City", "VA"),
    ("Honduras", "HN"),
    ("Hong Kong", "HK"),
    ("Hungary", "HU"),
    ("Iceland", "IS"),
    ("India", "IN"),
    ("Indonesia", "ID"),
    ("Iran", "IR"),
    ("Iraq", "IQ"),
    ("Ireland", "IE"),
    ("Republic of Ireland", "IE"),
    ("Isle of Man", "IM"),
    ("Israel", "IL"),
    ("Italy", "IT"),
    ("Jamaica", "JM"),
    ("Japan", "JP"),
    ("Jersey", "JE"),
    ("Jordan", "JO"),
    ("Kazakhstan", "KZ"),
    ("Kenya", "KE"),
    ("Kiribati", "KI"),
    ("North Korea", "KP"),
    ("South Korea", "KR"),
    ("Korea", "KR"),
    ("Republic of Korea", "KR"),
    ("Kosovo", "XK"),
    ("Kuwait", "KW"),
    ("Kyrgyzstan", "KG"),
    ("Laos", "LA"),
    ("Latvia", "LV"),
    ("Lebanon", "LB"),
    ("Lesotho", "LS"),
    ("Liberia", "LR"),
    ("Libya", "LY"),
    ("Liechtenstein", "LI"),
    ("Lithuania", "LT"),
    ("Luxembourg", "LU"),
    ("Macao", "MO"),
    ("Macau", "MO"),
    ("Madagascar", "MG"),
    ("Malawi", "MW"),
    ("Malaysia", "MY"),
    ("Maldives", "MV"),
    ("Mali", "ML"),
    ("Malta", "MT"),
    ("Marshall Islands", "MH"),
    ("Martinique", "MQ"),
    ("Mauritania", "MR"),
    ("Mauritius", "MU"),
    ("Mayotte", "YT"),
    ("Mexico", "MX"),
    ("Micronesia", "FM"),
    ("Moldova", "MD"),
    ("Monaco", "MC"),
    ("Mongolia", "MN"),
    ("Montenegro", "ME"),
    ("Montserrat", "MS"),
    ("Morocco", "MA"),
    ("Mozambique", "MZ"),
    ("Myanmar", "MM"),
    ("Burma", "MM"),
    ("Namibia", "NA"),
    ("Nauru", "NR"),
    ("Nepal", "NP"),
    ("Netherlands", "NL"),
    ("The Netherlands", "NL"),
    ("Holland", "NL"),
    ("New Caledonia", "NC"),
    ("New Zealand", "NZ"),
    ("Nicaragua", "NI"),
    ("Niger", "NE"),
    ("Nigeria", "NG"),
    ("Niue", "NU"),
    ("Norfolk Island", "NF"),
    ("North Macedonia", "MK"),
    ("Macedonia", "MK"),
    ("Northern Mariana Islands", "MP"),
    ("Norway", "NO"),
    ("Oman", "OM"),
    ("Pakistan", "PK"),
    ("Palau", "PW"),
    ("Palestine", "PS"),
    ("Panama", "PA"),
    ("Papua New Guinea", "PG"),
    ("Paraguay", "PY"),
    ("Peru", "PE"),
    ("Philippines", "PH"),
    ("Pitcairn", "PN"),
    ("Pitcairn Islands", "PN"),
    ("Poland", "PL"),
    ("Portugal", "PT"),
    ("Puerto Rico", "PR"),
    ("Qatar", "QA"),
    ("Réunion", "RE"),
    ("Reunion", "RE"),
    ("Romania", "RO"),
    ("Russia", "RU"),
    ("Russian Federation", "RU"),
    ("Rwanda", "RW"),
    ("Saint Barthélemy", "BL"),
    ("Saint Helena", "SH"),
    ("Saint Kitts and Nevis", "KN"),
    ("Saint Lucia", "LC"),
    ("Saint Martin", "MF"),
    ("Saint Pierre and Miquelon", "PM"),
    ("Saint Vincent and the Grenadines", "VC"),
    ("Samoa", "WS"),
    ("San Marino", "SM"),
    ("Sao Tome and Principe", "ST"),
    ("São Tomé and Príncipe", "ST"),
    ("Saudi Arabia", "SA"),
    ("Senegal", "SN"),
    ("Serbia", "RS"),
    ("Seychelles", "SC"),
    ("Sierra Leone", "SL"),
    ("Singapore", "SG"),
    ("Sint Maarten", "SX"),
    ("Slovakia", "SK"),
    ("Slovenia", "SI"),
    ("Solomon Islands", "SB"),
    ("Somalia", "SO"),
    ("South Africa", "ZA"),
    ("South Georgia and the South Sandwich Islands", "GS"),
    ("South Sudan", "SS"),
    ("Spain", "ES"),
    ("Sri Lanka", "LK"),
    ("Sudan", "SD"),
    ("Suriname", "SR"),
    ("Svalbard and Jan Mayen", "SJ"),
    ("Sweden", "SE"),
    ("Switzerland", "CH"),
    ("Syria", "SY"),
    ("Taiwan", "TW"),
    ("Tajikistan", "TJ"),
    ("Tanzania", "TZ"),
    ("Thailand", "TH"),
    ("Timor-Leste", "TL"),
    ("East Timor", "TL"),
    ("Togo", "TG"),
    ("Tokelau", "TK"),
    ("Tonga", "TO"),
    ("Trinidad and Tobago", "TT"),
    ("Tunisia", "TN"),
    ("Turkey", "TR"),
    ("Türkiye", "TR"),
    ("Turkiye", "TR"),
    ("Turkmenistan", "TM"),
    ("Turks and Caicos Islands", "TC"),
    ("Tuvalu", "TV"),
    ("Uganda", "UG"),
    ("Ukraine", "UA"),
    ("United Arab Emirates", "AE"),
    ("UAE", "AE"),
    ("United Kingdom", "GB"),
    ("UK", "GB"),
    ("Great Britain", "GB"),
    ("England", "GB"),
    ("Scotland", "GB"),
    ("Wales", "GB"),
    ("Northern Ireland", "GB"),
    ("United States", "US"),
    ("United States of America", "US"),
    ("USA", "US"),
    ("US", "US"),
    ("U.S.", "US"),
    ("U.S.A.", "US"),
    ("America", "US"),
    ("Uruguay", "UY"),
    ("Uzbekistan", "UZ"),
    ("Vanuatu", "VU"),
    ("Venezuela", "VE"),
    ("Vietnam", "VN"),
    ("Viet Nam", "VN"),
    ("British Virgin Islands", "VG"),
    ("U.S. Virgin Islands", "VI"),
    ("US Virgin Islands", "VI"),
    ("Wallis and Futuna", "WF"),
    ("Western Sahara", "EH"),
    ("Yemen", "YE"),
    ("Zambia", "ZM"),
    ("Zimbabwe", "ZW"),
];

/// Whether `text` names a country: an ISO 3166-1 alpha-2 code, an English name, or a
/// name the phone table knows (any case).
#[must_use]
pub fn known(text: &str) -> bool {
    code(text).is_some()
}

/// The ISO 3166-1 alpha-2 code (upper case) of a country given as a code, an English
/// name or a name the phone table knows (any case); `None` for anything else.
#[must_use]
pub fn code(text: &str) -> Option<&'static str> {
    let t = text.trim();
    if t.len() == 2 && t.chars().all(|c| c.is_ascii_alphabetic()) {
        let up = t.to_ascii_uppercase();
        return CODES.split(' ').find(|c| *c == up);
    }
    super::phone::country_code(t).or_else(|| {
        let low = t.to_lowercase();
        NAMES.iter().find(|(n, _)| n.to_lowercase() == low).map(|(_, c)| *c)
    })
}

/// Checks a `country` field when it changed (`old` is the value before this write) and
/// writes a known country as its ISO code (`Germany` -> `DE`); a value stored before the
/// check existed stays editable and unchanged.
pub fn check(field: &str, value: &mut Option<String>, old: Option<&str>) -> Result<(), Invalid> {
    let Some(v) = value.as_deref() else {
        return Ok(());
    };
    if let Some(c) = code(v) {
        *value = Some(c.to_string());
        return Ok(());
    }
    if old == Some(v) {
        return Ok(());
    }
    Err(Invalid::new(
        field,
        format!("'{v}' is not a country; give its ISO 3166 code (e.g. DE, SE, US) or its English name"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_countries_and_narnia_is_not() {
        assert_eq!(CODES.split(' ').count(), 250, "249 codes and Kosovo's XK");
        for ok in [
            "DE",
            "de",
            "se",
            "Germany",
            "czech republic",
            "Deutschland",
            "Côte d'Ivoire",
            "XK",
        ] {
            assert!(known(ok), "{ok}");
        }
        for bad in ["Narnia", "ZZ", "D", "Germanyy", ""] {
            assert!(!known(bad), "{bad}");
        }
        let mut v = Some("Narnia".to_string());
        assert!(check("country", &mut v, None).is_err());
        assert!(
            check("country", &mut v, Some("Narnia")).is_ok(),
            "stored before the check"
        );
        assert_eq!(v.as_deref(), Some("Narnia"));
        assert!(check("country", &mut None, Some("Narnia")).is_ok());
    }

    #[test]
    fn names_become_codes() {
        for (text, want) in [
            ("Germany", "DE"),
            ("germany", "DE"),
            ("de", "DE"),
            ("Deutschland", "DE"),
            ("United States", "US"),
            ("USA", "US"),
            ("Czech Republic", "CZ"),
            ("Côte d'Ivoire", "CI"),
            ("The Netherlands", "NL"),
            ("Kosovo", "XK"),
        ] {
            let mut v = Some(text.to_string());
            check("country", &mut v, None).expect("a country");
            assert_eq!(v.as_deref(), Some(want), "{text}");
        }
        for (name, c) in NAMES {
            assert!(CODES.split(' ').any(|x| x == *c), "{name} -> {c}");
        }
    }
}
