//! `logs-forwarder`: the Lambda function (when `AWS_LAMBDA_RUNTIME_API` is
//! set) and its command line (`logs-forwarder --help`).

use std::process::ExitCode;

use clap::Parser as _;
use logs_forwarder::cli::{Cli, Command, DashboardsCommand, TemplatesCommand};
use logs_forwarder::{backfill, dashboards, lambda, replay, templates};

/// mimalloc keeps freed memory for reuse: the large decode and body buffers
/// of one invocation are not unmapped and faulted in again by the next,
/// which with the system allocator cost more than parsing them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // In Lambda, before anything of the command line is touched.
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        return lambda::run();
    }
    // Usage errors exit with status 2, --help and --version with 0.
    match Cli::parse().command {
        Command::Replay(args) => replay::main(args),
        Command::Backfill(args) => backfill::main(args),
        Command::Templates(TemplatesCommand::Apply { endpoint }) => templates::apply_main(endpoint),
        Command::Templates(TemplatesCommand::Show { cluster }) => {
            templates::show_main(cluster.as_deref())
        }
        Command::Dashboards(DashboardsCommand::Apply { endpoint, kibana }) => {
            dashboards::apply_main(endpoint, kibana)
        }
        Command::Dashboards(DashboardsCommand::Show) => dashboards::show_main(),
    }
}
