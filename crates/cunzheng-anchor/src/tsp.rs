//! RFC 3161 requests and the full check of a response.
//!
//! ASN.1 types come from `x509-tsp`, `cms` and `x509-cert`; the checks are ours, because no
//! crate of this (der 0.7) generation verifies tokens: status, imprint, nonce, the CMS
//! signature over the signed attributes, content-type and message-digest attributes, the ESS
//! signing-certificate attribute, the TSA certificate's critical timeStamping EKU, genTime
//! within every certificate's validity, and the chain up to a configured root.

use crate::error::TspError;
use crate::oid;
use crate::sig::{self, DigestAlg};
use cms::content_info::ContentInfo;
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier, SignerInfo};
use der::asn1::{Any, Int, ObjectIdentifier, OctetString};
use der::{Decode, Encode, Reader, Sequence, SliceReader, Tag, Tagged};
use sha2::Digest as _;
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::{GeneralName, GeneralNames};
use x509_cert::serial_number::SerialNumber;
use x509_tsp::{Accuracy, MessageImprint, TimeStampReq, TimeStampResp, TspVersion};

/// Hash of the message imprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImprintHash {
    /// SHA-256: the imprint is the 32-byte seal root itself (a SHA-256 tree head).
    Sha256,
    /// SM3: the imprint is SM3 of the 32 root bytes, for TSAs that accept SM3.
    Sm3,
}

impl ImprintHash {
    /// `sha256` or `sm3`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sm3 => "sm3",
        }
    }

    /// From `sha256` / `sm3`.
    pub fn from_name(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "sha256" | "sha-256" => Some(Self::Sha256),
            "sm3" => Some(Self::Sm3),
            _ => None,
        }
    }

    fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Sha256 => oid::SHA256,
            Self::Sm3 => oid::SM3,
        }
    }

    /// The imprint stamped for a 32-byte root.
    pub fn imprint(self, root: &[u8; 32]) -> Vec<u8> {
        match self {
            Self::Sha256 => root.to_vec(),
            Self::Sm3 => DigestAlg::Sm3.digest(root),
        }
    }
}

/// A time-stamp request as sent (and kept as `.tsq`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// DER of the TimeStampReq.
    pub der: Vec<u8>,
    /// Imprint hash.
    pub hash: ImprintHash,
    /// The hashed message.
    pub imprint: Vec<u8>,
    /// The nonce's INTEGER content bytes.
    pub nonce: Option<Vec<u8>>,
}

fn malformed(what: &'static str) -> impl Fn(der::Error) -> TspError {
    move |e| TspError::Malformed {
        what,
        reason: e.to_string(),
    }
}

impl Request {
    /// A request over `root` with a fresh random 62-bit nonce and certReq set (so the token
    /// carries the TSA certificate and can be checked offline).
    pub fn new(root: &[u8; 32], hash: ImprintHash) -> Result<Self, TspError> {
        let mut nonce = [0u8; 8];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
        // Positive and minimal DER: top bit clear, next bit set.
        nonce[0] = (nonce[0] & 0x7f) | 0x40;
        Self::with_nonce(root, hash, &nonce)
    }

    /// A request with a given nonce (DER INTEGER content bytes).
    pub fn with_nonce(root: &[u8; 32], hash: ImprintHash, nonce: &[u8]) -> Result<Self, TspError> {
        let imprint = hash.imprint(root);
        let req = TimeStampReq {
            version: TspVersion::V1,
            message_imprint: MessageImprint {
                hash_algorithm: AlgorithmIdentifierOwned {
                    oid: hash.oid(),
                    parameters: Some(Any::null()),
                },
                hashed_message: OctetString::new(imprint.clone())
                    .map_err(malformed("message imprint"))?,
            },
            req_policy: None,
            nonce: Some(Int::new(nonce).map_err(malformed("nonce"))?),
            cert_req: true,
            extensions: None,
        };
        let der = req.to_der().map_err(malformed("TimeStampReq"))?;
        Ok(Self {
            der,
            hash,
            imprint,
            nonce: Some(nonce.to_vec()),
        })
    }

    /// Reads a stored `.tsq`.
    pub fn parse(der: &[u8]) -> Result<Self, TspError> {
        let req = TimeStampReq::from_der(der).map_err(malformed("TimeStampReq"))?;
        let hash = match req.message_imprint.hash_algorithm.oid {
            oid::SHA256 => ImprintHash::Sha256,
            oid::SM3 => ImprintHash::Sm3,
            o => {
                return Err(TspError::UnsupportedAlgorithm {
                    what: "imprint digest",
                    oid: o.to_string(),
                });
            }
        };
        Ok(Self {
            der: der.to_vec(),
            hash,
            imprint: req.message_imprint.hashed_message.as_bytes().to_vec(),
            nonce: req.nonce.map(|n| n.as_bytes().to_vec()),
        })
    }
}

/// A token that passed every check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verified {
    /// genTime, RFC 3339 UTC (fractional seconds as the TSA gave them).
    pub gen_time: String,
    /// genTime as Unix seconds.
    pub gen_time_unix: u64,
    /// Accuracy, e.g. `1s` or `0.5s`, when the TSA states one.
    pub accuracy: Option<String>,
    /// Token serial number, hex.
    pub serial: String,
    /// TSA policy OID.
    pub policy: String,
    /// Imprint hash name.
    pub hash: String,
    /// Subject of the TSA certificate.
    pub tsa_subject: String,
    /// SHA-256 of the TSA certificate.
    pub tsa_cert_sha256: String,
    /// Subject of the trust root the chain ends at.
    pub root_subject: String,
    /// ESS attribute found: `signingCertificate` or `signingCertificateV2`.
    pub ess: String,
}

/// A certificate with its bytes as received: hashes (ESS) and signatures (TBS) are computed
/// over those, never over a re-encoding.
#[derive(Debug, Clone)]
struct Cert {
    cert: Certificate,
    raw: Vec<u8>,
    tbs: Vec<u8>,
}

impl std::ops::Deref for Cert {
    type Target = Certificate;
    fn deref(&self) -> &Certificate {
        &self.cert
    }
}

impl Cert {
    /// From one certificate's DER TLV.
    fn from_raw(raw: &Any) -> Result<Self, TspError> {
        let m = malformed("certificate");
        let der = raw.to_der().map_err(&m)?;
        let cert = Certificate::from_der(&der).map_err(&m)?;
        let mut r = SliceReader::new(raw.value()).map_err(&m)?;
        let tbs: Any = r.decode().map_err(&m)?;
        Ok(Self {
            cert,
            raw: der,
            tbs: tbs.to_der().map_err(&m)?,
        })
    }
}

/// Certificates the user trusts as roots for time-stamp signers.
#[derive(Debug, Clone, Default)]
pub struct TrustRoots(Vec<Cert>);

impl TrustRoots {
    /// No roots: the chain is not checked ([`TspError::NoTrustRoots`] after all other checks).
    pub fn none() -> Self {
        Self(Vec::new())
    }

    /// Every certificate in a PEM file (or concatenated PEM text).
    pub fn from_pem(what: &str, pem: &[u8]) -> Result<Self, TspError> {
        let bad = |reason: String| TspError::BadTrustRoot {
            what: what.into(),
            reason,
        };
        let certs = Certificate::load_pem_chain(pem)
            .map_err(|e| bad(e.to_string()))?
            .into_iter()
            .map(|c| {
                let der = c.to_der().map_err(|e| bad(e.to_string()))?;
                let any = Any::from_der(&der).map_err(|e| bad(e.to_string()))?;
                Cert::from_raw(&any).map_err(|e| bad(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if certs.is_empty() {
            return Err(TspError::BadTrustRoot {
                what: what.into(),
                reason: "no certificate in it".into(),
            });
        }
        Ok(Self(certs))
    }

    /// Adds the roots of `other`.
    pub fn extend(&mut self, other: TrustRoots) {
        self.0.extend(other.0);
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The roots as PEM text (to keep them beside the token).
    pub fn to_pem(&self) -> String {
        use der::EncodePem;
        self.0
            .iter()
            .filter_map(|c| c.cert.to_pem(der::pem::LineEnding::LF).ok())
            .collect()
    }
}

/// What the token must stamp.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// Imprint hash.
    pub hash: ImprintHash,
    /// The hashed message.
    pub imprint: &'a [u8],
    /// The request's nonce, if it had one.
    pub nonce: Option<&'a [u8]>,
}

// TSTInfo as in x509-tsp, but genTime read by hand: der 0.7's GeneralizedTime rejects the
// fractional seconds that many TSAs send.
#[derive(Clone, Debug, Sequence)]
struct TstInfo {
    version: TspVersion,
    policy: ObjectIdentifier,
    message_imprint: MessageImprint,
    serial_number: Int,
    gen_time: Any,
    #[asn1(optional = "true")]
    accuracy: Option<Accuracy>,
    #[asn1(default = "Default::default")]
    ordering: bool,
    #[asn1(optional = "true")]
    nonce: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    tsa: Option<GeneralName>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    extensions: Option<x509_cert::ext::Extensions>,
}

#[derive(Clone, Debug, Sequence)]
struct IssuerSerial {
    issuer: GeneralNames,
    serial_number: SerialNumber,
}

#[derive(Clone, Debug, Sequence)]
struct EssCertId {
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<IssuerSerial>,
}

#[derive(Clone, Debug, Sequence)]
struct SigningCertificate {
    certs: Vec<EssCertId>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}

#[derive(Clone, Debug, Sequence)]
struct EssCertIdV2 {
    /// DEFAULT sha256 when absent.
    #[asn1(optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<IssuerSerial>,
}

#[derive(Clone, Debug, Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}

/// Longest chain followed (TSA certificate, intermediates, root).
pub const MAX_CHAIN: usize = 8;

/// Checks a TimeStampResp (as the TSA sent it) against what was asked and the trust roots.
/// Never panics on hostile input; every rejection names its reason.
pub fn verify_response(
    der: &[u8],
    expected: &Expected<'_>,
    roots: &TrustRoots,
) -> Result<Verified, TspError> {
    let resp = TimeStampResp::from_der(der).map_err(malformed("TimeStampResp"))?;
    use cmpv2::status::PkiStatus;
    match resp.status.status {
        PkiStatus::Accepted | PkiStatus::GrantedWithMods => {}
        other => {
            return Err(TspError::NotGranted {
                status: format!("{other:?}"),
                text: resp.status.status_string.map(|t| {
                    t.iter()
                        .map(|s| s.as_str().to_owned())
                        .collect::<Vec<_>>()
                        .join("; ")
                }),
            });
        }
    }
    let token = resp.time_stamp_token.ok_or(TspError::NoToken)?;
    verify_token(&token, expected, Some(roots))
}

/// Every check of [`verify_response`] except the chain to a trust root (for tokens kept when
/// the user configured no root); `root_subject` then says the chain was not checked.
pub fn verify_response_without_chain(
    der: &[u8],
    expected: &Expected<'_>,
) -> Result<Verified, TspError> {
    let resp = TimeStampResp::from_der(der).map_err(malformed("TimeStampResp"))?;
    let token = resp.time_stamp_token.ok_or(TspError::NoToken)?;
    verify_token(&token, expected, None)
}

/// Checks a bare TimeStampToken (a CMS ContentInfo).
pub fn verify_token_der(
    der: &[u8],
    expected: &Expected<'_>,
    roots: &TrustRoots,
) -> Result<Verified, TspError> {
    let token = ContentInfo::from_der(der).map_err(malformed("TimeStampToken"))?;
    verify_token(&token, expected, Some(roots))
}

fn verify_token(
    token: &ContentInfo,
    expected: &Expected<'_>,
    roots: Option<&TrustRoots>,
) -> Result<Verified, TspError> {
    if token.content_type != oid::SIGNED_DATA {
        return Err(TspError::NotSignedData {
            found: token.content_type.to_string(),
        });
    }
    let sd = parse_signed_data(&token.content)?;
    if sd.encap.econtent_type != oid::TST_INFO {
        return Err(TspError::NotTstInfo {
            found: sd.encap.econtent_type.to_string(),
        });
    }
    let econtent = sd
        .encap
        .econtent
        .as_ref()
        .ok_or_else(|| TspError::Malformed {
            what: "SignedData",
            reason: "no encapsulated TSTInfo".into(),
        })?;
    if econtent.tag() != Tag::OctetString {
        return Err(TspError::Malformed {
            what: "SignedData",
            reason: format!("eContent is {}, not OCTET STRING", econtent.tag()),
        });
    }
    let tst_der = econtent.value();
    let tst = TstInfo::from_der(tst_der).map_err(malformed("TSTInfo"))?;
    let (gen_time, gen_time_unix) = gen_time(&tst.gen_time)?;

    // What was stamped.
    if tst.message_imprint.hash_algorithm.oid != expected.hash.oid() {
        return Err(TspError::ImprintAlgorithm {
            expected: expected.hash.oid().to_string(),
            found: tst.message_imprint.hash_algorithm.oid.to_string(),
        });
    }
    let found = tst.message_imprint.hashed_message.as_bytes();
    if found != expected.imprint {
        return Err(TspError::ImprintMismatch {
            expected: hex::encode(expected.imprint),
            found: hex::encode(found),
        });
    }
    if let Some(want) = expected.nonce {
        let got = tst.nonce.as_ref().map(|n| n.as_bytes());
        if got != Some(want) {
            return Err(TspError::NonceMismatch {
                expected: hex::encode(want),
                found: got.map(hex::encode),
            });
        }
    }

    // Who signed, and that the signature holds.
    let [(si, raw_attrs)] = sd.signers.as_slice() else {
        return Err(TspError::SignerCount {
            count: sd.signers.len(),
        });
    };
    let pool = sd.certs;
    let signer = pool
        .iter()
        .find(|c| identifies(&si.sid, c))
        .ok_or(TspError::SignerCertNotFound)?;
    let digest = DigestAlg::from_oid(&si.digest_alg.oid)?;
    check_signed_attrs(si, digest, tst_der)?;
    let attrs_der = raw_attrs.as_ref().ok_or(TspError::NoSignedAttributes)?;
    sig::verify(
        &signer.tbs_certificate.subject_public_key_info,
        &si.signature_algorithm,
        Some(digest),
        attrs_der,
        si.signature.as_bytes(),
        &|| "the token".to_owned(),
    )?;
    let ess = check_ess(si, signer)?;

    // The signer may sign time-stamps, at that time, under a trusted root.
    check_eku(signer)?;
    let root_subject = match roots {
        Some(roots) => chain(signer, &pool, roots, gen_time_unix, &gen_time)?,
        None => {
            validity_at(signer, gen_time_unix, &gen_time)?;
            "(chain not checked)".to_owned()
        }
    };

    let cert_der = &signer.raw;
    Ok(Verified {
        gen_time,
        gen_time_unix,
        accuracy: tst.accuracy.as_ref().map(accuracy_text),
        serial: hex::encode(tst.serial_number.as_bytes()),
        policy: tst.policy.to_string(),
        hash: expected.hash.name().into(),
        tsa_subject: signer.tbs_certificate.subject.to_string(),
        tsa_cert_sha256: hex::encode(sha2::Sha256::digest(cert_der)),
        root_subject,
        ess,
    })
}

struct Signed {
    encap: EncapsulatedContentInfo,
    certs: Vec<Cert>,
    /// Each signer with its signed attributes exactly as sent, re-tagged as a SET.
    signers: Vec<(SignerInfo, Option<Vec<u8>>)>,
}

/// The signed attributes of a SignerInfo as they were sent, with the `[0] IMPLICIT` tag turned
/// into the universal SET tag: the bytes the signature covers (RFC 5652 §5.4). Re-encoding the
/// decoded attributes is not enough: some TSAs (DigiCert) send them in non-DER order, and
/// `der` sorts a SET OF.
fn raw_signed_attrs(signer_info: &Any) -> Result<Option<Vec<u8>>, TspError> {
    let m = malformed("SignerInfo");
    let mut r = SliceReader::new(signer_info.value()).map_err(&m)?;
    for _ in 0..3 {
        let _: Any = r.decode().map_err(&m)?; // version, sid, digestAlgorithm
    }
    let next: Any = r.decode().map_err(&m)?;
    match next.tag() {
        Tag::ContextSpecific { number, .. } if number.value() == 0 => {
            let set = Any::new(Tag::Set, next.value()).map_err(&m)?;
            Ok(Some(set.to_der().map_err(&m)?))
        }
        _ => Ok(None),
    }
}

/// SignedData read element by element. `cms::SignedData` decodes `certificates` and
/// `signerInfos` as DER SET OFs, which reject duplicates: `openssl ts` with `certs` naming the
/// signer certificate emits it twice, and real TSAs do the same.
fn parse_signed_data(content: &Any) -> Result<Signed, TspError> {
    let m = malformed("SignedData");
    if content.tag() != Tag::Sequence {
        return Err(TspError::Malformed {
            what: "SignedData",
            reason: format!("is {}, not SEQUENCE", content.tag()),
        });
    }
    let mut r = SliceReader::new(content.value()).map_err(&m)?;
    let _version: Int = r.decode().map_err(&m)?;
    let _digests: Any = r.decode().map_err(&m)?;
    let encap: EncapsulatedContentInfo = r.decode().map_err(&m)?;
    let (mut certs, mut signers) = (Vec::new(), None);
    while !r.is_finished() {
        let a: Any = r.decode().map_err(&m)?;
        match a.tag() {
            Tag::ContextSpecific { number, .. } if number.value() == 0 => {
                let mut cr = SliceReader::new(a.value()).map_err(&m)?;
                while !cr.is_finished() {
                    let c: Any = cr.decode().map_err(malformed("certificates"))?;
                    // Other CertificateChoices (attribute certificates, …) are not signers.
                    if c.tag() == Tag::Sequence {
                        certs.push(Cert::from_raw(&c)?);
                    }
                }
            }
            Tag::ContextSpecific { .. } => {} // CRLs: not used
            Tag::Set => {
                let mut sr = SliceReader::new(a.value()).map_err(&m)?;
                let mut v = Vec::new();
                while !sr.is_finished() {
                    let raw: Any = sr.decode().map_err(malformed("SignerInfo"))?;
                    let der = raw.to_der().map_err(malformed("SignerInfo"))?;
                    let si = SignerInfo::from_der(&der).map_err(malformed("SignerInfo"))?;
                    v.push((si, raw_signed_attrs(&raw)?));
                }
                signers = Some(v);
            }
            t => {
                return Err(TspError::Malformed {
                    what: "SignedData",
                    reason: format!("unexpected {t}"),
                });
            }
        }
    }
    Ok(Signed {
        encap,
        certs,
        signers: signers.ok_or_else(|| TspError::Malformed {
            what: "SignedData",
            reason: "no signerInfos".into(),
        })?,
    })
}

fn identifies(sid: &SignerIdentifier, cert: &Certificate) -> bool {
    let tbs = &cert.tbs_certificate;
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            ias.issuer == tbs.issuer && ias.serial_number == tbs.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => tbs
            .extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER)
            .and_then(|e| OctetString::from_der(e.extn_value.as_bytes()).ok())
            .is_some_and(|k| k.as_bytes() == ski.0.as_bytes()),
    }
}

/// The one value of a signed attribute.
fn attr_value<'a>(
    si: &'a SignerInfo,
    id: ObjectIdentifier,
    name: &'static str,
) -> Result<&'a Any, TspError> {
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or(TspError::NoSignedAttributes)?;
    let mut found = attrs.iter().filter(|a| a.oid == id);
    let a = found.next().ok_or(TspError::SignedAttribute {
        attribute: name,
        reason: "missing".into(),
    })?;
    if found.next().is_some() || a.values.len() != 1 {
        return Err(TspError::SignedAttribute {
            attribute: name,
            reason: "must appear once with one value".into(),
        });
    }
    a.values.get(0).ok_or(TspError::SignedAttribute {
        attribute: name,
        reason: "no value".into(),
    })
}

fn check_signed_attrs(si: &SignerInfo, digest: DigestAlg, tst_der: &[u8]) -> Result<(), TspError> {
    let ct: ObjectIdentifier = attr_value(si, oid::CONTENT_TYPE, "content-type")?
        .decode_as()
        .map_err(malformed("content-type attribute"))?;
    if ct != oid::TST_INFO {
        return Err(TspError::SignedAttribute {
            attribute: "content-type",
            reason: format!("is {ct}, not id-ct-TSTInfo"),
        });
    }
    let md: OctetString = attr_value(si, oid::MESSAGE_DIGEST, "message-digest")?
        .decode_as()
        .map_err(malformed("message-digest attribute"))?;
    let want = digest.digest(tst_der);
    if md.as_bytes() != want.as_slice() {
        return Err(TspError::SignedAttribute {
            attribute: "message-digest",
            reason: format!(
                "{} but the TSTInfo hashes to {}",
                hex::encode(md.as_bytes()),
                hex::encode(&want)
            ),
        });
    }
    Ok(())
}

fn check_issuer_serial(is: Option<&IssuerSerial>, cert: &Certificate) -> Result<(), TspError> {
    let Some(is) = is else { return Ok(()) };
    if is.serial_number != cert.tbs_certificate.serial_number {
        return Err(TspError::SigningCertificateMismatch {
            reason: "issuerSerial names another serial number".into(),
        });
    }
    let named = is.issuer.iter().any(|g| match g {
        GeneralName::DirectoryName(n) => *n == cert.tbs_certificate.issuer,
        _ => false,
    });
    if !named {
        return Err(TspError::SigningCertificateMismatch {
            reason: "issuerSerial names another issuer".into(),
        });
    }
    Ok(())
}

fn check_ess(si: &SignerInfo, cert: &Cert) -> Result<String, TspError> {
    let cert_der = &cert.raw;
    let has = |id| {
        si.signed_attrs
            .as_ref()
            .is_some_and(|a| a.iter().any(|x| x.oid == id))
    };
    if has(oid::SIGNING_CERTIFICATE_V2) {
        let v: SigningCertificateV2 =
            attr_value(si, oid::SIGNING_CERTIFICATE_V2, "signing-certificate")?
                .decode_as()
                .map_err(malformed("signingCertificateV2 attribute"))?;
        let first = v
            .certs
            .first()
            .ok_or(TspError::SigningCertificateMismatch {
                reason: "the attribute lists no certificate".into(),
            })?;
        let h = match &first.hash_algorithm {
            Some(a) => DigestAlg::from_oid(&a.oid)?,
            None => DigestAlg::Sha256,
        };
        if first.cert_hash.as_bytes() != h.digest(cert_der).as_slice() {
            return Err(TspError::SigningCertificateMismatch {
                reason: "certificate hash differs".into(),
            });
        }
        check_issuer_serial(first.issuer_serial.as_ref(), cert)?;
        Ok("signingCertificateV2".into())
    } else if has(oid::SIGNING_CERTIFICATE) {
        let v: SigningCertificate =
            attr_value(si, oid::SIGNING_CERTIFICATE, "signing-certificate")?
                .decode_as()
                .map_err(malformed("signingCertificate attribute"))?;
        let first = v
            .certs
            .first()
            .ok_or(TspError::SigningCertificateMismatch {
                reason: "the attribute lists no certificate".into(),
            })?;
        if first.cert_hash.as_bytes() != DigestAlg::Sha1.digest(cert_der).as_slice() {
            return Err(TspError::SigningCertificateMismatch {
                reason: "certificate SHA-1 differs".into(),
            });
        }
        check_issuer_serial(first.issuer_serial.as_ref(), cert)?;
        Ok("signingCertificate".into())
    } else {
        Err(TspError::SignedAttribute {
            attribute: "signing-certificate",
            reason: "neither ESS signingCertificate nor signingCertificateV2 is present".into(),
        })
    }
}

/// RFC 3161 §2.3: exactly one extended key usage, id-kp-timeStamping, marked critical.
fn check_eku(cert: &Certificate) -> Result<(), TspError> {
    let subject = || cert.tbs_certificate.subject.to_string();
    let not = |reason: &str| TspError::NotTimeStampingCert {
        subject: subject(),
        reason: reason.into(),
    };
    let ext = cert
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == oid::EXT_KEY_USAGE)
        .collect::<Vec<_>>();
    let e = match ext.as_slice() {
        [] => return Err(not("no extendedKeyUsage extension")),
        [e] => e,
        _ => return Err(not("extendedKeyUsage appears more than once")),
    };
    let purposes = Vec::<ObjectIdentifier>::from_der(e.extn_value.as_bytes())
        .map_err(malformed("extendedKeyUsage"))?;
    if !purposes.contains(&oid::KP_TIME_STAMPING) {
        return Err(not("extendedKeyUsage does not include timeStamping"));
    }
    if purposes.len() != 1 {
        return Err(not("extendedKeyUsage has purposes besides timeStamping"));
    }
    if !e.critical {
        return Err(not("extendedKeyUsage is not marked critical"));
    }
    Ok(())
}

fn validity_at(cert: &Certificate, t: u64, gen_time: &str) -> Result<(), TspError> {
    let v = &cert.tbs_certificate.validity;
    let nb = v.not_before.to_unix_duration().as_secs();
    let na = v.not_after.to_unix_duration().as_secs();
    if t < nb || t > na {
        return Err(TspError::OutsideValidity {
            gen_time: gen_time.into(),
            subject: cert.tbs_certificate.subject.to_string(),
            not_before: v.not_before.to_string(),
            not_after: v.not_after.to_string(),
        });
    }
    Ok(())
}

fn is_ca(cert: &Certificate) -> bool {
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == oid::BASIC_CONSTRAINTS)
        .and_then(|e| {
            x509_cert::ext::pkix::BasicConstraints::from_der(e.extn_value.as_bytes()).ok()
        })
        .is_some_and(|b| b.ca)
}

fn signed_by(cert: &Cert, issuer: &Cert) -> Result<(), TspError> {
    let tbs = &cert.tbs;
    let sig = cert
        .signature
        .as_bytes()
        .ok_or_else(|| TspError::Malformed {
            what: "certificate",
            reason: "signature bit string has unused bits".into(),
        })?;
    sig::verify(
        &issuer.tbs_certificate.subject_public_key_info,
        &cert.signature_algorithm,
        None,
        tbs,
        sig,
        &|| {
            format!(
                "certificate {} by {}",
                cert.tbs_certificate.subject, issuer.tbs_certificate.subject
            )
        },
    )
}

/// Follows issuers from `signer` to a root, checking every signature and validity at genTime.
/// Returns the root's subject.
fn chain(
    signer: &Cert,
    pool: &[Cert],
    roots: &TrustRoots,
    t: u64,
    gen_time: &str,
) -> Result<String, TspError> {
    validity_at(signer, t, gen_time)?;
    if roots.is_empty() {
        return Err(TspError::NoTrustRoots);
    }
    let mut cur = signer.clone();
    for _ in 0..MAX_CHAIN {
        if roots.0.iter().any(|r| r.raw == cur.raw) {
            return Ok(cur.tbs_certificate.subject.to_string());
        }
        let subject = cur.tbs_certificate.issuer.clone();
        let mut last_err = None;
        let mut next = None;
        for (is_root, cand) in roots
            .0
            .iter()
            .map(|c| (true, c))
            .chain(pool.iter().map(|c| (false, c)))
        {
            if cand.tbs_certificate.subject != subject || cand.raw == cur.raw {
                continue;
            }
            match signed_by(&cur, cand) {
                Ok(()) => {
                    next = Some((is_root, cand.clone()));
                    break;
                }
                Err(e) => last_err = Some(e),
            }
        }
        let Some((is_root, issuer)) = next else {
            return Err(last_err.unwrap_or_else(|| TspError::ChainIncomplete {
                subject: cur.tbs_certificate.subject.to_string(),
                issuer: subject.to_string(),
            }));
        };
        if !is_ca(&issuer) {
            return Err(TspError::IssuerNotCa {
                subject: issuer.tbs_certificate.subject.to_string(),
            });
        }
        validity_at(&issuer, t, gen_time)?;
        if is_root {
            return Ok(issuer.tbs_certificate.subject.to_string());
        }
        cur = issuer;
    }
    Err(TspError::ChainTooLong { max: MAX_CHAIN })
}

fn accuracy_text(a: &Accuracy) -> String {
    let sub = |v: Option<i16>, scale: u64| u64::try_from(v.unwrap_or(0)).unwrap_or(0) * scale;
    let micros = a
        .seconds
        .unwrap_or(0)
        .saturating_mul(1_000_000)
        .saturating_add(sub(a.millis, 1000))
        .saturating_add(sub(a.micros, 1));
    let s = format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
    format!("{}s", s.trim_end_matches('0').trim_end_matches('.'))
}

/// genTime (`YYYYMMDDHHMMSS[.f+]Z`) as RFC 3339 text and Unix seconds.
fn gen_time(any: &Any) -> Result<(String, u64), TspError> {
    let bad = |reason: &str| TspError::Malformed {
        what: "TSTInfo genTime",
        reason: reason.into(),
    };
    if any.tag() != Tag::GeneralizedTime {
        return Err(bad("not a GeneralizedTime"));
    }
    let s = std::str::from_utf8(any.value()).map_err(|_| bad("not ASCII"))?;
    let body = s
        .strip_suffix('Z')
        .ok_or_else(|| bad("not in UTC (no Z)"))?;
    let (whole, frac) = match body.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("expected YYYYMMDDHHMMSS"));
    }
    if let Some(f) = frac
        && (f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad("bad fractional seconds"));
    }
    let n = |r: std::ops::Range<usize>| {
        whole
            .get(r)
            .and_then(|x| x.parse::<u16>().ok())
            .unwrap_or(0)
    };
    let dt = der::DateTime::new(
        n(0..4),
        n(4..6) as u8,
        n(6..8) as u8,
        n(8..10) as u8,
        n(10..12) as u8,
        n(12..14) as u8,
    )
    .map_err(|_| bad("not a valid date and time"))?;
    let text = match frac {
        Some(f) => format!("{}.{f}Z", dt.to_string().trim_end_matches('Z')),
        None => dt.to_string(),
    };
    Ok((text, dt.unix_duration().as_secs()))
}
