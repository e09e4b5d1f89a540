//! Building forms from the field registry and saving them through the app's use cases:
//! create and edit any record, and the quick actions (log a call or visit with a
//! follow-up, add a note, schedule a meeting, convert a lead, mark a task done).

use chrono::Duration;
use serde_json::Value;

use super::ctx::Ctx;
use super::effect::{Effect, Effects, FormRequest, Level, PickRequest};
use super::journal::Step;
use super::occurrence;
use super::popups::form::{Field, Form, Input, Target};
use super::popups::picker::{self, Picker, Purpose};
use super::widgets::{fit, pad};
use crate::app::ConvertOptions;
use crate::app::conflicts::ConflictRow;
use crate::app::dashboard::ref_id;
use crate::app::input::{parse_bool, parse_date};
use crate::app::ops::{Values, spec_of};
use crate::app::spec::{self, Spec, Ty};
use crate::app::view::cell;
use crate::model::money::parse_amount;
use crate::model::records::fields;
use crate::model::records::{ActivityKind, OrderStatus};
use crate::model::{EntityKind, Id};
use crate::sync::conflicts::Choice;

/// Fields edited in a text area rather than on one line.
const LONG: [&str; 3] = ["body", "description", "notes"];

fn field_for(spec: &'static Spec, text: &str) -> Field {
    let mut f = Field::new(
        spec.json,
        &super::load::detail::label(spec.json),
        Some(spec),
        spec.required,
        spec.help,
        text,
    );
    if LONG.contains(&spec.json) {
        f.input = Input::area(text);
    }
    f
}

/// Builds the form `request` asks for; `None` (with a message) when it cannot open.
pub fn build(cx: &Ctx, request: &FormRequest, out: &mut Effects) -> Option<Form> {
    match request {
        FormRequest::Create(kind, prefill) => Some(open_create(cx, *kind, prefill)),
        FormRequest::Edit(kind, id) => open_edit(cx, *kind, *id, out),
        FormRequest::Log(kind, on) => Some(open_log(cx, *kind, *on)),
        FormRequest::Note(on) => Some(open_note(cx, *on)),
        FormRequest::Meeting(on) => Some(open_meeting(cx, *on)),
        FormRequest::Convert(lead) => open_convert(cx, *lead, out),
        FormRequest::Lose(deal, stage) => Some(open_lose(cx, *deal, stage)),
        FormRequest::Win(deal, stage) => Some(confirm(
            format!(
                "Move '{}' to {stage}? Enter moves it · Esc keeps it",
                cx.app.title(EntityKind::Opportunity, *deal)
            ),
            Target::Win(*deal, stage.clone()),
        )),
        FormRequest::Trash(kind, id) => Some(confirm(
            format!(
                "Move {} '{}' to the trash? Enter trashes it · Esc keeps it",
                kind.name(),
                cx.app.title(*kind, *id)
            ),
            Target::Trash(*kind, *id),
        )),
        FormRequest::Resolve(row) => Some(open_resolve(row)),
        FormRequest::AddLine(quote, product) => Some(open_add_line(cx, *quote, *product)),
        FormRequest::Line(line) => open_line(cx, *line, out),
        FormRequest::QuoteHeader(quote) => open_header(cx, *quote, out),
        FormRequest::Render(quote) => Some(open_render(cx, *quote)),
        FormRequest::Decide(quote, approve) => Some(open_decide(cx, *quote, *approve)),
        FormRequest::OrderStatus(order) => open_order_status(cx, *order, out),
        FormRequest::MoveOccurrence(id, day) => Some(occurrence::move_form(cx, *id, *day)),
        FormRequest::CancelOccurrence(id, day) => Some(occurrence::cancel_form(cx, *id, *day)),
    }
}

/// Builds the picker `request` asks for; `None` (with a message) when it cannot open,
/// as for a frozen quote (the app's own refusal, as the CLI prints it).
pub fn picker(cx: &Ctx, request: &PickRequest, out: &mut Effects) -> Option<Picker> {
    match request {
        PickRequest::Product(quote) => {
            if let Err(e) = cx.app.refuse_frozen(*quote, "adding a line") {
                out.say(e.to_string(), Level::Error);
                return None;
            }
            let currency = cx.app.quote(*quote).map(|q| q.currency).unwrap_or_default();
            let products = match cx.app.line_products(*quote) {
                Ok(p) => p,
                Err(e) => {
                    out.say(e.to_string(), Level::Error);
                    return None;
                }
            };
            if products.is_empty() {
                out.say("No active products; `outpost product add` makes one", Level::Info);
                return None;
            }
            let choices = products
                .into_iter()
                .map(|p| picker::Choice {
                    id: p.id,
                    text: format!(
                        "{}  {}  {}",
                        pad(&p.sku, 12, false),
                        pad(&p.name, 28, false),
                        p.price
                            .map_or_else(|| format!("no {currency} price"), |x| format!("{currency} {x}"))
                    ),
                })
                .collect();
            Some(Picker::new(
                format!("Add a line · {}", cx.app.title(EntityKind::Quote, *quote)),
                Purpose::LineOn(*quote),
                choices,
            ))
        }
    }
}

/// The form of a new line for `product` on `quote`: quantity first; price, discount and
/// tax empty take the product's (the price from its price book for that quantity on the
/// quote's date), as `outpost quote line-add` does.
fn open_add_line(cx: &Ctx, quote: Id, product: Id) -> Form {
    let name = cx
        .app
        .record(EntityKind::Product, product)
        .ok()
        .flatten()
        .map(|s| format!("{} {}", s.text(fields::product::SKU), s.text(fields::shared::NAME)))
        .unwrap_or_default();
    let l = |j| spec_of(EntityKind::QuoteLine, j);
    let mut price = field_for(l(fields::quote_line::UNIT_PRICE), "");
    price.help = "Empty: the price book's for this quantity on the quote's date".into();
    let mut tax = field_for(l("tax_pct"), "");
    tax.help = "Empty: the product's tax rate".into();
    let fields = vec![
        field_for(l(fields::quote_line::QUANTITY), "1"),
        field_for(l("discount_pct"), ""),
        price,
        tax,
    ];
    Form {
        title: fit(
            &format!("Add {name} · quote {}", cx.app.title(EntityKind::Quote, quote)),
            68,
        ),
        target: Target::AddLine(quote, product),
        fields,
        focus: 0,
        error: None,
        asking_discard: false,
    }
}

/// The fields of a quote line one changes in the editor, in the form's order.
const LINE_FIELDS: [&str; 5] = ["quantity", "discount_pct", "unit_price", "tax_pct", "description"];

/// The fields of a quote's header one changes in the editor (its status moves only by
/// the lifecycle keys).
const HEADER_FIELDS: [&str; 5] = ["discount_pct", "valid_until", "contact_id", "date", "notes"];

/// A form that edits some fields of a record (`json` names, in order), saved as an edit.
fn open_some(cx: &Ctx, kind: EntityKind, id: Id, json: &[&str], title: &str, out: &mut Effects) -> Option<Form> {
    let stored = match cx.app.record(kind, id) {
        Ok(Some(s)) if !s.deleted => s,
        Ok(_) => {
            out.say(format!("the {} is gone", kind.name().replace('_', " ")), Level::Error);
            return None;
        }
        Err(e) => {
            out.say(e.to_string(), Level::Error);
            return None;
        }
    };
    let fields = json
        .iter()
        .map(|j| {
            let s = spec_of(kind, j);
            let (text, hidden) = edit_text(cx, s, stored.fields.get(s.json));
            let mut f = field_for(s, &text);
            f.hidden = hidden;
            f
        })
        .collect();
    Some(Form {
        title: fit(title, 68),
        target: Target::Edit(kind, id),
        fields,
        focus: 0,
        error: None,
        asking_discard: false,
    })
}

/// The form that changes a quote line (`outpost quote line-edit`).
fn open_line(cx: &Ctx, line: Id, out: &mut Effects) -> Option<Form> {
    let title = format!("Line · {}", cx.app.title(EntityKind::QuoteLine, line));
    open_some(cx, EntityKind::QuoteLine, line, &LINE_FIELDS, &title, out)
}

/// The form that changes a quote's header (`outpost quote edit`).
fn open_header(cx: &Ctx, quote: Id, out: &mut Effects) -> Option<Form> {
    let title = format!("Quote {}", cx.app.title(EntityKind::Quote, quote));
    open_some(cx, EntityKind::Quote, quote, &HEADER_FIELDS, &title, out)
}

/// Asks where to write a quote (`outpost quote render --output FILE`).
fn open_render(cx: &Ctx, quote: Id) -> Form {
    let number = cx
        .app
        .quote(quote)
        .map(|q| q.display_number())
        .unwrap_or_else(|_| "quote".into());
    let fields = vec![Field::new(
        "path",
        "File",
        None,
        true,
        "Where to write it: .pdf, .html or .md picks the format (relative to where outpost started)",
        &format!("{number}.pdf"),
    )];
    Form {
        title: fit(&format!("Render quote {number}"), 68),
        target: Target::Render(quote),
        fields,
        focus: 0,
        error: None,
        asking_discard: false,
    }
}

/// A manager's answer to a quote waiting for approval, with a comment.
fn open_decide(cx: &Ctx, quote: Id, approve: bool) -> Form {
    let fields = vec![Field::new(
        "comment",
        "Comment",
        None,
        false,
        "What the rep reads with your answer (optional)",
        "",
    )];
    let word = if approve { "Approve" } else { "Reject" };
    Form {
        title: fit(
            &format!(
                "{word} the discount of quote {}?",
                cx.app.title(EntityKind::Quote, quote)
            ),
            68,
        ),
        target: Target::Decide(quote, approve),
        fields,
        focus: 0,
        error: None,
        asking_discard: false,
    }
}

/// Asks for an order's next status (`outpost order status`), offering the ones it can
/// go to.
fn open_order_status(cx: &Ctx, order: Id, out: &mut Effects) -> Option<Form> {
    let o = match cx.app.order(order) {
        Ok(o) => o,
        Err(e) => {
            out.say(e.to_string(), Level::Error);
            return None;
        }
    };
    let next: Vec<&str> = o.next().iter().map(|s| s.name()).collect();
    let Some(first) = next.first() else {
        out.say(
            format!("Order {} is {}; it goes nowhere from there", o.number, o.status.name()),
            Level::Info,
        );
        return None;
    };
    let fields = vec![Field::new(
        "status",
        "New status",
        None,
        true,
        &format!("One of: {}", next.join(", ")),
        first,
    )];
    Some(Form {
        title: fit(&format!("Order {} is {}", o.number, o.status.name()), 68),
        target: Target::OrderStatus(order),
        fields,
        focus: 0,
        error: None,
        asking_discard: false,
    })
}

/// Opens a form to create a record of `kind`, with some fields filled:
/// (json name, text, hidden value).
fn open_create(_cx: &Ctx, kind: EntityKind, prefill: &[(&'static str, String, Option<String>)]) -> Form {
    let mut fields: Vec<Field> = spec::specs(kind).iter().map(|s| field_for(s, "")).collect();
    for (key, text, hidden) in prefill {
        if let Some(f) = fields.iter_mut().find(|f| f.key == *key) {
            f.input = if LONG.contains(key) {
                Input::area(text)
            } else {
                Input::line(text)
            };
            f.initial.clone_from(text);
            f.hidden.clone_from(hidden);
        }
    }
    let focus = fields.iter().position(|f| f.text().is_empty()).unwrap_or(0);
    Form {
        title: format!("New {}", kind.name().replace('_', " ")),
        target: Target::Create(kind),
        fields,
        focus,
        error: None,
        asking_discard: false,
    }
}

/// The text a stored value is edited as.
fn edit_text(cx: &Ctx, spec: &Spec, value: Option<&Value>) -> (String, Option<String>) {
    let Some(v) = value.filter(|v| !v.is_null()) else {
        return (String::new(), None);
    };
    match spec.ty {
        Ty::Ref(kind) => match v.as_str().and_then(|s| s.parse::<Id>().ok()) {
            Some(id) => (cx.app.title(kind, id), Some(id.to_string())),
            None => (String::new(), None),
        },
        Ty::DateTime => {
            let text = v
                .as_str()
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                .map_or_else(
                    || cell(v),
                    |t| {
                        cx.clock
                            .local(t.with_timezone(&chrono::Utc))
                            .format("%Y-%m-%d %H:%M")
                            .to_string()
                    },
                );
            (text, None)
        }
        Ty::Bool => (
            (if v.as_bool().unwrap_or(false) { "yes" } else { "no" }).to_string(),
            None,
        ),
        // In the locale's own way, so that the text reads back as the same number.
        Ty::Amount => (
            crate::model::money::write_decimal(&cell(v), &cx.app.config.locale),
            None,
        ),
        _ => (cell(v), None),
    }
}

/// Opens a form to edit a record.
fn open_edit(cx: &Ctx, kind: EntityKind, id: Id, out: &mut Effects) -> Option<Form> {
    let stored = match cx.app.record(kind, id) {
        Ok(Some(s)) if !s.deleted => s,
        Ok(_) => {
            out.say(format!("the {kind} is gone"), Level::Error);
            return None;
        }
        Err(e) => {
            out.say(e.to_string(), Level::Error);
            return None;
        }
    };
    let fields: Vec<Field> = spec::specs(kind)
        .iter()
        .filter(|s| s.ty != Ty::PriceCurrency)
        .map(|s| {
            let (text, hidden) = edit_text(cx, s, stored.fields.get(s.json));
            let mut f = field_for(s, &text);
            f.hidden = hidden;
            f.required = s.required;
            f
        })
        .collect();
    Some(Form {
        title: format!("Edit {} · {}", kind.name().replace('_', " "), cx.app.title(kind, id)),
        target: Target::Edit(kind, id),
        fields,
        focus: 0,
        error: None,
        asking_discard: false,
    })
}

/// The records a new activity or event about `(kind, id)` links to.
#[must_use]
pub fn links_of(cx: &Ctx, kind: EntityKind, id: Id, for_event: bool) -> Vec<(&'static str, Id)> {
    let fields = cx
        .app
        .record(kind, id)
        .ok()
        .flatten()
        .map(|s| s.fields)
        .unwrap_or_default();
    let mut out: Vec<(&'static str, Id)> = Vec::new();
    let mut add = |f: &'static str, v: Option<Id>| {
        if let Some(v) = v
            && !out.iter().any(|(k, _)| *k == f)
        {
            out.push((f, v));
        }
    };
    // A record an activity can be about is linked itself (the app fills in the account
    // of a contact or deal when saving); any other record lends the links it has that
    // an activity can carry, in its definition's order.
    let about = crate::app::kinds::ABOUT;
    match about.iter().find(|(_, k)| *k == kind) {
        Some((f, _)) => add(f, Some(id)),
        None => {
            for (f, _) in crate::app::kinds::def(kind).links {
                if about.iter().any(|(a, _)| a == f) {
                    add(f, ref_id(&fields, f));
                }
            }
        }
    }
    if for_event {
        out.retain(|(f, _)| *f != fields::activity::LEAD_ID);
    }
    out
}

fn about(cx: &Ctx, links: &[(&'static str, Id)]) -> String {
    // Show the account the app will fill in from the contact or deal.
    let given: crate::model::Fields = links
        .iter()
        .map(|(f, id)| ((*f).to_string(), Value::from(id.to_string())))
        .collect();
    let implied = (!given.contains_key(fields::shared::ACCOUNT_ID))
        .then(|| cx.app.implied_account(&given))
        .flatten()
        .map(|a| (fields::shared::ACCOUNT_ID, a));
    links
        .iter()
        .copied()
        .chain(implied)
        .map(|(f, id)| {
            let kind = crate::app::kinds::target(EntityKind::Activity, f).unwrap_or(EntityKind::Account);
            cx.app.title(kind, id)
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Opens the form to log a call or visit about the selected record.
fn open_log(cx: &Ctx, kind: ActivityKind, on: (EntityKind, Id)) -> Form {
    let links = links_of(cx, on.0, on.1, false);
    let who = cx.app.title(on.0, on.1);
    let (word, subject) = match kind {
        ActivityKind::Visit => ("visit", format!("Visit at {who}")),
        _ => ("call", format!("Call with {who}")),
    };
    let a = |j| spec_of(EntityKind::Activity, j);
    let fields = vec![
        field_for(a(fields::activity::SUBJECT), &subject),
        Field::new(
            fields::activity::OUTCOME,
            "Outcome",
            Some(a(fields::activity::OUTCOME)),
            false,
            "How it went: interested, needs budget, no decision…",
            "",
        ),
        Field::new(
            fields::opportunity::NEXT_STEP,
            "Next step",
            None,
            true,
            "Required: what happens next (becomes a follow-up task)",
            "",
        ),
        Field::new(
            "follow_up",
            "Follow-up due",
            None,
            true,
            "When the next step is due: YYYY-MM-DD, today, tomorrow, +3d, +2w",
            "+2d",
        ),
        field_for(a("body"), ""),
    ];
    let focus = 1;
    Form {
        title: format!("Log {word} · {}", about(cx, &links)),
        target: Target::Log(kind, links),
        fields,
        focus,
        error: None,
        asking_discard: false,
    }
}

/// Opens the form to add a note about the selected record.
fn open_note(cx: &Ctx, on: (EntityKind, Id)) -> Form {
    let links = links_of(cx, on.0, on.1, false);
    let a = |j| spec_of(EntityKind::Activity, j);
    let fields = vec![field_for(a(fields::activity::SUBJECT), ""), field_for(a("body"), "")];
    Form {
        title: format!("Note · {}", about(cx, &links)),
        target: Target::Note(links),
        fields,
        focus: 0,
        error: None,
        asking_discard: false,
    }
}

/// Opens the form to schedule a meeting about the selected record, tomorrow at 10:00.
fn open_meeting(cx: &Ctx, on: (EntityKind, Id)) -> Form {
    let links = links_of(cx, on.0, on.1, true);
    let who = cx.app.title(on.0, on.1);
    let e = |j| spec_of(EntityKind::Event, j);
    let start = (cx.clock.today() + Duration::days(1))
        .format("%Y-%m-%d 10:00")
        .to_string();
    let fields = vec![
        field_for(e("title"), &format!("Meeting: {who}")),
        field_for(e(fields::event::START), &start),
        field_for(e("end"), ""),
        field_for(e(fields::event::LOCATION), ""),
        field_for(e("description"), ""),
    ];
    Form {
        title: format!("Schedule a meeting · {}", about(cx, &links)),
        target: Target::Meeting(links),
        fields,
        focus: 1,
        error: None,
        asking_discard: false,
    }
}

/// Opens the form to convert a lead.
fn open_convert(cx: &Ctx, lead: Id, out: &mut Effects) -> Option<Form> {
    let stored = cx.app.record(EntityKind::Lead, lead).ok().flatten();
    let company = stored
        .as_ref()
        .map(|s| s.text(fields::lead::COMPANY).to_string())
        .unwrap_or_default();
    if stored.as_ref().is_some_and(|s| s.text("status") == "converted") {
        out.say("This lead is already converted", Level::Info);
        return None;
    }
    let fields = vec![
        Field::new(
            "deal",
            "Create a deal",
            None,
            true,
            "yes or no: also create an opportunity",
            "yes",
        ),
        Field::new(
            "opp_name",
            "Deal name",
            None,
            false,
            "Name of the new opportunity",
            &format!("{company} - new business"),
        ),
        Field::new(
            fields::opportunity::AMOUNT,
            "Amount",
            None,
            false,
            "Expected amount, e.g. 12500",
            "0",
        ),
        Field::new(
            "close",
            "Close date",
            None,
            false,
            "Expected close date: YYYY-MM-DD, +30d…",
            "",
        ),
    ];
    Some(Form {
        title: format!("Convert lead · {}", cx.app.title(EntityKind::Lead, lead)),
        target: Target::Convert(lead),
        fields,
        focus: 1,
        error: None,
        asking_discard: false,
    })
}

/// A question with no fields: Enter (or y) does `target`, Esc does nothing.
fn confirm(title: String, target: Target) -> Form {
    Form {
        title: fit(&title, 68),
        target,
        fields: Vec::new(),
        focus: 0,
        error: None,
        asking_discard: false,
    }
}

/// Asks before a deal goes to a lost stage: the move happens only when a loss reason is
/// given and saved; Esc leaves the deal as it is.
fn open_lose(cx: &Ctx, deal: Id, stage: &str) -> Form {
    let name = cx.app.title(EntityKind::Opportunity, deal);
    let fields = vec![Field::new(
        "reason",
        "Loss reason",
        None,
        true,
        &format!("Why was this deal lost? Enter moves it to {stage}, Esc keeps it"),
        "",
    )];
    Form {
        title: fit(&format!("Move to {stage}? · {name}"), 68),
        target: Target::Lose(deal, stage.to_string()),
        fields,
        focus: 0,
        error: None,
        asking_discard: false,
    }
}

/// The field's own problem, if any (used when leaving a field).
fn field_problem(cx: &Ctx, form: &Form, f: &Field) -> Option<String> {
    let text = f.value();
    if f.required && text.trim().is_empty() {
        return Some("required".into());
    }
    if text.trim().is_empty() {
        return None;
    }
    match (f.spec, f.key) {
        (Some(spec), _) => {
            let kind = match &form.target {
                Target::Create(k) | Target::Edit(k, _) => *k,
                Target::AddLine(..) => EntityKind::QuoteLine,
                Target::Meeting(_) => EntityKind::Event,
                _ => EntityKind::Activity,
            };
            let values: Values = vec![(spec, vec![text])];
            cx.app
                .check_form(kind, None, &values)
                .into_iter()
                .find(|i| i.field == spec.json && i.message != "required")
                .map(|i| i.message)
        }
        (None, "follow_up" | "close") => parse_date(&text, cx.clock.today()).err(),
        (None, "amount") => parse_amount(&text, &cx.app.config.locale).err(),
        (None, "deal") => parse_bool(&text).err(),
        _ => None,
    }
}

/// Checks the field at `index` alone and shows its message.
pub fn check_field(cx: &Ctx, form: &mut Form, index: usize) {
    let problem = form.fields.get(index).and_then(|f| field_problem(cx, form, f));
    if let Some(f) = form.fields.get_mut(index) {
        f.error = problem;
    }
}

/// (spec, text) of every registry field worth sending.
fn values(form: &Form, only_changed: bool) -> Values {
    form.fields
        .iter()
        .filter_map(|f| {
            let spec = f.spec?;
            let text = f.value();
            let keep = if only_changed {
                f.text() != f.initial
            } else {
                !text.trim().is_empty() || f.required
            };
            keep.then(|| (spec, vec![text]))
        })
        .collect()
}

fn link_values(kind: EntityKind, links: &[(&'static str, Id)]) -> Values {
    links
        .iter()
        .map(|(f, id)| (spec_of(kind, f), vec![id.to_string()]))
        .collect()
}

/// What a save did: the message, the kinds it changed, a record to open.
type Saved = (String, Vec<EntityKind>, Option<(EntityKind, Id)>);

/// Checks and saves the open form. On problems the form stays open with messages under
/// the fields; on success it closes and the views reload.
/// `conflicts` are the rows the inbox shows (for the message after resolving one).
pub fn submit(cx: &Ctx, form: &mut Form, conflicts: &[ConflictRow], out: &mut Effects) {
    let mut issues: Vec<(String, String)> = Vec::new();
    for f in &form.fields {
        if let Some(p) = field_problem(cx, form, f) {
            issues.push((f.key.to_string(), p));
        }
    }
    let target = form.target.clone();
    let app = cx.app;
    let (record_kind, vals) = match &target {
        Target::Create(k) => (*k, values(form, false)),
        Target::Edit(k, _) => (*k, values(form, true)),
        Target::Log(_, links) | Target::Note(links) => {
            let mut v = values(form, false);
            v.extend(link_values(EntityKind::Activity, links));
            (EntityKind::Activity, v)
        }
        Target::Meeting(links) => {
            let mut v = values(form, false);
            v.extend(link_values(EntityKind::Event, links));
            (EntityKind::Event, v)
        }
        Target::Convert(_) => (EntityKind::Lead, Vec::new()),
        Target::Resolve(_, kind) => (*kind, Vec::new()),
        Target::Lose(..) | Target::Win(..) => (EntityKind::Opportunity, Vec::new()),
        Target::Trash(kind, _) => (*kind, Vec::new()),
        Target::AddLine(_, product) => {
            let mut v = values(form, false);
            v.push((
                spec_of(EntityKind::QuoteLine, fields::quote_line::PRODUCT_ID),
                vec![product.to_string()],
            ));
            (EntityKind::QuoteLine, v)
        }
        Target::Render(_) | Target::Decide(..) => (EntityKind::Quote, Vec::new()),
        Target::OrderStatus(_) => (EntityKind::Order, Vec::new()),
        Target::MoveOccurrence(_) | Target::CancelOccurrence(_) => (EntityKind::Event, Vec::new()),
    };
    if issues.is_empty()
        && !matches!(
            target,
            Target::Convert(_)
                | Target::Resolve(..)
                | Target::Lose(..)
                | Target::Win(..)
                | Target::Trash(..)
                | Target::AddLine(..)
                | Target::Render(_)
                | Target::Decide(..)
                | Target::OrderStatus(_)
                | Target::MoveOccurrence(_)
                | Target::CancelOccurrence(_)
        )
    {
        let mut check = vals.clone();
        if matches!(target, Target::Log(..) | Target::Note(_)) {
            let kind = match &target {
                Target::Log(k, _) => *k,
                _ => ActivityKind::Note,
            };
            let name = serde_json::to_value(kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            check.push((spec_of(EntityKind::Activity, "kind"), vec![name]));
        }
        let id = match &target {
            Target::Edit(_, id) => Some(*id),
            _ => None,
        };
        if matches!(target, Target::Edit(..)) && check.is_empty() {
            out.push(Effect::Pop);
            return out.say("Nothing changed", Level::Info);
        }
        issues.extend(
            app.check_form(record_kind, id, &check)
                .into_iter()
                .map(|i| (i.field, i.message)),
        );
    }
    if !issues.is_empty() {
        show_issues(form, &issues, out);
        return;
    }
    let text = |k: &str| form.field(k).map(Field::value).unwrap_or_default();
    // The changes undo can take back: the records as they were before.
    let undoable = match &target {
        Target::Edit(kind, id) => Some((*kind, *id, "edit")),
        Target::Lose(deal, _) | Target::Win(deal, _) => Some((EntityKind::Opportunity, *deal, "move")),
        Target::Trash(kind, id) => Some((*kind, *id, "delete")),
        Target::Decide(quote, true) => Some((EntityKind::Quote, *quote, "approve")),
        Target::Decide(quote, false) => Some((EntityKind::Quote, *quote, "reject")),
        Target::OrderStatus(order) => Some((EntityKind::Order, *order, "move")),
        Target::CancelOccurrence(id) => Some((EntityKind::Event, *id, "cancel an occurrence of")),
        _ => None,
    };
    // A line added: undo takes it off again.
    let mut created: Option<Step> = None;
    let step = undoable.and_then(|(kind, id, verb)| {
        Step::before(
            app,
            format!("{verb} {} '{}'", kind.name(), app.title(kind, id)),
            &[(kind, id)],
        )
    });
    let result: Result<Saved, crate::app::AppError> = match &target {
        Target::Create(kind) => app.create(*kind, &vals).map(|id| {
            created = Step::created(
                app,
                format!("create {} '{}'", kind.name(), app.title(*kind, id)),
                &[(*kind, id)],
            );
            (
                format!("Created {} '{}'", kind.name(), app.title(*kind, id)),
                vec![*kind],
                Some((*kind, id)),
            )
        }),
        Target::Edit(kind, id) => app.edit(*kind, *id, &vals).map(|()| {
            (
                format!("Saved {} '{}'", kind.name(), app.title(*kind, *id)),
                vec![*kind],
                None,
            )
        }),
        Target::Log(kind, _) => {
            let due =
                parse_date(&text("follow_up"), cx.clock.today()).map_or_else(|_| text("follow_up"), |d| d.to_string());
            let follow = (text(fields::opportunity::NEXT_STEP), due);
            app.log_activity(*kind, &vals, Some(follow.clone())).map(|_| {
                (
                    format!("Logged; follow-up '{}' due {}", follow.0, follow.1),
                    vec![EntityKind::Activity],
                    None,
                )
            })
        }
        Target::Note(_) => app
            .log_activity(ActivityKind::Note, &vals, None)
            .map(|_| ("Note added".to_string(), vec![EntityKind::Activity], None)),
        Target::Meeting(_) => app.create(EntityKind::Event, &vals).map(|id| {
            created = Step::created(
                app,
                format!("schedule '{}'", app.title(EntityKind::Event, id)),
                &[(EntityKind::Event, id)],
            );
            (
                format!("Scheduled '{}'", app.title(EntityKind::Event, id)),
                vec![EntityKind::Event],
                None,
            )
        }),
        Target::Convert(lead) => {
            let no_opp = !parse_bool(&text("deal")).unwrap_or(true);
            let opts = ConvertOptions {
                no_opp,
                opp_name: Some(text("opp_name")).filter(|s| !s.trim().is_empty()),
                amount: Some(text(fields::opportunity::AMOUNT)).filter(|s| !s.trim().is_empty()),
                close: Some(text("close")).filter(|s| !s.trim().is_empty()),
            };
            app.convert_lead(*lead, &opts).map(|c| {
                let what = if c.opportunity.is_some() {
                    "account, contact and deal"
                } else {
                    "account and contact"
                };
                (
                    format!("Converted into {what}"),
                    vec![
                        EntityKind::Lead,
                        EntityKind::Account,
                        EntityKind::Contact,
                        EntityKind::Opportunity,
                    ],
                    Some((EntityKind::Account, c.account)),
                )
            })
        }
        Target::Lose(deal, stage) => app.move_stage(*deal, stage, Some(&text("reason"))).map(|stage| {
            (
                format!("Moved '{}' to {stage}", app.title(EntityKind::Opportunity, *deal)),
                vec![EntityKind::Opportunity],
                None,
            )
        }),
        Target::Win(deal, stage) => app.move_stage(*deal, stage, None).map(|stage| {
            (
                format!("Moved '{}' to {stage}", app.title(EntityKind::Opportunity, *deal)),
                vec![EntityKind::Opportunity],
                None,
            )
        }),
        Target::AddLine(quote, _) => app.add_line(*quote, &vals, None).map(|id| {
            let line = app.title(EntityKind::QuoteLine, id);
            created = Step::created(
                app,
                format!("add line '{line}' to quote '{}'", app.title(EntityKind::Quote, *quote)),
                &[(EntityKind::QuoteLine, id)],
            );
            (format!("Added line '{line}'"), vec![EntityKind::QuoteLine], None)
        }),
        Target::Render(quote) => {
            let path = text("path");
            let path = path.trim();
            app.render_quote(*quote, std::path::Path::new(path))
                .map(|kind| (format!("Wrote {path} ({kind})"), Vec::new(), None))
        }
        Target::Decide(quote, approve) => {
            let comment = text("comment");
            let comment = Some(comment.trim()).filter(|c| !c.is_empty());
            app.decide_approval(*quote, *approve, comment).map(|()| {
                let title = app.title(EntityKind::Quote, *quote);
                let message = if *approve {
                    format!("Approved quote {title}; the rep can send it after their next sync")
                } else {
                    format!("Rejected the discount of quote {title}; it is a draft again")
                };
                (message, vec![EntityKind::Quote], None)
            })
        }
        Target::OrderStatus(order) => {
            let asked = text("status").trim().to_lowercase();
            match serde_json::from_value::<OrderStatus>(Value::String(asked.clone())) {
                Ok(to) => app.set_order_status(*order, to).map(|()| {
                    (
                        format!("Order {} is {asked} now", app.title(EntityKind::Order, *order)),
                        vec![EntityKind::Order],
                        None,
                    )
                }),
                Err(_) => {
                    let help = form.field("status").map(|f| f.help.clone()).unwrap_or_default();
                    show_issues(
                        form,
                        &[("status".into(), format!("'{asked}' is not a status; {help}"))],
                        out,
                    );
                    return;
                }
            }
        }
        Target::Trash(kind, id) => app.remove(*kind, *id, false).map(|_| {
            (
                format!(
                    "Moved {} '{}' to the trash; u undoes it",
                    kind.name(),
                    app.title(*kind, *id)
                ),
                vec![*kind],
                None,
            )
        }),
        Target::MoveOccurrence(id) => {
            // An end left as it opened keeps the occurrence's length.
            let end = form
                .field("end")
                .filter(|f| f.text() != f.initial && !f.text().trim().is_empty())
                .map(Field::text);
            app.move_occurrence(*id, &text("on"), &text("start"), end.as_deref())
                .map(|_| {
                    (
                        format!(
                            "Moved the occurrence of '{}' on {}; the rest of the series stays",
                            app.title(EntityKind::Event, *id),
                            text("on").trim()
                        ),
                        vec![EntityKind::Event],
                        None,
                    )
                })
        }
        Target::CancelOccurrence(id) => app.cancel_occurrence(*id, &text("on")).map(|day| {
            (
                format!(
                    "Cancelled '{}' on {day}; the rest of the series stays (u undoes it)",
                    app.title(EntityKind::Event, *id)
                ),
                vec![EntityKind::Event],
                None,
            )
        }),
        Target::Resolve(id, kind) => {
            let row = conflicts.iter().find(|r| &r.id == id).cloned();
            let choice = Choice::Value(text("value"));
            app.resolve_conflict(id, &choice).map(|done| {
                let message = match &row {
                    Some(r) => super::views::conflicts::resolved_message(r, &choice, &done),
                    None => format!("Conflict {}: kept {}", done.id, done.kept),
                };
                (message, vec![*kind], None)
            })
        }
    };
    match result {
        Ok((message, kinds, open)) => {
            out.push(Effect::Pop);
            match step.or(created) {
                Some(step) => out.push(Effect::Wrote(step)),
                // A write undo cannot take back (a logged call and its follow-up, a lead
                // converted): undo stops at it instead of undoing an older change.
                None if !kinds.is_empty() && !matches!(target, Target::Resolve(..)) => {
                    out.push(Effect::Wrote(Step::not_undoable(message.clone())));
                }
                None => {}
            }
            if let Target::Trash(kind, id) = target {
                out.push(Effect::Trashed(kind, id));
            }
            if matches!(target, Target::Resolve(..)) {
                out.push(Effect::Resolved(kinds));
            } else {
                out.changed(&kinds);
            }
            if let Some((kind, id)) = open {
                out.open(kind, id);
            }
            out.say(message, Level::Success);
        }
        Err(e) => {
            let text = e.to_string();
            show_issues(
                form,
                &[("record".into(), text.lines().next().unwrap_or("").to_string())],
                out,
            );
        }
    }
}

fn show_issues(form: &mut Form, issues: &[(String, String)], out: &mut Effects) {
    for f in &mut form.fields {
        f.error = None;
    }
    let mut general = Vec::new();
    for (field, message) in issues {
        match form
            .fields
            .iter_mut()
            .find(|f| f.key == field.as_str() || f.spec.is_some_and(|s| s.flag == field.as_str()))
        {
            Some(f) => f.error = Some(message.clone()),
            None => general.push(message.clone()),
        }
    }
    if let Some(first) = form.fields.iter().position(|f| f.error.is_some()) {
        form.focus = first;
    }
    form.error = if general.is_empty() {
        Some("Please fix the marked fields".into())
    } else {
        Some(general.join("; "))
    };
    // A problem with no field of its own (a file that cannot be written) may be longer
    // than the form is wide: the status line carries it whole.
    match general.as_slice() {
        [one] => out.say(format!("Not saved: {one}"), Level::Error),
        _ => out.say("Not saved: see the form", Level::Error),
    }
}

/// Opens the small form that resolves conflict `row` with another value, starting from
/// mine.
fn open_resolve(row: &ConflictRow) -> Form {
    let mut field = Field::new(
        "value",
        &format!("New {}", row.field),
        None,
        false,
        "the value to keep (text, or JSON for numbers and lists)",
        &row.mine,
    );
    field.error = None;
    Form {
        title: fit(
            &format!(
                "Resolve conflict {}: {} '{}' · theirs: {}",
                row.id, row.entity, row.title, row.theirs
            ),
            66,
        ),
        target: Target::Resolve(row.id.clone(), row.entity),
        fields: vec![field],
        focus: 0,
        error: None,
        asking_discard: false,
    }
}

/// Marks the selected task done, or open again.
pub fn mark_done(cx: &Ctx, on: (EntityKind, Id), out: &mut Effects) {
    if on.0 != EntityKind::Activity {
        return out.say("Select a task to mark it done", Level::Info);
    }
    let Ok(Some(s)) = cx.app.record(EntityKind::Activity, on.1) else {
        return;
    };
    let done = !s
        .fields
        .get(fields::activity::DONE)
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let word = if done { "done" } else { "open" };
    let step = Step::before(cx.app, format!("mark '{}' {word}", s.text("subject")), &[on]);
    match cx.app.set_done(on.1, done) {
        Ok(()) => {
            if let Some(step) = step {
                out.push(Effect::Wrote(step));
            }
            out.changed(&[EntityKind::Activity]);
            let word = if done { "Done" } else { "Open again" };
            out.say(format!("{word}: {}", s.text("subject")), Level::Success);
        }
        Err(e @ crate::app::AppError::Invalid(_)) => out.say(e.to_string(), Level::Info),
        Err(e) => out.say(e.to_string(), Level::Error),
    }
}
