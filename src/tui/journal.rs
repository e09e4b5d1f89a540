//! What this session changed, for undo and redo: each step keeps the records as they were
//! before the change. Undoing writes them back through `App::revert` (a new recorded
//! write that syncs) and keeps the state they had, so redo can write that back.

use crate::app::App;
use crate::model::{EntityKind, Id};
use crate::protocol::record::Stored;

/// One change made in this session: what it was and the records before it.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// What the change was ("move 'Upgrade' to Proposal").
    pub label: String,
    /// The records it wrote, as they were before it.
    pub records: Vec<(EntityKind, Id, Stored)>,
}

impl Step {
    /// Reads the records a change is about to write. `None` when one cannot be read
    /// (the change is then not undoable, and the write itself reports the problem).
    #[must_use]
    pub fn before(app: &App, label: impl Into<String>, records: &[(EntityKind, Id)]) -> Option<Self> {
        let mut out = Vec::new();
        for (kind, id) in records {
            out.push((*kind, *id, app.record(*kind, *id).ok().flatten()?));
        }
        Some(Self {
            label: label.into(),
            records: out,
        })
    }

    /// Records a change just created: before it they were not there, which undo writes
    /// back as the record in the trash (redo restores it).
    #[must_use]
    pub fn created(app: &App, label: impl Into<String>, records: &[(EntityKind, Id)]) -> Option<Self> {
        let mut step = Self::before(app, label, records)?;
        for (_, _, stored) in &mut step.records {
            stored.deleted = true;
        }
        Some(step)
    }

    /// A change undo cannot take back, which stops undo from reaching past it.
    #[must_use]
    pub fn not_undoable(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            records: Vec::new(),
        }
    }

    /// The kinds the step touches.
    #[must_use]
    pub fn kinds(&self) -> Vec<EntityKind> {
        let mut k: Vec<EntityKind> = self.records.iter().map(|r| r.0).collect();
        k.dedup();
        k
    }
}

/// Undo and redo stacks.
#[derive(Clone, Debug, Default)]
pub struct Journal {
    /// Changes that can be undone, last on top.
    pub undo: Vec<Step>,
    /// Changes undone that can be made again, last on top.
    pub redo: Vec<Step>,
}

/// Which way [`Journal::apply`] goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// Undo the last change.
    Undo,
    /// Make the last undone change again.
    Redo,
}

impl Journal {
    /// A change was made: it can be undone, and what was undone before cannot be redone.
    pub fn record(&mut self, step: Step) {
        self.undo.push(step);
        self.redo.clear();
    }

    /// Undoes or redoes the last step: writes its records back and moves it to the other
    /// stack holding the records as they were just before. Returns the step's label and
    /// kinds, or a message when there is nothing to do or the write failed (the step then
    /// stays where it was).
    pub fn apply(&mut self, app: &App, way: Way) -> Result<(String, Vec<EntityKind>), String> {
        let (from, to) = match way {
            Way::Undo => (&mut self.undo, &mut self.redo),
            Way::Redo => (&mut self.redo, &mut self.undo),
        };
        let Some(step) = from.pop() else {
            return Err(match way {
                Way::Undo => "Nothing to undo in this session".into(),
                Way::Redo => "Nothing to redo".into(),
            });
        };
        if step.records.is_empty() {
            // A change undo cannot take back stands in the way: the one before it is
            // not undone in its place (the next `u` does that, knowingly).
            return Err(format!(
                "'{}' cannot be undone here (trash what it made if it was wrong); u again undoes the change before it",
                step.label
            ));
        }
        let keys: Vec<(EntityKind, Id)> = step.records.iter().map(|(k, id, _)| (*k, *id)).collect();
        let Some(now) = Step::before(app, step.label.clone(), &keys) else {
            from.push(step);
            return Err("The record is gone from the store; nothing to undo".into());
        };
        // Last written, first written back (a child before its parent on a restore).
        for (kind, id, stored) in step.records.iter().rev() {
            if let Err(e) = app.revert(*kind, *id, stored) {
                let label = step.label.clone();
                from.push(step);
                return Err(format!("Could not undo '{label}': {e}"));
            }
        }
        let kinds = step.kinds();
        to.push(now);
        Ok((step.label, kinds))
    }
}
