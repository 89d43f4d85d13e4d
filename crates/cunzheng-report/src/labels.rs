//! Words of the report in Chinese and English; both renderers take them from here.

use serde::Serialize;

/// Report language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// Simplified Chinese (default).
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// `zh` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// Picks the text for this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "zh" | "zh-CN" | "zh_CN" => Ok(Lang::Zh),
            "en" => Ok(Lang::En),
            other => Err(format!("unknown language `{other}` (use zh or en)")),
        }
    }
}

/// (key, Chinese, English).
const LABELS: &[(&str, &str, &str)] = &[
    (
        "report",
        "电子数据存证报告",
        "Electronic evidence preservation report",
    ),
    ("case_id", "案件编号", "Case id"),
    ("title", "案件名称", "Title"),
    ("examiner", "制作人", "Examiner"),
    ("created", "建档时间", "Case created"),
    ("seal_version", "封存版本", "Seal version"),
    ("sealed_at", "封存时间", "Sealed at"),
    (
        "merkle_root",
        "Merkle 根（SHA-256）",
        "Merkle root (SHA-256)",
    ),
    ("payload", "封存文件", "Sealed payload"),
    ("files", "个文件", "files"),
    ("bytes", "字节", "bytes"),
    ("statement", "封存声明", "Seal statement"),
    ("signing_key", "签名密钥", "Signing key"),
    (
        "timestamp",
        "可信时间戳（RFC 3161）",
        "Trusted timestamp (RFC 3161)",
    ),
    (
        "ts_none",
        "无：本案未取得第三方时间戳",
        "none: no third-party timestamp in this case",
    ),
    (
        "ts_present",
        "已存放，报告未核验（用下述 openssl 命令核验）",
        "present, not checked by the report (check it with the openssl command below)",
    ),
    ("ts_verified", "已核验", "verified"),
    ("not_sealed", "未封存", "not sealed"),
    ("tool", "制作工具", "Tool"),
    ("evidence_list", "证据目录", "Evidence list"),
    ("no", "编号", "No."),
    ("name_source", "名称 / 来源", "Name / source"),
    ("size", "大小", "Size"),
    ("acquired", "获取时间", "Acquired"),
    ("pages", "所在页", "Pages"),
    ("category", "类别", "Kind"),
    ("duplicate_of", "内容同", "same bytes as"),
    ("parsed", "解析", "Parsed"),
    ("derived", "解析结果文件", "Derived file"),
    (
        "modified",
        "文件修改时间（仅记录，不作为可信时间）",
        "File modified (observed, not trusted)",
    ),
    ("skipped", "未保全的内容", "Not preserved"),
    ("custody", "保管记录（监管链）", "Custody log"),
    ("seq", "序号", "Seq"),
    ("time", "时间", "Time"),
    ("actor", "操作人", "Actor"),
    ("action", "操作", "Action"),
    ("details", "内容", "Details"),
    (
        "custody_note",
        "每条记录含上一条的 SHA-256 并以 Ed25519 签名；下列为每行的 SHA-256 前 16 位。",
        "Each event names the SHA-256 of the previous line and is signed with Ed25519; the first 16 hex digits of each line's SHA-256 are shown.",
    ),
    ("howto", "如何核验", "How to verify"),
    (
        "howto_intro",
        "以下命令在案件目录（本报告所引用的存证包）中执行。任何一步结果不一致，即说明数据在封存后被改动。",
        "Run these commands in the case folder (the evidence package this report cites). Any mismatch means the data changed after sealing.",
    ),
    ("summary", "案情概要", "Case summary"),
    ("time_range", "消息时间范围", "Time range of the messages"),
    (
        "parties",
        "参与方（按消息数）",
        "Parties (by number of messages)",
    ),
    ("counts", "数量", "Counts"),
    ("exhibits", "证据", "exhibits"),
    ("conversations", "会话", "conversations"),
    ("messages", "消息", "messages"),
    (
        "recovered_count",
        "恢复的已删除消息",
        "recovered deleted messages",
    ),
    ("recalled_count", "撤回的消息", "recalled messages"),
    (
        "transfers_count",
        "含金额的转账/红包消息",
        "transfer / red-packet messages with an amount",
    ),
    ("parse_notes", "解析说明", "Parsing notes"),
    (
        "omitted",
        "因篇幅限制未列入文字记录的消息数",
        "messages left out of the transcripts (size limit)",
    ),
    ("money", "资金流向", "Money trail"),
    ("total_loss", "损失合计", "Total loss"),
    ("from", "付款方", "From"),
    ("to", "收款方", "To"),
    ("amount", "金额", "Amount"),
    ("channel", "渠道", "Channel"),
    ("cites", "出处", "Cited"),
    ("scam", "诈骗类型分析", "Scam-type findings"),
    ("confidence", "程度", "Strength"),
    ("rationale", "理由", "Rationale"),
    ("timeline", "时间线核查", "Timeline checks"),
    ("check", "核查项", "Check"),
    ("result", "结果", "Result"),
    (
        "not_analysed",
        "未分析（本案尚未运行分析）。",
        "Not analysed (no analysis has been run on this case).",
    ),
    ("transcripts", "聊天记录", "Transcripts"),
    ("exhibit", "证据", "Exhibit"),
    ("platform", "平台", "Platform"),
    ("participants", "参与者", "Participants"),
    ("recovered", "已删除后恢复", "recovered (deleted)"),
    ("recalled", "已撤回", "recalled"),
    ("zone_guessed", "时区推定", "zone assumed"),
    ("attachments", "附件", "Attachments"),
    ("page", "第", "Page"),
    ("page_of", "页 / 共", "of"),
    ("page_end", "页", ""),
    (
        "ref_note",
        "每条消息后的编号为出处：E3 L12 表示证据 3 第 12 行；E3 表#行号 表示数据库表的行；p 页+偏移 表示从数据库空闲空间恢复的位置。",
        "The reference after each message is its source: E3 L12 is exhibit 3, line 12; E3 table#rowid a database row; p page+offset a position in a database's free space (recovered).",
    ),
    ("proves", "说明", "What this shows"),
    (
        "proves_text",
        "哈希值、签名和时间戳能够证明数据自封存之时起未被改动；封存之前数据是否真实，仍需结合来源、提取过程等其他证据判断（参见《最高人民法院关于民事诉讼证据的若干规定》第九十三条、《人民法院在线诉讼规则》第十八条）。本报告由当事人或其代理人使用 cunzheng 制作，不属于中立第三方平台出具的数据，也不是公证。",
        "Hashes, signatures and timestamps show that the data has not changed since it was sealed; whether it was authentic before sealing is still judged from its source, the extraction and other evidence (最高人民法院关于民事诉讼证据的若干规定 Art. 93; 人民法院在线诉讼规则 Art. 18). This report was made with cunzheng by a party or its agent; it is not data provided by a neutral third-party platform and not a notarisation.",
    ),
    ("redaction", "遮盖说明", "Redaction"),
    (
        "redaction_text",
        "本版本为披露用遮盖版：第三方的身份证号、手机号和银行卡号已遮盖（标记为嫌疑人账户的除外）。遮盖只针对显示内容；所引用的原始证据未作改动，其哈希值如下（即未遮盖原件的哈希值）。遮盖记录见 redaction-log.json，其中只含被遮盖值的带密钥哈希，不含原值。",
        "This is a redacted copy for disclosure: third parties' ID, phone and bank card numbers are masked (except those marked as the suspect's). Only the display is masked; the cited originals are unchanged and their hashes (those of the unredacted originals) are listed below. The redaction log (redaction-log.json) names each masked value by a keyed hash, never by the value.",
    ),
    ("masked", "遮盖处数", "masks"),
    ("drafts", "文书草稿", "Drafts"),
    ("search", "搜索", "Search"),
    (
        "search_hint",
        "输入关键词搜索消息、证据和记录",
        "type to search messages, exhibits and records",
    ),
    (
        "cat_chat",
        "聊天记录（即时通信信息）",
        "chat records (instant messages)",
    ),
    ("cat_image", "图片", "image"),
    ("cat_audio", "音频", "audio"),
    ("cat_video", "视频", "video"),
    ("cat_archive", "压缩包", "archive"),
    ("cat_database", "数据库", "database"),
    ("cat_document", "文档", "document"),
    ("cat_other", "其他电子文件", "other electronic file"),
];

/// The labels for one language as a JSON object (key → text).
pub fn labels(lang: Lang) -> serde_json::Map<String, serde_json::Value> {
    LABELS
        .iter()
        .map(|(k, zh, en)| ((*k).to_owned(), lang.pick(zh, en).to_owned().into()))
        .collect()
}

/// One label.
pub fn label(lang: Lang, key: &str) -> &'static str {
    LABELS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, zh, en)| lang.pick(zh, en))
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<_> = LABELS.iter().map(|l| l.0).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(n, keys.len());
    }
}
