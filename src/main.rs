//! `logs-forwarder`: the Lambda function (when `AWS_LAMBDA_RUNTIME_API` is
//! set) and its command line.

use std::process::ExitCode;

use logs_forwarder::{dashboards, lambda, replay, templates};

/// mimalloc keeps freed memory for reuse: the large decode and body buffers
/// of one invocation are not unmapped and faulted in again by the next,
/// which with the system allocator cost more than parsing them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "logs-forwarder: AWS logs into OpenSearch / Elasticsearch

In Lambda (AWS_LAMBDA_RUNTIME_API set) it runs the runtime loop. Otherwise:

  logs-forwarder replay [--endpoint URL] [--out PATH|-] [--format NAME] FILE|DIR...
  logs-forwarder templates apply --endpoint URL
  logs-forwarder templates show [--cluster opensearch-2.11|amazon-elasticsearch-7.10|elasticsearch-8.15|...]
  logs-forwarder dashboards apply --endpoint URL [--kibana]
  logs-forwarder dashboards show

Configuration comes from the environment (ES_ENDPOINT, ES_AUTH, ...): see README.md.";

fn main() -> ExitCode {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        return lambda::run();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("replay") => replay::main(&args[1..]),
        Some("templates") => templates::main(&args[1..]),
        Some("dashboards") => dashboards::main(&args[1..]),
        Some("--version" | "-V") => {
            println!("logs-forwarder {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
