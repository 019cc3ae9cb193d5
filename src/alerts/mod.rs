pub mod deliver;
pub mod mail;
pub mod outbox;
pub mod run;
pub mod scan;
