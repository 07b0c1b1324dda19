//! Structured logs with `tracing`: JSON lines in Lambda (CloudWatch Logs
//! Insights reads the fields), compact text on a terminal. `RUST_LOG` or
//! `LOG_LEVEL` sets the level. Document bodies, credentials and signatures
//! are never logged.

use tracing_subscriber::EnvFilter;

pub fn init(json: bool, default_level: &str) {
    let filter = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("LOG_LEVEL"))
        .ok()
        .and_then(|level| EnvFilter::try_new(level).ok())
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
