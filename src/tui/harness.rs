//! Driving the TUI without a terminal: keys in, state and screen out. Loading jobs run
//! inline so every step is deterministic. Used by the tests and the benchmark.

use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use super::action::Action;
use super::clock::Zone;
use super::event::Event;
use super::jobs::{self, Loaded, Ticket};
use super::keymap::Keymap;
use super::keys::KeyPress;
use super::state::{Options, State};
use super::theme::Theme;
use super::{ui, update};
use crate::app::App;

/// A TUI session on a test backend.
pub struct Harness {
    /// The state under test.
    pub state: State,
}

impl Harness {
    /// A session on `app` showing times in `zone`, `size` columns x rows, built-in keymap
    /// and dark theme, with the first loading done. Now is the app's clock (open it with
    /// [`App::open_with_clock`] and a manual clock to move time).
    #[must_use]
    pub fn new(app: Arc<App>, zone: chrono_tz::Tz, size: (u16, u16)) -> Self {
        let keymap = Keymap::builtin().unwrap_or_else(|e| panic!("built-in keymap: {e}"));
        Self::with_options(
            app,
            Options {
                zone: Zone::Named(zone),
                keymap,
                theme: Theme::builtin("dark", false),
                no_color: false,
                size,
            },
        )
    }

    /// A session with explicit options.
    #[must_use]
    pub fn with_options(app: Arc<App>, options: Options) -> Self {
        let mut h = Self {
            state: State::new(app, options),
        };
        h.settle();
        h
    }

    /// Runs every asked-for job inline, until none is left.
    pub fn settle(&mut self) {
        for _ in 0..16 {
            let todo = self.state.take_jobs();
            if todo.is_empty() {
                return;
            }
            for ticket in todo {
                let result = self.run(&ticket);
                self.deliver(ticket, result);
            }
        }
    }

    /// Runs one handed-out job, as the runtime's worker does, without taking in its
    /// result (a test or bench may deliver it later, or out of order).
    pub fn run(&self, ticket: &Ticket) -> Result<Loaded, String> {
        jobs::run(&self.state.app, &self.state.clock, &ticket.job, &mut |_, _| {}).map_err(|e| e.to_string())
    }

    /// Takes in a job's result, as the runtime does when its worker sends it.
    pub fn deliver(&mut self, ticket: Ticket, result: Result<Loaded, String>) {
        update::handle_event(&mut self.state, Event::Loaded(ticket, result));
    }

    /// Presses keys given by name, separated by spaces ("2 L enter ctrl-s").
    pub fn keys(&mut self, names: &str) {
        for name in names.split_whitespace() {
            let key = KeyPress::parse(name).unwrap_or_else(|e| panic!("{e}"));
            self.key(key);
        }
    }

    /// Presses one key.
    pub fn key(&mut self, key: KeyPress) {
        update::handle_event(&mut self.state, Event::Key(key));
        self.settle();
    }

    /// Types text, one key per character.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyPress::char(c));
        }
    }

    /// Pastes text, as a terminal with bracketed paste sends it.
    pub fn paste(&mut self, text: &str) {
        update::handle_event(&mut self.state, Event::Paste(text.to_string()));
        self.settle();
    }

    /// Runs an action as if chosen in the palette.
    pub fn action(&mut self, action: Action) {
        update::dispatch(&mut self.state, action);
        self.settle();
    }

    /// Changes the terminal size.
    pub fn resize(&mut self, w: u16, h: u16) {
        update::handle_event(&mut self.state, Event::Resize(w, h));
        self.settle();
    }

    /// Draws the screen on a [`TestBackend`] of the current size.
    #[must_use]
    pub fn render(&self) -> Buffer {
        let (w, h) = self.state.size;
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("test backend: {e}"));
        term.draw(|f| ui::draw(&self.state, f.area(), f.buffer_mut()))
            .unwrap_or_else(|e| panic!("draw: {e}"));
        term.backend().buffer().clone()
    }

    /// The screen as text, one line per row, trailing spaces kept.
    #[must_use]
    pub fn screen(&self) -> String {
        let buf = self.render();
        let area = buf.area;
        let mut out = String::new();
        for y in 0..area.height {
            let mut skip = 0usize;
            for x in 0..area.width {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let sym = buf[(x, y)].symbol();
                skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
                out.push_str(sym);
            }
            out.push('\n');
        }
        out
    }
}
