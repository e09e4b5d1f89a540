//! Global search over every record's search fields (`app::search`: the syntax and
//! ranking of the list filter and `list -s`).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Clear, Widget};

use crate::model::{EntityKind, Id};
use crate::tui::action::Action;
use crate::tui::ctx::Ctx;
use crate::tui::effect::{Effect, Effects};
use crate::tui::input::{Edit, TextInput};
use crate::tui::jobs::Job;
use crate::tui::keys::{Code, KeyPress};
#[cfg(doc)]
use crate::tui::load::search::RANKED;
use crate::tui::load::search::{Found, Searcher};
use crate::tui::widgets::{centered, fill, fit, line, moved, panel, query_line, scrolled};

/// The search popup's state.
#[derive(Debug, Default)]
pub struct Search {
    /// Typed text.
    pub input: TextInput,
    /// The index, once loaded, and the worker's filter over it.
    pub searcher: Option<Searcher>,
    /// What the last query scored found (its `query` is behind the input while a newer
    /// query is scored).
    pub found: Found,
    /// Selected result.
    pub selected: usize,
    /// Enter was pressed before the typed query was answered: its best result opens
    /// when the answer comes.
    open_on_answer: bool,
}

impl Search {
    /// The best matching records, best first (at most [`RANKED`]; the first few are
    /// shown with names).
    #[must_use]
    pub fn matches(&self) -> &[(EntityKind, Id)] {
        &self.found.matches
    }

    /// The shown results: (kind, id, name).
    #[must_use]
    pub fn shown(&self) -> &[(EntityKind, Id, String)] {
        &self.found.shown
    }

    /// Beside each shown result, the field it matched in.
    #[must_use]
    pub fn why(&self) -> &[String] {
        &self.found.why
    }

    /// How many records match in all.
    #[must_use]
    pub fn total(&self) -> usize {
        self.found.total
    }

    /// Whether the results shown are for an older query than the one typed (or the
    /// index is still loading).
    #[must_use]
    pub fn searching(&self) -> bool {
        self.found.query != self.input.text()
    }

    /// The job that scores the typed query, or none: no index yet, or an empty query,
    /// whose (empty) results are set at once.
    pub fn ask(&mut self) -> Option<Job> {
        let searcher = self.searcher.as_ref()?;
        if self.input.text().trim().is_empty() {
            searcher.supersede();
            self.found = Found {
                query: self.input.text().to_string(),
                ..Found::default()
            };
            self.selected = 0;
            return None;
        }
        Some(Job::Search(searcher.ask(self.input.text())))
    }

    /// Takes in what a query found, unless the input has changed since it was asked.
    /// Returns the record to open when Enter was pressed while it was scored.
    #[must_use]
    pub fn set_found(&mut self, found: Found) -> Option<(EntityKind, Id)> {
        if found.query != self.input.text() {
            return None;
        }
        // The same query answered again (after a write): the selection stays.
        if found.query != self.found.query {
            self.selected = 0;
        }
        self.found = found;
        self.selected = self.selected.min(self.found.shown.len().saturating_sub(1));
        if !std::mem::take(&mut self.open_on_answer) {
            return None;
        }
        self.shown().get(self.selected).map(|(k, id, _)| (*k, *id))
    }
}

/// Keys while search is open.
pub fn handle_key(s: &mut Search, cx: &Ctx, key: KeyPress, out: &mut Effects) {
    let page = cx.page();
    match key.code {
        Code::Esc => out.push(Effect::Pop),
        // Typed and entered before the answer came: the answer opens its best result.
        Code::Enter if s.searching() => s.open_on_answer = true,
        Code::Enter => {
            let chosen = s.shown().get(s.selected).map(|(k, id, _)| (*k, *id));
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
            s.selected = moved(s.selected, s.shown().len(), a, page).unwrap_or(0);
        }
        _ => {
            if s.input.handle(key) == Edit::Changed {
                s.open_on_answer = false;
                if let Some(job) = s.ask() {
                    out.push(Effect::Load(job));
                }
            }
        }
    }
}

/// Draws the search popup.
pub fn render(s: &Search, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let r = centered(area, 76, area.height.saturating_sub(4));
    Clear.render(r, buf);
    let count = if s.searcher.is_none() {
        "indexing…".to_string()
    } else if s.searching() {
        "searching…".to_string()
    } else {
        format!("{} found", s.total())
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
    for (i, (kind, _, name)) in s.shown().iter().enumerate().skip(offset).take(h) {
        let y = inner.y + 1 + u16::try_from(i - offset).unwrap_or(0);
        let why = s.why().get(i).map_or("", String::as_str);
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
