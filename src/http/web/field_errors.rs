//! A field's error, as the person who typed it reads it, in their language.
//!
//! The services name what is wrong in English, for the API. The pages
//! recognise the kinds of problem those messages describe — missing, not a
//! date, in the future or the past, too far ahead, before or after a date
//! it must follow or precede, not an email, too long, not in the list, a
//! legal basis that does not apply to the country, a reason that must come
//! with the move — and say what to do about each in the visitor's language.
//! A message of no known kind is told as "check this value", never shown
//! in English on a French page.

use std::collections::BTreeMap;

use super::i18n::Tr;
use crate::credentials::password::PasswordProblem;
use crate::domain::FieldErrors;

/// The form field an error belongs to: `offences[0]` is the `offences`
/// group, a missing magistrate is their name, a case is given by its
/// reference on the form.
pub fn form_field(key: &str) -> String {
    let key = key.split('[').next().unwrap_or(key);
    match key {
        "issuing_magistrate" => "issuing_magistrate.name".to_string(),
        "case_id" => "case_reference".to_string(),
        other => other.to_string(),
    }
}

/// What to do about `message`, said of a field.
pub fn localized(t: Tr, message: &str) -> &'static str {
    let m = message.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| m.contains(w));
    if has(&["no period in law"]) {
        t.error_no_period()
    } else if has(&["in the past"]) {
        t.error_past()
    } else if has(&["must be within"]) {
        t.error_too_far()
    } else if has(&["applies only to"]) {
        t.error_extension_only()
    } else if has(&["first reply"]) {
        t.error_after_reply()
    } else if has(&["before the request was received"]) {
        t.error_before_received()
    } else if has(&["before the preservation was asked"]) {
        t.error_before_asked()
    } else if has(&["after the current expiry"]) {
        t.error_expiry_not_later()
    } else if has(&["must be after"]) {
        t.error_too_early()
    } else if has(&[
        "is required",
        "must not be blank",
        "a request always belongs",
    ]) {
        t.error_required()
    } else if has(&["in the future", "after today"]) {
        t.error_future()
    } else if has(&[
        "before it was sent",
        "before the request was sent",
        "before sent",
    ]) {
        t.error_before_sent()
    } else if has(&["must not be before"]) {
        t.sent_to_before_from()
    } else if has(&["email"]) {
        t.error_email()
    } else if has(&["characters long", "at most", "too long"]) {
        t.error_length()
    } else if has(&[
        "eu member state",
        "does not apply",
        "not bound",
        "not a party",
        "admits",
    ]) {
        t.error_basis_country()
    } else if has(&["unknown", "expected one of", "expected an iso"]) {
        t.choose_from_list()
    } else if has(&[
        "input is out of range",
        "invalid",
        "premature end",
        "date",
        "yyyy-mm-dd",
    ]) {
        t.invalid_date()
    } else if has(&["already", "exists", "taken"]) {
        t.error_taken()
    } else {
        t.error_check_value()
    }
}

/// What to do about a refused new password.
pub fn password_problem(t: Tr, problem: PasswordProblem) -> &'static str {
    match problem {
        PasswordProblem::TooShort => t.password_too_short(),
        PasswordProblem::TooLong => t.password_too_long(),
        PasswordProblem::Common => t.password_common(),
        PasswordProblem::IsEmail => t.password_is_email(),
    }
}

/// The errors of a form, by form field, each said once.
pub fn by_field(t: Tr, errors: &FieldErrors) -> BTreeMap<String, Vec<&'static str>> {
    let mut shown: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
    for (key, messages) in &errors.0 {
        let entry = shown.entry(form_field(key)).or_default();
        for message in messages {
            let said = localized(t, message);
            if !entry.contains(&said) {
                entry.push(said);
            }
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;

    #[test]
    fn the_service_s_messages_are_told_in_the_reader_s_language() {
        let fr = Tr::new(Language::Fr);
        for (message, expected) in [
            (
                "is required: the domestic case number (or give `case_id`, the case's id)",
                fr.error_required(),
            ),
            ("must not be blank", fr.error_required()),
            (
                "must not be in the future (today is 2026-12-06 in Europe/Paris)",
                fr.error_future(),
            ),
            ("must be an email address", fr.error_email()),
            ("must be 1 to 200 characters long", fr.error_length()),
            (
                "unknown channel `pigeon`; expected one of: central_authority",
                fr.choose_from_list(),
            ),
            (
                "unknown country `zz`; expected an ISO 3166-1 alpha-2 code such as PH or XK",
                fr.choose_from_list(),
            ),
            ("input is out of range", fr.invalid_date()),
            (
                "an EIO can only be sent to an EU member state bound by Directive 2014/41/EU; United States of America (US) is not an EU member state",
                fr.error_basis_country(),
            ),
            ("is required to abandon a request", fr.error_required()),
            ("something nobody foresaw", fr.error_check_value()),
            ("must not be in the past", fr.error_past()),
            (
                "must be within 366 days; snooze again later if needed",
                fr.error_too_far(),
            ),
            (
                "is required for a `domestic` preservation: no period in law to default to",
                fr.error_no_period(),
            ),
            ("is required to record an extension", fr.error_required()),
            (
                "must be after the effective date (2026-02-01)",
                fr.error_too_early(),
            ),
            ("must be after `sent_at` (2026-06-01)", fr.error_too_early()),
            (
                "applies only to `deadline_extended`",
                fr.error_extension_only(),
            ),
            (
                "must not be after the requested state's first reply (2026-01-10)",
                fr.error_after_reply(),
            ),
            (
                "must not be before the request was received (2026-01-07)",
                fr.error_before_received(),
            ),
            (
                "must not be before the request was sent (2026-01-05)",
                fr.error_before_sent(),
            ),
            (
                "must not be before the preservation was asked for (2026-03-01)",
                fr.error_before_asked(),
            ),
            (
                "must be after the current expiry (2026-05-30)",
                fr.error_expiry_not_later(),
            ),
            ("invalid date: expected YYYY-MM-DD", fr.invalid_date()),
        ] {
            assert_eq!(localized(fr, message), expected, "{message}");
        }
        assert_eq!(form_field("offences[0]"), "offences");
        assert_eq!(form_field("issuing_magistrate"), "issuing_magistrate.name");
        assert_eq!(
            form_field("issuing_magistrate.email"),
            "issuing_magistrate.email"
        );
    }
}
