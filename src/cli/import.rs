//! `mla-tracker import FILE`: a spreadsheet into the register, through the
//! same service as `POST /api/v1/imports`, with a progress bar on the
//! terminal and the report as sentences (or JSON).
//!
//! Exit code: 0 when every row imported (or, in a dry run, would import)
//! as it is; 1 when rows have problems, whether the others were written
//! (`--skip-invalid`) or not; 2 when the file or the command could not be
//! used at all.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use super::open;
use super::support::block_on;
use crate::config::Settings;
use crate::db::open::Open;
use crate::domain::Role;
use crate::services::imports::{
    ImportError, ImportFile, ImportOptions, ImportProgress, ImportReport, Mapping,
};

/// Rows had problems: the report says which (exit code 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotClean(String);

/// What `import` was asked.
pub struct Asked {
    pub file: PathBuf,
    pub user: String,
    pub dry_run: bool,
    pub skip_invalid: bool,
    pub mapping: Option<PathBuf>,
    pub json: bool,
}

pub fn run(settings: Settings, asked: Asked) -> anyhow::Result<()> {
    let mapping = match &asked.mapping {
        None => Mapping::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                anyhow::anyhow!("cannot read the mapping file {}: {e}", path.display())
            })?;
            Mapping::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
    };
    let limit = settings.import.max_file_bytes;
    let size = std::fs::metadata(&asked.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", asked.file.display()))?
        .len();
    if size > limit {
        anyhow::bail!(
            "{} is {size} bytes, over the limit of {limit} bytes (import.max_file_mb): split it, or raise the limit",
            asked.file.display()
        );
    }
    let bytes = std::fs::read(&asked.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", asked.file.display()))?;
    let services = open::services(settings, Open::Existing, "import")?;
    let user = block_on(services.user_by_email(&asked.user))
        .map_err(|e| anyhow::anyhow!("cannot look up {}: {e}", asked.user))?
        .filter(|u| u.active)
        .ok_or_else(|| anyhow::anyhow!("no active user has the email {}", asked.user))?;
    if !matches!(user.role, Role::Admin | Role::Coordinator) {
        anyhow::bail!(
            "{} is a {}: only admins and coordinators import",
            user.email,
            user.role
        );
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:9} [{bar:40}] {pos}/{len} rows ({eta} left)")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    if asked.json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let shown = bar.clone();
    let progress = Arc::new(move |p: ImportProgress| {
        shown.set_message(if p.writing { "writing" } else { "checking" });
        shown.set_length(p.rows_total.max(p.rows_done) as u64);
        shown.set_position(p.rows_done as u64);
    });
    let name = file_name(&asked.file);
    let report = block_on(services.import_requests(
        user.id,
        ImportFile { name, bytes },
        ImportOptions {
            dry_run: asked.dry_run,
            skip_invalid: asked.skip_invalid,
            mapping,
        },
        Some(progress),
    ));
    bar.finish_and_clear();
    let report = match report {
        Ok(report) => report,
        Err(ImportError::Service(e)) => {
            return Err(super::support::explained("the import failed", e));
        }
        Err(e) => return Err(anyhow::anyhow!("{}: {e}", asked.file.display())),
    };
    if asked.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", sentences(&report));
    }
    if report.clean {
        Ok(())
    } else {
        Err(NotClean(verdict(&report)).into())
    }
}

/// The file's name without its folders, as the history's notes give it.
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The last line: what happened, in one sentence.
fn verdict(r: &ImportReport) -> String {
    match (r.dry_run, r.written) {
        (true, _) => format!(
            "{} row(s) have problems: the file would not import as it is",
            r.invalid
        ),
        (false, true) => format!(
            "{} row(s) with problems were skipped; the others were imported",
            r.invalid
        ),
        (false, false) if r.clean || r.created + r.updated == 0 => format!(
            "{} row(s) have problems; the others are already in the register as they are",
            r.invalid
        ),
        (false, false) => format!(
            "{} row(s) have problems: nothing was imported (fix them, or use --skip-invalid to import the others)",
            r.invalid.max(1)
        ),
    }
}

/// The report for a person at a terminal.
fn sentences(r: &ImportReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let ignored: Vec<String> = r
        .columns
        .iter()
        .filter(|c| c.column.is_none() && !c.header.is_empty())
        .map(|c| match &c.suggestion {
            Some(s) => format!("`{}` (did you mean `{s}`?)", c.header),
            None => format!("`{}`", c.header),
        })
        .collect();
    if !ignored.is_empty() {
        let _ = writeln!(out, "ignored columns: {}", ignored.join(", "));
    }
    for p in &r.problems {
        let column = p
            .column
            .as_deref()
            .map_or(String::new(), |c| format!(", {c}"));
        let value = p
            .value
            .as_deref()
            .map_or(String::new(), |v| format!(" `{v}`"));
        let suggestion = p
            .suggestion
            .as_deref()
            .map_or(String::new(), |s| format!(" — {s}"));
        let _ = writeln!(
            out,
            "row {}{column}:{value} {}{suggestion}",
            p.row, p.message
        );
    }
    if r.problems_omitted > 0 {
        let _ = writeln!(
            out,
            "… and {} more problem(s) (see --json)",
            r.problems_omitted
        );
    }
    let verb = if r.written {
        "imported"
    } else if r.dry_run {
        "dry run, nothing written"
    } else {
        "nothing written"
    };
    let _ = writeln!(
        out,
        "{}: {} row(s) read; {} {}, {} {}, {} unchanged, {} with problems ({verb})",
        r.file,
        r.rows,
        r.created,
        if r.written { "created" } else { "to create" },
        r.updated,
        if r.written { "updated" } else { "to update" },
        r.unchanged,
        r.invalid
    );
    out
}
