//! Plain data: ids, clocks, money, the entities, validation and pipeline stages. No I/O.

pub mod clock;
pub mod country;
pub mod entity;
pub mod id;
pub mod money;
pub mod numbering;
pub mod phone;
pub mod records;
pub mod recur;
pub mod stage;
pub mod totals;
pub mod validate;

pub use clock::{Hlc, ReplicaId, WallClock};
pub use entity::{EntityKind, Fields};
pub use id::Id;
