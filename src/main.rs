//! The `mla-tracker` command (see `mla_tracker::cli`).

fn main() -> std::process::ExitCode {
    mla_tracker::cli::main()
}
