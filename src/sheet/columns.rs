//! The register's columns, as the export writes them and the importer
//! recognises them: one table of names in English and French (and the
//! other names offices give them), and how each value is written to a cell
//! and read back from one.
//!
//! What is written reads back to the same value: a vocabulary value as its
//! label in the export's language, a country as its name, a list joined by
//! `; `, a date as a date. Reading is more forgiving: codes or labels in
//! either language, in any case and without accents, dates as `JJ/MM/AAAA`,
//! `YYYY-MM-DD` or a spreadsheet's serial number; what cannot be read gets
//! a message and, when a value is close, a suggestion.

use chrono::{Datelike, NaiveDate};

use super::{Cell, fold, serial_date};
use crate::domain::request::MlaRequest;
use crate::domain::vocab::Vocabulary;
use crate::domain::{CountryCode, Language};

/// A column of the register's spreadsheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Reference,
    CaseReference,
    Title,
    Magistrate,
    Court,
    MagistrateEmail,
    TargetCountry,
    RequestedAuthority,
    Channel,
    Facilitators,
    LegalBasis,
    LegalBasisDetail,
    Offences,
    Measures,
    Priority,
    CoordinatorEmail,
    ForeignReference,
    NeededBy,
    Status,
    StatusSince,
    SentAt,
    AcknowledgedAt,
    AnsweredAt,
    ClosedAt,
    AbandonmentReason,
    RefusalGround,
    OutcomeNote,
}

/// A column's names: its key (for mapping files), its headers in English
/// and French (what the export writes), and other names it goes by.
struct Names {
    column: Column,
    key: &'static str,
    en: &'static str,
    fr: &'static str,
    aliases: &'static [&'static str],
}

/// Every column, in the export's order.
const NAMES: &[Names] = &[
    Names {
        column: Column::Reference,
        key: "reference",
        en: "Reference",
        fr: "Référence",
        aliases: &["Ref", "Réf", "Our reference", "Notre référence", "N° MLA"],
    },
    Names {
        column: Column::CaseReference,
        key: "case_reference",
        en: "Case reference",
        fr: "Référence de l'affaire",
        aliases: &[
            "Case",
            "Case number",
            "Affaire",
            "N° de parquet",
            "Numéro de parquet",
            "N° parquet",
            "Numéro d'affaire",
            "N° de procédure",
        ],
    },
    Names {
        column: Column::Title,
        key: "title",
        en: "Title",
        fr: "Intitulé",
        aliases: &["Objet", "Subject"],
    },
    Names {
        column: Column::Magistrate,
        key: "magistrate",
        en: "Magistrate",
        fr: "Magistrat",
        aliases: &[
            "Issuing magistrate",
            "Magistrat mandant",
            "Magistrat requérant",
        ],
    },
    Names {
        column: Column::Court,
        key: "court",
        en: "Court",
        fr: "Juridiction",
        aliases: &["Magistrate's court", "Tribunal", "Parquet"],
    },
    Names {
        column: Column::MagistrateEmail,
        key: "magistrate_email",
        en: "Magistrate's email",
        fr: "Courriel du magistrat",
        aliases: &[
            "Magistrate email",
            "Email du magistrat",
            "Mail du magistrat",
        ],
    },
    Names {
        column: Column::TargetCountry,
        key: "target_country",
        en: "Requested country",
        fr: "Pays requis",
        aliases: &[
            "Country",
            "Pays",
            "Target country",
            "Requested state",
            "État requis",
        ],
    },
    Names {
        column: Column::RequestedAuthority,
        key: "requested_authority",
        en: "Requested authority",
        fr: "Autorité requise",
        aliases: &["Authority", "Autorité"],
    },
    Names {
        column: Column::Channel,
        key: "channel",
        en: "Channel",
        fr: "Canal",
        aliases: &["Voie de transmission", "Transmission"],
    },
    Names {
        column: Column::Facilitators,
        key: "facilitators",
        en: "Facilitators",
        fr: "Facilitateurs",
        aliases: &["Facilitator", "Facilitateur", "Intermédiaires"],
    },
    Names {
        column: Column::LegalBasis,
        key: "legal_basis",
        en: "Legal basis",
        fr: "Fondement juridique",
        aliases: &["Base légale", "Base juridique", "Fondement"],
    },
    Names {
        column: Column::LegalBasisDetail,
        key: "legal_basis_detail",
        en: "Legal basis detail",
        fr: "Précision du fondement",
        aliases: &["Treaty", "Traité"],
    },
    Names {
        column: Column::Offences,
        key: "offences",
        en: "Offences",
        fr: "Infractions",
        aliases: &["Offence", "Infraction"],
    },
    Names {
        column: Column::Measures,
        key: "measures",
        en: "Measures",
        fr: "Mesures",
        aliases: &["Measures requested", "Mesures demandées", "Actes demandés"],
    },
    Names {
        column: Column::Priority,
        key: "priority",
        en: "Priority",
        fr: "Priorité",
        aliases: &["Urgence"],
    },
    Names {
        column: Column::CoordinatorEmail,
        key: "coordinator_email",
        en: "Coordinator's email",
        fr: "Courriel du coordinateur",
        aliases: &["Coordinator email", "Coordinateur", "Coordinator"],
    },
    Names {
        column: Column::ForeignReference,
        key: "foreign_reference",
        en: "Foreign reference",
        fr: "Référence étrangère",
        aliases: &[
            "Their reference",
            "Référence de l'État requis",
            "Réf. étrangère",
        ],
    },
    Names {
        column: Column::NeededBy,
        key: "needed_by",
        en: "Needed by",
        fr: "Échéance",
        aliases: &["Deadline", "Date limite", "À obtenir avant le"],
    },
    Names {
        column: Column::Status,
        key: "status",
        en: "Status",
        fr: "Statut",
        aliases: &["État", "Situation"],
    },
    Names {
        column: Column::StatusSince,
        key: "status_since",
        en: "Status since",
        fr: "Statut depuis le",
        aliases: &["Status date", "Date du statut"],
    },
    Names {
        column: Column::SentAt,
        key: "sent_at",
        en: "Date sent",
        fr: "Date d'envoi",
        aliases: &["Sent", "Sent on", "Envoyée le", "Envoi"],
    },
    Names {
        column: Column::AcknowledgedAt,
        key: "acknowledged_at",
        en: "Date acknowledged",
        fr: "Date d'accusé de réception",
        aliases: &[
            "Acknowledged",
            "Acknowledged on",
            "Accusé de réception",
            "Date de l'accusé de réception",
            "Date AR",
        ],
    },
    Names {
        column: Column::AnsweredAt,
        key: "answered_at",
        en: "Date answered",
        fr: "Date de réponse",
        aliases: &[
            "Answered",
            "Answered on",
            "First response",
            "Date of first response",
            "Première réponse",
            "Date de première réponse",
            "Réponse",
        ],
    },
    Names {
        column: Column::ClosedAt,
        key: "closed_at",
        en: "Date closed",
        fr: "Date de clôture",
        aliases: &["Closed", "Closed on", "Clôturée le", "Clôture"],
    },
    Names {
        column: Column::AbandonmentReason,
        key: "abandonment_reason",
        en: "Abandonment reason",
        fr: "Motif d'abandon",
        aliases: &["Why abandoned", "Raison de l'abandon"],
    },
    Names {
        column: Column::RefusalGround,
        key: "refusal_ground",
        en: "Refusal ground",
        fr: "Motif de refus",
        aliases: &["Ground for refusal", "Motif du refus"],
    },
    Names {
        column: Column::OutcomeNote,
        key: "outcome_note",
        en: "Outcome note",
        fr: "Observations",
        aliases: &["Notes", "Note", "Commentaires", "Remarques", "Outcome"],
    },
];

impl Column {
    /// Every column, in the export's order.
    pub fn all() -> impl Iterator<Item = Column> {
        NAMES.iter().map(|n| n.column)
    }

    fn names(self) -> &'static Names {
        NAMES
            .iter()
            .find(|n| n.column == self)
            .expect("every column is named")
    }

    /// Its name in a mapping file.
    pub fn key(self) -> &'static str {
        self.names().key
    }

    /// Its header in `language`, as the export writes it.
    pub fn header(self, language: Language) -> &'static str {
        match language {
            Language::En => self.names().en,
            Language::Fr => self.names().fr,
        }
    }

    /// The column a mapping file names by key.
    pub fn from_key(key: &str) -> Option<Column> {
        NAMES.iter().find(|n| n.key == key).map(|n| n.column)
    }

    /// The column a header names: its key, its English or French header, or
    /// another of its names, whatever the case, accents and punctuation.
    pub fn recognise(header: &str) -> Option<Column> {
        let folded = fold(header);
        if folded.is_empty() {
            return None;
        }
        NAMES
            .iter()
            .find(|n| {
                fold(n.key) == folded
                    || fold(n.en) == folded
                    || fold(n.fr) == folded
                    || n.aliases.iter().any(|a| fold(a) == folded)
            })
            .map(|n| n.column)
    }

    /// The column whose names are closest to an unrecognised header, for a
    /// suggestion.
    pub fn closest(header: &str) -> Option<Column> {
        let folded = &fold(header);
        NAMES
            .iter()
            .flat_map(|n| {
                [n.en, n.fr]
                    .into_iter()
                    .chain(n.aliases.iter().copied())
                    .map(move |name| (n.column, strsim::jaro_winkler(&fold(name), folded)))
            })
            .filter(|(_, score)| *score >= 0.85)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(column, _)| column)
    }

    /// This column's cell for `record`, in `language`.
    pub fn cell(self, record: &MlaRequest, language: Language) -> Cell {
        let f = &record.fields;
        let l = &record.lifecycle;
        let text = |value: &str| Cell::Text(value.to_string());
        let optional = |value: &Option<String>| value.as_deref().map_or(Cell::Empty, text);
        let date = |value: Option<NaiveDate>| value.map_or(Cell::Empty, Cell::Date);
        match self {
            Column::Reference => text(&record.reference),
            Column::CaseReference => text(&record.case_reference),
            Column::Title => text(&f.title),
            Column::Magistrate => text(&f.issuing_magistrate.name),
            Column::Court => optional(&f.issuing_magistrate.court),
            Column::MagistrateEmail => optional(&f.issuing_magistrate.email),
            Column::TargetCountry => text(f.target_country.name_in(language)),
            Column::RequestedAuthority => optional(&f.requested_authority),
            Column::Channel => labels(f.channel.as_slice(), language),
            Column::Facilitators => labels(&f.facilitators, language),
            Column::LegalBasis => labels(f.legal_basis.as_slice(), language),
            Column::LegalBasisDetail => optional(&f.legal_basis_detail),
            Column::Offences => labels(&f.offences, language),
            Column::Measures => labels(&f.measures, language),
            Column::Priority => text(f.priority.label(language)),
            Column::CoordinatorEmail => optional(&f.coordinator_email),
            Column::ForeignReference => optional(&f.foreign_reference),
            Column::NeededBy => date(f.needed_by),
            Column::Status => text(l.status.label(language)),
            Column::StatusSince => Cell::Date(l.status_since),
            Column::SentAt => date(l.sent_at),
            Column::AcknowledgedAt => date(l.acknowledged_at),
            Column::AnsweredAt => date(l.first_response_at),
            Column::ClosedAt => date(l.closed_at),
            Column::AbandonmentReason => labels(l.abandonment_reason.as_slice(), language),
            Column::RefusalGround => labels(l.refusal_ground.as_slice(), language),
            Column::OutcomeNote => optional(&f.outcome_note),
        }
    }
}

/// Values' labels joined by `; ` (empty for none).
fn labels<V: Vocabulary>(values: &[V], language: Language) -> Cell {
    if values.is_empty() {
        return Cell::Empty;
    }
    Cell::Text(
        values
            .iter()
            .map(|v| v.label_in(language))
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// Why a cell cannot be read, and the value it may have meant.
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable {
    pub message: String,
    pub suggestion: Option<String>,
}

impl Unreadable {
    fn new(message: impl Into<String>) -> Unreadable {
        Unreadable {
            message: message.into(),
            suggestion: None,
        }
    }
}

/// The cell's text, trimmed; `None` when blank.
pub fn text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Empty => None,
        Cell::Text(t) if t.trim().is_empty() => None,
        Cell::Text(t) => Some(t.trim().to_string()),
        other => Some(other.shown()),
    }
}

/// A date: a date cell, a serial number, or text as `JJ/MM/AAAA` (also
/// with `-` or `.`) or `YYYY-MM-DD`.
pub fn date(cell: &Cell) -> Result<Option<NaiveDate>, Unreadable> {
    let unreadable = || Unreadable::new("is not a date: write it as JJ/MM/AAAA or YYYY-MM-DD");
    match cell {
        Cell::Date(d) => Ok(Some(*d)),
        Cell::Number(n) => serial_date(*n).map(Some).ok_or_else(unreadable),
        Cell::Bool(_) => Err(unreadable()),
        Cell::Empty => Ok(None),
        Cell::Text(t) => {
            let t = t.trim();
            if t.is_empty() {
                return Ok(None);
            }
            // A date with a time (`2026-02-03T00:00:00`, `03/02/2026 00:00`)
            // is read as its day.
            let day = t.split([' ', 'T']).next().unwrap_or(t);
            NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .or_else(|_| NaiveDate::parse_from_str(day, "%d/%m/%Y"))
                .or_else(|_| NaiveDate::parse_from_str(day, "%d-%m-%Y"))
                .or_else(|_| NaiveDate::parse_from_str(day, "%d.%m.%Y"))
                .ok()
                .filter(|d| d.year() >= 1000)
                .map(Some)
                .ok_or_else(unreadable)
        }
    }
}

/// Every country's English and French names, folded.
static COUNTRY_NAMES: std::sync::LazyLock<Vec<(String, CountryCode)>> =
    std::sync::LazyLock::new(|| {
        CountryCode::all()
            .flat_map(|c| {
                Language::ALL
                    .into_iter()
                    .map(move |l| (fold(c.name_in(l)), c))
            })
            .collect()
    });

/// A country: its ISO code, or its English or French name.
pub fn country(cell: &Cell) -> Result<Option<CountryCode>, Unreadable> {
    let Some(t) = text(cell) else {
        return Ok(None);
    };
    if t.len() == 2
        && let Ok(code) = CountryCode::parse(&t)
    {
        return Ok(Some(code));
    }
    let folded = fold(&t);
    if let Some(code) = COUNTRY_NAMES.iter().find(|(name, _)| *name == folded) {
        return Ok(Some(code.1));
    }
    let suggestion = COUNTRY_NAMES
        .iter()
        .map(|(name, c)| (*c, strsim::jaro_winkler(name, &folded)))
        .filter(|(_, score)| *score >= 0.85)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| format!("{} ({})", c.name_in(Language::En), c.as_str()));
    Err(Unreadable {
        message: "is not a country: give its name in English or French, or its ISO code (e.g. PH)"
            .into(),
        suggestion,
    })
}

/// A vocabulary value: its code, or its label in English or French.
pub fn word<V: Vocabulary>(cell: &Cell) -> Result<Option<V>, Unreadable> {
    match text(cell) {
        None => Ok(None),
        Some(t) => one_word(&t).map(Some),
    }
}

/// Each value of `V` with its spellings folded: its code, its English
/// label, its French label.
type Spellings<V> = Vec<(V, [String; 3])>;

/// The spellings of `V`, folded once per vocabulary: a register's every
/// row names a few words, and folding each spelling anew for each made a
/// tenth of an import's time.
fn spellings<V: Vocabulary>() -> &'static Spellings<V> {
    use std::any::{Any, TypeId};
    type Folded = std::collections::HashMap<TypeId, &'static (dyn Any + Send + Sync)>;
    static FOLDED: std::sync::LazyLock<std::sync::Mutex<Folded>> =
        std::sync::LazyLock::new(Default::default);
    let mut folded = FOLDED.lock().unwrap_or_else(|e| e.into_inner());
    let entry = *folded.entry(TypeId::of::<V>()).or_insert_with(|| {
        let table: Spellings<V> = V::all()
            .iter()
            .map(|&v| {
                let spelt = [
                    fold(v.code()),
                    fold(v.label_in(Language::En)),
                    fold(v.label_in(Language::Fr)),
                ];
                (v, spelt)
            })
            .collect();
        Box::leak(Box::new(table))
    });
    entry
        .downcast_ref::<Spellings<V>>()
        .expect("the table under V's TypeId is V's")
}

fn one_word<V: Vocabulary>(t: &str) -> Result<V, Unreadable> {
    let folded = &fold(t);
    let table = spellings::<V>();
    if let Some((v, _)) = table.iter().find(|(_, spelt)| spelt.contains(folded)) {
        return Ok(*v);
    }
    // The closest spelling, in the language it is written in; else a value
    // whose code or label starts with what was typed (`eio`).
    let languages = [Language::En, Language::En, Language::Fr];
    let suggestion = table
        .iter()
        .flat_map(|(v, spelt)| {
            spelt
                .iter()
                .zip(languages)
                .map(move |(s, l)| (*v, l, strsim::jaro_winkler(s, folded)))
        })
        .filter(|(_, _, score)| *score >= 0.85)
        .max_by(|a, b| a.2.total_cmp(&b.2))
        .map(|(v, l, _)| (v, l))
        .or_else(|| {
            table
                .iter()
                .find(|(_, spelt)| spelt.iter().any(|s| s.starts_with(folded.as_str())))
                .map(|(v, _)| (*v, Language::En))
        })
        .map(|(v, l)| v.label_in(l).to_string());
    Err(Unreadable {
        message: format!(
            "is not a known {}: expected one of {} (or the French label, or the code)",
            V::LABEL,
            V::all()
                .iter()
                .map(|v| v.label_in(Language::En))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        suggestion,
    })
}

/// A list of vocabulary values, separated by `;` or new lines (or by
/// commas, when none of the labels around them holds one).
pub fn words<V: Vocabulary>(cell: &Cell) -> Result<Vec<V>, Unreadable> {
    let Some(t) = text(cell) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for piece in t
        .split([';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match one_word::<V>(piece) {
            Ok(v) => out.push(v),
            Err(e) if piece.contains(',') => {
                for part in piece.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    out.push(one_word::<V>(part).map_err(|_| e.clone())?);
                }
            }
            Err(e) => {
                return Err(Unreadable {
                    message: format!("`{piece}` {}", e.message),
                    suggestion: e.suggestion,
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Channel, Status};

    #[test]
    fn headers_are_recognised_in_either_language_and_by_other_names() {
        assert_eq!(
            Column::recognise("Pays requis"),
            Some(Column::TargetCountry)
        );
        assert_eq!(
            Column::recognise("Requested country"),
            Some(Column::TargetCountry)
        );
        assert_eq!(Column::recognise("DATE D’ENVOI"), Some(Column::SentAt));
        assert_eq!(Column::recognise("Date sent"), Some(Column::SentAt));
        assert_eq!(Column::recognise("Magistrat"), Some(Column::Magistrate));
        assert_eq!(Column::recognise("Statut"), Some(Column::Status));
        assert_eq!(
            Column::recognise("N° de parquet"),
            Some(Column::CaseReference)
        );
        assert_eq!(
            Column::recognise("target_country"),
            Some(Column::TargetCountry)
        );
        assert_eq!(Column::recognise("Colour"), None);
        assert_eq!(Column::closest("Pays requi"), Some(Column::TargetCountry));
    }

    #[test]
    fn every_header_names_one_column_only() {
        let mut seen = std::collections::HashMap::new();
        for n in NAMES {
            for name in [n.key, n.en, n.fr].iter().chain(n.aliases) {
                if let Some(other) = seen.insert(fold(name), n.column) {
                    assert_eq!(other, n.column, "`{name}` names two columns");
                }
            }
        }
    }

    #[test]
    fn dates_in_the_forms_offices_type_them() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 3).unwrap();
        for text in [
            "03/02/2026",
            "2026-02-03",
            "3/2/2026",
            "03.02.2026",
            "2026-02-03T00:00:00",
        ] {
            assert_eq!(date(&Cell::Text(text.into())), Ok(Some(d)), "{text}");
        }
        assert_eq!(date(&Cell::Number(46056.0)), Ok(Some(d)));
        assert_eq!(date(&Cell::Empty), Ok(None));
        assert!(date(&Cell::Text("13/13/2026".into())).is_err());
        assert!(
            date(&Cell::Text("03/02/26".into())).is_err(),
            "two-digit years are ambiguous"
        );
    }

    #[test]
    fn countries_by_code_or_name_with_a_suggestion_for_a_typo() {
        let ph = CountryCode::parse("PH").unwrap();
        for text in ["PH", "ph", "Philippines", "philippines"] {
            assert_eq!(country(&Cell::Text(text.into())), Ok(Some(ph)), "{text}");
        }
        assert_eq!(
            country(&Cell::Text("Allemagne".into())),
            Ok(Some(CountryCode::parse("DE").unwrap()))
        );
        let wrong = country(&Cell::Text("Philipines".into())).unwrap_err();
        assert_eq!(wrong.suggestion.as_deref(), Some("Philippines (PH)"));
    }

    #[test]
    fn words_by_code_or_label_in_either_language() {
        assert_eq!(
            word::<Channel>(&Cell::Text("Autorité centrale".into())),
            Ok(Some(Channel::CentralAuthority))
        );
        assert_eq!(
            word::<Channel>(&Cell::Text("central_authority".into())),
            Ok(Some(Channel::CentralAuthority))
        );
        assert_eq!(
            word::<Status>(&Cell::Text("EXECUTED".into())),
            Ok(Some(Status::Executed))
        );
        let wrong = word::<Channel>(&Cell::Text("Autorite centrall".into())).unwrap_err();
        assert_eq!(
            wrong.suggestion.as_deref(),
            Some("Autorité centrale"),
            "in the language typed"
        );
    }

    #[test]
    fn what_is_written_reads_back() {
        for language in Language::ALL {
            for channel in Channel::ALL {
                let cell = labels(&[*channel], language);
                assert_eq!(word::<Channel>(&cell), Ok(Some(*channel)));
            }
            for status in Status::ALL {
                let cell = Cell::Text(status.label(language).into());
                assert_eq!(word::<Status>(&cell), Ok(Some(*status)));
            }
            for c in CountryCode::all() {
                let cell = Cell::Text(c.name_in(language).into());
                assert_eq!(country(&cell), Ok(Some(c)), "{}", c.name_in(language));
            }
        }
    }
}
