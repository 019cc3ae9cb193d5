//! Statistics over the register, as `../shared/DESIGN.md` ("Statistics")
//! defines them. Pure computation: no HTTP, no database. The service feeds
//! these estimators with counts aggregated in SQL.

pub mod countries;
pub mod km;
pub mod suppress;
