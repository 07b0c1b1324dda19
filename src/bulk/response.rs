//! Reading `_bulk` responses item by item.
//!
//! Requests ask for `filter_path=errors,items.*.status,items.*.error` so the
//! cluster sends back only what decides each item's fate. Items answer in
//! request order, which is how they are matched to documents.

use serde::Deserialize;

use super::Action;

/// What the cluster said about one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemOutcome {
    Indexed,
    /// `create` found the `_id` already there: an earlier delivery made it.
    Duplicate,
    /// Worth sending again: throttled (429), rejected execution, 5xx.
    Retry {
        /// 429 is throttling; the rest is trouble on the cluster's side.
        status: u16,
        reason: String,
    },
    /// The cluster will never take this document as it is.
    Rejected {
        status: u16,
        error_type: String,
        reason: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    #[error("unparseable _bulk response: {0}")]
    Json(#[from] serde_json::Error),
    #[error("_bulk response has {got} items for {sent} documents")]
    ItemCount { got: usize, sent: usize },
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    errors: bool,
    #[serde(default)]
    items: Vec<Wrapper>,
}

/// `{"create": {...}}`, `{"index": {...}}`: the action name is irrelevant.
#[derive(Deserialize)]
struct Wrapper {
    #[serde(alias = "index", alias = "update", alias = "delete")]
    create: Item,
}

#[derive(Deserialize)]
struct Item {
    status: u16,
    #[serde(default)]
    error: Option<ErrorBody>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    caused_by: Option<Box<ErrorBody>>,
}

impl ErrorBody {
    /// `type: reason`, followed by the causes, which carry the detail of
    /// mapping errors. Values the cluster quotes from the document are cut
    /// out: reasons go into logs and summaries, document contents never do.
    fn describe(&self) -> String {
        let mut text = format!("{}: {}", self.kind, redact(&self.reason));
        let mut cause = self.caused_by.as_deref();
        while let Some(c) = cause {
            text.push_str(&format!(" (caused by {}: {})", c.kind, redact(&c.reason)));
            cause = c.caused_by.as_deref();
        }
        text
    }
}

/// Removes the document values that mapping errors quote: `Preview of
/// field's value: '...'` and `failed to parse date field [...]`.
fn redact(reason: &str) -> String {
    let mut out = reason.to_owned();
    for (start, end) in [("Preview of field's value: '", '\''), ("date field [", ']')] {
        let mut from = 0;
        while let Some(at) = out[from..].find(start) {
            let value_start = from + at + start.len();
            let Some(len) = out[value_start..].find(end) else {
                out.truncate(value_start);
                out.push('…');
                break;
            };
            out.replace_range(value_start..value_start + len, "…");
            from = value_start + '…'.len_utf8();
        }
    }
    out
}

/// Parses a successful (2xx) `_bulk` response for `sent` documents.
pub fn parse(body: &[u8], sent: usize, action: Action) -> Result<Vec<ItemOutcome>, ResponseError> {
    let response: Response = serde_json::from_slice(body)?;
    if !response.errors && response.items.is_empty() && sent > 0 {
        // filter_path drops "items" only when it is absent altogether.
        return Err(ResponseError::ItemCount { got: 0, sent });
    }
    if response.items.len() != sent {
        return Err(ResponseError::ItemCount {
            got: response.items.len(),
            sent,
        });
    }
    Ok(response
        .items
        .into_iter()
        .map(|w| classify(w.create, action))
        .collect())
}

fn classify(item: Item, action: Action) -> ItemOutcome {
    let status = item.status;
    match (status, item.error) {
        (200..=299, _) => ItemOutcome::Indexed,
        (409, Some(e))
            if action == Action::Create && e.kind == "version_conflict_engine_exception" =>
        {
            ItemOutcome::Duplicate
        }
        (_, error) => {
            let (kind, described) = match &error {
                Some(e) => (e.kind.clone(), e.describe()),
                None => (String::new(), format!("status {status}")),
            };
            if status == 429 || status >= 500 || kind == "es_rejected_execution_exception" {
                ItemOutcome::Retry {
                    status,
                    reason: described,
                }
            } else {
                ItemOutcome::Rejected {
                    status,
                    error_type: kind,
                    reason: described,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_never_carry_document_values() {
        let reason = "failed to parse field [srcport] of type [ip] in document with id 'x'. Preview of field's value: '443'";
        assert_eq!(
            redact(reason),
            "failed to parse field [srcport] of type [ip] in document with id 'x'. Preview of field's value: '…'"
        );
        assert_eq!(
            redact("failed to parse date field [2025-01-21 secret] with format [x]"),
            "failed to parse date field […] with format [x]"
        );
        assert_eq!(
            redact("Preview of field's value: 'cut"),
            "Preview of field's value: '…"
        );
    }

    #[test]
    fn every_outcome() {
        // The shape osmem-server and OpenSearch return with our filter_path.
        let body = br#"{"errors":true,"items":[
            {"create":{"status":201}},
            {"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"exists"}}},
            {"create":{"status":429,"error":{"type":"cluster_block_exception","reason":"read-only"}}},
            {"create":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [ip]","caused_by":{"type":"illegal_argument_exception","reason":"'x' is not an IP"}}}},
            {"create":{"status":503,"error":{"type":"unavailable_shards_exception","reason":"primary"}}}
        ]}"#;
        let out = parse(body, 5, Action::Create).expect("valid");
        assert_eq!(out[0], ItemOutcome::Indexed);
        assert_eq!(out[1], ItemOutcome::Duplicate);
        assert!(
            matches!(&out[2], ItemOutcome::Retry { status: 429, reason } if reason.contains("read-only"))
        );
        match &out[3] {
            ItemOutcome::Rejected {
                status,
                error_type,
                reason,
            } => {
                assert_eq!(
                    (*status, error_type.as_str()),
                    (400, "mapper_parsing_exception")
                );
                assert!(reason.contains("is not an IP"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(out[4], ItemOutcome::Retry { .. }));
    }

    #[test]
    fn a_409_on_index_is_not_a_duplicate() {
        let body = br#"{"errors":true,"items":[{"index":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"x"}}}]}"#;
        let out = parse(body, 1, Action::Index).expect("valid");
        assert!(matches!(out[0], ItemOutcome::Rejected { status: 409, .. }));
    }

    #[test]
    fn mismatched_or_broken_responses_are_errors() {
        assert!(matches!(
            parse(
                br#"{"errors":false,"items":[{"index":{"status":201}}]}"#,
                2,
                Action::Index
            ),
            Err(ResponseError::ItemCount { got: 1, sent: 2 })
        ));
        assert!(matches!(
            parse(b"<html>", 1, Action::Index),
            Err(ResponseError::Json(_))
        ));
    }
}
