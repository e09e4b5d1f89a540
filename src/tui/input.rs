//! The one single-line text input, used by the palette, global search, the list filter and
//! the forms' one-line fields: text with a cursor, typing inserts at the cursor,
//! Backspace/Delete, Left/Right/Home/End, Ctrl-U clears, Ctrl-W deletes the word before
//! the cursor. Keys it does not use (Enter, Esc, Up, Down, Tab...) are left to its owner.
//! Multi-line fields use `ratatui-textarea`.

use super::keys::{Code, KeyPress};

/// What a key did to the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    /// The text changed.
    Changed,
    /// Only the cursor moved.
    Moved,
    /// Not an editing key; the owner decides.
    Ignored,
}

/// A line of text with a cursor (counted in characters).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    cursor: usize,
}

impl TextInput {
    /// An input holding `text`, the cursor at its end.
    #[must_use]
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    /// The text.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor, in characters from the start.
    #[must_use]
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Whether there is no text.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Replaces the text, the cursor at its end.
    pub fn set(&mut self, text: &str) {
        *self = Self::new(text);
    }

    /// Empties it.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// The text with a bar at the cursor (how search, palette and filter show it).
    #[must_use]
    pub fn with_bar(&self) -> String {
        let at = self.byte_at(self.cursor);
        format!("{}▏{}", &self.text[..at], &self.text[at..])
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text.char_indices().nth(chars).map_or(self.text.len(), |(i, _)| i)
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    /// Takes a key.
    pub fn handle(&mut self, key: KeyPress) -> Edit {
        if key.ctrl {
            return match key.code {
                Code::Char('u') if !self.text.is_empty() || self.cursor > 0 => {
                    self.clear();
                    Edit::Changed
                }
                Code::Char('u') => Edit::Changed,
                Code::Char('w') => {
                    let chars: Vec<char> = self.text.chars().collect();
                    let mut start = self.cursor;
                    while start > 0 && chars[start - 1].is_whitespace() {
                        start -= 1;
                    }
                    while start > 0 && !chars[start - 1].is_whitespace() {
                        start -= 1;
                    }
                    let (from, to) = (self.byte_at(start), self.byte_at(self.cursor));
                    self.text.replace_range(from..to, "");
                    self.cursor = start;
                    Edit::Changed
                }
                _ => Edit::Ignored,
            };
        }
        match key.code {
            Code::Backspace if self.cursor > 0 => {
                let at = self.byte_at(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
                Edit::Changed
            }
            Code::Backspace => Edit::Changed,
            Code::Delete if self.cursor < self.len() => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
                Edit::Changed
            }
            Code::Delete => Edit::Changed,
            Code::Left => {
                self.cursor = self.cursor.saturating_sub(1);
                Edit::Moved
            }
            Code::Right => {
                self.cursor = (self.cursor + 1).min(self.len());
                Edit::Moved
            }
            Code::Home => {
                self.cursor = 0;
                Edit::Moved
            }
            Code::End => {
                self.cursor = self.len();
                Edit::Moved
            }
            _ => match key.text() {
                Some(c) => {
                    let at = self.byte_at(self.cursor);
                    self.text.insert(at, c);
                    self.cursor += 1;
                    Edit::Changed
                }
                None => Edit::Ignored,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(input: &mut TextInput, names: &str) {
        for n in names.split_whitespace() {
            input.handle(KeyPress::parse(n).expect("key"));
        }
    }

    #[test]
    fn typing_moves_and_edits_at_the_cursor() {
        let mut i = TextInput::default();
        for c in "Müller".chars() {
            i.handle(KeyPress::char(c));
        }
        assert_eq!((i.text(), i.cursor()), ("Müller", 6));
        keys(&mut i, "left left backspace");
        assert_eq!((i.text(), i.cursor()), ("Müler", 3));
        keys(&mut i, "home delete");
        assert_eq!((i.text(), i.cursor()), ("üler", 0));
        assert_eq!(i.with_bar(), "▏üler");
        keys(&mut i, "end");
        assert_eq!(i.with_bar(), "üler▏");
        assert_eq!(i.handle(KeyPress::parse("enter").expect("key")), Edit::Ignored);
    }

    #[test]
    fn ctrl_u_clears_and_ctrl_w_deletes_a_word() {
        let mut i = TextInput::new("acme gmbh berlin");
        keys(&mut i, "ctrl-w");
        assert_eq!(i.text(), "acme gmbh ");
        keys(&mut i, "ctrl-w");
        assert_eq!(i.text(), "acme ");
        assert_eq!(i.handle(KeyPress::parse("ctrl-u").expect("key")), Edit::Changed);
        assert!(i.is_empty());
        assert_eq!(i.cursor(), 0);
    }
}
