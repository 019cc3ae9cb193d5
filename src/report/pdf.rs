//! A report's HTML printed to PDF by a headless Chromium: the browser that
//! already draws the web pages and their SVG charts, so the PDF looks like
//! the HTML version and costs the build nothing (a PDF typesetting library
//! in Rust, such as Typst, would add minutes to every build on two cores).
//!
//! Chromium runs as a child process, offline (the document is a local file
//! with everything inlined, and its Content-Security-Policy forbids any
//! fetch), in a profile directory of its own that is removed afterwards.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The executables tried, in order, when `stats.pdf_browser` is empty.
const CANDIDATES: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// How long a print may take before it is abandoned.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The browser to print with: `configured` when set, else the first of
/// [`CANDIDATES`] on `PATH`; `None` when there is none.
pub fn browser(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = configured {
        return path.is_file().then(|| path.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| CANDIDATES.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// What to tell whoever asked for a PDF when no browser can print it.
pub const NO_BROWSER: &str = "a PDF report needs Chromium: install it (e.g. `apt-get install chromium`) or set stats.pdf_browser to its path; format=html works without it";

/// Prints `html` to PDF with `browser`; the PDF's bytes.
pub fn print(html: &str, browser: &Path) -> anyhow::Result<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("mla-report-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = print_in(html, browser, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn print_in(html: &str, browser: &Path, dir: &Path) -> anyhow::Result<Vec<u8>> {
    let page = dir.join("report.html");
    let out = dir.join("report.pdf");
    std::fs::write(&page, html).with_context(|| format!("writing {}", page.display()))?;
    // To a file, not a pipe: a chatty browser could fill a pipe nobody
    // reads until it exits.
    let log = dir.join("browser.log");
    let stderr = std::fs::File::create(&log)?;
    let mut child = Command::new(browser)
        .args([
            "--headless",
            // Chromium refuses to run as root with its sandbox; the page
            // is our own, offline, with scripts forbidden by its CSP.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-extensions",
            "--disable-background-networking",
            "--no-first-run",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("starting {}", browser.display()))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "{} did not print the report within {} s",
                browser.display(),
                TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if !status.success() || !out.is_file() {
        let stderr = std::fs::read_to_string(&log).unwrap_or_default();
        let last: Vec<&str> = stderr.lines().rev().take(5).collect();
        bail!(
            "{} could not print the report ({status}): {}",
            browser.display(),
            last.into_iter().rev().collect::<Vec<_>>().join(" / ")
        );
    }
    std::fs::read(&out).with_context(|| format!("reading {}", out.display()))
}
