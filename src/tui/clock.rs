//! The TUI's idea of now and of the local time zone. Injected, so tests and screenshots
//! are stable; the real one reads the system clock and zone.

use chrono::{DateTime, Duration, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::model::WallClock;

/// A time zone: the machine's, or a named one (tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    /// The machine's local zone.
    Local,
    /// A fixed IANA zone.
    Named(chrono_tz::Tz),
}

/// Now and the zone times are shown in. Now is the app's one clock
/// ([`crate::app::App::clock`]), so what the TUI shows and what it writes agree.
#[derive(Clone, Debug)]
pub struct Clock {
    /// Where now comes from.
    wall: WallClock,
    /// Zone for showing times.
    pub zone: Zone,
}

impl Clock {
    /// `wall` shown in `zone`.
    #[must_use]
    pub fn new(wall: WallClock, zone: Zone) -> Self {
        Self { wall, zone }
    }

    /// The system clock in the local zone.
    #[must_use]
    pub fn system() -> Self {
        Self::new(WallClock::system(), Zone::Local)
    }

    /// A clock stopped at `now`, showing times in `zone`.
    #[must_use]
    pub fn fixed(now: DateTime<Utc>, zone: chrono_tz::Tz) -> Self {
        Self::new(WallClock::manual(now), Zone::Named(zone))
    }

    /// Now, in UTC.
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        self.wall.now()
    }

    /// Today in the shown zone.
    #[must_use]
    pub fn today(&self) -> NaiveDate {
        self.local(self.now()).date()
    }

    /// A UTC time as wall time in the shown zone.
    #[must_use]
    pub fn local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        match self.zone {
            Zone::Local => t.with_timezone(&Local).naive_local(),
            Zone::Named(tz) => t.with_timezone(&tz).naive_local(),
        }
    }

    /// Wall time in the shown zone as UTC (the earlier one in a DST fold; a time in a DST
    /// gap moves an hour on).
    #[must_use]
    pub fn utc(&self, wall: NaiveDateTime) -> DateTime<Utc> {
        let convert = |w: NaiveDateTime| match self.zone {
            Zone::Local => Local.from_local_datetime(&w).earliest().map(|d| d.with_timezone(&Utc)),
            Zone::Named(tz) => tz.from_local_datetime(&w).earliest().map(|d| d.with_timezone(&Utc)),
        };
        convert(wall)
            .or_else(|| convert(wall + Duration::hours(1)))
            .unwrap_or_else(|| Utc.from_utc_datetime(&wall))
    }

    /// Start and end (UTC) of a local day.
    #[must_use]
    pub fn day_bounds(&self, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = self.utc(day.and_hms_opt(0, 0, 0).unwrap_or_default());
        let end = self.utc((day + Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default());
        (start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_gives_local_days() {
        let now = "2026-03-10T23:30:00Z".parse::<DateTime<Utc>>().expect("time");
        let c = Clock::fixed(now, chrono_tz::Europe::Berlin);
        assert_eq!(c.today().to_string(), "2026-03-11");
        let (s, e) = c.day_bounds(c.today());
        assert_eq!(s.to_rfc3339(), "2026-03-10T23:00:00+00:00");
        assert_eq!((e - s).num_hours(), 24);
    }
}
