//! Digest emails: what a recipient reads, and how it leaves.
//!
//! Every piece of user text (references, countries, notes) goes into the
//! body only, HTML-escaped in the HTML part; headers carry no user text. The
//! `Message-ID` is derived from the digest id, so a digest re-sent after a
//! crash is recognisable as the same message.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::{Message, SmtpTransport, Transport};

use crate::config::{Language, MailSettings};
use crate::db::alert_state::FollowUp;
use crate::db::private_files;
use crate::domain::alert_rules::Anchor;
use crate::domain::legal_deadline::LegalDeadline;
use crate::domain::request::Magistrate;
use crate::domain::{CountryCode, Priority, Status};

/// One request in a digest, at the highest level it reached for this
/// recipient: what a coordinator needs to act on it without opening it.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestLine {
    pub request_id: uuid::Uuid,
    pub reference: String,
    pub case_reference: String,
    pub title: String,
    pub magistrate: Magistrate,
    pub priority: Priority,
    pub country: CountryCode,
    pub status: Status,
    pub status_since: NaiveDate,
    pub sent_at: Option<NaiveDate>,
    pub level: u8,
    /// What the rule that raised it measures.
    pub wait: Wait,
    /// The deadlines of the law that run for it, soonest first.
    pub legal_deadlines: Vec<LegalDeadline>,
    pub last_follow_up: Option<FollowUp>,
}

/// How long a request has waited, as the rule that raised it counts.
#[derive(Debug, Clone, PartialEq)]
pub enum Wait {
    /// Waiting since `since` (the rule's anchor); the rule allows
    /// `after_days`, so the threshold is `due` (later when the requested
    /// state extended its deadline).
    Days {
        from: Anchor,
        since: NaiveDate,
        after_days: i64,
        due: NaiveDate,
    },
    /// An emergency, counted in hours from the instant it left.
    Hours {
        since: DateTime<Utc>,
        after_hours: i64,
    },
    /// The issuing magistrate's own date.
    NeededBy { needed_by: NaiveDate },
    /// Data preserved for it that the holder deletes on `expires_on`.
    Preservation {
        holder: String,
        expires_on: NaiveDate,
    },
}

/// Sends messages through the configured transport.
#[derive(Clone)]
pub enum Mailer {
    /// `.eml` files in a folder, created when the first message is written
    /// (a command that sends nothing leaves no folder behind); folder 0700,
    /// files 0600 ([`crate::db::private_files`]), named `<uuid>.eml` as
    /// lettre's `FileTransport` names them.
    File {
        dir: PathBuf,
    },
    Smtp(Box<SmtpTransport>),
}

impl Mailer {
    pub fn from_settings(mail: &MailSettings) -> anyhow::Result<Mailer> {
        if let Some(dir) = mail.url.expose().strip_prefix("file://") {
            let dir = PathBuf::from(dir);
            return Ok(Mailer::File { dir });
        }
        let transport = SmtpTransport::from_url(&lettre_url(mail.url.expose()))
            .map_err(|e| anyhow::anyhow!("mail.url is not a usable SMTP URL: {e}"))?
            .timeout(Some(Duration::from_secs(15)))
            .build();
        Ok(Mailer::Smtp(Box::new(transport)))
    }

    /// Sends one message; `Err` carries a reason fit for `last_error`.
    pub fn send(&self, message: &Message) -> Result<(), String> {
        match self {
            Mailer::File { dir } => {
                private_files::create_folder(dir)
                    .map_err(|e| format!("cannot create the outbox {}: {e}", dir.display()))?;
                let file = dir.join(format!("{}.eml", uuid::Uuid::new_v4()));
                private_files::create_file(&file)
                    .and_then(|mut out| {
                        use std::io::Write;
                        out.write_all(&message.formatted())?;
                        out.sync_all()
                    })
                    .map_err(|e| format!("cannot write {}: {e}", file.display()))
            }
            Mailer::Smtp(t) => t.send(message).map(drop).map_err(|e| e.to_string()),
        }
    }
}

/// Translates our `?tls=` values to lettre's: `none` (plain, for a local
/// relay) is lettre's default, `starttls` is its `opportunistic`, `required`
/// stays.
fn lettre_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let params: Vec<String> = query
        .split('&')
        .filter_map(|p| match p {
            "tls=none" => None,
            "tls=starttls" => Some("tls=opportunistic".to_string()),
            other => Some(other.to_string()),
        })
        .collect();
    if params.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", params.join("&"))
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A digest's subject and its two bodies.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Builds the digest for `to`; `lines` are most urgent first.
pub fn digest_message(
    mail: &MailSettings,
    digest: &Digest<'_>,
    digest_id: &str,
    to: &str,
) -> Result<Message, String> {
    let from = mail.from.clone();
    let to: Mailbox = to.parse().map_err(|e| format!("recipient `{to}`: {e}"))?;
    let rendered = render(digest);
    Message::builder()
        .from(from)
        .to(to)
        .subject(rendered.subject)
        .message_id(Some(format!("<digest-{digest_id}@mla-tracker>")))
        .multipart(MultiPart::alternative_plain_html(
            rendered.text,
            rendered.html,
        ))
        .map_err(|e| e.to_string())
}

/// Why a person gets a link to set their password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountLink {
    /// A new user's invitation.
    Invitation,
    /// An admin's reset of a forgotten password.
    Reset,
}

/// The email with a one-time link to set a password, in the recipient's
/// language: who sent it, the link, until when it works, and what to do
/// if it was not expected.
pub fn account_link_message(
    mail: &MailSettings,
    to: &str,
    language: Language,
    kind: AccountLink,
    sent_by: &str,
    link: &str,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<Message, String> {
    let to: Mailbox = to.parse().map_err(|e| format!("recipient `{to}`: {e}"))?;
    let day = language.date(&until.date_naive());
    let time = until.format("%H:%M");
    let (subject, text) = match (language, kind) {
        (Language::En, AccountLink::Invitation) => (
            "[mla-tracker] Your invitation".to_string(),
            format!(
                "{sent_by} has opened an account for you on mla-tracker, the register of mutual legal assistance requests.\n\n\
                 Choose your password here (the link works once, until {day} at {time} UTC):\n{link}\n\n\
                 If you did not expect this email, ignore it: nothing happens without the link."
            ),
        ),
        (Language::En, AccountLink::Reset) => (
            "[mla-tracker] Set a new password".to_string(),
            format!(
                "{sent_by} has sent you a link to set a new password for mla-tracker.\n\n\
                 Choose it here (the link works once, until {day} at {time} UTC):\n{link}\n\n\
                 If you did not ask for this, tell an administrator; your current password keeps working until the link is used."
            ),
        ),
        (Language::Fr, AccountLink::Invitation) => (
            "[mla-tracker] Votre invitation".to_string(),
            format!(
                "{sent_by} vous a ouvert un compte sur mla-tracker, le registre des demandes d'entraide pénale internationale.\n\n\
                 Choisissez votre mot de passe ici (le lien ne sert qu'une fois, jusqu'au {day} à {time} UTC) :\n{link}\n\n\
                 Si vous n'attendiez pas ce message, ignorez-le : rien ne se passe sans le lien."
            ),
        ),
        (Language::Fr, AccountLink::Reset) => (
            "[mla-tracker] Choisir un nouveau mot de passe".to_string(),
            format!(
                "{sent_by} vous a envoyé un lien pour choisir un nouveau mot de passe sur mla-tracker.\n\n\
                 Choisissez-le ici (le lien ne sert qu'une fois, jusqu'au {day} à {time} UTC) :\n{link}\n\n\
                 Si vous n'avez rien demandé, prévenez un administrateur ; votre mot de passe actuel reste valable tant que le lien n'est pas utilisé."
            ),
        ),
    };
    Message::builder()
        .from(mail.from.clone())
        .to(to)
        .subject(subject)
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(text)
        .map_err(|e| e.to_string())
}

/// A digest to write: its requests, most urgent first, for one reader.
#[derive(Debug, Clone)]
pub struct Digest<'a> {
    pub language: Language,
    /// Where the pages are (`server.public_url`).
    pub public_url: &'a str,
    /// Today in the office's zone, and the instant, for waits and days left.
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
    pub lines: &'a [DigestLine],
    /// Requests of the digest left out of `lines` (over the cap).
    pub more: usize,
}

/// The digest's subject, plain text and HTML: one numbered entry per
/// request, each as lines a reader takes in at a glance, the last one
/// saying what to do and linking to the request's page.
pub fn render(d: &Digest<'_>) -> Rendered {
    let w = Words(d.language);
    let base = d.public_url.trim_end_matches('/');
    let top = d.lines.iter().map(|l| l.level).max().unwrap_or(0);
    let mut text = format!("{}\n", w.intro());
    let mut html = format!("<p>{}</p>\n<ol>\n", escape(&w.intro()));
    for (n, line) in d.lines.iter().enumerate() {
        let link = format!("{base}/requests/{}", line.request_id);
        let entry = entry(&w, d, line);
        let to_do = w.to_do(line, d.today);
        text.push_str(&format!("\n{}. {}\n", n + 1, entry.join("\n   ")));
        text.push_str(&format!("   {to_do}\n   {link}\n"));
        let lines: Vec<String> = entry.iter().map(|l| escape(l)).collect();
        html.push_str(&format!(
            "<li><p>{}<br>\n{} <a href=\"{}\">{}</a></p></li>\n",
            lines.join("<br>\n"),
            escape(&to_do),
            escape(&link),
            escape(&line.reference)
        ));
    }
    html.push_str("</ol>\n");
    if d.more > 0 {
        let line = w.more(d.more, &format!("{base}/alerts"));
        text.push_str(&format!("\n{line}\n"));
        html.push_str(&format!("<p>{}</p>\n", escape(&line)));
    }
    text.push_str(&format!("\n-- \n{}\n", w.footer()));
    html.push_str(&format!("<p><small>{}</small></p>\n", escape(&w.footer())));
    let html = format!(
        "<!DOCTYPE html><html lang=\"{}\"><body>\n{html}</body></html>\n",
        d.language.code()
    );
    Rendered {
        subject: w.subject(d.lines.len() + d.more, top),
        text,
        html,
    }
}

/// The lines of one request's entry, before what to do.
fn entry(w: &Words, d: &Digest<'_>, line: &DigestLine) -> Vec<String> {
    let lang = d.language;
    let mut magistrate = line.magistrate.name.clone();
    if let Some(court) = line
        .magistrate
        .court
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        magistrate = format!("{magistrate}, {court}");
    }
    let mut lines = vec![
        format!(
            "{} — {} ({} {})",
            line.reference,
            line.title,
            w.case(),
            line.case_reference
        ),
        format!(
            "{} · {} ({} {}) · {}{}{}",
            line.country.name_in(lang),
            line.status.label(lang),
            w.since(),
            lang.date(&line.status_since),
            w.priority(),
            w.colon(),
            line.priority.label(lang)
        ),
        format!("{}{}{magistrate}", w.magistrate(), w.colon()),
        w.wait(line, d),
    ];
    for deadline in &line.legal_deadlines {
        lines.push(w.legal_deadline(deadline, d));
    }
    lines.push(match &line.last_follow_up {
        Some(f) => format!(
            "{}{}{} ({})",
            w.last_follow_up(),
            w.colon(),
            lang.date(&f.date),
            f.channel.label(lang)
        ),
        None => format!("{}{}{}", w.last_follow_up(), w.colon(), w.none_recorded()),
    });
    lines
}

/// The digest's words in one language. French follows its typography: a
/// no-break space before a colon, `1er` for the first of a month, digits
/// grouped by a narrow no-break space.
struct Words(Language);

impl Words {
    fn pick(&self, en: &'static str, fr: &'static str) -> &'static str {
        match self.0 {
            Language::En => en,
            Language::Fr => fr,
        }
    }

    fn colon(&self) -> &'static str {
        self.pick(": ", "\u{a0}: ")
    }

    /// English takes the singular for one only, French for zero too.
    fn singular(&self, n: i64) -> bool {
        match self.0 {
            Language::En => n.abs() == 1,
            Language::Fr => n.abs() <= 1,
        }
    }

    fn days(&self, n: i64) -> String {
        let unit = match (self.0, self.singular(n)) {
            (Language::En, true) => "day",
            (Language::En, false) => "days",
            (Language::Fr, true) => "jour",
            (Language::Fr, false) => "jours",
        };
        format!("{} {unit}", self.0.number(n))
    }

    fn hours(&self, n: i64) -> String {
        let unit = match (self.0, self.singular(n)) {
            (Language::En, true) => "hour",
            (Language::En, false) => "hours",
            (Language::Fr, true) => "heure",
            (Language::Fr, false) => "heures",
        };
        format!("{} {unit}", self.0.number(n))
    }

    fn subject(&self, requests: usize, level: u8) -> String {
        let n = self.0.number(requests as i64);
        match (self.0, requests) {
            (Language::En, 1) => {
                format!("[mla-tracker] 1 request to follow up (alert level {level})")
            }
            (Language::En, _) => {
                format!("[mla-tracker] {n} requests to follow up (highest alert level {level})")
            }
            (Language::Fr, 1) => {
                format!("[mla-tracker] 1 demande à relancer (niveau d'alerte {level})")
            }
            (Language::Fr, _) => format!(
                "[mla-tracker] {n} demandes à relancer (niveau d'alerte le plus haut\u{a0}: {level})"
            ),
        }
    }

    fn intro(&self) -> String {
        self.pick(
            "These requests have passed an alert threshold. The most urgent come first.",
            "Ces demandes d'entraide ont dépassé un seuil d'alerte. Les plus urgentes viennent en premier.",
        )
        .to_string()
    }

    fn case(&self) -> &'static str {
        self.pick("case", "affaire")
    }

    fn since(&self) -> &'static str {
        self.pick("since", "depuis le")
    }

    fn priority(&self) -> &'static str {
        self.pick("priority", "priorité")
    }

    fn magistrate(&self) -> &'static str {
        self.pick("Issuing magistrate", "Magistrat requérant")
    }

    fn last_follow_up(&self) -> &'static str {
        self.pick("Last follow-up", "Dernière relance")
    }

    fn none_recorded(&self) -> &'static str {
        self.pick("none recorded", "aucune enregistrée")
    }

    /// "Sent on …", then how long it waited against the rule's threshold.
    fn wait(&self, line: &DigestLine, d: &Digest<'_>) -> String {
        let lang = self.0;
        let counts_from_sending = matches!(
            line.wait,
            Wait::Days {
                from: Anchor::Sent,
                ..
            }
        );
        let sent = match line.sent_at {
            _ if counts_from_sending => String::new(),
            Some(day) => format!(
                "{} {}. ",
                self.pick("Sent on", "Envoyée le"),
                lang.date(&day)
            ),
            None => self
                .pick("Not sent yet. ", "Pas encore envoyée. ")
                .to_string(),
        };
        let level = format!(
            "{} {}",
            self.pick("alert level", "niveau d'alerte"),
            line.level
        );
        let wait = match &line.wait {
            Wait::Days {
                from,
                since,
                after_days,
                due,
            } => {
                let waited = self.days((d.today - *since).num_days());
                let on = lang.date(since);
                let what = match (from, lang) {
                    (Anchor::Sent, Language::En) => format!("since it was sent on {on}"),
                    (Anchor::Sent, Language::Fr) => format!("depuis l'envoi du {on}"),
                    (Anchor::Received, Language::En) => format!("since its receipt on {on}"),
                    (Anchor::Received, Language::Fr) => format!("depuis la réception du {on}"),
                    (Anchor::Recognised, Language::En) => {
                        format!("since its recognition on {on}")
                    }
                    (Anchor::Recognised, Language::Fr) => {
                        format!("depuis la reconnaissance du {on}")
                    }
                    (Anchor::StatusSince, Language::En) => {
                        format!("without a change of status since {on}")
                    }
                    (Anchor::StatusSince, Language::Fr) => {
                        format!("sans changement de statut depuis le {on}")
                    }
                };
                let threshold = match lang {
                    Language::En => format!("{}-day", lang.number(*after_days)),
                    Language::Fr => self.days(*after_days),
                };
                let overdue = (d.today - *due).num_days();
                let extended = *due > *since + chrono::Days::new(*after_days as u64);
                let past = match (lang, overdue, extended) {
                    (Language::En, 0, false) => {
                        format!("the {threshold} threshold is reached today")
                    }
                    (Language::En, o, false) => {
                        format!("{} past the {threshold} threshold", self.days(o))
                    }
                    (Language::En, 0, true) => format!(
                        "the deadline the requested state extended to {} ends today",
                        lang.date(&(*due - chrono::Days::new(1)))
                    ),
                    (Language::En, o, true) => format!(
                        "{} past the deadline the requested state extended to {}",
                        self.days(o),
                        lang.date(&(*due - chrono::Days::new(1)))
                    ),
                    (Language::Fr, 0, false) => {
                        format!("le seuil de {threshold} est atteint aujourd'hui")
                    }
                    (Language::Fr, o, false) => {
                        format!("{} au-delà du seuil de {threshold}", self.days(o))
                    }
                    (Language::Fr, 0, true) => format!(
                        "le délai prolongé par l'État requis jusqu'au {} expire aujourd'hui",
                        lang.date(&(*due - chrono::Days::new(1)))
                    ),
                    (Language::Fr, o, true) => format!(
                        "{} au-delà du délai prolongé par l'État requis jusqu'au {}",
                        self.days(o),
                        lang.date(&(*due - chrono::Days::new(1)))
                    ),
                };
                match lang {
                    Language::En => format!("Waiting {waited} {what}: {past} ({level})."),
                    Language::Fr => format!("{waited} d'attente {what}\u{a0}: {past} ({level})."),
                }
            }
            Wait::Hours { since, after_hours } => {
                let waited = (d.now - *since).num_hours();
                let overdue = waited - after_hours;
                let at = self.instant(since);
                let ago = self.hours(waited);
                let past = match (lang, overdue) {
                    (Language::En, 0) => {
                        format!(
                            "the {}-hour threshold has just passed",
                            lang.number(*after_hours)
                        )
                    }
                    (Language::En, o) => format!(
                        "{} past the {}-hour threshold",
                        self.hours(o),
                        lang.number(*after_hours)
                    ),
                    (Language::Fr, 0) => format!(
                        "le seuil de {} vient d'être dépassé",
                        self.hours(*after_hours)
                    ),
                    (Language::Fr, o) => format!(
                        "{} au-delà du seuil de {}",
                        self.hours(o),
                        self.hours(*after_hours)
                    ),
                };
                match lang {
                    Language::En => {
                        format!("Emergency: it left {ago} ago, on {at}; {past} ({level}).")
                    }
                    Language::Fr => format!(
                        "Extrême urgence\u{a0}: partie il y a {ago}, le {at}\u{a0}; {past} ({level})."
                    ),
                }
            }
            Wait::NeededBy { needed_by } => {
                let left = (*needed_by - d.today).num_days();
                let by = lang.date(needed_by);
                let when = self.days_left(left);
                match lang {
                    Language::En => format!("The magistrate needs it by {by}: {when} ({level})."),
                    Language::Fr => {
                        format!("Le magistrat en a besoin pour le {by}\u{a0}: {when} ({level}).")
                    }
                }
            }
            Wait::Preservation { holder, expires_on } => {
                let left = (*expires_on - d.today).num_days();
                let on = lang.date(expires_on);
                let when = self.days_left(left);
                match lang {
                    Language::En if left < 0 => format!(
                        "The data preserved by {holder} expired on {on}, {} ago ({level}).",
                        self.days(-left)
                    ),
                    Language::Fr if left < 0 => format!(
                        "Les données conservées par {holder} ont expiré le {on}, il y a {} ({level}).",
                        self.days(-left)
                    ),
                    Language::En => {
                        format!("The data preserved by {holder} expires on {on}: {when} ({level}).")
                    }
                    Language::Fr => format!(
                        "Les données conservées par {holder} expirent le {on}\u{a0}: {when} ({level})."
                    ),
                }
            }
        };
        format!("{sent}{wait}")
    }

    /// `2 December 2026 at 06:15 UTC`.
    fn instant(&self, at: &DateTime<Utc>) -> String {
        let day = self.0.date(&at.date_naive());
        let time = at.format("%H:%M");
        match self.0 {
            Language::En => format!("{day} at {time} UTC"),
            Language::Fr => format!("{day} à {time} UTC"),
        }
    }

    /// "3 days left", "today", "tomorrow", "passed 2 days ago".
    fn days_left(&self, left: i64) -> String {
        match (self.0, left) {
            (Language::En, 0) => "today".into(),
            (Language::Fr, 0) => "c'est aujourd'hui".into(),
            (Language::En, 1) => "tomorrow".into(),
            (Language::Fr, 1) => "c'est demain".into(),
            (Language::En, l) if l > 0 => format!("{} left", self.days(l)),
            (Language::Fr, l) if l > 0 => format!("reste {}", self.days(l)),
            (Language::En, l) => format!("passed {} ago", self.days(-l)),
            (Language::Fr, l) => format!("dépassé depuis {}", self.days(-l)),
        }
    }

    /// "5 hours left", "passed 2 hours ago", from the minutes left
    /// (negative once past); under an hour is said so.
    fn hours_left(&self, minutes: i64) -> String {
        let hours = minutes.abs() / 60;
        match (self.0, minutes >= 0, hours) {
            (Language::En, true, 0) => "less than an hour left".into(),
            (Language::Fr, true, 0) => "reste moins d'une heure".into(),
            (Language::En, false, 0) => "passed less than an hour ago".into(),
            (Language::Fr, false, 0) => "dépassé depuis moins d'une heure".into(),
            (Language::En, true, h) => format!("{} left", self.hours(h)),
            (Language::Fr, true, h) => format!("reste {}", self.hours(h)),
            (Language::En, false, h) => format!("passed {} ago", self.hours(h)),
            (Language::Fr, false, h) => format!("dépassé depuis {}", self.hours(h)),
        }
    }

    fn legal_deadline(&self, deadline: &LegalDeadline, d: &Digest<'_>) -> String {
        let lang = self.0;
        let (due, left) = match deadline.due_at {
            Some(at) => (
                self.instant(&at),
                self.hours_left((at - d.now).num_minutes()),
            ),
            None => (
                lang.date(&deadline.due),
                self.days_left((deadline.due - d.today).num_days()),
            ),
        };
        let extended = match (deadline.extended, lang) {
            (false, _) => "",
            (true, Language::En) => ", as extended by the requested state",
            (true, Language::Fr) => ", tel que prolongé par l'État requis",
        };
        match lang {
            Language::En => format!(
                "Legal deadline: {}: {due}{extended} ({left}).",
                deadline.clock.describe(lang)
            ),
            Language::Fr => format!(
                "Délai légal\u{a0}: {}\u{a0}: {due}{extended} ({left}).",
                deadline.clock.describe(lang)
            ),
        }
    }

    /// The one thing to do next, by what the rule watches.
    fn to_do(&self, line: &DigestLine, today: NaiveDate) -> String {
        let (en, fr) = match (&line.wait, line.status) {
            (Wait::Preservation { expires_on, .. }, _) if *expires_on < today => (
                "To do: the data may already be deleted; ask the holder whether it still exists, then renew or release the preservation on the request's page:",
                "À faire\u{a0}: les données sont peut-être déjà effacées\u{a0}; demander au détenteur si elles existent encore, puis renouveler ou lever la conservation sur la page de la demande\u{a0}:",
            ),
            (Wait::Preservation { .. }, _) => (
                "To do: ask for the preservation to be extended before it expires, then record the renewal on the request's page:",
                "À faire\u{a0}: demander la prolongation de la conservation avant son expiration, puis enregistrer le renouvellement sur la page de la demande\u{a0}:",
            ),
            (_, Status::Draft) => (
                "To do: it is waiting on us; finish it and send it, then record the sending on the request's page:",
                "À faire\u{a0}: elle attend de notre côté\u{a0}; la finaliser et l'envoyer, puis enregistrer l'envoi sur la page de la demande\u{a0}:",
            ),
            (_, Status::AdditionalInfoRequested) => (
                "To do: the requested authority is waiting on us for information; send it, then record it on the request's page:",
                "À faire\u{a0}: l'autorité requise attend de nous un complément d'information\u{a0}; l'envoyer, puis l'enregistrer sur la page de la demande\u{a0}:",
            ),
            (Wait::Hours { .. }, _) => (
                "To do: call the requested authority's contact point now, then record the follow-up on the request's page:",
                "À faire\u{a0}: appeler sans attendre le point de contact de l'autorité requise, puis enregistrer la relance sur la page de la demande\u{a0}:",
            ),
            (Wait::NeededBy { .. }, _) => (
                "To do: chase the requested authority, or tell the issuing magistrate the date will be missed; record the follow-up on the request's page:",
                "À faire\u{a0}: relancer l'autorité requise, ou prévenir le magistrat requérant que la date ne sera pas tenue\u{a0}; enregistrer la relance sur la page de la demande\u{a0}:",
            ),
            (Wait::Days { .. }, _) => (
                "To do: chase the requested authority and record the follow-up on the request's page, or snooze it there with a reason:",
                "À faire\u{a0}: relancer l'autorité requise et enregistrer la relance sur la page de la demande, ou y suspendre l'alerte en donnant un motif\u{a0}:",
            ),
        };
        self.pick(en, fr).to_string()
    }

    fn more(&self, n: usize, link: &str) -> String {
        let n = self.0.number(n as i64);
        match self.0 {
            Language::En => format!("…and {n} more: the full list is at {link}"),
            Language::Fr => format!("…et {n} de plus\u{a0}: la liste complète est sur {link}"),
        }
    }

    fn footer(&self) -> String {
        self.pick(
            "You receive this email because the alert rules of mla-tracker name you for these requests. A follow-up recorded on a request keeps its history complete; it does not silence the alert, because the requested state's silence is what is measured.",
            "Vous recevez ce message parce que les règles d'alerte de mla-tracker vous désignent pour ces demandes. Une relance enregistrée sur la demande en complète l'historique\u{a0}; elle ne fait pas taire l'alerte, car c'est le silence de l'État requis qui est mesuré.",
        )
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FollowUpChannel;
    use crate::domain::legal_deadline::LegalClock;

    fn settings(language: Language) -> MailSettings {
        MailSettings {
            url: crate::config::SecretUrl::new("file:///tmp"),
            from: "mla <a@b.org>".parse().unwrap(),
            language,
        }
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn magistrate(name: &str, court: Option<&str>) -> Magistrate {
        Magistrate {
            name: name.into(),
            court: court.map(Into::into),
            email: None,
        }
    }

    /// One line of each kind a digest can hold, as the recorded samples
    /// in docs/emails/ show them.
    fn sample_lines() -> Vec<DigestLine> {
        let id = |n: u128| uuid::Uuid::from_u128(0x0196_0000_0000_7000_8000_0000_0000_0000 + n);
        vec![
            DigestLine {
                request_id: id(1),
                reference: "MLA-2021-00049".into(),
                case_reference: "PARQUET-2020-118".into(),
                title: "Bank records of the Lisbon account".into(),
                magistrate: magistrate("Claire Dubois", Some("Tribunal judiciaire de Lyon")),
                priority: Priority::Urgent,
                country: CountryCode::parse("PT").unwrap(),
                status: Status::PartiallyExecuted,
                status_since: day("2021-09-20"),
                sent_at: Some(day("2021-02-01")),
                level: 2,
                wait: Wait::Days {
                    from: Anchor::StatusSince,
                    since: day("2021-09-20"),
                    after_days: 180,
                    due: day("2022-03-19"),
                },
                legal_deadlines: vec![LegalDeadline {
                    clock: LegalClock::EioExecution,
                    due: day("2021-07-01"),
                    due_at: None,
                    extended: false,
                }],
                last_follow_up: Some(FollowUp {
                    date: day("2026-11-02"),
                    channel: FollowUpChannel::Eurojust,
                }),
            },
            DigestLine {
                request_id: id(2),
                reference: "MLA-2026-00311".into(),
                case_reference: "JI-2026-0042".into(),
                title: "Identify the uploader <of the videos>".into(),
                magistrate: magistrate("Marc Lefèvre", None),
                priority: Priority::Normal,
                country: CountryCode::parse("PH").unwrap(),
                status: Status::Acknowledged,
                status_since: day("2026-03-02"),
                sent_at: Some(day("2026-01-15")),
                level: 1,
                wait: Wait::Days {
                    from: Anchor::Sent,
                    since: day("2026-01-15"),
                    after_days: 60,
                    due: day("2026-03-16"),
                },
                legal_deadlines: Vec::new(),
                last_follow_up: None,
            },
            DigestLine {
                request_id: id(3),
                reference: "MLA-2026-00402".into(),
                case_reference: "JI-2026-0042".into(),
                title: "Subscriber of the chat account".into(),
                magistrate: magistrate("Marc Lefèvre", Some("Pôle mineurs, Paris")),
                priority: Priority::Urgent,
                country: CountryCode::parse("DE").unwrap(),
                status: Status::Sent,
                status_since: day("2026-11-01"),
                sent_at: Some(day("2026-11-01")),
                level: 2,
                wait: Wait::NeededBy {
                    needed_by: day("2026-12-09"),
                },
                legal_deadlines: vec![
                    LegalDeadline {
                        clock: LegalClock::EioAcknowledgement,
                        due: day("2026-11-08"),
                        due_at: None,
                        extended: false,
                    },
                    LegalDeadline {
                        clock: LegalClock::EioRecognition,
                        due: day("2026-12-15"),
                        due_at: None,
                        extended: true,
                    },
                ],
                last_follow_up: None,
            },
            DigestLine {
                request_id: id(4),
                reference: "MLA-2026-00415".into(),
                case_reference: "JI-2026-0057".into(),
                title: "Livestream viewer: IP addresses".into(),
                magistrate: magistrate("Anne Roux", Some("Parquet de Paris")),
                priority: Priority::Emergency,
                country: CountryCode::parse("IE").unwrap(),
                status: Status::Sent,
                status_since: day("2026-12-01"),
                sent_at: Some(day("2026-12-01")),
                level: 3,
                wait: Wait::Hours {
                    since: "2026-12-01T22:15:00Z".parse().unwrap(),
                    after_hours: 8,
                },
                legal_deadlines: vec![LegalDeadline {
                    clock: LegalClock::EmergencyProduction,
                    due: day("2026-12-02"),
                    due_at: Some("2026-12-02T06:15:00Z".parse().unwrap()),
                    extended: false,
                }],
                last_follow_up: None,
            },
            DigestLine {
                request_id: id(5),
                reference: "MLA-2025-00187".into(),
                case_reference: "JI-2025-0110".into(),
                title: "Messages of the grooming account".into(),
                magistrate: magistrate("Claire Dubois", Some("Tribunal judiciaire de Lyon")),
                priority: Priority::Normal,
                country: CountryCode::parse("US").unwrap(),
                status: Status::InExecution,
                status_since: day("2026-06-01"),
                sent_at: Some(day("2025-10-01")),
                level: 3,
                wait: Wait::Preservation {
                    holder: "Meta Platforms, Inc.".into(),
                    expires_on: day("2026-12-03"),
                },
                legal_deadlines: Vec::new(),
                last_follow_up: Some(FollowUp {
                    date: day("2026-11-30"),
                    channel: FollowUpChannel::ServiceProviderDirect,
                }),
            },
            DigestLine {
                request_id: id(6),
                reference: "MLA-2026-00377".into(),
                case_reference: "JI-2026-0042".into(),
                title: "Hearing of the witness in Cebu".into(),
                magistrate: magistrate("Marc Lefèvre", None),
                priority: Priority::Normal,
                country: CountryCode::parse("PH").unwrap(),
                status: Status::AdditionalInfoRequested,
                status_since: day("2026-11-01"),
                sent_at: Some(day("2026-09-01")),
                level: 1,
                wait: Wait::Days {
                    from: Anchor::StatusSince,
                    since: day("2026-11-01"),
                    after_days: 14,
                    due: day("2026-11-15"),
                },
                legal_deadlines: Vec::new(),
                last_follow_up: None,
            },
        ]
    }

    fn sample(language: Language, lines: &[DigestLine], more: usize) -> Rendered {
        render(&Digest {
            language,
            public_url: "https://mla.example.org/",
            today: day("2026-12-02"),
            now: "2026-12-02T07:00:00Z".parse().unwrap(),
            lines,
            more,
        })
    }

    /// The recorded samples (docs/emails/digest.LANG.txt): the subject,
    /// then the plain-text body. Each line is compared on its own so a
    /// difference names the line; `UPDATE_GOLDEN=1` records them again.
    #[test]
    fn digests_read_as_the_recorded_samples_line_by_line() {
        for language in Language::ALL {
            let r = sample(language, &sample_lines(), 37);
            let actual = format!("Subject: {}\n\n{}", r.subject, r.text);
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("docs/emails/digest.{}.txt", language.code()));
            if std::env::var_os("UPDATE_GOLDEN").is_some() {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &actual).unwrap();
                continue;
            }
            let expected = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            for (n, (want, got)) in expected.lines().zip(actual.lines()).enumerate() {
                assert_eq!(got, want, "{} line {}", path.display(), n + 1);
            }
            assert_eq!(
                actual.lines().count(),
                expected.lines().count(),
                "{}",
                path.display()
            );
        }
    }

    #[test]
    fn a_line_says_who_what_how_late_and_what_to_do_in_english() {
        let r = sample(Language::En, &sample_lines()[..1], 0);
        let want = [
            "1. MLA-2021-00049 — Bank records of the Lisbon account (case PARQUET-2020-118)",
            "   Portugal · Partially executed (since 20 September 2021) · priority: Urgent",
            "   Issuing magistrate: Claire Dubois, Tribunal judiciaire de Lyon",
            "   Sent on 1 February 2021. Waiting 1,899 days without a change of status since 20 September 2021: 1,719 days past the 180-day threshold (alert level 2).",
            "   Legal deadline: execution within 90 days of recognition (Directive 2014/41/EU, art. 12(4)): 1 July 2021 (passed 1,980 days ago).",
            "   Last follow-up: 2 November 2026 (Eurojust)",
            "   To do: chase the requested authority and record the follow-up on the request's page, or snooze it there with a reason:",
            "   https://mla.example.org/requests/01960000-0000-7000-8000-000000000001",
        ];
        for line in want {
            assert!(
                r.text.lines().any(|l| l == line),
                "missing {line:?} in\n{}",
                r.text
            );
        }
        assert_eq!(
            r.subject,
            "[mla-tracker] 1 request to follow up (alert level 2)"
        );
    }

    #[test]
    fn the_french_digest_writes_french_words_dates_numbers_and_countries() {
        let r = sample(Language::Fr, &sample_lines(), 0);
        for line in [
            "   Portugal · Partiellement exécutée (depuis le 20 septembre 2021) · priorité\u{a0}: Urgente",
            "   Magistrat requérant\u{a0}: Claire Dubois, Tribunal judiciaire de Lyon",
            "   Envoyée le 1er février 2021. 1\u{202f}899 jours d'attente sans changement de statut depuis le 20 septembre 2021\u{a0}: 1\u{202f}719 jours au-delà du seuil de 180 jours (niveau d'alerte 2).",
            "   Allemagne · Envoyée (depuis le 1er novembre 2026) · priorité\u{a0}: Urgente",
            "   Dernière relance\u{a0}: 2 novembre 2026 (Eurojust)",
            "   Dernière relance\u{a0}: aucune enregistrée",
        ] {
            assert!(
                r.text.lines().any(|l| l == line),
                "missing {line:?} in\n{}",
                r.text
            );
        }
        for english in [
            "Germany",
            "days",
            "Sent",
            "partially_executed",
            "none recorded",
        ] {
            assert!(!r.text.contains(english), "{english:?} in\n{}", r.text);
        }
    }

    #[test]
    fn a_date_the_magistrate_needs_counts_the_days_really_left() {
        let r = sample(Language::En, &sample_lines()[2..3], 0);
        assert!(
            r.text.contains(
                "The magistrate needs it by 9 December 2026: 7 days left (alert level 2)."
            ),
            "{}",
            r.text
        );
        let mut late = sample_lines()[2].clone();
        late.wait = Wait::NeededBy {
            needed_by: day("2026-12-05"),
        };
        let r = sample(Language::En, &[late], 0);
        assert!(
            r.text.contains("by 5 December 2026: 3 days left"),
            "{}",
            r.text
        );
    }

    #[test]
    fn preserved_data_past_its_expiry_asks_whether_it_still_exists() {
        let mut line = sample_lines().remove(4);
        line.wait = Wait::Preservation {
            holder: "Meta Platforms, Inc.".into(),
            expires_on: day("2026-11-30"),
        };
        let r = sample(Language::En, &[line], 0);
        for words in [
            "expired on 30 November 2026, 2 days ago (alert level 3).",
            "To do: the data may already be deleted; ask the holder whether it still exists",
        ] {
            assert!(r.text.contains(words), "{words:?} in\n{}", r.text);
        }
    }

    #[test]
    fn user_text_is_escaped_in_html_and_kept_out_of_headers() {
        let mut line = sample_lines().remove(1);
        line.title = "<script>alert(1)</script>".into();
        let r = sample(Language::En, std::slice::from_ref(&line), 0);
        assert!(
            !r.html.contains("<script>")
                && r.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{}",
            r.html
        );
        assert!(
            r.html.contains(
                "<a href=\"https://mla.example.org/requests/01960000-0000-7000-8000-000000000002\">MLA-2026-00311</a>"
            ),
            "{}",
            r.html
        );
        let digest = Digest {
            language: Language::En,
            public_url: "http://x",
            today: day("2026-12-02"),
            now: "2026-12-02T07:00:00Z".parse().unwrap(),
            lines: std::slice::from_ref(&line),
            more: 0,
        };
        let m = digest_message(&settings(Language::En), &digest, "d1", "c@d.org").unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(
            headers.contains("Message-ID: <digest-d1@mla-tracker>"),
            "{headers}"
        );
        assert!(
            headers.contains("Subject: [mla-tracker] 1 request to follow up (alert level 1)"),
            "{headers}"
        );
        assert!(!headers.contains("script"), "{headers}");
    }

    #[test]
    fn a_capped_digest_counts_what_it_left_out_and_links_the_stalled_list_page() {
        let r = sample(Language::En, &sample_lines()[..1], 41);
        assert!(
            r.subject
                .starts_with("[mla-tracker] 42 requests to follow up"),
            "{}",
            r.subject
        );
        assert!(
            r.text
                .contains("…and 41 more: the full list is at https://mla.example.org/alerts"),
            "{}",
            r.text
        );
        assert!(r.html.contains("…and 41 more"), "{}", r.html);
        let none = sample(Language::En, &sample_lines()[..1], 0);
        assert!(!none.text.contains("more:"), "{}", none.text);
    }

    #[test]
    fn tls_values_are_translated_for_lettre() {
        assert_eq!(lettre_url("smtp://h:25?tls=none"), "smtp://h:25");
        assert_eq!(
            lettre_url("smtp://u:p@h:587?tls=starttls"),
            "smtp://u:p@h:587?tls=opportunistic"
        );
        assert_eq!(
            lettre_url("smtp://h:587?tls=required"),
            "smtp://h:587?tls=required"
        );
        assert_eq!(lettre_url("smtps://h:465"), "smtps://h:465");
        for url in [
            "smtp://h:25?tls=none",
            "smtp://h:587?tls=starttls",
            "smtp://h:587?tls=required",
            "smtps://h",
        ] {
            assert!(SmtpTransport::from_url(&lettre_url(url)).is_ok(), "{url}");
        }
    }
}
