//! `outpost conflicts`: list and resolve sync conflicts.

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use super::sync_cmd::print_rows;
use crate::app::App;
use crate::app::export::Format;
use crate::app::view::cell;
use crate::sync::conflicts::{self, Choice};

/// `outpost conflicts`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  outpost conflicts                      open conflicts (same as `conflicts list`)
  outpost conflicts list --all           settled ones too
  outpost conflicts resolve 812 --keep mine
  outpost conflicts resolve 812 --value \"Send the quote Monday\"

\"mine\" is the value this replica wrote; if it wrote neither, the value in the record now.
Resolving is a normal edit: it syncs and settles the conflict on every replica.")]
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
    /// Decide a conflict: keep one side, or write another value.
    Resolve {
        /// The conflict id (from `conflicts list`).
        id: String,
        /// Which side to keep.
        #[arg(long, value_enum, required_unless_present = "value", conflicts_with = "value")]
        keep: Option<Keep>,
        /// Write this value instead.
        #[arg(long, value_name = "V")]
        value: Option<String>,
    },
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
        Some(ConflictsCmd::Resolve { id, keep, value }) => {
            let choice = match (keep, value) {
                (_, Some(v)) => Choice::Value(v.clone()),
                (Some(Keep::Mine), None) => Choice::Mine,
                (Some(Keep::Theirs), None) => Choice::Theirs,
                (None, None) => anyhow::bail!("say --keep mine, --keep theirs or --value V"),
            };
            let done = conflicts::resolve(&app.store, id, &choice).map_err(crate::app::AppError::from)?;
            if matches!(format, Format::Json | Format::Ndjson) {
                println!("{}", serde_json::to_string(&done)?);
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

fn list(app: &App, all: bool, format: Format) -> anyhow::Result<()> {
    let listed = conflicts::list(&app.store, all)?;
    let me = app.store.replica();
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for l in &listed {
        let c = &l.conflict.conflict;
        let title = app.title(c.entity, c.record);
        let (mine, theirs) = c.mine_theirs(me);
        let status = crate::app::conflicts::status_text(&l.conflict, l.open);
        let field = crate::app::conflicts::field_label(&c.field);
        rows.push(vec![
            c.id.clone(),
            c.kind.name().to_string(),
            format!("{} {title}", c.entity),
            field,
            cell(&mine.value),
            cell(&theirs.value),
            c.reason.clone().unwrap_or_else(|| c.actor.clone()),
            status.clone(),
        ]);
        let mut item = json!(l);
        if let Some(map) = item.as_object_mut() {
            map.insert("title".into(), json!(title));
            map.insert("mine".into(), json!(mine));
            map.insert("theirs".into(), json!(theirs));
            map.insert("status".into(), json!(status));
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
