//! `snapshot-manager`: the snapshot Lambda (when `AWS_LAMBDA_RUNTIME_API` is
//! set, the scheduled event's payload selects the action) and its command
//! line. See `logs_forwarder::snapshots`.

use std::process::ExitCode;

use logs_forwarder::snapshots::cli;

fn main() -> ExitCode {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        return cli::run_lambda();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    cli::main(&args)
}
