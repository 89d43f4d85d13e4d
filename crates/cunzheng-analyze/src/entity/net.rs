//! URLs, bare domains, e-mail addresses and IP addresses. Hosts are converted to ASCII with
//! IDNA (UTS #46) so that `例子.中国` and `xn--fsqu00a.xn--fiqs8s` compare equal; a punycode host
//! also gets its Unicode form in the note (look-alike domains show there).

use super::{Entity, Kind, char_at, char_before};
use regex::Regex;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

static URL: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)(?:https?://|www\.)(?P<host>[^\s/?#<>\x22'，。、；：！？（）【】《》「」“”‘’]+)(?P<rest>[/?#][!-~]*)?",
    )
});

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}",
    )
});

/// Top-level domains a bare (scheme-less) domain must end in: common generic ones and those
/// seen in Chinese fraud links. A URL with a scheme needs none of this.
static DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    super::re(
        r"(?i)(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+(?:com|net|org|cn|top|xyz|vip|cc|io|me|info|biz|app|co|tk|club|site|online|shop|store|live|pro|ltd|work|link|wang|asia|hk|tw|mo|uk|us|ru|jp|kr|de|fr|in|sg|my|ph|th|vn|ai|tv|fun|icu|win|bet|xn--[a-z0-9]{2,20})",
    )
});

static IPV4: LazyLock<Regex> =
    LazyLock::new(|| super::re(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"));

static IPV6: LazyLock<Regex> =
    LazyLock::new(|| super::re(r"(?i)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:\.[0-9]{1,3}){0,3}"));

/// ASCII (punycode) form of a host, lower case; `None` when IDNA rejects it.
pub(crate) fn host_ascii(host: &str) -> Option<String> {
    let ascii = idna::domain_to_ascii(host).ok()?;
    (!ascii.is_empty() && ascii.contains('.')).then_some(ascii)
}

fn unicode_note(ascii: &str) -> Option<String> {
    if !ascii.split('.').any(|l| l.starts_with("xn--")) {
        return None;
    }
    let (uni, res) = idna::domain_to_unicode(ascii);
    res.ok().map(|_| format!("shown as {uni}"))
}

pub(super) fn urls(text: &str, out: &mut Vec<Entity>) {
    for c in URL.captures_iter(text) {
        let (Some(m), Some(h)) = (c.get(0), c.name("host")) else {
            continue;
        };
        if matches!(char_before(text, m.start()), Some(ch) if ch.is_ascii_alphanumeric()) {
            continue;
        }
        // A host glued to following Chinese text (`t.cn领取`): cut at the first non-ASCII char
        // after an ASCII part with a dot.
        let mut host = h.as_str();
        if let Some(i) = host.find(|ch: char| !ch.is_ascii())
            && host[..i].contains('.')
        {
            host = &host[..i];
        }
        let host = host.trim_end_matches(['.', ',', ':', ';', '!', '?', ')', ']']);
        // A port stays out of the host.
        let (host_only, port) = match host.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() => (h, Some(p)),
            _ => (host, None),
        };
        let prefix = &text[m.start()..h.start()];
        let www = prefix.to_ascii_lowercase().starts_with("www.");
        let full_host = if www {
            format!("{prefix}{host_only}")
        } else {
            host_only.to_owned()
        };
        let Some(ascii) = host_ascii(&full_host) else {
            continue;
        };
        let host_end = h.start() + host.len();
        let mut end = host_end;
        let mut rest = "";
        if host.len() == h.as_str().len()
            && let Some(r) = c.name("rest")
        {
            let trimmed = r
                .as_str()
                .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '\'', '"']);
            rest = trimmed;
            end = r.start() + trimmed.len();
        }
        let scheme = if prefix.to_ascii_lowercase().starts_with("https") {
            "https"
        } else {
            "http"
        };
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        let value = format!("{scheme}://{ascii}{port}{rest}");
        let mut e = Entity::span(Kind::Url, text, m.start(), end, value, "idna");
        e.note = unicode_note(&ascii);
        out.push(e);
        let host_start = if www { m.start() } else { h.start() };
        let mut d = Entity::span(
            Kind::Domain,
            text,
            host_start,
            h.start() + host_only.len(),
            ascii.clone(),
            "idna",
        );
        d.note = unicode_note(&ascii);
        out.push(d);
    }
}

pub(super) fn emails(text: &str, out: &mut Vec<Entity>) {
    for m in EMAIL.find_iter(text) {
        if matches!(char_before(text, m.start()), Some(ch) if ch.is_ascii_alphanumeric() || "._%+-".contains(ch))
        {
            continue;
        }
        if matches!(char_at(text, m.end()), Some(ch) if ch.is_ascii_alphanumeric() || ch == '-') {
            continue;
        }
        let s = m.as_str();
        if s.contains("..") {
            continue;
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            continue;
        };
        let Some(ascii) = host_ascii(domain) else {
            continue;
        };
        out.push(Entity::span(
            Kind::Email,
            text,
            m.start(),
            m.end(),
            format!("{}@{ascii}", local.to_ascii_lowercase()),
            "syntax",
        ));
    }
}

pub(super) fn domains(text: &str, known: &[Entity], out: &mut Vec<Entity>) {
    for m in DOMAIN.find_iter(text) {
        if matches!(char_before(text, m.start()), Some(ch) if ch.is_ascii_alphanumeric() || "@.-_/".contains(ch))
        {
            continue;
        }
        if matches!(char_at(text, m.end()), Some(ch) if ch.is_ascii_alphanumeric() || ch == '-' || ch == '@' || ch == '_')
        {
            continue;
        }
        if known.iter().any(|k| k.start < m.end() && m.start() < k.end) {
            continue;
        }
        // Numbers with a dot before a TLD-like word are prices or versions, not domains.
        let first = m.as_str().split('.').next().unwrap_or_default();
        if first.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Some(ascii) = host_ascii(m.as_str()) else {
            continue;
        };
        let mut d = Entity::span(
            Kind::Domain,
            text,
            m.start(),
            m.end(),
            ascii.clone(),
            "idna",
        );
        d.note = unicode_note(&ascii);
        out.push(d);
    }
}

pub(super) fn ips(text: &str, known: &[Entity], out: &mut Vec<Entity>) {
    let inside = |s: usize, e: usize| {
        known
            .iter()
            .any(|k| k.kind != Kind::Domain && k.start < e && s < k.end)
    };
    for m in IPV4.find_iter(text) {
        if matches!(char_before(text, m.start()), Some(ch) if ch.is_ascii_digit() || ch == '.')
            || matches!(char_at(text, m.end()), Some(ch) if ch.is_ascii_digit())
            || (char_at(text, m.end()) == Some('.')
                && char_at(text, m.end() + 1).is_some_and(|c| c.is_ascii_digit()))
            || inside(m.start(), m.end())
        {
            continue;
        }
        // std rejects octets over 255 and leading zeros (which some tools read as octal).
        if let Ok(ip) = m.as_str().parse::<Ipv4Addr>() {
            out.push(Entity::span(
                Kind::Ipv4,
                text,
                m.start(),
                m.end(),
                ip.to_string(),
                "inet",
            ));
        }
    }
    if !text.contains("::") && text.matches(':').count() < 7 {
        return;
    }
    for m in IPV6.find_iter(text) {
        if matches!(char_before(text, m.start()), Some(ch) if ch.is_ascii_alphanumeric() || ch == ':')
            || matches!(char_at(text, m.end()), Some(ch) if ch.is_ascii_alphanumeric() || ch == ':')
            || inside(m.start(), m.end())
        {
            continue;
        }
        let s = m.as_str();
        if !s.bytes().any(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        if let Ok(ip) = s.parse::<Ipv6Addr>() {
            out.push(Entity::span(
                Kind::Ipv6,
                text,
                m.start(),
                m.end(),
                ip.to_string(),
                "inet",
            ));
        }
    }
}
