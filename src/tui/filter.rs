//! Incremental fuzzy filtering of list rows with `nucleo-matcher`.
//!
//! Why nucleo and not `fuzzy-matcher`: on 100,000 contact rows (name, account, title;
//! ASCII-folded), one keystroke took 50–95 ms with fuzzy-matcher's skim matcher and
//! 4–16 ms with nucleo-matcher on the same 2-core machine (`cargo bench --bench tui`
//! prints both). Haystacks are folded once when rows load (lower case, accents off), and
//! when the query only grows, matching narrows from the previous result instead of
//! starting over. Query syntax is fzf's: words are ANDed, `'exact`, `^prefix`,
//! `suffix$`, `!not`.

use std::cmp::Reverse;

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};

/// Folds text for matching: accents off, lower case (so most haystacks are ASCII and take
/// nucleo's fast path).
#[must_use]
pub fn fold(text: &str) -> String {
    text.chars()
        .map(nucleo_matcher::chars::normalize)
        .flat_map(char::to_lowercase)
        .collect()
}

/// A folded haystack for one row.
#[must_use]
pub fn haystack(text: &str) -> Utf32String {
    Utf32String::from(fold(text).as_str())
}

/// The state of one list's filter.
pub struct Filter {
    query: String,
    /// (row, position in the base order) of every row matching `query`, in base order.
    candidates: Vec<(u32, u32)>,
    /// Matching rows, best first (ties keep the base order).
    ranked: Vec<u32>,
    active: bool,
    matcher: Matcher,
}

impl Default for Filter {
    fn default() -> Self {
        Self {
            query: String::new(),
            candidates: Vec::new(),
            ranked: Vec::new(),
            active: false,
            matcher: Matcher::new({
                // Matches at the start of a name rank first ("cal" -> "Calendar").
                let mut c = Config::DEFAULT;
                c.prefer_prefix = true;
                c
            }),
        }
    }
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("query", &self.query)
            .field("matches", &self.ranked.len())
            .finish_non_exhaustive()
    }
}

impl Filter {
    /// The current query.
    #[must_use]
    pub fn query(&self) -> &str {
        &self.query
    }

    /// Whether a query is narrowing the rows.
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Matching rows, best first; only meaningful when [`Filter::is_active`].
    #[must_use]
    pub fn ranked(&self) -> &[u32] {
        &self.ranked
    }

    /// Drops the query.
    pub fn clear(&mut self) {
        self.query.clear();
        self.candidates.clear();
        self.ranked.clear();
        self.active = false;
    }

    /// Sets the query and re-ranks. `base` is the list's row order (sorted by column);
    /// `hay` the folded haystack of every row.
    pub fn set_query(&mut self, query: &str, hay: &[Utf32String], base: &[u32]) {
        let query_trimmed = query.trim();
        if query_trimmed.is_empty() {
            self.clear();
            self.query = query.to_string();
            return;
        }
        let narrow = self.active
            && query.starts_with(self.query.as_str())
            && !query.contains('!')
            && !self.query.trim_end().ends_with('$')
            && !self.query.trim().is_empty();
        let pattern = Pattern::parse(query_trimmed, CaseMatching::Ignore, Normalization::Smart);
        let mut scored: Vec<(u32, u32, u32)> = Vec::new();
        let matcher = &mut self.matcher;
        let mut score = |row: u32, pos: u32| {
            if let Some(h) = hay.get(row as usize) {
                if let Some(s) = pattern.score(h.slice(..), matcher) {
                    scored.push((row, pos, s));
                }
            }
        };
        if narrow {
            for &(row, pos) in &self.candidates {
                score(row, pos);
            }
        } else {
            for (pos, &row) in base.iter().enumerate() {
                score(row, u32::try_from(pos).unwrap_or(u32::MAX));
            }
        }
        self.candidates = scored.iter().map(|&(r, p, _)| (r, p)).collect();
        scored.sort_unstable_by_key(|&(_, pos, s)| (Reverse(s), pos));
        self.ranked = scored.into_iter().map(|(r, _, _)| r).collect();
        self.query = query.to_string();
        self.active = true;
    }

    /// Re-runs the query from scratch (after the rows or their order changed).
    pub fn rerun(&mut self, hay: &[Utf32String], base: &[u32]) {
        let q = std::mem::take(&mut self.query);
        self.active = false;
        self.set_query(&q, hay, base);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hay(items: &[&str]) -> Vec<Utf32String> {
        items.iter().map(|s| haystack(s)).collect()
    }

    #[test]
    fn ranks_matches_and_narrows_as_the_query_grows() {
        let h = hay(&[
            "Anna Müller Acme",
            "Jürgen Schmidt Nordlicht",
            "Hanna Weiß Acme",
            "Zoë Park",
        ]);
        let base: Vec<u32> = (0..4).collect();
        let mut f = Filter::default();
        f.set_query("mul", &h, &base);
        assert_eq!(f.ranked(), [0]);
        f.set_query("a", &h, &base);
        assert_eq!(f.ranked().len(), 3, "every row with an a");
        f.set_query("acme", &h, &base);
        let mut got = f.ranked().to_vec();
        got.sort_unstable();
        assert_eq!(got, [0, 2]);
        f.set_query("acme !hanna", &h, &base);
        assert_eq!(f.ranked(), [0]);
        f.set_query("", &h, &base);
        assert!(!f.is_active());
    }

    #[test]
    fn folding_ignores_accents_and_case() {
        assert_eq!(fold("Zoë MÜLLER"), "zoe muller");
        let h = hay(&["Zoë"]);
        let mut f = Filter::default();
        f.set_query("zoe", &h, &[0]);
        assert_eq!(f.ranked(), [0]);
    }
}
