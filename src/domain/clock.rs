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

    /// Today as the offices see it, wherever they are (see [`Today`]).
    pub fn today(&self) -> Today {
        Today::at(self.now())
    }

    /// Today's date in `zone` (the alerts' and statistics' time zone).
    pub fn today_in(&self, zone: Tz) -> NaiveDate {
        self.now().with_timezone(&zone).date_naive()
    }
}

/// Today's date as the offices see it, wherever they are: between the
/// earliest (UTC−12) and the latest (UTC+14) date on Earth right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Today {
    /// Dates after this are in the future everywhere: refused.
    pub latest: NaiveDate,
    /// What the server records as "today" for its own dating (a new draft's
    /// `status_since`), so that no office's today is before it.
    pub earliest: NaiveDate,
}

impl Today {
    /// Today at the instant `now` (read from a [`Clock`]).
    pub fn at(now: DateTime<Utc>) -> Today {
        Today {
            latest: (now + chrono::Duration::hours(14)).date_naive(),
            earliest: (now - chrono::Duration::hours(12)).date_naive(),
        }
    }

    /// A fixed day, for tests.
    pub fn on(date: NaiveDate) -> Today {
        Today {
            latest: date,
            earliest: date,
        }
    }
}

/// The first year an effective date may carry; earlier is a typing mistake.
pub const FIRST_YEAR: i32 = 1900;

/// Checks an effective date: not in the future, not absurdly old.
pub fn check_date(date: NaiveDate, today: Today) -> Result<(), String> {
    use chrono::Datelike;
    if date > today.latest {
        Err("must not be in the future".into())
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
        // Paris is already in March; Manila too; UTC is not.
        assert_eq!(
            clock.today_in("Europe/Paris".parse().unwrap()),
            day("2027-03-01")
        );
        assert_eq!(clock.today_in("UTC".parse().unwrap()), day("2027-02-28"));
        // The earliest date on Earth is UTC−12's, the latest UTC+14's.
        assert_eq!(
            clock.today(),
            Today {
                earliest: day("2027-02-28"),
                latest: day("2027-03-01"),
            }
        );
    }

    #[test]
    fn today_follows_the_zone_across_midnight() {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // 22:59 UTC on 31 Dec is 23:59 in Paris (UTC+1 in winter): still the 31st.
        assert_eq!(
            at("2026-12-31T22:59:59Z").today_in(paris),
            day("2026-12-31")
        );
        // One second later it is midnight in Paris, while UTC is still on the 31st.
        assert_eq!(
            at("2026-12-31T23:00:00Z").today_in(paris),
            day("2027-01-01")
        );
        // Summer time: UTC+2.
        assert_eq!(
            at("2026-07-14T22:30:00Z").today_in(paris),
            day("2026-07-15")
        );
        let manila: Tz = "Asia/Manila".parse().unwrap();
        assert_eq!(
            at("2026-12-31T22:59:59Z").today_in(manila),
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
