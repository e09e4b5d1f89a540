//! `outpost conflicts`: list and resolve sync conflicts.

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use super::sync_cmd::print_rows;
use crate::app::App;
use crate::app::conflicts::ChoiceProblem;
use crate::app::conflicts::ConflictKind;
use crate::app::export::Format;
use crate::sync::conflicts::{self, Choice};

/// `outpost conflicts`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  outpost conflicts                      open conflicts (same as `conflicts list`)
  outpost conflicts list --all           settled ones too
  outpost conflicts resolve 812 --keep mine
  outpost conflicts resolve 812 --value \"Send the quote Monday\"
  outpost conflicts resolve --all --kind edit --entity opportunity --keep theirs
  outpost conflicts resolve 815 --discard    move a held record to the trash

\"mine\" is the value this replica wrote; if it wrote neither, the value in the record now.
Resolving is a normal edit: it syncs and settles the conflict on every replica.

Kinds: edit (both sides changed a field), delete (an edit met a delete), refused (the
server refused an edit of a record it holds: its value was put back, yours is kept
here), held (the server refused a record it does not hold, e.g. a create: the record
stays on this laptop exactly as written; `outpost sync` sends it again after you edit
it, or with --retry-held). A record linking to a held one is held too; discarding a
held record that held records link to needs --cascade, which discards them as well.

Who may create and change what: a rep creates records owned by themselves or unowned,
and changes records they own or unowned ones; managers and admins create and change any
record. To fix a held record, edit it (e.g. `--owner` yourself, or empty) and sync; to
give it up, `--discard` moves it to the trash. Nothing else removes a held record.

A sent quote does not change: an edit of it or of its lines (quantity, price, discount,
description, position, a line removed) made here before another laptop's `quote send`
reached you is refused, and a line added to it is held. `outpost quote show` lists them
under the quote; `outpost quote revise QUOTE` carries them all into a new draft and
settles them; `--keep theirs` (or `--discard` for a new line) drops one. Keeping yours
is refused: it would change the sent document.")]
pub struct ConflictsArgs {
    /// What to do (nothing: list open conflicts).
    #[command(subcommand)]
    pub command: Option<ConflictsCmd>,
}

/// `outpost conflicts` subcommands.
#[derive(Subcommand, Debug)]
pub enum ConflictsCmd {
    /// Conflicts that need a decision.
    List {
        /// Include resolved and settled ones.
        #[arg(long)]
        all: bool,
    },
    /// Decide a conflict (or every open one with --all): keep one side, write another
    /// value, or discard a held record.
    Resolve {
        /// The conflict id (from `conflicts list`).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Resolve every open conflict (narrowed by --kind and --entity).
        #[arg(long)]
        all: bool,
        /// With --all: only conflicts of this kind.
        #[arg(long, value_enum, requires = "all", value_name = "K")]
        kind: Option<KindArg>,
        /// With --all: only conflicts on records of this kind (account, contact, ...).
        #[arg(long, requires = "all", value_name = "E")]
        entity: Option<crate::model::EntityKind>,
        /// Which side to keep. A held record kept as "mine" stays held and is sent
        /// again by each sync; "theirs" does not apply to it (see --discard).
        #[arg(
            long,
            value_enum,
            required_unless_present_any = ["value", "discard"],
            conflicts_with_all = ["value", "discard"]
        )]
        keep: Option<Keep>,
        /// Write this value instead.
        #[arg(long, value_name = "V", conflicts_with_all = ["all", "discard"])]
        value: Option<String>,
        /// Move a held record (one the server refused and does not hold) to the trash.
        #[arg(long)]
        discard: bool,
        /// With --discard: also discard the held records that link to it (a held
        /// account's held contacts); without, such a discard is refused. `--all
        /// --discard` without --entity discards them all anyway.
        #[arg(long, requires = "discard")]
        cascade: bool,
    },
}

/// A kind of conflict, for `resolve --all --kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Both sides changed a field.
    Edit,
    /// An edit met a delete.
    Delete,
    /// The server refused an edit of a record it holds.
    Refused,
    /// The server refused a record it does not hold; kept here.
    Held,
}

impl From<KindArg> for ConflictKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Edit => Self::Edit,
            KindArg::Delete => Self::Delete,
            KindArg::Refused => Self::Refused,
            KindArg::Held => Self::Held,
        }
    }
}

/// A side of a conflict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Keep {
    /// The value this replica wrote.
    Mine,
    /// The other value.
    Theirs,
}

/// Runs `outpost conflicts ...`.
pub fn run(app: &App, args: &ConflictsArgs, format: Format) -> anyhow::Result<()> {
    match &args.command {
        None => list(app, false, format),
        Some(ConflictsCmd::List { all }) => list(app, *all, format),
        Some(ConflictsCmd::Resolve {
            id,
            all,
            kind,
            entity,
            keep,
            value,
            discard,
            cascade,
        }) => {
            let choice = match (keep, value, discard) {
                (_, _, true) => Choice::Discard,
                (_, Some(v), _) => Choice::Value(v.clone()),
                (Some(Keep::Mine), None, _) => Choice::Mine,
                (Some(Keep::Theirs), None, _) => Choice::Theirs,
                (None, None, false) => anyhow::bail!("say --keep mine, --keep theirs, --value V or --discard"),
            };
            if *all {
                let filter = conflicts::Filter {
                    kind: kind.map(ConflictKind::from),
                    entity: *entity,
                };
                return resolve_all(app, filter, &choice, format);
            }
            let id = id.as_deref().unwrap_or_default();
            if let Some(problem) = app.choice_problem(id, &choice)? {
                return Err(usage(match problem {
                    ChoiceProblem::NoServerValue => format!(
                        "conflict {id} is a held record the server never had: there is no server value to keep. \
                         Fix it and sync, or move it to the trash with `outpost conflicts resolve {id} --discard`"
                    ),
                    ChoiceProblem::NotHeld(kind) => format!(
                        "conflict {id} is a {} conflict, not a held record; --discard only moves a held \
                         record to the trash (use --keep mine, --keep theirs or --value V)",
                        kind.name()
                    ),
                }));
            }
            let done = app.resolve_conflict_cascading(id, &choice, *cascade)?;
            if matches!(format, Format::Json | Format::Ndjson) {
                println!("{}", serde_json::to_string(&done)?);
            } else if choice == Choice::Discard {
                println!(
                    "Discarded held record (conflict {}): {} (`outpost trash list`).",
                    done.id,
                    done.kept.trim_start_matches("nothing: ")
                );
            } else if app.conflict_kind(&done.id)? == Some(ConflictKind::Held) {
                println!("Conflict {}: kept {}.", done.id, done.kept);
            } else if done.wrote {
                println!(
                    "Resolved conflict {}: kept {}; the change syncs with the next `outpost sync`.",
                    done.id, done.kept
                );
            } else {
                println!(
                    "Resolved conflict {}: kept {}; nothing needed to change.",
                    done.id, done.kept
                );
            }
            Ok(())
        }
    }
}

/// A usage error (exit 2), as clap reports its own.
fn usage(message: String) -> anyhow::Error {
    clap::Error::raw(clap::error::ErrorKind::ArgumentConflict, format!("{message}\n")).into()
}

fn resolve_all(app: &App, filter: conflicts::Filter, choice: &Choice, format: Format) -> anyhow::Result<()> {
    let bulk = app.resolve_conflicts(filter, choice)?;
    if matches!(format, Format::Json | Format::Ndjson) {
        let skipped: Vec<_> = bulk
            .skipped
            .iter()
            .map(|(id, why)| json!({"id": id, "reason": why}))
            .collect();
        println!(
            "{}",
            json!({"resolved": bulk.resolved.len(), "skipped": skipped, "items": bulk.resolved})
        );
        return Ok(());
    }
    let wrote = bulk.resolved.iter().filter(|r| r.wrote).count();
    let what = if *choice == Choice::Discard {
        "Discarded"
    } else {
        "Resolved"
    };
    println!(
        "{what} {} conflict(s){}.",
        bulk.resolved.len(),
        if wrote > 0 {
            format!("; {wrote} change(s) sync with the next `outpost sync`")
        } else {
            String::new()
        }
    );
    for (id, why) in &bulk.skipped {
        println!("  left {id} open: {why}");
    }
    Ok(())
}

fn list(app: &App, all: bool, format: Format) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for l in app.conflicts(all)? {
        let r = &l.row;
        rows.push(vec![
            r.id.clone(),
            r.kind.name().to_string(),
            format!("{} {}", r.entity, r.title),
            r.field.clone(),
            r.mine.clone(),
            r.theirs.clone(),
            r.reason.clone().unwrap_or_else(|| r.actor.clone()),
            r.status.clone(),
        ]);
        let mut item = json!(l.listed);
        if let Some(map) = item.as_object_mut() {
            map.insert("title".into(), json!(r.title));
            map.insert("mine".into(), json!(l.mine));
            map.insert("theirs".into(), json!(l.theirs));
            map.insert("status".into(), json!(r.status));
        }
        items.push(item);
    }
    if rows.is_empty() && format == Format::Table {
        println!("{}", if all { "No conflicts." } else { "No open conflicts." });
        return Ok(());
    }
    print_rows(
        format,
        &[
            "ID",
            "KIND",
            "RECORD",
            "FIELD",
            "MINE",
            "THEIRS",
            "BY / REASON",
            "STATUS",
        ],
        &rows,
        &items,
    )
}
