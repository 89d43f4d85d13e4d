//! Drafts prefilled from the case, in Chinese and English: a request to a platform for data,
//! a report to the police, an evidence list and a deadline checklist.
//!
//! Every legal reference is one listed as checked in the project's LEGAL.md, with its wording
//! quoted from there; deadlines are only those a law or rule sets (LEGAL.md §3). Practical
//! advice is labelled as advice. Blanks (`＿＿`) are for the person filing.

use crate::doc::size_text;
use crate::labels::{Lang, label};
use crate::model::ReportInput;
use crate::time::local_text;
use jiff::ToSpan;
use jiff::civil::Date;
use std::fmt::Write;

/// One draft document.
#[derive(Clone, Debug)]
pub struct Draft {
    /// Language.
    pub lang: Lang,
    /// File name to write it under.
    pub file: String,
    /// Title.
    pub title: String,
    /// Plain text (Markdown).
    pub text: String,
}

const BLANK: &str = "＿＿＿＿＿＿";

/// Facts the drafts share.
struct Facts {
    first: Option<String>,
    last: Option<String>,
    first_date: Option<Date>,
    last_date: Option<Date>,
    platforms: Vec<String>,
    parties: Vec<String>,
    messages: usize,
    transfers: Vec<String>,
    loss: Option<String>,
}

fn facts(input: &ReportInput) -> Facts {
    let range = input.time_range();
    let show = |u: &str| input.local_time_of(u).unwrap_or(u).to_owned();
    let date = |u: &str| -> Option<Date> {
        let t = input.local_time_of(u)?;
        t.get(..10)?.parse().ok()
    };
    let mut platforms: Vec<String> = input
        .conversations
        .iter()
        .map(|c| c.platform.clone())
        .filter(|p| !p.is_empty())
        .collect();
    platforms.sort();
    platforms.dedup();
    let transfers = input
        .messages()
        .filter_map(|m| {
            m.money
                .as_ref()
                .map(|x| format!("{} {} {x} ({})", m.time, m.sender, m.reference))
        })
        .collect();
    Facts {
        first: range.as_ref().map(|r| show(&r.0)),
        last: range.as_ref().map(|r| show(&r.1)),
        first_date: range.as_ref().and_then(|r| date(&r.0)),
        last_date: range.as_ref().and_then(|r| date(&r.1)),
        platforms,
        parties: input.parties().into_iter().map(|p| p.0).collect(),
        messages: input.messages().count(),
        transfers,
        loss: input.money.as_ref().map(|m| {
            m.total_loss
                .iter()
                .map(|(c, a)| format!("{a} {c}"))
                .collect::<Vec<_>>()
                .join("; ")
        }),
    }
}

fn or_blank(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| BLANK.into())
}

fn seal_line(input: &ReportInput, lang: Lang) -> String {
    match &input.case.seal {
        Some(s) => format!(
            "{} {}, {} {}, Merkle {}",
            label(lang, "case_id"),
            input.case.case_id,
            label(lang, "seal_version"),
            s.version,
            s.merkle_root
        ),
        None => format!("{} {}", label(lang, "case_id"), input.case.case_id),
    }
}

/// The four drafts in both languages.
pub fn drafts(input: &ReportInput, redacted: bool) -> Vec<Draft> {
    let f = facts(input);
    let mut v = Vec::new();
    for lang in [Lang::Zh, Lang::En] {
        let sfx = if lang == Lang::Zh { "zh-CN" } else { "en" };
        let mut note = String::new();
        if redacted {
            note = lang
                .pick(
                    "（本草稿由遮盖版生成，第三方号码已遮盖；向办案机关提交时请使用未遮盖版本。）\n\n",
                    "(Made from the redacted copy: third parties' numbers are masked; give the authorities the unredacted version.)\n\n",
                )
                .to_owned();
        }
        let cite_note = lang.pick(
            "\n> 引文依据 LawRefBook/Laws 汇编（非官方）核对；提交前请与官方公布文本再核对一次。\n",
            "\n> Quotations were checked against the LawRefBook/Laws compilation (unofficial); compare them with the official text once more before filing.\n",
        );
        let mk = |file: &str, title: &str, body: String| Draft {
            lang,
            file: format!("{file}.{sfx}.md"),
            title: title.to_owned(),
            text: format!("# {title}\n\n{note}{body}{cite_note}"),
        };
        v.push(mk(
            "platform-request",
            lang.pick(
                "电子数据调取申请（致平台）",
                "Request to a platform for data",
            ),
            platform_request(input, &f, lang),
        ));
        v.push(mk(
            "police-report",
            lang.pick("报案材料", "Report to the police"),
            police_report(input, &f, lang),
        ));
        v.push(mk(
            "evidence-list",
            lang.pick("证据清单", "Evidence list"),
            evidence_list(input, lang),
        ));
        v.push(mk(
            "deadlines",
            lang.pick("期限提示", "Deadline checklist"),
            deadlines(&f, lang),
        ));
    }
    v
}

fn accounts(input: &ReportInput, f: &Facts, lang: Lang) -> String {
    let mut s = String::new();
    if !input.suspects.is_empty() {
        let _ = writeln!(
            s,
            "{}",
            lang.pick(
                "经核对属于对方（嫌疑人）的账号：",
                "Accounts the examiner marked as the suspect's:"
            )
        );
        for x in &input.suspects {
            let _ = writeln!(s, "- {x}");
        }
    }
    let _ = writeln!(
        s,
        "{}",
        lang.pick(
            "聊天记录中出现的参与方（请核对哪些属于对方）：",
            "Parties in the chat records (check which belong to the other side):"
        )
    );
    for p in f.parties.iter().take(30) {
        let _ = writeln!(s, "- {p}");
    }
    s
}

fn platform_request(input: &ReportInput, f: &Facts, lang: Lang) -> String {
    let mut s = String::new();
    if lang == Lang::Zh {
        let _ = write!(
            s,
            "致：{}（{}）\n\n申请人：{BLANK}　证件号码：{BLANK}　联系电话：{BLANK}\n申请人在贵平台的账号：{BLANK}\n\n\
## 一、申请调取的数据\n\n时间范围：{} 至 {}\n\n\
1. 申请人本人账号的注册信息、身份认证信息、登录日志（含 IP 地址）；\n\
2. 申请人账号在上述期间的交易记录、转账及红包记录；\n\
3. 申请人账号与下列账号之间在上述期间的通信记录（如平台依法可以提供）；\n\
4. 上述数据的完整性校验值（哈希值）及平台出具的数据来源说明。\n\n{}\n\
## 二、事实与理由\n\n申请人在 {} 至 {} 期间，通过贵平台与上列账号往来 {} 条消息{}。申请人已将所持聊天记录封存（{}），现需贵平台提供或确认相关数据。\n\n\
## 三、依据\n\n\
- 《中华人民共和国个人信息保护法》第四十五条：「个人有权向个人信息处理者查阅、复制其个人信息；有本法第十八条第一款、第三十五条规定情形的除外。」「个人请求查阅、复制其个人信息的，个人信息处理者应当及时提供。」\n\
- 《中华人民共和国民法典》第一千零三十七条：「自然人可以依法向信息处理者查阅或者复制其个人信息」。\n\
- 《中华人民共和国个人信息保护法》第五十条：「拒绝个人行使权利的请求的，应当说明理由」。\n\
- 如本申请不能由申请人直接取得，公安机关可依《中华人民共和国反电信网络诈骗法》第二十六条第一款调取：「公安机关办理电信网络诈骗案件依法调取证据的，互联网服务提供者应当及时提供技术支持和协助。」人民法院可依《中华人民共和国民事诉讼法》第七十条调取：「人民法院有权向有关单位和个人调查取证，有关单位和个人不得拒绝。」\n\n\
说明：上述条文规定“及时”提供，未规定具体天数；完整对话包含对方信息，是否属于申请人“本人的个人信息”，法律文本未作明确规定。由记录和保存电子数据的中立第三方平台提供或者确认的电子数据，人民法院可以确认其真实性（《最高人民法院关于民事诉讼证据的若干规定》第九十四条第一款第（二）项），但有足以反驳的相反证据的除外。\n\n\
申请人（签名）：{BLANK}　　日期：{BLANK}\n",
            BLANK,
            f.platforms.join("、"),
            or_blank(&f.first),
            or_blank(&f.last),
            accounts(input, f, lang),
            or_blank(&f.first),
            or_blank(&f.last),
            f.messages,
            if f.transfers.is_empty() {
                String::new()
            } else {
                format!("，其中 {} 条含转账或红包金额", f.transfers.len())
            },
            seal_line(input, lang),
        );
    } else {
        let _ = write!(
            s,
            "To: {BLANK} ({})\n\nApplicant: {BLANK}  ID document no.: {BLANK}  Phone: {BLANK}\nApplicant's account on your platform: {BLANK}\n\n\
## 1. Data requested\n\nTime range: {} to {}\n\n\
1. Registration, identity-verification data and login logs (with IP addresses) of the applicant's own account;\n\
2. transaction, transfer and red-packet records of the applicant's account in that period;\n\
3. communication records between the applicant's account and the accounts below in that period (where the platform may lawfully provide them);\n\
4. integrity check values (hashes) of the data and the platform's statement of their source.\n\n{}\n\
## 2. Facts\n\nBetween {} and {} the applicant exchanged {} messages with the accounts above on your platform{}. The applicant has sealed the chat records they hold ({}) and asks the platform to provide or confirm the related data.\n\n\
## 3. Basis\n\n\
- Personal Information Protection Law Art. 45: 「个人有权向个人信息处理者查阅、复制其个人信息；有本法第十八条第一款、第三十五条规定情形的除外。」「个人请求查阅、复制其个人信息的，个人信息处理者应当及时提供。」 (individuals may access and copy their personal information; the handler shall provide it promptly).\n\
- Civil Code Art. 1037: 「自然人可以依法向信息处理者查阅或者复制其个人信息」.\n\
- Personal Information Protection Law Art. 50: a refusal must give reasons (「拒绝个人行使权利的请求的，应当说明理由」).\n\
- If the applicant cannot obtain the data directly, the police may collect it under Anti-Telecom and Online Fraud Law Art. 26(1) (「公安机关办理电信网络诈骗案件依法调取证据的，互联网服务提供者应当及时提供技术支持和协助。」) and a court under Civil Procedure Law Art. 70 (「人民法院有权向有关单位和个人调查取证，有关单位和个人不得拒绝。」).\n\n\
Note: these provisions say \"promptly\" and set no number of days. Whether a whole conversation, which contains the other party's data, is the applicant's \"own personal information\" is not settled by these texts. Data provided or confirmed by the neutral third-party platform that records it may be accepted as authentic unless rebutted (Provisions on Evidence in Civil Proceedings Art. 94(1)(2)).\n\n\
Applicant (signature): {BLANK}   Date: {BLANK}\n",
            f.platforms.join(", "),
            or_blank(&f.first),
            or_blank(&f.last),
            accounts(input, f, lang),
            or_blank(&f.first),
            or_blank(&f.last),
            f.messages,
            if f.transfers.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} of them naming transfers or red packets",
                    f.transfers.len()
                )
            },
            seal_line(input, lang),
        );
    }
    s
}

fn police_report(input: &ReportInput, f: &Facts, lang: Lang) -> String {
    let mut s = String::new();
    let transfers = if f.transfers.is_empty() {
        format!("- {BLANK}\n")
    } else {
        f.transfers.iter().map(|t| format!("- {t}\n")).collect()
    };
    let findings: String = input
        .scam
        .iter()
        .flatten()
        .map(|x| format!("- {} ({}): {}\n", x.scam_type, x.confidence, x.rationale))
        .collect();
    if lang == Lang::Zh {
        let _ = write!(
            s,
            "致：{BLANK}公安局（派出所）\n\n报案人：{BLANK}　性别：{BLANK}　出生日期：{BLANK}　证件号码：{BLANK}\n住址：{BLANK}　联系电话：{BLANK}\n\n\
## 一、案情经过\n\n{} 至 {}，报案人通过{}与对方联系（共 {} 条消息，见证据清单）。经过：{BLANK}\n\n{}\
## 二、损失\n\n转账/红包记录：\n{}\n损失合计：{}\n\n\
## 三、对方账号\n\n{}\n\
## 四、证据\n\n聊天记录等电子数据已封存，见所附证据清单与存证报告（{}）。《中华人民共和国刑事诉讼法》第五十条：「可以用于证明案件事实的材料，都是证据。」证据种类包括「视听资料、电子数据。」\n\n\
## 五、请求\n\n\
1. 依法受案、立案侦查。《中华人民共和国刑事诉讼法》第一百一十条：被害人「有权向公安机关、人民检察院或者人民法院报案或者控告」，公安机关、人民检察院或者人民法院对于报案、控告、举报「都应当接受」。《中华人民共和国反电信网络诈骗法》第二十七条第二款：公安机关「应当依照《中华人民共和国刑事诉讼法》的规定立案侦查」。\n\
2. 对涉案资金依法采取紧急止付、快速冻结等措施。《中华人民共和国反电信网络诈骗法》第二十条：「……即时查询、紧急止付、快速冻结、及时解冻和资金返还制度……公安机关依法决定采取上述措施的，银行业金融机构、非银行支付机构应当予以配合。」\n\
3. 向相关平台调取对方账号的注册、登录和交易数据（《中华人民共和国反电信网络诈骗法》第二十六条第一款）。\n\
4. 出具受案回执（《公安机关办理刑事案件程序规定》第一百七十一条），对报案人提交的证据材料出具接受证据材料清单（同规定第一百七十条）。\n\n\
报案人（签名）：{BLANK}　　日期：{BLANK}\n",
            or_blank(&f.first),
            or_blank(&f.last),
            if f.platforms.is_empty() {
                BLANK.to_owned()
            } else {
                f.platforms.join("、")
            },
            f.messages,
            if findings.is_empty() {
                String::new()
            } else {
                format!("分析结果：\n{findings}\n")
            },
            transfers,
            f.loss.clone().unwrap_or_else(|| format!("{BLANK} 元")),
            accounts(input, f, lang),
            seal_line(input, lang),
        );
    } else {
        let _ = write!(
            s,
            "To: {BLANK} Public Security Bureau (police station)\n\nReporting person: {BLANK}  Sex: {BLANK}  Date of birth: {BLANK}  ID no.: {BLANK}\nAddress: {BLANK}  Phone: {BLANK}\n\n\
## 1. What happened\n\nFrom {} to {} the reporting person was in contact with the other side via {} ({} messages, see the evidence list). Account of events: {BLANK}\n\n{}\
## 2. Loss\n\nTransfers / red packets:\n{}\nTotal loss: {}\n\n\
## 3. The other side's accounts\n\n{}\n\
## 4. Evidence\n\nThe chat records and other electronic data are sealed; see the attached evidence list and preservation report ({}). Criminal Procedure Law Art. 50: 「可以用于证明案件事实的材料，都是证据。」 including 「视听资料、电子数据。」\n\n\
## 5. Requests\n\n\
1. Accept the report and open a case. Criminal Procedure Law Art. 110: the victim 「有权向公安机关、人民检察院或者人民法院报案或者控告」 and the authorities 「都应当接受」. Anti-Telecom and Online Fraud Law Art. 27(2): the police 「应当依照《中华人民共和国刑事诉讼法》的规定立案侦查」.\n\
2. Stop and freeze the funds. Anti-Telecom and Online Fraud Law Art. 20: 「……即时查询、紧急止付、快速冻结、及时解冻和资金返还制度……公安机关依法决定采取上述措施的，银行业金融机构、非银行支付机构应当予以配合。」\n\
3. Obtain the other side's registration, login and transaction data from the platforms (Anti-Telecom and Online Fraud Law Art. 26(1)).\n\
4. Issue a receipt for the report (受案回执, Provisions on Procedures for Handling Criminal Cases by Public Security Organs Art. 171) and a list of the evidence received (接受证据材料清单, same Provisions Art. 170).\n\n\
Reporting person (signature): {BLANK}   Date: {BLANK}\n",
            or_blank(&f.first),
            or_blank(&f.last),
            if f.platforms.is_empty() {
                BLANK.to_owned()
            } else {
                f.platforms.join(", ")
            },
            f.messages,
            if findings.is_empty() {
                String::new()
            } else {
                format!("Analysis:\n{findings}\n")
            },
            transfers,
            f.loss.clone().unwrap_or_else(|| format!("{BLANK} CNY")),
            accounts(input, f, lang),
            seal_line(input, lang),
        );
    }
    s
}

fn evidence_list(input: &ReportInput, lang: Lang) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}\n",
        lang.pick(
            "类别依《最高人民法院关于民事诉讼证据的若干规定》第十四条（电子数据包括「手机短信、电子邮件、即时通信、通讯群组等网络应用服务的通信信息」等）。完整性校验值为 SHA-256 与 SM3。",
            "Kinds follow Provisions on Evidence in Civil Proceedings Art. 14 (electronic data includes 「手机短信、电子邮件、即时通信、通讯群组等网络应用服务的通信信息」 etc.). Integrity check values are SHA-256 and SM3."
        )
    );
    let _ = writeln!(s, "{}\n", seal_line(input, lang));
    let head = lang.pick(
        "| 序号 | 名称 | 类别 | 来源 | 大小 | 获取时间 | 完整性校验值 | 证明目的 |",
        "| No. | Name | Kind | Source | Size | Acquired | Integrity check values | What it proves |",
    );
    let _ = writeln!(s, "{head}\n|---|---|---|---|---|---|---|---|");
    for e in &input.exhibits {
        let cell = |t: &str| t.replace('|', "\\|").replace('\n', " ");
        let _ = writeln!(
            s,
            "| E{} | {} | {} | {} | {} | {} | SHA-256 {}<br>SM3 {} | {BLANK} |",
            e.number,
            cell(&e.name),
            label(lang, &format!("cat_{}", e.category)),
            cell(&e.source),
            size_text(e.size),
            local_text(&e.acquired_utc, &e.acquired_offset)
                .unwrap_or_else(|| e.acquired_utc.clone()),
            e.sha256,
            e.sm3
        );
    }
    let _ = writeln!(
        s,
        "\n{}",
        lang.pick(
            "提供人（签名）：＿＿＿＿＿＿　　接收人（签名）：＿＿＿＿＿＿　　日期：＿＿＿＿＿＿",
            "Provided by (signature): ＿＿＿＿＿＿   Received by (signature): ＿＿＿＿＿＿   Date: ＿＿＿＿＿＿"
        )
    );
    s
}

fn plus(d: Option<Date>, span: jiff::Span) -> String {
    d.and_then(|d| d.checked_add(span).ok())
        .map(|d| d.to_string())
        .unwrap_or_else(|| BLANK.into())
}

fn deadlines(f: &Facts, lang: Lang) -> String {
    let first = f
        .first_date
        .map(|d| d.to_string())
        .unwrap_or_else(|| BLANK.into());
    let last = f
        .last_date
        .map(|d| d.to_string())
        .unwrap_or_else(|| BLANK.into());
    let mut s = String::new();
    if lang == Lang::Zh {
        let _ = write!(
            s,
            "本案消息日期：{first} 至 {last}。以下只列法律、规章规定的期限；标明【建议】的是实务建议，不是法律规定。\n\n\
## 法定期限\n\n\
| 期限 | 由谁 | 依据 | 本案参考日期 |\n|---|---|---|---|\n\
| 不少于 60 日：互联网信息服务提供者保存信息内容和访问记录（「应当保存60日」） | 平台 | 《互联网信息服务管理办法》第十四条 | 最早消息的记录至少保存到 {}；此后平台可能已删除，请尽早申请调取 |\n\
| 不少于六个月：网络日志（「不少于六个月」） | 网络运营者 | 《中华人民共和国网络安全法》第二十一条第（三）项 | 最早消息时的日志至少保存到 {} |\n\
| 不少于三年：商品、服务和交易信息（「自交易完成之日起不少于三年」） | 电子商务平台经营者 | 《中华人民共和国电子商务法》第三十一条 | 自交易完成之日起计算 |\n\
| 3 日：公安机关决定不予立案的，送达不予立案通知书 | 公安机关 | 《公安机关办理刑事案件程序规定》第一百七十八条第二款 | 自作出决定之日起 |\n\
| 7 日：对不予立案决定申请复议（公安机关 30 日内决定）；对复议决定不服的，7 日内向上一级申请复核（30 日内决定） | 报案人 | 《公安机关办理刑事案件程序规定》第一百七十九条 | 自收到不予立案通知书之日起 |\n\
| 48 小时：情况紧急的诉中保全、诉前保全，人民法院作出裁定（证据保全适用） | 人民法院 | 《中华人民共和国民事诉讼法》第一百零三条第三款、第一百零四条第二款、第八十四条第三款 | 自受理申请之日起 |\n\
| 30 日：诉前保全后，申请人应当提起诉讼或者申请仲裁，否则解除保全 | 申请人 | 《中华人民共和国民事诉讼法》第一百零四条第三款 | 自采取保全措施之日起 |\n\
| 不少于 15 日：第一审普通程序的举证期限（二审新证据不少于 10 日） | 法院指定，当事人遵守 | 《最高人民法院关于适用〈中华人民共和国民事诉讼法〉的解释》第九十九条第二款 | 见法院通知 |\n\
| 举证期限届满前：申请法院调查收集证据、申请证据保全 | 当事人 | 同解释第九十四条第二款、第九十八条；《最高人民法院关于民事诉讼证据的若干规定》第二十条、第二十五条第二款 | 见法院通知 |\n\
| 3 年：民事诉讼时效，自知道或者应当知道权利受到损害以及义务人之日起 | 受害人 | 《中华人民共和国民法典》第一百八十八条 | 若自最后一条消息之日（{last}）知道，至 {} 届满 |\n\
| 5 / 10 / 15 / 20 年：追诉时效（被害人在期限内控告、应当立案而不予立案的，不受限制） | — | 《中华人民共和国刑法》第八十七条、第八十八条第二款 | — |\n\n\
## 不存在的期限\n\n\
以下说法在已核对的法律文本中没有依据：平台须在 48 小时或 15 个工作日内向受害人提供聊天记录；“立案后 30 日内申请”；反电信网络诈骗法规定 72 小时响应；法律要求 24 小时内固定证据。\n\n\
## 实务建议（非法律规定）\n\n\
- 【建议】立即报案，以便公安机关依《中华人民共和国反电信网络诈骗法》第二十条采取紧急止付、快速冻结等措施（法律未规定具体小时数）。\n\
- 【建议】尽快固定证据：对方可能删除、撤回消息或注销账号。\n\
- 【建议】尽早向平台申请调取数据：上述保存期限只是最低要求，期满后数据可能已被删除。\n",
            plus(f.first_date, 60.days()),
            plus(f.first_date, 6.months()),
            plus(f.last_date, 3.years()),
        );
    } else {
        let _ = write!(
            s,
            "Message dates in this case: {first} to {last}. Only deadlines set by a law or rule are listed; items marked [advice] are practical advice, not law.\n\n\
## Deadlines set by law\n\n\
| Deadline | Who | Source | Date for this case |\n|---|---|---|---|\n\
| at least 60 days: internet information service providers keep content and access records (「应当保存60日」) | platform | 互联网信息服务管理办法 Art. 14 | records of the first message kept at least until {}; ask early, they may be deleted after that |\n\
| at least six months: network logs (「不少于六个月」) | network operator | Cybersecurity Law Art. 21(3) | logs from the first message kept at least until {} |\n\
| at least three years: goods, service and transaction information (「自交易完成之日起不少于三年」) | e-commerce platform | E-Commerce Law Art. 31 | from completion of the transaction |\n\
| 3 days: police deliver the notice of refusal to open a case | police | 公安机关办理刑事案件程序规定 Art. 178(2) | from the decision |\n\
| 7 days: apply for reconsideration (复议) of a refusal to open a case (decided within 30 days); 7 more days for review (复核) by the next level (30 days) | complainant | 公安机关办理刑事案件程序规定 Art. 179 | from receipt of the notice |\n\
| 48 hours: the court rules on an urgent in-suit or a pre-suit preservation application (applies to evidence preservation) | court | Civil Procedure Law Art. 103(3), 104(2), 84(3) | from accepting the application |\n\
| 30 days: after pre-suit preservation, sue or apply for arbitration, or the preservation is lifted | applicant | Civil Procedure Law Art. 104(3) | from the preservation measure |\n\
| at least 15 days: evidence period in first-instance ordinary procedure (10 days for new evidence on appeal) | set by the court | SPC Interpretation of the Civil Procedure Law Art. 99(2) | see the court's notice |\n\
| before the evidence period ends: apply for court collection or preservation of evidence | party | same Interpretation Art. 94(2), 98; Provisions on Evidence in Civil Proceedings Art. 20, 25(2) | see the court's notice |\n\
| 3 years: civil limitation period, from when the victim knew or should have known of the harm and the obligor | victim | Civil Code Art. 188 | if known on the date of the last message ({last}), ends {} |\n\
| 5 / 10 / 15 / 20 years: criminal limitation periods (no limit if the victim complained in time and the authority wrongly refused to open a case) | — | Criminal Law Art. 87, 88(2) | — |\n\n\
## Deadlines that do not exist\n\n\
None of these is found in the checked texts: platforms must give chat records to a victim within 48 hours or 15 working days; \"apply within 30 days of filing\"; a 72-hour response under the Anti-Telecom and Online Fraud Law; a legal duty to fix evidence within 24 hours.\n\n\
## Practical advice (not law)\n\n\
- [advice] Report at once, so that the police can request stop-payment and freezing under Anti-Telecom and Online Fraud Law Art. 20 (the law sets no number of hours).\n\
- [advice] Fix the evidence quickly: the other side may delete or recall messages or close accounts.\n\
- [advice] Ask the platform for data early: the retention periods above are minimums; data may be deleted after them.\n",
            plus(f.first_date, 60.days()),
            plus(f.first_date, 6.months()),
            plus(f.last_date, 3.years()),
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConversationView, MessageView};

    #[test]
    fn dates_come_from_the_case() {
        let mut input = ReportInput::default();
        input.conversations.push(ConversationView {
            messages: vec![
                MessageView {
                    utc: Some("2024-03-02T12:15:03Z".into()),
                    time: "2024-03-02 20:15:03 +08:00".into(),
                    sender: "王老师".into(),
                    ..Default::default()
                },
                MessageView {
                    utc: Some("2024-03-05T01:00:00Z".into()),
                    time: "2024-03-05 09:00:00 +08:00".into(),
                    money: Some("50000.00 CNY".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        });
        let d = drafts(&input, false);
        assert_eq!(d.len(), 8);
        let zh = d
            .iter()
            .find(|x| x.file == "deadlines.zh-CN.md")
            .map(|x| &x.text);
        let zh = zh.map(String::as_str).unwrap_or_default();
        assert!(zh.contains("至少保存到 2024-05-01"), "{zh}");
        assert!(zh.contains("至 2027-03-05 届满"));
        assert!(zh.contains("【建议】"));
        let police = d
            .iter()
            .find(|x| x.file == "police-report.zh-CN.md")
            .map(|x| x.text.clone())
            .unwrap_or_default();
        assert!(police.contains("50000.00 CNY"));
        assert!(police.contains("第一百一十条"));
        // Claims LEGAL.md §5 says not to repeat.
        for x in &d {
            assert!(!x.text.contains("第一百四十一条"));
            assert!(!x.text.contains("第一千一百八十四条"));
            assert!(!x.text.contains("第四十七条"));
        }
    }
}
