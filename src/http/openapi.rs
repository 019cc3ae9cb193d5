//! The OpenAPI 3.1 document of the API, served at `GET /api/v1/openapi.json`
//! without authentication (it describes the interface, never a case).
//!
//! The schemas are derived from the types the handlers serialise and parse
//! (`utoipa::ToSchema`), so a field added to a record shows up here by
//! itself. The operations are listed in [`operations`], one entry per route:
//! tests/openapi.rs compares them with the routes actix was really given
//! (`routes::registered`), so a route cannot be added without documenting it.
//! Error statuses follow from what each operation does (authenticates,
//! names a record by id, reads a body, checks a version), the same rules the
//! handlers' extractors apply.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use actix_web::HttpResponse;
use serde_json::{Map, Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

use super::api::alerts::RunBody;
use super::routing::API_PREFIX;
use crate::alerts::run::RunSummary;
use crate::alerts::scan::Stalled;
use crate::db::events::Event;
use crate::db::users::User;
use crate::domain::alert_rules::Rule;
use crate::domain::request::{MlaRequest, RequestFields};
use crate::domain::transition::TransitionCommand;
use crate::domain::{
    AbandonmentReason, Channel, CountryCode, LegalBasis, Measure, Offence, Priority, RefusalGround,
    Role, Status, WaitingOn,
};
use crate::services::alerts::{NewFollowUp as FollowUpBody, Snooze as SnoozeBody};
use crate::services::requests::{NewNote as NoteBody, RequestPage as Page};
use crate::services::users::NewUser;
use crate::stats::curves::ShownCurve;
use crate::{alerts, stats};

/// `GET /api/v1/openapi.json`: the document, built once.
pub async fn serve() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let body = DOCUMENT.get_or_init(|| document().to_string());
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.as_str())
}

// --- Response envelopes built with `json!` in the handlers -------------------

/// The error body of every 4xx and 5xx answer.
#[derive(ToSchema)]
#[schema(as = Error)]
#[allow(dead_code)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct ErrorDetail {
    /// Stable, machine-readable: `validation_failed`, `not_found`, …
    code: String,
    /// For people; may change.
    message: String,
    /// 422: messages per field (dotted path, e.g. `issuing_magistrate.email`).
    #[schema(required = false)]
    fields: Option<BTreeMap<String, Vec<String>>>,
    /// 409 `transition_not_allowed`: the statuses allowed from the current one.
    #[schema(required = false)]
    allowed: Option<Vec<Status>>,
    /// 412: the record's current version.
    #[schema(required = false)]
    current_version: Option<i32>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct EventList {
    items: Vec<Event>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct UserList {
    items: Vec<User>,
}

/// A new user and their token, shown this once.
#[derive(ToSchema)]
#[allow(dead_code)]
struct CreatedUser {
    user: User,
    token: String,
}

/// A fresh token, shown this once; the old one stops working.
#[derive(ToSchema)]
#[allow(dead_code)]
struct Token {
    token: String,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct CountryEntry {
    code: CountryCode,
    name: String,
}

/// Every vocabulary and the transition table.
#[derive(ToSchema)]
#[allow(dead_code)]
struct Vocabularies {
    statuses: Vec<Status>,
    /// Per status, the statuses it may move to.
    transitions: BTreeMap<String, Vec<Status>>,
    /// Per status, whose move it is.
    waiting_on: BTreeMap<String, WaitingOn>,
    channels: Vec<Channel>,
    legal_bases: Vec<LegalBasis>,
    offences: Vec<Offence>,
    measures: Vec<Measure>,
    abandonment_reasons: Vec<AbandonmentReason>,
    refusal_grounds: Vec<RefusalGround>,
    priorities: Vec<Priority>,
    roles: Vec<Role>,
    countries: Vec<CountryEntry>,
}

/// The effective alert rules.
#[derive(ToSchema)]
#[allow(dead_code)]
struct AlertRules {
    enabled: bool,
    schedule: String,
    timezone: String,
    /// Named lists of addresses rules can notify (`list:NAME`).
    lists: BTreeMap<String, Vec<String>>,
    rules: Vec<Rule>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct StalledList {
    /// Today in the alerts' time zone.
    as_of: chrono::NaiveDate,
    /// How many requests are stalled in all (`items` is cut at `limit`).
    total: u64,
    items: Vec<Stalled>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct NotificationList {
    items: Vec<alerts::outbox::NotificationView>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct Suppression {
    threshold: u64,
    /// Whether this is the published view (small counts hidden).
    applied: bool,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct Health {
    #[schema(pattern = "^ok$")]
    status: String,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct Ready {
    #[schema(pattern = "^ready$")]
    status: String,
    /// `sqlite` or `postgres`.
    database: String,
}

/// Every schema the document names, by component name.
fn components() -> Map<String, Value> {
    let mut schemas: Vec<(String, RefOr<Schema>)> = Vec::new();
    fn add<T: ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) {
        T::schemas(out);
        out.push((T::name().into_owned(), T::schema()));
    }
    add::<ErrorBody>(&mut schemas);
    add::<MlaRequest>(&mut schemas);
    add::<RequestFields>(&mut schemas);
    add::<Page>(&mut schemas);
    add::<TransitionCommand>(&mut schemas);
    add::<NoteBody>(&mut schemas);
    add::<Event>(&mut schemas);
    add::<EventList>(&mut schemas);
    add::<NewUser>(&mut schemas);
    add::<User>(&mut schemas);
    add::<UserList>(&mut schemas);
    add::<CreatedUser>(&mut schemas);
    add::<Token>(&mut schemas);
    add::<Vocabularies>(&mut schemas);
    add::<AlertRules>(&mut schemas);
    add::<StalledList>(&mut schemas);
    add::<RunBody>(&mut schemas);
    add::<RunSummary>(&mut schemas);
    add::<NotificationList>(&mut schemas);
    add::<FollowUpBody>(&mut schemas);
    add::<SnoozeBody>(&mut schemas);
    add::<Suppression>(&mut schemas);
    add::<ShownCurve>(&mut schemas);
    add::<Health>(&mut schemas);
    add::<Ready>(&mut schemas);
    let mut out: Map<String, Value> = schemas
        .into_iter()
        .map(|(name, schema)| {
            (
                name,
                serde_json::to_value(schema).expect("schemas serialise"),
            )
        })
        .collect();
    // Addresses are checked as email addresses (validator's rules).
    for (schema, property) in [
        ("NewUser", "email"),
        ("Magistrate", "email"),
        ("RequestFields", "coordinator_email"),
    ] {
        out[schema]["properties"][property]["format"] = json!("email");
    }
    // A record is one flat object: merge the flattened parts (which each
    // forbid unknown keys on input) into one closed object.
    let record = flatten_all_of(&out["MlaRequest"], &out);
    out.insert("MlaRequest".into(), record);
    out.insert(
        "NewRequest".into(),
        new_request_schema(&out["RequestFields"]),
    );
    out.insert(
        "RequestPatch".into(),
        request_patch_schema(&out["RequestFields"], &out["Magistrate"]),
    );
    out.insert(
        "CountriesTable".into(),
        table_schema("countries", &stats::countries::COLUMNS),
    );
    out.insert(
        "AbandonmentReasonsTable".into(),
        table_schema(
            "countries",
            &stats::reasons::columns(crate::stats::aggregates::Closure::Abandoned),
        ),
    );
    out.insert(
        "RefusalGroundsTable".into(),
        table_schema(
            "countries",
            &stats::reasons::columns(crate::stats::aggregates::Closure::Refused),
        ),
    );
    out.insert(
        "TimelineTable".into(),
        table_schema("buckets", &stats::timeline::COLUMNS),
    );
    out.insert("ResponseCurves".into(), response_curves_schema());
    out
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

/// `POST /requests`: the descriptive fields, plus the reference (generated
/// when left out) and, to log a request already sent, `status: sent` with
/// `sent_at`. `null` means "not given".
fn new_request_schema(fields: &Value) -> Value {
    let mut schema = fields.clone();
    let properties = schema["properties"].as_object_mut().expect("an object");
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
    schema
}

/// `PATCH /requests/{id}`: a JSON merge patch over the descriptive fields:
/// any subset; `null` clears an optional field.
fn request_patch_schema(fields: &Value, magistrate: &Value) -> Value {
    let mut schema = fields.clone();
    schema["required"] = json!([]);
    // The magistrate merges key by key too.
    let mut partial = magistrate.clone();
    partial["required"] = json!([]);
    schema["properties"]["issuing_magistrate"] = partial;
    schema
}

/// A statistics table: `{as_of, sent_from, sent_to, suppression, <rows>:
/// [...], totals}`; each row holds `columns` (the totals lack the label
/// columns). Hidden figures are `null` and named in `suppressed`.
fn table_schema(rows_key: &str, columns: &[&str]) -> Value {
    let column = |name: &str| -> Value {
        match name {
            "country" => CountryCode::schema_json(),
            "country_name" | "bucket" => json!({"type": "string"}),
            "suppressed" => json!({"type": "array", "items": {"type": "string", "enum": columns}}),
            n if n.ends_with("_not_reached") => json!({"type": ["boolean", "null"]}),
            n if n.ends_with("_rate") || n.starts_with("unanswered_share") => {
                json!({"type": ["number", "null"], "minimum": 0, "maximum": 1})
            }
            _ => json!({"type": ["integer", "null"], "minimum": 0}),
        }
    };
    let labels = ["country", "country_name", "bucket"];
    let row = |with_labels: bool| -> Value {
        let names: Vec<&str> = columns
            .iter()
            .copied()
            .filter(|c| with_labels || !labels.contains(c))
            .collect();
        let properties: Map<String, Value> =
            names.iter().map(|n| (n.to_string(), column(n))).collect();
        json!({"type": "object", "properties": properties, "required": names,
               "additionalProperties": false})
    };
    json!({
        "type": "object",
        "required": ["as_of", "sent_from", "sent_to", "suppression", rows_key, "totals"],
        "additionalProperties": false,
        "properties": {
            "as_of": {"type": "string", "format": "date"},
            "sent_from": {"type": ["string", "null"], "format": "date"},
            "sent_to": {"type": ["string", "null"], "format": "date"},
            "suppression": {"$ref": "#/components/schemas/Suppression"},
            rows_key: {"type": "array", "items": row(true)},
            "totals": row(false),
        }
    })
}

fn response_curves_schema() -> Value {
    json!({
        "type": "object",
        "required": ["as_of", "sent_from", "sent_to", "suppression", "countries", "all_countries"],
        "additionalProperties": false,
        "properties": {
            "as_of": {"type": "string", "format": "date"},
            "sent_from": {"type": ["string", "null"], "format": "date"},
            "sent_to": {"type": ["string", "null"], "format": "date"},
            "suppression": {"$ref": "#/components/schemas/Suppression"},
            "countries": {"type": "array", "items": {"$ref": "#/components/schemas/ShownCurve"}},
            "all_countries": {
                "type": "object",
                "description": "The pooled curve: a ShownCurve without `country`",
                "required": ["country_name", "curve", "suppressed"],
                "properties": {
                    "country_name": {"type": "string"},
                    "curve": {"type": ["array", "null"], "items": {"$ref": "#/components/schemas/ShownStep"}},
                    "suppressed": {"type": "array", "items": {"type": "string"}},
                },
                "additionalProperties": false,
            },
        }
    })
}

/// A schema as JSON.
trait SchemaJson {
    fn schema_json() -> Value;
}

impl<T: PartialSchema> SchemaJson for T {
    fn schema_json() -> Value {
        serde_json::to_value(T::schema()).expect("schemas serialise")
    }
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

// --- Operations ---------------------------------------------------------------

/// Who may call an operation.
#[derive(Clone, Copy, PartialEq)]
enum Access {
    /// No token (probes, this document).
    Public,
    /// Any valid token.
    AnyRole,
    /// Some roles; the others get 403.
    Roles(&'static [Role]),
}

const READ_CASES: Access = Access::Roles(&[Role::Admin, Role::Coordinator, Role::Clerk]);
const WRITE_CASES: Access = Access::Roles(&[Role::Admin, Role::Coordinator, Role::Clerk]);
const ADMIN: Access = Access::Roles(&[Role::Admin]);
const RUN_ALERTS: Access = Access::Roles(&[Role::Admin, Role::Coordinator]);

/// One operation: what it takes and what it answers. The error statuses are
/// derived from these facts in [`Op::render`].
struct Op {
    method: &'static str,
    path: &'static str,
    id: &'static str,
    tag: &'static str,
    summary: &'static str,
    access: Access,
    /// `{id}` in the path names a record: 404 when there is none.
    by_id: bool,
    params: Vec<Value>,
    /// The JSON body's schema (400 malformed, 408, 413, 415, 422).
    body: Option<Value>,
    /// 422 for bad query parameters.
    validates_query: bool,
    /// Further statuses the operation's own rules produce, with why.
    extra: Vec<(u16, &'static str)>,
    /// Success: status, description, content (media type → schema), headers.
    ok: (
        u16,
        &'static str,
        Vec<(&'static str, Value)>,
        Vec<&'static str>,
    ),
    links: Value,
}

impl Op {
    fn new(method: &'static str, path: &'static str, id: &'static str, tag: &'static str) -> Op {
        Op {
            method,
            path,
            id,
            tag,
            summary: "",
            access: Access::AnyRole,
            by_id: path.contains("{id}"),
            params: Vec::new(),
            body: None,
            validates_query: false,
            extra: Vec::new(),
            ok: (200, "OK", Vec::new(), Vec::new()),
            links: json!({}),
        }
    }
    fn summary(mut self, s: &'static str) -> Op {
        self.summary = s;
        self
    }
    fn access(mut self, a: Access) -> Op {
        self.access = a;
        self
    }
    fn query(mut self, params: Vec<Value>) -> Op {
        self.validates_query = true;
        self.params.extend(params);
        self
    }
    fn header(mut self, p: Value) -> Op {
        self.params.push(p);
        self
    }
    fn body(mut self, schema: Value) -> Op {
        self.body = Some(schema);
        self
    }
    fn extra(mut self, status: u16, why: &'static str) -> Op {
        self.extra.push((status, why));
        self
    }
    fn ok_json(self, status: u16, why: &'static str, schema: Value) -> Op {
        self.ok_as(status, why, vec![("application/json", schema)])
    }
    fn ok_as(mut self, status: u16, why: &'static str, content: Vec<(&'static str, Value)>) -> Op {
        self.ok = (status, why, content, Vec::new());
        self
    }
    fn ok_headers(mut self, headers: Vec<&'static str>) -> Op {
        self.ok.3 = headers;
        self
    }
    fn links(mut self, links: Value) -> Op {
        self.links = links;
        self
    }

    /// The OpenAPI operation object.
    fn render(&self) -> Value {
        let mut params = self.params.clone();
        if self.by_id {
            params.insert(
                0,
                json!({"name": "id", "in": "path", "required": true,
                       "schema": {"type": "string", "format": "uuid"},
                       "description": "The record's id; anything that is not one of its ids is a 404"}),
            );
        }
        let mut responses = Map::new();
        let (status, why, content, headers) = &self.ok;
        let mut ok = json!({"description": why});
        if !content.is_empty() {
            ok["content"] = content
                .iter()
                .map(|(media, schema)| (media.to_string(), json!({"schema": schema})))
                .collect::<Map<_, _>>()
                .into();
        }
        if !headers.is_empty() {
            ok["headers"] = headers
                .iter()
                .map(|h| (h.to_string(), header(h)))
                .collect::<Map<_, _>>()
                .into();
        }
        if self.links.as_object().is_some_and(|l| !l.is_empty()) {
            ok["links"] = self.links.clone();
        }
        responses.insert(status.to_string(), ok);
        for (status, why) in self.errors() {
            let mut r = json!({"description": why,
                "content": {"application/json": {"schema": schema_ref("Error")}}});
            match status {
                401 => r["headers"] = json!({"WWW-Authenticate": header("WWW-Authenticate")}),
                429 | 503 => r["headers"] = json!({"Retry-After": header("Retry-After")}),
                405 => r["headers"] = json!({"Allow": header("Allow")}),
                _ => {}
            }
            responses.insert(status.to_string(), r);
        }
        let mut op = json!({
            "operationId": self.id,
            "tags": [self.tag],
            "summary": self.summary,
            "parameters": params,
            "responses": responses,
        });
        if self.access == Access::Public {
            op["security"] = json!([]);
        } else {
            op["security"] = json!([{"bearer": []}]);
        }
        if let Some(body) = &self.body {
            op["requestBody"] = json!({"required": true,
                "content": {"application/json": {"schema": body}}});
        }
        op
    }

    /// Every error status the operation can answer, with why.
    fn errors(&self) -> BTreeMap<u16, String> {
        let mut out = BTreeMap::new();
        let mut add = |status: u16, why: &str| {
            out.entry(status)
                .and_modify(|w: &mut String| {
                    w.push_str("; ");
                    w.push_str(why)
                })
                .or_insert_with(|| why.to_string());
        };
        if self.access != Access::Public {
            add(401, "No valid bearer token");
            add(
                429,
                "Too many failed authentications from this address: refused until Retry-After seconds have passed",
            );
        }
        if let Access::Roles(roles) = self.access {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            add(403, &format!("Only for {}", names.join(", ")));
        }
        if self.by_id {
            add(400, "The path is not valid UTF-8 once decoded");
            add(404, "No record with this id");
        }
        if self.body.is_some() {
            add(400, "The body is not a JSON object");
            add(408, "The body did not arrive in time");
            add(413, "The body is larger than server.body_limit_bytes");
            add(415, "The body is not JSON (Content-Type)");
            add(422, "Some fields are invalid: `error.fields` names each");
        }
        if self.validates_query {
            add(
                422,
                "Some query parameters are invalid: `error.fields` names each",
            );
        }
        for (status, why) in &self.extra {
            add(*status, why);
        }
        // Every operation but the liveness probe and this document reaches
        // the database (the token lookup, at least).
        if !matches!(self.id, "healthz" | "getOpenApi") {
            add(
                503,
                "The database is unavailable or cannot store; retry after Retry-After seconds",
            );
        }
        out
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
        "Content-Disposition" => (json!({"type": "string"}), "The CSV's file name"),
        _ => (json!({"type": "string"}), ""),
    };
    json!({"required": true, "description": why, "schema": schema})
}

fn query(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": schema,
           "description": description})
}

/// A repeatable query parameter (`?status=sent&status=executed`; a
/// comma-separated list is accepted too).
fn query_list(name: &str, item: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "style": "form", "explode": true,
           "schema": {"type": "array", "items": item}, "description": description})
}

/// A free-text query value: NUL characters are refused (no database stores them).
fn text(max: usize) -> Value {
    json!({"type": "string", "maxLength": max, "pattern": "^[^\\u0000]*$"})
}

fn date() -> Value {
    json!({"type": "string", "format": "date"})
}

fn boolean() -> Value {
    json!({"type": "string", "enum": ["true", "false"]})
}

fn int_range(min: u64, max: u64) -> Value {
    json!({"type": "integer", "minimum": min, "maximum": max})
}

fn stats_params(with_format: bool) -> Vec<Value> {
    let mut p = vec![
        query(
            "sent_from",
            date(),
            "Only requests sent on or after this day",
        ),
        query(
            "sent_to",
            date(),
            "Only requests sent on or before this day (not before sent_from)",
        ),
        query(
            "as_of",
            date(),
            "The day the figures are computed as of (default today; not after today)",
        ),
        query_list(
            "offence",
            Offence::schema_json(),
            "Only requests about these offences",
        ),
        query_list(
            "legal_basis",
            LegalBasis::schema_json(),
            "Only requests under these bases",
        ),
        query_list(
            "channel",
            Channel::schema_json(),
            "Only requests sent through these channels",
        ),
        query_list(
            "country",
            CountryCode::schema_json(),
            "Only these target countries",
        ),
        query(
            "suppress",
            boolean(),
            "`true`: the published view (always so for analysts)",
        ),
    ];
    if with_format {
        p.push(query(
            "format",
            json!({"type": "string", "enum": ["json", "csv"]}),
            "`csv` (or `Accept: text/csv`) for CSV",
        ));
    }
    p
}

fn table_content(schema: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("application/json", schema_ref(schema)),
        ("text/csv", json!({"type": "string"})),
    ]
}

fn id_link(operation: &str) -> (String, Value) {
    (
        operation.to_string(),
        json!({"operationId": operation, "parameters": {"id": "$response.body#/id"}}),
    )
}

/// The links from a response that carries a request record.
fn request_links() -> Value {
    let ops = [
        "getRequest",
        "patchRequest",
        "transitionRequest",
        "addNote",
        "listEvents",
        "addFollowUp",
        "snoozeRequest",
        "unsnoozeRequest",
    ];
    let mut links: Map<String, Value> = ops.iter().map(|o| id_link(o)).collect();
    links.insert(
        "patchRequest".into(),
        json!({"operationId": "patchRequest", "parameters": {
            "id": "$response.body#/id", "If-Match": "$response.header.ETag"}}),
    );
    links.into()
}

/// The links from a page of requests, through its first item.
fn first_item_links() -> Value {
    ["getRequest", "listEvents", "addNote", "transitionRequest"]
        .iter()
        .map(|op| {
            (
                op.to_string(),
                json!({"operationId": op, "parameters": {"id": "$response.body#/items/0/id"}}),
            )
        })
        .collect::<Map<_, _>>()
        .into()
}

/// Every operation the API answers.
fn operations() -> Vec<Op> {
    let request = || schema_ref("MlaRequest");
    let event = || schema_ref("Event");
    let if_match = |required: bool| {
        json!({"name": "If-Match", "in": "header", "required": required,
               "schema": {"type": "string", "pattern": "^[\\t ]*(W/)?\"*[0-9]{1,9}\"*[\\t ]*$"},
               "description": "The ETag of the version edited (`\"<version>\"`)"})
    };
    vec![
        Op::new("get", "/healthz", "healthz", "health")
            .summary("Liveness: the process answers")
            .access(Access::Public)
            .ok_json(200, "Alive", schema_ref("Health")),
        Op::new("get", "/readyz", "readyz", "health")
            .summary("Readiness: the database answers")
            .access(Access::Public)
            .ok_json(200, "Ready", schema_ref("Ready")),
        Op::new("get", "/openapi.json", "getOpenApi", "meta")
            .summary("This document (no case data; no token needed)")
            .access(Access::Public)
            .ok_json(200, "The OpenAPI 3.1 document", json!({"type": "object"})),
        Op::new("get", "/meta/vocabularies", "getVocabularies", "meta")
            .summary("Every vocabulary and the transition table")
            .ok_json(200, "The vocabularies", schema_ref("Vocabularies")),
        Op::new("get", "/requests", "listRequests", "requests")
            .summary("A page of requests, filtered and sorted")
            .access(READ_CASES)
            .query(vec![
                query_list("status", Status::schema_json(), "Only these statuses"),
                query(
                    "country",
                    CountryCode::schema_json(),
                    "Only this target country",
                ),
                query("priority", Priority::schema_json(), "Only this priority"),
                query(
                    "legal_basis",
                    LegalBasis::schema_json(),
                    "Only this legal basis",
                ),
                query(
                    "q",
                    text(200),
                    "Words in the reference, case reference, title or foreign reference",
                ),
                query("sent_from", date(), "Sent on or after"),
                query(
                    "sent_to",
                    date(),
                    "Sent on or before (not before sent_from)",
                ),
                query(
                    "sort",
                    json!({"type": "string", "enum": [
                        "status_since", "-status_since", "sent_at", "-sent_at",
                        "created_at", "-created_at", "reference", "-reference"]}),
                    "Sort key, `-` for descending (default -created_at)",
                ),
                query("limit", int_range(1, 200), "Page size (default 50)"),
                query(
                    "cursor",
                    text(1000),
                    "`next_cursor` of the previous page, same sort",
                ),
            ])
            .extra(400, "The cursor is malformed or belongs to another sort")
            .ok_json(200, "A page", schema_ref("Page"))
            .links(first_item_links()),
        Op::new("post", "/requests", "createRequest", "requests")
            .summary("Register a request (a draft, or one already sent)")
            .access(WRITE_CASES)
            .body(schema_ref("NewRequest"))
            .extra(409, "The reference is taken")
            .ok_json(201, "Created", request())
            .ok_headers(vec!["ETag", "Location"])
            .links(request_links()),
        Op::new("get", "/requests/{id}", "getRequest", "requests")
            .summary("One request")
            .access(READ_CASES)
            .ok_json(200, "The request", request())
            .ok_headers(vec!["ETag"]),
        Op::new("patch", "/requests/{id}", "patchRequest", "requests")
            .summary("Change descriptive fields (JSON merge patch)")
            .access(WRITE_CASES)
            .header(if_match(true))
            .body(schema_ref("RequestPatch"))
            .extra(400, "If-Match is not an ETag of this API")
            .extra(
                412,
                "The record changed since that version: `error.current_version`",
            )
            .extra(428, "If-Match is missing")
            .ok_json(200, "The changed request", request())
            .ok_headers(vec!["ETag"]),
        Op::new(
            "post",
            "/requests/{id}/transitions",
            "transitionRequest",
            "requests",
        )
        .summary("Move the request to another status")
        .access(WRITE_CASES)
        .header(if_match(false))
        .body(schema_ref("TransitionCommand"))
        .extra(400, "If-Match is not an ETag of this API")
        .extra(409, "The status table does not allow it: `error.allowed`")
        .extra(412, "The record changed since the If-Match version")
        .ok_json(200, "The moved request", request())
        .ok_headers(vec!["ETag"]),
        Op::new("post", "/requests/{id}/notes", "addNote", "requests")
            .summary("Add a note to the history")
            .access(WRITE_CASES)
            .body(schema_ref("NoteBody"))
            .ok_json(201, "The note's event", event()),
        Op::new("get", "/requests/{id}/events", "listEvents", "requests")
            .summary("The request's history, oldest first")
            .access(READ_CASES)
            .ok_json(200, "The events", schema_ref("EventList")),
        Op::new("post", "/requests/{id}/follow-ups", "addFollowUp", "alerts")
            .summary("Record that we chased the requested state")
            .access(WRITE_CASES)
            .body(schema_ref("FollowUpBody"))
            .ok_json(201, "The follow-up's event", event()),
        Op::new("post", "/requests/{id}/snooze", "snoozeRequest", "alerts")
            .summary("Silence the request's alerts until a day")
            .access(WRITE_CASES)
            .body(schema_ref("SnoozeBody"))
            .extra(409, "The request is closed")
            .ok_json(201, "The snooze's event", event()),
        Op::new(
            "delete",
            "/requests/{id}/snooze",
            "unsnoozeRequest",
            "alerts",
        )
        .summary("Lift a snooze")
        .access(WRITE_CASES)
        .extra(409, "The request is not snoozed")
        .ok_json(200, "The event", event()),
        Op::new("get", "/users", "listUsers", "users")
            .summary("Every user")
            .access(ADMIN)
            .ok_json(200, "The users", schema_ref("UserList")),
        Op::new("post", "/users", "createUser", "users")
            .summary("Create a user and their token")
            .access(ADMIN)
            .body(schema_ref("NewUser"))
            .extra(409, "A user with this email exists")
            .ok_json(
                201,
                "The user and their token, shown once",
                schema_ref("CreatedUser"),
            )
            .ok_headers(vec!["Location"]),
        Op::new("delete", "/users/{id}", "deactivateUser", "users")
            .summary("Deactivate a user (their token stops working)")
            .access(ADMIN)
            .extra(409, "The last active admin")
            .ok_json(200, "The deactivated user", schema_ref("User")),
        Op::new("post", "/users/{id}/tokens", "rotateToken", "users")
            .summary("Give an active user a new token (the old one stops working)")
            .access(ADMIN)
            .ok_json(200, "The new token, shown once", schema_ref("Token")),
        Op::new("get", "/alerts/rules", "getAlertRules", "alerts")
            .summary("The effective alert rules")
            .access(READ_CASES)
            .ok_json(200, "The rules", schema_ref("AlertRules")),
        Op::new("get", "/alerts/stalled", "listStalled", "alerts")
            .summary("Stalled requests, most overdue first")
            .access(READ_CASES)
            .query(vec![
                query(
                    "country",
                    CountryCode::schema_json(),
                    "Only this target country",
                ),
                query("level", int_range(1, 9), "At least this alert level"),
                query("include_snoozed", boolean(), "Include snoozed requests"),
                query(
                    "limit",
                    int_range(1, 5000),
                    "At most this many (default 200)",
                ),
            ])
            .ok_json(200, "The stalled requests", schema_ref("StalledList")),
        Op::new("post", "/alerts/run", "runAlerts", "alerts")
            .summary("Run the alert scan now and send what is due")
            .access(RUN_ALERTS)
            .body(schema_ref("RunBody"))
            .ok_json(200, "What the run found and did", schema_ref("RunSummary")),
        Op::new(
            "get",
            "/alerts/notifications",
            "listNotifications",
            "alerts",
        )
        .summary("Notifications with their delivery state")
        .access(RUN_ALERTS)
        .query(vec![query(
            "state",
            json!({"type": "string", "enum": ["pending", "sent", "failed"]}),
            "Only notifications whose digest is in this state",
        )])
        .ok_json(200, "The notifications", schema_ref("NotificationList")),
        Op::new("get", "/stats/countries", "statsCountries", "statistics")
            .summary("Per country: counts, response rate, Kaplan–Meier medians and shares")
            .query(stats_params(true))
            .ok_as(200, "The table", table_content("CountriesTable"))
            .ok_headers(vec![]),
        Op::new(
            "get",
            "/stats/abandonment-reasons",
            "statsAbandonmentReasons",
            "statistics",
        )
        .summary("Per country: abandoned requests by reason")
        .query(stats_params(true))
        .ok_as(200, "The table", table_content("AbandonmentReasonsTable")),
        Op::new(
            "get",
            "/stats/refusal-grounds",
            "statsRefusalGrounds",
            "statistics",
        )
        .summary("Per country: refused requests by ground")
        .query(stats_params(true))
        .ok_as(200, "The table", table_content("RefusalGroundsTable")),
        Op::new("get", "/stats/timeline", "statsTimeline", "statistics")
            .summary("Per period of sending: counts and median days to a response")
            .query({
                let mut p = stats_params(true);
                p.push(query(
                    "bucket",
                    json!({"type": "string", "enum": ["year", "quarter", "month"]}),
                    "The period (default year)",
                ));
                p
            })
            .ok_as(200, "The table", table_content("TimelineTable")),
        Op::new(
            "get",
            "/stats/response-curves",
            "statsResponseCurves",
            "statistics",
        )
        .summary("Kaplan–Meier curves of the time to a first response")
        .query(stats_params(true))
        .ok_as(200, "The curves", table_content("ResponseCurves")),
        Op::new(
            "get",
            "/stats/charts/response-rates.svg",
            "chartResponseRates",
            "statistics",
        )
        .summary("Chart: countries by share unanswered after 365 days")
        .query(stats_params(false))
        .ok_as(
            200,
            "An SVG chart",
            vec![("image/svg+xml", json!({"type": "string"}))],
        ),
        Op::new(
            "get",
            "/stats/charts/response-curves.svg",
            "chartResponseCurves",
            "statistics",
        )
        .summary("Chart: response curves of the countries asked for (or the five largest)")
        .query(stats_params(false))
        .ok_as(
            200,
            "An SVG chart",
            vec![("image/svg+xml", json!({"type": "string"}))],
        ),
    ]
}

/// The `(METHOD, path)` of every documented operation, paths in full.
pub fn documented_operations() -> Vec<(String, String)> {
    operations()
        .iter()
        .map(|op| (op.method.to_uppercase(), full_path(op.path)))
        .collect()
}

fn full_path(path: &str) -> String {
    if matches!(path, "/healthz" | "/readyz") {
        path.to_string()
    } else {
        format!("{API_PREFIX}{path}")
    }
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in operations() {
        let item = paths.entry(full_path(op.path)).or_insert_with(|| json!({}));
        item[op.method] = op.render();
    }
    let schemas = components();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "mla-tracker",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Tracks outgoing international mutual legal assistance requests and raises the alarm when they stall. Every error is `{\"error\": {\"code\", \"message\", ...}}`.",
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "tags": [
            {"name": "requests"}, {"name": "alerts"}, {"name": "users"},
            {"name": "statistics"}, {"name": "meta"}, {"name": "health"},
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "mla_<base64url>",
                           "description": "A user's token (`mla-tracker user add`, `POST /users`)"},
            },
        },
    })
}
