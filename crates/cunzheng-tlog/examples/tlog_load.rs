//! Load test of the transparency log over loopback HTTP (run by `bench/tlog.sh`):
//! N appends from C concurrent clients against an in-process server (or `--url`), then
//! appends/s, p50/p99 latency, and proof sizes at several tree sizes.
//!
//!   cargo run --release -p cunzheng-tlog --example tlog_load -- \
//!       [--entries 1000000] [--clients 16] [--seconds 600] [--db PATH] [--url URL]
//!
//! Stops at `--entries` or after `--seconds`, whichever comes first, and says which.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use cunzheng_tlog::checkpoint::SignedCheckpoint;
use cunzheng_tlog::client::Client;
use cunzheng_tlog::log::Log;
use cunzheng_tlog::note::{NoteSigner, TYPE_ED25519};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let entries: u64 = arg(&args, "--entries").map_or(1_000_000, |v| v.parse().unwrap());
    let clients: usize = arg(&args, "--clients").map_or(16, |v| v.parse().unwrap());
    let seconds: u64 = arg(&args, "--seconds").map_or(600, |v| v.parse().unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let db = arg(&args, "--db").map_or_else(|| tmp.path().join("load.db"), Into::into);

    // The server: in-process on 127.0.0.1:0 unless --url is given.
    let (url, _server) = match arg(&args, "--url") {
        Some(u) => (u, None),
        None => {
            let signer = NoteSigner::new(
                "load.test/log",
                TYPE_ED25519,
                ed25519_dalek::SigningKey::from_bytes(&[5; 32]),
            )
            .unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            let db2 = db.clone();
            let t = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let log = Log::open(&db2, signer).unwrap();
                    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                    tx.send(l.local_addr().unwrap()).unwrap();
                    cunzheng_tlog::server::serve(
                        l,
                        cunzheng_tlog::server::router(log),
                        std::future::pending(),
                    )
                    .await
                    .unwrap();
                });
            });
            (format!("http://{}", rx.recv().unwrap()), Some(t))
        }
    };
    println!(
        "log: {url}  db: {}  clients: {clients}  target: {entries} entries or {seconds} s",
        db.display()
    );

    let start_size = SignedCheckpoint::parse(&Client::new(&url).checkpoint().unwrap())
        .unwrap()
        .checkpoint
        .size;
    let next = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (next, stop, url) = (next.clone(), stop.clone(), url.clone());
            std::thread::spawn(move || {
                let client = Client::new(&url);
                let mut lat = Vec::new();
                let mut proof_lens = Vec::new();
                loop {
                    if stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= entries {
                        break;
                    }
                    let mut h = Sha256::new();
                    h.update(start_size.to_be_bytes());
                    h.update(i.to_be_bytes());
                    let root = h.finalize();
                    let t = Instant::now();
                    let r = client.add_entry(&root).expect("append");
                    lat.push(t.elapsed().as_micros() as u64);
                    if i % 997 == 0 {
                        proof_lens.push((r.index, r.inclusion_proof.len()));
                    }
                    if i % 100_000 == 0 && i > 0 {
                        eprintln!("  {i} appended, {:.0} s", started.elapsed().as_secs_f64());
                    }
                }
                (lat, proof_lens)
            })
        })
        .collect();
    let mut lat = Vec::new();
    for w in workers {
        let (l, _) = w.join().unwrap();
        lat.extend(l);
    }
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    let n = lat.len();
    let pct = |p: f64| {
        lat.get(((n as f64 * p) as usize).min(n.saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    let reason = if n as u64 >= entries {
        "reached the target"
    } else {
        "stopped by the time limit"
    };
    println!("appended {n} entries in {elapsed:.1} s ({reason})");
    println!(
        "throughput: {:.0} appends/s with {clients} clients",
        n as f64 / elapsed
    );
    println!(
        "latency: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.50) as f64 / 1000.0,
        pct(0.90) as f64 / 1000.0,
        pct(0.99) as f64 / 1000.0,
        lat.last().copied().unwrap_or(0) as f64 / 1000.0
    );

    // Proof sizes at several tree sizes: inclusion of leaf 0 (and the middle leaf), and
    // consistency from n/2+1 to n; ceil(log2 n) for comparison.
    let client = Client::new(&url);
    let total = SignedCheckpoint::parse(&client.checkpoint().unwrap())
        .unwrap()
        .checkpoint
        .size;
    println!("tree size now {total}");
    println!(
        "{:>10} {:>12} {:>14} {:>12} {:>16}",
        "n", "ceil(log2 n)", "incl(leaf 0)", "incl(n/2)", "consist(n/2+1,n)"
    );
    let mut sizes: Vec<u64> = vec![10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000]
        .into_iter()
        .filter(|&s| s <= total)
        .collect();
    sizes.push(total);
    sizes.dedup();
    for s in sizes {
        let t = Instant::now();
        let a = client.inclusion(0, s).unwrap().proof.len();
        let b = client.inclusion(s / 2, s).unwrap().proof.len();
        let c = if s >= 2 {
            client.consistency(s / 2 + 1, s).unwrap().len()
        } else {
            0
        };
        let ms = t.elapsed().as_secs_f64() * 1000.0 / 3.0;
        println!(
            "{s:>10} {:>12} {a:>14} {b:>12} {c:>16}   ({ms:.2} ms per proof request)",
            64 - (s - 1).leading_zeros()
        );
    }
    if let Ok(meta) = std::fs::metadata(&db) {
        println!("database: {:.1} MB (+ WAL)", meta.len() as f64 / 1e6);
    }
}
