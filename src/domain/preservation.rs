//! Data preservation (docs/DOMAIN.md §2.4): an order or request that a
//! holder — a service provider or an authority — keep data until it is
//! formally requested. The data is deleted when the preservation expires,
//! which is how evidence is lost while a request waits abroad; so the
//! register keeps the expiry date, its renewals and its release, and the
//! alert rules warn before it.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

use super::vocab::vocabulary;
use super::{CountryCode, FieldErrors, Today, check_date};

vocabulary!(
    /// Under what a holder was asked to preserve: `budapest_art29` (the
    /// Budapest Convention's expedited preservation, art. 29; at least 60
    /// days, art. 29(7)), `us_2703f` (18 U.S.C. § 2703(f): 90 days,
    /// renewable once for 90 more), `e_evidence_preservation_order` (a
    /// European Preservation Order, Regulation (EU) 2023/1543 art. 6 and
    /// 11(1): 60 days), `domestic` (the holder's own law), `other`.
    PreservationBasis, "preservation basis" {
        Budapest29 => "budapest_art29" ["Budapest Convention, article 29", "Convention de Budapest, article 29"],
        Us2703f => "us_2703f" ["18 U.S.C. § 2703(f)", "18 U.S.C. § 2703(f)"],
        EEvidence => "e_evidence_preservation_order" ["European Preservation Order", "Injonction européenne de conservation"],
        Domestic => "domestic" ["Domestic law of the requested state", "Droit interne de l'État requis"],
        Other => "other" ["Other", "Autre"],
    }
);

impl PreservationBasis {
    /// How many days the holder keeps the data unless the preservation is
    /// renewed, where the instrument says; `None` where it does not.
    pub fn default_days(self) -> Option<u32> {
        match self {
            PreservationBasis::Budapest29 | PreservationBasis::EEvidence => Some(60),
            PreservationBasis::Us2703f => Some(90),
            PreservationBasis::Domestic | PreservationBasis::Other => None,
        }
    }
}

/// What the preservation belongs to: a request, or a case (before any
/// request to the holder's country exists, typically).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Request(Uuid),
    Case(Uuid),
}

/// A `POST /preservations` body.
#[derive(Debug, Clone, PartialEq, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPreservation {
    /// The request it serves; or `case_id`, not both.
    #[serde(default)]
    pub request_id: Option<Uuid>,
    /// The case it serves; or `request_id`, not both.
    #[serde(default)]
    pub case_id: Option<Uuid>,
    /// Who keeps the data: a service provider or an authority.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub holder: String,
    /// Where the holder is.
    pub country: CountryCode,
    pub legal_basis: PreservationBasis,
    /// When the preservation was asked for.
    pub sent_at: NaiveDate,
    /// When the holder may delete the data; by default `sent_at` plus the
    /// basis's period (90 days for `us_2703f`, 60 for `budapest_art29` and
    /// `e_evidence_preservation_order`), required for the others.
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
    #[serde(default)]
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub note: Option<String>,
}

/// A checked new preservation.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedPreservation {
    pub owner: Owner,
    pub expires_on: NaiveDate,
}

impl NewPreservation {
    /// Checks the body; the owner and the expiry date it means.
    pub fn check(&self, today: Today) -> Result<CheckedPreservation, FieldErrors> {
        let mut errors = FieldErrors::of(self);
        if self.holder.trim().is_empty() && !errors.0.contains_key("holder") {
            errors.add("holder", "must not be blank");
        }
        let owner = match (self.request_id, self.case_id) {
            (Some(request), None) => Some(Owner::Request(request)),
            (None, Some(case)) => Some(Owner::Case(case)),
            (Some(_), Some(_)) => {
                errors.add("case_id", "give `request_id` or `case_id`, not both");
                None
            }
            (None, None) => {
                errors.add(
                    "request_id",
                    "is required (or `case_id`): what the preserved data is for",
                );
                None
            }
        };
        if let Err(message) = check_date(self.sent_at, today) {
            errors.add("sent_at", message);
        }
        let expires_on = self.expires_on.or_else(|| {
            self.legal_basis
                .default_days()
                .and_then(|days| self.sent_at.checked_add_days(Days::new(days.into())))
        });
        match expires_on {
            None => errors.add(
                "expires_on",
                format!(
                    "is required for a `{}` preservation: no period in law to default to",
                    self.legal_basis
                ),
            ),
            Some(on) if on <= self.sent_at => errors.add(
                "expires_on",
                format!("must be after `sent_at` ({})", self.sent_at),
            ),
            Some(_) => {}
        }
        errors.into_result()?;
        Ok(CheckedPreservation {
            owner: owner.expect("no errors means an owner"),
            expires_on: expires_on.expect("no errors means an expiry date"),
        })
    }
}

/// A preservation as stored.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Preservation {
    pub id: Uuid,
    pub request_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub holder: String,
    pub country: CountryCode,
    pub legal_basis: PreservationBasis,
    pub sent_at: NaiveDate,
    pub expires_on: NaiveDate,
    pub released_on: Option<NaiveDate>,
    pub version: i32,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Preservation {
    pub fn owner(&self) -> Owner {
        match (self.request_id, self.case_id) {
            (Some(request), _) => Owner::Request(request),
            (None, Some(case)) => Owner::Case(case),
            (None, None) => unreachable!("the table checks that one owner is set"),
        }
    }

    pub fn term(&self) -> Term {
        Term {
            sent_at: self.sent_at,
            expires_on: self.expires_on,
            released_on: self.released_on,
        }
    }
}

/// A renewal as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RenewalRecord {
    pub effective_date: NaiveDate,
    pub previous_expires_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
}

/// A preservation as the API serves it: with where it stands today and its
/// renewals, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PreservationView {
    #[serde(flatten)]
    pub preservation: Preservation,
    pub state: PreservationState,
    /// Days from today to `expires_on` (negative once past).
    pub days_left: i64,
    pub renewals: Vec<RenewalRecord>,
}

impl PreservationView {
    pub fn of(preservation: Preservation, renewals: Vec<RenewalRecord>, today: NaiveDate) -> Self {
        let term = preservation.term();
        PreservationView {
            state: term.state(today),
            days_left: term.days_left(today),
            preservation,
            renewals,
        }
    }
}

/// Where a preservation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PreservationState {
    /// The holder keeps the data until `expires_on`.
    Active,
    /// `expires_on` has passed without a renewal: the data may be gone.
    Expired,
    /// We told the holder it may delete the data (or it was produced).
    Released,
}

/// The dates that decide a preservation's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub sent_at: NaiveDate,
    pub expires_on: NaiveDate,
    pub released_on: Option<NaiveDate>,
}

impl Term {
    pub fn state(&self, today: NaiveDate) -> PreservationState {
        match self.released_on {
            Some(_) => PreservationState::Released,
            None if today > self.expires_on => PreservationState::Expired,
            None => PreservationState::Active,
        }
    }

    /// Days from `today` to the expiry (negative once past).
    pub fn days_left(&self, today: NaiveDate) -> i64 {
        (self.expires_on - today).num_days()
    }
}

/// A `POST /preservations/{id}/renewals` body: the holder keeps the data
/// longer.
#[derive(Debug, Clone, PartialEq, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Renewal {
    /// When the renewal was asked for.
    pub effective_date: NaiveDate,
    /// The new expiry date: after the current one.
    pub expires_on: NaiveDate,
    #[serde(default)]
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub note: Option<String>,
}

/// A `POST /preservations/{id}/release` body.
#[derive(Debug, Clone, PartialEq, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// When the holder was told; today when left out.
    #[serde(default)]
    pub effective_date: Option<NaiveDate>,
    #[serde(default)]
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub note: Option<String>,
}

/// Why a renewal or a release cannot be recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum TermError {
    /// Released already: nothing to renew or release (409).
    Released(NaiveDate),
    /// A date is wrong (422).
    Invalid(FieldErrors),
}

/// The term after `renewal`.
pub fn renew(term: Term, renewal: &Renewal, today: Today) -> Result<Term, TermError> {
    if let Some(on) = term.released_on {
        return Err(TermError::Released(on));
    }
    let mut errors = FieldErrors::of(renewal);
    if let Err(message) = check_date(renewal.effective_date, today) {
        errors.add("effective_date", message);
    }
    if renewal.effective_date < term.sent_at {
        errors.add(
            "effective_date",
            format!(
                "must not be before the preservation was asked for ({})",
                term.sent_at
            ),
        );
    }
    if renewal.expires_on <= term.expires_on {
        errors.add(
            "expires_on",
            format!("must be after the current expiry ({})", term.expires_on),
        );
    }
    errors.into_result().map_err(TermError::Invalid)?;
    Ok(Term {
        expires_on: renewal.expires_on,
        ..term
    })
}

/// The term after `release`, dated today when the body gives no date.
pub fn release(term: Term, release: &Release, today: Today) -> Result<Term, TermError> {
    if let Some(on) = term.released_on {
        return Err(TermError::Released(on));
    }
    let mut errors = FieldErrors::of(release);
    let date = release.effective_date.unwrap_or(today.date);
    if let Err(message) = check_date(date, today) {
        errors.add("effective_date", message);
    }
    if date < term.sent_at {
        errors.add(
            "effective_date",
            format!(
                "must not be before the preservation was asked for ({})",
                term.sent_at
            ),
        );
    }
    errors.into_result().map_err(TermError::Invalid)?;
    Ok(Term {
        released_on: Some(date),
        ..term
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn today() -> Today {
        Today::on(day("2026-06-15"))
    }

    fn body(basis: PreservationBasis) -> NewPreservation {
        NewPreservation {
            request_id: Some(Uuid::nil()),
            case_id: None,
            holder: "Meta Platforms".into(),
            country: CountryCode::parse("US").unwrap(),
            legal_basis: basis,
            sent_at: day("2026-06-01"),
            expires_on: None,
            note: None,
        }
    }

    #[test]
    fn the_expiry_defaults_to_the_period_the_instrument_sets() {
        let checked = body(PreservationBasis::Us2703f).check(today()).unwrap();
        assert_eq!(checked.expires_on, day("2026-08-30"), "90 days");
        assert_eq!(checked.owner, Owner::Request(Uuid::nil()));
        for basis in [PreservationBasis::Budapest29, PreservationBasis::EEvidence] {
            assert_eq!(
                body(basis).check(today()).unwrap().expires_on,
                day("2026-07-31"),
                "60 days"
            );
        }
        let e = body(PreservationBasis::Domestic)
            .check(today())
            .unwrap_err();
        assert!(e.0["expires_on"][0].contains("no period in law"), "{e:?}");
        let mut given = body(PreservationBasis::Domestic);
        given.expires_on = Some(day("2026-12-01"));
        assert_eq!(given.check(today()).unwrap().expires_on, day("2026-12-01"));
    }

    #[test]
    fn a_preservation_needs_one_owner_a_holder_and_sane_dates() {
        let mut b = body(PreservationBasis::Us2703f);
        b.case_id = Some(Uuid::nil());
        assert!(b.check(today()).unwrap_err().0.contains_key("case_id"));
        b.request_id = None;
        assert_eq!(b.check(today()).unwrap().owner, Owner::Case(Uuid::nil()));
        b.case_id = None;
        b.holder = "  ".into();
        b.sent_at = day("2026-06-16");
        b.expires_on = Some(day("2026-06-16"));
        let e = b.check(today()).unwrap_err();
        let fields: Vec<_> = e.0.keys().map(String::as_str).collect();
        assert_eq!(fields, ["expires_on", "holder", "request_id", "sent_at"]);
    }

    #[test]
    fn renewals_extend_and_releases_end() {
        let term = Term {
            sent_at: day("2026-03-01"),
            expires_on: day("2026-05-30"),
            released_on: None,
        };
        assert_eq!(term.state(day("2026-05-30")), PreservationState::Active);
        assert_eq!(term.state(day("2026-05-31")), PreservationState::Expired);
        assert_eq!(term.days_left(day("2026-05-27")), 3);
        let renewal = Renewal {
            effective_date: day("2026-05-20"),
            expires_on: day("2026-08-28"),
            note: None,
        };
        let renewed = renew(term, &renewal, today()).unwrap();
        assert_eq!(renewed.expires_on, day("2026-08-28"));
        let shorter = Renewal {
            expires_on: day("2026-05-01"),
            ..renewal.clone()
        };
        match renew(term, &shorter, today()) {
            Err(TermError::Invalid(e)) => {
                assert!(e.0["expires_on"][0].contains("after the current expiry (2026-05-30)"))
            }
            other => panic!("{other:?}"),
        }
        let done = release(
            renewed,
            &Release {
                effective_date: None,
                note: None,
            },
            today(),
        )
        .unwrap();
        assert_eq!(done.released_on, Some(day("2026-06-15")));
        assert_eq!(done.state(day("2030-01-01")), PreservationState::Released);
        assert_eq!(
            renew(done, &renewal, today()),
            Err(TermError::Released(day("2026-06-15")))
        );
        let early = Release {
            effective_date: Some(day("2026-02-01")),
            note: None,
        };
        assert!(matches!(
            release(term, &early, today()),
            Err(TermError::Invalid(_))
        ));
    }
}
