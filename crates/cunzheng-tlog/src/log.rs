//! The log: one writer thread owns the database and sequences entries in batches (group
//! commit); readers answer proof requests from a pool of read connections.
//!
//! An entry is acknowledged only after the transaction that stores it, its tree nodes and the
//! checkpoint that includes it has committed (fsync'd, see [`crate::store`]). Each batch signs
//! one checkpoint; every checkpoint ever handed out is stored, so a restarted log continues from
//! a tree that contains all of them and can never sign a fork of its own history.

use crate::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::error::{Error, Result};
use crate::layout::NodeId;
use crate::note::NoteSigner;
pub use crate::receipt::set_message;
use crate::store::{self, Nodes, ReaderPool};
use crate::tree::{self, Frontier, TreeError};
use cunzheng_seal::merkle::{self, Hash};
use rusqlite::{Connection, TransactionBehavior, params};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tokio::sync::{mpsc, oneshot};

/// Largest entry accepted, in bytes (a seal root is 32; small opaque blobs fit).
pub const MAX_ENTRY_BYTES: usize = 1024;
/// Most entries sequenced in one transaction.
pub const MAX_BATCH: usize = 4096;
/// Requests that may wait for the writer before submitters are made to wait.
const QUEUE: usize = 16 * 1024;

/// What an append returns once durable.
#[derive(Debug, Clone)]
pub struct Appended {
    /// Leaf index.
    pub index: u64,
    /// Leaf hash.
    pub leaf: Hash,
    /// When the log sequenced the entry (ms since the epoch; for a duplicate, the first time).
    pub time_ms: u64,
    /// The entry was already in the log; index and time are the first submission's.
    pub duplicate: bool,
    /// A signed checkpoint whose tree includes the entry.
    pub checkpoint: Arc<SignedCheckpoint>,
}

struct Job {
    data: Vec<u8>,
    reply: oneshot::Sender<Result<Appended>>,
}

struct Shared {
    path: PathBuf,
    signer: Arc<NoteSigner>,
    latest: RwLock<Arc<SignedCheckpoint>>,
    readers: ReaderPool,
}

/// A running log. Cheap to clone; the writer thread stops when the last clone is dropped.
#[derive(Clone)]
pub struct Log {
    shared: Arc<Shared>,
    tx: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Log({})", self.shared.path.display())
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn tree_err(e: TreeError<Error>) -> Error {
    match e {
        TreeError::Range(r) => Error::InvalidRequest(r),
        TreeError::Source(e) => e,
    }
}

impl Log {
    /// Opens or creates the log at `db` signed by `signer` (whose key name is the origin),
    /// and starts its writer thread.
    pub fn open(db: &Path, signer: NoteSigner) -> Result<Self> {
        let conn = store::open(db)?;
        let origin = signer.verifier().name.clone();
        store::claim(&conn, db, "layout_version", store::LAYOUT_VERSION)?;
        store::claim(&conn, db, "origin", &origin)?;
        store::claim(&conn, db, "log_key", &signer.verifier().to_vkey())?;
        let size = store::size(&conn)?;
        let frontier = Frontier::load(&mut Nodes(&conn), size).map_err(tree_err)?;
        let corrupt = |reason: String| Error::Corrupt {
            path: db.to_owned(),
            reason,
        };
        let signer = Arc::new(signer);
        let latest = match store::latest_checkpoint(&conn)? {
            Some((cp_size, note)) => {
                let cp = SignedCheckpoint::parse_verified(note.as_bytes(), signer.verifier())?;
                if cp_size != size
                    || cp.checkpoint.size != size
                    || cp.checkpoint.root != frontier.root()
                {
                    return Err(corrupt(format!(
                        "latest checkpoint (size {cp_size}) does not match the {size} stored entries"
                    )));
                }
                cp
            }
            None if size == 0 => {
                let cp = Checkpoint {
                    origin: origin.clone(),
                    size: 0,
                    root: merkle::root(&[]),
                    extensions: vec![],
                }
                .sign(&signer);
                conn.execute(
                    "INSERT INTO checkpoints(size, root, time_ms, note) VALUES (0, ?1, ?2, ?3)",
                    params![&cp.checkpoint.root[..], now_ms() as i64, cp.to_text()],
                )
                .map_err(Error::sql("store first checkpoint"))?;
                cp
            }
            None => return Err(corrupt(format!("{size} entries but no checkpoint"))),
        };
        let last_time = store::last_time(&conn)?;
        let shared = Arc::new(Shared {
            path: db.to_owned(),
            signer: Arc::clone(&signer),
            latest: RwLock::new(Arc::new(latest)),
            readers: ReaderPool::new(db),
        });
        let (tx, rx) = mpsc::channel(QUEUE);
        let mut writer = Writer {
            conn,
            frontier,
            signer,
            origin,
            last_time,
            shared: Arc::clone(&shared),
        };
        std::thread::Builder::new()
            .name("tlog-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|source| Error::Io {
                path: db.to_owned(),
                source,
            })?;
        Ok(Self { shared, tx })
    }

    /// Appends `data` and waits until it is durable.
    pub async fn append(&self, data: Vec<u8>) -> Result<Appended> {
        if data.is_empty() || data.len() > MAX_ENTRY_BYTES {
            return Err(Error::InvalidRequest(format!(
                "entry is {} bytes; entries are 1 to {MAX_ENTRY_BYTES} bytes",
                data.len()
            )));
        }
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job { data, reply })
            .await
            .map_err(|_| Error::Stopped)?;
        rx.await.map_err(|_| Error::Stopped)?
    }

    /// The log's signer (its public half names the log).
    pub fn signer(&self) -> &NoteSigner {
        &self.shared.signer
    }

    /// The latest signed checkpoint.
    pub fn latest(&self) -> Arc<SignedCheckpoint> {
        match self.shared.latest.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// Runs `f` on a read connection (blocking: call from a blocking context).
    pub fn read<R>(&self, f: impl FnOnce(&Connection) -> Result<R>) -> Result<R> {
        self.shared.readers.with(f)
    }

    /// The audit path of leaf `index` in the tree of `size` leaves (blocking).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>> {
        self.check_size(size)?;
        self.read(|c| tree::inclusion_proof(&mut Nodes(c), index, size).map_err(tree_err))
    }

    /// The consistency proof between two sizes (blocking).
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>> {
        self.check_size(new)?;
        self.read(|c| tree::consistency_proof(&mut Nodes(c), old, new).map_err(tree_err))
    }

    /// The entry with this leaf hash (blocking).
    pub fn entry_by_leaf(&self, leaf: &Hash) -> Result<Option<store::Entry>> {
        self.read(|c| store::entry_by_leaf(c, leaf))
    }

    /// The entry at `index` (blocking).
    pub fn entry_at(&self, index: u64) -> Result<Option<store::Entry>> {
        self.read(|c| store::entry_at(c, index))
    }

    fn check_size(&self, size: u64) -> Result<()> {
        let have = self.latest().checkpoint.size;
        if size > have {
            return Err(Error::NotFound(format!(
                "tree size {size} is larger than the log ({have})"
            )));
        }
        Ok(())
    }
}

struct Writer {
    conn: Connection,
    frontier: Frontier,
    signer: Arc<NoteSigner>,
    origin: String,
    last_time: u64,
    shared: Arc<Shared>,
}

/// Result of sequencing one job inside a batch.
type Slot = (u64, Hash, u64, bool);

impl Writer {
    fn run(&mut self, mut rx: mpsc::Receiver<Job>) {
        while let Some(first) = rx.blocking_recv() {
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            match self.commit(&jobs) {
                Ok((slots, cp)) => {
                    for (job, (index, leaf, time_ms, duplicate)) in jobs.into_iter().zip(slots) {
                        let _ = job.reply.send(Ok(Appended {
                            index,
                            leaf,
                            time_ms,
                            duplicate,
                            checkpoint: Arc::clone(&cp),
                        }));
                    }
                }
                Err(e) => {
                    let msg = e.to_string();
                    // Whatever happened, the in-memory tree must match the database again.
                    let reload = store::size(&self.conn)
                        .and_then(|n| Frontier::load(&mut Nodes(&self.conn), n).map_err(tree_err));
                    for job in jobs {
                        let _ = job.reply.send(Err(Error::Corrupt {
                            path: self.shared.path.clone(),
                            reason: format!("append failed, nothing acknowledged: {msg}"),
                        }));
                    }
                    match reload {
                        Ok(f) => self.frontier = f,
                        // Cannot trust our state: stop taking appends.
                        Err(_) => return,
                    }
                }
            }
        }
    }

    fn commit(&mut self, jobs: &[Job]) -> Result<(Vec<Slot>, Arc<SignedCheckpoint>)> {
        let now = now_ms().max(self.last_time);
        let mut frontier = self.frontier.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(Error::sql("begin"))?;
        let mut seen: HashMap<Hash, (u64, u64)> = HashMap::new();
        let mut slots = Vec::with_capacity(jobs.len());
        let mut nodes: Vec<(NodeId, Hash)> = Vec::new();
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO entries(idx, leaf, data, time_ms) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(Error::sql("prepare insert entry"))?;
            let mut insert_node = tx
                .prepare_cached("INSERT INTO nodes(level, idx, hash) VALUES (?1, ?2, ?3)")
                .map_err(Error::sql("prepare insert node"))?;
            for job in jobs {
                let leaf = merkle::leaf_hash(&job.data);
                if let Some(&(index, t)) = seen.get(&leaf) {
                    slots.push((index, leaf, t, true));
                    continue;
                }
                if let Some(e) = store::entry_by_leaf(&tx, &leaf)? {
                    seen.insert(leaf, (e.index, e.time_ms));
                    slots.push((e.index, leaf, e.time_ms, true));
                    continue;
                }
                let index = frontier.size();
                insert
                    .execute(params![index as i64, &leaf[..], &job.data, now as i64])
                    .map_err(Error::sql("insert entry"))?;
                nodes.clear();
                frontier.push(leaf, |id, h| nodes.push((id, *h)));
                for (id, h) in &nodes {
                    insert_node
                        .execute(params![id.level, id.index as i64, &h[..]])
                        .map_err(Error::sql("insert node"))?;
                }
                seen.insert(leaf, (index, now));
                slots.push((index, leaf, now, false));
            }
        }
        let previous = match self.shared.latest.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        };
        let cp = if frontier.size() == previous.checkpoint.size {
            previous
        } else {
            let cp = Checkpoint {
                origin: self.origin.clone(),
                size: frontier.size(),
                root: frontier.root(),
                extensions: vec![],
            }
            .sign(&self.signer);
            tx.execute(
                "INSERT INTO checkpoints(size, root, time_ms, note) VALUES (?1, ?2, ?3, ?4)",
                params![
                    cp.checkpoint.size as i64,
                    &cp.checkpoint.root[..],
                    now as i64,
                    cp.to_text()
                ],
            )
            .map_err(Error::sql("store checkpoint"))?;
            Arc::new(cp)
        };
        tx.commit().map_err(Error::sql("commit"))?;
        self.frontier = frontier;
        self.last_time = now;
        match self.shared.latest.write() {
            Ok(mut g) => *g = Arc::clone(&cp),
            Err(p) => *p.into_inner() = Arc::clone(&cp),
        }
        Ok((slots, cp))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::note::TYPE_ED25519;
    use ed25519_dalek::SigningKey;

    fn signer() -> NoteSigner {
        NoteSigner::new(
            "test.local/log",
            TYPE_ED25519,
            SigningKey::from_bytes(&[3; 32]),
        )
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn appends_are_durable_and_proofs_verify() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("log.db");
        let log = Log::open(&db, signer()).unwrap();
        let mut tasks = Vec::new();
        for i in 0u32..100 {
            let log = log.clone();
            tasks.push(tokio::spawn(async move {
                log.append(i.to_be_bytes().to_vec()).await
            }));
        }
        let mut got = Vec::new();
        for t in tasks {
            got.push(t.await.unwrap().unwrap());
        }
        let mut indices: Vec<u64> = got.iter().map(|a| a.index).collect();
        indices.sort_unstable();
        assert_eq!(indices, (0..100).collect::<Vec<_>>());
        for a in &got {
            let cp = &a.checkpoint.checkpoint;
            let path = log.inclusion_proof(a.index, cp.size).unwrap();
            merkle::verify_inclusion(&a.leaf, a.index, cp.size, &path, &cp.root).unwrap();
        }
        // A duplicate gets the first index back.
        let dup = log.append(7u32.to_be_bytes().to_vec()).await.unwrap();
        assert!(dup.duplicate);
        assert_eq!(dup.index, got[7].index);
        let before = log.latest();
        assert_eq!(before.checkpoint.size, 100);
        drop(log);
        // Reopen: same tree, and it keeps growing consistently.
        std::thread::sleep(std::time::Duration::from_millis(50));
        let log = Log::open(&db, signer()).unwrap();
        assert_eq!(*log.latest(), *before);
        let a = log.append(b"more".to_vec()).await.unwrap();
        assert_eq!(a.index, 100);
        let proof = log.consistency_proof(100, 101).unwrap();
        merkle::verify_consistency(
            100,
            101,
            &before.checkpoint.root,
            &a.checkpoint.checkpoint.root,
            &proof,
        )
        .unwrap();
        assert!(log.append(vec![]).await.is_err());
        assert!(log.append(vec![0; MAX_ENTRY_BYTES + 1]).await.is_err());
        assert!(log.inclusion_proof(5, 1000).is_err());
        // Another origin cannot open this database.
        let other =
            NoteSigner::new("other/log", TYPE_ED25519, SigningKey::from_bytes(&[3; 32])).unwrap();
        assert!(matches!(Log::open(&db, other), Err(Error::WrongLog { .. })));
    }
}
