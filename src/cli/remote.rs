//! The CLI while the TUI is open. The open TUI holds the store; a command that needs it
//! is sent to the TUI over the socket in the data dir (`tui/remote.rs`) as its command
//! line and working directory, runs there through the same dispatch (its stdout and
//! stderr kept in buffers, `out::capture`), and its output and exit code come back and
//! are written here as if it had run here. When no TUI answers, the error says which
//! process holds the store. No command reads standard input, so none is sent.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use clap::Parser;
use serde::{Deserialize, Serialize};

use super::{Cli, Commands, out};
use crate::app::App;
use crate::tui::remote::SOCKET_NAME;

/// What the CLI sends.
#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    /// The command line, program name first.
    pub argv: Vec<String>,
    /// Where it was started (relative paths in it are relative to this).
    pub cwd: PathBuf,
}

/// What comes back.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Reply {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit code.
    pub code: i32,
}

/// Sends this process's command to the TUI holding the store at `dir`, writes its output
/// and returns its exit code. Fails, naming the holder, when no TUI answers.
pub fn forward(dir: &Path, store: &Path) -> anyhow::Result<i32> {
    let request = Request {
        argv: std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect(),
        cwd: std::env::current_dir()?,
    };
    let reply = ask(dir, &request).map_err(|_| {
        let who = holder(store).map_or_else(String::new, |pid| format!(" (pid {pid})"));
        anyhow::anyhow!(
            "the store at {} is in use by another outpost process{who} that does not take commands \
             (a sync, an import, or a TUI of an older outpost); wait for it or close it and try again",
            store.display()
        )
    })?;
    std::io::stdout().write_all(reply.stdout.as_bytes())?;
    std::io::stdout().flush()?;
    std::io::stderr().write_all(reply.stderr.as_bytes())?;
    Ok(reply.code)
}

/// Sends `request` to the TUI listening in `dir` and waits for its answer.
pub fn ask(dir: &Path, request: &Request) -> std::io::Result<Reply> {
    let mut stream = UnixStream::connect(dir.join(SOCKET_NAME))?;
    stream.write_all(&serde_json::to_vec(request).map_err(std::io::Error::other)?)?;
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    serde_json::from_slice(&answer).map_err(std::io::Error::other)
}

/// The process holding a lock on a file of the store, from `/proc/locks` (Linux).
fn holder(store: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    // sled locks a file of the database directory inside the data dir.
    let mut inodes: Vec<u64> = Vec::new();
    for d in [store.to_path_buf(), store.join("store")] {
        if let Ok(entries) = std::fs::read_dir(&d) {
            inodes.extend(entries.filter_map(|e| e.ok()?.metadata().ok().map(|m| m.ino())));
        }
    }
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    locks.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let pid: u32 = f.get(4)?.parse().ok()?;
        let inode: u64 = f.get(5)?.rsplit(':').next()?.parse().ok()?;
        inodes.contains(&inode).then_some(pid)
    })
}

/// Prints a clap error or help text where clap would (stdout or stderr).
pub fn print_clap(e: &clap::Error) {
    if out::capturing() {
        let text = e.render().to_string();
        if e.use_stderr() {
            out::eprint(format_args!("{text}"), false);
        } else {
            out::print(format_args!("{text}"), false);
        }
    } else {
        let _ = e.print();
    }
}

/// The handler the TUI runs requests with.
#[must_use]
pub fn handler() -> crate::tui::remote::Handler {
    Box::new(|app: &App, bytes: &[u8]| {
        let (reply, wrote) = match serde_json::from_slice::<Request>(bytes) {
            Ok(request) => run(app, &request),
            Err(e) => (
                Reply {
                    stderr: format!("error: the TUI could not read the command: {e}\n"),
                    code: 2,
                    ..Reply::default()
                },
                false,
            ),
        };
        (serde_json::to_vec(&reply).unwrap_or_default(), wrote)
    })
}

/// Runs one request on `app` with its output captured; whether it may have written.
pub fn run(app: &App, request: &Request) -> (Reply, bool) {
    let ((code, wrote), stdout, stderr) = out::capture(|| {
        let cli = match Cli::try_parse_from(&request.argv) {
            Ok(c) => c,
            Err(e) => {
                print_clap(&e);
                return (e.exit_code(), false);
            }
        };
        let Some(command) = cli.command else {
            eprintln!("error: a TUI is already open on this store");
            return (1, false);
        };
        if matches!(
            command,
            Commands::Completions(_)
                | Commands::Man(_)
                | Commands::Restore(_)
                | Commands::Serve(_)
                | Commands::Server(_)
        ) {
            eprintln!("error: this command does not run through the open TUI; close the TUI first");
            return (1, false);
        }
        let wrote = !reads_only(&request.argv);
        let back = std::env::current_dir().ok();
        if let Err(e) = std::env::set_current_dir(&request.cwd) {
            eprintln!("error: {}: {e}", request.cwd.display());
            return (1, false);
        }
        let code = super::finish(super::dispatch(app, command, cli.format));
        if let Some(b) = back {
            let _ = std::env::set_current_dir(b);
        }
        (code, wrote)
    });
    (
        Reply {
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            code,
        },
        wrote && code == 0,
    )
}

/// Whether a command line only reads the store (the TUI need not reload after it).
fn reads_only(argv: &[String]) -> bool {
    let words: Vec<&str> = argv
        .iter()
        .skip(1)
        .map(String::as_str)
        .filter(|w| !w.starts_with('-'))
        .collect();
    match words.first().copied() {
        Some("export" | "report" | "backup" | "check") => true,
        Some(_) => words
            .iter()
            .skip(1)
            .take(2)
            .any(|w| matches!(*w, "list" | "show" | "status")),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_told_from_writes() {
        let argv = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
        assert!(reads_only(&argv("outpost contact list --format json")));
        assert!(reads_only(&argv("outpost export contacts")));
        assert!(!reads_only(&argv("outpost contact add --first-name A")));
        assert!(!reads_only(&argv("outpost sync")));
    }
}
