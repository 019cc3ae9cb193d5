//! The documentation's examples, run against the real service, so that what
//! the documents show is what the service answers.
//!
//! The convention. In README.md and docs/*.md, a fenced block whose info
//! string is `console` is a transcript. A line starting with `$ ` is a
//! command, continued on the next line after a trailing `\`, while a quote
//! is open or until a here-document's delimiter (as bash reads it); the
//! lines after it, up to the next `$ `, are what it prints, stdout and
//! stderr together. All the blocks of a document run in order in one bash
//! session (`TOKEN=…`, `ID=$(…)` carry over), in the working directory of a
//! fresh `mla-tracker serve` on its default SQLite database (so `data/` is
//! where the reader has it), with `curl`, `jq` and `mla-tracker` on the PATH
//! and the clock pinned at [`DOCS_NOW`] in the service and in the session.
//! The service runs with alerts off, so that no scheduled scan can run in
//! the middle of an example.
//!
//! Rewrites: `localhost:8080` and `127.0.0.1:8080` in a command become the
//! service's real address, and its real address in the output becomes
//! `127.0.0.1:8080` again; a token-shaped word (`mla_` and 43 characters) in
//! a command becomes the admin token that the service's first start printed.
//! `$ cargo run --release -- serve` is not run: its expected output is
//! compared with what this service printed at its first start, up to the
//! line `starting service`, without the warning that the clock is pinned
//! and the line saying the statistics are ready (logged whenever their
//! read of the register ends, before or after).
//!
//! The comparison: `…` in an expected line stands for any text within that
//! line, and a line holding only `…` for any number of lines. UUIDs, tokens
//! and timestamps with a time of day (RFC 3339 and HTTP dates) are compared
//! by shape. Response headers (`curl -i`) are compared in alphabetical
//! order, the server's order being arbitrary; trailing spaces and trailing
//! blank lines are ignored. Everything else must match exactly. Every
//! example that differs is printed (document, line, command, expected,
//! actual) before the test fails. `MLA_DOCS_TRANSCRIPT=DIR` also writes what
//! each document's commands printed to DIR, for whoever writes examples.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::serve::{Serve, scratch_dir};

/// "Now" for the documented examples: their dates are those of this day.
const DOCS_NOW: &str = "2026-06-15T10:00:00Z";

/// The address the documents use, that of `serve` with the defaults.
const DOCUMENTED_ADDRESSES: [&str; 2] = ["localhost:8080", "127.0.0.1:8080"];

/// The command whose output is the first start's log, not run in bash.
const FIRST_START: &str = "cargo run --release -- serve";

/// How long one command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// Stands for any text within a line; alone on a line, for any lines.
const ELISION: &str = "…";

const BIN: &str = env!("CARGO_BIN_EXE_mla-tracker");

/// One command of a `console` block and the output the document shows.
struct Example {
    /// 1-based line of the command in the document.
    line: usize,
    command: String,
    /// The expected output, each line with its line number.
    expected: Vec<(usize, String)>,
}

/// The `console` examples of a Markdown document, in order; an error for
/// text in a `console` block before its first command.
fn examples(markdown: &str) -> Result<Vec<Example>, String> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut out: Vec<Example> = Vec::new();
    // Some(indentation) inside a console block, None elsewhere.
    let mut console: Option<usize> = None;
    let mut in_other_block = false;
    // Examples found before the current block.
    let mut before_block = 0;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        let is_fence = trimmed.starts_with("```");
        match (console, in_other_block) {
            (None, false) if is_fence => {
                if trimmed.trim_start_matches('`').trim() == "console" {
                    console = Some(line.len() - trimmed.len());
                    before_block = out.len();
                } else {
                    in_other_block = true;
                }
            }
            (None, true) if is_fence => in_other_block = false,
            (Some(_), _) if is_fence => console = None,
            (Some(indent), _) => {
                let text = strip_indent(line, indent);
                if let Some(first) = text.strip_prefix("$ ") {
                    let start = i + 1;
                    let mut command = first.to_string();
                    let mut delimiters = here_documents(&command);
                    while (!complete(&command) || !delimiters.is_empty()) && i + 1 < lines.len() {
                        let next = strip_indent(lines[i + 1], indent);
                        if delimiters.is_empty() && next.trim_start().starts_with("```") {
                            break;
                        }
                        i += 1;
                        command.push('\n');
                        command.push_str(next);
                        if delimiters.first().is_some_and(|d| d == next) {
                            delimiters.remove(0);
                        } else if delimiters.is_empty() {
                            delimiters = here_documents(next);
                        }
                    }
                    out.push(Example {
                        line: start,
                        command,
                        expected: Vec::new(),
                    });
                } else if out.len() > before_block {
                    let example = out.last_mut().expect("an example of this block");
                    example.expected.push((i + 1, text.to_string()));
                } else if !text.trim().is_empty() {
                    return Err(format!(
                        "line {}: text in a `console` block before its first `$ ` command",
                        i + 1
                    ));
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(out)
}

/// The examples of `document` (a path under the repository).
fn examples_of(root: &Path, document: &str) -> Vec<Example> {
    let markdown = std::fs::read_to_string(root.join(document)).unwrap();
    examples(&markdown).unwrap_or_else(|e| panic!("{document}: {e}"))
}

fn strip_indent(line: &str, indent: usize) -> &str {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    &line[spaces.min(indent)..]
}

/// The delimiters of the here-documents that `line` opens (`<<EOF`,
/// `<<'EOF'`, `<<-EOF`), in order.
fn here_documents(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("<<") {
        rest = &rest[at + 2..];
        if rest.starts_with('<') {
            rest = rest.trim_start_matches('<');
            continue;
        }
        let word = rest.trim_start_matches('-').trim_start();
        let end = word
            .find(|c: char| c.is_whitespace() || c == ';' || c == '|' || c == '&' || c == '>')
            .unwrap_or(word.len());
        let delimiter = word[..end].trim_matches(|c| c == '\'' || c == '"');
        if !delimiter.is_empty() {
            out.push(delimiter.to_string());
        }
        rest = &word[end..];
    }
    out
}

/// Whether bash would take `command` as complete: no quote left open, no
/// trailing `\` (comments skipped).
fn complete(command: &str) -> bool {
    #[derive(PartialEq)]
    enum State {
        Plain,
        Single,
        Double,
    }
    let mut state = State::Plain;
    let mut chars = command.chars().peekable();
    let mut previous = ' ';
    while let Some(c) = chars.next() {
        match state {
            State::Plain => match c {
                // A trailing `\` continues the command.
                '\\' if chars.next().is_none() => return false,
                '\'' => state = State::Single,
                '"' => state = State::Double,
                '#' if previous.is_whitespace() => {
                    while chars.peek().is_some_and(|&c| c != '\n') {
                        chars.next();
                    }
                }
                _ => {}
            },
            State::Single if c == '\'' => state = State::Plain,
            State::Single => {}
            State::Double => match c {
                '\\' => {
                    chars.next();
                }
                '"' => state = State::Plain,
                _ => {}
            },
        }
        previous = c;
    }
    state == State::Plain
}

/// A bash session that runs one command at a time, its output in a file.
struct Session {
    child: Child,
    stdin: ChildStdin,
    done: mpsc::Receiver<String>,
    files: PathBuf,
    count: usize,
}

impl Session {
    /// bash in `cwd`, its clock pinned, `mla-tracker` on the PATH, and
    /// nothing of this process's configuration around (`MLA__*`,
    /// `DATABASE_URL`, `RUST_LOG`; a `.curlrc` or `.jq` in the home folder).
    fn start(cwd: &Path) -> Session {
        let files = scratch_dir("mla-docs-session");
        let bin_dir = Path::new(BIN).parent().expect("the binary's folder");
        let path = std::env::var("PATH").unwrap_or_default();
        let mut command = Command::new("bash");
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(|k| k.starts_with("MLA__"))
                || key == "DATABASE_URL"
                || key == "RUST_LOG"
                || key == "XDG_CONFIG_HOME"
                || key == "CURL_HOME"
            {
                command.env_remove(key);
            }
        }
        let mut child = command
            .args(["--noprofile", "--norc"])
            .current_dir(cwd)
            .env("PATH", format!("{}:{path}", bin_dir.display()))
            .env("MLA__CLOCK__PINNED", DOCS_NOW)
            .env("LC_ALL", "C.UTF-8")
            .env("HOME", &files)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("bash starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tell, done) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if tell.send(line).is_err() {
                    break;
                }
            }
        });
        Session {
            child,
            stdin,
            done,
            files,
            count: 0,
        }
    }

    /// Runs `command` in the session; its stdout and stderr together.
    fn run(&mut self, command: &str) -> Result<String, String> {
        self.count += 1;
        let script = self.files.join(format!("command-{}.sh", self.count));
        let output = self.files.join(format!("output-{}.txt", self.count));
        std::fs::write(&script, format!("{command}\n")).unwrap();
        writeln!(
            self.stdin,
            ". '{}' > '{}' 2>&1 < /dev/null; echo __MLA_DOCS_DONE__",
            script.display(),
            output.display()
        )
        .and_then(|()| self.stdin.flush())
        .map_err(|e| format!("the bash session has ended ({e})"))?;
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.done.recv_timeout(left) {
                Ok(line) if line == "__MLA_DOCS_DONE__" => break,
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    return Err(format!("no answer within {COMMAND_TIMEOUT:?}"));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err("the bash session has ended".into());
                }
            }
        }
        Ok(std::fs::read_to_string(&output).unwrap_or_default())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.files);
    }
}

/// What the reader sees: the documented address for the real one, `\n`
/// line ends, response headers in alphabetical order.
fn as_documented(actual: &str, port: u16) -> String {
    let mut text = actual.replace("\r\n", "\n");
    for host in ["127.0.0.1", "localhost"] {
        text = text.replace(&format!("{host}:{port}"), &format!("{host}:8080"));
    }
    let mut out: Vec<&str> = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        out.push(line);
        if line.starts_with("HTTP/") {
            let mut headers = Vec::new();
            while let Some(header) = lines.next_if(|l| !l.trim().is_empty()) {
                headers.push(header);
            }
            headers.sort_by_key(|h| h.to_ascii_lowercase());
            out.extend(headers);
        }
    }
    out.join("\n")
}

/// A shape: `x` a hex digit, `9` a digit, `a` a letter, `w` a base64url
/// character; anything else itself.
fn matches_shape(bytes: &[u8], shape: &str) -> bool {
    bytes.len() >= shape.len()
        && shape.bytes().zip(bytes).all(|(s, &b)| match s {
            b'x' => b.is_ascii_hexdigit(),
            b'9' => b.is_ascii_digit(),
            b'a' => b.is_ascii_alphabetic(),
            b'w' => b.is_ascii_alphanumeric() || b == b'_' || b == b'-',
            other => other == b,
        })
}

/// The length of a UUID, token or timestamp starting at `bytes[0]`, and
/// what stands for it.
fn shaped(bytes: &[u8]) -> Option<(usize, &'static str)> {
    const UUID: &str = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    const TOKEN: &str = "mla_wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww";
    const TIME: &str = "9999-99-99T99:99:99";
    const HTTP_DATE: &str = "aaa, 99 aaa 9999 99:99:99 GMT";
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    if matches_shape(bytes, UUID) && !bytes.get(UUID.len()).is_some_and(|&b| word(b)) {
        return Some((UUID.len(), "‹uuid›"));
    }
    if matches_shape(bytes, TOKEN) && !bytes.get(TOKEN.len()).is_some_and(|&b| word(b)) {
        return Some((TOKEN.len(), "‹token›"));
    }
    if matches_shape(bytes, HTTP_DATE) {
        return Some((HTTP_DATE.len(), "‹time›"));
    }
    if matches_shape(bytes, TIME) {
        let mut len = TIME.len();
        if bytes.get(len) == Some(&b'.') {
            len += 1;
            while bytes.get(len).is_some_and(u8::is_ascii_digit) {
                len += 1;
            }
        }
        if bytes.get(len) == Some(&b'Z') {
            len += 1;
        } else if matches_shape(&bytes[len..], "+99:99") || matches_shape(&bytes[len..], "-99:99") {
            len += 6;
        }
        return Some((len, "‹time›"));
    }
    None
}

/// `line` with every UUID, token and timestamp replaced by its shape.
fn by_shape(line: &str) -> String {
    let bytes = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let (mut i, mut copied) = (0, 0);
    while i < bytes.len() {
        let at_word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        match shaped(&bytes[i..]).filter(|_| at_word_start) {
            Some((len, placeholder)) => {
                out.push_str(&line[copied..i]);
                out.push_str(placeholder);
                i += len;
                copied = i;
            }
            None => i += 1,
        }
    }
    out.push_str(&line[copied..]);
    out
}

/// One expected line against one actual line, `…` matching any text.
fn line_matches(expected: &str, actual: &str) -> bool {
    let parts: Vec<&str> = expected.split(ELISION).collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return expected == actual;
    }
    if actual.len() < first.len() + last.len()
        || !actual.starts_with(first)
        || !actual.ends_with(last)
    {
        return false;
    }
    let mut rest = &actual[first.len()..actual.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

/// Whether the actual lines are what the expected lines describe, a line
/// holding only `…` standing for any number of lines.
fn block_matches(expected: &[String], actual: &[String]) -> bool {
    fn go(
        e: usize,
        a: usize,
        expected: &[String],
        actual: &[String],
        memo: &mut HashMap<(usize, usize), bool>,
    ) -> bool {
        if let Some(&known) = memo.get(&(e, a)) {
            return known;
        }
        let result = if e == expected.len() {
            a == actual.len()
        } else if expected[e] == ELISION {
            go(e + 1, a, expected, actual, memo)
                || (a < actual.len() && go(e, a + 1, expected, actual, memo))
        } else {
            a < actual.len()
                && line_matches(&expected[e], &actual[a])
                && go(e + 1, a + 1, expected, actual, memo)
        };
        memo.insert((e, a), result);
        result
    }
    go(0, 0, expected, actual, &mut HashMap::new())
}

/// Lines as compared: by shape, trailing spaces and blank lines dropped.
fn comparable<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = lines.map(|l| by_shape(l.trim_end())).collect();
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out
}

/// The first expected line that differs, read line by line (None once an
/// elided line is reached, where the reading is no longer one to one).
fn first_difference(expected: &[(usize, String)], actual: &[String]) -> Option<String> {
    let wanted = comparable(expected.iter().map(|(_, l)| l.as_str()));
    for (i, want) in wanted.iter().enumerate() {
        if want == ELISION {
            return None;
        }
        match actual.get(i) {
            Some(got) if line_matches(want, got) => {}
            Some(got) => {
                return Some(format!(
                    "first difference at line {}:\n  expected: {}\n  actual:   {}",
                    expected[i].0, expected[i].1, got
                ));
            }
            None => {
                return Some(format!(
                    "the output ends before line {}: {}",
                    expected[i].0, expected[i].1
                ));
            }
        }
    }
    (actual.len() > wanted.len()).then(|| {
        format!(
            "the output goes on after the expected lines: {}",
            actual[wanted.len()]
        )
    })
}

/// What the first start printed, as the reader sees it: up to the line
/// `starting service`, without the warning that the clock is pinned.
fn first_start_output(log: &str) -> String {
    let mut out = Vec::new();
    for line in log.lines() {
        // The clock's warning, and the statistics' read of the register,
        // which runs beside the start and may log before it ends.
        if line.contains("the clock is pinned at") || line.contains("statistics ready:") {
            continue;
        }
        out.push(line);
        if line.contains("starting service:") {
            break;
        }
    }
    out.join("\n")
}

/// A token-shaped word in a command stands for the admin token.
fn with_token(command: &str, token: &str) -> String {
    let bytes = command.as_bytes();
    let mut out = String::with_capacity(command.len());
    let (mut i, mut copied) = (0, 0);
    while i < bytes.len() {
        match shaped(&bytes[i..]) {
            Some((len, "‹token›")) if i == 0 || !bytes[i - 1].is_ascii_alphanumeric() => {
                out.push_str(&command[copied..i]);
                out.push_str(token);
                i += len;
                copied = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&command[copied..]);
    out
}

/// A documented example that the service does not bear out.
struct Difference {
    document: String,
    line: usize,
    command: String,
    expected: String,
    actual: String,
    hint: Option<String>,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "=== {}:{}", self.document, self.line)?;
        writeln!(f, "$ {}", self.command)?;
        writeln!(f, "--- expected (as documented)")?;
        writeln!(f, "{}", self.expected)?;
        writeln!(f, "--- actual")?;
        writeln!(f, "{}", self.actual)?;
        if let Some(hint) = &self.hint {
            writeln!(f, "--- {hint}")?;
        }
        Ok(())
    }
}

/// Runs one document's examples against a fresh service; returns how many
/// ran and those that differ.
async fn check_document(root: &Path, document: &str) -> (usize, Vec<Difference>) {
    let examples = examples_of(root, document);
    let serve = Serve::start_with("sqlite://data/mla-tracker.db", "", |command| {
        command
            .env("MLA__CLOCK__PINNED", DOCS_NOW)
            .env_remove("MLA__MAIL__URL");
    })
    .await;
    let port: u16 = serve
        .address
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !serve.log().contains("starting service:") {
        assert!(
            Instant::now() < deadline,
            "`serve` never said `starting service`; its log:\n{}",
            serve.log()
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    let first_start = first_start_output(&serve.log());
    let token = std::fs::read_to_string(serve.dir().join("data/admin-token"))
        .unwrap_or_else(|e| {
            panic!("no admin token file after the first start ({e}):\n{first_start}")
        })
        .trim()
        .to_string();

    let mut session = Session::start(serve.dir());
    let mut differences = Vec::new();
    let mut transcript = String::new();
    for example in &examples {
        let actual = if example.command == FIRST_START {
            as_documented(&first_start, port)
        } else {
            let mut command = with_token(&example.command, &token);
            for documented in DOCUMENTED_ADDRESSES {
                command = command.replace(documented, &format!("127.0.0.1:{port}"));
            }
            match session.run(&command) {
                Ok(output) => as_documented(&output, port),
                Err(e) => format!("(not run: {e})"),
            }
        };
        transcript.push_str(&format!("$ {}\n{actual}\n", example.command));
        let got = comparable(actual.lines());
        let wanted = comparable(example.expected.iter().map(|(_, l)| l.as_str()));
        if !block_matches(&wanted, &got) {
            differences.push(Difference {
                document: document.to_string(),
                line: example.line,
                command: example.command.clone(),
                expected: example
                    .expected
                    .iter()
                    .map(|(_, l)| l.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
                actual: actual.clone(),
                hint: first_difference(&example.expected, &got),
            });
        }
    }
    if let Ok(dir) = std::env::var("MLA_DOCS_TRANSCRIPT") {
        std::fs::create_dir_all(&dir).unwrap();
        let name = document.replace('/', "_");
        std::fs::write(Path::new(&dir).join(format!("{name}.txt")), transcript).unwrap();
    }
    (examples.len(), differences)
}

/// README.md and every Markdown file in docs/ that has `console` examples.
fn documents(root: &Path) -> Vec<String> {
    let mut names = vec!["README.md".to_string()];
    let mut in_docs: Vec<String> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    in_docs.sort();
    names.extend(in_docs);
    names
        .into_iter()
        .filter(|n| !examples_of(root, n).is_empty())
        .collect()
}

#[actix_web::test]
async fn the_documented_examples_are_what_the_service_answers() {
    for tool in ["bash", "curl", "jq"] {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            found,
            "the documented examples need `{tool}` (scripts/test installs it)"
        );
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let documents = documents(root);
    for required in ["README.md", "docs/API.md"] {
        assert!(
            documents.iter().any(|d| d == required),
            "{required} has no `console` examples: {documents:?}"
        );
    }
    assert!(
        examples_of(root, "README.md")
            .iter()
            .any(|e| e.command == FIRST_START),
        "README.md shows no `$ {FIRST_START}` with its first start"
    );
    let mut differences = Vec::new();
    for document in &documents {
        let started = Instant::now();
        let (count, found) = check_document(root, document).await;
        eprintln!(
            "{document}: {count} example(s), {} differ(s), in {:.1} s",
            found.len(),
            started.elapsed().as_secs_f64()
        );
        differences.extend(found);
    }
    for difference in &differences {
        eprintln!("{difference}");
    }
    assert!(
        differences.is_empty(),
        "{} documented example(s) differ from what the service answers (above)",
        differences.len()
    );
}

#[test]
fn the_convention_reads_commands_outputs_and_elisions() {
    let markdown =
        "text\n```console\n$ echo 'a\nb' \\\n  | cat\na\nb\n$ true\n```\n```sh\n$ not run\n```\n";
    let found = examples(markdown).unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].command, "echo 'a\nb' \\\n  | cat");
    assert_eq!(found[0].line, 3);
    assert_eq!(
        found[0].expected,
        vec![(6, "a".to_string()), (7, "b".to_string())]
    );
    assert!(found[1].expected.is_empty());
    assert!(examples("```console\nstray\n$ true\n```\n").is_err());
    let here =
        examples("```console\n$ cat > a.toml <<'EOF'\n$ x = 1\nEOF\n$ cat a.toml\n$ x = 1\n```\n")
            .unwrap();
    assert_eq!(here[0].command, "cat > a.toml <<'EOF'\n$ x = 1\nEOF");
    assert_eq!(
        here.len(),
        3,
        "an output line starting with `$ ` is a command"
    );
    assert_eq!(here_documents("cat <<EOF >a; cat <<-'END'"), ["EOF", "END"]);
    assert!(here_documents("grep <<< word").is_empty());

    assert!(complete("echo \"it's\" # the admin's token"));
    assert!(!complete("curl -d '{"));
    assert!(!complete("curl \\"));

    let lines = |t: &str| comparable(t.lines());
    assert!(block_matches(&lines("a…c\n…\nz"), &lines("abc\nx\ny\nz")));
    assert!(block_matches(&lines("a\n…\nz"), &lines("a\nz")));
    assert!(!block_matches(&lines("a…c"), &lines("ab")));
    assert!(!block_matches(&lines("a\nb"), &lines("a\nc")));
    assert!(block_matches(
        &lines(
            r#"{"id":"e64d34ad-a892-4c06-b109-8e2c3c6823d4","at":"2026-11-29T02:12:37.471732Z"}"#
        ),
        &lines(r#"{"id":"0b7a2c9e-1f43-4d8e-8a3b-2f6c4d5e6f70","at":"2026-12-02T05:42:39Z"}"#),
    ));
    assert!(!block_matches(&lines("2026-06-15"), &lines("2026-06-16")));
    assert_eq!(
        with_token(
            "TOKEN=mla_NrPSCrgL_aHzALVXgFj0QXv8V5_m8OaKB8Jro_RJxRU # yours",
            "mla_real"
        ),
        "TOKEN=mla_real # yours"
    );
    assert_eq!(
        as_documented(
            "HTTP/1.1 200 OK\r\nb: 2\r\na: 1\r\n\r\nbody at 127.0.0.1:4321",
            4321
        ),
        "HTTP/1.1 200 OK\na: 1\nb: 2\n\nbody at 127.0.0.1:8080"
    );
}
