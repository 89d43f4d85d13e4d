//! The registry: one line per format. A format is one file in this folder.

use crate::source::Source;

mod android_mmssms_db;
#[cfg(test)]
mod cn_checks;
mod common_chunks;
mod common_cn_lines;
mod common_json;
mod common_mail;
mod common_sms;
mod common_sqlite;
mod discord_dce_json;
mod eml;
mod facebook_messenger_json;
mod ios_sms_db;
mod ios_summary_info;
mod mbox;
mod qq_common;
mod qq_mht;
mod qq_txt;
mod sms_backup_xml;
mod telegram_html;
mod telegram_json;
mod wechat_android_db;
mod wechat_common;
mod wechat_export_csv;
mod wechat_export_html;
mod wechat_export_txt;
mod wechat_pc_db;
mod wechat_pywxdump_csv;
mod whatsapp_txt;

/// Every format cunzheng reads, in no particular order (sniffing decides).
pub static SOURCES: &[&dyn Source] = &[
    &qq_txt::QqTxt,
    &qq_mht::QqMht,
    &wechat_android_db::WechatAndroidDb,
    &wechat_pc_db::WechatPcDb,
    &wechat_export_csv::WechatExportCsv,
    &wechat_export_txt::WechatExportTxt,
    &wechat_export_html::WechatExportHtml,
    &wechat_pywxdump_csv::WechatPywxdumpCsv,
    &eml::Eml,
    &mbox::Mbox,
    &telegram_json::TelegramJson,
    &telegram_html::TelegramHtml,
    &discord_dce_json::DiscordDceJson,
    &facebook_messenger_json::FacebookMessengerJson,
    &android_mmssms_db::AndroidMmssmsDb,
    &ios_sms_db::IosSmsDb,
    &sms_backup_xml::SmsBackupXml,
    &whatsapp_txt::WhatsappTxt,
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn registry_is_consistent() {
        let mut ids = HashSet::new();
        let mut names = HashSet::new();
        for s in SOURCES {
            assert!(ids.insert(s.id()), "duplicate id {}", s.id());
            assert!(names.insert(s.name()), "duplicate name {}", s.name());
            assert!(!s.description().is_empty(), "{} has no description", s.id());
            assert!(!s.globs().is_empty(), "{} has no globs", s.id());
            assert!(
                s.id()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "id {} is not kebab-case",
                s.id()
            );
            let lower: HashSet<String> = s.globs().iter().map(|g| g.to_lowercase()).collect();
            assert_eq!(
                lower.len(),
                s.globs().len(),
                "{} has globs differing only in case",
                s.id()
            );
            // Every format has fixtures under tests/data/<id>/.
            let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/data")
                .join(s.id());
            assert!(
                fixtures.is_dir(),
                "{} has no fixtures at {}",
                s.id(),
                fixtures.display()
            );
        }
    }
}
