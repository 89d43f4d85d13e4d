//! Digests and signature checks for tokens and certificates: ECDSA P-256/P-384, RSA PKCS#1
//! v1.5 and RSA-PSS. Verification only; no private-key operation happens here.

use crate::error::TspError;
use crate::oid;
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use sha2::Digest as _;
use signature::hazmat::PrehashVerifier;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

/// A digest algorithm the verifier knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlg {
    /// SHA-1 (only in ESS signing-certificate v1 and legacy signatures).
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
    /// SM3 (GB/T 32905).
    Sm3,
}

impl DigestAlg {
    /// The algorithm for an OID.
    pub fn from_oid(o: &ObjectIdentifier) -> Result<Self, TspError> {
        Ok(match *o {
            oid::SHA1 => Self::Sha1,
            oid::SHA224 => Self::Sha224,
            oid::SHA256 => Self::Sha256,
            oid::SHA384 => Self::Sha384,
            oid::SHA512 => Self::Sha512,
            oid::SM3 => Self::Sm3,
            _ => {
                return Err(TspError::UnsupportedAlgorithm {
                    what: "digest",
                    oid: o.to_string(),
                });
            }
        })
    }

    /// The algorithm's OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Sha1 => oid::SHA1,
            Self::Sha224 => oid::SHA224,
            Self::Sha256 => oid::SHA256,
            Self::Sha384 => oid::SHA384,
            Self::Sha512 => oid::SHA512,
            Self::Sm3 => oid::SM3,
        }
    }

    /// Digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Self::Sha224 => sha2::Sha224::digest(data).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(data).to_vec(),
            Self::Sm3 => sm3::Sm3::digest(data).to_vec(),
        }
    }
}

/// The digest a signature algorithm implies, if it names one (`rsaEncryption` does not).
fn implied_digest(alg: &ObjectIdentifier) -> Option<DigestAlg> {
    Some(match *alg {
        oid::ECDSA_SHA256 | oid::RSA_SHA256 => DigestAlg::Sha256,
        oid::ECDSA_SHA384 | oid::RSA_SHA384 => DigestAlg::Sha384,
        oid::ECDSA_SHA512 | oid::RSA_SHA512 => DigestAlg::Sha512,
        oid::ECDSA_SHA224 | oid::RSA_SHA224 => DigestAlg::Sha224,
        oid::RSA_SHA1 | oid::ECDSA_SHA1 => DigestAlg::Sha1,
        _ => return None,
    })
}

/// Checks `signature` over `message` under `key`, with signature algorithm `alg`. `digest` is
/// the digest named beside the signature (a CMS SignerInfo's digestAlgorithm); for a
/// certificate it is `None` and the signature algorithm names it.
pub fn verify(
    key: &SubjectPublicKeyInfoOwned,
    alg: &AlgorithmIdentifierOwned,
    digest: Option<DigestAlg>,
    message: &[u8],
    signature: &[u8],
    what: &dyn Fn() -> String,
) -> Result<(), TspError> {
    let bad = || TspError::BadSignature { what: what() };
    let unsupported = |what: &'static str, o: &ObjectIdentifier| TspError::UnsupportedAlgorithm {
        what,
        oid: o.to_string(),
    };
    let key_der = key.to_der().map_err(|e| TspError::Malformed {
        what: "public key",
        reason: e.to_string(),
    })?;
    if alg.oid == oid::RSASSA_PSS {
        let params = alg
            .parameters
            .as_ref()
            .ok_or_else(|| unsupported("signature", &alg.oid))?
            .to_der()
            .map_err(|e| TspError::Malformed {
                what: "RSASSA-PSS parameters",
                reason: e.to_string(),
            })?;
        let p = rsa::pkcs1::RsaPssParams::from_der(&params).map_err(|e| TspError::Malformed {
            what: "RSASSA-PSS parameters",
            reason: e.to_string(),
        })?;
        let h = DigestAlg::from_oid(&p.hash.oid)?;
        // MGF1 must use the same hash: the rsa crate ties them together.
        let mgf_hash = p
            .mask_gen
            .parameters
            .as_ref()
            .map(|a| a.oid)
            .unwrap_or(oid::SHA1);
        if p.mask_gen.oid != oid::MGF1 || mgf_hash != h.oid() {
            return Err(unsupported("PSS mask generation", &p.mask_gen.oid));
        }
        let k = rsa_key(&key_der)?;
        let hashed = h.digest(message);
        let salt = usize::from(p.salt_len);
        let scheme = match h {
            DigestAlg::Sha1 => rsa::Pss::new_with_salt::<sha1::Sha1>(salt),
            DigestAlg::Sha224 => rsa::Pss::new_with_salt::<sha2::Sha224>(salt),
            DigestAlg::Sha256 => rsa::Pss::new_with_salt::<sha2::Sha256>(salt),
            DigestAlg::Sha384 => rsa::Pss::new_with_salt::<sha2::Sha384>(salt),
            DigestAlg::Sha512 => rsa::Pss::new_with_salt::<sha2::Sha512>(salt),
            DigestAlg::Sm3 => return Err(unsupported("PSS digest", &p.hash.oid)),
        };
        return k.verify(scheme, &hashed, signature).map_err(|_| bad());
    }
    let h = match (implied_digest(&alg.oid), digest) {
        (Some(a), Some(b)) if a != b => {
            return Err(TspError::UnsupportedAlgorithm {
                what: "signature/digest combination",
                oid: format!("{} with {}", alg.oid, b.oid()),
            });
        }
        (Some(a), _) => a,
        (None, Some(b)) if alg.oid == oid::RSA_ENCRYPTION => b,
        _ => return Err(unsupported("signature", &alg.oid)),
    };
    let hashed = h.digest(message);
    match key.algorithm.oid {
        oid::EC_PUBLIC_KEY => {
            if !is_ecdsa(&alg.oid) {
                return Err(unsupported("signature", &alg.oid));
            }
            let curve = key
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                .ok_or_else(|| unsupported("curve", &key.algorithm.oid))?;
            let point = key.subject_public_key.raw_bytes();
            match curve {
                oid::P256 => {
                    let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| {
                        TspError::Malformed {
                            what: "P-256 public key",
                            reason: "not a point on the curve".into(),
                        }
                    })?;
                    let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| bad())?;
                    vk.verify_prehash(&hashed, &sig).map_err(|_| bad())
                }
                oid::P384 => {
                    let vk = p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| {
                        TspError::Malformed {
                            what: "P-384 public key",
                            reason: "not a point on the curve".into(),
                        }
                    })?;
                    let sig = p384::ecdsa::Signature::from_der(signature).map_err(|_| bad())?;
                    vk.verify_prehash(&hashed, &sig).map_err(|_| bad())
                }
                other => Err(unsupported("curve", &other)),
            }
        }
        oid::RSA_ENCRYPTION => {
            if is_ecdsa(&alg.oid) {
                return Err(unsupported("signature", &alg.oid));
            }
            let k = rsa_key(&key_der)?;
            let scheme = match h {
                DigestAlg::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
                DigestAlg::Sha224 => rsa::Pkcs1v15Sign::new::<sha2::Sha224>(),
                DigestAlg::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                DigestAlg::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                DigestAlg::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                DigestAlg::Sm3 => return Err(unsupported("RSA digest", &oid::SM3)),
            };
            k.verify(scheme, &hashed, signature).map_err(|_| bad())
        }
        other => Err(unsupported("public key", &other)),
    }
}

fn is_ecdsa(o: &ObjectIdentifier) -> bool {
    matches!(
        *o,
        oid::ECDSA_SHA1
            | oid::ECDSA_SHA224
            | oid::ECDSA_SHA256
            | oid::ECDSA_SHA384
            | oid::ECDSA_SHA512
    )
}

fn rsa_key(spki_der: &[u8]) -> Result<rsa::RsaPublicKey, TspError> {
    use rsa::pkcs8::DecodePublicKey;
    let k = rsa::RsaPublicKey::from_public_key_der(spki_der).map_err(|e| TspError::Malformed {
        what: "RSA public key",
        reason: e.to_string(),
    })?;
    // Keys this small are forgeable; real TSAs use 2048 bits or more.
    if rsa::traits::PublicKeyParts::size(&k) < 256 {
        return Err(TspError::UnsupportedAlgorithm {
            what: "RSA key size",
            oid: format!("{} bits", rsa::traits::PublicKeyParts::size(&k) * 8),
        });
    }
    Ok(k)
}
