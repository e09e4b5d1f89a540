//! One record in detail: its fields on the left; on the right, tabs with the activity
//! timeline and related records (`[`/`]` switch tabs, Enter opens one).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::Widget;

use crate::model::{EntityKind, Id};
use crate::tui::action::Action;
use crate::tui::ctx::Ctx;
use crate::tui::effect::{Effect, Effects};
use crate::tui::load::detail::{DetailData, HELD_LABEL, Item, Tab};
use crate::tui::views::quote::QuoteView;
use crate::tui::widgets::{capital, fill, fit, line, moved, pad, panel, placeholder, scrolled};

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
    /// A quote opens in the quote editor instead of the fields and tabs.
    pub quote: Option<QuoteView>,
}

impl DetailView {
    /// A record to show, not loaded yet.
    #[must_use]
    pub fn new(kind: EntityKind, id: Id) -> Self {
        Self {
            kind,
            id,
            data: None,
            tab: 0,
            selected: 0,
            offset: 0,
            quote: None,
        }
    }

    /// A quote in the quote editor, not loaded yet.
    #[must_use]
    pub fn quote(id: Id) -> Self {
        Self {
            quote: Some(QuoteView::new(id)),
            ..Self::new(EntityKind::Quote, id)
        }
    }

    /// The selected related item.
    #[must_use]
    pub fn selected_item(&self) -> Option<&Item> {
        self.data.as_ref()?.tabs.get(self.tab)?.items.get(self.selected)
    }
}

/// Kinds that have no detail view (yet).
#[must_use]
pub fn shown(kind: EntityKind) -> bool {
    !matches!(kind, EntityKind::QuoteLine | EntityKind::User)
}

/// Handles an action in the top detail view.
pub fn handle(d: &mut DetailView, cx: &Ctx, action: Action, out: &mut Effects) -> bool {
    let page = cx.page().saturating_sub(2);
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
            // Rows about the record itself (a product's price book) open nothing.
            if let Some(item) = d.selected_item().cloned().filter(|i| (i.kind, i.id) != (d.kind, d.id)) {
                out.open(item.kind, item.id);
            }
            true
        }
        Action::Close | Action::Quit => {
            out.push(Effect::CloseDetail);
            true
        }
        _ => false,
    }
}

/// Draws the top detail view.
pub fn render(d: &DetailView, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
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
