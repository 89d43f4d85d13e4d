//! Proofs built from stored perfect subtrees: every proof reads O(log n) nodes through a
//! [`NodeSource`] instead of rehashing the leaves.
//!
//! The recursion is RFC 9162 §2.1.3.1 (PATH) and §2.1.4.1 (PROOF), the same as
//! [`cunzheng_seal::merkle::inclusion_proof`] and [`cunzheng_seal::merkle::consistency_proof`],
//! which take all leaves in memory; the tests check both give identical proofs. Hashing and
//! verification are `cunzheng_seal::merkle`'s.

use crate::layout::{self, NodeId};
use cunzheng_seal::merkle::{self, Hash};

/// Where the hashes of perfect subtrees come from (the store, or memory in tests).
pub trait NodeSource {
    /// The error of a failed read.
    type Error;
    /// The hash of the perfect subtree `id`, which lies wholly inside the tree being proved.
    fn node(&mut self, id: NodeId) -> Result<Hash, Self::Error>;
}

/// Why a proof could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TreeError<E> {
    /// The requested sizes or index do not fit the tree.
    #[error("{0}")]
    Range(String),
    /// Reading a node failed.
    #[error(transparent)]
    Source(E),
}

/// MTH of leaves `[begin, end)` (`begin < end`, a range that occurs in RFC 9162 trees).
pub fn range_root<S: NodeSource>(
    src: &mut S,
    begin: u64,
    end: u64,
) -> Result<Hash, TreeError<S::Error>> {
    let mut nodes = layout::cover(begin, end).into_iter().rev();
    let Some(last) = nodes.next() else {
        return Err(TreeError::Range(format!("empty range {begin}..{end}")));
    };
    let mut acc = src.node(last).map_err(TreeError::Source)?;
    for id in nodes {
        let left = src.node(id).map_err(TreeError::Source)?;
        acc = merkle::node_hash(&left, &acc);
    }
    Ok(acc)
}

/// The root of a tree of `size` leaves (`size == 0` gives SHA-256 of the empty string).
pub fn root<S: NodeSource>(src: &mut S, size: u64) -> Result<Hash, TreeError<S::Error>> {
    if size == 0 {
        return Ok(merkle::root(&[]));
    }
    range_root(src, 0, size)
}

/// The audit path of leaf `index` in the tree of `size` leaves, leaf to root.
pub fn inclusion_proof<S: NodeSource>(
    src: &mut S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, TreeError<S::Error>> {
    if index >= size {
        return Err(TreeError::Range(format!(
            "leaf index {index} is outside a tree of size {size}"
        )));
    }
    // Walk down from the root, remembering siblings, then emit them bottom-up.
    let mut siblings = Vec::new();
    let (mut begin, mut end) = (0u64, size);
    while end - begin > 1 {
        let k = layout::split_point(end - begin);
        if index - begin < k {
            siblings.push((begin + k, end));
            end = begin + k;
        } else {
            siblings.push((begin, begin + k));
            begin += k;
        }
    }
    siblings
        .into_iter()
        .rev()
        .map(|(b, e)| range_root(src, b, e))
        .collect()
}

/// The consistency proof from the tree of `old_size` leaves to the tree of `new_size`
/// (`0 < old_size <= new_size`; equal sizes give an empty proof).
pub fn consistency_proof<S: NodeSource>(
    src: &mut S,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, TreeError<S::Error>> {
    if old_size == 0 || old_size > new_size {
        return Err(TreeError::Range(format!(
            "no consistency proof from size {old_size} to size {new_size}"
        )));
    }
    // SUBPROOF(m, D[begin:end], complete), unrolled; `m` counts leaves from `begin`. The
    // recursion emits the innermost element first, then the siblings bottom-up.
    let mut siblings: Vec<(u64, u64)> = Vec::new();
    let (mut m, mut begin, mut end, mut complete) = (old_size, 0u64, new_size, true);
    let innermost = loop {
        let n = end - begin;
        if m == n {
            break (!complete).then_some((begin, end));
        }
        let k = layout::split_point(n);
        if m <= k {
            siblings.push((begin + k, end));
            end = begin + k;
        } else {
            siblings.push((begin, begin + k));
            m -= k;
            begin += k;
            complete = false;
        }
    };
    let mut out = Vec::with_capacity(siblings.len() + 1);
    for (b, e) in innermost.into_iter().chain(siblings.into_iter().rev()) {
        out.push(range_root(src, b, e)?);
    }
    Ok(out)
}

/// The perfect subtrees of the current tree, kept in memory by the writer so that an append
/// needs no reads: hashes left to right with their levels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    nodes: Vec<(u32, Hash)>,
}

impl Frontier {
    /// Loads the frontier of a tree of `size` leaves from a node source.
    pub fn load<S: NodeSource>(src: &mut S, size: u64) -> Result<Self, TreeError<S::Error>> {
        let mut nodes = Vec::new();
        for id in layout::frontier(size) {
            nodes.push((id.level, src.node(id).map_err(TreeError::Source)?));
        }
        Ok(Self { size, nodes })
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash; calls `completed` with every interior node this finishes
    /// (the caller stores them).
    pub fn push(&mut self, leaf: Hash, mut completed: impl FnMut(NodeId, &Hash)) {
        let index = self.size;
        self.nodes.push((0, leaf));
        let mut done = layout::completed_by(index);
        while self.nodes.len() >= 2 {
            let (lr, right) = self.nodes[self.nodes.len() - 1];
            let (ll, left) = self.nodes[self.nodes.len() - 2];
            if ll != lr {
                break;
            }
            self.nodes.truncate(self.nodes.len() - 2);
            let h = merkle::node_hash(&left, &right);
            self.nodes.push((ll + 1, h));
            if let Some(id) = done.next() {
                completed(id, &h);
            }
        }
        self.size += 1;
    }

    /// The tree head.
    pub fn root(&self) -> Hash {
        let mut it = self.nodes.iter().rev();
        let Some((_, last)) = it.next() else {
            return merkle::root(&[]);
        };
        it.fold(*last, |acc, (_, left)| merkle::node_hash(left, &acc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::convert::Infallible;

    /// Nodes in a map, filled by a frontier as the store does.
    #[derive(Default)]
    struct Mem {
        nodes: HashMap<NodeId, Hash>,
        reads: usize,
    }

    impl NodeSource for Mem {
        type Error = Infallible;
        fn node(&mut self, id: NodeId) -> Result<Hash, Infallible> {
            self.reads += 1;
            Ok(*self.nodes.get(&id).expect("stored node"))
        }
    }

    fn build(n: u64) -> (Mem, Frontier, Vec<Hash>) {
        let mut mem = Mem::default();
        let mut f = Frontier::default();
        let mut leaves = Vec::new();
        for i in 0..n {
            let leaf = merkle::leaf_hash(&i.to_be_bytes());
            leaves.push(leaf);
            mem.nodes.insert(NodeId { level: 0, index: i }, leaf);
            f.push(leaf, |id, h| {
                mem.nodes.insert(id, *h);
            });
        }
        (mem, f, leaves)
    }

    #[test]
    fn proofs_match_the_in_memory_reference() {
        let (mut mem, f, leaves) = build(70);
        for n in 1..=70u64 {
            let tree = &leaves[..n as usize];
            let want_root = merkle::root(tree);
            assert_eq!(root(&mut mem, n).expect("root"), want_root, "root {n}");
            for i in 0..n {
                let got = inclusion_proof(&mut mem, i, n).expect("path");
                let want = merkle::inclusion_proof(tree, i as usize).expect("ref");
                assert_eq!(got, want, "inclusion {i} of {n}");
            }
            for m in 1..=n {
                let got = consistency_proof(&mut mem, m, n).expect("proof");
                let want = merkle::consistency_proof(tree, m as usize).expect("ref");
                assert_eq!(got, want, "consistency {m} -> {n}");
            }
        }
        assert_eq!(f.root(), merkle::root(&leaves));
        let again = Frontier::load(&mut mem, 70).expect("load");
        assert_eq!(again, f);
    }

    #[test]
    fn proofs_read_logarithmically_many_nodes() {
        let (mut mem, _, _) = build(1000);
        mem.reads = 0;
        let _ = inclusion_proof(&mut mem, 517, 999).expect("path");
        assert!(mem.reads <= 2 * 10 + 2, "{} reads", mem.reads);
        mem.reads = 0;
        let _ = consistency_proof(&mut mem, 333, 999).expect("proof");
        assert!(mem.reads <= 3 * 10 + 2, "{} reads", mem.reads);
    }

    #[test]
    fn bad_ranges_are_errors() {
        let (mut mem, _, _) = build(4);
        assert!(inclusion_proof(&mut mem, 4, 4).is_err());
        assert!(consistency_proof(&mut mem, 0, 4).is_err());
        assert!(consistency_proof(&mut mem, 5, 4).is_err());
        assert_eq!(root(&mut mem, 0).expect("empty"), merkle::root(&[]));
    }
}
