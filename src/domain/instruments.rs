//! Which countries a legal basis admits (docs/DOMAIN.md §5.4).
//!
//! Two legal bases are instruments of EU law that only work between the
//! member states they bind: the European Investigation Order and the
//! European Production and Preservation Orders. A request under one of them
//! to any other country cannot be sent, so the register refuses the pair.
//! The other legal bases are not checked here: who is party to a convention
//! or a bilateral treaty changes with every ratification, and `reciprocity`,
//! `provider_voluntary` and `other` admit any country.
//!
//! The table is written out with its sources below; change it when the law
//! changes (an opt-in, an accession), with the source, and DOMAIN.md §5.4
//! with it.

use super::{CountryCode, LegalBasis};

/// The 27 member states of the European Union, by ISO 3166-1 alpha-2 code
/// (Greece is `GR`, which the EU itself writes `EL`). Source: TEU art. 52(1)
/// with Croatia (member since 1 July 2013), less the United Kingdom (not a
/// member since 1 February 2020).
pub const EU_MEMBER_STATES: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// Territories with an ISO code of their own that are nonetheless part of
/// a member state where EU law applies, with that state: the outermost
/// regions of TFEU art. 349 and 355(1) that have one (Guadeloupe, French
/// Guiana, Martinique, Mayotte, Réunion, Saint-Martin; the Azores, Madeira
/// and the Canary Islands have no code of their own) and the Åland Islands
/// (TFEU art. 355(4)). An order for Réunion goes to France. The overseas
/// countries and territories of TFEU art. 355(2) and Annex II (French
/// Polynesia, Greenland, Aruba, …) are not part of the EU and are not here;
/// nor are the Faroe Islands (art. 355(5)(a)).
pub const EU_TERRITORIES: [(&str, &str); 7] = [
    ("AX", "FI"),
    ("GF", "FR"),
    ("GP", "FR"),
    ("MF", "FR"),
    ("MQ", "FR"),
    ("RE", "FR"),
    ("YT", "FR"),
];

/// An instrument of EU law: which member states it does not bind, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EuInstrument {
    pub basis: LegalBasis,
    /// What a clerk sends under it, to begin the sentence of a refusal.
    pub order: &'static str,
    /// Where it goes, in that sentence.
    pub addressee: &'static str,
    /// Its title, as the Official Journal gives it.
    pub title: &'static str,
    /// Member states it does not bind, each with the reason.
    pub not_bound: &'static [(&'static str, &'static str)],
}

/// The legal bases that only work between the member states they bind.
pub const EU_INSTRUMENTS: [EuInstrument; 2] = [
    // Directive 2014/41/EU (OJ L 130, 1.5.2014, p. 1), recitals 44 and 45:
    // under Protocol No 21 Ireland, and under Protocol No 22 Denmark, took
    // no part in its adoption and are not bound by it or subject to its
    // application; with them the Directive replaces nothing (art. 34(1)),
    // and the conventions it replaces elsewhere still apply.
    // Ireland could still opt in under art. 4 of Protocol No 21; it had not
    // when this table was written: drop `IE` here when it does.
    EuInstrument {
        basis: LegalBasis::EioDirective,
        order: "an EIO",
        addressee: "an EU member state",
        title: "Directive 2014/41/EU",
        not_bound: &[
            (
                "DK",
                "took no part in it and is not bound by it (recital 45)",
            ),
            (
                "IE",
                "took no part in it and is not bound by it (recital 44)",
            ),
        ],
    },
    // Regulation (EU) 2023/1543 (OJ L 191, 28.7.2023, p. 118): Ireland
    // notified its wish to take part under Protocol No 21 and is bound
    // (recital 96); Denmark, under Protocol No 22, took no part and is not
    // bound by it or subject to its application (recital 97). An order goes
    // to a service provider's designated establishment or legal
    // representative in the member state that `target_country` names
    // (art. 7). The Regulation applies from 18 August 2026 (art. 34), which
    // this table does not check.
    EuInstrument {
        basis: LegalBasis::EEvidenceRegulation,
        order: "a European Production or Preservation Order",
        addressee: "a service provider in an EU member state",
        title: "Regulation (EU) 2023/1543",
        not_bound: &[(
            "DK",
            "took no part in it and is not bound by it (recital 97)",
        )],
    },
];

/// The member state `country` belongs to for EU law: itself for a member
/// state, the state for a territory of [`EU_TERRITORIES`], `None` outside
/// the EU.
pub fn eu_member_state(country: CountryCode) -> Option<&'static str> {
    let code = country.as_str();
    if let Some(&state) = EU_MEMBER_STATES.iter().find(|&&s| s == code) {
        return Some(state);
    }
    EU_TERRITORIES
        .iter()
        .find(|(territory, _)| *territory == code)
        .map(|&(_, state)| state)
}

/// The instrument's row of the table, if `basis` is limited to the EU.
pub fn eu_instrument(basis: LegalBasis) -> Option<&'static EuInstrument> {
    EU_INSTRUMENTS.iter().find(|i| i.basis == basis)
}

/// Why a request under `basis` cannot go to `country`, in a sentence a clerk
/// understands; `None` when it can, or when the basis has no rule here.
pub fn refusal(basis: LegalBasis, country: CountryCode) -> Option<String> {
    let instrument = eu_instrument(basis)?;
    let rule = format!(
        "{} can only be sent to {} bound by {}",
        instrument.order, instrument.addressee, instrument.title
    );
    let Some(state) = eu_member_state(country) else {
        return Some(format!(
            "{rule}; {} ({country}) is not an EU member state",
            country.name()
        ));
    };
    let (_, why) = instrument.not_bound.iter().find(|(s, _)| *s == state)?;
    let name = CountryCode::parse(state).map_or(state, |c| c.name());
    Some(format!("{rule}; {name} ({state}) {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn country(code: &str) -> CountryCode {
        CountryCode::parse(code).unwrap()
    }

    /// The codes `basis` admits, in code order.
    fn admitted(basis: LegalBasis) -> Vec<String> {
        let mut codes: Vec<String> = CountryCode::all()
            .filter(|&c| refusal(basis, c).is_none())
            .map(|c| c.as_str().to_string())
            .collect();
        codes.sort();
        codes
    }

    #[test]
    fn the_tables_hold_known_distinct_codes() {
        for code in EU_MEMBER_STATES {
            assert!(CountryCode::parse(code).is_ok(), "{code}");
        }
        let mut sorted = EU_MEMBER_STATES.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 27);
        for (territory, state) in EU_TERRITORIES {
            assert!(CountryCode::parse(territory).is_ok(), "{territory}");
            assert!(EU_MEMBER_STATES.contains(&state), "{state}");
            assert!(!EU_MEMBER_STATES.contains(&territory), "{territory}");
        }
        for instrument in EU_INSTRUMENTS {
            for (state, _) in instrument.not_bound {
                assert!(EU_MEMBER_STATES.contains(state), "{state}");
            }
        }
    }

    #[test]
    fn an_eio_goes_to_the_member_states_but_denmark_and_ireland() {
        let mut expected: Vec<&str> = EU_MEMBER_STATES
            .iter()
            .copied()
            .filter(|s| !["DK", "IE"].contains(s))
            .collect();
        expected.extend(EU_TERRITORIES.iter().map(|(t, _)| *t));
        expected.sort();
        assert_eq!(admitted(LegalBasis::EioDirective), expected);
        assert_eq!(expected.len(), 25 + 7);
    }

    #[test]
    fn an_e_evidence_order_goes_to_every_member_state_but_denmark() {
        let admitted = admitted(LegalBasis::EEvidenceRegulation);
        assert_eq!(admitted.len(), 26 + 7);
        assert!(admitted.contains(&"IE".to_string()));
        assert!(!admitted.contains(&"DK".to_string()));
        assert!(admitted.contains(&"RE".to_string()));
    }

    #[test]
    fn the_refusals_say_why() {
        assert_eq!(
            refusal(LegalBasis::EioDirective, country("DK")).unwrap(),
            "an EIO can only be sent to an EU member state bound by Directive 2014/41/EU; \
             Denmark (DK) took no part in it and is not bound by it (recital 45)"
        );
        assert_eq!(
            refusal(LegalBasis::EioDirective, country("ie")).unwrap(),
            "an EIO can only be sent to an EU member state bound by Directive 2014/41/EU; \
             Ireland (IE) took no part in it and is not bound by it (recital 44)"
        );
        assert_eq!(
            refusal(LegalBasis::EioDirective, country("PH")).unwrap(),
            "an EIO can only be sent to an EU member state bound by Directive 2014/41/EU; \
             Philippines (PH) is not an EU member state"
        );
        assert_eq!(
            refusal(LegalBasis::EEvidenceRegulation, country("DK")).unwrap(),
            "a European Production or Preservation Order can only be sent to a service \
             provider in an EU member state bound by Regulation (EU) 2023/1543; \
             Denmark (DK) took no part in it and is not bound by it (recital 97)"
        );
        assert_eq!(
            refusal(LegalBasis::EEvidenceRegulation, country("US")).unwrap(),
            "a European Production or Preservation Order can only be sent to a service \
             provider in an EU member state bound by Regulation (EU) 2023/1543; \
             United States of America (US) is not an EU member state"
        );
    }

    #[test]
    fn former_members_candidates_and_overseas_territories_are_outside() {
        for code in [
            "GB", "CH", "NO", "IS", "UA", "XK", "PF", "GL", "FO", "AW", "NC", "BL",
        ] {
            assert!(
                refusal(LegalBasis::EioDirective, country(code)).is_some(),
                "{code}"
            );
        }
        assert!(refusal(LegalBasis::EioDirective, country("DE")).is_none());
        assert!(refusal(LegalBasis::EioDirective, country("GR")).is_none());
        assert!(refusal(LegalBasis::EioDirective, country("AX")).is_none());
    }

    #[test]
    fn the_other_legal_bases_admit_every_country() {
        for basis in LegalBasis::ALL {
            if eu_instrument(*basis).is_none() {
                assert_eq!(
                    admitted(*basis).len(),
                    CountryCode::all().count(),
                    "{basis}"
                );
            }
        }
    }
}
