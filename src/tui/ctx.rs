//! What a component may read besides its own state: the use cases, now and the zone,
//! keys, colours and the terminal size. Borrowed from the state for one call.

use super::clock::Clock;
use super::keymap::Keymap;
use super::theme::Theme;
use crate::app::App;

/// Read-only context for handling and drawing.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The use cases (and through them the store).
    pub app: &'a App,
    /// Now and the time zone.
    pub clock: &'a Clock,
    /// Keys.
    pub keymap: &'a Keymap,
    /// Colours.
    pub theme: &'a Theme,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
}

impl Ctx<'_> {
    /// Rows available to a scrolling body (screen minus tabs, status and frame).
    #[must_use]
    pub fn page(&self) -> usize {
        usize::from(self.size.1.saturating_sub(7)).max(1)
    }
}
