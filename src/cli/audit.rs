//! `mla-tracker audit verify`: walks every chain of the history with a
//! progress bar and prints what it found.

/// `audit verify` ended on a broken chain or a record its history does not
/// replay to (the binary exits 1 on it, and 2 on any other error): how
/// many of each.
#[derive(Debug, thiserror::Error)]
#[error(
    "the history does not verify: {0} broken chain(s), {1} record(s) differing from their history"
)]
pub struct Broken(pub u64, pub u64);

/// `audit verify` over `conn`: walks with a progress bar on
/// stderr (a line per tenth when stderr is not a terminal), prints the
/// summary on stdout (text, or the [`Report`] as JSON).
pub fn verify(
    conn: &mut crate::db::DbConnection,
    chunk: i64,
    json: bool,
) -> anyhow::Result<crate::audit::Report> {
    use std::io::IsTerminal;
    let total = crate::audit::count_records(conn)?.max(0) as u64;
    let started = std::time::Instant::now();
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "verifying {bar:40} {pos}/{len} requests and cases ({per_sec}, {eta} left)",
            )
            .expect("a valid template"),
        );
        Some(bar)
    } else {
        None
    };
    let mut next_line = total / 10;
    let report = crate::audit::verify(conn, chunk.max(1), |done| match &bar {
        Some(bar) => bar.set_position(done),
        None if total >= 100_000 && done >= next_line && done < total => {
            eprintln!("verified {done} of {total} requests and cases");
            next_line += total / 10;
        }
        None => {}
    })
    .map_err(|e| anyhow::anyhow!("cannot read the history: {e}"))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(report);
    }
    println!(
        "checked {} request(s) and {} event(s), {} case(s) and {} event(s) in {:.1} s",
        report.requests,
        report.events,
        report.cases,
        report.case_events,
        started.elapsed().as_secs_f64()
    );
    if report.intact() {
        println!("intact: every chain checks out");
    }
    if report.differing > 0 {
        println!(
            "DIFFERS: {} record(s) are not what their history records",
            report.differing
        );
        if let Some(first) = report.differences.first() {
            println!("first difference: {first}");
        }
        for more in report.differences.iter().skip(1) {
            println!("  also: {more}");
        }
        if report.differing > report.differences.len() as u64 {
            println!(
                "  ... and {} more",
                report.differing - report.differences.len() as u64
            );
        }
    }
    if report.broken > 0 {
        println!("BROKEN: {} chain(s) do not check out", report.broken);
        if let Some(first) = report.breaks.first() {
            println!("first broken link: {first}");
        }
        for more in report.breaks.iter().skip(1) {
            println!("  also: {more}");
        }
        if report.broken > report.breaks.len() as u64 {
            println!(
                "  ... and {} more",
                report.broken - report.breaks.len() as u64
            );
        }
    }
    Ok(report)
}
