//! Sending a request to a TSA: HTTP POST of `application/timestamp-query` (RFC 3161 §3.4).
//! Behind a trait so a case can be stamped through any transport (and tests can count calls).

use crate::error::TransportError;
use std::time::Duration;

/// Largest response read (real responses with a certificate chain are a few KiB).
pub const MAX_RESPONSE: u64 = 1 << 20;

/// Delivers a DER TimeStampReq to a TSA and returns the bytes it answers, unchecked.
pub trait Transport: Send + Sync {
    /// Sends `request` to `url`.
    fn send(&self, url: &str, request: &[u8]) -> Result<Vec<u8>, TransportError>;
}

/// HTTP(S) via `ureq` (HTTPS only when built with the `tls` feature).
#[derive(Debug, Clone)]
pub struct Http {
    /// Whole-exchange timeout.
    pub timeout: Duration,
}

impl Default for Http {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
        }
    }
}

impl Transport for Http {
    fn send(&self, url: &str, request: &[u8]) -> Result<Vec<u8>, TransportError> {
        if cfg!(not(feature = "tls"))
            && url
                .get(..8)
                .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        {
            return Err(TransportError::Unreachable {
                url: url.into(),
                reason: "this build has no TLS: use the TSA's http:// URL (the token, not the \
                         transport, is verified) or build cunzheng with `--features tls`"
                    .into(),
            });
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            .http_status_as_error(false)
            .build()
            .into();
        let unreachable = |e: ureq::Error| TransportError::Unreachable {
            url: url.into(),
            reason: e.to_string(),
        };
        let mut resp = agent
            .post(url)
            .header("Content-Type", "application/timestamp-query")
            .header("Accept", "application/timestamp-reply")
            .send(request)
            .map_err(unreachable)?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(TransportError::HttpStatus {
                url: url.into(),
                status,
            });
        }
        resp.body_mut()
            .with_config()
            .limit(MAX_RESPONSE)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => TransportError::TooLarge {
                    url: url.into(),
                    limit: MAX_RESPONSE,
                },
                e => unreachable(e),
            })
    }
}
