//! Structured logs with `tracing`: JSON lines in Lambda (CloudWatch Logs
//! Insights reads the fields), compact text on a terminal. `RUST_LOG` or
//! `LOG_LEVEL` sets the level. Document bodies, credentials and signatures
//! are never logged.

use tracing_subscriber::EnvFilter;

/// The dependencies whose own debug and trace logs print what must never
/// be logged (the raw Lambda event, the canonical request with the access
/// key id, TLS secrets): capped at `info` whatever the level asked for.
const DEPENDENCY_CAPS: &str = "lambda_runtime=info,lambda_runtime_api_client=info,\
hyper=info,hyper_util=info,h2=info,rustls=info,tower=info,aws_sigv4=info,\
aws_smithy_runtime_api=info,aws_credential_types=info";

/// The filter for `level` (`RUST_LOG` syntax), with the dependency caps
/// after it, so that they win over a bare level.
fn filter(level: &str) -> Option<EnvFilter> {
    EnvFilter::try_new(format!("{level},{DEPENDENCY_CAPS}")).ok()
}

pub fn init(json: bool, default_level: &str) {
    let filter = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("LOG_LEVEL"))
        .ok()
        .and_then(|level| filter(&level))
        .or_else(|| filter(default_level))
        .unwrap_or_else(|| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let result = if json {
        builder.json().flatten_event(true).without_time().try_init()
    } else {
        builder.compact().try_init()
    };
    // Already initialised (tests): keep the first subscriber.
    drop(result);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_stay_at_info_whatever_the_level() {
        for level in ["trace", "debug", "logs_forwarder=trace,trace"] {
            let shown = filter(level).expect("valid").to_string();
            for capped in [
                "lambda_runtime=info",
                "aws_sigv4=info",
                "hyper=info",
                "rustls=info",
            ] {
                assert!(shown.contains(capped), "{level}: {shown}");
            }
            // A bare level still applies to everything else.
            assert!(
                shown.contains(level.rsplit(',').next().unwrap_or(level)),
                "{shown}"
            );
        }
    }
}
