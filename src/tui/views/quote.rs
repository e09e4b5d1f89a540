//! The quote editor: a quote's header, its lines in position order with each line's
//! net, and the totals (subtotal, discount, tax per rate, grand total), all from
//! `App::quote_doc`, that is from `model::totals`, the one function `quote show`, the
//! documents and orders use. Keys add a line (picking a product), change or remove the
//! selected line, move it, and run the lifecycle (ask approval, send, accept, revise)
//! and render the document. Every write is the CLI's `app` call; the totals shown are
//! loaded again after each one. A frozen (sent, accepted, rejected, expired) quote
//! refuses changes with the app's message and offers a revision.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::Widget;
use rust_decimal::Decimal;
use unicode_width::UnicodeWidthStr;

use crate::app::ops::{Values, spec_of};
use crate::model::records::{QuoteStatus, fields};
use crate::model::{EntityKind, Id};
use crate::tui::action::Action;
use crate::tui::commands::Scope;
use crate::tui::ctx::Ctx;
use crate::tui::effect::{Effect, Effects, FormRequest, Layer, Level, PickRequest};
use crate::tui::journal::Step;
use crate::tui::load::quote::QuoteData;
use crate::tui::widgets::{fill, fit, line, moved, pad, panel, placeholder, scrolled};

/// The state of an open quote.
#[derive(Clone, Debug, PartialEq)]
pub struct QuoteView {
    /// The quote's id.
    pub id: Id,
    /// Loaded data.
    pub data: Option<QuoteData>,
    /// Selected line (0-based place).
    pub selected: usize,
    /// First visible line.
    pub offset: usize,
}

impl QuoteView {
    /// A quote to show, not loaded yet.
    #[must_use]
    pub fn new(id: Id) -> Self {
        Self {
            id,
            data: None,
            selected: 0,
            offset: 0,
        }
    }

    /// Takes in loaded data, keeping the selection on the screen.
    pub fn set_data(&mut self, data: QuoteData) {
        self.selected = self.selected.min(data.doc.lines.len().saturating_sub(1));
        self.data = Some(data);
    }

    /// The selected line: (id, 1-based place).
    #[must_use]
    pub fn selected_line(&self) -> Option<(Id, usize)> {
        let l = self.data.as_ref()?.doc.lines.get(self.selected)?;
        Some((l.id, l.position))
    }

    fn line_count(&self) -> usize {
        self.data.as_ref().map_or(0, |d| d.doc.lines.len())
    }

    fn frozen(&self) -> bool {
        self.data.as_ref().is_some_and(QuoteData::frozen)
    }
}

/// Says why a frozen quote refuses `what` (the app's message, as the CLI prints it) and
/// which key makes a revision. `true` when it refused.
fn refused(v: &QuoteView, cx: &Ctx, what: &str, out: &mut Effects) -> bool {
    if !v.frozen() {
        return false;
    }
    match cx.app.refuse_frozen(v.id, what) {
        Err(e) => {
            let key = cx
                .keymap
                .key_text(Scope::Quote, Action::ReviseQuote)
                .unwrap_or_default();
            out.say(format!("{e} · {key} revises it here"), Level::Error);
            true
        }
        Ok(()) => false,
    }
}

/// Reports an app error in the status line.
fn failed(e: &crate::app::AppError, out: &mut Effects) {
    out.say(e.to_string(), Level::Error);
}

/// Handles an action in the quote editor; `false` when it is not the editor's.
pub fn handle(v: &mut QuoteView, cx: &Ctx, action: Action, out: &mut Effects) -> bool {
    let page = lines_page(cx);
    if let Some(sel) = moved(v.selected, v.line_count(), action, page) {
        v.selected = sel;
        v.offset = scrolled(v.offset, sel, page);
        return true;
    }
    let loaded = v.data.is_some();
    match action {
        Action::Close | Action::Quit => out.push(Effect::CloseDetail),
        _ if !loaded => out.say("The quote is still loading", Level::Info),
        Action::AddLine | Action::New => {
            if !refused(v, cx, "adding a line", out) {
                out.push(Effect::Push(Layer::Picker(PickRequest::Product(v.id))));
            }
        }
        Action::Edit | Action::Open => match v.selected_line() {
            None => say_no_line(cx, out),
            Some((line, _)) => {
                if !refused(v, cx, "changing its lines", out) {
                    out.form(FormRequest::Line(line));
                }
            }
        },
        Action::QtyUp | Action::QtyDown => step_quantity(v, cx, action == Action::QtyUp, out),
        Action::LineUp | Action::LineDown => move_line(v, cx, action == Action::LineUp, out),
        Action::Delete => match v.selected_line() {
            None => say_no_line(cx, out),
            Some((line, _)) => {
                if !refused(v, cx, "changing its lines", out) {
                    out.form(FormRequest::Trash(EntityKind::QuoteLine, line));
                }
            }
        },
        Action::EditQuote => {
            if !refused(v, cx, "editing", out) {
                out.form(FormRequest::QuoteHeader(v.id));
            }
        }
        Action::SubmitQuote | Action::SendQuote | Action::AcceptQuote => lifecycle(v, cx, action, out),
        Action::ReviseQuote => revise(v, cx, out),
        Action::RenderQuote => out.form(FormRequest::Render(v.id)),
        _ => return false,
    }
    true
}

fn say_no_line(cx: &Ctx, out: &mut Effects) {
    let key = cx.keymap.key_text(Scope::Quote, Action::AddLine).unwrap_or_default();
    out.say(format!("No line selected; {key} adds one"), Level::Info);
}

/// The lines of the quote as stored now, in position order: keys pressed faster than
/// the editor reloads work on what is stored, not on what was last drawn.
fn lines_now(v: &QuoteView, cx: &Ctx, out: &mut Effects) -> Option<Vec<(Id, crate::model::records::QuoteLine)>> {
    match cx.app.ordered_lines(v.id) {
        Ok(lines) => Some(lines),
        Err(e) => {
            failed(&e, out);
            None
        }
    }
}

/// One more or one fewer of the selected line (`quote line-edit --qty`).
fn step_quantity(v: &QuoteView, cx: &Ctx, up: bool, out: &mut Effects) {
    if refused(v, cx, "changing its lines", out) {
        return;
    }
    let Some(lines) = lines_now(v, cx, out) else { return };
    let Some((id, l)) = lines.get(v.selected) else {
        return say_no_line(cx, out);
    };
    let qty = if up {
        l.quantity + Decimal::ONE
    } else {
        l.quantity - Decimal::ONE
    };
    if qty <= Decimal::ZERO {
        let key = cx.keymap.key_text(Scope::Global, Action::Delete).unwrap_or_default();
        return out.say(
            format!("The quantity stays above 0; {key} removes the line"),
            Level::Info,
        );
    }
    let values: Values = vec![(
        spec_of(EntityKind::QuoteLine, fields::quote_line::QUANTITY),
        vec![qty.normalize().to_string()],
    )];
    let label = format!("quantity of '{}'", l.description);
    let step = Step::before(cx.app, format!("change {label}"), &[(EntityKind::QuoteLine, *id)]);
    match cx.app.edit(EntityKind::QuoteLine, *id, &values) {
        Ok(()) => {
            if let Some(step) = step {
                out.push(Effect::Wrote(step));
            }
            out.changed(&[EntityKind::QuoteLine]);
            out.say(
                format!("Quantity {}: {}", qty.normalize(), l.description),
                Level::Success,
            );
        }
        Err(e) => failed(&e, out),
    }
}

/// Moves the selected line one place up or down (`quote line-move`).
fn move_line(v: &mut QuoteView, cx: &Ctx, up: bool, out: &mut Effects) {
    let Some(data) = &v.data else { return };
    let Some((_, from)) = v.selected_line() else {
        return say_no_line(cx, out);
    };
    if refused(v, cx, "moving a line", out) {
        return;
    }
    let n = data.doc.lines.len();
    let to = if up { from.saturating_sub(1) } else { from + 1 };
    if to == 0 || to > n {
        return out.say(
            if up {
                "The line is first already"
            } else {
                "The line is last already"
            },
            Level::Info,
        );
    }
    let ids: Vec<(EntityKind, Id)> = data.doc.lines.iter().map(|l| (EntityKind::QuoteLine, l.id)).collect();
    let step = Step::before(cx.app, format!("move line {from} to {to}"), &ids);
    match cx.app.move_line(v.id, from, to) {
        Ok(()) => {
            if let Some(step) = step {
                out.push(Effect::Wrote(step));
            }
            v.selected = to - 1;
            out.changed(&[EntityKind::QuoteLine]);
            out.say(format!("Moved line {from} to {to}"), Level::Success);
        }
        Err(e) => failed(&e, out),
    }
}

/// Ask approval, send or accept: the lifecycle commands, undoable.
fn lifecycle(v: &QuoteView, cx: &Ctx, action: Action, out: &mut Effects) {
    let Some(data) = &v.data else { return };
    let title = data.doc.quote.display_number();
    let mut records = vec![(EntityKind::Quote, v.id)];
    if action == Action::AcceptQuote
        && let Some(opp) = data.doc.quote.opportunity_id
    {
        records.push((EntityKind::Opportunity, opp));
    }
    let verb = match action {
        Action::SubmitQuote => "submit",
        Action::SendQuote => "send",
        _ => "accept",
    };
    let step = Step::before(cx.app, format!("{verb} quote {title}"), &records);
    let done = match action {
        Action::SubmitQuote => cx
            .app
            .submit_quote(v.id)
            .map(|_| format!("Quote {title} needs approval; a manager sees it in the approvals queue after you sync")),
        Action::SendQuote => cx.app.send_quote(v.id).map(|()| {
            let key = cx
                .keymap
                .key_text(Scope::Quote, Action::ReviseQuote)
                .unwrap_or_default();
            format!("Sent quote {title}; it is frozen now ({key} makes a revision)")
        }),
        _ => cx.app.accept_quote(v.id, false).map(|t| {
            format!(
                "Accepted quote {title}; the deal's amount is now {} {}",
                t.grand_total, t.currency
            )
        }),
    };
    match done {
        Ok(message) => {
            if let Some(step) = step {
                out.push(Effect::Wrote(step));
            }
            out.changed(&[EntityKind::Quote, EntityKind::Opportunity]);
            out.say(message, Level::Success);
        }
        Err(e) => failed(&e, out),
    }
}

/// Makes the next revision and opens it (undo takes it away again).
fn revise(v: &QuoteView, cx: &Ctx, out: &mut Effects) {
    match cx.app.revise_quote(v.id) {
        Ok(new) => {
            let mut records = vec![(EntityKind::Quote, new)];
            if let Ok(lines) = cx.app.ordered_lines(new) {
                records.extend(lines.into_iter().map(|(id, _)| (EntityKind::QuoteLine, id)));
            }
            let title = cx.app.title(EntityKind::Quote, new);
            if let Some(step) = Step::created(cx.app, format!("revise into quote {title}"), &records) {
                out.push(Effect::Wrote(step));
            }
            out.changed(&[EntityKind::Quote, EntityKind::QuoteLine]);
            out.open(EntityKind::Quote, new);
            out.say(format!("Revision {title} is a new draft"), Level::Success);
        }
        Err(e) => failed(&e, out),
    }
}

/// Rows the lines get: the body less the header, column titles and totals.
fn lines_page(cx: &Ctx) -> usize {
    cx.page().saturating_sub(10).max(1)
}

/// Widths of the line columns: #, SKU, description, qty, unit price, disc %, tax %, net.
fn columns(width: usize) -> [usize; 8] {
    let fixed = [3, 10, 0, 7, 11, 6, 5, 12];
    // A space before the first column and after each.
    let used: usize = fixed.iter().sum::<usize>() + 9;
    let desc = width.saturating_sub(used).max(8);
    [3, 10, desc, 7, 11, 6, 5, 12]
}

fn row(cells: [&str; 8], widths: [usize; 8]) -> String {
    let mut out = String::from(" ");
    for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
        // Text columns to the left, numbers to the right.
        let right = !matches!(i, 1 | 2);
        out.push_str(&pad(c, w, right));
        out.push(' ');
    }
    out
}

/// What the status of the quote means for the user, and its style.
fn notice(data: &QuoteData, cx: &Ctx) -> Option<(String, Style)> {
    let th = cx.theme;
    let key = |a| cx.keymap.key_text(Scope::Quote, a).unwrap_or_default();
    let q = &data.doc.quote;
    let max = data.doc.max_discount.normalize();
    match data.doc.status {
        s if s.frozen() => Some((
            format!(
                "{} quotes do not change · {} makes revision {}",
                crate::tui::widgets::capital(&s.name().replace('_', " ")),
                key(Action::ReviseQuote),
                q.revision + 1
            ),
            th.warning,
        )),
        QuoteStatus::NeedsApproval => Some((
            format!("Waiting for a manager's approval of its {max}% discount (sync to see the answer)"),
            th.warning,
        )),
        QuoteStatus::Approved => Some((
            format!(
                "Approved by {}{} · {} sends it",
                q.approved_by.as_deref().unwrap_or("a manager"),
                q.approval_comment
                    .as_deref()
                    .map(|c| format!(": {c}"))
                    .unwrap_or_default(),
                key(Action::SendQuote)
            ),
            th.success,
        )),
        _ => match data.limit {
            Some(limit) if data.doc.max_discount > limit => Some((
                format!(
                    "Its {max}% discount is over your limit of {}% · {} asks a manager",
                    limit.normalize(),
                    key(Action::SubmitQuote)
                ),
                th.warning,
            )),
            _ => q.approval_comment.as_deref().map(|c| {
                (
                    format!("{}: {c}", q.approved_by.as_deref().unwrap_or("The manager")),
                    th.muted,
                )
            }),
        },
    }
}

/// Draws the quote editor.
pub fn render(v: &QuoteView, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let Some(data) = &v.data else {
        let block = panel(" Quote ", th, true);
        let inner = block.inner(area);
        block.render(area, buf);
        placeholder(buf, inner, "Loading…", th.muted);
        return;
    };
    let doc = &data.doc;
    let q = &doc.quote;
    let t = &doc.totals;
    let title = format!(
        " Quote {} · {} ",
        q.display_number(),
        doc.status.name().replace('_', " ")
    );
    let block = panel(title, th, true);
    let inner = block.inner(area);
    block.render(area, buf);
    let w = usize::from(inner.width);
    let mut y = inner.y;
    let bottom = inner.bottom();
    // Header: who and when.
    let half = w / 2;
    let pair = |label: &str, value: &str, width: usize| -> Vec<Span<'static>> {
        vec![
            Span::styled(format!(" {label} "), th.muted),
            Span::styled(fit(value, width.saturating_sub(label.chars().count() + 3)), th.text),
        ]
    };
    let dash = |s: Option<&String>| s.cloned().unwrap_or_else(|| "-".into());
    let mut first = pair("Account", &dash(doc.account.as_ref()), half);
    let used: usize = first.iter().map(|s| s.content.width()).sum();
    first.push(Span::raw(" ".repeat(half.saturating_sub(used))));
    first.extend(pair("Deal", &dash(doc.opportunity.as_ref()), w - half));
    line(buf, inner.x, y, inner.width, first);
    y += 1;
    let mut second = pair("Contact", &dash(doc.contact.as_ref()), half);
    let used: usize = second.iter().map(|s| s.content.width()).sum();
    second.push(Span::raw(" ".repeat(half.saturating_sub(used))));
    let valid = q.valid_until.map_or_else(|| "-".to_string(), |d| d.to_string());
    second.extend(pair(
        "Valid until",
        &format!(
            "{valid} · {} · quote discount {}%",
            q.currency,
            q.discount_pct.normalize()
        ),
        w - half,
    ));
    line(buf, inner.x, y, inner.width, second);
    y += 1;
    if let Some((text, style)) = notice(data, cx) {
        line(
            buf,
            inner.x,
            y,
            inner.width,
            vec![Span::styled(fit(&format!(" {text}"), w), style)],
        );
    }
    y += 1;
    // The totals at the bottom: subtotal, discount, tax per rate, grand total.
    let mut totals: Vec<(String, String, Style)> = vec![("Subtotal".into(), t.subtotal.to_string(), th.text)];
    if !t.discount.is_zero() || !t.discount_pct.is_zero() {
        totals.push((
            format!("Discount {}%", t.discount_pct.normalize()),
            format!("-{}", t.discount),
            th.text,
        ));
    }
    for r in &t.taxes {
        totals.push((
            format!("Tax {}% on {}", r.rate.normalize(), r.base),
            r.tax.to_string(),
            th.text,
        ));
    }
    totals.push((
        "Grand total".into(),
        format!("{} {}", t.grand_total, t.currency),
        th.money.patch(th.title),
    ));
    let totals_h = u16::try_from(totals.len()).unwrap_or(u16::MAX);
    let lines_bottom = bottom.saturating_sub(totals_h);
    // Lines: column titles, then the lines in position order.
    let widths = columns(w);
    line(
        buf,
        inner.x,
        y,
        inner.width,
        vec![Span::styled(
            fit(
                &row(
                    ["#", "SKU", "Description", "Qty", "Unit price", "Disc%", "Tax%", "Net"],
                    widths,
                ),
                w,
            ),
            th.heading,
        )],
    );
    y += 1;
    let h = usize::from(lines_bottom.saturating_sub(y));
    if doc.lines.is_empty() {
        let key = cx.keymap.key_text(Scope::Quote, Action::AddLine).unwrap_or_default();
        let text = if data.frozen() {
            "No lines".to_string()
        } else {
            format!("No lines yet; {key} adds one")
        };
        placeholder(
            buf,
            Rect::new(inner.x, y, inner.width, u16::try_from(h).unwrap_or(0)),
            &text,
            th.muted,
        );
    }
    let offset = scrolled(v.offset, v.selected, h);
    for (i, l) in doc.lines.iter().enumerate().skip(offset).take(h) {
        let yy = y + u16::try_from(i - offset).unwrap_or(0);
        let text = row(
            [
                &l.position.to_string(),
                l.sku.as_deref().unwrap_or(""),
                &l.line.description,
                &l.line.quantity.normalize().to_string(),
                &crate::model::money::pad_to_minor(l.line.unit_price, &q.currency).to_string(),
                &l.line.discount_pct.normalize().to_string(),
                &l.line.tax_pct.normalize().to_string(),
                &l.net.to_string(),
            ],
            widths,
        );
        line(
            buf,
            inner.x,
            yy,
            inner.width,
            vec![Span::styled(fit(&text, w), th.text)],
        );
        if i == v.selected {
            fill(buf, Rect::new(inner.x, yy, inner.width, 1), th.selection);
        }
    }
    for (i, (label, amount, style)) in totals.iter().enumerate() {
        let yy = lines_bottom + u16::try_from(i).unwrap_or(0);
        if yy >= bottom {
            break;
        }
        let text = format!("{} {} ", pad(label, 28, true), pad(amount, 18, true));
        let x = inner.right().saturating_sub(u16::try_from(text.width()).unwrap_or(0));
        line(buf, x.max(inner.x), yy, inner.width, vec![Span::styled(text, *style)]);
    }
}
