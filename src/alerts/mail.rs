//! Digest emails: what a recipient reads, and how it leaves.
//!
//! Every piece of user text (references, countries, notes) goes into the
//! body only, HTML-escaped in the HTML part; headers carry no user text. The
//! `Message-ID` is derived from the digest id, so a digest re-sent after a
//! crash is recognisable as the same message.

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use lettre::message::{Mailbox, MultiPart};
use lettre::{Message, SmtpTransport, Transport};

use crate::config::{Language, MailSettings};
use crate::db::alert_state::FollowUp;
use crate::db::private_files;
use crate::domain::Status;
use crate::domain::alert_rules::Anchor;

/// One request in a digest, at the highest level it reached for this recipient.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestLine {
    pub request_id: uuid::Uuid,
    pub reference: String,
    pub country_name: String,
    pub status: Status,
    pub days_in_status: i64,
    pub rule: String,
    pub level: u8,
    /// "60 days without change" or "7 days before needed_by".
    pub threshold: Threshold,
    pub last_follow_up: Option<FollowUp>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    Stalled {
        after_days: i64,
        from: Anchor,
    },
    Hours {
        after_hours: i64,
    },
    /// Data preserved for the request expires on this date.
    Preservation {
        expires_on: NaiveDate,
        /// On the day of delivery; negative once past.
        days_left: i64,
    },
    Deadline {
        days_before: i64,
        needed_by: NaiveDate,
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

/// The text of the emails, per language.
struct Words {
    subject: fn(usize, u8) -> String,
    intro: &'static str,
    days_in: &'static str,
    threshold_stalled: fn(i64, Anchor) -> String,
    threshold_hours: fn(i64) -> String,
    /// Days left (negative once past) and the expiry date.
    threshold_preservation: fn(i64, NaiveDate) -> String,
    threshold_deadline: fn(i64, NaiveDate) -> String,
    level: &'static str,
    last_follow_up: &'static str,
    never: &'static str,
    /// "…and N more", with the link to the full list.
    more: fn(usize, &str) -> String,
    footer: &'static str,
}

const EN: Words = Words {
    subject: |n, level| format!("[mla-tracker] {n} stalled request(s), level {level}"),
    intro: "These requests have stalled past an alert threshold:",
    days_in: "days in status",
    threshold_stalled: |d, from| match from {
        Anchor::StatusSince => format!("{d} days without change"),
        Anchor::Sent => format!("{d} days since it was sent"),
        Anchor::Received => format!("{d} days since its receipt"),
        Anchor::Recognised => format!("{d} days since its recognition"),
    },
    threshold_hours: |h| format!("{h} hours since it was sent"),
    threshold_preservation: |days, on| match days {
        0 => format!("preserved data expires today, {on}"),
        1 => format!("preserved data expires tomorrow, {on}"),
        d if d > 0 => format!("preserved data expires in {d} days, on {on}"),
        d => format!("preserved data expired {} days ago, on {on}", -d),
    },
    threshold_deadline: |d, by| format!("{d} days before the deadline of {by}"),
    level: "level",
    last_follow_up: "last follow-up",
    never: "none recorded",
    more: |n, link| format!("…and {n} more: the full list is at {link}"),
    footer: "You receive this because the alert rules of mla-tracker name you. Record follow-ups or a snooze on the request to keep its history complete.",
};

const FR: Words = Words {
    subject: |n, level| format!("[mla-tracker] {n} demande(s) en souffrance, niveau {level}"),
    intro: "Ces demandes d'entraide ont dépassé un seuil d'alerte :",
    days_in: "jours dans ce statut",
    threshold_stalled: |d, from| match from {
        Anchor::StatusSince => format!("{d} jours sans changement"),
        Anchor::Sent => format!("{d} jours depuis l'envoi"),
        Anchor::Received => format!("{d} jours depuis la réception"),
        Anchor::Recognised => format!("{d} jours depuis la reconnaissance"),
    },
    threshold_hours: |h| format!("{h} heures depuis l'envoi"),
    threshold_preservation: |days, on| match days {
        0 => format!("les données conservées expirent aujourd'hui, {on}"),
        1 => format!("les données conservées expirent demain, {on}"),
        d if d > 0 => format!("les données conservées expirent dans {d} jours, le {on}"),
        d => format!(
            "les données conservées ont expiré il y a {} jours, le {on}",
            -d
        ),
    },
    threshold_deadline: |d, by| format!("{d} jours avant l'échéance du {by}"),
    level: "niveau",
    last_follow_up: "dernière relance",
    never: "aucune",
    more: |n, link| format!("…et {n} autre(s) : la liste complète est sur {link}"),
    footer: "Vous recevez ce message parce que les règles d'alerte de mla-tracker vous désignent. Enregistrez relances ou mise en sommeil sur la demande pour en garder la trace.",
};

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
    base_url: &str,
    digest_id: &str,
    to: &str,
    lines: &[DigestLine],
    more: usize,
) -> Result<Message, String> {
    let from = mail.from.clone();
    let to: Mailbox = to.parse().map_err(|e| format!("recipient `{to}`: {e}"))?;
    let rendered = render(mail.language, base_url, lines, more);
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

/// The digest's text in `language`: `lines`, then a count of the `more`
/// requests left out.
pub fn render(language: Language, base_url: &str, lines: &[DigestLine], more: usize) -> Rendered {
    let words = match language {
        Language::Fr => &FR,
        Language::En => &EN,
    };
    let top = lines.iter().map(|l| l.level).max().unwrap_or(0);
    let base = base_url.trim_end_matches('/');
    let mut text = format!("{}\n\n", words.intro);
    let mut html = format!("<p>{}</p>\n<ul>\n", escape(words.intro));
    for line in lines {
        let threshold = match line.threshold {
            Threshold::Stalled { after_days, from } => (words.threshold_stalled)(after_days, from),
            Threshold::Hours { after_hours } => (words.threshold_hours)(after_hours),
            Threshold::Preservation {
                expires_on,
                days_left,
            } => (words.threshold_preservation)(days_left, expires_on),
            Threshold::Deadline {
                days_before,
                needed_by,
            } => (words.threshold_deadline)(days_before, needed_by),
        };
        let follow_up = match &line.last_follow_up {
            Some(f) => format!("{} ({})", f.date, f.channel),
            None => words.never.to_string(),
        };
        let link = format!("{base}/api/v1/requests/{}", line.request_id);
        text.push_str(&format!(
            "- {} | {} | {} ({} {}) | {}: {} {} ({}) | {}: {}\n  {}\n",
            line.reference,
            line.country_name,
            line.status,
            line.days_in_status,
            words.days_in,
            line.rule,
            words.level,
            line.level,
            threshold,
            words.last_follow_up,
            follow_up,
            link
        ));
        html.push_str(&format!(
            "<li><a href=\"{}\">{}</a> | {} | {} ({} {}) | {}: {} {} ({}) | {}: {}</li>\n",
            escape(&link),
            escape(&line.reference),
            escape(&line.country_name),
            escape(line.status.as_str()),
            line.days_in_status,
            escape(words.days_in),
            escape(&line.rule),
            escape(words.level),
            line.level,
            escape(&threshold),
            escape(words.last_follow_up),
            escape(&follow_up)
        ));
    }
    html.push_str("</ul>\n");
    if more > 0 {
        let link = format!("{base}/api/v1/alerts/stalled");
        let line = (words.more)(more, &link);
        text.push_str(&format!("\n{line}\n"));
        html.push_str(&format!("<p>{}</p>\n", escape(&line)));
    }
    text.push_str(&format!("\n{}\n", words.footer));
    html.push_str(&format!("<p><small>{}</small></p>\n", escape(words.footer)));
    let html = format!("<!DOCTYPE html><html><body>\n{html}</body></html>\n");
    Rendered {
        subject: (words.subject)(lines.len() + more, top),
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(language: Language) -> MailSettings {
        MailSettings {
            url: crate::config::SecretUrl::new("file:///tmp"),
            from: "mla <a@b.org>".parse().unwrap(),
            language,
        }
    }

    fn line() -> DigestLine {
        DigestLine {
            request_id: uuid::Uuid::nil(),
            reference: "<script>alert(1)</script>".into(),
            country_name: "Philippines".into(),
            status: Status::Sent,
            days_in_status: 400,
            rule: "no-answer-flag".into(),
            level: 3,
            threshold: Threshold::Stalled {
                after_days: 365,
                from: Anchor::StatusSince,
            },
            last_follow_up: None,
        }
    }

    #[test]
    fn user_text_is_escaped_in_html_and_kept_out_of_headers() {
        let r = render(Language::En, "http://x/", &[line()], 0);
        assert!(
            !r.html.contains("<script>")
                && r.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{}",
            r.html
        );
        assert!(
            r.text
                .contains("<script>alert(1)</script> | Philippines | sent (400 days in status)"),
            "{}",
            r.text
        );
        assert!(
            r.text
                .contains("no-answer-flag: level 3 (365 days without change)"),
            "{}",
            r.text
        );
        assert!(
            r.text
                .contains("http://x/api/v1/requests/00000000-0000-0000-0000-000000000000")
        );
        let m = digest_message(
            &settings(Language::En),
            "http://x",
            "d1",
            "c@d.org",
            &[line()],
            0,
        )
        .unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(
            headers.contains("Message-ID: <digest-d1@mla-tracker>"),
            "{headers}"
        );
        assert!(
            headers.contains("Subject: [mla-tracker] 1 stalled request(s), level 3"),
            "{headers}"
        );
        assert!(!headers.contains("script"), "{headers}");
    }

    #[test]
    fn a_capped_digest_counts_what_it_left_out_and_links_the_full_list() {
        let r = render(Language::En, "http://x", &[line()], 41);
        assert!(
            r.subject.starts_with("[mla-tracker] 42 stalled request(s)"),
            "{}",
            r.subject
        );
        assert!(
            r.text
                .contains("…and 41 more: the full list is at http://x/api/v1/alerts/stalled"),
            "{}",
            r.text
        );
        assert!(r.html.contains("…and 41 more"), "{}", r.html);
        let none = render(Language::En, "http://x", &[line()], 0);
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

    #[test]
    fn french_digests() {
        let r = render(Language::Fr, "http://x", &[line()], 0);
        assert!(
            r.subject.contains("en souffrance, niveau 3"),
            "{}",
            r.subject
        );
        assert!(
            r.text.contains("jours sans changement") && r.text.contains("aucune"),
            "{}",
            r.text
        );
    }
}
