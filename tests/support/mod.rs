//! Shared test support: locating the real peers (installed by `.ci/run`
//! into `.venv`), running `osmem-server`, running the `logs-forwarder`
//! binary, and a recording / fault-injecting HTTP front.
//!
//! A missing peer is a loud failure, never a skip.

#![allow(dead_code)]

pub mod delay;
pub mod lifecycle_standin;
pub mod proxy;
pub mod recorder;
pub mod snapshot_standin;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python virtualenv holding the peers (`LF_VENV` overrides).
pub fn venv() -> PathBuf {
    std::env::var_os("LF_VENV").map_or_else(|| root().join(".venv"), PathBuf::from)
}

fn require(path: PathBuf, what: &str) -> PathBuf {
    assert!(
        path.exists(),
        "{what} not found at {}: `scripts/install-peers` installs the peers; the corpus is \
         expected in ../shared/corpus beside the project (or LF_CORPUS)",
        path.display()
    );
    path
}

pub fn python() -> PathBuf {
    require(venv().join("bin/python"), "the peers' Python")
}

pub fn venv_bin(name: &str) -> PathBuf {
    require(venv().join("bin").join(name), name)
}

/// A program of the template checkers' own venv (`.venv-sam`: aws-sam-cli,
/// its SAM translator, cfn-lint), which pins a botocore of its own.
pub fn sam_venv_bin(name: &str) -> PathBuf {
    require(root().join(".venv-sam/bin").join(name), name)
}

/// `../shared/corpus` beside the project (`LF_CORPUS` overrides).
pub fn corpus() -> PathBuf {
    let dir = std::env::var_os("LF_CORPUS")
        .map_or_else(|| root().join("../shared/corpus"), PathBuf::from);
    require(dir, "the shared corpus")
}

fn osmem_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("OSMEM_SERVER_BIN") {
        return require(PathBuf::from(bin), "OSMEM_SERVER_BIN");
    }
    let lib = require(venv().join("lib"), "the peers' site-packages");
    let found = std::fs::read_dir(&lib)
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("site-packages/osmem_server/bin/osmem-server"))
        .find(|p| p.exists());
    require(
        found.unwrap_or_else(|| lib.join("python3/site-packages/osmem_server/bin/osmem-server")),
        "osmem-server",
    )
}

/// A running `osmem-server` (an OpenSearch 3.x stand-in), killed on drop.
pub struct Osmem {
    child: Child,
    pub url: String,
}

impl Osmem {
    pub fn start() -> Osmem {
        let mut child = Command::new(osmem_bin())
            .args(["-addr", "127.0.0.1:0", "-no-stdin-watch", "-no-ja"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("osmem-server starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("osmem prints its address");
        let info: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("osmem said {line:?}: {e}"));
        let url = info["url"].as_str().expect("url").to_owned();
        Osmem { child, url }
    }

    pub fn request(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let req = ureq::request(method, &format!("{}{}", self.url, path));
        let result = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        match result {
            Ok(resp) => resp.into_json().expect("JSON response"),
            Err(ureq::Error::Status(_, resp)) => resp.into_json().expect("JSON error"),
            Err(e) => panic!("{method} {path}: {e}"),
        }
    }

    pub fn get(&self, path: &str) -> Value {
        self.request("GET", path, None)
    }

    /// Number of documents matching `query` in `index` (after a refresh).
    pub fn count(&self, index: &str, query: Value) -> u64 {
        self.request("POST", "/_refresh", None);
        let resp = self.request(
            "POST",
            &format!("/{index}/_count"),
            Some(serde_json::json!({ "query": query })),
        );
        resp["count"]
            .as_u64()
            .unwrap_or_else(|| panic!("count on {index}: {resp}"))
    }

    /// The `_source` of every document matching `query`.
    pub fn sources(&self, index: &str, query: Value) -> Vec<Value> {
        self.request("POST", "/_refresh", None);
        let resp = self.request(
            "POST",
            &format!("/{index}/_search"),
            Some(serde_json::json!({ "query": query, "size": 1000 })),
        );
        resp["hits"]["hits"]
            .as_array()
            .unwrap_or_else(|| panic!("search on {index}: {resp}"))
            .iter()
            .map(|h| h["_source"].clone())
            .collect()
    }
}

impl Drop for Osmem {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a `logs-forwarder replay` run produced.
pub struct Replay {
    pub success: bool,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub summary: Value,
}

/// Runs `logs-forwarder replay ARGS` with a clean configuration plus `env`.
pub fn replay(args: &[&str], env: &[(&str, &str)]) -> Replay {
    replay_in(None, args, env)
}

/// [`replay`] in the working directory `dir` (relative paths then name
/// files as an S3 key would, in `@source`).
pub fn replay_in(dir: Option<&Path>, args: &[&str], env: &[(&str, &str)]) -> Replay {
    run_forwarder_in(dir, &[&["replay"], args].concat(), env)
}

/// `logs-forwarder ARGS` in `dir`, with a clean configuration plus `env`:
/// no variable of the forwarder's or AWS's from the test's environment.
pub fn forwarder_command(dir: Option<&Path>, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logs-forwarder"));
    cmd.args(args);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    for (key, _) in std::env::vars() {
        if key.starts_with("ES_")
            || key.starts_with("AWS_")
            || key.starts_with("BULK_")
            || matches!(
                key.as_str(),
                "ROUTES"
                    | "ROUTES_FILE"
                    | "S3_ENDPOINT"
                    | "S3_BUCKETS"
                    | "DLQ_URI"
                    | "TEMPLATES"
                    | "RUST_LOG"
                    | "LOG_LEVEL"
            )
        {
            cmd.env_remove(key);
        }
    }
    // Credentials come from `env` alone: no profile file or instance role
    // of the machine the tests run on.
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
        .env("AWS_CONFIG_FILE", "/nonexistent/config")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd.envs(env.iter().copied());
    cmd
}

/// Runs `logs-forwarder ARGS` (see [`forwarder_command`]) and returns
/// what it printed, its JSON summary (the last line on stderr) among it.
pub fn run_forwarder_in(dir: Option<&Path>, args: &[&str], env: &[(&str, &str)]) -> Replay {
    let out = forwarder_command(dir, args, env)
        .output()
        .expect("logs-forwarder runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let last = stderr.lines().last().unwrap_or("");
    let summary = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("last stderr line is not the summary ({e}):\n{stderr}"));
    Replay {
        success: out.status.success(),
        stdout: out.stdout,
        stderr,
        summary,
    }
}

pub fn fixtures() -> PathBuf {
    root().join("tests/fixtures")
}

pub fn fixture(name: &str) -> String {
    fixtures().join(name).display().to_string()
}

pub fn path_str(p: &Path) -> String {
    p.display().to_string()
}

/// What encoding some units of input produced, without a cluster.
#[derive(Debug, Default)]
pub struct Encoded {
    pub summary: logs_forwarder::summary::Summary,
    /// `(action line, document)` pairs, in order.
    pub items: Vec<(Value, Value)>,
    /// Envelope and payload errors.
    pub errors: Vec<String>,
}

impl Encoded {
    pub fn docs(&self) -> impl Iterator<Item = &Value> {
        self.items.iter().map(|(_, doc)| doc)
    }
}

/// Parses a payload as the forwarder does: bad bytes replaced, not fatal.
fn parse_payload<'a>(
    parser: &mut logs_forwarder::input::cloudwatch::PayloadParser,
    decoded: &'a mut Vec<u8>,
) -> Result<
    logs_forwarder::input::cloudwatch::LogsData<'a>,
    logs_forwarder::input::cloudwatch::PayloadError,
> {
    use logs_forwarder::input::cloudwatch::PayloadError;
    if let Err(PayloadError::InvalidUtf8(_)) = parser.parse(&mut decoded.clone()) {
        parser.replace_invalid_utf8(decoded);
    }
    parser.parse(decoded)
}

/// Runs units through the same encoding as the forwarder (payloads and
/// objects alike) and parses every item back.
pub fn encode_units(
    settings: &logs_forwarder::config::Settings,
    units: Vec<logs_forwarder::input::Unit>,
) -> Encoded {
    use logs_forwarder::bodies::{ObjectBodies, PayloadBodies};
    use logs_forwarder::bulk::BulkBody;
    use logs_forwarder::input::cloudwatch::PayloadParser;
    use logs_forwarder::input::Work;

    let mut out = Encoded::default();
    let collect = |body: BulkBody, items: &mut Vec<(Value, Value)>| {
        for i in 0..body.len() {
            let item = body.item(i);
            let split = item.iter().position(|&b| b == b'\n').expect("action line");
            let action = serde_json::from_slice(&item[..split]).expect("action is JSON");
            let doc = serde_json::from_slice(body.document(i)).unwrap_or_else(|e| {
                panic!(
                    "document is not JSON ({e}): {}",
                    String::from_utf8_lossy(body.document(i))
                )
            });
            items.push((action, doc));
        }
    };
    for unit in units {
        match unit.work {
            Work::Logs(payload) => {
                let mut decoded = match payload.decode() {
                    Ok(decoded) => decoded,
                    Err(e) => {
                        out.errors.push(e);
                        continue;
                    }
                };
                match parse_payload(&mut PayloadParser::default(), &mut decoded) {
                    Ok(payload) => {
                        let mut bodies = PayloadBodies::new(settings, None, &payload);
                        while let Some(body) = bodies.next_body() {
                            collect(body, &mut out.items);
                        }
                        out.summary.merge(bodies.into_summary());
                    }
                    Err(e) => out.errors.push(e.to_string()),
                }
            }
            Work::Object(object) => match ObjectBodies::new(settings, None, object) {
                Ok(mut bodies) => {
                    while let Some(body) = bodies.next_body() {
                        collect(body, &mut out.items);
                    }
                    out.summary.merge(bodies.into_summary());
                }
                Err(e) => out.errors.push(e.to_string()),
            },
            Work::DeadLetters(_) => out.errors.push("dead letters are sent, not encoded".into()),
            Work::S3(objects) => out
                .errors
                .push(format!("{} S3 objects need a fetch", objects.len())),
            Work::Undecodable(e) => out.errors.push(e),
            Work::Skip(_) => out.summary.skipped += 1,
        }
    }
    out
}

/// Runs `tests/support/<script>` with `input` as JSON on stdin and returns
/// the JSON it prints; a failing script fails the test with its stderr.
pub fn python_json(script: &str, input: &Value) -> Value {
    python_json_in(&python(), script, input)
}

/// [`python_json`] with another interpreter (e.g. `.venv-sam`'s).
pub fn python_json_in(python: &Path, script: &str, input: &Value) -> Value {
    use std::io::Write as _;
    let mut child = Command::new(python)
        .arg(root().join("tests/support").join(script))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("input written");
    let out = child.wait_with_output().expect("the script finishes");
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{script} printed no JSON: {e}"))
}

/// A running `moto_server` (S3, SQS), killed on drop.
pub struct Moto {
    child: Child,
    pub url: String,
}

impl Moto {
    /// Starts `moto_server` on a free port. The port is picked by binding
    /// and releasing it, so another listener of a test running beside may
    /// take it first: the server is only taken once it answers as moto
    /// (its `/moto-api/data.json`), else it is started again elsewhere.
    pub fn start() -> Moto {
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let mut child = Command::new(venv_bin("moto_server"))
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("moto_server starts (installed by scripts/install-peers)");
            let url = format!("http://127.0.0.1:{port}");
            let started = std::time::Instant::now();
            while started.elapsed() < std::time::Duration::from_secs(30) {
                if !matches!(child.try_wait(), Ok(None)) {
                    break; // it exited: the port was taken
                }
                let answered = ureq::get(&format!("{url}/moto-api/data.json"))
                    .timeout(std::time::Duration::from_secs(2))
                    .call()
                    .is_ok_and(|r| r.status() == 200);
                if answered {
                    return Moto { child, url };
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("moto_server did not start on any of five ports");
    }

    /// Puts objects into a bucket that notifies a queue, and returns the
    /// Lambda SQS event carrying the messages moto sent
    /// (`tests/support/s3_notify.py`).
    pub fn notify(&self, mut spec: Value) -> Value {
        spec["endpoint"] = Value::String(self.url.clone());
        python_json("s3_notify.py", &spec)
    }
}

impl Moto {
    /// Runs Python `code` with a botocore client of `service` talking to
    /// this moto as `client`, `sys.argv[1..]` being `args`; returns what it
    /// prints. A failure fails the test with Python's error.
    pub fn botocore(&self, service: &str, code: &str, args: &[&str]) -> Vec<u8> {
        let script = format!(
            "import base64, json, sys, botocore.session\n\
             client = botocore.session.get_session().create_client('{service}', region_name='us-east-1', \
             endpoint_url='{}', aws_access_key_id='testing', aws_secret_access_key='testing')\n{code}",
            self.url
        );
        let out = Command::new(python())
            .arg("-c")
            .arg(script)
            .args(args)
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "{service}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Every object in `bucket`: (key, bytes), read with botocore.
    pub fn objects(&self, bucket: &str) -> Vec<(String, Vec<u8>)> {
        let out = self.botocore(
            "s3",
            "keys = [o['Key'] for o in client.list_objects_v2(Bucket=sys.argv[1]).get('Contents', [])]\n\
             print(json.dumps([[k, base64.b64encode(client.get_object(Bucket=sys.argv[1], Key=k)['Body'].read()).decode()] for k in keys]))",
            &[bucket],
        );
        let listed: Vec<(String, String)> = serde_json::from_slice(&out).expect("listing");
        use base64::Engine as _;
        listed
            .into_iter()
            .map(|(key, body)| {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(body)
                    .expect("base64");
                (key, bytes)
            })
            .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh directory under the system's temporary one.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "lf-{name}-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A Lambda event carrying a CloudWatch Logs payload of `messages` (one
/// second apart from 2023-11-14T22:13:20Z), written into `dir`.
pub fn cloudwatch_event(dir: &Path, log_group: &str, messages: &[&str]) -> PathBuf {
    use base64::Engine as _;
    use std::io::Write as _;
    let events: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| serde_json::json!({"id": format!("3700000000000000000000000000000000000000000000000{i:05}"), "timestamp": 1_700_000_000_000_i64 + i as i64, "message": m}))
        .collect();
    let payload = serde_json::json!({"messageType": "DATA_MESSAGE", "owner": "123456789012",
        "logGroup": log_group, "logStream": "s", "subscriptionFilters": ["f"], "logEvents": events});
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(payload.to_string().as_bytes()).expect("gzip");
    let data = base64::engine::general_purpose::STANDARD.encode(gz.finish().expect("gzip"));
    let path = dir.join(format!("cwl-{}.json", fastrand::u32(..)));
    std::fs::write(
        &path,
        serde_json::json!({"awslogs": {"data": data}}).to_string(),
    )
    .expect("event written");
    path
}

/// `text`, gzipped (as AWS writes its log objects).
pub fn gzip(text: &str) -> Vec<u8> {
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).expect("gzip");
    gz.finish().expect("gzip")
}

/// Writes a log object under `dir` at `key` (replayed from `dir`, its
/// path is the key it routes by) and returns the key.
pub fn write_object(dir: &Path, key: &str, bytes: &[u8]) -> String {
    let path = dir.join(key);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
    std::fs::write(&path, bytes).expect("object");
    key.to_owned()
}

/// A Firehose data-transformation event of `stream` with one raw record
/// (`record` and a line break, as AWS services write them), in `dir`.
pub fn firehose_event(dir: &Path, stream: &str, record: &str) -> String {
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD.encode(format!("{record}\n"));
    let event = serde_json::json!({"invocationId": "inv-1",
        "deliveryStreamArn": format!("arn:aws:firehose:eu-west-1:111122223333:deliverystream/{stream}"),
        "region": "eu-west-1",
        "records": [{"recordId": format!("{stream}-r1"), "approximateArrivalTimestamp": 1_700_000_000_000_i64, "data": data}]});
    let path = dir.join(format!("firehose-{stream}.json"));
    std::fs::write(&path, event.to_string()).expect("event");
    path_str(&path)
}

/// The one document in `index` holds a bad value of `field` in `@invalid`
/// (named by `@error`), and is still found by `still_typed`, a query on
/// its other typed values.
pub fn assert_one_bad_value(osmem: &Osmem, index: &str, field: &str, still_typed: Value) {
    let docs = osmem.sources(index, serde_json::json!({"match_all": {}}));
    assert_eq!(docs.len(), 1, "{index}");
    assert!(
        docs[0]["@invalid"][field].is_string(),
        "{index}: {}",
        docs[0]
    );
    let error = docs[0]["@error"].as_str().unwrap_or_default();
    assert!(error.contains(field), "{index}: {error}");
    assert_eq!(
        osmem.count(index, still_typed),
        1,
        "{index}: the rest stays typed"
    );
}

/// Replays `inputs` (paths, or keys under `dir`) from `dir` into the
/// cluster at `endpoint`, unauthenticated.
pub fn replay_to(endpoint: &str, dir: &Path, inputs: &[String]) -> Replay {
    let args: Vec<&str> = ["--endpoint", endpoint]
        .into_iter()
        .chain(inputs.iter().map(String::as_str))
        .collect();
    replay_in(Some(dir), &args, &[("ES_AUTH", "none")])
}
