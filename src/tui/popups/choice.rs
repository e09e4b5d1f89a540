//! A question with a few answers, each opening a form: "this occurrence or the series"
//! when a repeating event is edited or deleted. A letter picks its answer, j/k and Enter
//! pick the selected one, Esc changes nothing.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Clear, Widget};

use crate::tui::ctx::Ctx;
use crate::tui::effect::{Effect, Effects, Layer, Level, Question};
use crate::tui::keys::{Code, KeyPress};
use crate::tui::widgets::{centered, fill, fit, line, panel};

/// The question's state.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// The question and its answers.
    pub question: Question,
    /// The selected answer.
    pub selected: usize,
}

fn pick(c: &Choice, index: usize, out: &mut Effects) {
    if let Some(a) = c.question.answers.get(index) {
        out.push(Effect::Pop);
        out.push(Effect::Push(Layer::Form(a.then.clone())));
    }
}

/// Keys while the question is open.
pub fn handle_key(c: &mut Choice, _cx: &Ctx, key: KeyPress, out: &mut Effects) {
    match key.code {
        Code::Esc | Code::Char('q') => {
            out.push(Effect::Pop);
            out.say("Nothing changed", Level::Info);
        }
        Code::Char('j') | Code::Down | Code::Tab => {
            c.selected = (c.selected + 1).min(c.question.answers.len().saturating_sub(1));
        }
        Code::Char('k') | Code::Up | Code::BackTab => c.selected = c.selected.saturating_sub(1),
        Code::Enter => pick(c, c.selected, out),
        Code::Char(ch) if !key.ctrl => match c.question.answers.iter().position(|a| a.key == ch) {
            Some(i) => pick(c, i, out),
            None => {
                let keys: Vec<String> = c.question.answers.iter().map(|a| a.key.to_string()).collect();
                out.say(format!("Answer with {} (or Esc)", keys.join(" or ")), Level::Info);
            }
        },
        _ => {}
    }
}

/// Draws the question over the screen.
pub fn render(c: &Choice, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let height = u16::try_from(c.question.answers.len()).unwrap_or(2) + 6;
    let r = centered(area, 72, height);
    Clear.render(r, buf);
    let bottom = ratatui::text::Line::from(" letter or enter choose · esc cancel ")
        .style(th.muted)
        .right_aligned();
    let block = panel(format!(" {} ", c.question.title), th, true).title_bottom(bottom);
    let inner = block.inner(r);
    block.render(r, buf);
    let w = usize::from(inner.width).saturating_sub(2);
    line(
        buf,
        inner.x + 1,
        inner.y + 1,
        inner.width.saturating_sub(1),
        vec![Span::styled(fit(&c.question.text, w), th.text)],
    );
    for (i, a) in c.question.answers.iter().enumerate() {
        let y = inner.y + 3 + u16::try_from(i).unwrap_or(0);
        if y >= inner.bottom() {
            break;
        }
        line(
            buf,
            inner.x + 1,
            y,
            inner.width.saturating_sub(1),
            vec![
                Span::styled(format!(" {} ", a.key), th.accent),
                Span::styled(fit(&a.label, w.saturating_sub(4)), th.text),
            ],
        );
        if i == c.selected {
            fill(
                buf,
                Rect::new(inner.x + 1, y, inner.width.saturating_sub(2), 1),
                th.selection,
            );
        }
    }
}
