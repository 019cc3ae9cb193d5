//! Text a spreadsheet would run as a formula when a cell begins with it
//! (OWASP's "CSV injection"): how the export writes it so that it never
//! runs, and how the import reads it back as it was.

use std::borrow::Cow;

/// What makes a spreadsheet read a cell as a formula when it begins it.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a spreadsheet opening a CSV cell holding this text would run it
/// as a formula (or as the start of one).
pub fn runs_as_formula(text: &str) -> bool {
    text.starts_with(FORMULA_STARTS)
}

/// Whether the text needs a `'` in front: it runs as a formula, or it is a
/// `'` before such text (quoted too, so that [`unneutralised`] gives back
/// exactly what was written).
fn needs_quote(text: &str) -> bool {
    runs_as_formula(text) || text.strip_prefix('\'').is_some_and(needs_quote)
}

/// The text as a CSV cell no spreadsheet runs: `'` before text starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP's advice;
/// spreadsheets show it as text), and before a `'` that precedes such text.
/// Any other text is unchanged.
pub fn neutralised(text: &str) -> Cow<'_, str> {
    if needs_quote(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The text [`neutralised`] was given: the inverse, for reading an export
/// back. Text it would not have changed is returned as it is.
pub fn unneutralised(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_a_spreadsheet_would_run_gets_a_quote_in_front() {
        for formula in [
            "=HYPERLINK(\"http://evil.example\",\"click\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert!(runs_as_formula(formula), "{formula:?}");
            assert_eq!(neutralised(formula), format!("'{formula}"));
        }
    }

    #[test]
    fn other_text_is_left_alone() {
        for text in [
            "Live-streamed abuse",
            " =not first",
            "a=b",
            "",
            "'quoted",
            "Juge Élodie Durand",
        ] {
            assert!(!runs_as_formula(text), "{text:?}");
            assert!(
                matches!(neutralised(text), Cow::Borrowed(t) if t == text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn neutralising_can_be_undone_exactly() {
        for text in [
            "=1+1", "'=1+1", "''=1+1", "'quoted", "''", "'", "plain", "-", "'-",
        ] {
            let written = neutralised(text);
            assert!(!runs_as_formula(&written), "{text:?} → {written:?}");
            assert_eq!(unneutralised(&written), text, "{text:?} → {written:?}");
        }
        // A quote before formula-like text is itself quoted, so that
        // reading it back does not lose it.
        assert_eq!(neutralised("'=1"), "''=1");
    }
}
