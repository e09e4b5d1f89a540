//! Listing and resolving conflicts. Resolving is a normal write through
//! [`Store::commit`], so it syncs like any edit and, once other replicas pull it,
//! settles the conflict there too (their record no longer holds the conflicting state).

use serde_json::Value;

use crate::model::{EntityKind, Fields, ReplicaId};
use crate::protocol::{CREATED, Conflict, ConflictKind, DELETED, Stored};
use crate::store::{LocalConflict, Mutation, Op, Settle, Store, StoreError};

/// A conflict with whether it still needs a decision.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Listed {
    /// The conflict.
    #[serde(flatten)]
    pub conflict: LocalConflict,
    /// True while it needs a decision.
    pub open: bool,
}

/// Conflicts on this replica, oldest first; only open ones unless `all`.
pub fn list(store: &Store, all: bool) -> Result<Vec<Listed>, StoreError> {
    let mut out = Vec::new();
    for c in store.conflicts()? {
        let open = store.conflict_is_open(&c)?;
        if all || open {
            out.push(Listed { conflict: c, open });
        }
    }
    Ok(out)
}

/// How to resolve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Keep the value this replica wrote (or the current one if it wrote neither).
    Mine,
    /// Keep the other value.
    Theirs,
    /// Write this value instead (text, or JSON for numbers and lists).
    Value(String),
    /// Move a held record to the trash (held conflicts only).
    Discard,
}

impl Choice {
    fn name(&self) -> &'static str {
        match self {
            Self::Mine => "mine",
            Self::Theirs => "theirs",
            Self::Value(_) => "value",
            Self::Discard => "discard",
        }
    }
}

/// Which open conflicts a bulk resolve takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this kind.
    pub kind: Option<ConflictKind>,
    /// Only records of this kind.
    pub entity: Option<EntityKind>,
}

impl Filter {
    /// Whether `c` matches.
    #[must_use]
    pub fn matches(&self, c: &Conflict) -> bool {
        self.kind.is_none_or(|k| k == c.kind) && self.entity.is_none_or(|e| e == c.entity)
    }
}

/// What a bulk resolve did.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Bulk {
    /// Conflicts resolved.
    pub resolved: Vec<Resolved>,
    /// Conflicts left open, with why (id, reason).
    pub skipped: Vec<(String, String)>,
}

/// Resolves every open conflict `filter` matches with `choice`, one transaction each
/// (a conflict that an earlier one settled is passed over). Held records are kept with
/// `mine` (they are sent again by each sync) and passed over with `theirs`: only
/// `--discard` trashes them.
pub fn resolve_all(store: &Store, filter: Filter, choice: &Choice) -> Result<Bulk, StoreError> {
    resolve_all_but(store, filter, choice, &|_| Ok(None))
}

/// The fields this store's unsent changes stamped past `ceiling` change, each with the
/// clock of the value the first such change replaced (its `base`): read before they
/// are sent, for [`rewrite_refused_ahead`].
pub type AheadBases = std::collections::HashMap<(EntityKind, crate::model::Id, String), Option<crate::model::Hlc>>;

/// [`AheadBases`] of `store`'s outbox.
pub fn ahead_bases(store: &Store, ceiling: u64) -> Result<AheadBases, StoreError> {
    use crate::protocol::ChangeOp;
    let mut out = AheadBases::new();
    let mut after = 0;
    loop {
        let page = store.pending_between(after, u64::MAX, 1000)?;
        let Some(last) = page.last() else {
            return Ok(out);
        };
        after = last.seq;
        for c in page.iter().filter(|c| c.hlc.wall > ceiling) {
            let (field, base) = match &c.op {
                ChangeOp::Set { field, base, .. } => (field.clone(), *base),
                ChangeOp::Delete { base, .. } | ChangeOp::Restore { base } => (DELETED.to_string(), *base),
                ChangeOp::Create { .. } => continue,
            };
            out.entry((c.entity, c.id, field)).or_insert(base);
        }
    }
}

/// Writes again, as this laptop wrote them, its edits the server refused for their
/// time (the open refused conflicts whose refused side this replica stamped past
/// `ceiling`), each resolved keeping this laptop's value: a new edit with the clock
/// now. Only where the server still holds the value the edit replaced (`bases`): a
/// value somebody wrote since stays, and the conflict stays open for the user to
/// decide, as any concurrent edit's would. A stage history is not written again: the
/// stage written again records the move anew, at the time now (the refused entries
/// carry the time the clock ran ahead to). A conflict that cannot be resolved stays
/// open. Returns how many were resolved.
pub fn rewrite_refused_ahead(store: &Store, ceiling: u64, bases: &AheadBases) -> Result<usize, StoreError> {
    const STAGE_HISTORY: &str = "stage_history";
    let me = store.replica();
    let mut resolved = 0;
    for l in store.conflicts()? {
        let c = &l.conflict;
        let ahead = c.loser.hlc.is_some_and(|h| h.replica == me && h.wall > ceiling);
        if c.kind != ConflictKind::Refused || !ahead || !store.conflict_is_open(&l)? {
            continue;
        }
        let unchanged_since = bases
            .get(&(c.entity, c.record, c.field.clone()))
            .is_some_and(|base| *base == c.winner.hlc);
        if !unchanged_since {
            continue;
        }
        let choice = if c.field == STAGE_HISTORY {
            Choice::Theirs
        } else {
            Choice::Mine
        };
        if resolve_with(store, &c.id, &choice, false).is_ok() {
            resolved += 1;
        }
    }
    Ok(resolved)
}

/// [`resolve_all`], passing over the conflicts `veto` gives a reason for (a rule of the
/// layer above, e.g. that a sent quote does not take a refused value back).
pub fn resolve_all_but(
    store: &Store,
    filter: Filter,
    choice: &Choice,
    veto: &dyn Fn(&Conflict) -> Result<Option<String>, StoreError>,
) -> Result<Bulk, StoreError> {
    let mut bulk = Bulk::default();
    for l in store.conflicts()? {
        if !filter.matches(&l.conflict) || !store.conflict_is_open(&l)? {
            continue;
        }
        let c = &l.conflict;
        if let Some(why) = veto(c)? {
            bulk.skipped.push((c.id.clone(), why));
            continue;
        }
        let held = c.kind == ConflictKind::Held;
        if held && matches!(choice, Choice::Theirs | Choice::Value(_)) {
            bulk.skipped.push((
                c.id.clone(),
                "held record: the server never had it; discard it with --discard".into(),
            ));
            continue;
        }
        if !held && *choice == Choice::Discard {
            bulk.skipped.push((c.id.clone(), "not a held record".into()));
            continue;
        }
        // Discarding every held record (no entity filter) takes the children too.
        match resolve_with(store, &c.id, choice, filter.entity.is_none()) {
            Ok(done) => bulk.resolved.push(done),
            Err(e) if e.is_refusal() => bulk.skipped.push((c.id.clone(), e.to_string())),
            Err(e) => return Err(e),
        }
    }
    Ok(bulk)
}

/// What resolving did.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Resolved {
    /// The conflict id.
    pub id: String,
    /// What was kept, in words.
    pub kept: String,
    /// Whether a change was written (and will sync).
    pub wrote: bool,
}

/// Reads `text` as a value of the same shape as the values in conflict.
fn parse_value(text: &str, like: &[&Value]) -> Value {
    let textual = like.iter().all(|v| v.is_string() || v.is_null());
    if textual {
        return Value::String(text.to_string());
    }
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

fn state_error(message: String) -> StoreError {
    StoreError::State { index: 0, message }
}

/// Resolves conflict `id` on this replica (a held record with held records linking to
/// it is not discarded: see [`resolve_with`]).
pub fn resolve(store: &Store, id: &str, choice: &Choice) -> Result<Resolved, StoreError> {
    resolve_with(store, id, choice, false)
}

/// Resolves conflict `id` on this replica. With `cascade`, discarding a held record
/// also discards the held records that link to it (a contact of a held account), which
/// could never reach the server without it; without, such a discard is refused.
pub fn resolve_with(store: &Store, id: &str, choice: &Choice, cascade: bool) -> Result<Resolved, StoreError> {
    let local = store
        .conflict(id)?
        .ok_or_else(|| StoreError::NoConflict { id: id.to_string() })?;
    if local.resolved.is_some() {
        return Err(state_error(format!(
            "conflict {id} is already resolved ({})",
            local.resolved.unwrap_or_default()
        )));
    }
    if !store.conflict_is_open(&local)? {
        return Err(state_error(if local.conflict.kind == ConflictKind::Held {
            format!(
                "conflict {id} is settled: the record is no longer held (it reached the server, or was \
                 discarded); see `outpost conflicts list`"
            )
        } else {
            format!("conflict {id} is settled: the field was written again since; see `outpost conflicts list --all`")
        }));
    }
    let c = &local.conflict;
    let me: ReplicaId = store.replica();
    let (mine, theirs) = c.mine_theirs(me);
    let record = store.get(c.entity, c.record)?;
    let kept_side = match choice {
        Choice::Mine => Some(mine),
        Choice::Theirs => Some(theirs),
        Choice::Value(_) | Choice::Discard => None,
    };
    if c.kind == ConflictKind::Held {
        return resolve_held(store, &local, choice, record.as_ref(), cascade);
    }
    if *choice == Choice::Discard {
        return Err(state_error(format!(
            "conflict {id} is not a held record; --discard only moves a held record to the trash \
             (use --keep mine, --keep theirs or --value)"
        )));
    }
    let mutations: Vec<Mutation> = match c.kind {
        ConflictKind::Held => Vec::new(),
        ConflictKind::Edit => {
            let value = match (choice, kept_side) {
                (Choice::Value(v), _) => parse_value(v, &[&c.winner.value, &c.loser.value]),
                (_, Some(side)) => side.value.clone(),
                (_, None) => Value::Null,
            };
            set_field(c.entity, c.record, &c.field, value, record.as_ref())?
        }
        ConflictKind::Delete => {
            // The deletion side has value null; the other side is the edit.
            let keep_delete = kept_side.is_some_and(|s| s.value.is_null() && s.hlc == c.winner.hlc);
            let mut m = Vec::new();
            let deleted = record.as_ref().is_some_and(|r| r.deleted);
            if keep_delete {
                if deleted {
                    m.push(tomb(c.entity, c.record, Op::Restore));
                    m.push(tomb(c.entity, c.record, Op::Delete));
                }
            } else {
                if deleted {
                    m.push(tomb(c.entity, c.record, Op::Restore));
                }
                let value = match choice {
                    Choice::Value(v) => parse_value(v, &[&c.loser.value]),
                    _ => c.loser.value.clone(),
                };
                let mut fields = Fields::new();
                fields.insert(c.field.clone(), value);
                m.push(Mutation::update(c.entity, c.record, fields));
            }
            m
        }
        ConflictKind::Refused => refused(
            c,
            choice,
            kept_side.is_some_and(|s| std::ptr::eq(s, theirs)),
            record.as_ref(),
        )?,
    };
    let wrote = !mutations.is_empty();
    store.commit_settling(
        &mutations,
        &[Settle {
            id: id.to_string(),
            how: choice.name().to_string(),
        }],
    )?;
    let kept = match choice {
        Choice::Value(v) => format!("the value {v}"),
        _ => format!("{} value", choice.name()),
    };
    Ok(Resolved {
        id: c.id.clone(),
        kept,
        wrote,
    })
}

/// A held record: `--discard` moves it to the trash and settles it (one transaction);
/// `mine` keeps it held (a sync sends it again after an edit); `theirs` or a value make no sense
/// for a record the server never had.
fn resolve_held(
    store: &Store,
    local: &LocalConflict,
    choice: &Choice,
    record: Option<&Stored>,
    cascade: bool,
) -> Result<Resolved, StoreError> {
    let c = &local.conflict;
    match choice {
        Choice::Discard => {
            let mut mutations = match record {
                Some(r) if !r.deleted => vec![tomb(c.entity, c.record, Op::Delete)],
                _ => Vec::new(),
            };
            let mut settle = vec![Settle {
                id: c.id.clone(),
                how: choice.name().to_string(),
            }];
            let children = held_children(store, c.entity, c.record)?;
            if !children.is_empty() && !cascade {
                let list: Vec<String> = children
                    .iter()
                    .map(|m| format!("{} {} (conflict {})", m.entity, m.id, m.conflict))
                    .collect();
                return Err(state_error(format!(
                    "{} held record(s) link to this {}: {}; they could never reach the server without it. \
                     Discard them too with `outpost conflicts resolve {} --discard --cascade`, or link them \
                     elsewhere first",
                    children.len(),
                    c.entity,
                    list.join(", "),
                    c.id
                )));
            }
            for m in &children {
                mutations.push(tomb(m.entity, m.id, Op::Delete));
                settle.push(Settle {
                    id: m.conflict.clone(),
                    how: choice.name().to_string(),
                });
            }
            store.commit_settling(&mutations, &settle)?;
            Ok(Resolved {
                id: c.id.clone(),
                kept: if children.is_empty() {
                    "nothing: the record is in the trash".into()
                } else {
                    format!(
                        "nothing: the record and {} held record(s) linking to it are in the trash",
                        children.len()
                    )
                },
                wrote: !mutations.is_empty(),
            })
        }
        Choice::Mine => Ok(Resolved {
            id: c.id.clone(),
            kept: "your record, held: `outpost sync` sends it again once you edit it (or with --retry-held)".into(),
            wrote: false,
        }),
        Choice::Theirs | Choice::Value(_) => Err(state_error(format!(
            "conflict {} is a held record the server never had, so there is no server value to keep; \
             fix the record and sync, or move it to the trash with `outpost conflicts resolve {} --discard`",
            c.id, c.id
        ))),
    }
}

/// The live held records that link to `kind` `id`, directly or through other held
/// records (children before grandchildren), found through the by-parent index.
fn held_children(
    store: &Store,
    kind: crate::model::EntityKind,
    id: crate::model::Id,
) -> Result<Vec<crate::store::HeldMark>, StoreError> {
    let mut parents = vec![id];
    let mut seen = std::collections::BTreeSet::from([(kind, id)]);
    let mut out = Vec::new();
    while let Some(p) = parents.pop() {
        for child_kind in crate::model::EntityKind::ALL {
            for child in store.children(p, child_kind)? {
                if !seen.insert((child_kind, child)) {
                    continue;
                }
                let live = store.get(child_kind, child)?.is_some_and(|r| !r.deleted);
                if let Some(mark) = store.held(child_kind, child)?.filter(|_| live) {
                    parents.push(child);
                    out.push(mark);
                }
            }
        }
    }
    Ok(out)
}

fn tomb(kind: crate::model::EntityKind, id: crate::model::Id, op: Op) -> Mutation {
    Mutation { kind, id, op }
}

/// A write of `value` to `field`, stamped even if the value does not change.
fn set_field(
    kind: crate::model::EntityKind,
    id: crate::model::Id,
    field: &str,
    value: Value,
    record: Option<&Stored>,
) -> Result<Vec<Mutation>, StoreError> {
    let Some(record) = record else {
        return Err(state_error(format!("{kind} {id} is not in this store")));
    };
    if record.deleted {
        return Err(StoreError::InTrash {
            index: 0,
            kind,
            id,
            field: None,
        });
    }
    let mut fields = Fields::new();
    let same = record.fields.get(field) == Some(&value);
    fields.insert(field.to_string(), value);
    let op = if same { Op::Rewrite(fields) } else { Op::Update(fields) };
    Ok(vec![Mutation { kind, id, op }])
}

/// Refused changes: keeping the server's value needs no write (it is already back);
/// keeping mine writes it again (the server decides again).
fn refused(
    c: &crate::protocol::Conflict,
    choice: &Choice,
    theirs: bool,
    record: Option<&Stored>,
) -> Result<Vec<Mutation>, StoreError> {
    if theirs {
        return Ok(Vec::new());
    }
    let value = match choice {
        Choice::Value(v) => parse_value(v, &[&c.loser.value]),
        _ => c.loser.value.clone(),
    };
    match c.field.as_str() {
        CREATED => match (record, value) {
            (None, Value::Object(fields)) => Ok(vec![Mutation {
                kind: c.entity,
                id: c.record,
                op: Op::Create(fields),
            }]),
            (Some(_), _) => Err(state_error(format!(
                "{} {} exists again; edit it instead",
                c.entity, c.record
            ))),
            _ => Err(state_error(
                "only --keep mine or theirs can resolve a refused create".into(),
            )),
        },
        DELETED => {
            let want_deleted = value.as_bool().unwrap_or(false);
            match record {
                Some(r) if r.deleted != want_deleted => Ok(vec![tomb(
                    c.entity,
                    c.record,
                    if want_deleted { Op::Delete } else { Op::Restore },
                )]),
                _ => Ok(Vec::new()),
            }
        }
        field => set_field(c.entity, c.record, field, value, record),
    }
}
