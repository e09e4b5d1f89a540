//! A sent quote on a laptop whose changes the server refused (`protocol::frozen`): the
//! refused edits wait in the inbox as `refused` conflicts (the sent values put back
//! here) and the lines it added as `held` records. This module keeps the sent document
//! the document (held lines are not on it), lists what waits in the inbox for one quote,
//! and carries it all into a new draft when the quote is revised, so nothing the user
//! wrote is lost.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{App, AppError};
use crate::model::records::fields;
use crate::model::{EntityKind, Fields, Id};
use crate::protocol::frozen::LIFECYCLE;
use crate::store::{CREATED, ConflictKind, DELETED, LocalConflict, Mutation, Settle};

/// How a revision settles the conflicts it carries (`conflicts list --all` shows it).
const CARRIED: &str = "revised";

/// Header fields a revision writes itself: a refused change of one is not carried.
const OWN: &[&str] = &[
    fields::quote::NUMBER,
    fields::quote::REVISION,
    fields::quote::REVISES_ID,
    fields::quote::DATE,
];

/// What a revision of a frozen quote takes over from the inbox.
#[derive(Debug, Default)]
pub(super) struct Carried {
    /// Header fields as this laptop wrote them.
    pub header: Fields,
    /// Line fields as this laptop wrote them, by line.
    pub lines: BTreeMap<Id, Fields>,
    /// Lines this laptop removed.
    pub removed: BTreeSet<Id>,
    /// Lines this laptop added (held: the server never had them).
    pub added: Vec<Id>,
    /// The conflicts this settles.
    pub settle: Vec<Settle>,
}

impl App {
    /// The held lines of a quote: lines this laptop added that the server refused.
    pub fn held_lines(&self, quote: Id) -> Result<Vec<Id>, AppError> {
        let q = quote.to_string();
        let mut out = Vec::new();
        for m in self.store.held_marks()? {
            if m.entity != EntityKind::QuoteLine {
                continue;
            }
            let line = self.store.get(EntityKind::QuoteLine, m.id)?;
            if line.is_some_and(|s| !s.deleted && s.text(fields::quote_line::QUOTE_ID) == q) {
                out.push(m.id);
            }
        }
        Ok(out)
    }

    /// The open conflicts of a quote and its lines (refused edits, held lines), oldest
    /// first: what `quote show` lists under the document.
    pub fn quote_conflicts(&self, quote: Id) -> Result<Vec<LocalConflict>, AppError> {
        let q = quote.to_string();
        let mut out = Vec::new();
        for l in crate::sync::conflicts::list(&self.store, false)? {
            let c = &l.conflict.conflict;
            let ours = match c.entity {
                EntityKind::Quote => c.record == quote,
                EntityKind::QuoteLine => self
                    .store
                    .get(EntityKind::QuoteLine, c.record)?
                    .is_some_and(|s| s.text(fields::quote_line::QUOTE_ID) == q),
                _ => false,
            };
            if ours {
                out.push(l.conflict);
            }
        }
        Ok(out)
    }

    /// What a revision of quote `id` carries from the inbox: when the quote is frozen
    /// here, the refused edits of its header and lines (the newest of each field), the
    /// lines removed and the held lines added, with the conflicts that settles.
    pub(super) fn carried(&self, id: Id) -> Result<Carried, AppError> {
        let mut out = Carried::default();
        if !self.quote(id)?.status_on(self.today()).frozen() {
            return Ok(out);
        }
        let mut open = self.quote_conflicts(id)?;
        // Oldest write first, so the newest of one field is the one kept.
        open.sort_by_key(|c| c.conflict.loser.hlc);
        let held = self.held_lines(id)?;
        for l in open {
            let c = &l.conflict;
            let field = c.field.as_str();
            let mine = c.loser.value.clone();
            let taken = match (c.kind, c.entity) {
                (ConflictKind::Held, EntityKind::QuoteLine) if held.contains(&c.record) => {
                    if !out.added.contains(&c.record) {
                        out.added.push(c.record);
                    }
                    true
                }
                (ConflictKind::Refused, EntityKind::Quote)
                    if ![CREATED, DELETED].contains(&field) && !LIFECYCLE.contains(&field) && !OWN.contains(&field) =>
                {
                    out.header.insert(field.to_string(), mine);
                    true
                }
                (ConflictKind::Refused, EntityKind::QuoteLine) if field == DELETED => {
                    if mine == Value::Bool(true) {
                        out.removed.insert(c.record);
                    } else {
                        out.removed.remove(&c.record);
                    }
                    true
                }
                (ConflictKind::Refused, EntityKind::QuoteLine)
                    if field != CREATED && field != fields::quote_line::QUOTE_ID =>
                {
                    out.lines.entry(c.record).or_default().insert(field.to_string(), mine);
                    true
                }
                _ => false,
            };
            if taken {
                out.settle.push(Settle {
                    id: c.id.clone(),
                    how: CARRIED.to_string(),
                });
            }
        }
        Ok(out)
    }

    /// The lines of revision `new_id` made from quote `id` and what it carries: the
    /// quote's lines (less those removed here, with the edits made here) and the held
    /// lines added here, in the order this laptop gave them, numbered 1..n; and the held
    /// originals moved to the trash (their copies are the revision's).
    pub(super) fn revision_lines(&self, id: Id, new_id: Id, carried: &Carried) -> Result<Vec<Mutation>, AppError> {
        let mut lines: Vec<(u64, usize, Fields)> = Vec::new();
        let sources = self
            .ordered_lines(id)?
            .into_iter()
            .map(|(lid, _)| lid)
            .filter(|lid| !carried.removed.contains(lid))
            .chain(carried.added.iter().copied());
        for (i, lid) in sources.enumerate() {
            let Some(s) = self.store.get(EntityKind::QuoteLine, lid)? else {
                continue;
            };
            let mut lf = s.fields.clone();
            if let Some(edits) = carried.lines.get(&lid) {
                lf.extend(edits.clone());
            }
            let position = lf
                .get(fields::quote_line::POSITION)
                .and_then(Value::as_u64)
                .unwrap_or(u64::MAX);
            lines.push((position, i, lf));
        }
        lines.sort_by_key(|(position, i, _)| (*position, *i));
        let mut writes = Vec::with_capacity(lines.len() + carried.added.len());
        for (n, (_, _, mut lf)) in lines.into_iter().enumerate() {
            lf.insert(fields::quote_line::QUOTE_ID.into(), Value::String(new_id.to_string()));
            lf.insert(fields::quote_line::POSITION.into(), Value::from(n + 1));
            writes.push(Mutation::create(EntityKind::QuoteLine, lf));
        }
        for lid in &carried.added {
            writes.push(Mutation::delete(EntityKind::QuoteLine, *lid));
        }
        Ok(writes)
    }
}

/// One open conflict of a quote as `quote show` lists it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct QuoteConflict {
    /// The conflict id (`outpost conflicts resolve ID`).
    pub id: String,
    /// `refused` (an edit the server refused) or `held` (a line it never took).
    pub kind: String,
    /// `quote` (the header) or `quote_line`.
    pub entity: EntityKind,
    /// 1-based place of the line it is about on the document; `None` for the header
    /// and for a held line (not on the document).
    pub line: Option<usize>,
    /// What it is about: a field of the header or line, `removed` for a line removed
    /// here, `added` for a held line.
    pub what: String,
    /// The value written here.
    pub mine: Value,
    /// The document's value (null for a held line).
    pub sent: Value,
    /// The server's reason.
    pub reason: String,
}

impl App {
    /// The open conflicts of quote `id` as `quote show` lists them, with each line's
    /// place on `doc`.
    pub fn quote_conflict_rows(&self, doc: &super::quotes::QuoteDoc) -> Result<Vec<QuoteConflict>, AppError> {
        let mut out = Vec::new();
        for l in self.quote_conflicts(doc.id)? {
            let c = l.conflict;
            let line = doc.lines.iter().find(|d| d.id == c.record).map(|d| d.position);
            let what = match (c.kind, c.field.as_str()) {
                (ConflictKind::Held, _) => "added".to_string(),
                (_, DELETED) if c.loser.value == Value::Bool(true) => "removed".to_string(),
                (_, DELETED) => "restored".to_string(),
                (_, f) => f.to_string(),
            };
            out.push(QuoteConflict {
                id: c.id,
                kind: c.kind.name().to_string(),
                entity: c.entity,
                line,
                what,
                mine: c.loser.value,
                sent: c.winner.value,
                reason: c.reason.unwrap_or_default(),
            });
        }
        Ok(out)
    }
}

impl App {
    /// Why `choice` cannot settle conflict `c`: keeping (or writing) this laptop's value
    /// of a refused edit of a quote, or of one of its lines, that is frozen here would
    /// change a sent document, and the server would refuse it again. `quote revise`
    /// carries it into a new draft; `--keep theirs` drops it.
    pub(super) fn frozen_keep(
        &self,
        c: &crate::protocol::Conflict,
        choice: &crate::sync::conflicts::Choice,
    ) -> Result<Option<String>, AppError> {
        use crate::sync::conflicts::Choice;
        if c.kind != ConflictKind::Refused || !matches!(choice, Choice::Mine | Choice::Value(_)) {
            return Ok(None);
        }
        if c.entity == EntityKind::Quote && LIFECYCLE.contains(&c.field.as_str()) {
            return Ok(None);
        }
        let quote = match c.entity {
            EntityKind::Quote => Some(c.record),
            EntityKind::QuoteLine => self
                .store
                .get(EntityKind::QuoteLine, c.record)?
                .and_then(|s| s.text(fields::quote_line::QUOTE_ID).parse::<Id>().ok()),
            _ => None,
        };
        let Some(q) = quote.and_then(|q| self.quote(q).ok()) else {
            return Ok(None);
        };
        let status = q.status_on(self.today());
        if !status.frozen() {
            return Ok(None);
        }
        let n = q.display_number();
        Ok(Some(format!(
            "quote {n} is {}: keeping your value would change a sent document (and the server refuses it); \
             `outpost quote revise {n}` carries it into a new draft, `--keep theirs` drops it",
            status.name().replace('_', " ")
        )))
    }
}
