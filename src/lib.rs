//! logs-forwarder: AWS logs into Amazon OpenSearch Service / Elasticsearch.
//!
//! The data flow follows the module names:
//!
//! ```text
//! input      envelopes (CloudWatch Logs, Kinesis), log objects → units of work
//! decode     base64, gzip by magic bytes, records of streamed objects
//! formats    CloudTrail, VPC flow, JSON, text → one document per event
//! routing    log group, bucket/prefix, content → index name and format
//! bodies     events → documents → bounded bodies, one body at a time
//! bulk       NDJSON into bounded bodies; per-item responses
//! client     hyper + rustls, SigV4 / basic auth, gzip, timeouts
//! delivery   retries with backoff, per-item re-sends, repairs, deadline
//! dead_letter what the cluster will not take, with the reason (DLQ_URI)
//! spill      a record too large to hold, kept whole in a temporary file
//! forwarder  the pipeline that runs all of the above per invocation
//! ```

pub mod backfill;
pub mod bodies;
pub mod bulk;
pub mod cli;
pub mod client;
pub mod config;
pub mod dashboards;
pub mod dead_letter;
pub mod decode;
pub mod delivery;
pub mod filters;
pub mod formats;
pub mod forwarder;
pub mod history;
pub mod input;
pub mod json;
pub mod lambda;
pub mod lifecycle;
pub mod logging;
pub mod metrics;
pub mod percent;
pub mod replay;
pub mod routing;
pub mod snapshots;
pub mod spill;
pub mod summary;
pub mod templates;
pub mod time;
