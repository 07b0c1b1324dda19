//! Credentials done properly: basic auth from a Secrets Manager secret (a
//! real secret in `moto_server`, read once at start), never over plain
//! HTTP unless asked, never in a log line; and a cluster behind a private
//! CA, trusted through `ES_CA_BUNDLE` with verification always on (a real
//! TLS front made with Python's ssl module, see tests/support/tls_front.py,
//! in front of a real `osmem-server`).

mod support;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use base64::Engine as _;
use support::proxy::Proxy;
use support::{fixture, path_str, replay, Moto, Osmem};

const PASSWORD: &str = "p4ss-w0rd-from-the-secret";

/// Creates a secret in moto and returns its ARN.
fn create_secret(moto: &Moto, text: &str) -> String {
    let out = moto.botocore(
        "secretsmanager",
        "print(client.create_secret(Name='es-master', SecretString=sys.argv[1])['ARN'])",
        &[text],
    );
    String::from_utf8_lossy(&out).trim().to_owned()
}

fn run_bin(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_logs-forwarder"))
        .args(args)
        .env_remove("ES_ENDPOINT")
        .envs(env.iter().copied())
        .output()
        .expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn basic_auth_comes_from_secrets_manager_and_is_never_logged() {
    let moto = Moto::start();
    let osmem = Osmem::start();
    let proxy = Proxy::start(&osmem.url, None);
    let arn = create_secret(
        &moto,
        &format!(r#"{{"username":"admin","password":"{PASSWORD}"}}"#),
    );
    let mut env = vec![
        ("ES_AUTH", "basic"),
        ("ES_SECRET_ARN", arn.as_str()),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto.url.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("ES_ALLOW_BASIC_OVER_HTTP", "true"),
        ("RUST_LOG", "trace"),
    ];
    let file = fixture("cloudwatch/vpc-flow.json");
    let run = replay(&["--endpoint", &proxy.url, &file], &env);
    assert!(run.success, "{}\n{}", run.summary, run.stderr);
    assert!(
        run.summary["indexed"].as_u64().unwrap_or(0) > 0,
        "{}",
        run.summary
    );
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("admin:{PASSWORD}"))
    );
    let bulk = proxy.bulk_requests();
    assert!(!bulk.is_empty());
    for request in &bulk {
        assert_eq!(request.header("authorization"), Some(expected.as_str()));
    }
    assert!(!run.stderr.contains(PASSWORD), "{}", run.stderr);
    assert!(!run.stderr.contains(&expected[6..]), "{}", run.stderr);

    // Over http:// without saying so: refused at start, naming the way out.
    env.retain(|(k, _)| *k != "ES_ALLOW_BASIC_OVER_HTTP");
    let (ok, stderr) = run_bin(&["replay", "--endpoint", &proxy.url, &file], &env);
    assert!(!ok);
    assert!(stderr.contains("ES_ALLOW_BASIC_OVER_HTTP"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");

    // A secret that is not there: the start fails with Secrets Manager's word.
    let missing = arn.replace("es-master", "no-such-secret");
    env.push(("ES_ALLOW_BASIC_OVER_HTTP", "true"));
    env.retain(|(k, _)| *k != "ES_SECRET_ARN");
    env.push(("ES_SECRET_ARN", missing.as_str()));
    let (ok, stderr) = run_bin(&["replay", "--endpoint", &proxy.url, &file], &env);
    assert!(!ok);
    assert!(
        stderr.contains("ES_SECRET_ARN") && stderr.contains("ResourceNotFoundException"),
        "{stderr}"
    );
}

#[test]
fn a_secret_of_the_wrong_shape_fails_without_echoing_it() {
    let moto = Moto::start();
    let arn = create_secret(&moto, &format!(r#"{{"user":"admin","pass":"{PASSWORD}"}}"#));
    let (ok, stderr) = run_bin(
        &[
            "replay",
            "--endpoint",
            "https://search-x.us-east-1.es.amazonaws.com",
            "/dev/null",
        ],
        &[
            ("ES_AUTH", "basic"),
            ("ES_SECRET_ARN", &arn),
            ("AWS_ENDPOINT_URL", &moto.url),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ],
    );
    assert!(!ok);
    assert!(stderr.contains("username"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
}

/// The TLS front: its port, and the child (ended on drop).
struct TlsFront {
    child: Child,
    port: u16,
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tls_front(dir: &std::path::Path, upstream: &str) -> TlsFront {
    let upstream_port = upstream
        .rsplit(':')
        .next()
        .expect("port")
        .trim_end_matches('/');
    let mut child = Command::new(support::python())
        .arg(support::root().join("tests/support/tls_front.py"))
        .args([&path_str(dir), upstream_port])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("tls front starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("port line");
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{e}: {line:?}"));
    TlsFront { child, port }
}

#[test]
fn a_private_ca_is_trusted_through_the_bundle_and_only_then() {
    let osmem = Osmem::start();
    let dir = support::temp_dir("private-ca");
    let front = tls_front(&dir, &osmem.url);
    let endpoint = format!("https://localhost:{}", front.port);
    let file = fixture("cloudwatch/vpc-flow.json");
    let bundle = path_str(&dir.join("ca.pem"));
    let trusted = replay(
        &["--endpoint", &endpoint, &file],
        &[("ES_AUTH", "none"), ("ES_CA_BUNDLE", &bundle)],
    );
    assert!(trusted.success, "{}\n{}", trusted.summary, trusted.stderr);
    assert!(
        trusted.summary["indexed"].as_u64().unwrap_or(0) > 0,
        "{}",
        trusted.summary
    );
    // Another CA, or none: the certificate is not trusted, nothing is sent.
    let other = path_str(&dir.join("other-ca.pem"));
    for env in [
        vec![("ES_AUTH", "none"), ("ES_CA_BUNDLE", other.as_str())],
        vec![("ES_AUTH", "none")],
    ] {
        let run = replay(&["--endpoint", &endpoint, &file], &env);
        assert!(!run.success, "{env:?}: {}", run.summary);
        assert_eq!(run.summary["indexed"], 0, "{env:?}: {}", run.summary);
        assert!(
            run.summary["errors"]
                .to_string()
                .to_lowercase()
                .contains("certificate"),
            "{env:?}: {}",
            run.summary
        );
    }
    // A bundle that is no PEM fails the start.
    let (ok, stderr) = run_bin(
        &["replay", "--endpoint", &endpoint, &file],
        &[("ES_AUTH", "none"), ("ES_CA_BUNDLE", &file)],
    );
    assert!(!ok);
    assert!(stderr.contains("ES_CA_BUNDLE"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
