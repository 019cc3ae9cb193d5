//! mla-tracker: tracks outgoing international mutual legal assistance
//! requests and raises the alarm when foreign authorities stop answering.
//! This crate is the service's public face, for the binary, tests and benches.

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod config;
pub mod credentials;
pub mod db;
pub mod domain;
pub mod error;
pub mod openapi;
pub mod routes;
pub mod seed;
pub mod startup;
pub mod stats;
