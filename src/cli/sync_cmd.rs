//! `outpost sync`: log in, sync, status, dry run.

use clap::{Args, Subcommand};
use serde_json::json;

use crate::app::export::Format;
use crate::app::session::{FeedAction, LoggedIn, SyncStatus};
use crate::app::{App, AppError};
use crate::sync::engine::{Options, Progress};

/// `outpost sync [--dry-run]` and its subcommands.
#[derive(Args, Debug)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:
  outpost sync login --server https://crm.example.com --token opt_...
  outpost sync                 push local changes, then pull everyone else's
  outpost sync --dry-run       count what would move; change nothing
  outpost sync status

Who may create and change what: a rep creates records owned by themselves or unowned,
and changes records they own or unowned ones; managers and admins create and change any
record. A refusal never deletes local data. An edit refused on a record the server holds
is put back to the server's value and yours is kept as a `refused` conflict. A record the
server refused and does not hold (e.g. a rep's create with someone else's --owner) stays
here exactly as written, held: `sync status` counts it, `outpost conflicts list` says
why. A sync sends it again once it may be accepted: after you edit it, or after the
server's users or roles changed; `outpost sync --retry-held` sends every held record
again now. A record that links to a held one (a contact of a held account) is held too,
and goes with its parent. Fix it (e.g. edit the owner) and sync, or move it to the trash
with `outpost conflicts resolve ID --discard` (`--cascade` to discard the held records
that link to it as well)."
)]
pub struct SyncArgs {
    /// What to do (nothing: sync now).
    #[command(subcommand)]
    pub command: Option<SyncCmd>,
    /// Count what would be sent and received; change nothing locally.
    #[arg(long)]
    pub dry_run: bool,
    /// Send every held record again, even unchanged ones (a held record is otherwise
    /// sent again only after an edit, or after the server's users or roles changed).
    #[arg(long)]
    pub retry_held: bool,
    /// Changes per push request.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u16).range(1..=5000), value_name = "N")]
    pub batch: u16,
    /// Entries per pull page.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u16).range(1..=2000), value_name = "N")]
    pub page: u16,
}

/// `outpost sync` subcommands.
#[derive(Subcommand, Debug)]
pub enum SyncCmd {
    /// Check a server URL and token and save them for this data dir (owner-only file).
    /// Records made before the first sync with no owner, or with an owner naming this
    /// user (login, display name or e-mail, any case), become owned by the login.
    Login {
        /// Server base URL, e.g. https://crm.example.com (plain http:// only to a loopback
        /// address such as http://127.0.0.1:8780, unless --insecure-http).
        #[arg(long, value_name = "URL")]
        server: String,
        /// Token from `outpost server user add` (or `server token add`).
        #[arg(long, value_name = "TOKEN")]
        token: String,
        /// Push this store's `outpost demo` data to the server anyway (to try outpost
        /// with a team); without it, logging in a store holding demo data is refused.
        #[arg(long)]
        keep_demo: bool,
        /// Trust this CA (a PEM file) besides the system roots, for a server whose
        /// certificate a private CA signed; saved with the login.
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<std::path::PathBuf>,
        /// Allow plain http:// to a host that is not a loopback address: the token and the
        /// data cross the network unencrypted. Only on a network you trust; saved with the login.
        #[arg(long)]
        insecure_http: bool,
    },
    /// Forget the saved login of this data dir.
    Logout,
    /// Pending changes, last sync, server, user, open conflicts, held records.
    Status,
    /// Print the URL of your calendar feed on the server (made the first time): your
    /// events (owned or attended, with recurrence) and open tasks with a due date, as
    /// iCalendar, for a phone or calendar app to subscribe to. The URL carries a
    /// read-only secret, not your sync token; anyone holding it can read the feed, so
    /// --rotate (or --revoke) when it leaks.
    #[command(after_help = "Examples:
  outpost sync feed              print the URL (subscribe to it; webcal:// works too)
  outpost sync feed --rotate     a new URL; the old one answers 404 from now on
  outpost sync feed --revoke     no feed until `outpost sync feed` again
  outpost sync feed --format json")]
    Feed {
        /// Make a new secret: the old URL stops answering.
        #[arg(long, conflicts_with = "revoke")]
        rotate: bool,
        /// Remove the feed: its URL stops answering.
        #[arg(long)]
        revoke: bool,
    },
}

/// Runs `outpost sync ...`.
pub fn run(app: &App, args: &SyncArgs, format: Format) -> anyhow::Result<()> {
    match &args.command {
        Some(SyncCmd::Login {
            server,
            token,
            keep_demo,
            ca_cert,
            insecure_http,
        }) => login_cmd(app, server, token, *keep_demo, ca_cert.as_deref(), *insecure_http),
        Some(SyncCmd::Logout) => {
            match app.logout()? {
                Some(p) => println!("Logged out ({} removed).", p.display()),
                None => println!("Not logged in."),
            }
            Ok(())
        }
        Some(SyncCmd::Status) => status(app, format),
        Some(SyncCmd::Feed { rotate, revoke }) => feed_cmd(app, *rotate, *revoke, format),
        None => sync_now(app, args, format),
    }
}

fn feed_cmd(app: &App, rotate: bool, revoke: bool, format: Format) -> anyhow::Result<()> {
    let action = match (rotate, revoke) {
        (true, _) => FeedAction::Rotate,
        (_, true) => FeedAction::Revoke,
        _ => FeedAction::Show,
    };
    let feed = app.calendar_feed(action)?;
    if matches!(format, Format::Json | Format::Ndjson) {
        println!(
            "{}",
            json!({"url": feed.url, "created": feed.created, "revoked": feed.revoked})
        );
        return Ok(());
    }
    match (&feed.url, action) {
        (Some(url), FeedAction::Rotate) => {
            println!("{url}");
            eprintln!("A new feed URL; the old one answers 404 from now on.");
        }
        (Some(url), _) => {
            println!("{url}");
            if feed.created {
                eprintln!("Subscribe to it in your calendar app; `outpost sync feed --rotate` replaces it.");
            }
        }
        (None, _) if feed.revoked => println!("Calendar feed revoked; its URL answers 404 from now on."),
        (None, _) => println!("No calendar feed to revoke."),
    }
    Ok(())
}

fn login_cmd(
    app: &App,
    server: &str,
    token: &str,
    keep_demo: bool,
    ca_cert: Option<&std::path::Path>,
    insecure_http: bool,
) -> anyhow::Result<()> {
    if token.trim().chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::Invalid(
            "--token has a space or a line break inside; give the token as `outpost server token add LOGIN` printed it"
                .into(),
        )
        .into());
    }
    if token.trim().is_empty() {
        return Err(AppError::Invalid(
            "--token is empty; give the token `outpost server token add LOGIN` printed on the server".into(),
        )
        .into());
    }
    let LoggedIn {
        server,
        who,
        path,
        adopted,
    } = app.login(server, token, keep_demo, ca_cert, insecure_http)?;
    let shown = match who.name.as_deref().filter(|n| *n != who.user) {
        Some(n) => format!("{} ({n})", who.user),
        None => who.user.clone(),
    };
    println!(
        "Logged in to {server} as {shown}, {}; saved in {}.",
        format!("{:?}", who.role).to_lowercase(),
        path.display()
    );
    if adopted > 0 {
        println!(
            "adopted {adopted} record{} made before this login: now owned by {}.",
            if adopted == 1 { "" } else { "s" },
            who.user
        );
    }
    println!(
        "New records will be owned by {} unless --owner says otherwise. Run `outpost sync` now.",
        who.user
    );
    Ok(())
}

fn sync_now(app: &App, args: &SyncArgs, format: Format) -> anyhow::Result<()> {
    let opts = Options {
        batch: usize::from(args.batch),
        page: usize::from(args.page),
        dry_run: args.dry_run,
        retry_held: args.retry_held,
    };
    let tty = super::out::stderr_is_terminal();
    let mut progress = |p: Progress| {
        if tty {
            match p {
                Progress::Push { done, total } => eprint!("\rsync: sent {done}/{total}      "),
                Progress::Pull { cursor, head } => {
                    eprint!("\rsync: received up to {cursor}/{head}      ")
                }
                Progress::Indexing => eprint!("\rsync: indexing what was received      "),
            }
        }
    };
    let _churn = crate::tuning::churn(crate::tuning::Churn::Sync);
    let result = app.sync(opts, &mut progress);
    if tty {
        eprint!("\r\x1b[2K");
    }
    let report = result?;
    if matches!(format, Format::Json | Format::Ndjson) {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    if report.dry_run {
        println!(
            "dry run: would send {}, would receive {}; nothing changed",
            report.sent, report.received
        );
        if report.held > 0 {
            println!(
                "{} held record(s) stay on this laptop (`outpost conflicts list`)",
                report.held
            );
        }
        return Ok(());
    }
    if report.reverted > 0 {
        eprintln!(
            "the server refused {} change(s) to records it holds; its values were put back here and yours \
             kept as conflicts. See `outpost conflicts list`.",
            report.reverted
        );
    }
    if report.unheld > 0 {
        eprintln!(
            "{} held record(s) reached the server and are no longer held.",
            report.unheld
        );
    }
    if report.held > 0 {
        eprintln!(
            "{} record(s) held on this laptop: the server refused them (and does not have them); they stay \
             as you wrote them and a sync sends them again after you edit them (or `sync --retry-held`). See why with `outpost conflicts list`; fix \
             them (e.g. the owner) and sync, or discard with `outpost conflicts resolve ID --discard`.",
            report.held
        );
    }
    if report.future_clocks > 0 {
        eprintln!(
            "{} received change(s) carry a clock far ahead of this laptop's; their clocks were not adopted \
             (a laptop with a wrong clock, or a faulty client, made them).",
            report.future_clocks
        );
    }
    if !report.unknown_kinds.is_empty() {
        let kinds: Vec<String> = report.unknown_kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
        eprintln!(
            "skipped changes of record kinds this outpost or the server does not know ({}); update outpost \
             (and the server) to sync them.",
            kinds.join(", ")
        );
    }
    if report.adopted > 0 {
        println!(
            "adopted {} record{} made before the first sync",
            report.adopted,
            if report.adopted == 1 { "" } else { "s" }
        );
    }
    if report.owners > 0 {
        println!(
            "{} owner{} typed as a name or e-mail now stored as the user's login",
            report.owners,
            if report.owners == 1 { "" } else { "s" }
        );
    }
    println!(
        "sent {}, received {}, conflicts {}",
        report.sent, report.received, report.conflicts
    );
    Ok(())
}

fn status(app: &App, format: Format) -> anyhow::Result<()> {
    let SyncStatus {
        server,
        user,
        state,
        pending,
        open_conflicts,
        refused,
        held,
        held_open,
    } = app.sync_status()?;
    let value = json!({
        "server": server,
        "user": user,
        "server_id": state.server_id,
        "pending": pending,
        "last_sync": state.last_sync,
        "cursor": state.cursor,
        "acked_seq": state.acked_seq,
        "open_conflicts": open_conflicts,
        "refused": refused,
        "held": held,
    });
    match format {
        Format::Json | Format::Ndjson => println!("{value}"),
        Format::Csv => {
            let mut w = crate::app::export::csv_writer(std::io::stdout());
            w.write_record([
                "server",
                "user",
                "pending",
                "last_sync",
                "open_conflicts",
                "refused",
                "held",
            ])?;
            w.write_record([
                server.unwrap_or_default(),
                user.unwrap_or_default(),
                pending.to_string(),
                state.last_sync.clone().unwrap_or_default(),
                open_conflicts.to_string(),
                refused.to_string(),
                held.to_string(),
            ])?;
            w.flush()?;
        }
        Format::Table | Format::Ics | Format::Vcf => {
            println!(
                "server:     {}",
                server.as_deref().unwrap_or("(not logged in; run `outpost sync login`)")
            );
            println!("user:       {}", user.as_deref().unwrap_or("-"));
            println!("pending:    {pending} change(s) to send");
            println!("last sync:  {}", state.last_sync.as_deref().unwrap_or("never"));
            println!("cursor:     {}", state.cursor);
            let concurrent = open_conflicts.saturating_sub(refused + held_open);
            println!(
                "conflicts:  {open_conflicts} open ({concurrent} concurrent, {refused} refused edits put back, {held_open} held)"
            );
            println!(
                "held:       {held} record(s) the server refused and does not have; kept here, sent again once edited (or with `sync --retry-held`){}",
                if held > 0 { " (`outpost conflicts list`)" } else { "" }
            );
        }
    }
    Ok(())
}

/// Prints rows as a table, or the items as json / ndjson / csv.
pub(crate) fn print_rows(
    format: Format,
    headers: &[&str],
    rows: &[Vec<String>],
    items: &[serde_json::Value],
) -> anyhow::Result<()> {
    match format {
        Format::Table | Format::Ics | Format::Vcf => {
            let headers: Vec<String> = headers.iter().map(|h| (*h).to_string()).collect();
            print!("{}", crate::app::export::render_table(&headers, rows));
        }
        Format::Json => println!("{}", serde_json::to_string_pretty(items)?),
        Format::Ndjson => {
            for i in items {
                println!("{i}");
            }
        }
        Format::Csv => {
            let mut w = crate::app::export::csv_writer(std::io::stdout());
            w.write_record(headers.iter().map(|h| h.to_ascii_lowercase().replace(' ', "_")))?;
            for r in rows {
                w.write_record(r)?;
            }
            w.flush()?;
        }
    }
    Ok(())
}
