//! `outpost backup` / `restore`: a portable NDJSON dump of records (with clocks and
//! tombstones), the outbox and meta. Restoring into an empty data dir gives an identical
//! store; it is also the upgrade path across sled's on-disk formats.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::apply::finish;
use super::write::{Pending, TreeWrite};
use super::{CONFLICTS, Change, HELD, HeldMark, LocalConflict, META, OUTBOX, Store, StoreError, Stored};
use crate::model::{EntityKind, Fields, Hlc, Id, ReplicaId};

const FORMAT: &str = "outpost-backup";
const FORMAT_VERSION: u32 = 1;

/// One line of a backup file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum Line {
    Header {
        format: String,
        version: u32,
        schema: u32,
    },
    Meta {
        key: String,
        value: String,
    },
    Record {
        entity: EntityKind,
        id: Id,
        fields: Fields,
        clocks: BTreeMap<String, Hlc>,
        deleted: bool,
    },
    Outbox {
        change: Change,
    },
    /// A sync conflict this replica holds (schema 3).
    Conflict {
        conflict: serde_json::Value,
    },
    /// The mark on a held record.
    Held {
        mark: HeldMark,
    },
}

/// Counts of what a backup holds.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct BackupSummary {
    /// Records (trashed ones included).
    pub records: usize,
    /// Outbox changes.
    pub outbox: usize,
    /// Meta entries.
    pub meta: usize,
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Io {
        path: "the backup's output".into(),
        error: e,
    }
}

/// Writes the whole store to `out`.
pub fn write_backup(store: &Store, out: &mut dyn Write) -> Result<BackupSummary, StoreError> {
    let mut summary = BackupSummary::default();
    let mut emit = |line: &Line| -> Result<(), StoreError> {
        // A failed write is the output's (a closed pipe, a full disk), not the store's.
        serde_json::to_writer(&mut *out, line).map_err(|e| match e.io_error_kind() {
            Some(kind) => io(std::io::Error::new(kind, e.to_string())),
            None => StoreError::Corrupt(e.to_string()),
        })?;
        out.write_all(b"\n").map_err(io)
    };
    emit(&Line::Header {
        format: FORMAT.into(),
        version: FORMAT_VERSION,
        schema: store.schema_version()?,
    })?;
    // A restored store's marker is kept only once it made changes of its own since the
    // restore (stamped as its new replica): a store restored from this backup must go
    // on as that replica. Without such changes, a restore of this backup is a restore
    // of the original one, and gets a new identity of its own.
    let keep_marker = store.restored()?.is_some_and(|r| r.new != r.old)
        && store.next_seq()? > store.restored()?.map_or(u64::MAX, |r| r.next);
    for item in store.tree(META).iter() {
        let (k, v) = item?;
        if k.as_ref() == super::meta::K_RESTORED.as_bytes() && !keep_marker {
            continue;
        }
        // A restore fills every index anyway.
        if k.as_ref() == super::first_pull::K_INDEXES_TO_FILL.as_bytes() {
            continue;
        }
        emit(&Line::Meta {
            key: String::from_utf8_lossy(&k).into_owned(),
            value: String::from_utf8_lossy(&v).into_owned(),
        })?;
        summary.meta += 1;
    }
    for kind in EntityKind::ALL {
        for item in store.scan(kind) {
            let (id, s) = item?;
            emit(&Line::Record {
                entity: kind,
                id,
                fields: s.fields,
                clocks: s.clocks,
                deleted: s.deleted,
            })?;
            summary.records += 1;
        }
    }
    for change in store.outbox() {
        emit(&Line::Outbox { change: change? })?;
        summary.outbox += 1;
    }
    for c in store.conflicts()? {
        let conflict = serde_json::to_value(&c).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        emit(&Line::Conflict { conflict })?;
    }
    for mark in store.held_marks()? {
        emit(&Line::Held { mark })?;
    }
    out.flush().map_err(io)?;
    Ok(summary)
}

/// Meta key: a restore is under way. Set (and flushed) before the first record is
/// written and removed by the restore's last transaction; a store opened with it set
/// was interrupted mid-restore and is emptied again ([`Store::discard_restore`]).
pub(crate) const K_RESTORING: &str = "restore_under_way";

/// Why a restore failed.
#[derive(Debug)]
pub enum RestoreError {
    /// The file is not a whole, consistent backup (the message names the line).
    Invalid(String),
    /// The store could not be written, or is not empty.
    Store(StoreError),
}

impl From<StoreError> for RestoreError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<sled::Error> for RestoreError {
    fn from(e: sled::Error) -> Self {
        Self::Store(StoreError::Sled(e))
    }
}

/// The lines read since the last written part.
#[derive(Default)]
struct Part {
    records: Vec<(EntityKind, Id, Stored)>,
    outbox: Vec<Change>,
    conflicts: Vec<LocalConflict>,
    held: Vec<HeldMark>,
}

impl Part {
    fn len(&self) -> usize {
        self.records.len() + self.outbox.len() + self.conflicts.len() + self.held.len()
    }
}

/// One line of a backup as [`read_lines`] parsed it: its number, what it says, and for a
/// record, whether its fields fit its kind.
struct Parsed {
    n: usize,
    line: Line,
    check: Result<(), String>,
}

/// Lines parsed per message from the reader to the writer.
const PARSED_PER_PART: usize = 256;

/// What the reader of a backup sends the writer.
enum Read {
    /// The next lines.
    Lines(Vec<Parsed>),
    /// The file ended here.
    End,
    /// A line could not be read or parsed (the message names it).
    Failed(String),
}

/// Reads and parses the lines of a backup on the restore's second thread, sending them
/// in parts, then the end of the file; a line that cannot be read or parsed ends them
/// with its error instead (the lines before it are sent first, so the writer meets the
/// errors in line order).
fn read_lines(input: &mut (dyn BufRead + Send), to: &std::sync::mpsc::SyncSender<Read>) {
    let mut part = Vec::with_capacity(PARSED_PER_PART);
    let mut text = String::new();
    let mut n = 0;
    let error = loop {
        text.clear();
        n += 1;
        match input.read_line(&mut text) {
            Ok(0) => break None,
            Ok(_) if text.trim().is_empty() => continue,
            Ok(_) => {}
            Err(e) => break Some(format!("line {n}: {e}")),
        }
        let line: Line = match serde_json::from_str(&text) {
            Ok(line) => line,
            Err(e) => break Some(format!("line {n}: {e}")),
        };
        let check = match &line {
            Line::Record { entity, id, fields, .. } => check_record(n, *entity, *id, fields),
            _ => Ok(()),
        };
        part.push(Parsed { n, line, check });
        if part.len() == PARSED_PER_PART && to.send(Read::Lines(std::mem::take(&mut part))).is_err() {
            return;
        }
    };
    if !part.is_empty() && to.send(Read::Lines(part)).is_err() {
        return;
    }
    let _ = to.send(error.map_or(Read::End, Read::Failed));
}

/// Checks one record line's fields against its kind.
fn check_record(n: usize, entity: EntityKind, id: Id, fields: &Fields) -> Result<(), String> {
    if entity.describe(fields).is_none() {
        return Err(format!("line {n}: {entity} {id} has fields that do not fit a {entity}"));
    }
    if let Some(stray) = fields.keys().find(|k| !entity.field_names().contains(k)) {
        return Err(format!(
            "line {n}: '{stray}' is not a field of a {entity}; is the entity right?"
        ));
    }
    Ok(())
}

impl Store {
    /// Restores a backup into this store, which must be empty, reading it line by line:
    /// memory stays bounded whatever the backup's size. A second thread reads and
    /// parses the lines while this one checks and writes them in parts of
    /// [`super::WRITE_BATCH`] (records without their index entries, outbox, conflicts,
    /// held marks); once every record is written, the index trees are filled
    /// from them in key order ([`Store::fill_indexes`]); the last transaction writes meta
    /// (schema version and the restored marker included) and ends the restore. Until
    /// then [`K_RESTORING`] is set: a restore that fails (a bad line, a damaged outbox)
    /// empties the store again before it returns, and one that is killed is emptied when
    /// the store is next opened. So a restore leaves an empty store or the whole backup,
    /// never part of it, and restoring again works.
    pub fn restore(&mut self, input: &mut (dyn BufRead + Send)) -> Result<BackupSummary, RestoreError> {
        let has_records = !self.has_no_records() || self.outbox_len() > 0;
        if has_records {
            return Err(RestoreError::Store(StoreError::NotEmpty {
                path: self.path().to_path_buf(),
            }));
        }
        self.tree(META).insert(K_RESTORING, b"1".as_slice())?;
        self.flush()?;
        match self.restore_lines(input) {
            Ok(summary) => Ok(summary),
            Err(e) => {
                self.discard_restore()?;
                Err(e)
            }
        }
    }

    fn restore_lines(&mut self, input: &mut (dyn BufRead + Send)) -> Result<BackupSummary, RestoreError> {
        std::thread::scope(|scope| {
            let (to_writer, parsed) = std::sync::mpsc::sync_channel(4);
            // The reader stops when this thread stops listening (an error here).
            scope.spawn(move || read_lines(input, &to_writer));
            self.restore_parsed(parsed.into_iter())
        })
    }

    /// Checks and writes the lines [`read_lines`] parsed (see [`Store::restore`]).
    fn restore_parsed(&mut self, mut parts: impl Iterator<Item = Read>) -> Result<BackupSummary, RestoreError> {
        let invalid = RestoreError::Invalid;
        let mut summary = BackupSummary::default();
        let mut meta: Vec<(String, String)> = Vec::new();
        let mut part = Part::default();
        let mut seen_header = false;
        let (mut first_seq, mut last_seq): (Option<u64>, Option<u64>) = (None, None);
        loop {
            let lines = match parts.next() {
                Some(Read::Lines(lines)) => lines,
                Some(Read::End) => break,
                Some(Read::Failed(e)) => return Err(invalid(e)),
                // The reader stopped without saying why (it panicked): not the file's end.
                None => return Err(invalid("the backup's reader stopped part way".into())),
            };
            for Parsed { n, line, check } in lines {
                match line {
                    Line::Header {
                        format,
                        version,
                        schema,
                    } => {
                        if format != FORMAT || version != FORMAT_VERSION {
                            return Err(invalid(format!(
                                "line {n}: not an outpost backup (format {format} version {version})"
                            )));
                        }
                        if schema > super::SCHEMA_VERSION {
                            return Err(invalid(format!(
                                "line {n}: backup of schema {schema}, newer than this outpost (up to {}); install a newer outpost",
                                super::SCHEMA_VERSION
                            )));
                        }
                        seen_header = true;
                    }
                    _ if !seen_header => {
                        return Err(invalid(format!(
                            "line {n}: expected the backup header first; is this an outpost backup?"
                        )));
                    }
                    Line::Meta { key, value } => {
                        if key == K_RESTORING {
                            return Err(invalid(format!("line {n}: meta {key} is not part of a backup")));
                        }
                        meta.push((key, value));
                    }
                    Line::Record {
                        entity,
                        id,
                        fields,
                        clocks,
                        deleted,
                    } => {
                        // Checked as the line was read; reported here, in line order.
                        check.map_err(invalid)?;
                        part.records.push((
                            entity,
                            id,
                            Stored {
                                fields,
                                clocks,
                                deleted,
                            },
                        ));
                        summary.records += 1;
                    }
                    Line::Outbox { change } => {
                        if let Some(p) = last_seq
                            && change.seq != p + 1
                        {
                            return Err(invalid(format!("outbox sequence jumps to {} after {p}", change.seq)));
                        }
                        first_seq.get_or_insert(change.seq);
                        last_seq = Some(change.seq);
                        part.outbox.push(change);
                        summary.outbox += 1;
                    }
                    Line::Held { mark } => part.held.push(mark),
                    Line::Conflict { conflict } => {
                        part.conflicts.push(
                            serde_json::from_value(conflict)
                                .map_err(|e| invalid(format!("line {n}: conflict: {e}")))?,
                        );
                    }
                }
                if part.len() >= super::WRITE_BATCH {
                    self.write_part(&mut part)?;
                }
            }
        }
        if !seen_header {
            return Err(invalid("the file is empty; expected an outpost backup".into()));
        }
        // The outbox must sit exactly between the acknowledged and the next sequence
        // number, or new changes would overwrite (and lose) pending ones.
        let meta_u64 = |key: &str, default: u64| -> Result<u64, RestoreError> {
            meta.iter().find(|(k, _)| k == key).map_or(Ok(default), |(_, v)| {
                v.parse()
                    .map_err(|_| invalid(format!("meta {key} is '{v}', not a number")))
            })
        };
        let acked = meta_u64(super::meta::K_ACKED_SEQ, 0)?;
        let next = meta_u64(super::meta::K_NEXT_SEQ, 0)?;
        let (first, last) = match (first_seq, last_seq) {
            (Some(f), Some(l)) => (f, l),
            _ => (acked + 1, acked),
        };
        if first != acked + 1 || next != last + 1 {
            return Err(invalid(format!(
                "the outbox holds changes {first}..={last}, but meta says {acked} were acknowledged and the next is {next}; \
                 the backup is damaged"
            )));
        }
        self.write_part(&mut part)?;
        self.fill_indexes(&EntityKind::ALL_BY_TAG, |_| true)?;
        summary.meta = meta.len();
        let next: u64 = meta
            .iter()
            .find(|(k, _)| k == super::meta::K_NEXT_SEQ)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1);
        // A backup of a restored store that made changes since keeps its marker (see
        // `write_backup`): the restored copy goes on as that store's new replica.
        let kept = meta
            .iter()
            .find(|(k, _)| k == super::meta::K_RESTORED)
            .and_then(|(_, v)| v.split_once(' '))
            .and_then(|(r, n)| Some((r.parse::<ReplicaId>().ok()?, n.parse::<u64>().ok()?)));
        let (new_replica, next) = kept.unwrap_or_else(|| (ReplicaId::random(), next));
        let marker = format!("{new_replica} {next}");
        let result = self.tree(META).transaction(|tree| {
            for (k, v) in &meta {
                tree.insert(k.as_bytes(), v.as_bytes())?;
            }
            tree.insert(super::meta::K_SCHEMA, super::SCHEMA_VERSION.to_string().as_bytes())?;
            // New changes are stamped as a new replica; the first sync sends the backup's
            // pending changes under the old one and then takes the new identity (see
            // `meta::K_RESTORED` and `sync::engine`).
            tree.insert(super::meta::K_RESTORED, marker.as_bytes())?;
            tree.remove(K_RESTORING)?;
            Ok::<_, ConflictableTransactionError<StoreError>>(())
        });
        finish(result)?;
        self.flush()?;
        self.replica = new_replica;
        Ok(summary)
    }

    /// Writes the lines read so far, tree by tree ([`Pending`]), not in a transaction:
    /// until the restore's last transaction the marker makes it all-or-nothing (an
    /// interrupted restore is emptied), and sled's transactional insert reads every key
    /// before writing it. Not flushed, for the same reason. The records' index entries
    /// are left to [`Store::fill_indexes`].
    fn write_part(&self, part: &mut Part) -> Result<(), StoreError> {
        if part.len() == 0 {
            return Ok(());
        }
        let trees: Vec<Pending<'_>> = self.trees.iter().map(Pending::new).collect();
        for (kind, id, stored) in &mut part.records {
            // A backup of an older schema holds records in their older form.
            super::meta::upgrade(*kind, stored);
            super::write::put_unindexed(&trees, *kind, *id, stored)?;
        }
        for c in &part.outbox {
            let bytes = serde_json::to_vec(c).unwrap_or_default();
            trees[OUTBOX].insert(&c.seq.to_be_bytes(), bytes)?;
        }
        for c in &part.conflicts {
            let (key, value) = super::conflict::encode(c);
            trees[CONFLICTS].insert(&key, value)?;
        }
        for m in &part.held {
            trees[HELD].insert(&super::held::key(m.entity, m.id), super::held::encode(m))?;
        }
        // The index trees stay empty until every record is written (`fill_indexes`).
        for tree in trees {
            tree.apply()?;
        }
        *part = Part::default();
        Ok(())
    }

    /// Empties a store whose restore did not finish: every tree but `meta` (which the
    /// restore writes only in its last transaction) is cleared, then the marker goes.
    /// Run by a failed restore and, for a killed one, when the store is opened.
    pub(crate) fn discard_restore(&self) -> Result<(), StoreError> {
        for tree in &self.trees[META + 1..] {
            tree.clear()?;
        }
        self.flush()?;
        self.tree(META).remove(K_RESTORING)?;
        self.flush()
    }

    /// What the restore marker says, if this store was restored and has not synced since
    /// (see [`super::meta::K_RESTORED`]).
    pub fn restored(&self) -> Result<Option<super::meta::Restored>, StoreError> {
        super::meta::restored(self.tree(META))
    }

    /// Ends the restore: once every pending change of the old replica is on the server
    /// (acknowledged and pruned), the store takes its new identity for good. In one
    /// transaction the changes made since the restore (stamped with the new replica) are
    /// numbered from 1 as that replica's, nothing is acknowledged yet, the device code
    /// (quote numbers) is the new replica's, the held marks follow their changes, and
    /// the marker goes. Fails, changing nothing, if a change of another replica is
    /// still pending.
    pub fn take_restored_identity(&self) -> Result<(), StoreError> {
        let Some(r) = self.restored()? else {
            return Ok(());
        };
        let pending: Vec<Change> = self.outbox().collect::<Result<_, _>>()?;
        if let Some(c) = pending.iter().find(|c| c.replica != r.new || c.hlc.replica != r.new) {
            return Err(StoreError::Corrupt(format!(
                "change {} of replica {} is still pending; it must reach the server before this restored \
                 store takes its new identity {}",
                c.seq, c.replica, r.new
            )));
        }
        // Everything below `next` was the old replica's and is on the server now.
        let shift = r.next.saturating_sub(1);
        let marks = self.held_marks()?;
        let device = format!("{:04X}", r.new.0 & 0xFFFF);
        let next = pending.len() as u64 + 1;
        let result = self.trees.as_slice().transaction(|trees| {
            for c in &pending {
                trees[OUTBOX].remove(&c.seq.to_be_bytes())?;
            }
            for c in &pending {
                let mut c = c.clone();
                c.seq = c.seq.saturating_sub(shift);
                let bytes = serde_json::to_vec(&c).unwrap_or_default();
                trees[OUTBOX].insert(&c.seq.to_be_bytes(), bytes)?;
            }
            for m in &marks {
                let Some(seq) = m.resent else { continue };
                let mut m = m.clone();
                // A re-send of the old replica went with its changes (acknowledged):
                // the next complete sync sees whether it was refused.
                m.resent = Some(seq.saturating_sub(shift));
                trees[HELD].insert(super::held::key(m.entity, m.id), super::held::encode(&m))?;
            }
            let meta = &trees[META];
            meta.insert(super::meta::K_REPLICA, r.new.to_string().as_bytes())?;
            meta.insert(super::meta::K_DEVICE, device.as_bytes())?;
            meta.insert(super::meta::K_NEXT_SEQ, next.to_string().as_bytes())?;
            meta.insert(super::meta::K_ACKED_SEQ, b"0".as_slice())?;
            meta.remove(super::meta::K_RESTORED)?;
            Ok::<_, ConflictableTransactionError<StoreError>>(())
        });
        match result {
            Ok(()) => {}
            Err(TransactionError::Abort(e)) => return Err(e),
            Err(TransactionError::Storage(e)) => return Err(StoreError::Sled(e)),
        }
        self.flush()
    }
}
