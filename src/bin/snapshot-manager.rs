//! `snapshot-manager`: the snapshot Lambda (when `AWS_LAMBDA_RUNTIME_API` is
//! set, the scheduled event's payload selects the action) and its command
//! line (`snapshot-manager --help`). See `logs_forwarder::snapshots`.

use std::process::ExitCode;

use clap::Parser as _;
use logs_forwarder::snapshots::cli;

fn main() -> ExitCode {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        return cli::run_lambda();
    }
    // Usage errors exit with status 2, --help and --version with 0.
    cli::main(cli::Cli::parse())
}
