//! Repairing a document the cluster rejected for its mapping.
//!
//! A mapping conflict (`mapper_parsing_exception`), a field-limit or
//! over-long-term rejection (`illegal_argument_exception`) or a strict
//! mapping (`strict_dynamic_mapping_exception`) rejects a whole document
//! for one of its fields. The repair keeps the document's metadata and
//! stores everything else as text: `@message` (the original `@message`, or
//! the whole original document as JSON text) and an `@error` saying what
//! the cluster objected to. Those fields are text and keywords in every
//! template, so the repair fits wherever the original did not, and nothing
//! of the original is lost. It goes to the same index, under the same id.

use serde_json::{Map, Value};

/// The forwarder's own fields, kept as they were.
const KEPT: [&str; 6] = [
    "@timestamp",
    "@id",
    "@owner",
    "@log_group",
    "@log_stream",
    "@source",
];

/// Rejections that a different shape of the document can avoid.
pub fn is_repairable(error_type: &str) -> bool {
    matches!(
        error_type,
        "mapper_parsing_exception"
            | "document_parsing_exception"
            | "illegal_argument_exception"
            | "strict_dynamic_mapping_exception"
            | "max_bytes_length_exceeded_exception"
    )
}

/// The repaired item (action line and document) for a rejected `item`, or
/// `None` if the item cannot be read back.
pub fn repair(item: &[u8], error_type: &str, reason: &str) -> Option<Vec<u8>> {
    let newline = item.iter().position(|&b| b == b'\n')?;
    let (action, rest) = item.split_at(newline + 1);
    let document = rest.strip_suffix(b"\n").unwrap_or(rest);
    let original: Map<String, Value> = serde_json::from_slice(document).ok()?;
    let mut fixed = Map::new();
    for key in KEPT {
        if let Some(value) = original.get(key).filter(|v| v.is_string()) {
            fixed.insert(key.to_owned(), value.clone());
        }
    }
    let message = match original.get("@message") {
        Some(Value::String(message)) => message.clone(),
        _ => String::from_utf8_lossy(document).into_owned(),
    };
    fixed.insert("@message".into(), Value::String(message));
    let reason: String = reason.chars().take(2000).collect();
    fixed.insert(
        "@error".into(),
        Value::String(format!(
            "rejected by the cluster, stored as text: {error_type}: {reason}"
        )),
    );
    let mut out = action.to_vec();
    serde_json::to_writer(&mut out, &Value::Object(fixed)).ok()?;
    out.push(b'\n');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repair_keeps_metadata_and_the_whole_original_as_text() {
        let item = b"{\"create\":{\"_index\":\"vpc-flowlogs-2025.11.22\",\"_id\":\"x\"}}\n{\"@timestamp\":\"2025-11-22T08:26:40.000Z\",\"@id\":\"x\",\"@log_group\":\"/vpc\",\"srcport\":443,\"nested\":{\"a\":1}}\n";
        let fixed = repair(
            item,
            "mapper_parsing_exception",
            "failed to parse field [srcport]",
        )
        .expect("repairable");
        let text = String::from_utf8(fixed).expect("utf-8");
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("{\"create\":{\"_index\":\"vpc-flowlogs-2025.11.22\",\"_id\":\"x\"}}")
        );
        let doc: Value = serde_json::from_str(lines.next().expect("doc")).expect("json");
        assert_eq!(doc["@timestamp"], "2025-11-22T08:26:40.000Z");
        assert_eq!(doc["@log_group"], "/vpc");
        assert!(doc.get("srcport").is_none());
        let original: Value =
            serde_json::from_str(doc["@message"].as_str().expect("message")).expect("original");
        assert_eq!(
            original["nested"]["a"], 1,
            "nothing of the original is lost"
        );
        assert!(doc["@error"]
            .as_str()
            .expect("error")
            .contains("mapper_parsing_exception: failed to parse field [srcport]"));
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn a_text_document_keeps_its_message() {
        let item = b"{\"create\":{\"_index\":\"cwl-x\"}}\n{\"@timestamp\":\"t\",\"@message\":\"hello\",\"level\":{\"x\":1}}\n";
        let fixed = repair(item, "mapper_parsing_exception", "r").expect("repairable");
        let doc: Value = serde_json::from_slice(fixed.split(|&b| b == b'\n').nth(1).expect("doc"))
            .expect("json");
        assert_eq!(doc["@message"], "hello");
        assert!(!is_repairable("cluster_block_exception"));
        assert!(repair(b"not an item", "x", "y").is_none());
    }
}
