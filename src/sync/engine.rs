//! The sync procedure: check who and where, push the outbox in bounded batches (the
//! next one read on a second thread while the last is sent; each acknowledged batch is
//! pruned), then pull pages until caught up (fetched on this thread while a second
//! applies the last, in transactions whose last moves the cursor). Any step may fail
//! and be run again: pushes are idempotent by (replica, seq), pages by cursor.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use super::client::Api;
use super::error::SyncError;
use crate::model::{EntityKind, Hlc, Id};
use crate::protocol::merge;
use crate::protocol::wire::{Entry, PullResponse, PushRequest, WhoAmI};
use crate::protocol::{CREATED, Change, ChangeOp, Conflict, ConflictKind, DELETED, Outcome, Side, Stored};
use crate::store::{Hold, Mutation, Op, Remote, Store};

/// Largest push body the client builds (bytes of JSON), half the server's limit.
const MAX_PUSH_BYTES: usize = 4 * 1024 * 1024;

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
            batch: crate::protocol::wire::MAX_PUSH_CHANGES,
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
    /// Writing the index entries of the records a first pull brought (see `pull`).
    Indexing,
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
    /// Pulled changes whose clock was out of bounds (more than a day ahead of this
    /// laptop's clock, or past the documented ranges): applied, but their clock not
    /// adopted, so this laptop's own clock stays true (a server of an older version
    /// may pass such changes on).
    #[serde(skip_serializing_if = "is_zero")]
    pub future_clocks: usize,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(n: &usize) -> bool {
    *n == 0
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
    check_clock(store, &who)?;
    Ok(who)
}

/// A laptop whose clock is further ahead of the server's clock than the server
/// tolerates would have every change refused: say so before anything is sent, so the
/// user sets the time (nothing is lost; the sync runs once the clock is right). Servers
/// that do not tell their time are not checked. Changes stamped while the clock was
/// wrong are not blocked here: the server refuses them with the reason and the laptop
/// holds them, and the rest syncs.
/// A laptop whose clock was ahead when it wrote keeps issuing clocks from that time, and
/// the server refuses every later change until real time catches up. Once its wall clock
/// is right again (`check_clock` passed), its clock is brought back to what the server
/// accepts and held records are sent again in this sync, with the time now.
fn rewind_clock(store: &Store, who: &WhoAmI, mut opts: Options) -> Result<(Options, Option<u64>), SyncError> {
    let Some(server_now) = who.now else {
        return Ok((opts, None));
    };
    let skew = who.max_clock_skew_ms.unwrap_or(Hlc::DEFAULT_MAX_SKEW_MS);
    let ceiling = u64::try_from(server_now.timestamp_millis())
        .unwrap_or(0)
        .saturating_add(skew);
    if let Some((old, new)) = store.rewind_clock(ceiling)? {
        let at = |h: Hlc| {
            chrono::DateTime::from_timestamp_millis(i64::try_from(h.wall).unwrap_or(0))
                .map_or_else(|| h.wall.to_string(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        };
        eprintln!(
            "this laptop's clock ran ahead (to {}) when changes were written; it is set back to {}, and changes \
             the server refused for their time are sent again with the time now",
            at(old),
            at(new)
        );
        opts.retry_held = true;
        return Ok((opts, Some(ceiling)));
    }
    Ok((opts, None))
}

fn check_clock(store: &Store, who: &WhoAmI) -> Result<(), SyncError> {
    let Some(server_now) = who.now else {
        return Ok(());
    };
    let skew = who.max_clock_skew_ms.unwrap_or(Hlc::DEFAULT_MAX_SKEW_MS);
    let server_ms = u64::try_from(server_now.timestamp_millis()).unwrap_or(0);
    let local = store.clock().now();
    let local_ms = u64::try_from(local.timestamp_millis()).unwrap_or(0);
    if local_ms <= server_ms.saturating_add(skew) {
        return Ok(());
    }
    let span = |ms: u64| {
        crate::model::clock::describe_duration(chrono::Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX)))
    };
    Err(SyncError::ClockAhead(format!(
        "this laptop's clock reads {}, the server's {}: {} ahead; the server refuses changes more than {} \
         ahead of its clock, so nothing was sent. Set this computer's date and time (automatic time), then \
         run `outpost sync` again",
        local.format("%Y-%m-%d %H:%M UTC"),
        server_now.format("%Y-%m-%d %H:%M UTC"),
        span(local_ms - server_ms),
        span(skew)
    )))
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
        report.sent = would_send(store, api)?;
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
    let (opts, rewound) = rewind_clock(store, &who, opts)?;
    // What the edits stamped ahead replaced, read before they go (see below).
    let ahead = match rewound {
        Some(ceiling) => Some((ceiling, super::conflicts::ahead_bases(store, ceiling)?)),
        None => None,
    };
    let me: super::adopt::Person = (&who).into();
    report.adopted = super::adopt::adopt(store, &me)?;
    let state = store.sync_state()?;
    if state.server_id.is_none() || state.user.is_none() {
        store.bind_server(&who.server_id, &who.user)?;
    }
    // Before a store's first push, its first pull brings the server's users, so owners
    // typed as names become logins inside the creates not sent yet: a big first sync
    // sends one change per record (see `store/fold.rs`), and sends while it folds. A
    // first sync cut short folds the rest on the next.
    let mut users_seen = 0;
    if !super::adopt::owners_checked(store)? {
        if store.nothing_sent()? {
            pull(store, api, opts, (&who).into(), &mut report, progress)?;
            note_users_changed(store)?;
            users_seen = report.users;
        }
        let owners = super::adopt::owners_to_logins_sending(store, |folding| {
            push(store, api, opts, &me, &mut report, progress, folding)
        })?;
        report.owners = owners;
    }
    push(store, api, opts, &me, &mut report, progress, None)?;
    pull(store, api, opts, (&who).into(), &mut report, progress)?;
    note_users_changed(store)?;
    // The first pull brings the server's users: owners typed as names before then
    // become logins now, and go out in the same sync.
    if report.users > users_seen || !super::adopt::owners_checked(store)? {
        report.owners += super::adopt::owners_to_logins(store)?;
        if report.owners > 0 {
            push(store, api, opts, &me, &mut report, progress, None)?;
            pull(store, api, opts, (&who).into(), &mut report, progress)?;
        }
    }
    // Changes stamped while the clock ran ahead came back refused in the pull above;
    // with the clock set back they go out again now, in the same sync: held records as
    // they are, and edits of records the server holds (put back to the server's values,
    // each kept as a refused conflict) written again as the user wrote them.
    if let Some((ceiling, bases)) = &ahead {
        let rewritten = super::conflicts::rewrite_refused_ahead(store, *ceiling, bases)?;
        // Not refused in the end: written again and sent below.
        report.refused = report.refused.saturating_sub(rewritten);
        report.conflicts = report.conflicts.saturating_sub(rewritten);
        if rewritten > 0 || !store.held_live()?.is_empty() {
            push(store, api, opts, &me, &mut report, progress, None)?;
            pull(store, api, opts, (&who).into(), &mut report, progress)?;
        }
    }
    // The pull caught up past every change pushed above, so a re-sent record whose
    // create came back without a refusal is on the server now.
    report.unheld = store.clear_accepted_held(store.sync_state()?.acked_seq)?;
    report.held = store.held_live()?.len();
    store.record_sync_finished(store.clock().now())?;
    Ok(report)
}

/// How many changes a sync would send now: the outbox, less, on a store restored from a
/// backup, the backup's pending changes the server already holds (the restored
/// identity's first sync prunes them unsent, [`check_after_restore`]). Asking the
/// server is an empty push of the old replica, which changes nothing there; a store
/// that never synced has nothing on the server to ask about.
fn would_send(store: &Store, api: &dyn Api) -> Result<usize, SyncError> {
    let pending = store.outbox_len();
    let Some(restored) = store.restored()? else {
        return Ok(pending);
    };
    let state = store.sync_state()?;
    if restored.new == restored.old || state.server_id.is_none() {
        return Ok(pending);
    }
    let on_server = api.push(&PushRequest::new(restored.old, Vec::new()))?.acked;
    let last_old = restored.next.saturating_sub(1);
    let already = on_server.min(last_old).saturating_sub(state.acked_seq);
    Ok(pending.saturating_sub(usize::try_from(already).unwrap_or(usize::MAX)))
}

/// Queues held records to be sent again, through the write path, before the outbox is
/// pushed: only those the server may now accept (see [`due_held`]), parents before the
/// records that link to them, so a fixed parent brings its whole family in one sync.
/// Committed a few thousand at a time: each re-send stands alone (a record not yet
/// queued is still due at the next sync), and one transaction over hundreds of
/// thousands of held records took gigabytes (issue 13).
fn resend_held(store: &Store, retry_all: bool) -> Result<(), SyncError> {
    let again: Vec<Mutation> = due_held(store, retry_all)?
        .into_iter()
        .map(|(kind, id)| Mutation {
            kind,
            id,
            op: Op::Resend,
        })
        .collect();
    for chunk in again.chunks(RESEND_BATCH) {
        store.commit(chunk)?;
    }
    Ok(())
}

/// Held records queued again per transaction.
const RESEND_BATCH: usize = 2000;

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
            .links(&record.fields)
            .map(|links| {
                links
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

/// The most changes a push carries while a fold runs beside it. The fold, not the
/// server, sets the pace then, and a batch of 5,000 beside the fold's part took the
/// first push of 409k records to 147-149 MB (2,000: 137-140 MB, 5% slower). With the
/// next batch read while one is sent and a 32 MB cache for the fold, 2,000 took it to
/// 134-153 MB and 1,000 to 130-133 MB (31-34 s against 29-32 s); with the fold's cache at
/// 24 MB since, 2,000 take it to 120-128 MB.
const FOLDING_BATCH: usize = 2000;

/// Sends the outbox in batches. With `folding`, a fold of owners into the creates runs
/// on another thread (see `store/fold.rs`): only changes it has passed are sent, each
/// batch once the fold passed a whole batch or ended.
fn push(
    store: &Store,
    api: &dyn Api,
    opts: Options,
    me: &super::adopt::Person,
    report: &mut Report,
    progress: &mut dyn FnMut(Progress),
    folding: Option<&crate::store::Folded>,
) -> Result<(), SyncError> {
    check_after_restore(store, api, opts, me, report)?;
    resend_held(store, opts.retry_held)?;
    let total = store.outbox_len();
    let mut limit = opts.batch.max(1);
    if folding.is_some() {
        limit = limit.min(FOLDING_BATCH);
    }
    loop {
        match push_prepared_ahead(store, api, me, limit, folding, report, &mut |sent| {
            progress(Progress::Push {
                done: sent.min(total),
                total,
            });
        }) {
            // A server that takes fewer changes per push (1000 before issue 13): again
            // from the last change it acknowledged.
            Err(SyncError::Rejected { status: 413, .. }) if limit > 1 => limit = (limit / 2).max(1),
            other => return other,
        }
    }
}

/// [`push`]'s batches of at most `limit` changes, from the first one not acknowledged.
/// Each is read, its owners sent as logins and trimmed to size on a second thread while
/// this one sends the last: the server applies a batch while the laptop reads the next.
fn push_prepared_ahead(
    store: &Store,
    api: &dyn Api,
    me: &super::adopt::Person,
    limit: usize,
    folding: Option<&crate::store::Folded>,
    report: &mut Report,
    progress: &mut dyn FnMut(usize),
) -> Result<(), SyncError> {
    let first = store.sync_state()?.acked_seq;
    // Set when this side stops: the preparing thread then stops waiting for the fold.
    let stopped = AtomicBool::new(false);
    // A rendezvous: one batch is sent while the next waits, read.
    let (to_send, prepared) = std::sync::mpsc::sync_channel::<Result<Option<Prepared>, SyncError>>(0);
    std::thread::scope(|scope| {
        let preparing = scope.spawn(|| {
            let mut after = first;
            loop {
                let next = prepare_after(store, me, after, limit, folding, &stopped);
                let more = if let Ok(Some(p)) = &next {
                    after = p.last;
                    true
                } else {
                    false
                };
                // Sending fails once this side stopped on an error, which it reports.
                if to_send.send(next).is_err() || !more {
                    return;
                }
            }
        });
        let sent = send_prepared(store, api, prepared, report, progress);
        stopped.store(true, Ordering::Relaxed);
        // A panic there is this thread's (as it would be on one thread).
        preparing.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        sent
    })
}

/// Sends the batches `prepared` hands over, until it says there is no more.
fn send_prepared(
    store: &Store,
    api: &dyn Api,
    prepared: std::sync::mpsc::Receiver<Result<Option<Prepared>, SyncError>>,
    report: &mut Report,
    progress: &mut dyn FnMut(usize),
) -> Result<(), SyncError> {
    for next in prepared {
        let Some(batch) = next? else {
            return Ok(());
        };
        send_and_ack(store, api, batch, report)?;
        progress(report.sent);
    }
    Ok(()) // the preparing thread panicked: its panic is raised when it is joined
}

/// The next batch of at most `limit` changes after number `after`, prepared to send;
/// `None` when there is none. With `folding`, it waits until the fold passed a whole
/// batch or ended (or `stopped` is set: the batch is not wanted then).
fn prepare_after(
    store: &Store,
    me: &super::adopt::Person,
    after: u64,
    limit: usize,
    folding: Option<&crate::store::Folded>,
    stopped: &AtomicBool,
) -> Result<Option<Prepared>, SyncError> {
    let through = match folding {
        None => u64::MAX,
        Some(f) => f
            .wait_for(after.saturating_add(limit as u64), stopped)
            .ok_or_else(|| SyncError::Protocol("the owners could not be folded into the creates".into()))?,
    };
    let changes = store.pending_between(after, through, limit)?;
    Ok((!changes.is_empty()).then(|| prepare(changes, me)))
}

/// Sends one prepared batch of this store's changes and, once the server acknowledged
/// it, drops it from the outbox.
fn send_and_ack(store: &Store, api: &dyn Api, mut batch: Prepared, report: &mut Report) -> Result<(), SyncError> {
    let acked_before = store.sync_state()?.acked_seq;
    // Read before the last batch's answer, which may have acknowledged more than that
    // batch (changes a sync cut short had sent): those are not sent again.
    batch.changes.retain(|c| c.seq > acked_before);
    batch.withheld.retain(|w| w.change.seq > acked_before);
    if batch.changes.is_empty() && batch.withheld.is_empty() {
        return Ok(());
    }
    let issued = store.next_seq()?.saturating_sub(1);
    store.mark_pushed_through(batch.read_through)?;
    let Batch {
        resp,
        withheld,
        last,
        count,
    } = send(api, store.replica(), batch)?;
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
    hold_withheld(store, &withheld)?;
    store.ack_outbox(resp.acked)?;
    report.sent += count;
    report.refused += resp.refused;
    let withheld_seqs: Vec<u64> = withheld.iter().map(|w| w.change.seq).collect();
    for r in resp.refusals.iter().filter(|r| !withheld_seqs.contains(&r.seq)) {
        *report.unknown_kinds.entry(r.entity.clone()).or_default() += 1;
    }
    Ok(())
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
fn check_after_restore(
    store: &Store,
    api: &dyn Api,
    opts: Options,
    me: &super::adopt::Person,
    report: &mut Report,
) -> Result<(), SyncError> {
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
        let changes: Vec<Change> = store
            .pending(opts.batch.max(1))?
            .into_iter()
            .take_while(|c| c.seq <= last_old && c.replica == restored.old)
            .collect();
        if changes.is_empty() {
            break;
        }
        store.mark_pushed()?;
        let Batch {
            resp,
            withheld,
            last,
            count,
        } = send(api, restored.old, prepare(changes, me))?;
        if resp.acked < last {
            return Err(SyncError::Protocol(format!(
                "the server acknowledged up to change {} of a push ending at {last}",
                resp.acked
            )));
        }
        hold_withheld(store, &withheld)?;
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

/// One push and what went into it.
struct Batch {
    /// The server's answer.
    resp: crate::protocol::wire::PushResponse,
    /// Changes too large for any push, sent as withheld envelopes.
    withheld: Vec<Withheld>,
    /// The last sequence number in the batch (sent or withheld).
    last: u64,
    /// How many changes it carried (sent or withheld).
    count: usize,
}

/// A batch ready to send: its owners sent as logins, trimmed to size.
struct Prepared {
    changes: Vec<Change>,
    /// Changes too large for any push, sent as withheld envelopes.
    withheld: Vec<Withheld>,
    /// The last sequence number in the batch (sent or withheld): the next batch starts
    /// after it (changes trimmed off go in the next).
    last: u64,
    /// The highest sequence number read for it, trimmed off or not: a push request may
    /// carry it from now on (`Store::mark_pushed_through`).
    read_through: u64,
}

/// `changes` ready to send: owners naming this user as the login, and trimmed to size
/// (a change too large for any push goes as a withheld envelope, the server acknowledges
/// its place, and it is never left to block the outbox).
fn prepare(mut changes: Vec<Change>, me: &super::adopt::Person) -> Prepared {
    let read_through = changes.iter().map(|c| c.seq).max().unwrap_or(0);
    owners_as_login(&mut changes, me);
    let withheld = trim_to_size(&mut changes);
    let last = changes
        .iter()
        .map(|c| c.seq)
        .chain(withheld.iter().map(|w| w.change.seq))
        .max()
        .unwrap_or(0);
    Prepared {
        changes,
        withheld,
        last,
        read_through,
    }
}

/// Pushes a prepared batch as `replica`.
fn send(api: &dyn Api, replica: crate::model::ReplicaId, batch: Prepared) -> Result<Batch, SyncError> {
    let Prepared {
        changes,
        withheld,
        last,
        ..
    } = batch;
    let count = changes.len() + withheld.len();
    let mut req = PushRequest::new(replica, changes);
    req.withheld = withheld.iter().map(Withheld::envelope).collect();
    let resp = api.push(&req)?;
    Ok(Batch {
        resp,
        withheld,
        last,
        count,
    })
}

/// An owner written before this replica knew its user's login, naming them another way
/// (display name, e-mail, the login in capitals: what adoption turns into the login), is
/// sent as the login. The server holds owners to exact logins (`ANNA` is no user); the
/// adoption's own change of the owner follows in the outbox, so the record ends the same
/// here and on the server, and nothing the user typed is lost: it named them. Owners
/// naming anyone else are sent as written (and refused if they name no user).
fn owners_as_login(changes: &mut [Change], me: &super::adopt::Person) {
    for c in changes.iter_mut().filter(|c| c.entity != EntityKind::User) {
        let value = match &mut c.op {
            ChangeOp::Create { fields } => fields.get_mut("owner"),
            ChangeOp::Set { field, value, .. } if field == "owner" => Some(value),
            _ => None,
        };
        if let Some(v) = value
            && v.as_str().is_some_and(|o| !o.trim().is_empty() && me.adopts(Some(o)))
        {
            *v = serde_json::Value::String(me.login.clone());
        }
    }
}

/// Withheld changes hold their records here (they stay as written), in the step before
/// the acknowledgement makes them leave the outbox.
fn hold_withheld(store: &Store, withheld: &[Withheld]) -> Result<(), SyncError> {
    if !withheld.is_empty() {
        let cursor = store.sync_state()?.cursor;
        store.apply_remote(withheld, cursor)?;
    }
    Ok(())
}

/// Keeps a push under [`MAX_PUSH_BYTES`] of JSON as sent (escapes counted; the body is
/// not assumed to be compressed), always at least one change. A change larger than
/// [`MAX_CHANGE_BYTES`] can never be sent: it is taken out and returned, to be withheld
/// (its sequence number acknowledged, its record held here with the reason) instead of
/// failing every later sync. Changes after the first one kept that would not fit stay
/// for the next push.
fn trim_to_size(changes: &mut Vec<Change>) -> Vec<Withheld> {
    let mut bytes = 0;
    let mut keep = Vec::with_capacity(changes.len());
    let mut withheld = Vec::new();
    for c in changes.drain(..) {
        let size = crate::model::validate::json_len(&c) + 1;
        if size > MAX_CHANGE_BYTES {
            withheld.push(Withheld::new(c, size));
            continue;
        }
        if !keep.is_empty() && bytes + size > MAX_PUSH_BYTES {
            break;
        }
        bytes += size;
        keep.push(c);
    }
    // Sequence numbers must stay contiguous: nothing after the first change left out.
    let end = keep.last().map_or(0, |c: &Change| c.seq);
    withheld.retain(|w| keep.is_empty() || w.change.seq < end);
    if keep.is_empty() {
        withheld.truncate(1);
    }
    *changes = keep;
    withheld
}

/// Largest change the client sends, as JSON: half the server's body limit. A change
/// this large can only come from a record written before the size limits (the model
/// keeps fields to 64 KiB and records to 1 MiB).
const MAX_CHANGE_BYTES: usize = crate::protocol::wire::MAX_BODY_BYTES / 2;

/// A change too large to send: the push carries only its envelope and the reason, and
/// applying it here holds its record as written (see `held.rs`).
struct Withheld {
    change: Change,
    hold: Hold,
}

impl Withheld {
    fn new(change: Change, size: usize) -> Self {
        let largest = match &change.op {
            ChangeOp::Create { fields } => fields
                .iter()
                .map(|(k, v)| (k.clone(), crate::model::validate::json_len(v)))
                .max_by_key(|(_, n)| *n),
            ChangeOp::Set { field, value, .. } => Some((field.clone(), crate::model::validate::json_len(value))),
            _ => None,
        };
        let reason = match largest {
            Some((field, n)) => format!(
                "{field}: the change is {size} bytes, too large to send (at most {} KiB per field, {} KiB per \
                 record); its field '{field}' is {n} bytes: shorten it (`edit`), or discard the record",
                crate::model::validate::MAX_FIELD_BYTES / 1024,
                crate::model::validate::MAX_RECORD_BYTES / 1024
            ),
            None => format!("the change is {size} bytes, too large to send"),
        };
        let entry = Entry {
            cursor: 0,
            actor: String::new(),
            at: chrono::Utc::now(),
            change: change.clone(),
            conflicts: Vec::new(),
            refused: None,
        };
        let mut conflict = held_conflict(&entry, &reason, 0);
        // Cursor 0 is never a server's, and the sequence number keeps ids apart.
        conflict.id = Conflict::make_id(0, usize::try_from(change.seq).unwrap_or(usize::MAX));
        conflict.at = chrono::Utc::now();
        let hold = Hold {
            seq: change.seq,
            create: matches!(change.op, ChangeOp::Create { .. }),
            conflict,
        };
        Self { change, hold }
    }

    fn envelope(&self) -> crate::protocol::wire::UnknownChange {
        crate::protocol::wire::UnknownChange {
            replica: self.change.replica,
            seq: self.change.seq,
            entity: self.change.entity.to_string(),
            id: self.change.id.to_string(),
            reason: self.hold.conflict.reason.clone(),
        }
    }
}

impl Remote for Withheld {
    fn target(&self) -> (EntityKind, Id) {
        (self.change.entity, self.change.id)
    }
    fn hlc(&self) -> Hlc {
        self.change.hlc
    }
    fn conflicts(&self) -> &[Conflict] {
        &[]
    }
    fn merge(&self, _current: Option<&Stored>) -> Outcome {
        // A refusal never deletes local data: the record stays as written.
        Outcome::Unchanged
    }
    fn hold(&self) -> Option<&Hold> {
        Some(&self.hold)
    }
}

/// The server's clock and bound, as whoami told them: pulled clocks within them are
/// adopted even when this laptop's clock runs slow.
#[derive(Clone, Copy, Debug)]
struct ServerClock {
    now_ms: Option<u64>,
    skew_ms: u64,
}

impl From<&WhoAmI> for ServerClock {
    fn from(who: &WhoAmI) -> Self {
        Self {
            now_ms: who.now.and_then(|t| u64::try_from(t.timestamp_millis()).ok()),
            skew_ms: who.max_clock_skew_ms.unwrap_or(Hlc::DEFAULT_MAX_SKEW_MS),
        }
    }
}

fn pull(
    store: &Store,
    api: &dyn Api,
    opts: Options,
    server: ServerClock,
    report: &mut Report,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), SyncError> {
    // Pages are fetched here and applied in order on a second thread, so the next page
    // crosses the network (and is decoded) while the last one is written; the hand-over
    // waits for the applying thread, so at most two pages are held. A page is applied
    // in transactions of `PULL_PART` changes (`FIRST_PULL_PART` while no index entries
    // are written), the last with its cursor, so a failure on
    // either side leaves the cursor at the last page applied whole (applying part of a
    // page again changes nothing, see `Store::apply_remote`).
    //
    // Into an empty store, records are written without their index entries, which are
    // written from the records at the end, sorted (`store/first_pull.rs`): whatever
    // the pull's outcome, the indexes are whole when it returns, or, if writing them
    // fails (its error is the one returned then), at the next open.
    let first = store.begin_first_pull()?;
    let outcome = pull_pages(store, api, opts, server, report, progress);
    if first {
        progress(Progress::Indexing);
        store.end_first_pull()?;
    }
    outcome
}

/// [`pull`]'s pages: fetched on this thread, applied on a second.
fn pull_pages(
    store: &Store,
    api: &dyn Api,
    opts: Options,
    server: ServerClock,
    report: &mut Report,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), SyncError> {
    let (to_apply, pages) = std::sync::mpsc::sync_channel::<PullResponse>(0);
    let (to_report, applied) = std::sync::mpsc::channel::<Result<PageReport, SyncError>>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for page in pages {
                let result = apply_page(store, &page, server);
                let failed = result.is_err();
                if to_report.send(result).is_err() || failed {
                    return;
                }
            }
        });
        let fetched = fetch_pages(store, api, opts, report, &to_apply, &applied, progress);
        drop(to_apply);
        // What was fetched is applied before the sync answers, even after a fetch failed.
        let mut outcome = fetched;
        for result in applied {
            match result {
                Ok(page) => page.add_to(report, progress),
                Err(e) => outcome = outcome.and(Err(e)),
            }
        }
        outcome
    })
}

/// Fetches pages after the store's cursor and hands them to the applying thread,
/// reporting the pages it has applied meanwhile; stops at the end of the log, or with
/// the applying thread's error.
fn fetch_pages(
    store: &Store,
    api: &dyn Api,
    opts: Options,
    report: &mut Report,
    to_apply: &std::sync::mpsc::SyncSender<PullResponse>,
    applied: &std::sync::mpsc::Receiver<Result<PageReport, SyncError>>,
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
        let last = !page.more || page.next == cursor;
        cursor = page.next;
        if to_apply.send(page).is_err() {
            return Ok(()); // the applying thread stopped on an error, which `pull` reports
        }
        while let Ok(page) = applied.try_recv() {
            page?.add_to(report, progress);
        }
        if last {
            return Ok(());
        }
    }
}

/// What applying one pulled page did.
struct PageReport {
    received: usize,
    users: usize,
    conflicts: usize,
    future_clocks: usize,
    reverted: usize,
    cursor: u64,
    head: u64,
}

impl PageReport {
    fn add_to(&self, report: &mut Report, progress: &mut dyn FnMut(Progress)) {
        report.received += self.received;
        report.users += self.users;
        report.conflicts += self.conflicts;
        report.future_clocks += self.future_clocks;
        report.reverted += self.reverted;
        progress(Progress::Pull {
            cursor: self.cursor,
            head: self.head,
        });
    }
}

/// Applies one pulled page with its cursor (one transaction).
fn apply_page(store: &Store, page: &PullResponse, server: ServerClock) -> Result<PageReport, SyncError> {
    let items: Vec<Incoming> = page.entries.iter().map(Incoming::new).collect();
    let applied = store.apply_remote_within(&items, page.next, server.now_ms, server.skew_ms)?;
    let (users, others): (Vec<&Entry>, Vec<&Entry>) = page
        .entries
        .iter()
        .filter(|e| e.change.replica != store.replica())
        .partition(|e| e.actor == crate::protocol::wire::DIRECTORY_ACTOR);
    Ok(PageReport {
        received: others.len(),
        users: users.len(),
        conflicts: applied.conflicts,
        future_clocks: applied.future_clocks,
        reverted: items.iter().filter(|i| i.reverts()).count(),
        cursor: page.next,
        head: page.head,
    })
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

    /// The user `ana` of server `srv`, in `role`, as whoami describes her.
    fn ana(role: Role) -> WhoAmI {
        WhoAmI {
            user: "ana".into(),
            role,
            server_id: "srv".into(),
            name: None,
            email: None,
            now: None,
            max_clock_skew_ms: None,
        }
    }

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
            Ok(ana(Role::Rep))
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

    /// A server whose log holds `pages` pages of one account each; the page after
    /// `fails_after` pages never arrives.
    struct PagedServer {
        pages: u64,
        fails_after: u64,
    }

    impl Api for PagedServer {
        fn health(&self) -> Result<Health, SyncError> {
            unreachable!("sync does not ask")
        }
        fn whoami(&self) -> Result<WhoAmI, SyncError> {
            Ok(ana(Role::Rep))
        }
        fn push(&self, _: &PushRequest) -> Result<PushResponse, SyncError> {
            Ok(PushResponse::default())
        }
        fn pull(&self, _: ReplicaId, after: u64, _: usize) -> Result<PullResponse, SyncError> {
            if after >= self.fails_after {
                return Err(SyncError::Unreachable {
                    server: "srv".into(),
                    detail: "connection reset".into(),
                });
            }
            if after >= self.pages {
                let end = json!({"entries": [], "next": after, "more": false, "head": self.pages});
                return Ok(serde_json::from_value(end).expect("page"));
            }
            let cursor = after + 1;
            let mut fields = crate::model::Fields::new();
            fields.insert("name".into(), json!(format!("Page {cursor}")));
            let other = ReplicaId(78);
            let change = Change {
                replica: other,
                seq: cursor,
                hlc: Hlc {
                    wall: 1_700_000_000_000 + cursor,
                    counter: 0,
                    replica: other,
                },
                entity: EntityKind::Account,
                id: Id::new(),
                op: ChangeOp::Create { fields },
            };
            let page = json!({
                "entries": [{"cursor": cursor, "actor": "bo", "at": "2026-01-01T00:00:00Z", "change": change}],
                "next": cursor, "more": cursor < self.pages, "head": self.pages,
            });
            Ok(serde_json::from_value(page).expect("page"))
        }
    }

    #[test]
    fn pages_fetched_while_others_are_written_all_land_in_order_and_a_lost_page_stops_at_the_last_one() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("open");
        let api = PagedServer {
            pages: 5,
            fails_after: 3,
        };
        let mut seen = Vec::new();
        let err = sync(&store, &api, "http://srv", Options::default(), &mut |p| {
            if let Progress::Pull { cursor, .. } = p {
                seen.push(cursor);
            }
        })
        .expect_err("the fourth page is lost");
        assert!(err.to_string().contains("connection reset"), "{err}");
        assert_eq!(
            seen,
            [1, 2, 3],
            "the pages fetched before the failure were applied, in order"
        );
        assert_eq!(store.sync_state().expect("state").cursor, 3);
        assert_eq!(store.live(EntityKind::Account).count(), 3);
        // The next sync goes on from there.
        let api = PagedServer {
            pages: 5,
            fails_after: u64::MAX,
        };
        let report = sync(&store, &api, "http://srv", Options::default(), &mut |_| {}).expect("sync");
        assert_eq!(report.received, 2, "from the cursor on");
        assert_eq!(store.sync_state().expect("state").cursor, 5);
        assert_eq!(store.live(EntityKind::Account).count(), 5);
    }

    /// A server at a given time that records what was pushed.
    struct TimedServer {
        now: chrono::DateTime<chrono::Utc>,
        page: String,
        pushed: Cell<usize>,
    }

    impl Api for TimedServer {
        fn health(&self) -> Result<Health, SyncError> {
            unreachable!("sync does not ask")
        }
        fn whoami(&self) -> Result<WhoAmI, SyncError> {
            Ok(WhoAmI {
                now: Some(self.now),
                max_clock_skew_ms: Some(Hlc::DEFAULT_MAX_SKEW_MS),
                ..ana(Role::Rep)
            })
        }
        fn push(&self, req: &PushRequest) -> Result<PushResponse, SyncError> {
            self.pushed.set(self.pushed.get() + req.changes.len());
            Ok(PushResponse {
                acked: req.changes.last().map_or(0, |c| c.seq),
                ..PushResponse::default()
            })
        }
        fn pull(&self, _: ReplicaId, after: u64, _: usize) -> Result<PullResponse, SyncError> {
            let page: PullResponse = serde_json::from_str(&self.page).expect("page");
            if after > 0 && after >= page.next {
                // Like a real server, nothing at or before the cursor again.
                return Ok(
                    serde_json::from_value(json!({"entries": [], "next": after, "more": false, "head": after}))
                        .expect("empty page"),
                );
            }
            Ok(page)
        }
    }

    fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
        text.parse().expect("time")
    }

    fn account(store: &Store, name: &str) {
        let mut f = crate::model::Fields::new();
        f.insert("name".into(), json!(name));
        store
            .commit(&[Mutation::create(EntityKind::Account, f)])
            .expect("commit");
    }

    #[test]
    fn a_laptop_whose_clock_is_days_ahead_is_told_and_sends_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let clock = crate::model::WallClock::manual(at("2026-03-10T12:00:00Z"));
        let store = Store::open_with_clock(dir.path(), clock.clone()).expect("open");
        account(&store, "Ahead AB");
        let api = TimedServer {
            now: at("2026-03-06T12:00:00Z"),
            page: r#"{"entries":[],"next":0,"more":false,"head":0}"#.into(),
            pushed: Cell::new(0),
        };
        let err = sync(&store, &api, "http://srv", Options::default(), &mut |_| {}).expect_err("refused");
        let text = err.to_string();
        assert!(
            text.contains("4 days ahead") && text.contains("date and time"),
            "{text}"
        );
        assert_eq!(api.pushed.get(), 0);
        // The clock set right, the sync runs (what was stamped while it was wrong is the
        // server's to refuse, with the reason; the laptop holds it).
        clock.set(at("2026-03-06T12:00:00Z"));
        sync(&store, &api, "http://srv", Options::default(), &mut |_| {}).expect("sync");
        assert!(api.pushed.get() >= 1, "the account (and its adoption) went");
    }

    #[test]
    fn a_pulled_clock_far_in_the_future_is_applied_but_never_adopted() {
        let dir = tempfile::tempdir().expect("dir");
        let clock = crate::model::WallClock::manual(at("2026-03-10T12:00:00Z"));
        let store = Store::open_with_clock(dir.path(), clock).expect("open");
        let other = ReplicaId(0xbad);
        let id = Id::new();
        let entry = |cursor: u64, wall: u64, counter: u32| {
            let mut fields = crate::model::Fields::new();
            fields.insert("name".into(), json!(format!("Far {cursor}")));
            let change = Change {
                replica: other,
                seq: cursor,
                hlc: Hlc {
                    wall,
                    counter,
                    replica: other,
                },
                entity: EntityKind::Account,
                id: if cursor == 1 { id } else { Id::new() },
                op: ChangeOp::Create { fields },
            };
            json!({"cursor": cursor, "actor": "bo", "at": "2026-01-01T00:00:00Z", "change": change})
        };
        let page = json!({
            "entries": [entry(1, 9_999_999_999_999, 0), entry(2, u64::MAX, u32::MAX)],
            "next": 2, "more": false, "head": 2,
        });
        let api = TimedServer {
            now: at("2026-03-10T12:00:00Z"),
            page: page.to_string(),
            pushed: Cell::new(0),
        };
        let report = sync(&store, &api, "http://srv", Options::default(), &mut |_| {}).expect("sync");
        assert_eq!(report.future_clocks, 2, "{report:?}");
        assert!(
            store.get(EntityKind::Account, id).expect("get").is_some(),
            "the record is kept"
        );
        assert!(
            store.last_hlc().expect("hlc").wall < 1_800_000_000_000,
            "the clock stays true"
        );
        account(&store, "Later AB");
        let later = store.pending(10).expect("outbox");
        assert!(later.iter().all(|c| c.hlc.wall < 1_800_000_000_000), "{later:?}");
    }

    /// A server that takes at most `most` changes per push (answering 413 to more, as
    /// servers of before issue 13 did above 1000), loses the network on push number
    /// `fail_at`, and records what it takes.
    struct TestServer {
        most: usize,
        fail_at: Cell<usize>,
        pushes: Cell<usize>,
        largest: Cell<usize>,
        acked: Cell<u64>,
        /// Changes of the replica the server holds already (a sync cut short sent them).
        holds: Cell<u64>,
        took: std::cell::RefCell<Vec<Change>>,
    }

    impl TestServer {
        fn new(most: usize) -> Self {
            Self {
                most,
                fail_at: Cell::new(0),
                pushes: Cell::new(0),
                largest: Cell::new(0),
                acked: Cell::new(0),
                holds: Cell::new(0),
                took: std::cell::RefCell::new(Vec::new()),
            }
        }
    }

    impl Api for TestServer {
        fn health(&self) -> Result<Health, SyncError> {
            unreachable!("sync does not ask")
        }
        fn whoami(&self) -> Result<WhoAmI, SyncError> {
            Ok(ana(Role::Manager))
        }
        fn push(&self, req: &PushRequest) -> Result<PushResponse, SyncError> {
            if req.changes.len() > self.most {
                return Err(SyncError::Rejected {
                    status: 413,
                    code: "too_large".into(),
                    message: format!("{} changes in one push; send at most {}", req.changes.len(), self.most),
                });
            }
            self.pushes.set(self.pushes.get() + 1);
            if self.pushes.get() == self.fail_at.get() {
                return Err(SyncError::Unreachable {
                    server: "http://srv".into(),
                    detail: "the network went away".into(),
                });
            }
            self.largest.set(self.largest.get().max(req.changes.len()));
            self.took.borrow_mut().extend(req.changes.iter().cloned());
            if let Some(last) = req.changes.last() {
                self.acked.set(last.seq.max(self.holds.get()));
            }
            Ok(PushResponse {
                acked: self.acked.get(),
                ..PushResponse::default()
            })
        }
        fn pull(&self, _: ReplicaId, _: u64, _: usize) -> Result<PullResponse, SyncError> {
            Ok(serde_json::from_str(r#"{"entries":[],"next":0,"more":false,"head":0}"#).expect("page"))
        }
    }

    /// A new store holding `n` accounts named "Account i", each with `extra` fields.
    fn accounts(n: usize, extra: &[(&str, Value)]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("open");
        let muts: Vec<Mutation> = (0..n)
            .map(|i| {
                let mut f = crate::model::Fields::new();
                f.insert("name".into(), json!(format!("Account {i}")));
                for (k, v) in extra {
                    f.insert((*k).into(), v.clone());
                }
                Mutation::create(EntityKind::Account, f)
            })
            .collect();
        store.commit(&muts).expect("commit");
        (dir, store)
    }

    #[test]
    fn a_server_that_takes_fewer_changes_per_push_gets_smaller_pushes() {
        let (_dir, store) = accounts(2500, &[]);
        let api = TestServer::new(1000);
        let report = sync(&store, &api, "http://srv", Options::default(), &mut |_| {}).expect("sync");
        assert_eq!(report.sent, 2500, "{report:?}");
        assert!(
            api.largest.get() <= 1000 && api.largest.get() >= 500,
            "{}",
            api.largest.get()
        );
        assert_eq!(store.outbox_len(), 0);
    }

    /// Batches read ahead of the push: a batch trimmed to size leaves its tail to the
    /// next, and the server takes every change once, in order.
    #[test]
    fn a_batch_trimmed_to_size_sends_the_rest_next_and_every_change_goes_once_in_order() {
        let (_dir, store) = accounts(300, &[("street", json!("x".repeat(40_000)))]);
        let api = TestServer::new(usize::MAX);
        let report = sync(&store, &api, "http://srv", Options::default(), &mut |_| {}).expect("sync");
        assert_eq!(report.sent, 300, "{report:?}");
        // About 100 changes of 40 kB fit in 4 MiB.
        assert!(api.pushes.get() >= 3, "{}", api.pushes.get());
        let seqs: Vec<u64> = api.took.borrow().iter().map(|c| c.seq).collect();
        assert_eq!(seqs, (1..=300).collect::<Vec<u64>>());
        assert_eq!(store.outbox_len(), 0);
    }

    /// The batch read while the last was sent is sent only from past what the server
    /// acknowledged: a server holding changes a sync cut short sent does not get them
    /// again, and the count is the old loop's.
    #[test]
    fn changes_the_server_acknowledged_with_an_earlier_batch_are_not_sent_again() {
        let (_dir, store) = accounts(400, &[]);
        let api = TestServer::new(usize::MAX);
        api.holds.set(250);
        let opts = Options {
            batch: 100,
            ..Options::default()
        };
        let report = sync(&store, &api, "http://srv", opts, &mut |_| {}).expect("sync");
        let seqs: Vec<u64> = api.took.borrow().iter().map(|c| c.seq).collect();
        let expected: Vec<u64> = (1..=100).chain(251..=400).collect();
        assert_eq!(seqs, expected);
        assert_eq!(report.sent, 250, "{report:?}");
        assert_eq!(store.outbox_len(), 0);
    }

    #[test]
    fn a_change_too_large_for_any_push_is_withheld_and_the_sequence_stays_contiguous() {
        let change = |seq: u64, len: usize| {
            let mut fields = crate::model::Fields::new();
            fields.insert("name".into(), json!("x".repeat(len)));
            Change {
                replica: ReplicaId(5),
                seq,
                hlc: Hlc {
                    wall: 1,
                    counter: 0,
                    replica: ReplicaId(5),
                },
                entity: EntityKind::Account,
                id: Id::new(),
                op: ChangeOp::Create { fields },
            }
        };
        let big = MAX_CHANGE_BYTES + 10;
        // Control characters are six bytes once escaped: counted as sent.
        let mut escaped = change(3, 0);
        if let ChangeOp::Create { fields } = &mut escaped.op {
            fields.insert("name".into(), json!("\u{1}".repeat(MAX_CHANGE_BYTES / 6 + 10)));
        }
        let mut changes = vec![
            change(1, big),
            change(2, 10),
            escaped,
            change(4, 10),
            change(5, MAX_PUSH_BYTES),
        ];
        let withheld = trim_to_size(&mut changes);
        let seqs: Vec<u64> = changes.iter().map(|c| c.seq).collect();
        let held: Vec<u64> = withheld.iter().map(|w| w.change.seq).collect();
        assert_eq!((seqs, held), (vec![2, 4], vec![1, 3]), "5 waits for the next push");
        assert!(
            withheld[0]
                .envelope()
                .reason
                .is_some_and(|r| r.contains("name") && r.contains("too large"))
        );
        let mut alone = vec![change(7, big), change(8, big)];
        let withheld = trim_to_size(&mut alone);
        assert!(alone.is_empty() && withheld.len() == 1 && withheld[0].change.seq == 7);
    }

    #[test]
    fn a_first_sync_cut_short_while_folding_owners_folds_the_rest_on_the_next() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path()).expect("open");
        let mut sara = crate::model::Fields::new();
        sara.insert("login".into(), json!("sara"));
        sara.insert("name".into(), json!("Sara Lindqvist"));
        store.commit(&[Mutation::create(EntityKind::User, sara)]).expect("user");
        // More than one part of the fold (`store::WRITE_BATCH`), pushed 100 at a time.
        let muts: Vec<Mutation> = (0..450)
            .map(|i| {
                let mut f = crate::model::Fields::new();
                f.insert("name".into(), json!(format!("Account {i}")));
                f.insert("owner".into(), json!("Sara Lindqvist"));
                Mutation::create(EntityKind::Account, f)
            })
            .collect();
        store.commit(&muts).expect("commit");
        let api = TestServer::new(usize::MAX);
        api.fail_at.set(2);
        let opts = Options {
            batch: 100,
            ..Options::default()
        };
        let cut = sync(&store, &api, "http://srv", opts, &mut |_| {});
        assert!(matches!(cut, Err(SyncError::Unreachable { .. })), "{cut:?}");
        api.fail_at.set(0);
        let report = sync(&store, &api, "http://srv", opts, &mut |_| {}).expect("sync");
        assert_eq!(store.outbox_len(), 0, "{report:?}");
        let took = api.took.borrow();
        let accounts: Vec<&Change> = took.iter().filter(|c| c.entity == EntityKind::Account).collect();
        assert_eq!(accounts.len(), 450, "one change per account, each create once");
        for change in accounts {
            match &change.op {
                ChangeOp::Create { fields } => assert_eq!(fields.get("owner"), Some(&json!("sara"))),
                other => panic!("only creates go: {other:?}"),
            }
        }
        for m in &muts {
            let stored = store.get(EntityKind::Account, m.id).expect("get").expect("record");
            assert_eq!(stored.text("owner"), "sara");
        }
        assert!(store.verify().expect("verify").ok());
    }
}
