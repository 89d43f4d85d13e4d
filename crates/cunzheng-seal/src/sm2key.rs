//! SM2 examiner keys (GB/T 32918): signatures with SM3 and the default distinguishing
//! identifier `1234567812345678` (GM/T 0009), DER-encoded so that
//! `openssl pkeyutl -verify -pubin -inkey KEY.pem -rawin -in MSG -sigfile SIG -digest sm3
//! -pkeyopt distid:1234567812345678` checks them without cunzheng.

use crate::keys::KeyError;
use der::asn1::UintRef;
use der::{Decode, Encode, Sequence};
use sm2::dsa::{Signature, SigningKey, VerifyingKey};
use sm2::elliptic_curve::sec1::ToEncodedPoint;
use sm2::pkcs8::der::pem::LineEnding;
use sm2::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use sm3::Digest;

/// The distinguishing identifier signed into every SM2 signature (GM/T 0009 default).
pub const DISTID: &str = "1234567812345678";

/// SM2 signature as DER `SEQUENCE { r INTEGER, s INTEGER }` (GM/T 0009 §7.3), which sm2 0.13
/// does not produce itself.
#[derive(Sequence)]
struct DerSig<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

/// An SM2 examiner key.
#[derive(Clone)]
pub struct Sm2Signer {
    secret: sm2::SecretKey,
    key: SigningKey,
}

impl std::fmt::Debug for Sm2Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sm2Signer({})", self.public_key().fingerprint())
    }
}

impl Sm2Signer {
    fn from_secret(secret: sm2::SecretKey) -> Result<Self, KeyError> {
        let key = SigningKey::new(DISTID, &secret).map_err(|_| KeyError::BadPem {
            what: "SM2 secret key".into(),
        })?;
        Ok(Self { secret, key })
    }

    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        loop {
            let secret = sm2::SecretKey::random(&mut rand_core::OsRng);
            if let Ok(s) = Self::from_secret(secret) {
                return s;
            }
        }
    }

    /// A key from its 32-byte private scalar (tests and published vectors only).
    pub fn dangerous_from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        let secret = sm2::SecretKey::from_slice(bytes).map_err(|_| KeyError::BadPem {
            what: "SM2 private scalar".into(),
        })?;
        Self::from_secret(secret)
    }

    /// From PKCS#8 DER.
    pub fn from_pkcs8_der(der: &[u8], what: &str) -> Result<Self, KeyError> {
        let secret = sm2::SecretKey::from_pkcs8_der(der)
            .map_err(|_| KeyError::BadPem { what: what.into() })?;
        Self::from_secret(secret)
    }

    /// Reads an unencrypted PKCS#8 PEM private key.
    pub fn from_pkcs8_pem(pem: &str, what: &str) -> Result<Self, KeyError> {
        let secret = sm2::SecretKey::from_pkcs8_pem(pem)
            .map_err(|_| KeyError::BadPem { what: what.into() })?;
        Self::from_secret(secret)
    }

    /// PKCS#8 DER of the private key (to be encrypted or PEM-armoured by the caller).
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>, KeyError> {
        self.secret
            .to_pkcs8_der()
            .map(|d| d.as_bytes().to_vec())
            .map_err(|_| KeyError::BadPem {
                what: "SM2 key".into(),
            })
    }

    /// Unencrypted PKCS#8 PEM.
    pub fn to_pkcs8_pem(&self) -> Result<String, KeyError> {
        self.secret
            .to_pkcs8_pem(LineEnding::LF)
            .map(|z| z.to_string())
            .map_err(|_| KeyError::BadPem {
                what: "SM2 key".into(),
            })
    }

    /// The public key.
    pub fn public_key(&self) -> Sm2PublicKey {
        Sm2PublicKey(self.secret.public_key())
    }

    /// DER signature over `message` (SM3 of Z_A ‖ message, distid [`DISTID`]).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let sig: Signature = signature::Signer::sign(&self.key, message);
        let (r, s) = (sig.r_bytes(), sig.s_bytes());
        match (UintRef::new(&r), UintRef::new(&s)) {
            (Ok(r), Ok(s)) => DerSig { r, s }.to_der().unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

/// An SM2 public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sm2PublicKey(sm2::PublicKey);

impl Sm2PublicKey {
    /// Reads SubjectPublicKeyInfo PEM.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        sm2::PublicKey::from_public_key_pem(pem)
            .map(Self)
            .map_err(|_| KeyError::BadPem {
                what: "SM2 public key".into(),
            })
    }

    /// From an uncompressed SEC1 point (`04 ‖ x ‖ y`).
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, KeyError> {
        sm2::PublicKey::from_sec1_bytes(bytes)
            .map(Self)
            .map_err(|_| KeyError::BadPem {
                what: "SM2 point".into(),
            })
    }

    /// SubjectPublicKeyInfo PEM, as `openssl pkey -pubin` reads it.
    pub fn to_pem(&self) -> String {
        self.0.to_public_key_pem(LineEnding::LF).unwrap_or_default()
    }

    /// The uncompressed SEC1 point.
    pub fn to_sec1(&self) -> Vec<u8> {
        self.0.to_encoded_point(false).as_bytes().to_vec()
    }

    /// `sm2:` followed by the hex SM3 of the uncompressed point.
    pub fn fingerprint(&self) -> String {
        format!("sm2:{}", hex::encode(sm3::Sm3::digest(self.to_sec1())))
    }

    /// Checks a DER signature over `message` with distid [`DISTID`].
    pub fn verify(&self, message: &[u8], der_sig: &[u8]) -> Result<(), KeyError> {
        self.verify_with_distid(DISTID, message, der_sig)
    }

    /// Checks a DER signature with another distinguishing identifier (published vectors).
    pub fn verify_with_distid(
        &self,
        distid: &str,
        message: &[u8],
        der_sig: &[u8],
    ) -> Result<(), KeyError> {
        let bad = || KeyError::BadSignature {
            fingerprint: self.fingerprint(),
        };
        let d = DerSig::from_der(der_sig).map_err(|_| bad())?;
        let pad = |b: &[u8]| -> Option<[u8; 32]> {
            let mut out = [0u8; 32];
            out.get_mut(32usize.checked_sub(b.len())?..)?
                .copy_from_slice(b);
            Some(out)
        };
        let (r, s) = (
            pad(d.r.as_bytes()).ok_or_else(bad)?,
            pad(d.s.as_bytes()).ok_or_else(bad)?,
        );
        let sig = Signature::from_scalars(r, s).map_err(|_| bad())?;
        let vk = VerifyingKey::new(distid, self.0).map_err(|_| bad())?;
        signature::Verifier::verify(&vk, message, &sig).map_err(|_| bad())
    }
}

/// DER `SEQUENCE { r, s }` from 32-byte big-endian r and s (for published vectors).
pub fn der_signature(r: &[u8; 32], s: &[u8; 32]) -> Vec<u8> {
    match (UintRef::new(r), UintRef::new(s)) {
        (Ok(r), Ok(s)) => DerSig { r, s }.to_der().unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h32(s: &str) -> [u8; 32] {
        hex::decode(s).expect("hex").try_into().expect("32")
    }

    /// GB/T 32918.5-2017 / GM/T 0003.5-2012 Annex A, as used in OpenSSL's
    /// test/sm2_internal_test.c (see tests/data/sm2/NOTE.md). The example signs with a fixed
    /// k, which sm2 0.13 cannot take (its k is deterministic, RFC 6979 style), so the
    /// published signature is verified on the published message under the published key.
    #[test]
    fn gbt_32918_5_annex_a() {
        let d = h32("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8");
        let signer = Sm2Signer::dangerous_from_bytes(&d).expect("key");
        let pk = signer.public_key();
        assert_eq!(
            hex::encode_upper(pk.to_sec1()),
            "0409F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020\
             CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
        );
        let sig = der_signature(
            &h32("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"),
            &h32("B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"),
        );
        pk.verify(b"message digest", &sig)
            .expect("published signature");
        assert!(pk.verify(b"message digesT", &sig).is_err());
        assert!(
            pk.verify_with_distid("ALICE123@YAHOO.COM", b"message digest", &sig)
                .is_err()
        );
        // Our own signature with that key verifies, and round-trips through PEM.
        let mine = signer.sign(b"message digest");
        pk.verify(b"message digest", &mine).expect("own");
        assert_eq!(Sm2PublicKey::from_pem(&pk.to_pem()).expect("pem"), pk);
        let back =
            Sm2Signer::from_pkcs8_pem(&signer.to_pkcs8_pem().expect("pem"), "t").expect("pkcs8");
        assert_eq!(back.public_key(), pk);
        assert!(pk.verify(b"x", b"\x30\x00").is_err());
    }
}
