//! Conflicts as the front ends show them: one row per conflict with the record's name,
//! both sides as text and where it stands, and resolving one (a normal write through
//! `Store::commit`, so it syncs).

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::view::cell;
use super::{App, AppError};
use crate::model::{EntityKind, Id};
pub use crate::store::ConflictKind;
use crate::store::{HeldMark, LocalConflict, Side};
use crate::sync::conflicts::{self, Choice, Resolved};

/// One conflict, ready to show.
#[derive(Clone, Debug, PartialEq)]
pub struct ConflictRow {
    /// The conflict id (`812`, `812-1`).
    pub id: String,
    /// Edit, delete or refused.
    pub kind: ConflictKind,
    /// Kind of the record.
    pub entity: EntityKind,
    /// The record.
    pub record: Id,
    /// The record's name.
    pub title: String,
    /// The field as people read it (`amount`, `(deleted)`, `(created)`).
    pub field: String,
    /// The value this replica wrote (or the one in the record now), as text.
    pub mine: String,
    /// The other value, as text.
    pub theirs: String,
    /// The user whose change raised it.
    pub actor: String,
    /// Why the server refused the change (refused conflicts only).
    pub reason: Option<String>,
    /// When the server accepted the change that raised it.
    pub at: DateTime<Utc>,
    /// `open`, `settled` (someone wrote the field since) or `resolved (mine)`.
    pub status: String,
    /// True while it needs a decision.
    pub open: bool,
}

/// Why a resolution does not apply to a conflict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChoiceProblem {
    /// A held record the server never had: there is no server value to keep or
    /// change; fix and sync, or discard.
    NoServerValue,
    /// Discarding applies to held records only; this conflict is of another kind.
    NotHeld(ConflictKind),
}

/// A conflict as listed: the stored conflict, its row, and both sides.
#[derive(Clone, Debug)]
pub struct Listed {
    /// The conflict as the store keeps it, and whether it is open.
    pub listed: conflicts::Listed,
    /// The row people see.
    pub row: ConflictRow,
    /// This replica's side.
    pub mine: Side,
    /// The other side.
    pub theirs: Side,
}

/// The field name as shown: the tombstone and creation clocks get words.
#[must_use]
pub fn field_label(field: &str) -> String {
    match field {
        crate::store::DELETED => "(deleted)".to_string(),
        crate::store::CREATED => "(created)".to_string(),
        f => f.to_string(),
    }
}

/// Where a conflict stands, in words.
#[must_use]
pub fn status_text(local: &LocalConflict, open: bool) -> String {
    match (&local.resolved, open) {
        (Some(how), _) => format!("resolved ({how})"),
        (None, true) => "open".to_string(),
        (None, false) => "settled".to_string(),
    }
}

/// One side's value as text: a delete conflict's empty side is the deletion.
fn side_text(kind: ConflictKind, side: &Side) -> String {
    match (&side.value, kind) {
        (Value::Null, ConflictKind::Delete) => "(deleted)".to_string(),
        (Value::Null, _) => "(empty)".to_string(),
        (v, _) => cell(v),
    }
}

impl App {
    /// Conflicts on this replica, oldest first; only open ones unless `all`.
    pub fn conflict_rows(&self, all: bool) -> Result<Vec<ConflictRow>, AppError> {
        Ok(self.conflicts(all)?.into_iter().map(|c| c.row).collect())
    }

    /// Conflicts on this replica with everything scripts get: the stored conflict, the
    /// row people see, and both sides as this replica sees them (mine, theirs).
    pub fn conflicts(&self, all: bool) -> Result<Vec<Listed>, AppError> {
        let me = self.store.replica();
        let mut out = Vec::new();
        for l in conflicts::list(&self.store, all)? {
            let c = &l.conflict.conflict;
            let (mine, theirs) = c.mine_theirs(me);
            let held = c.kind == ConflictKind::Held;
            let row = ConflictRow {
                id: c.id.clone(),
                kind: c.kind,
                entity: c.entity,
                record: c.record,
                title: self.title(c.entity, c.record),
                field: field_label(&c.field),
                mine: if held {
                    "(kept here)".to_string()
                } else {
                    side_text(c.kind, mine)
                },
                theirs: if held {
                    "(not on the server)".to_string()
                } else {
                    side_text(c.kind, theirs)
                },
                actor: c.actor.clone(),
                reason: c.reason.clone(),
                at: c.at,
                status: status_text(&l.conflict, l.open),
                open: l.open,
            };
            let (mine, theirs) = (mine.clone(), theirs.clone());
            out.push(Listed {
                listed: l,
                row,
                mine,
                theirs,
            });
        }
        Ok(out)
    }

    /// The kind of conflict `id`, if there is one.
    pub fn conflict_kind(&self, id: &str) -> Result<Option<ConflictKind>, AppError> {
        Ok(self.store.conflict(id)?.map(|c| c.conflict.kind))
    }

    /// Why `choice` does not apply to conflict `id`, if it does not: a held record (the
    /// server never had it) can only be kept (mine) or discarded, and only a held
    /// record can be discarded. One rule for every front end; each words it its way.
    pub fn choice_problem(&self, id: &str, choice: &Choice) -> Result<Option<ChoiceProblem>, AppError> {
        let Some(kind) = self.conflict_kind(id)? else {
            return Ok(None);
        };
        let held = kind == ConflictKind::Held;
        if held == (*choice == Choice::Discard) || (held && *choice == Choice::Mine) {
            return Ok(None);
        }
        Ok(Some(if held {
            ChoiceProblem::NoServerValue
        } else {
            ChoiceProblem::NotHeld(kind)
        }))
    }

    /// The mark on a held record (the server refused it and does not hold it), while
    /// it is held and not in the trash.
    pub fn held(&self, kind: EntityKind, id: Id) -> Result<Option<HeldMark>, AppError> {
        let Some(mark) = self.store.held(kind, id)? else {
            return Ok(None);
        };
        Ok(self.store.get(kind, id)?.filter(|r| !r.deleted).map(|_| mark))
    }

    /// Resolves every open conflict `filter` matches with `choice` (one transaction
    /// each).
    pub fn resolve_conflicts(&self, filter: conflicts::Filter, choice: &Choice) -> Result<conflicts::Bulk, AppError> {
        let veto = |c: &crate::protocol::Conflict| {
            self.frozen_keep(c, choice)
                .map_err(|e| crate::store::StoreError::State {
                    index: 0,
                    message: e.to_string(),
                })
        };
        Ok(conflicts::resolve_all_but(&self.store, filter, choice, &veto)?)
    }

    /// Resolves conflict `id`: keeps one side or writes another value, through
    /// `Store::commit` like any edit.
    pub fn resolve_conflict(&self, id: &str, choice: &Choice) -> Result<Resolved, AppError> {
        self.resolve_conflict_cascading(id, choice, false)
    }

    /// [`App::resolve_conflict`]; with `cascade`, discarding a held record also discards
    /// the held records that link to it (else that is refused, listing them).
    pub fn resolve_conflict_cascading(&self, id: &str, choice: &Choice, cascade: bool) -> Result<Resolved, AppError> {
        if let Some(c) = self.store.conflict(id)?
            && let Some(why) = self.frozen_keep(&c.conflict, choice)?
        {
            return Err(AppError::Invalid(format!("conflict {id}: {why}")));
        }
        Ok(conflicts::resolve_with(&self.store, id, choice, cascade)?)
    }
}
