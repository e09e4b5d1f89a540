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
#[derive(Clone, Debug, Default)]
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
}

impl BoardView {
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
    (usize::from(cx.size.1.saturating_sub(7)) / 3).max(1)
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

/// Draws the board.
pub fn render(b: &BoardView, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let pipeline = &cx.app.config.pipeline;
    let today = cx.clock.today();
    let who = b.owner.clone().unwrap_or_else(|| "every owner".into());
    let block = panel(format!(" Pipeline · {who} · {} ", b.period.name()), th, true);
    let inner = block.inner(area);
    block.render(area, buf);
    if b.deals.is_none() {
        placeholder(buf, inner, "Loading deals…", th.muted);
        return;
    }
    let n = pipeline.stages.len();
    let min_w = 19u16;
    let fit_cols = usize::from((inner.width / min_w).max(1)).min(n);
    let first = b.col.saturating_sub(fit_cols - 1).min(n - fit_cols);
    let col_w = inner.width / u16::try_from(fit_cols).unwrap_or(1);
    let currency = &cx.app.config.currency;
    let page = usize::from(inner.height.saturating_sub(3)) / 3;
    for (i, col) in (first..first + fit_cols).enumerate() {
        let x = inner.x + col_w * u16::try_from(i).unwrap_or(0);
        let w = if i + 1 == fit_cols { inner.right() - x } else { col_w };
        let cards = b.column(pipeline, col, today);
        let sum: Decimal = cards.iter().filter(|d| &d.currency == currency).map(|d| d.amount).sum();
        let name = pipeline.stages.get(col).map_or("", |s| s.name.as_str());
        let selected_col = col == b.col;
        let head = if selected_col { th.accent } else { th.heading };
        let cw = usize::from(w.saturating_sub(2));
        line(buf, x + 1, inner.y, w - 1, vec![Span::styled(fit(name, cw), head)]);
        line(
            buf,
            x + 1,
            inner.y + 1,
            w - 1,
            vec![Span::styled(
                fit(&format!("{} · {}", cards.len(), short_amount(sum)), cw),
                th.muted,
            )],
        );
        if i > 0 {
            for y in inner.y..inner.bottom() {
                buf[(x, y)].set_symbol("│").set_style(th.border);
            }
        }
        let sel = b.rows.get(col).copied().unwrap_or(0);
        let offset = scrolled(b.offsets.get(col).copied().unwrap_or(0), sel, page.max(1));
        for (k, d) in cards.iter().enumerate().skip(offset).take(page.max(1)) {
            let y = inner.y + 3 + u16::try_from((k - offset) * 3).unwrap_or(0);
            if y + 1 >= inner.bottom() {
                break;
            }
            let close = d
                .close
                .map_or_else(|| "no date".into(), |c| c.format("%d %b").to_string());
            let late = d.close.is_some_and(|c| c < today)
                && pipeline
                    .stages
                    .get(col)
                    .is_some_and(|s| s.state == crate::model::stage::StageState::Open);
            line(buf, x + 1, y, w - 1, vec![Span::styled(fit(&d.name, cw), th.text)]);
            let right = format!("{} {}", short_amount(d.amount), close);
            let right_w = right.chars().count();
            line(
                buf,
                x + 1,
                y + 1,
                w - 1,
                vec![Span::styled(fit(&d.account, cw.saturating_sub(right_w + 1)), th.muted)],
            );
            let rx = x + w.saturating_sub(u16::try_from(right.chars().count()).unwrap_or(0) + 1);
            line(
                buf,
                rx,
                y + 1,
                w,
                vec![
                    Span::styled(short_amount(d.amount), th.money),
                    Span::raw(" "),
                    Span::styled(close, if late { th.warning } else { th.muted }),
                ],
            );
            if selected_col && k == sel {
                fill(buf, Rect::new(x + 1, y, w.saturating_sub(1), 2), th.selection);
            }
        }
    }
}
