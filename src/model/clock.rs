//! Hybrid logical clock: (wall milliseconds, counter, replica).
//!
//! It lives in `model` (not `sync`) because the store stamps every changed field with it.
//! It never goes backwards, survives restarts (the store persists the last value) and
//! tolerates a wall clock that is hours or days off: a clock behind the last value seen
//! simply advances the counter.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Identifies one store (a laptop or the server). Random, 64 bits, shown as 16 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ReplicaId(pub u64);

impl ReplicaId {
    /// A new random replica id.
    #[must_use]
    pub fn random() -> Self {
        Self(fastrand::u64(1..))
    }
}

impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplicaId({self})")
    }
}

impl FromStr for ReplicaId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        u64::from_str_radix(s, 16)
            .map(Self)
            .map_err(|_| format!("'{s}' is not a replica id (16 hex digits)"))
    }
}

impl Serialize for ReplicaId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReplicaId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One hybrid-logical-clock value. Ordered by wall time, then counter, then replica, so
/// two different values never compare equal and last-writer-wins is deterministic.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch.
    pub wall: u64,
    /// Tie-breaker for values issued within one millisecond (or while the clock lags).
    pub counter: u32,
    /// The replica that issued the value.
    pub replica: ReplicaId,
}

impl Hlc {
    /// The zero clock, older than anything issued.
    pub const ZERO: Self = Self {
        wall: 0,
        counter: 0,
        replica: ReplicaId(0),
    };

    /// The next value after `last` on `replica`, given the wall clock `now_ms`.
    #[must_use]
    pub fn tick(last: Self, now_ms: u64, replica: ReplicaId) -> Self {
        if now_ms > last.wall {
            Self {
                wall: now_ms,
                counter: 0,
                replica,
            }
        } else {
            Self {
                wall: last.wall,
                counter: last.counter.saturating_add(1),
                replica,
            }
        }
    }

    /// Folds a value received from elsewhere into the local clock, so the next local value
    /// is after it.
    #[must_use]
    pub fn observe(last: Self, seen: Self) -> Self {
        last.max(seen)
    }

    /// Wall milliseconds of the machine now.
    #[must_use]
    pub fn now_ms() -> u64 {
        u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:013}.{:05}.{}", self.wall, self.counter, self.replica)
    }
}

impl fmt::Debug for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hlc({self})")
    }
}

impl FromStr for Hlc {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("'{s}' is not a clock value (WALL.COUNTER.REPLICA)");
        let mut parts = s.split('.');
        let wall = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let counter = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let replica = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Self { wall, counter, replica })
    }
}

impl Serialize for Hlc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_never_goes_backwards_even_when_the_wall_clock_does() {
        let r = ReplicaId(7);
        let a = Hlc::tick(Hlc::ZERO, 1_000, r);
        let b = Hlc::tick(a, 500, r);
        let c = Hlc::tick(b, 500, r);
        assert!(a < b && b < c);
        assert_eq!(c.wall, 1_000);
        assert_eq!(c.counter, 2);
    }

    #[test]
    fn text_form_round_trips_and_sorts_like_the_value() {
        let a = Hlc {
            wall: 99,
            counter: 3,
            replica: ReplicaId(0xabc),
        };
        let b = Hlc {
            wall: 100,
            counter: 0,
            replica: ReplicaId(1),
        };
        assert_eq!(a.to_string().parse::<Hlc>(), Ok(a));
        assert!(a.to_string() < b.to_string());
        assert!("1.2".parse::<Hlc>().is_err());
    }
}
