//! REF resolution: a full id, a unique name (quote number, product SKU, "First Last" for
//! people), a unique start of a name, or an unambiguous id prefix. Ambiguous or unknown REFs list candidates.

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use super::{App, AppError};
use crate::model::{EntityKind, Id};

impl App {
    /// Resolves `reference` to one live record of `kind`.
    pub fn resolve(&self, kind: EntityKind, reference: &str) -> Result<Id, AppError> {
        let r = reference.trim();
        if r.is_empty() {
            return Err(AppError::NotFound(format!(
                "an empty {kind} reference; give an id, id prefix or name"
            )));
        }
        if let Ok(id) = r.parse::<Id>() {
            return match self.store.get(kind, id)? {
                Some(s) if !s.deleted => Ok(id),
                Some(_) => Err(AppError::NotFound(format!(
                    "{kind} {id} is in the trash; `outpost trash restore {id}` brings it back"
                ))),
                None => Err(AppError::NotFound(format!("no {kind} with id {id}"))),
            };
        }
        let by_title = self.store.ids_by_title(kind, r)?;
        if by_title.len() == 1 {
            return Ok(by_title[0]);
        }
        if by_title.len() > 1 {
            return Err(self.ambiguous(kind, r, &by_title));
        }
        let mut candidates = self.store.ids_by_title_prefix(kind, r)?;
        if r.len() >= 4 {
            for id in self.store.ids_with_prefix(kind, r)? {
                if !candidates.contains(&id) && self.store.get(kind, id)?.is_some_and(|s| !s.deleted) {
                    candidates.push(id);
                }
            }
        }
        // The start of a name and an id prefix are weighed together: a REF like "cafe"
        // that fits both a name and another record's id is ambiguous, not a guess.
        match candidates.len() {
            1 => Ok(candidates[0]),
            0 => Err(self.unknown(kind, r)),
            _ => Err(self.ambiguous(kind, r, &candidates)),
        }
    }

    fn ambiguous(&self, kind: EntityKind, r: &str, ids: &[Id]) -> AppError {
        let mut lines = vec![format!(
            "'{r}' matches {} {}; use the id or a longer id prefix:",
            ids.len(),
            kind.plural()
        )];
        for id in ids.iter().take(10) {
            lines.push(format!("  {id}  {}", self.title(kind, *id)));
        }
        if ids.len() > 10 {
            lines.push(format!("  ... and {} more", ids.len() - 10));
        }
        AppError::Ambiguous(lines.join("\n"))
    }

    fn unknown(&self, kind: EntityKind, r: &str) -> AppError {
        let matcher = SkimMatcherV2::default();
        let mut scored: Vec<(i64, String, Id)> = self
            .store
            .index_entries_titles(kind)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(title, id)| matcher.fuzzy_match(&title, r).map(|s| (s, title, id)))
            .collect();
        scored.sort_by_key(|s| std::cmp::Reverse(s.0));
        let mut msg = format!("no {kind} matches '{r}'");
        if scored.is_empty() {
            msg.push_str(&format!("; `outpost {} list` shows them all", cli_name(kind)));
        } else {
            msg.push_str("; did you mean:");
            for (_, _, id) in scored.iter().take(5) {
                msg.push_str(&format!("\n  {id}  {}", self.title(kind, *id)));
            }
        }
        AppError::NotFound(msg)
    }
}

/// The CLI command for a kind (`opp` for opportunities).
#[must_use]
pub fn cli_name(kind: EntityKind) -> &'static str {
    super::kinds::def(kind).cli
}
