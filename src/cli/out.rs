//! Standard output for every command, and the one place a closed pipe is handled.
//!
//! std's `println!` and `print!` panic when the reader of a pipe has gone away
//! (`outpost conflicts list | head -1`). Inside `crate::cli` those two macros are
//! replaced by ones that write through [`print`] (see the top of `cli/mod.rs`), and
//! writers that stream records use [`stdout`]. Both end the process quietly with exit
//! code 0 when the pipe is closed: the reader has all it wanted. Every command prints
//! only after its work is committed and flushed, so stopping there loses nothing.

use std::cell::RefCell;
use std::io::Write;

thread_local! {
    /// While a command runs for another process (through the open TUI, `cli/remote.rs`):
    /// what it writes to stdout and stderr.
    static CAPTURE: RefCell<Option<(Vec<u8>, Vec<u8>)>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's stdout and stderr output (through [`print`], [`eprint`]
/// and [`stdout`]) kept in buffers: returns `f`'s result, stdout and stderr.
pub fn capture<T>(f: impl FnOnce() -> T) -> (T, Vec<u8>, Vec<u8>) {
    CAPTURE.with(|c| *c.borrow_mut() = Some((Vec::new(), Vec::new())));
    let result = f();
    let (out, err) = CAPTURE.with(|c| c.borrow_mut().take()).unwrap_or_default();
    (result, out, err)
}

/// Appends to the captured stdout (`false`) or stderr (`true`); `false` when nothing is
/// being captured.
fn captured(err: bool, bytes: &[u8]) -> bool {
    CAPTURE.with(|c| match c.borrow_mut().as_mut() {
        Some((o, e)) => {
            if err { e } else { o }.extend_from_slice(bytes);
            true
        }
        None => false,
    })
}

/// Whether output is being captured on this thread.
#[must_use]
pub fn capturing() -> bool {
    CAPTURE.with(|c| c.borrow().is_some())
}

/// Whether stderr is a terminal the user watches (not while captured).
#[must_use]
pub fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    CAPTURE.with(|c| c.borrow().is_none()) && std::io::stderr().is_terminal()
}

/// Writes `args` (and a newline) to stderr, or to the captured stderr.
pub fn eprint(args: std::fmt::Arguments<'_>, newline: bool) {
    let mut text = args.to_string();
    if newline {
        text.push('\n');
    }
    if !captured(true, text.as_bytes()) {
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
}

/// Writes `args` (and a newline) to stdout; see the module docs for a closed pipe.
pub fn print(args: std::fmt::Arguments<'_>, newline: bool) {
    let mut text = args.to_string();
    if newline {
        text.push('\n');
    }
    if captured(false, text.as_bytes()) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let result = out
        .write_fmt(args)
        .and_then(|()| if newline { out.write_all(b"\n") } else { Ok(()) });
    if let Err(e) = result {
        end(&e);
    }
}

/// Ends the process after a failed write to stdout: quietly with 0 for a closed pipe,
/// else with a message and 1.
pub fn end(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: cannot write to standard output: {e}");
    std::process::exit(1)
}

/// Whether `e`, or any error in its chain, is a closed pipe.
#[must_use]
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        let kind = if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            Some(io.kind())
        } else if let Some(crate::app::AppError::Io { error, .. }) = cause.downcast_ref() {
            Some(error.kind())
        } else if let Some(c) = cause.downcast_ref::<csv::Error>() {
            match c.kind() {
                csv::ErrorKind::Io(io) => Some(io.kind()),
                _ => None,
            }
        } else {
            cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
        };
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// Stdout as a writer for streamed output (tables, JSON, CSV); the captured stdout
/// while a command runs for another process.
pub struct Stdout(Option<std::io::StdoutLock<'static>>);

/// Locks stdout for streamed output; see the module docs for a closed pipe.
#[must_use]
pub fn stdout() -> Stdout {
    if CAPTURE.with(|c| c.borrow().is_some()) {
        Stdout(None)
    } else {
        Stdout(Some(std::io::stdout().lock()))
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.0 {
            Some(o) => o.write(buf).map_err(|e| end(&e)),
            None => {
                captured(false, buf);
                Ok(buf.len())
            }
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match &mut self.0 {
            Some(o) => o.write_all(buf).map_err(|e| end(&e)),
            None => {
                captured(false, buf);
                Ok(())
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.0 {
            Some(o) => o.flush().map_err(|e| end(&e)),
            None => Ok(()),
        }
    }
}
