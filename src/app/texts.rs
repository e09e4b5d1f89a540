//! Many short strings in one buffer, numbered in the order added: a `String` each costs
//! its own allocation and 24 bytes besides (190k linked names: 14.5 MB as a
//! `HashMap<Id, String>`, about 9.5 MB so).

/// Strings in one buffer, each found by its number.
#[derive(Clone, Debug, Default)]
pub struct Texts {
    text: String,
    ends: Vec<u32>,
}

impl Texts {
    /// Adds `s` as the next string and returns its number; `None` past 4 GB of text, where
    /// the string is kept empty (the numbering stays in step).
    pub fn push(&mut self, s: &str) -> Option<u32> {
        let number = u32::try_from(self.ends.len()).ok();
        let kept = u32::try_from(self.text.len() + s.len()).ok();
        if kept.is_some() {
            self.text.push_str(s);
        }
        self.ends.push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        kept.and(number)
    }

    /// String number `i` (empty when there is none).
    #[must_use]
    pub fn get(&self, i: u32) -> &str {
        let i = i as usize;
        let start = match i.checked_sub(1) {
            Some(before) => self.ends.get(before).map_or(0, |e| *e as usize),
            None => 0,
        };
        let end = self.ends.get(i).map_or(start, |e| *e as usize);
        self.text.get(start..end).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::Texts;

    #[test]
    fn strings_read_back_by_their_number() {
        let mut t = Texts::default();
        let numbers: Vec<Option<u32>> = ["Müller", "", "東京 GmbH", "a"].iter().map(|s| t.push(s)).collect();
        assert_eq!(numbers, [Some(0), Some(1), Some(2), Some(3)]);
        assert_eq!(
            (t.get(0), t.get(1), t.get(2), t.get(3)),
            ("Müller", "", "東京 GmbH", "a")
        );
        assert_eq!(t.get(4), "", "no such string");
    }
}
