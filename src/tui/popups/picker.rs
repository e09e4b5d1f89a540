//! A fuzzy picker: a short list of choices (a product for a new quote line: SKU, name,
//! price on the quote's date) narrowed as one types (the list filter's syntax and
//! ranking), Enter takes the selected one and opens what it was picked for.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Clear, Widget};

use crate::model::Id;
use crate::tui::ctx::Ctx;
use crate::tui::effect::{Effect, Effects, FormRequest, Layer};
use crate::tui::filter::{Filter, Haystacks};
use crate::tui::input::{Edit, TextInput};
use crate::tui::keys::{Code, KeyPress};
use crate::tui::widgets::{centered, fill, fit, line, panel, placeholder, popup_moved, query_line, scrolled};

/// What the picked choice is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A new line on quote `0`: the product picked opens the line's form.
    LineOn(Id),
}

/// One choice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The record picked.
    pub id: Id,
    /// What is shown (and searched).
    pub text: String,
}

/// The picker's state.
#[derive(Debug)]
pub struct Picker {
    /// Title of the box.
    pub title: String,
    /// What the choice is for.
    pub purpose: Purpose,
    /// Every choice, in the order given.
    pub choices: Vec<Choice>,
    /// Typed text.
    pub input: TextInput,
    hay: Haystacks,
    base: Vec<u32>,
    filter: Filter,
    /// Selected position among the matches.
    pub selected: usize,
}

impl Picker {
    /// A picker over `choices`.
    #[must_use]
    pub fn new(title: String, purpose: Purpose, choices: Vec<Choice>) -> Self {
        let hay = choices.iter().map(|c| c.text.as_str()).collect();
        let base = (0..u32::try_from(choices.len()).unwrap_or(0)).collect();
        Self {
            title,
            purpose,
            choices,
            input: TextInput::default(),
            hay,
            base,
            filter: Filter::default(),
            selected: 0,
        }
    }

    /// The matching choices, best first (all, in order, before anything is typed).
    #[must_use]
    pub fn matches(&self) -> Vec<&Choice> {
        let idx: &[u32] = if self.filter.is_active() {
            self.filter.ranked()
        } else {
            &self.base
        };
        idx.iter().filter_map(|i| self.choices.get(*i as usize)).collect()
    }
}

/// Keys while the picker is open.
pub fn handle_key(p: &mut Picker, cx: &Ctx, key: KeyPress, out: &mut Effects) {
    let page = cx.page().saturating_sub(4);
    if let Some(selected) = popup_moved(p.selected, p.matches().len(), &key, page) {
        p.selected = selected;
        return;
    }
    match key.code {
        Code::Esc => out.push(Effect::Pop),
        Code::Enter => {
            let Some(chosen) = p.matches().get(p.selected).map(|c| c.id) else {
                return out.say(
                    "Nothing matches; change the text or Esc",
                    crate::tui::effect::Level::Info,
                );
            };
            out.push(Effect::Pop);
            match p.purpose {
                Purpose::LineOn(quote) => out.push(Effect::Push(Layer::Form(FormRequest::AddLine(quote, chosen)))),
            }
        }
        _ => {
            if p.input.handle(key) == Edit::Changed {
                p.filter.set_query(p.input.text(), &p.hay, &p.base);
                p.selected = 0;
            }
        }
    }
}

/// Draws the picker.
pub fn render(p: &Picker, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let r = centered(area, 74, 18);
    Clear.render(r, buf);
    let block = panel(format!(" {} ", p.title), th, true);
    let inner = block.inner(r);
    block.render(r, buf);
    query_line(buf, inner, " > ", &p.input, th);
    let matches = p.matches();
    let body = Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(1),
        ..inner
    };
    if matches.is_empty() {
        placeholder(buf, body, "Nothing matches", th.muted);
        return;
    }
    let h = usize::from(body.height);
    let offset = scrolled(0, p.selected, h);
    let w = usize::from(body.width);
    for (i, c) in matches.iter().enumerate().skip(offset).take(h) {
        let y = body.y + u16::try_from(i - offset).unwrap_or(0);
        line(
            buf,
            body.x,
            y,
            body.width,
            vec![Span::styled(fit(&format!(" {}", c.text), w), th.text)],
        );
        if i == p.selected {
            fill(buf, Rect::new(body.x, y, body.width, 1), th.selection);
        }
    }
}
