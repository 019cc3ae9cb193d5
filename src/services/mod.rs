//! The operations of the service, one method of [`Services`] each, whatever
//! asks for them: the API's handlers, the command line, the scheduler (and
//! later the web pages and the importer). Each method checks its input
//! against the domain's rules, reads "today" from the clock, runs its reads
//! and writes in one transaction, and answers with a value or an
//! [`error::Error`] in the operation's own terms; front ends only translate.
//!
//! Who may call what is decided where the caller is known: the API's
//! extractors check the role before a method runs, and the methods that
//! answer differently by role (the statistics' published view) take the
//! caller's role. The command line acts as an operator with access to the
//! database itself.

pub mod alerts;
pub mod calendar;
pub mod cases;
mod cursor;
pub mod error;
pub mod export;
pub mod imports;
pub mod invitations;
pub mod preservations;
pub mod requests;
pub mod sessions;
pub mod stats;
pub mod users;

use std::sync::{Arc, Mutex, RwLock};

use crate::alerts::mail::Mailer;
use crate::config::Settings;
use crate::db::pool::Db;
use crate::db::register::Mark;
use crate::domain::{Clock, Today};
use crate::stats::register::Register;

pub use error::{Error, Result};

/// What every operation can reach: the database, the settings, the clock,
/// the mail transport.
pub struct Services {
    pub db: Db,
    pub settings: Settings,
    pub clock: Clock,
    mailer: Mailer,
    /// Held while digests are being sent, so two deliverers in this process
    /// never pick the same one.
    delivering: Mutex<()>,
    /// The statistics' copy of the register, shared by every request of
    /// this process, and how far it has read the change log; `None` until
    /// first read (`Services::over_register`).
    register: Arc<RwLock<Option<(Register, Mark)>>>,
}

impl Services {
    /// The services over `db`; the mail transport is built from the
    /// settings (a `file://` outbox folder is created).
    pub fn new(settings: Settings, db: Db) -> anyhow::Result<Services> {
        let mailer = Mailer::from_settings(&settings.mail)?;
        Ok(Services {
            db,
            clock: settings.clock,
            settings,
            mailer,
            delivering: Mutex::new(()),
            register: Default::default(),
        })
    }

    /// The office's present (`office.timezone`): the one "today" of the
    /// register, the alerts and the statistics.
    pub fn today(&self) -> Today {
        self.clock.today(self.settings.office.timezone)
    }

    /// Whether the database answers (within `database.timeout_seconds`).
    pub async fn check_database(&self) -> Result<()> {
        self.db
            .read(|conn| {
                use diesel::connection::SimpleConnection;
                conn.batch_execute("SELECT 1")
                    .map_err(|e| crate::db::Error::Unavailable(e.into()).into())
            })
            .await
    }
}
