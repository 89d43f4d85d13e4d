//! The log's HTTP API (axum):
//!
//! | route | answer |
//! |---|---|
//! | `POST /add-entry` `{"entry_hex": …}` | [`AddEntryResponse`]: index, SET, checkpoint, inclusion proof |
//! | `GET /checkpoint` | the latest signed checkpoint (C2SP note, `text/plain`) |
//! | `GET /proof/inclusion?index=I&size=N` or `?leaf_hash=HEX&size=N` | [`InclusionResponse`] (`size` defaults to the latest) |
//! | `GET /proof/consistency?old=M&new=N` | [`ConsistencyResponse`] (`new` defaults to the latest) |
//! | `GET /entry/{index}` | [`EntryResponse`] |
//! | `GET /log-key` | the verifier key `name+keyid+base64` |
//!
//! Bodies are capped at [`MAX_BODY_BYTES`]; bad input gets 400/404/413/415/422, never a panic.

use crate::api::{
    AddEntryRequest, AddEntryResponse, ConsistencyResponse, EntryResponse, ErrorBody,
    InclusionResponse,
};
use crate::error::Error;
use crate::log::{Log, set_message};
use crate::note::{NoteSigner, TYPE_ED25519};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cunzheng_seal::merkle::{self, Hash};
use serde::Deserialize;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 8 * 1024;

/// An error as an HTTP answer.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            Error::InvalidRequest(_) | Error::Note(_) => StatusCode::BAD_REQUEST,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Stopped => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (
            status,
            Json(ErrorBody {
                error: self.0.to_string(),
            }),
        )
            .into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Runs blocking store work off the async threads.
pub(crate) async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, Error> + Send + 'static,
) -> ApiResult<R> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError(Error::Stopped))?
        .map_err(ApiError)
}

fn hexes(v: &[Hash]) -> Vec<String> {
    v.iter().map(hex::encode).collect()
}

fn parse_hash(s: &str, what: &str) -> Result<Hash, Error> {
    merkle::hash_from_hex(s)
        .ok_or_else(|| Error::InvalidRequest(format!("{what} is not 64 hex digits")))
}

/// The router over a running log.
pub fn router(log: Log) -> Router {
    Router::new()
        .route("/add-entry", post(add_entry))
        .route("/checkpoint", get(checkpoint))
        .route("/proof/inclusion", get(inclusion))
        .route("/proof/consistency", get(consistency))
        .route("/entry/{index}", get(entry))
        .route("/log-key", get(log_key))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(log)
}

async fn add_entry(
    State(log): State<Log>,
    Json(req): Json<AddEntryRequest>,
) -> ApiResult<Json<AddEntryResponse>> {
    let data = hex::decode(req.entry_hex.trim())
        .map_err(|_| Error::InvalidRequest("entry_hex is not hex".into()))?;
    let a = log.append(data).await?;
    let size = a.checkpoint.checkpoint.size;
    let proof = {
        let log = log.clone();
        blocking(move || log.inclusion_proof(a.index, size)).await?
    };
    let origin = &a.checkpoint.checkpoint.origin;
    let set = log
        .signer()
        .sign_raw(set_message(origin, a.index, a.time_ms, &a.leaf).as_bytes());
    Ok(Json(AddEntryResponse {
        index: a.index,
        leaf_hash: hex::encode(a.leaf),
        timestamp_ms: a.time_ms,
        duplicate: a.duplicate,
        set: B64.encode(set),
        checkpoint: a.checkpoint.to_text(),
        inclusion_proof: hexes(&proof),
    }))
}

async fn checkpoint(State(log): State<Log>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        log.latest().to_text(),
    )
        .into_response()
}

async fn log_key(State(log): State<Log>) -> String {
    format!("{}\n", log.signer().verifier().to_vkey())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InclusionQuery {
    index: Option<u64>,
    leaf_hash: Option<String>,
    size: Option<u64>,
}

async fn inclusion(
    State(log): State<Log>,
    Query(q): Query<InclusionQuery>,
) -> ApiResult<Json<InclusionResponse>> {
    let size = q.size.unwrap_or_else(|| log.latest().checkpoint.size);
    let leaf = q
        .leaf_hash
        .as_deref()
        .map(|h| parse_hash(h, "leaf_hash"))
        .transpose()?;
    let index = q.index;
    let l2 = log.clone();
    let (index, leaf, proof) = blocking(move || {
        let (index, leaf) = match (index, leaf) {
            (Some(i), None) => {
                let e = l2
                    .entry_at(i)?
                    .ok_or_else(|| Error::NotFound(format!("no entry {i}")))?;
                (i, e.leaf)
            }
            (None, Some(h)) => {
                let e = l2
                    .entry_by_leaf(&h)?
                    .ok_or_else(|| Error::NotFound("no entry with that leaf hash".into()))?;
                (e.index, h)
            }
            _ => {
                return Err(Error::InvalidRequest(
                    "give exactly one of index and leaf_hash".into(),
                ));
            }
        };
        if index >= size {
            return Err(Error::NotFound(format!(
                "entry {index} is not in the tree of size {size}"
            )));
        }
        Ok((index, leaf, l2.inclusion_proof(index, size)?))
    })
    .await?;
    Ok(Json(InclusionResponse {
        index,
        tree_size: size,
        leaf_hash: hex::encode(leaf),
        proof: hexes(&proof),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyQuery {
    old: u64,
    new: Option<u64>,
}

async fn consistency(
    State(log): State<Log>,
    Query(q): Query<ConsistencyQuery>,
) -> ApiResult<Json<ConsistencyResponse>> {
    let new = q.new.unwrap_or_else(|| log.latest().checkpoint.size);
    let old = q.old;
    let l2 = log.clone();
    let proof = blocking(move || l2.consistency_proof(old, new)).await?;
    Ok(Json(ConsistencyResponse {
        old_size: old,
        new_size: new,
        proof: hexes(&proof),
    }))
}

async fn entry(State(log): State<Log>, Path(index): Path<u64>) -> ApiResult<Json<EntryResponse>> {
    let l2 = log.clone();
    let e = blocking(move || l2.entry_at(index))
        .await?
        .ok_or_else(|| Error::NotFound(format!("no entry {index}")))?;
    Ok(Json(EntryResponse {
        index: e.index,
        entry_hex: hex::encode(&e.data),
        leaf_hash: hex::encode(e.leaf),
        timestamp_ms: e.time_ms,
    }))
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// What `cunzheng log serve` needs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on, e.g. `127.0.0.1:8080` (port 0 picks a free one).
    pub bind: String,
    /// The SQLite database.
    pub db: PathBuf,
    /// The log's private key (PKCS#8 PEM; made when missing).
    pub key: PathBuf,
    /// The log's origin (and key name).
    pub origin: String,
}

/// What a started server reports before serving.
#[derive(Debug, Clone)]
pub struct Started {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The log's verifier key.
    pub vkey: String,
    /// The key file was just made.
    pub new_key: bool,
    /// The tree size it starts from.
    pub size: u64,
}

/// Opens the log, binds and serves until Ctrl-C or SIGTERM; calls `ready` once listening.
pub fn run_blocking(cfg: &ServeConfig, ready: impl FnOnce(&Started)) -> Result<(), Error> {
    let (key, new_key) = crate::keys::load_or_create(&cfg.key)?;
    let signer = NoteSigner::new(&cfg.origin, TYPE_ED25519, key)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            path: cfg.db.clone(),
            source,
        })?;
    rt.block_on(async {
        let log = Log::open(&cfg.db, signer)?;
        let io = |source| Error::Io {
            path: PathBuf::from(&cfg.bind),
            source,
        };
        let listener = tokio::net::TcpListener::bind(&cfg.bind).await.map_err(io)?;
        let started = Started {
            addr: listener.local_addr().map_err(io)?,
            vkey: log.signer().verifier().to_vkey(),
            new_key,
            size: log.latest().checkpoint.size,
        };
        ready(&started);
        serve(listener, router(log), shutdown_signal())
            .await
            .map_err(io)
    })
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
