//! Starting disk write-back of staged files on a thread of its own.
//!
//! Without a hint nothing reaches the disk before the one `syncfs` at the end of acquisition
//! (dirty pages may stay in memory up to a tenth of RAM), so hashing and the disk would work one
//! after the other instead of side by side. The hint itself may block: on ext4 it allocates
//! blocks and submits the writes in the caller, and waits when the device queue is full. Given
//! in the hashing threads, it stalled hashing on a slow disk; here only this thread waits.

use std::fs::File;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

/// Hints waiting for the thread. Each holds an open file, so the queue is kept well below the
/// usual limit of 1024 open files.
const QUEUE: usize = 256;

/// A byte range of a file whose write-back should start.
struct Hint {
    file: Arc<File>,
    offset: u64,
    len: u64,
}

/// The write-back thread. Dropping it waits for the hints already queued.
pub(crate) struct WriteBack {
    tx: Option<SyncSender<Hint>>,
    thread: Option<JoinHandle<()>>,
}

impl WriteBack {
    /// Starts the thread. When no thread can be started, hints are dropped: durability never
    /// depends on them (the sync at the end of acquisition writes everything).
    pub(crate) fn start() -> Self {
        let (tx, rx) = sync_channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("cunzheng-writeback".into())
            .spawn(move || run(rx))
            .ok();
        Self {
            tx: thread.as_ref().map(|_| tx),
            thread,
        }
    }

    /// Asks for write-back of `len` bytes of `file` from `offset`, without waiting. When the
    /// queue is full the disk is already the bottleneck, and the hint is dropped rather than
    /// making the caller wait for it.
    pub(crate) fn hint(&self, file: &Arc<File>, offset: u64, len: u64) {
        if len == 0 {
            return;
        }
        if let Some(tx) = &self.tx {
            let hint = Hint {
                file: Arc::clone(file),
                offset,
                len,
            };
            match tx.try_send(hint) {
                Ok(()) | Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {}
            }
        }
    }
}

impl Drop for WriteBack {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(rx: Receiver<Hint>) {
    for hint in rx {
        if let Some(len) = std::num::NonZeroU64::new(hint.len) {
            // `POSIX_FADV_DONTNEED` on Linux starts asynchronous write-back of the dirty pages
            // in the range (and drops the clean ones, which keeps a big copy from pushing
            // everything else out of the page cache). Only a hint: errors change nothing.
            let _ = rustix::fs::fadvise(
                &*hint.file,
                hint.offset,
                Some(len),
                rustix::fs::Advice::DontNeed,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn hints_are_taken_and_the_thread_ends() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        let file = Arc::new(File::create(&path).expect("create"));
        (&*file).write_all(&[7u8; 100_000]).expect("write");
        let wb = WriteBack::start();
        for i in 0..(QUEUE as u64 * 4) {
            wb.hint(&file, i * 10, 10);
        }
        wb.hint(&file, 0, 0);
        drop(wb);
        // Every queued hint was dropped with the thread: only this handle is left.
        assert_eq!(Arc::strong_count(&file), 1);
        assert_eq!(std::fs::read(&path).expect("read"), vec![7u8; 100_000]);
    }
}
