//! Territories: `territory assign` sets each account's `territory_id` from the rules.
//!
//! The rule, in one place: among the territories whose rules all match an account (see
//! [`crate::model::records::Territory::score`]), the most specific wins: the longest
//! matching postcode prefix, then a country match, then an industry match; a tie goes
//! to the territory deeper in the tree, then to the name (alphabetically first), then
//! the id. An account no territory matches keeps the territory it has (set by hand or
//! by an earlier assign). Every change goes through the write path.

use serde_json::{Value, json};

use super::{App, AppError};
use crate::model::records::fields;
use crate::model::records::{Place, Territory};
use crate::model::{EntityKind, Fields, Id};
use crate::store::Mutation;

/// One account whose territory `assign` changes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Assignment {
    /// The account.
    pub account_id: Id,
    /// Its name.
    pub account_name: String,
    /// The territory it had.
    pub old_id: Option<Id>,
    /// Its name ("" when none).
    pub old_name: String,
    /// The territory the rules give it.
    pub new_id: Id,
    /// Its name.
    pub new_name: String,
}

fn id_of(fields: &Fields, key: &str) -> Option<Id> {
    fields.get(key).and_then(Value::as_str).and_then(|s| s.parse().ok())
}

impl App {
    /// The changes the territory rules make to accounts; writes them unless `dry_run`.
    pub fn assign_territories(&self, dry_run: bool) -> Result<Vec<Assignment>, AppError> {
        let mut territories: Vec<(Id, Territory)> = Vec::new();
        for item in self.store.live(EntityKind::Territory) {
            let (id, stored) = item?;
            if let Ok(t) = serde_json::from_value::<Territory>(Value::Object(stored.fields)) {
                territories.push((id, t));
            }
        }
        let parents: std::collections::HashMap<Id, Option<Id>> =
            territories.iter().map(|(id, t)| (*id, t.parent_id)).collect();
        let depth = |mut id: Id| {
            let mut d = 0usize;
            while let Some(Some(p)) = parents.get(&id) {
                d += 1;
                id = *p;
                if d > parents.len() {
                    break;
                }
            }
            d
        };
        let name_of = |id: Option<Id>| {
            id.and_then(|i| territories.iter().find(|(t, _)| *t == i))
                .map(|(_, t)| t.name.clone())
                .unwrap_or_default()
        };
        let mut out = Vec::new();
        for item in self.store.live(EntityKind::Account) {
            let (account_id, stored) = item?;
            let text = |k: &str| stored.fields.get(k).and_then(Value::as_str);
            let place = Place {
                country: text("country"),
                postcode: text(fields::account::POSTCODE),
                industry: text(fields::account::INDUSTRY),
            };
            let best = territories
                .iter()
                .filter_map(|(id, t)| t.score(&place).map(|s| (s, depth(*id), t, *id)))
                .max_by(|a, b| {
                    a.0.cmp(&b.0)
                        .then(a.1.cmp(&b.1))
                        .then_with(|| b.2.name.cmp(&a.2.name))
                        .then_with(|| b.3.cmp(&a.3))
                });
            let old = id_of(&stored.fields, fields::account::TERRITORY_ID);
            if let Some((_, _, t, new)) = best
                && old != Some(new)
            {
                out.push(Assignment {
                    account_id,
                    account_name: stored.text("name").to_string(),
                    old_id: old,
                    old_name: name_of(old),
                    new_id: new,
                    new_name: t.name.clone(),
                });
            }
        }
        if !dry_run && !out.is_empty() {
            let muts: Vec<Mutation> = out
                .iter()
                .map(|a| {
                    let mut f = Fields::new();
                    f.insert(fields::account::TERRITORY_ID.into(), json!(a.new_id.to_string()));
                    Mutation::update(EntityKind::Account, a.account_id, f)
                })
                .collect();
            self.store.commit(&muts)?;
        }
        Ok(out)
    }

    /// Refuses a territory parent that would make a loop (itself or one of its own
    /// descendants).
    pub(crate) fn check_territory_parent(&self, id: Option<Id>, fields: &Fields) -> Result<(), AppError> {
        let Some(mut parent) = id_of(fields, fields::territory::PARENT_ID) else {
            return Ok(());
        };
        let Some(me) = id else {
            return Ok(());
        };
        for _ in 0..10_000 {
            if parent == me {
                return Err(AppError::Invalid(
                    "parent_id: a territory cannot lie in itself or in one of its own sub-territories".into(),
                ));
            }
            match self
                .store
                .get(EntityKind::Territory, parent)?
                .and_then(|s| id_of(&s.fields, fields::territory::PARENT_ID))
            {
                Some(p) => parent = p,
                None => return Ok(()),
            }
        }
        Ok(())
    }
}
