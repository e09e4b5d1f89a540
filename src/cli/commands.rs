//! The non-entity commands: trash, import, export, backup, restore, demo, check,
//! completions, man.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory, Subcommand};

use crate::app::export::Format;
use crate::app::import::{ImportMode, ImportOptions};
use crate::app::{App, AppError};
use crate::model::EntityKind;
use crate::model::money::NumberLocale;

/// `outpost trash`.
#[derive(Subcommand, Debug)]
pub enum TrashCmd {
    /// List trashed records.
    List {
        /// Only this kind (accounts, contacts, ...).
        #[arg(long, value_name = "KIND")]
        kind: Option<EntityKind>,
    },
    /// Take a record out of the trash.
    Restore {
        /// Id, id prefix or name of the trashed record.
        #[arg(value_name = "REF")]
        reference: String,
    },
}

/// `outpost import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// What the rows are: accounts, contacts, leads, opps, products, activities, events,
    /// users.
    pub entity: EntityKind,
    /// The CSV file (header row first).
    pub file: PathBuf,
    /// Map a column to a field (`--map "Org=company"`), or skip it (`--map "Notes="`).
    #[arg(long = "map", value_name = "COLUMN=FIELD", value_parser = parse_map)]
    pub maps: Vec<(String, String)>,
    /// Check every row and print what would happen (`create N, update N, unchanged N`),
    /// but write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// create: only add records (a row that matches one is an error); update: only change
    /// existing ones (a row that matches none is an error); upsert: both. Rows match by
    /// the `id` column, else by natural key (account: name; contact, lead: e-mail, else
    /// first + last + account/company; product: SKU; opportunity: name + account; other
    /// kinds: id only).
    #[arg(long, value_enum, default_value_t = ImportMode::Upsert)]
    pub mode: ImportMode,
    /// How numbers in this file are written, e.g. de-DE (1.234,56) or en-US (1,234.56);
    /// C reads only a decimal point [default: `locale` in config.toml, else LANG].
    #[arg(long, value_name = "LOCALE", value_parser = parse_locale)]
    pub locale: Option<NumberLocale>,
    /// .ics and .vcf files: import the good entries and report the bad ones (without
    /// it, a file with a bad entry imports nothing).
    #[arg(long)]
    pub partial: bool,
    /// Take cells as they are. Without it, a cell that starts with `'` followed by `=`,
    /// `+`, `-`, `@`, a tab or a carriage return loses that `'` (the escape `export`
    /// adds against spreadsheet formulas), so an exported file imports unchanged.
    #[arg(long)]
    pub raw: bool,
}

fn parse_locale(s: &str) -> Result<NumberLocale, String> {
    NumberLocale::parse(s)
}

fn parse_map(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(c, f)| (c.trim().to_string(), f.trim().to_string()))
        .ok_or_else(|| format!("'{s}' is not COLUMN=FIELD"))
}

/// `outpost export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// What to export: accounts, contacts, leads, opps, products, quotes, quote_lines,
    /// activities, events, users.
    pub entity: EntityKind,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// CSV: write cells as stored. Without it, a text cell that starts with `=`, `+`,
    /// `-`, `@`, a tab or a carriage return (and is not a plain number or phone number
    /// such as `-5.00` or `+49 30 1234567`) gets a leading `'`, so a spreadsheet shows
    /// it as text instead of running it as a formula; `outpost import` removes the `'`
    /// again (`import --raw` keeps it).
    #[arg(long)]
    pub raw: bool,
    /// The vCard version of `export contact --format vcf` (4.0, or 3.0 for older phones).
    #[arg(long, value_enum, default_value_t = crate::app::vcard::VcardVersion::V4)]
    pub vcard_version: crate::app::vcard::VcardVersion,
}

/// `outpost backup`.
#[derive(Args, Debug)]
pub struct BackupArgs {
    /// The file to write (a regular file is replaced atomically; `-` writes to stdout,
    /// where a reader that stops early is an error, not a backup).
    pub file: PathBuf,
}

/// `outpost restore`.
#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// A file written by `outpost backup`.
    pub file: PathBuf,
}

/// `outpost demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Random seed; the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of contacts (other records scale with it).
    #[arg(long, default_value_t = 800, value_parser = clap::value_parser!(u64).range(1..=2_000_000))]
    pub scale: u64,
}

/// `outpost check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Rebuild the indexes from the records if they disagree. Never invents or removes
    /// data: dangling references are listed for you to fix.
    #[arg(long)]
    pub repair: bool,
}

/// `outpost completions`.
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// `outpost man`.
#[derive(Args, Debug)]
pub struct ManArgs {
    /// Directory to write the pages into.
    pub dir: PathBuf,
}

pub fn trash(app: &App, cmd: TrashCmd, format: Format) -> anyhow::Result<()> {
    match cmd {
        TrashCmd::List { kind } => {
            let rows: Vec<_> = app
                .trash(kind)?
                .into_iter()
                .map(|t| (t.kind, t.id, t.title, t.when))
                .collect();
            match format {
                Format::Table | Format::Ics | Format::Vcf => {
                    let table: Vec<Vec<String>> = rows
                        .iter()
                        .map(|(k, id, t, w)| {
                            vec![
                                id.to_string(),
                                k.to_string(),
                                t.clone(),
                                w.map(|w| w.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default(),
                            ]
                        })
                        .collect();
                    let headers = ["ID", "KIND", "NAME", "DELETED (UTC)"].map(String::from);
                    print!("{}", crate::app::export::render_table(&headers, &table));
                }
                _ => {
                    let items: Vec<serde_json::Value> = rows
                        .iter()
                        .map(|(k, id, t, w)| serde_json::json!({"id": id.to_string(), "kind": k, "name": t, "deleted_at": w.map(|w| w.to_rfc3339())}))
                        .collect();
                    if format == Format::Ndjson {
                        for i in items {
                            println!("{i}");
                        }
                    } else if format == Format::Csv {
                        let mut w = crate::app::export::csv_writer(super::out::stdout());
                        w.write_record(["id", "kind", "name", "deleted_at"])?;
                        for (k, id, t, when) in &rows {
                            w.write_record([
                                id.to_string(),
                                k.to_string(),
                                t.clone(),
                                when.map(|w| w.to_rfc3339()).unwrap_or_default(),
                            ])?;
                        }
                        w.flush()?;
                    } else {
                        println!("{}", serde_json::to_string_pretty(&items)?);
                    }
                }
            }
            Ok(())
        }
        TrashCmd::Restore { reference } => {
            let (kind, id) = app.find_in_trash(&reference)?;
            let n = app.restore_from_trash(kind, id)?;
            match n.saturating_sub(1) {
                0 => println!("Restored {kind} '{}'", app.title(kind, id)),
                with => println!(
                    "Restored {kind} '{}' and {with} related record{} trashed with it",
                    app.title(kind, id),
                    if with == 1 { "" } else { "s" }
                ),
            }
            Ok(())
        }
    }
}

pub fn import(app: &App, args: &ImportArgs, format: Format) -> anyhow::Result<()> {
    if args.entity == EntityKind::Quote || args.entity == EntityKind::QuoteLine {
        return Err(AppError::Invalid(
            "quotes are made with `outpost quote add` and `quote line-add`, not imported".into(),
        )
        .into());
    }
    if let Some(kind) = file_type(&args.file) {
        return import_file(app, args, kind, format);
    }
    if args.partial {
        return Err(
            AppError::Invalid("--partial is for .ics and .vcf files; a CSV import is all rows or none".into()).into(),
        );
    }
    if args.entity == EntityKind::Order {
        return Err(AppError::Invalid(
            "orders are made from accepted quotes (`outpost order add --quote`), not imported".into(),
        )
        .into());
    }
    let opts = ImportOptions {
        maps: args.maps.clone(),
        dry_run: args.dry_run,
        mode: args.mode,
        locale: args.locale.clone(),
        raw: args.raw,
    };
    let report = app.import_csv(args.entity, &args.file, &opts)?;
    let verb = if report.dry_run { "would import" } else { "imported" };
    eprintln!(
        "{verb} {} {} from {} rows of {}",
        report.created + report.updated,
        args.entity.plural(),
        report.rows,
        args.file.display()
    );
    if !report.skipped_columns.is_empty() {
        eprintln!("skipped columns: {}", report.skipped_columns.join(", "));
    }
    if report.id_only && report.created > 0 {
        eprintln!(
            "note: {} have no natural key; rows are matched by the id column only",
            args.entity.plural()
        );
    }
    match format {
        Format::Table => println!(
            "create {}, update {}, unchanged {}",
            report.created, report.updated, report.unchanged
        ),
        Format::Csv => println!(
            "rows,create,update,unchanged,dry_run\n{},{},{},{},{}",
            report.rows, report.created, report.updated, report.unchanged, report.dry_run
        ),
        _ => {
            let counts = serde_json::json!({
                "rows": report.rows,
                "create": report.created,
                "update": report.updated,
                "unchanged": report.unchanged,
                "dry_run": report.dry_run,
            });
            println!("{counts}");
        }
    }
    Ok(())
}

/// Writes `body` to `path` through a temporary file renamed into place, so a failure
/// never leaves a half-written file behind. A path that is not a regular file (a pipe,
/// a terminal, `/dev/stdout`) is written in place: renaming over it would replace the
/// device with a file.
fn write_atomically(path: &Path, body: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let trailing_slash = path.as_os_str().to_string_lossy().ends_with(std::path::MAIN_SEPARATOR);
    if path.is_dir() || trailing_slash {
        // A usage error (exit 2), before anything is written or read.
        return Err(clap::Error::raw(
            clap::error::ErrorKind::InvalidValue,
            format!(
                "{}: names a directory; give a file name, e.g. {}\n",
                path.display(),
                path.join("out.csv").display()
            ),
        )
        .into());
    }
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| AppError::io(path, e))?;
        let mut w = std::io::BufWriter::new(file);
        body(&mut w)?;
        return w
            .flush()
            .map_err(|e| anyhow::anyhow!("{}: {e}; the output is incomplete", path.display()));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let file = std::fs::File::create(&tmp).map_err(|e| AppError::io(&tmp, e))?;
        let mut w = std::io::BufWriter::new(file);
        body(&mut w)?;
        let file = w.into_inner().map_err(|e| AppError::io(&tmp, e.into_error()))?;
        file.sync_all().map_err(|e| AppError::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| AppError::io(path, e))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

pub fn export(app: &App, args: &ExportArgs, format: Format) -> anyhow::Result<()> {
    let run = |w: &mut dyn std::io::Write| -> Result<usize, AppError> {
        match (format, args.entity) {
            (Format::Ics, EntityKind::Event) => app.export_events_ics(w),
            (Format::Ics, EntityKind::Activity) => app.export_tasks_ics(w),
            (Format::Vcf, EntityKind::Contact) => app.export_contacts_vcf(args.vcard_version, w),
            (Format::Ics | Format::Vcf, kind) => Err(AppError::Invalid(format!(
                "{} cannot be written as {}: ics is for events and activities (tasks), vcf for contacts",
                kind.plural(),
                if format == Format::Ics { "ics" } else { "vcf" }
            ))),
            _ => app.export_with(args.entity, format, args.raw, w),
        }
    };
    match &args.output {
        Some(path) => write_atomically(path, |w| {
            let n = run(w)?;
            eprintln!("exported {n} {} to {}", args.entity.plural(), path.display());
            Ok(())
        }),
        None => {
            run(&mut super::out::stdout())?;
            Ok(())
        }
    }
}

/// Whether a file is iCalendar or vCard: by its name, else by its first line. A pipe
/// (`/dev/stdin`, `<(...)`) is not looked into, which would use up what it holds: it is
/// read as CSV, and the CSV import names a vCard or iCalendar text it finds instead.
fn file_type(path: &std::path::Path) -> Option<&'static str> {
    use std::io::Read as _;
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("ics" | "ical" | "ifb" | "icalendar") => return Some("ics"),
        Some("vcf" | "vcard") => return Some("vcf"),
        Some("csv") => return None,
        _ => {}
    }
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let mut head = Vec::with_capacity(256);
    std::fs::File::open(path).ok()?.take(256).read_to_end(&mut head).ok()?;
    let text = String::from_utf8_lossy(&head).to_ascii_uppercase();
    let first = text.trim_start_matches('\u{feff}').trim_start();
    if first.starts_with("BEGIN:VCALENDAR") {
        Some("ics")
    } else if first.starts_with("BEGIN:VCARD") {
        Some("vcf")
    } else {
        None
    }
}

fn import_file(app: &App, args: &ImportArgs, kind: &str, format: Format) -> anyhow::Result<()> {
    let report = match (kind, args.entity) {
        ("ics", EntityKind::Event) => app.import_ics(&args.file, args.partial, args.dry_run)?,
        ("vcf", EntityKind::Contact) => app.import_vcf(&args.file, args.partial, args.dry_run)?,
        (k, e) => {
            return Err(AppError::Invalid(format!(
                "{} is an {k} file, which holds no {}; import it with {}",
                args.file.display(),
                e.plural(),
                if k == "ics" {
                    "`import event`"
                } else {
                    "`import contact`"
                }
            ))
            .into());
        }
    };
    let verb = if args.dry_run { "would import" } else { "imported" };
    eprintln!(
        "{verb} {} {} from {}",
        report.created + report.updated,
        args.entity.plural(),
        args.file.display()
    );
    for s in &report.skipped {
        eprintln!("skipped: {s}");
    }
    for e in &report.errors {
        eprintln!("not imported: {e}");
    }
    // `create`, `update` and `dry_run` as a CSV import reports them, beside the older
    // `created` and `updated`, so one script reads both.
    let value = serde_json::json!({
        "create": report.created,
        "update": report.updated,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "skipped": report.skipped,
        "errors": report.errors,
        "dry_run": args.dry_run,
    });
    match format {
        Format::Json | Format::Ndjson => println!("{value}"),
        Format::Csv => println!(
            "create,update,unchanged,skipped,bad,dry_run\n{},{},{},{},{},{}",
            report.created,
            report.updated,
            report.unchanged,
            report.skipped.len(),
            report.errors.len(),
            args.dry_run
        ),
        _ => println!(
            "create {}, update {}, unchanged {}, skipped {}, bad {}",
            report.created,
            report.updated,
            report.unchanged,
            report.skipped.len(),
            report.errors.len()
        ),
    }
    Ok(())
}

pub fn backup(app: &App, args: &BackupArgs) -> anyhow::Result<()> {
    if args.file.as_os_str() == "-" {
        // The backup is the product here: a reader that goes away early leaves an
        // incomplete one, which must fail loudly (exit 1), never end quietly.
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let written = app.backup(&mut out);
        let flushed = out.flush();
        let s = match (written, flushed) {
            (Ok(s), Ok(())) => s,
            (Err(e), _) => anyhow::bail!("the backup to stdout is incomplete: {e}"),
            (_, Err(e)) => anyhow::bail!("the backup to stdout is incomplete: {e}"),
        };
        eprintln!(
            "backed up {} records and {} pending changes to stdout",
            s.records, s.outbox
        );
        return Ok(());
    }
    write_atomically(&args.file, |w| {
        let s = app.backup(w)?;
        eprintln!(
            "backed up {} records and {} pending changes to {}",
            s.records,
            s.outbox,
            args.file.display()
        );
        Ok(())
    })
}

pub fn restore(dir: &Path, args: &RestoreArgs) -> anyhow::Result<()> {
    let file = std::fs::File::open(&args.file).map_err(|e| AppError::io(&args.file, e))?;
    let s = crate::app::queries::restore(dir, &args.file, &mut std::io::BufReader::new(file))?;
    if let Err(e) = App::settle(dir) {
        eprintln!("note: could not reopen the store to snapshot it ({e}); the next open replays the log");
    }
    eprintln!(
        "restored {} records and {} pending changes into {}",
        s.records,
        s.outbox,
        dir.display()
    );
    Ok(())
}

pub fn demo(app: &App, args: &DemoArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let scale = usize::try_from(args.scale).unwrap_or(800);
    let summary = app.demo(args.seed, scale)?;
    let parts: Vec<String> = summary
        .counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{n} {}", k.plural()))
        .collect();
    eprintln!(
        "demo data in {} ({:.1}s): {}",
        app.data_path().display(),
        started.elapsed().as_secs_f64(),
        parts.join(", ")
    );
    eprintln!("next: run `outpost` to open the TUI, or `outpost opp list` to see the pipeline");
    Ok(())
}

/// `outpost check`: exit 0 when all is well, 3 when it finds problems (indexes, outbox,
/// records that do not decode, links to records that do not exist). `--repair` rebuilds
/// the indexes; it never invents or removes records or links, so dangling references
/// are listed again and still exit 3.
pub fn check(app: &App, args: &CheckArgs) -> anyhow::Result<()> {
    let report = app.verify()?;
    println!(
        "{} records, {} index entries, {} pending changes",
        report.records, report.index_entries, report.outbox
    );
    if report.ok() {
        println!("ok");
        return Ok(());
    }
    for p in &report.problems {
        println!("problem: {p}");
    }
    let mut report = report;
    if args.repair && !report.problems.is_empty() {
        app.rebuild_indexes()?;
        report = app.verify()?;
        if report.problems.is_empty() {
            println!("repaired: indexes rebuilt");
        }
        for p in &report.problems {
            println!("still: {p}");
        }
    }
    for d in &report.dangling {
        println!("dangling: {d}");
    }
    if report.ok() {
        return Ok(());
    }
    let mut parts = Vec::new();
    if !report.problems.is_empty() {
        parts.push(format!(
            "{} problems found; `outpost check --repair` rebuilds the indexes",
            report.problems.len()
        ));
    }
    if !report.dangling.is_empty() {
        parts.push(format!(
            "{} dangling references (links to records that do not exist); --repair does not invent or remove data: point them elsewhere with `outpost KIND edit REF --FIELD ...`, or clear the field",
            report.dangling.len()
        ));
    }
    Err(AppError::Invalid(parts.join("; ")).into())
}

pub fn completions(args: &CompletionsArgs) -> anyhow::Result<()> {
    let mut cmd = super::Cli::command();
    // clap_complete panics on a failed write; write through the CLI's stdout instead.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "outpost", &mut script);
    super::out::stdout()
        .write_all(&script)
        .map_err(|e| AppError::io(Path::new("<stdout>"), e))?;
    Ok(())
}

pub fn man(args: &ManArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir).map_err(|e| AppError::io(&args.dir, e))?;
    for (name, body) in super::man::pages()? {
        let path = args.dir.join(name);
        std::fs::write(&path, body).map_err(|e| AppError::io(&path, e))?;
    }
    Ok(())
}
