//! SM2 signatures checked by an independent implementation: OpenSSL 3.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cunzheng_seal::sm2key::{DISTID, Sm2PublicKey, Sm2Signer};
use std::process::Command;

fn openssl(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl")
}

#[test]
fn openssl_verifies_ours_and_we_verify_openssls() {
    if !Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        assert!(std::env::var("CI").is_err(), "openssl is required in CI");
        eprintln!("SKIP: openssl not available");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let msg = "cunzheng seal statement v2\ncase-id: 案件-001\n".as_bytes();
    std::fs::write(d.join("msg"), msg).unwrap();
    let signer = Sm2Signer::generate();
    std::fs::write(d.join("pub.pem"), signer.public_key().to_pem()).unwrap();
    std::fs::write(d.join("sig.der"), signer.sign(msg)).unwrap();
    let distid = format!("distid:{DISTID}");
    let verify = |sig: &str| {
        openssl(
            d,
            &[
                "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "msg",
                "-sigfile", sig, "-digest", "sm3", "-pkeyopt", &distid,
            ],
        )
    };
    let out = verify("sig.der");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Signature Verified Successfully"));
    // A changed message fails in openssl too.
    std::fs::write(d.join("msg"), b"other").unwrap();
    assert!(!verify("sig.der").status.success());
    std::fs::write(d.join("msg"), msg).unwrap();

    // OpenSSL signs with our private key (PKCS#8), and we verify.
    std::fs::write(d.join("key.pem"), signer.to_pkcs8_pem().unwrap()).unwrap();
    let out = openssl(
        d,
        &[
            "pkeyutl", "-sign", "-inkey", "key.pem", "-rawin", "-in", "msg", "-digest", "sm3",
            "-pkeyopt", &distid, "-out", "osig.der",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let osig = std::fs::read(d.join("osig.der")).unwrap();
    signer.public_key().verify(msg, &osig).unwrap();

    // A key made by OpenSSL is read and checked too.
    let out = openssl(d, &["genpkey", "-algorithm", "SM2", "-out", "okey.pem"]);
    assert!(out.status.success());
    openssl(
        d,
        &["pkey", "-in", "okey.pem", "-pubout", "-out", "opub.pem"],
    );
    let out = openssl(
        d,
        &[
            "pkeyutl",
            "-sign",
            "-inkey",
            "okey.pem",
            "-rawin",
            "-in",
            "msg",
            "-digest",
            "sm3",
            "-pkeyopt",
            &distid,
            "-out",
            "osig2.der",
        ],
    );
    assert!(out.status.success());
    let opub =
        Sm2PublicKey::from_pem(&std::fs::read_to_string(d.join("opub.pem")).unwrap()).unwrap();
    opub.verify(msg, &std::fs::read(d.join("osig2.der")).unwrap())
        .unwrap();
    let okey = Sm2Signer::from_pkcs8_pem(
        &std::fs::read_to_string(d.join("okey.pem")).unwrap(),
        "okey",
    )
    .unwrap();
    assert_eq!(okey.public_key(), opub);
}
