//! The register read out whole for an export: every request a list's
//! filters select, in the list's order, one page at a time, so that the
//! caller holds a page, never the register.

use super::{Result, Services};
use crate::db::pool::Db;
use crate::db::requests::{self as store, Filters, PageQuery, SortKey};
use crate::domain::request::MlaRequest;

/// How many requests an export reads at a time: few enough to hold (a few
/// megabytes), many enough that a million rows take a thousand queries.
pub const EXPORT_PAGE_SIZE: i64 = 1000;

/// The pages of an export, read on demand ([`RegisterPages::next_page`]).
///
/// Each page is its own read, seeking past the last row of the one before
/// (the list's keyset pagination): a request is never read twice, and one
/// present from start to end is never missed — unless a move changes its
/// place in the order while the export runs (under `status_since`).
pub struct RegisterPages {
    db: Db,
    query: PageQuery,
    done: bool,
}

impl Services {
    /// The requests `filters` select, sorted by `sort`, page after page.
    pub fn register_pages(
        &self,
        filters: Filters,
        sort: SortKey,
        descending: bool,
    ) -> RegisterPages {
        RegisterPages {
            db: self.db.clone(),
            query: PageQuery {
                filters,
                sort,
                descending,
                limit: EXPORT_PAGE_SIZE,
                after: None,
            },
            done: false,
        }
    }
}

impl RegisterPages {
    /// The next page, never empty; `None` once every request is read.
    pub async fn next_page(&mut self) -> Result<Option<Vec<MlaRequest>>> {
        if self.done {
            return Ok(None);
        }
        let query = self.query.clone();
        let (items, next) = self.db.read(move |conn| store::page(conn, &query)).await?;
        match next.and_then(|position| position.start(self.query.sort)) {
            Some(after) => self.query.after = Some(after),
            None => self.done = true,
        }
        Ok((!items.is_empty()).then_some(items))
    }
}
