//! The sync protocol, shared by the laptop (`store`, `sync`) and the server: the hybrid
//! logical clock (defined in `model`, re-exported here), changes, the stored record,
//! conflicts, the wire types and the pure merge, and the iCalendar text both write
//! (`contentline`, `ical`: the writer of `.ics` exports and of the server's feed).
//! Depends on `model` only.
//!
//! Record kinds travel as strings (`"account"`, `"territory"`): a pulled entry of a kind
//! this build does not know is skipped, not an error (see [`wire::PullResponse`]), so an
//! older client keeps syncing with a newer server.

pub mod change;
pub mod conflict;
pub mod contentline;
pub mod frozen;
pub mod ical;
pub mod merge;
pub mod record;
pub mod wire;

pub use change::{Change, ChangeOp};
pub use conflict::{Conflict, ConflictKind, Side};
pub use merge::Outcome;
pub use record::{CREATED, DELETED, Stored};

pub use crate::model::Hlc;
