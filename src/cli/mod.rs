//! The command line: clap definitions, dispatch, output and exit codes.
//!
//! Exit codes: 0 success; 1 runtime failure (store, file, network); 2 usage (unknown
//! command or flag, missing argument); 3 invalid data (a field, a file; nothing changed);
//! 4 unknown or ambiguous REF.
//!
//! Output: within this module `println!` and `print!` are this crate's own (below), which
//! write through [`out::print`]: a closed pipe (`outpost ... | head -1`) ends the command
//! quietly with exit code 0 instead of a panic. Streamed output uses [`out::stdout`].

/// `println!` for the CLI: through [`out::print`], so a closed pipe is a quiet end.
macro_rules! println {
    () => {
        $crate::cli::out::print(format_args!(""), true)
    };
    ($($arg:tt)*) => {
        $crate::cli::out::print(format_args!($($arg)*), true)
    };
}

/// `print!` for the CLI: through [`out::print`], so a closed pipe is a quiet end.
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::cli::out::print(format_args!($($arg)*), false)
    };
}

/// `eprintln!` for the CLI: through [`out::eprint`], so a command run for another
/// process through the open TUI writes to that process's stderr.
macro_rules! eprintln {
    ($($arg:tt)*) => {
        $crate::cli::out::eprint(format_args!($($arg)*), true)
    };
}

mod calendar_cmd;
mod commands;
pub mod conflicts_cmd;
pub mod entity;
mod entity_cmd;
mod hint;
pub mod man;
pub mod out;
pub mod remote;
pub mod report_cmd;
pub mod serve_cmd;
pub mod server_cmd;
pub mod sync_cmd;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::AppError;
use crate::app::export::Format;

/// Offline-first sales force automation for the terminal.
///
/// Run with no command to open the TUI. Every record kind has add/list/show/edit/rm;
/// REF is an id, an unambiguous id prefix, or a unique name.
#[derive(Parser, Debug)]
#[command(name = "outpost", version, about, long_about, after_help = EXAMPLES)]
pub struct Cli {
    /// Where the local store lives [default: the XDG data dir, e.g. ~/.local/share/outpost].
    #[arg(long, global = true, env = "OUTPOST_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Output format: table for people; json (one array), ndjson (one object a line) and
    /// csv (header row, RFC 4180) for scripts.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// What to do (nothing opens the TUI).
    #[command(subcommand)]
    pub command: Option<Commands>,
}

const EXAMPLES: &str = "Examples:
  outpost demo                                   fill a new store with sample data
  outpost account add --name \"Acme GmbH\" --city Berlin --country DE
  outpost opp add --name \"Acme rollout\" --account Acme --amount 12500 --close 2026-12-15
  outpost opp move \"Acme rollout\" Proposal
  outpost activity log call --subject \"Price talk\" --account Acme --next-step \"Send quote\"
  outpost export contacts --format csv > contacts.csv";

/// Every command.
#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Companies you sell to.
    Account(entity::AccountArgs),
    /// People, usually at an account.
    Contact(entity::ContactArgs),
    /// Unqualified prospects; `lead convert` turns one into account, contact and deal.
    Lead(entity::LeadArgs),
    /// Opportunities (deals) in the pipeline.
    #[command(visible_alias = "opportunity")]
    Opp(entity::OppArgs),
    /// Products with prices per currency.
    Product(entity::ProductArgs),
    /// Quotes for opportunities, with lines.
    #[command(after_long_help = crate::model::totals::RULE)]
    Quote(entity::QuoteArgs),
    /// Orders made from accepted quotes: `order add --quote Q`, `order status`.
    Order(entity::OrderArgs),
    /// Calls, meetings, visits, e-mails, notes and tasks.
    Activity(entity::ActivityArgs),
    /// Calendar events (recurring with --rrule and --exdate).
    Event(entity::EventArgs),
    /// Event occurrences and open tasks due in the next days, in your time zone.
    Agenda(calendar_cmd::AgendaArgs),
    /// Users (reps, managers) with quotas.
    User(entity::UserArgs),
    /// Sales territories: members and rules; `territory assign` places accounts by the
    /// rules (the most specific rule wins).
    Territory(entity::TerritoryArgs),
    /// List and restore trashed records.
    #[command(subcommand)]
    Trash(commands::TrashCmd),
    /// Import records from a CSV file (all rows or none).
    Import(commands::ImportArgs),
    /// Export all records of a kind in any --format.
    Export(commands::ExportArgs),
    /// Write the whole store (records, clocks, outbox) to a portable NDJSON file.
    Backup(commands::BackupArgs),
    /// Load a backup into an empty data dir, giving an identical store.
    Restore(commands::RestoreArgs),
    /// Fill an empty store with realistic sample data.
    Demo(commands::DemoArgs),
    /// Check the store: indexes against a full scan, outbox continuity, links to records
    /// that do not exist (exit 3 when anything is wrong).
    Check(commands::CheckArgs),
    /// Sync with the team's server: push local changes, pull everyone else's.
    Sync(sync_cmd::SyncArgs),
    /// List and resolve sync conflicts.
    Conflicts(conflicts_cmd::ConflictsArgs),
    /// Forecasts, pipeline health and customer analytics (forecast, pipeline, winrate,
    /// cycle, funnel, stale, rfm, at-risk, cross-sell).
    Report(report_cmd::ReportArgs),
    /// Run the sync server (sled in --data-dir, or PostgreSQL with --database).
    Serve(serve_cmd::ServeArgs),
    /// Manage the sync server's users and tokens.
    Server(server_cmd::ServerArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions(commands::CompletionsArgs),
    /// Write the man pages into a directory.
    #[command(hide = true)]
    Man(commands::ManArgs),
}

/// Runs the command line and returns the process exit code.
#[must_use]
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    finish(run(cli))
}

/// The exit code of a command's result, its error printed (to stderr, or the captured
/// stderr of a command run through the open TUI).
fn finish(result: anyhow::Result<()>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(e) => {
            if out::is_broken_pipe(&e) {
                return 0;
            }
            if let Some(usage) = e.downcast_ref::<clap::Error>() {
                remote::print_clap(usage);
                return usage.exit_code();
            }
            eprintln!(
                "error: {e:#}{}{}",
                hint::for_error(&e),
                e.downcast_ref::<AppError>().map(flag_hint).unwrap_or_default()
            );
            e.downcast_ref::<AppError>().map_or(1, AppError::exit_code)
        }
    }
}

/// The data dir from the flag, the environment or the XDG default.
pub fn data_dir(flag: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(d) = flag {
        return Ok(d);
    }
    directories::ProjectDirs::from("", "", "outpost")
        .map(|p| p.data_dir().to_path_buf())
        .ok_or_else(|| anyhow::anyhow!("cannot find a home directory for the data dir; pass --data-dir DIR"))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let format = cli.format;
    let Some(command) = cli.command else {
        let dir = std::path::absolute(data_dir(cli.data_dir)?)?;
        return crate::tui::run(&dir, Some(remote::handler()));
    };
    if let Commands::Completions(args) = &command {
        return commands::completions(args);
    }
    if let Commands::Man(args) = &command {
        return commands::man(args);
    }
    if matches!(format, Format::Ics | Format::Vcf) && !matches!(command, Commands::Export(_)) {
        return Err(clap::Error::raw(
            clap::error::ErrorKind::InvalidValue,
            "--format ics and vcf are for `outpost export` (ics: event, activity; vcf: contact); use table, json, ndjson or csv here\n",
        )
        .into());
    }
    let dir = data_dir(cli.data_dir)?;
    if let Commands::Restore(args) = &command {
        return commands::restore(&dir, args);
    }
    if let Commands::Serve(args) = &command {
        return serve_cmd::run(args, &dir);
    }
    if let Commands::Server(args) = &command {
        return server_cmd::run(args, &dir, format);
    }
    if matches!(command, Commands::Backup(_) | Commands::Export(_)) && !dir.join("store").exists() {
        // Opening would make an empty store, and a mistyped --data-dir an empty file.
        return Err(AppError::NotFound(format!(
            "{} holds no outpost data (nothing to back up or export); check --data-dir or OUTPOST_DATA_DIR",
            dir.display()
        ))
        .into());
    }
    let app = match crate::app::App::open(&dir) {
        Ok(app) => app,
        Err(AppError::Store(crate::store::StoreError::Locked { path })) => {
            // Held by an open TUI: it runs the command and answers.
            let code = remote::forward(&dir, &path)?;
            std::process::exit(code);
        }
        Err(e) => return Err(e.into()),
    };
    let result = dispatch(&app, command, format);
    // After a big write (demo, import, a first sync), the next open (the TUI's first
    // frame) would replay it all: pay that here, once.
    let settle = app.wrote_much();
    drop(app);
    if settle && let Err(e) = crate::app::App::settle(&dir) {
        // Only the next open's speed depends on it: the command itself is done.
        eprintln!("note: could not reopen the store to snapshot it ({e}); the next open replays the log");
    }
    result
}

/// Runs a command that needs the store on `app`.
fn dispatch(app: &crate::app::App, command: Commands, format: Format) -> anyhow::Result<()> {
    match command {
        Commands::Account(a) => entity_cmd::run(app, crate::model::EntityKind::Account, a.0, format),
        Commands::Contact(a) => entity_cmd::run(app, crate::model::EntityKind::Contact, a.0, format),
        Commands::Lead(a) => entity_cmd::run(app, crate::model::EntityKind::Lead, a.0, format),
        Commands::Opp(a) => entity_cmd::run(app, crate::model::EntityKind::Opportunity, a.0, format),
        Commands::Product(a) => entity_cmd::run(app, crate::model::EntityKind::Product, a.0, format),
        Commands::Quote(a) => entity_cmd::run(app, crate::model::EntityKind::Quote, a.0, format),
        Commands::Activity(a) => entity_cmd::run(app, crate::model::EntityKind::Activity, a.0, format),
        Commands::Event(a) => entity_cmd::run(app, crate::model::EntityKind::Event, a.0, format),
        Commands::User(a) => entity_cmd::run(app, crate::model::EntityKind::User, a.0, format),
        Commands::Territory(a) => entity_cmd::run(app, crate::model::EntityKind::Territory, a.0, format),
        Commands::Trash(t) => commands::trash(app, t, format),
        Commands::Import(a) => commands::import(app, &a, format),
        Commands::Export(a) => commands::export(app, &a, format),
        Commands::Backup(a) => commands::backup(app, &a),
        Commands::Demo(a) => commands::demo(app, &a),
        Commands::Check(a) => commands::check(app, &a),
        Commands::Sync(a) => sync_cmd::run(app, &a, format),
        Commands::Conflicts(a) => conflicts_cmd::run(app, &a, format),
        Commands::Report(a) => report_cmd::run(app, &a, format),
        Commands::Agenda(a) => calendar_cmd::agenda(app, &a, format),
        Commands::Order(a) => entity_cmd::run(app, crate::model::EntityKind::Order, a.0, format),
        Commands::Completions(_)
        | Commands::Man(_)
        | Commands::Restore(_)
        | Commands::Serve(_)
        | Commands::Server(_) => Ok(()),
    }
}

/// The CLI's hint for a field error: the flag that sets a missing reference
/// (" (--account REF)"); the app's errors name fields, not flags.
fn flag_hint(e: &AppError) -> String {
    let AppError::Field {
        kind: Some(kind),
        field,
        ..
    } = e
    else {
        return String::new();
    };
    crate::app::spec::specs(*kind)
        .iter()
        .find(|s| s.json == field.as_str() && matches!(s.ty, crate::app::spec::Ty::Ref(_)))
        .map(|s| format!(" (--{} REF)", s.flag))
        .unwrap_or_default()
}
