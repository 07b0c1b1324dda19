//! AWS credentials and region for the command line, found where the AWS
//! CLI finds them: the environment, the shared credentials and config
//! files (`AWS_PROFILE`, `credential_process`), a container's credentials
//! endpoint (ECS, EKS Pod Identity), the EC2 instance metadata service
//! (IMDSv2). The Lambda function needs none of this: Lambda sets the
//! environment.
//!
//! Written here rather than taken from `aws-config`: with its default
//! features it adds 58 crates to this build (counted with `cargo tree`),
//! among them aws-lc-sys's C library, a second TLS setup and generated
//! SSO, SSO-OIDC and STS clients, to a binary whose Lambda half never uses
//! them; without them it needs an HTTP client adapter of our own anyway. Profiles that sign in through
//! SSO or assume a role are not followed: the error says how to export
//! their credentials with the AWS CLI.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use http_body_util::Full;
use serde::Deserialize;

use super::auth::Credentials;
use super::HttpClient;

/// How long a metadata endpoint may take: off EC2 it never answers.
const METADATA_TIMEOUT: Duration = Duration::from_secs(2);

/// What was found, and where.
#[derive(Debug, Default)]
pub struct Found {
    pub region: Option<String>,
    pub credentials: Option<Credentials>,
    /// Where the credentials came from, for the log.
    pub source: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("{path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("profile {profile:?} {why}")]
    Profile { profile: String, why: String },
    #[error("{0}")]
    Endpoint(String),
}

/// Looks for credentials and a region, in the AWS CLI's order; `var`
/// reads the environment.
pub async fn find(
    http: &HttpClient,
    var: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Found, CredentialsError> {
    let profile_name = var("AWS_PROFILE")
        .or_else(|| var("AWS_DEFAULT_PROFILE"))
        .unwrap_or_else(|| "default".into());
    let home = var("HOME").map(PathBuf::from).unwrap_or_default();
    let credentials_file = var("AWS_SHARED_CREDENTIALS_FILE")
        .map_or_else(|| home.join(".aws/credentials"), PathBuf::from);
    let config_file =
        var("AWS_CONFIG_FILE").map_or_else(|| home.join(".aws/config"), PathBuf::from);
    let profile = Profile::read(&profile_name, &credentials_file, &config_file)?;
    let mut found = Found {
        region: var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .or_else(|| profile.get("region")),
        ..Found::default()
    };
    if let (Some(id), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        found.credentials = Some(Credentials {
            access_key_id: id,
            secret_access_key: secret,
            session_token: var("AWS_SESSION_TOKEN"),
        });
        found.source = "environment";
        return Ok(found);
    }
    if let Some(credentials) = profile.credentials()? {
        found.credentials = Some(credentials);
        found.source = "shared credentials or config file";
        return Ok(found);
    }
    if profile.explicit {
        return Err(CredentialsError::Profile {
            profile: profile_name,
            why: "holds no credentials".into(),
        });
    }
    if let Some(url) = container_url(var) {
        let token = match (
            var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
            var("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
        ) {
            (Some(path), _) => Some(
                std::fs::read_to_string(&path)
                    .map_err(|source| CredentialsError::File { path, source })?,
            ),
            (None, token) => token,
        };
        let headers: Vec<(&str, String)> = token
            .map(|t| ("authorization", t.trim().to_owned()))
            .into_iter()
            .collect();
        let body = get(http, Method::GET, &url, &headers).await?;
        found.credentials = Some(parse_credentials(&body, &url)?);
        found.source = "container credentials endpoint";
        return Ok(found);
    }
    if var("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Ok(found);
    }
    let imds =
        var("AWS_EC2_METADATA_SERVICE_ENDPOINT").unwrap_or_else(|| "http://169.254.169.254".into());
    let imds = imds.trim_end_matches('/');
    // Off EC2 nothing answers: that is "no credentials", not an error.
    let Ok(token) = get(
        http,
        Method::PUT,
        &format!("{imds}/latest/api/token"),
        &[("x-aws-ec2-metadata-token-ttl-seconds", "21600".into())],
    )
    .await
    else {
        return Ok(found);
    };
    let token = [(
        "x-aws-ec2-metadata-token",
        String::from_utf8_lossy(&token).into_owned(),
    )];
    let base = format!("{imds}/latest/meta-data/iam/security-credentials/");
    let roles = get(http, Method::GET, &base, &token).await?;
    let role = String::from_utf8_lossy(&roles)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    if role.is_empty() {
        return Ok(found);
    }
    let url = format!("{base}{role}");
    found.credentials = Some(parse_credentials(
        &get(http, Method::GET, &url, &token).await?,
        &url,
    )?);
    found.source = "instance profile";
    if found.region.is_none() {
        let region = get(
            http,
            Method::GET,
            &format!("{imds}/latest/meta-data/placement/region"),
            &token,
        )
        .await?;
        found.region = Some(String::from_utf8_lossy(&region).trim().to_owned());
    }
    Ok(found)
}

/// The container credentials endpoint, if this is a container that has one.
fn container_url(var: &(dyn Fn(&str) -> Option<String> + Sync)) -> Option<String> {
    var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .map(|path| format!("http://169.254.170.2{path}"))
        .or_else(|| var("AWS_CONTAINER_CREDENTIALS_FULL_URI"))
}

/// One request to a metadata endpoint, its body if it answered 200.
async fn get(
    http: &HttpClient,
    method: Method,
    url: &str,
    headers: &[(&str, String)],
) -> Result<Bytes, CredentialsError> {
    let fail = |why: String| CredentialsError::Endpoint(format!("{url}: {why}"));
    let mut request = http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let request = request
        .body(Full::new(Bytes::new()))
        .map_err(|e| fail(e.to_string()))?;
    let answer = super::exchange(http, request, METADATA_TIMEOUT)
        .await
        .map_err(|e| fail(e.to_string()))?;
    if !answer.status.is_success() {
        return Err(fail(format!(
            "HTTP {}: {}",
            answer.status.as_u16(),
            super::excerpt(&answer.body)
        )));
    }
    Ok(answer.body)
}

/// The JSON that container endpoints, IMDS and `credential_process` answer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    access_key_id: String,
    secret_access_key: String,
    #[serde(default, alias = "SessionToken")]
    token: Option<String>,
}

fn parse_credentials(body: &[u8], from: &str) -> Result<Credentials, CredentialsError> {
    let answer: Answer = serde_json::from_slice(body).map_err(|e| {
        CredentialsError::Endpoint(format!("{from}: no credentials in the answer: {e}"))
    })?;
    Ok(Credentials {
        access_key_id: answer.access_key_id,
        secret_access_key: answer.secret_access_key,
        session_token: answer.token.filter(|t| !t.is_empty()),
    })
}

/// A profile's settings: the credentials file's `[name]` over the config
/// file's `[profile name]` (`[default]` in both).
#[derive(Debug, Default)]
struct Profile {
    name: String,
    values: HashMap<String, String>,
    /// Named by `AWS_PROFILE` rather than the default: it must exist.
    explicit: bool,
}

impl Profile {
    fn read(
        name: &str,
        credentials_file: &std::path::Path,
        config_file: &std::path::Path,
    ) -> Result<Profile, CredentialsError> {
        let read = |path: &std::path::Path| match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(CredentialsError::File {
                path: path.display().to_string(),
                source,
            }),
        };
        let config_section = if name == "default" {
            "default".to_owned()
        } else {
            format!("profile {name}")
        };
        let mut values = HashMap::new();
        let mut exists = false;
        if let Some(text) = read(config_file)? {
            exists |= section(&text, &config_section, &mut values);
        }
        if let Some(text) = read(credentials_file)? {
            exists |= section(&text, name, &mut values);
        }
        let explicit = name != "default";
        if explicit && !exists {
            return Err(CredentialsError::Profile {
                profile: name.to_owned(),
                why: format!(
                    "is in neither {} nor {}",
                    credentials_file.display(),
                    config_file.display()
                ),
            });
        }
        Ok(Profile {
            name: name.to_owned(),
            values,
            explicit,
        })
    }

    fn get(&self, key: &str) -> Option<String> {
        self.values.get(key).filter(|v| !v.is_empty()).cloned()
    }

    fn credentials(&self) -> Result<Option<Credentials>, CredentialsError> {
        if let (Some(id), Some(secret)) = (
            self.get("aws_access_key_id"),
            self.get("aws_secret_access_key"),
        ) {
            return Ok(Some(Credentials {
                access_key_id: id,
                secret_access_key: secret,
                session_token: self.get("aws_session_token"),
            }));
        }
        if let Some(command) = self.get("credential_process") {
            return self.run_process(&command).map(Some);
        }
        let follows = [
            "role_arn",
            "sso_session",
            "sso_start_url",
            "web_identity_token_file",
        ]
        .into_iter()
        .find(|key| self.values.contains_key(*key));
        if let Some(key) = follows {
            return Err(CredentialsError::Profile {
                profile: self.name.clone(),
                why: format!(
                    "signs in with {key}, which is not followed here; export its credentials with \
                     `eval \"$(aws configure export-credentials --profile {} --format env)\"`",
                    self.name
                ),
            });
        }
        Ok(None)
    }

    /// `credential_process`: a command that prints the credentials as JSON
    /// (`Version` 1), run by the shell as the AWS CLI runs it.
    fn run_process(&self, command: &str) -> Result<Credentials, CredentialsError> {
        let fail = |why: String| CredentialsError::Profile {
            profile: self.name.clone(),
            why: format!("credential_process {command:?}: {why}"),
        };
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .stderr(std::process::Stdio::inherit())
            .output()
            .map_err(|e| fail(e.to_string()))?;
        if !out.status.success() {
            return Err(fail(format!("exited with {}", out.status)));
        }
        parse_credentials(&out.stdout, "credential_process").map_err(|e| fail(e.to_string()))
    }
}

/// Adds the `key = value` lines of `[name]` in the INI `text` to `values`
/// (values already there win); says whether the section exists. Indented
/// lines (nested settings such as `s3 =`) are not read.
fn section(text: &str, name: &str, values: &mut HashMap<String, String>) -> bool {
    let mut inside = false;
    let mut exists = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        if let Some(header) = trimmed.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            inside = header.split_whitespace().collect::<Vec<_>>().join(" ") == name;
            exists |= inside;
            continue;
        }
        if !inside || line.starts_with([' ', '\t']) {
            continue;
        }
        if let Some((key, value)) = trimmed.split_once('=') {
            values
                .entry(key.trim().to_ascii_lowercase())
                .or_insert_with(|| value.trim().to_owned());
        }
    }
    exists
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn files(credentials: &str, config: &str) -> (PathBuf, PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("lf-credentials-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).expect("dir");
        let (c, k) = (dir.join("credentials"), dir.join("config"));
        std::fs::write(&c, credentials).expect("write");
        std::fs::write(&k, config).expect("write");
        (dir, c, k)
    }

    fn find_with(vars: &[(&str, &str)]) -> Result<Found, CredentialsError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |name: &str| vars.get(name).cloned();
        let http = crate::client::http_client(1, &Default::default());
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(find(&http, &lookup))
    }

    #[test]
    fn profiles_from_the_shared_files() {
        let (dir, credentials, config) = files(
            "[default]\naws_access_key_id = AKDEFAULT\naws_secret_access_key = s1\n\n\
             [backfill]\naws_access_key_id=AKBACKFILL\naws_secret_access_key=s2\naws_session_token = t2\n",
            "[default]\nregion = eu-west-1\n[profile backfill]\nregion = ap-south-1\ns3 =\n  max_concurrent_requests = 20\n\
             [profile tool]\nregion = us-east-2\ncredential_process = printf '{\"Version\":1,\"AccessKeyId\":\"AKPROC\",\"SecretAccessKey\":\"s3\",\"SessionToken\":\"t3\"}'\n\
             [profile sso]\nsso_session = corp\nsso_account_id = 1\n",
        );
        let (c, k) = (
            credentials.to_str().expect("utf-8"),
            config.to_str().expect("utf-8"),
        );
        let base = [
            ("AWS_SHARED_CREDENTIALS_FILE", c),
            ("AWS_CONFIG_FILE", k),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ];
        let found = find_with(&base).expect("default profile");
        assert_eq!(found.region.as_deref(), Some("eu-west-1"));
        assert_eq!(found.credentials.expect("found").access_key_id, "AKDEFAULT");

        let with = |extra: &[(&'static str, &'static str)]| {
            let mut vars = base.to_vec();
            vars.extend_from_slice(extra);
            find_with(&vars)
        };
        let found = with(&[("AWS_PROFILE", "backfill")]).expect("named profile");
        assert_eq!(found.region.as_deref(), Some("ap-south-1"));
        let credentials = found.credentials.expect("found");
        assert_eq!(credentials.access_key_id, "AKBACKFILL");
        assert_eq!(credentials.session_token.as_deref(), Some("t2"));

        let found = with(&[("AWS_PROFILE", "tool")]).expect("credential_process");
        assert_eq!(
            found.credentials.expect("found").session_token.as_deref(),
            Some("t3")
        );

        // The environment wins, as with the AWS CLI.
        let found = with(&[
            ("AWS_PROFILE", "backfill"),
            ("AWS_ACCESS_KEY_ID", "AKENV"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_REGION", "us-west-2"),
        ])
        .expect("environment");
        assert_eq!(found.source, "environment");
        assert_eq!(found.region.as_deref(), Some("us-west-2"));

        let err = with(&[("AWS_PROFILE", "sso")])
            .expect_err("SSO is not followed")
            .to_string();
        assert!(
            err.contains("aws configure export-credentials --profile sso"),
            "{err}"
        );
        let err = with(&[("AWS_PROFILE", "nope")])
            .expect_err("no such profile")
            .to_string();
        assert!(err.contains("is in neither"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }

    /// The container credentials endpoint. No real one can run here (ECS
    /// and EKS serve it inside their tasks), so a listener answers as the
    /// ECS documentation shows, and the test checks the token was sent.
    #[test]
    fn container_endpoint_with_its_token() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!(
            "http://{}/v2/credentials/abc",
            listener.local_addr().expect("addr")
        );
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("accept");
            let mut request = vec![0u8; 4096];
            let n = stream.read(&mut request).expect("read");
            let body = r#"{"AccessKeyId":"AKCONTAINER","SecretAccessKey":"s","Token":"tc","Expiration":"2026-12-06T12:00:00Z","RoleArn":"arn:aws:iam::1:role/r"}"#;
            write!(stream, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).expect("answer");
            String::from_utf8_lossy(&request[..n]).into_owned()
        });
        let (dir, credentials, config) = files("", "");
        let found = find_with(&[
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                credentials.to_str().expect("utf-8"),
            ),
            ("AWS_CONFIG_FILE", config.to_str().expect("utf-8")),
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &url),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "secret-token"),
            ("AWS_REGION", "eu-west-1"),
        ])
        .expect("container credentials");
        let request = server.join().expect("served");
        assert!(request.starts_with("GET /v2/credentials/abc "), "{request}");
        assert!(
            request
                .to_ascii_lowercase()
                .contains("authorization: secret-token"),
            "{request}"
        );
        let credentials = found.credentials.expect("found");
        assert_eq!(credentials.access_key_id, "AKCONTAINER");
        assert_eq!(credentials.session_token.as_deref(), Some("tc"));
        assert_eq!(found.source, "container credentials endpoint");
        let _ = std::fs::remove_dir_all(dir);
    }

    /// The EC2 instance metadata service (IMDSv2): a token first, then the
    /// role's name, its credentials and the region, each asked with the
    /// token. No IMDS can run off EC2, so a listener answers as the EC2
    /// documentation shows, one connection per request.
    #[test]
    fn instance_role_through_imdsv2() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let server = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for _ in 0..4 {
                let (mut stream, _) = listener.accept().expect("accept");
                let mut request = vec![0u8; 4096];
                let n = stream.read(&mut request).expect("read");
                let request = String::from_utf8_lossy(&request[..n]).into_owned();
                let line = request.lines().next().unwrap_or_default().to_owned();
                let has_token = request
                    .to_ascii_lowercase()
                    .contains("x-aws-ec2-metadata-token: tok");
                let body = match line.split_whitespace().take(2).collect::<Vec<_>>()[..] {
                    ["PUT", "/latest/api/token"] => "tok",
                    ["GET", "/latest/meta-data/iam/security-credentials/"] if has_token => {
                        "forwarder-backfill\n"
                    }
                    ["GET", "/latest/meta-data/iam/security-credentials/forwarder-backfill"]
                        if has_token =>
                    {
                        r#"{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS","SecretAccessKey":"s","Token":"ti","Expiration":"2026-12-06T12:00:00Z"}"#
                    }
                    ["GET", "/latest/meta-data/placement/region"] if has_token => "eu-central-1",
                    _ => "",
                };
                let status = if body.is_empty() {
                    "401 Unauthorized"
                } else {
                    "200 OK"
                };
                write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
                .expect("answer");
                seen.push(line);
            }
            seen
        });
        let (dir, credentials, config) = files("", "");
        let found = find_with(&[
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                credentials.to_str().expect("utf-8"),
            ),
            ("AWS_CONFIG_FILE", config.to_str().expect("utf-8")),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &url),
        ])
        .expect("instance credentials");
        let seen = server.join().expect("served");
        assert_eq!(seen.len(), 4, "{seen:?}");
        assert_eq!(found.source, "instance profile");
        assert_eq!(found.region.as_deref(), Some("eu-central-1"));
        let credentials = found.credentials.expect("found");
        assert_eq!(credentials.access_key_id, "ASIAIMDS");
        assert_eq!(credentials.session_token.as_deref(), Some("ti"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
