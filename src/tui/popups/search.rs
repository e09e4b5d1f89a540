//! Global search over every record's search fields (`app::search`: the syntax and
//! ranking of the list filter and `list -s`).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Clear, Widget};

use crate::app::App;
use crate::model::{EntityKind, Id};
use crate::tui::action::Action;
use crate::tui::ctx::Ctx;
use crate::tui::effect::{Effect, Effects};
use crate::tui::filter::Filter;
use crate::tui::input::{Edit, TextInput};
use crate::tui::keys::{Code, KeyPress};
use crate::tui::load::search::Titles;
use crate::tui::widgets::{centered, fill, fit, line, moved, panel, query_line, scrolled};

/// How many results get their proper name looked up.
const SHOWN: usize = 200;

/// How many of the matches are ranked (the rest are only counted): sorting 400k
/// matches of a first letter costs more than a keystroke may.
pub const RANKED: usize = 1_000;

/// The search popup's state.
#[derive(Debug)]
pub struct Search {
    /// Typed text.
    pub input: TextInput,
    /// The index, once loaded.
    pub titles: Option<Titles>,
    filter: Filter,
    /// Best results with their names: (kind, id, name).
    pub shown: Vec<(EntityKind, Id, String)>,
    /// Beside each shown result: the field it matched in ("city", "phones").
    pub why: Vec<String>,
    /// How many records match in all.
    pub total: usize,
    /// Selected result.
    pub selected: usize,
}

impl Default for Search {
    fn default() -> Self {
        Self {
            input: TextInput::default(),
            titles: None,
            filter: Filter::with_limit(RANKED),
            shown: Vec::new(),
            why: Vec::new(),
            total: 0,
            selected: 0,
        }
    }
}

impl Search {
    /// The best matching records, best first (at most [`RANKED`]; `shown` holds the
    /// first few with names).
    pub fn matches(&self) -> Vec<(EntityKind, Id)> {
        let Some(t) = &self.titles else { return Vec::new() };
        if !self.filter.is_active() {
            return Vec::new();
        }
        self.filter
            .ranked()
            .iter()
            .filter_map(|i| t.items.get(*i as usize).copied())
            .collect()
    }

    /// Re-runs the query and looks up the names of the best results.
    pub fn refresh(&mut self, app: &App) {
        self.shown.clear();
        self.why.clear();
        self.selected = 0;
        self.total = 0;
        let Some(t) = &self.titles else { return };
        if self.input.text().trim().is_empty() {
            self.filter.clear();
            return;
        }
        self.filter.set_query(self.input.text(), &t.hay, &t.base);
        self.total = self.filter.total();
        let best: Vec<u32> = self.filter.ranked().iter().take(SHOWN).copied().collect();
        for i in best {
            if let Some((kind, id)) = t.items.get(i as usize) {
                self.shown.push((*kind, *id, app.title(*kind, *id)));
                let field = t
                    .hay
                    .get(i)
                    .and_then(|h| self.filter.why(h))
                    .and_then(|f| crate::app::search::fields(*kind).get(f));
                self.why
                    .push(field.map(|f| crate::app::search::field_label(f)).unwrap_or_default());
            }
        }
    }
}

/// Keys while search is open.
pub fn handle_key(s: &mut Search, cx: &Ctx, key: KeyPress, out: &mut Effects) {
    let page = cx.page();
    let app = cx.app;
    match key.code {
        Code::Esc => out.push(Effect::Pop),
        Code::Enter => {
            let chosen = s.shown.get(s.selected).map(|(k, id, _)| (*k, *id));
            if let Some((kind, id)) = chosen {
                out.push(Effect::Pop);
                out.open(kind, id);
            }
        }
        Code::Up | Code::Down | Code::PageUp | Code::PageDown => {
            let a = match key.code {
                Code::Up => Action::Up,
                Code::Down => Action::Down,
                Code::PageUp => Action::PageUp,
                _ => Action::PageDown,
            };
            s.selected = moved(s.selected, s.shown.len(), a, page).unwrap_or(0);
        }
        _ => {
            if s.input.handle(key) == Edit::Changed {
                s.refresh(app);
            }
        }
    }
}

/// Draws the search popup.
pub fn render(s: &Search, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let r = centered(area, 76, area.height.saturating_sub(4));
    Clear.render(r, buf);
    let count = if s.titles.is_none() {
        "indexing…".to_string()
    } else {
        format!("{} found", s.total)
    };
    let block = panel(format!(" Search every record · {count} "), th, true);
    let inner = block.inner(r);
    block.render(r, buf);
    query_line(buf, inner, " ⌕ ", &s.input, th);
    if s.input.is_empty() {
        line(
            buf,
            inner.x + 1,
            inner.y + 2,
            inner.width,
            vec![Span::styled(
                "Type a name, e-mail, phone, SKU, quote number, city, note…",
                th.muted,
            )],
        );
        return;
    }
    let h = usize::from(inner.height.saturating_sub(1));
    let offset = scrolled(0, s.selected, h);
    for (i, (kind, _, name)) in s.shown.iter().enumerate().skip(offset).take(h) {
        let y = inner.y + 1 + u16::try_from(i - offset).unwrap_or(0);
        let why = s.why.get(i).map_or("", String::as_str);
        let why_w = if why.is_empty() { 0 } else { why.chars().count() + 4 };
        line(
            buf,
            inner.x,
            y,
            inner.width,
            vec![
                Span::styled(format!(" {:<12}", kind.name()), th.muted),
                Span::styled(fit(name, usize::from(inner.width).saturating_sub(14 + why_w)), th.text),
            ],
        );
        if !why.is_empty() {
            let x = inner.right().saturating_sub(u16::try_from(why_w).unwrap_or(0));
            line(
                buf,
                x,
                y,
                u16::try_from(why_w).unwrap_or(0),
                vec![Span::styled(format!(" · {why}"), th.muted)],
            );
        }
        if i == s.selected {
            fill(buf, Rect::new(inner.x, y, inner.width, 1), th.selection);
        }
    }
}
