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
}
