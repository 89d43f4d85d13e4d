//! A witness: cosigns the checkpoints of one log after checking that each extends the last one
//! it cosigned (c2sp.org/tlog-cosignature, timestamped Ed25519, type 0x04).
//!
//! The witness keeps its own SQLite database: the latest cosigned checkpoint per origin, every
//! cosignature it made, and, when a log shows it a checkpoint that does not extend the one it
//! cosigned, both raw checkpoints and the proof as evidence. It never cosigns such a checkpoint.
//!
//! It pulls from the log ([`Witness::poll_once`], run every few seconds by [`run_blocking`])
//! and also accepts pushes in the tlog-witness style (`POST /add-checkpoint`).

use crate::checkpoint::SignedCheckpoint;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::note::{NoteSigner, TYPE_COSIGNATURE, Verifier};
use crate::server::{ApiError, blocking, shutdown_signal};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cunzheng_seal::merkle::{self, Hash};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS latest(
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cosigned(
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    size INTEGER NOT NULL,
    time_s INTEGER NOT NULL,
    note TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS evidence(
    id INTEGER PRIMARY KEY,
    time_ms INTEGER NOT NULL,
    reason TEXT NOT NULL,
    old_note TEXT NOT NULL,
    new_note TEXT NOT NULL,
    proof TEXT NOT NULL
);
";

/// Why the witness did not cosign.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessError {
    /// The checkpoint does not extend the one cosigned before; both were stored as evidence.
    #[error("refused: {reason} (evidence #{evidence_id} keeps both checkpoints)")]
    Inconsistent {
        /// Why.
        reason: String,
        /// Row of the evidence table.
        evidence_id: i64,
    },
    /// The caller's idea of the previous size is not the witness's (push protocol).
    #[error("the witness's latest cosigned size is {have}, not {claimed}")]
    WrongOldSize {
        /// Size the witness has cosigned.
        have: u64,
        /// Size the caller claimed.
        claimed: u64,
    },
    /// The checkpoint is older than the one cosigned (nothing to do; not evidence by itself).
    #[error("checkpoint size {got} is smaller than the cosigned size {have}")]
    Stale {
        /// Size cosigned.
        have: u64,
        /// Size offered.
        got: u64,
    },
    /// The checkpoint is malformed or not signed by the watched log.
    #[error("not a checkpoint of the watched log: {0}")]
    NotFromLog(#[source] crate::note::NoteError),
    /// Storage or network failure.
    #[error(transparent)]
    Other(#[from] Error),
}

/// One refused checkpoint with the one it contradicts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Row id.
    pub id: i64,
    /// When it was refused (ms since the epoch).
    pub time_ms: u64,
    /// Why.
    pub reason: String,
    /// The checkpoint cosigned before (with its signatures).
    pub old_note: String,
    /// The checkpoint refused (with its signatures).
    pub new_note: String,
    /// The consistency proof offered, hex.
    pub proof: Vec<String>,
}

/// A witness of one log.
pub struct Witness {
    db: PathBuf,
    conn: Mutex<Connection>,
    signer: NoteSigner,
    log: Verifier,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Witness({} of {})",
            self.signer.verifier().name,
            self.log.name
        )
    }
}

fn now() -> Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

impl Witness {
    /// Opens (creating) the witness database. `signer` must be of type [`TYPE_COSIGNATURE`].
    pub fn open(db: &Path, signer: NoteSigner, log: Verifier) -> Result<Self> {
        if signer.verifier().kind != TYPE_COSIGNATURE {
            return Err(Error::InvalidRequest(
                "a witness signs timestamped cosignatures (type 0x04)".into(),
            ));
        }
        let conn = Connection::open(db).map_err(Error::sql("open witness db"))?;
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")
            .map_err(Error::sql("witness pragmas"))?;
        conn.execute_batch(SCHEMA)
            .map_err(Error::sql("witness schema"))?;
        crate::store::claim(&conn, db, "witness_key", &signer.verifier().to_vkey())?;
        crate::store::claim(&conn, db, "log_key", &log.to_vkey())?;
        Ok(Self {
            db: db.to_owned(),
            conn: Mutex::new(conn),
            signer,
            log,
        })
    }

    /// The witness's verifier key.
    pub fn verifier(&self) -> &Verifier {
        self.signer.verifier()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        match self.conn.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    fn latest_row(conn: &Connection, origin: &str) -> Result<Option<(SignedCheckpoint, String)>> {
        let row: Option<String> = conn
            .query_row("SELECT note FROM latest WHERE origin = ?1", [origin], |r| {
                r.get(0)
            })
            .optional()
            .map_err(Error::sql("read latest cosigned"))?;
        row.map(|note| {
            let cp = SignedCheckpoint::parse(note.as_bytes())?;
            Ok((cp, note))
        })
        .transpose()
    }

    /// The latest checkpoint this witness cosigned (log signature + cosignature), if any.
    pub fn latest(&self) -> Result<Option<String>> {
        Ok(Self::latest_row(&self.lock(), &self.log.name)?.map(|(_, n)| n))
    }

    /// Size of the latest cosigned checkpoint (0 when none).
    pub fn latest_size(&self) -> Result<u64> {
        Ok(Self::latest_row(&self.lock(), &self.log.name)?
            .map(|(cp, _)| cp.checkpoint.size)
            .unwrap_or(0))
    }

    /// Every refusal kept as evidence.
    pub fn evidence(&self) -> Result<Vec<Evidence>> {
        let conn = self.lock();
        let mut st = conn
            .prepare(
                "SELECT id, time_ms, reason, old_note, new_note, proof FROM evidence ORDER BY id",
            )
            .map_err(Error::sql("read evidence"))?;
        let rows = st
            .query_map([], |r| {
                let proof: String = r.get(5)?;
                Ok(Evidence {
                    id: r.get(0)?,
                    time_ms: r.get::<_, i64>(1)? as u64,
                    reason: r.get(2)?,
                    old_note: r.get(3)?,
                    new_note: r.get(4)?,
                    proof: proof.split_whitespace().map(str::to_owned).collect(),
                })
            })
            .map_err(Error::sql("read evidence"))?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(Error::sql("read evidence"))
    }

    /// Checks `note` (a checkpoint of the watched log) against the last cosigned one with
    /// `proof`, and cosigns it. `old_size`, when given, must be the witness's cosigned size
    /// (the push protocol's guard). Returns the note with the cosignature added.
    pub fn add_checkpoint(
        &self,
        note: &[u8],
        old_size: Option<u64>,
        proof: &[Hash],
    ) -> Result<String, WitnessError> {
        let new =
            SignedCheckpoint::parse_verified(note, &self.log).map_err(WitnessError::NotFromLog)?;
        let conn = self.lock();
        let previous = Self::latest_row(&conn, &self.log.name)?;
        let have = previous.as_ref().map_or(0, |(cp, _)| cp.checkpoint.size);
        if let Some(claimed) = old_size
            && claimed != have
        {
            return Err(WitnessError::WrongOldSize { have, claimed });
        }
        if let Some((old, old_note)) = &previous {
            let (o, n) = (&old.checkpoint, &new.checkpoint);
            let refuse = |reason: String| -> Result<WitnessError, WitnessError> {
                let proof_hex: Vec<String> = proof.iter().map(hex::encode).collect();
                conn.execute(
                    "INSERT INTO evidence(time_ms, reason, old_note, new_note, proof) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![now().as_millis() as i64, reason, old_note, new.to_text(), proof_hex.join(" ")],
                )
                .map_err(Error::sql("store evidence"))?;
                Ok(WitnessError::Inconsistent {
                    reason,
                    evidence_id: conn.last_insert_rowid(),
                })
            };
            if n.size < o.size {
                return Err(WitnessError::Stale {
                    have: o.size,
                    got: n.size,
                });
            }
            if n.size == o.size {
                if n.root == o.root {
                    return Ok(old_note.clone());
                }
                return Err(refuse(format!(
                    "two different roots for tree size {}",
                    n.size
                ))?);
            }
            if o.size > 0
                && let Err(e) = merkle::verify_consistency(o.size, n.size, &o.root, &n.root, proof)
            {
                return Err(refuse(format!(
                    "size {} does not extend the cosigned size {}: {e}",
                    n.size, o.size
                ))?);
            }
        }
        let ts = now().as_secs();
        let mut cosigned = new.note.clone();
        cosigned
            .signatures
            .retain(|s| s.name == self.log.name && s.key_id == self.log.key_id);
        cosigned
            .signatures
            .push(self.signer.sign(&cosigned.text, ts));
        let text = cosigned.to_text();
        let root = &new.checkpoint.root[..];
        let size = new.checkpoint.size as i64;
        let tx = conn.unchecked_transaction().map_err(Error::sql("begin"))?;
        tx.execute(
            "INSERT INTO latest(origin, size, root, note) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(origin) DO UPDATE SET size = ?2, root = ?3, note = ?4",
            params![self.log.name, size, root, text],
        )
        .map_err(Error::sql("store latest"))?;
        tx.execute(
            "INSERT INTO cosigned(origin, size, time_s, note) VALUES (?1, ?2, ?3, ?4)",
            params![self.log.name, size, ts as i64, text],
        )
        .map_err(Error::sql("store cosignature"))?;
        tx.commit().map_err(Error::sql("commit cosignature"))?;
        Ok(text)
    }

    /// Fetches the log's latest checkpoint and the consistency proof from the cosigned size,
    /// and cosigns it (or refuses, keeping evidence).
    pub fn poll_once(&self, client: &Client) -> Result<String, WitnessError> {
        let note = client.checkpoint()?;
        let new =
            SignedCheckpoint::parse_verified(&note, &self.log).map_err(WitnessError::NotFromLog)?;
        let have = self.latest_size()?;
        let proof = if have > 0 && new.checkpoint.size > have {
            client.consistency(have, new.checkpoint.size)?
        } else {
            Vec::new()
        };
        self.add_checkpoint(&note, None, &proof)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.db
    }
}

/// Parses a tlog-witness style push body: `old <size>\n`, base64 proof lines, a blank line,
/// then the checkpoint note.
pub fn parse_push(body: &[u8]) -> Result<(u64, Vec<Hash>, &[u8]), Error> {
    let bad = |r: &str| Error::InvalidRequest(format!("add-checkpoint body: {r}"));
    let split = body
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or_else(|| bad("no blank line before the checkpoint"))?;
    let head = std::str::from_utf8(&body[..split]).map_err(|_| bad("not UTF-8"))?;
    let mut lines = head.split('\n');
    let old = lines
        .next()
        .and_then(|l| l.strip_prefix("old "))
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| bad("first line must be `old <size>`"))?;
    let mut proof = Vec::new();
    for l in lines {
        if proof.len() == 64 {
            return Err(bad("more than 64 proof lines"));
        }
        let h: Hash = B64
            .decode(l)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| bad("proof line is not base64 of 32 bytes"))?;
        proof.push(h);
    }
    Ok((old, proof, &body[split + 2..]))
}

/// The witness's HTTP API: `GET /checkpoint` (latest cosigned), `GET /evidence` (JSON),
/// `GET /witness-key`, `POST /add-checkpoint` (push).
pub fn router(w: Arc<Witness>) -> Router {
    Router::new()
        .route("/checkpoint", get(w_checkpoint))
        .route("/evidence", get(w_evidence))
        .route("/witness-key", get(w_key))
        .route("/add-checkpoint", post(w_add))
        .layer(DefaultBodyLimit::max(crate::note::MAX_NOTE_BYTES + 4096))
        .with_state(w)
}

async fn w_checkpoint(State(w): State<Arc<Witness>>) -> Result<Response, ApiError> {
    let w2 = Arc::clone(&w);
    match blocking(move || w2.latest()).await? {
        Some(n) => Ok(n.into_response()),
        None => Err(ApiError(Error::NotFound("nothing cosigned yet".into()))),
    }
}

async fn w_evidence(State(w): State<Arc<Witness>>) -> Result<Json<Vec<Evidence>>, ApiError> {
    Ok(Json(blocking(move || w.evidence()).await?))
}

async fn w_key(State(w): State<Arc<Witness>>) -> String {
    format!("{}\n", w.verifier().to_vkey())
}

async fn w_add(State(w): State<Arc<Witness>>, body: axum::body::Bytes) -> Response {
    let r = tokio::task::spawn_blocking(move || {
        let (old, proof, note) = parse_push(&body).map_err(WitnessError::Other)?;
        let text = w.add_checkpoint(note, Some(old), &proof)?;
        // Answer with the cosignature lines only, as tlog-witness does.
        let sig = text
            .lines()
            .rev()
            .take_while(|l| l.starts_with('\u{2014}'))
            .find(|l| l.contains(&format!("\u{2014} {} ", w.verifier().name)))
            .map(|l| format!("{l}\n"))
            .unwrap_or_default();
        Ok::<_, WitnessError>(sig)
    })
    .await;
    match r {
        Ok(Ok(sig)) => sig.into_response(),
        Ok(Err(e)) => {
            let status = match &e {
                WitnessError::WrongOldSize { .. } => StatusCode::CONFLICT,
                WitnessError::Inconsistent { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                WitnessError::Stale { .. } => StatusCode::CONFLICT,
                WitnessError::NotFromLog(_) => StatusCode::FORBIDDEN,
                WitnessError::Other(Error::InvalidRequest(_)) => StatusCode::BAD_REQUEST,
                WitnessError::Other(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (status, format!("{e}\n")).into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// What `cunzheng log witness` needs.
#[derive(Debug, Clone)]
pub struct WitnessConfig {
    /// Address to serve the cosigned checkpoint on.
    pub bind: String,
    /// The witness database.
    pub db: PathBuf,
    /// The witness's private key (PKCS#8 PEM; made when missing).
    pub key: PathBuf,
    /// The witness's key name.
    pub name: String,
    /// The watched log's base URL.
    pub log_url: String,
    /// The watched log's verifier key.
    pub log_key: Verifier,
    /// Seconds between polls.
    pub interval: Duration,
}

/// Runs a witness: polls the log every interval and serves its API until Ctrl-C or SIGTERM.
/// `ready` gets the address and the witness key; `report` every poll's outcome.
pub fn run_blocking(
    cfg: &WitnessConfig,
    ready: impl FnOnce(std::net::SocketAddr, &str),
    report: impl Fn(&Result<String, WitnessError>) + Send + Sync + 'static,
) -> Result<()> {
    let (key, _) = crate::keys::load_or_create(&cfg.key)?;
    let signer = NoteSigner::new(&cfg.name, TYPE_COSIGNATURE, key)?;
    let w = Arc::new(Witness::open(&cfg.db, signer, cfg.log_key.clone())?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            path: cfg.db.clone(),
            source,
        })?;
    rt.block_on(async {
        let io = |source| Error::Io {
            path: PathBuf::from(&cfg.bind),
            source,
        };
        let listener = tokio::net::TcpListener::bind(&cfg.bind).await.map_err(io)?;
        ready(listener.local_addr().map_err(io)?, &w.verifier().to_vkey());
        let (poller, client, interval) = (Arc::clone(&w), Client::new(&cfg.log_url), cfg.interval);
        let report = Arc::new(report);
        tokio::spawn(async move {
            loop {
                let (p, c, rep) = (Arc::clone(&poller), client.clone(), Arc::clone(&report));
                let _ = tokio::task::spawn_blocking(move || rep(&p.poll_once(&c))).await;
                tokio::time::sleep(interval).await;
            }
        });
        crate::server::serve(listener, router(w), shutdown_signal())
            .await
            .map_err(io)
    })
}
