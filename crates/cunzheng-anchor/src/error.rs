//! Why a time-stamp response was not accepted, each reason its own variant.

/// A time-stamp response (or the request it answers) is not acceptable. Every variant names
/// the exact check that failed, so a report can say why a token is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TspError {
    /// DER that does not decode as the named ASN.1 structure.
    #[error("{what} is not valid DER: {reason}")]
    Malformed {
        /// Which structure (e.g. `TimeStampResp`, `TSTInfo`, `certificate 2`).
        what: &'static str,
        /// The decoder's message (it carries the byte position).
        reason: String,
    },
    /// The TSA answered, but did not grant a token.
    #[error("the TSA did not grant a time-stamp: status {status}{}", text.as_deref().map(|t| format!(" ({t})")).unwrap_or_default())]
    NotGranted {
        /// PKIStatus name.
        status: String,
        /// The TSA's free text, if any.
        text: Option<String>,
    },
    /// Status granted but no token in the response.
    #[error("the response has status granted but holds no time-stamp token")]
    NoToken,
    /// The token's ContentInfo is not SignedData.
    #[error("the token is not CMS SignedData (content type {found})")]
    NotSignedData {
        /// OID found.
        found: String,
    },
    /// The signed content is not a TSTInfo.
    #[error("the signed content type is {found}, not id-ct-TSTInfo")]
    NotTstInfo {
        /// OID found.
        found: String,
    },
    /// The token was made over another hash algorithm than the request's.
    #[error("message imprint algorithm is {found}, the request used {expected}")]
    ImprintAlgorithm {
        /// OID requested.
        expected: String,
        /// OID in the token.
        found: String,
    },
    /// The token stamps another value than the one asked for.
    #[error("message imprint {found} does not match the stamped value {expected}")]
    ImprintMismatch {
        /// Hex of the value that should be stamped.
        expected: String,
        /// Hex of the value in the token.
        found: String,
    },
    /// The nonce differs from the request's (or is missing): a replayed or foreign token.
    #[error("nonce {} does not match the request's nonce {expected}", found.as_deref().unwrap_or("(none)"))]
    NonceMismatch {
        /// Hex of the request's nonce.
        expected: String,
        /// Hex of the token's nonce.
        found: Option<String>,
    },
    /// A token must have exactly one signer.
    #[error("the token has {count} signers; a time-stamp token has exactly one")]
    SignerCount {
        /// Number of SignerInfos.
        count: usize,
    },
    /// The signer's certificate is not in the token.
    #[error("the signer's certificate is not in the token (request certReq=true)")]
    SignerCertNotFound,
    /// No signed attributes: content type and message digest cannot be checked.
    #[error("the signer has no signed attributes")]
    NoSignedAttributes,
    /// A required signed attribute is missing or has the wrong value.
    #[error("signed attribute {attribute}: {reason}")]
    SignedAttribute {
        /// `content-type`, `message-digest` or `signing-certificate`.
        attribute: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The ESS signing-certificate attribute names another certificate than the signer's.
    #[error(
        "the ESS signing-certificate attribute does not name the signer's certificate ({reason})"
    )]
    SigningCertificateMismatch {
        /// What differs.
        reason: String,
    },
    /// An algorithm this verifier does not implement.
    #[error("unsupported {what} algorithm {oid}")]
    UnsupportedAlgorithm {
        /// `digest`, `signature`, `public key`, `curve`.
        what: &'static str,
        /// OID.
        oid: String,
    },
    /// A signature does not verify.
    #[error("signature of {what} does not verify")]
    BadSignature {
        /// `the token` or `certificate <subject> by <issuer>`.
        what: String,
    },
    /// The signer's certificate may not sign time-stamps (RFC 3161 §2.3).
    #[error("certificate {subject} is not a time-stamping certificate: {reason}")]
    NotTimeStampingCert {
        /// Subject DN.
        subject: String,
        /// Missing EKU, EKU not critical, or other purposes.
        reason: String,
    },
    /// genTime is outside a certificate's validity.
    #[error(
        "time-stamp time {gen_time} is outside the validity of certificate {subject} ({not_before} to {not_after})"
    )]
    OutsideValidity {
        /// The token's genTime.
        gen_time: String,
        /// Subject DN.
        subject: String,
        /// Start of validity.
        not_before: String,
        /// End of validity.
        not_after: String,
    },
    /// No issuer for a certificate among the token's certificates and the trust roots.
    #[error(
        "no issuer found for certificate {subject} (issuer {issuer}): the chain does not reach a trust root"
    )]
    ChainIncomplete {
        /// Subject DN.
        subject: String,
        /// Issuer DN.
        issuer: String,
    },
    /// A certificate in the chain that signs others is not a CA.
    #[error("certificate {subject} issues certificates but is not a CA (basicConstraints)")]
    IssuerNotCa {
        /// Subject DN.
        subject: String,
    },
    /// The chain is longer than any real TSA's.
    #[error("certificate chain longer than {max}")]
    ChainTooLong {
        /// Limit.
        max: usize,
    },
    /// No trust roots were configured, so the chain could not be checked (everything else was).
    #[error(
        "no trust root configured for this TSA: the token's signature is valid but its certificate chain was not checked"
    )]
    NoTrustRoots,
    /// A trust-root file could not be read.
    #[error("trust root {what}: {reason}")]
    BadTrustRoot {
        /// The file or label.
        what: String,
        /// Why.
        reason: String,
    },
}

/// Sending a request to a TSA failed: the request stays pending.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No connection, DNS failure, timeout.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// The TSA URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The server answered with an HTTP error.
    #[error("{url} answered HTTP {status}")]
    HttpStatus {
        /// The TSA URL.
        url: String,
        /// Status code.
        status: u16,
    },
    /// The answer is larger than any time-stamp response.
    #[error("{url} sent more than {limit} bytes")]
    TooLarge {
        /// The TSA URL.
        url: String,
        /// Limit.
        limit: u64,
    },
}
