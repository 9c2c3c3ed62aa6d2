//! The `timber` command: argument parsing and exit codes live in `cli`.

fn main() -> std::process::ExitCode {
    timber_cli::run()
}

#[path = "cli/mod.rs"]
mod timber_cli;
