//! The terminal edge: set the terminal up (restored on exit, on error and, through
//! ratatui's panic hook, on a panic of the UI), run the event loop, hand loading jobs to worker
//! threads, suspend the screen for `$EDITOR`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::thread;

use anyhow::Context;
use ratatui::DefaultTerminal;

use super::clock::{Clock, Zone};
use super::event::{Event, INPUT_THREAD, spawn_input};
use super::jobs::{self, Ticket};
use super::keymap::{Keymap, config_dir};
use super::popups::Popup;
use super::popups::form::editor_done;
use super::state::{Level, Options, State};
use super::theme::{Theme, no_color_env};
use super::{ui, update};
use crate::app::App;

/// Opens the TUI on the store in `data_dir` and runs it until the user quits. With
/// `remote`, CLI commands from other processes run here while it is open (`remote.rs`).
pub fn run(data_dir: &Path, remote: Option<super::remote::Handler>) -> anyhow::Result<()> {
    let app = Arc::new(App::open(data_dir)?);
    let config = config_dir();
    let keymap = Keymap::load(config.as_deref()).map_err(|e| anyhow::anyhow!("keymap: {e}"))?;
    let no_color = no_color_env();
    let theme = load_theme(config.as_deref(), no_color)?;
    let mut terminal = ratatui::try_init().context("cannot set up the terminal (is this a terminal?)")?;
    // A paste arrives as one text (`Event::Paste`), never as keys that would run commands.
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableBracketedPaste);
    panics_spare_the_screen();
    let size = terminal.size().map(|s| (s.width, s.height)).unwrap_or((80, 24));
    let options = Options {
        zone: Zone::Local,
        keymap,
        theme,
        no_color,
        size,
    };
    let result = event_loop(&mut terminal, app, options, remote.map(|r| (data_dir, r)));
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableBracketedPaste);
    ratatui::restore();
    report_quiet_panics();
    result
}

fn load_theme(config: Option<&Path>, no_color: bool) -> anyhow::Result<Theme> {
    let name = std::env::var("OUTPOST_THEME").unwrap_or_else(|_| "dark".into());
    let path = config.map(|c| c.join("theme.toml"));
    let user = match &path {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(t) => Some((p.clone(), t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(anyhow::anyhow!("{}: {e}", p.display())),
        },
        None => None,
    };
    Theme::load(&name, user.as_ref().map(|(p, t)| (p.as_path(), t.as_str())), no_color).map_err(|e| anyhow::anyhow!(e))
}

/// Panics of threads other than the UI's and the input's, as the panic hook saw them
/// (thread, place and message), printed once the terminal is restored on exit.
static QUIET_PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// ratatui's panic hook restores the terminal, and must, for a panic of the UI thread
/// or of the input thread (the TUI could not go on). A panic of any other thread (a job,
/// or a thread a job started) leaves the screen alone: the job answers with an error
/// ([`jobs::run_caught`]) and the TUI goes on; what the hook saw is printed on exit.
fn panics_spare_the_screen() {
    let ui = thread::current().id();
    let ui_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let me = thread::current();
        if me.id() == ui || me.name() == Some(INPUT_THREAD) {
            ui_hook(info);
        } else if let Ok(mut seen) = QUIET_PANICS.try_lock() {
            seen.push(format!("{} {info}", me.name().unwrap_or("a worker thread")));
        }
    }));
}

/// Prints the panics [`panics_spare_the_screen`] kept off the screen.
fn report_quiet_panics() {
    let seen = QUIET_PANICS
        .lock()
        .map(|mut s| std::mem::take(&mut *s))
        .unwrap_or_default();
    for panic in seen {
        eprintln!("outpost: {panic}\n(the TUI went on; please report this)");
    }
}

fn spawn_job(app: Arc<App>, clock: Clock, ticket: Ticket, tx: Sender<Event>) {
    let (lost, lost_tx) = (ticket.clone(), tx.clone());
    let worker = move || {
        let progress_tx = tx.clone();
        let progress_job = ticket.job.clone();
        let mut progress = move |done: usize, total: usize| {
            let _ = progress_tx.send(Event::Progress(progress_job.clone(), done, total));
        };
        let result = jobs::run_caught(&app, &clock, &ticket.job, &mut progress);
        let _ = tx.send(Event::Loaded(ticket, result));
    };
    if let Err(e) = thread::Builder::new().name("outpost-job".into()).spawn(worker) {
        // No thread to be had (the system's limit): the job answers so.
        let _ = lost_tx.send(Event::Loaded(lost, Err(format!("cannot start a thread: {e}"))));
    }
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    app: Arc<App>,
    options: Options,
    remote: Option<(&Path, super::remote::Handler)>,
) -> anyhow::Result<()> {
    let (tx, rx) = mpsc::channel();
    let mut socket = None;
    let mut handler = None;
    if let Some((dir, run)) = remote {
        // Without the socket the TUI still works; other processes are told it is open.
        socket = super::remote::listen(dir, tx.clone()).ok();
        handler = Some(run);
    }
    let result = event_loop_inner(terminal, app, options, handler, tx, &rx);
    if let Some(path) = &socket {
        super::remote::stop(path);
    }
    result
}

fn event_loop_inner(
    terminal: &mut DefaultTerminal,
    app: Arc<App>,
    options: Options,
    handler: Option<super::remote::Handler>,
    tx: Sender<Event>,
    rx: &mpsc::Receiver<Event>,
) -> anyhow::Result<()> {
    let paused = Arc::new(AtomicBool::new(false));
    let _input = spawn_input(tx.clone(), paused.clone()).context("cannot start the thread that reads keys")?;
    if app.config.sync_every.is_some() {
        // `sync_every`: a tick now and then lets the state start a sync when one is due.
        let tick = tx.clone();
        thread::spawn(move || {
            while tick.send(Event::Tick).is_ok() {
                thread::sleep(std::time::Duration::from_secs(20));
            }
        });
    }
    let mut st = State::new(app, options);
    st.remote = handler;
    loop {
        for ticket in st.take_jobs() {
            if st.status.progress.is_none() && ticket.job.in_status_line() {
                st.status.progress = Some((ticket.job.label(), None));
            }
            spawn_job(st.app.clone(), st.clock.clone(), ticket, tx.clone());
        }
        terminal.draw(|f| ui::draw(&st, f.area(), f.buffer_mut()))?;
        if st.quit {
            return Ok(());
        }
        if let Some(request) = st.editor.take() {
            match edit_in_editor(terminal, &paused, &request.text) {
                Ok(text) => {
                    if let Some(Popup::Form(f)) = st.popups.last_mut() {
                        editor_done(f, &text);
                    }
                }
                Err(e) => st.say(format!("$EDITOR: {e:#}"), Level::Error),
            }
            continue;
        }
        let event = rx.recv().context("the input thread stopped")?;
        update::handle_event(&mut st, event);
        while let Ok(event) = rx.try_recv() {
            update::handle_event(&mut st, event);
        }
    }
}

/// Suspends the screen, edits `text` in `$VISUAL` / `$EDITOR` (default vi), and returns
/// the result.
fn edit_in_editor(terminal: &mut DefaultTerminal, paused: &AtomicBool, text: &str) -> anyhow::Result<String> {
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .or_else(|| std::env::var("EDITOR").ok().filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| "vi".into());
    let path: PathBuf = std::env::temp_dir().join(format!("outpost-edit-{}.txt", std::process::id()));
    {
        let mut f = std::fs::File::create(&path).with_context(|| path.display().to_string())?;
        f.write_all(text.as_bytes())?;
    }
    AtomicBool::store(paused, true, Ordering::SeqCst);
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableBracketedPaste);
    ratatui::restore();
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status();
    let back = crossterm::terminal::enable_raw_mode().and_then(|()| {
        crossterm::execute!(
            std::io::stdout(),
            crossterm::terminal::EnterAlternateScreen,
            crossterm::event::EnableBracketedPaste
        )
    });
    AtomicBool::store(paused, false, Ordering::SeqCst);
    back?;
    terminal.clear()?;
    let status = status.with_context(|| format!("cannot run '{editor}'"))?;
    let result = std::fs::read_to_string(&path).with_context(|| path.display().to_string());
    let _ = std::fs::remove_file(&path);
    if !status.success() {
        anyhow::bail!("'{editor}' exited with {status}; the field is unchanged");
    }
    result
}
