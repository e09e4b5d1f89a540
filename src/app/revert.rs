//! Putting a record back to a state it had: the TUI's undo and redo. A revert is a new
//! write through the store's one write path (fresh clocks, outbox changes), so it syncs
//! like any other edit; history that only grows (`stage_history`) is never rolled back,
//! and a stage written back records its own history entry.

use serde_json::Value;

use super::{App, AppError};
use crate::model::entity::merges_by_union;
use crate::model::{EntityKind, Fields, Id};
use crate::protocol::record::Stored;
use crate::store::Mutation;

impl App {
    /// Writes record `id` back to `to` (a copy read earlier through [`App::record`]):
    /// takes it out of or puts it in the trash as `to` was, and sets every field that
    /// differs (a field `to` lacked is cleared). Returns whether anything was written.
    pub fn revert(&self, kind: EntityKind, id: Id, to: &Stored) -> Result<bool, AppError> {
        let now = self
            .record(kind, id)?
            .ok_or_else(|| AppError::NotFound(format!("no {kind} with id {id}")))?;
        let mut fields = Fields::new();
        let keys = now.fields.keys().chain(to.fields.keys());
        for key in keys {
            if merges_by_union(key) || fields.contains_key(key) {
                continue;
            }
            let want = to.fields.get(key).cloned().unwrap_or(Value::Null);
            let have = now.fields.get(key).cloned().unwrap_or(Value::Null);
            if want != have {
                fields.insert(key.clone(), want);
            }
        }
        let mut muts = Vec::new();
        if now.deleted && !to.deleted {
            muts.push(Mutation::restore(kind, id));
        }
        let stays_in_trash = now.deleted && to.deleted;
        if !fields.is_empty() && !stays_in_trash {
            muts.push(Mutation::update(kind, id, fields));
        }
        if !now.deleted && to.deleted {
            // As `rm` without --cascade: records made since that point at it stay live.
            let dependants = self.dependants(id)?;
            if !dependants.is_empty() {
                return Err(AppError::Invalid(format!(
                    "{kind} '{}' has {} record(s) pointing at it now; trash those first, or this one from its list",
                    self.title(kind, id),
                    dependants.len()
                )));
            }
            muts.push(Mutation::delete(kind, id));
        }
        if muts.is_empty() {
            return Ok(false);
        }
        self.store.commit(&muts)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::WallClock;

    fn app() -> (tempfile::TempDir, App) {
        let dir = tempfile::tempdir().expect("dir");
        let app = App::open_with_clock(dir.path(), WallClock::system()).expect("open");
        (dir, app)
    }

    fn values(kind: EntityKind, pairs: &[(&str, &str)]) -> super::super::ops::Values {
        pairs
            .iter()
            .map(|(k, v)| (super::super::ops::spec_of(kind, k), vec![(*v).to_string()]))
            .collect()
    }

    #[test]
    fn an_edit_a_stage_move_and_a_delete_go_back_as_new_writes() {
        let (_d, app) = app();
        let acc = app
            .create(EntityKind::Account, &values(EntityKind::Account, &[("name", "Acme")]))
            .expect("account");
        let deal = app
            .create(
                EntityKind::Opportunity,
                &values(
                    EntityKind::Opportunity,
                    &[("name", "Big"), ("account_id", &acc.to_string()), ("amount", "10")],
                ),
            )
            .expect("deal");
        let before = app.record(EntityKind::Opportunity, deal).expect("get").expect("deal");
        app.move_stage(deal, "Proposal", None).expect("move");
        app.edit(
            EntityKind::Opportunity,
            deal,
            &values(EntityKind::Opportunity, &[("next_step", "call")]),
        )
        .expect("edit");
        let outbox = app.store.outbox_len();
        assert!(app.revert(EntityKind::Opportunity, deal, &before).expect("revert"));
        assert!(app.store.outbox_len() > outbox, "the revert is recorded to sync");
        let now = app.record(EntityKind::Opportunity, deal).expect("get").expect("deal");
        assert_eq!(now.text("stage"), before.text("stage"));
        assert_eq!(now.fields.get("probability"), before.fields.get("probability"));
        assert!(now.fields.get("next_step").is_none_or(Value::is_null));
        let history = crate::model::records::StageHistory::from_value(&now.fields["stage_history"]);
        assert_eq!(history.last().map(|h| h.stage.as_str()), Some("Prospecting"));
        assert!(
            !app.revert(EntityKind::Opportunity, deal, &before).expect("again"),
            "nothing left"
        );

        // A delete goes back by a restore, and the restore back by a delete.
        let live = app.record(EntityKind::Account, acc).expect("get").expect("acc");
        app.remove(EntityKind::Opportunity, deal, false).expect("rm deal");
        app.remove(EntityKind::Account, acc, false).expect("rm");
        let trashed = app.record(EntityKind::Account, acc).expect("get").expect("acc");
        assert!(app.revert(EntityKind::Account, acc, &live).expect("restore"));
        assert!(!app.record(EntityKind::Account, acc).expect("get").expect("acc").deleted);
        assert!(app.revert(EntityKind::Account, acc, &trashed).expect("delete"));
        assert!(app.record(EntityKind::Account, acc).expect("get").expect("acc").deleted);
    }
}
