//! Which kinds of record get a number on creation (quotes now, orders next), and how it
//! looks. The store keeps one counter per such kind and fills the field in the same
//! transaction as the create; it knows nothing else about numbers.

use super::EntityKind;

/// How a kind numbers its records: `<prefix>-<device>-<counter, 4 digits at least>`,
/// e.g. `Q-1A2B-0001`. The device code keeps numbers from different laptops apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Numbering {
    /// The field that holds the number (filled only when a create leaves it empty).
    pub field: &'static str,
    /// The letters before the device code.
    pub prefix: &'static str,
}

impl Numbering {
    /// The number `n` of this kind on the device `device`.
    #[must_use]
    pub fn format(&self, device: &str, n: u64) -> String {
        format!("{}-{device}-{n:04}", self.prefix)
    }
}

impl EntityKind {
    /// How records of this kind are numbered, if they are.
    #[must_use]
    pub fn numbering(self) -> Option<Numbering> {
        match self {
            Self::Quote => Some(Numbering {
                field: "number",
                prefix: "Q",
            }),
            Self::Order => Some(Numbering {
                field: "number",
                prefix: "O",
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_numbers_keep_their_format() {
        let n = EntityKind::Quote.numbering().expect("quotes are numbered");
        assert_eq!(n.format("1A2B", 1), "Q-1A2B-0001");
        assert_eq!(n.format("1A2B", 12345), "Q-1A2B-12345");
        assert!(EntityKind::Account.numbering().is_none());
    }
}
