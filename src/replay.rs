//! `logs-forwarder replay`: captured events, payloads and log files, and
//! objects under `s3://` prefixes, through the exact Lambda code path, into
//! a cluster or (without `--endpoint`) as `_bulk` NDJSON to a file or
//! stdout. The last line on stderr is the JSON summary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::cli::ReplayArgs;
use crate::forwarder::Forwarder;
use crate::history::checkpoint::Checkpoint;
use crate::history::listing::S3Url;
use crate::history::progress::Progress;
use crate::history::select::Selection;
use crate::history::{self, BatchOutcome, Objects};
use crate::input::{self, Unit, Work};
use crate::summary::Summary;

/// Lambda's longest timeout: a replay gets as long per file.
const FILE_DEADLINE: Duration = Duration::from_secs(900);

/// An object read from S3 is not bound by Lambda's timeout: a day for one
/// object, so that the largest is read whole rather than left unfinished.
const OBJECT_DEADLINE: Duration = Duration::from_secs(24 * 3600);

pub fn main(args: ReplayArgs) -> ExitCode {
    crate::logging::init(false, "warn");
    let (files, prefixes) = match split_inputs(&args.inputs) {
        Ok(split) => split,
        Err(e) => return crate::cli::usage_error("replay", &e),
    };
    let selection = match args.history.selection() {
        Ok(s) => s,
        Err(e) => return crate::cli::usage_error("replay", &e),
    };
    let selects = selection != Selection::default() || args.history.checkpoint.is_some();
    if selects && prefixes.is_empty() {
        return crate::cli::usage_error(
            "replay",
            "--since, --until, --include, --exclude and --checkpoint select objects under \
             s3:// prefixes, and none was given",
        );
    }
    let runtime = match crate::cli::runtime(true) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    // Replay sends only where --endpoint says, never to ES_ENDPOINT.
    let settings = crate::cli::settings(&runtime, args.endpoint.clone(), !prefixes.is_empty());
    let mut settings = match settings {
        Ok(s) => s,
        Err(e) => return crate::cli::configuration_error(e),
    };
    if !prefixes.is_empty() && settings.aws.is_none() {
        return crate::cli::configuration_error(
            "reading s3:// needs AWS credentials and a region (see replay --help)",
        );
    }
    if let Some(format) = args.format.clone() {
        settings.router.force_format(format);
    }
    let checkpoint = match Checkpoint::open(args.history.checkpoint.as_deref()) {
        Ok(c) => c,
        Err(e) => return crate::cli::configuration_error(e),
    };
    let out = args.out.clone();
    let open_out = move || -> Box<dyn Write + Send> {
        match out.as_deref() {
            None | Some("-") => Box::new(std::io::BufWriter::new(std::io::stdout())),
            Some(path) => match std::fs::File::create(path) {
                Ok(f) => Box::new(std::io::BufWriter::new(f)),
                Err(e) => {
                    eprintln!("--out {path}: {e}");
                    std::process::exit(2);
                }
            },
        }
    };
    let forwarder = Forwarder::from_settings(settings, open_out);
    let files = match self::files(&files) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("reading inputs: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut summary, failed_items) = runtime.block_on(replay_files(&forwarder, &files));
    let objects = (!prefixes.is_empty()).then(|| {
        let (from_s3, objects) = runtime.block_on(replay_objects(
            &forwarder,
            &prefixes,
            &selection,
            &checkpoint,
            usize::from(args.history.concurrency),
        ));
        summary.merge(from_s3);
        objects
    });
    // The summary, plus the batch items a Lambda would name in
    // `batchItemFailures` (SQS message ids, Kinesis sequence numbers), and
    // what became of the objects under s3:// prefixes.
    let mut line = serde_json::to_value(&summary).unwrap_or_default();
    if let Some(map) = line.as_object_mut() {
        map.insert("failed_items".into(), failed_items.into());
        if let Some(objects) = &objects {
            map.insert(
                "objects".into(),
                serde_json::to_value(objects).unwrap_or_default(),
            );
        }
    }
    eprintln!("{line}");
    if summary.is_complete() && objects.as_ref().is_none_or(Objects::is_complete) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Local files and directories, and `s3://` prefixes.
fn split_inputs(inputs: &[String]) -> Result<(Vec<PathBuf>, Vec<S3Url>), String> {
    let mut files = Vec::new();
    let mut prefixes = Vec::new();
    for input in inputs {
        if input.starts_with("s3://") {
            prefixes.push(input.parse()?);
        } else {
            files.push(PathBuf::from(input));
        }
    }
    Ok((files, prefixes))
}

/// Regular files under `paths`, directories walked in name order.
fn files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()?;
            entries.sort();
            let visible: Vec<PathBuf> = entries
                .into_iter()
                .filter(|p| {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    !name.starts_with('.') && !name.ends_with(".md")
                })
                .collect();
            out.extend(files(&visible)?);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// Each file is one invocation, as Lambda would see it.
/// Replays `files`; returns the summary and the failed batch items.
pub async fn replay_files(forwarder: &Forwarder, files: &[PathBuf]) -> (Summary, Vec<String>) {
    let mut total = Summary::default();
    let mut failed_items = Vec::new();
    for file in files {
        let outcome = match read_units(file) {
            Ok(units) => {
                forwarder
                    .forward(units, Instant::now() + FILE_DEADLINE)
                    .await
            }
            Err(e) => {
                total.merge(Summary::undecodable(format!("{}: {e}", file.display())));
                continue;
            }
        };
        tracing::info!(file = %file.display(), summary = %outcome.summary.to_json(), "replayed");
        failed_items.extend(outcome.failed_items);
        let mut summary = outcome.summary;
        summary.errors = summary
            .errors
            .into_iter()
            .map(|e| format!("{}: {e}", file.display()))
            .collect();
        total.merge(summary);
    }
    (total, failed_items)
}

/// Every object under `prefixes` the selection takes, `concurrency` at a
/// time, each as an S3 notification naming it would have it read: same
/// routing, same ids, so an object the function indexed already adds only
/// duplicates. An object is recorded in the checkpoint once all of it
/// arrived (or went to the dead letters).
pub async fn replay_objects(
    forwarder: &Forwarder,
    prefixes: &[S3Url],
    selection: &Selection,
    checkpoint: &Checkpoint,
    concurrency: usize,
) -> (Summary, Objects) {
    let Some(s3) = forwarder.s3() else {
        return (
            Summary::undecodable("reading s3:// needs AWS credentials and a region"),
            Objects::default(),
        );
    };
    let progress = Progress::on_stderr("read");
    let work = |batch: Vec<crate::client::s3::S3Location>| async move {
        let units = batch
            .iter()
            .map(|object| Unit {
                item_id: None,
                work: Work::S3(vec![object.clone()]),
            })
            .collect();
        let outcome = forwarder
            .forward(units, Instant::now() + OBJECT_DEADLINE)
            .await;
        let complete = outcome.is_complete();
        let events = outcome.summary.events;
        BatchOutcome {
            result: outcome.summary,
            unfinished: if complete { 0 } else { batch.len() as u64 },
            finished: if complete { batch } else { Vec::new() },
            events,
        }
    };
    let plan = history::Plan {
        s3,
        sources: prefixes,
        selection,
        checkpoint,
        concurrency,
        progress: &progress,
    };
    plan.run(1, work, Summary::merge).await
}

fn read_units(file: &Path) -> Result<Vec<input::Unit>, String> {
    input::from_file(file).map_err(|e| e.to_string())
}
