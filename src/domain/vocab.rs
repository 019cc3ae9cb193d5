//! The closed vocabularies (docs/DOMAIN.md §5), as enums.
//!
//! Each value exists only if it is valid (parse, don't validate): the API
//! deserialises straight into these types, so an unknown value is rejected at
//! the edge with a message listing the accepted ones, and the rest of the code
//! never re-checks a string.

/// Declares a vocabulary: an enum whose variants map one-to-one to snake_case
/// strings, with `ALL`, `as_str`, `parse`, serde and `Display`, and each
/// value's label for people in English and French (`label`): one
/// declaration, so a value cannot exist without both.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $label:literal { $($variant:ident => $text:literal [$en:literal, $fr:literal]),+ $(,)? }) => {
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

            /// How a person reads the value, in `language`.
            pub fn label(self, language: $crate::domain::language::Language) -> &'static str {
                match (self, language) {
                    $(($name::$variant, $crate::domain::language::Language::En) => $en,
                      ($name::$variant, $crate::domain::language::Language::Fr) => $fr,)+
                }
            }

            /// The accepted strings, for error messages and `/meta/vocabularies`.
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }
        }

        impl $crate::domain::vocab::Vocabulary for $name {
            const LABEL: &'static str = $label;
            fn all() -> &'static [Self] {
                Self::ALL
            }
            fn code(self) -> &'static str {
                self.as_str()
            }
            fn label_in(self, language: $crate::domain::language::Language) -> &'static str {
                self.label(language)
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

/// What every vocabulary offers, for code that reads any of them the same
/// way (a spreadsheet's cell by code or by label).
pub trait Vocabulary: Copy + Send + Sync + 'static {
    /// What this vocabulary is called in error messages.
    const LABEL: &'static str;
    /// Every value, in the order declared.
    fn all() -> &'static [Self];
    /// The snake_case code the API speaks.
    fn code(self) -> &'static str;
    /// How a person reads the value, in `language`.
    fn label_in(self, language: crate::domain::language::Language) -> &'static str;
}

vocabulary!(
    /// How the request travels to the requested state.
    Channel, "channel" {
        CentralAuthority => "central_authority" ["Central authority", "Autorité centrale"],
        MinistryOfJustice => "ministry_of_justice" ["Ministry of justice", "Ministère de la justice"],
        Diplomatic => "diplomatic" ["Diplomatic channel", "Voie diplomatique"],
        DirectJudicial => "direct_judicial" ["Directly between judicial authorities", "Transmission directe entre autorités judiciaires"],
        PoliceCooperation => "police_cooperation" ["Police cooperation", "Coopération policière"],
        Network247 => "network_24_7" ["24/7 network", "Réseau 24/7"],
        ServiceProviderDirect => "service_provider_direct" ["Directly to the service provider", "Directement auprès du fournisseur de services"],
        Other => "other" ["Other", "Autre"],
    }
);

vocabulary!(
    /// Who helped the request on its way, whatever route it took: the
    /// bodies that were channel values before they became a list of their
    /// own (docs/DOMAIN.md §5.1).
    Facilitator, "facilitator" {
        Eurojust => "eurojust" ["Eurojust", "Eurojust"],
        Ejn => "ejn" ["European Judicial Network", "Réseau judiciaire européen"],
        LiaisonMagistrate => "liaison_magistrate" ["Liaison magistrate", "Magistrat de liaison"],
        Interpol => "interpol" ["Interpol", "Interpol"],
    }
);

vocabulary!(
    /// What became of one measure of an executed or partially executed
    /// request.
    MeasureOutcome, "measure outcome" {
        Executed => "executed" ["Executed", "Exécutée"],
        Refused => "refused" ["Refused", "Refusée"],
        DataNotHeld => "data_not_held" ["Data not held", "Données non détenues"],
        NotExecuted => "not_executed" ["Not executed", "Non exécutée"],
    }
);

vocabulary!(
    /// Whether the requested state opened proceedings of its own in a
    /// case (against the suspect, or to protect the victims there).
    ForeignProceedings, "foreign proceedings answer" {
        Yes => "yes" ["Yes", "Oui"],
        No => "no" ["No", "Non"],
        Unknown => "unknown" ["Unknown", "Inconnu"],
    }
);

vocabulary!(
    /// How we chased the requested state: the request channels, the
    /// facilitators (a reminder through Eurojust's national desk or our
    /// liaison magistrate), plus the everyday ones.
    FollowUpChannel, "follow-up channel" {
        CentralAuthority => "central_authority" ["Central authority", "Autorité centrale"],
        MinistryOfJustice => "ministry_of_justice" ["Ministry of justice", "Ministère de la justice"],
        Diplomatic => "diplomatic" ["Diplomatic channel", "Voie diplomatique"],
        DirectJudicial => "direct_judicial" ["Directly between judicial authorities", "Transmission directe entre autorités judiciaires"],
        Interpol => "interpol" ["Interpol", "Interpol"],
        Eurojust => "eurojust" ["Eurojust", "Eurojust"],
        Ejn => "ejn" ["European Judicial Network", "Réseau judiciaire européen"],
        LiaisonMagistrate => "liaison_magistrate" ["Liaison magistrate", "Magistrat de liaison"],
        PoliceCooperation => "police_cooperation" ["Police cooperation", "Coopération policière"],
        Network247 => "network_24_7" ["24/7 network", "Réseau 24/7"],
        ServiceProviderDirect => "service_provider_direct" ["Directly to the service provider", "Directement auprès du fournisseur de services"],
        Email => "email" ["Email", "Courriel"],
        Phone => "phone" ["Telephone", "Téléphone"],
        Other => "other" ["Other", "Autre"],
    }
);

vocabulary!(
    /// The instrument the request is made under.
    LegalBasis, "legal basis" {
        BilateralTreaty => "bilateral_treaty" ["Bilateral treaty", "Traité bilatéral"],
        EioDirective => "eio_directive" ["European Investigation Order (Directive 2014/41/EU)", "Décision d'enquête européenne (directive 2014/41/UE)"],
        EEvidenceRegulation => "e_evidence_regulation" ["E-evidence Regulation (EU) 2023/1543", "Règlement (UE) 2023/1543 sur les preuves électroniques"],
        EuMlaConvention2000 => "eu_mla_convention_2000" ["EU Mutual Assistance Convention (2000)", "Convention d'entraide de l'UE (2000)"],
        EuUsMlaAgreement => "eu_us_mla_agreement" ["EU–US Mutual Legal Assistance Agreement", "Accord d'entraide judiciaire UE–États-Unis"],
        Ecmla1959 => "ecmla_1959" ["European Convention on Mutual Assistance (1959)", "Convention européenne d'entraide judiciaire (1959)"],
        Untoc => "untoc" ["UN Convention against Transnational Organized Crime", "Convention des Nations unies contre la criminalité transnationale organisée"],
        Uncac => "uncac" ["UN Convention against Corruption", "Convention des Nations unies contre la corruption"],
        BudapestConvention => "budapest_convention" ["Budapest Convention on Cybercrime", "Convention de Budapest sur la cybercriminalité"],
        BudapestSecondProtocol => "budapest_second_protocol" ["Second Additional Protocol to the Budapest Convention", "Deuxième protocole additionnel à la Convention de Budapest"],
        UnCybercrimeConvention => "un_cybercrime_convention" ["UN Convention against Cybercrime", "Convention des Nations unies contre la cybercriminalité"],
        Lanzarote => "lanzarote" ["Lanzarote Convention", "Convention de Lanzarote"],
        Reciprocity => "reciprocity" ["Reciprocity", "Réciprocité"],
        ProviderVoluntary => "provider_voluntary" ["Voluntary disclosure by a provider", "Communication volontaire par un fournisseur"],
        Other => "other" ["Other", "Autre"],
    }
);

vocabulary!(
    /// Offences the case is about.
    Offence, "offence" {
        ChildSexualExploitation => "child_sexual_exploitation" ["Child sexual exploitation", "Exploitation sexuelle d'enfants"],
        ChildSexualAbuseMaterial => "child_sexual_abuse_material" ["Child sexual abuse material", "Contenus d'abus sexuels sur enfants"],
        LivestreamedChildSexualAbuse => "livestreamed_child_sexual_abuse" ["Livestreamed child sexual abuse", "Abus sexuels sur enfants diffusés en direct"],
        GroomingSextortion => "grooming_sextortion" ["Grooming and sextortion", "Pédopiégeage et sextorsion"],
        TraffickingInPersons => "trafficking_in_persons" ["Trafficking in persons", "Traite des êtres humains"],
        SexualViolence => "sexual_violence" ["Sexual violence", "Violences sexuelles"],
        Cybercrime => "cybercrime" ["Cybercrime", "Cybercriminalité"],
        Fraud => "fraud" ["Fraud", "Escroquerie"],
        MoneyLaundering => "money_laundering" ["Money laundering", "Blanchiment"],
        DrugTrafficking => "drug_trafficking" ["Drug trafficking", "Trafic de stupéfiants"],
        Terrorism => "terrorism" ["Terrorism", "Terrorisme"],
        Homicide => "homicide" ["Homicide", "Homicide"],
        Corruption => "corruption" ["Corruption", "Corruption"],
        Other => "other" ["Other", "Autre"],
    }
);

vocabulary!(
    /// Measures asked of the requested state.
    Measure, "measure" {
        IdentifyVictims => "identify_victims" ["Identify victims", "Identifier les victimes"],
        IdentifySuspects => "identify_suspects" ["Identify suspects", "Identifier les suspects"],
        LocatePerson => "locate_person" ["Locate a person", "Localiser une personne"],
        WitnessHearing => "witness_hearing" ["Hear a witness", "Audition de témoin"],
        SuspectInterview => "suspect_interview" ["Interview a suspect", "Audition de suspect"],
        VideoconferenceHearing => "videoconference_hearing" ["Hearing by videoconference", "Audition par visioconférence"],
        ForensicChildInterview => "forensic_child_interview" ["Forensic interview of a child", "Audition filmée d'un enfant"],
        VictimSafeguarding => "victim_safeguarding" ["Safeguard a victim", "Mise en sécurité d'une victime"],
        BankRecords => "bank_records" ["Bank records", "Relevés bancaires"],
        ElectronicEvidence => "electronic_evidence" ["Electronic evidence", "Preuves électroniques"],
        DataPreservation => "data_preservation" ["Preserve data", "Conservation de données"],
        SubscriberData => "subscriber_data" ["Subscriber data", "Données relatives aux abonnés"],
        TrafficData => "traffic_data" ["Traffic data", "Données relatives au trafic"],
        ContentData => "content_data" ["Content data", "Données de contenu"],
        SearchAndSeizure => "search_and_seizure" ["Search and seizure", "Perquisition et saisie"],
        ProvisionalMeasures => "provisional_measures" ["Provisional measures", "Mesures provisoires"],
        AssetFreezing => "asset_freezing" ["Freeze assets", "Gel d'avoirs"],
        ServiceOfDocuments => "service_of_documents" ["Serve documents", "Remise d'actes"],
        Other => "other" ["Other", "Autre"],
    }
);

vocabulary!(
    /// Why our side gave up on a request.
    AbandonmentReason, "abandonment reason" {
        NoResponse => "no_response" ["No response from the requested state", "Absence de réponse de l'État requis"],
        CaseClosed => "case_closed" ["Case closed", "Affaire classée"],
        EvidenceObtainedOtherwise => "evidence_obtained_otherwise" ["Evidence obtained otherwise", "Preuve obtenue par une autre voie"],
        NoLongerNeeded => "no_longer_needed" ["No longer needed", "N'est plus nécessaire"],
        LimitationPeriodExpired => "limitation_period_expired" ["Limitation period expired", "Prescription acquise"],
        SuspectDeceased => "suspect_deceased" ["Suspect deceased", "Décès du suspect"],
        DataNoLongerAvailable => "data_no_longer_available" ["Data no longer available", "Données plus disponibles"],
        SupersededByNewRequest => "superseded_by_new_request" ["Replaced by a new request", "Remplacée par une nouvelle demande"],
        TriedWithoutEvidence => "tried_without_evidence" ["Case tried without the evidence", "Affaire jugée sans cette preuve"],
        ProceedingsTransferred => "proceedings_transferred" ["Proceedings transferred", "Procédure transférée"],
        RequestedStateUnreachable => "requested_state_unreachable" ["Requested state unreachable", "État requis injoignable"],
        Other => "other" ["Other", "Autre"],
    }
);

vocabulary!(
    /// Why the requested state said no.
    RefusalGround, "refusal ground" {
        InsufficientInformation => "insufficient_information" ["Insufficient information", "Informations insuffisantes"],
        FormDefectOrLanguage => "form_defect_or_language" ["Defect of form or language", "Vice de forme ou de langue"],
        NoLegalBasisOrReciprocity => "no_legal_basis_or_reciprocity" ["No legal basis or reciprocity", "Absence de base juridique ou de réciprocité"],
        DualCriminality => "dual_criminality" ["Dual criminality", "Double incrimination"],
        MeasureUnavailableDomestically => "measure_unavailable_domestically" ["Measure unavailable under the requested state's law", "Mesure non prévue par le droit de l'État requis"],
        EvidentiaryThresholdNotMet => "evidentiary_threshold_not_met" ["Evidentiary threshold not met", "Seuil de preuve non atteint"],
        Territoriality => "territoriality" ["Territoriality", "Territorialité"],
        SovereigntyPublicOrder => "sovereignty_public_order" ["Sovereignty, security or public order", "Souveraineté, sécurité ou ordre public"],
        PoliticalOffence => "political_offence" ["Political offence", "Infraction politique"],
        FiscalOffence => "fiscal_offence" ["Fiscal offence", "Infraction fiscale"],
        NeBisInIdem => "ne_bis_in_idem" ["Ne bis in idem", "Ne bis in idem"],
        DeathPenalty => "death_penalty" ["Death penalty", "Peine de mort"],
        ImmunityOrPrivilege => "immunity_or_privilege" ["Immunity or privilege", "Immunité ou privilège"],
        FundamentalRights => "fundamental_rights" ["Fundamental rights", "Droits fondamentaux"],
        DataProtection => "data_protection" ["Data protection", "Protection des données"],
        DeMinimis => "de_minimis" ["De minimis", "De minimis"],
        BankSecrecyInvoked => "bank_secrecy_invoked" ["Bank secrecy invoked", "Secret bancaire invoqué"],
        Other => "other" ["Other", "Autre"],
    }
);

vocabulary!(
    /// `urgent` is for a child at risk; it shortens the alert thresholds.
    /// `emergency` is an imminent risk to a person (a child being abused
    /// now): the hour rules apply and the emergency scan, every 15 minutes
    /// every day, mails its alerts at once (docs/DOMAIN.md §7.5).
    Priority, "priority" {
        Normal => "normal" ["Normal", "Normale"],
        Urgent => "urgent" ["Urgent", "Urgente"],
        Emergency => "emergency" ["Emergency", "Extrême urgence"],
    }
);

vocabulary!(
    /// What a user may do; see `auth.rs` for the rights of each.
    Role, "role" {
        Admin => "admin" ["Administrator", "Administrateur"],
        Coordinator => "coordinator" ["Coordinator", "Coordinateur"],
        Clerk => "clerk" ["Clerk", "Greffier"],
        Analyst => "analyst" ["Analyst", "Analyste"],
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
