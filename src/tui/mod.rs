//! The terminal user interface (ratatui + crossterm). `outpost` with no subcommand opens
//! it on the data dir.
//!
//! Shape (one job per file), lowest first; no file imports one above it (checked by
//! `tests/tui_modules.rs`):
//! - `action.rs` — what can be asked for (the names used in `keymap.toml`);
//!   `commands.rs` — the registry of every action with its title and help, which feeds the
//!   keymap check, the help overlay, the hint bar and the palette;
//!   `keys.rs`, `keymap.rs` — key names and the merged, checked keymap;
//!   `theme.rs` — semantic colour roles; `clock.rs` — injected now and time zone;
//!   `widgets.rs` — drawing helpers; `input.rs` — the one single-line text input.
//! - `load/` and `rows.rs` — the loaders (every store read of the TUI happens there, off
//!   the UI thread) and the data they return; `jobs.rs` — what to load, stamped with a
//!   generation when it starts so a result read before a later write is dropped.
//! - `effect.rs` — what components ask for: open a record, records changed, load, say,
//!   push a popup (by request), pop; `ctx.rs` — what they may read (app, clock, keys,
//!   theme, size); `view_id.rs` — the tabs.
//! - `views/` (dashboard, pipeline board, lists, record detail, quote editor, calendar,
//!   conflicts inbox, approvals queue, reports) and `popups/` (help, palette, search,
//!   form, choice, picker): each owns its state, handles keys or
//!   actions as `fn(&mut OwnState, &Ctx, …, &mut Effects)` and draws as
//!   `fn(&OwnState, &Ctx, area, buf)`. None calls another or sees the whole state.
//! - `forms.rs` — builds forms from the field registry for a `FormRequest` and saves them
//!   through the app's use cases (quick actions included); `occurrence.rs` — "this
//!   occurrence or the series" for a repeating event, and the occurrence's own forms.
//! - `state.rs` — the views, the popup stack, status and jobs; `update.rs` — routes events
//!   (top popup -> filter -> view or record -> global keys) and is the one place effects
//!   are applied; `ui.rs` draws the whole screen.
//! - `event.rs`, `runtime.rs` — the terminal edge; `harness.rs` — the same session
//!   without a terminal, for tests and benchmarks.
//!
//! Adding a view: its state, `handle` and `render` in `views/<name>.rs` (returning
//! effects), its loader and data in `load/`, a `Job` variant, a `ViewId` (and a tab in
//! `VIEWS`), a field in `State`, and one arm each in `update::dispatch`,
//! `update::ensure_view_loaded`, `update::loaded` and `ui::draw`. Adding a popup: its
//! state, `handle_key` and `render` in `popups/<name>.rs`, a `Popup` variant, a `Layer`
//! variant and its arm in `update::apply`.
//!
//! The TUI never writes to the store itself: every change goes through `crate::app`.

pub mod action;
pub mod clock;
pub mod commands;
pub mod ctx;
pub mod effect;
pub mod event;
pub mod filter;
pub mod forms;
pub mod harness;
pub mod input;
pub mod jobs;
pub mod journal;
pub mod keymap;
pub mod keys;
pub mod load;
pub mod occurrence;
pub mod popups;
pub mod remote;
pub mod rows;
pub mod runtime;
pub mod state;
pub mod theme;
pub mod ui;
pub mod update;
pub mod view_id;
pub mod views;
pub mod widgets;

pub use runtime::run;
