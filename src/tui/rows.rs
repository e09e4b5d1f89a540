//! List rows: the columns each record list shows, and loading them once through `app`
//! (names of related records looked up through a cache), with the folded search text of
//! each record for the filter (`app::search`, the same text `list -s` matches).

use std::cmp::Ordering;

use rust_decimal::Decimal;
use serde_json::Value;

use super::clock::Clock;
use super::filter::Haystacks;
use crate::app::dashboard::ref_id;
use crate::app::view::cell;
use crate::app::{App, AppError};
use crate::model::money;
use crate::model::{EntityKind, Id};
use crate::store::Stored;

pub use crate::app::kinds::{Cell, ListColumn as Column, Sort};
use crate::model::records::fields;

/// The kinds that have a list view, in tab order.
pub const LIST_KINDS: [EntityKind; 9] = [
    EntityKind::Account,
    EntityKind::Contact,
    EntityKind::Lead,
    EntityKind::Opportunity,
    EntityKind::Quote,
    EntityKind::Activity,
    EntityKind::Territory,
    EntityKind::Product,
    EntityKind::Order,
];

/// The columns of a kind's list (`app::kinds`: the kind's TUI list layout).
#[must_use]
pub fn columns(kind: EntityKind) -> &'static [Column] {
    let list = crate::app::kinds::def(kind).tui.list;
    if list.is_empty() { registry_columns(kind) } else { list }
}

/// The columns of a kind without a list layout of its own: its table columns from the
/// registry (`app::kinds`), without the id.
fn registry_columns(kind: EntityKind) -> &'static [Column] {
    static ALL: std::sync::OnceLock<Vec<Vec<Column>>> = std::sync::OnceLock::new();
    let all = ALL.get_or_init(|| {
        EntityKind::ALL_BY_TAG
            .iter()
            .map(|k| {
                crate::app::kinds::def(*k)
                    .columns
                    .iter()
                    .filter(|(_, key)| *key != "id")
                    .map(|(head, _)| {
                        let mut t = head.to_lowercase();
                        if let Some(f) = t.get(..1) {
                            t = f.to_uppercase() + &t[1..];
                        }
                        Column {
                            title: Box::leak(t.into_boxed_str()),
                            width: 16,
                            sort: Sort::Text,
                            right: false,
                            fixed: false,
                            cell: Cell::Title,
                        }
                    })
                    .collect()
            })
            .collect()
    });
    &all[usize::from(kind.tag() - 1)]
}

/// One row of a list.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The record.
    pub id: Id,
    /// Cell texts, one per column.
    pub cells: Cells,
    /// The amount, for amount columns.
    pub amount: Decimal,
}

/// A row's cell texts in one allocation, each ended by [`Cells::END`] (a `Vec<String>`
/// took a heap block per cell and one for the vector: 150 bytes more per row, 28 MB
/// over 187k activities). A cell never shows that control character: it becomes a space.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cells(Box<str>);

impl Cells {
    /// Ends each cell (ASCII unit separator).
    pub const END: char = '\u{1f}';

    /// The text of cell `i`, if there is one.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&str> {
        self.iter().nth(i)
    }

    /// The texts in column order.
    pub fn iter(&self) -> std::str::SplitTerminator<'_, char> {
        self.0.split_terminator(Self::END)
    }
}

impl std::ops::Index<usize> for Cells {
    type Output = str;

    fn index(&self, i: usize) -> &str {
        self.get(i).unwrap_or_default()
    }
}

impl<S: AsRef<str>> FromIterator<S> for Cells {
    fn from_iter<I: IntoIterator<Item = S>>(cells: I) -> Self {
        let mut text = String::new();
        for c in cells {
            let c = c.as_ref();
            if c.contains(Self::END) {
                text.push_str(&c.replace(Self::END, " "));
            } else {
                text.push_str(c);
            }
            text.push(Self::END);
        }
        Self(text.into_boxed_str())
    }
}

/// A loaded list.
#[derive(Debug)]
pub struct ListData {
    /// The kind listed.
    pub kind: EntityKind,
    /// Every live record's row, in id (creation) order.
    pub rows: Vec<Row>,
    /// Folded filter text of every row.
    pub hay: Haystacks,
    /// Row indices in the kind's default sort order (sorted off the UI thread).
    pub order: Vec<u32>,
    /// Only the first page of a big list ([`load_head`]): the rest is loading.
    pub head: bool,
}

/// The sort a list starts with (`app::kinds`): names A–Z, deals by close date, newest
/// activity first.
#[must_use]
pub fn default_sort(kind: EntityKind) -> Option<(usize, bool)> {
    Some(crate::app::kinds::def(kind).tui.sort)
}

/// Row indices sorted by `sort`; rows equal in that column are ordered by the other
/// columns, so equal-looking rows always come out the same way.
#[must_use]
pub fn sorted(kind: EntityKind, rows: &[Row], sort: Option<(usize, bool)>) -> Vec<u32> {
    let mut order: Vec<u32> = (0..u32::try_from(rows.len()).unwrap_or(u32::MAX)).collect();
    if let Some((col, desc)) = sort {
        let cols = columns(kind);
        let how = cols.get(col).map_or(Sort::Text, |c| c.sort);
        // The sort column's text folded to lower case once per row, not per comparison
        // (borrowed where folding changes nothing: dates, numbers).
        let keys: Vec<std::borrow::Cow<'_, str>> = if how == Sort::Text {
            rows.iter()
                .map(|r| {
                    let c = r.cells.get(col).unwrap_or_default();
                    if c.chars().any(|ch| ch.to_lowercase().ne(std::iter::once(ch))) {
                        std::borrow::Cow::Owned(c.chars().flat_map(char::to_lowercase).collect())
                    } else {
                        std::borrow::Cow::Borrowed(c)
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        order.sort_by(|a, b| {
            let (x, y) = (&rows[*a as usize], &rows[*b as usize]);
            let o = match (keys.get(*a as usize), keys.get(*b as usize)) {
                (Some(p), Some(q)) => p.cmp(q),
                _ => compare(x, y, col, how),
            };
            let o = if desc { o.reverse() } else { o };
            o.then_with(|| {
                (0..cols.len())
                    .map(|c| compare(x, y, c, cols[c].sort))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            })
        });
    }
    order
}

/// Names of related records, looked up once each.
#[derive(Default)]
pub struct NameCache {
    names: crate::app::view::Names,
}

impl NameCache {
    /// The title of `fields[field]`'s record, or "".
    pub fn of(&mut self, app: &App, fields: &crate::model::Fields, field: &str, kind: EntityKind) -> String {
        ref_id(fields, field).map_or_else(String::new, |id| self.names.title(app, kind, id))
    }

    /// The display name of the record's owner ("Sara Lindqvist" for `sara`).
    pub fn owner(&mut self, app: &App, s: &Stored) -> String {
        self.names.owner(app, &text(s, fields::shared::OWNER))
    }
}

fn text(s: &Stored, field: &str) -> String {
    s.fields.get(field).map(cell).unwrap_or_default()
}

/// The first item of a list field.
fn first(s: &Stored, field: &str) -> String {
    s.fields
        .get(field)
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .map(cell)
        .unwrap_or_default()
}

/// The text of one cell of a record (a list column or a detail tab's cell); `amount`
/// takes the record's amount when the cell shows money.
#[allow(clippy::too_many_arguments)]
pub fn cell_text(
    app: &App,
    clock: &Clock,
    names: &mut NameCache,
    kind: EntityKind,
    id: Id,
    s: &Stored,
    cell: Cell,
    amount: &mut Decimal,
) -> String {
    let f = &s.fields;
    match cell {
        Cell::Field(field) => text(s, field),
        Cell::Person => format!("{} {}", s.text("first_name"), s.text("last_name")),
        Cell::Link(field, target) => names.of(app, f, field, target),
        Cell::Owner => names.owner(app, s),
        Cell::First(field) => first(s, field),
        Cell::Money => {
            *amount = s.text(fields::opportunity::AMOUNT).parse().unwrap_or_default();
            money::display(*amount, s.text(fields::shared::CURRENCY))
        }
        Cell::Local { field, raw } => chrono::DateTime::parse_from_rfc3339(s.text(field)).map_or_else(
            |_| if raw { s.text(field).to_string() } else { String::new() },
            |t| {
                clock
                    .local(t.with_timezone(&chrono::Utc))
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            },
        ),
        Cell::About => crate::app::kinds::ABOUT
            .iter()
            .map(|(fl, k)| names.of(app, f, fl, *k))
            .find(|n| !n.is_empty())
            .unwrap_or_default(),
        Cell::TaskDone => {
            let task = s.text("kind") == "task";
            let done = f.get(fields::activity::DONE).and_then(Value::as_bool).unwrap_or(false);
            if task {
                if done { "✓" } else { "·" }.to_string()
            } else {
                String::new()
            }
        }
        Cell::Times(a, b) => format!("{} x {}", s.text(a), s.text(b)),
        Cell::Title => app.title(kind, id),
        Cell::Flag(field, default) => {
            let on = f.get(field).and_then(Value::as_bool).unwrap_or(default);
            (if on { "yes" } else { "no" }).to_string()
        }
    }
}

/// The row of one record: its list layout's cells, or its table columns when the
/// registry gives it no list layout.
pub fn row(app: &App, clock: &Clock, names: &mut NameCache, kind: EntityKind, id: Id, s: &Stored) -> Row {
    let mut amount = Decimal::ZERO;
    let list = crate::app::kinds::def(kind).tui.list;
    let cells = if list.is_empty() {
        crate::app::export::table_cells(kind, &app.view(kind, id, s, &mut crate::app::view::Names::default()))
            .into_iter()
            .collect()
    } else {
        list.iter()
            .map(|c| cell_text(app, clock, names, kind, id, s, c.cell, &mut amount))
            .collect()
    };
    Row { id, cells, amount }
}

/// Loads every live record of `kind` as rows, reporting progress every few thousand.
pub fn load(
    app: &App,
    clock: &Clock,
    kind: EntityKind,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ListData, AppError> {
    let total = app.count(kind);
    let mut names = NameCache::default();
    // The whole list is read: so is every name it links to.
    names.names.preload_links(app, kind, crate::app::view::ALL_ROWS);
    let mut rows = Vec::with_capacity(total);
    let mut hay = Haystacks::default();
    for (i, item) in app.live(kind).enumerate() {
        let (id, s) = item?;
        let r = row(app, clock, &mut names, kind, id, &s);
        hay.push(&crate::app::search::text_from(app, kind, &s.fields, &mut names.names));
        rows.push(r);
        if i % 5000 == 4999 {
            progress(i + 1, total);
        }
    }
    // The linked names (100k contacts' for the activities) go before the sort.
    drop(names);
    let order = sorted(kind, &rows, default_sort(kind));
    Ok(ListData {
        kind,
        rows,
        hay,
        order,
        head: false,
    })
}

/// How many rows the first page of a big list holds.
pub const HEAD_ROWS: usize = 200;

/// Lists of more records than this show their first page while the rest loads.
const HEAD_ABOVE: usize = 5_000;

/// The first page of a big list that opens sorted by its records' titles A–Z, read
/// from the title index without decoding the rest: on screen in milliseconds while
/// [`load`] reads every record behind it. `None` for small lists and lists that open
/// in another order.
pub fn load_head(app: &App, clock: &Clock, kind: EntityKind) -> Result<Option<ListData>, AppError> {
    load_head_above(app, clock, kind, HEAD_ABOVE)
}

/// [`load_head`] for lists of more than `above` records (tests use small lists).
pub fn load_head_above(app: &App, clock: &Clock, kind: EntityKind, above: usize) -> Result<Option<ListData>, AppError> {
    let by_title = default_sort(kind) == Some((0, false))
        && columns(kind)
            .first()
            .is_some_and(|c| matches!(c.cell, Cell::Person | Cell::Title | Cell::Field("name")));
    if !by_title || app.count_at_most(kind, above + 1) <= above {
        return Ok(None);
    }
    let mut names = NameCache::default();
    let mut rows = Vec::with_capacity(HEAD_ROWS);
    let mut hay = Haystacks::default();
    for id in app.first_by_title(kind, HEAD_ROWS)? {
        if let Some(s) = app.record(kind, id)?.filter(|s| !s.deleted) {
            rows.push(row(app, clock, &mut names, kind, id, &s));
            hay.push(&crate::app::search::text_from(app, kind, &s.fields, &mut names.names));
        }
    }
    let order = sorted(kind, &rows, default_sort(kind));
    Ok(Some(ListData {
        kind,
        rows,
        hay,
        order,
        head: true,
    }))
}

/// Compares two rows by a column.
#[must_use]
pub fn compare(a: &Row, b: &Row, column: usize, sort: Sort) -> Ordering {
    match sort {
        Sort::Amount => a.amount.cmp(&b.amount),
        Sort::Text => {
            let x = a.cells.get(column).unwrap_or_default();
            let y = b.cells.get(column).unwrap_or_default();
            x.chars()
                .flat_map(char::to_lowercase)
                .cmp(y.chars().flat_map(char::to_lowercase))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_each_text_empty_ones_and_wide_characters() {
        let cells: Cells = ["Müller", "", "東京 GmbH", "1.5M"].into_iter().collect();
        assert_eq!(cells.iter().count(), 4);
        assert_eq!(&cells[0], "Müller");
        assert_eq!(&cells[1], "");
        assert_eq!(cells.get(2), Some("東京 GmbH"));
        assert_eq!(&cells[3], "1.5M");
        assert_eq!(cells.get(4), None, "past the last cell");
        assert_eq!(&cells[9], "", "indexing past the end is empty, not a panic");
        assert_eq!(cells.iter().collect::<Vec<_>>(), ["Müller", "", "東京 GmbH", "1.5M"]);
        assert_eq!(Cells::default().iter().count(), 0);
        let one_empty: Cells = [""].into_iter().collect();
        assert_eq!((one_empty.iter().count(), one_empty.get(0)), (1, Some("")));
        let odd: Cells = ["a\u{1f}b", "c"].into_iter().collect();
        assert_eq!(
            odd.iter().collect::<Vec<_>>(),
            ["a b", "c"],
            "the separator never shows"
        );
    }

    #[test]
    fn a_text_sort_folds_case_and_keeps_ties_in_the_other_columns_order() {
        let row = |n: u128, name: &str, city: &str| Row {
            id: Id(uuid::Uuid::from_u128(n)),
            cells: [name, city].into_iter().collect(),
            amount: Decimal::ZERO,
        };
        let rows = [
            row(1, "beta", "x"),
            row(2, "Alpha", "z"),
            row(3, "alpha", "y"),
            row(4, "2024-01-02", ""),
        ];
        let names =
            |order: Vec<u32>| -> Vec<String> { order.iter().map(|i| rows[*i as usize].cells[0].to_string()).collect() };
        let kind = EntityKind::Territory;
        assert_eq!(
            names(sorted(kind, &rows, Some((0, false)))),
            ["2024-01-02", "alpha", "Alpha", "beta"].map(String::from)
        );
    }
}
