//! A cunzheng case on disk.
//!
//! # Brief overview
//!
//! A case folder is a BagIt bag (see [`layout`]). [`Case::create`] makes one, [`Case::add`]
//! acquires files, folders and zip archives into its staging area ([`ingest`]),
//! [`Case::seal`] turns what is staged into a new signed seal version ([`seal`]),
//! [`verify::verify`] recomputes everything from the bag alone, [`prove::prove`] writes a
//! standalone inclusion proof for one exhibit, and [`index::rebuild`] derives the SQLite index.
//!
//! ```no_run
//! use cunzheng_case::{Case, NewCase, env::Actor, ingest::{Limits, NoProgress}};
//! use cunzheng_seal::keys::Ed25519Signer;
//! let actor = Actor::new("李律师", Box::new(Ed25519Signer::generate()));
//! let case = Case::create("case-001".as_ref(), &NewCase::default(), &actor)?;
//! case.add(&["chat.txt".into()], &actor, &Limits::default(), &NoProgress)?;
//! case.seal(&actor)?;
//! let report = cunzheng_case::verify::verify("case-001".as_ref(), &NoProgress)?;
//! assert!(report.intact);
//! # Ok::<(), cunzheng_case::error::CaseError>(())
//! ```
#![deny(missing_docs)]

pub mod analysis;
pub mod anchor;
pub mod bag;
pub mod derive;
pub mod env;
pub mod error;
pub mod fault;
pub mod fsio;
pub mod index;
pub mod ingest;
pub mod layout;
pub mod prove;
pub mod seal;
pub mod stage;
pub mod verify;
pub mod working;
mod writeback;

use crate::bag::{CaseMeta, RecordLine};
use crate::env::Actor;
use crate::error::{CaseError, Result};
use crate::ingest::{Acquisition, Known, Limits, Progress};
use crate::layout::Layout;
use std::fs;
use std::path::{Path, PathBuf};

/// What a new case is called.
#[derive(Debug, Clone, Default)]
pub struct NewCase {
    /// Case identifier; generated from the time when empty.
    pub case_id: String,
    /// Title.
    pub title: String,
}

/// An open case folder.
#[derive(Debug, Clone)]
pub struct Case {
    layout: Layout,
}

impl Case {
    /// Makes a new case folder (which must not exist or be empty) with its custody log's first
    /// event staged. The case is not sealed until [`Case::seal`].
    pub fn create(root: &Path, new: &NewCase, actor: &Actor) -> Result<Case> {
        if root.exists() {
            let empty = fs::read_dir(root)
                .map_err(|e| CaseError::io("reading", root, e))?
                .next()
                .is_none();
            if !empty {
                return Err(CaseError::NotEmpty { path: root.into() });
            }
        }
        let layout = Layout::new(root);
        let (now, offset) = actor.now_parts();
        let case_id = if new.case_id.trim().is_empty() {
            format!(
                "CZ-{}",
                now.replace([':', '-'], "").get(..15).unwrap_or(&now)
            )
        } else {
            new.case_id.trim().to_owned()
        };
        let meta = CaseMeta {
            layout_version: layout::LAYOUT_VERSION,
            case_id: case_id.clone(),
            title: new.title.clone(),
            created_utc: now,
            created_offset: offset,
            created_by: actor.name.clone(),
        };
        let json = serde_json::to_vec_pretty(&meta).unwrap_or_default();
        let io = |p: PathBuf, e| CaseError::io("writing", p, e);
        fs::create_dir_all(layout.path("data")).map_err(|e| io(layout.path("data"), e))?;
        fsio::write_atomic(
            &layout.path(layout::BAGIT),
            cunzheng_seal::bagit::BAGIT_TXT.as_bytes(),
        )
        .map_err(|e| io(layout.path(layout::BAGIT), e))?;
        fsio::write_atomic(&layout.path(layout::CASE_JSON), &json)
            .map_err(|e| io(layout.path(layout::CASE_JSON), e))?;
        let ev = stage::event(
            actor,
            "case.create",
            vec![],
            vec![format!(
                "{} sha256:{}",
                layout::CASE_JSON,
                cunzheng_seal::hash::sha256_hex(&json)
            )],
            serde_json::json!({"case_id": case_id, "title": new.title}),
        );
        stage::commit(
            &layout,
            &stage::Batch {
                acquisition: None,
                events: vec![ev],
                derived: vec![],
            },
        )?;
        Ok(Case { layout })
    }

    /// Opens an existing case folder.
    pub fn open(root: &Path) -> Result<Case> {
        let layout = Layout::new(root);
        if !layout.path(layout::CASE_JSON).is_file() {
            return Err(CaseError::NotACase {
                path: root.into(),
                reason: "no cunzheng/case.json".into(),
            });
        }
        Ok(Case { layout })
    }

    /// The case's layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Case metadata.
    pub fn meta(&self) -> Result<CaseMeta> {
        bag::case_meta(&self.layout)
    }

    /// Acquires `inputs` into the staging area and commits them as one batch for the next seal.
    pub fn add(
        &self,
        inputs: &[PathBuf],
        actor: &Actor,
        limits: &Limits,
        progress: &dyn Progress,
    ) -> Result<Acquisition> {
        self.add_with(inputs, actor, limits, progress, &derive::NoDeriver)
            .map(|(a, _)| a)
    }

    /// [`Case::add`], then runs `deriver` over every new original and stages what it derives
    /// (sealed with the originals by the next seal).
    pub fn add_with(
        &self,
        inputs: &[PathBuf],
        actor: &Actor,
        limits: &Limits,
        progress: &dyn Progress,
        deriver: &dyn derive::Deriver,
    ) -> Result<(Acquisition, Vec<derive::DerivedRecord>)> {
        let known = self.known()?;
        let acq = ingest::acquire(&self.layout, inputs, &known, limits, progress)?;
        let derived = self.derive(&acq, &known, deriver, progress)?;
        fault::point("add-before-commit");
        let mut events = vec![stage::event(
            actor,
            "ingest",
            acq.arguments.clone(),
            vec![],
            serde_json::json!({
                "items": acq.items.len(),
                "bytes": acq.items.iter().map(|i| i.size).sum::<u64>(),
                "skipped": acq.skipped.len(),
                "notices": acq.notices.len(),
            }),
        )];
        for (s, action) in acq
            .skipped
            .iter()
            .map(|s| (s, "ingest.skip"))
            .chain(acq.notices.iter().map(|s| (s, "ingest.notice")))
        {
            events.push(stage::event(
                actor,
                action,
                vec![s.location.clone()],
                vec![],
                serde_json::to_value(s).unwrap_or_default(),
            ));
        }
        if !derived.is_empty() {
            events.push(stage::event(
                actor,
                "parse",
                derived
                    .iter()
                    .map(|d| format!("exhibit {} sha256:{}", d.item, d.item_sha256))
                    .collect(),
                derived
                    .iter()
                    .map(|d| format!("{} sha256:{}", d.path, d.sha256))
                    .collect(),
                serde_json::json!({
                    "settings": deriver.settings(),
                    "results": derived.iter().map(|d| d.summary.clone()).collect::<Vec<_>>(),
                }),
            ));
        }
        stage::commit(
            &self.layout,
            &stage::Batch {
                acquisition: Some(acq.clone()),
                events,
                derived: derived.clone(),
            },
        )?;
        fault::point("add-after-commit");
        Ok((acq, derived))
    }

    /// Runs `deriver` over the originals first preserved by `acq` (duplicates and originals
    /// already sealed are derived once), staging each output by its hash.
    fn derive(
        &self,
        acq: &Acquisition,
        known: &Known,
        deriver: &dyn derive::Deriver,
        progress: &dyn Progress,
    ) -> Result<Vec<derive::DerivedRecord>> {
        use rayon::prelude::*;
        let fresh: Vec<&cunzheng_model::EvidenceItem> = acq
            .items
            .iter()
            .filter(|i| {
                i.first_seen_as.is_none() && !known.first_by_sha.contains_key(&i.digests.sha256)
            })
            .collect();
        let dir = self.layout.staging().join("derived");
        fs::create_dir_all(&dir).map_err(|e| CaseError::io("creating", &dir, e))?;
        // A database's -wal and -journal preserved beside it are read with it.
        let companions = derive::companions(&acq.items, |i| {
            let staged = self.layout.staged_object(&i.digests.sha256);
            if staged.exists() {
                staged
            } else {
                self.layout.path(&i.stored_as)
            }
        });
        progress.begin("parsing", fresh.iter().map(|i| i.size).sum());
        let results: Vec<Result<Option<derive::DerivedRecord>>> = fresh
            .par_iter()
            .map(|item| {
                progress.advance(item.size);
                // Fresh items (content new to the case) were staged by this acquisition.
                let path = self.layout.staged_object(&item.digests.sha256);
                let tmp = dir.join(format!("tmp-{}-{}", std::process::id(), item.number));
                let io = |e| CaseError::io("writing", &tmp, e);
                let mut out = fsio::LazyFile::new(tmp.clone());
                let with = companions.get(&item.number).map_or(&[][..], Vec::as_slice);
                let summary = deriver.derive(item, &path, with, &mut out);
                let flushed = std::io::Write::flush(&mut out).map_err(io);
                let created = out.created();
                drop(out);
                let Some(summary) = summary else {
                    if created {
                        let _ = fs::remove_file(&tmp);
                    }
                    return Ok(None);
                };
                flushed?;
                if !created {
                    fs::File::create(&tmp).map_err(io)?;
                }
                let f = fs::File::open(&tmp).map_err(io)?;
                let (digests, size) =
                    cunzheng_seal::hash::hash_copy(f, std::io::sink(), None).map_err(io)?;
                let dst = stage::staged_derived(&self.layout, &digests.sha256);
                fs::rename(&tmp, &dst).map_err(io)?;
                Ok(Some(derive::DerivedRecord {
                    item: item.number,
                    item_sha256: item.digests.sha256.clone(),
                    path: derive::messages_rel(&item.digests.sha256),
                    sha256: digests.sha256,
                    sm3: digests.sm3,
                    size,
                    summary,
                }))
            })
            .collect();
        progress.end();
        let mut records = Vec::new();
        for r in results {
            records.extend(r?);
        }
        fsio::sync_filesystem(&dir).map_err(|e| CaseError::io("syncing", &dir, e))?;
        Ok(records)
    }

    /// Seals everything staged; then rebuilds the index. `None` when nothing was staged.
    pub fn seal(&self, actor: &Actor) -> Result<Option<seal::SealOutcome>> {
        anchor::resume(&self.layout)?;
        let out = seal::seal(&self.layout, actor)?;
        if out.is_some() {
            index::rebuild(&self.layout)?;
        }
        Ok(out)
    }

    /// Next exhibit number and known hashes, from the sealed records and the staging area.
    fn known(&self) -> Result<Known> {
        let mut known = Known {
            next_number: 1,
            ..Known::default()
        };
        let mut note = |item: &cunzheng_model::EvidenceItem| {
            known.next_number = known.next_number.max(item.number + 1);
            known
                .first_by_sha
                .entry(item.digests.sha256.clone())
                .or_insert(item.number);
        };
        for (_, lines) in bag::acquisitions(&self.layout)? {
            for l in &lines {
                if let RecordLine::Item(i) = l {
                    note(i);
                }
            }
        }
        for (_, b) in stage::batches(&self.layout)? {
            for i in b.acquisition.iter().flat_map(|a| &a.items) {
                note(i);
            }
        }
        Ok(known)
    }
}

/// Not part of the API: entry points for fuzzing (feature `fuzzing`; also built for tests,
/// which replay `fuzz/regressions`).
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod internal {
    pub mod fuzzing {
        pub use crate::fuzzing::*;
    }
}
#[cfg(any(test, feature = "fuzzing"))]
mod fuzzing;
