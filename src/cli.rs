//! The command line of `logs-forwarder` (clap, derive): what each
//! subcommand takes, and what the command lines share.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::formats::Format;
use crate::history::listing::S3Url;
use crate::history::select::{parse_day, Selection};

/// The environment every command that talks to the cluster reads.
const CLUSTER_ENV: &str = "\
Cluster (as for the Lambda function; see README.md):
  ES_AUTH                 sigv4 (the default), basic or none
  ES_SERVICE              es or aoss, for SigV4
  ES_USERNAME, ES_PASSWORD, ES_SECRET_ARN, ES_ALLOW_BASIC_OVER_HTTP   basic auth
  ES_CA_BUNDLE            a PEM file of private CAs to trust";

/// What decides the indices, their templates and their retention.
const ROUTES_ENV: &str = "\
Indices (as for the Lambda function):
  ROUTES, ROUTES_FILE     the routes: index names, formats, retention, shards
  RETENTION, INDEX_SHARDS, INDEX_REPLICAS   for indices whose route sets none";

const AWS_ENV: &str = "\
AWS (found as the AWS CLI finds them):
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
  AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE   profiles, credential_process
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI          ECS, EKS Pod Identity
  AWS_EC2_METADATA_DISABLED                                   the instance role is asked last
  AWS_REGION, AWS_DEFAULT_REGION                              else the profile's region";

#[derive(Debug, Parser)]
#[command(
    name = "logs-forwarder",
    version,
    about = "AWS logs into OpenSearch / Elasticsearch",
    long_about = "AWS logs into OpenSearch / Elasticsearch.\n\n\
        With AWS_LAMBDA_RUNTIME_API set (in Lambda) it runs the runtime loop; \
        otherwise these commands replay captured input, backfill history from S3 \
        and manage the cluster's templates and dashboards."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send captured events, log files and S3 objects through the Lambda code path.
    #[command(after_help = replay_help())]
    Replay(ReplayArgs),
    /// Announce existing S3 objects to the deployed forwarder's SQS queue.
    #[command(after_help = backfill_help())]
    Backfill(BackfillArgs),
    /// Index templates and lifecycle policies for every source.
    #[command(subcommand)]
    Templates(TemplatesCommand),
    /// Index patterns and starter dashboards.
    #[command(subcommand)]
    Dashboards(DashboardsCommand),
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Send to this cluster; without it, write the _bulk NDJSON to --out.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Where the NDJSON goes without --endpoint (- for stdout, the default).
    #[arg(long, value_name = "PATH")]
    pub out: Option<String>,
    /// Read every record as this format instead of detecting it.
    #[arg(long, value_name = "NAME", value_parser = parse_format)]
    pub format: Option<Format>,
    #[command(flatten)]
    pub history: HistoryArgs,
    /// Lambda events, CloudWatch Logs payloads, log files, dead-letter files,
    /// directories of them, and s3://bucket/prefix (every object under it).
    #[arg(required = true, value_name = "FILE|DIR|s3://BUCKET/PREFIX")]
    pub inputs: Vec<String>,
}

#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// The forwarder's SQS queue (the stack's LogObjectsQueueUrl output).
    #[arg(long, value_name = "URL")]
    pub queue: String,
    #[command(flatten)]
    pub history: HistoryArgs,
    /// Where the objects are.
    #[arg(required = true, value_name = "s3://BUCKET/PREFIX")]
    pub sources: Vec<S3Url>,
}

/// Which objects under an s3:// prefix, how many at once, and where the
/// objects done are recorded.
#[derive(Debug, Args, Clone)]
pub struct HistoryArgs {
    /// First day (YYYY-MM-DD, or 90d for ninety days ago), inclusive: the day
    /// in the key where AWS's layout writes one, else LastModified's.
    #[arg(long, value_name = "DAY")]
    pub since: Option<String>,
    /// Last day (YYYY-MM-DD or Nd), inclusive.
    #[arg(long, value_name = "DAY")]
    pub until: Option<String>,
    /// Take only keys matching (below the prefix; * any characters, ? one).
    #[arg(long, value_name = "PATTERN")]
    pub include: Vec<String>,
    /// Leave out keys matching.
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,
    /// Objects (replay) or batches of ten (backfill) worked on at once.
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Record objects done here; a second run with it skips them.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// Install the templates and policies into a cluster.
    #[command(after_help = format!("{ROUTES_ENV}\n{CLUSTER_ENV}"))]
    Apply {
        #[arg(long, value_name = "URL")]
        endpoint: String,
    },
    /// Print what apply would install, as NDJSON.
    #[command(after_help = ROUTES_ENV)]
    Show {
        /// The cluster to write for: opensearch-X.Y, amazon-elasticsearch-X.Y
        /// or elasticsearch-X.Y.
        #[arg(long, value_name = "NAME")]
        cluster: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DashboardsCommand {
    /// Import the saved objects into OpenSearch Dashboards (or Kibana).
    #[command(after_help = CLUSTER_ENV)]
    Apply {
        /// The Dashboards (or Kibana) URL.
        #[arg(long, value_name = "URL")]
        endpoint: String,
        /// Kibana's saved-objects API instead of OpenSearch Dashboards'.
        #[arg(long)]
        kibana: bool,
    },
    /// Print the saved objects as NDJSON.
    Show,
}

fn parse_format(name: &str) -> Result<Format, String> {
    name.parse().map_err(|e| format!("{e}"))
}

fn replay_help() -> String {
    format!(
        "{CLUSTER_ENV}\n\
Forwarder settings: ES_TYPE, ES_ACTION, ROUTES, ROUTES_FILE, TEMPLATES, RETENTION, GEOIP_DB,
  BULK_MAX_BYTES, BULK_CONCURRENCY, BULK_GZIP, REQUEST_TIMEOUT_MS, DLQ_URI, S3_BUCKETS
{AWS_ENV}
  S3_ENDPOINT, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL          an S3-compatible endpoint

The last line on stderr is the JSON summary. Exit status: 0 when everything arrived,
1 when something did not, 2 for a usage or configuration error."
    )
}

fn backfill_help() -> String {
    format!(
        "{AWS_ENV}
  S3_ENDPOINT, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL          an S3-compatible endpoint
  AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL                      an SQS-compatible endpoint

The caller needs s3:ListBucket on the buckets and sqs:SendMessage on the queue.
The last line on stderr is the JSON summary. Exit status: 0 when every object was queued,
1 when some were not, 2 for a usage or configuration error."
    )
}

impl HistoryArgs {
    /// The selection these options make; an error names the bad option.
    pub fn selection(&self) -> Result<Selection, String> {
        let today = crate::time::day_number(crate::time::now_millis());
        let day = |name: &str, text: &Option<String>| {
            text.as_deref()
                .map(|t| parse_day(t, today).map_err(|e| format!("{name}: {e}")))
                .transpose()
        };
        let selection = Selection {
            since: day("--since", &self.since)?,
            until: day("--until", &self.until)?,
            include: self.include.clone(),
            exclude: self.exclude.clone(),
        };
        if let (Some(since), Some(until)) = (selection.since, selection.until) {
            if since > until {
                return Err("--since is after --until".into());
            }
        }
        Ok(selection)
    }
}

/// The environment, with AWS credentials and region filled in from where
/// the AWS CLI would find them when `aws` says the command needs them and
/// the environment does not hold them. An error is a configuration error.
pub fn aws_environment(
    runtime: &tokio::runtime::Runtime,
    aws: bool,
) -> Result<impl Fn(&str) -> Option<String> + Clone, String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut found = crate::client::credentials::Found::default();
    if aws {
        let http = crate::client::http_client(1, &Default::default());
        found = runtime
            .block_on(crate::client::credentials::find(&http, &env))
            .map_err(|e| format!("AWS credentials: {e}"))?;
        if found.credentials.is_some() {
            tracing::info!(
                source = found.source,
                region = found.region.as_deref(),
                "AWS credentials"
            );
        }
    }
    let region = found.region;
    let credentials = found.credentials;
    Ok(move |name: &str| {
        env(name).or_else(|| match name {
            "AWS_REGION" => region.clone(),
            "AWS_ACCESS_KEY_ID" => credentials.as_ref().map(|c| c.access_key_id.clone()),
            "AWS_SECRET_ACCESS_KEY" => credentials.as_ref().map(|c| c.secret_access_key.clone()),
            "AWS_SESSION_TOKEN" => credentials.as_ref().and_then(|c| c.session_token.clone()),
            _ => None,
        })
    })
}

/// The settings of a command that sends to `endpoint` (which stands in
/// for `ES_ENDPOINT`), from the environment, with AWS credentials found as
/// the AWS CLI finds them where the settings need them (SigV4, a secret, an
/// S3 dead-letter destination) or `aws` says the command does.
pub fn settings(
    runtime: &tokio::runtime::Runtime,
    endpoint: Option<String>,
    aws: bool,
) -> Result<crate::config::Settings, String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let auth = env("ES_AUTH");
    let needs_aws = aws
        || env("DLQ_URI").is_some_and(|d| d.starts_with("s3://"))
        || (endpoint.is_some() && matches!(auth.as_deref(), None | Some("sigv4")))
        || (auth.as_deref() == Some("basic") && env("ES_SECRET_ARN").is_some());
    let env = aws_environment(runtime, needs_aws)?;
    crate::config::Settings::from_lookup(|name| match name {
        "ES_ENDPOINT" => endpoint.clone(),
        _ => env(name),
    })
    .map_err(|e| e.to_string())
}

/// What `templates apply` and `dashboards apply` start from: a runtime,
/// the settings from the environment, and the cluster (or Dashboards) at
/// `endpoint` reached as they say. A configuration error is reported here.
pub fn cluster_at(
    endpoint: String,
) -> Result<
    (
        tokio::runtime::Runtime,
        crate::config::Settings,
        crate::client::Cluster,
    ),
    ExitCode,
> {
    let runtime = runtime(false)?;
    let settings = settings(&runtime, Some(endpoint), false).map_err(configuration_error)?;
    let endpoint = settings.endpoint.clone().ok_or(ExitCode::from(2))?;
    let cluster = crate::client::Cluster::new(endpoint, &settings.cluster_config());
    Ok((runtime, settings, cluster))
}

/// A usage error found after parsing (a value that does not hold up):
/// said as clap says its own, with status 2.
pub fn usage_error(command: &str, error: &str) -> ExitCode {
    eprintln!("error: {error}\n\nFor more information, try 'logs-forwarder {command} --help'.");
    ExitCode::from(2)
}

/// A configuration error (a variable, a file, credentials): status 2.
pub fn configuration_error(error: impl std::fmt::Display) -> ExitCode {
    eprintln!("configuration: {error}");
    ExitCode::from(2)
}

/// The async runtime of a command: one thread is enough for a tool that
/// waits on the network; replay uses all cores for its bodies in flight.
pub fn runtime(multi_thread: bool) -> Result<tokio::runtime::Runtime, ExitCode> {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build().map_err(|e| {
        eprintln!("cannot start the async runtime: {e}");
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("logs-forwarder").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn replay_takes_files_prefixes_and_selection() {
        let Command::Replay(replay) = parse(&[
            "replay",
            "--endpoint",
            "http://h:9200",
            "--format",
            "cloudtrail",
            "--since",
            "90d",
            "--include",
            "*.gz",
            "--include",
            "*.log",
            "--concurrency",
            "8",
            "a",
            "s3://b-1/p/",
        ])
        .expect("valid")
        .command
        else {
            panic!("replay")
        };
        assert_eq!(replay.endpoint.as_deref(), Some("http://h:9200"));
        assert_eq!(replay.format, Some(Format::CloudTrail));
        assert_eq!(replay.history.include, ["*.gz", "*.log"]);
        assert_eq!(replay.history.concurrency, 8);
        assert_eq!(replay.inputs, ["a", "s3://b-1/p/"]);
        for (bad, names) in [
            (&["replay", "--format", "xml", "a"][..], "--format"),
            (&["replay", "--bogus", "a"], "--bogus"),
            (&["replay"], "FILE|DIR"),
            (&["replay", "--concurrency", "0", "a"], "--concurrency"),
            (&["backfill", "s3://b-1/x"], "--queue"),
            (&["backfill", "--queue", "q", "b-1/x"], "s3://"),
        ] {
            let err = parse(bad).expect_err("usage error");
            assert_eq!(err.exit_code(), 2, "{bad:?}");
            assert!(err.to_string().contains(names), "{bad:?}: {err}");
        }
    }
}
