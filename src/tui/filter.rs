//! The list filter's matcher: the app's one search (`app::search`, fzf syntax over the
//! registry's search fields, nucleo-matcher), re-exported for the TUI's lists, palette
//! and global search.

pub use crate::app::search::{Filter, Haystacks, fold};
