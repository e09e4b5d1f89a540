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
        // 1 to 16 hex digits, nothing else (no sign, no padding beyond 16): what
        // `server::openapi::REPLICA_PATTERN` says.
        Some(s)
            .filter(|s| (1..=16).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|s| u64::from_str_radix(s, 16).ok())
            .map(Self)
            .ok_or_else(|| format!("'{s}' is not a replica id (16 hex digits)"))
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

    /// Largest wall time a clock may carry: 9999-12-31T23:59:59.999Z.
    pub const MAX_WALL: u64 = 253_402_300_799_999;
    /// Largest counter: five digits, so the text form sorts like the value. A replica
    /// that would count past it moves its wall time on by one millisecond instead.
    pub const MAX_COUNTER: u32 = 99_999;
    /// How far ahead of the receiver's own clock a clock may be, unless configured
    /// otherwise (`outpost serve --max-clock-skew`): one day.
    pub const DEFAULT_MAX_SKEW_MS: u64 = 24 * 60 * 60 * 1000;

    /// The next value after `last` on `replica`, given the wall clock `now_ms`.
    #[must_use]
    pub fn tick(last: Self, now_ms: u64, replica: ReplicaId) -> Self {
        if now_ms > last.wall {
            Self {
                wall: now_ms,
                counter: 0,
                replica,
            }
        } else if last.counter >= Self::MAX_COUNTER {
            Self {
                wall: last.wall.saturating_add(1),
                counter: 0,
                replica,
            }
        } else {
            Self {
                wall: last.wall,
                counter: last.counter + 1,
                replica,
            }
        }
    }

    /// Whether this value is one a replica whose clock reads `now_ms` may accept: its
    /// wall time within [`Hlc::MAX_WALL`] and at most `max_skew_ms` ahead of `now_ms`,
    /// its counter within [`Hlc::MAX_COUNTER`]. The error says what is wrong.
    pub fn check_bounds(self, now_ms: u64, max_skew_ms: u64) -> Result<(), String> {
        if self.counter > Self::MAX_COUNTER {
            return Err(format!(
                "its clock {self} has a counter above {}; the change was not made by a well-behaved outpost",
                Self::MAX_COUNTER
            ));
        }
        if self.wall > Self::MAX_WALL {
            return Err(format!(
                "its clock {self} is past the year 9999; the change was not made by a well-behaved outpost"
            ));
        }
        if self.wall > now_ms.saturating_add(max_skew_ms) {
            let ahead = chrono::Duration::milliseconds(i64::try_from(self.wall - now_ms).unwrap_or(i64::MAX));
            let at = DateTime::from_timestamp_millis(i64::try_from(self.wall).unwrap_or(i64::MAX))
                .map_or_else(|| self.wall.to_string(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
            return Err(format!(
                "its clock ({at}) is {} ahead of the server's; more than {} is refused. The laptop's clock was \
                 wrong when it was written: set the date and time, and edit the record again once its clock \
                 has caught up (or discard it)",
                describe_duration(ahead),
                describe_duration(chrono::Duration::milliseconds(
                    i64::try_from(max_skew_ms).unwrap_or(i64::MAX)
                ))
            ));
        }
        Ok(())
    }

    /// Folds a value received from elsewhere into the local clock, so the next local value
    /// is after it.
    #[must_use]
    pub fn observe(last: Self, seen: Self) -> Self {
        last.max(seen)
    }

    /// [`Hlc::observe`] that never adopts a value out of bounds ([`Hlc::check_bounds`]
    /// with [`Hlc::DEFAULT_MAX_SKEW_MS`] against `now_ms`): such a value is left out
    /// and `None` returned, so the caller can report it.
    #[must_use]
    pub fn observe_bounded(last: Self, seen: Self, now_ms: u64) -> Option<Self> {
        Self::observe_within(last, seen, now_ms, Self::DEFAULT_MAX_SKEW_MS)
    }

    /// [`Hlc::observe_bounded`] with the bound `max_skew_ms` ahead of `now_ms`.
    #[must_use]
    pub fn observe_within(last: Self, seen: Self, now_ms: u64, max_skew_ms: u64) -> Option<Self> {
        seen.check_bounds(now_ms, max_skew_ms)
            .ok()
            .map(|()| Self::observe(last, seen))
    }
}

/// "3 days", "5 hours", "12 minutes", "40 seconds": the largest whole unit.
#[must_use]
pub fn describe_duration(d: chrono::Duration) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if d.num_days() >= 1 {
        plural(d.num_days(), "day")
    } else if d.num_hours() >= 1 {
        plural(d.num_hours(), "hour")
    } else if d.num_minutes() >= 1 {
        plural(d.num_minutes(), "minute")
    } else {
        plural(d.num_seconds(), "second")
    }
}

/// Parses a duration like `1d`, `36h`, `90m`, `45s` or `500ms` (what
/// `--max-clock-skew` takes) into milliseconds.
pub fn parse_duration_ms(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let bad = || format!("'{text}' is not a duration; write it like 1d, 36h, 90m, 45s or 500ms");
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = t.split_at(split);
    let n: u64 = n.parse().map_err(|_| bad())?;
    let per: u64 = match unit.trim() {
        "ms" => 1,
        "s" => 1000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad()),
    };
    n.checked_mul(per).ok_or_else(bad)
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
        // Digits only (no sign), at most 20 and 10 of them: `server::openapi::HLC_PATTERN`.
        let digits = |p: &str, most: usize| !p.is_empty() && p.len() <= most && p.bytes().all(|b| b.is_ascii_digit());
        let mut parts = s.split('.');
        let wall = parts
            .next()
            .filter(|p| digits(p, 20))
            .and_then(|p| p.parse().ok())
            .ok_or_else(bad)?;
        let counter = parts
            .next()
            .filter(|p| digits(p, 10))
            .and_then(|p| p.parse().ok())
            .ok_or_else(bad)?;
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
    fn bounds_refuse_saturated_and_future_clocks_and_the_counter_rolls_over() {
        let now = 1_700_000_000_000;
        let poison: Hlc = "18446744073709551615.4294967295.0000000000000001"
            .parse()
            .expect("decodes");
        assert!(poison.check_bounds(now, Hlc::DEFAULT_MAX_SKEW_MS).is_err());
        let future = Hlc {
            wall: 9_999_999_999_999,
            counter: 0,
            replica: ReplicaId(1),
        };
        let e = future.check_bounds(now, Hlc::DEFAULT_MAX_SKEW_MS).expect_err("refused");
        assert!(e.contains("2286-11-20") && e.contains("ahead"), "{e}");
        assert!(Hlc::observe_bounded(Hlc::ZERO, future, now).is_none());
        let fine = Hlc {
            wall: now + 3_600_000,
            counter: 3,
            replica: ReplicaId(1),
        };
        assert_eq!(Hlc::observe_bounded(Hlc::ZERO, fine, now), Some(fine));
        let full = Hlc {
            wall: now,
            counter: Hlc::MAX_COUNTER,
            replica: ReplicaId(1),
        };
        let next = Hlc::tick(full, now, ReplicaId(1));
        assert!(next > full && next.counter == 0 && next.wall == now + 1);
        assert_eq!(parse_duration_ms("1d"), Ok(86_400_000));
        assert_eq!(parse_duration_ms("90m"), Ok(5_400_000));
        assert!(parse_duration_ms("d").is_err() && parse_duration_ms("5y").is_err());
    }

    proptest::proptest! {
        #[test]
        fn clock_text_never_panics_and_round_trips(s in "\\PC{0,40}", wall in 0u64..=Hlc::MAX_WALL, counter in 0u32..=Hlc::MAX_COUNTER, r in 1u64..) {
            let _ = s.parse::<Hlc>();
            let _ = parse_duration_ms(&s);
            let h = Hlc { wall, counter, replica: ReplicaId(r) };
            proptest::prop_assert_eq!(h.to_string().parse::<Hlc>(), Ok(h));
            let next = Hlc::tick(h, wall, ReplicaId(r));
            proptest::prop_assert!(next > h && next.counter <= Hlc::MAX_COUNTER);
        }
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
