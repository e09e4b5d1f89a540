//! One pass over an import's rows ([`App::import_csv`]): each row is read, checked and
//! matched to a record, and becomes a create, an update, "unchanged" or an error.
//! Nothing here writes; full parts of creates are handed to the caller as they fill.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Existing, ImportMode, ImportOptions, Target, csv_error, dedupe_lists, merge_row, natural_key};
use crate::app::ops::Values;
use crate::app::spec;
use crate::app::{App, AppError};
use crate::model::money::NumberLocale;
use crate::model::{EntityKind, Fields, Id};
use crate::store::{Mutation, WRITE_BATCH};

/// Writes and the file rows they came from, in the same order.
#[derive(Default)]
pub(super) struct Part {
    pub muts: Vec<Mutation>,
    pub rows: Vec<usize>,
}

impl Part {
    fn push(&mut self, m: Mutation, row: usize) {
        self.muts.push(m);
        self.rows.push(row);
    }
}

/// What a row's id cell names.
enum Named {
    /// A record of the kind imported.
    Existing(Id),
    /// No record: a new one takes the id.
    New(Id),
}

/// What the rows read so far decided.
pub(super) struct Rows<'a> {
    app: &'a App,
    kind: EntityKind,
    opts: &'a ImportOptions,
    locale: &'a NumberLocale,
    headers: &'a [String],
    targets: &'a [Target],
    existing: Existing,
    now: DateTime<Utc>,
    /// The header each field came from, for error messages.
    columns_of: HashMap<&'static str, &'a str>,
    /// The header of the id column ("id" when there is none).
    id_column: &'a str,
    /// Records named by reference cells, resolved once per name.
    refs: HashMap<(EntityKind, String), Result<Id, String>>,
    /// Which row claimed an existing record, an id or a natural key, to refuse two rows
    /// that are the same record.
    claimed: HashMap<Id, usize>,
    /// The row that first gave each natural key, and whether it gave a new record's id.
    keys_seen: HashMap<String, (usize, bool)>,
    /// Row errors, in file order (a row may have several).
    pub errors: Vec<String>,
    /// Rows with at least one error.
    pub bad_rows: usize,
    /// Creates not handed over yet.
    pub creates: Part,
    pub updates: Part,
    /// Rows read (without the header).
    pub rows: usize,
    pub created: usize,
    pub unchanged: usize,
}

impl<'a> Rows<'a> {
    pub fn new(
        app: &'a App,
        kind: EntityKind,
        opts: &'a ImportOptions,
        locale: &'a NumberLocale,
        (headers, targets): (&'a [String], &'a [Target]),
        existing: Existing,
    ) -> Self {
        let mut columns_of = HashMap::new();
        for (h, t) in headers.iter().zip(targets) {
            if let Target::Field(s) = t {
                columns_of.entry(s.json).or_insert(h.as_str());
            }
        }
        let id_column = headers
            .iter()
            .zip(targets)
            .find(|(_, t)| matches!(t, Target::Id))
            .map_or("id", |(h, _)| h.as_str());
        Self {
            app,
            kind,
            opts,
            locale,
            headers,
            targets,
            existing,
            now: app.clock().now(),
            columns_of,
            id_column,
            refs: HashMap::new(),
            claimed: HashMap::new(),
            keys_seen: HashMap::new(),
            errors: Vec::new(),
            bad_rows: 0,
            creates: Part::default(),
            updates: Part::default(),
            rows: 0,
            created: 0,
            unchanged: 0,
        }
    }

    /// Reads every row. With `stream`, each full part of creates goes to `send` as soon
    /// as it fills and no row failed; `send` answers false when the writer stopped
    /// (its error is the caller's to report), and reading stops.
    pub fn read_all<R: std::io::Read>(
        &mut self,
        reader: &mut csv::Reader<R>,
        stream: bool,
        send: &mut dyn FnMut(Part) -> bool,
    ) -> Result<(), AppError> {
        for (i, record) in reader.records().enumerate() {
            let row = i + 2;
            self.rows += 1;
            let errors_before = self.errors.len();
            match record {
                Ok(record) => self.take(row, &record)?,
                Err(e) => self.errors.push(format!("row {row}: {}", csv_error(&e))),
            }
            self.bad_rows += usize::from(self.errors.len() > errors_before);
            let full = stream && self.errors.is_empty() && self.creates.muts.len() >= WRITE_BATCH;
            if full && !send(std::mem::take(&mut self.creates)) {
                break;
            }
        }
        Ok(())
    }

    /// One row: its cells become fields, the fields a create or an update (or an error).
    fn take(&mut self, row: usize, record: &csv::StringRecord) -> Result<(), AppError> {
        let Some((mut values, given_id)) = self.values(row, record) else {
            return Ok(());
        };
        self.choose_references(&mut values);
        // Blank cells of a matched row leave the field as it is.
        let blank: Vec<&'static str> = values
            .iter()
            .filter(|(_, texts)| texts.iter().all(|t| t.trim().is_empty()))
            .map(|(spec, _)| spec.json)
            .collect();
        let (app, refs) = (self.app, &mut self.refs);
        let built = crate::app::input::build(&values, self.now, self.locale, &mut |k, r| {
            refs.entry((k, r.to_string()))
                .or_insert_with(|| app.resolve(k, r).map_err(|e| e.to_string()))
                .clone()
        });
        let fields = match built {
            Ok(f) => f,
            Err(e) => return self.fail(format!("row {row}, column {}: {}", self.column(&e.field), e.message)),
        };
        // Which existing record this row is: by id, else by natural key.
        let (mut matched, new_id) = match given_id {
            None => (Vec::new(), None),
            Some(text) => match self.by_id(row, text)? {
                None => return Ok(()),
                Some(Named::Existing(id)) => (vec![id], None),
                Some(Named::New(id)) => (Vec::new(), Some(id)),
            },
        };
        let by_id = !matched.is_empty();
        let (emails, name) = natural_key(self.kind, &fields);
        if matched.is_empty() {
            matched = self.existing.matches(&emails, name.as_ref());
        }
        // Two rows of one file must not be the same record: the same natural key (for
        // rows not matched by id: two records may share a name) or the same record. Two
        // rows that both give new records' ids are those two records even with one key
        // (an export of two records that share an e-mail imports as them); a row
        // without an id that shares a key with any other row is an error, in either
        // order.
        let own_keys: Vec<String> = if by_id {
            Vec::new()
        } else if emails.is_empty() {
            name.iter().map(|n| format!("name {n}")).collect()
        } else {
            emails.iter().map(|e| format!("e-mail {e}")).collect()
        };
        let twin = own_keys
            .iter()
            .find_map(|k| {
                self.keys_seen
                    .get(k)
                    .filter(|(_, with_id)| new_id.is_none() || !with_id)
                    .map(|(r, _)| (k.replace('\u{1f}', " "), *r))
            })
            .or_else(|| {
                matched
                    .iter()
                    .chain(&new_id)
                    .find_map(|m| self.claimed.get(m).map(|r| (m.to_string(), *r)))
            });
        if let Some((key, other)) = twin {
            let kind = self.kind;
            return self.fail(format!(
                "row {row}: the same {kind} as row {other} ({}); merge the two rows",
                key.trim()
            ));
        }
        for k in own_keys {
            self.keys_seen.entry(k).or_insert((row, new_id.is_some()));
        }
        match matched.as_slice() {
            [] => self.create(row, fields, new_id),
            [one] => self.update(row, *one, fields, &blank),
            many => {
                let list: Vec<String> = many
                    .iter()
                    .take(5)
                    .map(|id| format!("'{}' ({id})", self.app.title(self.kind, *id)))
                    .collect();
                let kind = self.kind;
                self.fail(format!(
                    "row {row}: matches {} existing {}: {}; add an id column to say which",
                    many.len(),
                    kind.plural(),
                    list.join(", ")
                ))
            }
        }
    }

    /// The row's cells as field values, and its id cell; `None` when a cell holds a
    /// control character (each such cell is an error; the row is not checked further,
    /// which would report the cell's field as missing too).
    fn values<'r>(&mut self, row: usize, record: &'r csv::StringRecord) -> Option<(Values, Option<&'r str>)> {
        let mut values: Values = Vec::new();
        let mut given_id: Option<&str> = None;
        let mut clean = true;
        for (n, (col, target)) in record.iter().zip(self.targets).enumerate() {
            let spec = match target {
                Target::Field(spec) => spec,
                Target::Id => {
                    given_id = Some(col.trim()).filter(|c| !c.is_empty());
                    continue;
                }
                Target::Skip => continue,
            };
            if let Some(c) = col.chars().find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
                self.errors.push(format!(
                    "row {row}, column '{}': control character U+{:04X} in the text; remove it",
                    self.headers.get(n).map_or("", String::as_str),
                    u32::from(c)
                ));
                clean = false;
                continue;
            }
            let col = if self.opts.raw {
                col
            } else {
                crate::app::export::unescape_cell(col)
            };
            match values.iter_mut().find(|(s, _)| s.json == spec.json) {
                Some((_, texts)) if matches!(spec.ty, spec::Ty::List | spec::Ty::Ref(_)) => {
                    texts.push(col.to_string());
                }
                Some((_, texts)) => {
                    if texts.iter().all(|t| t.trim().is_empty()) {
                        *texts = vec![col.to_string()];
                    }
                }
                None => values.push((spec, vec![col.to_string()])),
            }
        }
        clean.then_some((values, given_id))
    }

    /// A reference may come from several columns (`account_id`, `account_name`): the
    /// first one that names a record wins.
    fn choose_references(&mut self, values: &mut Values) {
        let app = self.app;
        for (spec, texts) in values {
            if let spec::Ty::Ref(k) = spec.ty {
                let candidates: Vec<String> = texts.iter().filter(|t| !t.trim().is_empty()).cloned().collect();
                let chosen = candidates
                    .iter()
                    .find(|t| {
                        self.refs
                            .entry((k, (*t).clone()))
                            .or_insert_with(|| app.resolve(k, t).map_err(|e| e.to_string()))
                            .is_ok()
                    })
                    .or(candidates.first())
                    .cloned()
                    .unwrap_or_default();
                *texts = vec![chosen];
            }
        }
    }

    /// What the id cell names, or `None` after an error.
    fn by_id(&mut self, row: usize, text: &str) -> Result<Option<Named>, AppError> {
        let (kind, id_column) = (self.kind, self.id_column);
        let Ok(id) = text.parse::<Id>() else {
            self.fail(format!(
                "row {row}, column {id_column}: '{text}' is not an outpost id; skip the column with --map '{id_column}='"
            ))?;
            return Ok(None);
        };
        match self.app.store.get(kind, id)? {
            Some(s) if s.deleted => {
                self.fail(format!(
                    "row {row}, column {id_column}: {kind} {id} is in the trash; restore it first (`outpost trash restore {id}`) or skip the column with --map '{id_column}='"
                ))?;
                Ok(None)
            }
            Some(_) => Ok(Some(Named::Existing(id))),
            None => match self.app.kind_of(id)? {
                Some(other) => {
                    self.fail(format!(
                        "row {row}, column {id_column}: {id} is the id of {} {other}, not of {}",
                        if other.name().starts_with(['a', 'e', 'i', 'o', 'u']) {
                            "an"
                        } else {
                            "a"
                        },
                        kind.plural()
                    ))?;
                    Ok(None)
                }
                None => Ok(Some(Named::New(id))),
            },
        }
    }

    /// A row that matches no record: a new one (with the row's id, if it gave one).
    fn create(&mut self, row: usize, mut fields: Fields, new_id: Option<Id>) -> Result<(), AppError> {
        let kind = self.kind;
        if self.opts.mode == ImportMode::Update {
            return self.fail(format!(
                "row {row}: matches no existing {kind}; --mode update only changes existing records"
            ));
        }
        if let Err(e) = self.app.complete_new(kind, &mut fields) {
            return self.fail(format!("row {row}: {e}"));
        }
        if kind != EntityKind::Quote
            && let Err(e) = kind.validate(&fields, None, self.app.store.context())
        {
            return self.fail(format!("row {row}, column {}: {}", self.column(&e.field), e.message));
        }
        let mut m = Mutation::create(kind, fields);
        if let Some(id) = new_id {
            m.id = id;
            self.claimed.insert(id, row);
        }
        self.created += 1;
        if self.errors.is_empty() && !self.opts.dry_run {
            self.creates.push(m, row);
        }
        Ok(())
    }

    /// A row that matches record `one`: the fields that differ, merged as the module
    /// text says (`blank` fields left alone).
    fn update(&mut self, row: usize, one: Id, mut fields: Fields, blank: &[&str]) -> Result<(), AppError> {
        let kind = self.kind;
        self.claimed.insert(one, row);
        if self.opts.mode == ImportMode::Create {
            let title = self.app.title(kind, one);
            return self.fail(format!(
                "row {row}: matches existing {kind} '{title}' ({one}); --mode create only adds new records"
            ));
        }
        let Some(stored) = self.app.store.get(kind, one)? else {
            return Ok(());
        };
        fields.retain(|k, _| !blank.contains(&k.as_str()));
        // An owner cell may name the user as a new row does (display name, e-mail):
        // compare and store the login, so a second run is unchanged.
        if let Err(e) = self
            .app
            .owner_to_login(&mut fields, crate::model::records::fields::shared::OWNER)
        {
            return self.fail(format!("row {row}, column owner: {e}"));
        }
        if kind == EntityKind::Opportunity {
            self.app.follow_stage_probability(one, &mut fields)?;
        }
        let merged = merge_row(kind, &stored.fields, fields);
        let mut checked = match kind.check(&merged, Some(&stored.fields), self.app.store.context()) {
            Ok(c) => c,
            Err(e) => return self.fail(format!("row {row}, column {}: {}", self.column(&e.field), e.message)),
        };
        dedupe_lists(kind, &mut checked.fields);
        let changed: Fields = checked
            .fields
            .into_iter()
            .filter(|(k, v)| stored.fields.get(k) != Some(v))
            .collect();
        if changed.is_empty() {
            self.unchanged += 1;
        } else {
            self.updates.push(Mutation::update(kind, one, changed), row);
        }
        Ok(())
    }

    /// Keeps a row error; the row is left out and reading goes on.
    fn fail(&mut self, message: String) -> Result<(), AppError> {
        self.errors.push(message);
        Ok(())
    }

    /// The file's column for a field (flag or JSON name), as errors name it.
    fn column(&self, field: &str) -> String {
        let flag_or_json = spec::specs(self.kind)
            .iter()
            .find(|s| s.flag == field || s.json == field)
            .map_or(field, |s| s.json);
        self.columns_of
            .get(flag_or_json)
            .map_or_else(|| field.to_string(), |c| (*c).to_string())
    }
}
