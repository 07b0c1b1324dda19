//! `logs-forwarder replay`: captured events and payloads through the exact
//! Lambda code path, into a cluster or (without `--endpoint`) as `_bulk`
//! NDJSON to a file or stdout. The last line on stderr is the JSON summary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::config::Settings;
use crate::formats::Format;
use crate::forwarder::Forwarder;
use crate::input;
use crate::summary::Summary;

pub const USAGE: &str =
    "usage: logs-forwarder replay [--endpoint URL] [--out PATH|-] [--format NAME] FILE|DIR...";

/// Lambda's longest timeout: a replay gets as long per file.
const FILE_DEADLINE: Duration = Duration::from_secs(900);

#[derive(Debug, Default, PartialEq)]
pub struct Args {
    pub endpoint: Option<String>,
    pub out: Option<String>,
    pub format: Option<Format>,
    pub paths: Vec<PathBuf>,
}

pub fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--endpoint" => parsed.endpoint = Some(value("--endpoint")?),
            "--out" => parsed.out = Some(value("--out")?),
            "--format" => {
                let name = value("--format")?;
                parsed.format = Some(name.parse().map_err(|e| format!("--format: {e}"))?);
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            path => parsed.paths.push(PathBuf::from(path)),
        }
    }
    if parsed.paths.is_empty() {
        return Err("no FILE or DIR given".into());
    }
    Ok(parsed)
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

pub fn main(args: &[String]) -> ExitCode {
    crate::logging::init(false, "warn");
    let args = match parse_args(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let endpoint = args.endpoint.clone();
    let settings = Settings::from_lookup(|name| match name {
        // Replay sends only where --endpoint says, never to ES_ENDPOINT.
        "ES_ENDPOINT" => endpoint.clone(),
        _ => std::env::var(name).ok().filter(|v| !v.is_empty()),
    });
    let mut settings = match settings {
        Ok(s) => s,
        Err(e) => {
            eprintln!("configuration: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(format) = args.format.clone() {
        settings.router.force_format(format);
    }
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
    let runtime = match crate::cli::runtime(true) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let summary = match files(&args.paths) {
        Ok(files) => runtime.block_on(replay_files(&forwarder, &files)),
        Err(e) => {
            eprintln!("reading inputs: {e}");
            return ExitCode::from(2);
        }
    };
    let (summary, failed_items) = summary;
    // The summary, plus the batch items a Lambda would name in
    // `batchItemFailures` (SQS message ids, Kinesis sequence numbers).
    let mut line = serde_json::to_value(&summary).unwrap_or_default();
    if let Some(map) = line.as_object_mut() {
        map.insert("failed_items".into(), failed_items.into());
    }
    eprintln!("{line}");
    if summary.is_complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
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

fn read_units(file: &Path) -> Result<Vec<input::Unit>, String> {
    input::from_file(file).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Args, String> {
        parse_args(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn parses_the_documented_options() {
        let a = args(&[
            "--endpoint",
            "http://h:9200",
            "--out",
            "-",
            "--format",
            "cloudtrail",
            "a",
            "b",
        ])
        .expect("valid");
        assert_eq!(a.endpoint.as_deref(), Some("http://h:9200"));
        assert_eq!(a.format, Some(Format::CloudTrail));
        assert_eq!(a.paths.len(), 2);
        assert!(args(&["--format", "xml", "a"])
            .expect_err("bad format")
            .contains("unknown format"));
        assert!(args(&["--bogus", "a"]).is_err());
        assert!(args(&[]).is_err());
        assert!(args(&["--out"]).is_err());
    }
}
