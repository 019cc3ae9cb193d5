//! mla-tracker: tracks outgoing international mutual legal assistance
//! requests and raises the alarm when foreign authorities stop answering.
//!
//! The layers, each depending only on those before it (docs/ARCHITECTURE.md;
//! `scripts/check-module-deps` enforces it): [`domain`], [`credentials`] and
//! [`stats`] (pure types, rules and maths) → [`config`] → [`db`] (storage)
//! → [`alerts`], [`audit`], [`backup`], [`seed`] (work on the storage) →
//! [`services`] (one method per operation) → [`http`], [`report`] and the
//! command line (`src/cli/`, called by `src/main.rs`), the front ends.

pub mod alerts;
pub mod audit;
pub mod backup;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod db;
pub mod domain;
pub mod http;
pub mod report;
pub mod seed;
pub mod services;
pub mod sheet;
pub mod stats;
