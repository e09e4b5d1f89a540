//! Records as people and scripts see them: a JSON object with `id`, the fields in
//! registry order, `<rel>_name` beside every `<rel>_id`, `owner_name` (the owner's
//! display name) beside `owner`, and `created_at`/`updated_at`. CSV uses the same names
//! as its header (without `owner_name`, so an export imports again as it was).

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Bound;

use serde_json::{Map, Value};

use super::App;
use super::spec::{self, Ty};
use crate::model::records::StageHistory;
use crate::model::records::fields;
use crate::model::{EntityKind, Id};
use crate::protocol::record::{CellValue, Cells};
use crate::store::Stored;

/// Remembers titles of related records while rendering many rows.
#[derive(Default)]
pub struct Names {
    cache: NameTable,
    /// Kinds whose names are all in `cache` (see [`Names::preload_links`]).
    loaded: Vec<EntityKind>,
    owners: Option<std::sync::Arc<super::owners::Directory>>,
}

impl Names {
    /// The title of a linked record, looked up once.
    pub(crate) fn title(&mut self, app: &App, kind: EntityKind, id: Id) -> String {
        self.title_ref(app, kind, id).to_string()
    }

    /// [`Names::title`], borrowed.
    pub(crate) fn title_ref(&mut self, app: &App, kind: EntityKind, id: Id) -> &str {
        if self.cache.get(id).is_none() {
            self.cache.insert(id, &super::dashboard::fast_title(app, kind, id));
        }
        self.cache.get(id).unwrap_or_default()
    }

    /// Fills the names of the live records of each kind `kind` links to, one pass over
    /// each (reading only the fields), when about to name the links of `rows` records
    /// of `kind`: a sequential scan instead of a random read per distinct link, of at
    /// most twice `rows` records per kind (the rest are looked up one by one).
    pub fn preload_links(&mut self, app: &App, kind: EntityKind, rows: usize) {
        let mut targets: Vec<EntityKind> = Vec::new();
        for (_, target) in ref_fields(kind) {
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
        for target in targets {
            self.preload_kind(app, target, rows);
        }
    }

    fn preload_kind(&mut self, app: &App, target: EntityKind, rows: usize) {
        if self.loaded.contains(&target) {
            return;
        }
        self.loaded.push(target);
        let keys = super::kinds::title_keys(target);
        // Keeps the names of `ids`, at most `limit` of them.
        let read = |cache: &mut NameTable, ids: (Bound<[u8; 16]>, Bound<[u8; 16]>), limit: usize| {
            for (id, fields) in app.store.live_picked_in(target, &keys, ids).take(limit).flatten() {
                keep_name(target, cache, id, &fields);
            }
        };
        let all = (Bound::Unbounded, Bound::Unbounded);
        if rows < ALL_ROWS {
            // At most twice as many names as rows: beyond that, looking up the links one
            // by one reads less (the names read so far stay cached).
            read(&mut self.cache, all, rows.saturating_mul(2).max(1_000));
            return;
        }
        // Every name: the upper half of the ids is read on a second thread (a cold
        // store's pages are read and decoded as they are reached: the two halves take
        // the two cores). A name that does not read is looked up again when needed.
        let Ok(Some(middle)) = app.store.middle_id(target) else {
            read(&mut self.cache, all, usize::MAX);
            return;
        };
        let upper = std::thread::scope(|scope| {
            let upper = scope.spawn(|| {
                let mut names = NameTable::default();
                read(&mut names, (Bound::Included(middle), Bound::Unbounded), usize::MAX);
                names
            });
            read(&mut self.cache, (Bound::Unbounded, Bound::Excluded(middle)), usize::MAX);
            upper.join()
        });
        match upper {
            Ok(names) => self.cache.extend(names),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// The display name of an owner login (the value itself for unknown users).
    pub(crate) fn owner(&mut self, app: &App, owner: &str) -> String {
        let dir = self
            .owners
            .get_or_insert_with(|| app.owner_directory().unwrap_or_default());
        dir.display(owner).to_string()
    }
}

/// Keeps the title of a record of `kind` (its short id when it has none).
fn keep_name(kind: EntityKind, cache: &mut NameTable, id: Id, fields: &crate::model::Fields) {
    let title = super::kinds::title_of(kind, fields);
    if title.trim().is_empty() {
        cache.insert(id, &id.short());
    } else {
        cache.insert(id, &title);
    }
}

/// [`Names::preload_links`]'s `rows` for "every record": each linked kind is read whole.
pub(crate) const ALL_ROWS: usize = usize::MAX / 4;

/// Names by id, all in one buffer ([`super::texts::Texts`]). Ids are hashed with
/// foldhash (seeded per table): an export looks up a name for every row.
#[derive(Default)]
struct NameTable {
    at: HashMap<Id, u32, foldhash::fast::RandomState>,
    names: super::texts::Texts,
}

impl NameTable {
    fn get(&self, id: Id) -> Option<&str> {
        self.at.get(&id).map(|i| self.names.get(*i))
    }

    /// Keeps `name` for `id` (a name already kept stays; past 4 GB of names, a name is
    /// looked up again each time instead).
    fn insert(&mut self, id: Id, name: &str) {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.at.entry(id)
            && let Some(i) = self.names.push(name)
        {
            slot.insert(i);
        }
    }

    /// Keeps the names of `other` too (a name already kept stays).
    fn extend(&mut self, other: Self) {
        for (id, i) in other.at {
            self.insert(id, other.names.get(i));
        }
    }
}

/// The reference fields of a kind: settable ones and system-set ones.
fn ref_fields(kind: EntityKind) -> Vec<(&'static str, EntityKind)> {
    let mut out: Vec<(&'static str, EntityKind)> = spec::specs(kind)
        .iter()
        .filter_map(|s| match s.ty {
            Ty::Ref(k) => Some((s.json, k)),
            _ => None,
        })
        .collect();
    out.extend(super::kinds::def(kind).derived.iter().copied());
    out
}

/// The kind the output key `<rel>_name` names (`account` -> Account), for any kind.
#[must_use]
pub fn ref_target(kind: EntityKind, rel: &str) -> Option<EntityKind> {
    ref_field(kind, rel).map(|(_, k)| k)
}

/// The reference field behind the output key `<rel>_name` (`account` ->
/// (`account_id`, Account)), for any kind.
#[must_use]
pub fn ref_field(kind: EntityKind, rel: &str) -> Option<(&'static str, EntityKind)> {
    ref_fields(kind).into_iter().find(|(f, _)| spec::rel_of(f) == rel)
}

/// Column names of a kind in CSV/JSON order.
#[must_use]
pub fn columns(kind: EntityKind) -> Vec<String> {
    let mut cols = vec!["id".to_string()];
    let mut push_field = |json: &str, is_ref: bool| {
        cols.push(json.to_string());
        if is_ref {
            cols.push(format!("{}_name", spec::rel_of(json)));
        }
    };
    for s in spec::specs(kind) {
        if s.ty != Ty::PriceCurrency {
            push_field(s.json, matches!(s.ty, Ty::Ref(_)));
        }
    }
    for d in spec::derived(kind) {
        push_field(d, true);
    }
    cols.push("created_at".into());
    cols.push("updated_at".into());
    cols
}

/// What one output column holds.
enum Column {
    /// A stored field.
    Field(String),
    /// The title of the record a reference field points at.
    Name(String, &'static str, EntityKind),
}

/// The output columns of each kind, computed once.
fn layout(kind: EntityKind) -> &'static [Column] {
    static LAYOUTS: std::sync::OnceLock<Vec<Vec<Column>>> = std::sync::OnceLock::new();
    let all = LAYOUTS.get_or_init(|| {
        EntityKind::ALL_BY_TAG
            .iter()
            .map(|k| {
                let refs = ref_fields(*k);
                columns(*k)
                    .into_iter()
                    .skip(1)
                    .filter(|c| c != "created_at" && c != "updated_at")
                    .map(|col| {
                        let target = col
                            .strip_suffix("_name")
                            .and_then(|rel| refs.iter().find(|(f, _)| spec::rel_of(f) == rel).copied());
                        match target {
                            Some((field, target)) => Column::Name(col, field, target),
                            None => Column::Field(col),
                        }
                    })
                    .collect()
            })
            .collect()
    });
    &all[usize::from(kind.tag() - 1)]
}

impl App {
    /// The record as an output object.
    pub fn view(&self, kind: EntityKind, id: Id, stored: &Stored, names: &mut Names) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("id".into(), Value::String(id.to_string()));
        for column in layout(kind) {
            let (col, field, target) = match column {
                Column::Field(col) if col == "owner" => {
                    let owner = stored.fields.get(col).cloned().unwrap_or(Value::Null);
                    let name = owner
                        .as_str()
                        .filter(|o| !o.is_empty())
                        .map_or(Value::Null, |o| Value::String(names.owner(self, o)));
                    out.insert(col.clone(), owner);
                    out.insert("owner_name".into(), name);
                    continue;
                }
                Column::Field(col) => {
                    out.insert(col.clone(), stored.fields.get(col).cloned().unwrap_or(Value::Null));
                    continue;
                }
                Column::Name(col, field, target) => (col, *field, *target),
            };
            {
                let name = stored
                    .fields
                    .get(field)
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<Id>().ok())
                    .map_or(Value::Null, |rid| Value::String(names.title(self, target, rid)));
                out.insert(col.clone(), name);
            }
        }
        for (k, v) in &stored.fields {
            if !out.contains_key(k) {
                out.insert(k.clone(), v.clone());
            }
        }
        if let Some(h) = out.get_mut(fields::opportunity::STAGE_HISTORY) {
            // Stored as a set keyed by entry id; shown as a list ordered by time.
            *h = StageHistory::from_value(h).to_output();
        }
        let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map_or(Value::Null, |t| {
                Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            })
        };
        out.insert("created_at".into(), time(stored.created_at()));
        out.insert("updated_at".into(), time(stored.updated_at()));
        if stored.deleted {
            out.insert("deleted".into(), Value::Bool(true));
        }
        out
    }

    /// The name people know a record by ("Acme GmbH", "Anna Meyer", "Q-1A2B-0003").
    #[must_use]
    pub fn title(&self, kind: EntityKind, id: Id) -> String {
        self.store
            .get(kind, id)
            .ok()
            .flatten()
            .and_then(|s| kind.describe(&s.fields))
            .map_or_else(|| id.short(), |c| c.title)
    }
}

impl App {
    /// The CSV cells of a record in [`columns`] order, the same text as [`cell`] of
    /// each column of [`App::view`], written without building the output object.
    #[cfg(test)]
    pub(crate) fn csv_cells<'a>(
        &self,
        kind: EntityKind,
        id: Id,
        stored: &'a Stored,
        names: &'a mut Names,
        out: &mut Vec<Cow<'a, str>>,
    ) {
        out.clear();
        out.push(Cow::Owned(id.to_string()));
        // Titles first (they borrow `names` mutably while filling it), then borrowed.
        for column in layout(kind) {
            if let Column::Name(_, field, target) = column
                && let Some(rid) = stored
                    .fields
                    .get(*field)
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<Id>().ok())
            {
                names.title_ref(self, *target, rid);
            }
        }
        let names: &'a Names = names;
        for column in layout(kind) {
            match column {
                Column::Field(col) if col == fields::opportunity::STAGE_HISTORY => {
                    let v = stored.fields.get(col).map(|h| StageHistory::from_value(h).to_output());
                    out.push(Cow::Owned(v.as_ref().map(cell).unwrap_or_default()));
                }
                Column::Field(col) => out.push(stored.fields.get(col).map_or(Cow::Borrowed(""), cell_cow)),
                Column::Name(_, field, _) => {
                    let name = stored
                        .fields
                        .get(*field)
                        .and_then(Value::as_str)
                        .and_then(|s| s.parse::<Id>().ok())
                        .and_then(|rid| names.cache.get(rid));
                    out.push(Cow::Borrowed(name.unwrap_or_default()));
                }
            }
        }
        let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
            Cow::Owned(t.map_or_else(String::new, |t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)))
        };
        out.push(time(stored.created_at()));
        out.push(time(stored.updated_at()));
    }
}

/// The fields a CSV row of a kind reads, each once, and for each output column (after
/// `id`) the place of its field in that list.
pub(crate) struct CsvPlan {
    /// Field names to decode ([`crate::protocol::record::Cells::decode`]).
    pub wanted: Vec<&'static str>,
    slots: Vec<usize>,
    kind: EntityKind,
}

impl CsvPlan {
    /// The plan of `kind`'s CSV columns.
    pub(crate) fn new(kind: EntityKind) -> Self {
        let mut wanted: Vec<&'static str> = Vec::new();
        let mut slots = Vec::new();
        for column in layout(kind) {
            let field: &'static str = match column {
                Column::Field(col) => col.as_str(),
                Column::Name(_, field, _) => field,
            };
            let slot = wanted.iter().position(|w| *w == field).unwrap_or_else(|| {
                wanted.push(field);
                wanted.len() - 1
            });
            slots.push(slot);
        }
        Self { wanted, slots, kind }
    }
}

/// The id a reference field's value names.
fn ref_id(value: Option<&CellValue<'_>>) -> Option<Id> {
    match value {
        Some(CellValue::Text(t)) => t.parse().ok(),
        _ => None,
    }
}

impl App {
    /// [`App::csv_cells`] from a record decoded for output ([`Cells`]): the same text,
    /// without building the record's field map.
    pub(crate) fn csv_cells_of<'a>(
        &self,
        plan: &CsvPlan,
        id: Id,
        record: &'a Cells<'a>,
        names: &'a Names,
        out: &mut Vec<Cow<'a, str>>,
    ) {
        out.clear();
        out.push(Cow::Owned(id.to_string()));
        let columns = layout(plan.kind);
        for (column, slot) in columns.iter().zip(&plan.slots) {
            let value = record.values[*slot].as_ref();
            match column {
                Column::Field(col) if col == fields::opportunity::STAGE_HISTORY => {
                    let v = value.map(|v| {
                        let v = match v {
                            CellValue::Text(t) => Value::String(t.to_string()),
                            CellValue::Other(o) => o.clone(),
                        };
                        StageHistory::from_value(&v).to_output()
                    });
                    out.push(Cow::Owned(v.as_ref().map(cell).unwrap_or_default()));
                }
                Column::Field(_) => out.push(match value {
                    None => Cow::Borrowed(""),
                    Some(CellValue::Text(t)) => Cow::Borrowed(t.as_ref()),
                    Some(CellValue::Other(o)) => cell_cow(o),
                }),
                Column::Name(_, _, target) => out.push(match ref_id(value) {
                    // A name the preload did not read is looked up (not kept: `names`
                    // is shared by the threads that write an export).
                    Some(rid) => names.cache.get(rid).map_or_else(
                        || Cow::Owned(super::dashboard::fast_title(self, *target, rid)),
                        Cow::Borrowed,
                    ),
                    None => Cow::Borrowed(""),
                }),
            }
        }
        let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map_or_else(String::new, |t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        };
        let created = time(record.created_at());
        let updated = if record.updated == record.created {
            created.clone()
        } else {
            time(record.updated_at())
        };
        out.push(Cow::Owned(created));
        out.push(Cow::Owned(updated));
    }
}

/// [`cell`], borrowing a string value.
fn cell_cow(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(s) => Cow::Borrowed(s),
        Value::Null => Cow::Borrowed(""),
        other => Cow::Owned(cell(other)),
    }
}

/// A value as CSV / table text: arrays joined with "; ", prices as "EUR 100; USD 120".
#[must_use]
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join("; "),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k} {}", cell(v)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Mutation;

    /// The CSV cells read through `Cells` (the export's decode) are the cells of the
    /// whole record, for every kind of a demo, an edited record (its own field clocks),
    /// text with escapes and a trashed record.
    #[test]
    fn csv_cells_from_the_lean_decode_are_those_of_the_whole_record() {
        let dir = tempfile::tempdir().expect("dir");
        let app = App::open(dir.path()).expect("open");
        app.demo(7, 40).expect("demo");
        let contact = app
            .store
            .live(EntityKind::Contact)
            .next()
            .expect("a contact")
            .expect("read")
            .0;
        let mut f = crate::model::Fields::new();
        f.insert(
            "title".into(),
            Value::String("Head of \"R&D\" \\ ünïcode \u{1F600}".into()),
        );
        f.insert("street".into(), Value::String("Straße \"2\" / \\ 1".into()));
        app.store
            .commit(&[Mutation::update(EntityKind::Contact, contact, f)])
            .expect("edit");
        let account = app
            .store
            .live(EntityKind::Account)
            .next()
            .expect("an account")
            .expect("read")
            .0;
        app.store
            .commit(&[Mutation::delete(EntityKind::Account, account)])
            .expect("trash");
        let mut seen = 0;
        for kind in EntityKind::ALL {
            let plan = CsvPlan::new(kind);
            for item in app.store.scan_bytes(kind) {
                let (id, bytes) = item.expect("read");
                let stored = Stored::decode(&bytes).expect("stored");
                let cells = Cells::decode(&bytes, &plan.wanted).expect("cells");
                assert_eq!(cells.deleted, stored.deleted, "{kind} {id}");
                assert_eq!(cells.created_at(), stored.created_at(), "{kind} {id}");
                assert_eq!(cells.updated_at(), stored.updated_at(), "{kind} {id}");
                let (mut names, names2) = (Names::default(), Names::default());
                let (mut whole, mut lean) = (Vec::new(), Vec::new());
                app.csv_cells(kind, id, &stored, &mut names, &mut whole);
                app.csv_cells_of(&plan, id, &cells, &names2, &mut lean);
                assert_eq!(whole, lean, "{kind} {id}");
                assert_eq!(lean.len(), columns(kind).len(), "{kind}");
                seen += 1;
            }
        }
        assert!(seen > 100, "{seen} records compared");
    }

    /// Every name, read in two halves on two threads, is the name one lookup gives: the
    /// first, the last, the record at the middle id and a trashed one (which is not
    /// kept); and a kind of one record is read whole.
    #[test]
    fn every_name_read_in_two_halves_is_the_one_a_lookup_gives() {
        let dir = tempfile::tempdir().expect("dir");
        let app = App::open(dir.path()).expect("open");
        let add = |name: &str| {
            let mut f = crate::model::Fields::new();
            f.insert("name".into(), Value::String(name.into()));
            let create = Mutation::create(EntityKind::Account, f);
            let id = create.id;
            app.store.commit(&[create]).expect("add");
            id
        };
        let only = add("Only GmbH");
        let mut names = Names::default();
        names.preload_links(&app, EntityKind::Contact, ALL_ROWS);
        assert_eq!(names.cache.get(only), Some("Only GmbH"), "one record: read whole");
        let ids: Vec<Id> = (0..60).map(|n| add(&format!("Account {n}"))).collect();
        let middle = app
            .store
            .middle_id(EntityKind::Account)
            .expect("read")
            .expect("a middle");
        let trashed = ids[7];
        app.store
            .commit(&[Mutation::delete(EntityKind::Account, trashed)])
            .expect("trash");
        let mut names = Names::default();
        names.preload_links(&app, EntityKind::Contact, ALL_ROWS);
        assert!(names.loaded.contains(&EntityKind::Account));
        let mut below = 0;
        for item in app.store.live(EntityKind::Account) {
            let (id, _) = item.expect("read");
            below += usize::from(id.as_bytes().as_slice() < middle.as_slice());
            assert_eq!(
                names.cache.get(id),
                Some(Names::default().title(&app, EntityKind::Account, id).as_str()),
                "{id}"
            );
        }
        assert!(
            below > 0 && below < 61,
            "both halves hold records: {below} below the middle"
        );
        assert_eq!(names.cache.get(trashed), None, "a trashed record's name is not kept");
    }
}
