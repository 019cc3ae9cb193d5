//! What the subcommands share: a runtime for the services, and service
//! errors as sentences.

use crate::domain::FieldErrors;
use crate::services;

/// Runs `work` to completion on a runtime of its own (the services run
/// their database work on the runtime's blocking pool).
pub fn block_on<F: std::future::Future>(work: F) -> F::Output {
    actix_web::rt::System::new().block_on(work)
}

/// A service error as a sentence: invalid fields are listed by name.
pub fn explained(what: &str, e: services::Error) -> anyhow::Error {
    match e {
        services::Error::Validation(fields) => {
            anyhow::anyhow!("{what}: {}", sentences(&fields))
        }
        other => anyhow::Error::new(other).context(what.to_string()),
    }
}

/// `email must be an email address; name must not be blank`.
fn sentences(fields: &FieldErrors) -> String {
    fields
        .0
        .iter()
        .flat_map(|(field, messages)| messages.iter().map(move |m| format!("{field} {m}")))
        .collect::<Vec<_>>()
        .join("; ")
}
