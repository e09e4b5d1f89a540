//! Recurrence rules (the RFC 5545 RRULE subset outpost stores: FREQ DAILY, WEEKLY,
//! MONTHLY, YEARLY with INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY, BYMONTH and WKST) and
//! their expansion into instants.
//!
//! A recurring event is stored once (its first start, its zone, the rule text and its
//! exception dates) and expanded when read. Expansion works on local wall-clock times in
//! the event's zone and turns each into an instant the RFC 5545 way: a local time that
//! does not exist (spring forward) is read with the offset before the gap (02:30 in
//! Berlin on the last Sunday of March is 03:30 CEST), and a local time that exists twice
//! (fall back) is the first of the two. Every instant appears once, even when two local
//! times fall on the same instant (the known duplicate of the `rrule` crate).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};

/// How often a rule repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freq {
    /// Every day.
    Daily,
    /// Every week.
    Weekly,
    /// Every month.
    Monthly,
    /// Every year.
    Yearly,
}

/// When a rule stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    /// The last day (inclusive), for all-day events or a date-only UNTIL.
    Date(NaiveDate),
    /// The last instant (inclusive).
    Instant(DateTime<Utc>),
}

/// A parsed recurrence rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// FREQ.
    pub freq: Freq,
    /// INTERVAL (1 when absent).
    pub interval: u32,
    /// COUNT.
    pub count: Option<u32>,
    /// UNTIL.
    pub until: Option<Until>,
    /// BYDAY: (ordinal, weekday); the ordinal (1, 2, -1...) only for MONTHLY/YEARLY.
    pub by_day: Vec<(Option<i8>, Weekday)>,
    /// BYMONTHDAY (1..=31 or -31..=-1).
    pub by_month_day: Vec<i8>,
    /// BYMONTH (1..=12).
    pub by_month: Vec<u8>,
    /// WKST (Monday when absent).
    pub week_start: Weekday,
}

const DAYS: [(&str, Weekday); 7] = [
    ("MO", Weekday::Mon),
    ("TU", Weekday::Tue),
    ("WE", Weekday::Wed),
    ("TH", Weekday::Thu),
    ("FR", Weekday::Fri),
    ("SA", Weekday::Sat),
    ("SU", Weekday::Sun),
];

fn day_code(d: Weekday) -> &'static str {
    DAYS.iter().find(|(_, w)| *w == d).map_or("MO", |(c, _)| c)
}

fn parse_day(text: &str) -> Option<Weekday> {
    DAYS.iter().find(|(c, _)| c.eq_ignore_ascii_case(text)).map(|(_, w)| *w)
}

/// Reads an UNTIL value: `YYYYMMDD`, `YYYYMMDDTHHMMSSZ`, a local `YYYYMMDDTHHMMSS` (read
/// in `tz`), or the ISO forms `YYYY-MM-DD` and RFC 3339.
fn parse_until(text: &str, tz: Option<chrono_tz::Tz>) -> Option<Until> {
    let t = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y%m%d") {
        return Some(Until::Date(d));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(Until::Date(d));
    }
    if let Some(z) = t.strip_suffix('Z').or_else(|| t.strip_suffix('z'))
        && let Ok(n) = NaiveDateTime::parse_from_str(z, "%Y%m%dT%H%M%S")
    {
        return Some(Until::Instant(Utc.from_utc_datetime(&n)));
    }
    if let Ok(n) = NaiveDateTime::parse_from_str(t, "%Y%m%dT%H%M%S") {
        return Some(Until::Instant(match tz {
            Some(tz) => local_instant(&tz, n),
            None => Utc.from_utc_datetime(&n),
        }));
    }
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| Until::Instant(d.with_timezone(&Utc)))
}

impl Rule {
    /// Parses RRULE text (`FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10`, an optional `RRULE:`
    /// prefix, any case). `tz` reads a local UNTIL. Errors name the part that is wrong.
    pub fn parse(text: &str, tz: Option<chrono_tz::Tz>) -> Result<Self, String> {
        let body = text.trim();
        let body = body
            .get(..6)
            .filter(|p| p.eq_ignore_ascii_case("RRULE:"))
            .map_or(body, |_| &body[6..]);
        let mut freq = None;
        let mut rule = Rule {
            freq: Freq::Daily,
            interval: 1,
            count: None,
            until: None,
            by_day: Vec::new(),
            by_month_day: Vec::new(),
            by_month: Vec::new(),
            week_start: Weekday::Mon,
        };
        for part in body.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("'{part}' is not NAME=VALUE"))?;
            let value = value.trim();
            match key.trim().to_ascii_uppercase().as_str() {
                "FREQ" => {
                    freq = Some(match value.to_ascii_uppercase().as_str() {
                        "DAILY" => Freq::Daily,
                        "WEEKLY" => Freq::Weekly,
                        "MONTHLY" => Freq::Monthly,
                        "YEARLY" => Freq::Yearly,
                        other => {
                            return Err(format!(
                                "FREQ={other} is not supported (use DAILY, WEEKLY, MONTHLY or YEARLY)"
                            ));
                        }
                    });
                }
                "INTERVAL" => {
                    rule.interval = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| format!("INTERVAL={value} is not a whole number from 1 to 1000"))?;
                }
                "COUNT" => {
                    rule.count = Some(
                        value
                            .parse()
                            .ok()
                            .filter(|n| (1..=100_000).contains(n))
                            .ok_or_else(|| format!("COUNT={value} is not a whole number from 1 to 100000"))?,
                    );
                }
                "UNTIL" => {
                    rule.until = Some(parse_until(value, tz).ok_or_else(|| {
                        format!("UNTIL={value} is not a date (YYYYMMDD) or a time (YYYYMMDDTHHMMSSZ)")
                    })?);
                }
                "BYDAY" => {
                    for d in value.split(',').map(str::trim) {
                        let split = d.len().saturating_sub(2);
                        let (num, code) = d.split_at(split);
                        let day = parse_day(code).ok_or_else(|| format!("BYDAY: '{d}' is not a weekday (MO..SU)"))?;
                        let ord = if num.is_empty() {
                            None
                        } else {
                            let n: i8 = num
                                .trim_start_matches('+')
                                .parse()
                                .ok()
                                .filter(|n: &i8| *n != 0 && (-53..=53).contains(n))
                                .ok_or_else(|| format!("BYDAY: '{d}' has a bad ordinal"))?;
                            Some(n)
                        };
                        rule.by_day.push((ord, day));
                    }
                }
                "BYMONTHDAY" => {
                    for d in value.split(',').map(str::trim) {
                        let n: i8 = d
                            .trim_start_matches('+')
                            .parse()
                            .ok()
                            .filter(|n: &i8| *n != 0 && (-31..=31).contains(n))
                            .ok_or_else(|| format!("BYMONTHDAY: '{d}' is not a day of the month (1..31, -31..-1)"))?;
                        rule.by_month_day.push(n);
                    }
                }
                "BYMONTH" => {
                    for d in value.split(',').map(str::trim) {
                        let n: u8 = d
                            .parse()
                            .ok()
                            .filter(|n| (1..=12).contains(n))
                            .ok_or_else(|| format!("BYMONTH: '{d}' is not a month (1..12)"))?;
                        rule.by_month.push(n);
                    }
                }
                "WKST" => {
                    rule.week_start = parse_day(value).ok_or_else(|| format!("WKST: '{value}' is not a weekday"))?;
                }
                other => {
                    return Err(format!(
                        "{other} is not supported (supported: FREQ, INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY, BYMONTH, WKST)"
                    ));
                }
            }
        }
        rule.freq = freq.ok_or("FREQ is missing (e.g. FREQ=WEEKLY;BYDAY=MO)")?;
        if rule.count.is_some() && rule.until.is_some() {
            return Err("COUNT and UNTIL cannot both be given".into());
        }
        if rule.freq != Freq::Monthly && rule.freq != Freq::Yearly && rule.by_day.iter().any(|(o, _)| o.is_some()) {
            return Err("BYDAY with a number (1MO, -1FR) needs FREQ=MONTHLY or FREQ=YEARLY".into());
        }
        if rule.freq == Freq::Weekly && !rule.by_month_day.is_empty() {
            return Err("BYMONTHDAY cannot be used with FREQ=WEEKLY".into());
        }
        Ok(rule)
    }

    /// The canonical RRULE text (without the `RRULE:` prefix), the form stored and
    /// exported: `FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=10`.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "FREQ={}",
            match self.freq {
                Freq::Daily => "DAILY",
                Freq::Weekly => "WEEKLY",
                Freq::Monthly => "MONTHLY",
                Freq::Yearly => "YEARLY",
            }
        );
        if self.interval != 1 {
            out.push_str(&format!(";INTERVAL={}", self.interval));
        }
        if !self.by_month.is_empty() {
            let v: Vec<String> = self.by_month.iter().map(u8::to_string).collect();
            out.push_str(&format!(";BYMONTH={}", v.join(",")));
        }
        if !self.by_month_day.is_empty() {
            let v: Vec<String> = self.by_month_day.iter().map(i8::to_string).collect();
            out.push_str(&format!(";BYMONTHDAY={}", v.join(",")));
        }
        if !self.by_day.is_empty() {
            let v: Vec<String> = self
                .by_day
                .iter()
                .map(|(o, d)| format!("{}{}", o.map(|n| n.to_string()).unwrap_or_default(), day_code(*d)))
                .collect();
            out.push_str(&format!(";BYDAY={}", v.join(",")));
        }
        if self.week_start != Weekday::Mon {
            out.push_str(&format!(";WKST={}", day_code(self.week_start)));
        }
        if let Some(c) = self.count {
            out.push_str(&format!(";COUNT={c}"));
        }
        match self.until {
            Some(Until::Date(d)) => out.push_str(&format!(";UNTIL={}", d.format("%Y%m%d"))),
            Some(Until::Instant(i)) => out.push_str(&format!(";UNTIL={}", i.format("%Y%m%dT%H%M%SZ"))),
            None => {}
        }
        out
    }

    /// The days of one period (the period holding `day`), in order, before the
    /// first-occurrence and window checks.
    fn days_of_period(&self, first: NaiveDate, period: i64) -> Vec<NaiveDate> {
        let step = i64::from(self.interval) * period;
        let mut days = match self.freq {
            Freq::Daily => {
                let d = first + Duration::days(step);
                if self.by_day.iter().all(|(_, w)| *w == d.weekday()) || self.by_day.is_empty() {
                    vec![d]
                } else {
                    Vec::new()
                }
            }
            Freq::Weekly => {
                let back = (7 + first.weekday().num_days_from_monday() - self.week_start.num_days_from_monday()) % 7;
                let week = first - Duration::days(i64::from(back)) + Duration::weeks(step);
                if self.by_day.is_empty() {
                    vec![week + Duration::days(i64::from(back))]
                } else {
                    let mut v: Vec<NaiveDate> = (0..7)
                        .map(|i| week + Duration::days(i))
                        .filter(|d| self.by_day.iter().any(|(_, w)| *w == d.weekday()))
                        .collect();
                    v.sort();
                    v
                }
            }
            Freq::Monthly => {
                let months = i64::from(first.year()) * 12 + i64::from(first.month0()) + step;
                let (y, m) = (months.div_euclid(12), months.rem_euclid(12) + 1);
                let (Ok(y), Ok(m)) = (i32::try_from(y), u32::try_from(m)) else {
                    return Vec::new();
                };
                self.days_of_month(first, y, m)
            }
            Freq::Yearly => {
                let Ok(y) = i32::try_from(i64::from(first.year()) + step) else {
                    return Vec::new();
                };
                if self.by_month.is_empty() && self.by_month_day.is_empty() && !self.by_day.is_empty() {
                    // Weekdays of the whole year (ordinals count within the year).
                    let (Some(a), Some(b)) = (NaiveDate::from_ymd_opt(y, 1, 1), NaiveDate::from_ymd_opt(y, 12, 31))
                    else {
                        return Vec::new();
                    };
                    return nth_days(a, b, &self.by_day);
                }
                let months: Vec<u32> = if self.by_month.is_empty() {
                    vec![first.month()]
                } else {
                    self.by_month.iter().map(|m| u32::from(*m)).collect()
                };
                let mut v: Vec<NaiveDate> = months.iter().flat_map(|m| self.days_of_month(first, y, *m)).collect();
                v.sort();
                v.dedup();
                v
            }
        };
        if !self.by_month.is_empty() {
            days.retain(|d| self.by_month.iter().any(|m| u32::from(*m) == d.month()));
        }
        if !self.by_month_day.is_empty() && self.freq == Freq::Daily {
            days.retain(|d| {
                self.by_month_day
                    .iter()
                    .any(|n| month_day(d.year(), d.month(), *n) == Some(*d))
            });
        }
        days
    }

    fn days_of_month(&self, first: NaiveDate, y: i32, m: u32) -> Vec<NaiveDate> {
        let Some(a) = NaiveDate::from_ymd_opt(y, m, 1) else {
            return Vec::new();
        };
        let b = last_of_month(y, m);
        let mut v: Vec<NaiveDate> = if !self.by_month_day.is_empty() {
            let mut v: Vec<NaiveDate> = self
                .by_month_day
                .iter()
                .filter_map(|n| month_day(y, m, *n))
                .filter(|d| self.by_day.is_empty() || self.by_day.iter().any(|(_, w)| *w == d.weekday()))
                .collect();
            v.sort();
            v.dedup();
            v
        } else if !self.by_day.is_empty() {
            nth_days(a, b, &self.by_day)
        } else {
            NaiveDate::from_ymd_opt(y, m, first.day()).into_iter().collect()
        };
        v.retain(|d| *d >= a && *d <= b);
        v
    }
}

fn last_of_month(y: i32, m: u32) -> NaiveDate {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(NaiveDate::MIN)
}

fn month_day(y: i32, m: u32, n: i8) -> Option<NaiveDate> {
    if n > 0 {
        NaiveDate::from_ymd_opt(y, m, u32::try_from(n).ok()?)
    } else {
        let last = last_of_month(y, m);
        let d = last - Duration::days(i64::from(-n) - 1);
        (d.month() == m).then_some(d)
    }
}

/// The days in `[a, b]` that match BYDAY entries, an ordinal counting within the range.
fn nth_days(a: NaiveDate, b: NaiveDate, by_day: &[(Option<i8>, Weekday)]) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    for (ord, wd) in by_day {
        let all: Vec<NaiveDate> = a
            .iter_days()
            .take_while(|d| *d <= b)
            .filter(|d| d.weekday() == *wd)
            .collect();
        match ord {
            None => out.extend(all),
            Some(n) if *n > 0 => out.extend(all.get(usize::try_from(*n - 1).unwrap_or(usize::MAX)).copied()),
            Some(n) => {
                let back = usize::try_from(-i16::from(*n)).unwrap_or(usize::MAX);
                if back <= all.len() {
                    out.push(all[all.len() - back]);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A local wall-clock time in `tz` as an instant, the RFC 5545 way: a time in a gap is
/// read with the offset before the gap, a time that exists twice is the first.
pub fn local_instant<Z: TimeZone>(tz: &Z, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(d) => d.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(a, b) => a.with_timezone(&Utc).min(b.with_timezone(&Utc)),
        chrono::LocalResult::None => {
            // The offset in force just before the gap (gaps are at most a few hours).
            let before = (1..=26)
                .map(|h| local - Duration::hours(h))
                .find_map(|t| tz.from_local_datetime(&t).earliest());
            match before {
                Some(b) => {
                    let offset = b.naive_local() - b.naive_utc();
                    Utc.from_utc_datetime(&(local - offset))
                }
                None => Utc.from_utc_datetime(&local),
            }
        }
    }
}

/// What one event contributes to expansion.
#[derive(Clone, Debug)]
pub struct Series<'a> {
    /// The first start.
    pub start: DateTime<Utc>,
    /// Its zone (UTC when none).
    pub tz: Option<chrono_tz::Tz>,
    /// The rule (none: a single occurrence).
    pub rule: Option<&'a Rule>,
    /// Exception dates: a date removes the occurrence on that local day, an instant the
    /// occurrence starting then.
    pub exdates: &'a [Exdate],
}

/// One EXDATE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exdate {
    /// Every occurrence on that local day.
    Date(NaiveDate),
    /// The occurrence starting at that instant.
    Instant(DateTime<Utc>),
}

impl Exdate {
    /// Reads `YYYY-MM-DD`, `YYYYMMDD`, RFC 3339 or `YYYYMMDDTHHMMSSZ`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(t, "%Y%m%d")) {
            return Ok(Exdate::Date(d));
        }
        match parse_until(t, None) {
            Some(Until::Instant(i)) => Ok(Exdate::Instant(i)),
            _ => Err(format!(
                "'{t}' is not an exception date (YYYY-MM-DD, or a time as 2026-03-02T09:00:00Z)"
            )),
        }
    }

    /// The stored text: `YYYY-MM-DD` or RFC 3339 in UTC.
    #[must_use]
    pub fn to_text(&self) -> String {
        match self {
            Exdate::Date(d) => d.to_string(),
            Exdate::Instant(i) => i.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

/// At most this many periods are walked for one series (a rule that never matches, such
/// as BYMONTHDAY=31;BYMONTH=2, stops here instead of looping).
const MAX_PERIODS: i64 = 200_000;

impl Series<'_> {
    fn local_date(&self, i: DateTime<Utc>) -> NaiveDateTime {
        match self.tz {
            Some(tz) => i.with_timezone(&tz).naive_local(),
            None => i.naive_utc(),
        }
    }

    fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self.tz {
            Some(tz) => local_instant(&tz, local),
            None => Utc.from_utc_datetime(&local),
        }
    }

    /// The starts of the occurrences that begin before `to` and end after `from`
    /// (`duration` long), in order, each instant once, EXDATEs removed.
    #[must_use]
    pub fn starts(&self, duration: Duration, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let first_local = self.local_date(self.start);
        let time = first_local.time();
        let first = first_local.date();
        let excluded = |i: DateTime<Utc>| {
            let day = self.local_date(i).date();
            self.exdates.iter().any(|x| match x {
                Exdate::Date(d) => *d == day,
                Exdate::Instant(t) => *t == i,
            })
        };
        let mut out: Vec<DateTime<Utc>> = Vec::new();
        let keep = |i: DateTime<Utc>, out: &mut Vec<DateTime<Utc>>| {
            if i < to && (i + duration > from || i >= from) && !excluded(i) && out.last() != Some(&i) {
                out.push(i);
            }
        };
        let Some(rule) = self.rule else {
            keep(self.start, &mut out);
            return out;
        };
        let mut seen: u32 = 0;
        let mut last: Option<DateTime<Utc>> = None;
        // DTSTART is always the first occurrence.
        seen += 1;
        last = last.max(Some(self.start));
        keep(self.start, &mut out);
        let past_until = |i: DateTime<Utc>, day: NaiveDate| match rule.until {
            Some(Until::Date(d)) => day > d,
            Some(Until::Instant(u)) => i > u,
            None => false,
        };
        for period in 0..MAX_PERIODS {
            if rule.count.is_some_and(|c| seen >= c) {
                break;
            }
            let days = rule.days_of_period(first, period);
            let mut stop = false;
            for day in days {
                if day < first {
                    continue;
                }
                let i = self.instant(day.and_time(time));
                if i <= self.start || last.is_some_and(|l| i <= l) {
                    // The first start (counted already), or a second local time on the
                    // same instant (a gap folded onto the next hour).
                    continue;
                }
                if past_until(i, day) || i >= to {
                    stop = true;
                    break;
                }
                seen += 1;
                last = Some(i);
                keep(i, &mut out);
                if rule.count.is_some_and(|c| seen >= c) {
                    stop = true;
                    break;
                }
            }
            if stop {
                break;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
    }

    fn tz(name: &str) -> chrono_tz::Tz {
        name.parse().expect("zone")
    }

    fn expand(start: &str, zone: &str, rule: &str, ex: &[&str]) -> Vec<String> {
        let z = tz(zone);
        let rule = Rule::parse(rule, Some(z)).expect("rule");
        let exdates: Vec<Exdate> = ex.iter().map(|e| Exdate::parse(e).expect("exdate")).collect();
        let s = Series {
            start: utc(start),
            tz: Some(z),
            rule: Some(&rule),
            exdates: &exdates,
        };
        s.starts(
            Duration::hours(1),
            utc("1990-01-01T00:00:00Z"),
            utc("2100-01-01T00:00:00Z"),
        )
        .iter()
        .map(|i| i.with_timezone(&z).to_rfc3339())
        .collect()
    }

    #[test]
    fn weekly_by_day_with_count_matches_a_hand_written_list() {
        // Monday 2 March 2026 09:00 Berlin; Mondays and Wednesdays, ten times, across
        // the spring-forward of 29 March: the local time stays 09:00.
        let got = expand(
            "2026-03-02T08:00:00Z",
            "Europe/Berlin",
            "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10",
            &[],
        );
        assert_eq!(
            got,
            [
                "2026-03-02T09:00:00+01:00",
                "2026-03-04T09:00:00+01:00",
                "2026-03-09T09:00:00+01:00",
                "2026-03-11T09:00:00+01:00",
                "2026-03-16T09:00:00+01:00",
                "2026-03-18T09:00:00+01:00",
                "2026-03-23T09:00:00+01:00",
                "2026-03-25T09:00:00+01:00",
                "2026-03-30T09:00:00+02:00",
                "2026-04-01T09:00:00+02:00",
            ]
        );
    }

    #[test]
    fn exdate_removes_a_day_but_still_counts() {
        let got = expand(
            "2026-03-02T08:00:00Z",
            "Europe/Berlin",
            "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4",
            &["2026-03-04", "2026-03-09T08:00:00Z"],
        );
        assert_eq!(got, ["2026-03-02T09:00:00+01:00", "2026-03-11T09:00:00+01:00"]);
    }

    #[test]
    fn berlin_spring_forward_gap_is_read_with_the_offset_before_and_never_doubled() {
        // Daily at 02:30 local: on 29 March 2026 02:30 does not exist in Berlin; that
        // occurrence is 03:30 CEST (01:30 UTC), once.
        let got = expand("2026-03-27T01:30:00Z", "Europe/Berlin", "FREQ=DAILY;COUNT=4", &[]);
        assert_eq!(
            got,
            [
                "2026-03-27T02:30:00+01:00",
                "2026-03-28T02:30:00+01:00",
                "2026-03-29T03:30:00+02:00",
                "2026-03-30T02:30:00+02:00",
            ]
        );
    }

    #[test]
    fn weekly_across_the_gap_and_a_repeated_day_give_each_instant_once() {
        let got = expand(
            "2026-03-22T01:30:00Z",
            "Europe/Berlin",
            "FREQ=WEEKLY;BYDAY=SU,SU;COUNT=3",
            &[],
        );
        assert_eq!(
            got,
            [
                "2026-03-22T02:30:00+01:00",
                "2026-03-29T03:30:00+02:00",
                "2026-04-05T02:30:00+02:00",
            ]
        );
    }

    #[test]
    fn new_york_fall_back_doubled_time_is_the_first() {
        // 01:30 exists twice on 1 November 2026 in New York: EDT (-04:00) is taken.
        let got = expand("2026-10-31T05:30:00Z", "America/New_York", "FREQ=DAILY;COUNT=3", &[]);
        assert_eq!(
            got,
            [
                "2026-10-31T01:30:00-04:00",
                "2026-11-01T01:30:00-04:00",
                "2026-11-02T01:30:00-05:00",
            ]
        );
    }

    #[test]
    fn new_york_spring_forward() {
        // 8 March 2026: 02:15 does not exist; it becomes 03:15 EDT.
        let got = expand("2026-03-07T07:15:00Z", "America/New_York", "FREQ=DAILY;COUNT=3", &[]);
        assert_eq!(
            got,
            [
                "2026-03-07T02:15:00-05:00",
                "2026-03-08T03:15:00-04:00",
                "2026-03-09T02:15:00-04:00",
            ]
        );
    }

    #[test]
    fn sydney_changes_in_the_southern_spring_and_autumn() {
        // Sydney leaves daylight time on 5 April 2026 (03:00 -> 02:00: 02:30 twice) and
        // starts it on 4 October 2026 (02:00 -> 03:00: 02:30 missing).
        let got = expand("2026-04-04T15:30:00Z", "Australia/Sydney", "FREQ=DAILY;COUNT=2", &[]);
        assert_eq!(got, ["2026-04-05T02:30:00+11:00", "2026-04-06T02:30:00+10:00"]);
        let got = expand("2026-10-02T16:30:00Z", "Australia/Sydney", "FREQ=DAILY;COUNT=3", &[]);
        assert_eq!(
            got,
            [
                "2026-10-03T02:30:00+10:00",
                "2026-10-04T03:30:00+11:00",
                "2026-10-05T02:30:00+11:00",
            ]
        );
        // Weekly 09:00 meetings keep their local time across the change.
        let got = expand("2026-09-28T23:00:00Z", "Australia/Sydney", "FREQ=WEEKLY;COUNT=2", &[]);
        assert_eq!(got, ["2026-09-29T09:00:00+10:00", "2026-10-06T09:00:00+11:00"]);
    }

    #[test]
    fn monthly_yearly_interval_until_and_month_days() {
        // The 31st: months without one are skipped.
        let got = expand("2026-01-31T09:00:00Z", "UTC", "FREQ=MONTHLY;COUNT=4", &[]);
        assert_eq!(
            got,
            [
                "2026-01-31T09:00:00+00:00",
                "2026-03-31T09:00:00+00:00",
                "2026-05-31T09:00:00+00:00",
                "2026-07-31T09:00:00+00:00",
            ]
        );
        // Last Friday of every other month until the end of 2026.
        let got = expand(
            "2026-01-30T09:00:00Z",
            "UTC",
            "FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR;UNTIL=20261231",
            &[],
        );
        assert_eq!(
            got,
            [
                "2026-01-30T09:00:00+00:00",
                "2026-03-27T09:00:00+00:00",
                "2026-05-29T09:00:00+00:00",
                "2026-07-31T09:00:00+00:00",
                "2026-09-25T09:00:00+00:00",
                "2026-11-27T09:00:00+00:00",
            ]
        );
        // BYMONTHDAY=-1: the last day of each month.
        let got = expand(
            "2026-01-31T12:00:00Z",
            "UTC",
            "FREQ=MONTHLY;BYMONTHDAY=1,-1;COUNT=4",
            &[],
        );
        assert_eq!(
            got,
            [
                "2026-01-31T12:00:00+00:00",
                "2026-02-01T12:00:00+00:00",
                "2026-02-28T12:00:00+00:00",
                "2026-03-01T12:00:00+00:00",
            ]
        );
        // 29 February: only leap years.
        let got = expand("2024-02-29T10:00:00Z", "UTC", "FREQ=YEARLY;COUNT=3", &[]);
        assert_eq!(
            got,
            [
                "2024-02-29T10:00:00+00:00",
                "2028-02-29T10:00:00+00:00",
                "2032-02-29T10:00:00+00:00",
            ]
        );
        // Daily every third day until an instant (inclusive).
        let got = expand(
            "2026-06-01T10:00:00Z",
            "UTC",
            "FREQ=DAILY;INTERVAL=3;UNTIL=20260607T100000Z",
            &[],
        );
        assert_eq!(
            got,
            [
                "2026-06-01T10:00:00+00:00",
                "2026-06-04T10:00:00+00:00",
                "2026-06-07T10:00:00+00:00",
            ]
        );
        // US Thanksgiving: yearly, fourth Thursday of November.
        let got = expand(
            "2026-11-26T17:00:00Z",
            "UTC",
            "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH;COUNT=3",
            &[],
        );
        assert_eq!(
            got,
            [
                "2026-11-26T17:00:00+00:00",
                "2027-11-25T17:00:00+00:00",
                "2028-11-23T17:00:00+00:00",
            ]
        );
    }

    #[test]
    fn rules_round_trip_and_bad_parts_are_named() {
        for text in [
            "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10",
            "FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR;UNTIL=20261231",
            "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
            "FREQ=DAILY;UNTIL=20260607T100000Z",
        ] {
            assert_eq!(Rule::parse(text, None).expect(text).to_text(), text);
        }
        assert_eq!(
            Rule::parse("rrule:freq=weekly;byday=mo", None)
                .expect("lower")
                .to_text(),
            "FREQ=WEEKLY;BYDAY=MO"
        );
        for (bad, says) in [
            ("BYDAY=MO", "FREQ is missing"),
            ("FREQ=HOURLY", "HOURLY"),
            ("FREQ=WEEKLY;BYDAY=XX", "XX"),
            ("FREQ=WEEKLY;COUNT=0", "COUNT"),
            ("FREQ=WEEKLY;COUNT=2;UNTIL=20260101", "both"),
            ("FREQ=WEEKLY;BYSETPOS=1", "BYSETPOS"),
            ("FREQ=WEEKLY;BYDAY=1MO", "MONTHLY"),
            ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY"),
        ] {
            let e = Rule::parse(bad, None).expect_err(bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn a_rule_that_never_matches_ends() {
        let got = expand(
            "2026-01-31T09:00:00Z",
            "UTC",
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31",
            &[],
        );
        assert_eq!(got, ["2026-01-31T09:00:00+00:00"]);
    }

    #[test]
    fn windows_cut_the_expansion_and_count_still_starts_at_the_first() {
        let z = tz("Europe/Berlin");
        let rule = Rule::parse("FREQ=DAILY;COUNT=10", None).expect("rule");
        let s = Series {
            start: utc("2026-01-01T08:00:00Z"),
            tz: Some(z),
            rule: Some(&rule),
            exdates: &[],
        };
        let got = s.starts(
            Duration::hours(1),
            utc("2026-01-09T00:00:00Z"),
            utc("2026-02-01T00:00:00Z"),
        );
        assert_eq!(got, [utc("2026-01-09T08:00:00Z"), utc("2026-01-10T08:00:00Z")]);
        // An occurrence that started before the window and still runs is in it.
        let got = s.starts(
            Duration::hours(2),
            utc("2026-01-05T09:00:00Z"),
            utc("2026-01-05T10:00:00Z"),
        );
        assert_eq!(got, [utc("2026-01-05T08:00:00Z")]);
    }
}
