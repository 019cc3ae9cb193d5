//! Where "now" comes from, and what "today" means for an effective date.
//!
//! Every date the service derives from the current time — the "today" an
//! effective date is checked against, the analysis date of the statistics,
//! the day the alert rules measure delays on, the year of a new reference,
//! the day the seeded portfolio is simulated up to — is read from a
//! [`Clock`]. A demo or a test pins it (`clock.pinned`) and gets the same
//! answers on any calendar day. Recorded times (`recorded_at`, delivery
//! attempts) stay on the system clock: they say when something really
//! happened.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// The system clock, or an instant that never moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    #[default]
    System,
    Pinned(DateTime<Utc>),
}

impl Clock {
    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Pinned(at) => *at,
        }
    }

    /// The office's present in `zone` (`office.timezone`).
    pub fn today(&self, zone: Tz) -> Today {
        Today::at(self.now(), zone)
    }
}

/// The office's present: the instant, and the date it is in the office's
/// time zone. One date for the register, the alerts and the statistics: an
/// effective date after it is in the future, the alert rules measure delays
/// up to it, the statistics are as of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Today {
    pub date: NaiveDate,
    pub now: DateTime<Utc>,
    pub zone: Tz,
}

impl Today {
    /// The present at the instant `now` (read from a [`Clock`]) in `zone`.
    pub fn at(now: DateTime<Utc>, zone: Tz) -> Today {
        Today {
            date: now.with_timezone(&zone).date_naive(),
            now,
            zone,
        }
    }

    /// Noon (UTC) on `date`, for tests.
    pub fn on(date: NaiveDate) -> Today {
        let noon = date.and_hms_opt(12, 0, 0).expect("noon exists").and_utc();
        Today::at(noon, Tz::UTC)
    }

    /// The office's date at the instant `at`.
    pub fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    /// The first instant of `date` in the office's zone (the earliest
    /// instant it could mean).
    pub fn start_of(&self, date: NaiveDate) -> DateTime<Utc> {
        use chrono::TimeZone;
        let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
        match self.zone.from_local_datetime(&midnight) {
            chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
                t.with_timezone(&Utc)
            }
            // Midnight skipped by a change of offset: the first hour that exists.
            chrono::LocalResult::None => self
                .zone
                .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                .earliest()
                .map_or(midnight.and_utc(), |t| t.with_timezone(&Utc)),
        }
    }
}

/// The first year an effective date may carry; earlier is a typing mistake.
pub const FIRST_YEAR: i32 = 1900;

/// Checks an effective date: not after the office's today, not absurdly old.
pub fn check_date(date: NaiveDate, today: Today) -> Result<(), String> {
    use chrono::Datelike;
    if date > today.date {
        Err(format!(
            "must not be in the future (today is {} in {})",
            today.date, today.zone
        ))
    } else if date.year() < FIRST_YEAR {
        Err(format!("must be in {FIRST_YEAR} or later"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Clock {
        Clock::Pinned(text.parse().unwrap())
    }

    #[test]
    fn a_pinned_clock_gives_the_same_dates_every_time() {
        let clock = at("2027-02-28T23:30:00Z");
        assert_eq!(clock.now(), clock.now());
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        // Paris is already in March; UTC is not.
        let paris = clock.today("Europe/Paris".parse().unwrap());
        assert_eq!(paris.date, day("2027-03-01"));
        assert_eq!(clock.today(Tz::UTC).date, day("2027-02-28"));
        assert_eq!(
            check_date(day("2027-03-02"), paris).unwrap_err(),
            "must not be in the future (today is 2027-03-01 in Europe/Paris)"
        );
        assert!(check_date(day("2027-03-01"), paris).is_ok());
    }

    #[test]
    fn the_start_of_a_day_is_midnight_in_the_office() {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let paris = at("2026-07-14T10:00:00Z").today("Europe/Paris".parse().unwrap());
        assert_eq!(
            paris.start_of(day("2026-07-14")).to_rfc3339(),
            "2026-07-13T22:00:00+00:00"
        );
        assert_eq!(
            paris.date_of("2026-07-13T22:00:00Z".parse().unwrap()),
            day("2026-07-14")
        );
        // Midnight does not exist in Santiago on the day clocks spring
        // forward (2026-09-06): the day starts at 01:00.
        let santiago = at("2026-09-06T12:00:00Z").today("America/Santiago".parse().unwrap());
        assert_eq!(
            santiago.start_of(day("2026-09-06")).to_rfc3339(),
            "2026-09-06T04:00:00+00:00"
        );
    }

    #[test]
    fn today_follows_the_zone_across_midnight() {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // 22:59 UTC on 31 Dec is 23:59 in Paris (UTC+1 in winter): still the 31st.
        assert_eq!(
            at("2026-12-31T22:59:59Z").today(paris).date,
            day("2026-12-31")
        );
        // One second later it is midnight in Paris, while UTC is still on the 31st.
        assert_eq!(
            at("2026-12-31T23:00:00Z").today(paris).date,
            day("2027-01-01")
        );
        // Summer time: UTC+2.
        assert_eq!(
            at("2026-07-14T22:30:00Z").today(paris).date,
            day("2026-07-15")
        );
        let manila: Tz = "Asia/Manila".parse().unwrap();
        assert_eq!(
            at("2026-12-31T22:59:59Z").today(manila).date,
            day("2027-01-01")
        );
    }

    #[test]
    fn the_system_clock_moves() {
        let before = Utc::now();
        let now = Clock::System.now();
        assert!(now >= before);
    }
}
