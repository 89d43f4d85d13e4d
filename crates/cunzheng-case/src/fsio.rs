//! Durable file writes. Nothing is reported written before it is on disk: files are written
//! to a temporary name, fsync'd, renamed into place, and the folder is fsync'd.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Writes `bytes` to `path` so that a crash leaves either the old content or the new, never a
/// mix. Creates parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no parent"))?;
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Fsyncs a folder so that renames and creations in it survive a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Flushes every file of the file system holding `dir` to disk. One call after writing many
/// files costs one journal commit instead of one per file (an fsync each made acquisition of
/// thousands of small files several times slower than hashing them).
pub fn sync_filesystem(dir: &Path) -> io::Result<()> {
    let f = File::open(dir)?;
    rustix::fs::syncfs(&f).map_err(io::Error::from)
}

/// A file created on its first write: a writer handed to code that may write nothing (a parser
/// that does not recognise the file) then costs no file-system call. On this kind of VM an
/// `openat` costs about 0.35 ms, which was a tenth of acquiring thousands of small files.
pub struct LazyFile {
    path: std::path::PathBuf,
    file: Option<io::BufWriter<File>>,
}

impl LazyFile {
    /// A writer for `path`, not created yet.
    pub fn new(path: std::path::PathBuf) -> Self {
        Self { path, file: None }
    }

    /// Whether anything was written (and so the file exists).
    pub fn created(&self) -> bool {
        self.file.is_some()
    }
}

impl Write for LazyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let file = match &mut self.file {
            Some(f) => f,
            None => self
                .file
                .insert(io::BufWriter::new(File::create(&self.path)?)),
        };
        file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

/// Makes a file read-only for everyone (originals are never to be modified).
pub fn make_read_only(path: &Path) -> io::Result<()> {
    let mut perms = fs::metadata(path)?.permissions();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        perms.set_mode(0o444);
    }
    #[cfg(not(unix))]
    perms.set_readonly(true);
    fs::set_permissions(path, perms)
}

/// Renames `src` to `dst` unless `dst` exists; `Ok(false)` when it did.
///
/// One system call where `exists()` + `rename` took two; on file systems without
/// `RENAME_NOREPLACE` it falls back to that pair.
pub fn rename_no_replace(src: &Path, dst: &Path) -> io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, src, CWD, dst, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::EXIST) => Ok(false),
        Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {
            if dst.exists() {
                return Ok(false);
            }
            fs::rename(src, dst)?;
            Ok(true)
        }
        Err(e) => Err(e.into()),
    }
}
