//! Small drawing and movement helpers shared by the views.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::action::Action;
use super::input::TextInput;
use super::keys::{Code, KeyPress};
use super::theme::Theme;

/// A bordered panel with a title; the focused one stands out.
#[must_use]
pub fn panel<'a>(title: impl Into<Line<'a>>, theme: &Theme, focused: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(if focused { theme.focus } else { theme.border })
        .title(title.into().style(theme.title))
}

/// Cuts `text` to `width` columns, ending with `…` when cut.
#[must_use]
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w > width.saturating_sub(1) {
            break;
        }
        out.push(ch);
        used += w;
    }
    out.push('…');
    out
}

/// Pads or cuts `text` to exactly `width` columns; right-aligned when `right`.
#[must_use]
pub fn pad(text: &str, width: usize, right: bool) -> String {
    let t = fit(text, width);
    let gap = width.saturating_sub(t.width());
    if right {
        format!("{}{t}", " ".repeat(gap))
    } else {
        format!("{t}{}", " ".repeat(gap))
    }
}

/// The new selection after a movement action in a list of `len` items.
#[must_use]
pub fn moved(selected: usize, len: usize, action: Action, page: usize) -> Option<usize> {
    if len == 0 {
        return matches!(
            action,
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom
        )
        .then_some(0);
    }
    let last = len - 1;
    Some(match action {
        Action::Up => selected.saturating_sub(1),
        Action::Down => (selected + 1).min(last),
        Action::PageUp => selected.saturating_sub(page.max(1)),
        Action::PageDown => (selected + page.max(1)).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return None,
    })
}

/// The new selection when `key` moves it in a popup's list (arrows, page keys, ctrl-n and
/// ctrl-p); `None` for any other key.
#[must_use]
pub fn popup_moved(selected: usize, len: usize, key: &KeyPress, page: usize) -> Option<usize> {
    let action = match key.code {
        Code::Up => Action::Up,
        Code::Down => Action::Down,
        Code::PageUp => Action::PageUp,
        Code::PageDown => Action::PageDown,
        Code::Char('n') if key.ctrl => Action::Down,
        Code::Char('p') if key.ctrl => Action::Up,
        _ => return None,
    };
    Some(moved(selected, len, action, page).unwrap_or(0))
}

/// The first row to show so that `selected` is visible in `page` rows.
#[must_use]
pub fn scrolled(offset: usize, selected: usize, page: usize) -> usize {
    let page = page.max(1);
    if selected < offset {
        selected
    } else if selected >= offset + page {
        selected + 1 - page
    } else {
        offset
    }
}

/// Writes one line of spans at `(x, y)`, clipped to `width`.
pub fn line(buf: &mut Buffer, x: u16, y: u16, width: u16, spans: Vec<Span<'_>>) {
    buf.set_line(x, y, &Line::from(spans), width);
}

/// The input line of a popup: a prompt, the query and a cursor.
pub fn query_line(buf: &mut Buffer, inner: Rect, prompt: &str, input: &TextInput, th: &crate::tui::theme::Theme) {
    line(
        buf,
        inner.x,
        inner.y,
        inner.width,
        vec![
            Span::styled(prompt.to_string(), th.key),
            Span::styled(input.with_bar(), th.text),
        ],
    );
}

/// A muted one-line message at the top of a panel ("Loading…", "Nothing yet").
pub fn placeholder(buf: &mut Buffer, inner: Rect, text: &str, style: Style) {
    line(buf, inner.x + 1, inner.y, inner.width, vec![Span::styled(text, style)]);
}

/// Fills a rectangle with a style (selection bars).
pub fn fill(buf: &mut Buffer, area: Rect, style: Style) {
    buf.set_style(area, style);
}

/// A centred rectangle of at most `w` x `h` inside `area`.
#[must_use]
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// A compact amount for charts and cards: 950, 12.3k, 4.5M (decimal maths, no floats).
#[must_use]
pub fn short_amount(amount: rust_decimal::Decimal) -> String {
    use rust_decimal::Decimal;
    let (k, m) = (Decimal::from(1_000), Decimal::from(1_000_000));
    if amount >= m {
        format!("{:.1}M", (amount / m).round_dp(1))
    } else if amount >= k {
        format!("{:.1}k", (amount / k).round_dp(1))
    } else {
        format!("{:.0}", amount.round_dp(0))
    }
}

/// "opportunity" -> "Opportunity".
#[must_use]
pub fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_wide_text_and_moves_within_bounds() {
        assert_eq!(fit("Müller GmbH", 6), "Mülle…");
        assert_eq!(fit("東京都", 4), "東…");
        assert_eq!(pad("7", 3, true), "  7");
        assert_eq!(moved(0, 5, Action::Up, 10), Some(0));
        assert_eq!(moved(3, 5, Action::PageDown, 10), Some(4));
        assert_eq!(moved(3, 5, Action::Left, 10), None);
        assert_eq!(scrolled(0, 12, 10), 3);
        assert_eq!(scrolled(5, 2, 10), 2);
        assert_eq!(short_amount("12345.67".parse().expect("decimal")), "12.3k");
        assert_eq!(short_amount("2500000".parse().expect("decimal")), "2.5M");
    }
}
