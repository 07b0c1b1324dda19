//! Settings, read from the environment once at start and validated there, so
//! that a typo fails the first invocation loudly instead of losing logs.
//!
//! The same variables configure the Lambda and the CLI; the README lists them.

use std::time::Duration;

use crate::bulk::Action;
use crate::client::auth::Secret;
pub use crate::client::auth::{AuthMode, AwsContext, Credentials};
use crate::client::{ClusterConfig, Endpoint, EndpointError, TrustedRoots};
use crate::routing::{Router, RoutingError};

/// `_type` in action lines (`ES_TYPE`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeMode {
    /// Ask the cluster once per cold start; send `_doc` only to
    /// Elasticsearch 6.x, the one version that needs a type and accepts it.
    Auto,
    None,
    Fixed(String),
}

#[derive(Debug)]
pub struct Settings {
    pub endpoint: Option<Endpoint>,
    pub auth: AuthMode,
    pub doc_type: TypeMode,
    pub action: Action,
    pub bulk_max_bytes: usize,
    pub bulk_concurrency: usize,
    /// Units (objects, messages, records) of an invocation worked on at once.
    pub object_concurrency: usize,
    pub gzip: bool,
    pub request_timeout: Duration,
    /// Stop retrying this long before the Lambda deadline.
    pub deadline_margin: Duration,
    /// Install the index templates once per cold start (`TEMPLATES`).
    pub apply_templates: bool,
    pub router: Router,
    /// The function's own AWS region and credentials, for S3 (`AWS_*`).
    pub aws: Option<AwsContext>,
    /// Where S3 requests go instead of the regional endpoint (`S3_ENDPOINT`,
    /// for tests).
    pub s3_endpoint: Option<Endpoint>,
    /// Certificate authorities trusted beside the public ones
    /// (`ES_CA_BUNDLE`, a PEM file), for a cluster with a private CA.
    pub roots: TrustedRoots,
    /// The only buckets log objects are read from (`S3_BUCKETS`), when
    /// set: a notification naming another is refused before any request.
    pub s3_buckets: Option<Vec<String>>,
    /// Where rejected documents go (`DLQ_URI`); without one they fail the
    /// invocation.
    pub dead_letters: Option<crate::dead_letter::Destination>,
    /// The forwarder's own log group (`AWS_LAMBDA_LOG_GROUP_NAME`, set by
    /// Lambda): its events are never indexed, so that no subscription can
    /// make the forwarder feed itself.
    pub own_log_group: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {why}")]
    Invalid { name: &'static str, why: String },
    #[error("ES_ENDPOINT: {0}")]
    Endpoint(#[from] EndpointError),
    #[error("ROUTES: {0}")]
    Routes(#[from] RoutingError),
    #[error(transparent)]
    GeoIp(#[from] crate::filters::geoip::GeoIpError),
    #[error("ROUTES_FILE {path}: {source}")]
    RoutesFile {
        path: String,
        source: std::io::Error,
    },
}

fn invalid(name: &'static str, why: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name,
        why: why.into(),
    }
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// The process environment, with `endpoint` (a command line's
    /// `--endpoint`) in place of `ES_ENDPOINT` when given.
    pub fn from_env_with_endpoint(endpoint: Option<String>) -> Result<Settings, ConfigError> {
        Settings::from_lookup(|name| match (name, &endpoint) {
            ("ES_ENDPOINT", Some(given)) => Some(given.clone()),
            _ => std::env::var(name).ok().filter(|v| !v.is_empty()),
        })
    }

    /// Reads settings through `var`, which returns a variable's value.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let endpoint = var("ES_ENDPOINT")
            .map(|e| e.parse::<Endpoint>())
            .transpose()?;
        let auth = match var("ES_AUTH").as_deref().unwrap_or("sigv4") {
            "sigv4" => match &endpoint {
                Some(endpoint) => sigv4_from(&var, endpoint)?,
                // Nothing is sent without an endpoint (dry-run replay).
                None => AuthMode::None,
            },
            "basic" => basic_from(&var, endpoint.as_ref())?,
            "none" => AuthMode::None,
            other => {
                return Err(invalid(
                    "ES_AUTH",
                    format!("{other:?} is not sigv4, basic or none"),
                ))
            }
        };
        let doc_type = match var("ES_TYPE").as_deref() {
            None | Some("auto") => TypeMode::Auto,
            Some("none") => TypeMode::None,
            Some(name) if name.starts_with('_') && name != "_doc" => {
                return Err(invalid(
                    "ES_TYPE",
                    format!("{name:?}: type names must not start with '_' (except _doc)"),
                ))
            }
            Some(name) => TypeMode::Fixed(name.to_owned()),
        };
        let action = match var("ES_ACTION") {
            None => Action::Create,
            Some(a) => a.parse().map_err(|e: String| invalid("ES_ACTION", e))?,
        };
        // Opened once per cold start, before the routes whose `geoip` uses it.
        let geoip = var("GEOIP_DB")
            .map(|paths| crate::filters::GeoIp::open(&paths).map(std::sync::Arc::new))
            .transpose()?;
        let router = match (var("ROUTES"), var("ROUTES_FILE")) {
            (Some(_), Some(_)) => {
                return Err(invalid("ROUTES", "set ROUTES or ROUTES_FILE, not both"))
            }
            (Some(json), None) => Router::from_json_with_geoip(&json, geoip.as_ref())?,
            (None, Some(path)) => {
                let json = std::fs::read_to_string(&path)
                    .map_err(|source| ConfigError::RoutesFile { path, source })?;
                Router::from_json_with_geoip(&json, geoip.as_ref())?
            }
            (None, None) => Router::default(),
        };
        let mut router = router;
        router.set_index_defaults(crate::routing::IndexSettings {
            shards: number(&var, "INDEX_SHARDS", 1, 1, 1024)? as u32,
            replicas: number(&var, "INDEX_REPLICAS", 1, 0, 15)? as u32,
            retention: var("RETENTION")
                .map(|r| r.parse())
                .transpose()
                .map_err(|e: String| invalid("RETENTION", e))?,
        });
        Ok(Settings {
            endpoint,
            auth,
            doc_type,
            action,
            bulk_max_bytes: number(&var, "BULK_MAX_BYTES", 5 << 20, 1024, 100 << 20)?,
            bulk_concurrency: number(&var, "BULK_CONCURRENCY", 4, 1, 64)?,
            object_concurrency: number(&var, "OBJECT_CONCURRENCY", 4, 1, 10)?,
            gzip: boolean(&var, "BULK_GZIP", false)?,
            request_timeout: Duration::from_millis(number(
                &var,
                "REQUEST_TIMEOUT_MS",
                30_000,
                100,
                900_000,
            )? as u64),
            deadline_margin: Duration::from_millis(number(
                &var,
                "DEADLINE_MARGIN_MS",
                1_500,
                0,
                60_000,
            )? as u64),
            apply_templates: match var("TEMPLATES").as_deref() {
                None | Some("apply") => true,
                Some("off") => false,
                Some(other) => {
                    return Err(invalid(
                        "TEMPLATES",
                        format!("{other:?} is not apply or off"),
                    ))
                }
            },
            router,
            aws: aws_context(&var),
            roots: var("ES_CA_BUNDLE")
                .map(|path| ca_bundle(&path))
                .transpose()?
                .unwrap_or_default(),
            // The AWS CLI's names for the same, after the forwarder's own.
            s3_endpoint: var("S3_ENDPOINT")
                .or_else(|| var("AWS_ENDPOINT_URL_S3"))
                .or_else(|| var("AWS_ENDPOINT_URL"))
                .map(|e| e.parse::<Endpoint>())
                .transpose()
                .map_err(|e| invalid("S3_ENDPOINT", e.to_string()))?,
            s3_buckets: var("S3_BUCKETS")
                .map(|list| {
                    list.split(',')
                        .map(str::trim)
                        .filter(|b| !b.is_empty())
                        .map(|b| {
                            crate::client::s3::check_bucket(b)
                                .map(|_| b.to_owned())
                                .map_err(|e| invalid("S3_BUCKETS", e))
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?,
            dead_letters: var("DLQ_URI")
                .map(|u| u.parse())
                .transpose()
                .map_err(|e: String| invalid("DLQ_URI", e))?,
            own_log_group: var("AWS_LAMBDA_LOG_GROUP_NAME"),
        })
    }

    /// What the cluster client needs of the settings.
    pub fn cluster_config(&self) -> ClusterConfig {
        ClusterConfig {
            auth: self.auth.clone(),
            gzip: self.gzip,
            timeout: self.request_timeout,
            connections: self.bulk_concurrency.max(2),
            roots: self.roots.clone(),
        }
    }
}

/// Region and credentials from the standard variables, when all are set.
fn aws_context(var: &impl Fn(&str) -> Option<String>) -> Option<AwsContext> {
    Some(AwsContext {
        region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION"))?,
        credentials: Credentials {
            access_key_id: var("AWS_ACCESS_KEY_ID")?,
            secret_access_key: var("AWS_SECRET_ACCESS_KEY")?,
            session_token: var("AWS_SESSION_TOKEN"),
        },
    })
}

fn sigv4_from(
    var: &impl Fn(&str) -> Option<String>,
    endpoint: &Endpoint,
) -> Result<AuthMode, ConfigError> {
    let host = endpoint.host();
    let service = match var("ES_SERVICE") {
        Some(s) if s == "es" || s == "aoss" => s,
        Some(other) => {
            return Err(invalid(
                "ES_SERVICE",
                format!("{other:?} is not es or aoss"),
            ))
        }
        None if host.ends_with(".aoss.amazonaws.com") => "aoss".into(),
        None => "es".into(),
    };
    let region = var("AWS_REGION")
        .or_else(|| var("AWS_DEFAULT_REGION"))
        .or_else(|| region_from_host(host))
        .ok_or_else(|| {
            invalid(
                "AWS_REGION",
                "required with ES_AUTH=sigv4 (or an endpoint naming its region)",
            )
        })?;
    let credentials = Credentials {
        access_key_id: var("AWS_ACCESS_KEY_ID").ok_or_else(|| {
            invalid(
                "AWS_ACCESS_KEY_ID",
                "required with ES_AUTH=sigv4 (Lambda sets it)",
            )
        })?,
        secret_access_key: var("AWS_SECRET_ACCESS_KEY").ok_or_else(|| {
            invalid(
                "AWS_SECRET_ACCESS_KEY",
                "required with ES_AUTH=sigv4 (Lambda sets it)",
            )
        })?,
        session_token: var("AWS_SESSION_TOKEN"),
    };
    Ok(AuthMode::SigV4 {
        service,
        region,
        credentials,
    })
}

/// Basic auth: a user and password from Secrets Manager (`ES_SECRET_ARN`,
/// read here, once per cold start) or from `ES_USERNAME` / `ES_PASSWORD`;
/// over `https://` only, unless `ES_ALLOW_BASIC_OVER_HTTP=true` says that
/// sending the password in the clear is meant (a test cluster on loopback).
fn basic_from(
    var: &impl Fn(&str) -> Option<String>,
    endpoint: Option<&Endpoint>,
) -> Result<AuthMode, ConfigError> {
    if let Some(endpoint) = endpoint {
        if !endpoint.is_https() && !boolean(var, "ES_ALLOW_BASIC_OVER_HTTP", false)? {
            return Err(invalid(
                "ES_ENDPOINT",
                format!(
                    "{endpoint}: basic auth over http:// sends the password in the clear; \
                     use https://, or set ES_ALLOW_BASIC_OVER_HTTP=true"
                ),
            ));
        }
    }
    let (username, password) = match (var("ES_SECRET_ARN"), var("ES_USERNAME"), var("ES_PASSWORD"))
    {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(invalid(
                "ES_SECRET_ARN",
                "set ES_SECRET_ARN or ES_USERNAME / ES_PASSWORD, not both",
            ))
        }
        (Some(arn), None, None) => secret_credentials(var, &arn)?,
        (None, Some(user), Some(password)) => (user, Secret(password)),
        (None, None, _) => {
            return Err(invalid(
                "ES_USERNAME",
                "required with ES_AUTH=basic (or ES_SECRET_ARN)",
            ))
        }
        (None, Some(_), None) => return Err(invalid("ES_PASSWORD", "required with ES_AUTH=basic")),
    };
    Ok(AuthMode::Basic { username, password })
}

/// The user and password in the secret `arn`, read with the function's
/// credentials from Secrets Manager (or from `AWS_ENDPOINT_URL_SECRETS_MANAGER`
/// / `AWS_ENDPOINT_URL`, as the AWS CLI has it). Settings are read before
/// any runtime exists, so the one request runs on a runtime of its own.
fn secret_credentials(
    var: &impl Fn(&str) -> Option<String>,
    arn: &str,
) -> Result<(String, Secret), ConfigError> {
    let aws = aws_context(var).ok_or_else(|| {
        invalid(
            "ES_SECRET_ARN",
            "reading the secret needs AWS_REGION and AWS credentials (Lambda sets them)",
        )
    })?;
    let endpoint = var("AWS_ENDPOINT_URL_SECRETS_MANAGER")
        .or_else(|| var("AWS_ENDPOINT_URL"))
        .map(|e| e.parse::<Endpoint>())
        .transpose()
        .map_err(|e| invalid("AWS_ENDPOINT_URL_SECRETS_MANAGER", e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| invalid("ES_SECRET_ARN", format!("cannot start a runtime: {e}")))?;
    let read = runtime.block_on(async {
        let http = crate::client::http_client(1, &TrustedRoots::default());
        crate::client::secrets::basic_credentials(
            &http,
            &aws,
            endpoint.as_ref(),
            arn,
            Duration::from_secs(10),
        )
        .await
    });
    let credentials = read.map_err(|e| invalid("ES_SECRET_ARN", e.to_string()))?;
    Ok((credentials.username, credentials.password))
}

/// The certificates of a PEM file (`ES_CA_BUNDLE`): at least one.
fn ca_bundle(path: &str) -> Result<TrustedRoots, ConfigError> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| invalid("ES_CA_BUNDLE", format!("{path}: {e}")))?;
    if certificates.is_empty() {
        return Err(invalid(
            "ES_CA_BUNDLE",
            format!("{path}: no PEM certificate in it"),
        ));
    }
    Ok(std::sync::Arc::new(certificates))
}

/// `search-d-abc.eu-west-1.es.amazonaws.com` → `eu-west-1`.
fn region_from_host(host: &str) -> Option<String> {
    let stem = host
        .strip_suffix(".es.amazonaws.com")
        .or_else(|| host.strip_suffix(".aoss.amazonaws.com"))?;
    stem.rsplit('.').next().map(str::to_owned)
}

fn number(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: usize,
    min: usize,
    max: usize,
) -> Result<usize, ConfigError> {
    let Some(text) = var(name) else {
        return Ok(default);
    };
    let value: usize = text
        .trim()
        .parse()
        .map_err(|_| invalid(name, format!("{text:?} is not a whole number")))?;
    if !(min..=max).contains(&value) {
        return Err(invalid(name, format!("{value} is outside {min}..={max}")));
    }
    Ok(value)
}

fn boolean(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match var(name).as_deref() {
        None => Ok(default),
        Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(other) => Err(invalid(name, format!("{other:?} is not true or false"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn basic_auth_goes_over_https_with_one_source_of_credentials() {
        let https = [
            ("ES_ENDPOINT", "https://search.example.com"),
            ("ES_AUTH", "basic"),
            ("ES_USERNAME", "u"),
            ("ES_PASSWORD", "hunter2"),
        ];
        let ok = settings(&https).expect("valid");
        assert!(matches!(&ok.auth, AuthMode::Basic { username, .. } if username == "u"));
        assert!(
            !format!("{ok:?}").contains("hunter2"),
            "no password in Debug"
        );
        let mut http = https;
        http[0].1 = "http://127.0.0.1:9200";
        let err = settings(&http).expect_err("in the clear").to_string();
        assert!(err.contains("ES_ALLOW_BASIC_OVER_HTTP"), "{err}");
        let allowed = [&http[..], &[("ES_ALLOW_BASIC_OVER_HTTP", "true")]].concat();
        assert!(settings(&allowed).is_ok());
        let both = [
            &https[..],
            &[(
                "ES_SECRET_ARN",
                "arn:aws:secretsmanager:us-east-1:111122223333:secret:s",
            )],
        ]
        .concat();
        assert!(settings(&both)
            .expect_err("two sources")
            .to_string()
            .contains("not both"));
        let no_password = &https[..3];
        assert!(settings(no_password)
            .expect_err("half")
            .to_string()
            .contains("ES_PASSWORD"));
        let bundle = [("ES_CA_BUNDLE", "/nonexistent/ca.pem")];
        assert!(settings(&bundle)
            .expect_err("unreadable")
            .to_string()
            .contains("ES_CA_BUNDLE"));
    }

    #[test]
    fn defaults() {
        let s = settings(&[]).expect("no settings are needed for a dry run");
        assert!(s.endpoint.is_none());
        assert_eq!(s.auth, AuthMode::None);
        assert_eq!(s.doc_type, TypeMode::Auto);
        assert_eq!(s.action, Action::Create);
        assert_eq!(s.bulk_max_bytes, 5 << 20);
    }

    #[test]
    fn sigv4_takes_service_and_region_from_the_host() {
        let s = settings(&[
            ("ES_ENDPOINT", "https://x.eu-west-1.aoss.amazonaws.com"),
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
        ])
        .expect("valid");
        match s.auth {
            AuthMode::SigV4 {
                service,
                region,
                credentials,
            } => {
                assert_eq!((service.as_str(), region.as_str()), ("aoss", "eu-west-1"));
                assert!(!format!("{credentials:?}").contains("secret"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mistakes_name_the_variable() {
        for (pairs, expect) in [
            (vec![("ES_AUTH", "oauth")], "ES_AUTH"),
            (
                vec![
                    ("ES_ENDPOINT", "http://h:9200"),
                    ("AWS_REGION", "us-east-1"),
                ],
                "AWS_ACCESS_KEY_ID",
            ),
            (vec![("ES_AUTH", "basic")], "ES_USERNAME"),
            (vec![("BULK_MAX_BYTES", "12")], "BULK_MAX_BYTES"),
            (vec![("BULK_GZIP", "maybe")], "BULK_GZIP"),
            (vec![("ES_ACTION", "upsert")], "ES_ACTION"),
            (vec![("ES_TYPE", "_weird")], "ES_TYPE"),
            (vec![("RETENTION", "forever")], "RETENTION"),
            (vec![("INDEX_SHARDS", "0")], "INDEX_SHARDS"),
            (vec![("INDEX_REPLICAS", "99")], "INDEX_REPLICAS"),
            (vec![("ROUTES", "[{]")], "ROUTES"),
            (vec![("ES_ENDPOINT", "ftp://h")], "ES_ENDPOINT"),
        ] {
            let err = settings(&pairs).expect_err(expect).to_string();
            assert!(err.starts_with(expect), "{err}");
        }
    }
}
