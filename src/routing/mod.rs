//! Deciding where each stream of events goes: which index, in which format.
//!
//! With no configuration, the format is detected from the content of the
//! first event and the index follows it: CloudTrail to `cloudtrail-*`, flow
//! logs to `vpc-flowlogs-*`, S3 access logs to `s3-access-*`, load balancer
//! logs to `elb-access-*`, anything else to `cwl-<log-group-slug>-*` (from
//! CloudWatch Logs) or `logs-<bucket-slug>-*` (from S3), with a daily date
//! suffix. A routing configuration (JSON, see the README) maps log group
//! patterns, or buckets and key prefixes, to an index prefix, a date suffix
//! and a format; the first matching route wins.

pub mod index_name;

use std::sync::Arc;

use serde::Deserialize;

pub use index_name::{DateSuffix, IndexPattern};

use crate::filters::{GeoIp, RuleSet, Rules, RulesConfig};
use crate::formats::{self, vpc_flow::FieldList, Format};
use crate::input::cloudwatch::ExtractedFields;
use crate::lifecycle::Retention;

/// Where one stream of events goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destination {
    pub index: IndexPattern,
    pub format: Format,
    /// The route's filters and enrichment (none without a route).
    pub rules: RuleSet,
    /// Format and index came from the content, no route fixed them.
    pub by_content: bool,
}

impl Destination {
    /// Where one EventBridge event of this stream goes, when that is not
    /// where the stream goes: one log group or Firehose stream often takes
    /// every rule's events, and each event's `source` says what it is
    /// (findings, Config's, any other). `None` for the stream's own
    /// destination, for every other format, and where a route fixed the
    /// format or the index.
    pub fn for_record(&self, message: &str) -> Option<Destination> {
        use formats::eventbridge;
        let family = matches!(self.format, Format::Findings)
            || matches!(self.format, Format::Known(s) if s == &eventbridge::EVENT || s == &eventbridge::CONFIG_EVENT);
        if !self.by_content || !family {
            return None;
        }
        let head = formats::head(message);
        if !eventbridge::looks_like(head) {
            return None;
        }
        let own = eventbridge::format_of(head);
        if own == self.format {
            return None;
        }
        Some(Destination {
            index: IndexPattern::from_text(default_base(&own)?, "", self.index.date()),
            format: own,
            rules: self.rules.clone(),
            by_content: true,
        })
    }
}

/// How indices are kept: their shard and replica counts (set by the index
/// templates) and how long before they are deleted (lifecycle policies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexSettings {
    pub shards: u32,
    pub replicas: u32,
    pub retention: Option<Retention>,
}

impl Default for IndexSettings {
    /// One shard: a day of one source's logs is small, and every shard
    /// counts against the domain's limit (1,000 per data node).
    fn default() -> Self {
        IndexSettings {
            shards: 1,
            replicas: 1,
            retention: None,
        }
    }
}

/// One configured route.
#[derive(Clone, Debug)]
struct Route {
    /// Which CloudWatch Logs log groups it takes.
    log_group: Option<Glob>,
    /// Which S3 objects it takes: bucket pattern and key prefix.
    bucket: Option<Glob>,
    key_prefix: Option<String>,
    index: Option<String>,
    date: DateSuffix,
    /// `None` detects the format from the content.
    format: Option<Format>,
    /// Where JSON records keep their own time (`time_field`).
    time_field: Option<std::sync::Arc<str>>,
    rules: RuleSet,
    shards: Option<u32>,
    replicas: Option<u32>,
    retention: Option<Retention>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteConfig {
    #[serde(default)]
    log_group: Option<String>,
    #[serde(default)]
    bucket: Option<String>,
    #[serde(default)]
    key_prefix: Option<String>,
    #[serde(default)]
    index: Option<String>,
    #[serde(default)]
    date: DateSuffix,
    #[serde(default)]
    format: Option<String>,
    /// A flow log format string, for `vpc_flow` routes.
    #[serde(default)]
    fields: Option<String>,
    /// The member holding a JSON record's own time (dotted for nested).
    #[serde(default)]
    time_field: Option<String>,
    // Filters and enrichment (`crate::filters`); listed here rather than
    // flattened because serde cannot deny unknown keys through a flatten.
    #[serde(default)]
    drop_if: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    keep_if: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    drop_fields: Option<Vec<String>>,
    #[serde(default)]
    add_fields: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    geoip: Option<Vec<String>>,
    #[serde(default)]
    retention: Option<String>,
    #[serde(default)]
    shards: Option<u32>,
    #[serde(default)]
    replicas: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    #[error("routing configuration is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("route {index}: {why}")]
    Route { index: usize, why: String },
}

/// The routing table.
#[derive(Clone, Debug, Default)]
pub struct Router {
    routes: Vec<Route>,
    /// A format imposed on everything (`replay --format`).
    forced: Option<Format>,
    /// Shards, replicas and retention of indices whose route sets none.
    defaults: IndexSettings,
}

impl Router {
    /// Parses and validates a routing configuration: a JSON array of routes.
    pub fn from_json(text: &str) -> Result<Router, RoutingError> {
        Router::from_json_with_geoip(text, None)
    }

    /// [`Router::from_json`], with the GeoIP databases that `geoip` rules use.
    pub fn from_json_with_geoip(
        text: &str,
        geo: Option<&Arc<GeoIp>>,
    ) -> Result<Router, RoutingError> {
        let configs: Vec<RouteConfig> = serde_json::from_str(text)?;
        let routes = configs
            .into_iter()
            .enumerate()
            .map(|(index, config)| {
                let fail = |why: String| RoutingError::Route { index, why };
                if config.log_group.is_none()
                    && config.bucket.is_none()
                    && config.key_prefix.is_none()
                {
                    return Err(fail(
                        "needs \"log_group\", or \"bucket\" and/or \"key_prefix\"".into(),
                    ));
                }
                let mut format = match config.format.as_deref() {
                    None | Some("auto") => None,
                    Some(name) => Some(name.parse::<Format>().map_err(|e| fail(e.to_string()))?),
                };
                if let Some(fields) = &config.fields {
                    match &mut format {
                        Some(Format::VpcFlow(list)) => *list = FieldList::parse(fields),
                        _ => return Err(fail("\"fields\" needs \"format\": \"vpc_flow\"".into())),
                    }
                }
                let time_field = match config.time_field.as_deref() {
                    None => None,
                    Some(f) if f.is_empty() || f.split('.').any(str::is_empty) => {
                        return Err(fail(format!(
                            "time_field {f:?}: a member name, dotted for a nested one"
                        )));
                    }
                    Some(_) if !matches!(format, None | Some(Format::Json(_))) => {
                        return Err(fail(
                            "\"time_field\" applies to JSON records (format auto or json)".into(),
                        ));
                    }
                    Some(f) => Some(std::sync::Arc::<str>::from(f)),
                };
                if let Some(prefix) = &config.index {
                    IndexPattern::new(prefix, config.date).map_err(|e| fail(e.to_string()))?;
                }
                let retention = config
                    .retention
                    .as_deref()
                    .map(str::parse::<Retention>)
                    .transpose()
                    .map_err(|e| fail(format!("retention: {e}")))?;
                if config.shards.is_some_and(|s| !(1..=1024).contains(&s)) {
                    return Err(fail("shards: 1 to 1024".into()));
                }
                if config.replicas.is_some_and(|r| r > 15) {
                    return Err(fail("replicas: 0 to 15".into()));
                }
                let sets_indices =
                    retention.is_some() || config.shards.is_some() || config.replicas.is_some();
                if sets_indices && config.index.is_none() {
                    return Err(fail(
                        "retention, shards and replicas apply to a route's own \"index\"".into(),
                    ));
                }
                let rules = Rules::compile(
                    RulesConfig {
                        drop_if: config.drop_if,
                        keep_if: config.keep_if,
                        drop_fields: config.drop_fields,
                        add_fields: config.add_fields,
                        geoip: config.geoip,
                    },
                    geo,
                )
                .map_err(fail)?;
                Ok(Route {
                    log_group: config.log_group.clone().map(Glob),
                    bucket: config.bucket.clone().map(Glob),
                    key_prefix: config.key_prefix.clone(),
                    index: config.index.clone(),
                    date: config.date,
                    format,
                    time_field,
                    rules: RuleSet(rules),
                    shards: config.shards,
                    replicas: config.replicas,
                    retention,
                })
            })
            .collect::<Result<_, RoutingError>>()?;
        Ok(Router {
            routes,
            forced: None,
            defaults: IndexSettings::default(),
        })
    }

    /// Parses every event in `format`, whatever the routes or content say.
    pub fn force_format(&mut self, format: Format) {
        self.forced = Some(format);
    }

    /// Where the events of `log_group` go, given its first event.
    pub fn resolve(
        &self,
        log_group: &str,
        sample: &str,
        extracted: Option<&ExtractedFields<'_>>,
    ) -> Destination {
        let route = self
            .routes
            .iter()
            .find(|r| r.log_group.as_ref().is_some_and(|g| g.matches(log_group)));
        let format = self.format(route, || match Format::detect(sample, extracted) {
            Format::Json(_) | Format::Text if log_group.starts_with("/aws/lambda/") => {
                Format::Lambda
            }
            // WAF names its log groups and Firehose streams so.
            Format::Json(_) if log_group.starts_with(WAF_NAME_PREFIX) => {
                Format::Known(&formats::waf::SCHEMA)
            }
            // RDS's groups hold its engines' lines, recognised one by one.
            Format::Text | Format::Json(_) if formats::rds::is_rds_group(log_group) => Format::Rds,
            detected => detected,
        });
        // API Gateway's execution logs are text, in indices of their own.
        if route.is_none()
            && format == Format::Text
            && log_group.starts_with(formats::apigateway::EXECUTION_GROUP_PREFIX)
        {
            return destination(route, format, false, APIGATEWAY_EXECUTION_BASE, "");
        }
        let by_content = self.by_content(route);
        destination(route, format, by_content, CLOUDWATCH_BASE, log_group)
    }

    /// Did the content decide the format and index (no route, no forced
    /// format fixed them)?
    fn by_content(&self, route: Option<&Route>) -> bool {
        self.forced.is_none() && route.is_none_or(|r| r.format.is_none() && r.index.is_none())
    }

    /// Where the records of an S3 object go, given its first record.
    pub fn resolve_object(&self, bucket: &str, key: &str, sample: &str) -> Destination {
        let route = self.routes.iter().find(|r| {
            (r.bucket.is_some() || r.key_prefix.is_some())
                && r.bucket.as_ref().is_none_or(|b| b.matches(bucket))
                && r.key_prefix
                    .as_ref()
                    .is_none_or(|p| key.starts_with(p.as_str()))
        });
        let format = self.format(route, || {
            format_of_key(key).unwrap_or_else(|| Format::detect(sample, None))
        });
        let by_content = self.by_content(route);
        destination(route, format, by_content, OBJECT_BASE, bucket)
    }

    /// Shards, replicas and retention for indices whose route sets none
    /// (`INDEX_SHARDS`, `INDEX_REPLICAS`, `RETENTION`).
    pub fn set_index_defaults(&mut self, defaults: IndexSettings) {
        self.defaults = defaults;
    }

    pub fn index_defaults(&self) -> &IndexSettings {
        &self.defaults
    }

    /// Does anything ask for indices to be deleted after a while?
    pub fn has_retention(&self) -> bool {
        self.defaults.retention.is_some() || self.routes.iter().any(|r| r.retention.is_some())
    }

    /// The indices that configured routes name, with their format when the
    /// route fixes one, and how they are kept (for index templates).
    pub fn configured_indices(
        &self,
    ) -> impl Iterator<Item = (IndexPattern, Option<&Format>, IndexSettings)> {
        self.routes.iter().filter_map(|r| {
            let index = IndexPattern::new(r.index.as_deref()?, r.date).ok()?;
            let settings = IndexSettings {
                shards: r.shards.unwrap_or(self.defaults.shards),
                replicas: r.replicas.unwrap_or(self.defaults.replicas),
                retention: r
                    .retention
                    .clone()
                    .or_else(|| self.defaults.retention.clone()),
            };
            Some((index, self.forced.as_ref().or(r.format.as_ref()), settings))
        })
    }

    fn format(&self, route: Option<&Route>, detect: impl FnOnce() -> Format) -> Format {
        self.forced
            .clone()
            .or_else(|| route.and_then(|r| r.format.clone()))
            .unwrap_or_else(detect)
    }
}

/// The index base of events from CloudWatch Logs without an index of their
/// format's own: `cwl-<log-group-slug>`.
pub const CLOUDWATCH_BASE: &str = "cwl";
/// The same for log objects: `logs-<bucket-slug>`.
pub const OBJECT_BASE: &str = "logs";
/// API Gateway's execution logs (text, from `API-Gateway-Execution-Logs_*`
/// groups).
pub const APIGATEWAY_EXECUTION_BASE: &str = "apigw-execution";

/// The index a format has of its own when no route names one (`None`: the
/// index is named after where the events came from).
pub fn default_base(format: &Format) -> Option<&'static str> {
    match format {
        Format::CloudTrail => Some("cloudtrail"),
        Format::VpcFlow(_) => Some("vpc-flowlogs"),
        Format::S3Access => Some("s3-access"),
        Format::Elb => Some("elb-access"),
        Format::Known(schema) => Some(schema.index),
        Format::DnsQuery => Some(formats::route53::INDEX),
        Format::CloudFront(_) => Some(formats::cloudfront::JSON.index),
        Format::Findings => Some(formats::findings::INDEX),
        Format::Rds => Some(formats::rds::INDEX),
        Format::Lambda | Format::Json(_) | Format::Text => None,
    }
}

/// WAF requires its log groups, Firehose streams (and so the objects
/// Firehose writes) to be named so.
const WAF_NAME_PREFIX: &str = "aws-waf-logs-";

/// The format of an object written where AWS services deliver their logs:
/// `AWSLogs/<account>/CloudTrail/...`, `.../vpcflowlogs/...`,
/// `.../elasticloadbalancing/...`, `.../WAFLogs/...`,
/// `.../network-firewall/...`, `.../vpcdnsquerylogs/...` (after any prefix
/// the user chose); CloudFront's `<distribution>.YYYY-MM-DD-HH.<id>.gz`;
/// and objects Firehose wrote for a WAF stream (named after the stream).
fn format_of_key(key: &str) -> Option<Format> {
    let name = key.rsplit('/').next().unwrap_or(key);
    if name.starts_with(WAF_NAME_PREFIX) {
        return Some(Format::Known(&formats::waf::SCHEMA));
    }
    if is_cloudfront_name(name) {
        return Some(Format::CloudFront(Default::default()));
    }
    let (_, rest) = key.split_once("AWSLogs/")?;
    let service = rest.split('/').nth(1)?;
    match service {
        "CloudTrail" => Some(Format::CloudTrail),
        "vpcflowlogs" => Some(Format::VpcFlow(FieldList::default())),
        "elasticloadbalancing" => Some(Format::Elb),
        "WAFLogs" => Some(Format::Known(&formats::waf::SCHEMA)),
        "network-firewall" => Some(Format::Known(&formats::network_firewall::SCHEMA)),
        "vpcdnsquerylogs" => Some(Format::Known(&formats::route53::RESOLVER)),
        "CloudFront" => Some(Format::CloudFront(Default::default())),
        "GuardDuty" => Some(Format::Findings),
        "Config" => Some(Format::Known(&formats::config::ITEM)),
        _ => None,
    }
}

/// A CloudFront standard log file name: `E2EXAMPLE.2025-12-05-16.a1b2c3d4.gz`
/// (the distribution id, the hour, a unique id).
fn is_cloudfront_name(name: &str) -> bool {
    let mut parts = name.split('.');
    let (Some(distribution), Some(hour), Some(id)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let hour = hour.as_bytes();
    !distribution.is_empty()
        && distribution
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && hour.len() == 13
        && [4, 7, 10].iter().all(|&at| hour[at] == b'-')
        && hour
            .iter()
            .enumerate()
            .all(|(at, b)| [4, 7, 10].contains(&at) || b.is_ascii_digit())
        && !id.is_empty()
        && parts.all(|ext| ext == "gz")
}

/// The destination of a stream in `format`: the route's index, or the
/// format's default (`<base>-<slug of name>` for formats without their own).
fn destination(
    route: Option<&Route>,
    format: Format,
    by_content: bool,
    base: &str,
    name: &str,
) -> Destination {
    let date = route.map_or(DateSuffix::Daily, |r| r.date);
    let rules = route.map(|r| r.rules.clone()).unwrap_or_default();
    let fallback = || IndexPattern::from_text(base, name, date);
    let index = match route.and_then(|r| r.index.as_deref()) {
        // Validated when the configuration was read.
        Some(prefix) => IndexPattern::new(prefix, date).unwrap_or_else(|_| fallback()),
        None => match default_base(&format) {
            Some(base) => IndexPattern::from_text(base, "", date),
            None => fallback(),
        },
    };
    // A route's `time_field` names the member of its JSON records.
    let format = match (format, route.and_then(|r| r.time_field.clone())) {
        (Format::Json(_), Some(field)) => Format::Json(Some(field)),
        (format, _) => format,
    };
    Destination {
        index,
        format,
        rules,
        by_content,
    }
}

/// A shell-style pattern: `*` matches any run of characters, `?` one.
#[derive(Clone, Debug)]
struct Glob(String);

impl Glob {
    fn matches(&self, text: &str) -> bool {
        let (p, t): (Vec<char>, Vec<char>) = (self.0.chars().collect(), text.chars().collect());
        let (mut pi, mut ti) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while ti < t.len() {
            if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
                pi += 1;
                ti += 1;
            } else if pi < p.len() && p[pi] == '*' {
                star = Some((pi, ti));
                pi += 1;
            } else if let Some((sp, st)) = star {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            } else {
                return false;
            }
        }
        p[pi..].iter().all(|&c| c == '*')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = r#"{"eventVersion":"1.08","eventSource":"ec2.amazonaws.com"}"#;
    const FLOW: &str =
        "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1418530010 1418530070 ACCEPT OK";

    fn name(d: &Destination) -> String {
        let mut s = String::new();
        d.index.write_name(16_418, &mut s);
        s
    }

    #[test]
    fn defaults_follow_the_content() {
        let r = Router::default();
        assert_eq!(
            name(&r.resolve("anything", CT, None)),
            "cloudtrail-2014.12.14"
        );
        assert_eq!(
            name(&r.resolve("/my/flows", FLOW, None)),
            "vpc-flowlogs-2014.12.14"
        );
        let text = r.resolve("/aws/lambda/Fn", "START RequestId", None);
        assert_eq!(name(&text), "cwl-aws-lambda-fn-2014.12.14");
        assert_eq!(text.format, Format::Lambda);
        let text = r.resolve("/app/x", "hello", None);
        assert_eq!(name(&text), "cwl-app-x-2014.12.14");
        assert_eq!(text.format, Format::Text);
    }

    #[test]
    fn configured_routes_win_in_order() {
        let r = Router::from_json(
            r#"[{"log_group":"/aws/lambda/*","index":"lambda","date":"monthly","format":"json"},
                {"log_group":"*","index":"other","date":"none"}]"#,
        )
        .expect("valid");
        let d = r.resolve("/aws/lambda/f", "x", None);
        assert_eq!(
            (name(&d), d.format),
            ("lambda-2014.12".into(), Format::Json(None))
        );
        assert_eq!(name(&r.resolve("/x", CT, None)), "other");
    }

    #[test]
    fn bad_configuration_is_refused_with_the_reason() {
        for (bad, expect) in [
            (r#"[{"log_group":"*","index":"Bad"}]"#, "lowercase"),
            (r#"[{"log_group":"*","format":"xml"}]"#, "unknown format"),
            (r#"[{"log_group":"*","fields":"srcaddr"}]"#, "vpc_flow"),
            (r#"[{"log_group":"*","colour":"red"}]"#, "unknown field"),
            (r#"{"log_group":"*"}"#, "invalid type"),
            (
                r#"[{"log_group":"*","index":"x","retention":"5h"}]"#,
                "retention",
            ),
            (r#"[{"log_group":"*","retention":"90d"}]"#, "own \"index\""),
            (r#"[{"log_group":"*","index":"x","shards":0}]"#, "shards"),
            (
                r#"[{"log_group":"*","index":"x","replicas":16}]"#,
                "replicas",
            ),
            (
                r#"[{"log_group":"*","index":"x","date":"yearly"}]"#,
                "unknown variant",
            ),
        ] {
            let err = Router::from_json(bad).expect_err(bad).to_string();
            assert!(err.contains(expect), "{bad}: {err}");
        }
    }

    #[test]
    fn objects_route_by_bucket_and_prefix_or_content() {
        let r = Router::from_json(
            r#"[{"bucket":"logs-*","key_prefix":"access/","format":"s3_access","index":"s3"},
                {"log_group":"*","index":"cwl-all"}]"#,
        )
        .expect("valid");
        let d = r.resolve_object("logs-prod", "access/2024-01-01", "x");
        assert_eq!(
            (name(&d), d.format),
            ("s3-2014.12.14".into(), Format::S3Access)
        );
        let d = r.resolve_object("logs-prod", "AWSLogs/1/vpcflowlogs/x.log.gz", FLOW);
        assert_eq!(name(&d), "vpc-flowlogs-2014.12.14");
        let d = r.resolve_object(
            "trail-bucket",
            "org/AWSLogs/111122223333/CloudTrail/eu-west-1/2025/11/22/x.json.gz",
            "{",
        );
        assert_eq!(d.format, Format::CloudTrail);
        let d = r.resolve_object(
            "lb",
            "AWSLogs/111122223333/elasticloadbalancing/eu-west-1/2025/11/22/x.log.gz",
            "nonsense",
        );
        assert_eq!(
            (name(&d), d.format),
            ("elb-access-2014.12.14".into(), Format::Elb)
        );
        let d = r.resolve_object("My_Bucket", "app.log", "plain text");
        assert_eq!(
            (name(&d), d.format),
            ("logs-my_bucket-2014.12.14".into(), Format::Text)
        );
        assert!(Router::from_json(r#"[{"index":"x"}]"#)
            .expect_err("no selector")
            .to_string()
            .contains("needs"));
    }

    #[test]
    fn network_and_edge_logs_route_by_key_group_stream_and_content() {
        let r = Router::default();
        let object = |key: &str, sample: &str| {
            let d = r.resolve_object("logs", key, sample);
            (name(&d), d.format.name())
        };
        let expect = |index: &str, format: &'static str| (format!("{index}-2014.12.14"), format);
        for (key, index, format) in [
            ("AWSLogs/111122223333/WAFLogs/eu-west-1/shop/2025/12/05/16/00/111122223333_waflogs_eu-west-1_shop_20251205T1600Z_a1b2c3d4.log.gz", "waf", "waf"),
            ("x/AWSLogs/111122223333/network-firewall/alert/2025/12/05/16/111122223333_alert_eu-west-1_egress_202512051600_a1b2c3d4.log.gz", "network-firewall", "network_firewall"),
            ("AWSLogs/111122223333/vpcdnsquerylogs/vpc-0a1b2c3d/2025/12/05/vpc-0a1b2c3d_vpcdnsquerylogs_111122223333_20251205T1600Z_a1b2c3d4.log.gz", "dns", "route53_resolver"),
            ("cdn/E2EXAMPLE1234.2025-12-05-16.a1b2c3d4.gz", "cloudfront", "cloudfront"),
            // Firehose names its objects after the delivery stream.
            ("2025/12/05/16/aws-waf-logs-shop-1-2025-12-05-16-00-00-a1b2c3d4", "waf", "waf"),
        ] {
            assert_eq!(object(key, "nothing to see"), expect(index, format), "{key}");
        }
        assert_eq!(
            object("cdn/E2EXAMPLE1234.2025-12-05.a1b2c3d4.gz", "plain"),
            expect("logs-logs", "text"),
            "not an hour"
        );
        // Log groups and Firehose streams (which route as log groups).
        let waf_json = r#"{"timestamp":1,"action":"ALLOW"}"#;
        let d = r.resolve("aws-waf-logs-shop", waf_json, None);
        assert_eq!((name(&d), d.format.name()), expect("waf", "waf"));
        let d = r.resolve("other", waf_json, None);
        assert_eq!(d.format.name(), "json", "only WAF's names say so");
        let public = "1.0 2025-12-05T16:00:00.250Z Z0123456789ABCDEFGHIJ www.example.com A NOERROR UDP FRA56-C2 192.0.2.53 -";
        let d = r.resolve("/aws/route53/example.com", public, None);
        assert_eq!((name(&d), d.format.name()), expect("dns", "route53_public"));
        // User routes still win.
        let r =
            Router::from_json(r#"[{"log_group":"aws-waf-logs-*","index":"edge"}]"#).expect("valid");
        assert_eq!(
            name(&r.resolve("aws-waf-logs-shop", waf_json, None)),
            "edge-2014.12.14"
        );
    }

    #[test]
    fn eventbridge_events_of_one_stream_go_where_their_source_says() {
        let event = |source: &str, detail_type: &str| {
            format!(
                r#"{{"version":"0","id":"e","detail-type":"{detail_type}","source":"{source}","account":"1","time":"2025-12-05T16:00:00Z","region":"eu-west-1","resources":[],"detail":{{}}}}"#
            )
        };
        let ec2 = event("aws.ec2", "EC2 Instance State-change Notification");
        let finding = event("aws.guardduty", "GuardDuty Finding");
        let config = event("aws.config", "Config Rules Compliance Change");
        let r = Router::default();
        let stream = r.resolve("/aws/events/all", &ec2, None);
        assert_eq!(name(&stream), "events-2014.12.14");
        assert!(stream.for_record(&ec2).is_none(), "the stream's own");
        let own = stream.for_record(&finding).expect("a finding");
        assert_eq!(
            (name(&own), own.format),
            ("findings-2014.12.14".into(), Format::Findings)
        );
        let own = stream.for_record(&config).expect("Config's");
        assert_eq!(name(&own), "config-2014.12.14");
        // Other formats, and streams a route placed, stay where they are.
        assert!(r.resolve("/x", "text", None).for_record(&finding).is_none());
        let routed = Router::from_json(r#"[{"log_group":"/aws/events/*","index":"all-events"}]"#)
            .expect("valid");
        assert!(routed
            .resolve("/aws/events/all", &ec2, None)
            .for_record(&finding)
            .is_none());
    }

    #[test]
    fn vpc_fields_are_configurable() {
        let r = Router::from_json(
            r#"[{"log_group":"tgw","format":"vpc_flow","fields":"version srcaddr"}]"#,
        )
        .expect("valid");
        match r.resolve("tgw", "6 10.0.0.1", None).format {
            Format::VpcFlow(list) => assert_eq!(list.len(), 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_routes_time_field_names_the_member_of_its_json_records() {
        let r = Router::from_json(r#"[{"bucket": "app-logs", "time_field": "event.timestamp"}]"#)
            .expect("valid");
        assert_eq!(
            r.resolve_object("app-logs", "k.json", r#"{"a":1}"#).format,
            Format::Json(Some("event.timestamp".into()))
        );
        // Content that is not JSON keeps its own format.
        assert_eq!(
            r.resolve_object("app-logs", "k.log", "plain text").format,
            Format::Text
        );
        assert_eq!(
            r.resolve_object("other", "k.json", r#"{"a":1}"#).format,
            Format::Json(None)
        );
        for bad in [
            r#"[{"bucket": "b", "time_field": ""}]"#,
            r#"[{"bucket": "b", "time_field": "a..b"}]"#,
            r#"[{"bucket": "b", "format": "vpc_flow", "time_field": "t"}]"#,
        ] {
            assert!(Router::from_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn globs() {
        assert!(Glob("/aws/*/x".into()).matches("/aws/lambda/x"));
        assert!(Glob("a?c".into()).matches("abc"));
        assert!(!Glob("a*c".into()).matches("abd"));
        assert!(Glob("*".into()).matches(""));
    }
}
