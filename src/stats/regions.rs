//! Countries grouped by the UN M49 geoscheme, so that a table whose small
//! countries are each suppressed can still publish their region.
//!
//! `m49.tsv` (written by `scripts/m49-regions` from the UN Statistics
//! Division's table, "Standard country or area codes for statistical use")
//! gives each country's sub-region and region by M49 code; the names below
//! are the UNSD's own, in English and French. Two areas M49 leaves out are
//! placed by hand where the UN places the state that claims or administers
//! them: Kosovo (Southern Europe) and Taiwan (Eastern Asia). Antarctica
//! belongs to no region.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::domain::{CountryCode, Language};

/// A sub-region or region of M49.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Area {
    /// The M49 numeric code (`"202"`, Sub-Saharan Africa).
    pub code: &'static str,
    english: &'static str,
    french: &'static str,
    /// The region a sub-region belongs to; `None` for a region.
    pub parent: Option<&'static str>,
}

impl Area {
    pub fn name(&self, language: Language) -> &'static str {
        match language {
            Language::En => self.english,
            Language::Fr => self.french,
        }
    }
}

const fn area(
    code: &'static str,
    english: &'static str,
    french: &'static str,
    parent: Option<&'static str>,
) -> Area {
    Area {
        code,
        english,
        french,
        parent,
    }
}

/// The five regions, then the sub-regions under them.
pub const AREAS: [Area; 22] = [
    area("002", "Africa", "Afrique", None),
    area("019", "Americas", "Amériques", None),
    area("142", "Asia", "Asie", None),
    area("150", "Europe", "Europe", None),
    area("009", "Oceania", "Océanie", None),
    area(
        "015",
        "Northern Africa",
        "Afrique septentrionale",
        Some("002"),
    ),
    area(
        "202",
        "Sub-Saharan Africa",
        "Afrique subsaharienne",
        Some("002"),
    ),
    area(
        "419",
        "Latin America and the Caribbean",
        "Amérique latine et Caraïbes",
        Some("019"),
    ),
    area(
        "021",
        "Northern America",
        "Amérique septentrionale",
        Some("019"),
    ),
    area("143", "Central Asia", "Asie centrale", Some("142")),
    area("030", "Eastern Asia", "Asie orientale", Some("142")),
    area("035", "South-eastern Asia", "Asie du Sud-Est", Some("142")),
    area("034", "Southern Asia", "Asie méridionale", Some("142")),
    area("145", "Western Asia", "Asie occidentale", Some("142")),
    area("151", "Eastern Europe", "Europe orientale", Some("150")),
    area(
        "154",
        "Northern Europe",
        "Europe septentrionale",
        Some("150"),
    ),
    area("039", "Southern Europe", "Europe méridionale", Some("150")),
    area("155", "Western Europe", "Europe occidentale", Some("150")),
    area(
        "053",
        "Australia and New Zealand",
        "Australie et Nouvelle-Zélande",
        Some("009"),
    ),
    area("054", "Melanesia", "Mélanésie", Some("009")),
    area("057", "Micronesia", "Micronésie", Some("009")),
    area("061", "Polynesia", "Polynésie", Some("009")),
];

/// The sub-region or region of M49 code `code`.
pub fn by_code(code: &str) -> Option<&'static Area> {
    AREAS.iter().find(|a| a.code == code)
}

/// Each country's (sub-region, region), from `m49.tsv`.
static PLACES: LazyLock<HashMap<&'static str, (&'static Area, &'static Area)>> =
    LazyLock::new(|| {
        include_str!("m49.tsv")
            .lines()
            .filter_map(|line| {
                let mut fields = line.split('\t');
                let country = fields.next()?;
                let subregion = by_code(fields.next()?)?;
                let region = by_code(fields.next()?)?;
                Some((country, (subregion, region)))
            })
            .collect()
    });

/// The country's M49 sub-region; `None` for Antarctica.
pub fn subregion_of(country: CountryCode) -> Option<&'static Area> {
    PLACES
        .get(country.as_str())
        .map(|(subregion, _)| *subregion)
}

/// The country's M49 region; `None` for Antarctica.
pub fn region_of(country: CountryCode) -> Option<&'static Area> {
    PLACES.get(country.as_str()).map(|(_, region)| *region)
}

/// What a table's rows are: countries, or the M49 areas they fall in —
/// where the published view hides each small country, its sub-region or
/// region may still be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grouping {
    #[default]
    Country,
    Subregion,
    Region,
}

impl std::str::FromStr for Grouping {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "country" => Ok(Grouping::Country),
            "subregion" => Ok(Grouping::Subregion),
            "region" => Ok(Grouping::Region),
            _ => Err("must be country, subregion or region"),
        }
    }
}

impl Grouping {
    pub fn as_str(self) -> &'static str {
        match self {
            Grouping::Country => "country",
            Grouping::Subregion => "subregion",
            Grouping::Region => "region",
        }
    }

    /// The row a country's figures go to: its own code, or its area's M49
    /// code (`""` for a country outside every area: Antarctica).
    pub fn group_of(self, country: &str) -> String {
        let area = |of: fn(CountryCode) -> Option<&'static Area>| {
            CountryCode::parse(country)
                .ok()
                .and_then(of)
                .map_or("", |a| a.code)
                .to_string()
        };
        match self {
            Grouping::Country => country.to_string(),
            Grouping::Subregion => area(subregion_of),
            Grouping::Region => area(region_of),
        }
    }

    /// A row's label columns: `country` and `country_name`, or `area` and
    /// `area_name`.
    pub fn labels(self) -> [&'static str; 2] {
        match self {
            Grouping::Country => ["country", "country_name"],
            Grouping::Subregion | Grouping::Region => ["area", "area_name"],
        }
    }

    /// A country table's `columns` with this grouping's label columns.
    pub fn columns(self, columns: &[&'static str]) -> Vec<&'static str> {
        columns
            .iter()
            .map(|&c| match c {
                "country" => self.labels()[0],
                "country_name" => self.labels()[1],
                other => other,
            })
            .collect()
    }

    /// Renames the label columns of rows computed with area codes in
    /// `country`: `area` holds the M49 code, `area_name` its English name
    /// (the API's language, as `country_name`).
    pub fn relabel(self, table: &mut super::ShownTable) {
        if self == Grouping::Country {
            return;
        }
        for row in &mut table.rows {
            let code = row
                .remove("country")
                .and_then(|c| c.as_str().map(str::to_string))
                .unwrap_or_default();
            row.remove("country_name");
            let name = by_code(&code).map_or("Outside the M49 regions", |a| a.name(Language::En));
            row.insert("area".into(), code.into());
            row.insert("area_name".into(), name.into());
        }
        table.totals.remove("country");
        table.totals.remove("country_name");
        table.totals.insert("area".into(), "".into());
        table
            .totals
            .insert("area_name".into(), "All countries".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(code: &str) -> (&'static str, &'static str) {
        let c = CountryCode::parse(code).unwrap();
        (subregion_of(c).unwrap().code, region_of(c).unwrap().code)
    }

    #[test]
    fn every_country_but_antarctica_has_a_sub_region_inside_its_region() {
        for country in CountryCode::all() {
            if country.as_str() == "AQ" {
                assert_eq!(region_of(country), None);
                continue;
            }
            let sub = subregion_of(country).unwrap_or_else(|| panic!("{country}"));
            let region = region_of(country).unwrap();
            assert_eq!(sub.parent, Some(region.code), "{country}");
            assert_eq!(region.parent, None);
        }
        assert_eq!(PLACES.len(), CountryCode::all().count() - 1);
    }

    #[test]
    fn places_as_the_un_table_gives_them() {
        assert_eq!(at("PH"), ("035", "142"));
        assert_eq!(at("VN"), ("035", "142"));
        assert_eq!(at("NG"), ("202", "002"));
        assert_eq!(at("CO"), ("419", "019"));
        assert_eq!(at("FR"), ("155", "150"));
        assert_eq!(at("XK"), ("039", "150"));
        assert_eq!(at("TW"), ("030", "142"));
        let sea = subregion_of(CountryCode::parse("KH").unwrap()).unwrap();
        assert_eq!(sea.name(Language::Fr), "Asie du Sud-Est");
        assert_eq!(sea.name(Language::En), "South-eastern Asia");
    }

    #[test]
    fn every_area_is_named_in_both_languages_once() {
        let mut codes: Vec<_> = AREAS.iter().map(|a| a.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), AREAS.len());
        for a in AREAS {
            assert!(!a.english.is_empty() && !a.french.is_empty(), "{}", a.code);
            assert!(
                a.parent
                    .is_none_or(|p| by_code(p).is_some_and(|r| r.parent.is_none()))
            );
        }
    }
}
