//! Runs the entity commands.

use std::io::Write;

use serde_json::Value;

use super::entity::{
    Action, ActivityExtra, EventExtra, LeadExtra, ListArgs, NoExtra, OppExtra, OrderExtra, QuoteExtra, TerritoryExtra,
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
        Action::Show(r) if kind == EntityKind::Quote => show_quote(app, app.resolve(kind, &r)?, format),
        Action::Show(r) if kind == EntityKind::Order => show_order(app, app.resolve(kind, &r)?, format),
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

/// One record's output object (a `show` that adds to the stored fields, like a quote's
/// totals) in any format but the table: JSON as a one-element array, like every `show`.
fn print_view(kind: EntityKind, view: serde_json::Map<String, Value>, format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&Value::Array(vec![Value::Object(view)]))?
        );
        return Ok(());
    }
    let mut out = super::out::stdout();
    let mut sink = Sink::new(format, kind, &mut out)?;
    sink.push(&view)?;
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
    if query.search.is_none() && args.sort.is_none() && !args.desc {
        // In the store's order: rows go out as they are read, and a --limit reads no more.
        let mut out = super::out::stdout();
        let mut sink = Sink::new(format, kind, &mut out)?;
        let mut left = args.limit.unwrap_or(usize::MAX);
        if left > 0 {
            app.list_each(kind, &query, &mut |_, row| {
                sink.push(&row)?;
                left -= 1;
                Ok(left > 0)
            })?;
        }
        sink.finish()?;
        return Ok(());
    }
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
        let quote_of = |r: &str| app.resolve(EntityKind::Quote, r);
        let line_values = |pairs: [(&str, Option<String>); 6]| -> Values {
            pairs
                .into_iter()
                .filter_map(|(json, v)| v.map(|v| (spec_of(k, json), vec![v])))
                .collect()
        };
        match self {
            QuoteExtra::LineAdd {
                reference,
                product,
                description,
                qty,
                price,
                discount,
                tax,
                at,
            } => {
                let quote = quote_of(&reference)?;
                let values = line_values([
                    ("product_id", product),
                    ("description", description),
                    ("quantity", qty),
                    ("unit_price", price),
                    ("discount_pct", discount),
                    ("tax_pct", tax),
                ]);
                let id = app.add_line(quote, &values, at)?;
                print_new(app, k, id, format)
            }
            QuoteExtra::LineEdit {
                reference,
                place,
                description,
                qty,
                price,
                discount,
                tax,
            } => {
                let quote = quote_of(&reference)?;
                let id = app.line_at(quote, place)?;
                let values = line_values([
                    ("description", description),
                    ("quantity", qty),
                    ("unit_price", price),
                    ("discount_pct", discount),
                    ("tax_pct", tax),
                    ("product_id", None),
                ]);
                app.edit(k, id, &values)?;
                show_quote(app, quote, format)
            }
            QuoteExtra::LineMove { reference, from, to } => {
                let quote = quote_of(&reference)?;
                app.move_line(quote, from, to)?;
                show_quote(app, quote, format)
            }
            QuoteExtra::Lines { reference } => {
                let quote = quote_of(&reference)?;
                let ids: Vec<Id> = app.ordered_lines(quote)?.into_iter().map(|(i, _)| i).collect();
                print_records(app, k, &ids, format)
            }
            QuoteExtra::LineRm { line, place } => {
                let id = match place {
                    Some(n) => app.line_at(quote_of(&line)?, n)?,
                    None => app.resolve(k, &line)?,
                };
                app.remove(k, id, false)?;
                println!("Moved the line to the trash; `outpost trash restore {id}` brings it back");
                Ok(())
            }
            QuoteExtra::Submit { reference } => {
                let id = quote_of(&reference)?;
                app.submit_quote(id)?;
                println!(
                    "Quote {} needs approval; a manager sees it in `outpost quote approvals` after you sync",
                    app.title(EntityKind::Quote, id)
                );
                Ok(())
            }
            QuoteExtra::Approvals => {
                let docs = app.approvals()?;
                let rows: Vec<serde_json::Map<String, Value>> = docs
                    .iter()
                    .map(|d| {
                        let mut m = serde_json::Map::new();
                        m.insert("id".into(), d.id.to_string().into());
                        m.insert("number".into(), d.quote.display_number().into());
                        m.insert("account_name".into(), d.account.clone().unwrap_or_default().into());
                        m.insert(
                            "opportunity_name".into(),
                            d.opportunity.clone().unwrap_or_default().into(),
                        );
                        m.insert("max_discount_pct".into(), d.max_discount.to_string().into());
                        m.insert("grand_total".into(), d.totals.grand_total.to_string().into());
                        m.insert("currency".into(), d.quote.currency.clone().into());
                        m
                    })
                    .collect();
                if format == Format::Table {
                    if rows.is_empty() {
                        println!("No quotes are waiting for approval");
                    }
                    for d in &docs {
                        println!(
                            "{}  {}  {}  discount {}%  total {} {}",
                            d.quote.display_number(),
                            d.account.as_deref().unwrap_or("-"),
                            d.opportunity.as_deref().unwrap_or("-"),
                            d.max_discount,
                            d.totals.grand_total,
                            d.quote.currency
                        );
                    }
                    return Ok(());
                }
                let mut out = super::out::stdout();
                let mut sink = Sink::new(format, EntityKind::Quote, &mut out)?;
                for r in &rows {
                    sink.push(r)?;
                }
                sink.finish()?;
                Ok(())
            }
            QuoteExtra::Approve { reference, comment } => {
                let id = quote_of(&reference)?;
                app.decide_approval(id, true, comment.as_deref())?;
                println!(
                    "Approved quote {}; the rep can send it after their next sync",
                    app.title(EntityKind::Quote, id)
                );
                Ok(())
            }
            QuoteExtra::Reject { reference, comment } => {
                let id = quote_of(&reference)?;
                app.decide_approval(id, false, comment.as_deref())?;
                println!(
                    "Rejected the discount of quote {}; it is a draft again",
                    app.title(EntityKind::Quote, id)
                );
                Ok(())
            }
            QuoteExtra::Send { reference } => {
                let id = quote_of(&reference)?;
                app.send_quote(id)?;
                println!(
                    "Sent quote {}; it is frozen now (`outpost quote revise` makes a new draft)",
                    app.title(EntityKind::Quote, id)
                );
                Ok(())
            }
            QuoteExtra::Accept { reference, win, order } => {
                let id = quote_of(&reference)?;
                let totals = app.accept_quote(id, win)?;
                println!(
                    "Accepted quote {}; the deal's amount is now {} {}{}",
                    app.title(EntityKind::Quote, id),
                    totals.grand_total,
                    totals.currency,
                    if win { " and it is won" } else { "" }
                );
                if order {
                    let values: Values = vec![(spec_of(EntityKind::Order, "quote_id"), vec![id.to_string()])];
                    let o = app.create(EntityKind::Order, &values)?;
                    println!("Order {} ({o})", app.title(EntityKind::Order, o));
                }
                Ok(())
            }
            QuoteExtra::Decline { reference } => {
                let id = quote_of(&reference)?;
                app.decline_quote(id)?;
                println!("Quote {} is rejected", app.title(EntityKind::Quote, id));
                Ok(())
            }
            QuoteExtra::Revise { reference } => {
                let id = quote_of(&reference)?;
                let new = app.revise_quote(id)?;
                if format == Format::Table {
                    println!("{new}");
                    return Ok(());
                }
                show_quote(app, new, format)
            }
            QuoteExtra::Render { reference, output } => {
                let id = quote_of(&reference)?;
                let kind = app.render_quote(id, &output)?;
                eprintln!("Wrote {} ({kind})", output.display());
                Ok(())
            }
        }
    }
}

impl Extra for OrderExtra {
    fn run(self, app: &App, format: Format) -> anyhow::Result<()> {
        let Self::Status { reference, status } = self;
        let id = app.resolve(EntityKind::Order, &reference)?;
        let to: crate::model::records::OrderStatus = serde_json::from_value(Value::String(status))?;
        app.set_order_status(id, to)?;
        show_order(app, id, format)
    }
}

/// `order show`: the order, its lines with their nets, the totals and its status history.
fn show_order(app: &App, id: Id, format: Format) -> anyhow::Result<()> {
    let view = app.order_json(id)?;
    if format != Format::Table {
        return print_view(EntityKind::Order, view, format);
    }
    let o = app.order(id)?;
    let t = app.order_totals(&o)?;
    let mut text = format!(
        "Order {}  {}\nQuote  {}\nAccount  {}\n\n",
        o.number,
        o.status.name(),
        cell(view.get("quote_name").unwrap_or(&Value::Null)),
        cell(view.get("account_name").unwrap_or(&Value::Null)),
    );
    for (i, l) in o.lines.iter().enumerate() {
        text.push_str(&format!(
            "{:>3}  {}  {} x {}  -{}%  tax {}%  {}\n",
            i + 1,
            l.description,
            l.quantity.normalize(),
            l.unit_price,
            l.discount_pct.normalize(),
            l.tax_pct.normalize(),
            t.line_nets[i]
        ));
    }
    text.push_str(&format!(
        "\nSubtotal  {} {cur}\nDiscount  {} {cur}\nTax  {} {cur}\nGrand total  {} {cur}\n\nHistory\n",
        t.subtotal,
        t.discount,
        t.tax,
        t.grand_total,
        cur = t.currency
    ));
    for e in &o.history {
        text.push_str(&format!(
            "  {}  {}\n",
            e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            e.status.name()
        ));
    }
    super::out::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| AppError::io(std::path::Path::new("<stdout>"), e))?;
    Ok(())
}

/// `quote show`: the header, the lines in order with their nets, and the totals, all
/// from `App::quote_doc` (JSON: the record plus `lines` and `totals`).
fn show_quote(app: &App, id: Id, format: Format) -> anyhow::Result<()> {
    if format != Format::Table {
        return print_view(EntityKind::Quote, app.quote_json(id)?, format);
    }
    let doc = app.quote_doc(id)?;
    let mut text = crate::app::render::text(&doc);
    text.push_str(&quote_conflicts_text(&app.quote_conflict_rows(&doc)?, &doc));
    super::out::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| AppError::io(std::path::Path::new("<stdout>"), e))?;
    Ok(())
}

/// Under a quote's document, what waits in the inbox for it: changes made here that the
/// server refused because another laptop sent the quote first, and lines added here it
/// never took (none: nothing).
fn quote_conflicts_text(rows: &[crate::app::quote_sync::QuoteConflict], doc: &crate::app::quotes::QuoteDoc) -> String {
    use std::fmt::Write as _;
    if rows.is_empty() {
        return String::new();
    }
    let n = doc.quote.display_number();
    let mut out = format!(
        "\nNot on this quote: {} change(s) made here wait in the inbox (`outpost conflicts list`).\n\
         `outpost quote revise {n}` carries them into a new draft; `outpost conflicts resolve ID --keep theirs` \
         (or `--discard` for an added line) drops one.\n",
        rows.len()
    );
    for r in rows {
        let place = match (r.entity, r.line) {
            (EntityKind::Quote, _) => "header".to_string(),
            (_, Some(p)) => format!("line {p}"),
            (_, None) => "a line".to_string(),
        };
        let text = match r.what.as_str() {
            "added" => {
                let f = |k: &str| r.mine.get(k).map(cell).unwrap_or_default();
                format!("new line: {} x {} {}", f("quantity"), f("unit_price"), f("description"))
            }
            "removed" => format!("{place} removed"),
            what => format!("{place} {what}: {} (sent: {})", cell(&r.mine), cell(&r.sent)),
        };
        let _ = writeln!(out, "  {}  {:<8} {}", r.id, r.kind, text.trim_end());
    }
    out
}
