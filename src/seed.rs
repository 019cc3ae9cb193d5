//! placeholder
pub fn run(_db: &crate::db::Db, _n: u64, _seed: u64) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
