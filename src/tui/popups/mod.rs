//! Popups over the views, one file each. A popup takes every key while it is on top.

pub mod form;
pub mod help;
pub mod palette;
pub mod search;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::keys::KeyPress;
use super::state::State;

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
}

/// Gives a key to the top popup.
pub fn handle_key(st: &mut State, key: KeyPress) {
    match st.popups.last() {
        Some(Popup::Help(_)) => help::handle_key(st, key),
        Some(Popup::Palette(_)) => palette::handle_key(st, key),
        Some(Popup::Search(_)) => search::handle_key(st, key),
        Some(Popup::Form(_)) => form::handle_key(st, key),
        None => {}
    }
}

/// Draws every popup, bottom first.
pub fn render(st: &State, area: Rect, buf: &mut Buffer) {
    for p in &st.popups {
        match p {
            Popup::Help(h) => help::render(st, h, area, buf),
            Popup::Palette(p) => palette::render(st, p, area, buf),
            Popup::Search(s) => search::render(st, s, area, buf),
            Popup::Form(f) => form::render(st, f, area, buf),
        }
    }
}
