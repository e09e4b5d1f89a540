//! Drawing the whole screen from the state (never changing it): view tabs on top, the
//! view or open record, popups, and the status bar with the view, key hints from the
//! command registry, and messages or progress.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use unicode_width::UnicodeWidthStr;

use super::action::Action;
use super::commands::{COMMANDS, Scope};
use super::popups;
use super::state::{Level, State, VIEWS, ViewId};
use super::views::{approvals, board, calendar, conflicts, dashboard, detail, list, quote, reports};
use super::widgets::{fit, line};

/// The smallest terminal outpost draws in.
pub const MIN_SIZE: (u16, u16) = (80, 24);

/// Draws everything into `buf`.
pub fn draw(st: &State, area: Rect, buf: &mut Buffer) {
    buf.set_style(area, st.theme.text);
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        too_small(st, area, buf);
        return;
    }
    let [tabs, body, status] = layout(area);
    draw_tabs(st, tabs, buf);
    match &st.backdrop {
        Some(picture) if picture.area == body => buf.merge(picture),
        _ => draw_body(st, body, buf),
    }
    popups::render(&st.popups, &st.ctx(), st.scope(), body, buf);
    draw_status(st, status, buf);
}

/// The screen's tabs, body (the view or open record) and status bar.
fn layout(area: Rect) -> [Rect; 3] {
    Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)]).areas(area)
}

/// The view, or the record opened over it.
fn draw_body(st: &State, body: Rect, buf: &mut Buffer) {
    let cx = st.ctx();
    match st.details.last() {
        Some(d) => match &d.quote {
            Some(q) => quote::render(q, &cx, body, buf),
            None => detail::render(d, &cx, body, buf),
        },
        None => match st.view {
            ViewId::Dashboard => dashboard::render(&st.dashboard, &cx, body, buf),
            ViewId::Pipeline => board::render(&st.board, &cx, body, buf),
            ViewId::List(kind) => {
                if let Some(l) = st.list(kind) {
                    list::render(l, &cx, body, buf);
                }
            }
            ViewId::Calendar => calendar::render(&st.calendar, &cx, body, buf),
            ViewId::Conflicts => conflicts::render(&st.conflicts, &cx, body, buf),
            ViewId::Reports => reports::render(&st.reports, &cx, body, buf),
            ViewId::Approvals => approvals::render(&st.approvals, &cx, body, buf),
        },
    }
}

/// A picture of the view (or open record) as drawn now, to stand in for it while its
/// data is freed (see [`State::backdrop`]).
#[must_use]
pub fn picture(st: &State) -> Buffer {
    let [_, body, _] = layout(Rect::new(0, 0, st.size.0, st.size.1));
    let mut buf = Buffer::empty(body);
    buf.set_style(body, st.theme.text);
    draw_body(st, body, &mut buf);
    buf
}

fn too_small(st: &State, area: Rect, buf: &mut Buffer) {
    let lines = [
        "Terminal too small".to_string(),
        format!(
            "{}x{} here; outpost needs at least {}x{}",
            area.width, area.height, MIN_SIZE.0, MIN_SIZE.1
        ),
        if st.popups.is_empty() {
            "Make the window larger (q quits)".to_string()
        } else {
            "Make the window larger; keys wait (ctrl-c quits)".to_string()
        },
    ];
    let top = area.y + area.height.saturating_sub(3) / 2;
    for (i, l) in lines.iter().enumerate() {
        let text = fit(l, usize::from(area.width));
        let x = area.x + area.width.saturating_sub(u16::try_from(text.width()).unwrap_or(0)) / 2;
        let y = top + u16::try_from(i).unwrap_or(0);
        if y < area.bottom() {
            let style = if i == 0 { st.theme.warning } else { st.theme.muted };
            line(buf, x, y, area.width, vec![Span::styled(text, style)]);
        }
    }
}

fn draw_tabs(st: &State, area: Rect, buf: &mut Buffer) {
    let th = &st.theme;
    let full: usize = VIEWS.iter().map(|v| v.title().len() + 4).sum::<usize>() + 9;
    let short = full > usize::from(area.width);
    let mut spans = if short {
        Vec::new()
    } else {
        vec![Span::styled(" outpost ", th.accent)]
    };
    for (i, v) in VIEWS.iter().enumerate() {
        let name = if short { v.short() } else { v.title() };
        let current = *v == st.view;
        spans.push(Span::styled(
            format!(" {}", i + 1),
            if current { th.status_view } else { th.key },
        ));
        spans.push(Span::styled(
            format!(" {name} "),
            if current { th.status_view } else { th.muted },
        ));
    }
    line(buf, area.x, area.y, area.width, spans);
}

/// Global commands worth a hint in each scope (besides that scope's own bindings).
fn hinted_globals(s: Scope) -> &'static [Action] {
    match s {
        Scope::Dashboard => &[Action::Open, Action::LogCall, Action::MarkDone, Action::New],
        Scope::Board => &[Action::Open, Action::LogCall],
        Scope::List => &[Action::Filter, Action::Open, Action::New, Action::Edit, Action::LogCall],
        Scope::Detail => &[Action::Edit, Action::LogCall, Action::MarkDone, Action::Close],
        Scope::Calendar => &[Action::New, Action::Open],
        Scope::Conflicts => &[Action::Open],
        Scope::Reports => &[Action::Open, Action::Right],
        Scope::Quote => &[Action::Edit, Action::Delete, Action::Close],
        Scope::Approvals => &[Action::Open],
        Scope::Global | Scope::Form => &[],
    }
}

/// Key hints for the current layer: (key, title), from the registry and keymap.
#[must_use]
pub fn hints(st: &State) -> Vec<(String, &'static str)> {
    let s = st.scope();
    let mut out = Vec::new();
    // Open conflicts on the dashboard: the way to the inbox comes first.
    if s == Scope::Dashboard
        && st.dashboard.data.as_ref().is_some_and(|d| d.open_conflicts > 0)
        && let (Some(k), Some(c)) = (
            st.keymap.key_text(Scope::Global, Action::GotoConflicts),
            super::commands::command(Action::GotoConflicts),
        )
    {
        out.push((k, c.title));
    }
    for c in COMMANDS.iter().filter(|c| c.hint) {
        let own = st.keymap.keys_for(s, c.action).first().map(ToString::to_string);
        let key = own.or_else(|| {
            hinted_globals(s)
                .contains(&c.action)
                .then(|| st.keymap.key_text(Scope::Global, c.action))
                .flatten()
        });
        if let Some(k) = key {
            out.push((k, c.title));
        }
    }
    for a in [Action::Palette, Action::Help, Action::Quit] {
        if s != Scope::Form
            && let (Some(k), Some(c)) = (st.keymap.key_text(Scope::Global, a), super::commands::command(a))
        {
            out.push((k, c.title));
        }
    }
    out
}

fn draw_status(st: &State, area: Rect, buf: &mut Buffer) {
    let th = &st.theme;
    buf.set_style(area, th.status);
    let name = match st.details.last() {
        Some(d) => format!(" {} ", super::widgets::capital(d.kind.name())),
        None => format!(" {} ", st.view.title()),
    };
    let mut spans = vec![Span::styled(name.clone(), th.status_view), Span::styled(" ", th.status)];
    let right = match (&st.status.progress, &st.status.message) {
        (Some((label, Some((done, total)))), _) if *total > 0 => {
            Some((format!("⟳ {label} {}% ", done * 100 / total), th.accent))
        }
        (Some((label, _)), _) => Some((format!("⟳ {label}… "), th.accent)),
        (None, Some((m, Level::Error))) => Some((format!("✗ {m} "), th.error)),
        (None, Some((m, Level::Success))) => Some((format!("✓ {m} "), th.success)),
        (None, Some((m, Level::Info))) => Some((format!("{m} "), th.text)),
        (None, None) => None,
    };
    let right_w = right.as_ref().map_or(0, |(t, _)| t.width());
    let room = usize::from(area.width).saturating_sub(name.width() + 1);
    let right_text = right.map(|(t, style)| (fit(&t, room), style));
    let hint_room = room.saturating_sub(right_w.min(room) + 1);
    let mut used = 0;
    if right_w < room.saturating_sub(20) || right_text.is_none() {
        for (k, t) in hints(st) {
            let w = k.width() + t.width() + 3;
            if used + w > hint_room {
                break;
            }
            spans.push(Span::styled(k, th.key));
            spans.push(Span::styled(format!(" {t}  "), th.status));
            used += w;
        }
    }
    line(buf, area.x, area.y, area.width, spans);
    if let Some((t, style)) = right_text {
        let x = area.right().saturating_sub(u16::try_from(t.width()).unwrap_or(0));
        line(
            buf,
            x,
            area.y,
            area.width,
            vec![Span::styled(t, style.patch(th.status).patch(style))],
        );
    }
}
