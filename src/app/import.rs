//! `import ENTITY FILE`: CSV with a header row. Columns are matched to fields by the
//! export's names, the `add` flag names or common aliases from other tools; `--map
//! column=field` covers the rest (`column=` skips one).
//!
//! Importing is idempotent: each row is matched to an existing record by its `id` column
//! when there is one, else by the kind's natural key (see [`natural_key`]); a matched row
//! updates only the fields that differ, an unmatched one creates a record. In a matched
//! row a blank cell leaves its field alone, list fields (e-mails, phones) gain items and
//! never lose them, product prices gain currencies. All rows are written, or none: a
//! large import is checked and written in one streaming pass of staged parts (memory
//! does not grow with the file) that enter the outbox together with the last one, and
//! a row error anywhere removes what was written (see `store::staged`).

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::spec::{self, Spec};
use super::{App, AppError};
use crate::model::money::NumberLocale;
use crate::model::{EntityKind, Fields, Id};
use crate::store::{Mutation, WRITE_BATCH};

mod rows;

/// Columns the export writes that an import ignores (`id` is used for matching).
const IGNORED: &[&str] = &["created_at", "updated_at", "deleted", "stage_history", "number"];

/// Most row errors listed before "... and N more".
const MAX_ERRORS: usize = 50;

/// What an import may do with rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportMode {
    /// Only create: a row that matches an existing record is an error.
    Create,
    /// Only update: a row that matches nothing is an error.
    Update,
    /// Update the rows that match, create the others.
    #[default]
    Upsert,
}

/// How to import a file.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// `--map COLUMN=FIELD` (an empty FIELD skips the column).
    pub maps: Vec<(String, String)>,
    /// Check and count, write nothing.
    pub dry_run: bool,
    /// Create, update or both.
    pub mode: ImportMode,
    /// How numbers in this file are written; `None` uses the configured locale.
    pub locale: Option<NumberLocale>,
    /// Keep cells as they are: no removing of the `'` that CSV export puts before a
    /// formula (see `export::escape_cell`).
    pub raw: bool,
}

/// What an import did (or would do, with `--dry-run`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows read (without the header).
    pub rows: usize,
    /// Records created.
    pub created: usize,
    /// Existing records changed.
    pub updated: usize,
    /// Rows that matched a record with the same values.
    pub unchanged: usize,
    /// Columns skipped with `--map 'COLUMN='` (the export's own time columns are
    /// skipped silently).
    pub skipped_columns: Vec<String>,
    /// Whether nothing was written on purpose.
    pub dry_run: bool,
    /// Whether the kind has no natural key (rows match by the `id` column only).
    pub id_only: bool,
}

/// The natural key of a record: e-mail addresses (contacts, leads) and a name key, folded
/// (trimmed, lower case). Accounts: name; contacts: e-mail, else first + last + account;
/// leads: e-mail, else first + last + company; products: SKU; opportunities: name +
/// account; territories: name. Other kinds have none and match by id only. The keys are
/// in each kind's definition (`kinds::Def::natural_key`).
#[must_use]
pub fn natural_key(kind: EntityKind, fields: &Fields) -> (Vec<String>, Option<String>) {
    let text = |k: &str| {
        fields
            .get(k)
            .and_then(Value::as_str)
            .map(|s| s.trim().to_lowercase())
            .unwrap_or_default()
    };
    let join = |parts: &[&str]| {
        let values: Vec<String> = parts.iter().map(|p| text(p)).collect();
        values.iter().any(|v| !v.is_empty()).then(|| values.join("\u{1f}"))
    };
    let emails = |k: &str| -> Vec<String> {
        match fields.get(k) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(|s| s.trim().to_lowercase())
                .filter(|s| !s.is_empty())
                .collect(),
            Some(Value::String(s)) if !s.trim().is_empty() => vec![s.trim().to_lowercase()],
            _ => Vec::new(),
        }
    };
    super::kinds::def(kind).natural_key.map_or((Vec::new(), None), |k| {
        (k.emails.map(emails).unwrap_or_default(), join(k.name))
    })
}

/// Whether records of `kind` have a natural key.
#[must_use]
pub fn has_natural_key(kind: EntityKind) -> bool {
    super::kinds::def(kind).natural_key.is_some()
}

/// Existing live records of one kind by natural key.
#[derive(Default)]
struct Existing {
    by_email: HashMap<String, Vec<Id>>,
    /// Name keys of the records without an e-mail (for accounts, products and deals, of
    /// every record).
    by_name: HashMap<String, Vec<Id>>,
}

impl Existing {
    fn load(app: &App, kind: EntityKind) -> Result<Self, AppError> {
        let mut me = Self::default();
        if !has_natural_key(kind) {
            return Ok(me);
        }
        // Only the key's fields are decoded (a full decode of 100k contacts cost a
        // tenth of an import's time).
        let keys: Vec<&str> = super::kinds::def(kind)
            .natural_key
            .map(|k| k.emails.into_iter().chain(k.name.iter().copied()).collect())
            .unwrap_or_default();
        for item in app.store.live_picked(kind, &keys) {
            let (id, fields) = item?;
            let (emails, name) = natural_key(kind, &fields);
            for e in &emails {
                me.by_email.entry(e.clone()).or_default().push(id);
            }
            if let Some(n) = name.filter(|_| emails.is_empty()) {
                me.by_name.entry(n).or_default().push(id);
            }
        }
        Ok(me)
    }

    /// Records a row with this key matches: by any of its e-mails; else, by name, among
    /// records without an e-mail (a row without an e-mail never takes over a record
    /// that has one).
    fn matches(&self, emails: &[String], name: Option<&String>) -> Vec<Id> {
        let mut out: Vec<Id> = Vec::new();
        for e in emails {
            for id in self.by_email.get(e).into_iter().flatten() {
                if !out.contains(id) {
                    out.push(*id);
                }
            }
        }
        if out.is_empty()
            && let Some(n) = name
        {
            out.extend(self.by_name.get(n).into_iter().flatten());
        }
        out
    }
}

/// Where each column goes.
enum Target {
    Field(&'static Spec),
    /// The record's id, for matching.
    Id,
    Skip,
}

fn plan(kind: EntityKind, headers: &[String], maps: &[(String, String)]) -> Result<Vec<Target>, AppError> {
    let mut targets = Vec::with_capacity(headers.len());
    let mut unknown = Vec::new();
    for h in headers {
        let mapped = maps
            .iter()
            .find(|(col, _)| spec::fold(col) == spec::fold(h))
            .map(|(_, f)| f.as_str());
        let target = match mapped {
            Some("") => Target::Skip,
            Some(field) => Target::Field(spec::lookup(kind, field).ok_or_else(|| {
                AppError::Invalid(format!(
                    "--map {h}={field}: {kind} has no field '{field}'; fields are: {}",
                    field_names(kind)
                ))
            })?),
            None => match spec::lookup(kind, h) {
                Some(s) => Target::Field(s),
                None if h.trim().eq_ignore_ascii_case("id") => Target::Id,
                None if IGNORED.contains(&h.as_str())
                    || spec::derived(kind)
                        .iter()
                        .any(|d| *d == h || format!("{}_name", spec::rel_of(d)) == *h) =>
                {
                    Target::Skip
                }
                None => {
                    unknown.push(h.clone());
                    Target::Skip
                }
            },
        };
        targets.push(target);
    }
    check_duplicate_columns(headers, &mut targets)?;
    if !unknown.is_empty() {
        return Err(AppError::Invalid(format!(
            "unknown column{} {}; map with --map 'COLUMN=FIELD' or skip with --map 'COLUMN='; {} fields are: {}",
            if unknown.len() == 1 { "" } else { "s" },
            unknown.iter().map(|u| format!("'{u}'")).collect::<Vec<_>>().join(", "),
            kind,
            field_names(kind)
        )));
    }
    let missing: Vec<&str> = spec::specs(kind)
        .iter()
        .filter(|s| {
            s.required
                && !targets
                    .iter()
                    .any(|t| matches!(t, Target::Field(f) if f.json == s.json))
        })
        .map(|s| s.json)
        .collect();
    if !missing.is_empty() {
        return Err(AppError::Invalid(format!(
            "the file has no column for {}; add one or map one with --map 'COLUMN=FIELD'",
            missing.join(", ")
        )));
    }
    Ok(targets)
}

/// Two columns that land in one field (`city,city`, or `E-mail` beside `email`) would
/// keep one value and drop the other: refused, naming both columns. The one pair that
/// is no clash is an export's relation, `account_id` beside `account_name`: the id
/// says it exactly, so the name column is skipped.
fn check_duplicate_columns(headers: &[String], targets: &mut [Target]) -> Result<(), AppError> {
    for i in 0..targets.len() {
        let Target::Field(f) = &targets[i] else { continue };
        let name_col = format!("{}_name", f.json.trim_end_matches("_id"));
        if f.json.ends_with("_id") && headers[i].trim() == name_col && headers.iter().any(|h| h.trim() == f.json) {
            targets[i] = Target::Skip;
        }
    }
    let targets = &*targets;
    for (i, t) in targets.iter().enumerate() {
        let earlier = targets[..i].iter().position(|e| match (e, t) {
            (Target::Field(a), Target::Field(b)) => a.json == b.json,
            (Target::Id, Target::Id) => true,
            _ => false,
        });
        if let Some(j) = earlier {
            let field = match t {
                Target::Field(f) => f.json,
                _ => "id",
            };
            return Err(AppError::Invalid(format!(
                "columns {} ('{}') and {} ('{}') both give {field}; one value would be lost. Remove or \
                 rename one (a renamed one can be skipped with --map 'NAME=')",
                j + 1,
                headers[j],
                i + 1,
                headers[i]
            )));
        }
    }
    Ok(())
}

/// The text of a .vcf or .ics file, which must be UTF-8 (as RFC 6350 and RFC 5545
/// say); a byte that is not is refused with its line, never replaced.
pub(crate) fn utf8_text<'b>(path: &Path, bytes: &'b [u8]) -> Result<&'b str, AppError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
        AppError::Invalid(format!(
            "{}, line {line}: byte 0x{:02X} is not UTF-8 (the file is in another encoding, perhaps Latin-1); \
             save it as UTF-8 (`iconv -f latin1 -t utf-8 FILE`) and import it again; nothing was imported",
            path.display(),
            bytes[at]
        ))
    })
}

/// What a file whose first header cell is `first` holds when it is plainly not CSV.
fn not_csv(first: &str) -> Option<&'static str> {
    let upper = first.trim().to_ascii_uppercase();
    if upper.starts_with("BEGIN:VCARD") {
        Some("a vCard file")
    } else if upper.starts_with("BEGIN:VCALENDAR") {
        Some("an iCalendar file")
    } else if upper == "[" || upper.starts_with("[{") || upper.starts_with("{\"") {
        Some("JSON")
    } else {
        None
    }
}

fn field_names(kind: EntityKind) -> String {
    spec::specs(kind).iter().map(|s| s.json).collect::<Vec<_>>().join(", ")
}

impl App {
    /// Imports a CSV file of `kind` records (see the module docs for matching).
    pub fn import_csv(&self, kind: EntityKind, path: &Path, opts: &ImportOptions) -> Result<ImportReport, AppError> {
        let maps = opts.maps.as_slice();
        let locale = opts.locale.as_ref().unwrap_or(&self.config.locale);
        let file = std::fs::File::open(path).map_err(|e| AppError::io(path, e))?;
        let _churn = crate::tuning::churn(crate::tuning::Churn::Bulk);
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(std::io::BufReader::new(file));
        let where_ = path.display();
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| AppError::Invalid(format!("{where_}: the header row cannot be read: {e}")))?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        if headers.iter().all(String::is_empty) {
            return Err(AppError::Invalid(format!(
                "{where_}: the file is empty; expected a header row"
            )));
        }
        if let Some(what) = not_csv(&headers[0]) {
            return Err(AppError::Invalid(format!(
                "{where_}: this is {what}, not CSV; import reads CSV, and .vcf and .ics files by their name \
                 (a piped vCard or iCalendar text: save it to a .vcf or .ics file first)"
            )));
        }
        let targets = plan(kind, &headers, maps)?;
        let mut rows = rows::Rows::new(
            self,
            kind,
            opts,
            locale,
            (&headers, &targets),
            Existing::load(self, kind)?,
        );
        // Creates are written as they are read, in staged parts of [`WRITE_BATCH`] rows (see
        // `store::staged`: nothing enters the outbox until the last part, and a failure
        // or a crash removes what was written), so memory does not grow with the file.
        // Not for a kind whose rows may name records of the same kind (an account's
        // parent): a row must never resolve to a record an earlier row of this import
        // created.
        let stream = !opts.dry_run && !self_referencing(kind, &targets);
        let mut staged_parts = 0usize;
        // The staged parts are written on a second thread, in order, while this one reads
        // and checks the next rows; at most one part waits between them. Every part sent
        // is written (or the writer stopped) before anything else happens.
        let (written, read) = std::thread::scope(|scope| {
            let (to_writer, parts) = std::sync::mpsc::sync_channel::<rows::Part>(1);
            let writer = scope.spawn(move || {
                for (n, part) in parts.into_iter().enumerate() {
                    self.stage_part("import", &part.muts, n == 0)
                        .map_err(|e| (part.rows, e))?;
                }
                Ok::<(), (Vec<usize>, crate::store::StoreError)>(())
            });
            let read = rows.read_all(&mut reader, stream, &mut |part| {
                let sent = to_writer.send(part).is_ok();
                staged_parts += usize::from(sent);
                sent
            });
            drop(to_writer);
            let written = writer.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (written, read)
        });
        if let Err((part_rows, e)) = written {
            let _ = self.discard_staged_write();
            return Err(commit_error(&where_, &part_rows, 0, e));
        }
        if let Err(e) = read {
            if staged_parts > 0 {
                let _ = self.discard_staged_write();
            }
            return Err(e);
        }
        if !rows.errors.is_empty() {
            if staged_parts > 0 {
                self.discard_staged_write()?;
            }
            let mut errors = std::mem::take(&mut rows.errors);
            let total = errors.len();
            errors.truncate(MAX_ERRORS);
            if total > MAX_ERRORS {
                errors.push(format!("... and {} more", total - MAX_ERRORS));
            }
            return Err(AppError::Invalid(format!(
                "{where_}: {} of {} rows have errors; nothing was imported:\n{}",
                rows.bad_rows,
                rows.rows,
                errors.join("\n")
            )));
        }
        let skipped_columns = headers
            .iter()
            .zip(&targets)
            .filter(|(h, t)| matches!(t, Target::Skip) && maps.iter().any(|(col, _)| spec::fold(col) == spec::fold(h)))
            .map(|(h, _)| h.clone())
            .collect();
        let rows::Rows {
            rows: read_rows,
            created,
            unchanged,
            creates,
            updates,
            ..
        } = rows;
        let updated = updates.muts.len();
        let row_of: Vec<usize> = creates.rows.into_iter().chain(updates.rows).collect();
        if opts.dry_run {
        } else if staged_parts > 0 {
            // The last part: the rest of the creates and every update, and the whole
            // import enters the outbox.
            let last: Vec<Mutation> = creates.muts.into_iter().chain(updates.muts).collect();
            let done = [(crate::store::meta::K_STAGED, None)];
            if let Err(e) = self.store.commit_staged(&last, &done, true) {
                let _ = self.discard_staged_write();
                return Err(commit_error(&where_, &row_of, 0, e));
            }
        } else {
            self.commit_all_or_nothing(&creates.muts, &updates.muts)
                .map_err(|(i, e)| commit_error(&where_, &row_of, i, e))?;
        }
        Ok(ImportReport {
            rows: read_rows,
            created,
            updated,
            unchanged,
            skipped_columns,
            dry_run: opts.dry_run,
            id_only: !has_natural_key(kind),
        })
    }
}

/// Whether an import of `kind` with these columns may name records of its own kind.
fn self_referencing(kind: EntityKind, targets: &[Target]) -> bool {
    targets
        .iter()
        .any(|t| matches!(t, Target::Field(s) if s.ty == spec::Ty::Ref(kind)))
}

/// A failed write of an import as the user sees it: the row of the mutation that failed
/// (`rows` are the rows of the mutations written, from index `first`).
fn commit_error(
    where_: &impl std::fmt::Display,
    rows: &[usize],
    first: usize,
    e: crate::store::StoreError,
) -> AppError {
    match e.mutation_index() {
        Some(j) => AppError::Invalid(format!(
            "{where_}: row {}: {e}; nothing was imported",
            rows.get(first + j).copied().unwrap_or(0)
        )),
        None => AppError::from(e),
    }
}

impl App {
    /// Writes one staged part of a large write (`what`: "import"); the first sets the
    /// staging marker. The last part is published by the caller.
    pub(crate) fn stage_part(
        &self,
        what: &str,
        part: &[Mutation],
        first: bool,
    ) -> Result<(), crate::store::StoreError> {
        use crate::store::Staging;
        use crate::store::meta::K_STAGED;
        let staging = Staging::Staging(what.to_string()).value();
        let marker = [(K_STAGED, Some(staging.as_str()))];
        let meta: &[(&str, Option<&str>)] = if first { &marker } else { &[] };
        self.store.commit_staged(part, meta, false).map(|_| ())
    }

    /// The kind of the record with this id, if any (trashed ones too).
    fn kind_of(&self, id: Id) -> Result<Option<EntityKind>, AppError> {
        for kind in EntityKind::ALL {
            if self.store.get(kind, id)?.is_some() {
                return Ok(Some(kind));
            }
        }
        Ok(None)
    }
}

/// Written by older versions while an import spanned several commits: the records it
/// wrote, one per line. An interrupted import of theirs is still rolled back the old way
/// (its records go to the trash through the write path).
const PENDING: &str = "import_pending";

impl App {
    /// Commits creates in chunks of [`WRITE_BATCH`], and all `updates` with the last chunk, so
    /// an import that stops part way has changed no existing record. An import of more
    /// than one chunk is staged (see `store::staged`): its changes enter the outbox with
    /// the last chunk, so a failure (a full disk, say) or a crash part way removes what
    /// was written and nothing of it is ever sent. Returns the failing chunk's first
    /// index (creates first, then updates) with the error.
    fn commit_all_or_nothing(
        &self,
        creates: &[Mutation],
        updates: &[Mutation],
    ) -> Result<(), (usize, crate::store::StoreError)> {
        self.commit_staged_write("import", creates, updates)
    }

    /// Writes `creates` then `updates` (with the last chunk) all or nothing, staged when
    /// they take more than one transaction. `what` names the write in the marker.
    pub(crate) fn commit_staged_write(
        &self,
        what: &str,
        creates: &[Mutation],
        updates: &[Mutation],
    ) -> Result<(), (usize, crate::store::StoreError)> {
        use crate::store::Staging;
        use crate::store::meta::K_STAGED;
        let parts: Vec<&[Mutation]> = creates.chunks(WRITE_BATCH).collect();
        let count = parts.len().max(1);
        if count == 1 {
            let all: Vec<Mutation> = creates.iter().chain(updates).cloned().collect();
            return self.store.commit(&all).map(|_| ()).map_err(|e| (0, e));
        }
        let staging = Staging::Staging(what.to_string()).value();
        for (n, part) in parts.iter().enumerate() {
            let last = n + 1 == count;
            let joined: Vec<Mutation>;
            let chunk = if last && !updates.is_empty() {
                joined = part.iter().chain(updates).cloned().collect();
                joined.as_slice()
            } else {
                part
            };
            let meta: &[(&str, Option<&str>)] = if n == 0 {
                &[(K_STAGED, Some(staging.as_str()))]
            } else if last {
                &[(K_STAGED, None)]
            } else {
                &[]
            };
            if let Err(e) = self.store.commit_staged(chunk, meta, last) {
                if n > 0 {
                    let _ = self.discard_staged_write();
                }
                return Err((n * WRITE_BATCH, e));
            }
        }
        Ok(())
    }

    /// Removes what an unfinished staged write wrote, batch by batch; the outbox is not
    /// touched. A demo's marker goes with it (the store is empty again).
    pub(crate) fn discard_staged_write(&self) -> Result<usize, crate::store::StoreError> {
        use crate::store::meta::{K_DEMO, K_STAGED};
        let demo = matches!(self.store.staging()?, Some(crate::store::Staging::Staging(w)) if w == "demo");
        let mut done = vec![(K_STAGED, None)];
        if demo {
            done.push((K_DEMO, None));
        }
        let mut removed = 0;
        loop {
            let (n, more) = self.store.discard_staged(WRITE_BATCH, &done)?;
            removed += n;
            if !more {
                return Ok(removed);
            }
        }
    }

    /// Trashes the records of an older version's interrupted import and clears its
    /// marker, through the write path.
    fn undo_import(&self, written: &[Mutation]) -> Result<(), crate::store::StoreError> {
        let undo: Vec<Mutation> = written
            .iter()
            .filter(|m| self.store.get(m.kind, m.id).ok().flatten().is_some_and(|s| !s.deleted))
            .map(|m| Mutation {
                kind: m.kind,
                id: m.id,
                op: crate::store::Op::Delete,
            })
            .collect();
        let parts: Vec<&[Mutation]> = undo.chunks(WRITE_BATCH).collect();
        if parts.is_empty() {
            self.store.commit_with_meta(&[], &[(PENDING, None)])?;
        }
        for (n, part) in parts.iter().enumerate() {
            let clear: &[(&str, Option<&str>)] = if n + 1 == parts.len() { &[(PENDING, None)] } else { &[] };
            self.store.commit_with_meta(part, clear)?;
        }
        Ok(())
    }

    /// Rolls back what a crash interrupted: a staged write (an import or `demo`) has its
    /// records removed, nothing sent; an older version's interrupted import is trashed
    /// again. Returns what was done, for a note.
    pub fn recover_interrupted_import(&self) -> Result<Option<String>, AppError> {
        if let Some(crate::store::Staging::Staging(what)) = self.store.staging()? {
            let n = self.discard_staged_write()?;
            return Ok(Some(format!(
                "an interrupted {what} was rolled back ({n} records removed; none of it was sent)"
            )));
        }
        let Some(text) = self.store.meta(PENDING)? else {
            return Ok(None);
        };
        let written: Vec<Mutation> = text
            .lines()
            .filter_map(|l| {
                let (kind, id) = l.split_once(' ')?;
                Some(Mutation {
                    kind: kind.parse().ok()?,
                    id: id.parse().ok()?,
                    op: crate::store::Op::Delete,
                })
            })
            .collect();
        let live = written
            .iter()
            .filter(|m| self.store.get(m.kind, m.id).ok().flatten().is_some_and(|s| !s.deleted))
            .count();
        self.undo_import(&written)?;
        Ok(Some(format!(
            "an interrupted import was rolled back ({live} records moved to the trash)"
        )))
    }
}

/// A matched row over the stored record: the row's values win, except that lists
/// (e-mails, phones, attendees) gain the row's items rather than lose their own, and
/// product prices gain the row's currencies (as `product edit --price` does).
fn merge_row(kind: EntityKind, stored: &Fields, row: Fields) -> Fields {
    let mut merged = stored.clone();
    for (key, value) in row {
        let is_list = spec::specs(kind)
            .iter()
            .any(|s| s.json == key && s.ty == spec::Ty::List);
        let value = match (stored.get(&key), value) {
            (Some(Value::Array(old)), Value::Array(new)) if is_list => {
                Value::Array(old.iter().cloned().chain(new).collect())
            }
            (Some(Value::Object(old)), Value::Object(new)) if kind == EntityKind::Product && key == "prices" => {
                let mut prices = old.clone();
                prices.extend(new);
                Value::Object(prices)
            }
            (_, value) => value,
        };
        merged.insert(key, value);
    }
    merged
}

/// Drops repeated items of list fields (ignoring case), keeping the first.
fn dedupe_lists(kind: EntityKind, fields: &mut Fields) {
    for s in spec::specs(kind).iter().filter(|s| s.ty == spec::Ty::List) {
        if let Some(Value::Array(items)) = fields.get_mut(s.json) {
            let mut seen: Vec<String> = Vec::new();
            items.retain(|v| {
                let key = v.as_str().map_or_else(|| v.to_string(), str::to_lowercase);
                if seen.contains(&key) {
                    false
                } else {
                    seen.push(key);
                    true
                }
            });
        }
    }
}

fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!(
                "has {len} fields but the header has {expected_len}; check for an unquoted comma or a missing quote"
            )
        }
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8; save the file as UTF-8 and try again".to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(v: Value) -> Fields {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn natural_keys_fold_case_and_space() {
        let a = natural_key(EntityKind::Account, &fields(json!({"name": " ACME GmbH "})));
        assert_eq!(a, (vec![], Some("acme gmbh".to_string())));
        let c = natural_key(
            EntityKind::Contact,
            &fields(json!({"first_name": "Anna", "last_name": "Meyer", "emails": ["Anna@X.de", " "]})),
        );
        assert_eq!(c.0, vec!["anna@x.de".to_string()]);
        assert!(c.1.is_some());
        let l = natural_key(EntityKind::Lead, &fields(json!({"email": null, "first_name": "J"})));
        assert!(l.0.is_empty() && l.1.is_some());
        assert_eq!(
            natural_key(EntityKind::Activity, &fields(json!({"subject": "x"}))),
            (vec![], None)
        );
        assert_eq!(natural_key(EntityKind::Product, &fields(json!({}))), (vec![], None));
    }

    #[test]
    fn matched_rows_add_to_lists_and_prices() {
        let stored = fields(json!({"emails": ["a@x.de"], "title": "CEO"}));
        let row = fields(json!({"emails": ["b@x.de"], "title": "CFO"}));
        let merged = merge_row(EntityKind::Contact, &stored, row);
        assert_eq!(merged["emails"], json!(["a@x.de", "b@x.de"]));
        assert_eq!(merged["title"], "CFO");
        let stored = fields(json!({"prices": {"EUR": "10"}}));
        let merged = merge_row(EntityKind::Product, &stored, fields(json!({"prices": {"USD": "12"}})));
        assert_eq!(merged["prices"], json!({"EUR": "10", "USD": "12"}));
        let mut f = fields(json!({"emails": ["a@x.de", "A@x.de", "b@x.de"]}));
        dedupe_lists(EntityKind::Contact, &mut f);
        assert_eq!(f["emails"], json!(["a@x.de", "b@x.de"]));
    }
}
