//! A large text file read in chunks of whole lines, the chunks worked on by one thread per
//! core, and the results handed back in file order, with memory bounded by a few chunks.
//!
//! For line formats whose records can be parsed chunk by chunk once a first pass has fixed
//! what depends on the whole file. Threads are plain scoped threads with bounded channels
//! (not rayon): each worker takes every n-th chunk, so reading the workers' outputs in turn
//! restores file order without sorting or holding finished chunks back.

use std::io::Read;
use std::sync::mpsc;

use crate::source::MAX_RECORD;

/// How to cut a file into chunks and how many threads work on them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Split {
    /// Worker threads.
    pub threads: usize,
    /// Bytes a chunk is read to before being cut at its last line end.
    pub chunk: usize,
    /// Longest line the chunks may hold; at a longer one, the rest of the file is left to
    /// the format's own line reader (which caps records at [`MAX_RECORD`]).
    pub max_line: usize,
}

impl Split {
    /// One worker per core (at most 8; the environment variable `CUNZHENG_THREADS` sets
    /// another number, 1 for none), chunks of 1 MiB.
    pub fn auto() -> Self {
        let threads = std::env::var("CUNZHENG_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)))
            .min(64);
        Self {
            threads,
            chunk: 1 << 20,
            max_line: 4 << 20,
        }
    }

    /// Whether working in chunks pays for this file: more than one thread, and at least two
    /// chunks' worth of bytes. `fits` is the format's own condition (an encoding whose line
    /// ends are single `\n` bytes).
    pub fn worth_it(&self, file: &std::fs::File, fits: bool) -> bool {
        fits && self.threads > 1
            && file
                .metadata()
                .is_ok_and(|m| m.len() >= 2 * self.chunk as u64)
    }

    /// `max_line` within what the chunk size and [`MAX_RECORD`] allow.
    fn max_line(&self) -> usize {
        self.max_line.max(self.chunk).min(MAX_RECORD - 2)
    }
}

/// Whole lines of the file.
#[derive(Debug)]
pub(crate) struct Chunk {
    /// The bytes: whole lines, each ended by `\n` except perhaps the file's last.
    pub buf: Vec<u8>,
    /// File offset of `buf[0]`.
    pub base: u64,
    /// How many lines come before it (its first line is number `line + 1`).
    pub line: u64,
}

/// What comes out of the pipeline, in file order.
#[derive(Debug)]
pub(crate) enum Done<T> {
    /// A chunk's result.
    Chunk(T),
    /// A line longer than [`Split::max_line`] starts at `base` (line `line + 1`): the rest
    /// of the file is the caller's to read; nothing follows.
    Rest { base: u64, line: u64 },
    /// Reading failed; nothing follows.
    Error(std::io::Error),
}

/// Cuts what `r` yields into chunks of whole lines.
struct Pieces<R> {
    r: R,
    chunk: usize,
    max_line: usize,
    /// The start of a line whose end has not been read yet.
    carry: Vec<u8>,
    base: u64,
    line: u64,
    done: bool,
    /// Buffers of chunks already worked on, to read the next ones into.
    recycled: mpsc::Receiver<Vec<u8>>,
}

impl<R: Read> Iterator for Pieces<R> {
    type Item = Done<Chunk>;

    fn next(&mut self) -> Option<Done<Chunk>> {
        if self.done {
            return None;
        }
        let mut buf = match self.recycled.try_recv() {
            Ok(mut b) => {
                b.clear();
                b.extend_from_slice(&self.carry);
                self.carry.clear();
                b
            }
            Err(_) => std::mem::take(&mut self.carry),
        };
        let mut goal = self.chunk;
        // `buf[..searched]` has no line end (the carry is the start of a line).
        let mut searched = buf.len();
        loop {
            // Never more than `max_line + 1` bytes: every line in a chunk stays under it.
            let want = goal.min(self.max_line + 1).saturating_sub(buf.len());
            let eof = match (&mut self.r).take(want as u64).read_to_end(&mut buf) {
                Ok(n) => n < want,
                Err(e) => {
                    self.done = true;
                    return Some(Done::Error(e));
                }
            };
            if eof {
                self.done = true;
                if buf.is_empty() {
                    return None;
                }
                return Some(Done::Chunk(Chunk {
                    buf,
                    base: self.base,
                    line: self.line,
                }));
            }
            let found = memchr::memrchr(b'\n', buf.get(searched..).unwrap_or_default());
            if let Some(p) = found.map(|p| searched + p) {
                self.carry = buf.get(p + 1..).unwrap_or_default().to_vec();
                buf.truncate(p + 1);
                let chunk = Chunk {
                    base: self.base,
                    line: self.line,
                    buf,
                };
                self.base += chunk.buf.len() as u64;
                self.line += memchr::memchr_iter(b'\n', &chunk.buf).count() as u64;
                return Some(Done::Chunk(chunk));
            }
            if buf.len() > self.max_line {
                self.done = true;
                return Some(Done::Rest {
                    base: self.base,
                    line: self.line,
                });
            }
            searched = buf.len();
            // Doubling: a long line costs as many reads as its length's doublings.
            goal = buf.len() + self.chunk.max(buf.len());
        }
    }
}

/// Reads `r` (positioned at file offset `base`, a line start) in chunks, runs `work` on each
/// chunk on `split.threads` threads, and gives the results with their chunks to `each` in
/// file order until it returns `false` or the file ends.
pub(crate) fn in_order<R, T, W, E>(r: R, base: u64, split: &Split, work: W, mut each: E)
where
    R: Read + Send,
    T: Send,
    W: Fn(&Chunk) -> T + Sync,
    E: FnMut(Done<(T, &Chunk)>) -> bool,
{
    let n = split.threads.max(1);
    // Chunk buffers go back to the reader: a fresh megabyte costs a page fault every 4 KiB.
    let (recycle, recycled) = mpsc::sync_channel::<Vec<u8>>(2 * n + 2);
    let pieces = Pieces {
        r,
        chunk: split.chunk.max(1),
        max_line: split.max_line(),
        carry: Vec::new(),
        base,
        line: 0,
        done: false,
        recycled,
    };
    std::thread::scope(|s| {
        let work = &work;
        let mut inputs = Vec::with_capacity(n);
        let mut outputs = Vec::with_capacity(n);
        for _ in 0..n {
            // One chunk waiting and one result waiting per worker: memory stays bounded.
            let (tx, rx) = mpsc::sync_channel::<Done<Chunk>>(1);
            let (out_tx, out_rx) = mpsc::sync_channel::<Done<(T, Chunk)>>(1);
            s.spawn(move || {
                for piece in rx {
                    let out = match piece {
                        Done::Chunk(c) => Done::Chunk((work(&c), c)),
                        Done::Rest { base, line } => Done::Rest { base, line },
                        Done::Error(e) => Done::Error(e),
                    };
                    if out_tx.send(out).is_err() {
                        break;
                    }
                }
            });
            inputs.push(tx);
            outputs.push(out_rx);
        }
        s.spawn(move || {
            for (k, piece) in pieces.enumerate() {
                let Some(tx) = inputs.get(k % n) else { break };
                if tx.send(piece).is_err() {
                    break;
                }
            }
        });
        let mut k = 0;
        while let Some(rx) = outputs.get(k % n) {
            // A closed channel: that worker got no more chunks, so the file is done.
            let Ok(done) = rx.recv() else { break };
            let go_on = match done {
                Done::Chunk((t, chunk)) => {
                    let go_on = each(Done::Chunk((t, &chunk)));
                    // The reader may have enough already: then the buffer is freed.
                    let _ = recycle.try_send(chunk.buf);
                    go_on
                }
                Done::Rest { base, line } => each(Done::Rest { base, line }),
                Done::Error(e) => each(Done::Error(e)),
            };
            if !go_on {
                break;
            }
            k += 1;
        }
        // Dropping the receivers stops the workers and then the reader.
        drop(outputs);
        drop(recycle);
    });
}

/// The lines of a chunk: (start, end) of each line's content, without its `\n` and a CR
/// before it.
pub(crate) fn lines(buf: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut ends = memchr::memchr_iter(b'\n', buf);
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= buf.len() {
            return None;
        }
        let (end, next) = ends.next().map_or((buf.len(), buf.len()), |p| (p, p + 1));
        let line = start;
        start = next;
        let content = if end > line && buf.get(end - 1) == Some(&b'\r') {
            end - 1
        } else {
            end
        };
        Some((line, content))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(data: &[u8], split: &Split) -> Vec<Done<(u64, u64, Vec<u8>)>> {
        let mut got = Vec::new();
        in_order(
            data,
            7,
            split,
            |c| (c.base, c.line),
            |d| {
                got.push(match d {
                    Done::Chunk(((base, line), c)) => {
                        assert_eq!((base, line), (c.base, c.line));
                        Done::Chunk((base, line, c.buf.clone()))
                    }
                    Done::Rest { base, line } => Done::Rest { base, line },
                    Done::Error(e) => Done::Error(e),
                });
                true
            },
        );
        got
    }

    #[test]
    fn chunks_are_whole_lines_in_order() {
        let data: Vec<u8> = (0..500)
            .flat_map(|i| format!("line {i} {}\n", "x".repeat(i % 37)).into_bytes())
            .chain(*b"no newline at the end")
            .collect();
        for threads in [1, 2, 3] {
            for chunk in [1, 10, 64, 1000, 1 << 20] {
                let split = Split {
                    threads,
                    chunk,
                    max_line: 100,
                };
                let got = run(&data, &split);
                let mut joined = Vec::new();
                let (mut base, mut line) = (7u64, 0u64);
                for d in got {
                    let Done::Chunk((b, l, buf)) = d else {
                        panic!("not a chunk")
                    };
                    assert_eq!((b, l), (base, line));
                    assert!(buf.ends_with(b"\n") || buf.ends_with(b"end"));
                    base += buf.len() as u64;
                    line += buf.iter().filter(|&&c| c == b'\n').count() as u64;
                    joined.extend(buf);
                }
                assert_eq!(joined, data, "threads {threads}, chunk {chunk}");
            }
        }
    }

    #[test]
    fn a_long_line_leaves_the_rest_to_the_caller() {
        let mut data = b"a\nbb\n".to_vec();
        data.extend(vec![b'x'; 300]);
        data.extend(b"\nafter\n");
        let split = Split {
            threads: 2,
            chunk: 4,
            max_line: 100,
        };
        let got = run(&data, &split);
        let last = got.last().expect("something");
        assert!(matches!(last, Done::Rest { base: 12, line: 2 }), "{last:?}");
        let first: Vec<u8> = got
            .iter()
            .filter_map(|d| match d {
                Done::Chunk((_, _, b)) => Some(b.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(first, b"a\nbb\n");
    }

    #[test]
    fn stopping_early_ends_the_threads() {
        let data = b"1\n2\n3\n4\n5\n6\n7\n8\n".repeat(100);
        let split = Split {
            threads: 2,
            chunk: 2,
            max_line: 10,
        };
        let mut seen = 0;
        in_order(
            data.as_slice(),
            0,
            &split,
            |c| c.buf.len(),
            |_| {
                seen += 1;
                seen < 3
            },
        );
        assert_eq!(seen, 3);
    }

    #[test]
    fn line_ranges() {
        let buf = b"a\r\n\r\nb\r\r\nc";
        let got: Vec<_> = lines(buf).map(|(s, e)| &buf[s..e]).collect();
        assert_eq!(got, [&b"a"[..], b"", b"b\r", b"c"]);
        assert_eq!(lines(b"").count(), 0);
        assert_eq!(lines(b"\n").collect::<Vec<_>>(), [(0, 0)]);
    }
}
