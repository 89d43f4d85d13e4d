//! SQLCipher databases (SQLCipher 1-4, WeChat Android `EnMicroMsg.db`, WeChat PC 3.x/4.x):
//! page-by-page decryption into a plain working copy that the page reader and carver read.
//!
//! # Why by hand
//!
//! SQLCipher's own way out, `sqlcipher_export`, copies the *live* rows into a fresh database:
//! freelist pages, freeblocks and the unallocated space of each page, where deleted messages
//! are, would be lost. So every page is decrypted here, whatever it holds, with the RustCrypto
//! primitives (AES-256-CBC, PBKDF2, HMAC-SHA1/SHA512): the page layout (salt, IV and HMAC in
//! the reserved tail of each page, HMAC over the page and its little-endian number) is small
//! and fixed, and no crate implements it. The evidence file is only read.
//!
//! Layout of an encrypted page of size P with R reserved bytes: bytes `[0, P-R)` are AES-CBC
//! ciphertext (page 1: `[16, P-R)`, its first 16 bytes being the KDF salt), then the 16-byte IV,
//! then the HMAC (when the set has one) of `ciphertext ‖ IV ‖ le32(page number)`.
//! Keys: `enc = PBKDF2(passphrase, salt, kdf_iter)` (or a raw 32-byte key as is),
//! `mac = PBKDF2(enc, salt ⊕ 0x3a, 2)`, with the set's PRF.

use crate::error::{Error, Result};
use crate::read::pager::EvidenceFile;
use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::NoPadding};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha512;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// Hash function of the KDF and the HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Prf {
    /// HMAC-SHA1 (SQLCipher 1-3, WeChat PC 3.x).
    Sha1,
    /// HMAC-SHA512 (SQLCipher 4, WeChat PC 4.x).
    Sha512,
}

/// One SQLCipher parameter set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CipherParams {
    /// Name used on the command line.
    pub name: &'static str,
    /// Page size in bytes.
    pub page_size: usize,
    /// PBKDF2 iterations for the encryption key.
    pub kdf_iter: u32,
    /// PRF of the KDF (and of the HMAC, when there is one).
    pub prf: Prf,
    /// Whether each page carries an HMAC.
    pub hmac: bool,
    /// Reserved bytes at the end of each page (IV + HMAC, rounded up to 16).
    pub reserve: usize,
    /// A raw key is a passphrase for PBKDF2 (WeChat PC), not the AES key itself.
    pub raw_key_is_passphrase: bool,
}

/// The parameter sets, in the order they are tried.
pub const PARAMS: &[CipherParams] = &[
    CipherParams {
        name: "sqlcipher4",
        page_size: 4096,
        kdf_iter: 256_000,
        prf: Prf::Sha512,
        hmac: true,
        reserve: 80,
        raw_key_is_passphrase: false,
    },
    CipherParams {
        name: "sqlcipher3",
        page_size: 1024,
        kdf_iter: 64_000,
        prf: Prf::Sha1,
        hmac: true,
        reserve: 48,
        raw_key_is_passphrase: false,
    },
    CipherParams {
        name: "sqlcipher2",
        page_size: 1024,
        kdf_iter: 4000,
        prf: Prf::Sha1,
        hmac: true,
        reserve: 48,
        raw_key_is_passphrase: false,
    },
    // WeChat Android EnMicroMsg.db uses these with the 7-character key.
    CipherParams {
        name: "sqlcipher1",
        page_size: 1024,
        kdf_iter: 4000,
        prf: Prf::Sha1,
        hmac: false,
        reserve: 16,
        raw_key_is_passphrase: false,
    },
    CipherParams {
        name: "wechat-pc3",
        page_size: 4096,
        kdf_iter: 64_000,
        prf: Prf::Sha1,
        hmac: true,
        reserve: 48,
        raw_key_is_passphrase: true,
    },
    CipherParams {
        name: "wechat-pc4",
        page_size: 4096,
        kdf_iter: 256_000,
        prf: Prf::Sha512,
        hmac: true,
        reserve: 80,
        raw_key_is_passphrase: true,
    },
];

/// The parameter set called `name`.
pub fn params_named(name: &str) -> Option<CipherParams> {
    PARAMS.iter().copied().find(|p| p.name == name)
}

/// What opens the database.
#[derive(Clone, PartialEq, Eq)]
pub enum Key {
    /// `PRAGMA key = 'passphrase'`.
    Passphrase(Vec<u8>),
    /// 32 raw key bytes (`PRAGMA key = "x'…'"`, or the key WeChat PC keeps in memory).
    Raw([u8; 32]),
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys stay out of logs.
        match self {
            Key::Passphrase(_) => f.write_str("Key::Passphrase(…)"),
            Key::Raw(_) => f.write_str("Key::Raw(…)"),
        }
    }
}

impl Key {
    /// A raw key from 64 hex digits.
    pub fn from_hex(hex_key: &str) -> Result<Key> {
        let b = hex::decode(hex_key.trim()).map_err(|e| Error::BadKey {
            detail: format!("not hex: {e}"),
        })?;
        let k: [u8; 32] = b.try_into().map_err(|b: Vec<u8>| Error::BadKey {
            detail: format!("{} bytes; a raw key is 32 bytes (64 hex digits)", b.len()),
        })?;
        Ok(Key::Raw(k))
    }

    /// WeChat Android: the first 7 lowercase hex digits of MD5(IMEI ‖ UIN), as a passphrase.
    pub fn wechat_android(imei: &str, uin: &str) -> Key {
        use md5::Digest;
        let d = md5::Md5::digest(format!("{imei}{uin}").as_bytes());
        Key::Passphrase(hex::encode(d).as_bytes()[..7].to_vec())
    }
}

/// Derived keys for one database and parameter set.
#[derive(Clone)]
struct Keys {
    enc: [u8; 32],
    mac: [u8; 32],
}

fn pbkdf2(prf: Prf, password: &[u8], salt: &[u8], iter: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    match prf {
        Prf::Sha1 => pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iter, &mut out),
        Prf::Sha512 => pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, iter, &mut out),
    }
    out
}

fn derive(key: &Key, p: &CipherParams, salt: &[u8; 16]) -> Keys {
    let enc = match key {
        Key::Passphrase(pw) => pbkdf2(p.prf, pw, salt, p.kdf_iter),
        Key::Raw(k) if p.raw_key_is_passphrase => pbkdf2(p.prf, k, salt, p.kdf_iter),
        Key::Raw(k) => *k,
    };
    let mac_salt: Vec<u8> = salt.iter().map(|b| b ^ 0x3a).collect();
    let mac = pbkdf2(p.prf, &enc, &mac_salt, 2);
    Keys { enc, mac }
}

fn hmac_ok(p: &CipherParams, key: &[u8; 32], data: &[u8], pgno: u32, tag: &[u8]) -> bool {
    let n = pgno.to_le_bytes();
    match p.prf {
        Prf::Sha1 => Hmac::<Sha1>::new_from_slice(key).is_ok_and(|mut m| {
            m.update(data);
            m.update(&n);
            tag.get(..20).is_some_and(|t| m.verify_slice(t).is_ok())
        }),
        Prf::Sha512 => Hmac::<Sha512>::new_from_slice(key).is_ok_and(|mut m| {
            m.update(data);
            m.update(&n);
            tag.get(..64).is_some_and(|t| m.verify_slice(t).is_ok())
        }),
    }
}

/// Why one page did not decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFault {
    /// The stored HMAC does not match (wrong key, or the page was altered).
    Hmac,
    /// The page is shorter than a page (the file's tail).
    Short,
}

/// Decrypts one page in place into `out` (same length as `page`). Page 1's salt is replaced
/// by the SQLite magic; the reserved tail is zeroed.
pub fn decrypt_page(
    p: &CipherParams,
    keys_enc: &[u8; 32],
    keys_mac: &[u8; 32],
    pgno: u32,
    page: &[u8],
    out: &mut [u8],
) -> std::result::Result<(), PageFault> {
    let ps = p.page_size;
    if page.len() < ps || out.len() < ps || ps <= p.reserve + 16 {
        return Err(PageFault::Short);
    }
    let start = if pgno == 1 { 16 } else { 0 };
    let end = ps - p.reserve;
    let iv = &page[end..end + 16];
    if p.hmac
        && !hmac_ok(
            p,
            keys_mac,
            &page[start..end + 16],
            pgno,
            &page[end + 16..ps],
        )
    {
        return Err(PageFault::Hmac);
    }
    out[..ps].fill(0);
    out[start..end].copy_from_slice(&page[start..end]);
    let dec = Aes256CbcDec::new(keys_enc.into(), iv.into());
    // The region is a whole number of AES blocks for every parameter set (P and R are
    // multiples of 16); a malformed set is refused above by the size check.
    if dec
        .decrypt_padded_mut::<NoPadding>(&mut out[start..end])
        .is_err()
    {
        return Err(PageFault::Short);
    }
    if pgno == 1 {
        out[..16].copy_from_slice(crate::format::MAGIC);
    }
    Ok(())
}

/// Whether decrypted page 1 holds a SQLite header for this parameter set (the only check for
/// sets without an HMAC; a wrong key gives random bytes here).
fn header_ok(p: &CipherParams, page1: &[u8]) -> bool {
    let Some(h) = page1.get(16..24) else {
        return false;
    };
    let ps = u32::from(u16::from_be_bytes([h[0], h[1]]));
    let ps = if ps == 1 { 65536 } else { ps as usize };
    ps == p.page_size
        && (1..=2).contains(&h[2])
        && (1..=2).contains(&h[3])
        // SQLite's reserved-bytes field can exceed the codec's reserve: SQLCipher 4 writes
        // its own default (80) when a database is created before older settings are applied.
        && usize::from(h[4]) >= p.reserve
        && h[5..8] == [64, 32, 32]
}

/// An opened encrypted database: its parameter set and derived keys, which decrypt its pages
/// wherever they are (the database file, WAL frames, rollback-journal records: SQLCipher
/// writes the same per-page layout to all three, keyed by the page number).
#[derive(Clone)]
pub struct PageCipher {
    params: CipherParams,
    keys: Keys,
}

impl std::fmt::Debug for PageCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys stay out of logs.
        f.debug_struct("PageCipher")
            .field("params", &self.params.name)
            .finish_non_exhaustive()
    }
}

impl PageCipher {
    /// Opens the encrypted database at `db` with `key`: the parameter set `only` if given,
    /// else each of [`PARAMS`] in turn. Also returns the sets tried before, with why each
    /// failed.
    pub fn open(db: &Path, key: &Key, only: Option<CipherParams>) -> Result<(Self, Vec<String>)> {
        let io = |source| Error::Io {
            path: db.to_owned(),
            source,
        };
        let f = File::open(db).map_err(io)?;
        let mut head = Vec::with_capacity(65536);
        f.take(65536).read_to_end(&mut head).map_err(io)?;
        let mut tried = Vec::new();
        let (params, keys) = open_page1(db, &head, key, only, &mut tried)?;
        // Only the matching set's earlier failures are of interest.
        tried.retain(|t| !t.starts_with(params.name));
        Ok((Self { params, keys }, tried))
    }

    /// The parameter set that opened the database.
    pub fn params(&self) -> CipherParams {
        self.params
    }

    /// Decrypts page `pgno` (`page` and `out` at least one page long) and checks its HMAC.
    pub fn decrypt(&self, pgno: u32, page: &[u8], out: &mut [u8]) -> Result<(), PageFault> {
        decrypt_page(
            &self.params,
            &self.keys.enc,
            &self.keys.mac,
            pgno,
            page,
            out,
        )
    }

    /// Decrypts a page image in place (`buf` one page long); on failure `buf` is zeroed.
    pub fn decrypt_in_place(&self, pgno: u32, buf: &mut [u8]) -> Result<(), PageFault> {
        let mut out = vec![0u8; buf.len()];
        let r = self.decrypt(pgno, buf, &mut out);
        match r {
            Ok(()) => buf.copy_from_slice(&out),
            Err(_) => buf.fill(0),
        }
        r
    }

    /// A name for the key that opened the database, to record which key was used without
    /// recording the key: the first 16 bytes (hex) of SHA-256 over a label and the *derived*
    /// AES key. Testing a guess against it costs the same key derivation as testing it
    /// against the database itself, so it tells nothing the encrypted file does not.
    pub fn key_fingerprint(&self) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(b"cunzheng sqlcipher key fingerprint v1\n");
        h.update(self.keys.enc);
        format!("sha256:{}", hex::encode(&h.finalize()[..16]))
    }
}

/// What [`decrypt_file`] did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Decrypted {
    /// The parameter set that opened the database.
    pub params: CipherParams,
    /// The plain working copy.
    pub out: PathBuf,
    /// Pages written.
    pub pages: u64,
    /// Pages whose HMAC did not match, written as zeros (their content cannot be trusted).
    pub bad_pages: Vec<u64>,
    /// Bytes at the end of the file that are not a whole page (not copied).
    pub trailing_bytes: u64,
    /// Parameter sets tried before, with why each failed.
    pub tried: Vec<String>,
}

/// Finds the parameter set that opens page 1 with `key`: `only` if given, else each of
/// [`PARAMS`] in turn. Returns the set and its derived keys.
fn open_page1(
    path: &Path,
    head: &[u8],
    key: &Key,
    only: Option<CipherParams>,
    tried: &mut Vec<String>,
) -> Result<(CipherParams, Keys)> {
    let sets: Vec<CipherParams> = only.map_or_else(|| PARAMS.to_vec(), |p| vec![p]);
    let mut salt = [0u8; 16];
    if head.len() < 16 {
        return Err(Error::WrongKey {
            path: path.to_owned(),
            detail: format!("{} bytes: too short for an encrypted database", head.len()),
        });
    }
    salt.copy_from_slice(&head[..16]);
    if &salt == crate::format::MAGIC {
        return Err(Error::WrongKey {
            path: path.to_owned(),
            detail: "not encrypted (it starts with the SQLite magic); recover it directly".into(),
        });
    }
    for p in sets {
        if head.len() < p.page_size {
            tried.push(format!("{}: file shorter than one page", p.name));
            continue;
        }
        let keys = derive(key, &p, &salt);
        let mut out = vec![0u8; p.page_size];
        match decrypt_page(&p, &keys.enc, &keys.mac, 1, &head[..p.page_size], &mut out) {
            Err(PageFault::Hmac) => tried.push(format!("{}: page 1 HMAC mismatch", p.name)),
            Err(PageFault::Short) => tried.push(format!("{}: page 1 too short", p.name)),
            Ok(()) if !header_ok(&p, &out) => tried.push(format!(
                "{}: page 1 header not valid after decryption",
                p.name
            )),
            Ok(()) => return Ok((p, keys)),
        }
    }
    Err(Error::WrongKey {
        path: path.to_owned(),
        detail: format!(
            "the key does not open it ({}); check the key and the parameter set",
            tried.join("; ")
        ),
    })
}

/// Decrypts `db` page by page into a new plain file `out` (which must not exist). The
/// original is opened read-only. Free pages and free space are decrypted like everything else.
pub fn decrypt_file(
    db: &Path,
    out: &Path,
    key: &Key,
    only: Option<CipherParams>,
) -> Result<Decrypted> {
    let (cipher, tried) = PageCipher::open(db, key, only)?;
    let w = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(out)
        .map_err(|source| Error::Io {
            path: out.to_owned(),
            source,
        })?;
    let mut d = decrypt_to(db, &cipher, &mut BufWriter::new(w), out)?;
    d.tried = tried;
    Ok(d)
}

/// Decrypts `db` page by page with an opened `cipher` into `w` (named `out` in errors and in
/// the result). A page whose HMAC fails is written as zeros and listed.
pub fn decrypt_to(
    db: &Path,
    cipher: &PageCipher,
    w: &mut dyn Write,
    out: &Path,
) -> Result<Decrypted> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Io { path, source }
    };
    let mut f = File::open(db).map_err(io(db))?;
    let len = f.metadata().map_err(io(db))?.len();
    let p = cipher.params;
    let ps = p.page_size as u64;
    let pages = len / ps;
    let mut buf = vec![0u8; p.page_size];
    let mut plain = vec![0u8; p.page_size];
    let mut bad = Vec::new();
    for pgno in 1..=pages {
        f.read_exact(&mut buf).map_err(io(db))?;
        let n = u32::try_from(pgno).unwrap_or(u32::MAX);
        if cipher.decrypt(n, &buf, &mut plain).is_err() {
            plain.fill(0);
            bad.push(pgno);
        }
        w.write_all(&plain).map_err(io(out))?;
    }
    w.flush().map_err(io(out))?;
    Ok(Decrypted {
        params: p,
        out: out.to_owned(),
        pages,
        bad_pages: bad,
        trailing_bytes: len % ps,
        tried: Vec::new(),
    })
}

/// What [`decrypt_wal_to`] did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DecryptedWal {
    /// Frames in the log.
    pub frames: u64,
    /// Frames in the valid chain SQLite would read (salts match, checksums hold), rewritten
    /// with checksums over the decrypted pages.
    pub valid_frames: u64,
    /// Frames whose page HMAC did not match (written as zeros; the chain ends there).
    pub bad_frames: Vec<u64>,
    /// Bytes at the end that are not a whole frame (copied as they are).
    pub trailing_bytes: u64,
}

/// Decrypts the write-ahead log `wal` of an encrypted database into `w`, so that SQLite can
/// apply it to the plain working copy of the database: every frame's page image decrypted
/// (by its page number, like a database page), headers kept, and the frame checksums of the
/// chain SQLite would have read ([`crate::read::wal::WalFrame::chain_ok`]) recomputed over the
/// decrypted pages. Frames past the end of that chain keep their original checksums, which no
/// longer match, so SQLite ignores them as it ignored the originals; the page-level recovery
/// still reads them.
pub fn decrypt_wal_to(
    wal: &Path,
    cipher: &PageCipher,
    w: &mut dyn Write,
    out: &Path,
) -> Result<DecryptedWal> {
    decrypt_wal_file(&EvidenceFile::open(wal)?, cipher, w, out)
}

/// [`decrypt_wal_to`] over an opened log.
fn decrypt_wal_file(
    wal: &EvidenceFile,
    cipher: &PageCipher,
    w: &mut dyn Write,
    out: &Path,
) -> Result<DecryptedWal> {
    use crate::format::wal::{FRAME_HEADER_SIZE, HEADER_SIZE};
    use crate::read::wal::{checksum, scan};
    let write = |w: &mut dyn Write, b: &[u8]| {
        w.write_all(b).map_err(|source| Error::Io {
            path: out.to_owned(),
            source,
        })
    };
    let ps = cipher.params.page_size;
    let scanned = scan(wal, u32::try_from(ps).unwrap_or(u32::MAX))?;
    let big_endian = scanned.header.big_endian;
    let mut header = [0u8; HEADER_SIZE];
    wal.read_at(0, &mut header)?;
    write(w, &header)?;
    let mut sums = checksum(&header[..24], big_endian, (0, 0));
    let mut done = DecryptedWal {
        frames: scanned.frames.len() as u64,
        valid_frames: 0,
        bad_frames: Vec::new(),
        trailing_bytes: 0,
    };
    let mut intact = true;
    let mut frame = vec![0u8; FRAME_HEADER_SIZE + ps];
    let mut plain = vec![0u8; ps];
    for f in &scanned.frames {
        wal.read_at(f.data_offset - FRAME_HEADER_SIZE as u64, &mut frame)?;
        let (head, page) = frame.split_at_mut(FRAME_HEADER_SIZE);
        let decrypted = cipher.decrypt(f.page, page, &mut plain).is_ok();
        if !decrypted {
            plain.fill(0);
            done.bad_frames.push(u64::from(f.index));
        }
        intact &= f.chain_ok && decrypted;
        if intact {
            sums = checksum(&plain, big_endian, checksum(&head[..8], big_endian, sums));
            // Stored big-endian whatever the order the sums were computed in.
            head[16..20].copy_from_slice(&sums.0.to_be_bytes());
            head[20..24].copy_from_slice(&sums.1.to_be_bytes());
            done.valid_frames += 1;
        }
        write(w, head)?;
        write(w, &plain)?;
    }
    let whole = HEADER_SIZE as u64 + done.frames * (FRAME_HEADER_SIZE + ps) as u64;
    let mut rest = vec![0u8; usize::try_from(wal.len().saturating_sub(whole)).unwrap_or(0)];
    done.trailing_bytes = wal.read_at(whole, &mut rest)? as u64;
    write(w, &rest[..done.trailing_bytes as usize])?;
    w.flush().map_err(|source| Error::Io {
        path: out.to_owned(),
        source,
    })?;
    Ok(done)
}

/// Fuzzing entry: arbitrary bytes as the write-ahead log of a database under each parameter
/// set (fixed keys: the work is in the frame walk and checksums, not the KDF).
#[doc(hidden)]
pub fn fuzz_wal(data: &[u8]) {
    for params in PARAMS {
        let cipher = PageCipher {
            params: *params,
            keys: Keys {
                enc: [7u8; 32],
                mac: [9u8; 32],
            },
        };
        let wal = EvidenceFile::from_bytes(data.to_vec(), "fuzz.db-wal");
        let _ = decrypt_wal_file(&wal, &cipher, &mut std::io::sink(), Path::new("-"));
    }
}
