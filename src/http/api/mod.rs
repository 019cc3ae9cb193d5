//! The API's handlers, one module per resource: each parses, names the
//! permission it needs in its signature, calls one service method and
//! shapes the answer.

pub mod alerts;
pub mod calendar;
pub mod cases;
pub mod charts;
pub mod export;
pub mod imports;
pub mod meta;
pub mod preservations;
pub mod requests;
pub mod stats;
pub mod users;
