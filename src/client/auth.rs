//! Who the client is to the cluster and to S3: `ES_AUTH`'s modes and the
//! function's AWS credentials. Defined here, below the configuration that
//! reads them, so that the client depends on nothing above it.

/// How requests to the cluster are authenticated (`ES_AUTH`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// AWS Signature Version 4 with the function's credentials.
    SigV4 {
        /// `es` for OpenSearch Service domains, `aoss` for Serverless.
        service: String,
        region: String,
        credentials: Credentials,
    },
    Basic {
        username: String,
        password: Secret,
    },
    None,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach a log line.
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// A value that must never reach a log line: its `Debug` says so instead.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The region and credentials Lambda gives the function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsContext {
    pub region: String,
    pub credentials: Credentials,
}
