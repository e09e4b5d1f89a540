//! Changing the state: events in, keys routed by layer (top popup, then the filter being
//! typed, then the view or open record, then global keys), actions dispatched the same
//! way, loaded data taken in. Components change only their own state and return
//! [`Effect`]s; this is the one place effects are applied (opening records and popups,
//! reloading after writes, loading, messages).

use super::action::Action;
use super::commands::Scope;
use super::ctx::Ctx;
use super::effect::{Effect, Effects, FormRequest, Layer};
use super::event::Event;
use super::forms;
use super::jobs::{Job, Loaded, Ticket};
use super::journal::Way;
use super::keys::KeyPress;
use super::load::search::Searcher;
use super::occurrence;
use super::popups::Popup;
use super::popups::help::Help;
use super::popups::search::Search;
use super::rows::ListData;
use super::state::{EditorRequest, Level, State, VIEWS, ViewId};
use super::theme::Theme;
use super::views::detail::{self, DetailView};
use super::views::{approvals, board, calendar, conflicts, dashboard, list, quote, reports};
use crate::model::records::ActivityKind;
use crate::model::{EntityKind, Id};

/// The read-only context of `$st`, borrowed field by field so that a component's own
/// state can be borrowed mutably beside it.
macro_rules! cx {
    ($st:expr) => {
        Ctx {
            app: &$st.app,
            clock: &$st.clock,
            keymap: &$st.keymap,
            theme: &$st.theme,
            size: $st.size,
        }
    };
}

/// Takes in one event.
pub fn handle_event(st: &mut State, event: Event) {
    match event {
        Event::Key(key) => handle_key(st, key),
        Event::Paste(text) => handle_paste(st, &text),
        Event::Resize(w, h) => st.size = (w, h),
        Event::Progress(job, done, total) => {
            st.status.progress = Some((job.label(), Some((done, total))));
        }
        Event::Loaded(ticket, result) => loaded(st, &ticket, result),
        Event::Tick => auto_sync(st),
        Event::Remote(request, reply) => {
            let (answer, wrote) = match &st.remote {
                Some(run) => run(&st.app, &request),
                None => (Vec::new(), false),
            };
            let _ = reply.send(answer);
            if wrote {
                // What is on screen shows the change.
                st.dashboard.stale = true;
                changed(st, &EntityKind::ALL);
                st.say("Updated by a command from another terminal", Level::Info);
            }
        }
    }
}

/// With `sync_every` in config.toml and a server set up and answering, starts a sync
/// when the last one (this session's, or the store's last complete one) is that old.
pub fn auto_sync(st: &mut State) {
    let Some(every) = st.app.config.sync_every else { return };
    if st.dashboard.reachable.is_none() || st.running.iter().any(|t| t.job == Job::Sync) {
        // No server set up (or not asked yet), or a sync is running.
        if st.dashboard.reachable.is_none() {
            st.request(Job::Reach);
        }
        return;
    }
    let now = st.clock.now();
    let last_sync = st
        .dashboard
        .data
        .as_ref()
        .and_then(|d| d.last_sync.as_deref())
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc));
    let since = st.sync_started.max(last_sync);
    let due = since.is_none_or(|t| now - t >= chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX));
    if due {
        st.sync_started = Some(now);
        if st.dashboard.reachable == Some(false) {
            // Ask first; the answer starts the sync when the server is back.
            st.request(Job::Reach);
        } else {
            st.request(Job::Sync);
        }
    }
}

/// Starts a sync now (the key or the palette).
fn sync_now(st: &mut State) {
    if st.running.iter().any(|t| t.job == Job::Sync) || st.jobs.contains(&Job::Sync) {
        return st.say("A sync is already running", Level::Info);
    }
    st.sync_started = Some(st.clock.now());
    st.request(Job::Sync);
    st.status.progress = Some((Job::Sync.label(), None));
}

/// Takes in what a sync did: the message, and everything reloads.
fn synced(st: &mut State, result: Result<Loaded, String>) {
    match result {
        Ok(Loaded::Synced(r)) => {
            st.dashboard.reachable = Some(true);
            st.dashboard.stale = true;
            changed(st, &EntityKind::ALL);
            let mut text = format!(
                "Synced: sent {}, received {}, conflicts {}, held {}",
                r.sent, r.received, r.conflicts, r.held
            );
            if r.refused > 0 {
                text.push_str(&format!(", refused {}", r.refused));
            }
            let level = if r.conflicts > 0 || r.held > 0 || r.refused > 0 {
                Level::Info
            } else {
                Level::Success
            };
            st.say(text, level);
        }
        Ok(_) => {}
        Err(e) => {
            if e.contains("not logged in") || e.contains("outpost login") {
                st.dashboard.reachable = None;
            } else if e.contains("cannot reach") {
                st.dashboard.reachable = Some(false);
            }
            st.say(format!("Sync failed: {e}"), Level::Error);
        }
    }
}

/// The keymap section for the current layer.
#[must_use]
pub fn scope(st: &State) -> Scope {
    st.scope()
}

/// Routes a key: top popup, then the filter being typed, then the current layer's
/// binding, then the global one.
pub fn handle_key(st: &mut State, key: KeyPress) {
    if st.size.0 < super::ui::MIN_SIZE.0 || st.size.1 < super::ui::MIN_SIZE.1 {
        // Nothing shows but "too small": a key would act unseen (into a hidden form's
        // field, say). The quit key works only with nothing open, so a form's input
        // waits for a larger window.
        // Ctrl-C always quits: a window that cannot be made larger must not trap anyone.
        let quit = st.keymap.get(Scope::Global, key) == Some(Action::Quit);
        if (st.popups.is_empty() && quit) || key == KeyPress::ctrl('c') {
            st.quit = true;
        }
        return;
    }
    st.status.message = None;
    let mut out = Effects::default();
    if st.keymap.get(Scope::Conflicts, key) != Some(Action::DiscardHeld) {
        // A discard asked for in the inbox is confirmed only by the very next key.
        st.conflicts.discarding = None;
    }
    let cx = cx!(st);
    if let Some(top) = st.popups.last_mut() {
        top.handle_key(&cx, key, &mut out);
        apply_all(st, out);
        return;
    }
    if let (ViewId::List(kind), true) = (st.view, st.details.is_empty())
        && let Some(l) = st.lists.iter_mut().find(|l| l.kind == kind)
        && list::edit_key(l, &cx, key)
    {
        return;
    }
    let action = st
        .keymap
        .get(st.scope(), key)
        .or_else(|| st.keymap.get(Scope::Global, key));
    match action {
        Some(a) => dispatch(st, a),
        None => {
            let help = st
                .keymap
                .key_text(Scope::Global, Action::Help)
                .unwrap_or_else(|| "?".into());
            st.say(format!("'{key}' does nothing here; {help} shows the keys"), Level::Info);
        }
    }
}

/// Whether a field takes typed text now: a form, the palette, the search, a picker, or
/// a list's filter being typed.
fn takes_text(st: &State) -> bool {
    match st.popups.last() {
        Some(p) => p.takes_text(),
        None => match st.view {
            ViewId::List(kind) if st.details.is_empty() => st.lists.iter().any(|l| l.kind == kind && l.editing),
            _ => false,
        },
    }
}

/// Pasted text goes into the field being typed in, as typed text: a line break or a
/// tab becomes a space (the fields are one line; a Tab or Enter would move on or save).
/// Anywhere else it is refused: its letters would run commands (a `D` then `y` trashes
/// a record).
pub fn handle_paste(st: &mut State, text: &str) {
    if !takes_text(st) {
        st.say(
            "Pasted text goes into a field being typed in (a form, a list's filter, the search); nothing was done",
            Level::Info,
        );
        return;
    }
    let text = text.replace("\r\n", "\n");
    let mut spaced = false;
    for c in text.chars() {
        let c = if c.is_control() {
            spaced = true;
            ' '
        } else {
            c
        };
        handle_key(st, KeyPress::char(c));
        if !takes_text(st) {
            break;
        }
    }
    if spaced {
        st.say("The pasted line breaks and tabs became spaces", Level::Info);
    }
}

/// Runs an action: the open record or the view first, then the global meaning.
pub fn dispatch(st: &mut State, action: Action) {
    let mut out = Effects::default();
    let cx = cx!(st);
    let handled = match st.details.last_mut() {
        Some(d) => match &mut d.quote {
            Some(q) => quote::handle(q, &cx, action, &mut out),
            None => detail::handle(d, &cx, action, &mut out),
        },
        None => match st.view {
            ViewId::Dashboard => dashboard::handle(&mut st.dashboard, &cx, action, &mut out),
            ViewId::Pipeline => board::handle(&mut st.board, &cx, action, &mut out),
            ViewId::List(kind) => st
                .lists
                .iter_mut()
                .find(|l| l.kind == kind)
                .is_some_and(|l| list::handle(l, &cx, action, &mut out)),
            ViewId::Calendar => calendar::handle(&mut st.calendar, &cx, action, &mut out),
            ViewId::Conflicts => conflicts::handle(&mut st.conflicts, &cx, action, &mut out),
            ViewId::Reports => reports::handle(&mut st.reports, &cx, action, &mut out),
            ViewId::Approvals => approvals::handle(&mut st.approvals, &cx, action, &mut out),
        },
    };
    apply_all(st, out);
    if !handled {
        global(st, action);
    }
}

fn goto(st: &mut State, view: ViewId) {
    st.details.clear();
    st.view = view;
    for l in st.lists.iter_mut().filter(|l| ViewId::List(l.kind) != view) {
        l.unload();
    }
    if view != ViewId::Reports {
        st.reports.unload();
    }
    if view != ViewId::Pipeline {
        st.board.unload();
    }
    ensure_view_loaded(st);
}

fn global(st: &mut State, action: Action) {
    match action {
        Action::Quit => st.quit = true,
        Action::Help => apply(st, Effect::Push(Layer::Help)),
        Action::Palette => apply(st, Effect::Push(Layer::Palette)),
        Action::Search => apply(st, Effect::Push(Layer::Search)),
        Action::Filter => st.say(
            "Nothing to filter here; the lists (keys 3–8) have filters, s searches everything",
            Level::Info,
        ),
        Action::GotoDashboard => goto(st, ViewId::Dashboard),
        Action::GotoPipeline => goto(st, ViewId::Pipeline),
        Action::GotoAccounts => goto(st, ViewId::List(EntityKind::Account)),
        Action::GotoContacts => goto(st, ViewId::List(EntityKind::Contact)),
        Action::GotoLeads => goto(st, ViewId::List(EntityKind::Lead)),
        Action::GotoOpportunities => goto(st, ViewId::List(EntityKind::Opportunity)),
        Action::GotoQuotes => goto(st, ViewId::List(EntityKind::Quote)),
        Action::GotoActivities => goto(st, ViewId::List(EntityKind::Activity)),
        Action::GotoTerritories => goto(st, ViewId::List(EntityKind::Territory)),
        Action::GotoProducts => goto(st, ViewId::List(EntityKind::Product)),
        Action::GotoOrders => goto(st, ViewId::List(EntityKind::Order)),
        Action::GotoCalendar => goto(st, ViewId::Calendar),
        Action::GotoConflicts => goto(st, ViewId::Conflicts),
        Action::GotoReports => goto(st, ViewId::Reports),
        Action::GotoApprovals => goto(st, ViewId::Approvals),
        Action::OrderStatus => match selected(st) {
            Some((EntityKind::Order, id)) => open_form(st, FormRequest::OrderStatus(id)),
            _ => st.say("Open an order to change its status", Level::Info),
        },
        Action::AddLine
        | Action::QtyUp
        | Action::QtyDown
        | Action::LineUp
        | Action::LineDown
        | Action::EditQuote
        | Action::SubmitQuote
        | Action::SendQuote
        | Action::AcceptQuote
        | Action::ReviseQuote
        | Action::RenderQuote => st.say("Open a quote to edit it (the quotes list, key 7)", Level::Info),
        Action::ApproveQuote | Action::RejectQuote => {
            // Quotes are decided in the queue: go there.
            goto(st, ViewId::Approvals);
            let key = st.keymap.key_text(Scope::Approvals, action).unwrap_or_default();
            st.say(
                format!("Approvals: select a quote and press {key} to decide it"),
                Level::Info,
            );
        }
        Action::NextView | Action::PrevView => {
            let n = VIEWS.len();
            // The conflicts inbox is not a tab: from there, tab goes to the first view and
            // shift-tab to the last.
            let i = VIEWS.iter().position(|v| *v == st.view).unwrap_or(n - 1);
            let next = if action == Action::NextView {
                (i + 1) % n
            } else if matches!(st.view, ViewId::Conflicts | ViewId::Reports | ViewId::Approvals) {
                n - 1
            } else {
                (i + n - 1) % n
            };
            goto(st, VIEWS[next]);
        }
        Action::KeepMine
        | Action::KeepTheirs
        | Action::ResolveValue
        | Action::ToggleSettled
        | Action::ToggleMark
        | Action::DiscardHeld => {
            let key = st
                .keymap
                .key_text(Scope::Global, Action::GotoConflicts)
                .unwrap_or_else(|| ":".into());
            st.say(
                format!("Conflicts are decided in the conflicts inbox ({key} opens it)"),
                Level::Info,
            );
        }
        Action::Refresh => {
            changed(st, &EntityKind::ALL);
            st.say("Reloading", Level::Info);
        }
        Action::ToggleTheme => {
            let next = if st.theme.name == "light" { "dark" } else { "light" };
            st.theme = Theme::builtin(next, st.no_color);
            st.say(format!("Theme: {next}"), Level::Info);
        }
        Action::Sync => sync_now(st),
        Action::Undo | Action::Redo => {
            let way = if action == Action::Undo { Way::Undo } else { Way::Redo };
            let app = st.app.clone();
            match st.journal.apply(&app, way) {
                Ok((label, kinds)) => {
                    changed(st, &kinds);
                    let (done, key) = match way {
                        Way::Undo => ("Undone", Action::Redo),
                        Way::Redo => ("Redone", Action::Undo),
                    };
                    let again = st.keymap.key_text(Scope::Global, key).unwrap_or_default();
                    let word = if key == Action::Redo { "redoes" } else { "undoes" };
                    st.say(format!("{done}: {label} ({again} {word} it)"), Level::Success);
                }
                Err(message) => st.say(message, Level::Info),
            }
        }
        Action::Delete => match selected(st) {
            Some((EntityKind::Event, id)) if ask_which(st, id, occurrence::Change::Delete) => {}
            Some((kind, id)) => open_form(st, FormRequest::Trash(kind, id)),
            None => st.say("Select a record to move it to the trash", Level::Info),
        },
        Action::New => new_record(st),
        Action::Edit => match selected(st) {
            Some((EntityKind::Event, id)) if ask_which(st, id, occurrence::Change::Edit) => {}
            Some((kind, id)) => open_form(st, FormRequest::Edit(kind, id)),
            None => st.say("Select a record to edit", Level::Info),
        },
        Action::LogCall | Action::LogVisit | Action::AddNote | Action::ScheduleMeeting => match selected(st) {
            Some(on) => open_form(
                st,
                match action {
                    Action::LogCall => FormRequest::Log(ActivityKind::Call, on),
                    Action::LogVisit => FormRequest::Log(ActivityKind::Visit, on),
                    Action::AddNote => FormRequest::Note(on),
                    _ => FormRequest::Meeting(on),
                },
            ),
            None => st.say("Select a record first", Level::Info),
        },
        Action::ConvertLead => match selected(st) {
            Some((EntityKind::Lead, id)) => open_form(st, FormRequest::Convert(id)),
            _ => st.say("Select a lead to convert", Level::Info),
        },
        Action::MarkDone => {
            let on = st
                .details
                .last()
                .and_then(|d| {
                    d.selected_item()
                        .filter(|i| i.kind == EntityKind::Activity)
                        .map(|i| (i.kind, i.id))
                })
                .or_else(|| selected(st));
            match on {
                Some(on) => {
                    let mut out = Effects::default();
                    forms::mark_done(&st.ctx(), on, &mut out);
                    apply_all(st, out);
                }
                None => st.say("Select a task to mark it done", Level::Info),
            }
        }
        _ => {}
    }
}

/// For a repeating event, asks "this occurrence or the series" (the occurrence the
/// calendar has selected, when the calendar is where it was chosen) and says true.
fn ask_which(st: &mut State, id: Id, change: occurrence::Change) -> bool {
    let day = if st.details.is_empty() && st.view == ViewId::Calendar {
        st.calendar.selected_occurrence_day(&st.clock)
    } else {
        None
    };
    match occurrence::question(&st.ctx(), id, day, change) {
        Some(q) => {
            apply(st, Effect::Push(Layer::Question(q)));
            true
        }
        None => false,
    }
}

/// The record the quick actions work on: the open record, else the selection.
#[must_use]
pub fn selected(st: &State) -> Option<(EntityKind, Id)> {
    if let Some(d) = st.details.last() {
        return Some((d.kind, d.id));
    }
    match st.view {
        ViewId::Dashboard => st.dashboard.selected(&st.clock),
        ViewId::Pipeline => st
            .board
            .selected(&st.app.config.pipeline, st.clock.today())
            .map(|d| (EntityKind::Opportunity, d.id)),
        ViewId::List(kind) => st.list(kind).and_then(list::ListView::selected_id).map(|id| (kind, id)),
        ViewId::Calendar => st.calendar.selected_record(&st.clock),
        ViewId::Conflicts => st.conflicts.selected_row().map(|r| (r.entity, r.record)),
        ViewId::Reports => st.reports.selected_record(),
        ViewId::Approvals => st.approvals.selected_row().map(|r| (EntityKind::Quote, r.id)),
    }
}

fn new_record(st: &mut State) {
    let tomorrow = (st.clock.today() + chrono::Duration::days(1)).to_string();
    if let Some(d) = st.details.last() {
        let (parent_kind, parent) = (d.kind, d.id);
        let kind = d
            .data
            .as_ref()
            .and_then(|x| x.tabs.get(d.tab))
            .map_or(EntityKind::Activity, |t| t.kind);
        let mut prefill: Vec<(&'static str, String, Option<String>)> = Vec::new();
        if let Some(s) = crate::app::spec::specs(kind)
            .iter()
            .find(|s| s.ty == crate::app::spec::Ty::Ref(parent_kind))
        {
            prefill.push((s.json, st.app.title(parent_kind, parent), Some(parent.to_string())));
        }
        if kind == EntityKind::Activity {
            prefill.push(("kind", "task".into(), None));
            prefill.push(("due", tomorrow, None));
        }
        return open_form(st, FormRequest::Create(kind, prefill));
    }
    match st.view {
        ViewId::Dashboard => open_form(
            st,
            FormRequest::Create(
                EntityKind::Activity,
                vec![("kind", "task".into(), None), ("due", tomorrow, None)],
            ),
        ),
        ViewId::Pipeline => {
            let stage = st
                .app
                .config
                .pipeline
                .stages
                .get(st.board.col)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            open_form(
                st,
                FormRequest::Create(EntityKind::Opportunity, vec![("stage", stage, None)]),
            );
        }
        ViewId::List(kind) => open_form(st, FormRequest::Create(kind, Vec::new())),
        ViewId::Calendar => {
            let c = &st.calendar;
            let start = match c.mode {
                calendar::Mode::Week => {
                    format!("{} {:02}:00", c.day_date(), calendar::FIRST_HOUR + c.slot)
                }
                calendar::Mode::Agenda => {
                    let day = c
                        .agenda_lines(&st.clock)
                        .get(c.selected)
                        .map_or_else(|| st.clock.today(), |(d, _)| *d);
                    format!("{day} 09:00")
                }
            };
            open_form(st, FormRequest::Create(EntityKind::Event, vec![("start", start, None)]));
        }
        ViewId::Conflicts => st.say("Nothing to create here; conflicts come from sync", Level::Info),
        ViewId::Reports => st.say(
            "Nothing to create here; reports are computed from the records",
            Level::Info,
        ),
        ViewId::Approvals => st.say(
            "Nothing to create here; quotes come here when a rep asks for approval",
            Level::Info,
        ),
    }
}

/// Frees the data of the list or reports the global search opens over, and keeps a
/// picture of the screen to show behind the search instead (see [`State::backdrop`]).
fn free_view_behind_search(st: &mut State) {
    if st.backdrop.is_some() || !matches!(st.view, ViewId::List(_) | ViewId::Reports) {
        return;
    }
    st.backdrop = Some(super::ui::picture(st));
    // Not loaded while hidden: a load asked for is dropped (one already running is
    // dropped when it answers), and the view loads again when the search closes.
    st.jobs.retain(|j| !j.fills_a_view());
    match st.view {
        ViewId::List(kind) => {
            if let Some(l) = st.list_mut(kind) {
                l.unload();
            }
        }
        ViewId::Reports => st.reports.unload(),
        _ => {}
    }
}

/// Asks for whatever the current view needs and does not have (nothing while the
/// search hides it: see [`State::backdrop`]).
pub fn ensure_view_loaded(st: &mut State) {
    if st.backdrop.is_some() {
        return;
    }
    match st.view {
        ViewId::Dashboard => {
            if st.dashboard.data.is_none() || st.dashboard.stale {
                st.request(Job::Dashboard);
            }
        }
        ViewId::Pipeline => {
            if st.board.deals.is_none() || st.board.stale {
                st.request(Job::Deals);
            }
        }
        ViewId::List(kind) => {
            let mut out = Effects::default();
            if let Some(l) = st.list(kind) {
                list::ensure_loaded(l, &mut out);
            }
            apply_all(st, out);
        }
        ViewId::Calendar => {
            let mut out = Effects::default();
            calendar::ensure_loaded(&st.calendar, &mut out);
            apply_all(st, out);
        }
        ViewId::Conflicts => {
            let mut out = Effects::default();
            conflicts::ensure_loaded(&st.conflicts, &mut out);
            apply_all(st, out);
        }
        ViewId::Reports => {
            let mut out = Effects::default();
            reports::ensure_loaded(&st.reports, &mut out);
            apply_all(st, out);
        }
        ViewId::Approvals => {
            let mut out = Effects::default();
            approvals::ensure_loaded(&st.approvals, &mut out);
            apply_all(st, out);
        }
    }
}

/// After a write: marks what shows records of `kinds` as stale and reloads what is on
/// screen.
pub fn changed(st: &mut State, kinds: &[EntityKind]) {
    changed_but(st, kinds, false);
}

/// As [`changed`]; with `board_shows_it` the board already shows the write (a deal it
/// moved itself) and keeps its rows.
fn changed_but(st: &mut State, kinds: &[EntityKind], board_shows_it: bool) {
    // What is loading now read the store before this write: it is asked for again and
    // its result will not replace newer data.
    st.outdate_running();
    // Any write may settle a conflict (the field was written again), and change a report.
    st.conflicts.stale = true;
    st.reports.stale = true;
    if kinds.contains(&EntityKind::Quote) {
        st.approvals.stale = true;
        st.dashboard.stale = true;
    }
    for kind in kinds {
        if let Some(l) = st.list_mut(*kind) {
            l.stale = true;
        }
    }
    if kinds
        .iter()
        .any(|k| matches!(k, EntityKind::Activity | EntityKind::Event | EntityKind::Opportunity))
    {
        st.dashboard.stale = true;
    }
    if board_shows_it {
        // Not loaded again; a load started before the write is outdated and dropped.
        st.jobs.retain(|j| *j != Job::Deals);
    } else if kinds.contains(&EntityKind::Opportunity) {
        st.board.stale = true;
    }
    if kinds
        .iter()
        .any(|k| matches!(k, EntityKind::Activity | EntityKind::Event))
    {
        st.calendar.data = None;
    }
    let open: Vec<Job> = st.details.iter().map(detail_job).collect();
    for job in open {
        st.request(job);
    }
    ensure_view_loaded(st);
}

/// What loads an open record: the quote editor's data for a quote, else the detail.
fn detail_job(d: &DetailView) -> Job {
    match &d.quote {
        Some(q) => Job::Quote(q.id),
        None => Job::Detail(d.kind, d.id),
    }
}

/// Takes in a finished job.
pub fn loaded(st: &mut State, ticket: &Ticket, result: Result<Loaded, String>) {
    st.running.retain(|t| t != ticket);
    if st.running.is_empty() {
        st.status.progress = None;
    }
    // A sync is a write, not a read: never outdated.
    match ticket.job {
        Job::Sync => return synced(st, result),
        Job::Reach => {
            let was = st.dashboard.reachable;
            st.dashboard.reachable = result.ok().and_then(|l| match l {
                Loaded::Reach(r) => r,
                _ => None,
            });
            // Back after being unreachable while a sync was due: sync now.
            if was == Some(false) && st.dashboard.reachable == Some(true) && st.app.config.sync_every.is_some() {
                st.request(Job::Sync);
            }
            return;
        }
        _ => {}
    }
    if st.outdated(ticket) {
        // Read before a later write; the job asked for again after it brings the rows.
        return;
    }
    let job = &ticket.job;
    let data = match result {
        Ok(d) => d,
        Err(e) => {
            match job {
                Job::Detail(kind, id) => st.details.retain(|d| !(d.kind == *kind && d.id == *id)),
                Job::Quote(id) => st.details.retain(|d| !(d.quote.is_some() && d.id == *id)),
                _ => {}
            }
            st.say(format!("{}: {e}", job.label()), Level::Error);
            return;
        }
    };
    match data {
        Loaded::Dashboard(d) => {
            st.dashboard.data = Some(*d);
            st.dashboard.stale = false;
            for p in 0..3 {
                st.dashboard.selected[p] = 0;
            }
        }
        // Deals of a board the user has left are dropped, as rows are.
        Loaded::Deals(_) if st.view != ViewId::Pipeline => {}
        Loaded::Deals(deals) => {
            st.board.deals = Some(deals);
            st.board.stale = false;
        }
        // Rows of a list the user has left, or that the search hides, are dropped: it
        // loads again when shown.
        Loaded::ListHead(kind, _) | Loaded::List(ListData { kind, .. })
            if st.view != ViewId::List(kind) || st.backdrop.is_some() => {}
        Loaded::ListHead(kind, Some(data)) => {
            // Only while nothing better is there: the whole list may have come first.
            if let Some(l) = st.list_mut(kind).filter(|l| l.data.is_none()) {
                l.set_data(data);
                l.stale = true;
            }
        }
        Loaded::ListHead(_, None) => {}
        Loaded::List(data) => {
            let (pipeline, today) = (st.app.config.pipeline.clone(), st.clock.today());
            if let Some(l) = st.list_mut(data.kind) {
                let first = l.data.is_none() && l.return_to.is_none();
                l.set_data(data);
                if first && l.kind == EntityKind::Opportunity {
                    l.start_at_open_deals(&pipeline, today);
                }
            }
        }
        Loaded::Calendar(data) => st.calendar.loaded(data, &st.clock),
        Loaded::Conflicts(all, rows) => st.conflicts.set_data(all, rows),
        // Reports of a view the user has left, or that the search hides, are dropped
        // as rows are.
        Loaded::Reports(_) if st.view != ViewId::Reports || st.backdrop.is_some() => {}
        Loaded::Reports(data) => st.reports.set_data(*data),
        Loaded::Approvals(rows) => st.approvals.set_data(rows),
        Loaded::Quote(data) => {
            for d in &mut st.details {
                if let Some(q) = d.quote.as_mut().filter(|q| q.id == data.doc.id) {
                    q.set_data((*data).clone());
                }
            }
        }
        Loaded::Synced(_) | Loaded::Reach(_) => {}
        Loaded::Detail(data) => {
            for d in st.details.iter_mut().filter(|d| d.kind == data.kind && d.id == data.id) {
                let tabs = data.tabs.len();
                d.tab = d.tab.min(tabs.saturating_sub(1));
                let items = data.tabs.get(d.tab).map_or(0, |t| t.items.len());
                d.selected = d.selected.min(items.saturating_sub(1));
                d.data = Some((*data).clone());
            }
        }
        Loaded::Titles(titles) => {
            if let Some(s) = search_popup(st) {
                s.searcher = Some(Searcher::new(titles));
                if let Some(job) = s.ask() {
                    st.request(job);
                }
            }
        }
        Loaded::Found(None) => {}
        Loaded::Found(Some(found)) => {
            let entered = search_popup(st).and_then(|s| s.set_found(*found));
            if let Some((kind, id)) = entered {
                apply(st, Effect::Pop);
                apply(st, Effect::Open(kind, id));
            }
        }
    }
}

/// The global search popup, when open.
fn search_popup(st: &mut State) -> Option<&mut Search> {
    st.popups.iter_mut().find_map(|p| match p {
        Popup::Search(s) => Some(&mut **s),
        _ => None,
    })
}

/// Opens the form `request` asks for.
fn open_form(st: &mut State, request: FormRequest) {
    apply(st, Effect::Push(Layer::Form(request)));
}

/// Applies effects in order.
pub fn apply_all(st: &mut State, effects: Effects) {
    for e in effects.0 {
        apply(st, e);
    }
}

/// Applies one effect: the only place components' requests change the state beyond
/// their own.
pub fn apply(st: &mut State, effect: Effect) {
    match effect {
        Effect::Open(EntityKind::Quote, id) => {
            st.details.push(DetailView::quote(id));
            st.request(Job::Quote(id));
        }
        Effect::Open(kind, id) => {
            if detail::shown(kind) {
                st.details.push(DetailView::new(kind, id));
                st.request(Job::Detail(kind, id));
            } else {
                st.say(
                    format!(
                        "{} have no detail view yet; `outpost {} show` prints one",
                        kind.plural(),
                        kind.name()
                    ),
                    Level::Info,
                );
            }
        }
        Effect::Changed(kinds) => changed(st, &kinds),
        Effect::DealMoved => changed_but(st, &[EntityKind::Opportunity], true),
        Effect::Resolved(kinds) => {
            // The dashboard counts conflicts.
            st.conflicts.stale = true;
            st.dashboard.stale = true;
            changed(st, &kinds);
        }
        Effect::Load(job) => st.request(job),
        Effect::Say(text, level) => st.say(text, level),
        Effect::Push(Layer::Help) => st.popups.push(Popup::Help(Help::default())),
        Effect::Push(Layer::Palette) => st.popups.push(Popup::Palette(Box::default())),
        Effect::Push(Layer::Search) => {
            free_view_behind_search(st);
            st.popups.push(Popup::Search(Box::default()));
            st.request(Job::Titles);
        }
        Effect::Push(Layer::Picker(request)) => {
            let mut out = Effects::default();
            if let Some(p) = forms::picker(&st.ctx(), &request, &mut out) {
                st.popups.push(Popup::Picker(Box::new(p)));
            }
            apply_all(st, out);
        }
        Effect::Push(Layer::Form(request)) => {
            let mut out = Effects::default();
            if let Some(form) = forms::build(&st.ctx(), &request, &mut out) {
                st.popups.push(Popup::Form(Box::new(form)));
            }
            apply_all(st, out);
        }
        Effect::Push(Layer::Question(question)) => {
            st.popups
                .push(Popup::Choice(Box::new(crate::tui::popups::choice::Choice {
                    question,
                    selected: 0,
                })))
        }
        Effect::Pop => {
            st.popups.pop();
            if st.backdrop.is_some() && !st.popups.iter().any(|p| matches!(p, Popup::Search(_))) {
                // The search closed: the view behind it loads again.
                st.backdrop = None;
                ensure_view_loaded(st);
            }
        }
        Effect::CloseDetail => {
            st.details.pop();
        }
        Effect::Trashed(kind, id) => st.details.retain(|d| !(d.kind == kind && d.id == id)),
        Effect::Run(action) => dispatch(st, action),
        Effect::Submit => {
            let mut out = Effects::default();
            let cx = cx!(st);
            if let Some(Popup::Form(form)) = st.popups.last_mut() {
                let rows = st.conflicts.rows.as_deref().unwrap_or_default();
                forms::submit(&cx, form, rows, &mut out);
            }
            apply_all(st, out);
        }
        Effect::Check(index) => {
            let cx = cx!(st);
            if let Some(Popup::Form(form)) = st.popups.last_mut() {
                forms::check_field(&cx, form, index);
            }
        }
        Effect::Editor(text) => st.editor = Some(EditorRequest { text }),
        Effect::Wrote(step) => st.journal.record(step),
    }
}
