//! The terminal user interface (ratatui + crossterm). `outpost` with no subcommand opens
//! it on the data dir.
//!
//! Shape (one job per file):
//! - `action.rs` — what can be asked for (the names used in `keymap.toml`);
//!   `commands.rs` — the registry of every action with its title and help, which feeds the
//!   keymap check, the help overlay, the hint bar and the palette;
//!   `keys.rs`, `keymap.rs` — key names and the merged, checked keymap;
//!   `theme.rs` — semantic colour roles; `clock.rs` — injected now and time zone.
//! - `state.rs` — everything shown; `update.rs` — events and actions change it (routing
//!   keys top popup -> filter -> view or record -> global); `ui.rs` and the views draw it
//!   without changing it.
//! - `views/` — dashboard, pipeline board, lists, record detail, calendar, conflicts inbox;
//!   `popups/` — help, palette, search, forms; `forms.rs` — building and saving forms
//!   through the app's use cases (quick actions included).
//! - `jobs.rs` — loading that runs off the UI thread; `rows.rs`, `filter.rs` — list rows
//!   and incremental fuzzy filtering; `event.rs`, `runtime.rs` — the terminal edge;
//!   `harness.rs` — the same session without a terminal, for tests and benchmarks.
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
pub mod keymap;
pub mod keys;
pub mod load;
pub mod popups;
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
