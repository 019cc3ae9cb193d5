//! Target countries: ISO 3166-1 alpha-2 codes, plus `XK` (Kosovo), which ISO
//! leaves user-assigned but which every European authority uses.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use super::language::Language;

/// Every country's (English, French) name by ISO code.
static COUNTRY_NAMES: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> =
    LazyLock::new(|| {
        include_str!("country-names.tsv")
            .lines()
            .filter_map(|line| {
                let mut fields = line.split('\t');
                Some((fields.next()?, (fields.next()?, fields.next()?)))
            })
            .collect()
    });

/// A country code that is known to exist, always upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

const KOSOVO: &str = "XK";

impl CountryCode {
    /// Accepts any case (`ph`, `Ph`, `PH`); rejects codes ISO does not assign.
    pub fn parse(text: &str) -> Result<Self, String> {
        let upper = text.trim().to_ascii_uppercase();
        if upper == KOSOVO || rust_iso3166::from_alpha2(&upper).is_some() {
            let bytes = upper.as_bytes();
            Ok(CountryCode([bytes[0], bytes[1]]))
        } else {
            Err(format!(
                "unknown country `{text}`; expected an ISO 3166-1 alpha-2 code such as PH or XK"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters ever get in, through `parse`.
        std::str::from_utf8(&self.0).expect("country codes are ASCII")
    }

    /// The English short name, for statistics and emails.
    pub fn name(&self) -> &'static str {
        if self.as_str() == KOSOVO {
            return "Kosovo";
        }
        rust_iso3166::from_alpha2(self.as_str()).map_or("Unknown", |c| c.name)
    }

    /// The short name in `language`, as Debian's iso-codes translate it
    /// (`country-names.tsv`, written by `scripts/country-names`); the
    /// English name where a translation is missing.
    pub fn name_in(&self, language: Language) -> &'static str {
        match (COUNTRY_NAMES.get(self.as_str()), language) {
            (Some((en, _)), Language::En) => en,
            (Some((_, fr)), Language::Fr) => fr,
            (None, _) => self.name(),
        }
    }

    /// Every accepted code: the 249 ISO ones and `XK`.
    pub fn all() -> impl Iterator<Item = CountryCode> {
        rust_iso3166::ALL_ALPHA2
            .iter()
            .copied()
            .chain(std::iter::once(KOSOVO))
            .map(|c| CountryCode::parse(c).expect("the ISO list is valid"))
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// In the OpenAPI document: one of the accepted codes, in any case, with
/// surrounding ASCII whitespace allowed (it is trimmed), as [`CountryCode::parse`]
/// accepts it; the API always answers with upper case.
impl utoipa::PartialSchema for CountryCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let either_case = |c: char| format!("[{}{}]", c, c.to_ascii_lowercase());
        let codes: Vec<String> = CountryCode::all()
            .map(|c| c.as_str().chars().map(either_case).collect())
            .collect();
        let space = r"[\t\n\x0b\x0c\r ]*";
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(format!("^{space}(?:{}){space}$", codes.join("|"))))
            .description(Some(
                "An ISO 3166-1 alpha-2 code, or XK (Kosovo); any case on input, upper case on output",
            ))
            .examples(["PH"])
            .into()
    }
}

impl utoipa::ToSchema for CountryCode {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("CountryCode")
    }
}

impl serde::Serialize for CountryCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for CountryCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        CountryCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_accepts_kosovo() {
        assert_eq!(CountryCode::parse("ph").unwrap().as_str(), "PH");
        assert_eq!(CountryCode::parse("xk").unwrap().name(), "Kosovo");
        assert_eq!(CountryCode::parse("PH").unwrap().name(), "Philippines");
    }

    #[test]
    fn every_country_has_an_english_and_a_french_name() {
        for code in CountryCode::all() {
            let (en, fr) = COUNTRY_NAMES
                .get(code.as_str())
                .unwrap_or_else(|| panic!("{code} is not in country-names.tsv"));
            assert!(!en.is_empty() && !fr.is_empty(), "{code}");
        }
        let de = CountryCode::parse("DE").unwrap();
        assert_eq!(de.name_in(Language::Fr), "Allemagne");
        assert_eq!(de.name_in(Language::En), "Germany");
    }

    #[test]
    fn rejects_unassigned_codes() {
        assert!(CountryCode::parse("ZZ").is_err());
        assert!(CountryCode::parse("P").is_err());
        assert!(CountryCode::parse("PHL").is_err());
        assert!(CountryCode::parse("é").is_err());
    }

    #[test]
    fn lists_iso_codes_and_kosovo() {
        assert_eq!(CountryCode::all().count(), 250);
    }
}
