//! A small blocking client of the log's HTTP API (ureq; plain HTTP, since receipts are trusted
//! through the log's signatures, not the transport).

use crate::api::{
    AddEntryRequest, AddEntryResponse, ConsistencyResponse, ErrorBody, InclusionResponse,
};
use crate::error::{Error, Result};
use crate::receipt::Receipt;
use cunzheng_seal::merkle::{self, Hash};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Largest answer read from a log.
pub const MAX_RESPONSE_BYTES: u64 = 1 << 20;

/// A log at a base URL, e.g. `http://127.0.0.1:8080`.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    /// A client of the log at `base` (a trailing `/` is ignored).
    pub fn new(base: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build()
            .new_agent();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            agent,
        }
    }

    /// The base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    fn finish(
        &self,
        url: &str,
        r: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Vec<u8>> {
        let http = |reason: String| Error::Http {
            url: url.to_owned(),
            reason,
        };
        let mut resp = r.map_err(|e| http(e.to_string()))?;
        let status = resp.status();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| http(e.to_string()))?;
        if !status.is_success() {
            let msg = serde_json::from_slice::<ErrorBody>(&body)
                .map(|b| b.error)
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(300).collect());
            return Err(http(format!("status {status}: {msg}")));
        }
        Ok(body)
    }

    fn get_bytes(&self, path: &str) -> Result<Vec<u8>> {
        let url = format!("{}{path}", self.base);
        let r = self.agent.get(&url).call();
        self.finish(&url, r)
    }

    fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let body = self.get_bytes(path)?;
        serde_json::from_slice(&body).map_err(|e| Error::Http {
            url: format!("{}{path}", self.base),
            reason: format!("bad JSON answer: {e}"),
        })
    }

    /// Submits `entry` and returns the log's answer.
    pub fn add_entry(&self, entry: &[u8]) -> Result<AddEntryResponse> {
        let url = format!("{}/add-entry", self.base);
        let body = serde_json::to_vec(&AddEntryRequest {
            entry_hex: hex::encode(entry),
        })
        .map_err(|e| Error::InvalidRequest(e.to_string()))?;
        let r = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(&body[..]);
        let body = self.finish(&url, r)?;
        serde_json::from_slice(&body).map_err(|e| Error::Http {
            url,
            reason: format!("bad JSON answer: {e}"),
        })
    }

    /// Submits `entry` and returns a receipt to store. The receipt is not verified here:
    /// call [`Receipt::verify`] with a log key you trust.
    pub fn submit(&self, entry: &[u8]) -> Result<Receipt> {
        let key = self.log_key()?;
        let r = self.add_entry(entry)?;
        Ok(Receipt::from_response(&self.base, &key, entry, r))
    }

    /// The log's verifier key text.
    pub fn log_key(&self) -> Result<String> {
        let b = self.get_bytes("/log-key")?;
        Ok(String::from_utf8_lossy(&b).trim().to_owned())
    }

    /// The latest signed checkpoint, raw.
    pub fn checkpoint(&self) -> Result<Vec<u8>> {
        self.get_bytes("/checkpoint")
    }

    /// Consistency proof between two sizes.
    pub fn consistency(&self, old: u64, new: u64) -> Result<Vec<Hash>> {
        let r: ConsistencyResponse =
            self.get_json(&format!("/proof/consistency?old={old}&new={new}"))?;
        parse_hashes(&r.proof, &self.base)
    }

    /// The entry at `index`.
    pub fn entry(&self, index: u64) -> Result<crate::api::EntryResponse> {
        self.get_json(&format!("/entry/{index}"))
    }

    /// Audit path of leaf `index` in the tree of `size` leaves.
    pub fn inclusion(&self, index: u64, size: u64) -> Result<InclusionResponse> {
        self.get_json(&format!("/proof/inclusion?index={index}&size={size}"))
    }
}

/// Parses hex hashes from an answer.
pub fn parse_hashes(v: &[String], url: &str) -> Result<Vec<Hash>> {
    v.iter()
        .map(|h| merkle::hash_from_hex(h))
        .collect::<Option<_>>()
        .ok_or_else(|| Error::Http {
            url: url.to_owned(),
            reason: "proof element is not 64 hex digits".into(),
        })
}

/// Submits `entry` (a seal root) to the log at `url`.
pub fn submit(url: &str, entry: &[u8]) -> Result<Receipt> {
    Client::new(url).submit(entry)
}
