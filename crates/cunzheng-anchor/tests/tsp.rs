//! RFC 3161 against a real TSA: `openssl ts -reply` behind a local HTTP responder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/tsa.rs"]
mod tsa;

use cunzheng_anchor::error::TspError;
use cunzheng_anchor::http::{Http, Transport};
use cunzheng_anchor::tsp::{Expected, ImprintHash, Request, TrustRoots, verify_response};
use tsa::{Pki, Responder, granted, have_openssl, openssl};

const ROOT: [u8; 32] = [
    0x5d, 0xc9, 0xda, 0x79, 0xa7, 0x06, 0x59, 0xa9, 0xad, 0x55, 0x9c, 0xb7, 0x01, 0xde, 0xd9, 0xa2,
    0xab, 0x9d, 0x82, 0x3a, 0xad, 0x2f, 0x49, 0x60, 0xcf, 0xe3, 0x70, 0xef, 0xf4, 0x60, 0x43, 0x28,
];

fn roots(pki: &Pki, name: &str) -> TrustRoots {
    TrustRoots::from_pem(name, &std::fs::read(pki.path(name)).unwrap()).unwrap()
}

fn expect<'a>(req: &'a Request) -> Expected<'a> {
    Expected {
        hash: req.hash,
        imprint: &req.imprint,
        nonce: req.nonce.as_deref(),
    }
}

/// Re-signs the TSTInfo of `resp` with `cert`/`key` through `openssl cms -sign -cades`
/// (openssl ts refuses to sign with a certificate that lacks the timeStamping EKU).
fn resign(pki: &Pki, resp: &[u8], cert: &str, key: &str, extra: &[&str]) -> Vec<u8> {
    let d = &pki.dir;
    std::fs::write(d.join("in.tsr"), resp).unwrap();
    openssl(
        d,
        &[
            "ts",
            "-reply",
            "-in",
            "in.tsr",
            "-token_out",
            "-out",
            "in-token.der",
        ],
    );
    openssl(
        d,
        &[
            "cms",
            "-verify",
            "-noverify",
            "-inform",
            "DER",
            "-in",
            "in-token.der",
            "-out",
            "tst.der",
        ],
    );
    let mut args = vec![
        "cms",
        "-sign",
        "-in",
        "tst.der",
        "-binary",
        "-nodetach",
        "-econtent_type",
        "1.2.840.113549.1.9.16.1.4",
        "-signer",
        cert,
        "-inkey",
        key,
        "-md",
        "sha256",
        "-cades",
        "-nosmimecap",
        "-outform",
        "DER",
        "-out",
        "resigned.der",
    ];
    args.extend_from_slice(extra);
    openssl(d, &args);
    granted(&std::fs::read(d.join("resigned.der")).unwrap())
}

#[test]
fn tokens_from_openssl_verify_and_ours_verify_in_openssl() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let tsa = Responder::start(&pki, "tsa.cnf", 0);
    for hash in [ImprintHash::Sha256, ImprintHash::Sm3] {
        let req = Request::new(&ROOT, hash).unwrap();
        let resp = Http::default().send(&tsa.url, &req.der).unwrap();
        let v = verify_response(&resp, &expect(&req), &roots(&pki, "ca.pem")).unwrap();
        assert_eq!(v.tsa_subject, "CN=cunzheng Test TSA");
        assert_eq!(v.root_subject, "CN=cunzheng Test Root CA");
        assert_eq!(v.ess, "signingCertificateV2");
        assert_eq!(v.accuracy.as_deref(), Some("1s"));
        assert_eq!(v.policy, "1.2.3.4.1");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(v.gen_time_unix.abs_diff(now) < 120, "{v:?}");
        assert!(v.gen_time.ends_with('Z'));

        // The same bytes verify in openssl, by query file and (SHA-256) by the root in hex.
        std::fs::write(dir.path().join("ours.tsq"), &req.der).unwrap();
        std::fs::write(dir.path().join("ours.tsr"), &resp).unwrap();
        let out = openssl(
            dir.path(),
            &[
                "ts",
                "-verify",
                "-queryfile",
                "ours.tsq",
                "-in",
                "ours.tsr",
                "-CAfile",
                "ca.pem",
            ],
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("Verification: OK"));
        if hash == ImprintHash::Sha256 {
            let out = openssl(
                dir.path(),
                &[
                    "ts",
                    "-verify",
                    "-digest",
                    &hex::encode(ROOT),
                    "-in",
                    "ours.tsr",
                    "-CAfile",
                    "ca.pem",
                ],
            );
            assert!(String::from_utf8_lossy(&out.stdout).contains("Verification: OK"));
        }
    }
    assert_eq!(tsa.requests.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[test]
fn rsa_pkcs1_pss_and_ess_v1_tokens_verify() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let ca = roots(&pki, "ca.pem");
    let req = Request::new(&ROOT, ImprintHash::Sha256).unwrap();
    let rsa = pki.reply("rsa.cnf", &req.der);
    let v = verify_response(&rsa, &expect(&req), &ca).unwrap();
    assert_eq!(v.tsa_subject, "CN=cunzheng Test RSA TSA");
    let ess1 = pki.reply("ess1.cnf", &req.der);
    assert_eq!(
        verify_response(&ess1, &expect(&req), &ca).unwrap().ess,
        "signingCertificate"
    );
    let pss = resign(
        &pki,
        &rsa,
        "rsa-tsa.pem",
        "rsa-tsa.key",
        &["-keyopt", "rsa_padding_mode:pss"],
    );
    let v = verify_response(&pss, &expect(&req), &ca).unwrap();
    assert_eq!(v.tsa_subject, "CN=cunzheng Test RSA TSA");
    // openssl's `ts -verify` goes through PKCS#7, which has no PSS; its CMS code checks it.
    openssl(
        dir.path(),
        &[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            "resigned.der",
            "-CAfile",
            "ca.pem",
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
    );
    let mut bad = pss.clone();
    let n = bad.len();
    bad[n - 2] ^= 0x40;
    let e = verify_response(&bad, &expect(&req), &ca).unwrap_err();
    assert_eq!(
        e,
        TspError::BadSignature {
            what: "the token".into()
        }
    );
}

#[test]
fn bad_tokens_are_rejected_with_their_reason() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(dir.path());
    let ca = roots(&pki, "ca.pem");
    let req = Request::new(&ROOT, ImprintHash::Sha256).unwrap();
    let good = pki.reply("tsa.cnf", &req.der);
    verify_response(&good, &expect(&req), &ca).unwrap();

    // A token over another root.
    let other = Request::new(&[1u8; 32], ImprintHash::Sha256).unwrap();
    let resp = pki.reply("tsa.cnf", &other.der);
    let e = verify_response(&resp, &expect(&req), &ca).unwrap_err();
    assert!(matches!(e, TspError::ImprintMismatch { .. }), "{e}");
    assert!(e.to_string().contains(&hex::encode(ROOT)));

    // The right root, but answering another request (wrong nonce).
    let replay = Request::new(&ROOT, ImprintHash::Sha256).unwrap();
    let resp = pki.reply("tsa.cnf", &replay.der);
    let e = verify_response(&resp, &expect(&req), &ca).unwrap_err();
    assert!(matches!(e, TspError::NonceMismatch { .. }), "{e}");

    // An expired TSA certificate.
    let resp = pki.reply("expired.cnf", &req.der);
    let e = verify_response(&resp, &expect(&req), &ca).unwrap_err();
    assert!(matches!(e, TspError::OutsideValidity { .. }), "{e}");
    assert!(e.to_string().contains("2021"), "{e}");

    // A certificate without the timeStamping EKU (signature and ESS are otherwise valid).
    let resp = resign(&pki, &good, "noeku.pem", "tsa.key", &[]);
    let e = verify_response(&resp, &expect(&req), &ca).unwrap_err();
    assert!(
        matches!(&e, TspError::NotTimeStampingCert { reason, .. } if reason.contains("no extendedKeyUsage")),
        "{e}"
    );
    // ... and the same re-signing with the real TSA certificate passes, so the EKU is the reason.
    let ok = resign(&pki, &good, "tsa.pem", "tsa.key", &[]);
    verify_response(&ok, &expect(&req), &ca).unwrap();

    // A modified signature: the last bytes of the DER are the ECDSA signature's s.
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 3] ^= 0x01;
    let e = verify_response(&bad, &expect(&req), &ca).unwrap_err();
    assert_eq!(
        e,
        TspError::BadSignature {
            what: "the token".into()
        }
    );

    // A modified TSTInfo (the serial number byte): its digest no longer matches.
    let tst_at = good
        .windows(4)
        .position(|w| w == [0x06, 0x04, 0x2a, 0x03])
        .unwrap(); // policy 1.2.3.4.1
    let mut bad = good.clone();
    bad[tst_at + 3] = 0x04;
    let e = verify_response(&bad, &expect(&req), &ca).unwrap_err();
    assert!(
        matches!(
            e,
            TspError::SignedAttribute {
                attribute: "message-digest",
                ..
            }
        ),
        "{e}"
    );

    // A root the TSA does not chain to (same name, other key).
    let e = verify_response(&good, &expect(&req), &roots(&pki, "other-ca.pem")).unwrap_err();
    assert!(
        matches!(e, TspError::BadSignature { ref what } if what.starts_with("certificate")),
        "{e}"
    );
    // No root configured: everything but the chain was checked, and that is said.
    let e = verify_response(&good, &expect(&req), &TrustRoots::none()).unwrap_err();
    assert_eq!(e, TspError::NoTrustRoots);

    // A TSA that refuses the request (SHA-1 is not in its accepted digests).
    std::fs::write(dir.path().join("d"), b"x").unwrap();
    openssl(
        dir.path(),
        &[
            "ts", "-query", "-data", "d", "-sha1", "-cert", "-out", "sha1.tsq",
        ],
    );
    let resp = pki.reply(
        "tsa.cnf",
        &std::fs::read(dir.path().join("sha1.tsq")).unwrap(),
    );
    let e = verify_response(&resp, &expect(&req), &ca).unwrap_err();
    assert!(matches!(e, TspError::NotGranted { .. }), "{e}");

    // Garbage and truncations never panic and say where.
    for cut in [0, 1, 10, good.len() / 2, good.len() - 1] {
        let e = verify_response(&good[..cut], &expect(&req), &ca).unwrap_err();
        assert!(matches!(e, TspError::Malformed { .. }), "{e}");
    }
}

#[test]
fn unreachable_tsa_is_a_transport_error() {
    let port = tsa::free_port();
    let e = Http::default()
        .send(&format!("http://127.0.0.1:{port}/"), b"x")
        .unwrap_err();
    assert!(
        matches!(
            e,
            cunzheng_anchor::error::TransportError::Unreachable { .. }
        ),
        "{e}"
    );
}

/// Stored tokens verify offline forever: validity is checked at genTime, not now.
#[test]
fn stored_fixtures_verify_without_openssl() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/tsa");
    let read = |n: &str| std::fs::read(data.join(n)).unwrap();
    let ca = TrustRoots::from_pem("test-root-ca.pem", &read("test-root-ca.pem")).unwrap();
    let req = Request::parse(&read("openssl-p256.tsq")).unwrap();
    assert_eq!(
        hex::encode(&req.imprint),
        "5dc9da795b0659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    );
    let v = verify_response(&read("openssl-p256.tsr"), &expect(&req), &ca).unwrap();
    assert_eq!(v.tsa_subject, "CN=Test TSA");
    assert!(v.gen_time.starts_with("2026-12-05T"), "{}", v.gen_time);
    let e =
        verify_response(&read("openssl-p256-expired-cert.tsr"), &expect(&req), &ca).unwrap_err();
    assert!(matches!(e, TspError::OutsideValidity { .. }), "{e}");
}

/// Real tokens from public TSAs (2018), published in github/ietf-cms's tests (see
/// tests/data/tsa/NOTE.md). All stamp SHA-256("hello\n") without a nonce.
#[test]
fn public_tsa_tokens() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/tsa");
    let read = |n: &str| std::fs::read(data.join(n)).unwrap();
    let imprint =
        hex::decode("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03").unwrap();
    let exp = Expected {
        hash: ImprintHash::Sha256,
        imprint: &imprint,
        nonce: None,
    };
    // DigiCert: RSA PKCS#1 v1.5, ESS signingCertificate (SHA-1), chain to DigiCert Assured ID
    // Root CA through the DigiCert SHA2 Assured ID Timestamping CA in the token.
    let root = TrustRoots::from_pem("digicert", &read("digicert-assured-id-root-ca.pem")).unwrap();
    let v = verify_response(&read("digicert-2018.tsr"), &exp, &root).unwrap();
    assert_eq!(v.gen_time, "2018-05-09T18:48:18Z");
    assert!(
        v.tsa_subject.contains("DigiCert SHA2 Timestamp Responder"),
        "{v:?}"
    );
    assert!(
        v.root_subject.contains("DigiCert Assured ID Root CA"),
        "{v:?}"
    );
    assert_eq!(v.ess, "signingCertificate");
    assert_eq!(v.policy, "2.16.840.1.114412.7.1");
    let other = [0u8; 32];
    let e = verify_response(
        &read("digicert-2018.tsr"),
        &Expected {
            imprint: &other,
            ..exp
        },
        &root,
    )
    .unwrap_err();
    assert!(matches!(e, TspError::ImprintMismatch { .. }), "{e}");
    // Our own test root is not DigiCert's.
    let ours = TrustRoots::from_pem("ours", &read("test-root-ca.pem")).unwrap();
    let e = verify_response(&read("digicert-2018.tsr"), &exp, &ours).unwrap_err();
    assert!(matches!(e, TspError::ChainIncomplete { .. }), "{e}");

    // Symantec: ESS signingCertificateV2, accuracy 30 s; its VeriSign root is not shipped, so
    // everything but the chain is checked, and the chain is reported as not reaching a root.
    let sym = read("symantec-2018.tsr");
    let v = cunzheng_anchor::tsp::verify_response_without_chain(&sym, &exp).unwrap();
    assert_eq!(v.gen_time, "2018-05-09T18:25:22Z");
    assert_eq!(v.accuracy.as_deref(), Some("30s"));
    assert_eq!(v.ess, "signingCertificateV2");
    assert!(
        v.tsa_subject
            .contains("Symantec SHA256 TimeStamping Signer - G3"),
        "{v:?}"
    );
    let e = verify_response(&sym, &exp, &root).unwrap_err();
    assert!(
        matches!(e, TspError::ChainIncomplete { ref issuer, .. } if issuer.contains("VeriSign")),
        "{e}"
    );

    // Comodo and GlobalSign answered a request without certReq: no certificate to check.
    for f in ["comodo-2018-nocerts.tsr", "globalsign-2018-nocerts.tsr"] {
        let e = verify_response(&read(f), &exp, &root).unwrap_err();
        assert_eq!(e, TspError::SignerCertNotFound, "{f}");
    }
}

/// Every single-byte change and many truncations of real tokens: never a panic, never a
/// token that still verifies with a changed byte inside the signed parts.
#[test]
fn mutated_tokens_never_panic() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/tsa");
    let read = |n: &str| std::fs::read(data.join(n)).unwrap();
    let ca = TrustRoots::from_pem("t", &read("test-root-ca.pem")).unwrap();
    let req = Request::parse(&read("openssl-p256.tsq")).unwrap();
    let good = read("openssl-p256.tsr");
    let mut accepted = Vec::new();
    for i in 0..good.len() {
        let mut m = good.clone();
        m[i] ^= 0xff;
        if verify_response(&m, &expect(&req), &ca).is_ok() {
            accepted.push(i);
        }
        cunzheng_anchor::internal::fuzzing::time_stamp_response(&m);
        if i % 7 == 0 {
            cunzheng_anchor::internal::fuzzing::time_stamp_response(&good[..i]);
        }
    }
    // Bytes that may change without effect are outside what is signed: SignedData's version
    // and digestAlgorithms (informational), the second copy of the TSA certificate (openssl
    // sends it twice; spoiling the first copy makes the second one used), and the NULL
    // parameters of the signer's SHA-256 AlgorithmIdentifier. Nothing in the encapsulated
    // TSTInfo (offsets 52..169 of this file) nor in the signed attributes and signature
    // (1092..) may change.
    assert!(
        accepted
            .iter()
            .all(|&i| !(52..169).contains(&i) && i < 1092),
        "{accepted:?}"
    );
    for f in [
        "digicert-2018.tsr",
        "symantec-2018.tsr",
        "comodo-2018-nocerts.tsr",
    ] {
        let t = read(f);
        for i in (0..t.len()).step_by(3) {
            let mut m = t.clone();
            m[i] = m[i].wrapping_add(1);
            cunzheng_anchor::internal::fuzzing::time_stamp_response(&m);
        }
    }
}
