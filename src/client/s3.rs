//! Reading log objects from S3: `GetObject` signed with SigV4 (service
//! `s3`) over the process's one HTTP client, the body handed to the
//! (blocking) record reader through a small bounded channel as it arrives,
//! so that an object of any size streams through a few hundred KiB.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::HOST;
use http::Method;
use http_body_util::{BodyExt, Full};
use tokio::sync::mpsc;

use super::auth::AwsContext;
use super::{error_chain, ClientError, Endpoint, HttpClient, Signer};

/// One object to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Decoded: the key as S3 stores it.
    pub key: String,
    pub version_id: Option<String>,
    pub etag: Option<String>,
    pub size: Option<u64>,
    /// The bucket's region, when the notification says.
    pub region: Option<String>,
    /// When the object was written (milliseconds), for records without a
    /// time of their own.
    pub event_time_ms: Option<i64>,
}

impl S3Location {
    /// `key` in `bucket`, nothing else known of it.
    pub fn new(bucket: &str, key: &str) -> S3Location {
        S3Location {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            version_id: None,
            etag: None,
            size: None,
            region: None,
            event_time_ms: None,
        }
    }
}

/// The size of each part of a multipart upload (S3's least is 5 MiB).
pub const PART_SIZE: usize = 8 << 20;

/// Body chunks in flight between the network and the reader.
const CHUNKS_IN_FLIGHT: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("s3://{bucket}/{key}: HTTP {status}: {message}")]
    Status {
        bucket: String,
        key: String,
        status: u16,
        message: String,
    },
    #[error("s3://{bucket}/{key}: {source}")]
    Client {
        bucket: String,
        key: String,
        source: ClientError,
    },
}

pub struct S3Client {
    http: HttpClient,
    aws: AwsContext,
    /// Replaces the regional endpoint (path-style requests), for tests.
    endpoint: Option<Endpoint>,
    timeout: Duration,
}

/// An object being read.
pub struct Fetched {
    pub body: ChunkReader,
    pub etag: Option<String>,
    /// `x-amz-version-id`, on a versioned bucket (not `null`, which a
    /// bucket whose versioning was suspended answers).
    pub version_id: Option<String>,
}

impl S3Client {
    pub fn new(
        http: HttpClient,
        aws: AwsContext,
        endpoint: Option<Endpoint>,
        timeout: Duration,
    ) -> Self {
        S3Client {
            http,
            aws,
            endpoint,
            timeout,
        }
    }

    /// Starts reading `object`: waits for the response headers (within the
    /// timeout), then streams the body. Each chunk must arrive within the
    /// timeout too, so a stalled transfer fails instead of hanging.
    pub async fn get_object(&self, object: &S3Location) -> Result<Fetched, S3Error> {
        let fail = |source: ClientError| S3Error::Client {
            bucket: object.bucket.clone(),
            key: object.key.clone(),
            source,
        };
        let request = self.request(object, SystemTime::now()).map_err(fail)?;
        let response = tokio::time::timeout(self.timeout, self.http.request(request))
            .await
            .map_err(|_| fail(ClientError::Timeout(self.timeout)))?
            .map_err(|e| fail(ClientError::Connection(error_chain(&e))))?;
        let status = response.status();
        if !status.is_success() {
            let body = tokio::time::timeout(self.timeout, response.into_body().collect())
                .await
                .ok()
                .and_then(Result::ok)
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            return Err(S3Error::Status {
                bucket: object.bucket.clone(),
                key: object.key.clone(),
                status: status.as_u16(),
                message: s3_error_message(&body),
            });
        }
        let etag = response
            .headers()
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim_matches('"').to_owned());
        let version_id = response
            .headers()
            .get("x-amz-version-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && *v != "null")
            .map(str::to_owned);
        let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
        let mut body = response.into_body();
        let idle = self.timeout;
        tokio::spawn(async move {
            loop {
                let next = match tokio::time::timeout(idle, body.frame()).await {
                    Err(_) => Some(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("no data for {idle:?}"),
                    ))),
                    Ok(None) => None,
                    Ok(Some(Err(e))) => Some(Err(std::io::Error::other(error_chain(&e)))),
                    Ok(Some(Ok(frame))) => match frame.into_data() {
                        Ok(data) => Some(Ok(data)),
                        Err(_) => continue, // trailers
                    },
                };
                let Some(item) = next else { break };
                let failed = item.is_err();
                // The reader went away (it stopped early): stop reading.
                if tx.send(item).await.is_err() || failed {
                    break;
                }
            }
        });
        Ok(Fetched {
            body: ChunkReader {
                rx,
                current: Bytes::new(),
            },
            etag,
            version_id,
        })
    }

    /// One page of ListObjectsV2 under `prefix`: with a `delimiter`, the
    /// keys directly under it and the prefixes one level down.
    /// `continuation` is the previous page's [`ListPage::next`].
    pub async fn list_objects(
        &self,
        bucket: &str,
        region: Option<&str>,
        prefix: &str,
        delimiter: Option<&str>,
        continuation: Option<&str>,
    ) -> Result<ListPage, S3Error> {
        let query = list_query(prefix, delimiter, continuation);
        let answer = self
            .call_in(region, Method::GET, bucket, "", &query, Bytes::new())
            .await?;
        parse_list_page(bucket, &answer.body).map_err(|message| S3Error::Status {
            bucket: bucket.to_owned(),
            key: prefix.to_owned(),
            status: answer.status.as_u16(),
            message,
        })
    }

    /// Writes a small object (dead letters) in one signed PutObject.
    pub async fn put_object(&self, bucket: &str, key: &str, body: Bytes) -> Result<(), S3Error> {
        self.call(Method::PUT, bucket, key, "", body)
            .await
            .map(drop)
    }

    /// Writes a file of any size (a record too large to index, kept whole)
    /// with a multipart upload, one [`PART_SIZE`] part in memory at a time;
    /// an upload that fails is aborted, so that no parts linger.
    pub async fn put_file(&self, bucket: &str, key: &str, path: &Path) -> Result<(), S3Error> {
        use tokio::io::AsyncReadExt as _;
        let io_error = |e: std::io::Error| S3Error::Client {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            source: ClientError::Request(format!("{}: {e}", path.display())),
        };
        let mut file = tokio::fs::File::open(path).await.map_err(io_error)?;
        let started = self
            .call(Method::POST, bucket, key, "uploads=", Bytes::new())
            .await?;
        let upload_id = xml_element(&started.body, "UploadId").ok_or_else(|| S3Error::Status {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            status: started.status.as_u16(),
            message: "CreateMultipartUpload answered no UploadId".into(),
        })?;
        let upload = crate::percent::encode(&upload_id, b"");
        let mut parts = String::from("<CompleteMultipartUpload>");
        let result: Result<(), S3Error> = async {
            for number in 1.. {
                let mut part = Vec::with_capacity(PART_SIZE);
                (&mut file)
                    .take(PART_SIZE as u64)
                    .read_to_end(&mut part)
                    .await
                    .map_err(io_error)?;
                if part.is_empty() && number > 1 {
                    break;
                }
                let query = format!("partNumber={number}&uploadId={upload}");
                let answer = self
                    .call(Method::PUT, bucket, key, &query, Bytes::from(part))
                    .await?;
                let etag = answer
                    .headers
                    .get(http::header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                parts.push_str(&format!(
                    "<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag></Part>"
                ));
            }
            parts.push_str("</CompleteMultipartUpload>");
            let query = format!("uploadId={upload}");
            let done = self
                .call(Method::POST, bucket, key, &query, Bytes::from(parts))
                .await?;
            // S3 may answer 200 and still report an error in the body.
            match xml_element(&done.body, "Code") {
                Some(code) => Err(S3Error::Status {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    status: done.status.as_u16(),
                    message: format!("CompleteMultipartUpload: {code}"),
                }),
                None => Ok(()),
            }
        }
        .await;
        if result.is_err() {
            let query = format!("uploadId={upload}");
            let _ = self
                .call(Method::DELETE, bucket, key, &query, Bytes::new())
                .await;
        }
        result
    }

    /// The region of `bucket`, as S3 names it to anyone who asks
    /// (HeadBucket's `x-amz-bucket-region`, sent even with a redirect or a
    /// refusal); `None` if it does not say, and requests go to this
    /// client's region.
    pub async fn bucket_region(&self, bucket: &str) -> Option<String> {
        let location = S3Location::new(bucket, "");
        let request = self
            .signed(Method::HEAD, &location, "", Bytes::new(), SystemTime::now())
            .ok()?;
        let answer = super::exchange(&self.http, request, self.timeout)
            .await
            .ok()?;
        let region = answer
            .headers
            .get("x-amz-bucket-region")
            .and_then(|v| v.to_str().ok())
            .filter(|r| check_region(r).is_ok())
            .map(str::to_owned);
        if region.as_deref().is_some_and(|r| r != self.aws.region) {
            tracing::info!(
                bucket,
                region = region.as_deref(),
                "bucket in another region"
            );
        }
        region
    }

    async fn call(
        &self,
        method: Method,
        bucket: &str,
        key: &str,
        query: &str,
        body: Bytes,
    ) -> Result<super::Response, S3Error> {
        self.call_in(None, method, bucket, key, query, body).await
    }

    /// One signed request on an object (in `region`, else this client's),
    /// its answer read whole; a status that is not a success is an error
    /// with S3's code and message.
    async fn call_in(
        &self,
        region: Option<&str>,
        method: Method,
        bucket: &str,
        key: &str,
        query: &str,
        body: Bytes,
    ) -> Result<super::Response, S3Error> {
        let fail = |source: ClientError| S3Error::Client {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            source,
        };
        let location = S3Location {
            region: region.map(str::to_owned),
            ..S3Location::new(bucket, key)
        };
        let request = self
            .signed(method, &location, query, body, SystemTime::now())
            .map_err(fail)?;
        let answer = super::exchange(&self.http, request, self.timeout)
            .await
            .map_err(fail)?;
        if !answer.status.is_success() {
            return Err(S3Error::Status {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                status: answer.status.as_u16(),
                message: s3_error_message(&answer.body),
            });
        }
        Ok(answer)
    }

    /// The signed GetObject request for `object` at `time`.
    pub fn request(
        &self,
        object: &S3Location,
        time: SystemTime,
    ) -> Result<http::Request<Full<Bytes>>, ClientError> {
        let query = object
            .version_id
            .as_deref()
            .map_or_else(String::new, |version| {
                format!("versionId={}", crate::percent::encode(version, b""))
            });
        self.signed(Method::GET, object, &query, Bytes::new(), time)
    }

    /// A signed request on `object`, with `query` (encoded already) if not
    /// empty.
    pub fn signed(
        &self,
        method: Method,
        object: &S3Location,
        query: &str,
        body: Bytes,
        time: SystemTime,
    ) -> Result<http::Request<Full<Bytes>>, ClientError> {
        // The host is built from these: checked first, so that a forged
        // notification cannot send a signed request anywhere else.
        let region = object.region.as_deref().unwrap_or(&self.aws.region);
        check_region(region).map_err(ClientError::Request)?;
        let naming = check_bucket(&object.bucket).map_err(ClientError::Request)?;
        let mut path = String::from("/");
        let endpoint = match &self.endpoint {
            Some(endpoint) => {
                path.push_str(&encode_key(&object.bucket));
                path.push('/');
                endpoint.clone()
            }
            // Virtual-hosted style, except for bucket names with dots, which
            // do not match the wildcard certificate, and legacy names that
            // are no host name.
            None if object.bucket.contains('.') || naming == Naming::Legacy => {
                path.push_str(&encode_key(&object.bucket));
                path.push('/');
                format!("https://s3.{region}.amazonaws.com")
                    .parse()
                    .map_err(|e: super::EndpointError| ClientError::Request(e.to_string()))?
            }
            None => format!("https://{}.s3.{region}.amazonaws.com", object.bucket)
                .parse()
                .map_err(|e: super::EndpointError| ClientError::Request(e.to_string()))?,
        };
        path.push_str(&encode_key(&object.key));
        if !query.is_empty() {
            path.push('?');
            path.push_str(query);
        }
        let mut request = http::Request::builder()
            .method(method)
            .uri(endpoint.url(&path))
            .header(HOST, endpoint.authority())
            .body(Full::new(body.clone()))
            .map_err(|e| ClientError::Request(e.to_string()))?;
        Signer::new(&self.aws.credentials, region, "s3").sign(&mut request, &body, time)?;
        Ok(request)
    }
}

/// The query of a ListObjectsV2 request, its parameters in the order SigV4
/// wants them (sorted by name). Keys are asked for URL-encoded, so that any
/// character survives the XML.
pub fn list_query(prefix: &str, delimiter: Option<&str>, continuation: Option<&str>) -> String {
    let encode = |v: &str| crate::percent::encode(v, b"");
    let mut query = String::new();
    if let Some(token) = continuation {
        query.push_str(&format!("continuation-token={}&", encode(token)));
    }
    if let Some(delimiter) = delimiter {
        query.push_str(&format!("delimiter={}&", encode(delimiter)));
    }
    query.push_str(&format!(
        "encoding-type=url&list-type=2&prefix={}",
        encode(prefix)
    ));
    query
}

/// One page of a listing.
#[derive(Debug, Default)]
pub struct ListPage {
    /// The objects, with their size, ETag and LastModified (as
    /// `event_time_ms`).
    pub objects: Vec<S3Location>,
    /// With a delimiter: the prefixes one level down.
    pub prefixes: Vec<String>,
    /// The continuation token of the next page, if there is one.
    pub next: Option<String>,
}

/// ListObjectsV2's answer (`ListBucketResult`), the members read here.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListBucketResult {
    #[serde(default)]
    contents: Vec<ListedObject>,
    #[serde(default)]
    common_prefixes: Vec<CommonPrefix>,
    #[serde(default)]
    is_truncated: bool,
    #[serde(default)]
    next_continuation_token: Option<String>,
    #[serde(default)]
    encoding_type: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListedObject {
    key: String,
    #[serde(default)]
    last_modified: Option<String>,
    #[serde(default, rename = "ETag")]
    etag: Option<String>,
    #[serde(default)]
    size: Option<u64>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CommonPrefix {
    prefix: String,
}

/// Reads a ListObjectsV2 answer; keys are decoded when S3 says it encoded
/// them (`EncodingType` `url`: `%XX` and `+` for a space, as botocore reads
/// them).
fn parse_list_page(bucket: &str, body: &[u8]) -> Result<ListPage, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("listing is not UTF-8: {e}"))?;
    let result: ListBucketResult =
        quick_xml::de::from_str(text).map_err(|e| format!("listing: {e}"))?;
    let encoded = result.encoding_type.as_deref() == Some("url");
    let decode = |text: String| {
        if encoded {
            crate::percent::decode_form(&text)
        } else {
            text
        }
    };
    let next = match (result.is_truncated, result.next_continuation_token) {
        (true, Some(token)) => Some(token),
        (true, None) => return Err("a truncated listing without NextContinuationToken".into()),
        (false, _) => None,
    };
    Ok(ListPage {
        objects: result
            .contents
            .into_iter()
            .map(|o| S3Location {
                bucket: bucket.to_owned(),
                key: decode(o.key),
                version_id: None,
                etag: o.etag.map(|e| e.trim_matches('"').to_owned()),
                size: o.size,
                region: None,
                event_time_ms: o
                    .last_modified
                    .as_deref()
                    .and_then(crate::time::parse_rfc3339),
            })
            .collect(),
        prefixes: result
            .common_prefixes
            .into_iter()
            .map(|p| decode(p.prefix))
            .collect(),
        next,
    })
}

/// Which of S3's naming rules a bucket name follows.
#[derive(Debug, PartialEq, Eq)]
pub enum Naming {
    /// Today's rules: a DNS label sequence, usable as a host name.
    Dns,
    /// Names us-east-1 allowed before March 2018 (capitals, `_`, up to 255
    /// characters): addressed by path only.
    Legacy,
}

/// Checks a bucket name against S3's naming rules ("General purpose bucket
/// naming rules"): 3-63 lowercase letters, digits, `.` and `-`, starting
/// and ending with a letter or digit, no `..`, not an IPv4 address; or a
/// legacy name of 3-255 letters, digits, `.`, `-` and `_`. Nothing else
/// can be part of a URL's host or path here.
pub fn check_bucket(name: &str) -> Result<Naming, String> {
    let refuse = |why: &str| Err(format!("bucket name {name:?} {why}"));
    let bytes = name.as_bytes();
    if !(3..=255).contains(&bytes.len()) {
        return refuse("is not 3 to 63 characters long");
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    {
        return refuse("holds a character S3 does not allow (only letters, digits, '.', '-', '_')");
    }
    let ends_ok = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    if !ends_ok(bytes.first()) || !ends_ok(bytes.last()) {
        return refuse("does not start and end with a letter or digit");
    }
    if name.contains("..") {
        return refuse("holds '..'");
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return refuse("is an IP address");
    }
    let dns = bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-'));
    Ok(if dns { Naming::Dns } else { Naming::Legacy })
}

/// Checks a region name against AWS's pattern (`us-east-1`,
/// `us-gov-west-1`, `eusc-de-east-1`): letters in groups joined by `-`,
/// ending in a number.
pub fn check_region(region: &str) -> Result<(), String> {
    let is_word =
        |w: &str| (1..=10).contains(&w.len()) && w.bytes().all(|b| b.is_ascii_lowercase());
    let ok = region.rsplit_once('-').is_some_and(|(words, number)| {
        (1..=2).contains(&number.len())
            && number.bytes().all(|b| b.is_ascii_digit())
            && words.split('-').count() >= 2
            && words.split('-').all(is_word)
            && words
                .split('-')
                .next()
                .is_some_and(|w| (2..=4).contains(&w.len()))
    });
    if ok {
        Ok(())
    } else {
        Err(format!("region {region:?} is not an AWS region name"))
    }
}

/// Percent-encodes a key for a URL path: everything but unreserved
/// characters and `/`.
pub fn encode_key(key: &str) -> String {
    crate::percent::encode(key, b"/")
}

/// The text of the first `<name>` element of an S3 XML body.
fn xml_element(body: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let open = format!("<{name}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find('<')? + start;
    Some(text[start..end].to_owned())
}

/// The `<Code>` and `<Message>` of an S3 XML error body.
fn s3_error_message(body: &[u8]) -> String {
    let element = |name: &str| xml_element(body, name);
    match (element("Code"), element("Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => super::excerpt(body),
    }
}

/// The body of an object as a blocking reader, fed by the network task.
/// Only for use on a blocking thread.
pub struct ChunkReader {
    rx: mpsc::Receiver<std::io::Result<Bytes>>,
    current: Bytes,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_encoded_for_the_path() {
        assert_eq!(
            encode_key("AWSLogs/1/a b+cé.log"),
            "AWSLogs/1/a%20b%2Bc%C3%A9.log"
        );
    }

    #[test]
    fn bucket_names_follow_s3s_rules() {
        for good in ["my-logs", "a.b.c", "123", "logs-111122223333-us-east-1"] {
            assert_eq!(check_bucket(good), Ok(Naming::Dns), "{good}");
        }
        for legacy in ["My_Old_Bucket", &"a".repeat(64)] {
            assert_eq!(check_bucket(legacy), Ok(Naming::Legacy), "{legacy}");
        }
        for bad in [
            "localhost:18443/",
            "evil.com/x",
            "a@b.c",
            "ab",
            "-ab",
            "ab-",
            "a..b",
            "192.168.0.1",
            "a b c",
            "bucket#frag",
            "bucket?x=1",
            "",
            &"a".repeat(256),
        ] {
            let err = check_bucket(bad).expect_err(bad);
            assert!(err.starts_with("bucket name "), "{err}");
        }
    }

    #[test]
    fn regions_follow_awss_pattern() {
        for good in [
            "us-east-1",
            "us-gov-west-1",
            "cn-north-1",
            "ap-southeast-5",
            "eusc-de-east-1",
            "us-isob-east-1",
        ] {
            assert_eq!(check_region(good), Ok(()), "{good}");
        }
        for bad in [
            "x@127.0.0.1:18443/",
            "us-east-1.evil.com",
            "us-east",
            "us-east-1/",
            "US-EAST-1",
            "us--1",
            "",
            "us-east-123",
        ] {
            assert!(check_region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn steering_names_build_no_request() {
        let client = S3Client::new(
            super::super::http_client(1, &Default::default()),
            AwsContext {
                region: "us-east-1".into(),
                credentials: super::super::auth::Credentials {
                    access_key_id: "AKID".into(),
                    secret_access_key: "secret".into(),
                    session_token: None,
                },
            },
            None,
            Duration::from_secs(1),
        );
        let object = |bucket: &str, region: Option<&str>| S3Location {
            region: region.map(str::to_owned),
            ..S3Location::new(bucket, "k")
        };
        let now = SystemTime::now();
        let request = client
            .request(&object("logs", Some("eu-west-1")), now)
            .expect("valid");
        assert_eq!(
            request.uri().to_string(),
            "https://logs.s3.eu-west-1.amazonaws.com/k"
        );
        let legacy = client
            .request(&object("Old_Logs", None), now)
            .expect("legacy");
        assert_eq!(
            legacy.uri().to_string(),
            "https://s3.us-east-1.amazonaws.com/Old_Logs/k"
        );
        for (bucket, region) in [
            ("localhost:18443/", None),
            ("logs", Some("x@127.0.0.1:18443/")),
        ] {
            let err = client
                .request(&object(bucket, region), now)
                .expect_err("refused");
            assert!(matches!(err, ClientError::Request(_)), "{err}");
        }
    }

    /// A page as S3 writes it (the S3 API reference's ListObjectsV2
    /// example, with `encoding-type=url`): keys decoded, ETags unquoted,
    /// times read, the next page's token kept.
    #[test]
    fn listing_pages() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>logs-1</Name><Prefix>AWSLogs%2F</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>
  <Delimiter>%2F</Delimiter><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents><Key>AWSLogs%2Fa+b%2Bc%C3%A9.log</Key><LastModified>2025-11-22T08:26:40.000Z</LastModified>
    <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>AWSLogs%2Fplain.log</Key><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>AWSLogs%2F2025%2F</Prefix></CommonPrefixes>
</ListBucketResult>"#;
        let page = parse_list_page("logs-1", body).expect("a page");
        assert_eq!(page.objects.len(), 2);
        let first = &page.objects[0];
        assert_eq!(first.key, "AWSLogs/a b+cé.log");
        assert_eq!(
            first.etag.as_deref(),
            Some("fba9dede5f27731c9771645a39863328")
        );
        assert_eq!(first.size, Some(434_234));
        assert_eq!(first.event_time_ms, Some(1_763_800_000_000));
        assert_eq!(first.bucket, "logs-1");
        assert_eq!(page.prefixes, ["AWSLogs/2025/"]);
        assert_eq!(
            page.next.as_deref(),
            Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        );
        // Not encoded (a store that ignores encoding-type): taken as written.
        let plain = br#"<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a+b.log</Key></Contents></ListBucketResult>"#;
        let page = parse_list_page("b", plain).expect("a page");
        assert_eq!(page.objects[0].key, "a+b.log");
        assert_eq!(page.next, None);
        let cut = br#"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"#;
        assert!(
            parse_list_page("b", cut).is_err(),
            "truncated without a token"
        );
        assert!(parse_list_page("b", b"<ListBucketResult><Contents>").is_err());
        assert_eq!(
            list_query("a b/", Some("/"), Some("t+/=")),
            "continuation-token=t%2B%2F%3D&delimiter=%2F&encoding-type=url&list-type=2&prefix=a%20b%2F"
        );
    }

    #[test]
    fn error_bodies_name_the_code() {
        let body = b"<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>";
        assert_eq!(
            s3_error_message(body),
            "NoSuchKey: The specified key does not exist."
        );
    }
}
