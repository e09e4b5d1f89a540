//! Hybrid logical clock: (wall milliseconds, counter, replica).
//!
//! It lives in `model` (not `sync`) because the store stamps every changed field with it.
//! It never goes backwards, survives restarts (the store persists the last value) and
//! tolerates a wall clock that is hours or days off: a clock behind the last value seen
//! simply advances the counter.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};

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

/// Where "now" comes from: the one clock of an open store. Every write reads it once
/// (the transaction's time), so the HLC's wall time, stage history and every other
/// timestamp of that write agree. The real clock reads the system time; tests and the
/// TUI harness pass a manual one and move it. Clones share the same source.
#[derive(Clone, Default)]
pub struct WallClock(Source);

#[derive(Clone, Default)]
enum Source {
    #[default]
    System,
    Manual(Arc<Mutex<DateTime<Utc>>>),
    Func(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>),
}

impl WallClock {
    /// The machine's clock.
    #[must_use]
    pub fn system() -> Self {
        Self(Source::System)
    }

    /// A clock that stands at `start` until [`WallClock::set`] or [`WallClock::advance`]
    /// moves it (every clone sees the move).
    #[must_use]
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self(Source::Manual(Arc::new(Mutex::new(start))))
    }

    /// A clock reading `f`.
    #[must_use]
    pub fn from_fn(f: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        Self(Source::Func(Arc::new(f)))
    }

    /// Now, to the millisecond (what records and clocks store).
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        let now = match &self.0 {
            Source::System => Utc::now(),
            Source::Manual(t) => *t.lock().unwrap_or_else(PoisonError::into_inner),
            Source::Func(f) => f(),
        };
        DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
    }

    /// Now as milliseconds since the Unix epoch (an HLC's wall time).
    #[must_use]
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.now().timestamp_millis()).unwrap_or(0)
    }

    /// Moves a manual clock to `t` (other clocks ignore it).
    pub fn set(&self, t: DateTime<Utc>) {
        if let Source::Manual(m) = &self.0 {
            *m.lock().unwrap_or_else(PoisonError::into_inner) = t;
        }
    }

    /// Moves a manual clock on by `d` (other clocks ignore it).
    pub fn advance(&self, d: chrono::Duration) {
        if let Source::Manual(m) = &self.0 {
            let mut t = m.lock().unwrap_or_else(PoisonError::into_inner);
            *t += d;
        }
    }
}

impl fmt::Debug for WallClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::System => f.write_str("WallClock(system)"),
            Source::Manual(_) => write!(f, "WallClock(manual {})", self.now()),
            Source::Func(_) => f.write_str("WallClock(fn)"),
        }
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

    #[test]
    fn a_manual_clock_moves_for_every_clone_and_keeps_milliseconds() {
        let start = DateTime::from_timestamp_millis(1_700_000_000_123).expect("time");
        let clock = WallClock::manual(start);
        let other = clock.clone();
        assert_eq!(other.now_ms(), 1_700_000_000_123);
        clock.advance(chrono::Duration::minutes(5));
        assert_eq!(other.now(), start + chrono::Duration::minutes(5));
        let nanos = DateTime::from_timestamp(1, 999_999).expect("time");
        clock.set(nanos);
        assert_eq!(other.now_ms(), 1_000, "sub-millisecond parts are dropped");
    }
}
