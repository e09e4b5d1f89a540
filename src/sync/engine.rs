//! The sync procedure: check who and where, push the outbox in bounded batches (each
//! acknowledged batch is pruned in one transaction), then pull pages until caught up
//! (each page applied with its cursor in one transaction). Any step may fail and be run
//! again: pushes are idempotent by (replica, seq), pages by cursor.

use serde_json::Value;

use super::client::Api;
use super::error::SyncError;
use crate::model::{EntityKind, Hlc, Id};
use crate::protocol::merge;
use crate::protocol::wire::{Entry, PushRequest, WhoAmI};
use crate::protocol::{CREATED, Change, ChangeOp, Conflict, ConflictKind, DELETED, Outcome, Side, Stored};
use crate::store::{Hold, Mutation, Op, Remote, Store};

/// Largest push body the client builds (bytes of JSON), well under the server's limit.
const MAX_PUSH_BYTES: usize = 2 * 1024 * 1024;

/// How to sync.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Changes per push.
    pub batch: usize,
    /// Entries per pull page.
    pub page: usize,
    /// Count what would move, change nothing locally.
    pub dry_run: bool,
    /// Send every held record again, changed or not.
    pub retry_held: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            batch: 1000,
            page: 2000,
            dry_run: false,
            retry_held: false,
        }
    }
}

/// Where a sync is, for progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Pushed `done` of `total` pending changes.
    Push {
        /// Sent so far.
        done: usize,
        /// Pending at the start.
        total: usize,
    },
    /// Pulled up to `cursor` of `head`.
    Pull {
        /// Cursor reached.
        cursor: u64,
        /// Server head.
        head: u64,
    },
}

/// What a sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Changes the server acknowledged.
    pub sent: usize,
    /// Changes of other replicas received.
    pub received: usize,
    /// Conflicts recorded for the first time.
    pub conflicts: usize,
    /// Local changes the server refused.
    pub refused: usize,
    /// Refused edits of records the server holds: its values were put back here, and
    /// the local ones kept as `refused` conflicts.
    pub reverted: usize,
    /// Records held on this laptop after this sync: the server refused them and does
    /// not hold them; they stay as written and are sent again once the answer may
    /// differ (see `due_held`), whether or not this sync sent them.
    pub held: usize,
    /// Held records that reached the server in this sync.
    pub unheld: usize,
    /// Records made owned by the user before the first push (see `adopt.rs`).
    pub adopted: usize,
    /// Changes to the server's users (User records) received.
    pub users: usize,
    /// Owners this laptop had typed as a display name or e-mail, made logins once the
    /// server's users were known (see `adopt::owners_to_logins`).
    pub owners: usize,
    /// Whether this was a dry run (nothing changed locally).
    pub dry_run: bool,
    /// Changes of record kinds one side does not know, per kind: pulled entries this
    /// outpost skipped (the cursor moves past them), and pushed changes the server
    /// refused because it does not know the kind.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub unknown_kinds: std::collections::BTreeMap<String, usize>,
}

/// Checks the token and that the store belongs with this server and user.
pub fn check_identity(store: &Store, api: &dyn Api, server: &str) -> Result<WhoAmI, SyncError> {
    let who = api.whoami()?;
    let state = store.sync_state()?;
    if let Some(expected) = state.server_id.filter(|s| *s != who.server_id) {
        return Err(SyncError::WrongServer {
            expected,
            found: who.server_id,
            server: server.to_string(),
        });
    }
    if let Some(expected) = state.user.filter(|u| *u != who.user) {
        return Err(SyncError::WrongUser {
            expected,
            found: who.user,
        });
    }
    Ok(who)
}

/// Runs one sync. `progress` is told how far it got.
pub fn sync(
    store: &Store,
    api: &dyn Api,
    server: &str,
    opts: Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, SyncError> {
    let who = check_identity(store, api, server)?;
    let mut report = Report {
        dry_run: opts.dry_run,
        ..Report::default()
    };
    if opts.dry_run {
        report.sent = store.outbox_len();
        let mut cursor = store.sync_state()?.cursor;
        loop {
            let page = api.pull(store.replica(), cursor, opts.page)?;
            for e in page.entries.iter().filter(|e| e.change.replica != store.replica()) {
                if e.actor == crate::protocol::wire::DIRECTORY_ACTOR {
                    report.users += 1;
                } else {
                    report.received += 1;
                }
            }
            if !page.more || page.next <= cursor {
                break;
            }
            cursor = page.next;
        }
        report.held = store.held_live()?.len();
        return Ok(report);
    }
    if super::adopt::holds_unkept_demo(store)? {
        return Err(SyncError::DemoData(super::adopt::demo_message(store)));
    }
    report.adopted = super::adopt::adopt(store, &(&who).into())?;
    let state = store.sync_state()?;
    if state.server_id.is_none() || state.user.is_none() {
        store.bind_server(&who.server_id, &who.user)?;
    }
    push(store, api, opts, &mut report, progress)?;
    pull(store, api, opts, &mut report, progress)?;
    note_users_changed(store)?;
    // The first pull brings the server's users: owners typed as names before then
    // become logins now, and go out in the same sync.
    if report.users > 0 || !super::adopt::owners_checked(store)? {
        report.owners = super::adopt::owners_to_logins(store)?;
        if report.owners > 0 {
            push(store, api, opts, &mut report, progress)?;
            pull(store, api, opts, &mut report, progress)?;
        }
    }
    // The pull caught up past every change pushed above, so a re-sent record whose
    // create came back without a refusal is on the server now.
    report.unheld = store.clear_accepted_held(store.sync_state()?.acked_seq)?;
    report.held = store.held_live()?.len();
    store.record_sync_finished(store.clock().now())?;
    Ok(report)
}

/// Queues held records to be sent again, through the write path, before the outbox is
/// pushed: only those the server may now accept (see [`due_held`]), parents before the
/// records that link to them, so a fixed parent brings its whole family in one sync.
fn resend_held(store: &Store, retry_all: bool) -> Result<(), SyncError> {
    let again: Vec<Mutation> = due_held(store, retry_all)?
        .into_iter()
        .map(|(kind, id)| Mutation {
            kind,
            id,
            op: Op::Resend,
        })
        .collect();
    store.commit(&again)?;
    Ok(())
}

/// The held records to send again, parents first. An unchanged held record is not sent
/// again (the server would refuse it again): it goes when it was edited since it was
/// last sent, when changes to the server's users (roles, logins) were pulled after its
/// refusal, when a held record it links to goes, or when `retry_all` asks.
fn due_held(store: &Store, retry_all: bool) -> Result<Vec<(EntityKind, Id)>, SyncError> {
    use std::collections::{BTreeMap, BTreeSet};
    let users_at: u64 = store
        .meta(crate::store::K_USERS_AT)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // Every live held record not already on its way, with the held records it links to.
    let mut links: BTreeMap<(EntityKind, Id), Vec<(EntityKind, Id)>> = BTreeMap::new();
    let mut due = BTreeSet::new();
    let marks = store.held_live()?;
    let held: BTreeSet<(EntityKind, Id)> = marks.iter().map(|m| (m.entity, m.id)).collect();
    for m in marks.iter().filter(|m| m.resent.is_none()) {
        let Some(record) = store.get(m.entity, m.id)? else {
            continue;
        };
        let parents = m
            .entity
            .describe(&record.fields)
            .map(|c| {
                c.links
                    .iter()
                    .map(|l| (l.kind, l.id))
                    .filter(|k| held.contains(k))
                    .collect()
            })
            .unwrap_or_default();
        links.insert((m.entity, m.id), parents);
        if retry_all || m.edited_since_sent(&record) || users_at > m.refused_at {
            due.insert((m.entity, m.id));
        }
    }
    // A record goes with any held record it links to.
    loop {
        let more: Vec<_> = links
            .iter()
            .filter(|(k, ps)| !due.contains(*k) && ps.iter().any(|p| due.contains(p)))
            .map(|(k, _)| *k)
            .collect();
        if more.is_empty() {
            break;
        }
        due.extend(more);
    }
    // Parents first: a record after every due record it links to (depth-first; a
    // cycle, which the model does not make, is broken where it is found).
    fn visit(
        k: (EntityKind, Id),
        links: &BTreeMap<(EntityKind, Id), Vec<(EntityKind, Id)>>,
        due: &BTreeSet<(EntityKind, Id)>,
        seen: &mut BTreeSet<(EntityKind, Id)>,
        out: &mut Vec<(EntityKind, Id)>,
    ) {
        if !due.contains(&k) || !seen.insert(k) {
            return;
        }
        for p in links.get(&k).into_iter().flatten() {
            visit(*p, links, due, seen, out);
        }
        out.push(k);
    }
    let mut out = Vec::with_capacity(due.len());
    let mut seen = BTreeSet::new();
    for k in &due {
        visit(*k, &links, &due, &mut seen, &mut out);
    }
    Ok(out)
}

fn push(
    store: &Store,
    api: &dyn Api,
    opts: Options,
    report: &mut Report,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), SyncError> {
    check_after_restore(store, api, opts, report)?;
    resend_held(store, opts.retry_held)?;
    let total = store.outbox_len();
    let issued = store.next_seq()?.saturating_sub(1);
    loop {
        let mut changes = store.pending(opts.batch.max(1))?;
        if changes.is_empty() {
            return Ok(());
        }
        trim_to_size(&mut changes);
        let last = changes.last().map_or(0, |c| c.seq);
        let count = changes.len();
        let acked_before = store.sync_state()?.acked_seq;
        let resp = api.push(&PushRequest::new(store.replica(), changes))?;
        if resp.acked > issued {
            return Err(SyncError::Protocol(format!(
                "the server holds {} changes of this replica but this store made only {issued}; \
                 was the store restored from an old backup? Restore into a new --data-dir and sync that",
                resp.acked
            )));
        }
        if resp.acked < last {
            return Err(SyncError::Protocol(format!(
                "the server acknowledged up to change {} of a push ending at {last}{}",
                resp.acked,
                if resp.acked < acked_before {
                    " (it lost changes it had acknowledged; was it restored from a backup?)"
                } else {
                    ""
                }
            )));
        }
        store.ack_outbox(resp.acked)?;
        report.sent += count;
        report.refused += resp.refused;
        for r in &resp.refusals {
            *report.unknown_kinds.entry(r.entity.clone()).or_default() += 1;
        }
        progress(Progress::Push {
            done: report.sent.min(total),
            total,
        });
    }
}

/// After `outpost restore`: the backed-up store may have synced after the backup, so the
/// server may hold change numbers of its replica that this store no longer knows it made.
/// The restored store stamps its own new changes as a new replica (see
/// `store::meta::K_RESTORED`), so nothing it does can reuse those numbers. Here, first,
/// the backup's own pending changes go under the old replica with their original
/// numbers and clocks: the server skips, by sequence number, those it already holds
/// (the backed-up store sent the very same changes), so nothing applies twice and
/// nothing raises a conflict, and applies the rest. Then the store takes its new
/// identity (the changes made since the restore numbered from 1), and the pull that
/// follows brings what the old replica did after the backup. A marker of an older
/// outpost (no new replica) keeps the old refusal.
fn check_after_restore(store: &Store, api: &dyn Api, opts: Options, report: &mut Report) -> Result<(), SyncError> {
    let Some(restored) = store.restored()? else {
        return Ok(());
    };
    let acked = store.sync_state()?.acked_seq;
    let resp = api.push(&PushRequest::new(restored.old, Vec::new()))?;
    if resp.acked < acked {
        return Err(SyncError::Protocol(format!(
            "the server holds changes of this store only up to {}, the backup says {acked} were acknowledged; \
             was the server restored from a backup? Nothing was sent",
            resp.acked
        )));
    }
    if restored.new == restored.old {
        if resp.acked > acked {
            return Err(SyncError::Protocol(format!(
                "this store was restored (by an older outpost) from a backup older than its last sync: the \
                 server already holds changes up to {} from it, the backup only up to {acked}. Syncing now \
                 would lose new edits, so nothing was sent. Restore the backup again with this outpost, \
                 which gives the restored store a new identity",
                resp.acked
            )));
        }
        store.commit_with_meta(&[], &[(crate::store::meta::K_RESTORED, None)])?;
        return Ok(());
    }
    // The backup's pending changes the server already holds are pruned unsent.
    let last_old = restored.next.saturating_sub(1);
    store.ack_outbox(resp.acked.min(last_old))?;
    loop {
        let mut changes: Vec<Change> = store
            .pending(opts.batch.max(1))?
            .into_iter()
            .take_while(|c| c.seq <= last_old && c.replica == restored.old)
            .collect();
        if changes.is_empty() {
            break;
        }
        trim_to_size(&mut changes);
        let last = changes.last().map_or(0, |c| c.seq);
        let count = changes.len();
        let resp = api.push(&PushRequest::new(restored.old, changes))?;
        if resp.acked < last {
            return Err(SyncError::Protocol(format!(
                "the server acknowledged up to change {} of a push ending at {last}",
                resp.acked
            )));
        }
        store.ack_outbox(resp.acked.min(last_old))?;
        report.sent += count;
        report.refused += resp.refused;
        for r in &resp.refusals {
            *report.unknown_kinds.entry(r.entity.clone()).or_default() += 1;
        }
    }
    store.take_restored_identity()?;
    Ok(())
}

/// Keeps a push under [`MAX_PUSH_BYTES`] (always at least one change).
fn trim_to_size(changes: &mut Vec<Change>) {
    let mut bytes = 0;
    let mut keep = 0;
    for c in changes.iter() {
        bytes += serde_json::to_vec(c).map_or(0, |v| v.len()) + 1;
        if keep > 0 && bytes > MAX_PUSH_BYTES {
            break;
        }
        keep += 1;
    }
    changes.truncate(keep);
}

fn pull(
    store: &Store,
    api: &dyn Api,
    opts: Options,
    report: &mut Report,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), SyncError> {
    let mut cursor = store.sync_state()?.cursor;
    loop {
        let page = api.pull(store.replica(), cursor, opts.page)?;
        if page.next < cursor {
            return Err(SyncError::Protocol(format!(
                "the server moved the cursor back from {cursor} to {}",
                page.next
            )));
        }
        for (kind, n) in &page.unknown {
            *report.unknown_kinds.entry(kind.clone()).or_default() += n;
        }
        let items: Vec<Incoming> = page.entries.iter().map(Incoming::new).collect();
        let applied = store.apply_remote(&items, page.next)?;
        let (users, others): (Vec<&Entry>, Vec<&Entry>) = page
            .entries
            .iter()
            .filter(|e| e.change.replica != store.replica())
            .partition(|e| e.actor == crate::protocol::wire::DIRECTORY_ACTOR);
        report.received += others.len();
        report.users += users.len();
        report.conflicts += applied.conflicts;
        report.reverted += items.iter().filter(|i| i.reverts()).count();
        progress(Progress::Pull {
            cursor: page.next,
            head: page.head,
        });
        if !page.more || page.next == cursor {
            return Ok(());
        }
        cursor = page.next;
    }
}

/// After a pull: if the server's users (the User records pulled, with their roles)
/// differ from what the previous sync saw, remembers the cursor now reached, so held
/// records refused before it are sent again (see [`due_held`]). The first sync only
/// records what it saw: the refusals it brought were decided with those users.
fn note_users_changed(store: &Store) -> Result<(), SyncError> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for item in store.scan(EntityKind::User) {
        let (id, s) = item?;
        id.to_string().hash(&mut h);
        serde_json::to_string(&s.fields).unwrap_or_default().hash(&mut h);
        s.deleted.hash(&mut h);
    }
    let fp = format!("{:016x}", h.finish());
    let seen = store.meta(K_USERS_SEEN)?;
    if seen.as_deref() == Some(fp.as_str()) {
        return Ok(());
    }
    let at = store.sync_state()?.cursor.to_string();
    let mut meta = vec![(K_USERS_SEEN, Some(fp.as_str()))];
    if seen.is_some() {
        meta.push((crate::store::K_USERS_AT, Some(at.as_str())));
    }
    store.commit_with_meta(&[], &meta)?;
    Ok(())
}

/// Meta key: fingerprint of the server's users as the last sync saw them.
const K_USERS_SEEN: &str = "users_seen";

/// A pulled entry as the store applies it.
pub struct Incoming<'a> {
    entry: &'a Entry,
    conflicts: Vec<Conflict>,
    hold: Option<Hold>,
}

impl<'a> Incoming<'a> {
    /// Wraps an entry. A refusal of a change to a record the server holds becomes a
    /// conflict of kind `refused` (the server's value is put back); a refusal of a
    /// record the server does not hold holds the record as written (kind `held`).
    #[must_use]
    pub fn new(entry: &'a Entry) -> Self {
        let mut conflicts = entry.conflicts.clone();
        let mut hold = None;
        if let Some(r) = &entry.refused {
            if r.current.as_ref().is_some_and(merge::exists) {
                conflicts.push(refused_conflict(entry, &r.reason, r.current.as_ref(), conflicts.len()));
            } else {
                hold = Some(Hold {
                    seq: entry.change.seq,
                    create: matches!(entry.change.op, ChangeOp::Create { .. }),
                    conflict: held_conflict(entry, &r.reason, conflicts.len()),
                });
            }
        }
        Self { entry, conflicts, hold }
    }

    /// Whether it puts the server's value back over a refused local edit.
    #[must_use]
    pub fn reverts(&self) -> bool {
        self.entry.refused.is_some() && self.hold.is_none()
    }
}

impl Remote for Incoming<'_> {
    fn target(&self) -> (EntityKind, Id) {
        (self.entry.change.entity, self.entry.change.id)
    }

    fn hlc(&self) -> Hlc {
        self.entry.change.hlc
    }

    fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    fn hold(&self) -> Option<&Hold> {
        self.hold.as_ref()
    }

    fn merge(&self, current: Option<&Stored>) -> Outcome {
        let op = &self.entry.change.op;
        if self.hold.is_some() {
            // A refusal never deletes local data: the record stays as written.
            return Outcome::Unchanged;
        }
        if let Some(r) = &self.entry.refused {
            return merge::revert(current, op, r.current.as_ref());
        }
        if current.is_none() && !matches!(op, ChangeOp::Create { .. }) {
            // The server never applies a change to a record it does not hold, so this
            // cannot come from an accepted change; keep no partial record.
            return Outcome::Unchanged;
        }
        merge::outcome(current, self.entry.change.hlc, op)
    }
}

/// The conflict that shows a held record: nothing on the server, the record kept here.
fn held_conflict(entry: &Entry, reason: &str, n: usize) -> Conflict {
    let change = &entry.change;
    let mine = match &change.op {
        ChangeOp::Create { fields } => Value::Object(fields.clone()),
        ChangeOp::Set { field, value, .. } => serde_json::json!({ field.as_str(): value }),
        ChangeOp::Delete { .. } | ChangeOp::Restore { .. } => Value::Null,
    };
    Conflict {
        id: Conflict::make_id(entry.cursor, n),
        kind: ConflictKind::Held,
        entity: change.entity,
        record: change.id,
        field: CREATED.to_string(),
        winner: Side {
            value: Value::Null,
            hlc: None,
        },
        loser: Side {
            value: mine,
            hlc: Some(change.hlc),
        },
        actor: entry.actor.clone(),
        at: entry.at,
        reason: Some(reason.to_string()),
    }
}

/// The conflict a refusal leaves: the server's value kept, the local one set aside.
fn refused_conflict(entry: &Entry, reason: &str, server: Option<&Stored>, n: usize) -> Conflict {
    let change = &entry.change;
    let (field, mine, theirs) = match &change.op {
        ChangeOp::Create { fields } => (
            CREATED.to_string(),
            Value::Object(fields.clone()),
            Side {
                value: server.map_or(Value::Null, |s| Value::Object(s.fields.clone())),
                hlc: server.and_then(|s| s.clocks.get(CREATED).copied()),
            },
        ),
        ChangeOp::Set { field, value, .. } => (
            field.clone(),
            value.clone(),
            Side {
                value: server.and_then(|s| s.fields.get(field).cloned()).unwrap_or(Value::Null),
                hlc: server.and_then(|s| s.clocks.get(field).copied()),
            },
        ),
        ChangeOp::Delete { .. } | ChangeOp::Restore { .. } => (
            DELETED.to_string(),
            Value::Bool(matches!(change.op, ChangeOp::Delete { .. })),
            Side {
                value: Value::Bool(server.is_some_and(|s| s.deleted)),
                hlc: server.and_then(|s| s.clocks.get(DELETED).copied()),
            },
        ),
    };
    Conflict {
        id: Conflict::make_id(entry.cursor, n),
        kind: ConflictKind::Refused,
        entity: change.entity,
        record: change.id,
        field,
        winner: theirs,
        loser: Side {
            value: mine,
            hlc: Some(change.hlc),
        },
        actor: entry.actor.clone(),
        at: entry.at,
        reason: Some(reason.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use serde_json::json;

    use super::*;
    use crate::model::ReplicaId;
    use crate::model::records::Role;
    use crate::protocol::wire::{Health, PullResponse, PushResponse};
    use crate::sync::client::Api;

    /// A server whose log holds a change of a kind this build does not know (as a newer
    /// server would send it), followed by an account.
    struct NewerServer {
        page: String,
        pulls: Cell<usize>,
    }

    impl Api for NewerServer {
        fn health(&self) -> Result<Health, SyncError> {
            unreachable!("sync does not ask")
        }
        fn whoami(&self) -> Result<WhoAmI, SyncError> {
            Ok(WhoAmI {
                user: "ana".into(),
                role: Role::Rep,
                server_id: "srv".into(),
                name: None,
                email: None,
            })
        }
        fn push(&self, _: &PushRequest) -> Result<PushResponse, SyncError> {
            Ok(PushResponse::default())
        }
        fn pull(&self, _: ReplicaId, after: u64, _: usize) -> Result<PullResponse, SyncError> {
            self.pulls.set(self.pulls.get() + 1);
            if after >= 2 {
                return Ok(serde_json::from_str(r#"{"entries":[],"next":2,"more":false,"head":2}"#).expect("page"));
            }
            // Decoded exactly as the HTTP client decodes a body.
            Ok(serde_json::from_str(&self.page).expect("tolerant page"))
        }
    }

    #[test]
    fn a_pulled_change_of_an_unknown_kind_is_skipped_and_the_cursor_moves_past_it() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("open");
        let other = ReplicaId(77);
        let hlc = |n: u64| Hlc {
            wall: 1_700_000_000_000 + n,
            counter: 0,
            replica: other,
        };
        let account = Id::new();
        let entry = |cursor: u64, entity: &str, id: Id| {
            let mut fields = crate::model::Fields::new();
            fields.insert("name".into(), json!("Nord"));
            let change = Change {
                replica: other,
                seq: cursor,
                hlc: hlc(cursor),
                entity: EntityKind::Account,
                id,
                op: ChangeOp::Create { fields },
            };
            let mut change = serde_json::to_value(change).expect("json");
            change["entity"] = json!(entity);
            json!({"cursor": cursor, "actor": "bo", "at": "2026-01-01T00:00:00Z", "change": change})
        };
        let page = json!({
            "entries": [entry(1, "hovercraft", Id::new()), entry(2, "account", account)],
            "next": 2, "more": false, "head": 2,
        });
        let api = NewerServer {
            page: page.to_string(),
            pulls: Cell::new(0),
        };
        let report = sync(&store, &api, "http://srv", Options::default(), &mut |_| {}).expect("sync");
        assert_eq!(report.received, 1, "the account arrived");
        assert_eq!(report.unknown_kinds.get("hovercraft"), Some(&1), "{report:?}");
        assert!(store.get(EntityKind::Account, account).expect("get").is_some());
        assert_eq!(
            store.sync_state().expect("state").cursor,
            2,
            "the cursor moved past both"
        );
    }
}
