//! The views, one file each: state, key handling and drawing.

pub mod approvals;
pub mod board;
pub mod calendar;
pub mod conflicts;
pub mod dashboard;
pub mod detail;
pub mod list;
pub mod quote;
pub mod reports;
