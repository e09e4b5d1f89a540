//! The approvals queue: quotes whose discount waits for a manager (the same query as
//! `outpost quote approvals`), oldest first. Enter opens one in the quote editor; keys
//! approve or reject the selected one with a comment (`App::decide_approval`, as
//! `quote approve`/`quote reject`).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Widget;

use crate::model::EntityKind;
use crate::model::records::Role;
use crate::tui::action::Action;
use crate::tui::commands::Scope;
use crate::tui::ctx::Ctx;
use crate::tui::effect::{Effects, FormRequest, Level};
use crate::tui::jobs::Job;
use crate::tui::load::quote::ApprovalRow;
use crate::tui::widgets::{fill, fit, line, moved, pad, panel, placeholder, scrolled};

/// The queue's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApprovalsView {
    /// The quotes waiting, once loaded.
    pub rows: Option<Vec<ApprovalRow>>,
    /// Selected row.
    pub selected: usize,
    /// First visible row.
    pub offset: usize,
    /// A write may have changed the queue: load it again when shown.
    pub stale: bool,
}

impl ApprovalsView {
    /// Takes in loaded rows.
    pub fn set_data(&mut self, rows: Vec<ApprovalRow>) {
        self.selected = self.selected.min(rows.len().saturating_sub(1));
        self.rows = Some(rows);
        self.stale = false;
    }

    /// The selected quote.
    #[must_use]
    pub fn selected_row(&self) -> Option<&ApprovalRow> {
        self.rows.as_ref()?.get(self.selected)
    }
}

/// Asks for the rows when they are missing or outdated.
pub fn ensure_loaded(v: &ApprovalsView, out: &mut Effects) {
    if v.rows.is_none() || v.stale {
        out.load(Job::Approvals);
    }
}

/// Handles an action in the queue; `false` when it is not the queue's.
pub fn handle(v: &mut ApprovalsView, cx: &Ctx, action: Action, out: &mut Effects) -> bool {
    let len = v.rows.as_ref().map_or(0, Vec::len);
    let page = cx.page().saturating_sub(1);
    if let Some(sel) = moved(v.selected, len, action, page) {
        v.selected = sel;
        v.offset = scrolled(v.offset, sel, page);
        return true;
    }
    match action {
        Action::Open | Action::ApproveQuote | Action::RejectQuote => {
            let Some(row) = v.selected_row() else {
                out.say("No quote waits for approval", Level::Info);
                return true;
            };
            match action {
                Action::Open => out.open(EntityKind::Quote, row.id),
                _ if cx.app.my_role() == Role::Rep => out.say(
                    "approving and rejecting discounts is for managers and admins (your role is rep)",
                    Level::Error,
                ),
                _ => out.form(FormRequest::Decide(row.id, action == Action::ApproveQuote)),
            }
            true
        }
        _ => false,
    }
}

/// Widths: number, account, deal, lines, discount, grand total.
fn columns(width: usize) -> [usize; 6] {
    let fixed = 18 + 5 + 8 + 18 + 6;
    let rest = width.saturating_sub(fixed + 1);
    [18, rest / 2, rest - rest / 2, 5, 8, 18]
}

fn row_text(cells: [&str; 6], widths: [usize; 6]) -> String {
    let mut out = String::from(" ");
    for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
        out.push_str(&pad(c, w, i >= 3));
        out.push(' ');
    }
    out
}

/// Draws the queue.
pub fn render(v: &ApprovalsView, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let n = v.rows.as_ref().map_or(0, Vec::len);
    let block = panel(format!(" Approvals ({n}) · discounts over a rep's limit "), th, true);
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(rows) = &v.rows else {
        placeholder(buf, inner, "Loading…", th.muted);
        return;
    };
    if rows.is_empty() {
        placeholder(
            buf,
            inner,
            "No quotes wait for approval (sync to see the team's)",
            th.muted,
        );
        return;
    }
    let w = usize::from(inner.width);
    let widths = columns(w);
    line(
        buf,
        inner.x,
        inner.y,
        inner.width,
        vec![Span::styled(
            fit(
                &row_text(["Quote", "Account", "Deal", "Lines", "Disc%", "Grand total"], widths),
                w,
            ),
            th.heading,
        )],
    );
    let body = Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(2),
        ..inner
    };
    let h = usize::from(body.height);
    let offset = scrolled(v.offset, v.selected, h);
    for (i, r) in rows.iter().enumerate().skip(offset).take(h) {
        let y = body.y + u16::try_from(i - offset).unwrap_or(0);
        let text = row_text(
            [
                &r.number,
                &r.account,
                &r.opportunity,
                &r.lines.to_string(),
                &r.max_discount.normalize().to_string(),
                &format!("{} {}", r.grand_total, r.currency),
            ],
            widths,
        );
        line(buf, body.x, y, body.width, vec![Span::styled(fit(&text, w), th.text)]);
        if i == v.selected {
            fill(buf, Rect::new(body.x, y, body.width, 1), th.selection);
        }
    }
    let key = |a| cx.keymap.key_text(Scope::Approvals, a).unwrap_or_default();
    let foot = format!(
        " {} approves · {} rejects (with a comment) · {} opens the quote",
        key(Action::ApproveQuote),
        key(Action::RejectQuote),
        cx.keymap.key_text(Scope::Global, Action::Open).unwrap_or_default()
    );
    line(
        buf,
        inner.x,
        inner.bottom().saturating_sub(1),
        inner.width,
        vec![Span::styled(fit(&foot, w), th.muted)],
    );
}
