//! The scam types we score. Ids are stable: reports, rules and the model refer to them.
//!
//! One list covers the Chinese police taxonomy (公安部 common types) and the international
//! one. Where the two describe the same scheme they share a type (a "task scam" abroad is
//! 刷单返利; pig butchering is romance), and `lists` says which taxonomy names it. Types that
//! only the training data knows (TeleAntiFraud's 身份盗窃, 绑架诈骗 …) are here too so the model
//! can name them.

use serde::Serialize;

/// Which published taxonomy lists a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lists {
    /// Named in the Chinese police list of common telecom-fraud types.
    Cn,
    /// Named in the international list (FTC / Action Fraud style categories).
    Intl,
    /// Named in both.
    Both,
    /// Named by neither list: a type of the labelled datasets.
    Dataset,
}

/// One scam type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScamType {
    /// Stable id (snake case ASCII).
    pub id: &'static str,
    /// Chinese name as police write it.
    pub zh: &'static str,
    /// English name.
    pub en: &'static str,
    /// The broader type this one refines, if any.
    pub parent: Option<&'static str>,
    /// Which taxonomy lists it.
    pub lists: Lists,
}

const fn t(
    id: &'static str,
    zh: &'static str,
    en: &'static str,
    parent: Option<&'static str>,
    lists: Lists,
) -> ScamType {
    ScamType {
        id,
        zh,
        en,
        parent,
        lists,
    }
}

/// Every type, in a fixed order (the order of model rows and of ties).
pub const TYPES: &[ScamType] = &[
    t(
        "task_rebate",
        "刷单返利",
        "Task / order-brushing rebate (job and task scam)",
        None,
        Lists::Both,
    ),
    t(
        "investment",
        "虚假投资理财",
        "Fake investment and crypto",
        None,
        Lists::Both,
    ),
    t("loan", "虚假网络贷款", "Fake online loan", None, Lists::Cn),
    t(
        "customer_service",
        "冒充电商物流客服",
        "Impersonating e-commerce or logistics customer service (refund scam)",
        None,
        Lists::Cn,
    ),
    t(
        "parcel",
        "冒充快递邮政（包裹异常）",
        "Parcel or mail problem (courier impersonation)",
        Some("customer_service"),
        Lists::Dataset,
    ),
    t(
        "authority",
        "冒充公检法",
        "Impersonating police, prosecutors, courts or government",
        None,
        Lists::Both,
    ),
    t(
        "credit_record",
        "虚假征信",
        "Fake credit-record repair",
        None,
        Lists::Cn,
    ),
    t(
        "game_trade",
        "网络游戏虚假交易",
        "Fake online game trade",
        None,
        Lists::Cn,
    ),
    t(
        "romance",
        "网络婚恋交友（杀猪盘）",
        "Romance and pig butchering",
        None,
        Lists::Both,
    ),
    t(
        "boss_acquaintance",
        "冒充领导熟人",
        "Impersonating a boss or acquaintance",
        None,
        Lists::Cn,
    ),
    t(
        "bank",
        "冒充银行金融机构",
        "Impersonating a bank",
        None,
        Lists::Intl,
    ),
    t(
        "tech_support",
        "冒充技术支持",
        "Tech support",
        None,
        Lists::Intl,
    ),
    t(
        "advance_fee",
        "预付费诈骗（中奖、彩票、遗产）",
        "Advance fee (prize, lottery, inheritance)",
        None,
        Lists::Intl,
    ),
    t(
        "phishing",
        "钓鱼（链接、验证码）",
        "Phishing for logins, card data or codes",
        None,
        Lists::Dataset,
    ),
    t(
        "identity_theft",
        "骗取身份信息",
        "Identity theft",
        None,
        Lists::Dataset,
    ),
    t(
        "fake_kidnapping",
        "虚构绑架、亲友出事",
        "Fake kidnapping or relative in trouble",
        None,
        Lists::Dataset,
    ),
];

/// The type with this id.
pub fn get(id: &str) -> Option<&'static ScamType> {
    TYPES.iter().find(|t| t.id == id)
}

/// Index of the type in [`TYPES`].
pub fn index(id: &str) -> Option<usize> {
    TYPES.iter().position(|t| t.id == id)
}

/// TeleAntiFraud `fraud_type` → our type (one to one, so macro-F1 over their types is ours).
pub fn from_teleantifraud(fraud_type: &str) -> Option<&'static str> {
    Some(match fraud_type {
        "投资诈骗" => "investment",
        "钓鱼诈骗" => "phishing",
        "身份盗窃" => "identity_theft",
        "彩票诈骗" => "advance_fee",
        "银行诈骗" => "bank",
        "绑架诈骗" => "fake_kidnapping",
        "客服诈骗" => "customer_service",
        // 邮件 here is postal mail: every dialogue is about a parcel held by a courier.
        "邮件诈骗" => "parcel",
        _ => return None,
    })
}

/// BothBosu scam `type` → our type.
pub fn from_bothbosu(kind: &str) -> Option<&'static str> {
    Some(match kind {
        // Social Security Administration impersonation: a government agency.
        "ssn" => "authority",
        "refund" => "customer_service",
        "support" => "tech_support",
        "reward" => "advance_fee",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_unique_ascii_and_parents_exist() {
        for (i, a) in TYPES.iter().enumerate() {
            assert!(a.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            assert!(!a.zh.is_empty() && !a.en.is_empty());
            assert!(TYPES[i + 1..].iter().all(|b| b.id != a.id && b.zh != a.zh));
            if let Some(p) = a.parent {
                assert!(get(p).is_some(), "{} has unknown parent {p}", a.id);
            }
        }
    }

    #[test]
    fn dataset_maps_land_on_known_types_one_to_one() {
        let taf = [
            "投资诈骗",
            "钓鱼诈骗",
            "身份盗窃",
            "彩票诈骗",
            "银行诈骗",
            "绑架诈骗",
            "客服诈骗",
            "邮件诈骗",
        ];
        let mapped: Vec<_> = taf.iter().filter_map(|f| from_teleantifraud(f)).collect();
        assert_eq!(mapped.len(), 8);
        for (i, m) in mapped.iter().enumerate() {
            assert!(get(m).is_some());
            assert!(!mapped[i + 1..].contains(m), "{m} mapped twice");
        }
        for k in ["ssn", "refund", "support", "reward"] {
            assert!(from_bothbosu(k).and_then(get).is_some());
        }
        // Both lists' required types are present.
        for zh in [
            "刷单返利",
            "虚假投资理财",
            "虚假网络贷款",
            "冒充电商物流客服",
            "冒充公检法",
            "虚假征信",
            "网络游戏虚假交易",
            "冒充领导熟人",
        ] {
            assert!(TYPES.iter().any(|t| t.zh == zh), "{zh}");
        }
    }
}
