//! The merge core: pure functions over a record's stored state.
//!
//! Every field is a last-writer-wins register ordered by its hybrid-logical-clock value
//! (wall, counter, replica: never equal for different writes, so the tie-break is
//! deterministic). The tombstone (`_deleted`) is one more register, set by delete and
//! restore. Creation time (`_created`) keeps the smallest clock seen. Because every part
//! is a register with a total order, applying any set of changes in any order, grouping,
//! or with duplicates gives the same state; the property tests check that.
//!
//! Conflicts are detected here too: a set whose `base` is not the clock of the value it
//! meets, with a different value, was concurrent (the writer never saw that value); a
//! set on a deleted record, or a delete that did not see a field's current value, is an
//! edit concurrent with a delete. The server runs this in its commit order, so every
//! replica receives the same conflicts.
//!
//! One exception to last-writer-wins: a field that holds history (`stage_history`, see
//! `model::entity::merges_by_union`) is a set of entries with their own ids, merged by
//! union under the later clock, so concurrent moves of one deal all stay in its history.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{CREATED, ChangeOp, ConflictKind, DELETED, Side, Stored};
use crate::model::Hlc;
use crate::model::entity::{merges_by_union, union};

/// What applying a remote item does to its record.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Nothing changes (a duplicate, or a value that lost).
    Unchanged,
    /// The record becomes this.
    Put(Stored),
    /// The record goes away.
    Remove,
}

/// A conflict found while merging, before the server gives it an id.
#[derive(Clone, Debug, PartialEq)]
pub struct Detected {
    /// Edit or delete.
    pub kind: ConflictKind,
    /// The field (or `_deleted`).
    pub field: String,
    /// The value now in the record.
    pub winner: Side,
    /// The value set aside.
    pub loser: Side,
}

/// The result of merging one change into a record.
#[derive(Clone, Debug, PartialEq)]
pub struct Merged {
    /// The record after the change.
    pub state: Stored,
    /// Whether anything changed.
    pub changed: bool,
    /// Conflicts the change raised.
    pub conflicts: Vec<Detected>,
}

fn newer(incoming: Hlc, current: Option<&Hlc>) -> bool {
    current.is_none_or(|c| incoming > *c)
}

/// Whether a record state has been created (a set can in theory arrive before its
/// create; such a partial state is kept until the create arrives).
#[must_use]
pub fn exists(state: &Stored) -> bool {
    state.clocks.contains_key(CREATED)
}

/// Merges `op` (written at `hlc`) into `current`.
#[must_use]
pub fn apply(current: Option<&Stored>, hlc: Hlc, op: &ChangeOp) -> Merged {
    let mut state = current.cloned().unwrap_or_default();
    let mut changed = false;
    let mut conflicts = Vec::new();
    match op {
        ChangeOp::Create { fields } => {
            for (k, v) in fields {
                if k.starts_with('_') {
                    continue;
                }
                if merges_by_union(k) {
                    changed |= merge_union(&mut state, k, v, hlc);
                    continue;
                }
                if newer(hlc, state.clocks.get(k)) {
                    state.fields.insert(k.clone(), v.clone());
                    state.clocks.insert(k.clone(), hlc);
                    changed = true;
                }
            }
            if state.clocks.get(CREATED).is_none_or(|c| hlc < *c) {
                state.clocks.insert(CREATED.into(), hlc);
                changed = true;
            }
        }
        ChangeOp::Set { field, value, base } => {
            let cur = state.clocks.get(field).copied();
            if cur == Some(hlc) || field.starts_with('_') {
                return unchanged(state);
            }
            if merges_by_union(field) {
                // A set of entries: nothing is lost, so nothing conflicts (the stage
                // change it goes with raises any conflict there is).
                changed = merge_union(&mut state, field, value, hlc);
                return Merged {
                    state,
                    changed,
                    conflicts,
                };
            }
            let cur_value = state.fields.get(field).cloned().unwrap_or(Value::Null);
            if exists(&state) && state.deleted {
                conflicts.push(Detected {
                    kind: ConflictKind::Delete,
                    field: field.clone(),
                    winner: Side {
                        value: Value::Null,
                        hlc: state.clocks.get(DELETED).copied(),
                    },
                    loser: Side {
                        value: value.clone(),
                        hlc: Some(hlc),
                    },
                });
            }
            if let Some(c) = cur.filter(|c| *base != Some(*c) && cur_value != *value) {
                let mine = Side {
                    value: value.clone(),
                    hlc: Some(hlc),
                };
                let theirs = Side {
                    value: cur_value,
                    hlc: Some(c),
                };
                let (winner, loser) = if hlc > c { (mine, theirs) } else { (theirs, mine) };
                conflicts.push(Detected {
                    kind: ConflictKind::Edit,
                    field: field.clone(),
                    winner,
                    loser,
                });
            }
            if newer(hlc, cur.as_ref()) {
                state.fields.insert(field.clone(), value.clone());
                state.clocks.insert(field.clone(), hlc);
                changed = true;
            }
        }
        ChangeOp::Delete { seen, .. } => {
            let cur = state.clocks.get(DELETED).copied();
            if cur == Some(hlc) {
                return unchanged(state);
            }
            if newer(hlc, cur.as_ref()) {
                if exists(&state) && !state.deleted && !seen.is_empty() {
                    conflicts.extend(unseen_edits(&state, seen, hlc));
                }
                state.deleted = true;
                state.clocks.insert(DELETED.into(), hlc);
                changed = true;
            }
        }
        ChangeOp::Restore { .. } => {
            if newer(hlc, state.clocks.get(DELETED)) {
                state.deleted = false;
                state.clocks.insert(DELETED.into(), hlc);
                changed = true;
            }
        }
    }
    Merged {
        state,
        changed,
        conflicts,
    }
}

/// Merges a value of a [`merges_by_union`] field: the union of the entries, under the
/// later of the two clocks. Returns whether anything changed.
fn merge_union(state: &mut Stored, field: &str, value: &Value, hlc: Hlc) -> bool {
    let merged = union(field, state.fields.get(field), value);
    let mut changed = false;
    if state.fields.get(field) != Some(&merged) {
        state.fields.insert(field.to_string(), merged);
        changed = true;
    }
    if newer(hlc, state.clocks.get(field)) {
        state.clocks.insert(field.to_string(), hlc);
        changed = true;
    }
    changed
}

fn unchanged(state: Stored) -> Merged {
    Merged {
        state,
        changed: false,
        conflicts: Vec::new(),
    }
}

/// Fields whose current clock the deleting replica did not see: edits concurrent with
/// the delete.
fn unseen_edits(state: &Stored, seen: &BTreeMap<String, Hlc>, hlc: Hlc) -> Vec<Detected> {
    state
        .clocks
        .iter()
        .filter(|(k, c)| !k.starts_with('_') && !merges_by_union(k) && seen.get(*k) != Some(*c))
        .map(|(k, c)| Detected {
            kind: ConflictKind::Delete,
            field: k.clone(),
            winner: Side {
                value: Value::Null,
                hlc: Some(hlc),
            },
            loser: Side {
                value: state.fields.get(k).cloned().unwrap_or(Value::Null),
                hlc: Some(*c),
            },
        })
        .collect()
}

/// What merging a change does to a stored record, for the local store.
#[must_use]
pub fn outcome(current: Option<&Stored>, hlc: Hlc, op: &ChangeOp) -> Outcome {
    let merged = apply(current, hlc, op);
    if merged.changed {
        Outcome::Put(merged.state)
    } else {
        Outcome::Unchanged
    }
}

/// Puts back the server's state for what a refused change touched: the whole record for
/// a create, one field for a set, the tombstone for delete and restore. A refusal never
/// deletes local data: without a server state nothing changes (the sync layer holds
/// such records instead).
#[must_use]
pub fn revert(current: Option<&Stored>, op: &ChangeOp, server: Option<&Stored>) -> Outcome {
    let Some(server) = server else {
        return Outcome::Unchanged;
    };
    let Some(current) = current else {
        return Outcome::Put(server.clone());
    };
    let mut state = current.clone();
    match op {
        ChangeOp::Create { .. } => return Outcome::Put(server.clone()),
        ChangeOp::Set { field, .. } => copy_key(&mut state, server, field),
        ChangeOp::Delete { .. } | ChangeOp::Restore { .. } => {
            state.deleted = server.deleted;
            match server.clocks.get(DELETED) {
                Some(c) => state.clocks.insert(DELETED.into(), *c),
                None => state.clocks.remove(DELETED),
            };
        }
    }
    if state == *current {
        Outcome::Unchanged
    } else {
        Outcome::Put(state)
    }
}

fn copy_key(state: &mut Stored, from: &Stored, field: &str) {
    match from.fields.get(field) {
        Some(v) => state.fields.insert(field.to_string(), v.clone()),
        None => state.fields.remove(field),
    };
    match from.clocks.get(field) {
        Some(c) => state.clocks.insert(field.to_string(), *c),
        None => state.clocks.remove(field),
    };
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
