//! Loaders: what the jobs read off the UI thread, and the data they hand back. Views and
//! popups take this data; they never load it themselves. (List rows load in `rows.rs`.)

pub mod calendar;
pub mod detail;
pub mod quote;
pub mod reports;
pub mod search;
