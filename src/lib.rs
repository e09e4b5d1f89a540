//! outpost: an offline-first sales force automation CRM for the terminal.
//!
//! Layers (dependencies point one way): `model` <- `protocol` <- `store` <- `sync` <- `app` <-
//! { `tui`, `cli` }; `server` uses `model` and `protocol` (wire types, merge core) only.
//! See ARCHITECTURE.md.
// The OpenAPI description is one `json!` literal, deeper than the default limit.
#![recursion_limit = "256"]

pub mod app;
pub mod cli;
pub mod model;
pub mod protocol;
pub mod server;
pub mod store;
pub mod sync;
pub mod tui;
pub mod tuning;
