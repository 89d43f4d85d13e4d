//! Test helpers shared by the cunzheng crates; a dev-dependency only, never shipped.

use std::path::Path;

/// Feeds every file in `fuzz/regressions/<target>/` (inputs `cargo fuzz` once crashed on) to
/// the fuzz target's entry point `f`, so every `cargo test` replays them without cargo-fuzz.
/// Returns how many inputs were replayed (0 when the folder does not exist).
///
/// # Panics
///
/// When a file in the folder cannot be read: a test should fail loudly then.
pub fn replay_fuzz_regressions(target: &str, f: impl Fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let mut paths: Vec<_> = entries
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()));
    paths.sort();
    for path in &paths {
        println!("replaying {}", path.display());
        let bytes =
            std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        f(&bytes);
    }
    paths.len()
}

/// A fuzz target's name and its entry point.
pub type Target<'a> = (&'a str, fn(&[u8]));

/// [`replay_fuzz_regressions`] for each `(target, entry point)`; prints and returns how many
/// inputs were replayed in all.
pub fn replay_all(targets: &[Target<'_>]) -> usize {
    let n = targets
        .iter()
        .map(|(target, f)| replay_fuzz_regressions(target, f))
        .sum();
    println!("replayed {n} inputs");
    n
}
