//! Index templates: one per source, so that the cluster maps every field the
//! way the formats write it and never rejects a document over its mapping.
//!
//! The mappings are generated from the formats' own field tables (flow log
//! [`SCHEMA`](crate::formats::vpc_flow::SCHEMA), the access-log columns, the
//! Lambda REPORT fields), so a field added to a format is mapped with it.
//!
//! Strategy, per source:
//! - every template: `@timestamp` a date, `@message`/`@error` text, the
//!   forwarder's other `@` fields keywords, and `date_detection` off (a string
//!   that looks like a date once, such as CloudTrail's `apiVersion`
//!   `2006-03-01`, must not make the field a date for ever);
//! - structured sources (CloudTrail, flow logs, S3 access, ELB): unmapped
//!   strings become `keyword` with `ignore_above: 1024` (never a rejected
//!   over-long term); flow log `start`/`end` are `epoch_second` dates,
//!   addresses `ip`, counts `long`;
//! - CloudTrail: `eventTime` kept as a keyword (its date is `@timestamp`,
//!   parsed by the forwarder in every variant seen), a total-fields limit of
//!   5,000, and the polymorphic subtrees
//!   (`requestParameters`, `responseElements`, `additionalEventData`,
//!   `serviceEventDetails`, plus `@original` everywhere) stored as one field
//!   each: `flat_object` on OpenSearch 2.7+, `flattened` on Elasticsearch
//!   7.3+ (both keep every leaf searchable), and elsewhere an object with
//!   `enabled: false` (kept in `_source`, not searchable, never a conflict).
//!
//! Templates are composable (`_index_template`) on OpenSearch and on
//! Elasticsearch 7.8+, legacy (`_template`) before, with the `_doc` type
//! wrapper on Elasticsearch 6.x. Applying is idempotent: each template
//! carries a hash of its body in `_meta`, and one that is already installed
//! unchanged is not written again.

use std::collections::BTreeMap;
use std::io::Write as _;

use http::Method;
use serde_json::{json, Map, Value};

use crate::client::Cluster;
use crate::formats::fields::{Column, Shape};
use crate::formats::typed::Kind;
use crate::formats::{elb, lambda, s3_access, vpc_flow, Format};
use crate::routing::{self, Router};

/// Every template this forwarder installs has a name starting with this.
pub const NAME_PREFIX: &str = "logs-forwarder-";

/// CloudTrail subtrees whose shape depends on the event.
pub const CLOUDTRAIL_FLATTENED: &[&str] = &[
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "serviceEventDetails",
];

/// What kind of cluster the templates are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClusterVersion {
    pub opensearch: bool,
    pub major: u32,
    pub minor: u32,
}

impl Default for ClusterVersion {
    /// OpenSearch 2.x: Amazon OpenSearch Service today, and Serverless.
    fn default() -> Self {
        ClusterVersion {
            opensearch: true,
            major: 2,
            minor: 11,
        }
    }
}

impl ClusterVersion {
    /// From the answer to `GET /`.
    pub fn from_info(info: &Value) -> Option<ClusterVersion> {
        let number = info.pointer("/version/number")?.as_str()?;
        let mut parts = number.split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next().flatten().unwrap_or(0);
        let opensearch = info
            .pointer("/version/distribution")
            .and_then(Value::as_str)
            == Some("opensearch");
        Some(ClusterVersion {
            opensearch,
            major,
            minor,
        })
    }

    fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    /// The field type that keeps an arbitrary subtree searchable as one field.
    fn flattened_type(&self) -> Option<&'static str> {
        match self.opensearch {
            true if self.at_least(2, 7) => Some("flat_object"),
            false if self.at_least(7, 3) => Some("flattened"),
            _ => None,
        }
    }

    /// Composable templates exist on OpenSearch and Elasticsearch 7.8+.
    fn composable(&self) -> bool {
        self.opensearch || self.at_least(7, 8)
    }
}

/// One index template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub name: String,
    pub patterns: Vec<String>,
    pub settings: Value,
    pub mappings: Value,
}

impl Template {
    /// The request that installs it: path and body.
    pub fn request(&self, version: &ClusterVersion) -> (String, Value) {
        let mut mappings = self.mappings.clone();
        let hash = self.hash();
        let meta = json!({"managed_by": "logs-forwarder", "hash": hash});
        if version.composable() {
            let body = json!({
                "index_patterns": self.patterns,
                "priority": 100,
                "template": {"settings": self.settings, "mappings": mappings},
                "_meta": meta,
            });
            (format!("/_index_template/{}", self.name), body)
        } else {
            if let Some(m) = mappings.as_object_mut() {
                m.insert("_meta".into(), meta);
            }
            if version.major < 7 {
                mappings = json!({ "_doc": mappings });
            }
            let body = json!({
                "index_patterns": self.patterns,
                "order": 100,
                "settings": self.settings,
                "mappings": mappings,
            });
            (format!("/_template/{}", self.name), body)
        }
    }

    /// A hash of what the template says, to tell whether the installed one
    /// is the same.
    pub fn hash(&self) -> String {
        let text = json!([self.patterns, self.settings, self.mappings]).to_string();
        crate::client::sigv4::sha256_hex(text.as_bytes())[..16].to_owned()
    }
}

/// The sources the templates cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    CloudTrail,
    VpcFlow,
    S3Access,
    Elb,
    Logs,
}

impl Source {
    fn of(format: &Format) -> Source {
        match format {
            Format::CloudTrail => Source::CloudTrail,
            Format::VpcFlow(_) => Source::VpcFlow,
            Format::S3Access => Source::S3Access,
            Format::Elb => Source::Elb,
            Format::Lambda | Format::Json | Format::Text => Source::Logs,
        }
    }

    /// The source's default index base, as routing names it (`None` for
    /// the generic source, whose indices are named after their origin).
    fn base(self) -> Option<&'static str> {
        let format = match self {
            Source::CloudTrail => Format::CloudTrail,
            Source::VpcFlow => Format::VpcFlow(vpc_flow::FieldList::default()),
            Source::S3Access => Format::S3Access,
            Source::Elb => Format::Elb,
            Source::Logs => return None,
        };
        routing::default_base(&format)
    }

    fn name(self) -> &'static str {
        self.base().unwrap_or("logs")
    }

    /// The index patterns of the indices routing writes by default.
    fn default_patterns(self) -> Vec<String> {
        match self.base() {
            Some(base) => vec![format!("{base}-*")],
            None => vec![
                format!("{}-*", routing::CLOUDWATCH_BASE),
                format!("{}-*", routing::OBJECT_BASE),
            ],
        }
    }
}

/// The templates for the indices the router writes: the default index
/// names, plus the indices routes name (under their format's template, or
/// the generic one when the route detects the format).
pub fn build(router: &Router, version: &ClusterVersion) -> Vec<Template> {
    let mut patterns: BTreeMap<Source, Vec<String>> = BTreeMap::new();
    for source in [
        Source::CloudTrail,
        Source::VpcFlow,
        Source::S3Access,
        Source::Elb,
        Source::Logs,
    ] {
        patterns.insert(source, source.default_patterns());
    }
    for (index, format) in router.configured_indices() {
        let source = format.map_or(Source::Logs, Source::of);
        let list = patterns.entry(source).or_default();
        let wildcard = index.wildcard();
        if !list.contains(&wildcard) {
            list.push(wildcard);
        }
    }
    patterns
        .into_iter()
        .map(|(source, patterns)| template(source, patterns, version))
        .collect()
}

fn template(source: Source, patterns: Vec<String>, version: &ClusterVersion) -> Template {
    let flattened = match version.flattened_type() {
        Some(kind) => json!({"type": kind}),
        None => json!({"type": "object", "enabled": false}),
    };
    let mut properties = Map::new();
    properties.insert("@timestamp".into(), json!({"type": "date"}));
    for name in ["@message", "@error"] {
        properties.insert(name.into(), json!({"type": "text"}));
    }
    for name in ["@id", "@owner", "@log_group", "@log_stream", "@source"] {
        properties.insert(name.into(), keyword());
    }
    properties.insert("@original".into(), flattened.clone());
    let mut fields_limit = 1000;
    let structured = source != Source::Logs;
    match source {
        Source::CloudTrail => {
            fields_limit = 5000;
            // Dates live in `@timestamp`; `eventTime` stays the text it was
            // (records re-serialised by other tools write `2025-01-21
            // 17:49:47.000000000`, which a date mapping rejects).
            properties.insert("eventTime".into(), keyword());
            properties.insert("apiVersion".into(), keyword());
            properties.insert(
                "errorMessage".into(),
                json!({"type": "text", "fields": {"keyword": keyword()}}),
            );
            for name in CLOUDTRAIL_FLATTENED {
                properties.insert((*name).into(), flattened.clone());
            }
        }
        Source::VpcFlow => {
            for (aws, kind) in vpc_flow::SCHEMA {
                properties.insert(vpc_flow::document_name(aws), kind_mapping(*kind));
            }
        }
        Source::S3Access => add_columns(&mut properties, s3_access::COLUMNS),
        Source::Elb => {
            for format in elb::ALL {
                add_columns(&mut properties, format.columns);
            }
        }
        Source::Logs => {
            for (_, name, kind) in lambda::REPORT_FIELDS {
                properties.insert((*name).into(), kind_mapping(*kind));
            }
        }
    }
    if structured {
        properties.insert("extra_fields".into(), keyword());
    }
    let mut mappings = json!({
        "date_detection": false,
        "properties": properties,
    });
    // A route's `geoip` adds `<field>_geo.location` ({lat, lon}): a point
    // on a map, in every source.
    let mut dynamic = vec![json!(
        {"geoip_locations": {"path_match": "*_geo.location", "mapping": {"type": "geo_point"}}}
    )];
    if structured {
        dynamic.extend([
            json!({"strings_as_keywords": {"match_mapping_type": "string", "mapping": keyword()}}),
            // `true` in one record and `"True"` in another (CloudTrail's
            // managementEvent, re-serialised by other tools) must both fit.
            json!({"booleans_as_keywords": {"match_mapping_type": "boolean", "mapping": keyword()}}),
        ]);
    }
    mappings["dynamic_templates"] = Value::Array(dynamic);
    Template {
        name: format!("{NAME_PREFIX}{}", source.name()),
        patterns,
        settings: json!({"index.mapping.total_fields.limit": fields_limit}),
        mappings,
    }
}

fn keyword() -> Value {
    json!({"type": "keyword", "ignore_above": 1024})
}

fn kind_mapping(kind: Kind) -> Value {
    match kind {
        Kind::Keyword => keyword(),
        Kind::Integer => json!({"type": "long"}),
        Kind::Float => json!({"type": "double"}),
        Kind::Ip => json!({"type": "ip"}),
        Kind::EpochSeconds => {
            json!({"type": "date", "format": "epoch_second||strict_date_optional_time"})
        }
    }
}

fn add_columns(properties: &mut Map<String, Value>, columns: &[Column]) {
    for column in columns {
        let name = column.name;
        let mut put = |name: String, mapping: Value| {
            properties.insert(name, mapping);
        };
        match column.shape {
            Shape::Value(kind) | Shape::List(kind) => put(name.into(), kind_mapping(kind)),
            Shape::Endpoint { ip, port } => {
                put(ip.into(), kind_mapping(Kind::Ip));
                put(port.into(), kind_mapping(Kind::Integer));
            }
            Shape::Request {
                method,
                target,
                protocol,
            } => {
                put(name.into(), keyword());
                put(method.into(), keyword());
                put(target.into(), keyword());
                put(protocol.into(), keyword());
            }
            Shape::Time => put(name.into(), json!({"type": "date"})),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("reading the installed templates: {0}")]
    Read(String),
    #[error("installing template {name}: {reason}")]
    Write { name: String, reason: String },
}

/// What applying did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub written: Vec<String>,
    pub unchanged: Vec<String>,
}

/// Installs `templates`, skipping those already installed unchanged.
pub async fn apply(
    cluster: &Cluster,
    templates: &[Template],
    version: &ClusterVersion,
) -> Result<Applied, TemplateError> {
    let installed = installed_hashes(cluster, version).await?;
    let mut applied = Applied::default();
    for template in templates {
        if installed.get(&template.name) == Some(&template.hash()) {
            applied.unchanged.push(template.name.clone());
            continue;
        }
        let (path, body) = template.request(version);
        let fail = |reason: String| TemplateError::Write {
            name: template.name.clone(),
            reason,
        };
        let response = cluster
            .send(
                Method::PUT,
                &path,
                Some((body.to_string().into(), "application/json")),
            )
            .await
            .map_err(|e| fail(e.to_string()))?;
        if !response.status.is_success() {
            return Err(fail(format!(
                "HTTP {}: {}",
                response.status.as_u16(),
                crate::delivery::excerpt(&response.body)
            )));
        }
        tracing::info!(template = %template.name, patterns = ?template.patterns, "index template installed");
        applied.written.push(template.name.clone());
    }
    Ok(applied)
}

/// The hashes of this forwarder's templates that are installed, by name.
async fn installed_hashes(
    cluster: &Cluster,
    version: &ClusterVersion,
) -> Result<BTreeMap<String, String>, TemplateError> {
    let path = if version.composable() {
        format!("/_index_template/{NAME_PREFIX}*")
    } else {
        format!("/_template/{NAME_PREFIX}*")
    };
    let response = cluster
        .send(Method::GET, &path, None)
        .await
        .map_err(|e| TemplateError::Read(e.to_string()))?;
    if response.status.as_u16() == 404 {
        return Ok(BTreeMap::new());
    }
    if !response.status.is_success() {
        return Err(TemplateError::Read(format!(
            "HTTP {}: {}",
            response.status.as_u16(),
            crate::delivery::excerpt(&response.body)
        )));
    }
    let value: Value =
        serde_json::from_slice(&response.body).map_err(|e| TemplateError::Read(e.to_string()))?;
    let hash_of = |meta: Option<&Value>| {
        meta.and_then(|m| m.get("hash"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let mut hashes = BTreeMap::new();
    if let Some(list) = value.get("index_templates").and_then(Value::as_array) {
        for entry in list {
            if let (Some(name), Some(hash)) = (
                entry.get("name").and_then(Value::as_str),
                hash_of(entry.pointer("/index_template/_meta")),
            ) {
                hashes.insert(name.to_owned(), hash);
            }
        }
    } else if let Some(map) = value.as_object() {
        // Legacy: {"name": {"mappings": {"_meta": ...} or {"_doc": {"_meta": ...}}}}
        for (name, body) in map {
            let mappings = body.get("mappings");
            let meta = mappings
                .and_then(|m| m.get("_meta"))
                .or_else(|| mappings.and_then(|m| m.pointer("/_doc/_meta")));
            if let Some(hash) = hash_of(meta) {
                hashes.insert(name.clone(), hash);
            }
        }
    }
    Ok(hashes)
}

pub const USAGE: &str = "usage: logs-forwarder templates apply --endpoint URL
       logs-forwarder templates show [--cluster opensearch-2.11|elasticsearch-7.10|...]";

/// `logs-forwarder templates apply|show`: installs the templates by hand,
/// or prints the requests that would install them.
pub fn main(args: &[String]) -> std::process::ExitCode {
    use std::process::ExitCode;
    crate::logging::init(false, "warn");
    let mut endpoint = None;
    let mut cluster_name = None;
    let mut it = args.iter().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--endpoint" => endpoint = it.next().cloned(),
            "--cluster" => cluster_name = it.next().cloned(),
            other => {
                eprintln!("unknown argument {other:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let settings = crate::config::Settings::from_lookup(|name| match name {
        "ES_ENDPOINT" => endpoint.clone(),
        _ => std::env::var(name).ok().filter(|v| !v.is_empty()),
    });
    let settings = match settings {
        Ok(s) => s,
        Err(e) => {
            eprintln!("configuration: {e}");
            return ExitCode::from(2);
        }
    };
    match (args.first().map(String::as_str), &settings.endpoint) {
        (Some("show"), _) => {
            let version = match cluster_name.as_deref().map(parse_cluster) {
                None => ClusterVersion::default(),
                Some(Some(v)) => v,
                Some(None) => {
                    eprintln!("--cluster: expected opensearch-X.Y or elasticsearch-X.Y");
                    return ExitCode::from(2);
                }
            };
            let mut out = std::io::stdout().lock();
            for template in build(&settings.router, &version) {
                let (path, body) = template.request(&version);
                let line = json!({"method": "PUT", "path": path, "body": body});
                if writeln!(out, "{line}").is_err() {
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
        (Some("apply"), Some(endpoint)) => {
            let cluster = Cluster::new(endpoint.clone(), &settings.cluster_config());
            let runtime = match crate::cli::runtime(false) {
                Ok(rt) => rt,
                Err(code) => return code,
            };
            let result = runtime.block_on(async {
                let info = cluster
                    .send(Method::GET, "/", None)
                    .await
                    .map_err(|e| e.to_string())?;
                let version = serde_json::from_slice::<Value>(&info.body)
                    .ok()
                    .and_then(|v| ClusterVersion::from_info(&v))
                    .ok_or_else(|| {
                        format!(
                            "GET / answered HTTP {} without a version: {}",
                            info.status.as_u16(),
                            crate::delivery::excerpt(&info.body)
                        )
                    })?;
                let templates = build(&settings.router, &version);
                apply(&cluster, &templates, &version)
                    .await
                    .map_err(|e| e.to_string())
            });
            match result {
                Ok(applied) => {
                    println!(
                        "{}",
                        json!({"written": applied.written, "unchanged": applied.unchanged})
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("templates apply: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        (Some("apply"), None) => {
            eprintln!("templates apply needs --endpoint URL\n{USAGE}");
            ExitCode::from(2)
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// `opensearch-2.11`, `elasticsearch-6.8`.
fn parse_cluster(name: &str) -> Option<ClusterVersion> {
    let (distribution, number) = name.split_once('-')?;
    let opensearch = match distribution {
        "opensearch" => true,
        "elasticsearch" => false,
        _ => return None,
    };
    ClusterVersion::from_info(&json!({"version": {
        "number": number,
        "distribution": if opensearch { "opensearch" } else { "elasticsearch" },
    }}))
    .map(|v| ClusterVersion { opensearch, ..v })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opensearch() -> ClusterVersion {
        ClusterVersion::from_info(
            &json!({"version": {"number": "2.13.0", "distribution": "opensearch"}}),
        )
        .expect("version")
    }

    #[test]
    fn versions_choose_the_api_and_the_flattened_type() {
        let es6 = ClusterVersion::from_info(&json!({"version": {"number": "6.8.23"}})).expect("6");
        let es717 =
            ClusterVersion::from_info(&json!({"version": {"number": "7.17.1"}})).expect("7");
        let os = opensearch();
        assert_eq!(os.flattened_type(), Some("flat_object"));
        assert_eq!(es717.flattened_type(), Some("flattened"));
        assert_eq!(es6.flattened_type(), None);
        let templates = build(&Router::default(), &es6);
        let (path, body) = templates[0].request(&es6);
        assert!(path.starts_with("/_template/logs-forwarder-"), "{path}");
        assert!(body
            .pointer("/mappings/_doc/properties/@timestamp")
            .is_some());
        assert_eq!(
            body.pointer("/mappings/_doc/properties/requestParameters/enabled"),
            Some(&json!(false))
        );
        let (path, body) = templates[0].request(&os);
        assert!(path.starts_with("/_index_template/"), "{path}");
        assert!(body
            .pointer("/template/mappings/properties/@timestamp")
            .is_some());
    }

    #[test]
    fn mappings_follow_the_format_tables() {
        let templates = build(&Router::default(), &opensearch());
        let by_name = |name: &str| {
            templates
                .iter()
                .find(|t| t.name == format!("{NAME_PREFIX}{name}"))
                .unwrap_or_else(|| panic!("{name}"))
        };
        let flow = &by_name("vpc-flowlogs").mappings["properties"];
        assert_eq!(flow["srcaddr"]["type"], "ip");
        assert_eq!(flow["pkt_dstaddr"]["type"], "ip");
        assert_eq!(flow["dstport"]["type"], "long");
        assert_eq!(
            flow["start"]["format"],
            "epoch_second||strict_date_optional_time"
        );
        let ct = by_name("cloudtrail");
        assert_eq!(ct.mappings["properties"]["apiVersion"]["type"], "keyword");
        assert_eq!(
            ct.mappings["properties"]["requestParameters"]["type"],
            "flat_object"
        );
        assert_eq!(ct.mappings["date_detection"], false);
        assert!(ct.settings["index.mapping.total_fields.limit"].as_u64() >= Some(3000));
        let elb = &by_name("elb-access").mappings["properties"];
        assert_eq!(elb["client_ip"]["type"], "ip");
        assert_eq!(elb["target_port"]["type"], "long");
        assert_eq!(elb["time"]["type"], "date");
        let s3 = &by_name("s3-access").mappings["properties"];
        assert_eq!(s3["remote_ip"]["type"], "ip");
        assert_eq!(s3["bytes_sent"]["type"], "long");
        let logs = by_name("logs");
        assert_eq!(logs.patterns, ["cwl-*", "logs-*"]);
        assert_eq!(logs.mappings["properties"]["duration_ms"]["type"], "double");
    }

    #[test]
    fn elb_formats_agree_on_shared_names() {
        let mut seen: BTreeMap<String, Value> = BTreeMap::new();
        for format in elb::ALL {
            let mut properties = Map::new();
            add_columns(&mut properties, format.columns);
            for (name, mapping) in properties {
                if let Some(previous) = seen.insert(name.clone(), mapping.clone()) {
                    assert_eq!(previous, mapping, "{name} differs between ELB formats");
                }
            }
        }
    }

    #[test]
    fn routes_add_their_indices_to_their_format() {
        let router = Router::from_json(
            r#"[{"log_group":"/trail","index":"audit","format":"cloudtrail"},
                {"log_group":"/app/*","index":"apps","date":"none"}]"#,
        )
        .expect("routes");
        let templates = build(&router, &opensearch());
        let ct = templates
            .iter()
            .find(|t| t.name.ends_with("cloudtrail"))
            .expect("ct");
        assert_eq!(ct.patterns, ["cloudtrail-*", "audit-*"]);
        let logs = templates
            .iter()
            .find(|t| t.name.ends_with("-logs"))
            .expect("logs");
        assert_eq!(logs.patterns, ["cwl-*", "logs-*", "apps"]);
    }

    #[test]
    fn the_hash_changes_with_the_content_only() {
        let a = build(&Router::default(), &opensearch());
        let b = build(&Router::default(), &opensearch());
        assert_eq!(a[0].hash(), b[0].hash());
        let mut c = a[0].clone();
        c.patterns.push("more-*".into());
        assert_ne!(a[0].hash(), c.hash());
    }
}
