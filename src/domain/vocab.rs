//! The closed vocabularies (docs/DOMAIN.md §5), as enums.
//!
//! Each value exists only if it is valid (parse, don't validate): the API
//! deserialises straight into these types, so an unknown value is rejected at
//! the edge with a message listing the accepted ones, and the rest of the code
//! never re-checks a string.

/// Declares a vocabulary: an enum whose variants map one-to-one to snake_case
/// strings, with `ALL`, `as_str`, `parse`, serde and `Display`.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $label:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in the order declared: the order error messages
            /// and `/meta/vocabularies` give.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// What this vocabulary is called in error messages.
            pub const LABEL: &'static str = $label;

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The accepted strings, for error messages and `/meta/vocabularies`.
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                Self::parse(text).ok_or_else(|| {
                    format!("unknown {} `{}`; expected one of: {}", $label, text, Self::names().join(", "))
                })
            }
        }

        /// In the OpenAPI document: a string, one of the vocabulary's values.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use vocabulary;

vocabulary!(
    /// How the request travels to the requested state.
    Channel, "channel" {
        CentralAuthority => "central_authority",
        MinistryOfJustice => "ministry_of_justice",
        Diplomatic => "diplomatic",
        DirectJudicial => "direct_judicial",
        PoliceCooperation => "police_cooperation",
        Network247 => "network_24_7",
        ServiceProviderDirect => "service_provider_direct",
        Other => "other",
    }
);

vocabulary!(
    /// Who helped the request on its way, whatever route it took: the
    /// bodies that were channel values before they became a list of their
    /// own (docs/DOMAIN.md §5.1).
    Facilitator, "facilitator" {
        Eurojust => "eurojust",
        Ejn => "ejn",
        LiaisonMagistrate => "liaison_magistrate",
        Interpol => "interpol",
    }
);

vocabulary!(
    /// What became of one measure of an executed or partially executed
    /// request.
    MeasureOutcome, "measure outcome" {
        Executed => "executed",
        Refused => "refused",
        DataNotHeld => "data_not_held",
        NotExecuted => "not_executed",
    }
);

vocabulary!(
    /// Whether the requested state opened proceedings of its own in a
    /// case (against the suspect, or to protect the victims there).
    ForeignProceedings, "foreign proceedings answer" {
        Yes => "yes",
        No => "no",
        Unknown => "unknown",
    }
);

vocabulary!(
    /// How we chased the requested state: the request channels, the
    /// facilitators (a reminder through Eurojust's national desk or our
    /// liaison magistrate), plus the everyday ones.
    FollowUpChannel, "follow-up channel" {
        CentralAuthority => "central_authority",
        MinistryOfJustice => "ministry_of_justice",
        Diplomatic => "diplomatic",
        DirectJudicial => "direct_judicial",
        Interpol => "interpol",
        Eurojust => "eurojust",
        Ejn => "ejn",
        LiaisonMagistrate => "liaison_magistrate",
        PoliceCooperation => "police_cooperation",
        Network247 => "network_24_7",
        ServiceProviderDirect => "service_provider_direct",
        Email => "email",
        Phone => "phone",
        Other => "other",
    }
);

vocabulary!(
    /// The instrument the request is made under.
    LegalBasis, "legal basis" {
        BilateralTreaty => "bilateral_treaty",
        EioDirective => "eio_directive",
        EEvidenceRegulation => "e_evidence_regulation",
        EuMlaConvention2000 => "eu_mla_convention_2000",
        EuUsMlaAgreement => "eu_us_mla_agreement",
        Ecmla1959 => "ecmla_1959",
        Untoc => "untoc",
        Uncac => "uncac",
        BudapestConvention => "budapest_convention",
        BudapestSecondProtocol => "budapest_second_protocol",
        UnCybercrimeConvention => "un_cybercrime_convention",
        Lanzarote => "lanzarote",
        Reciprocity => "reciprocity",
        ProviderVoluntary => "provider_voluntary",
        Other => "other",
    }
);

vocabulary!(
    /// Offences the case is about.
    Offence, "offence" {
        ChildSexualExploitation => "child_sexual_exploitation",
        ChildSexualAbuseMaterial => "child_sexual_abuse_material",
        LivestreamedChildSexualAbuse => "livestreamed_child_sexual_abuse",
        GroomingSextortion => "grooming_sextortion",
        TraffickingInPersons => "trafficking_in_persons",
        SexualViolence => "sexual_violence",
        Cybercrime => "cybercrime",
        Fraud => "fraud",
        MoneyLaundering => "money_laundering",
        DrugTrafficking => "drug_trafficking",
        Terrorism => "terrorism",
        Homicide => "homicide",
        Corruption => "corruption",
        Other => "other",
    }
);

vocabulary!(
    /// Measures asked of the requested state.
    Measure, "measure" {
        IdentifyVictims => "identify_victims",
        IdentifySuspects => "identify_suspects",
        LocatePerson => "locate_person",
        WitnessHearing => "witness_hearing",
        SuspectInterview => "suspect_interview",
        VideoconferenceHearing => "videoconference_hearing",
        ForensicChildInterview => "forensic_child_interview",
        VictimSafeguarding => "victim_safeguarding",
        BankRecords => "bank_records",
        ElectronicEvidence => "electronic_evidence",
        DataPreservation => "data_preservation",
        SubscriberData => "subscriber_data",
        TrafficData => "traffic_data",
        ContentData => "content_data",
        SearchAndSeizure => "search_and_seizure",
        ProvisionalMeasures => "provisional_measures",
        AssetFreezing => "asset_freezing",
        ServiceOfDocuments => "service_of_documents",
        Other => "other",
    }
);

vocabulary!(
    /// Why our side gave up on a request.
    AbandonmentReason, "abandonment reason" {
        NoResponse => "no_response",
        CaseClosed => "case_closed",
        EvidenceObtainedOtherwise => "evidence_obtained_otherwise",
        NoLongerNeeded => "no_longer_needed",
        LimitationPeriodExpired => "limitation_period_expired",
        SuspectDeceased => "suspect_deceased",
        DataNoLongerAvailable => "data_no_longer_available",
        SupersededByNewRequest => "superseded_by_new_request",
        TriedWithoutEvidence => "tried_without_evidence",
        ProceedingsTransferred => "proceedings_transferred",
        RequestedStateUnreachable => "requested_state_unreachable",
        Other => "other",
    }
);

vocabulary!(
    /// Why the requested state said no.
    RefusalGround, "refusal ground" {
        InsufficientInformation => "insufficient_information",
        FormDefectOrLanguage => "form_defect_or_language",
        NoLegalBasisOrReciprocity => "no_legal_basis_or_reciprocity",
        DualCriminality => "dual_criminality",
        MeasureUnavailableDomestically => "measure_unavailable_domestically",
        EvidentiaryThresholdNotMet => "evidentiary_threshold_not_met",
        Territoriality => "territoriality",
        SovereigntyPublicOrder => "sovereignty_public_order",
        PoliticalOffence => "political_offence",
        FiscalOffence => "fiscal_offence",
        NeBisInIdem => "ne_bis_in_idem",
        DeathPenalty => "death_penalty",
        ImmunityOrPrivilege => "immunity_or_privilege",
        FundamentalRights => "fundamental_rights",
        DataProtection => "data_protection",
        DeMinimis => "de_minimis",
        BankSecrecyInvoked => "bank_secrecy_invoked",
        Other => "other",
    }
);

vocabulary!(
    /// `urgent` is for a child at risk; it shortens the alert thresholds.
    /// `emergency` is an imminent risk to a person (a child being abused
    /// now): the hour rules apply and the emergency scan, every 15 minutes
    /// every day, mails its alerts at once (docs/DOMAIN.md §7.5).
    Priority, "priority" {
        Normal => "normal",
        Urgent => "urgent",
        Emergency => "emergency",
    }
);

vocabulary!(
    /// What a user may do; see `auth.rs` for the rights of each.
    Role, "role" {
        Admin => "admin",
        Coordinator => "coordinator",
        Clerk => "clerk",
        Analyst => "analyst",
    }
);

impl Role {
    /// Case-level data (requests, their history) is for legal staff only;
    /// analysts see statistics and vocabularies, never a case.
    pub fn reads_cases(self) -> bool {
        !matches!(self, Role::Analyst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_through_its_string() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(*c));
        }
        for r in RefusalGround::ALL {
            assert_eq!(r.as_str().parse::<RefusalGround>(), Ok(*r));
        }
    }

    #[test]
    fn unknown_value_lists_the_accepted_ones() {
        let err = "telepathy".parse::<Channel>().unwrap_err();
        assert!(err.contains("unknown channel `telepathy`"), "{err}");
        assert!(err.contains("central_authority"), "{err}");
    }

    /// As many codes as docs/DOMAIN.md §5.1 and §5.2 list.
    #[test]
    fn each_vocabulary_has_its_documented_number_of_codes() {
        assert_eq!(Channel::ALL.len(), 8);
        assert_eq!(Facilitator::ALL.len(), 4);
        assert_eq!(MeasureOutcome::ALL.len(), 4);
        assert_eq!(ForeignProceedings::ALL.len(), 3);
        assert_eq!(FollowUpChannel::ALL.len(), 14);
        assert_eq!(LegalBasis::ALL.len(), 15);
        assert_eq!(Offence::ALL.len(), 14);
        assert_eq!(Measure::ALL.len(), 19);
        assert_eq!(AbandonmentReason::ALL.len(), 12);
        assert_eq!(RefusalGround::ALL.len(), 18);
    }

    /// `other` closes every list that has it (forms and tables show it last).
    #[test]
    fn other_comes_last() {
        fn last<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> &'static str {
            name(*all.last().expect("a vocabulary is never empty"))
        }
        assert_eq!(last(Channel::ALL, Channel::as_str), "other");
        assert_eq!(last(FollowUpChannel::ALL, FollowUpChannel::as_str), "other");
        assert_eq!(last(LegalBasis::ALL, LegalBasis::as_str), "other");
        assert_eq!(last(Offence::ALL, Offence::as_str), "other");
        assert_eq!(last(Measure::ALL, Measure::as_str), "other");
        assert_eq!(
            last(AbandonmentReason::ALL, AbandonmentReason::as_str),
            "other"
        );
        assert_eq!(last(RefusalGround::ALL, RefusalGround::as_str), "other");
    }

    /// A follow-up may go by any route a request may take or through any
    /// facilitator (docs/DOMAIN.md §5.1), or by `email` or `phone`.
    #[test]
    fn follow_up_channels_are_the_channels_the_facilitators_email_and_phone() {
        let mut expected: Vec<&str> = Channel::names();
        expected.extend(Facilitator::names());
        expected.extend(["email", "phone"]);
        expected.sort();
        let mut names = FollowUpChannel::names();
        names.sort();
        assert_eq!(names, expected);
    }
}
