//! Pure types and rules of the domain: no I/O here, so everything can be
//! unit-tested and every handler can trust what it receives.

pub mod alert_rules;
pub mod body;
pub mod calendar;
pub mod case;
pub mod clock;
pub mod country;
pub mod instruments;
pub mod language;
pub mod legal_deadline;
pub mod link;
pub mod milestone;
pub mod preservation;
pub mod request;
pub mod status;
pub mod transition;
pub mod vocab;

use std::collections::BTreeMap;

pub use clock::{Clock, FIRST_YEAR, Today, check_date};
pub use country::CountryCode;
pub use language::Language;
pub use status::{Status, WaitingOn};
pub use vocab::{
    AbandonmentReason, Channel, Facilitator, FollowUpChannel, ForeignProceedings, LegalBasis,
    Measure, MeasureOutcome, Offence, Priority, RefusalGround, Role,
};

/// Messages per field (dotted path, e.g. `issuing_magistrate.email`), as the
/// API's 422 body reports them.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldErrors(pub BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn one(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_default().push(message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was added, so checks can end with `errors.into_result()?`.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    /// What `validator` finds wrong with `value`, by field.
    pub fn of<T: validator::Validate>(value: &T) -> FieldErrors {
        value
            .validate()
            .err()
            .map(FieldErrors::from)
            .unwrap_or_default()
    }

    pub fn merge(&mut self, other: FieldErrors) {
        for (field, messages) in other.0 {
            self.0.entry(field).or_default().extend(messages);
        }
    }
}

impl From<validator::ValidationErrors> for FieldErrors {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut out = FieldErrors::default();
        collect_validation_errors(&mut out, "", &errors);
        out
    }
}

fn collect_validation_errors(
    out: &mut FieldErrors,
    prefix: &str,
    errors: &validator::ValidationErrors,
) {
    use validator::ValidationErrorsKind as Kind;
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            Kind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_deref()
                        .map(str::to_owned)
                        .unwrap_or_else(|| describe(e));
                    out.add(path.clone(), message);
                }
            }
            Kind::Struct(inner) => collect_validation_errors(out, &path, inner),
            Kind::List(items) => {
                for (index, inner) in items {
                    collect_validation_errors(out, &format!("{path}[{index}]"), inner);
                }
            }
        }
    }
}

/// A readable sentence for validator's built-in codes.
fn describe(e: &validator::ValidationError) -> String {
    let param = |name: &str| e.params.get(name).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be {min} to {max} characters long"),
            (None, Some(max)) => format!("must be at most {max} characters long"),
            (Some(min), None) => format!("must be at least {min} characters long"),
            _ => "has the wrong length".into(),
        },
        "email" => "must be an email address".into(),
        "range" => match (param("min"), param("max")) {
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            _ => "is out of range".into(),
        },
        other => format!("is invalid ({other})"),
    }
}
