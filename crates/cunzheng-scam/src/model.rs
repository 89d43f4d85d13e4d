//! The statistical model: logistic regression for scam vs not and softmax regression over scam
//! types, both over hashed character n-grams ([`crate::features`]).
//!
//! File format (little endian): magic `CZSCAM\0\x01`, u32 header length, a JSON header
//! ([`Header`]), then the weights as i16, one scale per head: the scam head (`2^bits` values),
//! then one row of `2^type_bits` values per type, in header order.

use crate::error::Error;
use crate::features::{Features, mask};
use crate::taxonomy;
use serde::{Deserialize, Serialize};

/// The model shipped with the crate.
pub const BUILTIN_MODEL: &[u8] = include_bytes!("../model/model.bin");

const MAGIC: &[u8; 8] = b"CZSCAM\0\x01";
/// Largest table we accept from a file: bounds the allocation on a damaged header.
const MAX_BITS: u32 = 22;

/// What the header says about a head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadInfo {
    /// Type id for a type row; `scam` for the scam head.
    pub id: String,
    /// Bias term.
    pub bias: f32,
    /// Weight = i16 value × scale.
    pub scale: f32,
}

/// The JSON header of a model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Model version: the training recipe and a hash of the weights.
    pub version: String,
    /// Bits of the scam head's hash table.
    pub bits: u32,
    /// Bits of the type rows.
    pub type_bits: u32,
    /// The scam head.
    pub scam: HeadInfo,
    /// The type rows.
    pub types: Vec<HeadInfo>,
    /// How rules and model are combined.
    pub combine: Combine,
    /// How it was trained (datasets, rows, epochs …), for people.
    pub training: serde_json::Value,
}

/// Weights of the rules in the combination, fitted on out-of-fold train scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Combine {
    /// Scam logit = model logit + gain × rule evidence.
    pub rules_scam_gain: f64,
    /// Type logit = ln p_model + gain × rule score, for the types the model knows.
    pub rules_type_gain: f64,
    /// Per script ([`crate::features::Script::name`]): the types the model saw training rows
    /// of in that script. Its type probabilities say nothing about the others. Empty in models
    /// from before this field: every type row then counts as seen in every script.
    #[serde(default)]
    pub seen: std::collections::BTreeMap<String, Vec<String>>,
}

/// A head with its weights.
#[derive(Debug, Clone)]
pub struct Head {
    /// Bias.
    pub bias: f32,
    /// Weights, dequantised.
    pub weights: Vec<f32>,
}

impl Head {
    /// `bias + w·x`, with the features' buckets masked to this head's size.
    pub fn logit(&self, x: &Features) -> f32 {
        let m = (self.weights.len() as u32).wrapping_sub(1);
        self.bias
            + x.values
                .iter()
                .map(|&(b, v)| self.weights.get((b & m) as usize).copied().unwrap_or(0.0) * v)
                .sum::<f32>()
    }

    /// The weight of a bucket.
    pub fn weight(&self, bucket: u32) -> f32 {
        let m = (self.weights.len() as u32).wrapping_sub(1);
        self.weights
            .get((bucket & m) as usize)
            .copied()
            .unwrap_or(0.0)
    }
}

/// A loaded model.
#[derive(Debug, Clone)]
pub struct Model {
    /// The header as read.
    pub header: Header,
    /// Scam vs not.
    pub scam: Head,
    /// One row per type: (index in [`taxonomy::TYPES`], head).
    pub types: Vec<(usize, Head)>,
    /// The type weights again, bucket-major (all types of a bucket side by side): one cache
    /// line per n-gram instead of one per n-gram and type.
    type_matrix: Vec<f32>,
}

impl Model {
    /// The model shipped with the crate.
    pub fn builtin() -> Result<Model, Error> {
        Model::from_bytes(BUILTIN_MODEL)
    }

    /// The model's version string.
    pub fn version(&self) -> &str {
        &self.header.version
    }

    /// Per type in [`taxonomy::TYPES`]: whether the model saw training rows of it in `script`
    /// (every type row counts, in every script, for a model file without that record).
    pub fn seen_types(&self, script: crate::features::Script) -> Vec<bool> {
        let mut seen = vec![false; taxonomy::TYPES.len()];
        let ids: Vec<&str> = if self.header.combine.seen.is_empty() {
            self.header.types.iter().map(|h| h.id.as_str()).collect()
        } else {
            self.header
                .combine
                .seen
                .get(script.name())
                .map(|v| v.iter().map(String::as_str).collect())
                .unwrap_or_default()
        };
        for id in ids {
            if let Some(i) = taxonomy::index(id) {
                seen[i] = true;
            }
        }
        seen
    }

    /// Bits of the feature hash the model reads.
    pub fn bits(&self) -> u32 {
        self.header.bits
    }

    /// Reads a model file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, Error> {
        let bad = |offset: usize, reason: &str| Error::Model {
            offset,
            reason: reason.to_string(),
        };
        if bytes.get(..8) != Some(MAGIC.as_slice()) {
            return Err(bad(0, "not a cunzheng-scam model (magic)"));
        }
        let len = bytes
            .get(8..12)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
            .ok_or_else(|| bad(8, "truncated header length"))? as usize;
        let header_bytes = bytes
            .get(12..12usize.saturating_add(len))
            .ok_or_else(|| bad(12, "truncated header"))?;
        let header: Header =
            serde_json::from_slice(header_bytes).map_err(|e| bad(12, &format!("header: {e}")))?;
        if header.bits > MAX_BITS || header.type_bits > header.bits || header.type_bits == 0 {
            return Err(bad(12, "hash table sizes out of range"));
        }
        let n = 1usize << header.bits;
        let nt = 1usize << header.type_bits;
        let want = 12 + len + 2 * (n + nt * header.types.len());
        if bytes.len() != want {
            return Err(bad(
                bytes.len().min(want),
                &format!("expected {want} bytes, file has {}", bytes.len()),
            ));
        }
        let mut at = 12 + len;
        let mut read = |count: usize, info: &HeadInfo| {
            let weights = bytes[at..at + 2 * count]
                .chunks_exact(2)
                .map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) * info.scale)
                .collect();
            at += 2 * count;
            Head {
                bias: info.bias,
                weights,
            }
        };
        let scam = read(n, &header.scam);
        let mut types = Vec::new();
        for t in &header.types {
            let i = taxonomy::index(&t.id)
                .ok_or_else(|| bad(12, &format!("unknown type {:?}", t.id)))?;
            types.push((i, read(nt, t)));
        }
        let k = types.len();
        let mut type_matrix = vec![0.0f32; nt * k];
        for (c, (_, h)) in types.iter().enumerate() {
            for (b, w) in h.weights.iter().enumerate() {
                type_matrix[b * k + c] = *w;
            }
        }
        Ok(Model {
            header,
            scam,
            types,
            type_matrix,
        })
    }

    /// Writes a model file: quantises each head to i16 with its own scale.
    pub fn to_bytes(
        version_prefix: &str,
        bits: u32,
        type_bits: u32,
        scam: &Head,
        types: &[(usize, Head)],
        combine: Combine,
        training: serde_json::Value,
    ) -> Vec<u8> {
        let quant = |h: &Head| -> (f32, Vec<i16>) {
            let max = h.weights.iter().fold(0.0f32, |m, w| m.max(w.abs()));
            let scale = if max > 0.0 { max / 32767.0 } else { 1.0 };
            let q = h
                .weights
                .iter()
                .map(|w| (w / scale).round().clamp(-32767.0, 32767.0) as i16)
                .collect();
            (scale, q)
        };
        let (s_scale, s_q) = quant(scam);
        let mut body = Vec::new();
        body.extend(s_q.iter().flat_map(|v| v.to_le_bytes()));
        let mut infos = Vec::new();
        for (t, h) in types {
            let (scale, q) = quant(h);
            body.extend(q.iter().flat_map(|v| v.to_le_bytes()));
            infos.push(HeadInfo {
                id: taxonomy::TYPES[*t].id.to_string(),
                bias: h.bias,
                scale,
            });
        }
        let header = Header {
            // Names the weights and the combination gains.
            version: format!(
                "{version_prefix}+{:016x}",
                fnv64(&body) ^ fnv64(&serde_json::to_vec(&combine).unwrap_or_default())
            ),
            bits,
            type_bits,
            scam: HeadInfo {
                id: "scam".into(),
                bias: scam.bias,
                scale: s_scale,
            },
            types: infos,
            combine,
            training,
        };
        let json = serde_json::to_vec(&header).unwrap_or_default();
        let mut out = Vec::with_capacity(12 + json.len() + body.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
        out.extend_from_slice(&body);
        out
    }

    /// Type logits, one per row, in row order.
    pub fn type_logits(&self, x: &Features) -> Vec<f32> {
        let k = self.types.len();
        let m = mask(self.header.type_bits);
        let mut acc = vec![0.0f32; k];
        for &(b, v) in &x.values {
            let at = (b & m) as usize * k;
            if let Some(row) = self.type_matrix.get(at..at + k) {
                for (a, w) in acc.iter_mut().zip(row) {
                    *a += w * v;
                }
            }
        }
        // Same additions in the same order as `Head::logit`: bit-identical results.
        self.types
            .iter()
            .zip(acc)
            .map(|((_, h), a)| h.bias + a)
            .collect()
    }

    /// The bucket mask of the scam head.
    pub fn mask(&self) -> u32 {
        mask(self.header.bits)
    }
}

/// FNV-1a 64 of bytes: names the weights in the version string.
fn fnv64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Softmax of logits, stable.
pub fn softmax(z: &[f32]) -> Vec<f32> {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = z.iter().map(|v| (v - max).exp()).collect();
    let s: f32 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let scam = Head {
            bias: 0.5,
            weights: (0..16).map(|i| i as f32 - 8.0).collect(),
        };
        let t = Head {
            bias: -1.0,
            weights: vec![0.25, -0.5, 0.0, 1.0],
        };
        let c = Combine {
            rules_scam_gain: 1.0,
            rules_type_gain: 0.5,
            seen: Default::default(),
        };
        let bytes = Model::to_bytes("t", 4, 2, &scam, &[(1, t)], c, serde_json::json!({}));
        let m = Model::from_bytes(&bytes).unwrap();
        assert_eq!(m.header.bits, 4);
        assert!((m.scam.weights[15] - 7.0).abs() < 1e-3);
        assert!((m.types[0].1.weights[1] + 0.5).abs() < 1e-3);
        assert!(m.version().starts_with("t+"));
        let x = Features {
            values: vec![(1, 0.5), (3, 0.25), (6, 0.75)],
        };
        assert_eq!(m.type_logits(&x), vec![m.types[0].1.logit(&x)]);
        // Every truncation and a flipped magic are errors, not panics.
        for cut in 0..bytes.len() {
            assert!(Model::from_bytes(&bytes[..cut]).is_err());
        }
        let mut b = bytes.clone();
        b[0] ^= 1;
        assert!(Model::from_bytes(&b).is_err());
        let mut b = bytes;
        b.push(0);
        assert!(Model::from_bytes(&b).is_err());
    }
}
