//! The HTML report: one self-contained file (inline CSS and script, no fonts, images or
//! requests from elsewhere, and a Content-Security-Policy that forbids them), with search.
//!
//! Written by hand with one escaping function rather than a template engine: the page is a
//! handful of loops, and every case value goes through [`esc`] (tested with hostile text).

use crate::doc::{DocOptions, size_text, steps, summary};
use crate::labels::{Lang, label};
use crate::model::{MessageView, ReportInput, TimestampStatus};
use crate::time::local_text;
use std::fmt::Write;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:0;color:#222;font-size:14px}
header{position:sticky;top:0;background:#fff;border-bottom:1px solid #ccc;padding:8px 16px;z-index:2}
main{max-width:980px;margin:0 auto;padding:0 16px 40px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}h3{font-size:15px}
table{border-collapse:collapse;width:100%;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}
.mono,code,pre{font-family:"DejaVu Sans Mono",Consolas,monospace;font-size:12px;word-break:break-all}
pre{background:#f2f2f2;padding:6px;white-space:pre-wrap}
.muted{color:#666;font-size:12px}
.msg{margin:6px 0;padding:6px 8px;border-radius:4px;background:#f3f3f3;max-width:85%}
.msg.out{margin-left:auto;background:#e3f3dc}.msg.recovered{background:#fbe9e9}
.msg .head{font-size:12px;color:#555}.msg .body{white-space:pre-wrap;word-wrap:break-word}
.tag{display:inline-block;color:#fff;border-radius:3px;padding:0 4px;font-size:11px;margin-left:4px;background:#777}
.tag.recovered{background:#a33}.tag.recalled{background:#a60}
.note{background:#f0f0f0;padding:8px}.warn{border:2px solid #b00;padding:8px}
.hidden{display:none}mark{background:#ff0}
#q{width:60%;padding:4px;font-size:14px}
"#;

const SCRIPT: &str = r#"
(function(){
  var q=document.getElementById('q'),n=document.getElementById('hits');
  var items=[].slice.call(document.querySelectorAll('.s'));
  var lower=items.map(function(e){return e.textContent.toLowerCase();});
  q.addEventListener('input',function(){
    var v=q.value.trim().toLowerCase(),hits=0;
    for(var i=0;i<items.length;i++){
      var ok=!v||lower[i].indexOf(v)>=0;
      items[i].classList.toggle('hidden',!ok);
      if(ok&&v)hits++;
    }
    n.textContent=v?hits+' ✓':'';
  });
})();
"#;

fn row(out: &mut String, cells: &[String]) {
    out.push_str("<tr class=\"s\">");
    for c in cells {
        let _ = write!(out, "<td>{c}</td>");
    }
    out.push_str("</tr>\n");
}

fn message(out: &mut String, m: &MessageView, lang: Lang) {
    let mut class = String::from("msg s");
    if m.direction == "out" {
        class.push_str(" out");
    }
    if m.recovered {
        class.push_str(" recovered");
    }
    let _ = write!(
        out,
        "<div class=\"{class}\" id=\"{}\"><div class=\"head\">{}{} · {}{} · <span class=\"mono\">{}</span>",
        esc(&m.cite),
        esc(&m.sender),
        if !m.account.is_empty() && m.account != m.sender {
            format!(" ({})", esc(&m.account))
        } else {
            String::new()
        },
        esc(&m.time),
        if m.zone_guessed {
            format!(" ({})", label(lang, "zone_guessed"))
        } else {
            String::new()
        },
        esc(&m.reference)
    );
    if m.recovered {
        let _ = write!(
            out,
            "<span class=\"tag recovered\">{}</span>",
            label(lang, "recovered")
        );
    }
    if m.recalled {
        let _ = write!(
            out,
            "<span class=\"tag recalled\">{}</span>",
            label(lang, "recalled")
        );
    }
    if m.kind != "text" && m.kind != "recalled" {
        let _ = write!(out, "<span class=\"tag\">{}</span>", esc(&m.kind));
    }
    let _ = write!(out, "</div><div class=\"body\">{}</div>", esc(&m.body));
    if let Some(x) = &m.money {
        let _ = write!(out, "<b>{}: {}</b>", label(lang, "amount"), esc(x));
    }
    if !m.attachments.is_empty() {
        let _ = write!(
            out,
            "<div class=\"muted\">{}: {}</div>",
            label(lang, "attachments"),
            esc(&m.attachments.join(", "))
        );
    }
    out.push_str("</div>\n");
}

/// Writes the HTML report. `drafts` are (title, text) pairs shown at the end.
pub fn render(input: &ReportInput, opts: &DocOptions, drafts: &[(String, String)]) -> String {
    let lang = opts.lang;
    let l = |k: &str| label(lang, k);
    let mut o = String::with_capacity(1 << 20);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\
<meta name=\"viewport\" content=\"width=device-width\"><title>{} {}</title><style>{STYLE}</style></head><body>\n\
<header><b>{}</b> · {} &nbsp; <input id=\"q\" type=\"search\" placeholder=\"{}\" aria-label=\"{}\"> <span id=\"hits\"></span></header><main>\n",
        if lang == Lang::Zh { "zh-CN" } else { "en" },
        esc(l("report")),
        esc(&input.case.case_id),
        l("report"),
        esc(&input.case.case_id),
        l("search_hint"),
        l("search"),
    );
    // Cover.
    let _ = write!(
        o,
        "<h1>{}</h1><p>{}</p><table>",
        l("report"),
        esc(&input.case.title)
    );
    let mut kv = |k: &str, v: String| {
        let _ = write!(o, "<tr><th>{}</th><td>{v}</td></tr>", l(k));
    };
    kv("case_id", esc(&input.case.case_id));
    kv("examiner", esc(&input.case.examiner));
    kv(
        "created",
        esc(
            &local_text(&input.case.created_utc, &input.case.created_offset)
                .unwrap_or_else(|| input.case.created_utc.clone()),
        ),
    );
    match &input.case.seal {
        Some(s) => {
            kv("seal_version", s.version.to_string());
            kv(
                "sealed_at",
                esc(&local_text(&s.sealed_at, &s.local_offset)
                    .unwrap_or_else(|| s.sealed_at.clone())),
            );
            kv(
                "merkle_root",
                format!("<span class=\"mono\">{}</span>", esc(&s.merkle_root)),
            );
            kv(
                "payload",
                format!(
                    "{} {}, Payload-Oxum {}",
                    s.tree_size,
                    l("files"),
                    esc(&s.payload_oxum)
                ),
            );
            kv(
                "statement",
                format!(
                    "{} SHA-256 <span class=\"mono\">{}</span>",
                    esc(&s.statement_path),
                    esc(&s.statement_sha256)
                ),
            );
            kv(
                "signing_key",
                format!("<span class=\"mono\">{}</span>", esc(&s.key)),
            );
        }
        None => kv("seal_version", l("not_sealed").into()),
    }
    kv(
        "timestamp",
        esc(&match &input.case.timestamp {
            TimestampStatus::None => l("ts_none").to_owned(),
            TimestampStatus::Present { token_path, .. } => {
                format!("{}: {token_path}", l("ts_present"))
            }
            TimestampStatus::Verified { gen_time, tsa, .. } => {
                format!("{}: {gen_time}, {tsa}", l("ts_verified"))
            }
        }),
    );
    kv("tool", esc(&input.case.tool));
    o.push_str("</table>");
    if let Some(r) = &opts.redaction {
        let _ = write!(
            o,
            "<div class=\"warn\"><b>{}</b>: {} ({}: {})</div>",
            l("redaction"),
            l("redaction_text"),
            l("masked"),
            r.masks
        );
        o.push_str("<table>");
        for x in &r.originals {
            let _ = write!(
                o,
                "<tr><td>E{}</td><td class=\"mono\">SHA-256 {}<br>SM3 {}</td></tr>",
                x.exhibit,
                esc(&x.sha256),
                esc(&x.sm3)
            );
        }
        o.push_str("</table>");
    }
    let _ = write!(
        o,
        "<p class=\"note\"><b>{}</b>: {}</p>",
        l("proves"),
        l("proves_text")
    );

    // Evidence list.
    let _ = writeln!(
        o,
        "<h2 id=\"evidence\">{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        l("evidence_list"),
        l("no"),
        l("name_source"),
        l("size"),
        l("acquired")
    );
    for e in &input.exhibits {
        let mut name = format!(
            "{}<br><span class=\"muted\">{} · {}: {}</span>",
            esc(&e.name),
            esc(&e.source),
            l("category"),
            l(&format!("cat_{}", e.category))
        );
        if let Some(d) = e.duplicate_of {
            let _ = write!(
                name,
                "<br><span class=\"muted\">{} E{d}</span>",
                l("duplicate_of")
            );
        }
        if let Some(p) = &e.parsed {
            let _ = write!(
                name,
                "<br><span class=\"muted\">{}: <a href=\"#conv-E{}\">{}</a></span>",
                l("parsed"),
                e.number,
                esc(p)
            );
        }
        let _ = write!(
            name,
            "<div class=\"mono\">SHA-256 {}<br>SM3 {}</div>",
            esc(&e.sha256),
            esc(&e.sm3)
        );
        row(
            &mut o,
            &[
                format!("E{}", e.number),
                name,
                esc(&size_text(e.size)),
                format!(
                    "{}<br>{}",
                    esc(&local_text(&e.acquired_utc, &e.acquired_offset)
                        .unwrap_or_else(|| e.acquired_utc.clone())),
                    esc(&e.acquired_by)
                ),
            ],
        );
    }
    o.push_str("</table>");
    if !input.skipped.is_empty() {
        let _ = write!(o, "<h3>{}</h3><table>", l("skipped"));
        for s in &input.skipped {
            row(&mut o, &[esc(&s.location), esc(&s.what), esc(&s.reason)]);
        }
        o.push_str("</table>");
    }

    // Custody.
    let _ = write!(
        o,
        "<h2 id=\"custody\">{}</h2><p class=\"muted\">{}</p><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        l("custody"),
        l("custody_note"),
        l("seq"),
        l("time"),
        l("actor"),
        l("action"),
        l("details")
    );
    for c in &input.custody {
        row(
            &mut o,
            &[
                c.seq.to_string(),
                esc(&local_text(&c.time_utc, &c.local_offset).unwrap_or_else(|| c.time_utc.clone())),
                esc(&c.actor),
                esc(&c.action),
                format!(
                    "{}<br><span class=\"mono\">{}</span> · {}",
                    esc(&c.summary),
                    esc(&c.line_sha256.chars().take(16).collect::<String>()),
                    esc(&c.tool)
                ),
            ],
        );
    }
    o.push_str("</table>");

    // How to verify.
    let _ = write!(
        o,
        "<h2 id=\"verify\">{}</h2><p>{}</p><ol>",
        l("howto"),
        l("howto_intro")
    );
    for s in steps(input, lang) {
        let _ = write!(o, "<li>{}<pre>{}</pre></li>", esc(&s.what), esc(&s.cmd));
    }
    o.push_str("</ol>");

    // Summary.
    let sum = summary(input, lang);
    let _ = write!(
        o,
        "<h2 id=\"summary\">{}</h2><table><tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{} {} · {} {} · {} {} · {} {} · {} {} · {} {}</td></tr><tr><th>{}</th><td>",
        l("summary"),
        l("time_range"),
        esc(sum["time_range"].as_str().unwrap_or_default()),
        l("counts"),
        sum["exhibits"],
        l("exhibits"),
        sum["conversations"],
        l("conversations"),
        sum["messages"],
        l("messages"),
        sum["recovered"],
        l("recovered_count"),
        sum["recalled"],
        l("recalled_count"),
        sum["transfers"],
        l("transfers_count"),
        l("parties"),
    );
    for p in sum["parties"].as_array().into_iter().flatten() {
        let _ = write!(
            o,
            "{} ({}); ",
            esc(p["name"].as_str().unwrap_or_default()),
            p["count"]
        );
    }
    o.push_str("</td></tr></table>");
    if sum["guessed_zone"].as_bool() == Some(true) {
        let _ = write!(
            o,
            "<p class=\"muted\">{}</p>",
            esc(sum["guessed_note"].as_str().unwrap_or_default())
        );
    }
    if input.messages_omitted > 0 {
        let _ = write!(o, "<p>{}: {}</p>", l("omitted"), input.messages_omitted);
    }
    if !input.parse_notes.is_empty() {
        let _ = write!(o, "<h3>{}</h3><ul>", l("parse_notes"));
        for n in &input.parse_notes {
            let _ = write!(o, "<li class=\"s\">{}</li>", esc(n));
        }
        o.push_str("</ul>");
    }

    // Analysis.
    let _ = write!(o, "<h2 id=\"money\">{}</h2>", l("money"));
    match &input.money {
        None => {
            let _ = write!(o, "<p>{}</p>", l("not_analysed"));
        }
        Some(m) => {
            let _ = write!(
                o,
                "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
                l("time"),
                l("from"),
                l("to"),
                l("amount"),
                l("channel"),
                l("cites")
            );
            for x in &m.transfers {
                let cites: Vec<String> = x
                    .cites
                    .iter()
                    .map(|c| format!("<a href=\"#{}\">{}</a>", esc(c), esc(c)))
                    .collect();
                row(
                    &mut o,
                    &[
                        esc(&x.time),
                        esc(&x.from),
                        esc(&x.to),
                        esc(&format!("{} {}", x.amount, x.currency)),
                        esc(&x.channel),
                        cites.join(", "),
                    ],
                );
            }
            let total: Vec<String> = m
                .total_loss
                .iter()
                .map(|(c, a)| format!("{a} {c}"))
                .collect();
            let _ = write!(
                o,
                "</table><p><b>{}</b>: {}</p><p class=\"muted\">{}</p>",
                l("total_loss"),
                esc(&total.join("; ")),
                esc(&m.method)
            );
        }
    }
    let _ = write!(o, "<h2 id=\"scam\">{}</h2>", l("scam"));
    match &input.scam {
        None => {
            let _ = write!(o, "<p>{}</p>", l("not_analysed"));
        }
        Some(fs) => {
            for f in fs {
                let _ = write!(
                    o,
                    "<div class=\"s\"><h3>{} <span class=\"muted\">({}: {})</span></h3><p>{}</p>",
                    esc(&f.scam_type),
                    l("confidence"),
                    esc(&f.confidence),
                    esc(&f.rationale)
                );
                for c in &f.cited {
                    let _ = write!(
                        o,
                        "<blockquote><span class=\"muted\">{} · {} · {}</span><br>{}</blockquote>",
                        esc(&c.reference),
                        esc(&c.time),
                        esc(&c.sender),
                        esc(&c.text)
                    );
                }
                o.push_str("</div>");
            }
        }
    }
    let _ = write!(o, "<h2 id=\"timeline\">{}</h2>", l("timeline"));
    match &input.timeline {
        None => {
            let _ = write!(o, "<p>{}</p>", l("not_analysed"));
        }
        Some(cs) => {
            o.push_str("<table>");
            for c in cs {
                row(&mut o, &[esc(&c.check), esc(&c.result), esc(&c.detail)]);
            }
            o.push_str("</table>");
        }
    }

    // Transcripts.
    let _ = write!(
        o,
        "<h2 id=\"transcripts\">{}</h2><p class=\"muted\">{}</p>",
        l("transcripts"),
        l("ref_note")
    );
    let mut seen = std::collections::HashSet::new();
    for c in &input.conversations {
        let anchor = if seen.insert(c.exhibit) {
            format!(" id=\"conv-E{}\"", c.exhibit)
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "<h3{anchor}>{}</h3><p class=\"muted\">{} E{} · {}: {}{}</p>",
            esc(&c.title),
            l("exhibit"),
            c.exhibit,
            l("platform"),
            esc(&c.platform),
            if c.participants.is_empty() {
                String::new()
            } else {
                format!(
                    " · {}: {}",
                    l("participants"),
                    esc(&c.participants.join(", "))
                )
            }
        );
        for m in &c.messages {
            message(&mut o, m, lang);
        }
    }

    // Drafts.
    if !drafts.is_empty() {
        let _ = write!(o, "<h2 id=\"drafts\">{}</h2>", l("drafts"));
        for (title, text) in drafts {
            let _ = write!(
                o,
                "<details class=\"s\"><summary>{}</summary><pre>{}</pre></details>",
                esc(title),
                esc(text)
            );
        }
    }
    let _ = writeln!(o, "</main><script>{SCRIPT}</script></body></html>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConversationView, MessageView};

    #[test]
    fn hostile_text_is_shown_as_text() {
        let mut input = ReportInput::default();
        input.case.title = "<img src=x onerror=alert(1)>".into();
        input.conversations.push(ConversationView {
            exhibit: 1,
            title: "\"><script>alert(2)</script>".into(),
            messages: vec![MessageView {
                sender: "a'b".into(),
                body: "<script>alert('x')</script> & more".into(),
                ..Default::default()
            }],
            ..Default::default()
        });
        let html = render(
            &input,
            &DocOptions::default(),
            &[("t".into(), "<b>x</b>".into())],
        );
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"));
        // The only script element is the page's own search.
        assert_eq!(html.matches("<script").count(), 1);
        assert!(!html.contains("http://") && !html.contains("https://"));
    }
}
