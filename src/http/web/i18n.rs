//! Everything a person reads on the pages, in English and French: the
//! messages (one declaration per message holding both languages, so none
//! can lack a translation), country names, dates and numbers as each
//! language writes them. Vocabulary labels live with their vocabularies
//! (`label(language)`, `crate::domain::vocab`).

use std::sync::LazyLock;

use chrono::NaiveDate;

use crate::domain::{CountryCode, Language};

/// Declares the messages: `name: "English", "Français";` becomes a method
/// `Tr::name()` that templates call (a misspelt name fails the build) and
/// an entry of [`MESSAGES`] for the translation tests.
macro_rules! messages {
    ($($name:ident: $en:literal, $fr:literal;)+) => {
        impl Tr {
            $(pub fn $name(&self) -> &'static str {
                match self.language { Language::En => $en, Language::Fr => $fr }
            })+
        }

        /// Every message: (name, English, French).
        pub const MESSAGES: &[(&str, &str, &str)] = &[$((stringify!($name), $en, $fr)),+];
    };
}

/// The translator of one page: its language, and the messages in it.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub language: Language,
}

messages! {
    app_name: "MLA tracker", "Suivi de l'entraide pénale";
    colon: ":", "\u{a0}:";
    skip_link: "Skip to main content", "Aller au contenu principal";
    main_navigation: "Main navigation", "Navigation principale";
    language_switch: "Language", "Langue";
    nav_requests: "Requests", "Demandes";
    nav_stats: "Statistics", "Statistiques";
    signed_in_as: "Signed in as", "Connecté en tant que";
    sign_in: "Sign in", "Se connecter";
    sign_in_title: "Sign in to the MLA tracker", "Connexion au suivi de l'entraide pénale";
    sign_out: "Sign out", "Se déconnecter";
    email: "Email", "Adresse électronique";
    password: "Password", "Mot de passe";
    sign_in_failed: "Email or password incorrect.", "Adresse électronique ou mot de passe incorrect.";
    sign_in_throttled: "Too many failed attempts from your address. Wait a few minutes, then try again.", "Trop de tentatives échouées depuis votre adresse. Patientez quelques minutes, puis réessayez.";
    session_expired: "Your session has expired. Sign in again to continue.", "Votre session a expiré. Reconnectez-vous pour continuer.";
    signed_out: "You are signed out.", "Vous êtes déconnecté.";
    no_password_help: "No password yet? Ask an administrator for an invitation.", "Pas encore de mot de passe ? Demandez une invitation à un administrateur.";
    forbidden_title: "Access denied", "Accès refusé";
    forbidden_text: "Your role does not give access to this page. If you need it, ask an administrator.", "Votre rôle ne donne pas accès à cette page. Si vous en avez besoin, adressez-vous à un administrateur.";
    csrf_title: "This form has expired", "Ce formulaire a expiré";
    csrf_text: "The form was not sent from this service's page, or the page is too old. Go back, reload the page and send the form again.", "Le formulaire ne provient pas d'une page de ce service, ou la page est trop ancienne. Revenez en arrière, rechargez la page et renvoyez le formulaire.";
    not_found_title: "Page not found", "Page introuvable";
    not_found_text: "There is nothing at this address. Check the link, or start again from the list of requests.", "Il n'y a rien à cette adresse. Vérifiez le lien, ou repartez de la liste des demandes.";
    error_title: "Something went wrong", "Une erreur est survenue";
    error_text: "The service could not finish this. Nothing was changed. Try again in a moment; if it happens again, tell an administrator.", "Le service n'a pas pu terminer. Rien n'a été modifié. Réessayez dans un instant ; si cela se reproduit, prévenez un administrateur.";
    unavailable_text: "The database is not answering. Nothing was changed. Try again in a minute.", "La base de données ne répond pas. Rien n'a été modifié. Réessayez dans une minute.";
    no_pdf_text: "This server cannot print the report as a PDF: it needs Chromium, which an administrator can install. The report's web version, beside the PDF link, works now.", "Ce serveur ne peut pas imprimer le rapport en PDF : il lui faut Chromium, qu'un administrateur peut installer. La version web du rapport, à côté du lien PDF, fonctionne dès maintenant.";
    back_home: "Back to the start page", "Retour à la page d'accueil";
    register_title: "Requests sent abroad", "Demandes adressées à l'étranger";
    filters: "Filters", "Filtres";
    filter_status: "Status", "Statut";
    filter_country: "Requested country", "Pays requis";
    filter_priority: "Priority", "Priorité";
    filter_legal_basis: "Legal basis", "Base juridique";
    filter_text: "Reference, case, title or magistrate", "Référence, affaire, objet ou magistrat";
    filter_sent_from: "Sent on or after", "Envoyée à partir du";
    filter_sent_to: "Sent on or before", "Envoyée jusqu'au";
    filter_sort: "Sort by", "Trier par";
    any: "Any", "Tous";
    apply_filters: "Apply", "Appliquer";
    clear_filters: "Clear", "Effacer";
    sort_created_desc: "Newest first", "Les plus récentes";
    sort_sent_asc: "Sent, oldest first", "Date d'envoi, les plus anciennes";
    sort_sent_desc: "Sent, newest first", "Date d'envoi, les plus récentes";
    sort_status_since_asc: "Longest in their status", "Depuis le plus longtemps dans leur statut";
    sort_reference: "Reference", "Référence";
    col_reference: "Reference", "Référence";
    col_case: "Case", "Affaire";
    col_title: "Title", "Objet";
    col_country: "Country", "Pays";
    col_status: "Status", "Statut";
    col_sent: "Sent", "Envoi";
    col_next_deadline: "Next deadline", "Prochaine échéance";
    deadline_missed: "passed", "dépassée";
    not_sent: "not sent", "non envoyée";
    none: "none", "aucune";
    no_requests: "No request matches these filters.", "Aucune demande ne correspond à ces filtres.";
    next_page: "Next page", "Page suivante";
    export_heading: "Download these requests", "Télécharger ces demandes";
    export_csv: "CSV file", "Fichier CSV";
    export_xlsx: "Excel workbook (XLSX)", "Classeur Excel (XLSX)";
    first_page: "First page", "Première page";
    invalid_date: "Enter a date as YYYY-MM-DD, for example 2026-03-31.", "Saisissez une date au format AAAA-MM-JJ, par exemple 2026-03-31.";
    sent_to_before_from: "This date is before the start date; correct one of the two.", "Cette date précède la date de début ; corrigez l'une des deux.";
    choose_from_list: "Choose a value from the list.", "Choisissez une valeur dans la liste.";
    search_too_long: "Shorten the search to 200 characters at most.", "Raccourcissez la recherche à 200 caractères au plus.";
    unknown_filter: "This is not a filter of the list; remove it from the address.", "Ce n'est pas un filtre de la liste ; retirez-le de l'adresse.";
    error_required: "Fill in this field.", "Remplissez ce champ.";
    error_future: "This date is after today: enter the date it really happened.", "Cette date est postérieure à aujourd'hui : saisissez la date réelle.";
    error_before_sent: "This date is before the request was sent: check it.", "Cette date précède l'envoi de la demande : vérifiez-la.";
    error_email: "Enter an email address, such as name@justice.example.", "Saisissez une adresse électronique, par exemple nom@justice.example.";
    error_length: "This is too long: shorten it.", "Ce texte est trop long : raccourcissez-le.";
    error_basis_country: "This legal basis does not apply to the requested country: choose another basis or check the country.", "Cette base juridique ne s'applique pas au pays requis : choisissez une autre base ou vérifiez le pays.";
    error_taken: "This value is already used by another record.", "Cette valeur est déjà utilisée par un autre enregistrement.";
    error_check_value: "This value is not accepted: check it and try again.", "Cette valeur n'est pas acceptée : vérifiez-la et réessayez.";
    form_invalid: "The form has errors; nothing was saved. Correct the fields below.", "Le formulaire contient des erreurs ; rien n'a été enregistré. Corrigez les champs ci-dessous.";
    filters_invalid: "Some filters are not valid; correct them to see the list.", "Certains filtres ne sont pas valides ; corrigez-les pour afficher la liste.";
    request_fields: "Request", "Demande";
    new_request: "Record a request", "Enregistrer une demande";
    edit_request: "Edit the request", "Modifier la demande";
    save_request: "Save", "Enregistrer";
    cancel: "Cancel", "Annuler";
    group_case: "The case", "L'affaire";
    group_magistrate: "Issuing magistrate", "Magistrat requérant";
    group_destination: "Where it goes, and how", "Destination et voie";
    group_content: "What it asks", "Objet de la demande";
    group_dates: "Dates", "Dates";
    field_magistrate_name: "Magistrate's name", "Nom du magistrat";
    field_magistrate_email: "Email", "Adresse électronique";
    field_legal_basis_detail: "Legal basis, in detail (treaty, article)", "Base juridique, en détail (traité, article)";
    field_sent_at: "Sent on", "Envoyée le";
    hint_sent_at: "Leave empty to keep it as a draft until it is sent.", "Laissez vide pour la garder en brouillon jusqu'à son envoi.";
    hint_case_reference: "The domestic case or procedure number; the case is opened if it is new.", "Le numéro de l'affaire ou de la procédure ; l'affaire est ouverte si elle est nouvelle.";
    choose: "Choose…", "Choisir…";
    conflict_title: "Someone else changed this request", "Quelqu'un d'autre a modifié cette demande";
    conflict_text: "While you were editing, the request was changed by someone else. Nothing you typed was saved, and nothing of theirs was overwritten. Compare below, then edit the current version again.", "Pendant votre saisie, la demande a été modifiée par quelqu'un d'autre. Rien de votre saisie n'a été enregistré, et rien de la sienne n'a été écrasé. Comparez ci-dessous, puis modifiez à nouveau la version actuelle.";
    conflict_field: "Field", "Champ";
    conflict_yours: "What you typed", "Votre saisie";
    conflict_theirs: "What it is now", "Valeur actuelle";
    conflict_again: "Edit the current version", "Modifier la version actuelle";
    edit: "Edit", "Modifier";
    moves: "Record what happened", "Enregistrer un événement";
    moves_none: "This request is closed: no further move is possible.", "Cette demande est clôturée : plus aucun changement de statut n'est possible.";
    move_to: "Move to:", "Passer à :";
    move_submit: "Record:", "Enregistrer :";
    effective_date: "Date it happened", "Date de l'événement";
    hint_effective_date: "The date of the letter or the act, not today's if it differs.", "La date du courrier ou de l'acte, pas celle d'aujourd'hui si elle diffère.";
    move_note: "Note", "Note";
    move_note_optional: "Note (optional)", "Note (facultative)";
    field_reason: "Why it is abandoned", "Motif de l'abandon";
    field_ground: "Ground given for the refusal", "Motif invoqué pour le refus";
    move_conflict: "The request changed while you were on this page; nothing was recorded. Check its status and history below, then try again.", "La demande a changé pendant que vous étiez sur cette page ; rien n'a été enregistré. Vérifiez son statut et son historique ci-dessous, puis réessayez.";
    move_recorded: "Recorded.", "Enregistré.";
    add_note: "Add a note", "Ajouter une note";
    note_text: "Note", "Note";
    record_new: "Record a request", "Enregistrer une demande";
    field_reference: "Reference", "Référence";
    field_case: "Case", "Affaire";
    field_title: "Title", "Objet";
    field_magistrate: "Issuing magistrate", "Magistrat requérant";
    field_court: "Court", "Juridiction";
    field_country: "Requested country", "Pays requis";
    field_authority: "Requested authority", "Autorité requise";
    field_channel: "Channel", "Voie de transmission";
    field_facilitators: "Facilitated by", "Facilitée par";
    field_legal_basis: "Legal basis", "Base juridique";
    field_offences: "Offences", "Infractions";
    field_measures: "Measures requested", "Mesures demandées";
    field_priority: "Priority", "Priorité";
    field_status: "Status", "Statut";
    field_status_since: "In this status since", "Dans ce statut depuis le";
    field_sent: "Sent", "Envoyée le";
    field_received: "Received by the requested state", "Reçue par l'État requis le";
    field_acknowledged: "Acknowledged", "Accusé de réception le";
    field_first_response: "First substantive response", "Première réponse sur le fond le";
    field_closed: "Closed", "Clôturée le";
    field_abandonment_reason: "Reason for abandoning", "Motif de l'abandon";
    field_refusal_ground: "Ground for refusal", "Motif du refus";
    field_needed_by: "Needed by", "Nécessaire avant le";
    field_foreign_reference: "Reference of the requested state", "Référence de l'État requis";
    field_coordinator: "Coordinator", "Coordinateur";
    field_outcome_note: "Outcome", "Résultat";
    history: "History", "Historique";
    col_effective: "Effective", "Date d'effet";
    col_event: "What happened", "Événement";
    col_by: "By", "Par";
    col_recorded: "Recorded", "Enregistré le";
    col_note: "Note", "Note";
    event_created: "Created", "Création";
    event_updated: "Edited", "Modification";
    event_transition: "Status changed", "Changement de statut";
    event_milestone: "Milestone", "Étape";
    event_note: "Note", "Note";
    event_follow_up: "Follow-up", "Relance";
    event_snoozed: "Alerts paused", "Alertes suspendues";
    event_unsnoozed: "Alerts resumed", "Alertes reprises";
    event_linked: "Linked", "Lien ajouté";
    event_unlinked: "Link removed", "Lien retiré";
    event_preservation_recorded: "Preservation recorded", "Conservation enregistrée";
    event_preservation_renewed: "Preservation renewed", "Conservation renouvelée";
    event_preservation_released: "Preservation released", "Conservation levée";
    days_in_status_one: "day", "jour";
    days_in_status_many: "days", "jours";
    nav_alerts: "Stalled requests", "Demandes en souffrance";
    alerts_title: "Stalled requests", "Demandes en souffrance";
    alerts_intro: "Requests past an alert threshold today, most overdue first. Record each chase here: it goes into the request's history and shows in the next reminder.", "Demandes ayant dépassé un seuil d'alerte aujourd'hui, les plus en retard d'abord. Enregistrez ici chaque relance : elle entre dans l'historique de la demande et apparaît dans le prochain rappel.";
    alerts_mine: "Mine", "Les miennes";
    alerts_all: "All", "Toutes";
    alerts_scope: "Which requests", "Quelles demandes";
    alerts_none: "No request is stalled. Nothing to chase today.", "Aucune demande en souffrance. Rien à relancer aujourd'hui.";
    alerts_total: "stalled in all", "en souffrance au total";
    col_level: "Level", "Niveau";
    col_overdue: "Overdue by", "En retard de";
    col_last_follow_up: "Last follow-up", "Dernière relance";
    col_preservation: "Preserved data expiring", "Données conservées expirant";
    col_follow_up: "Record a follow-up", "Enregistrer une relance";
    follow_up_channel: "How", "Moyen";
    follow_up_date: "Date", "Date";
    follow_up_note: "Note (optional)", "Note (facultative)";
    follow_up_submit: "Record", "Enregistrer";
    follow_up_recorded: "The follow-up was recorded in the request's history.", "La relance a été enregistrée dans l'historique de la demande.";
    follow_up_date_error: "Enter the date of the follow-up: not after today, not before the request was sent.", "Saisissez la date de la relance : pas après aujourd'hui, pas avant l'envoi de la demande.";
    follow_up_closed: "This request is closed: a follow-up is no longer recorded.", "Cette demande est clôturée : une relance n'est plus enregistrée.";
    note_too_long: "Shorten the note to 10,000 characters at most.", "Raccourcissez la note à 10 000 caractères au plus.";
    no_follow_up: "none recorded", "aucune";
    level_n: "level", "niveau";
    expires_on: "expires", "expire le";
    nav_account: "My account", "Mon compte";
    account_title: "My account", "Mon compte";
    account_language: "Language of the pages and emails", "Langue des pages et des courriels";
    account_language_save: "Save the language", "Enregistrer la langue";
    account_password: "Change my password", "Changer mon mot de passe";
    current_password: "Current password", "Mot de passe actuel";
    new_password: "New password", "Nouveau mot de passe";
    new_password_again: "New password, once more", "Nouveau mot de passe, une seconde fois";
    hint_new_password: "At least 12 characters; a phrase of several words is easiest to remember. Common passwords are refused.", "Au moins 12 caractères ; une phrase de plusieurs mots se retient le plus facilement. Les mots de passe courants sont refusés.";
    password_save: "Change the password", "Changer le mot de passe";
    password_wrong: "This is not your current password.", "Ce n'est pas votre mot de passe actuel.";
    password_mismatch: "The two new passwords differ: type the same one twice.", "Les deux nouveaux mots de passe diffèrent : saisissez deux fois le même.";
    password_too_short: "Use at least 12 characters.", "Utilisez au moins 12 caractères.";
    password_too_long: "Use at most 256 characters.", "Utilisez au plus 256 caractères.";
    password_common: "This password is among the most common ones: choose another.", "Ce mot de passe figure parmi les plus courants : choisissez-en un autre.";
    password_is_email: "Do not use your email address as a password.", "N'utilisez pas votre adresse électronique comme mot de passe.";
    password_changed: "Your password was changed, and every session signed out. Sign in with the new password.", "Votre mot de passe a été changé et toutes vos sessions fermées. Connectez-vous avec le nouveau mot de passe.";
    account_token: "My API token", "Mon jeton d'API";
    account_token_text: "For programs that call the API on your behalf. A new token replaces the old one at once; it is shown once, here.", "Pour les programmes qui appellent l'API en votre nom. Un nouveau jeton remplace l'ancien immédiatement ; il n'est affiché qu'une fois, ici.";
    account_token_rotate: "Make a new token", "Créer un nouveau jeton";
    account_token_new: "Your new token (copy it now: it will not be shown again):", "Votre nouveau jeton (copiez-le maintenant : il ne sera plus affiché) :";
    language_saved: "Language saved.", "Langue enregistrée.";
    nav_admin: "Users", "Utilisateurs";
    admin_title: "Users", "Utilisateurs";
    invite_title: "Invite a user", "Inviter un utilisateur";
    invite_text: "They get an email with a link to choose their password, valid for a limited time and once only.", "La personne reçoit un courriel avec un lien pour choisir son mot de passe, valable un temps limité et une seule fois.";
    user_name: "Name", "Nom";
    user_email: "Email", "Adresse électronique";
    user_role: "Role", "Rôle";
    user_language: "Language of their emails", "Langue de ses courriels";
    invite_submit: "Invite", "Inviter";
    col_name: "Name", "Nom";
    col_role: "Role", "Rôle";
    col_state: "Account", "Compte";
    col_actions: "Actions", "Actions";
    state_active: "active", "actif";
    state_deactivated: "deactivated", "désactivé";
    state_no_password: "no password yet", "pas encore de mot de passe";
    change_role: "Change the role", "Changer le rôle";
    send_password_link: "Send a link to set a password", "Envoyer un lien pour choisir un mot de passe";
    rotate_token: "Make a new API token", "Créer un nouveau jeton d'API";
    deactivate: "Deactivate", "Désactiver";
    invited: "The invitation was sent.", "L'invitation a été envoyée.";
    link_sent: "The link was sent.", "Le lien a été envoyé.";
    link_not_emailed: "The email could not be sent. Give this link to the person by another safe way; it works once:", "Le courriel n'a pas pu être envoyé. Transmettez ce lien à la personne par un autre moyen sûr ; il ne sert qu'une fois :";
    role_changed: "The role was changed.", "Le rôle a été modifié.";
    deactivated: "The user was deactivated: their sessions, password and token no longer work.", "L'utilisateur a été désactivé : ses sessions, son mot de passe et son jeton ne fonctionnent plus.";
    token_made: "The user's new API token (give it to them now: it will not be shown again):", "Le nouveau jeton d'API de l'utilisateur (transmettez-le maintenant : il ne sera plus affiché) :";
    last_admin: "This is the last active administrator: make another user an administrator first.", "C'est le dernier administrateur actif : nommez d'abord un autre administrateur.";
    email_taken: "A user with this email exists already.", "Un utilisateur a déjà cette adresse électronique.";
    invitation_title: "Choose your password", "Choisissez votre mot de passe";
    invitation_for: "For the account", "Pour le compte";
    invitation_submit: "Save the password", "Enregistrer le mot de passe";
    invitation_dead: "This link no longer works: it was used, it expired, or a newer one was sent. Ask an administrator for a new link.", "Ce lien ne fonctionne plus : il a servi, il a expiré ou un lien plus récent a été envoyé. Demandez un nouveau lien à un administrateur.";
    password_set: "Your password is saved. Sign in with it.", "Votre mot de passe est enregistré. Connectez-vous avec.";
    field_recognised: "Recognition decision", "Décision de reconnaissance le";
    field_deadline_extended_to: "Deadline extended to", "Délai prolongé jusqu'au";
    field_deadline_extension_reason: "Reason for the extension", "Motif de la prolongation";
    links_heading: "Linked requests", "Demandes liées";
    links_caption: "Requests linked to this one, and how", "Demandes liées à celle-ci, et comment";
    col_link: "Link", "Lien";
    col_request: "Request", "Demande";
    link_supplemented_by: "Supplemented by", "Complétée par";
    link_replaced_by: "Replaced by", "Remplacée par";
    link_reissued_as: "Reissued after its refusal as", "Réémise après son refus sous";
    link_followed_up_by: "Followed up by", "Suivie par";
    case_other_requests: "Other requests of the case", "Autres demandes de l'affaire";
    case_only_request: "This is the case's only request.", "C'est la seule demande de l'affaire.";
    case_preservations: "Data preserved for the case", "Données conservées pour l'affaire";
    field_trial_date: "Trial date", "Date du procès";
    field_victims_identified: "Victims identified", "Victimes identifiées";
    field_victims_safeguarded: "Victims safeguarded", "Victimes mises en sécurité";
    field_foreign_proceedings: "Proceedings opened abroad", "Procédure ouverte à l'étranger";
    milestones_heading: "Dates of the requested state", "Dates de l'État requis";
    milestones_intro: "Receipt, recognition or an extended deadline: dates the requested state's acts set without changing the status. Recording one again corrects it; the history keeps both.", "Réception, reconnaissance ou prolongation du délai : des dates fixées par les actes de l'État requis, sans changement de statut. Les enregistrer à nouveau les corrige ; l'historique garde les deux.";
    milestone_kind: "What happened", "Ce qui s'est passé";
    milestone_extended_to: "New deadline (extension only)", "Nouveau délai (prolongation uniquement)";
    milestone_reason: "Reason given (extension only)", "Motif donné (prolongation uniquement)";
    milestone_submit: "Record the date", "Enregistrer la date";
    milestone_not_sent: "This request has not been sent: record its sending first (move it to Sent), then what the requested state did.", "Cette demande n'a pas été envoyée : enregistrez d'abord son envoi (passage à « Envoyée »), puis ce qu'a fait l'État requis.";
    follow_ups_heading: "Follow-ups", "Relances";
    follow_ups_caption: "The latest follow-ups (the history lists every one)", "Les dernières relances (l'historique les liste toutes)";
    follow_ups_none: "No follow-up recorded yet.", "Aucune relance enregistrée.";
    alerts_heading: "Alerts", "Alertes";
    snooze_active: "Alerts are paused until", "Alertes suspendues jusqu'au";
    snooze_reason_shown: "Why", "Pourquoi";
    snooze_none: "Alerts are not paused.", "Les alertes ne sont pas suspendues.";
    snooze_until: "Pause the alerts until (included)", "Suspendre les alertes jusqu'au (inclus)";
    hint_snooze_until: "From today to a year from now.", "D'aujourd'hui à un an d'ici.";
    snooze_reason: "Why they are paused", "Motif de la suspension";
    snooze_submit: "Pause the alerts", "Suspendre les alertes";
    unsnooze_submit: "Resume the alerts now", "Reprendre les alertes maintenant";
    snooze_closed: "This request is closed: it raises no alerts, so there is nothing to pause.", "Cette demande est clôturée : elle ne déclenche aucune alerte, il n'y a donc rien à suspendre.";
    unsnooze_none: "The alerts were not paused (someone may have resumed them already): nothing was changed.", "Les alertes n'étaient pas suspendues (quelqu'un les a peut-être déjà reprises) : rien n'a été modifié.";
    preservations_heading: "Preserved data", "Données conservées";
    preservations_none: "No preservation recorded for this request.", "Aucune conservation enregistrée pour cette demande.";
    col_holder: "Holder", "Détenteur";
    col_days_left: "Time left", "Temps restant";
    col_preservation_state: "State", "État";
    preservation_active: "Active", "En cours";
    preservation_expired: "Expired", "Expirée";
    preservation_released_on: "Released on", "Levée le";
    days_left: "left", "restants";
    expired_for: "expired for", "expirée depuis";
    preservation_record: "Record a preservation", "Enregistrer une conservation";
    field_holder: "Who keeps the data (provider or authority)", "Qui conserve les données (fournisseur ou autorité)";
    field_holder_country: "Country of the holder", "Pays du détenteur";
    field_preservation_basis: "Legal basis of the preservation", "Base juridique de la conservation";
    field_preservation_sent: "Asked for on", "Demandée le";
    field_expires_on: "Expires on", "Expire le";
    hint_expires_on: "Leave empty for the period the legal basis sets (90 days for 18 U.S.C. § 2703(f), 60 for the Budapest Convention and a European Preservation Order); required for the others.", "Laissez vide pour la durée fixée par la base juridique (90 jours pour 18 U.S.C. § 2703(f), 60 pour la Convention de Budapest et l'injonction européenne de conservation) ; obligatoire pour les autres.";
    preservation_submit: "Record the preservation", "Enregistrer la conservation";
    preservation_act: "Renew or release", "Renouveler ou lever";
    renew_asked: "Renewal asked for on", "Renouvellement demandé le";
    renew_expires_on: "New expiry date", "Nouvelle date d'expiration";
    renew_submit: "Renew", "Renouveler";
    release_legend: "Release: the holder may delete the data", "Lever : le détenteur peut effacer les données";
    release_date: "Holder told on", "Détenteur informé le";
    release_submit: "Release", "Lever";
    preservation_released_already: "This preservation was released already: it can be neither renewed nor released again. Record a new one to preserve the data again.", "Cette conservation a déjà été levée : elle ne peut plus être renouvelée ni levée. Enregistrez-en une nouvelle pour conserver à nouveau les données.";
    preservation_changed: "The preservation changed while you were on this page; nothing was recorded. Check it below, then try again.", "La conservation a changé pendant que vous étiez sur cette page ; rien n'a été enregistré. Vérifiez-la ci-dessous, puis réessayez.";
    error_past: "This date has passed: choose today or a later date.", "Cette date est passée : choisissez aujourd'hui ou une date ultérieure.";
    error_too_far: "This date is too far ahead: choose one within a year.", "Cette date est trop lointaine : choisissez-la dans l'année.";
    error_too_early: "This date is too early: it must come after the date it follows on the form.", "Cette date est trop précoce : elle doit suivre la date à laquelle elle se rapporte dans le formulaire.";
    error_after_reply: "This date is after the requested state's first reply: receipt cannot come later. Check it.", "Cette date est postérieure à la première réponse de l'État requis : la réception ne peut être plus tardive. Vérifiez-la.";
    error_before_received: "This date is before the request was received: check it.", "Cette date précède la réception de la demande : vérifiez-la.";
    error_before_asked: "This date is before the preservation was asked for: check it.", "Cette date précède la demande de conservation : vérifiez-la.";
    error_expiry_not_later: "The new expiry date must be after the current one.", "La nouvelle date d'expiration doit suivre l'actuelle.";
    error_extension_only: "Leave this empty unless the deadline was extended.", "Laissez ce champ vide, sauf en cas de prolongation du délai.";
    error_no_period: "This legal basis sets no period: enter the expiry date.", "Cette base juridique ne fixe pas de durée : saisissez la date d'expiration.";
    stats_period: "Requests sent in", "Demandes envoyées en";
    stats_all_periods: "Any year", "Toutes les années";
    stats_as_of_label: "Figures as of", "Chiffres arrêtés au";
    stats_apply: "Show", "Afficher";
    quarter: "quarter", "trimestre";
    stats_period_refused: "Choose a whole year or quarter that ended on or before the date of the figures.", "Choisissez une année ou un trimestre entier, achevé à la date des chiffres.";
    stats_as_of_refused: "Choose one of the release dates in the list.", "Choisissez l'une des dates de publication de la liste.";
    stats_title: "Cooperation statistics", "Statistiques de la coopération";
    stats_by_country: "Cooperation by country", "Coopération par pays";
    stats_csv_countries: "Download the table by country (CSV)", "Télécharger le tableau par pays (CSV)";
    stats_report: "The report to publish (the published view, with its method):", "Le rapport à publier (la vue publiée, avec sa méthode) :";
    stats_report_pdf: "PDF", "PDF";
    stats_report_html: "web page", "page web";
    stats_unanswered_180: "Unanswered after 180 days", "Sans réponse après 180 jours";
    stats_unanswered_365: "Unanswered after 365 days", "Sans réponse après 365 jours";
    stats_rates_chart_alt: "Bar chart: the countries ranked by the share of their requests still without a first response 365 days after sending, with their requests answered and sent. The table above gives the same figures.", "Graphique en barres : les pays classés selon la part de leurs demandes encore sans première réponse 365 jours après l'envoi, avec leurs demandes ayant reçu une réponse et envoyées. Le tableau ci-dessus donne les mêmes chiffres.";
    stats_curves_heading: "Time to a first response", "Délai de première réponse";
    stats_curves_chart_alt: "Line chart: the share of requests still without a first response against the days since sending, for the countries asked for, or else the five with the most requests. The table by country gives each country's median days to an answer and its shares still unanswered after 180 and 365 days.", "Graphique en courbes : la part des demandes encore sans première réponse selon le nombre de jours depuis l'envoi, pour les pays demandés, à défaut les cinq qui ont le plus de demandes. Le tableau par pays donne pour chaque pays le délai médian de réponse et les parts encore sans réponse après 180 et 365 jours.";
    stats_reasons_heading: "Why requests ended", "Pourquoi les demandes ont pris fin";
    stats_abandoned_caption: "Requests abandoned, by reason", "Demandes abandonnées, par motif";
    stats_refused_caption: "Requests refused, by ground", "Demandes refusées, par motif de refus";
    stats_all_abandoned: "All abandoned", "Total des abandons";
    stats_all_refused: "All refused", "Total des refus";
    stats_csv_abandoned: "Download the abandonment reasons (CSV)", "Télécharger les motifs d'abandon (CSV)";
    stats_csv_refused: "Download the refusal grounds (CSV)", "Télécharger les motifs de refus (CSV)";
    stats_none_abandoned: "No request of this period was abandoned on that date.", "Aucune demande de cette période n'était abandonnée à cette date.";
    stats_none_refused: "No request of this period was refused on that date.", "Aucune demande de cette période n'était refusée à cette date.";
    stats_timeline_heading: "Requests by period of sending", "Demandes par période d'envoi";
    stats_csv_timeline: "Download the table by period (CSV)", "Télécharger le tableau par période (CSV)";
    stats_bucket: "Timeline by", "Chronologie par";
    stats_bucket_year: "Year", "Année";
    stats_bucket_quarter: "Quarter", "Trimestre";
    stats_bucket_refused: "Choose years or quarters.", "Choisissez des années ou des trimestres.";
    stats_sent_in: "Sent in", "Envoyées en";
    stats_sent: "Sent", "Envoyées";
    stats_executed: "Executed", "Exécutées";
    stats_refused: "Refused", "Refusées";
    stats_abandoned: "Abandoned", "Abandonnées";
    stats_all_periods_total: "All periods", "Toutes périodes";
    stats_no_requests: "No request was sent in this period.", "Aucune demande n'a été envoyée sur cette période.";
    stats_published_note: "Published view: counts are slightly perturbed and small counts hidden, so that no request can be singled out.", "Vue publiée : les effectifs sont légèrement perturbés et les petits effectifs masqués, pour qu'aucune demande ne puisse être isolée.";
    stats_exact_note: "Exact figures, for the office only: do not publish them.", "Chiffres exacts, réservés au service : ne pas les publier.";
    stats_as_of: "As of", "Au";
    stats_requests: "Requests", "Demandes";
    stats_answered: "Answered", "Répondues";
    stats_response_rate: "Response rate", "Taux de réponse";
    stats_median_days: "Median days to an answer", "Délai médian de réponse (jours)";
    stats_hidden: "hidden", "masqué";
    stats_not_reached: "not reached", "non atteint";
    stats_not_estimable: "not estimable", "non estimable";
    stats_incomplete: "(incomplete)", "(incomplète)";
    stats_incomplete_note: "(incomplete): the period's requests have not all been followed for a year; its counts will still grow, so a fall in them is not yet a trend.", "(incomplète) : les demandes de la période n'ont pas toutes été suivies un an ; ses effectifs vont encore croître, et une baisse n'est pas encore une tendance.";
    stats_all_countries: "All countries", "Tous pays";
    import_link: "Import a spreadsheet", "Importer un tableur";
    import_title: "Import requests from a spreadsheet", "Importer des demandes depuis un tableur";
    import_intro: "Bring in a register kept in a spreadsheet, one request a row. Rows are matched to the register by reference, then by foreign reference: importing the same file again creates nothing twice. Each request imported gets its history, dated from the row.", "Reprenez un registre tenu dans un tableur, une demande par ligne. Les lignes sont rapprochées du registre par la référence, puis par la référence étrangère : importer deux fois le même fichier ne crée rien en double. Chaque demande importée reçoit son historique, daté d'après la ligne.";
    import_form_heading: "Send a file", "Envoyer un fichier";
    import_file: "Spreadsheet (.xlsx, .ods or .csv)", "Tableur (.xlsx, .ods ou .csv)";
    import_file_hint: "Its first row names the columns. Largest file accepted:", "Sa première ligne nomme les colonnes. Taille maximale acceptée :";
    megabytes: "MB", "Mo";
    import_dry_run: "Check only (dry run): report what the file would do, write nothing", "Vérifier seulement (essai à blanc) : indiquer ce que le fichier ferait, sans rien enregistrer";
    import_skip_invalid: "Skip rows with problems: import the other rows", "Ignorer les lignes en erreur : importer les autres lignes";
    import_mapping: "Mapping file (TOML, optional)", "Fichier de correspondance (TOML, facultatif)";
    import_mapping_hint: "Only when the headers are not those listed below: sheet = \"…\" names the sheet to read, and under [columns] each header of the file is given a column's key, for example \"Pays destinataire\" = \"target_country\".", "Seulement si les en-têtes ne sont pas ceux de la liste ci-dessous : sheet = \"…\" nomme la feuille à lire, et sous [columns] chaque en-tête du fichier reçoit la clé d'une colonne, par exemple \"Pays destinataire\" = \"target_country\".";
    import_submit: "Send the file", "Envoyer le fichier";
    import_help_heading: "What the file may hold", "Ce que le fichier peut contenir";
    import_help_values: "Dates as DD/MM/YYYY, YYYY-MM-DD or date cells; countries by their English or French name or their ISO code (PH); statuses and the other lists by their English or French labels or their codes; formulas by the value they show. CSV files in UTF-8 or Windows-1252, separated by commas or semicolons.", "Dates au format JJ/MM/AAAA, AAAA-MM-JJ ou en cellules de date ; pays par leur nom français ou anglais ou leur code ISO (PH) ; statuts et autres listes par leur libellé français ou anglais ou leur code ; formules par la valeur qu'elles affichent. Fichiers CSV en UTF-8 ou Windows-1252, séparés par des virgules ou des points-virgules.";
    import_headers_caption: "Column headers recognised (case and accents do not matter)", "En-têtes de colonnes reconnus (casse et accents indifférents)";
    col_header_fr: "French header", "En-tête français";
    col_header_en: "English header", "En-tête anglais";
    col_mapping_key: "Key (mapping file)", "Clé (fichier de correspondance)";
    import_form_invalid: "The file was not imported; nothing was written. Correct the fields below.", "Le fichier n'a pas été importé ; rien n'a été enregistré. Corrigez les champs ci-dessous.";
    import_file_required: "Choose the spreadsheet to import.", "Choisissez le tableur à importer.";
    import_too_large: "This file is too large: split it into smaller files, or ask an administrator to raise the limit. Largest file accepted:", "Ce fichier est trop volumineux : découpez-le en fichiers plus petits, ou demandez à un administrateur de relever la limite. Taille maximale acceptée :";
    import_bomb: "This workbook unpacks to far more than its size (a possible zip bomb) and was refused: save it again from the spreadsheet program, or as CSV.", "Ce classeur se décompresse en bien plus que sa taille (une possible « bombe zip ») et a été refusé : enregistrez-le à nouveau depuis le tableur, ou en CSV.";
    import_encrypted: "This workbook is password-protected: save a copy without a password, then import that.", "Ce classeur est protégé par un mot de passe : enregistrez-en une copie sans mot de passe, puis importez-la.";
    import_legacy_xls: "This is an old Excel 97–2003 (.xls) workbook: save it as .xlsx, .ods or .csv, then import that.", "C'est un ancien classeur Excel 97–2003 (.xls) : enregistrez-le en .xlsx, .ods ou .csv, puis importez-le.";
    import_malformed: "This file cannot be read as a spreadsheet: check that it is an .xlsx, .ods or .csv file, and that it is not damaged.", "Ce fichier ne peut pas être lu comme un tableur : vérifiez qu'il s'agit bien d'un fichier .xlsx, .ods ou .csv, et qu'il n'est pas endommagé.";
    import_no_such_sheet: "The workbook has no sheet of the name the mapping file gives. Its sheets:", "Le classeur n'a pas de feuille du nom donné par le fichier de correspondance. Ses feuilles :";
    import_empty: "This file is empty: its first row must name the columns.", "Ce fichier est vide : sa première ligne doit nommer les colonnes.";
    import_too_many_rows: "This sheet has too many rows: split it into files of at most this many rows:", "Cette feuille compte trop de lignes : découpez-la en fichiers d'au plus ce nombre de lignes :";
    import_mapping_invalid: "This mapping file cannot be used. What is wrong with it:", "Ce fichier de correspondance est inutilisable. Ce qui ne va pas :";
    import_form_unreadable: "The form could not be read: choose the file again and send it.", "Le formulaire n'a pas pu être lu : choisissez à nouveau le fichier et envoyez-le.";
    import_conflict: "The register changed during the import, which was undone: nothing was written. Send the file again.", "Le registre a changé pendant l'importation, qui a été annulée : rien n'a été enregistré. Envoyez à nouveau le fichier.";
    import_result_check: "Check of", "Vérification de";
    import_result_run: "Import of", "Importation de";
    import_rows_read: "Rows read", "Lignes lues";
    import_to_create: "to create", "à créer";
    import_created: "created", "créées";
    import_to_update: "to update", "à mettre à jour";
    import_updated: "updated", "mises à jour";
    import_unchanged: "unchanged", "inchangées";
    import_with_problems: "with problems", "en erreur";
    import_dry_clean: "Nothing was written: this was a check. The file can be imported as it is.", "Rien n'a été enregistré : il s'agissait d'une vérification. Le fichier peut être importé tel quel.";
    import_dry_problems: "Nothing was written: this was a check. Correct the rows below, or import with “Skip rows with problems” to bring in the others.", "Rien n'a été enregistré : il s'agissait d'une vérification. Corrigez les lignes ci-dessous, ou importez en cochant « Ignorer les lignes en erreur » pour reprendre les autres.";
    import_written: "The register was written: the requests are imported, each with its history.", "Le registre a été mis à jour : les demandes sont importées, chacune avec son historique.";
    import_written_skipped: "The register was written; the rows with problems, listed below, were skipped.", "Le registre a été mis à jour ; les lignes en erreur, listées ci-dessous, ont été ignorées.";
    import_refused: "Nothing was written: the file has problems, and an import is all or nothing. Correct the rows below, or check “Skip rows with problems”.", "Rien n'a été enregistré : le fichier contient des erreurs, et une importation se fait en entier ou pas du tout. Corrigez les lignes ci-dessous, ou cochez « Ignorer les lignes en erreur ».";
    import_nothing_to_write: "Nothing was written: the register already holds every row as the file gives it.", "Rien n'a été enregistré : le registre contient déjà chaque ligne telle que le fichier la donne.";
    import_problems: "Problems", "Problèmes";
    col_row: "Row", "Ligne";
    col_column: "Column", "Colonne";
    col_value: "Value", "Valeur";
    col_wrong: "What is wrong", "Ce qui ne va pas";
    col_suggestion: "Suggestion", "Proposition";
    did_you_mean: "Did you mean", "Vouliez-vous dire";
    question_mark: "?", "\u{a0}?";
    semicolon: "; ", "\u{a0}; ";
    import_header_row: "header", "en-tête";
    import_more: "Not listed here:", "Non listés ici :";
    import_ignored: "Columns ignored", "Colonnes ignorées";
    import_ignored_intro: "These headers are not columns the import knows: their cells were not read. Rename them, or send a mapping file.", "Ces en-têtes ne sont pas des colonnes connues de l'importation : leurs cellules n'ont pas été lues. Renommez-les, ou joignez un fichier de correspondance.";
    col_file_header: "Header in the file", "En-tête du fichier";
    col_closest: "Closest known column", "Colonne connue la plus proche";
    import_changes: "Requests created or updated", "Demandes créées ou mises à jour";
    col_action: "Action", "Opération";
    col_what_changes: "What changes", "Ce qui change";
    import_create: "create", "création";
    import_update: "update", "mise à jour";
    import_new_reference: "numbered when created", "numérotée à sa création";
    import_again_heading: "Import for real", "Importer pour de bon";
    import_again_text: "To import, choose the same file again and send it with “Check only” unchecked. Your browser cannot send a file a second time by itself, and this service keeps nothing of a file it has only checked.", "Pour importer, choisissez à nouveau le même fichier et envoyez-le en décochant « Vérifier seulement ». Votre navigateur ne peut pas renvoyer un fichier de lui-même, et ce service ne conserve rien d'un fichier qu'il a seulement vérifié.";
    problem_date: "Not a date: write it as DD/MM/YYYY or YYYY-MM-DD.", "Ce n'est pas une date : écrivez-la JJ/MM/AAAA ou AAAA-MM-JJ.";
    problem_country: "Not a country: give its name in English or French, or its ISO code (for example PH).", "Ce n'est pas un pays : indiquez son nom en français ou en anglais, ou son code ISO (par exemple PH).";
    problem_word: "Not a value of its list: use a label in English or French, or its code.", "Ce n'est pas une valeur de sa liste : utilisez un libellé en français ou en anglais, ou son code.";
    problem_same_column: "Another header names the same column: keep one of them.", "Un autre en-tête désigne la même colonne : n'en gardez qu'un.";
    problem_no_reference_column: "No column gives the reference or the foreign reference: one is needed, so that importing the file again finds each request instead of creating it twice.", "Aucune colonne ne donne la référence ni la référence étrangère : il en faut une, pour qu'une nouvelle importation retrouve chaque demande au lieu de la créer deux fois.";
    problem_no_reference: "Empty, and so is the foreign reference: give one, so that importing the file again finds this request.", "Vide, comme la référence étrangère : indiquez-en une, pour qu'une nouvelle importation retrouve cette demande.";
    problem_duplicate_row: "An earlier row already gives this reference: each request takes one row.", "Une ligne précédente donne déjà cette référence : une seule ligne par demande.";
    problem_date_needed: "Needed: the date the request reached the status the row gives.", "Nécessaire : la date à laquelle la demande a pris le statut indiqué par la ligne.";
    problem_not_for_status: "Given, but a request with this status has none: remove it, or check the status.", "Renseigné, mais une demande de ce statut n'en a pas : retirez-le, ou vérifiez le statut.";
    problem_case_required: "Required for a new request: the domestic case number it serves.", "Obligatoire pour une nouvelle demande : le numéro de l'affaire qu'elle sert.";
    problem_differs: "Differs from the date the register holds: an import does not rewrite a request's history; correct it on the request's page.", "Diffère de la date que contient le registre : une importation ne réécrit pas l'historique d'une demande ; corrigez-la sur la page de la demande.";
}

impl Tr {
    pub fn new(language: Language) -> Tr {
        Tr { language }
    }

    /// The `lang` attribute.
    pub fn code(&self) -> &'static str {
        self.language.code()
    }

    /// `2 December 2026` / `2 décembre 2026`.
    pub fn date(&self, date: &NaiveDate) -> String {
        self.language.date(date)
    }

    /// A date if there is one, else the given words.
    pub fn date_or(&self, date: &Option<NaiveDate>, otherwise: &str) -> String {
        date.as_ref()
            .map_or_else(|| otherwise.to_string(), |d| self.date(d))
    }

    /// `1,234` / `1 234`.
    pub fn number(&self, n: i64) -> String {
        self.language.number(n)
    }

    /// `42 %` in French, `42%` in English.
    pub fn percent(&self, share: f64) -> String {
        let value = (share * 100.0).round();
        match self.language {
            Language::En => format!("{value}%"),
            Language::Fr => format!("{value}\u{202f}%"),
        }
    }

    /// `3 days` / `3 jours`.
    pub fn days(&self, n: i64) -> String {
        let unit = if n.abs() <= 1 {
            self.days_in_status_one()
        } else {
            self.days_in_status_many()
        };
        format!("{} {unit}", self.number(n))
    }

    /// The country's name in this language (the code if it has none).
    pub fn country(&self, code: &CountryCode) -> String {
        code.name_in(self.language).to_string()
    }
}

/// Every country, sorted by its name in `language`, for a select box:
/// sorted once per language, not on every page.
pub fn countries_by_name(language: Language) -> &'static [(CountryCode, String)] {
    static SORTED: LazyLock<[Vec<(CountryCode, String)>; 2]> = LazyLock::new(|| {
        [
            sorted_countries(Language::En),
            sorted_countries(Language::Fr),
        ]
    });
    match language {
        Language::En => &SORTED[0],
        Language::Fr => &SORTED[1],
    }
}

fn sorted_countries(language: Language) -> Vec<(CountryCode, String)> {
    let mut all: Vec<(CountryCode, String)> = CountryCode::all()
        .map(|code| {
            let name = Tr::new(language).country(&code);
            (code, name)
        })
        .collect();
    all.sort_by_cached_key(|(_, name)| collation_key(name));
    all
}

/// Letters without their accents, lower-cased, for sorting names as a
/// reader expects (`Égypte` among the E).
pub fn collation_key(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'À' | 'Á' | 'Â' | 'Ä' | 'Å' => 'A',
            'É' | 'È' | 'Ê' | 'Ë' => 'E',
            'Î' | 'Ï' => 'I',
            'Ô' | 'Ö' => 'O',
            'Ü' | 'Û' | 'Ù' => 'U',
            'à' | 'á' | 'â' | 'ä' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ü' | 'û' | 'ù' => 'u',
            'ç' => 'c',
            other => other,
        })
        .collect::<String>()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        AbandonmentReason, Channel, LegalBasis, Measure, Offence, Priority, RefusalGround, Role,
        Status,
    };

    /// Words that are the same in both languages (names, Latin, loanwords).
    const SAME_IN_BOTH: &[&str] = &[
        "event_note",
        "stats_report_pdf",
        "col_note",
        "follow_up_date",
        "group_dates",
        "move_note",
        "note_text",
        "col_actions",
    ];

    #[test]
    fn every_message_is_translated() {
        let mut names = std::collections::HashSet::new();
        for (name, en, fr) in MESSAGES {
            assert!(names.insert(name), "{name} is declared twice");
            assert!(
                !en.trim().is_empty() && !fr.trim().is_empty(),
                "{name} is empty"
            );
            assert!(
                en != fr || SAME_IN_BOTH.contains(name),
                "{name} reads the same in French as in English (`{en}`): translate it, or list \
                 it in SAME_IN_BOTH if it truly is the same word"
            );
        }
    }

    #[test]
    fn vocabulary_labels_never_show_a_code() {
        fn check<T: Copy + std::fmt::Display>(
            all: &[T],
            label: impl Fn(T, Language) -> &'static str,
        ) {
            for &value in all {
                for language in Language::ALL {
                    let text = label(value, language);
                    assert!(!text.is_empty(), "{value} has no {language:?} label");
                    assert!(
                        !text.contains('_'),
                        "{value}'s {language:?} label is a code: {text}"
                    );
                }
            }
        }
        check(Status::ALL, Status::label);
        check(Offence::ALL, Offence::label);
        check(LegalBasis::ALL, LegalBasis::label);
        check(Channel::ALL, Channel::label);
        check(Measure::ALL, Measure::label);
        check(Priority::ALL, Priority::label);
        check(AbandonmentReason::ALL, AbandonmentReason::label);
        check(RefusalGround::ALL, RefusalGround::label);
        check(Role::ALL, Role::label);
        assert_eq!(
            Offence::ChildSexualExploitation.label(Language::Fr),
            "Exploitation sexuelle d'enfants"
        );
    }

    #[test]
    fn every_country_has_both_names() {
        let fr = Tr::new(Language::Fr);
        assert_eq!(
            fr.country(&CountryCode::parse("PH").unwrap()),
            "Philippines"
        );
        assert_eq!(fr.country(&CountryCode::parse("DE").unwrap()), "Allemagne");
        let sorted = countries_by_name(Language::Fr);
        let position = |name: &str| sorted.iter().position(|(_, n)| n == name).unwrap();
        assert!(
            position("Égypte") < position("Espagne") && position("Danemark") < position("Égypte")
        );
    }

    #[test]
    fn dates_and_numbers_as_each_language_writes_them() {
        let (en, fr) = (Tr::new(Language::En), Tr::new(Language::Fr));
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(en.date(&day), "2 December 2026");
        assert_eq!(fr.date(&day), "2 décembre 2026");
        let first = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        assert_eq!(fr.date(&first), "1er mars 2027");
        assert_eq!(en.number(1_234_567), "1,234,567");
        assert_eq!(fr.number(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(fr.number(-950), "-950");
        assert_eq!(en.percent(0.425), "43%");
        assert_eq!(fr.percent(0.42), "42\u{202f}%");
        assert_eq!(fr.days(1), "1 jour");
        assert_eq!(en.days(1922), "1,922 days");
    }
}
