//! SQL fragments diesel does not provide, rendered for each backend: a
//! list of ids bound as one value, and a mark on the statements PostgreSQL
//! must plan with their values.

use diesel::QueryResult;
use diesel::expression::{AppearsOnTable, Expression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Bool, Text};
use diesel::sqlite::Sqlite;

use super::MultiBackend;

/// `column IN (ids)` with the ids bound as one JSON array, so the statement
/// reads the same whatever their number and each connection prepares it
/// once. diesel's `eq_any` binds each id, and a statement with a varying
/// number of binds is never cached: SQLite parsed and planned it again at
/// every call, a quarter of the time of a read by id.
pub fn one_of<C>(column: C, ids: &[String]) -> OneOf<C> {
    OneOf {
        column,
        ids: serde_json::to_string(ids).expect("strings serialise"),
    }
}

/// See [`one_of`].
#[derive(Debug, Clone)]
pub struct OneOf<C> {
    column: C,
    /// The ids, as a JSON array of strings.
    ids: String,
}

impl<C: Expression<SqlType = Text>> Expression for OneOf<C> {
    type SqlType = Bool;
}

impl<C: AppearsOnTable<QS>, QS> AppearsOnTable<QS> for OneOf<C> where Self: Expression {}

impl<C: ValidGrouping<G>, G> ValidGrouping<G> for OneOf<C> {
    type IsAggregate = C::IsAggregate;
}

/// The text of the statement depends on the column alone: it may be
/// cached under the column's type.
impl<C: QueryId> QueryId for OneOf<C> {
    type QueryId = OneOf<C::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = C::HAS_STATIC_QUERY_ID;
}

impl<C: QueryFragment<Sqlite>> QueryFragment<Sqlite> for OneOf<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<Text, _>(&self.ids)?;
        out.push_sql("))");
        Ok(())
    }
}

impl<C: QueryFragment<Pg>> QueryFragment<Pg> for OneOf<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        // An array made once, not a subquery: with `IN (SELECT …)` the
        // planner guessed a hundred ids and scanned the whole table.
        out.push_sql(" = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(");
        out.push_bind_param::<Text, _>(&self.ids)?;
        out.push_sql(" AS jsonb))))");
        Ok(())
    }
}

impl<C> QueryFragment<MultiBackend> for OneOf<C>
where
    Self: QueryFragment<Pg> + QueryFragment<Sqlite>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        MultiBackend::walk_variant_ast(self, pass)
    }
}

/// A condition that always holds, for a statement whose best plan depends
/// on its values — a LIKE pattern that the search index can narrow, a
/// cursor, a filter that leaves few rows or most of them. PostgreSQL keeps
/// a prepared statement's plan once five runs suggest a generic one is as
/// good, and a generic plan cannot see a pattern or a cursor: it may walk
/// an index in sort order through a million rows to find the two a search
/// matches. A statement carrying this is never kept prepared on
/// PostgreSQL, so each run is planned with its values. SQLite, which plans
/// every run afresh anyway, keeps the statement prepared.
pub fn planned_with_values() -> PlannedWithValues {
    PlannedWithValues
}

/// See [`planned_with_values`].
#[derive(Debug, Clone, Copy, QueryId)]
pub struct PlannedWithValues;

impl Expression for PlannedWithValues {
    type SqlType = Bool;
}

impl<QS> AppearsOnTable<QS> for PlannedWithValues {}

impl<G> ValidGrouping<G> for PlannedWithValues {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl QueryFragment<Sqlite> for PlannedWithValues {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("TRUE");
        Ok(())
    }
}

impl QueryFragment<Pg> for PlannedWithValues {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("TRUE");
        Ok(())
    }
}

impl QueryFragment<MultiBackend> for PlannedWithValues {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        MultiBackend::walk_variant_ast(self, pass)
    }
}
