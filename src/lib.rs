//! outpost: an offline-first sales force automation CRM for the terminal.
//!
//! Layers (dependencies point one way): `model` <- `store` <- `app` <- { `tui`, `cli` }.
//! See ARCHITECTURE.md.

pub mod app;
pub mod cli;
pub mod model;
pub mod store;
pub mod tui;
