//! The OpenAPI 3.1 document of the API, served at `GET /api/v1/openapi.json`
//! without authentication (it describes the interface, never a case).
//!
//! Each handler describes its own operation with `#[utoipa::path]`: its
//! path, the roles it admits (the bearer scheme's role list), its
//! parameters (the same structs its [`super::params::Params`] extractor
//! parses), its body and its answers; the schemas are derived from the types
//! the handlers parse and send. This module assembles them and adds what
//! follows from those facts for every operation alike: the error answers
//! ([`standard_errors`]) and the response headers' schemas. The tests
//! compare the document with the routes actix was really given
//! (`routing::registered`), so a route cannot be added without documenting
//! it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use actix_web::HttpResponse;
use serde_json::{Map, Value, json};
use utoipa::OpenApi;

use super::api;
use super::params::MAX_LIST_VALUES;
use crate::domain::Role;

/// Every documented operation and the schemas they reach.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "mla-tracker",
        description = "Tracks outgoing international mutual legal assistance requests and raises the alarm when they stall. Every error is `{\"error\": {\"code\", \"message\", ...}}`.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    tags(
        (name = "requests"), (name = "cases"), (name = "preservations"), (name = "alerts"), (name = "users"),
        (name = "calendar"), (name = "statistics"), (name = "meta"), (name = "health"),
    ),
    paths(
        api::meta::healthz, api::meta::readyz, serve, api::meta::vocabularies,
        api::requests::list, api::requests::create, api::requests::get, api::requests::patch,
        api::requests::transition, api::requests::milestone, api::requests::add_note, api::requests::list_events,
        api::requests::add_link, api::requests::remove_link, api::export::export, api::imports::import,
        api::cases::list, api::cases::create, api::cases::get, api::cases::patch,
        api::cases::list_events,
        api::preservations::list, api::preservations::create, api::preservations::get,
        api::preservations::renew, api::preservations::release,
        api::alerts::add_follow_up, api::alerts::snooze, api::alerts::unsnooze,
        api::users::list, api::users::create, api::users::deactivate, api::users::rotate_token,
        api::calendar::state, api::calendar::issue, api::calendar::revoke, api::calendar::feed,
        api::alerts::rules, api::alerts::stalled, api::alerts::run, api::alerts::notifications,
        api::stats::countries_table, api::stats::abandonment_reasons_table,
        api::stats::refusal_grounds_table, api::stats::timeline_table, api::stats::cohorts_table,
        api::stats::report, api::stats::chasing_table, api::stats::victims_table,
        api::stats::eevidence_table,
        api::charts::response_curves, api::charts::response_rates_chart,
        api::charts::response_curves_chart,
    ),
    components(schemas(
        super::error::ErrorBody,
        crate::domain::request::RequestFields,
        crate::domain::request::Magistrate,
        crate::domain::case::CaseFields,
    )),
)]
struct ApiDoc;

/// This document (no case data; no token needed)
#[utoipa::path(
    get, path = "/api/v1/openapi.json", operation_id = "getOpenApi", tag = "meta", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object))
)]
pub async fn serve() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let body = DOCUMENT.get_or_init(|| document().to_string());
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.as_str())
}

/// The whole document.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the document serialises");
    doc["components"]["securitySchemes"] = json!({
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "mla_<base64url>",
                   "description": "A user's token (`mla-tracker user add`, `POST /users`)"},
    });
    let schemas = doc["components"]["schemas"]
        .as_object_mut()
        .expect("components have schemas");
    adjust_schemas(schemas);
    let paths = doc["paths"].as_object_mut().expect("paths");
    for item in paths.values_mut() {
        for op in item.as_object_mut().expect("a path item").values_mut() {
            // `security(())` means "no token": say it as OpenAPI does.
            if op["security"] == json!([{}]) {
                op["security"] = json!([]);
            }
            // Every body an operation reads is required.
            if let Some(body) = op.get_mut("requestBody") {
                body["required"] = json!(true);
            }
            standard_errors(op);
            response_headers(op);
            list_caps(op);
        }
    }
    doc
}

/// A list parameter takes at most [`MAX_LIST_VALUES`] values
/// (`super::params`): its schema and its description say so.
fn list_caps(op: &mut Value) {
    let Some(parameters) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
        return;
    };
    for parameter in parameters {
        if parameter["in"] != "query" || parameter["schema"]["type"] != "array" {
            continue;
        }
        parameter["schema"]["maxItems"] = json!(MAX_LIST_VALUES);
        let described = parameter["description"].as_str().unwrap_or("").trim_end();
        parameter["description"] = json!(format!("{described} (at most {MAX_LIST_VALUES} values)"));
    }
}

/// The `(METHOD, path)` of every documented operation.
pub fn documented_operations() -> Vec<(String, String)> {
    let doc = document();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            out.push((method.to_uppercase(), path.clone()));
        }
    }
    out
}

/// Who may call an operation: nobody needs a token (`security: []`), any
/// valid token (the bearer scheme with no roles), or some roles.
fn roles_of(op: &Value) -> Option<Vec<String>> {
    let security = op.get("security").and_then(Value::as_array)?;
    let bearer = security
        .iter()
        .find_map(|requirement| requirement.get("bearer"))?;
    Some(
        bearer
            .as_array()
            .map(|roles| {
                roles
                    .iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// Adds the error answers that follow from what an operation does, each
/// with why: it authenticates (401, 429; 403 when only some roles may),
/// names a record by id (400, 404), reads a JSON body (400, 408, 413, 415,
/// 422), takes query parameters (422), reaches the database (503: all but
/// the liveness probe and this document). Statuses an operation documents
/// itself (409, 412, …) keep their description, joined with these.
fn standard_errors(op: &mut Value) {
    let id = op["operationId"].as_str().unwrap_or_default().to_string();
    let mut errors: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    let mut add = |status: u16, why: &str| errors.entry(status).or_default().push(why.into());
    let roles = roles_of(op);
    if let Some(roles) = &roles {
        add(401, "No valid bearer token");
        add(
            429,
            "Too many failed authentications from this address: refused until Retry-After seconds have passed",
        );
        if !roles.is_empty() && roles.len() < Role::ALL.len() {
            add(403, &format!("Only for {}", roles.join(", ")));
        }
    }
    let parameters = op["parameters"].as_array().cloned().unwrap_or_default();
    if parameters.iter().any(|p| p["in"] == "path") {
        add(400, "The path is not valid UTF-8 once decoded");
        add(404, "No record with this id");
    }
    let multipart = op["requestBody"]["content"]
        .get("multipart/form-data")
        .is_some();
    if multipart {
        add(400, "The form is malformed");
        add(408, "The body did not arrive in time");
        add(
            415,
            "The body is not a form (Content-Type: multipart/form-data)",
        );
        add(422, "Some fields are invalid: `error.fields` names each");
    } else if op.get("requestBody").is_some() {
        add(400, "The body is not a JSON object");
        add(408, "The body did not arrive in time");
        add(413, "The body is larger than server.body_limit_bytes");
        add(415, "The body is not JSON (Content-Type)");
        add(422, "Some fields are invalid: `error.fields` names each");
    }
    if parameters.iter().any(|p| p["in"] == "query") {
        add(
            422,
            "Some query parameters are invalid: `error.fields` names each",
        );
    }
    if !matches!(id.as_str(), "healthz" | "getOpenApi") {
        add(
            503,
            "The database is unavailable or cannot store; retry after Retry-After seconds",
        );
    }
    let responses = op["responses"].as_object_mut().expect("responses");
    for (status, mut whys) in errors {
        let key = status.to_string();
        if let Some(own) = responses
            .get(&key)
            .and_then(|r| r["description"].as_str())
            .filter(|d| !d.is_empty())
        {
            whys.push(own.to_string());
        }
        let mut response = json!({"description": whys.join("; "),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
        match status {
            401 => response["headers"] = json!({"WWW-Authenticate": header("WWW-Authenticate")}),
            429 | 503 => response["headers"] = json!({"Retry-After": header("Retry-After")}),
            _ => {}
        }
        responses.insert(key, response);
    }
    // The errors an operation names itself are JSON errors too.
    for (status, response) in responses.iter_mut() {
        if status.starts_with('4') && response.get("content").is_none() {
            response["content"] =
                json!({"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}});
        }
    }
}

/// The success headers' schemas, by name; links with OpenAPI's own key
/// names (utoipa writes `operation_id`).
fn response_headers(op: &mut Value) {
    for response in op["responses"]
        .as_object_mut()
        .expect("responses")
        .values_mut()
    {
        if let Some(headers) = response.get_mut("headers").and_then(Value::as_object_mut) {
            for (name, value) in headers.iter_mut() {
                *value = header(name);
            }
        }
        if let Some(links) = response.get_mut("links").and_then(Value::as_object_mut) {
            for link in links.values_mut().filter_map(Value::as_object_mut) {
                if let Some(id) = link.remove("operation_id") {
                    link.insert("operationId".into(), id);
                }
            }
        }
    }
}

fn header(name: &str) -> Value {
    let (schema, why) = match name {
        "ETag" => (
            json!({"type": "string", "pattern": "^\"[0-9]+\"$"}),
            "The record's version, for If-Match",
        ),
        "Location" => (json!({"type": "string"}), "Where the new record lives"),
        "Retry-After" => (
            json!({"type": "string", "pattern": "^[0-9]+$"}),
            "Seconds to wait before trying again",
        ),
        "WWW-Authenticate" => (json!({"type": "string"}), "`Bearer`"),
        "Allow" => (json!({"type": "string"}), "The methods this path answers"),
        "Content-Disposition" => (
            json!({"type": "string"}),
            "`attachment`, with the file's name",
        ),
        _ => (json!({"type": "string"}), ""),
    };
    json!({"required": true, "description": why, "schema": schema})
}

/// What the derived schemas cannot say by themselves: addresses are checked
/// as email addresses; a record is one flat object; creating and patching a
/// request take the descriptive fields with a twist each.
fn adjust_schemas(out: &mut Map<String, Value>) {
    for (schema, property) in [
        ("NewUser", "email"),
        ("Magistrate", "email"),
        ("RequestFields", "coordinator_email"),
    ] {
        out[schema]["properties"][property]["format"] = json!("email");
    }
    // An outcome per measure: measures as keys, outcomes as values (`null`
    // takes one back in a patch or a transition).
    let outcomes = |nullable: bool| {
        let value = if nullable {
            json!({"oneOf": [{"$ref": "#/components/schemas/MeasureOutcome"}, {"type": "null"}]})
        } else {
            json!({"$ref": "#/components/schemas/MeasureOutcome"})
        };
        json!({"type": ["object", "null"],
               "propertyNames": {"$ref": "#/components/schemas/Measure"},
               "additionalProperties": value})
    };
    // The import's form has no other field (an unknown one is refused).
    out["ImportUpload"]["additionalProperties"] = json!(false);
    out["RequestFields"]["properties"]["measure_outcomes"] = outcomes(true);
    out["TransitionCommand"]["properties"]["measure_outcomes"] = outcomes(true);
    for name in ["MlaRequest", "Case", "CaseDetail"] {
        let record = flatten_all_of(&out[name], out);
        out.insert(name.into(), record);
    }
    // A record's outcomes are always an object of outcomes.
    let mut recorded = outcomes(false);
    recorded["type"] = json!("object");
    out["MlaRequest"]["properties"]["measure_outcomes"] = recorded;
    out.insert(
        "NewRequest".into(),
        new_request_schema(&out["RequestFields"]),
    );
    out.insert(
        "RequestPatch".into(),
        request_patch_schema(&out["RequestFields"], &out["Magistrate"]),
    );
    out.insert("NewCase".into(), out["CaseFields"].clone());
    out.insert(
        "CasePatch".into(),
        patch_schema(&out["CaseFields"], &out["Magistrate"]),
    );
}

/// `allOf` of objects (what `#[serde(flatten)]` derives) as one object with
/// every property, closed to others.
fn flatten_all_of(schema: &Value, all: &Map<String, Value>) -> Value {
    let resolve = |part: &Value| -> Value {
        match part.get("$ref").and_then(Value::as_str) {
            Some(r) => flatten_all_of(&all[r.trim_start_matches("#/components/schemas/")], all),
            None => flatten_all_of(part, all),
        }
    };
    let Some(parts) = schema.get("allOf").and_then(Value::as_array) else {
        return schema.clone();
    };
    let (mut properties, mut required) = (Map::new(), Vec::new());
    for part in parts.iter().map(resolve) {
        if let Some(p) = part.get("properties").and_then(Value::as_object) {
            properties.extend(p.clone());
        }
        if let Some(r) = part.get("required").and_then(Value::as_array) {
            required.extend(r.iter().cloned());
        }
    }
    json!({"type": "object", "properties": properties, "required": required,
           "additionalProperties": false})
}

/// The properties that name a request's case: either, or both alike.
fn case_properties(properties: &mut Map<String, Value>) {
    properties.insert(
        "case_id".into(),
        json!({"type": ["string", "null"], "format": "uuid",
               "description": "The case to file it under (or give `case_reference`)"}),
    );
    properties.insert(
        "case_reference".into(),
        json!({"type": ["string", "null"], "minLength": 1, "maxLength": 100,
               "description": "The case's reference: a case found, or opened with the request's title, magistrate and offences when no case has it"}),
    );
}

/// `POST /requests`: the descriptive fields, the case (by `case_id` or
/// `case_reference`), plus the reference (generated when left out) and, to
/// log a request already sent, `status: sent` with `sent_at`. `null` means
/// "not given".
fn new_request_schema(fields: &Value) -> Value {
    let mut schema = fields.clone();
    let properties = schema["properties"].as_object_mut().expect("an object");
    case_properties(properties);
    properties.insert(
        "reference".into(),
        json!({"type": ["string", "null"],
               "pattern": "^[A-Za-z0-9_/.:-](?:[A-Za-z0-9 _/.:-]{0,62}[A-Za-z0-9_/.:-])?$",
               "description": "ASCII letters, digits, spaces and - _ / . :, no surrounding spaces; MLA-YYYY-NNNNN when left out"}),
    );
    properties.insert(
        "status".into(),
        json!({"type": ["string", "null"], "enum": ["draft", "sent", null],
               "description": "`sent` (with `sent_at`) logs a request already sent"}),
    );
    properties.insert(
        "sent_at".into(),
        json!({"type": ["string", "null"], "format": "date"}),
    );
    // One of the two names the case.
    schema["anyOf"] = json!([
        {"required": ["case_id"], "properties": {"case_id": {"type": "string"}}},
        {"required": ["case_reference"], "properties": {"case_reference": {"type": "string"}}},
    ]);
    schema
}

/// `PATCH /requests/{id}`: a JSON merge patch over the descriptive fields:
/// any subset; `null` clears an optional field; `case_id` or
/// `case_reference` files the request under another case.
fn request_patch_schema(fields: &Value, magistrate: &Value) -> Value {
    let mut schema = patch_schema(fields, magistrate);
    let properties = schema["properties"].as_object_mut().expect("an object");
    case_properties(properties);
    for key in ["case_id", "case_reference"] {
        // Never cleared: a request always belongs to a case.
        let types = json!(["string"]);
        properties[key]["type"] = types;
    }
    schema
}

/// A JSON merge patch over `fields`: any subset; `null` clears an optional
/// field; the magistrate merges key by key too.
fn patch_schema(fields: &Value, magistrate: &Value) -> Value {
    let mut schema = fields.clone();
    schema["required"] = json!([]);
    let mut partial = magistrate.clone();
    partial["required"] = json!([]);
    schema["properties"]["issuing_magistrate"] = partial;
    schema
}
