//! The one write path. [`Store::commit`] validates a batch of mutations and, in one sled
//! transaction, writes each record and its index entries, stamps every changed field
//! with a fresh hybrid-logical-clock value, appends the changes to the outbox with
//! contiguous sequence numbers, and records the last clock; then it flushes.

use std::collections::BTreeMap;

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

use super::conflict::{self, LocalConflict};
use super::held;
use super::meta::{K_DEVICE, K_LAST_HLC, counter_key, parse_hlc, parse_u64};
use super::{CONFLICTS, HELD, META, OUTBOX, Store, StoreError, Stored, entity_pos};
use crate::model::entity::{Checked, Context, Described};
use crate::model::{EntityKind, Fields, Hlc, Id, ReplicaId};
use crate::protocol::{CREATED, Change, ChangeOp, Conflict, ConflictKind, DELETED};

/// What to do to one record.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Make a new record with these fields.
    Create(Fields),
    /// Change these fields (others stay).
    Update(Fields),
    /// Move the record to the trash (a tombstone).
    Delete,
    /// Take it out of the trash.
    Restore,
    /// Like [`Op::Update`], but stamps every given field with a fresh clock even when its
    /// value does not change. Resolving a conflict in favour of the current value uses it,
    /// so the resolution reaches (and closes the conflict on) every replica.
    Rewrite(Fields),
    /// Sends a held record again (see `held.rs`): stamps every field with a fresh clock
    /// and records a `create` carrying the record's current fields (the refused changes
    /// are already in the server's log, so a new change is needed). The record's mark
    /// remembers the change, so the sync that sees it accepted clears the mark.
    Resend,
}

/// One change to one record.
#[derive(Clone, Debug, PartialEq)]
pub struct Mutation {
    /// Kind of record.
    pub kind: EntityKind,
    /// Its id (new for creates).
    pub id: Id,
    /// What to do.
    pub op: Op,
}

impl Mutation {
    /// A create with a fresh id.
    #[must_use]
    pub fn create(kind: EntityKind, fields: Fields) -> Self {
        Self {
            kind,
            id: Id::new(),
            op: Op::Create(fields),
        }
    }

    /// An update of some fields.
    #[must_use]
    pub fn update(kind: EntityKind, id: Id, fields: Fields) -> Self {
        Self {
            kind,
            id,
            op: Op::Update(fields),
        }
    }

    /// A move to the trash.
    #[must_use]
    pub fn delete(kind: EntityKind, id: Id) -> Self {
        Self {
            kind,
            id,
            op: Op::Delete,
        }
    }

    /// A return from the trash.
    #[must_use]
    pub fn restore(kind: EntityKind, id: Id) -> Self {
        Self {
            kind,
            id,
            op: Op::Restore,
        }
    }
}

/// A conflict a commit settles, in the same transaction as the writes that resolve it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settle {
    /// The conflict id.
    pub id: String,
    /// How it was resolved (`mine`, `theirs`, `value`, `discard`).
    pub how: String,
}

/// State carried through one transaction.
struct Tx<'a> {
    trees: &'a [TransactionalTree],
    replica: ReplicaId,
    clock: Hlc,
    seq: u64,
    /// The time of this write, read once from the store's clock.
    now_ms: u64,
    /// Checking context with this write's time.
    ctx: &'a Context,
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

fn abort<T>(e: StoreError) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(e))
}

impl Store {
    /// Applies `mutations` atomically: all of them or none. Returns the clock of each.
    pub fn commit(&self, mutations: &[Mutation]) -> Result<Vec<Hlc>, StoreError> {
        self.commit_all(mutations, &[], &[])
    }

    /// [`Store::commit`] that also marks conflicts resolved (and lifts the mark of a held
    /// record whose `held` conflict it settles), in the same transaction. Fails, writing
    /// nothing, when a conflict does not exist or is already resolved.
    pub fn commit_settling(&self, mutations: &[Mutation], settles: &[Settle]) -> Result<Vec<Hlc>, StoreError> {
        self.commit_all(mutations, &[], settles)
    }

    /// [`Store::commit`] plus bookkeeping in `meta` (set a key, or remove it with `None`)
    /// in the same transaction, e.g. the marker of an import that spans several commits.
    pub fn commit_with_meta(
        &self,
        mutations: &[Mutation],
        meta: &[(&str, Option<&str>)],
    ) -> Result<Vec<Hlc>, StoreError> {
        self.commit_all(mutations, meta, &[])
    }

    fn commit_all(
        &self,
        mutations: &[Mutation],
        meta: &[(&str, Option<&str>)],
        settles: &[Settle],
    ) -> Result<Vec<Hlc>, StoreError> {
        self.commit_inner(mutations, meta, settles, super::staged::Seq::Outbox)
    }

    /// [`Store::commit_with_meta`] as one part of a write that spans several
    /// transactions (see `staged.rs`): its changes are staged (numbered after the
    /// outbox, but not in it yet) until the part with `publish` set, which puts them
    /// all in the outbox at once.
    pub fn commit_staged(
        &self,
        mutations: &[Mutation],
        meta: &[(&str, Option<&str>)],
        publish: bool,
    ) -> Result<Vec<Hlc>, StoreError> {
        let how = if publish {
            super::staged::Seq::Publish
        } else {
            super::staged::Seq::Stage
        };
        self.commit_inner(mutations, meta, &[], how)
    }

    fn commit_inner(
        &self,
        mutations: &[Mutation],
        meta: &[(&str, Option<&str>)],
        settles: &[Settle],
        staged: super::staged::Seq,
    ) -> Result<Vec<Hlc>, StoreError> {
        if mutations.is_empty() && meta.is_empty() && settles.is_empty() {
            return Ok(Vec::new());
        }
        // One reading of the clock per write: the HLC's wall time and every time the
        // write records (stage history) are the same instant.
        let now = self.clock.now();
        let ctx = Context {
            now,
            ..self.ctx.clone()
        };
        let _writing = self.writing();
        let result = self.trees.as_slice().transaction(|trees| {
            let mut tx = Tx {
                trees,
                replica: self.replica,
                clock: parse_hlc(trees[META].get(K_LAST_HLC)?.as_deref()).or_else(abort)?,
                seq: super::staged::first_seq(&trees[META], staged).or_else(abort)?,
                now_ms: u64::try_from(now.timestamp_millis()).unwrap_or(0),
                ctx: &ctx,
            };
            let mut clocks = Vec::with_capacity(mutations.len());
            for (index, m) in mutations.iter().enumerate() {
                clocks.push(tx.apply(index, m)?);
            }
            for s in settles {
                tx.settle(s)?;
            }
            for (key, value) in meta {
                match value {
                    Some(v) => trees[META].insert(key.as_bytes(), v.as_bytes())?,
                    None => trees[META].remove(key.as_bytes())?,
                };
            }
            trees[META].insert(K_LAST_HLC, tx.clock.to_string().as_bytes())?;
            super::staged::record_seq(&trees[META], staged, tx.seq)?;
            Ok(clocks)
        });
        let clocks = match result {
            Ok(c) => c,
            Err(TransactionError::Abort(e)) => return Err(e),
            Err(TransactionError::Storage(e)) => return Err(StoreError::Sled(e)),
        };
        self.flush()?;
        Ok(clocks)
    }
}

/// A title as an error message shows it: control characters escaped, at most 60
/// characters (the title may be the very field that is too long).
fn shown_title(s: &str) -> String {
    let mut out: String = s.chars().flat_map(char::escape_debug).take(60).collect();
    if s.chars().flat_map(char::escape_debug).nth(60).is_some() {
        out.push('…');
    }
    out
}

impl Tx<'_> {
    fn settle(&self, s: &Settle) -> TxResult<()> {
        let missing = || abort(StoreError::NoConflict { id: s.id.clone() });
        let Some((cursor, n)) = Conflict::parse_id(&s.id) else {
            return missing();
        };
        let Some(bytes) = self.trees[CONFLICTS].get(conflict::key(cursor, n))? else {
            return missing();
        };
        let mut local: LocalConflict = serde_json::from_slice(&bytes)
            .map_err(|e| ConflictableTransactionError::Abort(StoreError::Corrupt(format!("conflict: {e}"))))?;
        if let Some(how) = &local.resolved {
            return abort(StoreError::AlreadyResolved {
                id: s.id.clone(),
                how: how.clone(),
            });
        }
        local.resolved = Some(s.how.clone());
        let (k, v) = conflict::encode(&local);
        self.trees[CONFLICTS].insert(k, v)?;
        let c = &local.conflict;
        if c.kind == ConflictKind::Held {
            let hk = held::key(c.entity, c.record);
            if let Some(mark) = self.trees[HELD].get(&hk)?
                && held::decode(&mark).or_else(abort)?.conflict == c.id
            {
                self.trees[HELD].remove(hk)?;
            }
        }
        Ok(())
    }

    fn tick(&mut self) -> Hlc {
        self.clock = Hlc::tick(self.clock, self.now_ms, self.replica);
        self.clock
    }

    fn load(&self, kind: EntityKind, id: Id) -> TxResult<Option<Stored>> {
        match self.trees[entity_pos(kind)].get(id.as_bytes())? {
            None => Ok(None),
            Some(bytes) => super::decode(&bytes).map(Some).or_else(abort),
        }
    }

    fn outbox(&mut self, hlc: Hlc, kind: EntityKind, id: Id, op: ChangeOp) -> TxResult<()> {
        let change = Change {
            replica: self.replica,
            seq: self.seq,
            hlc,
            entity: kind,
            id,
            op,
        };
        let bytes = serde_json::to_vec(&change).unwrap_or_default();
        self.trees[OUTBOX].insert(&self.seq.to_be_bytes(), bytes)?;
        self.seq += 1;
        Ok(())
    }

    fn check(&self, index: usize, m: &Mutation, fields: &Fields, old: Option<&Fields>) -> TxResult<Checked> {
        m.kind.check(fields, old, self.ctx).or_else(|source| {
            let title = fields
                .get("name")
                .or_else(|| fields.get("subject"))
                .or_else(|| fields.get("title"))
                .and_then(|v| v.as_str())
                .map_or_else(|| m.id.to_string(), |s| format!("'{}'", shown_title(s)));
            abort(StoreError::Invalid {
                index,
                kind: m.kind,
                title,
                source,
            })
        })
    }

    /// Every link must point at a record that exists and is not in the trash.
    fn check_links(&self, index: usize, new: &Described, old: Option<&Described>) -> TxResult<()> {
        for l in &new.links {
            if old.is_some_and(|o| o.links.contains(l)) {
                continue;
            }
            match self.load(l.kind, l.id)? {
                Some(target) if !target.deleted => {}
                Some(_) => {
                    return abort(StoreError::InTrash {
                        index,
                        kind: l.kind,
                        id: l.id,
                        field: Some(l.field.to_string()),
                    });
                }
                None => {
                    return abort(StoreError::Missing {
                        index,
                        kind: l.kind,
                        id: l.id,
                        field: Some(l.field.to_string()),
                    });
                }
            }
        }
        Ok(())
    }

    /// Writes a record through the one record-writing function (`write::replace`), which
    /// keeps its index entries exact.
    fn put(&self, kind: EntityKind, id: Id, before: Option<&Stored>, after: &Stored) -> TxResult<()> {
        super::write::replace(self.trees, kind, id, before, Some(after))?;
        Ok(())
    }

    /// Fills the number of a kind that is numbered (see `model::numbering`) when the
    /// create leaves it empty: one counter per kind in `meta`, moved in this transaction.
    fn number(&self, kind: EntityKind, fields: &mut Fields) -> TxResult<()> {
        let Some(numbering) = kind.numbering() else {
            return Ok(());
        };
        if fields
            .get(numbering.field)
            .and_then(|v| v.as_str())
            .is_some_and(|s| !s.is_empty())
        {
            return Ok(());
        }
        let meta = &self.trees[META];
        let key = counter_key(kind);
        let n = parse_u64(meta.get(key.as_bytes())?.as_deref(), 0).or_else(abort)? + 1;
        meta.insert(key.as_bytes(), n.to_string().as_bytes())?;
        let device = meta
            .get(K_DEVICE)?
            .map_or_else(|| "0000".to_string(), |v| String::from_utf8_lossy(&v).into_owned());
        // A restored store numbers with its new replica's device code at once, so its
        // numbers never repeat the ones the backed-up store made after the backup.
        let device = if meta.get(super::meta::K_RESTORED)?.is_none() {
            device
        } else {
            format!("{:04X}", self.replica.0 & 0xFFFF)
        };
        fields.insert(numbering.field.into(), numbering.format(&device, n).into());
        Ok(())
    }

    fn apply(&mut self, index: usize, m: &Mutation) -> TxResult<Hlc> {
        let (kind, id) = (m.kind, m.id);
        let existing = self.load(kind, id)?;
        let hlc = match &m.op {
            Op::Create(fields) => {
                if existing.is_some() {
                    return abort(StoreError::Exists { index, kind, id });
                }
                let mut fields = fields.clone();
                self.number(kind, &mut fields)?;
                let checked = self.check(index, m, &fields, None)?;
                self.check_links(index, &checked, None)?;
                let hlc = self.tick();
                let mut clocks: BTreeMap<String, Hlc> = checked.fields.keys().map(|k| (k.clone(), hlc)).collect();
                clocks.insert(CREATED.into(), hlc);
                let stored = Stored {
                    fields: checked.fields,
                    clocks,
                    deleted: false,
                };
                self.put(kind, id, None, &stored)?;
                self.outbox(hlc, kind, id, ChangeOp::Create { fields: stored.fields })?;
                hlc
            }
            Op::Update(changes) | Op::Rewrite(changes) => {
                let rewrite = matches!(m.op, Op::Rewrite(_));
                let Some(before) = existing else {
                    return abort(StoreError::missing(index, kind, id));
                };
                let mut stored = before.clone();
                if stored.deleted {
                    return abort(StoreError::in_trash(index, kind, id));
                }
                let mut merged = stored.fields.clone();
                for (k, v) in changes {
                    merged.insert(k.clone(), v.clone());
                }
                let old = kind.describe(&stored.fields);
                let checked = self.check(index, m, &merged, Some(&stored.fields))?;
                let changed: Vec<String> = checked
                    .fields
                    .iter()
                    .filter(|(k, v)| stored.fields.get(*k) != Some(*v) || (rewrite && changes.contains_key(*k)))
                    .map(|(k, _)| k.clone())
                    .collect();
                if changed.is_empty() {
                    return Ok(stored.clocks.values().max().copied().unwrap_or(Hlc::ZERO));
                }
                self.check_links(index, &checked, old.as_ref())?;
                let hlc = self.tick();
                for field in changed {
                    let value = checked.fields.get(&field).cloned().unwrap_or_default();
                    let base = stored.clocks.insert(field.clone(), hlc);
                    self.outbox(hlc, kind, id, ChangeOp::Set { field, value, base })?;
                }
                stored.fields = checked.fields;
                self.put(kind, id, Some(&before), &stored)?;
                hlc
            }
            Op::Resend => {
                let Some(before) = existing else {
                    return abort(StoreError::missing(index, kind, id));
                };
                let mut stored = before.clone();
                if stored.deleted {
                    return abort(StoreError::in_trash(index, kind, id));
                }
                let hlc = self.tick();
                stored.clocks = stored.fields.keys().map(|k| (k.clone(), hlc)).collect();
                stored.clocks.insert(CREATED.into(), hlc);
                self.put(kind, id, Some(&before), &stored)?;
                let seq = self.seq;
                self.outbox(hlc, kind, id, ChangeOp::Create { fields: stored.fields })?;
                let hk = held::key(kind, id);
                if let Some(bytes) = self.trees[HELD].get(&hk)? {
                    let mut mark = held::decode(&bytes).or_else(abort)?;
                    mark.resent = Some(seq);
                    mark.sent = Some(hlc);
                    self.trees[HELD].insert(hk, held::encode(&mark))?;
                }
                hlc
            }
            Op::Delete | Op::Restore => {
                let delete = m.op == Op::Delete;
                let Some(before) = existing else {
                    return abort(StoreError::missing(index, kind, id));
                };
                let mut stored = before.clone();
                if stored.deleted == delete {
                    return abort(if delete {
                        StoreError::AlreadyInTrash { index, kind, id }
                    } else {
                        StoreError::NotInTrash { index, kind, id }
                    });
                }
                let checked = kind
                    .describe(&stored.fields)
                    .ok_or_else(|| ConflictableTransactionError::Abort(StoreError::Corrupt(format!("{kind} {id}"))))?;
                if !delete {
                    self.check_links(index, &checked, None)?;
                }
                let hlc = self.tick();
                stored.deleted = delete;
                let base = stored.clocks.insert(DELETED.into(), hlc);
                self.put(kind, id, Some(&before), &stored)?;
                let op = if delete {
                    let seen = stored
                        .clocks
                        .iter()
                        .filter(|(k, _)| !k.starts_with('_'))
                        .map(|(k, c)| (k.clone(), *c))
                        .collect();
                    ChangeOp::Delete { base, seen }
                } else {
                    ChangeOp::Restore { base }
                };
                self.outbox(hlc, kind, id, op)?;
                hlc
            }
        };
        Ok(hlc)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use serde_json::json;

    use super::*;

    /// Fields from (name, value) pairs (also for the other store modules' tests).
    pub(crate) fn fields(pairs: &[(&str, serde_json::Value)]) -> Fields {
        pairs.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect()
    }

    fn open() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("open");
        (dir, store)
    }

    #[test]
    fn every_change_is_stamped_and_recorded_with_its_base() {
        let (_dir, store) = open();
        let m = Mutation::create(
            EntityKind::Account,
            fields(&[("name", json!("Acme")), ("city", json!("Berlin"))]),
        );
        let created = store.commit(std::slice::from_ref(&m)).expect("create")[0];
        let updated = store
            .commit(&[Mutation::update(
                EntityKind::Account,
                m.id,
                fields(&[("city", json!("Hamburg")), ("name", json!("Acme"))]),
            )])
            .expect("update")[0];
        assert!(updated > created);
        let stored = store.get(EntityKind::Account, m.id).expect("get").expect("record");
        assert_eq!(stored.clocks["city"], updated);
        assert_eq!(stored.clocks["name"], created, "an unchanged field keeps its clock");
        let outbox: Vec<Change> = store.outbox().map(|c| c.expect("change")).collect();
        assert_eq!(outbox.len(), 2, "one create, one set (name did not change)");
        assert_eq!((outbox[0].seq, outbox[1].seq), (1, 2));
        assert!(matches!(&outbox[0].op, ChangeOp::Create { fields } if fields["name"] == "Acme"));
        assert_eq!(
            outbox[1].op,
            ChangeOp::Set {
                field: "city".into(),
                value: json!("Hamburg"),
                base: Some(created)
            }
        );
        assert_eq!(store.last_hlc().expect("clock"), updated);
    }

    #[test]
    fn a_no_op_update_records_nothing() {
        let (_dir, store) = open();
        let m = Mutation::create(EntityKind::Account, fields(&[("name", json!("Acme"))]));
        store.commit(std::slice::from_ref(&m)).expect("create");
        store
            .commit(&[Mutation::update(
                EntityKind::Account,
                m.id,
                fields(&[("name", json!(" Acme "))]),
            )])
            .expect("update");
        assert_eq!(store.outbox_len(), 1);
    }

    #[test]
    fn a_failing_mutation_rolls_back_the_whole_batch() {
        let (_dir, store) = open();
        let good = Mutation::create(EntityKind::Account, fields(&[("name", json!("Acme"))]));
        let bad = Mutation::create(
            EntityKind::Contact,
            fields(&[("first_name", json!("A")), ("last_name", json!(""))]),
        );
        let err = store.commit(&[good.clone(), bad]).expect_err("invalid");
        assert_eq!(err.mutation_index(), Some(1));
        assert!(store.get(EntityKind::Account, good.id).expect("get").is_none());
        assert_eq!(store.outbox_len(), 0);
        assert_eq!(store.last_hlc().expect("clock"), Hlc::ZERO);
    }

    #[test]
    fn relations_must_exist_and_not_be_trashed() {
        let (_dir, store) = open();
        let account = Mutation::create(EntityKind::Account, fields(&[("name", json!("Acme"))]));
        let contact = |id: Id| {
            Mutation::create(
                EntityKind::Contact,
                fields(&[
                    ("first_name", json!("A")),
                    ("last_name", json!("B")),
                    ("account_id", json!(id.to_string())),
                ]),
            )
        };
        assert!(store.commit(&[contact(Id::new())]).is_err(), "dangling account");
        store
            .commit(&[account.clone(), contact(account.id)])
            .expect("created together");
        store
            .commit(&[Mutation::delete(EntityKind::Account, account.id)])
            .expect("delete");
        let err = store.commit(&[contact(account.id)]).expect_err("trashed account");
        assert!(err.to_string().contains("trash"), "{err}");
        store
            .commit(&[Mutation::restore(EntityKind::Account, account.id)])
            .expect("restore");
        store.commit(&[contact(account.id)]).expect("restored account");
        let ops: Vec<String> = store
            .outbox()
            .map(|c| {
                serde_json::to_value(c.expect("change")).expect("json")["op"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        assert_eq!(ops, ["create", "create", "delete", "restore", "create"]);
        assert!(store.verify().expect("verify").ok());
    }

    #[test]
    fn numbered_kinds_count_per_kind_with_their_prefix_and_the_device() {
        let (_dir, store) = open();
        let account = Mutation::create(EntityKind::Account, fields(&[("name", json!("Acme"))]));
        let opp = Mutation::create(
            EntityKind::Opportunity,
            fields(&[
                ("name", json!("Deal")),
                ("account_id", json!(account.id.to_string())),
                ("amount", json!("100")),
                ("stage", json!("prospecting")),
                ("close_date", json!("2026-05-01")),
            ]),
        );
        store.commit(&[account.clone(), opp.clone()]).expect("account and deal");
        let device = store.meta(K_DEVICE).expect("meta").expect("device code");
        let quote = |number: Option<&str>| {
            let mut f = fields(&[
                ("opportunity_id", json!(opp.id.to_string())),
                ("currency", json!("EUR")),
            ]);
            if let Some(n) = number {
                f.insert("number".into(), json!(n));
            }
            Mutation::create(EntityKind::Quote, f)
        };
        let number = |m: &Mutation| {
            store.commit(std::slice::from_ref(m)).expect("quote");
            let q = store.get(EntityKind::Quote, m.id).expect("get").expect("quote");
            q.text("number").to_string()
        };
        assert_eq!(number(&quote(None)), format!("Q-{device}-0001"));
        assert_eq!(
            number(&quote(Some("MY-7"))),
            "MY-7",
            "a given number is kept and not counted"
        );
        assert_eq!(number(&quote(Some(""))), format!("Q-{device}-0002"));
        // The counter is the quotes' own (under the key quotes always used), and an
        // unnumbered kind has none.
        assert_eq!(store.meta("quote_counter").expect("meta").as_deref(), Some("2"));
        assert_eq!(counter_key(EntityKind::Quote), "quote_counter");
        assert_eq!(store.meta(&counter_key(EntityKind::Account)).expect("meta"), None);
        // A rejected batch does not move the counter.
        let bad = Mutation::create(EntityKind::Contact, fields(&[("first_name", json!("A"))]));
        assert!(store.commit(&[quote(None), bad]).is_err());
        assert_eq!(number(&quote(None)), format!("Q-{device}-0003"));
    }

    #[test]
    fn the_clock_survives_a_restart_even_when_the_wall_clock_is_behind() {
        let dir = tempfile::tempdir().expect("dir");
        let future = Hlc {
            wall: u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0) + 86_400_000,
            counter: 5,
            replica: ReplicaId(1),
        };
        {
            let store = Store::open(dir.path()).expect("open");
            store
                .tree(META)
                .insert(K_LAST_HLC, future.to_string().as_bytes())
                .expect("set clock");
        }
        let store = Store::open(dir.path()).expect("reopen");
        let hlc = store
            .commit(&[Mutation::create(
                EntityKind::Account,
                fields(&[("name", json!("Acme"))]),
            )])
            .expect("create")[0];
        assert!(hlc > future, "{hlc} must follow {future}");
    }
}
