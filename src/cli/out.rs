//! Standard output for every command, and the one place a closed pipe is handled.
//!
//! std's `println!` and `print!` panic when the reader of a pipe has gone away
//! (`outpost conflicts list | head -1`). Inside `crate::cli` those two macros are
//! replaced by ones that write through [`print`] (see the top of `cli/mod.rs`), and
//! writers that stream records use [`stdout`]. Both end the process quietly with exit
//! code 0 when the pipe is closed: the reader has all it wanted. Every command prints
//! only after its work is committed and flushed, so stopping there loses nothing.

use std::io::Write;

/// Writes `args` (and a newline) to stdout; see the module docs for a closed pipe.
pub fn print(args: std::fmt::Arguments<'_>, newline: bool) {
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
        } else if let Some(crate::app::AppError::Io { source, .. }) = cause.downcast_ref() {
            Some(source.kind())
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

/// Stdout as a writer for streamed output (tables, JSON, CSV).
pub struct Stdout(std::io::StdoutLock<'static>);

/// Locks stdout for streamed output; see the module docs for a closed pipe.
#[must_use]
pub fn stdout() -> Stdout {
    Stdout(std::io::stdout().lock())
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(|e| end(&e))
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.write_all(buf).map_err(|e| end(&e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(|e| end(&e))
    }
}
