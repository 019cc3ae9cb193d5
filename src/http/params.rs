//! Query strings into typed parameters, one extractor for every endpoint.
//!
//! An endpoint declares its parameters as a struct deriving `Deserialize`
//! (how values parse) and `IntoParams` (how the OpenAPI document shows
//! them), and takes [`Params<T>`]. The document's description of the
//! parameters is also what the extractor reads: it knows the names an
//! endpoint accepts and which are lists (`status=sent&status=executed`, or
//! `status=sent,executed`). Every bad parameter is named at once in a 422:
//! an unknown name, an empty list, a value that does not parse (each value
//! of a list on its own), NUL characters, and the rules between fields
//! ([`QueryParams::check`]). Values are trimmed; when a single-valued
//! parameter is repeated, the last one counts. A list takes at most
//! [`MAX_LIST_VALUES`] values, repeated ones included (the document says
//! so as `maxItems`), and its repeated values are then dropped: each value
//! is one more test in the database's query, and SQLite refuses a query
//! past 1,000 of them.

use std::any::TypeId;
use std::collections::{BTreeMap, HashMap};
use std::future::{Ready, ready};
use std::sync::{Arc, OnceLock, RwLock};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use utoipa::IntoParams;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::{RefOr, Schema, schema};

use super::error::ApiError;
use super::state::AppState;
use crate::domain::FieldErrors;

/// The most values one list parameter takes, repeated ones included.
pub const MAX_LIST_VALUES: usize = 100;

/// The parameters of one endpoint, or a tuple of groups of them.
pub trait QueryParams: Sized {
    /// Every parameter, as the OpenAPI document describes it.
    fn parameters() -> Vec<Parameter>;

    /// Builds the value from the accepted parameters, already split into
    /// strings (single values) and arrays of strings (lists).
    fn from_map(map: &Map<String, Value>) -> Result<Self, serde_json::Error>;

    /// What an unknown parameter is told.
    fn unknown() -> &'static str;

    /// Names accepted only to be refused, with why (e.g. `format` on a
    /// chart, which is SVG only).
    fn refused(_name: &str) -> Option<&'static str> {
        None
    }

    /// Rules between fields (a period's order, a date not after `today`),
    /// checked once every value has parsed.
    fn check(&self, _today: NaiveDate, _errors: &mut FieldErrors) {}
}

/// A group of parameters declared by a struct: `impl QueryParams for T`
/// through this, saying what an unknown name is told and, optionally, the
/// rules between its fields.
pub trait ParamGroup: DeserializeOwned + IntoParams {
    /// What an unknown parameter is told.
    const UNKNOWN: &'static str;

    fn refused(_name: &str) -> Option<&'static str> {
        None
    }

    fn check(&self, _today: NaiveDate, _errors: &mut FieldErrors) {}
}

impl<T: ParamGroup> QueryParams for T {
    fn parameters() -> Vec<Parameter> {
        T::into_params(|| Some(ParameterIn::Query))
    }

    /// The other groups' names are ignored (no `deny_unknown_fields`):
    /// [`parse`] has already refused the names no group declares.
    fn from_map(map: &Map<String, Value>) -> Result<Self, serde_json::Error> {
        serde_json::from_value(Value::Object(map.clone()))
    }

    fn unknown() -> &'static str {
        T::UNKNOWN
    }

    fn refused(name: &str) -> Option<&'static str> {
        T::refused(name)
    }

    fn check(&self, today: NaiveDate, errors: &mut FieldErrors) {
        ParamGroup::check(self, today, errors)
    }
}

/// Groups side by side (the statistics' filters and a table's format):
/// each takes its own names; the first group says what an unknown one is
/// told.
impl<A: QueryParams, B: QueryParams> QueryParams for (A, B) {
    fn parameters() -> Vec<Parameter> {
        let mut all = A::parameters();
        all.extend(B::parameters());
        all
    }

    fn from_map(map: &Map<String, Value>) -> Result<Self, serde_json::Error> {
        Ok((A::from_map(map)?, B::from_map(map)?))
    }

    fn unknown() -> &'static str {
        A::unknown()
    }

    fn refused(name: &str) -> Option<&'static str> {
        A::refused(name).or_else(|| B::refused(name))
    }

    fn check(&self, today: NaiveDate, errors: &mut FieldErrors) {
        self.0.check(today, errors);
        self.1.check(today, errors);
    }
}

/// The parsed parameters of a request; a 422 naming each bad one otherwise.
pub struct Params<T>(pub T);

impl<T: QueryParams + 'static> FromRequest for Params<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let today = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.services.today().date)
            .unwrap_or_default();
        ready(
            parse::<T>(req.query_string(), today)
                .map(Params)
                .map_err(ApiError::Validation),
        )
    }
}

/// The names `T` accepts, each with whether it takes a list; read once per
/// type from its description (which builds every schema) and kept.
fn accepted<T: QueryParams + 'static>() -> Arc<BTreeMap<String, bool>> {
    type Cache = RwLock<HashMap<TypeId, Arc<BTreeMap<String, bool>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Cache::default);
    if let Some(names) = cache.read().expect("params cache").get(&TypeId::of::<T>()) {
        return names.clone();
    }
    let names: Arc<BTreeMap<String, bool>> = Arc::new(
        T::parameters()
            .into_iter()
            .map(|p| {
                let is_list = p.schema.as_ref().is_some_and(is_array);
                (p.name, is_list)
            })
            .collect(),
    );
    cache
        .write()
        .expect("params cache")
        .insert(TypeId::of::<T>(), names.clone());
    names
}

/// Parses `query` for `T`, naming every bad parameter.
pub fn parse<T: QueryParams + 'static>(query: &str, today: NaiveDate) -> Result<T, FieldErrors> {
    let accepted = accepted::<T>();
    let mut errors = FieldErrors::default();
    let mut map = Map::new();
    // How many values each list was given, repeated ones included.
    let mut given: BTreeMap<String, usize> = BTreeMap::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = value.trim();
        if key.contains('\0') || value.contains('\0') {
            errors.add(key.replace('\0', ""), "must not contain NUL characters");
            continue;
        }
        if let Some(why) = T::refused(&key) {
            errors.add(key.to_string(), why);
            continue;
        }
        match accepted.get(key.as_ref()) {
            None => errors.add(key.to_string(), T::unknown()),
            Some(true) if value.is_empty() => errors.add(key.to_string(), "must not be empty"),
            Some(true) => {
                let items = map
                    .entry(key.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = items {
                    for part in value.split(',').map(str::trim) {
                        if part.is_empty() {
                            continue;
                        }
                        *given.entry(key.to_string()).or_default() += 1;
                        let part = Value::String(part.to_string());
                        if !items.contains(&part) {
                            items.push(part);
                        }
                    }
                }
            }
            Some(false) => {
                map.insert(key.to_string(), Value::String(value.to_string()));
            }
        }
    }
    for (key, count) in given {
        if count > MAX_LIST_VALUES {
            errors.add(
                key.clone(),
                format!("takes at most {MAX_LIST_VALUES} values ({count} given)"),
            );
            map.remove(&key);
        }
    }
    // Each value on its own, so that every bad one is named (serde stops at
    // the first); the bad ones are then left out, so the rules between
    // fields still see the good ones.
    let mut good = Map::new();
    for (key, value) in map {
        let singles: Vec<Value> = match &value {
            Value::Array(items) => items
                .iter()
                .map(|item| Value::Array(vec![item.clone()]))
                .collect(),
            other => vec![other.clone()],
        };
        let mut fine = true;
        for single in singles {
            let alone = Map::from_iter([(key.clone(), single)]);
            if let Err(e) = T::from_map(&alone) {
                errors.add(key.clone(), e.to_string());
                fine = false;
            }
        }
        if fine {
            good.insert(key, value);
        }
    }
    match T::from_map(&good) {
        Ok(parsed) => {
            parsed.check(today, &mut errors);
            errors.into_result().map(|()| parsed)
        }
        Err(e) => {
            // Every value parsed alone: a rule of the struct itself failed.
            errors.add("query", e.to_string());
            Err(errors)
        }
    }
}

fn is_array(schema: &RefOr<Schema>) -> bool {
    matches!(schema, RefOr::T(Schema::Array(_)))
        || matches!(schema, RefOr::T(Schema::Object(o))
            if o.schema_type == schema::SchemaType::Type(schema::Type::Array))
}

/// Deserialises a value through its `FromStr`, whose error message is the
/// one the client sees.
pub fn from_str<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}

/// `true` or `false`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flag(pub bool);

impl std::str::FromStr for Flag {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "true" => Ok(Flag(true)),
            "false" => Ok(Flag(false)),
            _ => Err("must be true or false"),
        }
    }
}

/// A whole number from 1 to `MAX`: a page or list size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit<const MAX: u32>(pub u32);

impl<const MAX: u32> std::str::FromStr for Limit<MAX> {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.parse::<u32>() {
            Ok(n) if (1..=MAX).contains(&n) => Ok(Limit(n)),
            _ => Err(format!("must be a whole number from 1 to {MAX}")),
        }
    }
}

macro_rules! deserialize_from_str {
    ($($ty:ty),+ $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                from_str(d)
            }
        }
    )+};
}
deserialize_from_str!(Flag);

impl<'de, const MAX: u32> serde::Deserialize<'de> for Limit<MAX> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_str(d)
    }
}

/// In the OpenAPI document: the two words.
impl utoipa::PartialSchema for Flag {
    fn schema() -> RefOr<Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(schema::Type::String)
            .enum_values(Some(["true", "false"]))
            .into()
    }
}

impl utoipa::ToSchema for Flag {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;

    /// Parameters of a made-up endpoint.
    #[derive(Debug, serde::Deserialize, IntoParams)]
    #[allow(dead_code)]
    struct Example {
        /// Repeatable.
        #[serde(default)]
        #[param(inline)]
        status: Vec<Status>,
        #[param(value_type = Option<u32>)]
        limit: Option<Limit<50>>,
        #[param(value_type = Option<String>)]
        from: Option<NaiveDate>,
        #[param(value_type = Option<String>)]
        to: Option<NaiveDate>,
    }

    impl ParamGroup for Example {
        const UNKNOWN: &'static str = "is not a filter of this list";
        fn check(&self, today: NaiveDate, errors: &mut FieldErrors) {
            if let (Some(from), Some(to)) = (self.from, self.to)
                && from > to
            {
                errors.add("to", "must not be before from");
            }
            if self.to.is_some_and(|to| to > today) {
                errors.add("to", "must not be after today");
            }
        }
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn lists_repeat_or_split_and_the_last_single_value_counts() {
        let p: Example = parse(
            "status=sent&status=acknowledged,%20executed&limit=3&limit=20",
            day("2026-06-15"),
        )
        .unwrap();
        assert_eq!(
            p.status,
            [Status::Sent, Status::Acknowledged, Status::Executed]
        );
        assert_eq!(p.limit, Some(Limit(20)));
    }

    #[test]
    fn every_bad_parameter_is_named_with_every_reason() {
        let errors = parse::<Example>(
            "status=lost,sent,gone&limit=500&colour=red&from=2026-06-01&to=2026-05-01&x%00=1",
            day("2026-06-15"),
        )
        .unwrap_err();
        let keys: Vec<_> = errors.0.keys().cloned().collect();
        assert_eq!(keys, ["colour", "limit", "status", "to", "x"]);
        assert_eq!(errors.0["status"].len(), 2, "{errors:?}");
        assert!(errors.0["status"][0].contains("unknown status `lost`"));
        assert_eq!(errors.0["limit"], ["must be a whole number from 1 to 50"]);
        assert_eq!(errors.0["colour"], ["is not a filter of this list"]);
        assert_eq!(errors.0["to"], ["must not be before from"]);
        assert_eq!(errors.0["x"], ["must not contain NUL characters"]);
    }

    #[test]
    fn a_list_takes_at_most_the_cap_and_counts_a_repeated_value_once() {
        let p: Example = parse("status=sent&status=sent,sent", day("2026-06-15")).unwrap();
        assert_eq!(p.status, [Status::Sent]);
        let many = vec!["status=sent"; MAX_LIST_VALUES + 1].join("&");
        let errors = parse::<Example>(&many, day("2026-06-15")).unwrap_err();
        assert_eq!(
            errors.0["status"],
            [format!(
                "takes at most {MAX_LIST_VALUES} values ({} given)",
                MAX_LIST_VALUES + 1
            )]
        );
    }

    #[test]
    fn an_empty_list_is_refused_and_rules_see_today() {
        let errors = parse::<Example>("status=&to=2026-07-01", day("2026-06-15")).unwrap_err();
        assert_eq!(errors.0["status"], ["must not be empty"]);
        assert_eq!(errors.0["to"], ["must not be after today"]);
    }
}
