//! Accounts recognised only by the words next to them: QQ numbers (QQ, 扣扣, 企鹅号), WeChat
//! IDs (微信, vx, wx, 威信, 薇信) and Alipay accounts (支付宝 + phone or e-mail). A bare
//! 5–11 digit number is not a QQ number without its cue.

use super::numbers::is_mobile;
use super::{Entity, Kind, char_at, char_before};
use regex::{Captures, Regex};
use std::sync::LazyLock;

const SEP: &str = r"(?:号码|账号|帐号|号|群号|群|空间|id|ID)?\s*(?:[:：=]|是|为|加|搜)?\s*";

static QQ: LazyLock<Regex> = LazyLock::new(|| {
    super::re(&format!(
        r"(?i)(?P<cue>qq|扣扣|企鹅|q群){SEP}(?P<id>[1-9][0-9]{{4,10}})"
    ))
});

static WECHAT: LazyLock<Regex> = LazyLock::new(|| {
    super::re(&format!(
        r"(?i)(?P<cue>微信|weixin|wechat|vx|wx|v信|威信|薇信|徽信|加v){SEP}(?P<id>wxid_[a-z0-9]{{4,30}}|[A-Za-z][-_A-Za-z0-9]{{5,19}}|1[3-9][0-9]{{9}}|[1-9][0-9]{{4,10}})"
    ))
});

static WXID: LazyLock<Regex> = LazyLock::new(|| super::re(r"wxid_[a-z0-9]{4,30}"));

static ALIPAY: LazyLock<Regex> = LazyLock::new(|| {
    super::re(&format!(
        r"(?P<cue>支付宝){SEP}(?P<id>1[3-9][0-9]{{9}}|[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9.\-]+\.[A-Za-z]{{2,24}})"
    ))
});

/// `qq`, `wechat`, `alipay`: whether the text holds a cue of each (found by the caller in one
/// pass), so the regexes run only where they can match.
pub(super) fn context_accounts(
    text: &str,
    qq: bool,
    wechat: bool,
    alipay: bool,
    out: &mut Vec<Entity>,
) {
    if qq {
        for c in QQ.captures_iter(text) {
            if let Some(e) = one(text, &c, Kind::Qq) {
                out.push(e);
            }
        }
    }
    if wechat {
        for c in WECHAT.captures_iter(text) {
            if let Some(e) = one(text, &c, Kind::Wechat) {
                out.push(e);
            }
        }
        for m in WXID.find_iter(text) {
            if out
                .iter()
                .any(|e| e.kind == Kind::Wechat && e.start <= m.start() && m.end() <= e.end)
            {
                continue;
            }
            if matches!(char_before(text, m.start()), Some(ch) if ch.is_ascii_alphanumeric())
                || matches!(char_at(text, m.end()), Some(ch) if ch.is_ascii_alphanumeric() || ch == '_')
            {
                continue;
            }
            let mut e = Entity::span(
                Kind::Wechat,
                text,
                m.start(),
                m.end(),
                m.as_str().into(),
                "syntax",
            );
            e.note = Some("internal WeChat id (wxid_)".into());
            out.push(e);
        }
    }
    if alipay {
        for c in ALIPAY.captures_iter(text) {
            if let Some(e) = one(text, &c, Kind::Alipay) {
                out.push(e);
            }
        }
    }
}

fn one(text: &str, c: &Captures, kind: Kind) -> Option<Entity> {
    let cue = c.name("cue")?;
    let id = c.name("id")?;
    // `vx`/`qq` inside a longer Latin word is no cue.
    if cue.as_str().is_ascii()
        && matches!(char_before(text, cue.start()), Some(ch) if ch.is_ascii_alphabetic())
    {
        return None;
    }
    let id_s = id.as_str();
    let digits_only = id_s.bytes().all(|b| b.is_ascii_digit());
    // The account must end where the text's token ends (a QQ number may be followed by a
    // nickname in Latin letters: `QQ空间318064680Mr…`).
    if matches!(char_at(text, id.end()), Some(ch) if ch.is_ascii_digit() || ch == '_' || ch == '-' || ch == '@'
        || ch.is_ascii_alphabetic() && !(digits_only && kind == Kind::Qq)
        || ch == '.' && kind != Kind::Alipay)
    {
        return None;
    }
    let between = &text[cue.end()..id.start()];
    // `vxin…`: a Latin cue glued to Latin letters is one word, not cue + ID.
    if cue.as_str().is_ascii()
        && between.is_empty()
        && id_s.starts_with(|c: char| c.is_ascii_alphabetic())
    {
        return None;
    }
    // Masked values (`微信号xxxxxxxx`) are no account.
    if id_s.to_ascii_lowercase().contains("xxxx") {
        return None;
    }
    let mut value = id_s.to_owned();
    if kind == Kind::Wechat {
        // A plain English word after `wechat`/`vx` ("wechat account") is no ID: a real one
        // written as letters only is introduced by a colon or 号.
        let letters_only = id_s.bytes().all(|b| b.is_ascii_alphabetic());
        let introduced = between.contains([':', '：', '号']) || between.contains("是");
        if letters_only && !introduced {
            return None;
        }
        if id_s.bytes().all(|b| b.is_ascii_digit())
            && !is_mobile(id_s)
            && !introduced
            && !between.is_empty()
        {
            return None;
        }
    }
    if kind == Kind::Alipay {
        if is_mobile(id_s) {
            value = format!("+86{id_s}");
        } else {
            value = id_s.to_ascii_lowercase();
        }
    }
    let mut e = Entity::span(kind, text, id.start(), id.end(), value, "context");
    e.note = Some(format!("after {}", cue.as_str()));
    Some(e)
}
