//! The dashboard: today's agenda and tasks, overdue follow-ups, deals closing this month,
//! the pipeline by stage, a forecast chart and the sync state. `h`/`l` move between the
//! three lists, Enter opens, quick actions work on the selected item.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::app::dashboard::Dashboard;
use crate::model::stage::StageState;
use crate::model::{EntityKind, Id};
use crate::tui::action::Action;
use crate::tui::clock::Clock;
use crate::tui::ctx::Ctx;
use crate::tui::effect::Effects;
use crate::tui::widgets::{fill, fit, line, moved, pad, panel, placeholder, scrolled, short_amount};

/// The dashboard's state.
#[derive(Clone, Debug, Default)]
pub struct DashboardView {
    /// Loaded figures.
    pub data: Option<Dashboard>,
    /// Focused list: 0 today, 1 overdue, 2 closing.
    pub panel: usize,
    /// Selection per list.
    pub selected: [usize; 3],
    /// Must load again.
    pub stale: bool,
    /// Whether the sync server answered when last asked (`None`: not asked, or no
    /// server set up).
    pub reachable: Option<bool>,
}

/// One line of a dashboard list.
struct Entry {
    kind: EntityKind,
    id: Id,
    spans: Vec<(String, Role)>,
}

#[derive(Clone, Copy)]
enum Role {
    Text,
    Muted,
    Warning,
    Money,
    Accent,
}

impl DashboardView {
    fn entries(&self, clock: &Clock, panel: usize) -> Vec<Entry> {
        let Some(d) = &self.data else {
            return Vec::new();
        };
        match panel {
            0 => {
                let mut out: Vec<Entry> = d
                    .agenda
                    .iter()
                    .map(|e| {
                        let t = if e.all_day {
                            "all day".to_string()
                        } else {
                            clock.local(e.start).format("%H:%M").to_string()
                        };
                        Entry {
                            kind: EntityKind::Event,
                            id: e.id,
                            spans: vec![
                                (format!("{t:>5} "), Role::Accent),
                                (e.title.clone(), Role::Text),
                                (format!("  {}", e.account), Role::Muted),
                            ],
                        }
                    })
                    .collect();
                out.extend(d.due_today.iter().map(|t| Entry {
                    kind: EntityKind::Activity,
                    id: t.id,
                    spans: vec![
                        (" task ".into(), Role::Warning),
                        (t.subject.clone(), Role::Text),
                        (format!("  {}", t.about), Role::Muted),
                    ],
                }));
                out
            }
            1 => d
                .overdue
                .iter()
                .map(|t| Entry {
                    kind: EntityKind::Activity,
                    id: t.id,
                    spans: vec![
                        (t.due.format("%d %b ").to_string(), Role::Warning),
                        (t.subject.clone(), Role::Text),
                        (format!("  {}", t.about), Role::Muted),
                    ],
                })
                .collect(),
            _ => d
                .closing
                .iter()
                .map(|o| Entry {
                    kind: EntityKind::Opportunity,
                    id: o.id,
                    spans: vec![
                        (
                            o.close.map_or_else(String::new, |c| c.format("%d ").to_string()),
                            Role::Muted,
                        ),
                        (format!("{:>6} ", short_amount(o.amount)), Role::Money),
                        (o.name.clone(), Role::Text),
                        (format!("  {}", o.account), Role::Muted),
                    ],
                })
                .collect(),
        }
    }

    /// The selected record (kind, id) in the focused list.
    #[must_use]
    pub fn selected(&self, clock: &Clock) -> Option<(EntityKind, Id)> {
        self.entries(clock, self.panel)
            .get(self.selected[self.panel])
            .map(|e| (e.kind, e.id))
    }
}

/// Handles a dashboard action.
pub fn handle(d: &mut DashboardView, cx: &Ctx, action: Action, out: &mut Effects) -> bool {
    let page = usize::from(cx.size.1.saturating_sub(4)) / 2;
    let panel = d.panel;
    let len = d.entries(cx.clock, panel).len();
    if let Some(sel) = moved(d.selected[panel], len, action, page) {
        d.selected[panel] = sel;
        return true;
    }
    match action {
        Action::Left => d.panel = (d.panel + 2) % 3,
        Action::Right => d.panel = (d.panel + 1) % 3,
        Action::Open => {
            if let Some((kind, id)) = d.selected(cx.clock) {
                out.open(kind, id);
            }
        }
        _ => return false,
    }
    true
}

fn style(cx: &Ctx, r: Role) -> ratatui::style::Style {
    let th = cx.theme;
    match r {
        Role::Text => th.text,
        Role::Muted => th.muted,
        Role::Warning => th.warning,
        Role::Money => th.money,
        Role::Accent => th.accent,
    }
}

fn list(
    (v, cx): (&DashboardView, &Ctx),
    panel_idx: usize,
    title: String,
    empty: &str,
    area: Rect,
    buf: &mut Buffer,
    bottom: Option<String>,
) {
    let th = cx.theme;
    let focused = v.panel == panel_idx;
    let mut block = panel(title, th, focused);
    let has_bottom = bottom.is_some();
    if let Some(b) = bottom {
        block = block.title_bottom(Line::from(b).style(th.muted).right_aligned());
    }
    let entries = v.entries(cx.clock, panel_idx);
    let h = usize::from(area.height.saturating_sub(2));
    let offset = scrolled(0, v.selected[panel_idx], h.max(1));
    // More than fits: say how many lines are above and below.
    let (above, below) = (offset, entries.len().saturating_sub(offset + h));
    if v.data.is_some() && (above > 0 || below > 0) {
        let arrows = match (above, below) {
            (0, b) => format!("↓ {b}"),
            (a, 0) => format!("↑ {a}"),
            (a, b) => format!("↑ {a} ↓ {b}"),
        };
        // Under the list when the bottom edge is free, else beside the title.
        block = if has_bottom {
            block.title(Line::from(format!(" {arrows} ")).style(th.accent).right_aligned())
        } else {
            block.title_bottom(Line::from(format!(" {arrows} more ")).style(th.accent).left_aligned())
        };
    }
    let inner = block.inner(area);
    block.render(area, buf);
    if v.data.is_none() {
        placeholder(buf, inner, "Loading…", th.muted);
        return;
    }
    if entries.is_empty() {
        placeholder(buf, inner, empty, th.muted);
        return;
    }
    let sel = v.selected[panel_idx];
    for (i, e) in entries.iter().enumerate().skip(offset).take(h) {
        let y = inner.y + u16::try_from(i - offset).unwrap_or(0);
        let spans: Vec<Span> = std::iter::once(Span::raw(" "))
            .chain(e.spans.iter().map(|(t, r)| Span::styled(t.clone(), style(cx, *r))))
            .collect();
        line(buf, inner.x, y, inner.width, spans);
        if focused && i == sel {
            fill(buf, Rect::new(inner.x, y, inner.width, 1), th.selection);
        }
    }
}

/// Draws the dashboard.
pub fn render(v: &DashboardView, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let [top, bottom] = Layout::vertical([Constraint::Length(11), Constraint::Min(5)]).areas(area);
    let [today, pipe] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
    let [overdue, closing, forecast] = Layout::horizontal([
        Constraint::Percentage(34),
        Constraint::Percentage(33),
        Constraint::Percentage(33),
    ])
    .areas(bottom);
    let d = v.data.as_ref();
    let day = cx.clock.today().format("%a %d %b %Y").to_string();
    let inbox = cx
        .keymap
        .key_text(crate::tui::commands::Scope::Global, Action::GotoConflicts)
        .unwrap_or_default();
    let sync = d.map(|d| {
        // Held records are conflicts of their own kind: count them apart, not twice.
        let others = d.open_conflicts.saturating_sub(d.held);
        let mut parts = Vec::new();
        if d.held > 0 {
            parts.push(format!("{} held", d.held));
        }
        if others > 0 {
            let s = if others == 1 { "" } else { "s" };
            parts.push(format!("{others} conflict{s}"));
        }
        let mut conflicts = if parts.is_empty() {
            String::new()
        } else {
            format!(" · {} [{inbox}]", parts.join(", "))
        };
        if d.approvals > 0 {
            // Quotes waiting for a manager: the palette's `approvals` leads there.
            let key = cx
                .keymap
                .key_text(crate::tui::commands::Scope::Global, Action::GotoApprovals)
                .unwrap_or_else(|| ":approvals".into());
            let s = if d.approvals == 1 { "" } else { "s" };
            conflicts.push_str(&format!(" · {} quote{s} to approve [{key}]", d.approvals));
        }
        match &d.server {
            None => format!(" sync: not set up · {} to send{conflicts} ", d.outbox),
            Some(_) => {
                let today = cx.clock.today().format("%Y-%m-%d").to_string();
                let last = d.last_sync.as_deref().map_or("never".to_string(), |t| {
                    let t = t.chars().take(16).collect::<String>().replace('T', " ");
                    // Today's date goes without saying; the panel is narrow.
                    t.strip_prefix(&format!("{today} ")).map_or(t.clone(), str::to_string)
                });
                let reach = match v.reachable {
                    Some(true) => " · server up",
                    Some(false) => " · server unreachable",
                    None => "",
                };
                format!(" synced {last}{reach} · {} to send{conflicts} ", d.outbox)
            }
        }
    });
    list(
        (v, cx),
        0,
        format!(" Today · {day} ({}) ", v.entries(cx.clock, 0).len()),
        "Nothing planned today",
        today,
        buf,
        sync,
    );
    let n_over = d.map_or(0, |d| d.overdue_total);
    list(
        (v, cx),
        1,
        format!(" Overdue follow-ups ({n_over}) "),
        "No overdue follow-ups",
        overdue,
        buf,
        None,
    );
    let n_close = d.map_or(0, |d| d.closing.len());
    list(
        (v, cx),
        2,
        format!(" Closing this month ({n_close}) "),
        "No deals close this month",
        closing,
        buf,
        None,
    );
    render_pipeline(v, cx, pipe, buf);
    render_forecast(v, cx, forecast, buf);
}

fn render_pipeline(v: &DashboardView, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let block = panel(" Pipeline by stage ", th, false);
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(d) = &v.data else {
        placeholder(buf, inner, "Loading…", th.muted);
        return;
    };
    let w = usize::from(inner.width);
    let name_w = w.saturating_sub(25).max(6);
    line(
        buf,
        inner.x,
        inner.y,
        inner.width,
        vec![
            Span::styled(format!(" {}", pad("Stage", name_w, false)), th.heading),
            Span::styled(format!("{:>5} {:>8} {:>8}", "#", "Sum", "Weighted"), th.heading),
        ],
    );
    let mut y = inner.y + 1;
    let (mut n, mut sum, mut weighted) = (0usize, Decimal::ZERO, Decimal::ZERO);
    for s in &d.stages {
        if y >= inner.bottom().saturating_sub(1) {
            break;
        }
        let st_style = match s.state {
            StageState::Open => th.text,
            StageState::Won => th.success,
            StageState::Lost => th.muted,
        };
        if s.state == StageState::Open {
            n += s.count;
            sum += s.sum;
            weighted += s.weighted;
        }
        line(
            buf,
            inner.x,
            y,
            inner.width,
            vec![
                Span::styled(format!(" {}", pad(&s.stage, name_w, false)), st_style),
                Span::styled(format!("{:>5} ", s.count), th.text),
                Span::styled(
                    format!("{:>8} {:>8}", short_amount(s.sum), short_amount(s.weighted)),
                    th.money,
                ),
            ],
        );
        y += 1;
    }
    line(
        buf,
        inner.x,
        y,
        inner.width,
        vec![
            Span::styled(
                format!(" {}", pad(&format!("Open ({})", d.currency), name_w, false)),
                th.accent,
            ),
            Span::styled(format!("{n:>5} "), th.accent),
            Span::styled(
                format!("{:>8} {:>8}", short_amount(sum), short_amount(weighted)),
                th.accent,
            ),
        ],
    );
}

fn render_forecast(v: &DashboardView, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let block = panel(" Forecast by month ", th, false)
        .title_bottom(Line::from(" ▇ weighted ░ total ").style(th.muted).right_aligned());
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(d) = &v.data else {
        placeholder(buf, inner, "Loading…", th.muted);
        return;
    };
    let max = d
        .forecast
        .iter()
        .map(|m| m.total)
        .max()
        .unwrap_or_default()
        .max(Decimal::ONE);
    let bar_w = usize::from(inner.width).saturating_sub(13);
    let cells = |v: Decimal| -> usize {
        (v * Decimal::from(bar_w) / max)
            .round()
            .to_usize()
            .unwrap_or(0)
            .min(bar_w)
    };
    for (i, m) in d.forecast.iter().enumerate() {
        let y = inner.y + u16::try_from(i).unwrap_or(0);
        if y >= inner.bottom() {
            break;
        }
        let wcells = cells(m.weighted);
        let tcells = cells(m.total).max(wcells);
        line(
            buf,
            inner.x,
            y,
            inner.width,
            vec![
                Span::styled(format!(" {} ", m.month.format("%b")), th.muted),
                Span::styled("▇".repeat(wcells), th.chart_weighted),
                Span::styled("░".repeat(tcells - wcells), th.chart),
                Span::styled(
                    format!(
                        "{}{}",
                        " ".repeat(bar_w - tcells + 1),
                        fit(&short_amount(m.weighted), 7)
                    ),
                    th.money,
                ),
            ],
        );
    }
}
