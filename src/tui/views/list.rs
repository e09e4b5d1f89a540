//! A record list: sortable columns, `/` fuzzy filter, selection. Rows load once, in the
//! background, the first time the list is shown.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Widget;

use crate::model::{EntityKind, Id};
use crate::tui::action::Action;
use crate::tui::ctx::Ctx;
use crate::tui::effect::{Effects, Level};
use crate::tui::filter::Filter;
use crate::tui::input::{Edit, TextInput};
use crate::tui::jobs::Job;
use crate::tui::keys::{Code, KeyPress};
use crate::tui::rows::{self, ListData, columns};
use crate::tui::view_id::ViewId;
use crate::tui::widgets::{fill, line, moved, pad, panel, scrolled};

/// The state of one list.
#[derive(Debug)]
pub struct ListView {
    /// The kind listed.
    pub kind: EntityKind,
    /// Rows, once loaded.
    pub data: Option<ListData>,
    /// Row indices in sort order.
    pub order: Vec<u32>,
    /// Sort column and whether descending; `None` is creation order.
    pub sort: Option<(usize, bool)>,
    /// The fuzzy filter.
    pub filter: Filter,
    /// The filter as typed.
    pub input: TextInput,
    /// Typing goes into the filter.
    pub editing: bool,
    /// Selected position among the visible rows.
    pub selected: usize,
    /// First visible position.
    pub offset: usize,
    /// Rows must be loaded again (a record changed).
    pub stale: bool,
    /// The record selected when the rows were freed ([`ListView::unload`]), selected
    /// again once they are back.
    pub return_to: Option<Id>,
}

impl ListView {
    /// An empty, not yet loaded list.
    #[must_use]
    pub fn new(kind: EntityKind) -> Self {
        Self {
            kind,
            data: None,
            order: Vec::new(),
            sort: rows::default_sort(kind),
            filter: Filter::default(),
            input: TextInput::default(),
            editing: false,
            selected: 0,
            offset: 0,
            stale: true,
            return_to: None,
        }
    }

    /// Frees the rows of a list that is no longer shown: its sort, filter and selected
    /// record stay, and the rows load again when it is shown. A list of 100k records holds
    /// 40-60 MB, and browsing every view kept them all (issue 13: 150 MB).
    pub fn unload(&mut self) {
        if self.data.is_none() {
            return;
        }
        self.return_to = self.selected_id().or(self.return_to);
        self.data = None;
        self.order = Vec::new();
        self.stale = true;
    }

    /// Row indices shown, in order.
    #[must_use]
    pub fn visible(&self) -> &[u32] {
        if self.filter.is_active() {
            self.filter.ranked()
        } else {
            &self.order
        }
    }

    /// The selected record.
    #[must_use]
    pub fn selected_id(&self) -> Option<Id> {
        let row = *self.visible().get(self.selected)?;
        self.data.as_ref()?.rows.get(row as usize).map(|r| r.id)
    }

    /// Takes freshly loaded rows, keeping sort, filter and (by id) the selection.
    pub fn set_data(&mut self, data: ListData) {
        let keep = self.return_to.take().or_else(|| self.selected_id());
        let head = data.head;
        self.data = Some(data);
        self.stale = false;
        self.resort();
        if let Some(id) = keep
            && !self.select_id(id)
            && head
        {
            // Not among the first rows: selected once the rest is there.
            self.return_to = Some(id);
        }
    }

    /// Deals open on the first open deal closing today or later (the list is sorted by
    /// close date, so deals closed long ago come first otherwise), shown at the top.
    pub fn start_at_open_deals(&mut self, pipeline: &crate::model::stage::Pipeline, today: chrono::NaiveDate) {
        use crate::app::kinds::Cell;
        let cols = rows::columns(self.kind);
        let at = |field: &'static str| cols.iter().position(|c| c.cell == Cell::Field(field));
        let (Some(stage), Some(close), Some(data)) = (at("stage"), at("close_date"), &self.data) else {
            return;
        };
        let today = today.to_string();
        let first = self.order.iter().position(|r| {
            data.rows.get(*r as usize).is_some_and(|row| {
                let open = pipeline
                    .find(&row.cells[stage])
                    .is_some_and(|s| s.state == crate::model::stage::StageState::Open);
                open && &row.cells[close] >= today.as_str()
            })
        });
        if let Some(pos) = first {
            self.selected = pos;
            self.offset = pos;
        }
    }

    /// Selects a record by id when it is visible.
    pub fn select_id(&mut self, id: Id) -> bool {
        let Some(data) = &self.data else { return false };
        let found = self
            .visible()
            .iter()
            .position(|r| data.rows.get(*r as usize).is_some_and(|row| row.id == id));
        if let Some(pos) = found {
            self.selected = pos;
        }
        found.is_some()
    }

    fn resort(&mut self) {
        let Some(data) = &self.data else { return };
        self.order = if self.sort == rows::default_sort(self.kind) && data.order.len() == data.rows.len() {
            data.order.clone()
        } else {
            rows::sorted(self.kind, &data.rows, self.sort)
        };
        if self.filter.is_active() {
            self.filter.rerun(&data.hay, &self.order);
        }
        self.clamp(usize::MAX);
    }

    fn clamp(&mut self, page: usize) {
        let len = self.visible().len();
        self.selected = self.selected.min(len.saturating_sub(1));
        if page != usize::MAX {
            self.offset = scrolled(self.offset, self.selected, page);
        } else if self.offset > self.selected {
            self.offset = self.selected;
        }
    }

    /// Sets the filter query (incremental); the input shows it.
    pub fn set_query(&mut self, query: &str) {
        if self.input.text() != query {
            self.input.set(query);
        }
        if let Some(data) = &self.data {
            self.filter.set_query(query, &data.hay, &self.order);
        }
        self.selected = 0;
        self.offset = 0;
    }
}

/// Handles an action in the list; `false` when it is not a list action.
pub fn handle(list: &mut ListView, cx: &Ctx, action: Action, out: &mut Effects) -> bool {
    let page = cx.page().saturating_sub(1);
    let kind = list.kind;
    if let Some(sel) = moved(list.selected, list.visible().len(), action, page) {
        list.selected = sel;
        list.clamp(page);
        return true;
    }
    match action {
        Action::SortNext => {
            let n = columns(kind).len();
            list.sort = Some(match list.sort {
                None => (0, false),
                Some((c, _)) if c + 1 < n => (c + 1, false),
                Some(_) => (0, false),
            });
            list.resort();
            let title = list
                .sort
                .and_then(|(c, _)| columns(kind).get(c))
                .map_or("", |c| c.title);
            out.say(format!("Sorted by {title}"), Level::Info);
            true
        }
        Action::SortReverse => {
            list.sort = Some(list.sort.map_or((0, true), |(c, d)| (c, !d)));
            list.resort();
            true
        }
        Action::Filter => {
            list.editing = true;
            true
        }
        Action::Close if list.filter.is_active() || list.editing => {
            list.filter.clear();
            list.input.clear();
            list.editing = false;
            list.selected = 0;
            list.offset = 0;
            true
        }
        Action::Open => {
            if let Some(id) = list.selected_id() {
                out.open(kind, id);
            }
            true
        }
        _ => false,
    }
}

/// Typing while the filter is being edited. `false` leaves the key to the keymap.
pub fn edit_key(list: &mut ListView, cx: &Ctx, key: KeyPress) -> bool {
    let page = cx.page().saturating_sub(1);
    if !list.editing {
        return false;
    }
    match key.code {
        Code::Enter => list.editing = false,
        Code::Esc => {
            list.filter.clear();
            list.input.clear();
            list.editing = false;
            list.selected = 0;
            list.offset = 0;
        }
        Code::Up | Code::Down | Code::PageUp | Code::PageDown => {
            let a = match key.code {
                Code::Up => Action::Up,
                Code::Down => Action::Down,
                Code::PageUp => Action::PageUp,
                _ => Action::PageDown,
            };
            if let Some(sel) = moved(list.selected, list.visible().len(), a, page) {
                list.selected = sel;
                list.clamp(page);
            }
        }
        _ => match list.input.handle(key) {
            Edit::Changed => {
                let query = list.input.text().to_string();
                list.set_query(&query);
            }
            Edit::Moved => {}
            Edit::Ignored => return false,
        },
    }
    true
}

/// Makes sure the list is loaded (or loading).
pub fn ensure_loaded(list: &ListView, out: &mut Effects) {
    if list.stale {
        if list.data.is_none() {
            out.load(Job::ListHead(list.kind));
        }
        out.load(Job::List(list.kind));
    }
}

/// Draws the list of `kind`.
pub fn render(list: &ListView, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let kind = list.kind;
    let count = match &list.data {
        Some(d) if list.filter.is_active() => {
            format!(" {} of {} ", list.visible().len(), d.rows.len())
        }
        Some(d) if d.head => format!(" first {}, loading the rest… ", d.rows.len()),
        Some(d) => format!(" {} ", d.rows.len()),
        None => String::new(),
    };
    let title = format!(" {} ", ViewId::List(kind).title());
    let block = panel(title, th, true).title_bottom(ratatui::text::Line::from(count).right_aligned().style(th.muted));
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(data) = &list.data else {
        line(
            buf,
            inner.x + 1,
            inner.y + 1,
            inner.width.saturating_sub(2),
            vec![Span::styled(format!("Loading {}…", kind.plural()), th.muted)],
        );
        return;
    };
    let mut y = inner.y;
    if list.editing || list.filter.is_active() {
        let query = if list.editing {
            list.input.with_bar()
        } else {
            list.input.text().to_string()
        };
        line(
            buf,
            inner.x,
            y,
            inner.width,
            vec![Span::styled(" / ", th.key), Span::styled(query, th.text)],
        );
        y += 1;
    }
    let cols = columns(kind);
    let widths = column_widths(cols, inner.width);
    let header: Vec<Span> = cols
        .iter()
        .zip(&widths)
        .enumerate()
        .flat_map(|(i, (c, w))| {
            let mark = match list.sort {
                Some((s, desc)) if s == i => {
                    if desc {
                        "▼"
                    } else {
                        "▲"
                    }
                }
                _ => "",
            };
            [
                Span::raw(" "),
                Span::styled(pad(&format!("{}{mark}", c.title), *w, c.right), th.heading),
            ]
        })
        .collect();
    line(buf, inner.x, y, inner.width, header);
    y += 1;
    let rows_h = usize::from(inner.bottom().saturating_sub(y));
    let visible = list.visible();
    if visible.is_empty() {
        let msg = if list.filter.is_active() {
            "Nothing matches the filter (Esc clears it)"
        } else {
            "No records yet (n creates one)"
        };
        line(
            buf,
            inner.x + 1,
            y,
            inner.width.saturating_sub(2),
            vec![Span::styled(msg, th.muted)],
        );
        return;
    }
    let offset = scrolled(list.offset, list.selected, rows_h);
    for (i, row_idx) in visible.iter().enumerate().skip(offset).take(rows_h) {
        let Some(row) = data.rows.get(*row_idx as usize) else {
            continue;
        };
        let yy = y + u16::try_from(i - offset).unwrap_or(0);
        let selected = i == list.selected;
        let spans: Vec<Span> = cols
            .iter()
            .zip(&widths)
            .zip(row.cells.iter())
            .flat_map(|((c, w), text)| {
                let style = if c.right { th.money } else { th.text };
                [Span::raw(" "), Span::styled(pad(text, *w, c.right), style)]
            })
            .collect();
        line(buf, inner.x, yy, inner.width, spans);
        if selected {
            fill(buf, Rect::new(inner.x, yy, inner.width, 1), th.selection);
        }
    }
}

/// Fixed columns (dates, amounts) get their width; the others share what is left in
/// proportion to theirs. If even the fixed ones do not fit, everything shrinks evenly.
fn column_widths(cols: &[crate::tui::rows::Column], width: u16) -> Vec<usize> {
    let avail = width.saturating_sub(1 + u16::try_from(cols.len()).unwrap_or(0));
    let fixed: u16 = cols.iter().filter(|c| c.fixed).map(|c| c.width).sum();
    let flexible: u16 = cols.iter().filter(|c| !c.fixed).map(|c| c.width).sum();
    if fixed >= avail || flexible == 0 {
        let total: u16 = cols.iter().map(|c| c.width).sum();
        return cols
            .iter()
            .map(|c| usize::from(c.width * avail / total.max(1)))
            .collect();
    }
    let rest = avail - fixed;
    cols.iter()
        .map(|c| usize::from(if c.fixed { c.width } else { c.width * rest / flexible }))
        .collect()
}
