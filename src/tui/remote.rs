//! The CLI while the TUI is open: the TUI holds the store, so a CLI command started in
//! another terminal is sent here over a Unix socket in the data dir (mode 0600: this user
//! only) and run by the TUI's process through the same `app` calls. The bytes of a
//! request and its answer are the CLI's business (`cli/remote.rs` gives the handler);
//! this file only listens, hands each request to the event loop and sends the answer.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::thread;

use super::event::Event;
use crate::app::App;

/// The socket's file name in the data dir.
pub const SOCKET_NAME: &str = "outpost.sock";

/// The biggest request read (a command line and its working directory).
const MAX_REQUEST: u64 = 1 << 20;

/// Runs one request on the app: the answer's bytes, and whether the store may have
/// changed (the views reload).
pub type Handler = Box<dyn Fn(&App, &[u8]) -> (Vec<u8>, bool) + Send>;

/// Listens on the socket in `dir` and sends every request to the event loop as
/// [`Event::Remote`]; the answer goes back to the process that asked. Returns the
/// socket's path (removed by [`stop`]).
pub fn listen(dir: &Path, tx: Sender<Event>) -> std::io::Result<PathBuf> {
    let path = dir.join(SOCKET_NAME);
    // One left by a TUI that did not exit cleanly answers nobody: this process holds the
    // store now.
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            if (&mut stream).take(MAX_REQUEST).read_to_end(&mut request).is_err() {
                continue;
            }
            let (reply_tx, reply_rx) = mpsc::channel();
            if tx.send(Event::Remote(request, reply_tx)).is_err() {
                break;
            }
            if let Ok(reply) = reply_rx.recv() {
                let _ = stream.write_all(&reply);
            }
        }
    });
    Ok(path)
}

/// Removes the socket (the TUI is closing).
pub fn stop(path: &Path) {
    let _ = std::fs::remove_file(path);
}
