//! The command palette: fuzzy over every command and view by name, with its key.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Clear, Widget};

use crate::tui::action::Action;
use crate::tui::commands::{COMMANDS, Scope};
use crate::tui::ctx::Ctx;
use crate::tui::effect::{Effect, Effects};
use crate::tui::filter::{Filter, Haystacks};
use crate::tui::input::{Edit, TextInput};
use crate::tui::keys::{Code, KeyPress};
use crate::tui::widgets::{centered, fill, fit, line, panel, popup_moved, query_line, scrolled};

/// Actions that make no sense from the palette.
const HIDDEN: [Action; 14] = [
    Action::Up,
    Action::Down,
    Action::Left,
    Action::Right,
    Action::PageUp,
    Action::PageDown,
    Action::Top,
    Action::Bottom,
    Action::NextField,
    Action::PrevField,
    Action::Submit,
    Action::OpenEditor,
    Action::Palette,
    Action::Noop,
];

/// The palette's state.
#[derive(Debug)]
pub struct Palette {
    /// Typed text.
    pub input: TextInput,
    /// The commands offered, in registry order.
    pub entries: Vec<Action>,
    hay: Haystacks,
    base: Vec<u32>,
    filter: Filter,
    /// Selected position among the matches.
    pub selected: usize,
}

impl Default for Palette {
    fn default() -> Self {
        let entries: Vec<Action> = COMMANDS
            .iter()
            .filter(|c| !HIDDEN.contains(&c.action))
            .map(|c| c.action)
            .collect();
        let hay = COMMANDS
            .iter()
            .filter(|c| !HIDDEN.contains(&c.action))
            .map(|c| format!("{} {}", c.title, c.action.name().replace('_', " ")))
            .collect();
        let base = (0..u32::try_from(entries.len()).unwrap_or(0)).collect();
        Self {
            input: TextInput::default(),
            entries,
            hay,
            base,
            filter: Filter::default(),
            selected: 0,
        }
    }
}

impl Palette {
    /// The matching commands, best first.
    #[must_use]
    pub fn matches(&self) -> Vec<Action> {
        let idx: &[u32] = if self.filter.is_active() {
            self.filter.ranked()
        } else {
            &self.base
        };
        idx.iter()
            .filter_map(|i| self.entries.get(*i as usize).copied())
            .collect()
    }

    fn requery(&mut self) {
        self.filter.set_query(self.input.text(), &self.hay, &self.base);
        self.selected = 0;
    }
}

/// Keys while the palette is open.
pub fn handle_key(p: &mut Palette, cx: &Ctx, key: KeyPress, out: &mut Effects) {
    let page = cx.page();
    if let Some(selected) = popup_moved(p.selected, p.matches().len(), &key, page) {
        p.selected = selected;
        return;
    }
    match key.code {
        Code::Esc => out.push(Effect::Pop),
        Code::Enter => {
            let chosen = p.matches().get(p.selected).copied();
            out.push(Effect::Pop);
            if let Some(a) = chosen {
                out.push(Effect::Run(a));
            }
        }
        _ => {
            if p.input.handle(key) == Edit::Changed {
                p.requery();
            }
        }
    }
}

/// Draws the palette; `scope` is the layer under it (its keys are shown first).
pub fn render(p: &Palette, cx: &Ctx, scope: Scope, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let r = centered(
        Rect {
            y: area.y + 1,
            height: area.height.saturating_sub(2),
            ..area
        },
        70,
        18,
    );
    let r = Rect { y: area.y + 2, ..r };
    Clear.render(r, buf);
    let block = panel(" Commands ", th, true);
    let inner = block.inner(r);
    block.render(r, buf);
    query_line(buf, inner, " : ", &p.input, th);
    let matches = p.matches();
    let h = usize::from(inner.height.saturating_sub(1));
    let offset = scrolled(0, p.selected, h);
    for (i, a) in matches.iter().enumerate().skip(offset).take(h) {
        let y = inner.y + 1 + u16::try_from(i - offset).unwrap_or(0);
        let Some(c) = crate::tui::commands::command(*a) else {
            continue;
        };
        let key = cx
            .keymap
            .key_text(scope, *a)
            .or_else(|| cx.keymap.key_text(Scope::Global, *a))
            .unwrap_or_default();
        let w = usize::from(inner.width);
        line(
            buf,
            inner.x,
            y,
            inner.width,
            vec![
                Span::styled(format!(" {:<14}", fit(c.title, 14)), th.accent),
                Span::styled(fit(c.help, w.saturating_sub(28)), th.text),
            ],
        );
        let kx = inner
            .right()
            .saturating_sub(u16::try_from(key.chars().count()).unwrap_or(0) + 1);
        line(buf, kx, y, inner.width, vec![Span::styled(key, th.key)]);
        if i == p.selected {
            fill(buf, Rect::new(inner.x, y, inner.width, 1), th.selection);
        }
    }
}
