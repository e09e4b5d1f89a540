//! The help overlay, generated from the keymap and the command registry.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Clear, Widget};

use crate::tui::commands::{Scope, command};
use crate::tui::ctx::Ctx;
use crate::tui::effect::{Effect, Effects};
use crate::tui::keys::{Code, KeyPress};
use crate::tui::widgets::{centered, fit, line, moved, panel};

/// The help overlay's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Help {
    /// First line shown.
    pub scroll: usize,
}

/// The overlay's lines: a heading (`None` key) or key, title and help.
#[must_use]
pub fn lines(cx: &Ctx) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    for scope in Scope::ALL {
        let bindings: Vec<_> = cx.keymap.bindings().into_iter().filter(|b| b.scope == scope).collect();
        if bindings.is_empty() {
            continue;
        }
        out.push((None, scope.title().to_string()));
        let mut seen: Vec<crate::tui::action::Action> = Vec::new();
        for b in &bindings {
            if seen.contains(&b.action) {
                continue;
            }
            seen.push(b.action);
            let keys: Vec<String> = bindings
                .iter()
                .filter(|x| x.action == b.action)
                .map(|x| x.key.to_string())
                .collect();
            let help = command(b.action).map_or("", |c| c.help);
            out.push((Some(keys.join(" ")), help.to_string()));
        }
    }
    out
}

/// Keys while help is open: scroll, or close with Esc, q or ?.
pub fn handle_key(h: &mut Help, cx: &Ctx, key: KeyPress, out: &mut Effects) {
    let len = lines(cx).len();
    let page = cx.page();
    let action = match key.code {
        Code::Esc | Code::Char('q' | '?') => {
            out.push(Effect::Pop);
            return;
        }
        Code::Char('j') | Code::Down => crate::tui::action::Action::Down,
        Code::Char('k') | Code::Up => crate::tui::action::Action::Up,
        Code::PageDown | Code::Char(' ') => crate::tui::action::Action::PageDown,
        Code::PageUp => crate::tui::action::Action::PageUp,
        Code::Char('g') | Code::Home => crate::tui::action::Action::Top,
        Code::Char('G') | Code::End => crate::tui::action::Action::Bottom,
        _ => return,
    };
    // The last page ends with the last line: never scrolled past it.
    let last_top = len.saturating_sub(visible(cx));
    h.scroll = moved(h.scroll, len, action, page).unwrap_or(h.scroll).min(last_top);
}

/// Lines the overlay shows at once (the screen minus tabs, status, margin and frame, as
/// `render` lays it out).
fn visible(cx: &Ctx) -> usize {
    usize::from(cx.size.1.saturating_sub(6)).max(1)
}

/// Draws the overlay.
pub fn render(h: &Help, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let r = centered(area, 76, area.height.saturating_sub(2));
    Clear.render(r, buf);
    let block = panel(" Keys · j/k scroll · esc closes ", th, true);
    let inner = block.inner(r);
    block.render(r, buf);
    let all = lines(cx);
    let key_w = 16usize;
    for (i, (key, text)) in all.iter().skip(h.scroll).take(usize::from(inner.height)).enumerate() {
        let y = inner.y + u16::try_from(i).unwrap_or(0);
        match key {
            None => line(
                buf,
                inner.x,
                y,
                inner.width,
                vec![Span::styled(format!(" {text}"), th.heading)],
            ),
            Some(k) => line(
                buf,
                inner.x,
                y,
                inner.width,
                vec![
                    Span::styled(format!("  {:<key_w$}", fit(k, key_w)), th.key),
                    Span::styled(fit(text, usize::from(inner.width).saturating_sub(key_w + 3)), th.text),
                ],
            ),
        }
    }
}
