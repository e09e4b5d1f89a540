//! The calendar: an agenda (events and due tasks day by day, two weeks) and a week grid
//! of hour slots. `w` switches, `[`/`]` change week, `t` goes to today, `o` shows only
//! your events and tasks or the team's, `n` on a slot creates an event there. A slot with
//! several events shows "+N", and events outside the grid's hours (or all day) are
//! counted in the day's heading; Enter on such a slot or heading opens the day in the
//! agenda, where every one is listed. Editing (`e`) or deleting (`D`) an occurrence of a
//! repeating event asks "this occurrence or the series" (`tui/occurrence.rs`).

use chrono::{Datelike, Duration, NaiveDate, Timelike};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Widget;

use crate::app::dashboard::Agenda;
use crate::model::{EntityKind, Id};
use crate::tui::action::Action;
use crate::tui::clock::Clock;
use crate::tui::ctx::Ctx;
use crate::tui::effect::{Effects, Level};
use crate::tui::jobs::Job;
use crate::tui::load::calendar::CalendarData;
use crate::tui::widgets::{fill, fit, line, moved, panel, placeholder, scrolled};

/// Days loaded at once (two weeks).
pub const DAYS: u32 = 14;
/// First hour of the week grid.
pub const FIRST_HOUR: u32 = 8;
/// Hour slots in the week grid.
pub const HOURS: u32 = 12;

/// One agenda line: its day and, unless it is the day's heading, the item (kind, id,
/// time text, description).
pub type AgendaLine = (NaiveDate, Option<(EntityKind, Id, String, String)>);

/// Agenda or week grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Day by day list.
    Agenda,
    /// Hour grid of one week.
    Week,
}

/// The calendar's state.
#[derive(Clone, Debug)]
pub struct CalendarView {
    /// Agenda or week.
    pub mode: Mode,
    /// Monday of the week shown.
    pub week_start: NaiveDate,
    /// Selected day of the week (0 = Monday).
    pub day: usize,
    /// Selected hour slot (0 = [`FIRST_HOUR`]).
    pub slot: u32,
    /// Selected agenda line.
    pub selected: usize,
    /// First visible agenda line.
    pub offset: usize,
    /// Loaded items.
    pub data: Option<CalendarData>,
    /// Only this owner's events and tasks (`o` toggles mine / team).
    pub owner: Option<String>,
    /// The agenda day to select once the range is loaded (`t`).
    pub pending_day: Option<NaiveDate>,
}

impl CalendarView {
    /// The calendar on the week of `today`.
    #[must_use]
    pub fn new(today: NaiveDate) -> Self {
        Self {
            mode: Mode::Agenda,
            week_start: monday(today),
            day: today.weekday().num_days_from_monday() as usize,
            slot: 1,
            selected: 0,
            offset: 0,
            data: None,
            owner: None,
            pending_day: None,
        }
    }

    /// Takes loaded items, and selects the day `t` asked for.
    pub fn loaded(&mut self, data: CalendarData, clock: &Clock) {
        self.data = Some(data);
        if let Some(day) = self.pending_day.take() {
            self.open_day(clock, day);
        }
    }

    /// Whether an item of `owner` is shown under the owner filter.
    fn shown(&self, owner: Option<&str>) -> bool {
        self.owner.is_none() || self.owner.as_deref() == owner
    }

    /// The events of a day the grid cannot place: all day, or outside its hours.
    #[must_use]
    pub fn off_grid(&self, clock: &Clock, day: NaiveDate) -> usize {
        self.data
            .iter()
            .flat_map(|d| d.events.iter())
            .filter(|e| self.shown(e.owner.as_deref()))
            .filter(|e| {
                let l = clock.local(e.start);
                l.date() == day && (e.all_day || l.hour() < FIRST_HOUR || l.hour() >= FIRST_HOUR + HOURS)
            })
            .count()
    }

    /// The selected day.
    #[must_use]
    pub fn day_date(&self) -> NaiveDate {
        self.week_start + Duration::days(i64::try_from(self.day).unwrap_or(0))
    }

    /// Agenda lines: a day header (`None`) or an item.
    #[must_use]
    pub fn agenda_lines(&self, clock: &Clock) -> Vec<AgendaLine> {
        let mut out = Vec::new();
        let Some(data) = &self.data else { return out };
        for i in 0..i64::from(DAYS) {
            let day = data.from + Duration::days(i);
            let mut items: Vec<(String, EntityKind, Id, String)> = data
                .events
                .iter()
                .filter(|e| self.shown(e.owner.as_deref()))
                .filter(|e| clock.local(e.start).date() == day)
                .map(|e| {
                    let t = if e.all_day {
                        "all day".into()
                    } else {
                        format!(
                            "{}–{}",
                            clock.local(e.start).format("%H:%M"),
                            clock.local(e.end).format("%H:%M")
                        )
                    };
                    let place = [e.location.as_str(), e.account.as_str()]
                        .iter()
                        .filter(|s| !s.is_empty())
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ");
                    (t, EntityKind::Event, e.id, format!("{}  {place}", e.title))
                })
                .collect();
            items.extend(
                data.tasks
                    .iter()
                    .filter(|t| t.due == day && self.shown(t.owner.as_deref()))
                    .map(|t| {
                        (
                            "task".to_string(),
                            EntityKind::Activity,
                            t.id,
                            format!("{}  {}", t.subject, t.about),
                        )
                    }),
            );
            if items.is_empty() {
                continue;
            }
            out.push((day, None));
            out.extend(items.into_iter().map(|(t, k, id, text)| (day, Some((k, id, t, text)))));
        }
        out
    }

    /// Selects the first line of `day` in the agenda (or the first after it).
    pub fn open_day(&mut self, clock: &Clock, day: NaiveDate) {
        let lines = self.agenda_lines(clock);
        self.selected = lines
            .iter()
            .position(|(d, item)| *d >= day && (item.is_some() || *d > day))
            .unwrap_or(0);
        self.offset = self.selected.saturating_sub(1);
    }

    /// Events starting in the selected slot.
    #[must_use]
    pub fn slot_events(&self, clock: &Clock, day: NaiveDate, slot: u32) -> Vec<&Agenda> {
        self.data
            .iter()
            .flat_map(|d| d.events.iter())
            .filter(|e| self.shown(e.owner.as_deref()))
            .filter(|e| {
                let l = clock.local(e.start);
                !e.all_day && l.date() == day && l.hour() == FIRST_HOUR + slot
            })
            .collect()
    }

    /// The day (in the event's own zone, as `outpost event move --on` takes it) of the
    /// selected event occurrence.
    #[must_use]
    pub fn selected_occurrence_day(&self, clock: &Clock) -> Option<NaiveDate> {
        let (kind, id) = self.selected_record(clock)?;
        if kind != EntityKind::Event {
            return None;
        }
        let day = match self.mode {
            Mode::Agenda => self.agenda_lines(clock).get(self.selected)?.0,
            Mode::Week => self.day_date(),
        };
        let occurrence = self
            .data
            .iter()
            .flat_map(|d| d.events.iter())
            .find(|e| e.id == id && clock.local(e.start).date() == day)?;
        let tz = occurrence.tz.as_deref().and_then(|z| z.parse::<chrono_tz::Tz>().ok());
        Some(crate::protocol::ical::local_of(occurrence.start, tz).date())
    }

    /// The selected record: an agenda item or the first event in the slot.
    #[must_use]
    pub fn selected_record(&self, clock: &Clock) -> Option<(EntityKind, Id)> {
        match self.mode {
            Mode::Agenda => self
                .agenda_lines(clock)
                .get(self.selected)
                .and_then(|(_, i)| i.as_ref())
                .map(|(k, id, ..)| (*k, *id)),
            Mode::Week => self
                .slot_events(clock, self.day_date(), self.slot)
                .first()
                .map(|e| (EntityKind::Event, e.id)),
        }
    }
}

/// Monday of `day`'s week.
#[must_use]
pub fn monday(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// Asks for the shown range if it is not loaded.
pub fn ensure_loaded(c: &CalendarView, out: &mut Effects) {
    let from = c.week_start;
    if c.data.as_ref().is_none_or(|d| d.from != from) {
        out.load(Job::Calendar(from, DAYS));
    }
}

/// Handles a calendar action.
pub fn handle(c: &mut CalendarView, cx: &Ctx, action: Action, out: &mut Effects) -> bool {
    let page = cx.page();
    let clock = cx.clock;
    match (c.mode, action) {
        (_, Action::ToggleCalendar) => {
            c.mode = if c.mode == Mode::Agenda {
                Mode::Week
            } else {
                Mode::Agenda
            };
        }
        (_, Action::PrevWeek) => c.week_start -= Duration::days(7),
        (_, Action::NextWeek) => c.week_start += Duration::days(7),
        (_, Action::Today) => {
            *c = CalendarView {
                mode: c.mode,
                owner: c.owner.take(),
                data: c.data.take().filter(|d| d.from == monday(clock.today())),
                ..CalendarView::new(clock.today())
            };
            if c.data.is_some() {
                c.open_day(clock, clock.today());
            } else {
                c.pending_day = Some(clock.today());
            }
        }
        (_, Action::FilterOwner) => {
            if c.owner.is_some() {
                c.owner = None;
                out.say("Calendar: the team's events and tasks", Level::Info);
            } else if let Some(me) = cx.app.config.owner.clone() {
                out.say(
                    format!("Calendar: only {me}'s events and tasks (o: the team's)"),
                    Level::Info,
                );
                c.owner = Some(me);
            } else {
                out.say("Log in (or set owner in config.toml) to see only yours", Level::Info);
            }
            c.selected = 0;
            c.offset = 0;
        }
        (Mode::Agenda, a) => {
            let len = c.agenda_lines(clock).len();
            match moved(c.selected, len, a, page) {
                Some(sel) => {
                    c.selected = sel;
                    c.offset = scrolled(c.offset, sel, page);
                }
                None if a == Action::Open => {
                    if let Some((kind, id)) = c.selected_record(clock) {
                        out.open(kind, id);
                    }
                }
                None => return false,
            }
        }
        (Mode::Week, a) => match a {
            Action::Left => {
                if c.day == 0 {
                    c.week_start -= Duration::days(7);
                    c.day = 6;
                } else {
                    c.day -= 1;
                }
            }
            Action::Right => {
                if c.day == 6 {
                    c.week_start += Duration::days(7);
                    c.day = 0;
                } else {
                    c.day += 1;
                }
            }
            Action::Up => c.slot = c.slot.saturating_sub(1),
            Action::Down => c.slot = (c.slot + 1).min(HOURS - 1),
            Action::Top => c.slot = 0,
            Action::Bottom => c.slot = HOURS - 1,
            Action::Open => {
                let day = c.day_date();
                let crowded = c.slot_events(clock, day, c.slot).len() > 1;
                if crowded || (c.slot_events(clock, day, c.slot).is_empty() && c.off_grid(clock, day) > 0) {
                    // "+N" or events the grid cannot place: the day, every one listed.
                    c.mode = Mode::Agenda;
                    c.open_day(clock, day);
                } else if let Some((kind, id)) = c.selected_record(clock) {
                    out.open(kind, id);
                } else {
                    out.say("No event in this slot; n creates one", Level::Info);
                }
            }
            _ => return false,
        },
    }
    ensure_loaded(c, out);
    true
}

/// Draws the calendar.
pub fn render(c: &CalendarView, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let end = c.week_start + Duration::days(i64::from(DAYS) - 1);
    let mode = match (c.mode, &c.owner) {
        (Mode::Agenda, None) => "Agenda".to_string(),
        (Mode::Week, None) => "Week".to_string(),
        (Mode::Agenda, Some(o)) => format!("Agenda · {o}"),
        (Mode::Week, Some(o)) => format!("Week · {o}"),
    };
    let range = if c.mode == Mode::Agenda {
        format!("{} – {}", c.week_start.format("%d %b"), end.format("%d %b %Y"))
    } else {
        format!(
            "week {} · {}",
            c.week_start.iso_week().week(),
            c.week_start.format("%d %b %Y")
        )
    };
    let block = panel(format!(" Calendar · {mode} · {range} "), th, true);
    let inner = block.inner(area);
    block.render(area, buf);
    if c.data.as_ref().is_none_or(|d| d.from != c.week_start) {
        placeholder(buf, inner, "Loading…", th.muted);
        return;
    }
    match c.mode {
        Mode::Agenda => render_agenda(c, cx, inner, buf),
        Mode::Week => render_week(c, cx, inner, buf),
    }
}

fn render_agenda(c: &CalendarView, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let lines = c.agenda_lines(cx.clock);
    if lines.is_empty() {
        line(
            buf,
            area.x + 1,
            area.y,
            area.width,
            vec![Span::styled(
                "Nothing in these two weeks (n schedules an event)",
                th.muted,
            )],
        );
        return;
    }
    let h = usize::from(area.height);
    let offset = scrolled(c.offset, c.selected, h);
    let today = cx.clock.today();
    for (i, (day, item)) in lines.iter().enumerate().skip(offset).take(h) {
        let y = area.y + u16::try_from(i - offset).unwrap_or(0);
        match item {
            None => {
                let label = day.format("%A %d %B").to_string();
                let style = if *day == today { th.accent } else { th.heading };
                line(
                    buf,
                    area.x,
                    y,
                    area.width,
                    vec![Span::styled(
                        format!(" {label}{}", if *day == today { " · today" } else { "" }),
                        style,
                    )],
                );
            }
            Some((kind, _, t, text)) => {
                let tstyle = if *kind == EntityKind::Activity {
                    th.warning
                } else {
                    th.accent
                };
                line(
                    buf,
                    area.x,
                    y,
                    area.width,
                    vec![
                        Span::styled(format!("   {t:<12}"), tstyle),
                        Span::styled(fit(text, usize::from(area.width).saturating_sub(16)), th.text),
                    ],
                );
            }
        }
        if i == c.selected {
            fill(buf, Rect::new(area.x, y, area.width, 1), th.selection);
        }
    }
}

fn render_week(c: &CalendarView, cx: &Ctx, area: Rect, buf: &mut Buffer) {
    let th = cx.theme;
    let today = cx.clock.today();
    let gutter = 7u16;
    let col_w = area.width.saturating_sub(gutter) / 7;
    let cw = usize::from(col_w.saturating_sub(1));
    for d in 0..7u16 {
        let day = c.week_start + Duration::days(i64::from(d));
        let x = area.x + gutter + d * col_w;
        let style = if day == today { th.accent } else { th.heading };
        line(
            buf,
            x,
            area.y,
            col_w,
            vec![Span::styled(fit(&day.format("%a %d").to_string(), cw), style)],
        );
        let tasks = c.data.as_ref().map_or(0, |dt| {
            dt.tasks
                .iter()
                .filter(|t| t.due == day && c.shown(t.owner.as_deref()))
                .count()
        });
        let more = c.off_grid(cx.clock, day);
        let mut parts = Vec::new();
        if tasks > 0 {
            parts.push(Span::styled(
                format!("{tasks} task{} ", if tasks == 1 { "" } else { "s" }),
                th.warning,
            ));
        }
        if more > 0 {
            parts.push(Span::styled(format!("+{more} more"), th.accent));
        }
        if !parts.is_empty() {
            let text: String = parts.iter().map(|s| s.content.as_ref()).collect();
            let style = parts.first().map_or(th.text, |s| s.style);
            line(buf, x, area.y + 1, col_w, vec![Span::styled(fit(&text, cw), style)]);
        }
    }
    let rows = u32::from(area.height.saturating_sub(2)).min(HOURS);
    for s in 0..rows {
        let y = area.y + 2 + u16::try_from(s).unwrap_or(0);
        line(
            buf,
            area.x,
            y,
            gutter,
            vec![Span::styled(format!(" {:02}:00", FIRST_HOUR + s), th.muted)],
        );
        for d in 0..7u16 {
            let day = c.week_start + Duration::days(i64::from(d));
            let x = area.x + gutter + d * col_w;
            let events = c.slot_events(cx.clock, day, s);
            let text = match events.len() {
                0 => "·".to_string(),
                1 => events[0].title.clone(),
                n => format!("{} +{}", events[0].title, n - 1),
            };
            let style = if events.is_empty() { th.border } else { th.text };
            line(buf, x, y, col_w, vec![Span::styled(fit(&text, cw), style)]);
            if usize::from(d) == c.day && s == c.slot {
                fill(buf, Rect::new(x, y, col_w.saturating_sub(1), 1), th.selection);
            }
        }
    }
}
