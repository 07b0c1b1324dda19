//! logs-forwarder: AWS logs into Amazon OpenSearch Service / Elasticsearch.
//!
//! The data flow follows the module names:
//!
//! ```text
//! input      envelopes (CloudWatch Logs, Kinesis) → units of work
//! decode     base64, gzip by magic bytes
//! formats    CloudTrail, VPC flow, JSON, text → one document per event
//! routing    log group / content → index name and format
//! bulk       NDJSON into bounded bodies; per-item responses
//! client     hyper + rustls, SigV4 / basic auth, gzip, timeouts
//! delivery   retries with backoff, per-item re-sends, deadline
//! forwarder  the pipeline that runs all of the above per invocation
//! ```

pub mod bulk;
pub mod client;
pub mod config;
pub mod decode;
pub mod delivery;
pub mod formats;
pub mod forwarder;
pub mod input;
pub mod json;
pub mod lambda;
pub mod logging;
pub mod replay;
pub mod routing;
pub mod summary;
pub mod time;
