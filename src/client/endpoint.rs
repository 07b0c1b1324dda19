//! The cluster's address (`ES_ENDPOINT`).

use std::str::FromStr;

/// `https://host[:port][/path-prefix]`; a bare host means HTTPS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    scheme: &'static str,
    /// `host` or `host:port`, as it goes into the `Host` header.
    authority: String,
    host_len: usize,
    /// A path prefix for clusters behind a proxy, without a trailing `/`.
    prefix: String,
}

#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("{0:?} is not an http(s) URL")]
    Scheme(String),
    #[error("{0:?} has no host")]
    Host(String),
    #[error("{0:?}: query strings and fragments are not supported")]
    Query(String),
    #[error("{0:?} has an invalid port")]
    Port(String),
}

impl FromStr for Endpoint {
    type Err = EndpointError;
    fn from_str(text: &str) -> Result<Self, EndpointError> {
        let (scheme, rest) = match text.split_once("://") {
            Some(("https", rest)) => ("https", rest),
            Some(("http", rest)) => ("http", rest),
            Some(_) => return Err(EndpointError::Scheme(text.into())),
            None => ("https", text),
        };
        if rest.contains(['?', '#']) {
            return Err(EndpointError::Query(text.into()));
        }
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let authority = authority.to_ascii_lowercase();
        // Not an IPv6 literal's colons: only a colon after the closing bracket.
        let port_at = authority
            .rfind(':')
            .filter(|&i| !authority[i..].contains(']'));
        let host_len = port_at.unwrap_or(authority.len());
        if host_len == 0 {
            return Err(EndpointError::Host(text.into()));
        }
        let authority = match port_at {
            Some(i) => {
                let port: u16 = authority[i + 1..]
                    .parse()
                    .map_err(|_| EndpointError::Port(text.into()))?;
                // The Host header (and so the signature) omits default ports.
                let default =
                    (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
                if default {
                    authority[..i].to_owned()
                } else {
                    authority
                }
            }
            None => authority,
        };
        Ok(Endpoint {
            scheme,
            authority,
            host_len,
            prefix: path.trim_end_matches('/').to_owned(),
        })
    }
}

impl Endpoint {
    pub fn host(&self) -> &str {
        &self.authority[..self.host_len]
    }

    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// Is the connection encrypted (`https`)?
    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }

    /// The full URL of `path_and_query` (which starts with `/`).
    pub fn url(&self, path_and_query: &str) -> String {
        format!(
            "{}://{}{}{}",
            self.scheme, self.authority, self.prefix, path_and_query
        )
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_forms() {
        let e: Endpoint = "search-d.us-east-1.es.amazonaws.com"
            .parse()
            .expect("bare host");
        assert_eq!(
            e.url("/_bulk"),
            "https://search-d.us-east-1.es.amazonaws.com/_bulk"
        );
        let e: Endpoint = "http://127.0.0.1:9200/".parse().expect("port");
        assert_eq!((e.host(), e.authority()), ("127.0.0.1", "127.0.0.1:9200"));
        let e: Endpoint = "https://Proxy.example:443/es/".parse().expect("prefix");
        assert_eq!(e.url("/_bulk"), "https://proxy.example/es/_bulk");
        let e: Endpoint = "http://[::1]:9200".parse().expect("ipv6");
        assert_eq!((e.host(), e.authority()), ("[::1]", "[::1]:9200"));
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        assert!(matches!(
            "ftp://h".parse::<Endpoint>(),
            Err(EndpointError::Scheme(_))
        ));
        assert!(matches!(
            "https://".parse::<Endpoint>(),
            Err(EndpointError::Host(_))
        ));
        assert!(matches!(
            "https://h:99999".parse::<Endpoint>(),
            Err(EndpointError::Port(_))
        ));
        assert!(matches!(
            "https://h/?x=1".parse::<Endpoint>(),
            Err(EndpointError::Query(_))
        ));
    }
}
