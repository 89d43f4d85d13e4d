//! An in-process log server on 127.0.0.1:0 for the tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use cunzheng_tlog::log::Log;
use cunzheng_tlog::note::{NoteSigner, TYPE_ED25519};
use std::net::SocketAddr;
use std::path::Path;

pub struct Server {
    pub addr: SocketAddr,
    pub url: String,
    pub vkey: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// A log with the key made from `seed`, named `origin`, over the database `db`.
    pub fn start(db: &Path, origin: &str, seed: u8) -> Self {
        let signer = NoteSigner::new(
            origin,
            TYPE_ED25519,
            ed25519_dalek::SigningKey::from_bytes(&[seed; 32]),
        )
        .unwrap();
        let vkey = signer.verifier().to_vkey();
        let db = db.to_owned();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let log = Log::open(&db, signer).unwrap();
                let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(l.local_addr().unwrap()).unwrap();
                cunzheng_tlog::server::serve(l, cunzheng_tlog::server::router(log), async {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap();
            });
        });
        let addr = addr_rx.recv().unwrap();
        Self {
            addr,
            url: format!("http://{addr}"),
            vkey,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A raw HTTP agent that reports every status instead of failing.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}
