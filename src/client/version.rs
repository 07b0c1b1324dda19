//! What kind of cluster answers: OpenSearch or Elasticsearch, and which
//! version (from `GET /`). Templates, `_type` and lifecycle policies depend
//! on it.

use serde_json::Value;

/// What kind of cluster the templates are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClusterVersion {
    pub opensearch: bool,
    pub major: u32,
    pub minor: u32,
}

impl Default for ClusterVersion {
    /// OpenSearch 2.x: Amazon OpenSearch Service today, and Serverless.
    fn default() -> Self {
        ClusterVersion {
            opensearch: true,
            major: 2,
            minor: 11,
        }
    }
}

impl ClusterVersion {
    /// From the answer to `GET /`.
    pub fn from_info(info: &Value) -> Option<ClusterVersion> {
        let number = info.pointer("/version/number")?.as_str()?;
        let mut parts = number.split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next().flatten().unwrap_or(0);
        let opensearch = info
            .pointer("/version/distribution")
            .and_then(Value::as_str)
            == Some("opensearch");
        Some(ClusterVersion {
            opensearch,
            major,
            minor,
        })
    }

    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    /// The field type that keeps an arbitrary subtree searchable as one field.
    pub fn flattened_type(&self) -> Option<&'static str> {
        match self.opensearch {
            true if self.at_least(2, 7) => Some("flat_object"),
            false if self.at_least(7, 3) => Some("flattened"),
            _ => None,
        }
    }

    /// Field aliases (`"type": "alias"`) exist on every OpenSearch and on
    /// Elasticsearch 6.4+.
    pub fn aliases(&self) -> bool {
        self.opensearch || self.at_least(6, 4)
    }

    /// Composable templates exist on OpenSearch and Elasticsearch 7.8+.
    pub fn composable(&self) -> bool {
        self.opensearch || self.at_least(7, 8)
    }
}
