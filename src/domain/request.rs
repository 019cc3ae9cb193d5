//! An MLA request: the descriptive fields staff edit, the lifecycle fields the
//! transitions maintain, the case it is filed under, and the JSON shapes the
//! API accepts for them.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;
use validator::Validate;

use super::body::{
    as_object, dedupe, every_field_error, field_error, not_blank, plausible_date, take,
    without_nulls,
};
pub use super::body::{deserialize_named, merge_patch};
use super::link::RequestLink;
use super::{
    AbandonmentReason, Channel, CountryCode, Facilitator, FieldErrors, LegalBasis, Measure,
    MeasureOutcome, Offence, Priority, RefusalGround, Status, Today, check_date,
};

/// The judge or prosecutor who issued the request (or opened the case).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Magistrate {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub court: Option<String>,
    #[serde(default)]
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254)]
    pub email: Option<String>,
}

/// What became of each measure of an executed or partially executed
/// request, by measure.
pub type MeasureOutcomes = BTreeMap<Measure, MeasureOutcome>;

/// What `POST /requests` sets and `PATCH /requests/{id}` may change: the
/// description of the request, as opposed to where it stands. The case it
/// is filed under is chosen apart ([`CaseChoice`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestFields {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[validate(nested)]
    pub issuing_magistrate: Magistrate,
    pub target_country: CountryCode,
    #[serde(default)]
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub requested_authority: Option<String>,
    /// How it travelled.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// Who helped it on its way (Eurojust, the EJN, a liaison magistrate,
    /// Interpol), whatever the channel.
    // In a body, `null` means "not given" (the default); see `merge_patch`.
    #[serde(default)]
    #[schema(nullable)]
    pub facilitators: Vec<Facilitator>,
    #[serde(default)]
    pub legal_basis: Option<LegalBasis>,
    #[serde(default)]
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub legal_basis_detail: Option<String>,
    #[serde(default)]
    #[schema(nullable)]
    pub offences: Vec<Offence>,
    #[serde(default)]
    #[schema(nullable)]
    pub measures: Vec<Measure>,
    /// Per measure asked, what became of it: only on an executed or
    /// partially executed request, and only for its `measures`. Merged key
    /// by key (`null` removes one).
    #[serde(default)]
    #[schema(value_type = Object, nullable)]
    pub measure_outcomes: MeasureOutcomes,
    #[serde(default = "normal")]
    #[schema(nullable)]
    pub priority: Priority,
    #[serde(default)]
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254)]
    pub coordinator_email: Option<String>,
    #[serde(default)]
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub outcome_note: Option<String>,
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub foreign_reference: Option<String>,
    #[serde(default)]
    #[validate(custom(function = "plausible_date"))]
    pub needed_by: Option<NaiveDate>,
}

fn normal() -> Priority {
    Priority::Normal
}

/// A whole record, as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MlaRequest {
    pub id: Uuid,
    pub reference: String,
    /// The case it is filed under.
    pub case_id: Uuid,
    /// That case's reference: the domestic case or procedure number.
    pub case_reference: String,
    #[serde(flatten)]
    pub fields: RequestFields,
    #[serde(flatten)]
    pub lifecycle: Lifecycle,
    /// Its typed links to and from other requests, oldest first.
    pub links: Vec<RequestLink>,
    pub version: i32,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where a request stands and the dates of its life (docs/DOMAIN.md §4);
/// changed only by transitions and milestones, each recorded in the
/// history with its effective date.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Lifecycle {
    pub status: Status,
    pub status_since: NaiveDate,
    pub sent_at: Option<NaiveDate>,
    /// The instant it was sent (UTC), recorded for emergencies: the hour
    /// rules count from it.
    pub sent_time: Option<DateTime<Utc>>,
    /// When the requested state received it, as its acknowledgement or the
    /// transmission proof says (a milestone).
    pub received_at: Option<NaiveDate>,
    /// The first acknowledgement of receipt: not an answer.
    pub acknowledged_at: Option<NaiveDate>,
    /// The recognition decision of an EIO (a milestone): the execution
    /// deadline runs from it.
    pub recognised_at: Option<NaiveDate>,
    /// The first substantive response: the first entry into
    /// `additional_info_requested`, `postponed`, `in_execution`,
    /// `partially_executed`, `executed` or `refused`.
    pub first_response_at: Option<NaiveDate>,
    /// The deadline as extended by the requested state (EIO art. 12(5)–(6)).
    pub deadline_extended_to: Option<NaiveDate>,
    /// Why, as the requested state gave it.
    pub deadline_extension_reason: Option<String>,
    pub closed_at: Option<NaiveDate>,
    pub abandonment_reason: Option<AbandonmentReason>,
    pub refusal_ground: Option<RefusalGround>,
}

impl Lifecycle {
    /// A request's life at its start: `status` since `since`, nothing else
    /// happened yet.
    pub fn starting(status: Status, since: NaiveDate, sent_at: Option<NaiveDate>) -> Lifecycle {
        Lifecycle {
            status,
            status_since: since,
            sent_at,
            sent_time: None,
            received_at: None,
            acknowledged_at: None,
            recognised_at: None,
            first_response_at: None,
            deadline_extended_to: None,
            deadline_extension_reason: None,
            closed_at: None,
            abandonment_reason: None,
            refusal_ground: None,
        }
    }
}

/// A field's value before and after a change, for the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub old: Value,
    pub new: Value,
}

/// Changed fields by name.
pub type Changes = BTreeMap<String, Change>;

/// The case a new request is filed under, or a request moves to: by its id,
/// by its reference (found, or opened with the request's title, magistrate
/// and offences when no case has it), or both (which must agree).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseChoice {
    pub id: Option<Uuid>,
    pub reference: Option<String>,
}

/// A parsed `POST /requests` body.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRequest {
    /// `None`: generate `MLA-YYYY-NNNNN`.
    pub reference: Option<String>,
    pub case: CaseChoice,
    pub fields: RequestFields,
    pub lifecycle: Lifecycle,
}

/// Keys of the record that only transitions (or the server) set.
const READ_ONLY: &[&str] = &[
    "id",
    "status",
    "status_since",
    "sent_at",
    "sent_time",
    "received_at",
    "acknowledged_at",
    "recognised_at",
    "first_response_at",
    "deadline_extended_to",
    "deadline_extension_reason",
    "closed_at",
    "abandonment_reason",
    "refusal_ground",
    "version",
    "created_by",
    "created_at",
    "updated_at",
];

/// The keys that choose the case.
const CASE_KEYS: [&str; 2] = ["case_id", "case_reference"];

impl NewRequest {
    /// Parses and checks a creation body. A request starts as a `draft`, or
    /// directly in `sent` when `sent_at` is given (logging a past request).
    pub fn from_json(body: Map<String, Value>, today: Today) -> Result<NewRequest, FieldErrors> {
        // A body is a merge patch onto nothing: `null` means "not given".
        let mut body = without_nulls(body);
        let mut errors = FieldErrors::default();
        let reference = take::<String>(&mut body, "reference", &mut errors);
        let status = take::<Status>(&mut body, "status", &mut errors);
        let sent_at = take::<NaiveDate>(&mut body, "sent_at", &mut errors);
        let sent_time = take::<DateTime<Utc>>(&mut body, "sent_time", &mut errors);
        let case = take_case_choice(&mut body, &mut errors);
        if case
            .as_ref()
            .is_some_and(|c| c.id.is_none() && c.reference.is_none())
            && !errors.0.contains_key("case_reference")
            && !errors.0.contains_key("case_id")
        {
            errors.add(
                "case_reference",
                "is required: the domestic case number (or give `case_id`, the case's id)",
            );
        }
        for key in READ_ONLY {
            if body.remove(*key).is_some() {
                errors.add(
                    *key,
                    "is set by the server or by transitions, not on creation",
                );
            }
        }
        if body.remove("links").is_some() {
            errors.add(
                "links",
                "are made with POST /api/v1/requests/{id}/links once the request exists",
            );
        }
        let fields = parse_fields(Value::Object(body));
        let fields = match fields {
            Ok(fields) => Some(fields),
            Err(e) => {
                errors.merge(e);
                None
            }
        };
        if let Some(reference) = &reference
            && let Err(message) = check_reference(reference)
        {
            errors.add("reference", message);
        }
        let status = match (status, sent_at) {
            (None | Some(Status::Draft), None) => Status::Draft,
            (None | Some(Status::Sent), Some(_)) => Status::Sent,
            (Some(Status::Sent), None) => {
                errors.add(
                    "sent_at",
                    "is required to create a request directly in `sent`",
                );
                Status::Sent
            }
            (Some(Status::Draft), Some(_)) => {
                errors.add(
                    "sent_at",
                    "must be empty for a draft; leave `status` out or set it to `sent`",
                );
                Status::Draft
            }
            (Some(other), _) => {
                errors.add(
                    "status",
                    format!("a request is created as `draft` or `sent`, not `{other}`; record later steps as transitions"),
                );
                other
            }
        };
        if let Some(Err(message)) = sent_at.map(|d| check_date(d, today)) {
            errors.add("sent_at", message);
        }
        if let Some(fields) = &fields {
            errors.merge(check_outcomes(fields, status, true));
            if status == Status::Sent {
                errors.merge(check_ready_to_send(fields));
            }
        }
        let sent_time = match (sent_at, &fields) {
            (Some(date), Some(fields)) => sending_time(sent_time, date, fields.priority, today)
                .unwrap_or_else(|message| {
                    errors.add("sent_time", message);
                    None
                }),
            (None, _) if sent_time.is_some() => {
                errors.add("sent_time", "needs `sent_at`, the date it was sent");
                None
            }
            _ => None,
        };
        errors.into_result()?;
        let fields = fields.expect("no errors means the fields parsed");
        let mut lifecycle = Lifecycle::starting(status, sent_at.unwrap_or(today.date), sent_at);
        lifecycle.sent_time = sent_time;
        Ok(NewRequest {
            reference,
            case: case.expect("no errors means the case was named"),
            fields,
            lifecycle,
        })
    }
}

/// Takes `case_id` and `case_reference` out of `body`, checked; `None`
/// when either is malformed (the error is recorded).
fn take_case_choice(body: &mut Map<String, Value>, errors: &mut FieldErrors) -> Option<CaseChoice> {
    let before = errors.0.len();
    let id = match body.remove("case_id") {
        None => None,
        Some(Value::Null) => {
            errors.add("case_id", "a request always belongs to a case");
            None
        }
        Some(value) => match serde_json::from_value::<Uuid>(value) {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("case_id", "must be the id (a UUID) of a case");
                None
            }
        },
    };
    let reference = match body.remove("case_reference") {
        None => None,
        Some(Value::Null) => {
            errors.add("case_reference", "a request always belongs to a case");
            None
        }
        Some(Value::String(text)) => {
            let wrong = check_case_reference(&text);
            for message in &wrong {
                errors.add("case_reference", *message);
            }
            wrong.is_empty().then_some(text)
        }
        Some(other) => {
            errors.add(
                "case_reference",
                format!("invalid type: {}, expected a string", kind_of(&other)),
            );
            None
        }
    };
    (errors.0.len() == before).then_some(CaseChoice { id, reference })
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "sequence",
        Value::Object(_) => "map",
    }
}

/// A case reference: the domestic case or procedure number, free text of 1
/// to 100 characters, not blank. What is wrong with `text`, if anything.
pub fn check_case_reference(text: &str) -> Vec<&'static str> {
    let mut wrong = Vec::new();
    if !(1..=100).contains(&text.chars().count()) {
        wrong.push("must be 1 to 100 characters long");
    }
    if text.trim().is_empty() {
        wrong.push("must not be blank");
    }
    wrong
}

/// What a `PATCH` body makes of a request: its new descriptive fields, what
/// changed among them, and the case to move it to, if the patch names one
/// other than its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Patched {
    pub fields: RequestFields,
    pub changes: Changes,
    pub move_to: Option<CaseChoice>,
}

/// Applies a `PATCH` body (a JSON merge patch over the descriptive fields:
/// absent = unchanged, `null` = cleared; `case_id` or `case_reference`
/// files it under another case) and returns the new fields with what
/// changed. Lifecycle fields are refused with a pointer to the transitions.
pub fn apply_patch(
    current: &MlaRequest,
    patch: Map<String, Value>,
) -> Result<Patched, FieldErrors> {
    let mut errors = patch_errors(&patch);
    errors.clone().into_result()?;
    let mut patch = patch;
    let case = take_case_choice(&mut patch, &mut errors);
    errors.into_result()?;
    let old = as_object(&current.fields);
    let mut merged = Value::Object(old.clone());
    merge_patch(&mut merged, Value::Object(patch));
    let fields = parse_fields(merged)?;
    let new = as_object(&fields);
    let changes: Changes = new
        .into_iter()
        .filter_map(|(key, new)| {
            let old = old.get(&key).cloned().unwrap_or(Value::Null);
            (old != new).then_some((key, Change { old, new }))
        })
        .collect();
    let mut errors = check_outcomes(
        &fields,
        current.lifecycle.status,
        changes.contains_key("measure_outcomes"),
    );
    if current.lifecycle.status != Status::Draft {
        errors.merge(check_ready_to_send(&fields));
    }
    errors.into_result()?;
    let move_to = case.filter(|c| {
        let same_id = c.id.is_none_or(|id| id == current.case_id);
        let same_reference = c
            .reference
            .as_ref()
            .is_none_or(|r| *r == current.case_reference);
        !(same_id && same_reference)
    });
    Ok(Patched {
        fields,
        changes,
        move_to,
    })
}

/// What is wrong with a `PATCH` body on its own, whatever the record: keys
/// that cannot be patched, and each field's value merged alone onto a valid
/// record. Checked before the version, so a malformed patch is a 422 even
/// with a stale If-Match (found by fuzzing: it used to be hidden by a 412).
pub fn patch_errors(patch: &Map<String, Value>) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let template = required_template();
    let mut case_keys = Map::new();
    for (key, value) in patch {
        if READ_ONLY.contains(&key.as_str()) {
            errors.add(
                key.clone(),
                "cannot be changed with PATCH; use POST /requests/{id}/transitions",
            );
        } else if key == "reference" {
            errors.add(
                key.clone(),
                "is the request's identifier and cannot be changed",
            );
        } else if key == "links" {
            errors.add(
                key.clone(),
                "cannot be changed with PATCH; use POST or DELETE /requests/{id}/links",
            );
        } else if CASE_KEYS.contains(&key.as_str()) {
            case_keys.insert(key.clone(), value.clone());
        } else if let Some(message) = facilitator_as_channel(key, value) {
            errors.add(key.clone(), message);
        } else {
            errors.merge(field_error::<RequestFields>(&template, key, value.clone()));
        }
    }
    take_case_choice(&mut case_keys, &mut errors);
    errors
}

/// A channel value that became a facilitator: said so, rather than "unknown
/// channel", to whoever still sends it.
fn facilitator_as_channel(key: &str, value: &Value) -> Option<String> {
    let facilitator = value
        .as_str()
        .filter(|_| key == "channel")
        .and_then(Facilitator::parse)?;
    Some(format!(
        "`{facilitator}` is a facilitator now, not a channel: list it in `facilitators` and \
         give the route the request took in `channel` (`other` when unknown)"
    ))
}

/// The instant a request left, sent on `date`: `given`, which must fall on
/// that date in the office's zone and not in the future; else, for an
/// emergency sent today, now (its hour rules count from it); else unknown.
pub fn sending_time(
    given: Option<DateTime<Utc>>,
    date: NaiveDate,
    priority: Priority,
    today: Today,
) -> Result<Option<DateTime<Utc>>, String> {
    match given {
        Some(at) if at > today.now => Err("must not be in the future".into()),
        Some(at) if today.date_of(at) != date => Err(format!(
            "is on {} in {}, not on the day it was sent ({date})",
            today.date_of(at),
            today.zone
        )),
        Some(at) => Ok(Some(at)),
        None if priority == Priority::Emergency && date == today.date => Ok(Some(today.now)),
        None => Ok(None),
    }
}

/// What a request needs before it can leave for abroad. The legal basis is
/// checked against the country again, for a draft recorded before the rule.
pub fn check_ready_to_send(fields: &RequestFields) -> FieldErrors {
    let mut errors = FieldErrors::default();
    if fields.channel.is_none() {
        errors.add("channel", "is required once the request is sent");
    }
    if fields.legal_basis.is_none() {
        errors.add("legal_basis", "is required once the request is sent");
    }
    errors.merge(check_basis_and_country(fields));
    errors
}

/// The statuses in which what became of each measure can be recorded.
pub fn records_outcomes(status: Status) -> bool {
    matches!(status, Status::Executed | Status::PartiallyExecuted)
}

/// Outcomes name only the request's measures; they are recorded (`changed`)
/// only on an executed or partially executed request, where they are kept
/// through later moves.
pub fn check_outcomes(fields: &RequestFields, status: Status, changed: bool) -> FieldErrors {
    let mut errors = FieldErrors::default();
    for measure in fields.measure_outcomes.keys() {
        if !fields.measures.contains(measure) {
            errors.add(
                format!("measure_outcomes.{measure}"),
                "is not one of the request's measures; add it to `measures`, or remove its \
                 outcome (null) together with the measure",
            );
        }
    }
    if changed && !fields.measure_outcomes.is_empty() && !records_outcomes(status) {
        errors.add(
            "measure_outcomes",
            format!(
                "can be recorded only on an executed or partially executed request (this one \
                 is `{status}`): record them with the transition"
            ),
        );
    }
    errors
}

/// The rules between fields: a legal basis that only works between some
/// countries (an EIO, an e-evidence order) must name one of them
/// (docs/DOMAIN.md §5.4). Filed under `legal_basis`.
pub fn check_basis_and_country(fields: &RequestFields) -> FieldErrors {
    let refusal = fields
        .legal_basis
        .and_then(|basis| super::instruments::refusal(basis, fields.target_country));
    refusal.map_or_else(FieldErrors::default, |message| {
        FieldErrors::one("legal_basis", message)
    })
}

/// Parses and checks the descriptive fields, naming the field behind every
/// error: every creation and every PATCH comes through here.
pub fn parse_fields(value: Value) -> Result<RequestFields, FieldErrors> {
    let mut value = value;
    let mut errors = FieldErrors::default();
    if let Some(object) = value.as_object_mut()
        && let Some(message) = object
            .get("channel")
            .and_then(|channel| facilitator_as_channel("channel", channel))
    {
        errors.add("channel", message);
        object.remove("channel");
    }
    let whole = deserialize_named::<RequestFields>(value.clone());
    let mut fields = match whole {
        Ok(fields) => fields,
        Err(first) => {
            errors.merge(
                every_field_error::<RequestFields>(&value, &required_template()).unwrap_or(first),
            );
            return Err(errors);
        }
    };
    errors.into_result()?;
    dedupe(&mut fields.offences);
    dedupe(&mut fields.measures);
    dedupe(&mut fields.facilitators);
    let mut errors = FieldErrors::of(&fields);
    errors.merge(check_basis_and_country(&fields));
    errors.into_result()?;
    Ok(fields)
}

/// The smallest valid set of descriptive fields: the required ones.
fn required_template() -> Map<String, Value> {
    let Value::Object(map) = serde_json::json!({
        "title": "x",
        "issuing_magistrate": {"name": "x"},
        "target_country": "FR",
    }) else {
        unreachable!("an object literal")
    };
    map
}

/// References are printed on letters and typed into foreign systems: keep
/// them short and plain (ASCII, so any keyboard can type them and the
/// OpenAPI document can state the rule exactly as a pattern).
pub fn check_reference(reference: &str) -> Result<(), String> {
    let ok_chars = reference
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_/.: ".contains(c));
    if reference.trim().is_empty()
        || reference.len() > 64
        || !ok_chars
        || reference.trim() != reference
    {
        return Err(
            "must be 1 to 64 ASCII letters, digits, spaces or - _ / . : with no surrounding spaces"
                .into(),
        );
    }
    Ok(())
}

/// The reference given to the `number`th request created in `year`.
pub fn generated_reference(year: i32, number: i64) -> String {
    format!("MLA-{year}-{number:05}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn minimal() -> Value {
        json!({"case_reference": "PARQUET-1", "title": "T", "issuing_magistrate": {"name": "J. Doe"}, "target_country": "ph"})
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn minimal_body_makes_a_normal_priority_draft() {
        let r = NewRequest::from_json(body(minimal()), Today::on(day("2026-01-10"))).unwrap();
        assert_eq!(r.lifecycle.status, Status::Draft);
        assert_eq!(r.lifecycle.status_since, day("2026-01-10"));
        assert_eq!(r.fields.priority, Priority::Normal);
        assert_eq!(r.fields.target_country.as_str(), "PH");
    }

    #[test]
    fn sent_at_creates_directly_in_sent_but_needs_channel_and_basis() {
        let mut v = minimal();
        v["sent_at"] = json!("2025-03-01");
        let err = NewRequest::from_json(body(v.clone()), Today::on(day("2026-01-10"))).unwrap_err();
        assert!(
            err.0.contains_key("channel") && err.0.contains_key("legal_basis"),
            "{err:?}"
        );
        v["channel"] = json!("central_authority");
        v["legal_basis"] = json!("untoc");
        let r = NewRequest::from_json(body(v), Today::on(day("2026-01-10"))).unwrap();
        assert_eq!(r.lifecycle.status, Status::Sent);
        assert_eq!(r.lifecycle.sent_at, Some(day("2025-03-01")));
        assert_eq!(r.lifecycle.status_since, day("2025-03-01"));
    }

    #[test]
    fn errors_name_every_bad_field() {
        let v = json!({"title": "", "issuing_magistrate": {"email": "nope"}, "target_country": "ZZ",
                       "channel": "pigeon", "offences": ["fraud", "jaywalking"], "status": "executed"});
        let err = NewRequest::from_json(body(v), Today::on(day("2026-01-10"))).unwrap_err();
        let keys: Vec<_> = err.0.keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "case_reference",
                "channel",
                "issuing_magistrate.name",
                "offences[1]",
                "status",
                "target_country",
                "title"
            ]
        );
    }

    #[test]
    fn the_case_is_named_by_reference_or_id_and_never_cleared() {
        let today = Today::on(day("2026-01-10"));
        let r = NewRequest::from_json(body(minimal()), today).unwrap();
        assert_eq!(
            r.case,
            CaseChoice {
                id: None,
                reference: Some("PARQUET-1".into())
            }
        );
        let mut by_id = minimal();
        by_id.as_object_mut().unwrap().remove("case_reference");
        by_id["case_id"] = json!(Uuid::nil());
        let r = NewRequest::from_json(body(by_id.clone()), today).unwrap();
        assert_eq!(r.case.id, Some(Uuid::nil()));
        by_id["case_id"] = json!("PARQUET-1");
        let err = NewRequest::from_json(body(by_id), today).unwrap_err();
        assert_eq!(err.0.keys().collect::<Vec<_>>(), ["case_id"], "{err:?}");
        let mut neither = minimal();
        neither["case_reference"] = json!(null);
        let err = NewRequest::from_json(body(neither), today).unwrap_err();
        assert!(
            err.0["case_reference"][0].starts_with("is required"),
            "{err:?}"
        );
        let err = apply_patch(&record(), body(json!({"case_reference": null}))).unwrap_err();
        assert!(
            err.0["case_reference"][0].contains("always belongs"),
            "{err:?}"
        );
        let moved = apply_patch(&record(), body(json!({"case_reference": "PARQUET-2"}))).unwrap();
        assert_eq!(
            moved.move_to.unwrap().reference.as_deref(),
            Some("PARQUET-2")
        );
        let same = apply_patch(&record(), body(json!({"case_reference": "PARQUET-1"}))).unwrap();
        assert_eq!(same.move_to, None);
    }

    #[test]
    fn a_facilitator_is_not_a_channel_and_fields_that_moved_say_where() {
        let today = Today::on(day("2026-01-10"));
        let mut v = minimal();
        v["channel"] = json!("eurojust");
        v["facilitators"] = json!(["ejn", "eurojust", "ejn"]);
        v["victims_identified"] = json!(3);
        v["related_request_id"] = json!(Uuid::nil());
        let err = NewRequest::from_json(body(v.clone()), today).unwrap_err();
        assert!(err.0["channel"][0].contains("facilitator"), "{err:?}");
        assert!(err.0["victims_identified"][0].contains("case"), "{err:?}");
        assert!(err.0["related_request_id"][0].contains("links"), "{err:?}");
        v["channel"] = json!("other");
        let obj = v.as_object_mut().unwrap();
        obj.remove("victims_identified");
        obj.remove("related_request_id");
        let r = NewRequest::from_json(body(v), today).unwrap();
        assert_eq!(
            r.fields.facilitators,
            [Facilitator::Ejn, Facilitator::Eurojust]
        );
        let err = apply_patch(&record(), body(json!({"channel": "interpol"}))).unwrap_err();
        assert!(err.0["channel"][0].contains("facilitator"), "{err:?}");
    }

    #[test]
    fn outcomes_name_the_measures_of_an_executed_request() {
        let mut r = record();
        r.fields.measures = vec![Measure::SubscriberData, Measure::IdentifyVictims];
        r.fields.channel = Some(Channel::CentralAuthority);
        r.fields.legal_basis = Some(LegalBasis::Untoc);
        let err = apply_patch(
            &r,
            body(json!({"measure_outcomes": {"subscriber_data": "data_not_held"}})),
        )
        .unwrap_err();
        assert!(err.0["measure_outcomes"][0].contains("`draft`"), "{err:?}");
        r.lifecycle.status = Status::PartiallyExecuted;
        let done = apply_patch(
            &r,
            body(json!({"measure_outcomes": {"subscriber_data": "data_not_held"}})),
        )
        .unwrap();
        assert_eq!(
            done.fields.measure_outcomes[&Measure::SubscriberData],
            MeasureOutcome::DataNotHeld
        );
        let err = apply_patch(
            &r,
            body(json!({"measure_outcomes": {"bank_records": "refused", "teleport": "executed"}})),
        )
        .unwrap_err();
        let keys: Vec<_> = err.0.keys().cloned().collect();
        assert_eq!(keys, ["measure_outcomes.teleport"], "{err:?}");
        let err = apply_patch(
            &r,
            body(json!({"measure_outcomes": {"bank_records": "refused"}})),
        )
        .unwrap_err();
        assert!(
            err.0["measure_outcomes.bank_records"][0].contains("not one of"),
            "{err:?}"
        );
        // A creation body cannot carry them: nothing was executed yet.
        let mut v = minimal();
        v["measures"] = json!(["subscriber_data"]);
        v["measure_outcomes"] = json!({"subscriber_data": "executed"});
        let err = NewRequest::from_json(body(v), Today::on(day("2026-01-10"))).unwrap_err();
        assert!(err.0.contains_key("measure_outcomes"), "{err:?}");
    }

    #[test]
    fn validation_reports_nested_paths() {
        let mut v = minimal();
        v["issuing_magistrate"] = json!({"name": " ", "email": "not-an-email"});
        v["title"] = json!("x".repeat(201));
        let err = NewRequest::from_json(body(v), Today::on(day("2026-01-10"))).unwrap_err();
        let keys: Vec<_> = err.0.keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "issuing_magistrate.email",
                "issuing_magistrate.name",
                "title"
            ]
        );
    }

    #[test]
    fn missing_required_field_is_named() {
        let v = json!({"title": "T", "issuing_magistrate": {"name": "J"}, "target_country": "PH"});
        let err = NewRequest::from_json(body(v), Today::on(day("2026-01-10"))).unwrap_err();
        assert!(
            err.0["case_reference"][0].starts_with("is required"),
            "{err:?}"
        );
    }

    #[test]
    fn future_sent_at_is_refused() {
        let mut v = minimal();
        v["sent_at"] = json!("2026-01-11");
        let err = NewRequest::from_json(body(v), Today::on(day("2026-01-10"))).unwrap_err();
        assert!(err.0["sent_at"][0].contains("future"));
    }

    fn record() -> MlaRequest {
        let new = NewRequest::from_json(body(minimal()), Today::on(day("2026-01-10"))).unwrap();
        MlaRequest {
            id: Uuid::nil(),
            reference: "MLA-2026-00001".into(),
            case_id: Uuid::nil(),
            case_reference: "PARQUET-1".into(),
            fields: new.fields,
            lifecycle: new.lifecycle,
            links: Vec::new(),
            version: 1,
            created_by: Uuid::nil(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn patch_changes_only_what_it_names_and_null_clears() {
        let mut r = record();
        r.fields.foreign_reference = Some("X-1".into());
        let Patched {
            fields,
            changes,
            move_to,
        } = apply_patch(
            &r,
            body(json!({"title": "New", "foreign_reference": null, "priority": "urgent"})),
        )
        .unwrap();
        assert_eq!(fields.title, "New");
        assert_eq!(fields.foreign_reference, None);
        assert_eq!(move_to, None);
        let keys: Vec<_> = changes.keys().cloned().collect();
        assert_eq!(keys, ["foreign_reference", "priority", "title"]);
        assert_eq!(changes["title"].old, json!("T"));
    }

    #[test]
    fn patch_refuses_lifecycle_fields_and_clearing_required_ones() {
        let r = record();
        let err = apply_patch(&r, body(json!({"status": "executed"}))).unwrap_err();
        assert!(err.0["status"][0].contains("transitions"));
        let err = apply_patch(&r, body(json!({"title": null}))).unwrap_err();
        assert!(err.0.contains_key("title"), "{err:?}");
        let err = apply_patch(&r, body(json!({"colour": "red"}))).unwrap_err();
        assert!(err.0.contains_key("colour"), "{err:?}");
    }

    #[test]
    fn duplicates_in_lists_are_dropped() {
        let mut v = minimal();
        v["offences"] = json!(["fraud", "cybercrime", "fraud"]);
        let r = NewRequest::from_json(body(v), Today::on(day("2026-01-10"))).unwrap();
        assert_eq!(r.fields.offences, vec![Offence::Fraud, Offence::Cybercrime]);
    }

    fn eio_to(country: &str) -> Value {
        let mut v = minimal();
        v["target_country"] = json!(country);
        v["legal_basis"] = json!("eio_directive");
        v
    }

    #[test]
    fn an_eio_outside_the_states_the_directive_binds_is_refused_on_creation() {
        let today = Today::on(day("2026-01-10"));
        for country in ["dk", "PH"] {
            let err = NewRequest::from_json(body(eio_to(country)), today).unwrap_err();
            assert_eq!(err.0.keys().collect::<Vec<_>>(), ["legal_basis"], "{err:?}");
            assert_eq!(err.0["legal_basis"].len(), 1, "{err:?}");
            assert!(
                err.0["legal_basis"][0]
                    .starts_with("an EIO can only be sent to an EU member state"),
                "{err:?}"
            );
            // Logged as sent: said once, not again by the checks of sending.
            let mut sent = eio_to(country);
            sent["sent_at"] = json!("2025-12-01");
            sent["channel"] = json!("direct_judicial");
            let err = NewRequest::from_json(body(sent), today).unwrap_err();
            assert_eq!(err.0["legal_basis"].len(), 1, "{err:?}");
        }
        let r = NewRequest::from_json(body(eio_to("de")), today).unwrap();
        assert_eq!(r.fields.legal_basis, Some(LegalBasis::EioDirective));
    }

    #[test]
    fn a_mismatch_is_named_beside_the_other_errors() {
        let mut v = eio_to("DK");
        v["title"] = json!(" ");
        let err = NewRequest::from_json(body(v), Today::on(day("2026-01-10"))).unwrap_err();
        let keys: Vec<_> = err.0.keys().cloned().collect();
        assert_eq!(keys, ["legal_basis", "title"]);
    }

    #[test]
    fn a_patch_may_not_make_the_basis_and_the_country_disagree() {
        let r = record(); // a draft to PH, no legal basis
        let err = apply_patch(&r, body(json!({"legal_basis": "eio_directive"}))).unwrap_err();
        assert!(
            err.0["legal_basis"][0].contains("Philippines (PH)"),
            "{err:?}"
        );
        let Patched {
            fields, changes, ..
        } = apply_patch(
            &r,
            body(json!({"legal_basis": "eio_directive", "target_country": "be"})),
        )
        .unwrap();
        assert_eq!(fields.target_country.as_str(), "BE");
        assert_eq!(changes.len(), 2);
        let mut eio = r.clone();
        eio.fields = fields;
        let err = apply_patch(&eio, body(json!({"target_country": "IE"}))).unwrap_err();
        assert!(err.0["legal_basis"][0].contains("Ireland (IE)"), "{err:?}");
        // Clearing the basis clears the mismatch.
        assert!(
            apply_patch(
                &eio,
                body(json!({"legal_basis": null, "target_country": "IE"}))
            )
            .is_ok()
        );
    }

    #[test]
    fn a_draft_recorded_before_the_rule_cannot_be_sent() {
        let mut r = record();
        r.fields.channel = Some(Channel::DirectJudicial);
        r.fields.legal_basis = Some(LegalBasis::EioDirective);
        let err = check_ready_to_send(&r.fields);
        assert_eq!(err.0.keys().collect::<Vec<_>>(), ["legal_basis"], "{err:?}");
        r.fields.target_country = CountryCode::parse("AT").unwrap();
        assert!(check_ready_to_send(&r.fields).is_empty());
    }

    #[test]
    fn references_are_plain() {
        assert!(check_reference("MLA-2026-00001").is_ok());
        assert!(check_reference("PARQUET/2026:17").is_ok());
        assert!(check_reference("").is_err());
        assert!(check_reference(" x").is_err());
        assert!(check_reference("a\nb").is_err());
        // ASCII only: found by fuzzing, the document's pattern says so.
        assert!(check_reference("RÉF-1").is_err());
        assert!(check_reference("١٢٣").is_err());
        assert_eq!(generated_reference(2026, 7), "MLA-2026-00007");
        assert_eq!(generated_reference(2026, 123456), "MLA-2026-123456");
    }
}
