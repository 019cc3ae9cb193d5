//! A case: the domestic proceedings its requests serve (docs/DOMAIN.md
//! §2.2). It carries what belongs to the proceedings as a whole — above all
//! the victims identified and safeguarded, counted once for the case rather
//! than once for each request that helped find them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;
use validator::Validate;

use super::body::{
    as_object, dedupe, deserialize_named, every_field_error, field_error, merge_patch, not_blank,
    plausible_date, without_nulls,
};
use super::request::{Change, Changes, Magistrate};
use super::{CountryCode, FieldErrors, ForeignProceedings, LegalBasis, Offence, Status};

/// What `POST /cases` sets and `PATCH /cases/{id}` may change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseFields {
    /// The domestic case or procedure number; unique.
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100)]
    pub case_reference: String,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// The judge or prosecutor in charge of the proceedings.
    #[validate(nested)]
    pub issuing_magistrate: Magistrate,
    // In a body, `null` means "not given" (the default); see `merge_patch`.
    #[serde(default)]
    #[schema(nullable)]
    pub offences: Vec<Offence>,
    /// When the trial is set down for, if it is.
    #[serde(default)]
    #[validate(custom(function = "plausible_date"))]
    pub trial_date: Option<NaiveDate>,
    /// Victims identified in the case thanks to international cooperation,
    /// each counted once however many requests helped find them.
    #[serde(default)]
    #[validate(range(min = 0, max = 1_000_000))]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub victims_identified: Option<i32>,
    /// Of those, the victims brought to safety (removed from harm, in the
    /// care of child protection): never more than `victims_identified`.
    #[serde(default)]
    #[validate(range(min = 0, max = 1_000_000))]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub victims_safeguarded: Option<i32>,
    /// Whether a requested state opened proceedings of its own.
    #[serde(default = "unknown")]
    #[schema(nullable)]
    pub foreign_proceedings_opened: ForeignProceedings,
}

fn unknown() -> ForeignProceedings {
    ForeignProceedings::Unknown
}

/// A case as stored and listed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Case {
    pub id: Uuid,
    #[serde(flatten)]
    pub fields: CaseFields,
    pub version: i32,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A request as its case lists it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CaseRequest {
    pub id: Uuid,
    pub reference: String,
    pub title: String,
    pub target_country: CountryCode,
    pub legal_basis: Option<LegalBasis>,
    pub status: Status,
    pub status_since: NaiveDate,
    pub sent_at: Option<NaiveDate>,
    pub first_response_at: Option<NaiveDate>,
}

/// `GET /cases/{id}`: the case and what hangs off it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    /// Its requests, in the order they were sent (drafts last).
    pub requests: Vec<CaseRequest>,
    /// Data preserved for the case or for its requests, soonest expiry
    /// first.
    pub preservations: Vec<super::preservation::PreservationView>,
}

/// Keys the server sets.
const READ_ONLY: &[&str] = &[
    "id",
    "version",
    "created_by",
    "created_at",
    "updated_at",
    "requests",
    "preservations",
];

/// Parses and checks a `POST /cases` body.
pub fn new_case(body: Map<String, Value>) -> Result<CaseFields, FieldErrors> {
    let mut body = without_nulls(body);
    let mut errors = FieldErrors::default();
    for key in READ_ONLY {
        if body.remove(*key).is_some() {
            errors.add(*key, "is set by the server, not on creation");
        }
    }
    match parse_case_fields(Value::Object(body)) {
        Ok(fields) => {
            errors.into_result()?;
            Ok(fields)
        }
        Err(e) => {
            errors.merge(e);
            Err(errors)
        }
    }
}

/// The case a request opens when it names a case reference no case has:
/// the request's title, magistrate and offences (the rule the migration to
/// cases followed too, from each reference's earliest request).
pub fn opened_by_request(
    case_reference: String,
    title: String,
    issuing_magistrate: Magistrate,
    offences: Vec<Offence>,
) -> CaseFields {
    CaseFields {
        case_reference,
        title,
        issuing_magistrate,
        offences,
        trial_date: None,
        victims_identified: None,
        victims_safeguarded: None,
        foreign_proceedings_opened: ForeignProceedings::Unknown,
    }
}

/// Applies a `PATCH /cases/{id}` body (a JSON merge patch) and returns the
/// new fields with what changed.
pub fn apply_case_patch(
    current: &Case,
    patch: Map<String, Value>,
) -> Result<(CaseFields, Changes), FieldErrors> {
    case_patch_errors(&patch).into_result()?;
    let old = as_object(&current.fields);
    let mut merged = Value::Object(old.clone());
    merge_patch(&mut merged, Value::Object(patch));
    let fields = parse_case_fields(merged)?;
    let changes = as_object(&fields)
        .into_iter()
        .filter_map(|(key, new)| {
            let old = old.get(&key).cloned().unwrap_or(Value::Null);
            (old != new).then_some((key, Change { old, new }))
        })
        .collect();
    Ok((fields, changes))
}

/// What is wrong with a `PATCH /cases/{id}` body on its own, whatever the
/// record (checked before the version, as for requests).
pub fn case_patch_errors(patch: &Map<String, Value>) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let template = required_template();
    for (key, value) in patch {
        if READ_ONLY.contains(&key.as_str()) {
            errors.add(key.clone(), "is set by the server and cannot be changed");
        } else {
            errors.merge(field_error::<CaseFields>(&template, key, value.clone()));
        }
    }
    errors
}

/// Parses and checks a case's fields, naming the field behind every error.
fn parse_case_fields(value: Value) -> Result<CaseFields, FieldErrors> {
    let mut fields = match deserialize_named::<CaseFields>(value.clone()) {
        Ok(fields) => fields,
        Err(first) => {
            return Err(
                every_field_error::<CaseFields>(&value, &required_template()).unwrap_or(first),
            );
        }
    };
    dedupe(&mut fields.offences);
    let mut errors = FieldErrors::of(&fields);
    if let Some(safeguarded) = fields.victims_safeguarded
        && safeguarded > fields.victims_identified.unwrap_or(0)
    {
        errors.add(
            "victims_safeguarded",
            match fields.victims_identified {
                Some(identified) => format!(
                    "cannot be more than victims_identified ({identified}): a child is \
                     identified before being brought to safety"
                ),
                None => "needs victims_identified: a child is identified before being \
                         brought to safety"
                    .into(),
            },
        );
    }
    errors.into_result()?;
    Ok(fields)
}

/// The smallest valid set of case fields: the required ones.
fn required_template() -> Map<String, Value> {
    let Value::Object(map) = serde_json::json!({
        "case_reference": "x",
        "title": "x",
        "issuing_magistrate": {"name": "x"},
    }) else {
        unreachable!("an object literal")
    };
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn minimal() -> Value {
        json!({"case_reference": "PARQUET-2026-0412", "title": "Live-streamed abuse",
               "issuing_magistrate": {"name": "Juge A. Martin"}})
    }

    fn case() -> Case {
        Case {
            id: Uuid::nil(),
            fields: new_case(body(minimal())).unwrap(),
            version: 1,
            created_by: Uuid::nil(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn a_minimal_case_knows_nothing_of_its_outcomes_yet() {
        let fields = new_case(body(minimal())).unwrap();
        assert_eq!(fields.victims_identified, None);
        assert_eq!(
            fields.foreign_proceedings_opened,
            ForeignProceedings::Unknown
        );
    }

    #[test]
    fn errors_name_every_bad_field() {
        let v = json!({"title": " ", "issuing_magistrate": {}, "offences": ["fraud", "x"],
                       "victims_identified": -1, "foreign_proceedings_opened": "maybe",
                       "trial_date": "1850-01-01", "version": 3, "colour": "red"});
        let err = new_case(body(v)).unwrap_err();
        let keys: Vec<_> = err.0.keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "case_reference",
                "colour",
                "foreign_proceedings_opened",
                "issuing_magistrate.name",
                "offences[1]",
                "title",
                "trial_date",
                "version",
                "victims_identified",
            ]
        );
    }

    #[test]
    fn no_more_safeguarded_than_identified() {
        let mut v = minimal();
        v["victims_safeguarded"] = json!(1);
        let err = new_case(body(v.clone())).unwrap_err();
        assert!(
            err.0["victims_safeguarded"][0].starts_with("needs"),
            "{err:?}"
        );
        v["victims_identified"] = json!(2);
        v["victims_safeguarded"] = json!(2);
        assert!(new_case(body(v)).is_ok());
        let mut c = case();
        c.fields.victims_identified = Some(3);
        let err = apply_case_patch(&c, body(json!({"victims_safeguarded": 4}))).unwrap_err();
        assert!(err.0["victims_safeguarded"][0].contains("(3)"), "{err:?}");
    }

    #[test]
    fn a_patch_changes_what_it_names() {
        let (fields, changes) = apply_case_patch(
            &case(),
            body(
                json!({"victims_identified": 3, "foreign_proceedings_opened": "yes",
                        "issuing_magistrate": {"court": "TJ Paris"}}),
            ),
        )
        .unwrap();
        assert_eq!(fields.victims_identified, Some(3));
        assert_eq!(fields.issuing_magistrate.name, "Juge A. Martin");
        let keys: Vec<_> = changes.keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "foreign_proceedings_opened",
                "issuing_magistrate",
                "victims_identified"
            ]
        );
        let err = apply_case_patch(&case(), body(json!({"title": null, "id": "x"}))).unwrap_err();
        assert_eq!(err.0.keys().collect::<Vec<_>>(), ["id", "title"]);
    }
}
