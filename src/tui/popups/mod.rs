//! Popups over the views, one file each. A popup owns its state, takes every key while it
//! is on top and answers with effects; `update` opens and closes popups.

pub mod choice;
pub mod form;
pub mod help;
pub mod palette;
pub mod picker;
pub mod search;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::commands::Scope;
use super::ctx::Ctx;
use super::effect::Effects;
use super::keys::KeyPress;

/// A popup.
#[derive(Debug)]
pub enum Popup {
    /// The key overlay.
    Help(help::Help),
    /// The command palette.
    Palette(Box<palette::Palette>),
    /// Global search.
    Search(Box<search::Search>),
    /// A form.
    Form(Box<form::Form>),
    /// A fuzzy picker (a product for a new quote line).
    Picker(Box<picker::Picker>),
    /// A question whose answers open forms.
    Choice(Box<choice::Choice>),
}

impl Popup {
    /// Whether typed text goes into a field of this popup (a paste may land here).
    #[must_use]
    pub fn takes_text(&self) -> bool {
        match self {
            Self::Palette(_) | Self::Search(_) | Self::Picker(_) => true,
            // Not a confirmation (no fields: a pasted `y` would answer it), nor a form
            // asking whether to discard its changes.
            Self::Form(f) => !f.fields.is_empty() && !f.asking_discard,
            Self::Help(_) | Self::Choice(_) => false,
        }
    }

    /// Gives a key to this popup.
    pub fn handle_key(&mut self, cx: &Ctx, key: KeyPress, out: &mut Effects) {
        match self {
            Self::Help(h) => help::handle_key(h, cx, key, out),
            Self::Palette(p) => palette::handle_key(p, cx, key, out),
            Self::Search(s) => search::handle_key(s, cx, key, out),
            Self::Form(f) => form::handle_key(f, cx, key, out),
            Self::Picker(p) => picker::handle_key(p, cx, key, out),
            Self::Choice(c) => choice::handle_key(c, cx, key, out),
        }
    }
}

/// Draws every popup, bottom first; `scope` is the layer under them.
pub fn render(popups: &[Popup], cx: &Ctx, scope: Scope, area: Rect, buf: &mut Buffer) {
    for p in popups {
        match p {
            Popup::Help(h) => help::render(h, cx, area, buf),
            Popup::Palette(p) => palette::render(p, cx, scope, area, buf),
            Popup::Search(s) => search::render(s, cx, area, buf),
            Popup::Form(f) => form::render(f, cx, area, buf),
            Popup::Picker(p) => picker::render(p, cx, area, buf),
            Popup::Choice(c) => choice::render(c, cx, area, buf),
        }
    }
}
