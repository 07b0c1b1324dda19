//! `logs-forwarder backfill --queue URL s3://…`: history fanned out over
//! the deployed function. Objects are listed here (with replay's
//! selection and checkpoint) and announced to the forwarder's SQS queue,
//! ten notifications per request; Lambda reads them at its concurrency.
//! The last line on stderr is the JSON summary.

use std::process::ExitCode;

use serde_json::json;

use crate::cli::{configuration_error, BackfillArgs};
use crate::client::s3::S3Client;
use crate::client::sqs::{SqsClient, MAX_BATCH};
use crate::history::announce::{self, Queued};
use crate::history::checkpoint::Checkpoint;
use crate::history::progress::Progress;

pub fn main(args: BackfillArgs) -> ExitCode {
    crate::logging::init(false, "warn");
    let selection = match args.history.selection() {
        Ok(s) => s,
        Err(e) => return crate::cli::usage_error("backfill", &e),
    };
    let runtime = match crate::cli::runtime(false) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let settings = match crate::cli::settings(&runtime, None, true) {
        Ok(s) => s,
        Err(e) => return configuration_error(e),
    };
    let Some(aws) = settings.aws.clone() else {
        return configuration_error(
            "backfill needs AWS credentials and a region (see backfill --help)",
        );
    };
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    // The AWS CLI's names; else the queue URL's own host.
    let sqs_endpoint = var("AWS_ENDPOINT_URL_SQS")
        .or_else(|| var("AWS_ENDPOINT_URL"))
        .map(|url| url.parse());
    let sqs_endpoint = match sqs_endpoint.transpose() {
        Ok(e) => e,
        Err(e) => return configuration_error(format!("AWS_ENDPOINT_URL_SQS: {e}")),
    };
    let checkpoint = match Checkpoint::open(args.history.checkpoint.as_deref()) {
        Ok(c) => c,
        Err(e) => return configuration_error(e),
    };
    let concurrency = usize::from(args.history.concurrency);
    let http = crate::client::http_client(concurrency.max(2), &settings.roots);
    let region = aws.region.clone();
    let s3 = S3Client::new(
        http.clone(),
        aws.clone(),
        settings.s3_endpoint.clone(),
        settings.request_timeout,
    );
    let sqs = match SqsClient::new(
        http,
        aws,
        &args.queue,
        sqs_endpoint,
        settings.request_timeout,
    ) {
        Ok(sqs) => sqs,
        Err(e) => return configuration_error(e),
    };
    let progress = Progress::on_stderr("queued");
    let plan = crate::history::Plan {
        s3: &s3,
        sources: &args.sources,
        selection: &selection,
        checkpoint: &checkpoint,
        concurrency,
        progress: &progress,
    };
    let (queued, objects) = runtime.block_on(plan.run(
        MAX_BATCH,
        |batch| announce::queue(&sqs, &region, batch),
        Queued::merge,
    ));
    let complete = objects.is_complete() && queued.failed == 0;
    eprintln!(
        "{}",
        json!({
            "queue": args.queue,
            "objects_queued": queued.messages,
            "bytes_queued": queued.bytes,
            "requests": queued.batches,
            "retried": queued.retries,
            "failed": queued.failed,
            "errors": queued.errors,
            "objects": objects,
        })
    );
    if complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
