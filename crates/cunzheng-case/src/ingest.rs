//! Acquisition: copying files, folders and zip archives into the staging area, bit for bit,
//! hashing them on the way, and recording everything that was found, including what could not
//! be preserved and why.
//!
//! Inputs are hostile. Links are recorded and never followed; special files are recorded and
//! never opened; zip entry names are recorded and never used as paths (storage is by content
//! hash), and decompression is capped per archive so that a zip bomb cannot fill the disk.

use crate::error::{CaseError, Result};
use crate::layout::Layout;
use crate::writeback::WriteBack;
use cunzheng_model::{Digests, EvidenceItem, ItemSource, ObservedMeta, Skipped};
use cunzheng_seal::hash::hash_copy;
use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Receives progress of long work. The case crate draws nothing itself.
pub trait Progress: Sync {
    /// A phase starts with `total` units of work (bytes or files).
    fn begin(&self, _phase: &str, _total: u64) {}
    /// `n` more units are done.
    fn advance(&self, _n: u64) {}
    /// The phase is over.
    fn end(&self) {}
}

/// Progress that goes nowhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// Safety limits for archives.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How deep archives inside archives are opened.
    pub max_archive_depth: u32,
    /// Most entries read from one archive.
    pub max_entries: u64,
    /// Decompressed bytes allowed per archive: `ratio × archive size + slack`.
    pub ratio: u64,
    /// See `ratio`.
    pub slack: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_archive_depth: 4,
            max_entries: 1_000_000,
            ratio: 200,
            slack: 256 << 20,
        }
    }
}

/// Everything one `add` found.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Acquisition {
    /// Path arguments as given.
    pub arguments: Vec<String>,
    /// Preserved originals, numbered.
    pub items: Vec<EvidenceItem>,
    /// What was found and not preserved.
    pub skipped: Vec<Skipped>,
    /// Facts about preserved items a reader must know (e.g. unsafe archive names).
    pub notices: Vec<Skipped>,
}

impl Acquisition {
    /// Whether something that should have been preserved could not be read (as opposed to
    /// links and special files, which are recorded by design).
    pub fn is_incomplete(&self) -> bool {
        self.skipped.iter().any(|s| {
            matches!(
                s.what.as_str(),
                "unreadable" | "corrupt" | "too_large" | "encrypted"
            )
        })
    }
}

/// What is already known before this acquisition: next exhibit number, and the exhibit that
/// first held each SHA-256.
#[derive(Debug, Default, Clone)]
pub struct Known {
    /// The number the next item gets.
    pub next_number: u64,
    /// SHA-256 → first exhibit number.
    pub first_by_sha: HashMap<String, u64>,
}

/// A file found by the walk, to be copied.
struct Found {
    argument: String,
    path: PathBuf,
    /// Size when walked (for the progress total; the copy records what it read).
    size: u64,
}

/// The result of copying one file into staging.
struct Copied {
    digests: Digests,
    size: u64,
    observed: ObservedMeta,
    zip: bool,
}

/// Acquires `inputs` into the staging area of `layout`.
///
/// Fails before copying anything if an argument does not exist or cannot be read at all; fails
/// part-way only if the case itself cannot be written (full disk). Unreadable files inside
/// folders and damaged archives are recorded in the result and the rest goes on.
pub fn acquire(
    layout: &Layout,
    inputs: &[PathBuf],
    known: &Known,
    limits: &Limits,
    progress: &dyn Progress,
) -> Result<Acquisition> {
    let mut acq = Acquisition::default();
    let mut found = Vec::new();
    for input in inputs {
        let arg = input.to_string_lossy().into_owned();
        check_argument(input)?;
        acq.arguments.push(arg.clone());
        walk(input, &arg, &mut found, &mut acq.skipped, 0);
    }
    fs::create_dir_all(layout.staged_objects())
        .map_err(|e| CaseError::io("creating", layout.staged_objects(), e))?;
    clean_temporaries(&layout.staged_objects());

    let total: u64 = found.iter().map(|f| f.size).sum();
    progress.begin("preserving", total);
    let stager = Stager {
        layout,
        known,
        write_failed: AtomicBool::new(false),
        counter: AtomicU64::new(0),
        writeback: WriteBack::start(),
    };
    let copies = copy_all(&stager, &found, progress);
    progress.end();
    if stager.write_failed.load(Ordering::SeqCst) {
        let err = copies
            .into_iter()
            .find_map(|c| c.err())
            .unwrap_or_else(|| io::Error::other("write failed"));
        return Err(CaseError::io("writing into", layout.staging(), err));
    }

    let mut state = Numbering {
        next: known.next_number.max(1),
        first_by_sha: known.first_by_sha.clone(),
    };
    for (f, copied) in found.into_iter().zip(copies) {
        match copied {
            Ok(c) => {
                let source = ItemSource::File {
                    argument: f.argument.clone(),
                    path: f.path.to_string_lossy().into_owned(),
                };
                let item = state.item(c.digests, c.size, source, c.observed);
                let (number, sha) = (item.number, item.digests.sha256.clone());
                acq.items.push(item);
                if c.zip {
                    let staged = staged_or_sealed(layout, &sha);
                    let budget = limits
                        .ratio
                        .saturating_mul(c.size)
                        .saturating_add(limits.slack);
                    let mut ctx = ArchiveCtx {
                        stager: &stager,
                        limits,
                        budget,
                        entries: 0,
                    };
                    ctx.extract(&staged, number, &sha, 1, &mut state, &mut acq)?;
                }
            }
            Err(e) => acq.skipped.push(Skipped {
                location: f.path.to_string_lossy().into_owned(),
                what: "unreadable".into(),
                reason: format!("could not be read: {e}"),
                link_target: None,
            }),
        }
    }
    // Waits for the hints already given, so the sync below finds the disk busy with them.
    drop(stager);
    // Everything staged must be on disk before the batch that names it is committed.
    crate::fsio::sync_filesystem(&layout.staged_objects())
        .map_err(|e| CaseError::io("syncing", layout.staged_objects(), e))?;
    Ok(acq)
}

/// Copies every found file into staging; results in the order of `found`.
///
/// Workers take the files largest first from one shared queue (longest-processing-time-first):
/// SM3 cannot be split within a file, so a big file started late would leave the other cores
/// idle while it finishes. (Rayon's parallel iterators split the list in halves instead, which
/// started the third-largest file after 14,000 small ones.) There is one worker more than
/// cores because a worker waits while its direct-I/O write reaches the device.
fn copy_all(
    stager: &Stager<'_>,
    found: &[Found],
    progress: &dyn Progress,
) -> Vec<io::Result<Copied>> {
    let mut order: Vec<usize> = (0..found.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(found[i].size));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: std::sync::Mutex<Vec<(usize, io::Result<Copied>)>> =
        std::sync::Mutex::new(Vec::with_capacity(found.len()));
    let work = || {
        loop {
            // After a failed write (a full disk) nothing more is started.
            if stager.write_failed.load(Ordering::SeqCst) {
                break;
            }
            let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) else {
                break;
            };
            let c = stager.copy_file(&found[i].path, progress);
            if let Ok(mut d) = done.lock() {
                d.push((i, c));
            }
        }
    };
    let workers = rayon::current_num_threads() + 1;
    match rayon::ThreadPoolBuilder::new().num_threads(workers).build() {
        Ok(pool) => pool.scope(|s| {
            for _ in 0..workers {
                s.spawn(|_| work());
            }
        }),
        // No threads to be had: copy on this one.
        Err(_) => work(),
    }
    let mut copied = done.into_inner().unwrap_or_else(|p| p.into_inner());
    copied.sort_by_key(|(i, _)| *i);
    let mut copied = copied.into_iter().peekable();
    (0..found.len())
        .map(|i| match copied.next_if(|(j, _)| *j == i) {
            Some((_, c)) => c,
            None => Err(io::Error::other("not copied: writing into the case failed")),
        })
        .collect()
}

/// Refuses arguments that do not exist or cannot be opened, with advice.
fn check_argument(input: &Path) -> Result<()> {
    let meta = fs::symlink_metadata(input).map_err(|e| CaseError::Input {
        path: input.to_owned(),
        reason: match e.kind() {
            io::ErrorKind::NotFound => "no such file or folder; check the path".into(),
            io::ErrorKind::PermissionDenied => {
                "permission denied; run as a user who may read it".into()
            }
            _ => e.to_string(),
        },
    })?;
    let denied = |e: io::Error| CaseError::Input {
        path: input.to_owned(),
        reason: if e.kind() == io::ErrorKind::PermissionDenied {
            "permission denied; run as a user who may read it, or copy it somewhere readable first"
                .into()
        } else {
            e.to_string()
        },
    };
    if meta.is_dir() {
        fs::read_dir(input).map_err(denied)?;
    } else if meta.is_file() {
        File::open(input).map_err(denied)?;
    }
    Ok(())
}

/// Walks a path without following links, in name order, recording what is not a regular file.
fn walk(path: &Path, arg: &str, found: &mut Vec<Found>, skipped: &mut Vec<Skipped>, depth: u32) {
    let loc = || path.to_string_lossy().into_owned();
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => {
            skipped.push(skip(
                loc(),
                "unreadable",
                format!("metadata unreadable: {e}"),
            ));
            return;
        }
    };
    let ft = meta.file_type();
    if ft.is_file() {
        found.push(Found {
            argument: arg.to_owned(),
            path: path.to_owned(),
            size: meta.len(),
        });
    } else if ft.is_dir() {
        // Bind mounts can make a tree cyclic without links; no real export nests this deep.
        if depth > 256 {
            skipped.push(skip(
                loc(),
                "unreadable",
                "folder nesting deeper than 256".into(),
            ));
            return;
        }
        let mut names: Vec<PathBuf> = match fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
            Err(e) => {
                skipped.push(skip(loc(), "unreadable", format!("folder unreadable: {e}")));
                return;
            }
        };
        names.sort();
        for child in names {
            walk(&child, arg, found, skipped, depth + 1);
        }
    } else if ft.is_symlink() {
        let target = fs::read_link(path)
            .map(|t| t.to_string_lossy().into_owned())
            .ok();
        skipped.push(Skipped {
            location: loc(),
            what: "symlink".into(),
            reason:
                "symbolic link recorded, not followed; add its target explicitly if it is evidence"
                    .into(),
            link_target: target,
        });
    } else {
        use std::os::unix::fs::FileTypeExt;
        let what = if ft.is_fifo() {
            "fifo"
        } else if ft.is_socket() {
            "socket"
        } else if ft.is_block_device() {
            "block_device"
        } else if ft.is_char_device() {
            "char_device"
        } else {
            "special"
        };
        skipped.push(skip(
            loc(),
            what,
            "special file recorded, not read (it has no fixed content); image a device with a disk imager first".into(),
        ));
    }
}

fn skip(location: String, what: &str, reason: String) -> Skipped {
    Skipped {
        location,
        what: what.into(),
        reason,
        link_target: None,
    }
}

/// Removes temporaries left by an `add` that was killed.
fn clean_temporaries(dir: &Path) {
    if let Ok(rd) = fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().starts_with("tmp-") {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

/// Where the bytes of `sha` are: staged, or already sealed.
fn staged_or_sealed(layout: &Layout, sha: &str) -> PathBuf {
    let staged = layout.staged_object(sha);
    if staged.exists() {
        staged
    } else {
        layout.path(&Layout::original_rel(sha))
    }
}

/// Writes through to a staged file and remembers whether a write failed, so that a full disk
/// (our fault to report) is told apart from an unreadable input (recorded, the rest goes on).
/// It also keeps the first bytes (to spot archives without reopening the file) and starts
/// write-back as it goes (see [`FlagWriter::start_writeback`]).
struct FlagWriter<'a> {
    inner: Arc<File>,
    failed: &'a AtomicBool,
    progress: &'a dyn Progress,
    writeback: &'a WriteBack,
    /// The file was opened for direct I/O and is still written that way.
    direct: bool,
    written: u64,
    /// Bytes before this offset have been handed to write-back.
    handed: u64,
    magic: [u8; 4],
}

/// How much is written before write-back of it is started.
const WRITEBACK_STEP: u64 = 8 << 20;

/// Files at least this large are copied with direct I/O where the file system allows it.
///
/// A buffered copy costs a kernel memcpy into freshly allocated page-cache pages and later
/// write-back work, both on the cores that hash; with `O_DIRECT` the device reads the hashing
/// buffer itself. The write waits for the device, but it runs beside the SM3 of the same chunk,
/// which takes longer. Small files stay buffered: a wait per file would cost more than it saves.
const DIRECT_MIN: u64 = 16 << 20;

impl FlagWriter<'_> {
    /// Hands what was written since the last call to write-back (see [`WriteBack`]).
    fn start_writeback(&mut self) {
        self.writeback
            .hint(&self.inner, self.handed, self.written - self.handed);
        self.handed = self.written;
    }

    fn is_zip(&self) -> bool {
        self.written >= 4 && (self.magic == *b"PK\x03\x04" || self.magic == *b"PK\x05\x06")
    }
}

impl FlagWriter<'_> {
    /// Writes `buf`, directly while the file is open for direct I/O and `buf` suits it,
    /// otherwise (the last, partial chunk; a file system that refuses) through the page cache.
    fn write_some(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.direct {
            let align = cunzheng_seal::hash::CHUNK_ALIGN;
            if buf.as_ptr().align_offset(align) == 0 && buf.len().is_multiple_of(align) {
                match (&*self.inner).write(buf) {
                    Err(e) if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {
                    }
                    r => return r,
                }
            }
            self.end_direct()?;
        }
        (&*self.inner).write(buf)
    }

    /// Goes on through the page cache.
    fn end_direct(&mut self) -> io::Result<()> {
        let flags = rustix::fs::fcntl_getfl(&*self.inner)?;
        rustix::fs::fcntl_setfl(&*self.inner, flags - rustix::fs::OFlags::DIRECT)?;
        self.direct = false;
        // Write-back hints cover only what was written through the page cache.
        self.handed = self.written;
        Ok(())
    }
}

/// Creates `path` for writing, for direct I/O when asked and the file system allows it.
fn create_staged(path: &Path, direct: bool) -> io::Result<(File, bool)> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    if direct {
        let flags = rustix::fs::OFlags::DIRECT.bits() as i32;
        match opts.clone().custom_flags(flags).open(path) {
            Ok(f) => return Ok((f, true)),
            // Refused by the file system (tmpfs before Linux 6.6, some FUSE file systems).
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {
                let _ = fs::remove_file(path);
            }
            Err(e) => return Err(e),
        }
    }
    Ok((opts.open(path)?, false))
}

impl Write for FlagWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.write_some(buf);
        match &r {
            Ok(n) => {
                let n = *n;
                if self.written < 4 {
                    let at = self.written as usize;
                    let take = n.min(4 - at);
                    self.magic[at..at + take].copy_from_slice(&buf[..take]);
                }
                self.written += n as u64;
                self.progress.advance(n as u64);
                if !self.direct && self.written - self.handed >= WRITEBACK_STEP {
                    self.start_writeback();
                }
            }
            Err(_) => self.failed.store(true, Ordering::SeqCst),
        }
        r
    }
    fn flush(&mut self) -> io::Result<()> {
        (&*self.inner)
            .flush()
            .inspect_err(|_| self.failed.store(true, Ordering::SeqCst))
    }
}

/// A stream stored as a staged object.
struct Stored {
    digests: Digests,
    size: u64,
    /// Starts like a zip archive.
    zip: bool,
}

/// What every staged object is written with, shared by the copying threads.
struct Stager<'a> {
    layout: &'a Layout,
    known: &'a Known,
    /// A write into the case failed (a full disk), as opposed to an unreadable input.
    write_failed: AtomicBool,
    /// Numbers temporary names.
    counter: AtomicU64,
    writeback: WriteBack,
}

impl Stager<'_> {
    /// Streams `reader` into a new staged object; returns digests and size.
    ///
    /// Objects whose SHA-256 is already in the case (`known`) or already staged are not staged
    /// again.
    fn store<R: Read + Send>(
        &self,
        reader: R,
        limit: Option<u64>,
        direct: bool,
        progress: &dyn Progress,
    ) -> io::Result<Stored> {
        let failed = |_: &io::Error| self.write_failed.store(true, Ordering::SeqCst);
        let dir = self.layout.staged_objects();
        let tmp = dir.join(format!(
            "tmp-{}-{}",
            std::process::id(),
            self.counter.fetch_add(1, Ordering::Relaxed)
        ));
        let (out, direct) = create_staged(&tmp, direct).inspect_err(failed)?;
        let mut sink = FlagWriter {
            // Unbuffered: hash_copy writes whole 1 MiB chunks.
            inner: Arc::new(out),
            failed: &self.write_failed,
            progress,
            writeback: &self.writeback,
            direct,
            written: 0,
            handed: 0,
            magic: [0; 4],
        };
        // Durability comes from one sync of the file system at the end of `acquire`.
        let result = hash_copy(reader, &mut sink, limit).and_then(|r| {
            sink.flush()?;
            Ok(r)
        });
        crate::fault::point("add-mid-copy");
        let (digests, size) = match result {
            Ok(r) => r,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
        };
        sink.start_writeback();
        let zip = sink.is_zip();
        let stored = Stored { digests, size, zip };
        let sealed_already = self.known.first_by_sha.contains_key(&stored.digests.sha256)
            && self
                .layout
                .path(&Layout::original_rel(&stored.digests.sha256))
                .exists();
        if sealed_already {
            let _ = fs::remove_file(&tmp);
            return Ok(stored);
        }
        // Read-only before it gets its name, through the open handle: a staged object is never
        // writable, even after a crash, and seal need not touch it again.
        set_read_only(&sink.inner).inspect_err(failed)?;
        drop(sink);
        let staged = self.layout.staged_object(&stored.digests.sha256);
        let renamed = match crate::fsio::rename_no_replace(&tmp, &staged) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // The first object of its folder.
                if let Some(parent) = staged.parent() {
                    fs::create_dir_all(parent).inspect_err(failed)?;
                }
                crate::fsio::rename_no_replace(&tmp, &staged)
            }
            r => r,
        };
        // Not renamed: same content staged by another file of this batch or an earlier add.
        if !renamed.inspect_err(failed)? {
            let _ = fs::remove_file(&tmp);
        }
        Ok(stored)
    }

    fn copy_file(&self, path: &Path, progress: &dyn Progress) -> io::Result<Copied> {
        let file = File::open(path)?;
        // Metadata from the open handle, before reading: what was read is what was described.
        let meta = file.metadata()?;
        let observed = observed_meta(&meta);
        let stored = self.store(file, None, meta.len() >= DIRECT_MIN, progress)?;
        Ok(Copied {
            digests: stored.digests,
            size: stored.size,
            observed,
            zip: stored.zip,
        })
    }
}

/// Mode 0444 through an open handle.
fn set_read_only(file: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o444))
}

fn observed_meta(meta: &fs::Metadata) -> ObservedMeta {
    use std::os::unix::fs::MetadataExt;
    let ts = |t: io::Result<std::time::SystemTime>| {
        t.ok()
            .and_then(|t| jiff::Timestamp::try_from(t).ok())
            .map(crate::env::utc_text)
    };
    ObservedMeta {
        modified: ts(meta.modified()),
        changed: jiff::Timestamp::new(meta.ctime(), meta.ctime_nsec() as i32)
            .ok()
            .map(crate::env::utc_text),
        created: ts(meta.created()),
        mode: Some(format!("{:o}", meta.mode() & 0o7777)),
        ..ObservedMeta::default()
    }
}

/// Assigns exhibit numbers and notes duplicates.
struct Numbering {
    next: u64,
    first_by_sha: HashMap<String, u64>,
}

impl Numbering {
    fn item(
        &mut self,
        digests: Digests,
        size: u64,
        source: ItemSource,
        observed: ObservedMeta,
    ) -> EvidenceItem {
        let number = self.next;
        self.next += 1;
        let first_seen_as = match self.first_by_sha.get(&digests.sha256) {
            Some(&n) => Some(n),
            None => {
                self.first_by_sha.insert(digests.sha256.clone(), number);
                None
            }
        };
        EvidenceItem {
            number,
            stored_as: Layout::original_rel(&digests.sha256),
            digests,
            size,
            source,
            observed,
            first_seen_as,
        }
    }
}

struct ArchiveCtx<'a> {
    stager: &'a Stager<'a>,
    limits: &'a Limits,
    /// Decompressed bytes still allowed for the outermost archive (shared by nested ones).
    budget: u64,
    entries: u64,
}

impl ArchiveCtx<'_> {
    fn extract(
        &mut self,
        path: &Path,
        archive_no: u64,
        archive_sha: &str,
        depth: u32,
        state: &mut Numbering,
        acq: &mut Acquisition,
    ) -> Result<()> {
        let here = |extra: &str| format!("exhibit {archive_no}{extra}");
        let file = File::open(path).map_err(|e| CaseError::io("reading", path, e))?;
        let mut zip = match zip::ZipArchive::new(file) {
            Ok(z) => z,
            Err(e) => {
                acq.skipped.push(skip(
                    here(""),
                    "corrupt",
                    format!("looks like a zip archive but its directory cannot be read ({e}); the archive itself is preserved as it is"),
                ));
                return Ok(());
            }
        };
        for i in 0..zip.len() {
            let loc = |name: &str| here(&format!(" entry {i} `{name}`"));
            self.entries += 1;
            if self.entries > self.limits.max_entries {
                acq.skipped.push(skip(
                    here(""),
                    "too_large",
                    format!("more than {} entries; the rest were not extracted (the archive itself is preserved)", self.limits.max_entries),
                ));
                break;
            }
            let meta = match zip.by_index_raw(i) {
                Ok(f) => EntryMeta::of(&f),
                Err(e) => {
                    acq.skipped.push(skip(
                        loc("?"),
                        "corrupt",
                        format!("entry header unreadable: {e}"),
                    ));
                    continue;
                }
            };
            if meta.is_dir {
                continue;
            }
            if meta.encrypted {
                acq.skipped.push(skip(
                    loc(&meta.name),
                    "encrypted",
                    "entry is password-protected; it stays inside the preserved archive".into(),
                ));
                continue;
            }
            if meta.is_symlink {
                let mut target = String::new();
                if let Ok(f) = zip.by_index(i) {
                    let _ = f.take(4096).read_to_string(&mut target);
                }
                acq.skipped.push(Skipped {
                    location: loc(&meta.name),
                    what: "symlink".into(),
                    reason: "link entry recorded, not followed".into(),
                    link_target: Some(target),
                });
                continue;
            }
            let reader = match zip.by_index(i) {
                Ok(r) => r,
                Err(e) => {
                    acq.skipped.push(skip(
                        loc(&meta.name),
                        "unsupported",
                        format!("entry cannot be decompressed ({e}); it stays inside the preserved archive"),
                    ));
                    continue;
                }
            };
            let stored = self
                .stager
                .store(reader, Some(self.budget), false, &NoProgress);
            if self.stager.write_failed.load(Ordering::SeqCst) {
                let e = stored
                    .err()
                    .unwrap_or_else(|| io::Error::other("write failed"));
                return Err(CaseError::io(
                    "writing into",
                    self.stager.layout.staging(),
                    e,
                ));
            }
            let (digests, size, zip) = match stored {
                Ok(r) => (r.digests, r.size, r.zip),
                Err(e) if e.kind() == io::ErrorKind::FileTooLarge => {
                    acq.skipped.push(skip(
                        loc(&meta.name),
                        "too_large",
                        format!("decompression passed the safety limit for this archive ({} bytes): possible zip bomb; extraction stopped, the archive itself is preserved", self.budget),
                    ));
                    self.budget = 0;
                    break;
                }
                Err(e) => {
                    acq.skipped.push(skip(
                        loc(&meta.name),
                        "corrupt",
                        format!(
                            "entry data is damaged ({e}); it stays inside the preserved archive"
                        ),
                    ));
                    continue;
                }
            };
            self.budget = self.budget.saturating_sub(size);
            let source = ItemSource::ArchiveEntry {
                archive: archive_no,
                archive_sha256: archive_sha.to_owned(),
                index: i as u64,
                name: meta.name.clone(),
                name_raw_hex: meta.name_raw_hex.clone(),
            };
            let item = state.item(digests, size, source, meta.observed.clone());
            let (number, sha) = (item.number, item.digests.sha256.clone());
            acq.items.push(item);
            if !is_safe_entry_name(&meta.name) {
                acq.notices.push(skip(
                    loc(&meta.name),
                    "unsafe_name",
                    format!("entry name would escape a folder if extracted by name (zip-slip / absolute path); preserved by content as exhibit {number}, the name was never used as a path"),
                ));
            }
            if zip {
                let staged = staged_or_sealed(self.stager.layout, &sha);
                if depth >= self.limits.max_archive_depth {
                    acq.notices.push(skip(
                        loc(&meta.name),
                        "nested_archive",
                        format!("archive nested deeper than {} levels: preserved as exhibit {number}, not opened", self.limits.max_archive_depth),
                    ));
                } else {
                    self.extract(&staged, number, &sha, depth + 1, state, acq)?;
                }
            }
        }
        Ok(())
    }
}

/// What the central directory says about one entry.
struct EntryMeta {
    name: String,
    name_raw_hex: Option<String>,
    is_dir: bool,
    is_symlink: bool,
    encrypted: bool,
    observed: ObservedMeta,
}

impl EntryMeta {
    fn of<R: Read + ?Sized>(f: &zip::read::ZipFile<'_, R>) -> Self {
        let raw = f.name_raw();
        let (name, name_raw_hex) = match std::str::from_utf8(raw) {
            Ok(s) => (s.to_owned(), None),
            // Chinese Windows archivers write GBK names without the UTF-8 flag.
            Err(_) => (
                encoding_rs::GB18030
                    .decode_without_bom_handling(raw)
                    .0
                    .into_owned(),
                Some(hex::encode(raw)),
            ),
        };
        let archive_time = f.last_modified().map(|t| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02} (zone not stored in zip)",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        });
        Self {
            is_dir: f.is_dir(),
            is_symlink: f.is_symlink(),
            encrypted: f.encrypted(),
            observed: ObservedMeta {
                mode: f.unix_mode().map(|m| format!("{:o}", m & 0o7777)),
                archive_time,
                compressed_size: Some(f.compressed_size()),
                compression: Some(f.compression().to_string()),
                crc32: Some(format!("{:08x}", f.crc32())),
                ..ObservedMeta::default()
            },
            name,
            name_raw_hex,
        }
    }
}

/// A name that stays inside a folder when extracted: relative, no `..`, no drive letter.
fn is_safe_entry_name(name: &str) -> bool {
    let n = name.trim_end_matches(['/', '\\']);
    let absolute = n.starts_with(['/', '\\']) || n.as_bytes().get(1) == Some(&b':');
    let escapes = n.contains('\0') || n.split(['/', '\\']).any(|p| p == "..");
    !(n.is_empty() || absolute || escapes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names() {
        for ok in ["a.txt", "dir/a.txt", "dir\\a.txt", "聊天记录/1.txt", "..a"] {
            assert!(is_safe_entry_name(ok), "{ok}");
        }
        for bad in [
            "../x",
            "/etc/passwd",
            "a/../../x",
            "C:\\Windows\\x",
            "\\\\server\\x",
            "..\\x",
            "",
        ] {
            assert!(!is_safe_entry_name(bad), "{bad}");
        }
    }
}
