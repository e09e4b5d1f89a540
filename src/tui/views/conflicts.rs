//! The conflicts inbox: sync conflicts to decide, with the selected one in detail.
//! Keep mine, keep theirs, or write another value (a small form); each is a normal write
//! through the app, so it syncs. Rows load in the background.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::conflicts::ConflictRow;
use crate::store::ConflictKind;
use crate::sync::conflicts::{Choice, Resolved};
use crate::tui::action::Action;
use crate::tui::commands::Scope;
use crate::tui::ctx::Ctx;
use crate::tui::effect::{Effect, Effects, FormRequest, Level};
use crate::tui::jobs::Job;
use crate::tui::widgets::{fill, fit, line, moved, pad, panel, scrolled};

/// The inbox's state.
#[derive(Clone, Debug, Default)]
pub struct ConflictsView {
    /// Loaded conflicts, oldest first.
    pub rows: Option<Vec<ConflictRow>>,
    /// Resolved and settled ones are shown too.
    pub all: bool,
    /// Selected row.
    pub selected: usize,
    /// First visible row.
    pub offset: usize,
    /// Must load again (something was written).
    pub stale: bool,
    /// Ids of the conflicts marked for resolving together.
    pub marked: std::collections::BTreeSet<String>,
    /// A held conflict whose discard was asked for once; the same key again discards.
    pub discarding: Option<String>,
}

impl ConflictsView {
    /// The selected conflict.
    #[must_use]
    pub fn selected_row(&self) -> Option<&ConflictRow> {
        self.rows.as_ref()?.get(self.selected)
    }

    /// Open conflicts among the loaded rows.
    #[must_use]
    pub fn open_count(&self) -> usize {
        self.rows.as_ref().map_or(0, |r| r.iter().filter(|c| c.open).count())
    }

    /// Takes loaded rows (dropped when they were loaded for the other mode), keeping the
    /// selection on the same conflict when it is still listed.
    pub fn set_data(&mut self, all: bool, rows: Vec<ConflictRow>) {
        if all != self.all {
            return;
        }
        let keep = self.selected_row().map(|r| r.id.clone());
        if let Some(pos) = keep.and_then(|id| rows.iter().position(|r| r.id == id)) {
            self.selected = pos;
        }
        self.selected = self.selected.min(rows.len().saturating_sub(1));
        self.offset = self.offset.min(self.selected);
        // Marks stay only on conflicts that are still listed and open.
        self.marked.retain(|id| rows.iter().any(|r| r.open && r.id == *id));
        self.rows = Some(rows);
        self.stale = false;
    }
}

/// Makes sure the inbox is loaded (or loading).
pub fn ensure_loaded(c: &ConflictsView, out: &mut Effects) {
    if c.rows.is_none() || c.stale {
        out.load(Job::Conflicts(c.all));
    }
}

/// Handles an action in the inbox; `false` when it is not an inbox action.
pub fn handle(c: &mut ConflictsView, cx: &Ctx, action: Action, out: &mut Effects) -> bool {
    // A discard asked for once is confirmed only by the very next key.
    let asked = c.discarding.take();
    let page = list_rows(cx.size.1);
    let len = c.rows.as_ref().map_or(0, Vec::len);
    if let Some(sel) = moved(c.selected, len, action, page) {
        c.selected = sel;
        c.offset = scrolled(c.offset, sel, page);
        return true;
    }
    match action {
        Action::Open => {
            if let Some(r) = c.selected_row() {
                out.open(r.entity, r.record);
            }
        }
        Action::DiscardHeld => discard(c, cx, asked, out),
        Action::KeepMine if !c.marked.is_empty() => resolve_marked(c, cx, &Choice::Mine, out),
        Action::KeepTheirs if !c.marked.is_empty() => resolve_marked(c, cx, &Choice::Theirs, out),
        Action::KeepMine => resolve(c, cx, &Choice::Mine, out),
        Action::KeepTheirs => resolve(c, cx, &Choice::Theirs, out),
        Action::ToggleMark => toggle_mark(c, cx, out),
        Action::ResolveValue => match c.selected_row().cloned() {
            Some(r) if r.open && r.kind == ConflictKind::Held => out.say(
                format!(
                    "Conflict {} is a held record: open it and fix it, then sync (or discard it with d)",
                    r.id
                ),
                Level::Info,
            ),
            Some(r) if r.open => out.form(FormRequest::Resolve(Box::new(r))),
            Some(r) => out.say(
                format!("Conflict {} is {}; nothing to decide", r.id, r.status),
                Level::Info,
            ),
            None => out.say("No conflict selected", Level::Info),
        },
        Action::ToggleSettled => {
            c.all = !c.all;
            c.stale = true;
            ensure_loaded(c, out);
            let what = if c.all {
                "Showing every conflict, resolved and settled ones too"
            } else {
                "Showing open conflicts"
            };
            out.say(what, Level::Info);
        }
        _ => return false,
    }
    true
}

/// Discards the selected held record: the first press asks, the second (on the same
/// row) moves the record to the trash and settles the conflict in one write.
fn discard(c: &mut ConflictsView, cx: &Ctx, asked: Option<String>, out: &mut Effects) {
    let Some(row) = c.selected_row().cloned() else {
        return out.say("No conflict selected", Level::Info);
    };
    if !(row.open && row.kind == ConflictKind::Held) {
        return out.say(
            format!(
                "Conflict {} is not an open held record; only a record the server never had can be discarded",
                row.id
            ),
            Level::Info,
        );
    }
    let key = cx
        .keymap
        .key_text(Scope::Conflicts, Action::DiscardHeld)
        .unwrap_or_else(|| "d".into());
    if asked.as_deref() != Some(row.id.as_str()) {
        c.discarding = Some(row.id.clone());
        return out.say(
            format!(
                "Discard held {} '{}'? {key} again moves it to the trash (the server never had it); any other key keeps it",
                row.entity.name(),
                row.title
            ),
            Level::Info,
        );
    }
    match cx.app.resolve_conflict(&row.id, &Choice::Discard) {
        Ok(_) => {
            c.stale = true;
            c.marked.remove(&row.id);
            out.push(Effect::Resolved(vec![row.entity]));
            out.say(
                format!(
                    "Moved held {} '{}' to the trash (`outpost trash restore` brings it back)",
                    row.entity.name(),
                    row.title
                ),
                Level::Success,
            );
        }
        Err(e) => out.say(
            e.to_string().lines().next().unwrap_or_default().to_string(),
            Level::Error,
        ),
    }
}

/// Marks or unmarks the selected conflict (open ones only) and moves down.
fn toggle_mark(c: &mut ConflictsView, cx: &Ctx, out: &mut Effects) {
    let Some(row) = c.selected_row().cloned() else {
        return out.say("No conflict selected", Level::Info);
    };
    if !row.open {
        return out.say(
            format!("Conflict {} is {}; nothing to decide", row.id, row.status),
            Level::Info,
        );
    }
    if !c.marked.remove(&row.id) {
        c.marked.insert(row.id);
    }
    let len = c.rows.as_ref().map_or(0, Vec::len);
    c.selected = (c.selected + 1).min(len.saturating_sub(1));
    let n = c.marked.len();
    let keys = [Action::KeepMine, Action::KeepTheirs]
        .into_iter()
        .filter_map(|a| cx.keymap.key_text(Scope::Conflicts, a))
        .collect::<Vec<_>>()
        .join(" / ");
    out.say(
        format!("{n} conflict(s) marked; {keys} resolves every marked one"),
        Level::Info,
    );
}

/// Resolves every marked conflict with `choice` (each in its own transaction) and says
/// how many.
fn resolve_marked(c: &mut ConflictsView, cx: &Ctx, choice: &Choice, out: &mut Effects) {
    let ids = std::mem::take(&mut c.marked);
    let rows: Vec<ConflictRow> = c
        .rows
        .iter()
        .flatten()
        .filter(|r| ids.contains(&r.id))
        .cloned()
        .collect();
    let (mut done, mut left, mut kinds) = (0usize, Vec::new(), Vec::new());
    for row in &rows {
        if row.kind == ConflictKind::Held && *choice != Choice::Mine {
            left.push(format!("{} (held: fix it, or discard it with d)", row.id));
            continue;
        }
        match cx.app.resolve_conflict(&row.id, choice) {
            Ok(_) => {
                done += 1;
                if !kinds.contains(&row.entity) {
                    kinds.push(row.entity);
                }
            }
            Err(e) => left.push(format!(
                "{} ({})",
                row.id,
                e.to_string().lines().next().unwrap_or_default()
            )),
        }
    }
    c.stale = true;
    out.push(Effect::Resolved(kinds));
    let side = if *choice == Choice::Mine { "mine" } else { "theirs" };
    if left.is_empty() {
        out.say(format!("Resolved {done} conflict(s): kept {side}"), Level::Success);
    } else {
        out.say(
            format!(
                "Resolved {done} conflict(s): kept {side}; left open: {}",
                left.join(", ")
            ),
            Level::Error,
        );
    }
}

/// Resolves the selected conflict with `choice` and says what happened.
fn resolve(c: &mut ConflictsView, cx: &Ctx, choice: &Choice, out: &mut Effects) {
    let Some(row) = c.selected_row().cloned() else {
        return out.say("No conflict selected", Level::Info);
    };
    if !row.open {
        return out.say(
            format!("Conflict {} is {}; nothing to decide", row.id, row.status),
            Level::Info,
        );
    }
    match cx.app.resolve_conflict(&row.id, choice) {
        Ok(done) => {
            c.stale = true;
            out.push(Effect::Resolved(vec![row.entity]));
            out.say(resolved_message(&row, choice, &done), Level::Success);
        }
        Err(e) => out.say(
            e.to_string().lines().next().unwrap_or_default().to_string(),
            Level::Error,
        ),
    }
}

/// The status-bar message after resolving `row` with `choice`.
#[must_use]
pub fn resolved_message(row: &ConflictRow, choice: &Choice, done: &Resolved) -> String {
    if row.kind == ConflictKind::Held {
        return format!(
            "Conflict {} ({} '{}'): kept {}",
            done.id, row.entity, row.title, done.kept
        );
    }
    let kept = match choice {
        Choice::Mine => format!("your value '{}'", row.mine),
        Choice::Theirs => format!("their value '{}'", row.theirs),
        Choice::Value(v) => format!("the new value '{v}'"),
        Choice::Discard => "nothing: the record is in the trash".to_string(),
    };
    let tail = if done.wrote {
        "syncs with the next `outpost sync`"
    } else {
        "nothing needed to change"
    };
    format!(
        "Conflict {} ({} '{}' · {}): kept {kept}; {tail}",
        done.id, row.entity, row.title, row.field
    )
}

fn list_rows(h: u16) -> usize {
    usize::from(h.saturating_sub(2 + DETAIL_H + 3)).max(1)
}

/// Height of the detail panel.
const DETAIL_H: u16 = 8;

/// A column: title and width.
struct Col {
    title: &'static str,
    width: usize,
}

/// The columns at inner width `width`: narrow screens leave out the id and who (the
/// detail panel shows both) and name the record without its kind.
fn columns(width: u16) -> Vec<Col> {
    let w = usize::from(width);
    let wide = w >= 110;
    let col = |title, width| Col { title, width };
    let fixed = if wide { 6 + 8 + 12 + 16 + 11 } else { 8 + 11 + 11 };
    let gaps = if wide { 8 } else { 6 };
    let rest = w.saturating_sub(fixed + gaps + 1);
    let record = rest * 2 / 5;
    let mine = (rest - record) / 2;
    let theirs = rest - record - mine;
    if wide {
        vec![
            col("ID", 6),
            col("Kind", 8),
            col("Record", record),
            col("Field", 12),
            col("Mine", mine),
            col("Theirs", theirs),
            col("By / reason", 16),
            col("Status", 11),
        ]
    } else {
        vec![
            col("Kind", 8),
            col("Record", record),
            col("Field", 11),
            col("Mine", mine),
            col("Theirs", theirs),
            col("Status", 11),
        ]
    }
}

fn kind_style(cx: &Ctx, kind: ConflictKind) -> Style {
    match kind {
        ConflictKind::Refused | ConflictKind::Held => cx.theme.error,
        ConflictKind::Delete => cx.theme.warning,
        ConflictKind::Edit => cx.theme.text,
    }
}

/// Where a conflict stands, short enough for its column.
fn short_status(r: &ConflictRow) -> String {
    match r.status.as_str() {
        "resolved (mine)" => "kept mine".into(),
        "resolved (theirs)" => "kept theirs".into(),
        "resolved (value)" => "new value".into(),
        other => other.into(),
    }
}

fn cells(r: &ConflictRow, wide: bool) -> Vec<String> {
    let status = short_status(r);
    if wide {
        vec![
            r.id.clone(),
            r.kind.name().to_string(),
            format!("{} {}", r.entity, r.title),
            r.field.clone(),
            r.mine.clone(),
            r.theirs.clone(),
            r.reason.clone().unwrap_or_else(|| r.actor.clone()),
            status,
        ]
    } else {
        vec![
            r.kind.name().to_string(),
            r.title.clone(),
            r.field.clone(),
            r.mine.clone(),
            r.theirs.clone(),
            status,
        ]
    }
}

/// Draws the inbox.
pub fn render(v: &ConflictsView, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let [top, bottom] = Layout::vertical([Constraint::Min(4), Constraint::Length(DETAIL_H)]).areas(area);
    render_list(v, cx, top, buf);
    render_detail(v, cx, bottom, buf);
}

fn render_list(v: &ConflictsView, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let count = match &v.rows {
        Some(rows) if v.all => format!(" {} open of {} ", v.open_count(), rows.len()),
        Some(rows) if !v.marked.is_empty() => format!(" {} marked · {} open ", v.marked.len(), rows.len()),
        Some(rows) => format!(" {} open ", rows.len()),
        None => String::new(),
    };
    let block = panel(" Conflicts ", th, true).title_bottom(Line::from(count).right_aligned().style(th.muted));
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(rows) = &v.rows else {
        line(
            buf,
            inner.x + 1,
            inner.y + 1,
            inner.width.saturating_sub(2),
            vec![Span::styled("Loading conflicts…", th.muted)],
        );
        return;
    };
    if rows.is_empty() {
        let all = cx
            .keymap
            .key_text(Scope::Conflicts, Action::ToggleSettled)
            .unwrap_or_default();
        let lines = if v.all {
            vec!["No conflicts on this laptop.".to_string()]
        } else {
            vec![
                "No open conflicts.".to_string(),
                "A conflict appears here after `outpost sync` when someone else changed the same".to_string(),
                "field, deleted a record you edited, or the server refused a change.".to_string(),
                format!("{all} shows resolved and settled ones too."),
            ]
        };
        for (i, l) in lines.iter().enumerate() {
            let y = inner.y + 1 + u16::try_from(i).unwrap_or(0);
            if y < inner.bottom() {
                let text = fit(l, usize::from(inner.width.saturating_sub(2)));
                line(
                    buf,
                    inner.x + 1,
                    y,
                    inner.width.saturating_sub(2),
                    vec![Span::styled(text, th.muted)],
                );
            }
        }
        return;
    }
    let cols = columns(inner.width);
    let wide = cols.len() == 8;
    let header: Vec<Span> = cols
        .iter()
        .flat_map(|c| [Span::raw(" "), Span::styled(pad(c.title, c.width, false), th.heading)])
        .collect();
    line(buf, inner.x, inner.y, inner.width, header);
    let h = usize::from(inner.height.saturating_sub(1));
    let offset = scrolled(v.offset, v.selected, h);
    for (i, r) in rows.iter().enumerate().skip(offset).take(h) {
        let y = inner.y + 1 + u16::try_from(i - offset).unwrap_or(0);
        let mut texts = cells(r, wide);
        if v.marked.contains(&r.id)
            && let Some(first) = texts.first_mut()
        {
            *first = format!("*{first}");
        }
        let spans: Vec<Span> = cols
            .iter()
            .zip(&texts)
            .flat_map(|(c, t)| {
                let style = match c.title {
                    "Kind" => kind_style(cx, r.kind),
                    "Status" if r.open => th.warning,
                    "ID" => th.muted,
                    _ if !r.open => th.muted,
                    _ => th.text,
                };
                [Span::raw(" "), Span::styled(pad(t, c.width, false), style)]
            })
            .collect();
        line(buf, inner.x, y, inner.width, spans);
        if i == v.selected {
            fill(buf, Rect::new(inner.x, y, inner.width, 1), th.selection);
        }
    }
}

fn render_detail(v: &ConflictsView, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let block = panel(" Selected conflict ", th, false);
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(r) = v.selected_row() else {
        return;
    };
    let when = cx.clock.local(r.at).format("%Y-%m-%d %H:%M").to_string();
    let label_w = 9usize;
    let w = usize::from(inner.width).saturating_sub(label_w + 3);
    let what = match r.kind {
        ConflictKind::Edit => format!("changed on both sides; found {when} when {} synced", r.actor),
        ConflictKind::Delete if r.mine == "(deleted)" => {
            format!("deleted here, edited elsewhere; found {when} when {} synced", r.actor)
        }
        ConflictKind::Delete => format!("edited here, deleted elsewhere; found {when} when {} synced", r.actor),
        ConflictKind::Refused => format!(
            "the server refused this change: {}",
            r.reason.as_deref().unwrap_or("no reason given")
        ),
        ConflictKind::Held => format!(
            "held here, not on the server: {}",
            r.reason.as_deref().unwrap_or("no reason given")
        ),
    };
    let mut rows: Vec<(&str, String, Style)> = vec![
        (
            "Record",
            format!(
                "{} {} · {}",
                crate::tui::widgets::capital(r.entity.name()),
                r.title,
                r.field
            ),
            th.text,
        ),
        ("Mine", r.mine.clone(), th.accent),
        ("Theirs", r.theirs.clone(), th.text),
        ("Why", what, kind_style(cx, r.kind)),
    ];
    let status = if r.open {
        format!("open · conflict {}", r.id)
    } else {
        format!("{} · conflict {}", r.status, r.id)
    };
    rows.push(("Status", status, if r.open { th.warning } else { th.muted }));
    let keys: Vec<String> = [
        Action::KeepMine,
        Action::KeepTheirs,
        Action::ResolveValue,
        Action::Open,
        Action::ToggleMark,
    ]
    .into_iter()
    .filter_map(|a| {
        let key = cx.keymap.key_text(Scope::Conflicts, a)?;
        let title = if a == Action::Open {
            "open the record"
        } else {
            crate::tui::commands::command(a)?.title
        };
        Some(format!("{key} {title}"))
    })
    .collect();
    if r.open && r.kind == ConflictKind::Held {
        let open = cx.keymap.key_text(Scope::Conflicts, Action::Open).unwrap_or_default();
        let discard = cx
            .keymap
            .key_text(Scope::Conflicts, Action::DiscardHeld)
            .unwrap_or_default();
        rows.push((
            "Decide",
            format!("{open} open it, fix it (e.g. the owner) and sync · {discard} discard it (to the trash)"),
            th.muted,
        ));
    } else if r.open {
        rows.push(("Decide", keys.join(" · "), th.muted));
    }
    for (i, (label, text, style)) in rows.into_iter().enumerate() {
        let y = inner.y + u16::try_from(i).unwrap_or(0);
        if y >= inner.bottom() {
            break;
        }
        line(
            buf,
            inner.x,
            y,
            inner.width,
            vec![
                Span::styled(format!(" {}", pad(label, label_w, false)), th.muted),
                Span::styled(fit(&text, w), style),
            ],
        );
    }
}
