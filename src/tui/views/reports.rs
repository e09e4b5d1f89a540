//! The reports view: the list of reports on the left; the chosen one on the right, its
//! charts (ratatui bar charts and sparklines) above its table. Every row carries the
//! records behind it: enter opens the record, or a list of them when there are several
//! (enter there opens one, esc goes back). The figures are computed by a job, off the UI
//! thread ([`crate::tui::load::reports`]).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Sparkline, Widget};

use crate::model::{EntityKind, Id};
use crate::tui::action::Action;
use crate::tui::ctx::Ctx;
use crate::tui::effect::{Effects, Level};
use crate::tui::jobs::Job;
use crate::tui::load::reports::{Chart, NAMES, ReportsData, Table};
use crate::tui::widgets::{fill, fit, line, moved, pad, panel, placeholder, scrolled};

/// Most records listed behind one row.
pub const MOST_LISTED: usize = 500;

/// The records behind one row, listed to choose from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Drill {
    /// The row's first cell, as the list's title.
    pub title: String,
    /// (kind, id, what the record is called).
    pub items: Vec<(EntityKind, Id, String)>,
    /// Records behind the row beyond [`MOST_LISTED`].
    pub more: usize,
    /// Selected item.
    pub selected: usize,
    /// First visible item.
    pub offset: usize,
}

/// The view's state.
#[derive(Clone, Debug, Default)]
pub struct ReportsView {
    /// The computed reports.
    pub data: Option<ReportsData>,
    /// The report shown (index in [`NAMES`]).
    pub report: usize,
    /// Selected row per report.
    pub selected: Vec<usize>,
    /// First visible row of the shown report.
    pub offset: usize,
    /// The records behind a row, when several were asked for.
    pub drill: Option<Drill>,
    /// Must compute again (something was written).
    pub stale: bool,
}

impl ReportsView {
    /// The report shown.
    #[must_use]
    pub fn table(&self) -> Option<&Table> {
        self.data.as_ref()?.tables.get(self.report)
    }

    /// The selected row's index in the shown report.
    #[must_use]
    pub fn row(&self) -> usize {
        self.selected.get(self.report).copied().unwrap_or(0)
    }

    /// The record the quick actions work on: the drilled record, else the selected
    /// row's first record.
    #[must_use]
    pub fn selected_record(&self) -> Option<(EntityKind, Id)> {
        if let Some(d) = &self.drill {
            return d.items.get(d.selected).map(|(k, id, _)| (*k, *id));
        }
        self.table()?.rows.get(self.row())?.records.first().copied()
    }

    /// Frees the computed reports of a view no longer shown (at 100k contacts they hold
    /// about 40 MB: the rows of the per-account reports and the records behind every
    /// row); the report shown and the selections stay, and the reports are computed
    /// again when shown.
    pub fn unload(&mut self) {
        if self.data.is_some() {
            self.data = None;
            self.drill = None;
            self.stale = true;
        }
    }

    /// Takes computed reports, keeping the report shown and the selections in range.
    pub fn set_data(&mut self, data: ReportsData) {
        if self.selected.is_empty() {
            self.selected = data.tables.iter().map(|t| t.first).collect();
        }
        self.selected.resize(data.tables.len(), 0);
        for (sel, t) in self.selected.iter_mut().zip(&data.tables) {
            *sel = (*sel).min(t.rows.len().saturating_sub(1));
        }
        self.report = self.report.min(data.tables.len().saturating_sub(1));
        self.data = Some(data);
        self.stale = false;
    }

    fn select(&mut self, row: usize) {
        if self.selected.len() <= self.report {
            self.selected.resize(self.report + 1, 0);
        }
        self.selected[self.report] = row;
    }
}

/// Makes sure the reports are computed (or being computed).
pub fn ensure_loaded(v: &ReportsView, out: &mut Effects) {
    if v.data.is_none() || v.stale {
        out.load(Job::Reports);
    }
}

/// Rows of the table that fit: the body less the frame, the about line, the header and
/// the charts of the shown report.
fn table_rows(v: &ReportsView, height: u16) -> usize {
    let charts = v.table().map_or(0, |t| chart_height(t, height));
    usize::from(height.saturating_sub(7 + charts)).max(1)
}

/// Handles an action; `false` when it is not the view's.
pub fn handle(v: &mut ReportsView, cx: &Ctx, action: Action, out: &mut Effects) -> bool {
    let page = table_rows(v, cx.size.1);
    if let Some(d) = v.drill.as_mut() {
        if let Some(sel) = moved(d.selected, d.items.len(), action, page) {
            d.selected = sel;
            d.offset = scrolled(d.offset, sel, page);
            return true;
        }
        match action {
            Action::Open => {
                if let Some((kind, id, _)) = d.items.get(d.selected) {
                    out.open(*kind, *id);
                }
                return true;
            }
            Action::Close | Action::Left | Action::PrevTab => {
                v.drill = None;
                return true;
            }
            _ => return false,
        }
    }
    let rows = v.table().map_or(0, |t| t.rows.len());
    if let Some(sel) = moved(v.row(), rows, action, page) {
        v.select(sel);
        v.offset = scrolled(v.offset, sel, page);
        return true;
    }
    match action {
        Action::Right | Action::NextTab => {
            v.report = (v.report + 1) % NAMES.len();
            v.offset = scrolled(0, v.row(), page);
        }
        Action::Left | Action::PrevTab => {
            v.report = (v.report + NAMES.len() - 1) % NAMES.len();
            v.offset = scrolled(0, v.row(), page);
        }
        Action::Open => open_row(v, cx, out),
        _ => return false,
    }
    true
}

/// Opens the records behind the selected row: the record, or a list of them.
fn open_row(v: &mut ReportsView, cx: &Ctx, out: &mut Effects) {
    let Some(t) = v.table() else {
        return out.say("The reports are still being computed", Level::Info);
    };
    let Some(row) = t.rows.get(v.row()) else {
        return out.say(format!("{} has no rows", t.name), Level::Info);
    };
    match row.records.as_slice() {
        [] => out.say("No records behind this row", Level::Info),
        [(kind, id)] => out.open(*kind, *id),
        many => {
            let items = many
                .iter()
                .take(MOST_LISTED)
                .map(|(k, id)| (*k, *id, cx.app.title(*k, *id)))
                .collect();
            v.drill = Some(Drill {
                title: row.cells.iter().take(2).cloned().collect::<Vec<_>>().join(" · "),
                items,
                more: many.len().saturating_sub(MOST_LISTED),
                selected: 0,
                offset: 0,
            });
        }
    }
}

/// Height of the charts of `t` in a body `height` rows high (none on short screens for
/// tables without a chart).
fn chart_height(t: &Table, height: u16) -> u16 {
    if t.charts.is_empty() {
        return 0;
    }
    let each = if height >= 36 { 10 } else { 7 };
    let n = u16::try_from(t.charts.len()).unwrap_or(1);
    (each * n).min(height / 2)
}

/// Draws the view.
pub fn render(v: &ReportsView, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let [list_area, main] = Layout::horizontal([Constraint::Length(16), Constraint::Min(20)]).areas(area);
    let block = panel(" Reports ", th, false);
    let inner = block.inner(list_area);
    block.render(list_area, buf);
    for (i, name) in NAMES.iter().enumerate() {
        let y = inner.y + u16::try_from(i).unwrap_or(0);
        if y >= inner.bottom() {
            break;
        }
        let count = v
            .data
            .as_ref()
            .and_then(|d| d.tables.get(i))
            .map(|t| t.rows.len().to_string())
            .unwrap_or_default();
        let w = usize::from(inner.width);
        let text = format!(
            "{}{}",
            pad(name, w.saturating_sub(count.len() + 1), false),
            pad(&count, count.len() + 1, true)
        );
        let style = if i == v.report { th.selection } else { th.text };
        line(buf, inner.x, y, inner.width, vec![Span::styled(fit(&text, w), style)]);
    }
    let Some(t) = v.table() else {
        let block = panel(format!(" {} ", NAMES.get(v.report).unwrap_or(&"")), th, true);
        let inner = block.inner(main);
        block.render(main, buf);
        placeholder(buf, inner, "Computing the reports…", th.muted);
        return;
    };
    let title = match &v.drill {
        Some(d) => format!(" {} › {} ", t.name, d.title),
        None => format!(" {} ", t.name),
    };
    let block = panel(title, th, true);
    let inner = block.inner(main);
    block.render(main, buf);
    if inner.height < 3 {
        return;
    }
    let about = match &v.drill {
        Some(d) if d.more > 0 => format!(
            "{} records behind this row (the first {MOST_LISTED} listed); enter opens one, esc goes back",
            d.items.len() + d.more
        ),
        Some(d) => format!(
            "{} records behind this row; enter opens one, esc goes back",
            d.items.len()
        ),
        None => t.about.clone(),
    };
    line(
        buf,
        inner.x,
        inner.y,
        inner.width,
        vec![Span::styled(fit(&about, usize::from(inner.width)), th.muted)],
    );
    let body = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    if let Some(d) = &v.drill {
        render_drill(d, cx, body, buf);
        return;
    }
    let charts = chart_height(t, cx.size.1.saturating_sub(2)).min(body.height / 2);
    let [chart_area, table_area] = Layout::vertical([Constraint::Length(charts), Constraint::Min(1)]).areas(body);
    if charts > 0 {
        let parts = Layout::vertical(vec![
            Constraint::Ratio(1, u32::try_from(t.charts.len()).unwrap_or(1));
            t.charts.len()
        ])
        .split(chart_area);
        for (c, a) in t.charts.iter().zip(parts.iter()) {
            render_chart(c, cx, *a, buf);
        }
    }
    render_table(t, v, cx, table_area, buf);
}

fn render_chart(chart: &Chart, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    match chart {
        Chart::Spark { title, values } => {
            let block = Block::default()
                .borders(Borders::TOP)
                .border_style(th.border)
                .title(Line::from(Span::styled(format!(" {title} "), th.heading)));
            let inner = block.inner(area);
            block.render(area, buf);
            let total: u64 = values.iter().sum();
            let label = format!(" total {total}, last week {}", values.last().copied().unwrap_or(0));
            let width = usize::from(inner.width).saturating_sub(label.len()).min(values.len());
            let shown = &values[values.len() - width..];
            let spark_area = Rect {
                width: u16::try_from(width).unwrap_or(0),
                ..inner
            };
            Sparkline::default()
                .data(shown)
                .style(th.chart_weighted)
                .render(spark_area, buf);
            line(
                buf,
                inner.x + spark_area.width,
                inner.bottom().saturating_sub(1),
                inner.width.saturating_sub(spark_area.width),
                vec![Span::styled(label, th.muted)],
            );
        }
        Chart::Bars { title, groups } => {
            let block = Block::default()
                .borders(Borders::TOP)
                .border_style(th.border)
                .title(Line::from(Span::styled(format!(" {title} "), th.heading)));
            let inner = block.inner(area);
            block.render(area, buf);
            let bars: usize = groups.iter().map(|(_, b)| b.len()).sum();
            let gaps = u16::try_from(bars + groups.len()).unwrap_or(u16::MAX);
            let width = (inner.width.saturating_sub(gaps) / u16::try_from(bars.max(1)).unwrap_or(1)).clamp(1, 12);
            let styles = [th.success, th.chart_weighted, th.chart];
            let mut chart = BarChart::default()
                .direction(Direction::Vertical)
                .bar_width(width)
                .bar_gap(if groups.len() > 1 { 0 } else { 1 })
                .group_gap(1)
                .label_style(th.muted)
                .value_style(th.text);
            for (label, values) in groups {
                let bars: Vec<Bar> = values
                    .iter()
                    .enumerate()
                    .map(|(i, (name, value))| {
                        let style: Style = if groups.len() > 1 {
                            styles[i % styles.len()]
                        } else {
                            th.chart_weighted
                        };
                        // A value too wide for its bar is left to the table below.
                        let text = if width >= 4 { compact(*value) } else { String::new() };
                        let bar = Bar::default()
                            .value(*value)
                            .style(style)
                            .text_value(fit(&text, usize::from(width)));
                        if groups.len() > 1 {
                            bar
                        } else {
                            bar.label(Line::from(fit(name, usize::from(width))))
                        }
                    })
                    .collect();
                let group = BarGroup::default().bars(&bars);
                chart = chart.data(if label.is_empty() {
                    group
                } else {
                    group.label(Line::from(label.clone()))
                });
            }
            chart.render(inner, buf);
            let legend: usize = groups
                .first()
                .map_or(0, |(_, v)| v.iter().map(|(n, _)| n.len() + 4).sum::<usize>() + 3);
            if groups.len() > 1
                && title.len() + 6 + legend <= usize::from(area.width)
                && let Some((_, values)) = groups.first()
            {
                let mut spans = vec![Span::styled(" ", th.muted)];
                for (i, (name, _)) in values.iter().enumerate() {
                    spans.push(Span::styled("■ ", styles[i % styles.len()]));
                    spans.push(Span::styled(format!("{name}  "), th.muted));
                }
                let w: u16 = 3 + values
                    .iter()
                    .map(|(n, _)| u16::try_from(n.len() + 4).unwrap_or(0))
                    .sum::<u16>();
                line(buf, inner.right().saturating_sub(w), area.y, w, spans);
            }
        }
    }
}

/// A bar's value in at most four columns: 950, 12k, 1.2M, 34M, 999G, 1T+.
#[must_use]
pub fn compact(v: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let f = v as f64;
    match v {
        0..1_000 => v.to_string(),
        1_000..1_000_000 => format!("{}k", v / 1_000),
        1_000_000..10_000_000 => format!("{:.1}M", f / 1e6),
        10_000_000..1_000_000_000 => format!("{}M", v / 1_000_000),
        1_000_000_000..1_000_000_000_000 => format!("{}G", v / 1_000_000_000),
        _ => "1T+".to_string(),
    }
}

/// Column widths: each column as wide as its widest cell (header included), the first
/// columns taking what is left over and the rest cut when the table is wider than `room`.
fn widths(t: &Table, room: usize) -> Vec<usize> {
    let mut w: Vec<usize> = t.headers.iter().map(|h| h.chars().count()).collect();
    for r in t.rows.iter().take(500) {
        for (i, c) in r.cells.iter().enumerate() {
            if let Some(x) = w.get_mut(i) {
                *x = (*x).max(unicode_width::UnicodeWidthStr::width(c.as_str()).min(40));
            }
        }
    }
    let gaps = w.len().saturating_sub(1);
    let mut total: usize = w.iter().sum::<usize>() + gaps;
    // Cut the widest column until the table fits.
    while total > room {
        let Some((i, widest)) = w.iter().copied().enumerate().max_by_key(|(_, x)| *x) else {
            break;
        };
        if widest <= 4 {
            break;
        }
        w[i] = widest - 1;
        total -= 1;
    }
    w
}

fn render_table(t: &Table, v: &ReportsView, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    if area.height < 2 {
        return;
    }
    let w = widths(t, usize::from(area.width));
    let numeric = |i: usize| {
        t.rows.iter().take(50).all(|r| {
            r.cells
                .get(i)
                .is_none_or(|c| c.is_empty() || c.chars().all(|ch| ch.is_ascii_digit() || ".-%".contains(ch)))
        })
    };
    let right: Vec<bool> = (0..w.len()).map(|i| i > 0 && numeric(i)).collect();
    let cells = |texts: &[String]| -> String {
        texts
            .iter()
            .zip(&w)
            .zip(&right)
            .map(|((c, w), r)| pad(c, *w, *r))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let header: Vec<String> = t.headers.iter().map(|h| (*h).to_string()).collect();
    line(
        buf,
        area.x,
        area.y,
        area.width,
        vec![Span::styled(cells(&header), th.heading)],
    );
    let page = usize::from(area.height - 1);
    if t.rows.is_empty() {
        let rest = Rect {
            y: area.y + 1,
            height: area.height - 1,
            ..area
        };
        placeholder(buf, rest, "Nothing to report", th.muted);
        return;
    }
    let offset = scrolled(v.offset, v.row(), page);
    for (n, r) in t.rows.iter().enumerate().skip(offset).take(page) {
        let y = area.y + 1 + u16::try_from(n - offset).unwrap_or(0);
        let style = if n == v.row() { th.selection } else { th.text };
        if n == v.row() {
            fill(buf, Rect { y, height: 1, ..area }, style);
        }
        let mut text = cells(&r.cells);
        if r.records.len() > 1 {
            text = format!("{text}  ({})", r.records.len());
        }
        line(buf, area.x, y, area.width, vec![Span::styled(text, style)]);
    }
}

fn render_drill(d: &Drill, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let page = usize::from(area.height);
    let offset = scrolled(d.offset, d.selected, page);
    for (n, (kind, _, title)) in d.items.iter().enumerate().skip(offset).take(page) {
        let y = area.y + u16::try_from(n - offset).unwrap_or(0);
        let style = if n == d.selected { th.selection } else { th.text };
        if n == d.selected {
            fill(buf, Rect { y, height: 1, ..area }, style);
        }
        let kind = pad(kind.name(), 12, false);
        line(
            buf,
            area.x,
            y,
            area.width,
            vec![
                Span::styled(kind, th.muted.patch(style)),
                Span::styled(title.clone(), style),
            ],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_values_fit_four_columns() {
        assert_eq!(compact(950), "950");
        assert_eq!(compact(333_333), "333k");
        assert_eq!(compact(1_218_500), "1.2M");
        assert_eq!(compact(34_000_000), "34M");
        assert!((0..40).all(|p| compact(10u64.saturating_pow(p).saturating_mul(7)).len() <= 4));
    }
}
