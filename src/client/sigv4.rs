//! AWS Signature Version 4 for OpenSearch Service (`es`), OpenSearch
//! Serverless (`aoss`) and S3 (`s3`), with the `aws-sigv4` crate.
//!
//! Both services want `x-amz-content-sha256`, the hex SHA-256 of the body as
//! sent (after gzip). The hash is computed here once and handed to the signer
//! precomputed, so the body is hashed exactly once.

use std::time::SystemTime;

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use http::{HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

use super::auth::Credentials;

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("SigV4 signing failed: {0}")]
    Sign(String),
    #[error("header {0} is not valid text and cannot be signed")]
    Header(String),
}

pub struct Signer {
    identity: Identity,
    region: String,
    service: String,
}

/// S3 signs the path as sent (encoded once, not normalised); every other
/// service encodes it twice.
fn is_s3(service: &str) -> bool {
    service == "s3"
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("region", &self.region)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 0xf) as usize] as char);
    }
    out
}

impl Signer {
    pub fn new(credentials: &Credentials, region: &str, service: &str) -> Self {
        let creds = AwsCredentials::new(
            credentials.access_key_id.clone(),
            credentials.secret_access_key.clone(),
            credentials.session_token.clone(),
            None,
            "environment",
        );
        Signer {
            identity: creds.into(),
            region: region.to_owned(),
            service: service.to_owned(),
        }
    }

    /// Signs `request` (whose headers must include `host`) for `body` at
    /// `time`, adding `x-amz-date`, `x-amz-content-sha256`,
    /// `x-amz-security-token` (with temporary credentials) and
    /// `authorization`.
    pub fn sign<B>(
        &self,
        request: &mut http::Request<B>,
        body: &[u8],
        time: SystemTime,
    ) -> Result<(), SignError> {
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        if is_s3(&self.service) {
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        }
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name(&self.service)
            .time(time)
            .settings(settings)
            .build()
            .map_err(|e| SignError::Sign(e.to_string()))?
            .into();
        let headers = request
            .headers()
            .iter()
            .map(|(name, value)| {
                value
                    .to_str()
                    .map(|v| (name.as_str(), v))
                    .map_err(|_| SignError::Header(name.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let uri = request.uri().to_string();
        let signable = SignableRequest::new(
            request.method().as_str(),
            uri.as_str(),
            headers.into_iter(),
            SignableBody::Precomputed(sha256_hex(body)),
        )
        .map_err(|e| SignError::Sign(e.to_string()))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| SignError::Sign(e.to_string()))?
            .into_parts();
        let (new_headers, _params) = instructions.into_parts();
        for header in new_headers {
            let name = HeaderName::from_static(header.name());
            let mut value = HeaderValue::from_str(header.value())
                .map_err(|_| SignError::Header(header.name().into()))?;
            // Keeps them out of Debug output, and so out of any log line.
            value.set_sensitive(
                header.sensitive()
                    || matches!(header.name(), "authorization" | "x-amz-security-token"),
            );
            request.headers_mut().insert(name, value);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_nothing() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn adds_the_signature_headers() {
        let creds = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: Some("token".into()),
        };
        let mut req = http::Request::post("https://h.us-east-1.es.amazonaws.com/_bulk")
            .header("host", "h.us-east-1.es.amazonaws.com")
            .body(())
            .expect("request");
        Signer::new(&creds, "us-east-1", "es")
            .sign(
                &mut req,
                b"{}\n",
                SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160),
            )
            .expect("signs");
        let h = req.headers();
        assert_eq!(h["x-amz-date"], "20150830T123600Z");
        assert_eq!(h["x-amz-security-token"], "token");
        assert_eq!(h["x-amz-content-sha256"], sha256_hex(b"{}\n").as_str());
        let auth = h["authorization"].to_str().expect("ascii");
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/es/aws4_request"
            ),
            "{auth}"
        );
        assert!(h["authorization"].is_sensitive());
    }
}
