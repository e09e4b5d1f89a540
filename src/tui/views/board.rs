//! The pipeline board: one column per stage with count and sum, deal cards, keys that
//! move the selected deal a stage on or back (through `App::step_stage`, so the change
//! goes through the store's one write path), filters by owner and close period.

use chrono::{Datelike, Duration, NaiveDate};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Widget;
use rust_decimal::Decimal;

use crate::app::dashboard::{Deal, month_start, next_month};
use crate::model::EntityKind;
use crate::model::stage::{Pipeline, StageState};
use crate::tui::action::Action;
use crate::tui::ctx::Ctx;
use crate::tui::effect::{Effect, Effects, FormRequest, Level};
use crate::tui::journal::Step;
use crate::tui::widgets::{fill, fit, line, panel, placeholder, scrolled, short_amount};

/// Which close dates the board shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Period {
    /// Every deal.
    #[default]
    All,
    /// Closing this month.
    ThisMonth,
    /// Closing this quarter.
    ThisQuarter,
    /// Closing in the next 90 days.
    Next90,
    /// Close date passed.
    Overdue,
}

impl Period {
    const ALL: [Self; 5] = [
        Self::All,
        Self::ThisMonth,
        Self::ThisQuarter,
        Self::Next90,
        Self::Overdue,
    ];

    /// Name in the board title.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::All => "any close date",
            Self::ThisMonth => "closing this month",
            Self::ThisQuarter => "closing this quarter",
            Self::Next90 => "closing in 90 days",
            Self::Overdue => "close date passed",
        }
    }

    /// Whether a close date is in the period as seen on `today`.
    #[must_use]
    pub fn contains(self, close: Option<NaiveDate>, today: NaiveDate) -> bool {
        let Some(c) = close else {
            return self == Self::All;
        };
        match self {
            Self::All => true,
            Self::ThisMonth => c >= month_start(today) && c < next_month(today),
            Self::ThisQuarter => {
                let q0 = NaiveDate::from_ymd_opt(today.year(), (today.month0() / 3) * 3 + 1, 1).unwrap_or(today);
                let q1 = next_month(next_month(next_month(q0)));
                c >= q0 && c < q1
            }
            Self::Next90 => c >= today && c <= today + Duration::days(90),
            Self::Overdue => c < today,
        }
    }
}

/// The board's state.
#[derive(Clone, Debug)]
pub struct BoardView {
    /// Every deal, once loaded.
    pub deals: Option<Vec<Deal>>,
    /// Only this owner's deals.
    pub owner: Option<String>,
    /// Only deals closing in this period.
    pub period: Period,
    /// Selected column (stage).
    pub col: usize,
    /// Selected card per column.
    pub rows: Vec<usize>,
    /// First visible card per column.
    pub offsets: Vec<usize>,
    /// Must load again.
    pub stale: bool,
    /// Closed stages (won, lost) show as a count and a sum unless selected.
    pub fold_closed: bool,
}

impl Default for BoardView {
    fn default() -> Self {
        Self {
            deals: None,
            owner: None,
            period: Period::All,
            col: 0,
            rows: Vec::new(),
            offsets: Vec::new(),
            stale: false,
            fold_closed: true,
        }
    }
}

impl BoardView {
    /// Frees the deals of a board no longer shown (about 9 MB at 37.5k deals; they load
    /// again in about 130 ms when it is shown): the column, cards and filters stay.
    pub fn unload(&mut self) {
        self.deals = None;
    }

    /// The deals of stage `col` passing the filters, soonest close first.
    #[must_use]
    pub fn column<'a>(&'a self, pipeline: &Pipeline, col: usize, today: NaiveDate) -> Vec<&'a Deal> {
        let Some(stage) = pipeline.stages.get(col) else {
            return Vec::new();
        };
        let mut out: Vec<&Deal> = self
            .deals
            .iter()
            .flatten()
            .filter(|d| d.stage == stage.name)
            .filter(|d| self.owner.as_ref().is_none_or(|o| d.owner.as_ref() == Some(o)))
            .filter(|d| self.period.contains(d.close, today))
            .collect();
        out.sort_by(|a, b| {
            a.close
                .cmp(&b.close)
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.account.cmp(&b.account))
                .then_with(|| b.amount.cmp(&a.amount))
                .then_with(|| a.id.cmp(&b.id))
        });
        out
    }

    /// The selected deal.
    #[must_use]
    pub fn selected<'a>(&'a self, pipeline: &Pipeline, today: NaiveDate) -> Option<&'a Deal> {
        let row = self.rows.get(self.col).copied().unwrap_or(0);
        self.column(pipeline, self.col, today).get(row).copied()
    }

    fn fit_rows(&mut self, n: usize) {
        self.rows.resize(n, 0);
        self.offsets.resize(n, 0);
    }

    fn owners(&self) -> Vec<String> {
        let mut o: Vec<String> = self.deals.iter().flatten().filter_map(|d| d.owner.clone()).collect();
        o.sort();
        o.dedup();
        o
    }
}

/// Cards per column that fit on screen.
fn cards_per_page(cx: &Ctx) -> usize {
    (usize::from(cx.size.1.saturating_sub(7)) / CARD_H).max(1)
}

/// Handles a board action.
pub fn handle(b: &mut BoardView, cx: &Ctx, action: Action, out: &mut Effects) -> bool {
    let pipeline = &cx.app.config.pipeline;
    let today = cx.clock.today();
    let page = cards_per_page(cx);
    let n = pipeline.stages.len();
    b.fit_rows(n);
    let len = b.column(pipeline, b.col, today).len();
    match action {
        Action::Left => b.col = b.col.saturating_sub(1),
        Action::Right => b.col = (b.col + 1).min(n.saturating_sub(1)),
        Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
            let sel = crate::tui::widgets::moved(b.rows[b.col], len, action, page).unwrap_or(0);
            b.rows[b.col] = sel;
            b.offsets[b.col] = scrolled(b.offsets[b.col], sel, page);
        }
        Action::StageNext | Action::StagePrev => {
            step(b, cx, if action == Action::StageNext { 1 } else { -1 }, out);
        }
        Action::FilterOwner => {
            let owners = b.owners();
            b.owner = match &b.owner {
                None => owners.first().cloned(),
                Some(o) => owners.iter().skip_while(|x| *x != o).nth(1).cloned(),
            };
            b.rows.iter_mut().for_each(|r| *r = 0);
            b.offsets.iter_mut().for_each(|r| *r = 0);
            let who = b.owner.clone().unwrap_or_else(|| "every owner".into());
            out.say(format!("Board: {who}"), Level::Info);
        }
        Action::ToggleClosed => {
            b.fold_closed = !b.fold_closed;
            let how = if b.fold_closed {
                "show a count and a sum"
            } else {
                "show their deals"
            };
            out.say(format!("Closed stages {how}"), Level::Info);
        }
        Action::FilterPeriod => {
            let i = Period::ALL.iter().position(|p| *p == b.period).unwrap_or(0);
            b.period = Period::ALL[(i + 1) % Period::ALL.len()];
            b.rows.iter_mut().for_each(|r| *r = 0);
            b.offsets.iter_mut().for_each(|r| *r = 0);
            let name = b.period.name();
            out.say(format!("Board: {name}"), Level::Info);
        }
        Action::Open => {
            if let Some(d) = b.selected(pipeline, today) {
                out.open(crate::model::EntityKind::Opportunity, d.id);
            }
        }
        _ => return false,
    }
    true
}

/// Moves the selected deal one stage on (`+1`) or back (`-1`) and follows it.
fn step(b: &mut BoardView, cx: &Ctx, delta: i32, out: &mut Effects) {
    let pipeline = &cx.app.config.pipeline;
    let today = cx.clock.today();
    let Some(deal) = b.selected(pipeline, today).cloned() else {
        out.say("No deal selected", Level::Info);
        return;
    };
    // A deal is not closed by a slip of the key: a closed stage asks first (and a lost
    // one asks why).
    let target = cx.app.step_target(deal.id, delta).ok().flatten();
    match target.as_deref().and_then(|t| pipeline.find(t)).map(|s| s.state) {
        Some(StageState::Lost) => return out.form(FormRequest::Lose(deal.id, target.unwrap_or_default())),
        Some(StageState::Won) => return out.form(FormRequest::Win(deal.id, target.unwrap_or_default())),
        _ => {}
    }
    let step = Step::before(
        cx.app,
        format!("move '{}' from {}", deal.name, deal.stage),
        &[(EntityKind::Opportunity, deal.id)],
    );
    match cx.app.step_stage(deal.id, delta) {
        Ok(Some(stage)) => {
            match cx.app.deal(deal.id) {
                Ok(Some(fresh)) => {
                    if let Some(d) = b.deals.iter_mut().flatten().find(|d| d.id == deal.id) {
                        *d = fresh;
                    }
                }
                Ok(None) => {}
                Err(e) => out.say(e.to_string(), Level::Error),
            }
            if let Some(col) = pipeline.position(&stage) {
                b.col = col;
                let cards = b.column(pipeline, col, today);
                let pos = cards.iter().position(|d| d.id == deal.id).unwrap_or(0);
                b.rows[col] = pos;
                let page = cards_per_page(cx);
                b.offsets[col] = scrolled(b.offsets[col], pos, page);
            }
            // The board was patched in place; no need to load every deal again.
            out.push(Effect::DealMoved);
            if let Some(step) = step {
                out.push(Effect::Wrote(step));
            }
            out.say(format!("Moved '{}' to {stage}", deal.name), Level::Success);
        }
        Ok(None) => {
            let end = if delta > 0 { "last" } else { "first" };
            out.say(
                format!("'{}' is already in the {end} stage it can move to", deal.name),
                Level::Info,
            );
        }
        Err(e) => out.say(e.to_string(), Level::Error),
    }
}

/// The narrowest an open column gets before columns scroll off the board.
const MIN_COL_W: u16 = 22;
/// The width of a collapsed closed column (name, count, sum).
const FOLDED_W: u16 = 13;
/// Rows per card: deal, account, amount and close date, then a gap.
const CARD_H: usize = 4;

/// `text` cut to `width` columns in the middle ("Iberian …ón S.L."), so both the start
/// and the end of a long name stay readable.
#[must_use]
pub fn fit_middle(text: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if text.width() <= width {
        return text.to_string();
    }
    if width < 5 {
        return fit(text, width);
    }
    let keep = width - 1;
    let (head_w, tail_w) = (keep.div_ceil(2), keep / 2);
    let mut head = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w > head_w {
            break;
        }
        head.push(ch);
        used += w;
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for ch in text.chars().rev() {
        let w = ch.width().unwrap_or(0);
        if used + w > tail_w {
            break;
        }
        tail.push(ch);
        used += w;
    }
    let tail: String = tail.into_iter().rev().collect();
    format!("{}…{}", head.trim_end(), tail.trim_start())
}

/// One column shown: (stage index, x offset, width, folded).
pub type Placed = (usize, u16, u16, bool);

/// Where the columns go at a width: each column shown, and how many open stages are
/// scrolled off to the left and right.
#[must_use]
pub fn layout(b: &BoardView, pipeline: &Pipeline, width: u16) -> (Vec<Placed>, usize, usize) {
    let n = pipeline.stages.len();
    if n == 0 {
        return (Vec::new(), 0, 0);
    }
    let folded =
        |i: usize| b.fold_closed && i != b.col && pipeline.stages.get(i).is_some_and(|s| s.state != StageState::Open);
    let wide: Vec<usize> = (0..n).filter(|i| !folded(*i)).collect();
    let narrow = u16::try_from(n - wide.len()).unwrap_or(0);
    let room = width.saturating_sub(narrow * FOLDED_W);
    let fit_cols = usize::from((room / MIN_COL_W).max(1)).min(wide.len().max(1));
    let pos = wide.iter().position(|i| *i == b.col).unwrap_or(0);
    let first = pos
        .saturating_sub(fit_cols - 1)
        .min(wide.len().saturating_sub(fit_cols));
    let shown: Vec<usize> = wide.iter().skip(first).take(fit_cols).copied().collect();
    let left = first;
    let right = wide.len().saturating_sub(first + shown.len());
    let col_w = room / u16::try_from(shown.len().max(1)).unwrap_or(1);
    let mut out = Vec::new();
    let mut x = 0u16;
    let cols: Vec<usize> = (0..n).filter(|i| shown.contains(i) || folded(*i)).collect();
    let last = cols.last().copied();
    for i in cols {
        let f = folded(i);
        let w = if Some(i) == last {
            width.saturating_sub(x)
        } else if f {
            FOLDED_W
        } else {
            col_w
        };
        out.push((i, x, w, f));
        x += w;
    }
    (out, left, right)
}

/// "‹ 2 stages" / "1 stage ›".
fn more(n: usize, left: bool) -> String {
    let word = if n == 1 { "stage" } else { "stages" };
    if left {
        format!(" ‹ {n} more {word} ")
    } else {
        format!(" {n} more {word} › ")
    }
}

/// Draws the board.
pub fn render(b: &BoardView, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let pipeline = &cx.app.config.pipeline;
    let today = cx.clock.today();
    let who = b.owner.clone().unwrap_or_else(|| "every owner".into());
    let mut block = panel(format!(" Pipeline · {who} · {} ", b.period.name()), th, true);
    let (cols, left, right) = layout(b, pipeline, area.width.saturating_sub(2));
    if left > 0 {
        block = block.title_bottom(
            ratatui::text::Line::from(more(left, true))
                .style(th.accent)
                .left_aligned(),
        );
    }
    if right > 0 {
        block = block.title_bottom(
            ratatui::text::Line::from(more(right, false))
                .style(th.accent)
                .right_aligned(),
        );
    }
    let inner = block.inner(area);
    block.render(area, buf);
    if b.deals.is_none() {
        placeholder(buf, inner, "Loading deals…", th.muted);
        return;
    }
    let currency = &cx.app.config.currency;
    let page = (usize::from(inner.height.saturating_sub(3)) / CARD_H).max(1);
    for (i, &(col, dx, w, folded)) in cols.iter().enumerate() {
        let x = inner.x + dx;
        let cards = b.column(pipeline, col, today);
        let sum: Decimal = cards.iter().filter(|d| &d.currency == currency).map(|d| d.amount).sum();
        let name = pipeline.stages.get(col).map_or("", |s| s.name.as_str());
        let selected_col = col == b.col;
        let head = if selected_col { th.accent } else { th.heading };
        let cw = usize::from(w.saturating_sub(2));
        line(
            buf,
            x + 1,
            inner.y,
            w.saturating_sub(1),
            vec![Span::styled(fit(name, cw), head)],
        );
        if i > 0 {
            for y in inner.y..inner.bottom() {
                buf[(x, y)].set_symbol("│").set_style(th.border);
            }
        }
        if folded {
            let deals = if cards.len() == 1 { "deal" } else { "deals" };
            line(
                buf,
                x + 1,
                inner.y + 1,
                w.saturating_sub(1),
                vec![Span::styled(fit(&format!("{} {deals}", cards.len()), cw), th.muted)],
            );
            line(
                buf,
                x + 1,
                inner.y + 2,
                w.saturating_sub(1),
                vec![Span::styled(
                    fit(&format!("{} {currency}", short_amount(sum)), cw),
                    th.money,
                )],
            );
            continue;
        }
        line(
            buf,
            x + 1,
            inner.y + 1,
            w.saturating_sub(1),
            vec![Span::styled(
                fit(&format!("{} · {}", cards.len(), short_amount(sum)), cw),
                th.muted,
            )],
        );
        let sel = b.rows.get(col).copied().unwrap_or(0);
        let offset = scrolled(b.offsets.get(col).copied().unwrap_or(0), sel, page);
        for (k, d) in cards.iter().enumerate().skip(offset).take(page) {
            let y = inner.y + 3 + u16::try_from((k - offset) * CARD_H).unwrap_or(0);
            if y + 2 >= inner.bottom() {
                break;
            }
            let close = d
                .close
                .map_or_else(|| "no date".into(), |c| c.format("%d %b").to_string());
            let late = d.close.is_some_and(|c| c < today)
                && pipeline.stages.get(col).is_some_and(|s| s.state == StageState::Open);
            line(
                buf,
                x + 1,
                y,
                w - 1,
                vec![Span::styled(fit_middle(&d.name, cw), th.text)],
            );
            line(
                buf,
                x + 1,
                y + 1,
                w - 1,
                vec![Span::styled(fit_middle(&d.account, cw), th.muted)],
            );
            let amount = if &d.currency == currency {
                short_amount(d.amount)
            } else {
                format!("{} {}", short_amount(d.amount), d.currency)
            };
            line(
                buf,
                x + 1,
                y + 2,
                w - 1,
                vec![
                    Span::styled(amount, th.money),
                    Span::styled(" · ", th.muted),
                    Span::styled(close, if late { th.warning } else { th.muted }),
                ],
            );
            if selected_col && k == sel {
                fill(buf, Rect::new(x + 1, y, w.saturating_sub(1), 3), th.selection);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_lose_their_middle_not_their_end() {
        assert_eq!(fit_middle("Iberian Foods Distribución S.L.", 16), "Iberian…ón S.L.");
        assert_eq!(fit_middle("Acme", 16), "Acme");
        assert_eq!(fit_middle("東京都港区六本木", 9), "東京…本木");
        assert_eq!(fit_middle("abcdefgh", 4), "abc…");
    }

    #[test]
    fn columns_that_do_not_fit_scroll_and_are_counted() {
        let pipeline = Pipeline::default();
        let mut b = BoardView::default();
        // Folded: both closed stages are narrow; two open stages fit in 78 columns.
        let (cols, left, right) = layout(&b, &pipeline, 78);
        assert_eq!(cols.iter().map(|c| c.0).collect::<Vec<_>>(), vec![0, 1, 5, 6]);
        assert_eq!((left, right), (0, 3));
        assert_eq!(cols.iter().map(|c| c.2).sum::<u16>(), 78, "the columns fill the width");
        // Selecting the last open stage scrolls.
        b.col = 4;
        let (cols, left, right) = layout(&b, &pipeline, 78);
        assert_eq!(cols.iter().map(|c| c.0).collect::<Vec<_>>(), vec![3, 4, 5, 6]);
        assert_eq!((left, right), (3, 0));
        // A selected closed stage opens; unfolded, every stage takes a full column.
        b.col = 6;
        let (cols, _, _) = layout(&b, &pipeline, 78);
        assert!(cols.iter().any(|c| c.0 == 6 && !c.3));
        b.fold_closed = false;
        let (cols, left, right) = layout(&b, &pipeline, 118);
        assert_eq!(cols.len(), 5);
        assert_eq!((left, right), (2, 0));
    }
}
