//! `cunzheng parse --json` output, pipelined: the parser runs on the calling thread, records
//! are serialised and written on a second one, and the file's SHA-256 (named in every
//! record's provenance) is computed on a third meanwhile.
//!
//! Serialising took about a third of a parse of a large WhatsApp export and hashing another
//! twentieth; overlapping them with parsing is most of what a second core can give a parser
//! that reads its file as one stream.

use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use cunzheng_model::{Conversation, Message, Unparsed};

/// One record on its way to the writer.
// Messages are nearly every record: boxing them to shrink the rarer variants would add an
// allocation per message.
#[allow(clippy::large_enum_variant)]
enum Rec {
    Conversation(Conversation),
    Message(Message),
    Unparsed(Unparsed),
}

/// Records per hand-over: large enough that the channel costs nothing per record.
const BATCH: usize = 2048;

/// A [`cunzheng_sources::Sink`] that hands records to a writer thread.
pub struct PipedJson {
    tx: Option<SyncSender<Vec<Rec>>>,
    batch: Vec<Rec>,
    writer: Option<JoinHandle<std::io::Result<String>>>,
}

impl PipedJson {
    /// Starts the writer; `hash` yields the SHA-256 to put into every record's provenance
    /// (records arrive with an empty one).
    pub fn start(hash: JoinHandle<std::io::Result<String>>) -> std::io::Result<Self> {
        use std::os::fd::AsFd;
        let out = std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned()?);
        // A few batches in flight: the parser never waits unless the writer falls behind.
        let (tx, rx) = sync_channel(4);
        let writer = std::thread::Builder::new()
            .name("parse-writer".into())
            .spawn(move || write_all(rx, hash, out))?;
        Ok(Self {
            tx: Some(tx),
            batch: Vec::with_capacity(BATCH),
            writer: Some(writer),
        })
    }

    fn push(&mut self, r: Rec) {
        self.batch.push(r);
        if self.batch.len() >= BATCH {
            self.send();
        }
    }

    fn send(&mut self) {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        // A failed send means the writer stopped on an error; `finish` reports it.
        if let Some(tx) = &self.tx
            && tx.send(batch).is_err()
        {
            self.tx = None;
        }
    }

    /// Writes what is left and waits for the writer; the file's SHA-256, or the first error.
    pub fn finish(&mut self) -> std::io::Result<String> {
        if !self.batch.is_empty() {
            self.send();
        }
        self.tx = None;
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(std::io::Error::other("the output thread failed")),
            None => Err(std::io::Error::other("output already finished")),
        }
    }
}

impl Drop for PipedJson {
    fn drop(&mut self) {
        if self.writer.is_some() {
            let _ = self.finish();
        }
    }
}

fn write_all(
    rx: Receiver<Vec<Rec>>,
    hash: JoinHandle<std::io::Result<String>>,
    mut out: std::fs::File,
) -> std::io::Result<String> {
    let sha = hash
        .join()
        .map_err(|_| std::io::Error::other("hashing failed"))??;
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    for batch in rx {
        for rec in batch {
            match rec {
                Rec::Conversation(c) => crate::jsonl::record(&mut buf, "conversation", &c)?,
                Rec::Message(mut m) => {
                    m.provenance.item_sha256.clone_from(&sha);
                    crate::jsonl::message(&mut buf, &m)?;
                }
                Rec::Unparsed(mut u) => {
                    u.provenance.item_sha256.clone_from(&sha);
                    crate::jsonl::record(&mut buf, "unparsed", &u)?;
                }
            }
            if buf.len() >= 1 << 20 {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
    }
    out.write_all(&buf)?;
    Ok(sha)
}

impl cunzheng_sources::Sink for PipedJson {
    fn conversation(&mut self, c: Conversation) {
        self.push(Rec::Conversation(c));
    }
    fn message(&mut self, m: Message) {
        self.push(Rec::Message(m));
    }
    fn unparsed(&mut self, u: Unparsed) {
        self.push(Rec::Unparsed(u));
    }
    fn warning(&mut self, w: String) {
        eprintln!("cunzheng: warning: {w}");
    }
}

/// Hashes `path` with SHA-256 on its own thread.
pub fn hash_in_background(path: std::path::PathBuf) -> JoinHandle<std::io::Result<String>> {
    std::thread::spawn(move || {
        use sha2::Digest;
        let mut f = std::fs::File::open(&path)?;
        let mut sha = sha2::Sha256::new();
        std::io::copy(&mut f, &mut sha)?;
        Ok(hex::encode(sha.finalize()))
    })
}
