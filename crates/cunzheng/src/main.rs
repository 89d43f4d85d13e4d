//! `cunzheng` (存证): preserve, seal and verify chat records as evidence.
//!
//! Exit codes: 0 done / intact; 1 verification found discrepancies; 2 error (including "not a
//! case"); 3 preserved, but some inputs could not be read (each is listed and in the custody log),
//! or sealed, but a requested time-stamp is still pending (`cunzheng stamp` completes it).

mod analyze;
mod anchors;
mod classify;
mod cli;
mod deriver;
mod jsonl;
mod keys;
mod log_cmd;
mod progress;
mod report_cmd;
mod sqlite_cmd;

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

// A parse makes a dozen small strings per message and frees them right after writing it:
// mimalloc serves that at a fraction of glibc malloc's cost (`parse --json`: see
// bench/whatsapp.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match cli::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "cunzheng: error: {err}");
            for cause in err.chain().skip(1) {
                let _ = writeln!(stderr, "  caused by: {cause}");
            }
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
