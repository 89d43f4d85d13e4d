//! The freelist: trunk pages listing leaf pages, both holding whatever was there before.

use crate::error::{Error, Result};
use crate::format::TRUNK_HEADER;
use crate::read::pager::Pager;
use crate::reader::Reader;

/// The freelist pages found.
#[derive(Debug, Default, Clone)]
pub struct Freelist {
    /// Trunk pages with the number of leaf entries each lists.
    pub trunks: Vec<(u32, usize)>,
    /// Leaf pages.
    pub leaves: Vec<u32>,
    /// The problem that stopped the walk early, if any.
    pub problem: Option<String>,
}

/// Walks the freelist from `first_trunk`. Never loops: a trunk seen twice, a page out of range
/// or more pages than the database has ends the walk, and the problem is kept.
pub fn walk(pager: &Pager, first_trunk: u32) -> Freelist {
    let mut out = Freelist::default();
    if let Err(e) = walk_inner(pager, first_trunk, &mut out) {
        out.problem = Some(e.to_string());
    }
    out
}

fn walk_inner(pager: &Pager, first_trunk: u32, out: &mut Freelist) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    let mut trunk = first_trunk;
    let max_leaves = (pager.usable as usize - TRUNK_HEADER) / 4;
    while trunk != 0 {
        pager.check(trunk)?;
        if !seen.insert(trunk) || seen.len() > pager.page_count as usize {
            return Err(Error::Cycle {
                what: "freelist trunk chain",
                page: trunk,
                steps: seen.len(),
            });
        }
        let page = pager.page(trunk)?;
        let mut r = Reader::new(&page, trunk, 0);
        let next = r.u32("next trunk page")?;
        let count = r.u32("freelist leaf count")? as usize;
        if count > max_leaves {
            return Err(Error::Corrupt {
                what: "freelist trunk",
                at: r.location(),
                detail: format!("{count} leaves listed, at most {max_leaves} fit"),
            });
        }
        out.trunks.push((trunk, count));
        for _ in 0..count {
            let leaf = r.u32("freelist leaf page")?;
            if leaf == 0 || leaf > pager.page_count {
                return Err(Error::PageOutOfRange {
                    page: leaf,
                    page_count: pager.page_count,
                    at: r.location(),
                });
            }
            if out.leaves.len() + out.trunks.len() > pager.page_count as usize {
                return Err(Error::Cycle {
                    what: "freelist",
                    page: leaf,
                    steps: out.leaves.len(),
                });
            }
            out.leaves.push(leaf);
        }
        trunk = next;
    }
    Ok(())
}
