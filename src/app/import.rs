//! `import ENTITY FILE`: CSV with a header row. Columns are matched to fields by the
//! export's names, the `add` flag names or common aliases from other tools; `--map
//! column=field` covers the rest (`column=` skips one). Every row is checked before
//! anything is written; then all rows are written in one commit, or none.

use std::collections::HashMap;
use std::path::Path;

use super::ops::Values;
use super::spec::{self, Spec};
use super::{App, AppError};
use crate::model::{EntityKind, Id};
use crate::store::Mutation;

/// Columns the export writes that an import ignores.
const IGNORED: &[&str] = &["id", "created_at", "updated_at", "deleted", "stage_history", "number"];

/// Most row errors listed before "... and N more".
const MAX_ERRORS: usize = 50;

/// What an import did (or would do, with `--dry-run`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows read (without the header).
    pub rows: usize,
    /// Records created.
    pub created: usize,
    /// Columns skipped with `--map 'COLUMN='` (the export's own id and time columns are
    /// skipped silently).
    pub skipped_columns: Vec<String>,
    /// Whether nothing was written on purpose.
    pub dry_run: bool,
}

/// Where each column goes.
enum Target {
    Field(&'static Spec),
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

fn field_names(kind: EntityKind) -> String {
    spec::specs(kind).iter().map(|s| s.json).collect::<Vec<_>>().join(", ")
}

impl App {
    /// Imports a CSV file of `kind` records.
    pub fn import_csv(
        &self,
        kind: EntityKind,
        path: &Path,
        maps: &[(String, String)],
        dry_run: bool,
    ) -> Result<ImportReport, AppError> {
        let file = std::fs::File::open(path).map_err(|e| AppError::io(path, e))?;
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
        let targets = plan(kind, &headers, maps)?;
        let mut refs: HashMap<(EntityKind, String), Result<Id, String>> = HashMap::new();
        let now = self.clock().now();
        let mut errors = Vec::new();
        let mut muts = Vec::new();
        let mut rows = 0;
        // The header each field came from, for error messages.
        let mut columns_of: HashMap<&'static str, &str> = HashMap::new();
        for (h, t) in headers.iter().zip(&targets) {
            if let Target::Field(s) = t {
                columns_of.entry(s.json).or_insert(h.as_str());
            }
        }
        for (i, record) in reader.records().enumerate() {
            let row = i + 2;
            rows += 1;
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    errors.push(format!("row {row}: {}", csv_error(&e)));
                    continue;
                }
            };
            let mut values: Values = Vec::new();
            for (col, target) in record.iter().zip(&targets) {
                let Target::Field(spec) = target else { continue };
                match values.iter_mut().find(|(s, _)| s.json == spec.json) {
                    Some((_, texts)) if matches!(spec.ty, spec::Ty::List | spec::Ty::Ref(_)) => {
                        texts.push(col.to_string())
                    }
                    Some((_, texts)) => {
                        if texts.iter().all(|t| t.trim().is_empty()) {
                            *texts = vec![col.to_string()];
                        }
                    }
                    None => values.push((spec, vec![col.to_string()])),
                }
            }
            let column = |field: &str| -> String {
                let flag_or_json = spec::specs(kind)
                    .iter()
                    .find(|s| s.flag == field || s.json == field)
                    .map_or(field, |s| s.json);
                columns_of
                    .get(flag_or_json)
                    .map_or_else(|| field.to_string(), |c| (*c).to_string())
            };
            // A reference may come from several columns (`account_id`, `account_name`):
            // the first one that names a record wins.
            for (spec, texts) in &mut values {
                if let spec::Ty::Ref(k) = spec.ty {
                    let candidates: Vec<String> = texts.iter().filter(|t| !t.trim().is_empty()).cloned().collect();
                    let chosen = candidates
                        .iter()
                        .find(|t| {
                            refs.entry((k, (*t).clone()))
                                .or_insert_with(|| self.resolve(k, t).map_err(|e| e.to_string()))
                                .is_ok()
                        })
                        .or(candidates.first())
                        .cloned()
                        .unwrap_or_default();
                    *texts = vec![chosen];
                }
            }
            let built = super::input::build(&values, now, &mut |k, r| {
                refs.entry((k, r.to_string()))
                    .or_insert_with(|| self.resolve(k, r).map_err(|e| e.to_string()))
                    .clone()
            });
            let mut fields = match built {
                Ok(f) => f,
                Err(e) => {
                    errors.push(format!("row {row}, column {}: {}", column(&e.field), e.message));
                    continue;
                }
            };
            if let Err(e) = self.complete_new(kind, &mut fields) {
                errors.push(format!("row {row}: {e}"));
                continue;
            }
            if kind != EntityKind::Quote
                && let Err(e) = kind.check(&fields, None, self.store.context())
            {
                errors.push(format!("row {row}, column {}: {}", column(&e.field), e.message));
                continue;
            }
            muts.push(Mutation::create(kind, fields));
        }
        if !errors.is_empty() {
            let total = errors.len();
            errors.truncate(MAX_ERRORS);
            if total > MAX_ERRORS {
                errors.push(format!("... and {} more", total - MAX_ERRORS));
            }
            return Err(AppError::Invalid(format!(
                "{where_}: {total} of {rows} rows have errors; nothing was imported:\n{}",
                errors.join("\n")
            )));
        }
        let skipped_columns = headers
            .iter()
            .zip(&targets)
            .filter(|(h, t)| matches!(t, Target::Skip) && maps.iter().any(|(col, _)| spec::fold(col) == spec::fold(h)))
            .map(|(h, _)| h.clone())
            .collect();
        if !dry_run {
            self.commit_all_or_nothing(&muts)
                .map_err(|(i, e)| match e.mutation_index() {
                    Some(j) => AppError::Invalid(format!("{where_}: row {}: {e}; nothing was imported", i + j + 2)),
                    None => AppError::from(e),
                })?;
        }
        Ok(ImportReport {
            rows,
            created: muts.len(),
            skipped_columns,
            dry_run,
        })
    }
}

/// Rows written per transaction: large enough to be fast, small enough to keep memory flat.
const CHUNK: usize = 5_000;

/// While an import spans several commits, the records it writes are listed under this
/// `meta` key; the first chunk sets it and the last clears it, each in the same
/// transaction. If the process dies between, the next open trashes those records again,
/// so an interrupted import leaves nothing behind.
const PENDING: &str = "import_pending";

impl App {
    /// Commits creates in chunks of [`CHUNK`]. If a chunk fails (a full disk, say) or the
    /// process dies, the chunks already written are trashed again through the same write
    /// path. Returns the failing chunk's first index with the error.
    fn commit_all_or_nothing(&self, muts: &[Mutation]) -> Result<(), (usize, crate::store::StoreError)> {
        let list: String = muts.iter().map(|m| format!("{} {}\n", m.kind, m.id)).collect();
        let chunks: Vec<&[Mutation]> = muts.chunks(CHUNK).collect();
        for (n, chunk) in chunks.iter().enumerate() {
            let mut meta: Vec<(&str, Option<&str>)> = Vec::new();
            if chunks.len() > 1 && n == 0 {
                meta.push((PENDING, Some(list.as_str())));
            }
            if chunks.len() > 1 && n + 1 == chunks.len() {
                meta.push((PENDING, None));
            }
            if let Err(e) = self.store.commit_with_meta(chunk, &meta) {
                if n > 0 {
                    let _ = self.undo_import(&muts[..n * CHUNK]);
                }
                return Err((n * CHUNK, e));
            }
        }
        Ok(())
    }

    /// Trashes the records of an import again and clears the marker, in one write path.
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
        let parts: Vec<&[Mutation]> = undo.chunks(CHUNK).collect();
        if parts.is_empty() {
            self.store.commit_with_meta(&[], &[(PENDING, None)])?;
        }
        for (n, part) in parts.iter().enumerate() {
            let clear: &[(&str, Option<&str>)] = if n + 1 == parts.len() { &[(PENDING, None)] } else { &[] };
            self.store.commit_with_meta(part, clear)?;
        }
        Ok(())
    }

    /// Rolls back an import that a crash interrupted (see [`PENDING`]). Returns how many
    /// records went back to the trash.
    pub fn recover_interrupted_import(&self) -> Result<usize, AppError> {
        let Some(text) = self.store.meta(PENDING)? else {
            return Ok(0);
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
        Ok(live)
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
