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
//! Common names (Elastic Common Schema: `source.ip`, `destination.port`,
//! `event.action`, ...) are field aliases in each source's template,
//! pointing at the format's own field ([`COMMON_NAMES`]): a query, filter or
//! aggregation on `source.ip` works across every index, and no document
//! carries a byte more (aliases exist in the mapping only; OpenSearch, and
//! Elasticsearch from 6.4).
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
use crate::formats::typed_json::Schema;
use crate::formats::{
    apigateway, cloudfront, cloudtrail, config, eks, elb, eventbridge, findings, lambda,
    network_firewall, rds, route53, s3_access, vpc_flow, waf, Format,
};
use crate::lifecycle::{self, LifecycleApi, Policy};
use crate::routing::{self, IndexSettings, Router};

/// Every template this forwarder installs has a name starting with this.
pub const NAME_PREFIX: &str = "logs-forwarder-";

/// CloudTrail subtrees whose shape depends on the event.
pub const CLOUDTRAIL_FLATTENED: &[&str] = &[
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "serviceEventDetails",
];

pub use crate::client::version::ClusterVersion;

/// One index template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub name: String,
    pub patterns: Vec<String>,
    /// Higher wins where patterns overlap: a route's own template is more
    /// specific than its source's.
    pub priority: u32,
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
                "priority": self.priority,
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
                "order": self.priority,
                "settings": self.settings,
                "mappings": mappings,
            });
            (format!("/_template/{}", self.name), body)
        }
    }

    /// A hash of what the template says, to tell whether the installed one
    /// is the same.
    pub fn hash(&self) -> String {
        let text = json!([self.patterns, self.priority, self.settings, self.mappings]).to_string();
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
    Waf,
    NetworkFirewall,
    Dns,
    CloudFront,
    Events,
    Findings,
    Config,
    EksAudit,
    ApiGateway,
    Rds,
    Logs,
}

impl Source {
    const ALL: [Source; 15] = [
        Source::CloudTrail,
        Source::VpcFlow,
        Source::S3Access,
        Source::Elb,
        Source::Waf,
        Source::NetworkFirewall,
        Source::Dns,
        Source::CloudFront,
        Source::Events,
        Source::Findings,
        Source::Config,
        Source::EksAudit,
        Source::ApiGateway,
        Source::Rds,
        Source::Logs,
    ];

    fn of(format: &Format) -> Source {
        match format {
            Format::CloudTrail => Source::CloudTrail,
            Format::VpcFlow(_) => Source::VpcFlow,
            Format::S3Access => Source::S3Access,
            Format::Elb => Source::Elb,
            Format::Known(schema) => match schema.index {
                "waf" => Source::Waf,
                "network-firewall" => Source::NetworkFirewall,
                "events" => Source::Events,
                "config" => Source::Config,
                "eks-audit" => Source::EksAudit,
                "apigateway" => Source::ApiGateway,
                _ => Source::Dns,
            },
            Format::DnsQuery => Source::Dns,
            Format::CloudFront(_) => Source::CloudFront,
            Format::Findings => Source::Findings,
            Format::Rds => Source::Rds,
            Format::Lambda | Format::Json(_) | Format::Text => Source::Logs,
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
            Source::Waf => Format::Known(&waf::SCHEMA),
            Source::NetworkFirewall => Format::Known(&network_firewall::SCHEMA),
            Source::Dns => Format::DnsQuery,
            Source::CloudFront => Format::CloudFront(Default::default()),
            Source::Events => Format::Known(&eventbridge::EVENT),
            Source::Findings => Format::Findings,
            Source::Config => Format::Known(&config::ITEM),
            Source::EksAudit => Format::Known(&eks::AUDIT),
            Source::ApiGateway => Format::Known(&apigateway::ACCESS),
            Source::Rds => Format::Rds,
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
                format!("{}-*", routing::APIGATEWAY_EXECUTION_BASE),
            ],
        }
    }
}

/// The templates for the indices the router writes: one per source for the
/// default index names and the indices of routes kept like the defaults,
/// and one of its own for each route whose shards, replicas or retention
/// differ. With them, the lifecycle policies their retentions need.
pub fn build(router: &Router, version: &ClusterVersion, api: LifecycleApi) -> Plan {
    let defaults = router.index_defaults();
    let mut patterns: BTreeMap<Source, Vec<String>> = BTreeMap::new();
    for source in Source::ALL {
        patterns.insert(source, source.default_patterns());
    }
    let mut own = Vec::new();
    for (index, format, settings) in router.configured_indices() {
        let source = format.map_or(Source::Logs, Source::of);
        let wildcard = index.wildcard();
        if settings != *defaults {
            if !own.iter().any(|(w, _, _): &(String, _, _)| *w == wildcard) {
                own.push((wildcard, source, settings));
            }
            continue;
        }
        let list = patterns.entry(source).or_default();
        if !list.contains(&wildcard) {
            list.push(wildcard);
        }
    }
    let mut templates = Vec::new();
    let mut kept = Vec::new();
    for (source, patterns) in patterns {
        let name = format!("{NAME_PREFIX}{}", source.name());
        for p in &patterns {
            kept.push((p.clone(), SOURCE_PRIORITY, defaults.retention.clone()));
        }
        templates.push(template(
            source,
            name,
            patterns,
            SOURCE_PRIORITY,
            defaults,
            version,
            api,
        ));
    }
    for (wildcard, source, settings) in own {
        // Longer patterns are more specific: they win where they overlap.
        let priority = SOURCE_PRIORITY + 1 + wildcard.len().min(200) as u32;
        let name = format!(
            "{NAME_PREFIX}route-{}",
            wildcard.trim_end_matches(['*', '-'])
        );
        kept.push((wildcard.clone(), priority, settings.retention.clone()));
        templates.push(template(
            source,
            name,
            vec![wildcard],
            priority,
            &settings,
            version,
            api,
        ));
    }
    let policies = lifecycle::policies(kept.iter().map(|(p, pr, r)| (p.clone(), *pr, r.as_ref())));
    Plan {
        templates,
        policies,
    }
}

/// What installing the templates writes.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub templates: Vec<Template>,
    pub policies: Vec<Policy>,
}

/// Common (ECS) names and the field each source's documents hold them in,
/// installed as field aliases. A name is listed for a source only where the
/// format has a field that means it; a name whose target is an `ip` in one
/// source and a keyword in another (CloudTrail's `sourceIPAddress` may be a
/// service name) still matches a `term` query on an address in both.
///
/// `user_agent.original` is not among them: S3 access and load balancer
/// logs call their field `user_agent`, which ECS uses as an object, and an
/// alias may not turn a format's own field into one.
pub const COMMON_NAMES: &[(&str, &[(&str, &str)])] = &[
    (
        "cloudtrail",
        &[
            ("source.ip", "sourceIPAddress"),
            ("event.action", "eventName"),
            ("cloud.account.id", "recipientAccountId"),
            ("cloud.region", "awsRegion"),
            ("user.name", "userIdentity.arn"),
        ],
    ),
    (
        "vpc-flowlogs",
        &[
            ("source.ip", "srcaddr"),
            ("source.port", "srcport"),
            ("destination.ip", "dstaddr"),
            ("destination.port", "dstport"),
            ("event.action", "action"),
            ("cloud.account.id", "account_id"),
            ("cloud.region", "region"),
        ],
    ),
    (
        "s3-access",
        &[
            ("source.ip", "remote_ip"),
            ("event.action", "operation"),
            ("http.request.method", "request_method"),
            ("http.response.status_code", "http_status"),
            ("url.original", "request_path"),
            ("user.name", "requester"),
            ("observer.name", "bucket"),
        ],
    ),
    (
        "elb-access",
        &[
            ("source.ip", "client_ip"),
            ("source.port", "client_port"),
            // ALB's target; NLB writes `destination_ip` and Classic ELB
            // `backend_ip`, which one alias cannot also name.
            ("destination.ip", "target_ip"),
            ("destination.port", "target_port"),
            ("event.action", "actions_executed"),
            ("http.request.method", "request_method"),
            ("http.response.status_code", "elb_status_code"),
            ("url.original", "request_url"),
            ("observer.name", "elb"),
        ],
    ),
    (
        "waf",
        &[
            ("source.ip", "httpRequest.clientIp"),
            ("event.action", "action"),
            ("http.request.method", "httpRequest.httpMethod"),
            ("url.original", "httpRequest.uri"),
            ("rule.name", "terminatingRuleId"),
        ],
    ),
    (
        "network-firewall",
        &[
            ("source.ip", "event.src_ip"),
            ("source.port", "event.src_port"),
            ("destination.ip", "event.dest_ip"),
            ("destination.port", "event.dest_port"),
            // Inside the record's own `event` object, beside its members.
            ("event.action", "event.alert.action"),
            ("rule.name", "event.alert.signature"),
        ],
    ),
    (
        "dns",
        &[
            // Resolver's querying address (public DNS logs name the resolver).
            ("source.ip", "srcaddr"),
            ("source.port", "srcport"),
            ("dns.question.name", "query_name"),
            ("dns.question.type", "query_type"),
            ("dns.response_code", "rcode"),
            ("cloud.account.id", "account_id"),
            ("cloud.region", "region"),
        ],
    ),
    (
        "cloudfront",
        &[
            ("source.ip", "c-ip"),
            ("source.port", "c-port"),
            ("http.request.method", "cs-method"),
            ("http.response.status_code", "sc-status"),
            ("url.original", "cs-uri-stem"),
        ],
    ),
    (
        "findings",
        &[
            ("cloud.account.id", "finding.account"),
            ("cloud.region", "finding.region"),
        ],
    ),
    (
        "config",
        &[
            ("cloud.account.id", "awsAccountId"),
            ("cloud.region", "awsRegion"),
        ],
    ),
    (
        "eks-audit",
        &[
            ("source.ip", "sourceIPs"),
            ("event.action", "verb"),
            // Inside the record's own `user` object, beside its members.
            ("user.name", "user.username"),
        ],
    ),
    (
        "apigateway",
        &[
            ("source.ip", "ip"),
            ("http.request.method", "httpMethod"),
            ("http.response.status_code", "status"),
            ("url.original", "path"),
        ],
    ),
    (
        "rds",
        &[
            ("source.ip", "client_ip"),
            ("source.port", "client_port"),
            ("event.action", "operation"),
        ],
    ),
];

/// The common names of a source's template.
fn common_names(source: Source) -> &'static [(&'static str, &'static str)] {
    COMMON_NAMES
        .iter()
        .find(|(name, _)| *name == source.name())
        .map_or(&[], |(_, names)| names)
}

/// Adds `alias` (dotted) to `properties` as a field alias of `target`.
fn add_alias(properties: &mut Map<String, Value>, alias: &str, target: &str) {
    add_property(properties, alias, json!({"type": "alias", "path": target}));
}

/// The priority (composable) or order (legacy) of the source templates.
const SOURCE_PRIORITY: u32 = 100;

fn template(
    source: Source,
    name: String,
    patterns: Vec<String>,
    priority: u32,
    kept: &IndexSettings,
    version: &ClusterVersion,
    api: LifecycleApi,
) -> Template {
    let flattened = match version.flattened_type() {
        Some(kind) => json!({"type": kind}),
        None => json!({"type": "object", "enabled": false}),
    };
    let mut properties = Map::new();
    properties.insert("@timestamp".into(), json!({"type": "date"}));
    for name in ["@message", "@error"] {
        properties.insert(name.into(), json!({"type": "text"}));
    }
    for name in [
        "@id",
        "@owner",
        "@log_group",
        "@log_stream",
        "@source",
        "@timestamp_from",
    ] {
        properties.insert(name.into(), keyword());
    }
    properties.insert("@original".into(), flattened.clone());
    properties.insert("@invalid".into(), json!({"type": "object"}));
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
            for (name, kind) in cloudtrail::FIELDS {
                properties.insert((*name).into(), kind_mapping(*kind));
            }
            properties.insert(
                "errorMessage".into(),
                json!({"type": "text", "fields": {"keyword": keyword()}}),
            );
            for name in CLOUDTRAIL_FLATTENED {
                properties.insert((*name).into(), flattened.clone());
            }
            // The principal, for `user.name` (the rest of `userIdentity`
            // is mapped as it comes).
            properties.insert(
                "userIdentity".into(),
                json!({"properties": {"arn": keyword()}}),
            );
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
        Source::Waf => add_schema(&mut properties, &waf::SCHEMA, &flattened),
        Source::NetworkFirewall => {
            add_schema(&mut properties, &network_firewall::SCHEMA, &flattened)
        }
        Source::Dns => {
            add_schema(&mut properties, &route53::RESOLVER, &flattened);
            add_columns(&mut properties, route53::PUBLIC_COLUMNS);
        }
        Source::CloudFront => {
            for (name, kind) in cloudfront::all_fields() {
                properties.insert(name.into(), kind_mapping(kind));
            }
        }
        Source::Events => add_schema(&mut properties, &eventbridge::EVENT, &flattened),
        Source::Findings => {
            add_schema(&mut properties, &findings::GUARDDUTY, &flattened);
            add_schema(&mut properties, &findings::ASFF, &flattened);
            for (name, kind) in findings::SUMMARY_FIELDS {
                add_property(&mut properties, name, kind_mapping(*kind));
            }
            // The event a finding came in: its `detail` is the finding.
            for (name, _) in eventbridge::FIELDS {
                add_property(&mut properties, &format!("eventbridge.{name}"), keyword());
            }
        }
        Source::Config => {
            add_schema(&mut properties, &config::ITEM, &flattened);
            add_schema(&mut properties, &eventbridge::CONFIG_EVENT, &flattened);
        }
        Source::EksAudit => add_schema(&mut properties, &eks::AUDIT, &flattened),
        Source::ApiGateway => add_schema(&mut properties, &apigateway::ACCESS, &flattened),
        Source::Rds => {
            for (name, kind) in rds::FIELDS {
                properties.insert((*name).into(), kind_mapping(*kind));
            }
        }
        Source::Logs => {
            for field in lambda::REPORT_FIELDS {
                properties.insert(field.name.into(), kind_mapping(field.kind));
            }
        }
    }
    if structured {
        properties.insert("extra_fields".into(), keyword());
    }
    if version.aliases() {
        for (alias, target) in common_names(source) {
            add_alias(&mut properties, alias, target);
        }
    }
    let mut mappings = json!({
        "date_detection": false,
        "properties": properties,
    });
    // A route's `geoip` adds `<field>_geo.location` ({lat, lon}): a point
    // on a map, in every source.
    let mut dynamic = vec![
        json!({"geoip_locations": {"path_match": "*_geo.location", "mapping": {"type": "geo_point"}}}),
        // Values that did not fit their column, kept as written (a dotted
        // name, `httpRequest.clientIp`, is an object whose leaf is text).
        json!({"invalid_values": {"path_match": "@invalid.*", "match_mapping_type": "string", "mapping": keyword()}}),
    ];
    if structured {
        dynamic.extend([
            json!({"strings_as_keywords": {"match_mapping_type": "string", "mapping": keyword()}}),
            // `true` in one record and `"True"` in another (CloudTrail's
            // managementEvent, re-serialised by other tools) must both fit.
            json!({"booleans_as_keywords": {"match_mapping_type": "boolean", "mapping": keyword()}}),
        ]);
    }
    mappings["dynamic_templates"] = Value::Array(dynamic);
    let mut settings = json!({
        "index.mapping.total_fields.limit": fields_limit,
        "index.number_of_shards": kept.shards,
        "index.number_of_replicas": kept.replicas,
    });
    if let Some((key, policy)) = kept
        .retention
        .as_ref()
        .and_then(|r| api.template_setting(r))
    {
        settings[key] = json!(policy);
    }
    Template {
        name,
        patterns,
        priority,
        settings,
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

/// Maps the typed members of a JSON log type (dotted paths become nested
/// properties) and its variable subtrees as one `flattened` field each.
fn add_schema(properties: &mut Map<String, Value>, schema: &Schema, flattened: &Value) {
    for (path, kind) in schema.fields {
        add_property(properties, path, kind_mapping(*kind));
    }
    for path in schema.flattened {
        add_property(properties, path, flattened.clone());
    }
}

/// Adds `mapping` at the dotted `path` of `properties`.
fn add_property(properties: &mut Map<String, Value>, path: &str, mapping: Value) {
    let mut node = properties;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            node.insert(part.into(), mapping);
            return;
        }
        let object = node
            .entry(part)
            .or_insert_with(|| json!({"properties": {}}));
        let Some(children) = object.get_mut("properties").and_then(Value::as_object_mut) else {
            return;
        };
        node = children;
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

/// What applying did (templates as policies: written or found unchanged).
pub use crate::lifecycle::Applied;

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
        cluster.put_json(&path, &body).await.map_err(fail)?;
        tracing::info!(template = %template.name, patterns = ?template.patterns, "index template installed");
        applied.written.push(template.name.clone());
    }
    Ok(applied)
}

/// What [`install`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Installed {
    pub templates: Applied,
    pub policies: lifecycle::Applied,
    /// Why retention is not enforced here, when a route asks for it and the
    /// cluster has no lifecycle API.
    pub lifecycle_unsupported: Option<String>,
}

/// Installs the templates and lifecycle policies of `router` on a cluster
/// of `version` with the lifecycle `api`, skipping what is there unchanged.
pub async fn install(
    cluster: &Cluster,
    router: &Router,
    version: &ClusterVersion,
    api: LifecycleApi,
) -> Result<Installed, String> {
    let plan = build(router, version, api);
    let mut installed = Installed {
        // Templates first: documents need their mappings more than old
        // indices need deleting (an ILM template may name its policy before
        // the policy exists; indices pick it up once it does).
        templates: apply(cluster, &plan.templates, version)
            .await
            .map_err(|e| e.to_string())?,
        ..Installed::default()
    };
    match lifecycle::apply(cluster, &plan.policies, api).await {
        Ok(applied) => installed.policies = applied,
        Err(e @ lifecycle::LifecycleError::Unsupported) => {
            tracing::error!(error = %e, "retention not enforced");
            installed.lifecycle_unsupported = Some(e.to_string());
        }
        Err(e) => return Err(e.to_string()),
    }
    Ok(installed)
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

/// `logs-forwarder templates show`: the requests that would install the
/// templates and policies, as NDJSON, for `cluster` (`opensearch-2.11`).
pub fn show_main(cluster: Option<&str>) -> std::process::ExitCode {
    use std::process::ExitCode;
    crate::logging::init(false, "warn");
    let settings = match crate::config::Settings::from_env_with_endpoint(None) {
        Ok(s) => s,
        Err(e) => return crate::cli::configuration_error(e),
    };
    let (version, api) = match cluster.map(parse_cluster) {
        None => {
            let version = ClusterVersion::default();
            (version, LifecycleApi::assumed(&version))
        }
        Some(Some(found)) => found,
        Some(None) => {
            eprintln!(
                "error: invalid value for '--cluster': expected opensearch-X.Y, amazon-elasticsearch-X.Y or elasticsearch-X.Y"
            );
            return ExitCode::from(2);
        }
    };
    let plan = build(&settings.router, &version, api);
    let mut lines: Vec<Value> = plan
        .policies
        .iter()
        .filter_map(|p| p.request(api))
        .map(|(path, body)| json!({"method": "PUT", "path": path, "body": body}))
        .collect();
    if api == LifecycleApi::None && !plan.policies.is_empty() {
        eprintln!("{}", lifecycle::LifecycleError::Unsupported);
    }
    for template in &plan.templates {
        let (path, body) = template.request(&version);
        lines.push(json!({"method": "PUT", "path": path, "body": body}));
    }
    let mut out = std::io::stdout().lock();
    for line in lines {
        if writeln!(out, "{line}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// `logs-forwarder templates apply`: installs the templates and policies by hand.
pub fn apply_main(endpoint: String) -> std::process::ExitCode {
    use std::process::ExitCode;
    crate::logging::init(false, "warn");
    let (runtime, settings, cluster) = match crate::cli::cluster_at(endpoint) {
        Ok(found) => found,
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
        let api = LifecycleApi::detect(&cluster, &version).await;
        install(&cluster, &settings.router, &version, api).await
    });
    match result {
        Ok(installed) => {
            println!(
                "{}",
                json!({"written": installed.templates.written,
                       "unchanged": installed.templates.unchanged,
                       "policies_written": installed.policies.written,
                       "policies_unchanged": installed.policies.unchanged,
                       "lifecycle_unsupported": installed.lifecycle_unsupported})
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("templates apply: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `opensearch-2.11`, `amazon-elasticsearch-7.10` (Open Distro ISM),
/// `elasticsearch-8.15` (ILM), with the lifecycle API each has.
fn parse_cluster(name: &str) -> Option<(ClusterVersion, LifecycleApi)> {
    let (distribution, number) = name.rsplit_once('-')?;
    let opensearch = match distribution {
        "opensearch" => true,
        "elasticsearch" | "amazon-elasticsearch" => false,
        _ => return None,
    };
    let version = ClusterVersion::from_info(&json!({"version": {
        "number": number,
        "distribution": if opensearch { "opensearch" } else { "elasticsearch" },
    }}))
    .map(|v| ClusterVersion { opensearch, ..v })?;
    let api = match distribution {
        "amazon-elasticsearch" => LifecycleApi::OpendistroIsm,
        _ => LifecycleApi::assumed(&version),
    };
    Some((version, api))
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

    /// Every leaf of `properties` (dotted path, mapping), aliases included.
    fn leaves(properties: &Value, prefix: &str, out: &mut Vec<(String, Value)>) {
        for (name, mapping) in properties.as_object().expect("properties") {
            let path = format!("{prefix}{name}");
            match mapping.get("properties") {
                Some(children) => leaves(children, &format!("{path}."), out),
                None => out.push((path, mapping.clone())),
            }
        }
    }

    #[test]
    fn common_names_are_aliases_of_mapped_fields_and_collide_with_none() {
        let version = |number: &str, distribution: &str| {
            ClusterVersion::from_info(
                &json!({"version": {"number": number, "distribution": distribution}}),
            )
            .expect("version")
        };
        for cluster in [
            opensearch(),
            version("1.3.0", "opensearch"),
            version("7.10.2", "elasticsearch"),
            version("8.15.0", "elasticsearch"),
            version("6.8.23", "elasticsearch"),
        ] {
            let plan = build(&Router::default(), &cluster, LifecycleApi::Ism);
            let mut every_real = std::collections::BTreeSet::new();
            let mut per_template = Vec::new();
            for template in &plan.templates {
                let mut all = Vec::new();
                leaves(&template.mappings["properties"], "", &mut all);
                let (aliases, real): (Vec<_>, Vec<_>) =
                    all.into_iter().partition(|(_, m)| m["type"] == "alias");
                // EventBridge's own `source` (in events and Config's
                // events) is the one known exception: those families are
                // left out of the one view across sources (dashboards).
                let own_source = ["events", "config"]
                    .iter()
                    .any(|f| template.name == format!("{NAME_PREFIX}{f}"));
                every_real.extend(
                    real.iter()
                        .filter(|(path, _)| !(own_source && path == "source"))
                        .map(|(path, _)| path.clone()),
                );
                per_template.push((template, aliases, real));
            }
            let mut count = 0;
            for (template, aliases, real) in &per_template {
                for (alias, mapping) in aliases {
                    let target = mapping["path"].as_str().expect("path");
                    let (_, target_mapping) = real
                        .iter()
                        .find(|(path, _)| path == target)
                        .unwrap_or_else(|| {
                            panic!("{}: {alias} -> {target}, not mapped", template.name)
                        });
                    let kind = target_mapping["type"].as_str().unwrap_or("object");
                    assert!(
                        ["keyword", "long", "double", "ip", "date"].contains(&kind),
                        "{}: {alias} -> {target} is a {kind}",
                        template.name
                    );
                    // Neither the name nor any of its parents is a real
                    // field of any format.
                    let mut path = String::new();
                    for part in alias.split('.') {
                        path.push_str(part);
                        assert!(
                            !every_real.contains(&path),
                            "{}: {alias} collides with the field {path}",
                            template.name
                        );
                        path.push('.');
                    }
                    count += 1;
                }
            }
            let expected: usize = COMMON_NAMES.iter().map(|(_, names)| names.len()).sum();
            assert_eq!(count, expected, "{cluster:?}: every common name, once");
            let names: std::collections::BTreeSet<&str> = COMMON_NAMES
                .iter()
                .flat_map(|(_, names)| names.iter().map(|(alias, _)| *alias))
                .collect();
            for wanted in [
                "source.ip",
                "destination.port",
                "event.action",
                "http.response.status_code",
                "user.name",
            ] {
                assert!(names.contains(wanted), "{wanted}");
            }
        }
        let old = ClusterVersion::from_info(&json!({"version": {"number": "6.3.2"}})).expect("6.3");
        let plan = build(&Router::default(), &old, LifecycleApi::Ilm);
        assert!(
            plan.templates
                .iter()
                .all(|t| !t.mappings.to_string().contains("\"alias\"")),
            "no aliases before Elasticsearch 6.4"
        );
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
        let templates = build(&Router::default(), &es6, LifecycleApi::Ilm).templates;
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
        let templates = build(&Router::default(), &opensearch(), LifecycleApi::Ism).templates;
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
        assert_eq!(logs.patterns, ["cwl-*", "logs-*", "apigw-execution-*"]);
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
        let templates = build(&router, &opensearch(), LifecycleApi::Ism).templates;
        let ct = templates
            .iter()
            .find(|t| t.name.ends_with("cloudtrail"))
            .expect("ct");
        assert_eq!(ct.patterns, ["cloudtrail-*", "audit-*"]);
        let logs = templates
            .iter()
            .find(|t| t.name.ends_with("-logs"))
            .expect("logs");
        assert_eq!(
            logs.patterns,
            ["cwl-*", "logs-*", "apigw-execution-*", "apps"]
        );
    }

    #[test]
    fn the_hash_changes_with_the_content_only() {
        let a = build(&Router::default(), &opensearch(), LifecycleApi::Ism).templates;
        let b = build(&Router::default(), &opensearch(), LifecycleApi::Ism).templates;
        assert_eq!(a[0].hash(), b[0].hash());
        let mut c = a[0].clone();
        c.patterns.push("more-*".into());
        assert_ne!(a[0].hash(), c.hash());
    }

    #[test]
    fn shards_replicas_and_retention_per_route_get_their_own_template() {
        let mut router = Router::from_json(
            r#"[{"log_group":"/trail","index":"audit","format":"cloudtrail","retention":"1y","shards":2},
                {"log_group":"/flows","index":"flows","format":"vpc_flow","date":"weekly"},
                {"log_group":"/app/*","index":"apps-prod","replicas":2}]"#,
        )
        .expect("routes");
        router.set_index_defaults(IndexSettings {
            shards: 1,
            replicas: 1,
            retention: Some("90d".parse().expect("90d")),
        });
        for (api, lifecycle_setting) in [
            (LifecycleApi::Ism, None),
            (LifecycleApi::Ilm, Some("logs-forwarder-delete-after-365d")),
        ] {
            let plan = build(&router, &opensearch(), api);
            let named = |suffix: &str| {
                plan.templates
                    .iter()
                    .find(|t| t.name.ends_with(suffix))
                    .unwrap_or_else(|| panic!("{suffix}"))
            };
            let flows = named("vpc-flowlogs");
            assert_eq!(flows.patterns, ["vpc-flowlogs-*", "flows-*"]);
            assert_eq!(flows.settings["index.number_of_shards"], 1);
            assert_eq!(flows.priority, 100);
            let audit = named("route-audit");
            assert_eq!(audit.patterns, ["audit-*"]);
            assert_eq!(audit.settings["index.number_of_shards"], 2);
            assert_eq!(audit.settings["index.number_of_replicas"], 1);
            assert!(audit.priority > 100);
            assert_eq!(
                audit
                    .settings
                    .get("index.lifecycle.name")
                    .and_then(Value::as_str),
                lifecycle_setting
            );
            // Its mappings are CloudTrail's.
            assert_eq!(audit.mappings, named("-cloudtrail").mappings);
            let apps = named("route-apps-prod");
            assert_eq!(apps.settings["index.number_of_replicas"], 2);
            let ids: Vec<String> = plan.policies.iter().map(|p| p.id()).collect();
            assert_eq!(
                ids,
                [
                    "logs-forwarder-delete-after-90d",
                    "logs-forwarder-delete-after-365d"
                ]
            );
            let ninety = &plan.policies[0].patterns;
            assert!(ninety.contains(&("apps-prod-*".to_owned(), apps.priority)));
            assert!(ninety.contains(&("flows-*".to_owned(), 100)));
            assert!(ninety.contains(&("cloudtrail-*".to_owned(), 100)));
            assert_eq!(
                plan.policies[1].patterns,
                [("audit-*".to_owned(), audit.priority)]
            );
        }
    }
}
