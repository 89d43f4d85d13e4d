//! Crypto-currency addresses: Bitcoin (base58check P2PKH/P2SH, bech32/bech32m segwit),
//! Ethereum (EIP-55 when mixed case) and TRON (base58check T-addresses).

use super::validate::{EthCheck, btc_base58, btc_segwit, eth, tron};
use super::{Entity, Kind, char_at, char_before};
use regex::Regex;
use std::sync::LazyLock;

static BASE58: LazyLock<Regex> = LazyLock::new(|| super::re(r"[13T][1-9A-HJ-NP-Za-km-z]{25,34}"));
static BECH32: LazyLock<Regex> = LazyLock::new(|| super::re(r"(?i)bc1[02-9ac-hj-np-z]{8,87}"));
static ETH: LazyLock<Regex> = LazyLock::new(|| super::re(r"0[xX][0-9a-fA-F]{40}"));

fn isolated(text: &str, s: usize, e: usize) -> bool {
    !matches!(char_before(text, s), Some(c) if c.is_ascii_alphanumeric())
        && !matches!(char_at(text, e), Some(c) if c.is_ascii_alphanumeric())
}

/// `bech32` / `eth`: whether the text holds `bc1` / `0x` (so those searches can be skipped).
pub(super) fn addresses(text: &str, bech32: bool, eth_hint: bool, out: &mut Vec<Entity>) {
    for m in BASE58.find_iter(text) {
        if !isolated(text, m.start(), m.end()) {
            continue;
        }
        let s = m.as_str();
        if s.starts_with('T') {
            if s.len() == 34 && tron(s) {
                out.push(Entity::span(
                    Kind::Tron,
                    text,
                    m.start(),
                    m.end(),
                    s.into(),
                    "base58check",
                ));
            }
        } else if btc_base58(s) {
            out.push(Entity::span(
                Kind::Btc,
                text,
                m.start(),
                m.end(),
                s.into(),
                "base58check",
            ));
        }
    }
    if bech32 {
        for m in BECH32.find_iter(text) {
            if !isolated(text, m.start(), m.end()) {
                continue;
            }
            let s = m.as_str();
            if btc_segwit(s) {
                out.push(Entity::span(
                    Kind::Btc,
                    text,
                    m.start(),
                    m.end(),
                    s.to_ascii_lowercase(),
                    "bech32",
                ));
            }
        }
    }
    if !eth_hint {
        return;
    }
    for m in ETH.find_iter(text) {
        if !isolated(text, m.start(), m.end()) {
            continue;
        }
        let check = match eth(m.as_str()) {
            EthCheck::Checksum => "eip55",
            EthCheck::NoChecksum => "hex-no-checksum",
            EthCheck::Bad => continue,
        };
        out.push(Entity::span(
            Kind::Eth,
            text,
            m.start(),
            m.end(),
            m.as_str().to_ascii_lowercase().replacen("0X", "0x", 1),
            check,
        ));
    }
}
