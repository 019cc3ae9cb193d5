//! Alert rules: when a request counts as stalled, and who hears about it.
//!
//! Pure: rules are built (and checked) once from the configuration at
//! start-up, then matched against requests with an explicit `today`, so
//! every edge (midnight in the configured zone, leap days) is unit-testable.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::vocab::vocabulary;
use super::{CountryCode, LegalBasis, Priority, Status, Today};

/// One `[[alerts.rules]]` entry as written in the configuration, before it
/// is checked into a [`Rule`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub name: String,
    #[serde(default)]
    pub statuses: Vec<String>,
    #[serde(default)]
    pub after_days: Option<u32>,
    /// Hours since sending, for emergencies (EIO art. 32: 24 hours;
    /// Regulation (EU) 2023/1543 art. 10(4): 8 hours).
    #[serde(default)]
    pub after_hours: Option<u32>,
    /// What a stall rule counts from; `status_since` when absent.
    #[serde(default)]
    pub from: Option<String>,
    /// Whether an extension of the deadline by the requested state moves
    /// this rule's threshold.
    #[serde(default)]
    pub extendable: bool,
    #[serde(default)]
    pub days_before_needed_by: Option<u32>,
    /// A preservation rule: this many days or fewer before data preserved
    /// for the request expires.
    #[serde(default)]
    pub days_before_expiry: Option<u32>,
    pub level: u8,
    pub notify: Vec<String>,
    #[serde(default)]
    pub legal_bases: Vec<String>,
    #[serde(default)]
    pub countries: Vec<String>,
    #[serde(default)]
    pub priorities: Vec<String>,
}

/// Who receives a rule's alerts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Recipient {
    /// The request's `coordinator_email`.
    Coordinator,
    /// The issuing magistrate's email.
    IssuingMagistrate,
    /// The user who recorded the request.
    Creator,
    /// Every address of `alerts.lists.NAME`.
    List(String),
    /// A literal address.
    Address(String),
}

impl Recipient {
    fn parse(text: &str, lists: &BTreeMap<String, Vec<String>>) -> Result<Recipient, String> {
        match text {
            "coordinator" => Ok(Recipient::Coordinator),
            "issuing_magistrate" => Ok(Recipient::IssuingMagistrate),
            "creator" => Ok(Recipient::Creator),
            _ => {
                if let Some(name) = text.strip_prefix("list:") {
                    return if lists.contains_key(name) {
                        Ok(Recipient::List(name.to_string()))
                    } else {
                        Err(format!("unknown list `{name}` (define it in alerts.lists)"))
                    };
                }
                if looks_like_an_address(text) {
                    Ok(Recipient::Address(text.to_string()))
                } else {
                    Err(format!(
                        "unknown recipient `{text}`; use coordinator, issuing_magistrate, creator, list:NAME or an email address"
                    ))
                }
            }
        }
    }
}

fn looks_like_an_address(text: &str) -> bool {
    validator::ValidateEmail::validate_email(&text)
}

vocabulary!(
    /// The date a stall rule counts from (docs/DOMAIN.md §7):
    /// `status_since`, the day the request entered its current status (any
    /// change restarts the clock: "nothing moved for N days"); `sent`;
    /// `received`, the requested state's receipt (EIO art. 12(3)) —
    /// `received_at`, else the first acknowledgement, else `sent_at`;
    /// `recognised`, its recognition decision (EIO art. 12(4)) —
    /// `recognised_at`, else `status_since` while it is unknown.
    Anchor, "rule anchor" {
        StatusSince => "status_since" ["Since the last change of status", "Depuis le dernier changement de statut"],
        Sent => "sent" ["Since sending", "Depuis l'envoi"],
        Received => "received" ["Since receipt", "Depuis la réception"],
        Recognised => "recognised" ["Since recognition", "Depuis la reconnaissance"],
    }
);

/// What starts a rule's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Trigger {
    /// `after_days` after the rule's anchor, in one of its statuses.
    Stalled { after_days: u32, from: Anchor },
    /// `after_hours` after the request was sent (`sent_time`, else the
    /// start of the office's `sent_at` day), in one of its statuses.
    Hours { after_hours: u32 },
    /// `days_before_needed_by` days before the magistrate's deadline.
    Deadline { days_before_needed_by: u32 },
    /// `days_before_expiry` days before data preserved for the request
    /// expires, whatever its status but `executed`.
    Preservation { days_before_expiry: u32 },
}

/// A checked rule.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rule {
    pub name: String,
    /// Empty on a deadline rule: any open status.
    pub statuses: Vec<Status>,
    #[serde(flatten)]
    pub trigger: Trigger,
    /// An extension (`deadline_extended_to`) moves the threshold to the
    /// day after it, if that is later.
    pub extendable: bool,
    pub level: u8,
    pub notify: Vec<Recipient>,
    pub legal_bases: Vec<LegalBasis>,
    pub countries: Vec<CountryCode>,
    pub priorities: Vec<Priority>,
}

/// What the rules need to know about a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub status: Status,
    pub status_since: NaiveDate,
    pub sent_at: Option<NaiveDate>,
    /// The instant it was sent, when recorded (emergencies).
    pub sent_time: Option<DateTime<Utc>>,
    pub received_at: Option<NaiveDate>,
    pub acknowledged_at: Option<NaiveDate>,
    pub recognised_at: Option<NaiveDate>,
    pub deadline_extended_to: Option<NaiveDate>,
    /// Preservations not released, for the request or for its case in the
    /// holder's country.
    pub preservations: Vec<PreservationDue>,
    pub needed_by: Option<NaiveDate>,
    pub legal_basis: Option<LegalBasis>,
    pub country: CountryCode,
    pub priority: Priority,
    /// Silenced through this date (inclusive).
    pub snoozed_until: Option<NaiveDate>,
}

impl Candidate {
    /// The request as the rules see it, without its preservations or
    /// snooze (which are kept apart from the record).
    pub fn of(request: &super::request::MlaRequest) -> Candidate {
        let (fields, life) = (&request.fields, &request.lifecycle);
        Candidate {
            status: life.status,
            status_since: life.status_since,
            sent_at: life.sent_at,
            sent_time: life.sent_time,
            received_at: life.received_at,
            acknowledged_at: life.acknowledged_at,
            recognised_at: life.recognised_at,
            deadline_extended_to: life.deadline_extended_to,
            preservations: Vec::new(),
            needed_by: fields.needed_by,
            legal_basis: fields.legal_basis,
            country: fields.target_country,
            priority: fields.priority,
            snoozed_until: None,
        }
    }

    /// Open: neither final nor abandoned; only open requests can stall.
    pub fn is_open(&self) -> bool {
        !self.status.closes()
    }

    pub fn is_snoozed(&self, today: NaiveDate) -> bool {
        self.snoozed_until.is_some_and(|until| today <= until)
    }

    /// The date `anchor` names for this request; `None` when it has none
    /// (a draft has not been sent).
    pub fn anchor(&self, anchor: Anchor) -> Option<NaiveDate> {
        match anchor {
            Anchor::StatusSince => Some(self.status_since),
            Anchor::Sent => self.sent_at,
            Anchor::Received => self.received_at.or(self.acknowledged_at).or(self.sent_at),
            Anchor::Recognised => Some(self.recognised_at.unwrap_or(self.status_since)),
        }
    }
}

/// A preservation that a request's alerts watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PreservationDue {
    pub id: uuid::Uuid,
    pub holder: String,
    pub country: CountryCode,
    pub expires_on: NaiveDate,
}

/// What a preservation rule's breach is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PreservationWarning {
    #[serde(flatten)]
    pub preservation: PreservationDue,
    /// Days until it expires; negative once it has.
    pub days_left: i64,
}

/// A stall rule's clock for one request ([`Rule::stall_threshold`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StallThreshold {
    /// The day the clock starts.
    pub anchor: NaiveDate,
    /// The first day the rule breaches.
    pub threshold: NaiveDate,
    /// An extension the requested state gave moved it.
    pub extended: bool,
}

/// A rule a request breaches today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Breach {
    pub rule: String,
    pub level: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_hours: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_before_needed_by: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_before_expiry: Option<u32>,
    /// A preservation rule's breach: the preserved data that expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preservation: Option<PreservationWarning>,
    /// Days since the threshold was crossed (0 on the day itself).
    pub overdue_days: i64,
    /// For an hour rule: whole hours since the threshold was crossed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue_hours: Option<i64>,
    /// The date that identifies this episode: the anchor for a stall (or
    /// the extended deadline once an extension moved it), `needed_by` for a
    /// deadline. A new date re-arms the rule.
    pub episode: NaiveDate,
}

impl Rule {
    fn filters_match(&self, c: &Candidate) -> bool {
        (self.statuses.is_empty() || self.statuses.contains(&c.status))
            && (self.legal_bases.is_empty()
                || c.legal_basis.is_some_and(|b| self.legal_bases.contains(&b)))
            && (self.countries.is_empty() || self.countries.contains(&c.country))
            && (self.priorities.is_empty() || self.priorities.contains(&c.priority))
    }

    /// Where a stall rule's clock starts for `c` and the first day it
    /// breaches: `after_days` after the anchor, or the day after the
    /// deadline the requested state extended to when the rule is
    /// extendable and that is later. `None` for another trigger or a
    /// request without the anchor (a draft has not been sent).
    pub fn stall_threshold(&self, c: &Candidate) -> Option<StallThreshold> {
        let Trigger::Stalled { after_days, from } = self.trigger else {
            return None;
        };
        let anchor = c.anchor(from)?;
        let due = anchor.checked_add_days(chrono::Days::new(after_days.into()))?;
        Some(match c.deadline_extended_to.and_then(|d| d.succ_opt()) {
            Some(extended) if self.extendable && extended > due => StallThreshold {
                anchor,
                threshold: extended,
                extended: true,
            },
            _ => StallThreshold {
                anchor,
                threshold: due,
                extended: false,
            },
        })
    }

    /// The breach of this rule by `c` at `at` (the office's present), if
    /// any.
    pub fn breach(&self, c: &Candidate, at: Today) -> Option<Breach> {
        let today = at.date;
        if !c.is_open() || c.is_snoozed(today) || !self.filters_match(c) {
            return None;
        }
        let mut breach = Breach {
            rule: self.name.clone(),
            level: self.level,
            after_days: None,
            after_hours: None,
            days_before_needed_by: None,
            days_before_expiry: None,
            preservation: None,
            overdue_days: 0,
            overdue_hours: None,
            episode: today,
        };
        let (threshold, episode) = match self.trigger {
            Trigger::Stalled { after_days, .. } => {
                breach.after_days = Some(after_days);
                let stall = self.stall_threshold(c)?;
                let episode = if stall.extended {
                    stall.threshold.pred_opt()?
                } else {
                    stall.anchor
                };
                (stall.threshold, episode)
            }
            Trigger::Hours { after_hours } => {
                breach.after_hours = Some(after_hours);
                let sent_at = c.sent_at?;
                let sent = c.sent_time.unwrap_or_else(|| at.start_of(sent_at));
                let due = sent + chrono::Duration::hours(after_hours.into());
                if at.now < due {
                    return None;
                }
                let overdue = (at.now - due).num_hours();
                breach.overdue_hours = Some(overdue);
                breach.overdue_days = overdue / 24;
                breach.episode = sent_at;
                return Some(breach);
            }
            Trigger::Preservation { .. } => return None,
            Trigger::Deadline {
                days_before_needed_by,
            } => {
                breach.days_before_needed_by = Some(days_before_needed_by);
                let needed_by = c.needed_by?;
                (
                    needed_by - chrono::Days::new(days_before_needed_by.into()),
                    needed_by,
                )
            }
        };
        (today >= threshold).then(|| Breach {
            overdue_days: (today - threshold).num_days(),
            episode,
            ..breach
        })
    }
}

impl Rule {
    /// A preservation rule's breaches: one per preservation within
    /// `days_before_expiry` of its expiry, or past it while the request is
    /// open. A snooze does not silence them: the holder deletes the data
    /// whatever the requested state promised. A closed request is warned
    /// until the expiry day, while a request sent again could still use the
    /// data, not after: once it is gone nothing waits on it.
    fn preservation_breaches(&self, c: &Candidate, today: NaiveDate) -> Vec<Breach> {
        let Trigger::Preservation { days_before_expiry } = self.trigger else {
            return Vec::new();
        };
        if c.status == Status::Executed || !self.filters_match(c) {
            return Vec::new();
        }
        c.preservations
            .iter()
            .filter_map(|p| {
                let days_left = (p.expires_on - today).num_days();
                let watched = days_left >= 0 || !c.status.closes();
                (watched && days_left <= i64::from(days_before_expiry)).then(|| Breach {
                    rule: self.name.clone(),
                    level: self.level,
                    after_days: None,
                    after_hours: None,
                    days_before_needed_by: None,
                    days_before_expiry: Some(days_before_expiry),
                    preservation: Some(PreservationWarning {
                        preservation: p.clone(),
                        days_left,
                    }),
                    overdue_days: i64::from(days_before_expiry) - days_left,
                    overdue_hours: None,
                    episode: p.expires_on,
                })
            })
            .collect()
    }
}

/// The effective rules, in configuration order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// Checks every rule; an error names the rule and what is wrong with it.
    /// `lists` are the named address lists a rule may notify (`list:NAME`).
    pub fn from_specs(
        specs: &[RuleSpec],
        lists: &BTreeMap<String, Vec<String>>,
    ) -> Result<RuleSet, String> {
        let mut seen = BTreeSet::new();
        let mut rules = Vec::with_capacity(specs.len());
        for (index, raw) in specs.iter().enumerate() {
            let label = if raw.name.trim().is_empty() {
                format!("alerts.rules[{index}]")
            } else {
                format!("alerts.rules `{}`", raw.name)
            };
            let rule = build_rule(raw, lists).map_err(|e| format!("{label}: {e}"))?;
            if !seen.insert(rule.name.clone()) {
                return Err(format!("{label}: the name is used by another rule"));
            }
            rules.push(rule);
        }
        Ok(RuleSet { rules })
    }

    /// Every breach of `c` at `at`, highest level first.
    pub fn breaches(&self, c: &Candidate, at: Today) -> Vec<Breach> {
        let mut found: Vec<Breach> = self
            .rules
            .iter()
            .flat_map(|r| match r.trigger {
                Trigger::Preservation { .. } => r.preservation_breaches(c, at.date),
                _ => r.breach(c, at).into_iter().collect(),
            })
            .collect();
        found.sort_by(|a, b| {
            b.level
                .cmp(&a.level)
                .then(b.overdue_days.cmp(&a.overdue_days))
        });
        found
    }
}

fn build_rule(raw: &RuleSpec, lists: &BTreeMap<String, Vec<String>>) -> Result<Rule, String> {
    if raw.name.trim().is_empty() {
        return Err("name must not be empty".into());
    }
    let statuses = raw
        .statuses
        .iter()
        .map(|s| s.parse::<Status>())
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(closed) = statuses.iter().find(|s| s.closes()) {
        return Err(format!(
            "status `{closed}` is closed; a closed request never stalls"
        ));
    }
    if let Some(days_before_expiry) = raw.days_before_expiry {
        let others = raw.after_days.is_some()
            || raw.after_hours.is_some()
            || raw.days_before_needed_by.is_some();
        if others {
            return Err(
                "set exactly one of after_days, after_hours, days_before_needed_by and days_before_expiry"
                    .into(),
            );
        }
        if !statuses.is_empty() || raw.from.is_some() || raw.extendable {
            return Err(
                "a preservation rule (days_before_expiry) watches every request not executed; \
                 it takes no statuses, from or extendable"
                    .into(),
            );
        }
        return finish_rule(
            raw,
            lists,
            statuses,
            Trigger::Preservation { days_before_expiry },
        );
    }
    let from = raw
        .from
        .as_deref()
        .map(str::parse::<Anchor>)
        .transpose()?
        .unwrap_or(Anchor::StatusSince);
    let trigger = match (raw.after_days, raw.after_hours, raw.days_before_needed_by) {
        (Some(after_days), None, None) => {
            if statuses.is_empty() {
                return Err("a stall rule (after_days) needs statuses".into());
            }
            Trigger::Stalled { after_days, from }
        }
        (None, Some(after_hours), None) => {
            if statuses.is_empty() {
                return Err("an hour rule (after_hours) needs statuses".into());
            }
            if (from != Anchor::Sent && raw.from.is_some()) || raw.extendable {
                return Err(
                    "an hour rule (after_hours) counts from the sending (from = \"sent\") and cannot be extendable"
                        .into(),
                );
            }
            Trigger::Hours { after_hours }
        }
        (None, None, Some(days_before_needed_by)) => {
            if raw.from.is_some() || raw.extendable {
                return Err(
                    "from and extendable apply to stall rules (after_days), not to deadline rules"
                        .into(),
                );
            }
            Trigger::Deadline {
                days_before_needed_by,
            }
        }
        _ => {
            return Err(
                "set exactly one of after_days, after_hours, days_before_needed_by and days_before_expiry"
                    .into(),
            );
        }
    };
    finish_rule(raw, lists, statuses, trigger)
}

/// The parts every kind of rule shares.
fn finish_rule(
    raw: &RuleSpec,
    lists: &BTreeMap<String, Vec<String>>,
    statuses: Vec<Status>,
    trigger: Trigger,
) -> Result<Rule, String> {
    if !(1..=9).contains(&raw.level) {
        return Err(format!("level {} must be between 1 and 9", raw.level));
    }
    if raw.notify.is_empty() {
        return Err("notify must name at least one recipient".into());
    }
    let notify = raw
        .notify
        .iter()
        .map(|r| Recipient::parse(r, lists))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Rule {
        name: raw.name.clone(),
        statuses,
        trigger,
        extendable: raw.extendable,
        level: raw.level,
        notify,
        legal_bases: raw
            .legal_bases
            .iter()
            .map(|b| b.parse())
            .collect::<Result<_, _>>()?,
        countries: raw
            .countries
            .iter()
            .map(|c| CountryCode::parse(c))
            .collect::<Result<_, _>>()?,
        priorities: raw
            .priorities
            .iter()
            .map(|p| p.parse())
            .collect::<Result<_, _>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Noon UTC on `s`.
    fn on(s: &str) -> Today {
        Today::on(day(s))
    }

    fn lists() -> BTreeMap<String, Vec<String>> {
        BTreeMap::from([(
            "supervisors".to_string(),
            vec!["chef@example.org".to_string()],
        )])
    }

    fn raw(name: &str, statuses: &[&str], after_days: u32, level: u8) -> RuleSpec {
        RuleSpec {
            name: name.into(),
            statuses: statuses.iter().map(|s| s.to_string()).collect(),
            after_days: Some(after_days),
            after_hours: None,
            from: None,
            extendable: false,
            days_before_needed_by: None,
            days_before_expiry: None,
            level,
            notify: vec!["coordinator".into()],
            legal_bases: vec![],
            countries: vec![],
            priorities: vec![],
        }
    }

    fn set_of(rules: Vec<RuleSpec>) -> Result<RuleSet, String> {
        RuleSet::from_specs(&rules, &lists())
    }

    fn sent_on(date: &str) -> Candidate {
        Candidate {
            status: Status::Sent,
            status_since: day(date),
            sent_at: Some(day(date)),
            sent_time: None,
            received_at: None,
            acknowledged_at: None,
            recognised_at: None,
            deadline_extended_to: None,
            preservations: Vec::new(),
            needed_by: None,
            legal_basis: Some(LegalBasis::Untoc),
            country: CountryCode::parse("PH").unwrap(),
            priority: Priority::Normal,
            snoozed_until: None,
        }
    }

    #[test]
    fn a_stall_rule_fires_on_the_threshold_day_and_after() {
        let set = set_of(vec![raw("r60", &["sent"], 60, 1)]).unwrap();
        let c = sent_on("2026-01-01");
        assert!(set.breaches(&c, on("2026-03-01")).is_empty(), "59 days");
        let b = &set.breaches(&c, on("2026-03-02"))[0];
        assert_eq!((b.overdue_days, b.episode), (0, day("2026-01-01")));
        assert_eq!(set.breaches(&c, on("2026-03-12"))[0].overdue_days, 10);
    }

    #[test]
    fn leap_days_count_as_days() {
        let set = set_of(vec![raw("r1", &["sent"], 1, 1)]).unwrap();
        // 2028-02-28 + 1 day is the 29th, not March 1st.
        assert!(set.breaches(&sent_on("2028-02-28"), on("2028-02-29")).len() == 1);
        let set = set_of(vec![raw("r365", &["sent"], 365, 1)]).unwrap();
        // 2028 has 366 days: 365 days after 2028-01-01 is 2028-12-31.
        assert!(
            set.breaches(&sent_on("2028-01-01"), on("2028-12-30"))
                .is_empty()
        );
        assert_eq!(
            set.breaches(&sent_on("2028-01-01"), on("2028-12-31"))[0].overdue_days,
            0
        );
    }

    #[test]
    fn filters_statuses_snoozes_and_closed_requests() {
        let mut eio = raw("eio", &["sent"], 7, 2);
        eio.legal_bases = vec!["eio_directive".into()];
        eio.countries = vec!["de".into()];
        eio.priorities = vec!["urgent".into()];
        let set = set_of(vec![eio]).unwrap();
        let mut c = sent_on("2026-01-01");
        let later = on("2026-02-01");
        assert!(set.breaches(&c, later).is_empty(), "not an EIO");
        c.legal_basis = Some(LegalBasis::EioDirective);
        c.country = CountryCode::parse("DE").unwrap();
        assert!(set.breaches(&c, later).is_empty(), "not urgent");
        c.priority = Priority::Urgent;
        assert_eq!(set.breaches(&c, later).len(), 1);
        c.snoozed_until = Some(later.date);
        assert!(
            set.breaches(&c, later).is_empty(),
            "snoozed through the date itself"
        );
        assert_eq!(
            set.breaches(&c, on("2026-02-02")).len(),
            1,
            "the snooze is over"
        );
        c.status = Status::Acknowledged;
        assert!(set.breaches(&c, later).is_empty(), "other status");
    }

    #[test]
    fn deadline_rules_fire_before_needed_by_while_open() {
        let mut warn = raw("needed-by-7", &[], 0, 2);
        warn.after_days = None;
        warn.days_before_needed_by = Some(7);
        let set = set_of(vec![warn]).unwrap();
        let mut c = sent_on("2026-01-01");
        assert!(
            set.breaches(&c, on("2026-06-01")).is_empty(),
            "no needed_by"
        );
        c.needed_by = Some(day("2026-06-10"));
        assert!(set.breaches(&c, on("2026-06-02")).is_empty());
        let b = &set.breaches(&c, on("2026-06-03"))[0];
        assert_eq!(
            (b.overdue_days, b.episode, b.days_before_needed_by),
            (0, day("2026-06-10"), Some(7))
        );
        c.status = Status::Abandoned;
        assert!(set.breaches(&c, on("2026-06-03")).is_empty(), "closed");
    }

    #[test]
    fn breaches_come_highest_level_first() {
        let set = set_of(vec![
            raw("r60", &["sent"], 60, 1),
            raw("r365", &["sent"], 365, 3),
            raw("r180", &["sent"], 180, 2),
        ])
        .unwrap();
        let levels: Vec<_> = set
            .breaches(&sent_on("2024-01-01"), on("2026-01-01"))
            .iter()
            .map(|b| b.level)
            .collect();
        assert_eq!(levels, [3, 2, 1]);
    }

    #[test]
    fn an_acknowledgement_does_not_restart_a_clock_that_runs_from_receipt() {
        let mut rule = raw("eio-no-recognition", &["sent", "acknowledged"], 30, 2);
        rule.from = Some("received".into());
        let set = set_of(vec![rule]).unwrap();
        let mut c = sent_on("2026-01-01");
        // Acknowledged on the 10th: the status changed, the clock did not
        // restart, but it now runs from the acknowledgement (the receipt
        // it proves), not from sending.
        c.status = Status::Acknowledged;
        c.status_since = day("2026-01-10");
        c.acknowledged_at = Some(day("2026-01-10"));
        assert!(set.breaches(&c, on("2026-02-08")).is_empty());
        let b = &set.breaches(&c, on("2026-02-09"))[0];
        assert_eq!((b.overdue_days, b.episode), (0, day("2026-01-10")));
        // A recorded receipt date wins over the acknowledgement.
        c.received_at = Some(day("2026-01-03"));
        let b = &set.breaches(&c, on("2026-02-09"))[0];
        assert_eq!((b.overdue_days, b.episode), (7, day("2026-01-03")));
        // With neither, sending starts it.
        c.received_at = None;
        c.acknowledged_at = None;
        assert_eq!(
            set.breaches(&c, on("2026-01-31"))[0].episode,
            day("2026-01-01")
        );
    }

    #[test]
    fn an_extension_moves_only_extendable_rules() {
        let mut extendable = raw("eio-execution", &["in_execution"], 90, 2);
        extendable.from = Some("recognised".into());
        extendable.extendable = true;
        let mut fixed = raw("eio-execution-flag", &["in_execution"], 90, 3);
        fixed.from = Some("recognised".into());
        let set = set_of(vec![extendable, fixed]).unwrap();
        let mut c = sent_on("2026-01-01");
        c.status = Status::InExecution;
        c.status_since = day("2026-03-01");
        c.recognised_at = Some(day("2026-02-01"));
        // Due 90 days after recognition: 2026-05-02.
        let names = |today| -> Vec<String> {
            set.breaches(&c, on(today))
                .into_iter()
                .map(|b| b.rule)
                .collect()
        };
        assert_eq!(names("2026-05-02"), ["eio-execution-flag", "eio-execution"]);
        c.deadline_extended_to = Some(day("2026-06-30"));
        let names = |today| -> Vec<String> {
            set.breaches(&c, on(today))
                .into_iter()
                .map(|b| b.rule)
                .collect()
        };
        assert_eq!(names("2026-06-30"), ["eio-execution-flag"]);
        let b = set.breaches(&c, on("2026-07-01"));
        let moved = b.iter().find(|b| b.rule == "eio-execution").unwrap();
        assert_eq!((moved.overdue_days, moved.episode), (0, day("2026-06-30")));
        // An extension that ends before the deadline changes nothing.
        c.deadline_extended_to = Some(day("2026-03-01"));
        let b = &set.breaches(&c, on("2026-05-02"));
        assert!(b.iter().all(|b| b.episode == day("2026-02-01")));
        // Unknown recognition: the clock runs from the status.
        c.deadline_extended_to = None;
        c.recognised_at = None;
        assert!(set.breaches(&c, on("2026-05-29")).is_empty());
        assert_eq!(set.breaches(&c, on("2026-05-30")).len(), 2);
    }

    #[test]
    fn a_draft_has_no_sending_date_to_count_from() {
        let mut rule = raw("since-sent", &["draft"], 1, 1);
        rule.from = Some("sent".into());
        let set = set_of(vec![rule]).unwrap();
        let mut c = sent_on("2026-01-01");
        c.status = Status::Draft;
        c.sent_at = None;
        assert!(set.breaches(&c, on("2027-01-01")).is_empty());
    }

    fn hours(name: &str, after_hours: u32) -> RuleSpec {
        let mut rule = raw(name, &["sent", "acknowledged"], 0, 3);
        rule.after_days = None;
        rule.after_hours = Some(after_hours);
        rule.priorities = vec!["emergency".into()];
        rule
    }

    fn at(instant: &str, zone: &str) -> Today {
        Today::at(instant.parse().unwrap(), zone.parse().unwrap())
    }

    #[test]
    fn an_hour_rule_fires_on_the_hour_from_the_sending_time() {
        let set = set_of(vec![hours("e-8h", 8)]).unwrap();
        let mut c = sent_on("2026-06-13");
        c.priority = Priority::Emergency;
        c.sent_time = Some("2026-06-13T01:30:00Z".parse().unwrap());
        let paris = "Europe/Paris";
        assert!(
            set.breaches(&c, at("2026-06-13T09:29:59Z", paris))
                .is_empty()
        );
        let b = &set.breaches(&c, at("2026-06-13T09:30:00Z", paris))[0];
        assert_eq!(
            (b.after_hours, b.overdue_hours, b.overdue_days, b.episode),
            (Some(8), Some(0), 0, day("2026-06-13"))
        );
        // Overdue hours are whole hours; days follow them.
        let b = &set.breaches(&c, at("2026-06-14T11:15:00Z", paris))[0];
        assert_eq!((b.overdue_hours, b.overdue_days), (Some(25), 1));
        // Acknowledged: still no answer. Executing: an answer.
        c.status = Status::Acknowledged;
        assert_eq!(set.breaches(&c, at("2026-06-13T10:00:00Z", paris)).len(), 1);
        c.status = Status::InExecution;
        assert!(
            set.breaches(&c, at("2026-06-13T10:00:00Z", paris))
                .is_empty()
        );
        // Not an emergency: not this rule.
        c.status = Status::Sent;
        c.priority = Priority::Urgent;
        assert!(
            set.breaches(&c, at("2026-06-13T10:00:00Z", paris))
                .is_empty()
        );
    }

    #[test]
    fn without_a_sending_time_hours_count_from_the_start_of_the_day() {
        let set = set_of(vec![hours("e-8h", 8)]).unwrap();
        let mut c = sent_on("2026-06-13");
        c.priority = Priority::Emergency;
        // Midnight in Paris is 22:00 UTC the day before (summer time).
        assert!(
            set.breaches(&c, at("2026-06-13T05:59:00Z", "Europe/Paris"))
                .is_empty()
        );
        assert_eq!(
            set.breaches(&c, at("2026-06-13T06:00:00Z", "Europe/Paris"))
                .len(),
            1
        );
        // In Manila (UTC+8) the day started at 16:00 UTC the day before.
        assert_eq!(
            set.breaches(&c, at("2026-06-13T00:00:00Z", "Asia/Manila"))
                .len(),
            1
        );
        // A draft was never sent.
        c.sent_at = None;
        c.status = Status::Draft;
        let mut drafts = hours("drafts", 1);
        drafts.statuses = vec!["draft".into()];
        let set = set_of(vec![drafts]).unwrap();
        assert!(
            set.breaches(&c, at("2027-01-01T00:00:00Z", "UTC"))
                .is_empty()
        );
    }

    #[test]
    fn invalid_rules_are_named() {
        let err = |rule: RuleSpec| set_of(vec![rule]).unwrap_err();
        assert!(err(raw("typo", &["snt"], 60, 1)).contains("`typo`: unknown status `snt`"));
        assert!(err(raw("closed", &["executed"], 60, 1)).contains("`closed`"));
        let mut list = raw("lists", &["sent"], 60, 1);
        list.notify = vec!["list:bosses".into()];
        assert!(err(list).contains("unknown list `bosses`"));
        let mut both = raw("both", &["sent"], 60, 1);
        both.days_before_needed_by = Some(3);
        assert!(err(both).contains("exactly one"));
        let mut both = hours("hours-and-days", 8);
        both.after_days = Some(1);
        assert!(err(both).contains("exactly one of after_days, after_hours"));
        let mut anchored = hours("anchored", 8);
        anchored.from = Some("received".into());
        assert!(
            err(anchored)
                .contains("`anchored`: an hour rule (after_hours) counts from the sending")
        );
        let mut extendable = hours("extendable", 8);
        extendable.extendable = true;
        assert!(err(extendable).contains("cannot be extendable"));
        let mut address = raw("address", &["sent"], 60, 1);
        address.notify = vec!["someone".into()];
        assert!(err(address).contains("unknown recipient"));
        let mut anchor = raw("anchor", &["sent"], 60, 1);
        anchor.from = Some("reception".into());
        assert!(err(anchor).contains("`anchor`: unknown rule anchor `reception`"));
        let mut deadline = raw("deadline", &[], 0, 1);
        deadline.after_days = None;
        deadline.days_before_needed_by = Some(3);
        deadline.extendable = true;
        assert!(err(deadline).contains("not to deadline rules"));
        let dup = set_of(vec![raw("a", &["sent"], 1, 1), raw("a", &["sent"], 2, 1)]);
        assert!(dup.unwrap_err().contains("`a`: the name is used"));
    }

    fn expiry(name: &str, days: u32, level: u8) -> RuleSpec {
        let mut rule = raw(name, &[], 0, level);
        rule.after_days = None;
        rule.days_before_expiry = Some(days);
        rule
    }

    fn preserved_until(c: &mut Candidate, holder: &str, expires_on: &str) {
        c.preservations.push(PreservationDue {
            id: uuid::Uuid::new_v4(),
            holder: holder.into(),
            country: c.country,
            expires_on: day(expires_on),
        });
    }

    #[test]
    fn a_preservation_warns_from_its_threshold_to_past_its_expiry() {
        let set = set_of(vec![expiry("p14", 14, 2), expiry("p3", 3, 3)]).unwrap();
        let mut c = sent_on("2026-01-01");
        preserved_until(&mut c, "Provider A", "2026-03-31");
        assert!(
            set.breaches(&c, on("2026-03-16")).is_empty(),
            "15 days left"
        );
        let b = set.breaches(&c, on("2026-03-17"));
        assert_eq!(b.len(), 1, "{b:?}");
        let warning = b[0].preservation.as_ref().unwrap();
        assert_eq!(
            (b[0].rule.as_str(), warning.days_left, b[0].overdue_days),
            ("p14", 14, 0)
        );
        // The episode is the expiry date: a renewal is a new episode.
        assert_eq!(b[0].episode, day("2026-03-31"));
        let b = set.breaches(&c, on("2026-03-28"));
        let rules: Vec<_> = b.iter().map(|b| (b.rule.as_str(), b.level)).collect();
        assert_eq!(rules, [("p3", 3), ("p14", 2)]);
        // Expired and not released: still listed, with negative days left.
        let b = set.breaches(&c, on("2026-04-02"));
        assert_eq!(b[0].preservation.as_ref().unwrap().days_left, -2);
    }

    #[test]
    fn one_breach_per_preservation_none_once_executed_and_a_snooze_does_not_silence() {
        let set = set_of(vec![expiry("p14", 14, 2)]).unwrap();
        let mut c = sent_on("2026-01-01");
        preserved_until(&mut c, "Provider A", "2026-03-20");
        preserved_until(&mut c, "Provider B", "2026-03-25");
        preserved_until(&mut c, "Provider C", "2026-06-01");
        let holders: Vec<_> = set
            .breaches(&c, on("2026-03-15"))
            .into_iter()
            .map(|b| b.preservation.unwrap().preservation.holder)
            .collect();
        assert_eq!(holders, ["Provider A", "Provider B"]);
        c.snoozed_until = Some(day("2026-12-31"));
        assert_eq!(set.breaches(&c, on("2026-03-15")).len(), 2, "snoozed");
        c.status = Status::Executed;
        assert!(set.breaches(&c, on("2026-03-15")).is_empty(), "executed");
        c.status = Status::Refused;
        assert_eq!(
            set.breaches(&c, on("2026-03-15")).len(),
            2,
            "refused: reissue"
        );
        // Once expired, a closed request is warned no more; an open one is.
        assert!(
            set.breaches(&c, on("2026-03-26")).is_empty(),
            "refused, expired"
        );
        c.status = Status::Acknowledged;
        assert_eq!(set.breaches(&c, on("2026-03-26")).len(), 2, "open, expired");
    }

    #[test]
    fn a_preservation_rule_takes_no_status_anchor_or_other_trigger() {
        let err = |spec| set_of(vec![spec]).unwrap_err();
        let mut with_status = expiry("p", 14, 2);
        with_status.statuses = vec!["sent".into()];
        assert!(err(with_status).contains("`p`: a preservation rule"));
        let mut with_days = expiry("p", 14, 2);
        with_days.after_days = Some(3);
        assert!(err(with_days).contains("exactly one of"));
        let mut anchored = expiry("p", 14, 2);
        anchored.from = Some("sent".into());
        assert!(err(anchored).contains("takes no statuses, from or extendable"));
        // Without preservations, a preservation rule never fires.
        let set = set_of(vec![expiry("p", 14, 2)]).unwrap();
        assert!(
            set.breaches(&sent_on("2020-01-01"), on("2026-01-01"))
                .is_empty()
        );
    }
}
