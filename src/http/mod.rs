//! The HTTP front end: the server and its middleware ([`server`]), the API's
//! handlers ([`api`]), how a request becomes a typed call to the services
//! ([`extract`], [`auth`]) and how an error becomes an answer ([`error`]),
//! and the OpenAPI document ([`openapi`]); the web pages ([`web`]).

pub mod api;
pub mod auth;
pub mod cors;
pub mod deadline;
pub mod error;
pub mod extract;
pub mod import_upload;
pub mod openapi;
pub mod params;
pub mod routing;
pub mod server;
pub mod state;
pub mod throttle;
pub mod token_cache;
pub mod web;
