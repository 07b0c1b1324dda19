//! The Lambda runtime loop: one [`Forwarder`] (and its connection pool) per
//! execution environment, one [`Forwarder::forward`] per invocation.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

use crate::config::Settings;
use crate::forwarder::Forwarder;
use crate::input::{self, firehose, Answer};

pub fn run() -> ExitCode {
    crate::logging::init(true, "info");
    let settings = match Settings::from_env() {
        Ok(s) if s.endpoint.is_none() => {
            tracing::error!("ES_ENDPOINT is required in Lambda");
            return ExitCode::FAILURE;
        }
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "invalid configuration");
            return ExitCode::FAILURE;
        }
    };
    let forwarder = Arc::new(Forwarder::from_settings(settings, || {
        Box::new(std::io::sink())
    }));
    let runtime = match crate::cli::runtime(true) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let result = runtime.block_on(lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Value>| {
            let forwarder = forwarder.clone();
            async move { handle(&forwarder, event).await }
        },
    )));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "runtime loop ended");
            ExitCode::FAILURE
        }
    }
}

/// Deadlines below this (September 2001 in epoch milliseconds) are not
/// instants: some local emulators (cargo-lambda 1.9) send the remaining
/// time instead.
const EPOCH_MS_FLOOR: u64 = 1_000_000_000_000;

/// Converts the invocation's deadline (epoch milliseconds) to an `Instant`.
pub fn deadline_of(epoch_ms: u64) -> Instant {
    if epoch_ms < EPOCH_MS_FLOOR {
        tracing::warn!(
            deadline = epoch_ms,
            "deadline is not an epoch time; read as milliseconds left"
        );
        return Instant::now() + Duration::from_millis(epoch_ms);
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    Instant::now() + Duration::from_millis(epoch_ms.saturating_sub(now_ms))
}

async fn handle(
    forwarder: &Forwarder,
    event: LambdaEvent<Value>,
) -> Result<Value, lambda_runtime::Error> {
    let deadline = deadline_of(event.context.deadline);
    let input::Event { units, answer } = input::from_event(event.payload)?;
    let outcome = forwarder.forward(units, deadline).await;
    let summary = &outcome.summary;
    // Metrics: one EMF line on stdout, which CloudWatch turns into metrics.
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default();
    println!(
        "{}",
        crate::metrics::emf_line(summary, &function, crate::time::now_millis())
    );
    tracing::info!(
        events = summary.events,
        indexed = summary.indexed,
        duplicates = summary.duplicates,
        retried = summary.retried,
        failed = summary.failed,
        malformed = summary.malformed,
        undecodable = summary.undecodable,
        requests = summary.requests,
        "invocation done"
    );
    if outcome.failed_whole {
        // Lambda retries the event; `create` with stable ids makes that safe.
        return Err(format!("not everything was delivered: {}", summary.to_json()).into());
    }
    if matches!(
        answer,
        Answer::Firehose(firehose::Answer::HttpEndpoint { .. })
    ) && !outcome.failed_items.is_empty()
    {
        // An HTTP endpoint delivery is retried whole.
        return Err(format!("not everything was delivered: {}", summary.to_json()).into());
    }
    Ok(answer.response(summary, &outcome.failed_items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_are_instants_or_time_left() {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let left = deadline_of(now_ms + 30_000).saturating_duration_since(Instant::now());
        assert!(left > Duration::from_secs(29) && left <= Duration::from_secs(30));
        let left = deadline_of(600_000).saturating_duration_since(Instant::now());
        assert!(left > Duration::from_secs(599));
        assert_eq!(
            deadline_of(now_ms - 1_000).saturating_duration_since(Instant::now()),
            Duration::ZERO
        );
    }
}
