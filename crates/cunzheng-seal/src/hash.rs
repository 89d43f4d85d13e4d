//! SHA-256 and SM3 in one read pass.
//!
//! SM3 is about four times slower than SHA-256 with SHA-NI, so hashing both on one core would
//! take longer than SM3 alone. Each chunk is therefore split across two rayon tasks: one runs
//! SM3, the other runs SHA-256, writes the copy and reads the next chunk. On a machine with two
//! free cores that keeps the whole pass close to the cost of SM3 alone.

use cunzheng_model::Digests;
use sha2::{Digest, Sha256};
use sm3::Sm3;
use std::io::{self, Read, Write};

/// Chunk size for streaming reads: large enough to amortise task hand-off, small enough to
/// keep memory flat whatever the file size.
const CHUNK: usize = 1 << 20;

/// Chunks start at a multiple of this in memory, so that a sink may write them with direct
/// I/O (`O_DIRECT` wants buffers aligned to the device's logical block, at most 4 KiB).
pub const CHUNK_ALIGN: usize = 4096;

/// Below this many bytes a chunk is hashed on the calling thread only.
const PARALLEL_MIN: usize = 64 * 1024;

/// SHA-256 and SM3 of one stream, updated together.
#[derive(Clone, Default)]
pub struct DualHasher {
    sha256: Sha256,
    sm3: Sm3,
    len: u64,
}

impl DualHasher {
    /// A hasher that has seen no bytes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes to both hashes.
    pub fn update(&mut self, buf: &[u8]) {
        self.len += buf.len() as u64;
        if buf.len() >= PARALLEL_MIN {
            let (sha, sm) = (&mut self.sha256, &mut self.sm3);
            rayon::join(|| sha.update(buf), || sm.update(buf));
        } else {
            self.sha256.update(buf);
            self.sm3.update(buf);
        }
    }

    /// Number of bytes fed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no bytes were fed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The two digests as lowercase hex.
    pub fn finish(self) -> Digests {
        Digests {
            sha256: hex::encode(self.sha256.finalize()),
            sm3: hex::encode(self.sm3.finalize()),
        }
    }
}

/// Both digests of a byte slice.
pub fn digests_of(bytes: &[u8]) -> Digests {
    let mut h = DualHasher::new();
    h.update(bytes);
    h.finish()
}

/// SHA-256 of a byte slice, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// SM3 of a byte slice, lowercase hex.
pub fn sm3_hex(bytes: &[u8]) -> String {
    hex::encode(Sm3::digest(bytes))
}

/// Reads `reader` to its end, hashing every byte with both algorithms and writing it to `sink`
/// (pass [`io::sink()`] to hash only). Returns the digests and the byte count.
///
/// `limit` caps how many bytes may be read; past it the function fails with
/// [`io::ErrorKind::FileTooLarge`] (used for archive entries, whose declared sizes lie).
pub fn hash_copy<R: Read + Send, W: Write + Send>(
    mut reader: R,
    mut sink: W,
    limit: Option<u64>,
) -> io::Result<(Digests, u64)> {
    let (mut cur, mut next) = BUFFERS
        .with(|b| b.borrow_mut().take())
        .unwrap_or_else(|| (Aligned::new(), Aligned::new()));
    let result = hash_copy_with(&mut reader, &mut sink, limit, cur.chunk(), next.chunk());
    BUFFERS.with(|b| *b.borrow_mut() = Some((cur, next)));
    result
}

/// A chunk buffer that starts at a multiple of [`CHUNK_ALIGN`] in memory.
struct Aligned {
    bytes: Vec<u8>,
    start: usize,
}

impl Aligned {
    fn new() -> Self {
        let bytes = vec![0u8; CHUNK + CHUNK_ALIGN];
        // Never past CHUNK_ALIGN - 1 for a u8 pointer; the fallback only guards the contract.
        let start = bytes.as_ptr().align_offset(CHUNK_ALIGN).min(CHUNK_ALIGN);
        Self { bytes, start }
    }

    fn chunk(&mut self) -> &mut [u8] {
        &mut self.bytes[self.start..self.start + CHUNK]
    }
}

thread_local! {
    /// Two chunk buffers per thread, reused: allocating (and faulting in) 2 MiB for each of
    /// thousands of small files cost more than hashing them.
    static BUFFERS: std::cell::RefCell<Option<(Aligned, Aligned)>> = const { std::cell::RefCell::new(None) };
}

fn hash_copy_with<'b, R: Read + Send, W: Write + Send>(
    mut reader: R,
    mut sink: W,
    limit: Option<u64>,
    mut cur: &'b mut [u8],
    mut next: &'b mut [u8],
) -> io::Result<(Digests, u64)> {
    let mut sha = Sha256::new();
    let mut sm = Sm3::new();
    let mut total: u64 = 0;
    let mut cur_len = read_full(&mut reader, &mut *cur)?;
    while cur_len > 0 {
        total += cur_len as u64;
        if let Some(max) = limit
            && total > max
        {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!("more than {max} bytes"),
            ));
        }
        let chunk = &cur[..cur_len];
        let (sm_ref, sha_ref, sink_ref, reader_ref, next_ref) =
            (&mut sm, &mut sha, &mut sink, &mut reader, &mut *next);
        let ((), io_result) = rayon::join(
            || sm_ref.update(chunk),
            || -> io::Result<usize> {
                sha_ref.update(chunk);
                sink_ref.write_all(chunk)?;
                read_full(reader_ref, next_ref)
            },
        );
        cur_len = io_result?;
        std::mem::swap(&mut cur, &mut next);
    }
    sink.flush()?;
    Ok((
        Digests {
            sha256: hex::encode(sha.finalize()),
            sm3: hex::encode(sm.finalize()),
        },
        total,
    ))
}

/// Fills `buf` as far as the reader allows; returns fewer bytes only at end of stream.
fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_vectors() {
        // SM3 "abc": GB/T 32905-2016 appendix A.1. SHA-256 "abc": FIPS 180-2 appendix B.1.
        let d = digests_of(b"abc");
        assert_eq!(
            d.sm3,
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            d.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // SM3 of the 64-byte "abcd"*16: GB/T 32905-2016 appendix A.2.
        assert_eq!(
            sm3_hex(&b"abcd".repeat(16)),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    #[test]
    fn streaming_matches_one_shot_across_chunk_edges() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17] {
            let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let mut copy = Vec::new();
            let (d, n) = hash_copy(&data[..], &mut copy, None).expect("in-memory io");
            assert_eq!(n, len as u64);
            assert_eq!(copy, data);
            assert_eq!(d, digests_of(&data));
            let mut h = DualHasher::new();
            for part in data.chunks(100_000) {
                h.update(part);
            }
            assert_eq!(h.finish(), d);
        }
    }

    #[test]
    fn limit_is_enforced() {
        let data = vec![7u8; 1000];
        let err = hash_copy(&data[..], io::sink(), Some(999)).expect_err("over the limit");
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert!(hash_copy(&data[..], io::sink(), Some(1000)).is_ok());
    }
}
