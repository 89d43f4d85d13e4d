//! A real RFC 3161 TSA for tests: a throwaway PKI made with `openssl`, and a tiny HTTP
//! responder on 127.0.0.1 that answers each POST with `openssl ts -reply`.
//! Shared with the CLI's integration tests (included there by `#[path]`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Whether openssl is here; in CI a missing openssl fails instead of skipping.
pub fn have_openssl() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var("CI").is_err(), "openssl is required in CI");
        eprintln!("SKIP: openssl not available");
    }
    ok
}

/// Runs openssl in `dir`, panicking with its stderr on failure.
pub fn openssl(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A test PKI in `dir`: `ca.pem` (root), `tsa.pem` (critical timeStamping EKU), `expired.pem`
/// (same key, valid only in 2020), `noeku.pem` (same key, no EKU), `other-ca.pem` (an unrelated
/// root), `rsa-tsa.pem` (RSA 2048 TSA), all signed by `ca.pem`.
pub struct Pki {
    pub dir: PathBuf,
}

const TSA_EXT: &str = "basicConstraints=CA:false\nextendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n";

impl Pki {
    pub fn new(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let o = |args: &[&str]| openssl(dir, args);
        o(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "ca.key",
        ]);
        o(&[
            "req",
            "-new",
            "-x509",
            "-key",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "3650",
            "-subj",
            "/CN=cunzheng Test Root CA",
            "-addext",
            "basicConstraints=critical,CA:true",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        o(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "other-ca.key",
        ]);
        o(&[
            "req",
            "-new",
            "-x509",
            "-key",
            "other-ca.key",
            "-out",
            "other-ca.pem",
            "-days",
            "3650",
            "-subj",
            "/CN=cunzheng Test Root CA",
            "-addext",
            "basicConstraints=critical,CA:true",
        ]);
        o(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "tsa.key",
        ]);
        o(&[
            "req",
            "-new",
            "-key",
            "tsa.key",
            "-out",
            "tsa.csr",
            "-subj",
            "/CN=cunzheng Test TSA",
        ]);
        std::fs::write(dir.join("tsa.ext"), TSA_EXT).unwrap();
        std::fs::write(
            dir.join("noeku.ext"),
            "basicConstraints=CA:false\nkeyUsage=critical,digitalSignature\n",
        )
        .unwrap();
        o(&[
            "x509",
            "-req",
            "-in",
            "tsa.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "tsa.pem",
            "-days",
            "365",
            "-extfile",
            "tsa.ext",
        ]);
        o(&[
            "x509",
            "-req",
            "-in",
            "tsa.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "noeku.pem",
            "-days",
            "365",
            "-extfile",
            "noeku.ext",
        ]);
        // An expired certificate needs explicit dates, which only `openssl ca` takes in 3.0.
        std::fs::create_dir_all(dir.join("ca-db")).unwrap();
        std::fs::write(dir.join("ca-db/index.txt"), "").unwrap();
        std::fs::write(dir.join("ca-db/serial"), "1000\n").unwrap();
        std::fs::write(
            dir.join("ca.cnf"),
            "[ca]\ndefault_ca = test\n[test]\ndatabase = ./ca-db/index.txt\nserial = ./ca-db/serial\nnew_certs_dir = ./ca-db\ndefault_md = sha256\npolicy = pol\nunique_subject = no\n[pol]\ncommonName = supplied\n",
        )
        .unwrap();
        o(&[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-cert",
            "ca.pem",
            "-keyfile",
            "ca.key",
            "-in",
            "tsa.csr",
            "-out",
            "expired.pem",
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20210101000000Z",
            "-extfile",
            "tsa.ext",
        ]);
        o(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "rsa-tsa.key",
        ]);
        o(&[
            "req",
            "-new",
            "-key",
            "rsa-tsa.key",
            "-out",
            "rsa-tsa.csr",
            "-subj",
            "/CN=cunzheng Test RSA TSA",
        ]);
        o(&[
            "x509",
            "-req",
            "-in",
            "rsa-tsa.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "rsa-tsa.pem",
            "-days",
            "365",
            "-extfile",
            "tsa.ext",
        ]);
        let pki = Self {
            dir: dir.to_owned(),
        };
        pki.config("tsa.cnf", "tsa.pem", "tsa.key", "sha256");
        pki.config("expired.cnf", "expired.pem", "tsa.key", "sha256");
        pki.config("rsa.cnf", "rsa-tsa.pem", "rsa-tsa.key", "sha256");
        pki.config("ess1.cnf", "tsa.pem", "tsa.key", "sha1");
        pki
    }

    /// Writes an `openssl ts` config signing with `cert`/`key`, ESS cert id hash `ess`.
    pub fn config(&self, name: &str, cert: &str, key: &str, ess: &str) {
        std::fs::write(self.dir.join(format!("{name}.serial")), "01\n").unwrap();
        std::fs::write(
            self.dir.join(name),
            format!(
                "[tsa]\ndefault_tsa = t\n[t]\nserial = ./{name}.serial\nsigner_cert = ./{cert}\nsigner_key = ./{key}\ncerts = ./{cert}\n\
                 signer_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256, sm3\naccuracy = secs:1\n\
                 ess_cert_id_alg = {ess}\ness_cert_id_chain = no\n"
            ),
        )
        .unwrap();
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `openssl ts -reply` for a DER request with config `cnf`; the response bytes.
    pub fn reply(&self, cnf: &str, tsq: &[u8]) -> Vec<u8> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let q = self.dir.join(format!("q{}-{n}.tsq", std::process::id()));
        let r = self.dir.join(format!("r{}-{n}.tsr", std::process::id()));
        std::fs::write(&q, tsq).unwrap();
        openssl(
            &self.dir,
            &[
                "ts",
                "-reply",
                "-config",
                cnf,
                "-queryfile",
                q.to_str().unwrap(),
                "-out",
                r.to_str().unwrap(),
            ],
        );
        std::fs::read(&r).unwrap()
    }
}

/// The HTTP responder. Stops when dropped.
pub struct Responder {
    pub url: String,
    pub port: u16,
    pub requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Responder {
    /// Serves `cnf` of `pki` on 127.0.0.1 (`port` 0 for any free port).
    pub fn start(pki: &Pki, cnf: &str, port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind responder");
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let (s, r) = (stop.clone(), requests.clone());
        let pki = Pki {
            dir: pki.dir.clone(),
        };
        let cnf = cnf.to_owned();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(c) = conn {
                    r.fetch_add(1, Ordering::SeqCst);
                    let _ = serve(&pki, &cnf, c);
                }
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}/tsa"),
            port,
            requests,
            stop,
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(pki: &Pki, cnf: &str, stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut len = 0usize;
    let mut first = String::new();
    reader.read_line(&mut first)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; len.min(1 << 16)];
    reader.read_exact(&mut body)?;
    let resp = pki.reply(cnf, &body);
    let mut w = stream;
    write!(
        w,
        "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        resp.len()
    )?;
    w.write_all(&resp)?;
    w.flush()
}

/// A port with nothing listening (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Wraps a bare token (CMS ContentInfo DER) into a granted TimeStampResp.
pub fn granted(token: &[u8]) -> Vec<u8> {
    let mut inner = vec![0x30, 0x03, 0x02, 0x01, 0x00];
    inner.extend_from_slice(token);
    let mut out = vec![0x30];
    let n = inner.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(&inner);
    out
}
