//! Key presses: parsing the names used in `keymap.toml` ("ctrl-s", "shift-tab", "?")
//! and showing them in hints and help.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One key with its modifiers, normalised so equal presses compare equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyPress {
    /// The key.
    pub code: Code,
    /// Ctrl held.
    pub ctrl: bool,
    /// Alt held.
    pub alt: bool,
    /// Shift held (never for characters: 'J' already says it).
    pub shift: bool,
}

/// The keys outpost knows by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// A character.
    Char(char),
    /// Escape.
    Esc,
    /// Enter.
    Enter,
    /// Tab.
    Tab,
    /// Shift-Tab.
    BackTab,
    /// Backspace.
    Backspace,
    /// Delete.
    Delete,
    /// Arrow up.
    Up,
    /// Arrow down.
    Down,
    /// Arrow left.
    Left,
    /// Arrow right.
    Right,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Home.
    Home,
    /// End.
    End,
    /// A function key.
    F(u8),
}

impl KeyPress {
    /// A plain key without modifiers.
    #[must_use]
    pub fn plain(code: Code) -> Self {
        Self {
            code,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    /// A character key.
    #[must_use]
    pub fn char(c: char) -> Self {
        Self::plain(Code::Char(c))
    }

    /// Ctrl plus a character.
    #[must_use]
    pub fn ctrl(c: char) -> Self {
        Self {
            ctrl: true,
            ..Self::char(c)
        }
    }

    /// From a terminal key event; `None` for keys outpost has no name for.
    #[must_use]
    pub fn from_event(e: KeyEvent) -> Option<Self> {
        let code = match e.code {
            KeyCode::Char(c) => Code::Char(c),
            KeyCode::Esc => Code::Esc,
            KeyCode::Enter => Code::Enter,
            KeyCode::Tab => Code::Tab,
            KeyCode::BackTab => Code::BackTab,
            KeyCode::Backspace => Code::Backspace,
            KeyCode::Delete => Code::Delete,
            KeyCode::Up => Code::Up,
            KeyCode::Down => Code::Down,
            KeyCode::Left => Code::Left,
            KeyCode::Right => Code::Right,
            KeyCode::PageUp => Code::PageUp,
            KeyCode::PageDown => Code::PageDown,
            KeyCode::Home => Code::Home,
            KeyCode::End => Code::End,
            KeyCode::F(n) => Code::F(n),
            _ => return None,
        };
        let m = e.modifiers;
        Some(Self::normalise(Self {
            code,
            ctrl: m.contains(KeyModifiers::CONTROL),
            alt: m.contains(KeyModifiers::ALT),
            shift: m.contains(KeyModifiers::SHIFT),
        }))
    }

    fn normalise(mut self) -> Self {
        match self.code {
            Code::Char(c) => {
                if self.ctrl || self.alt {
                    if self.shift && c.is_ascii_alphabetic() {
                        self.code = Code::Char(c.to_ascii_uppercase());
                    } else if c.is_ascii_uppercase() {
                        self.shift = false;
                    }
                }
                self.shift = false;
            }
            Code::BackTab => self.shift = false,
            Code::Tab if self.shift => {
                self.code = Code::BackTab;
                self.shift = false;
            }
            _ => {}
        }
        self
    }

    /// Parses a key name: modifiers `ctrl-`, `alt-`, `shift-` then a character or one of
    /// esc, enter, tab, backtab, backspace, delete, up, down, left, right, pageup,
    /// pagedown, home, end, space, f1..f12.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut rest = text;
        let mut key = Self::plain(Code::Esc);
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && lower.starts_with("ctrl-") {
                key.ctrl = true;
                rest = &rest[5..];
            } else if rest.chars().count() > 1 && lower.starts_with("alt-") {
                key.alt = true;
                rest = &rest[4..];
            } else if rest.chars().count() > 1 && lower.starts_with("shift-") {
                key.shift = true;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        key.code = match (chars.next(), chars.next()) {
            (Some(c), None) => Code::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "esc" | "escape" => Code::Esc,
                "enter" | "return" => Code::Enter,
                "tab" => Code::Tab,
                "backtab" => Code::BackTab,
                "backspace" => Code::Backspace,
                "delete" | "del" => Code::Delete,
                "up" => Code::Up,
                "down" => Code::Down,
                "left" => Code::Left,
                "right" => Code::Right,
                "pageup" => Code::PageUp,
                "pagedown" => Code::PageDown,
                "home" => Code::Home,
                "end" => Code::End,
                "space" => Code::Char(' '),
                f if f.starts_with('f') && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) => {
                    Code::F(f[1..].parse().unwrap_or(1))
                }
                _ => {
                    return Err(format!(
                        "'{text}' is not a key (examples: j, J, ctrl-s, shift-tab, enter, f2)"
                    ));
                }
            },
        };
        if let (Code::Char(c), true) = (key.code, key.shift)
            && c.is_ascii_alphabetic()
        {
            key.code = Code::Char(c.to_ascii_uppercase());
        }
        Ok(key.normalise())
    }

    /// The character typed, if this is plain text input.
    #[must_use]
    pub fn text(self) -> Option<char> {
        match self.code {
            Code::Char(c) if !self.ctrl && !self.alt => Some(c),
            _ => None,
        }
    }
}

impl fmt::Display for KeyPress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        if self.shift {
            f.write_str("shift-")?;
        }
        match self.code {
            Code::Char(' ') => f.write_str("space"),
            Code::Char(c) => write!(f, "{c}"),
            Code::Esc => f.write_str("esc"),
            Code::Enter => f.write_str("enter"),
            Code::Tab => f.write_str("tab"),
            Code::BackTab => f.write_str("shift-tab"),
            Code::Backspace => f.write_str("backspace"),
            Code::Delete => f.write_str("delete"),
            Code::Up => f.write_str("↑"),
            Code::Down => f.write_str("↓"),
            Code::Left => f.write_str("←"),
            Code::Right => f.write_str("→"),
            Code::PageUp => f.write_str("pgup"),
            Code::PageDown => f.write_str("pgdn"),
            Code::Home => f.write_str("home"),
            Code::End => f.write_str("end"),
            Code::F(n) => write!(f, "f{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        assert_eq!(KeyPress::parse("ctrl-s"), Ok(KeyPress::ctrl('s')));
        assert_eq!(KeyPress::parse("shift-tab"), Ok(KeyPress::plain(Code::BackTab)));
        assert_eq!(KeyPress::parse("shift-l"), Ok(KeyPress::char('L')));
        assert_eq!(KeyPress::parse("L"), Ok(KeyPress::char('L')));
        assert_eq!(KeyPress::parse("-"), Ok(KeyPress::char('-')));
        assert_eq!(KeyPress::parse("space"), Ok(KeyPress::char(' ')));
        assert!(KeyPress::parse("hyper-x").is_err());
        let e = KeyEvent::new(KeyCode::Char('L'), KeyModifiers::SHIFT);
        assert_eq!(KeyPress::from_event(e), Some(KeyPress::char('L')));
        assert_eq!(KeyPress::ctrl('s').to_string(), "ctrl-s");
    }
}
