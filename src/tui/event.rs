//! What the event loop takes in: keys, pastes and resizes from the terminal (read on their own
//! thread), and progress and results from the loading worker. Everything arrives on one
//! channel, so tests can send keys the same way.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread;
use std::time::Duration;

use crossterm::event::{self, KeyEventKind};

use super::jobs::{Job, Loaded, Ticket};
use super::keys::KeyPress;

/// One input to the state.
#[derive(Debug)]
pub enum Event {
    /// A key.
    Key(KeyPress),
    /// The terminal has a new size (columns, rows).
    Resize(u16, u16),
    /// Text pasted into the terminal (bracketed paste): text for the field being typed
    /// in, never keys.
    Paste(String),
    /// A job is part way.
    Progress(Job, usize, usize),
    /// A job finished (or failed with a message).
    Loaded(Ticket, Result<Loaded, String>),
    /// Time passed (sent now and then, so `sync_every` can start a sync).
    Tick,
    /// A CLI command from another process (`remote.rs`): the request, and where its
    /// answer goes.
    Remote(Vec<u8>, Sender<Vec<u8>>),
}

/// The name of the thread that reads the terminal: a panic there, as on the UI thread,
/// restores the terminal (the TUI could take no more keys).
pub const INPUT_THREAD: &str = "outpost-input";

/// Reads terminal events on a thread and sends them on `tx` until the receiver is gone.
/// While `paused` is set (an `$EDITOR` owns the terminal) it reads nothing.
pub fn spawn_input(tx: Sender<Event>, paused: Arc<AtomicBool>) -> std::io::Result<thread::JoinHandle<()>> {
    thread::Builder::new().name(INPUT_THREAD.into()).spawn(move || {
        loop {
            if paused.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(30));
                continue;
            }
            match event::poll(Duration::from_millis(50)) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(_) => break,
            }
            let Ok(ev) = event::read() else { break };
            let out = match ev {
                event::Event::Key(k) if k.kind != KeyEventKind::Release => KeyPress::from_event(k).map(Event::Key),
                event::Event::Resize(w, h) => Some(Event::Resize(w, h)),
                event::Event::Paste(text) => Some(Event::Paste(text)),
                _ => None,
            };
            if let Some(e) = out
                && tx.send(e).is_err()
            {
                break;
            }
        }
    })
}
