//! Pure tree arithmetic: where a range of leaves splits and which stored perfect subtrees
//! cover it. No I/O; [`crate::tree`] turns these into hashes through a node source.

/// A perfect subtree: `2^level` leaves starting at leaf `index << level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeId {
    /// Height above the leaves (0 = a leaf).
    pub level: u32,
    /// Position among the nodes of that level.
    pub index: u64,
}

/// The largest power of two strictly smaller than `n` (RFC 9162 `k`), for `n >= 2`.
pub fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The perfect subtrees covering leaves `[begin, end)`, left to right, largest first where
/// the start allows. For the ranges that occur in RFC 9162 trees (the start is a multiple of
/// a power of two at least the length) their sizes are the binary digits of the length.
pub fn cover(begin: u64, end: u64) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut at = begin;
    while at < end {
        let left = end - at;
        // Largest power of two that divides `at` (any, when at == 0) and fits in what is left.
        let align = if at == 0 { 63 } else { at.trailing_zeros() };
        let fit = 63 - left.leading_zeros();
        let level = align.min(fit);
        out.push(NodeId {
            level,
            index: at >> level,
        });
        at += 1u64 << level;
    }
    out
}

/// The perfect subtrees of a tree of `size` leaves (its "frontier" or compact range):
/// one per set bit of `size`, left to right.
pub fn frontier(size: u64) -> Vec<NodeId> {
    cover(0, size)
}

/// The nodes completed by appending leaf `index`: for each level `l >= 1` where
/// `index + 1` is a multiple of `2^l`, the node of that level ending at this leaf.
pub fn completed_by(index: u64) -> impl Iterator<Item = NodeId> {
    let n = index.wrapping_add(1);
    let levels = if n == 0 { 0 } else { n.trailing_zeros() };
    (1..=levels).map(move |level| NodeId {
        level,
        index: index >> level,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_points() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(8), 4);
        assert_eq!(split_point(9), 8);
        assert_eq!(split_point(u64::MAX), 1 << 63);
    }

    #[test]
    fn cover_sizes_are_binary_digits() {
        let c = cover(0, 13);
        let sizes: Vec<u64> = c.iter().map(|n| 1 << n.level).collect();
        assert_eq!(sizes, vec![8, 4, 1]);
        assert_eq!(c[1], NodeId { level: 2, index: 2 });
        assert_eq!(cover(8, 13).len(), 2);
        assert!(cover(5, 5).is_empty());
    }

    #[test]
    fn completed_nodes() {
        assert_eq!(completed_by(0).count(), 0);
        let c: Vec<NodeId> = completed_by(7).collect();
        assert_eq!(
            c,
            vec![
                NodeId { level: 1, index: 3 },
                NodeId { level: 2, index: 1 },
                NodeId { level: 3, index: 0 }
            ]
        );
        assert_eq!(completed_by(u64::MAX).count(), 0);
    }
}
