//! Runs the entity commands.

use std::io::Write;

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use serde_json::{Map, Value};

use super::entity::{Action, ActivityExtra, LeadExtra, ListArgs, NoExtra, OppExtra, QuoteExtra, TerritoryExtra};
use crate::app::export::{Format, Sink};
use crate::app::ops::{Values, spec_of};
use crate::app::view::{Names, cell};
use crate::app::{App, AppError, ConvertOptions};
use crate::model::entity::Index;
use crate::model::{EntityKind, Id};

/// The entity's own commands.
pub trait Extra {
    /// Runs it.
    fn run(self, app: &App, format: Format) -> anyhow::Result<()>;
}

/// Runs one entity command.
pub fn run<E: Extra>(app: &App, kind: EntityKind, action: Action<E>, format: Format) -> anyhow::Result<()> {
    match action {
        Action::Add(values) => {
            let id = app.create(kind, &values)?;
            print_new(app, kind, id, format)
        }
        Action::List(args) => list(app, kind, &args, format),
        Action::Show(r) => show(app, kind, app.resolve(kind, &r)?, format),
        Action::Edit(r, values) => {
            let id = app.resolve(kind, &r)?;
            app.edit(kind, id, &values)?;
            if format == Format::Table {
                println!("Updated {kind} '{}'", app.title(kind, id));
                Ok(())
            } else {
                print_records(app, kind, &[id], format)
            }
        }
        Action::Rm(r, cascade) => {
            let id = app.resolve(kind, &r)?;
            let title = app.title(kind, id);
            let n = app.remove(kind, id, cascade)?;
            if format != Format::Table {
                let done = serde_json::json!({"id": id.to_string(), "kind": kind, "name": title, "trashed": n});
                println!("{done}");
                return Ok(());
            }
            let also = if n > 1 {
                format!(" and {} related records", n - 1)
            } else {
                String::new()
            };
            println!("Moved {kind} '{title}'{also} to the trash; `outpost trash restore {id}` brings it back");
            Ok(())
        }
        Action::Extra(e) => e.run(app, format),
    }
}

/// After `add`: the id for people, the whole record for scripts.
fn print_new(app: &App, kind: EntityKind, id: Id, format: Format) -> anyhow::Result<()> {
    if format == Format::Table {
        println!("{id}");
        return Ok(());
    }
    if format == Format::Json {
        let stored = app
            .store
            .get(kind, id)?
            .ok_or_else(|| AppError::NotFound(id.to_string()))?;
        let view = app.view(kind, id, &stored, &mut Names::default());
        println!("{}", serde_json::to_string_pretty(&Value::Object(view))?);
        return Ok(());
    }
    print_records(app, kind, &[id], format)
}

fn print_records(app: &App, kind: EntityKind, ids: &[Id], format: Format) -> anyhow::Result<()> {
    let mut out = super::out::stdout();
    let mut sink = Sink::new(format, kind, &mut out)?;
    let mut names = Names::default();
    for id in ids {
        if let Some(stored) = app.store.get(kind, *id)? {
            sink.push(&app.view(kind, *id, &stored, &mut names))?;
        }
    }
    sink.finish()?;
    Ok(())
}

fn list(app: &App, kind: EntityKind, args: &ListArgs, format: Format) -> anyhow::Result<()> {
    let mut filter: Option<Vec<Id>> = None;
    let mut narrow = |ids: Vec<Id>| {
        filter = Some(match filter.take() {
            None => ids,
            Some(prev) => prev.into_iter().filter(|i| ids.contains(i)).collect(),
        });
    };
    if let Some(a) = &args.account {
        let account = app.resolve(EntityKind::Account, a)?;
        narrow(app.store.children(account, kind)?);
    }
    if let Some(o) = &args.owner {
        let login = app.resolve_owner(o, "--owner")?;
        narrow(app.store.ids_by_index(Index::Owner, kind, &login)?);
    }
    if let Some(s) = &args.stage {
        let stage = app
            .config
            .pipeline
            .find(s)
            .ok_or_else(|| AppError::Invalid(app.config.pipeline.unknown(s)))?;
        narrow(app.store.ids_by_index(Index::Stage, kind, &stage.name)?);
    }
    let mut names = Names::default();
    let mut rows: Vec<Map<String, Value>> = Vec::new();
    match filter {
        Some(mut ids) => {
            ids.sort();
            for id in ids {
                if let Some(s) = app.store.get(kind, id)?.filter(|s| !s.deleted) {
                    rows.push(app.view(kind, id, &s, &mut names));
                }
            }
        }
        None => {
            for item in app.store.live(kind) {
                let (id, s) = item?;
                rows.push(app.view(kind, id, &s, &mut names));
            }
        }
    }
    if let Some(q) = &args.search {
        let matcher = SkimMatcherV2::default();
        let mut scored: Vec<(i64, Map<String, Value>)> = rows
            .into_iter()
            .filter_map(|r| matcher.fuzzy_match(&search_text(&r), q).map(|s| (s, r)))
            .collect();
        scored.sort_by_key(|s| std::cmp::Reverse(s.0));
        rows = scored.into_iter().map(|(_, r)| r).collect();
    }
    if let Some(field) = &args.sort {
        if !rows.is_empty() && !rows[0].contains_key(field) {
            return Err(AppError::Invalid(format!(
                "--sort: {kind} has no field '{field}'; fields are: {}",
                rows[0].keys().cloned().collect::<Vec<_>>().join(", ")
            ))
            .into());
        }
        rows.sort_by(|a, b| compare(a.get(field), b.get(field)));
    }
    if args.desc {
        rows.reverse();
    }
    if let Some(n) = args.limit {
        rows.truncate(n);
    }
    let mut out = super::out::stdout();
    let mut sink = Sink::new(format, kind, &mut out)?;
    for r in &rows {
        sink.push(r)?;
    }
    sink.finish()?;
    Ok(())
}

/// The text a fuzzy `--search` looks at.
fn search_text(r: &Map<String, Value>) -> String {
    crate::app::kinds::SEARCH
        .iter()
    .filter_map(|k| r.get(*k))
    .map(cell)
    .collect::<Vec<_>>()
    .join(" ")
}

/// Orders values: numbers (and numeric strings like amounts) numerically, text by text.
fn compare(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    let num = |v: Option<&Value>| {
        v.and_then(|v| {
            v.as_f64().or_else(|| {
                v.as_str()
                    .and_then(|s| s.parse::<rust_decimal::Decimal>().ok())
                    .and_then(|d| d.to_string().parse().ok())
            })
        })
    };
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        _ => cell(a.unwrap_or(&Value::Null))
            .to_lowercase()
            .cmp(&cell(b.unwrap_or(&Value::Null)).to_lowercase()),
    }
}

fn show(app: &App, kind: EntityKind, id: Id, format: Format) -> anyhow::Result<()> {
    if format != Format::Table {
        let held = app.held(kind, id)?.filter(|_| format != Format::Csv);
        let (Some(held), Some(stored)) = (held, app.store.get(kind, id)?) else {
            return print_records(app, kind, &[id], format);
        };
        // A held record says so: `held` has the server's reason and the conflict id.
        let mut view = app.view(kind, id, &stored, &mut Names::default());
        view.insert(
            "held".into(),
            serde_json::json!({"reason": held.reason, "conflict": held.conflict}),
        );
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let mut sink = Sink::new(format, kind, &mut out)?;
        sink.push(&view)?;
        sink.finish()?;
        return Ok(());
    }
    let stored = app
        .store
        .get(kind, id)?
        .ok_or_else(|| AppError::NotFound(id.to_string()))?;
    let mut names = Names::default();
    let view = app.view(kind, id, &stored, &mut names);
    let mut out: Vec<u8> = Vec::new();
    if let Some(held) = app.held(kind, id)? {
        writeln!(
            out,
            "HELD: not on the server, kept here as written and sent again by each sync.\n  \
             Why: {}\n  Fix it and sync, or discard: `outpost conflicts resolve {} --discard`.\n",
            held.reason, held.conflict
        )?;
    }
    let width = view.keys().map(String::len).max().unwrap_or(0);
    for (k, v) in &view {
        let text = cell(v);
        if k != "stage_history" && !text.is_empty() {
            writeln!(out, "{k:width$}  {text}")?;
        }
    }
    if let Some(Value::Array(history)) = view.get("stage_history") {
        writeln!(out, "\nStage history")?;
        for h in history {
            writeln!(
                out,
                "  {}  {}",
                cell(h.get("at").unwrap_or(&Value::Null)),
                cell(h.get("stage").unwrap_or(&Value::Null))
            )?;
        }
    }
    for child in crate::app::kinds::children(kind) {
        let ids = app.store.children(id, child)?;
        if ids.is_empty() {
            continue;
        }
        writeln!(out, "\n{} ({})", capitalise(child.plural()), ids.len())?;
        let mut sink = Sink::new(Format::Table, child, &mut out)?;
        for cid in ids.iter().take(50) {
            if let Some(s) = app.store.get(child, *cid)? {
                sink.push(&app.view(child, *cid, &s, &mut names))?;
            }
        }
        sink.finish()?;
    }
    super::out::stdout()
        .write_all(&out)
        .map_err(|e| AppError::io(std::path::Path::new("<stdout>"), e))?;
    Ok(())
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().collect::<String>() + c.as_str())
}

impl Extra for TerritoryExtra {
    fn run(self, app: &App, format: Format) -> anyhow::Result<()> {
        let Self::Assign { dry_run } = self;
        let changes = app.assign_territories(dry_run)?;
        if format != Format::Table {
            let mut out = super::out::stdout();
            for c in &changes {
                let line = serde_json::json!({
                    "account_id": c.account_id.to_string(),
                    "account_name": c.account_name,
                    "old_territory_id": c.old_id.map(|i| i.to_string()),
                    "old_territory_name": c.old_name,
                    "territory_id": c.new_id.to_string(),
                    "territory_name": c.new_name,
                    "dry_run": dry_run,
                });
                writeln!(out, "{line}").map_err(|e| AppError::io(std::path::Path::new("<stdout>"), e))?;
            }
            return Ok(());
        }
        for c in &changes {
            let old = if c.old_name.is_empty() { "(none)" } else { &c.old_name };
            println!("{}: {old} -> {}", c.account_name, c.new_name);
        }
        let verb = if dry_run { "would change" } else { "changed" };
        println!(
            "{} {verb}{}",
            match changes.len() {
                1 => "1 account".to_string(),
                n => format!("{n} accounts"),
            },
            if dry_run { " (dry run: nothing written)" } else { "" }
        );
        Ok(())
    }
}

impl Extra for NoExtra {
    fn run(self, _: &App, _: Format) -> anyhow::Result<()> {
        match self {}
    }
}

impl Extra for OppExtra {
    fn run(self, app: &App, format: Format) -> anyhow::Result<()> {
        let OppExtra::Move {
            reference,
            stage,
            reason,
        } = self;
        let id = app.resolve(EntityKind::Opportunity, &reference)?;
        let stage = app.move_stage(id, &stage, reason.as_deref())?;
        if format == Format::Table {
            println!("Moved '{}' to {stage}", app.title(EntityKind::Opportunity, id));
            Ok(())
        } else {
            print_records(app, EntityKind::Opportunity, &[id], format)
        }
    }
}

impl Extra for LeadExtra {
    fn run(self, app: &App, format: Format) -> anyhow::Result<()> {
        let LeadExtra::Convert {
            reference,
            no_opp,
            opp_name,
            amount,
            close,
        } = self;
        let id = app.resolve(EntityKind::Lead, &reference)?;
        let c = app.convert_lead(
            id,
            &ConvertOptions {
                no_opp,
                opp_name,
                amount,
                close,
            },
        )?;
        if format == Format::Table {
            let verb = if c.account_created { "created" } else { "linked" };
            println!(
                "account      {} ({verb} '{}')",
                c.account,
                app.title(EntityKind::Account, c.account)
            );
            println!(
                "contact      {} ('{}')",
                c.contact,
                app.title(EntityKind::Contact, c.contact)
            );
            if let Some(o) = c.opportunity {
                println!("opportunity  {o} ('{}')", app.title(EntityKind::Opportunity, o));
            }
            Ok(())
        } else {
            print_records(app, EntityKind::Lead, &[id], format)
        }
    }
}

impl Extra for ActivityExtra {
    fn run(self, app: &App, format: Format) -> anyhow::Result<()> {
        match self {
            ActivityExtra::Log {
                kind,
                subject,
                account,
                contact,
                opp,
                lead,
                outcome,
                body,
                due,
                next_step,
                next_due,
            } => {
                let k = EntityKind::Activity;
                let mut values: Values = vec![(spec_of(k, "subject"), vec![subject])];
                for (json, v) in [
                    ("account_id", account),
                    ("contact_id", contact),
                    ("opportunity_id", opp),
                    ("lead_id", lead),
                    ("outcome", outcome),
                    ("body", body),
                    ("due", due),
                ] {
                    if let Some(v) = v {
                        values.push((spec_of(k, json), vec![v]));
                    }
                }
                let follow_up = next_step.map(|s| (s, next_due.unwrap_or_else(|| "+3d".into())));
                let id = app.log_activity(kind, &values, follow_up)?;
                print_new(app, k, id, format)
            }
            ActivityExtra::Done { reference, undo } => {
                let id = app.resolve(EntityKind::Activity, &reference)?;
                app.set_done(id, !undo)?;
                println!(
                    "{} '{}'",
                    if undo { "Reopened" } else { "Done:" },
                    app.title(EntityKind::Activity, id)
                );
                Ok(())
            }
        }
    }
}

impl Extra for QuoteExtra {
    fn run(self, app: &App, format: Format) -> anyhow::Result<()> {
        let k = EntityKind::QuoteLine;
        match self {
            QuoteExtra::LineAdd {
                reference,
                product,
                description,
                qty,
                price,
                discount,
            } => {
                let quote = app.resolve(EntityKind::Quote, &reference)?;
                let mut values: Values = vec![(spec_of(k, "quote_id"), vec![quote.to_string()])];
                let position = app.store.children(quote, k)?.len();
                values.push((spec_of(k, "position"), vec![position.to_string()]));
                for (json, v) in [
                    ("product_id", product),
                    ("description", description),
                    ("quantity", qty),
                    ("unit_price", price),
                    ("discount_pct", discount),
                ] {
                    if let Some(v) = v {
                        values.push((spec_of(k, json), vec![v]));
                    }
                }
                let id = app.create(k, &values)?;
                print_new(app, k, id, format)
            }
            QuoteExtra::Lines { reference } => {
                let quote = app.resolve(EntityKind::Quote, &reference)?;
                let mut ids = app.store.children(quote, k)?;
                ids.sort();
                print_records(app, k, &ids, format)
            }
            QuoteExtra::LineRm { line } => {
                let id = app.resolve(k, &line)?;
                app.remove(k, id, false)?;
                println!("Moved the line to the trash; `outpost trash restore {id}` brings it back");
                Ok(())
            }
        }
    }
}
