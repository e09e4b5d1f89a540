//! Loading a record for the detail view: its fields (labelled), the activity timeline
//! and the tabs of related records. Runs as a job, off the UI thread.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::app::spec::{self, Ty};
use crate::app::view::{Names, cell};
use crate::app::{App, AppError};
use crate::model::records::fields;
use crate::model::{EntityKind, Id};
use crate::tui::clock::Clock;
use crate::tui::rows::{NameCache, cell_text};

/// A related record in a tab.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// Its kind.
    pub kind: EntityKind,
    /// Its id.
    pub id: Id,
    /// Texts shown.
    pub cells: Vec<String>,
    /// An open task (can be marked done).
    pub open_task: bool,
}

/// A tab of related records.
#[derive(Clone, Debug, PartialEq)]
pub struct Tab {
    /// Tab title.
    pub title: String,
    /// Kind of the records in it.
    pub kind: EntityKind,
    /// The records.
    pub items: Vec<Item>,
}

/// A record loaded for the detail view.
#[derive(Clone, Debug, PartialEq)]
pub struct DetailData {
    /// The record's kind.
    pub kind: EntityKind,
    /// The record's id.
    pub id: Id,
    /// Its name.
    pub title: String,
    /// (label, value) of every field with a value.
    pub fields: Vec<(String, String)>,
    /// Timeline first, then related records.
    pub tabs: Vec<Tab>,
    /// The raw fields, for editing and quick actions.
    pub raw: crate::model::Fields,
}

/// A label from a JSON name: `close_date` -> "Close date".
#[must_use]
pub fn label(json: &str) -> String {
    let text = spec::rel_of(json).replace('_', " ");
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn when(clock: &Clock, text: &str) -> String {
    DateTime::parse_from_rfc3339(text)
        .map(|t| clock.local(t.with_timezone(&Utc)).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| text.to_string())
}

/// The label of the line that says a record is held.
pub const HELD_LABEL: &str = "Held";

/// Loads a record with its timeline and related records.
pub fn load(app: &App, clock: &Clock, kind: EntityKind, id: Id) -> Result<DetailData, AppError> {
    let stored = app
        .record(kind, id)?
        .filter(|s| !s.deleted)
        .ok_or_else(|| AppError::NotFound(format!("the {kind} is gone (deleted or in the trash)")))?;
    let mut names = Names::default();
    let view = app.view(kind, id, &stored, &mut names);
    let mut fields = Vec::new();
    if let Some(held) = app.held(kind, id)? {
        // A record the server refused and does not hold: say so first, and why.
        fields.push((
            HELD_LABEL.to_string(),
            format!("not on the server (sent again once you edit it): {}", held.reason),
        ));
    }
    for s in spec::specs(kind).iter().filter(|s| s.ty != Ty::PriceCurrency) {
        let value = match s.ty {
            Ty::Ref(_) => view
                .get(&format!("{}_name", spec::rel_of(s.json)))
                .map(cell)
                .unwrap_or_default(),
            Ty::DateTime => when(clock, &view.get(s.json).map(cell).unwrap_or_default()),
            Ty::Bool => match view.get(s.json) {
                Some(Value::Bool(true)) => "yes".into(),
                Some(Value::Bool(false)) => "no".into(),
                _ => String::new(),
            },
            _ => view.get(s.json).map(cell).unwrap_or_default(),
        };
        if !value.is_empty() {
            fields.push((label(s.json), value));
        }
    }
    for d in spec::derived(kind) {
        if let Some(v) = view
            .get(&format!("{}_name", spec::rel_of(d)))
            .map(cell)
            .filter(|v| !v.is_empty())
        {
            fields.push((label(d), v));
        }
    }
    if let Some(Value::Array(history)) = view.get(fields::opportunity::STAGE_HISTORY) {
        let stages: Vec<String> = history
            .iter()
            .filter_map(|h| h.get(fields::opportunity::STAGE).map(cell))
            .collect();
        if !stages.is_empty() {
            fields.push(("Stage history".into(), stages.join(" → ")));
        }
    }
    if let Some(reason) = view
        .get(fields::opportunity::LOSS_REASON)
        .map(cell)
        .filter(|r| !r.is_empty())
    {
        fields.push(("Loss reason".into(), reason));
    }
    let mut tabs = vec![timeline(app, clock, id)?];
    let mut names = NameCache::default();
    let related = crate::app::kinds::def(kind).tabs;
    for (child, title) in related {
        let mut items = Vec::new();
        for (cid, s) in app.children(id, *child)? {
            let mut amount = rust_decimal::Decimal::ZERO;
            let cells = crate::app::kinds::def(*child)
                .tui
                .tab_cells
                .iter()
                .map(|c| cell_text(app, clock, &mut names, *child, cid, &s, *c, &mut amount))
                .collect();
            items.push(Item {
                kind: *child,
                id: cid,
                cells,
                open_task: false,
            });
        }
        if crate::app::kinds::def(*child).tui.tab_newest_first {
            items.sort_by(|a, b| b.cells[0].cmp(&a.cells[0]));
        }
        tabs.push(Tab {
            title: format!("{title} ({})", items.len()),
            kind: *child,
            items,
        });
    }
    if let Some(prices) = app.price_rows(kind, id)? {
        // A product: its price book first (rows about the product itself).
        let items: Vec<Item> = prices
            .iter()
            .map(|p| {
                let day = |d: Option<chrono::NaiveDate>| d.map_or_else(String::new, |d| d.to_string());
                let validity = if p.valid_from.is_none() && p.valid_to.is_none() {
                    "always".to_string()
                } else {
                    format!("{}..{}", day(p.valid_from), day(p.valid_to))
                };
                Item {
                    kind,
                    id,
                    cells: vec![
                        format!("{} {:>12}", p.currency, p.price),
                        format!("from {:<6}", p.min_qty.normalize()),
                        validity,
                    ],
                    open_task: false,
                }
            })
            .collect();
        tabs.insert(
            0,
            Tab {
                title: format!("Price book ({})", items.len()),
                kind,
                items,
            },
        );
    }
    Ok(DetailData {
        kind,
        id,
        title: app.title(kind, id),
        fields,
        tabs,
        raw: stored.fields,
    })
}

/// The activities about a record, newest first.
fn timeline(app: &App, clock: &Clock, id: Id) -> Result<Tab, AppError> {
    let mut items: Vec<(String, Item)> = Vec::new();
    for (aid, s) in app.children(id, EntityKind::Activity)? {
        let kind = s.text("kind").to_string();
        let done = s
            .fields
            .get(fields::activity::DONE)
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let open_task = kind == "task" && !done;
        let extra = if kind == "task" {
            format!("due {}{}", s.text("due"), if done { " ✓" } else { "" })
        } else {
            s.text(fields::activity::OUTCOME).to_string()
        };
        let at = s.text("at").to_string();
        items.push((
            at.clone(),
            Item {
                kind: EntityKind::Activity,
                id: aid,
                cells: vec![
                    when(clock, &at),
                    kind,
                    s.text(fields::activity::SUBJECT).to_string(),
                    extra,
                ],
                open_task,
            },
        ));
    }
    items.sort_by(|a, b| b.0.cmp(&a.0));
    let items: Vec<Item> = items.into_iter().map(|(_, i)| i).collect();
    Ok(Tab {
        title: format!("Timeline ({})", items.len()),
        kind: EntityKind::Activity,
        items,
    })
}
