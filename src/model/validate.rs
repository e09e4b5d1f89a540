//! Small validators shared by the entities. Each returns a message a person can act on.

/// Why a record is not valid: which field, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    /// The field (its JSON name).
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Invalid {
    /// An error about `field`.
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// A name-like field must have text.
pub fn non_empty(field: &str, value: &str) -> Result<(), Invalid> {
    if value.trim().is_empty() {
        Err(Invalid::new(field, "must not be empty"))
    } else {
        Ok(())
    }
}

/// Checks e-mail syntax (local@domain.tld, no spaces) and returns it trimmed.
pub fn email(field: &str, value: &str) -> Result<String, Invalid> {
    let v = value.trim();
    let bad = || Invalid::new(field, format!("'{value}' is not an e-mail address (name@example.com)"));
    let (local, domain) = v.split_once('@').ok_or_else(bad)?;
    let ok = !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !v
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'));
    if ok { Ok(v.to_string()) } else { Err(bad()) }
}

/// Probability in percent, 0..=100.
pub fn probability(value: u32) -> Result<(), Invalid> {
    if value > 100 {
        Err(Invalid::new(
            "probability",
            format!("{value} is out of range; use 0 to 100"),
        ))
    } else {
        Ok(())
    }
}

/// Checks a date has a four-digit year (1000 to 9999): year 0000 is a typing error.
pub fn date(field: &str, value: chrono::NaiveDate) -> Result<(), Invalid> {
    use chrono::Datelike;
    if (1000..=9999).contains(&value.year()) {
        Ok(())
    } else {
        Err(Invalid::new(
            field,
            format!("{value} is out of range; a date's year goes from 1000 to 9999"),
        ))
    }
}

/// Checks a time: a date [`date`] accepts, and no leap second (`23:59:60`), which
/// outpost's clocks and calendars never produce.
pub fn instant(field: &str, value: &chrono::DateTime<chrono::Utc>) -> Result<(), Invalid> {
    use chrono::Timelike;
    date(field, value.date_naive())?;
    if value.nanosecond() >= 1_000_000_000 {
        return Err(Invalid::new(
            field,
            format!(
                "{} is a leap second (:60); use :59 or the next minute",
                value.format("%Y-%m-%d %H:%M")
            ),
        ));
    }
    Ok(())
}

/// Largest value of one field, as JSON (escapes counted): 64 KiB. Fields merged as a
/// set (`stage_history`) count only towards the record's limit.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;
/// Largest record, its fields as JSON: 1 MiB (well under the server's 8 MiB body limit,
/// even for a push of one change).
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// Fields that may hold line breaks (and tabs); every other text is one line.
pub const MULTI_LINE: &[&str] = &[
    "description",
    "notes",
    "body",
    "next_step",
    "terms",
    "address",
    "loss_reason",
];

/// Checks a field name: not empty, no control characters, not starting with `_`.
pub fn field_name(name: &str) -> Result<(), Invalid> {
    if name.is_empty() || name.starts_with('_') || name.chars().any(char::is_control) {
        let shown: String = name.escape_debug().take(80).collect();
        return Err(Invalid::new(
            "record",
            format!("'{shown}' is not a field name (letters, digits and '_', without control characters)"),
        ));
    }
    Ok(())
}

/// Checks the text in a field's value (strings anywhere inside it): no control
/// characters (NUL included), except line breaks and tabs in [`MULTI_LINE`] fields.
pub fn clean_text(field: &str, value: &serde_json::Value) -> Result<(), Invalid> {
    let multi = MULTI_LINE.contains(&field);
    let bad = |s: &str| {
        s.chars()
            .find(|c| c.is_control() && !(multi && matches!(c, '\n' | '\r' | '\t')))
    };
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::String(s) => {
                if let Some(c) = bad(s) {
                    return Err(Invalid::new(
                        field,
                        format!(
                            "contains the control character U+{:04X}; {}",
                            u32::from(c),
                            if multi {
                                "only line breaks and tabs are allowed"
                            } else {
                                "this field is one line of text"
                            }
                        ),
                    ));
                }
            }
            serde_json::Value::Array(a) => stack.extend(a),
            serde_json::Value::Object(o) => {
                for (k, v) in o {
                    if k.chars().any(char::is_control) {
                        return Err(Invalid::new(field, "a key inside it has a control character"));
                    }
                    stack.push(v);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The size of a value as JSON, escapes counted.
#[must_use]
pub fn json_len<T: serde::Serialize + ?Sized>(value: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = serde_json::to_writer(&mut c, value);
    c.0
}

/// Checks one field's size against [`MAX_FIELD_BYTES`].
pub fn field_size(field: &str, value: &serde_json::Value) -> Result<(), Invalid> {
    let n = json_len(value);
    if n > MAX_FIELD_BYTES && !crate::model::entity::merges_by_union(field) {
        return Err(Invalid::new(
            field,
            format!(
                "is {} bytes (as JSON); a field holds at most {} KiB: shorten it, or keep long text in a file",
                n,
                MAX_FIELD_BYTES / 1024
            ),
        ));
    }
    Ok(())
}

/// Checks a whole record's size against [`MAX_RECORD_BYTES`].
pub fn record_size(fields: &serde_json::Map<String, serde_json::Value>) -> Result<(), Invalid> {
    let n: usize = fields.iter().map(|(k, v)| k.len() + 4 + json_len(v)).sum::<usize>() + 2;
    if n > MAX_RECORD_BYTES {
        let largest = fields
            .iter()
            .max_by_key(|(_, v)| json_len(v))
            .map_or("record", |(k, _)| k.as_str());
        return Err(Invalid::new(
            largest,
            format!(
                "the record is {n} bytes (as JSON); a record holds at most {} KiB (its largest field is '{largest}')",
                MAX_RECORD_BYTES / 1024
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_syntax() {
        assert!(email("email", "anna.meyer@example.de").is_ok());
        assert!(email("email", "josé@exämple.es").is_ok());
        for bad in ["", "no-at", "a@b", "a b@c.de", "@x.de", "a@.de", "a@x..de", "a@b@c.de"] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_have_four_digit_years_and_no_leap_seconds() {
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).expect("date");
        assert!(date("close_date", d(0, 1, 1)).is_err());
        assert!(date("close_date", d(2026, 2, 28)).is_ok());
        let leap: chrono::DateTime<chrono::Utc> = "2026-06-30T23:59:60Z".parse().expect("chrono reads :60");
        assert!(instant("start", &leap).is_err());
        assert!(instant("start", &"2026-06-30T23:59:59Z".parse().expect("time")).is_ok());
    }

    #[test]
    fn text_and_sizes() {
        use serde_json::json;
        assert!(clean_text("name", &json!("Nordic\u{0}AB")).is_err());
        assert!(clean_text("name", &json!("two\nlines")).is_err());
        assert!(clean_text("description", &json!("two\nlines\tok")).is_ok());
        assert!(clean_text("emails", &json!(["a@b.de", "x\u{7}"])).is_err());
        assert!(field_name("na\u{0}me").is_err() && field_name("").is_err() && field_name("_x").is_err());
        assert!(field_name("city").is_ok());
        let big = "\u{1}".repeat(MAX_FIELD_BYTES / 6 + 1);
        assert!(field_size("title", &json!(big)).is_err(), "escapes count");
        assert!(field_size("title", &json!("short")).is_ok());
    }
}
