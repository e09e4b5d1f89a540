//! A form: labelled inputs (one-line fields, text areas for long text), inline messages
//! under the fields they are about, Tab/Shift-Tab to move, Ctrl-S to save, Ctrl-E to
//! edit the field in `$EDITOR`. What the form does on save is its [`Target`]
//! (see `tui/forms.rs`). Esc on a form with changes asks first (y discards them, n or Esc
//! goes back to the form); on an unchanged form it closes at once.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Clear, Widget};
use ratatui_textarea::{Input as TaInput, Key as TaKey, TextArea};

use crate::app::spec::Spec;
use crate::model::records::ActivityKind;
use crate::model::{EntityKind, Id};
use crate::tui::action::Action;
use crate::tui::commands::Scope;
use crate::tui::ctx::Ctx;
use crate::tui::effect::{Effect, Effects, Level};
use crate::tui::input::TextInput;
use crate::tui::keys::{Code, KeyPress};
use crate::tui::widgets::{centered, fit, line, panel};

/// What saving the form does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Create a record of a kind.
    Create(EntityKind),
    /// Change a record.
    Edit(EntityKind, Id),
    /// Log a call or visit with a follow-up task, linked to records (field, id).
    Log(ActivityKind, Vec<(&'static str, Id)>),
    /// Add a note linked to records.
    Note(Vec<(&'static str, Id)>),
    /// Schedule a meeting (a calendar event) linked to records.
    Meeting(Vec<(&'static str, Id)>),
    /// Convert a lead.
    Convert(Id),
    /// Resolve a sync conflict (its id) on a record of a kind by writing another value.
    Resolve(String, EntityKind),
    /// Move a deal to a lost stage, with the loss reason: the confirmation.
    Lose(Id, String),
    /// Move a deal to a won stage: the confirmation (no fields; Enter moves it).
    Win(Id, String),
    /// Move a record to the trash: the confirmation (no fields; Enter trashes it).
    Trash(EntityKind, Id),
    /// Add a line for product `1` to quote `0` (`App::add_line`, as `quote line-add`).
    AddLine(Id, Id),
    /// Write quote `0` to the file given.
    Render(Id),
    /// Approve (`true`) or reject the discount of a quote, with a comment.
    Decide(Id, bool),
    /// Move an order to the status given.
    OrderStatus(Id),
    /// Move one occurrence of a repeating event (fields `on`, `start`, `end`).
    MoveOccurrence(Id),
    /// Cancel one occurrence of a repeating event (field `on`).
    CancelOccurrence(Id),
}

/// A field's input.
#[derive(Debug)]
pub enum Input {
    /// One line of text with a cursor: the TUI's one text input.
    Line(TextInput),
    /// Several lines.
    Area(Box<TextArea<'static>>),
}

impl Input {
    /// A one-line input holding `text`.
    #[must_use]
    pub fn line(text: &str) -> Self {
        Self::Line(TextInput::new(text))
    }

    /// A text area holding `text`.
    #[must_use]
    pub fn area(text: &str) -> Self {
        let lines: Vec<String> = if text.is_empty() {
            vec![String::new()]
        } else {
            text.lines().map(str::to_string).collect()
        };
        Self::Area(Box::new(TextArea::new(lines)))
    }

    /// The text.
    #[must_use]
    pub fn text(&self) -> String {
        match self {
            Self::Line(input) => input.text().to_string(),
            Self::Area(a) => a.lines().join("\n"),
        }
    }
}

/// One field of a form.
#[derive(Debug)]
pub struct Field {
    /// JSON name, or a form-only name (`next_step`, `follow_up`...).
    pub key: &'static str,
    /// Label.
    pub label: String,
    /// The registry spec when the field is a record field.
    pub spec: Option<&'static Spec>,
    /// Must not be empty.
    pub required: bool,
    /// One line of help.
    pub help: String,
    /// The input.
    pub input: Input,
    /// Text when the form opened.
    pub initial: String,
    /// Sent instead of the text while the text is unchanged (a related record shown by
    /// name but stored by id).
    pub hidden: Option<String>,
    /// The message shown under the field.
    pub error: Option<String>,
}

impl Field {
    /// A one-line field.
    #[must_use]
    pub fn new(
        key: &'static str,
        label: &str,
        spec: Option<&'static Spec>,
        required: bool,
        help: &str,
        text: &str,
    ) -> Self {
        Self {
            key,
            label: label.to_string(),
            spec,
            required,
            help: help.to_string(),
            input: Input::line(text),
            initial: text.to_string(),
            hidden: None,
            error: None,
        }
    }

    /// The text now.
    #[must_use]
    pub fn text(&self) -> String {
        self.input.text()
    }

    /// The value to send: the hidden one while the text is unchanged.
    #[must_use]
    pub fn value(&self) -> String {
        let t = self.text();
        match &self.hidden {
            Some(h) if t == self.initial => h.clone(),
            _ => t,
        }
    }

    fn is_area(&self) -> bool {
        matches!(self.input, Input::Area(_))
    }

    fn height(&self) -> u16 {
        let base = if self.is_area() { 4 } else { 1 };
        base + u16::from(self.error.is_some())
    }
}

/// An open form.
#[derive(Debug)]
pub struct Form {
    /// Title.
    pub title: String,
    /// What saving does.
    pub target: Target,
    /// The fields.
    pub fields: Vec<Field>,
    /// The focused field.
    pub focus: usize,
    /// A message about the whole form.
    pub error: Option<String>,
    /// Esc was pressed with changes: waiting for y (discard) or n (back to the form).
    pub asking_discard: bool,
}

impl Form {
    /// The field named `key`.
    #[must_use]
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The field named `key`, to change.
    pub fn field_mut(&mut self, key: &str) -> Option<&mut Field> {
        self.fields.iter_mut().find(|f| f.key == key)
    }

    /// Whether any field differs from what the form opened with.
    #[must_use]
    pub fn changed(&self) -> bool {
        self.fields.iter().any(|f| f.text() != f.initial)
    }

    /// Sets a field's text (tests and `$EDITOR`).
    pub fn set_text(&mut self, key: &str, text: &str) {
        if let Some(f) = self.field_mut(key) {
            f.input = if f.is_area() {
                Input::area(text)
            } else {
                Input::line(text)
            };
        }
    }
}

/// Keys while a form is open.
pub fn handle_key(f: &mut Form, cx: &Ctx, key: KeyPress, out: &mut Effects) {
    if f.asking_discard {
        match key.code {
            Code::Char('y' | 'Y') => {
                out.push(Effect::Pop);
                out.say("Changes discarded", Level::Info);
            }
            Code::Char('n' | 'N') | Code::Esc => {
                f.asking_discard = false;
                out.say("Back to the form", Level::Info);
            }
            _ => out.say(DISCARD_QUESTION, Level::Info),
        }
        return;
    }
    let area = f.fields.get(f.focus).is_some_and(Field::is_area);
    let text_key = area && matches!(key.code, Code::Up | Code::Down | Code::Enter);
    if !text_key && let Some(action) = cx.keymap.get(Scope::Form, key) {
        form_action(f, action, out);
        return;
    }
    let last = f.focus + 1 == f.fields.len();
    let Some(field) = f.fields.get_mut(f.focus) else {
        // A confirmation has no fields: Enter (or y) says yes.
        if matches!(key.code, Code::Enter | Code::Char('y' | 'Y')) && !key.ctrl {
            out.push(Effect::Submit);
        }
        return;
    };
    match &mut field.input {
        Input::Line(input) => {
            if key.code == Code::Enter && !key.ctrl {
                if last {
                    out.push(Effect::Submit);
                } else {
                    form_action(f, Action::NextField, out);
                }
            } else {
                input.handle(key);
            }
        }
        Input::Area(a) => {
            a.input(to_textarea(key));
        }
    }
}

fn to_textarea(key: KeyPress) -> TaInput {
    let k = match key.code {
        Code::Char(c) => TaKey::Char(c),
        Code::Enter => TaKey::Enter,
        Code::Backspace => TaKey::Backspace,
        Code::Delete => TaKey::Delete,
        Code::Tab => TaKey::Tab,
        Code::Up => TaKey::Up,
        Code::Down => TaKey::Down,
        Code::Left => TaKey::Left,
        Code::Right => TaKey::Right,
        Code::Home => TaKey::Home,
        Code::End => TaKey::End,
        Code::PageUp => TaKey::PageUp,
        Code::PageDown => TaKey::PageDown,
        Code::Esc => TaKey::Esc,
        Code::F(n) => TaKey::F(n),
        Code::BackTab => TaKey::Null,
    };
    TaInput {
        key: k,
        ctrl: key.ctrl,
        alt: key.alt,
        shift: key.shift,
    }
}

/// What a changed form asks on Esc.
const DISCARD_QUESTION: &str = "Discard your changes? y discards them · n goes back to the form";

/// Runs a form action (from the keymap or a test).
pub fn form_action(f: &mut Form, action: Action, out: &mut Effects) {
    match action {
        Action::NextField | Action::PrevField => {
            let n = f.fields.len().max(1);
            let from = f.focus;
            f.focus = if action == Action::NextField {
                (f.focus + 1) % n
            } else {
                (f.focus + n - 1) % n
            };
            out.push(Effect::Check(from));
        }
        Action::Submit => out.push(Effect::Submit),
        Action::OpenEditor => {
            let text = f.fields.get(f.focus).map(Field::text).unwrap_or_default();
            out.push(Effect::Editor(text));
        }
        Action::Close | Action::Quit => {
            if f.changed() {
                f.asking_discard = true;
                out.say(DISCARD_QUESTION, Level::Info);
            } else {
                out.push(Effect::Pop);
                out.say("Nothing saved", Level::Info);
            }
        }
        _ => {}
    }
}

/// Puts text edited in `$EDITOR` into the focused field.
pub fn editor_done(f: &mut Form, text: &str) {
    if let Some(field) = f.fields.get_mut(f.focus) {
        let text = if field.is_area() {
            text.trim_end_matches('\n').to_string()
        } else {
            text.lines().next().unwrap_or("").to_string()
        };
        field.input = if field.is_area() {
            Input::area(&text)
        } else {
            Input::line(&text)
        };
    }
}

/// Draws the form.
pub fn render(f: &Form, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let want: u16 = f.fields.iter().map(Field::height).sum::<u16>() + 4 + u16::from(f.error.is_some());
    let r = centered(area, 72, want.max(8));
    Clear.render(r, buf);
    let save = cx.keymap.key_text(Scope::Form, Action::Submit).unwrap_or_default();
    let close = cx.keymap.key_text(Scope::Form, Action::Close).unwrap_or_default();
    let bottom = if f.asking_discard {
        ratatui::text::Line::from(" Discard your changes? y discard · n back to the form ")
            .style(th.error)
            .right_aligned()
    } else {
        ratatui::text::Line::from(format!(" {save} save · {close} cancel · tab next field "))
            .style(th.muted)
            .right_aligned()
    };
    let block = panel(format!(" {} ", f.title), th, true).title_bottom(bottom);
    let inner = block.inner(r);
    block.render(r, buf);
    let label_w = 14usize;
    let input_w = usize::from(inner.width).saturating_sub(label_w + 3);
    let mut heights: Vec<u16> = f.fields.iter().map(Field::height).collect();
    heights.push(0);
    let avail = inner.height.saturating_sub(1 + u16::from(f.error.is_some()));
    let mut start = 0;
    while start < f.focus && heights[start..=f.focus].iter().sum::<u16>() > avail {
        start += 1;
    }
    let mut y = inner.y;
    if let Some(e) = &f.error {
        line(
            buf,
            inner.x + 1,
            y,
            inner.width.saturating_sub(1),
            vec![Span::styled(fit(e, usize::from(inner.width) - 2), th.error)],
        );
        y += 1;
    }
    for (i, field) in f.fields.iter().enumerate().skip(start) {
        if y + field.height() > inner.bottom().saturating_sub(1) + 1 {
            break;
        }
        let focused = i == f.focus;
        let mark = if field.required { "*" } else { " " };
        let lstyle = if focused { th.accent } else { th.muted };
        line(
            buf,
            inner.x,
            y,
            u16::try_from(label_w + 2).unwrap_or(16),
            vec![Span::styled(
                format!(" {}{mark}", fit(&field.label, label_w - 1)),
                lstyle,
            )],
        );
        let x = inner.x + u16::try_from(label_w + 2).unwrap_or(16);
        match &field.input {
            Input::Line(input) => {
                let (text, cursor) = (input.text(), input.cursor());
                let shown = if text.is_empty() && !focused {
                    field.help.clone()
                } else {
                    text.to_string()
                };
                let style = if text.is_empty() && !focused { th.muted } else { th.text };
                let skip = cursor.saturating_sub(input_w.saturating_sub(1));
                let visible: String = shown.chars().skip(if focused { skip } else { 0 }).collect();
                line(
                    buf,
                    x,
                    y,
                    u16::try_from(input_w).unwrap_or(0),
                    vec![Span::styled(fit(&visible, input_w), style)],
                );
                if focused {
                    let cx = x + u16::try_from(cursor - skip).unwrap_or(0);
                    if cx < inner.right() {
                        buf[(cx, y)].set_style(th.selection);
                    }
                } else {
                    buf.set_style(
                        Rect::new(x, y, u16::try_from(input_w).unwrap_or(0), 1),
                        ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::UNDERLINED),
                    );
                }
            }
            Input::Area(a) => {
                let rect = Rect::new(x, y, u16::try_from(input_w).unwrap_or(0), 4);
                let mut shown = (**a).clone();
                shown.set_cursor_line_style(ratatui::style::Style::default());
                shown.set_style(th.text);
                shown.set_block(ratatui::widgets::Block::bordered().border_style(if focused {
                    th.focus
                } else {
                    th.border
                }));
                if !focused {
                    shown.set_cursor_style(th.text);
                }
                (&shown).render(rect, buf);
            }
        }
        y += if field.is_area() { 4 } else { 1 };
        if let Some(e) = &field.error {
            line(
                buf,
                x,
                y,
                u16::try_from(input_w).unwrap_or(0),
                vec![Span::styled(fit(&format!("↳ {e}"), input_w), th.error)],
            );
            y += 1;
        }
    }
    if let Some(field) = f.fields.get(f.focus) {
        line(
            buf,
            inner.x + 1,
            inner.bottom().saturating_sub(1),
            inner.width.saturating_sub(1),
            vec![Span::styled(fit(&field.help, usize::from(inner.width) - 2), th.muted)],
        );
    }
}
