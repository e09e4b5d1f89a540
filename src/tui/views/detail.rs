//! One record in detail: its fields on the left; on the right, tabs with the activity
//! timeline and related records (`[`/`]` switch tabs, Enter opens one).

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::Widget;
use serde_json::Value;

use crate::app::spec::{self, Ty};
use crate::app::view::{Names, cell};
use crate::app::{App, AppError};
use crate::model::{EntityKind, Id};
use crate::tui::action::Action;
use crate::tui::clock::Clock;
use crate::tui::jobs::Job;
use crate::tui::state::State;
use crate::tui::widgets::{fill, fit, line, moved, pad, panel, placeholder, scrolled};

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

/// The state of an open record.
#[derive(Clone, Debug, PartialEq)]
pub struct DetailView {
    /// The record's kind.
    pub kind: EntityKind,
    /// The record's id.
    pub id: Id,
    /// Loaded data.
    pub data: Option<DetailData>,
    /// The tab shown.
    pub tab: usize,
    /// Selected item in the tab.
    pub selected: usize,
    /// First visible item.
    pub offset: usize,
}

impl DetailView {
    /// The selected related item.
    #[must_use]
    pub fn selected_item(&self) -> Option<&Item> {
        self.data.as_ref()?.tabs.get(self.tab)?.items.get(self.selected)
    }
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
        .store
        .get(kind, id)?
        .filter(|s| !s.deleted)
        .ok_or_else(|| AppError::NotFound(format!("the {kind} is gone (deleted or in the trash)")))?;
    let mut names = Names::default();
    let view = app.view(kind, id, &stored, &mut names);
    let mut fields = Vec::new();
    if let Some(held) = app.held(kind, id)? {
        // A record the server refused and does not hold: say so first, and why.
        fields.push((
            HELD_LABEL.to_string(),
            format!("not on the server, sent again each sync: {}", held.reason),
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
    if let Some(Value::Array(history)) = view.get("stage_history") {
        let stages: Vec<String> = history.iter().filter_map(|h| h.get("stage").map(cell)).collect();
        if !stages.is_empty() {
            fields.push(("Stage history".into(), stages.join(" → ")));
        }
    }
    if let Some(reason) = view.get("loss_reason").map(cell).filter(|r| !r.is_empty()) {
        fields.push(("Loss reason".into(), reason));
    }
    let mut tabs = vec![timeline(app, clock, id)?];
    let related = crate::app::kinds::def(kind).tabs;
    for (child, title) in related {
        let mut items = Vec::new();
        for cid in app.store.children(id, *child)? {
            let Some(s) = app.store.get(*child, cid)? else {
                continue;
            };
            let cells = match child {
                EntityKind::Contact => vec![
                    format!("{} {}", s.text("first_name"), s.text("last_name")),
                    s.text("title").to_string(),
                ],
                EntityKind::Opportunity => vec![
                    s.text("name").to_string(),
                    s.text("stage").to_string(),
                    crate::model::money::display(s.text("amount").parse().unwrap_or_default(), s.text("currency")),
                ],
                EntityKind::Quote => vec![
                    s.text("number").to_string(),
                    s.text("status").to_string(),
                    s.text("valid_until").to_string(),
                ],
                EntityKind::Event => vec![
                    when(clock, s.text("start")),
                    s.text("title").to_string(),
                    s.text("location").to_string(),
                ],
                EntityKind::QuoteLine => vec![
                    s.text("description").to_string(),
                    format!("{} x {}", s.text("quantity"), s.text("unit_price")),
                ],
                _ => vec![app.title(*child, cid)],
            };
            items.push(Item {
                kind: *child,
                id: cid,
                cells,
                open_task: false,
            });
        }
        if *child == EntityKind::Event {
            items.sort_by(|a, b| b.cells[0].cmp(&a.cells[0]));
        }
        tabs.push(Tab {
            title: format!("{title} ({})", items.len()),
            kind: *child,
            items,
        });
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
    for aid in app.store.children(id, EntityKind::Activity)? {
        let Some(s) = app.store.get(EntityKind::Activity, aid)? else {
            continue;
        };
        let kind = s.text("kind").to_string();
        let done = s.fields.get("done").and_then(Value::as_bool).unwrap_or(false);
        let open_task = kind == "task" && !done;
        let extra = if kind == "task" {
            format!("due {}{}", s.text("due"), if done { " ✓" } else { "" })
        } else {
            s.text("outcome").to_string()
        };
        let at = s.text("at").to_string();
        items.push((
            at.clone(),
            Item {
                kind: EntityKind::Activity,
                id: aid,
                cells: vec![when(clock, &at), kind, s.text("subject").to_string(), extra],
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

/// Opens a record over the current view.
pub fn open(st: &mut State, kind: EntityKind, id: Id) {
    if matches!(kind, EntityKind::QuoteLine | EntityKind::User | EntityKind::Product) {
        st.say(
            format!(
                "{} have no detail view yet; `outpost {} show` prints one",
                kind.plural(),
                kind.name()
            ),
            crate::tui::state::Level::Info,
        );
        return;
    }
    st.details.push(DetailView {
        kind,
        id,
        data: None,
        tab: 0,
        selected: 0,
        offset: 0,
    });
    st.request(Job::Detail(kind, id));
}

/// Handles an action in the top detail view.
pub fn handle(st: &mut State, action: Action) -> bool {
    let page = st.page().saturating_sub(2);
    let Some(d) = st.details.last_mut() else {
        return false;
    };
    let tabs = d.data.as_ref().map_or(0, |x| x.tabs.len());
    let len = d
        .data
        .as_ref()
        .and_then(|x| x.tabs.get(d.tab))
        .map_or(0, |t| t.items.len());
    if let Some(sel) = moved(d.selected, len, action, page) {
        d.selected = sel;
        d.offset = scrolled(d.offset, sel, page);
        return true;
    }
    match action {
        Action::NextTab | Action::Right if tabs > 0 => {
            d.tab = (d.tab + 1) % tabs;
            d.selected = 0;
            d.offset = 0;
            true
        }
        Action::PrevTab | Action::Left if tabs > 0 => {
            d.tab = (d.tab + tabs - 1) % tabs;
            d.selected = 0;
            d.offset = 0;
            true
        }
        Action::Open => {
            if let Some(item) = d.selected_item().cloned() {
                open(st, item.kind, item.id);
            }
            true
        }
        Action::Close | Action::Quit => {
            st.details.pop();
            true
        }
        _ => false,
    }
}

/// Draws the top detail view.
pub fn render(st: &State, d: &DetailView, area: Rect, buf: &mut Buffer) {
    let th = &st.theme;
    let Some(data) = &d.data else {
        let block = panel(format!(" {} ", d.kind), th, true);
        let inner = block.inner(area);
        block.render(area, buf);
        placeholder(buf, inner, "Loading…", th.muted);
        return;
    };
    let [left, right] = Layout::horizontal([Constraint::Percentage(42), Constraint::Percentage(58)]).areas(area);
    let block = panel(format!(" {} · {} ", capital(data.kind.name()), data.title), th, false);
    let inner = block.inner(left);
    block.render(left, buf);
    let lw = data
        .fields
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0)
        .min(14);
    let vw = usize::from(inner.width).saturating_sub(lw + 3);
    for ((l, v), y) in data.fields.iter().zip(inner.y..inner.bottom()) {
        line(
            buf,
            inner.x,
            y,
            inner.width,
            vec![
                Span::styled(
                    format!(" {}", pad(l, lw, false)),
                    if l == HELD_LABEL { th.error } else { th.muted },
                ),
                Span::raw("  "),
                Span::styled(fit(v, vw), if l == HELD_LABEL { th.error } else { th.text }),
            ],
        );
    }
    let full: usize = data.tabs.iter().map(|t| t.title.chars().count() + 3).sum();
    let narrow = full + 2 > usize::from(right.width);
    let titles: Vec<Span> = data
        .tabs
        .iter()
        .map(|t| {
            if narrow {
                let (name, count) = t.title.split_once(" (").unwrap_or((t.title.as_str(), ""));
                Tab {
                    title: format!(
                        "{} {}",
                        name.chars().take(4).collect::<String>(),
                        count.trim_end_matches(')')
                    ),
                    ..t.clone()
                }
            } else {
                t.clone()
            }
        })
        .collect::<Vec<_>>()
        .into_iter()
        .enumerate()
        .flat_map(|(i, t)| {
            let style = if i == d.tab { th.accent } else { th.muted };
            let sep = if i + 1 < data.tabs.len() { "│" } else { "" };
            [
                Span::styled(format!(" {} ", t.title), style),
                Span::styled(sep, th.border),
            ]
        })
        .collect();
    let block = panel(ratatui::text::Line::from(titles), th, true);
    let inner = block.inner(right);
    block.render(right, buf);
    let Some(tab) = data.tabs.get(d.tab) else {
        return;
    };
    if tab.items.is_empty() {
        placeholder(buf, inner, "Nothing yet", th.muted);
        return;
    }
    let h = usize::from(inner.height);
    let offset = scrolled(d.offset, d.selected, h);
    let w = usize::from(inner.width);
    for (i, item) in tab.items.iter().enumerate().skip(offset).take(h) {
        let yy = inner.y + u16::try_from(i - offset).unwrap_or(0);
        let text = item
            .cells
            .iter()
            .filter(|c| !c.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join("  ");
        let style = if item.open_task { th.warning } else { th.text };
        line(
            buf,
            inner.x,
            yy,
            inner.width,
            vec![Span::styled(fit(&format!(" {text}"), w), style)],
        );
        if i == d.selected {
            fill(buf, Rect::new(inner.x, yy, inner.width, 1), th.selection);
        }
    }
}

/// "opportunity" -> "Opportunity".
#[must_use]
pub fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
