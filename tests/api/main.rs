//! The integration tests, in one binary (one build, one link): each module
//! is an area of the service, every test talks to a real HTTP server on a
//! random port over a fresh database — SQLite, or PostgreSQL when
//! `TEST_DATABASE_URL` names a server (scripts/test runs both). The harness
//! is [`common`].

mod common;

mod alert_clocks;
mod alert_runs;
mod alert_steps;
mod alerts;
mod audit;
mod backup;
mod calendar;
mod cases;
mod cli;
mod clocks_reference;
mod concurrency;
mod contract;
mod crash_delivery;
mod data_at_rest;
mod disclosure_attacks;
mod disclosure_utility;
mod docs;
mod emergencies;
mod errors;
mod export;
mod faults;
mod health;
mod imports;
mod km_reference;
mod legal_basis;
mod links;
mod migrations;
mod milestones;
mod openapi;
mod pagination;
mod preservations;
mod report;
mod roles;
mod scheduler;
mod security;
mod smtp;
mod stats;
mod stats_aggregate;
mod stats_charts;
mod stats_chasing;
mod stats_cohorts;
mod stats_eevidence;
mod stats_regions;
mod stats_tables;
mod stats_victims;
mod transitions;
mod users;
mod web;
mod web_import;
mod web_request;
mod web_stats;
mod wilson_reference;
