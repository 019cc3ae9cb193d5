//! The languages people read the service in.

use std::str::FromStr;

/// French or English: the pages, the emails, the labels, the dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    En,
    Fr,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::Fr];

    /// The ISO 639-1 code, as `lang` attributes and the database hold it.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
        }
    }

    /// The language's own name for itself, as a language switch shows it.
    pub fn endonym(self) -> &'static str {
        match self {
            Language::En => "English",
            Language::Fr => "Français",
        }
    }

    /// The first of the languages an `Accept-Language` header lists, by
    /// preference, that the service speaks.
    pub fn from_accept_language(header: &str) -> Option<Language> {
        let mut ranked: Vec<(f32, usize, Language)> = header
            .split(',')
            .enumerate()
            .filter_map(|(position, item)| {
                let mut parts = item.split(';');
                let tag = parts.next()?.trim();
                let primary = tag.split('-').next()?.to_ascii_lowercase();
                let language = primary.parse().ok()?;
                let quality = parts
                    .find_map(|p| p.trim().strip_prefix("q=")?.parse::<f32>().ok())
                    .unwrap_or(1.0);
                (quality > 0.0).then_some((quality, position, language))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.first().map(|r| r.2)
    }
}

impl Language {
    /// `2 December 2026` / `2 décembre 2026` (`1er` for the first of a
    /// month in French).
    pub fn date(self, date: &chrono::NaiveDate) -> String {
        use chrono::Datelike;
        const EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        const FR: [&str; 12] = [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ];
        let month = date.month0() as usize;
        match self {
            Language::En => format!("{} {} {}", date.day(), EN[month], date.year()),
            Language::Fr if date.day() == 1 => format!("1er {} {}", FR[month], date.year()),
            Language::Fr => format!("{} {} {}", date.day(), FR[month], date.year()),
        }
    }
}

impl Language {
    /// `1,234` / `1 234` (a narrow no-break space, as French typography
    /// groups digits).
    pub fn number(self, n: i64) -> String {
        let digits = n.unsigned_abs().to_string();
        let separator = match self {
            Language::En => ",",
            Language::Fr => "\u{202f}",
        };
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push_str(separator);
            }
            grouped.push(c);
        }
        if n < 0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    }
}

impl FromStr for Language {
    type Err = String;

    fn from_str(s: &str) -> Result<Language, String> {
        match s {
            "en" => Ok(Language::En),
            "fr" => Ok(Language::Fr),
            other => Err(format!(
                "`{other}` is not a language of the service (en or fr)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_is_read_by_preference() {
        let pick = Language::from_accept_language;
        assert_eq!(pick("fr-FR,fr;q=0.9,en;q=0.8"), Some(Language::Fr));
        assert_eq!(pick("de-DE, en;q=0.5, fr;q=0.7"), Some(Language::Fr));
        assert_eq!(pick("en-GB"), Some(Language::En));
        assert_eq!(pick("de, es"), None);
        assert_eq!(pick("fr;q=0, en"), Some(Language::En));
        assert_eq!(pick(""), None);
    }
}
