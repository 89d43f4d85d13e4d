//! The money trail: transfers and red packets, from the structured kinds the parsers produce
//! (`transfer`, `red_packet` with [`Money`](cunzheng_model::Money)) and from text that states a
//! completed payment (an amount with 已转 / 转了 / 汇了 / 付了 / 充值了 / 退款 …), per
//! counterparty and per account, and the device owner's loss: paid out minus returned.
//!
//! Text is a claim, not a bank record: each transfer says where it came from (`structured` or
//! `text` with the cue), and requests (请转5000到…) are not transfers.

use crate::decimal::Decimal;
use crate::entity::{Entity, Kind};
use cunzheng_model::{Direction, Message, MessageKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// Where a message is: enough to find it again in the evidence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct MessageRef {
    /// SHA-256 of the evidence item.
    pub item_sha256: String,
    /// Location inside the item, as the parser recorded it (JSON text).
    pub location: String,
    /// Message id.
    pub message: String,
    /// Conversation id.
    pub conversation: String,
}

impl MessageRef {
    /// The reference of a message.
    pub fn of(m: &Message) -> MessageRef {
        MessageRef {
            item_sha256: m.provenance.item_sha256.clone(),
            location: serde_json::to_string(&m.provenance.location).unwrap_or_default(),
            message: m.id.clone(),
            conversation: m.conversation.clone(),
        }
    }
}

/// Which way money moved, seen from the device owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// The owner paid.
    Out,
    /// The owner received (including money returned).
    In,
    /// The record does not say who paid.
    Unknown,
}

/// One transfer.
#[derive(Debug, Clone, Serialize)]
pub struct Transfer {
    /// The message that shows it.
    pub at: MessageRef,
    /// UTC time of that message, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_utc: Option<String>,
    /// Direction from the owner's side.
    pub flow: Flow,
    /// Exact amount.
    pub amount: Decimal,
    /// Currency, or `unstated`.
    pub currency: String,
    /// The other side: the conversation's title and id.
    pub counterparty: String,
    /// The account the money went to or came from, when one is named (`bank_card:622…`,
    /// `wechat:wxid_…`), in the message or given earlier in the conversation by the other side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// `structured` (a transfer / red packet record) or `text` (a stated payment).
    pub source: &'static str,
    /// What made it a transfer: the message kind and subtype, or the cue word.
    pub basis: String,
}

/// Totals of one counterparty or account in one currency.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// Counterparty or account.
    pub key: String,
    /// Currency.
    pub currency: String,
    /// Paid by the owner.
    pub out: Decimal,
    /// Received by the owner.
    #[serde(rename = "in")]
    pub inn: Decimal,
    /// `in − out` (negative: the owner lost money to it).
    pub net: Decimal,
    /// Transfers of unknown direction (not in `out`/`in`).
    pub unknown: Decimal,
    /// Transfers counted.
    pub count: u64,
    /// Earliest UTC time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    /// Latest UTC time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
}

/// The owner's loss in one currency.
#[derive(Debug, Clone, Serialize)]
pub struct Loss {
    /// Currency.
    pub currency: String,
    /// Paid out.
    pub out: Decimal,
    /// Returned / received.
    #[serde(rename = "in")]
    pub inn: Decimal,
    /// `out − in`.
    pub loss: Decimal,
}

/// Everything the money trail found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MoneyTrail {
    /// Every transfer, in time order.
    pub transfers: Vec<Transfer>,
    /// Per counterparty and currency.
    pub by_counterparty: Vec<Totals>,
    /// Per account and currency.
    pub by_account: Vec<Totals>,
    /// The owner's loss per currency.
    pub loss: Vec<Loss>,
}

const PAID_CUES: [&str; 16] = [
    "已转",
    "转了",
    "转过去",
    "已汇",
    "汇了",
    "已付",
    "付了",
    "已打款",
    "打了",
    "充了",
    "已充值",
    "转账成功",
    "汇款成功",
    "支付成功",
    "付款成功",
    "已支付",
];
const RETURNED_CUES: [&str; 6] = ["退款", "退回", "返还", "已退", "提现成功", "到账了"];

/// Account kinds money can be sent to.
fn is_account(k: Kind) -> bool {
    matches!(
        k,
        Kind::BankCard
            | Kind::Alipay
            | Kind::Wechat
            | Kind::Qq
            | Kind::Btc
            | Kind::Eth
            | Kind::Tron
    )
}

/// Direction of a message from the owner's side: the parser's, else by the sender against
/// the owner's names/accounts.
pub fn owner_direction(m: &Message, owner: &[String]) -> Direction {
    if m.direction != Direction::Unknown || owner.is_empty() {
        return m.direction;
    }
    let is_owner = [&m.sender.name, &m.sender.account]
        .into_iter()
        .flatten()
        .any(|s| owner.iter().any(|o| o == s));
    if is_owner {
        Direction::Outgoing
    } else if m.sender.name.is_some() || m.sender.account.is_some() {
        Direction::Incoming
    } else {
        Direction::Unknown
    }
}

/// Builds the money trail from messages (any order) with their entities (same index), the
/// conversation titles by id, and the owner's names.
pub fn trail(
    messages: &[Message],
    entities: &[Vec<Entity>],
    titles: &BTreeMap<String, String>,
    owner: &[String],
) -> MoneyTrail {
    let mut order: Vec<usize> = (0..messages.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&messages[a], &messages[b]);
        (&x.conversation, &x.time.utc, &x.provenance.item_sha256)
            .cmp(&(&y.conversation, &y.time.utc, &y.provenance.item_sha256))
            .then(a.cmp(&b))
    });
    let mut transfers = Vec::new();
    let mut last_account: BTreeMap<&str, String> = BTreeMap::new();
    let mut seen_ids: BTreeMap<String, usize> = BTreeMap::new();
    for &i in &order {
        let m = &messages[i];
        let ents = entities.get(i).map(Vec::as_slice).unwrap_or_default();
        let dir = owner_direction(m, owner);
        let here = ents
            .iter()
            .find(|e| is_account(e.kind))
            .map(|e| format!("{}:{}", e.kind.name(), e.value));
        let counterparty = match titles.get(&m.conversation) {
            Some(t) if !t.is_empty() => format!("{t} ({})", m.conversation),
            _ => m.conversation.clone(),
        };
        let flow_of = |d: Direction, reverse: bool| match (d, reverse) {
            (Direction::Outgoing, false) | (Direction::Incoming, true) => Flow::Out,
            (Direction::Incoming, false) | (Direction::Outgoing, true) => Flow::In,
            _ => Flow::Unknown,
        };
        let structured = matches!(m.kind, MessageKind::Transfer | MessageKind::RedPacket);
        let text_money = || {
            ents.iter()
                .find(|e| e.kind == Kind::Amount)
                .map(|e| cunzheng_model::Money {
                    amount: e.value.clone(),
                    currency: e.currency.clone(),
                })
        };
        if structured && let Some(money) = m.money.clone().or_else(text_money) {
            let sub = m
                .extra
                .get("paysubtype")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            let tid = m
                .extra
                .get("transferid")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            // WeChat: 3 / 5 confirm a transfer already shown (accepted), not new money.
            if matches!(sub.trim(), "3" | "5") {
                continue;
            }
            if !tid.is_empty() && sub.trim() != "4" {
                if seen_ids.contains_key(tid) {
                    continue;
                }
                seen_ids.insert(tid.to_owned(), transfers.len());
            }
            let Some(amount) = Decimal::parse(&money.amount) else {
                continue;
            };
            let account = m
                .extra
                .get(if dir == Direction::Outgoing {
                    "receiver_username"
                } else {
                    "payer_username"
                })
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(|s| format!("wechat:{s}"))
                .or(here.clone());
            let kind = if m.kind == MessageKind::Transfer {
                "transfer"
            } else {
                "red_packet"
            };
            transfers.push(Transfer {
                at: MessageRef::of(m),
                time_utc: m.time.utc.clone(),
                // A returned transfer (subtype 4) moves money back: the notice's sender is the
                // one who returns it.
                flow: flow_of(dir, false),
                amount,
                currency: money.currency.clone().unwrap_or_else(|| "unstated".into()),
                counterparty,
                account,
                source: "structured",
                basis: if sub.is_empty() {
                    kind.to_owned()
                } else {
                    format!("{kind} paysubtype {sub}")
                },
            });
            continue;
        }
        // Text: remember accounts the other side gives; take a stated payment.
        if dir != Direction::Outgoing
            && let Some(a) = &here
        {
            last_account.insert(&m.conversation, a.clone());
        }
        if m.kind != MessageKind::Text {
            continue;
        }
        let body = &m.body;
        let paid = PAID_CUES.iter().find(|c| body.contains(*c));
        let returned = RETURNED_CUES.iter().find(|c| body.contains(*c));
        let Some((cue, reverse)) = returned.map(|c| (*c, true)).or(paid.map(|c| (*c, false)))
        else {
            continue;
        };
        for e in ents.iter().filter(|e| e.kind == Kind::Amount) {
            let Some(amount) = Decimal::parse(&e.value) else {
                continue;
            };
            // A refund the owner reports ("退款了5000") and one the other side reports are both
            // money back to the owner.
            let flow = if reverse {
                if dir == Direction::Unknown {
                    Flow::Unknown
                } else {
                    Flow::In
                }
            } else {
                flow_of(dir, false)
            };
            transfers.push(Transfer {
                at: MessageRef::of(m),
                time_utc: m.time.utc.clone(),
                flow,
                amount,
                currency: e.currency.clone().unwrap_or_else(|| "unstated".into()),
                counterparty: counterparty.clone(),
                account: here
                    .clone()
                    .or_else(|| last_account.get(m.conversation.as_str()).cloned()),
                source: "text",
                basis: format!("text cue {cue}"),
            });
        }
    }
    transfers.sort_by(|a, b| (&a.time_utc, &a.at).cmp(&(&b.time_utc, &b.at)));
    let by_counterparty = totals(&transfers, |t| Some(t.counterparty.clone()));
    let by_account = totals(&transfers, |t| t.account.clone());
    let mut loss: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for t in &transfers {
        let e = loss.entry(t.currency.clone()).or_default();
        match t.flow {
            Flow::Out => e.0 = e.0.checked_add(t.amount).unwrap_or(e.0),
            Flow::In => e.1 = e.1.checked_add(t.amount).unwrap_or(e.1),
            Flow::Unknown => {}
        }
    }
    MoneyTrail {
        transfers,
        by_counterparty,
        by_account,
        loss: loss
            .into_iter()
            .map(|(currency, (out, inn))| Loss {
                currency,
                out,
                inn,
                loss: out.checked_sub(inn).unwrap_or(out),
            })
            .collect(),
    }
}

fn totals(transfers: &[Transfer], key: impl Fn(&Transfer) -> Option<String>) -> Vec<Totals> {
    let mut map: BTreeMap<(String, String), Totals> = BTreeMap::new();
    for t in transfers {
        let Some(k) = key(t) else { continue };
        let e = map
            .entry((k.clone(), t.currency.clone()))
            .or_insert_with(|| Totals {
                key: k,
                currency: t.currency.clone(),
                out: Decimal::ZERO,
                inn: Decimal::ZERO,
                net: Decimal::ZERO,
                unknown: Decimal::ZERO,
                count: 0,
                first: None,
                last: None,
            });
        let slot = match t.flow {
            Flow::Out => &mut e.out,
            Flow::In => &mut e.inn,
            Flow::Unknown => &mut e.unknown,
        };
        *slot = slot.checked_add(t.amount).unwrap_or(*slot);
        e.count += 1;
        if let Some(u) = &t.time_utc {
            if e.first.as_ref().is_none_or(|f| u < f) {
                e.first = Some(u.clone());
            }
            if e.last.as_ref().is_none_or(|l| u > l) {
                e.last = Some(u.clone());
            }
        }
    }
    map.into_values()
        .map(|mut t| {
            t.net = t.inn.checked_sub(t.out).unwrap_or(t.net);
            t
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use cunzheng_model::{Location, Money, MsgTime, Party, Provenance};

    /// A message for crafted cases.
    pub(crate) fn msg(
        id: &str,
        conv: &str,
        dir: Direction,
        kind: MessageKind,
        body: &str,
        utc: &str,
    ) -> Message {
        Message {
            id: id.into(),
            conversation: conv.into(),
            sender: Party {
                name: Some(if dir == Direction::Outgoing {
                    "我".into()
                } else {
                    "客服".into()
                }),
                account: None,
            },
            direction: dir,
            kind,
            body: body.into(),
            time: MsgTime {
                raw: utc.into(),
                unit: "rfc3339".into(),
                utc: (!utc.is_empty()).then(|| utc.into()),
                offset: Some("+00:00".into()),
                zone_basis: "source".into(),
                zone: None,
            },
            attachments: vec![],
            reply_to: None,
            edited: None,
            forwarded_from: None,
            money: None,
            recovered: false,
            provenance: Provenance {
                item_sha256: "ab".repeat(32),
                inner_path: None,
                location: Location::Row {
                    table: "message".into(),
                    rowid: id.len() as i64,
                },
                parser: "test 1".into(),
            },
            extra: serde_json::Value::Null,
        }
    }

    #[test]
    fn trail_of_a_crafted_case() {
        use Direction::{Incoming as I, Outgoing as O};
        use MessageKind::{RedPacket, Text, Transfer};
        let mut ms = vec![
            msg(
                "1",
                "c1",
                I,
                Text,
                "请先转3万到工行卡6222020200112233446，户名李四",
                "2024-01-01T10:00:00Z",
            ),
            msg(
                "2",
                "c1",
                O,
                Text,
                "好的，已转5000元",
                "2024-01-01T10:05:00Z",
            ),
            msg("3", "c1", O, Transfer, "转账", "2024-01-02T09:00:00Z"),
            msg("4", "c1", I, Transfer, "已收款", "2024-01-02T09:01:00Z"),
            msg(
                "5",
                "c1",
                I,
                Text,
                "退款1000元给你了",
                "2024-01-03T09:00:00Z",
            ),
            msg("6", "c1", I, RedPacket, "恭喜发财", "2024-01-03T10:00:00Z"),
        ];
        ms[2].money = Some(Money {
            amount: "2000.00".into(),
            currency: Some("CNY".into()),
        });
        ms[2].extra = serde_json::json!({"paysubtype": "1", "transferid": "t1", "receiver_username": "wxid_scam"});
        ms[3].money = Some(Money {
            amount: "2000.00".into(),
            currency: Some("CNY".into()),
        });
        ms[3].extra = serde_json::json!({"paysubtype": "3", "transferid": "t1"});
        ms[5].money = Some(Money {
            amount: "200".into(),
            currency: Some("CNY".into()),
        });
        let ents: Vec<Vec<Entity>> = ms.iter().map(|m| crate::entity::extract(&m.body)).collect();
        let titles = BTreeMap::from([("c1".to_owned(), "客服小王".to_owned())]);
        let t = trail(&ms, &ents, &titles, &[]);
        let got: Vec<(String, Flow, String)> = t
            .transfers
            .iter()
            .map(|x| (x.at.message.clone(), x.flow, x.amount.to_string()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2".into(), Flow::Out, "5000.00".into()),
                ("3".into(), Flow::Out, "2000.00".into()),
                ("5".into(), Flow::In, "1000.00".into()),
                ("6".into(), Flow::In, "200.00".into()),
            ]
        );
        // The stated payment goes to the card the other side gave just before.
        assert_eq!(
            t.transfers[0].account.as_deref(),
            Some("bank_card:6222020200112233446")
        );
        assert_eq!(t.transfers[1].account.as_deref(), Some("wechat:wxid_scam"));
        assert_eq!(t.loss.len(), 1);
        assert_eq!(
            (
                t.loss[0].out.to_string(),
                t.loss[0].inn.to_string(),
                t.loss[0].loss.to_string()
            ),
            ("7000.00".into(), "1200.00".into(), "5800.00".into())
        );
        let c = &t.by_counterparty[0];
        assert_eq!(c.key, "客服小王 (c1)");
        assert_eq!(c.net.to_string(), "-5800.00");
        assert_eq!(c.first.as_deref(), Some("2024-01-01T10:05:00Z"));
        assert_eq!(c.last.as_deref(), Some("2024-01-03T10:00:00Z"));
        let card = t
            .by_account
            .iter()
            .find(|a| a.key.starts_with("bank_card"))
            .unwrap();
        assert_eq!(card.out.to_string(), "5000.00");
    }

    #[test]
    fn owner_names_give_direction() {
        let mut m = msg("1", "c", Direction::Unknown, MessageKind::Text, "x", "");
        m.sender.name = Some("张三".into());
        assert_eq!(owner_direction(&m, &["张三".into()]), Direction::Outgoing);
        assert_eq!(owner_direction(&m, &["李四".into()]), Direction::Incoming);
        assert_eq!(owner_direction(&m, &[]), Direction::Unknown);
    }
}
