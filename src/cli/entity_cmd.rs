//! Runs the entity commands.

use std::io::Write;

use serde_json::Value;

use super::entity::{
    Action, ActivityExtra, EventExtra, LeadExtra, ListArgs, NoExtra, OppExtra, QuoteExtra, TerritoryExtra,
};
use crate::app::export::{Format, Sink};
use crate::app::ops::{Values, spec_of};
use crate::app::queries::ListQuery;
use crate::app::view::{Names, cell};
use crate::app::{App, AppError, ConvertOptions};
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
        let view = app.record_view(kind, id, &mut Names::default())?;
        println!("{}", serde_json::to_string_pretty(&Value::Object(view))?);
        return Ok(());
    }
    print_records(app, kind, &[id], format)
}

fn print_records(app: &App, kind: EntityKind, ids: &[Id], format: Format) -> anyhow::Result<()> {
    let mut out = super::out::stdout();
    let mut sink = Sink::new(format, kind, &mut out)?;
    for view in app.views(kind, ids, &mut Names::default())? {
        sink.push(&view)?;
    }
    sink.finish()?;
    Ok(())
}

fn list(app: &App, kind: EntityKind, args: &ListArgs, format: Format) -> anyhow::Result<()> {
    let query = ListQuery {
        account: args.account.clone(),
        owner: args.owner.clone(),
        stage: args.stage.clone(),
        search: args.search.clone(),
    };
    let mut rows = app.list(kind, &query)?;
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
        let (Some(held), Some(mut view)) = (held, app.views(kind, &[id], &mut Names::default())?.pop()) else {
            return print_records(app, kind, &[id], format);
        };
        // A held record says so: `held` has the server's reason and the conflict id.
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
    let mut names = Names::default();
    let view = app.record_view(kind, id, &mut names)?;
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
        let ids = app.children_ids(id, child)?;
        if ids.is_empty() {
            continue;
        }
        writeln!(out, "\n{} ({})", capitalise(child.plural()), ids.len())?;
        let mut sink = Sink::new(Format::Table, child, &mut out)?;
        for view in app.views(child, &ids[..ids.len().min(50)], &mut names)? {
            sink.push(&view)?;
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

impl Extra for EventExtra {
    fn run(self, app: &App, _format: Format) -> anyhow::Result<()> {
        match self {
            EventExtra::Cancel { reference, on } => {
                let id = app.resolve(EntityKind::Event, &reference)?;
                let day = app.cancel_occurrence(id, &on)?;
                println!("Cancelled '{}' on {day}", app.title(EntityKind::Event, id));
            }
            EventExtra::Move { reference, on, to, end } => {
                let id = app.resolve(EntityKind::Event, &reference)?;
                let moved = app.move_occurrence(id, &on, &to, end.as_deref())?;
                println!("{moved}");
            }
        }
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
                let position = app.children_ids(quote, k)?.len();
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
                let ids = app.quote_lines(quote)?;
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
