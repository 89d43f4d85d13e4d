//! Pieces shared by the QQ 消息管理器 exports (TXT and MHT): the sender text
//! `昵称(QQ号)` / `昵称<e-mail>` / `昵称`, group-title badges, placeholders.

use cunzheng_model::{MessageKind, Party};

/// A sender as the export writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QqSender {
    /// The whole text as written (badges included).
    pub raw: String,
    /// Display name without group-title badges (`【管理员】`).
    pub name: String,
    /// Leading badges, as written, when there were any.
    pub badge: Option<String>,
    /// QQ number or e-mail address, when written.
    pub account: Option<String>,
}

impl QqSender {
    /// Parses `地瓜(23333233)`, `地瓜<a@b.com>`, `【管理员】张三(123)` or a bare nickname.
    pub fn parse(raw: &str) -> Self {
        let raw_t = raw.trim();
        let (rest, account) = if let Some(open) = raw_t.rfind('(').filter(|_| raw_t.ends_with(')'))
        {
            let id = raw_t.get(open + 1..raw_t.len() - 1).unwrap_or("");
            if !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit()) {
                (raw_t.get(..open).unwrap_or(""), Some(id.to_owned()))
            } else {
                (raw_t, None)
            }
        } else if let Some(open) = raw_t.rfind('<').filter(|_| raw_t.ends_with('>')) {
            let id = raw_t.get(open + 1..raw_t.len() - 1).unwrap_or("");
            if id.contains('@') && !id.contains(char::is_whitespace) {
                (raw_t.get(..open).unwrap_or(""), Some(id.to_owned()))
            } else {
                (raw_t, None)
            }
        } else {
            (raw_t, None)
        };
        let mut name = rest;
        let mut badge_end = 0;
        while let Some(after) = name.strip_prefix('【') {
            match after.find('】') {
                Some(i) => {
                    let consumed = '【'.len_utf8() + i + '】'.len_utf8();
                    badge_end += consumed;
                    name = after.get(i + '】'.len_utf8()..).unwrap_or("");
                }
                None => break,
            }
        }
        let badge = (badge_end > 0).then(|| rest.get(..badge_end).unwrap_or("").to_owned());
        Self {
            raw: raw.to_owned(),
            name: name.trim().to_owned(),
            badge,
            account,
        }
    }

    /// The party: name without badges, and the account.
    pub fn party(&self) -> Party {
        Party {
            name: (!self.name.is_empty()).then(|| self.name.clone()),
            account: self.account.clone(),
        }
    }

    /// `系统消息(10000)` and `系统消息(1000000)`.
    pub fn is_system(&self) -> bool {
        self.name == "系统消息"
            && matches!(
                self.account.as_deref(),
                Some("10000") | Some("1000000") | None
            )
    }

    /// Whether this sender is one of the device owner's names or accounts.
    pub fn is_owner(&self, owner: &[String]) -> bool {
        owner.iter().any(|o| {
            let o = o.trim();
            !o.is_empty() && (o == self.name || Some(o) == self.account.as_deref() || o == self.raw)
        })
    }
}

/// The kind a QQ export body stands for: a lone placeholder (`[图片]`) or a recall notice.
pub(crate) fn body_kind(body: &str, system: bool) -> MessageKind {
    match body.trim() {
        "[图片]" => MessageKind::Image,
        "[表情]" => MessageKind::Sticker,
        "[文件]" => MessageKind::File,
        "[语音]" => MessageKind::Voice,
        "[视频]" => MessageKind::Video,
        b if system && (b.contains("撤回了一条消息") || b.contains("撤回了一条成员消息")) => {
            MessageKind::Recalled
        }
        _ if system => MessageKind::System,
        _ => MessageKind::Text,
    }
}

/// Conversation kind from the 消息分组 name: groups and discussion groups are `group`,
/// friend lists and temporary sessions `private`; anything else is not claimed.
pub(crate) fn group_kind(group: &str) -> Option<String> {
    if group.contains('群') || group.contains("讨论组") {
        Some("group".into())
    } else if group.contains("好友") || group.contains("联系人") || group.contains("临时会话")
    {
        Some("private".into())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn senders() {
        let s = QqSender::parse("地瓜(23333233)");
        assert_eq!(
            (s.name.as_str(), s.account.as_deref()),
            ("地瓜", Some("23333233"))
        );
        let s = QqSender::parse("【管理员】【LV5】张三(123)");
        assert_eq!(s.name, "张三");
        assert_eq!(s.badge.as_deref(), Some("【管理员】【LV5】"));
        let s = QqSender::parse("Bob<bob@example.com>");
        assert_eq!(s.account.as_deref(), Some("bob@example.com"));
        let s = QqSender::parse("小明");
        assert_eq!((s.name.as_str(), s.account), ("小明", None));
        // A name with brackets that are not an id stays whole.
        let s = QqSender::parse("A(b)");
        assert_eq!((s.name.as_str(), s.account), ("A(b)", None));
        assert!(QqSender::parse("系统消息(10000)").is_system());
        // Hostile: lone brackets.
        let _ = QqSender::parse("(");
        let _ = QqSender::parse(")");
        let _ = QqSender::parse("<>");
        let _ = QqSender::parse("【");
    }
}
