//! The PDF: typst as a library, with a [`typst::World`] that holds the template, one data
//! file and the embedded fonts, and nothing else (no file system, no network, no packages).

use crate::error::{ReportError, Result};
use std::sync::OnceLock;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

const TEMPLATE: &str = include_str!("report.typ");

/// Fonts compiled into the binary (see `fonts/NOTE.md` for sources and licences), so that
/// Chinese text renders the same on any machine.
static FONT_FILES: &[&[u8]] = &[
    include_bytes!("../fonts/DejaVuSans.ttf"),
    include_bytes!("../fonts/DejaVuSans-Bold.ttf"),
    include_bytes!("../fonts/DejaVuSansMono.ttf"),
    include_bytes!("../fonts/DroidSansFallbackFull.ttf"),
];

fn fonts() -> &'static (LazyHash<FontBook>, Vec<Font>) {
    static FONTS: OnceLock<(LazyHash<FontBook>, Vec<Font>)> = OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> = FONT_FILES
            .iter()
            .flat_map(|b| Font::iter(Bytes::new(*b)))
            .collect();
        (LazyHash::new(FontBook::from_fonts(&fonts)), fonts)
    })
}

/// Whether one of the embedded fonts has a glyph for `c` that typst will use. Symbols and
/// emoji blocks are excluded even where a font maps them: typst shapes emoji-presentation
/// characters apart and, seen on real exports, can end on `.notdef` for them (`✅`).
fn covered(c: char) -> bool {
    let emoji = matches!(u32::from(c),
        0x2300..=0x23FF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x1F000..=0x1FAFF);
    !emoji
        && (c.is_ascii_graphic()
            || c == ' '
            || fonts()
                .1
                .iter()
                .any(|f| f.info().coverage.contains(u32::from(c))))
}

/// Makes every string of the document drawable: PDF/A forbids the `.notdef` glyph, so a
/// character no embedded font has (emoji, rare scripts) is written as `[U+1F600]`; invisible
/// joiners and variation selectors are dropped; control characters other than line breaks
/// and tabs are written as `[U+0007]`. The HTML report keeps the original characters.
pub fn drawable(v: &mut serde_json::Value) {
    drawable_with(v, &mut std::collections::HashMap::new(), false);
}

/// Like [`drawable`], keeping only Latin, Greek, Cyrillic, CJK, kana, punctuation and
/// full-width forms: the retry when a render still met a character without a glyph.
fn drawable_strict(v: &mut serde_json::Value) {
    drawable_with(v, &mut std::collections::HashMap::new(), true);
}

fn safe(c: char) -> bool {
    matches!(u32::from(c),
        0x20..=0x7E | 0xA0..=0x24F | 0x370..=0x4FF | 0x2000..=0x206F | 0x3000..=0x30FF
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xFF00..=0xFFEF)
}

fn drawable_with(
    v: &mut serde_json::Value,
    seen: &mut std::collections::HashMap<char, bool>,
    strict: bool,
) {
    match v {
        serde_json::Value::String(s) => {
            if s.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
                return;
            }
            let mut out = String::with_capacity(s.len());
            for c in s.chars() {
                match c {
                    '\n' | '\t' => out.push(c),
                    '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' => {
                    }
                    '\u{E0000}'..='\u{E007F}' => {}
                    c if c.is_control()
                        || (strict && !safe(c))
                        || !*seen.entry(c).or_insert_with(|| covered(c)) =>
                    {
                        out.push_str(&format!("[U+{:04X}]", u32::from(c)));
                    }
                    c => out.push(c),
                }
            }
            *s = out;
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| drawable_with(x, seen, strict)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|x| drawable_with(x, seen, strict)),
        _ => {}
    }
}

fn file_id(path: &str) -> Option<FileId> {
    Some(RootedPath::new(VirtualRoot::Project, VirtualPath::new(path).ok()?).intern())
}

/// The typesetting world of one report.
struct ReportWorld {
    library: LazyHash<Library>,
    main: FileId,
    data_id: FileId,
    source: Source,
    data: Bytes,
    today: Option<Datetime>,
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().0
    }
    fn main(&self) -> FileId {
        self.main
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main {
            Ok(self.source.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else if id == self.main {
            Ok(Bytes::from_string(self.source.clone()))
        } else {
            Err(FileError::AccessDenied)
        }
    }
    fn font(&self, index: usize) -> Option<Font> {
        fonts().1.get(index).cloned()
    }
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        self.today
    }
}

/// `2026-12-05T23:35:57.93Z` → a typst datetime (seconds precision).
fn datetime(utc: &str) -> Option<Datetime> {
    let ts: jiff::Timestamp = utc.parse().ok()?;
    let z = ts.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    Datetime::from_ymd_hms(
        i32::from(z.year()),
        u8::try_from(z.month()).ok()?,
        u8::try_from(z.day()).ok()?,
        u8::try_from(z.hour()).ok()?,
        u8::try_from(z.minute()).ok()?,
        u8::try_from(z.second()).ok()?,
    )
}

fn messages(diags: &[SourceDiagnostic]) -> String {
    diags
        .iter()
        .map(|d| {
            let mut s = d.message.to_string();
            for h in &d.hints {
                s.push_str(&format!(" (hint: {})", h.v));
            }
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A rendered PDF.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The PDF/A-2b bytes.
    pub pdf: Vec<u8>,
    /// Number of pages.
    pub pages: usize,
}

/// Renders the document JSON (see [`crate::doc::document`]) to PDF/A-2b.
///
/// `ident` names the document stably (the case id and seal version) and `date_utc` is the
/// PDF's creation date (the seal time), so that rendering the same case twice gives the same
/// bytes.
pub fn render(doc: &serde_json::Value, ident: &str, date_utc: &str) -> Result<Rendered> {
    let mut doc = doc.clone();
    drawable(&mut doc);
    match render_drawable(&doc, ident, date_utc) {
        // A glyph typst could not find after all: spell out everything outside the scripts
        // the fonts are known to draw, and try once more.
        Err(ReportError::Typeset(m)) if m.contains("could not be displayed") => {
            drawable_strict(&mut doc);
            render_drawable(&doc, ident, date_utc)
        }
        other => other,
    }
}

fn render_drawable(doc: &serde_json::Value, ident: &str, date_utc: &str) -> Result<Rendered> {
    let (main, data_id) = match (file_id("/main.typ"), file_id("/data.json")) {
        (Some(a), Some(b)) => (a, b),
        _ => return Err(ReportError::Typeset("bad virtual path".into())),
    };
    // PDF/A requires a document date; a case without a readable one gets the Unix epoch.
    let date = datetime(date_utc).or_else(|| Datetime::from_ymd_hms(1970, 1, 1, 0, 0, 0));
    let world = ReportWorld {
        library: LazyHash::new(Library::builder().build()),
        main,
        data_id,
        source: Source::new(main, TEMPLATE.to_owned()),
        data: Bytes::new(serde_json::to_vec(doc)?),
        today: date,
    };
    let warned = typst::compile::<PagedDocument>(&world);
    let document = warned
        .output
        .map_err(|e| ReportError::Typeset(messages(&e)))?;
    let standards = PdfStandards::new(&[PdfStandard::A_2b])
        .map_err(|e| ReportError::Typeset(e.message().to_string()))?;
    let options = PdfOptions {
        ident: Smart::Custom(ident.to_owned()),
        creator: Smart::Custom(Some(format!(
            "cunzheng {} (typst)",
            env!("CARGO_PKG_VERSION")
        ))),
        timestamp: date.map(Timestamp::new_utc),
        standards,
        ..PdfOptions::default()
    };
    let pdf =
        typst_pdf::pdf(&document, &options).map_err(|e| ReportError::Typeset(messages(&e)))?;
    Ok(Rendered {
        pdf,
        pages: document.pages().len(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::doc::{DocOptions, document};
    use crate::model::*;

    fn input() -> ReportInput {
        let mut input = ReportInput::default();
        input.case.case_id = "CZ-T".into();
        input.case.title = "测试 #panic(\"x\") $y$".into();
        input.case.created_utc = "2024-03-01T00:00:00Z".into();
        input.case.created_offset = "+08:00".into();
        input.case.seal = Some(SealInfo {
            version: 1,
            sealed_at: "2024-03-08T01:02:03.456Z".into(),
            merkle_root: "ab".repeat(32),
            ..Default::default()
        });
        input.exhibits.push(Exhibit {
            number: 1,
            name: "chat.txt".into(),
            sha256: "cd".repeat(32),
            sm3: "ef".repeat(32),
            category: "chat".into(),
            ..Default::default()
        });
        input.conversations.push(ConversationView {
            exhibit: 1,
            title: "王老师 ]] [[ #let".into(),
            messages: vec![MessageView {
                sender: "王老师".into(),
                body: "保本高收益 😀 \u{7} #import \"/etc/passwd\"\n第二行".into(),
                time: "2024-03-02 20:15:03 +08:00".into(),
                recovered: true,
                ..Default::default()
            }],
            ..Default::default()
        });
        input
    }

    #[test]
    fn renders_hostile_text_as_text_deterministically() {
        let doc = document(&input(), &DocOptions::default());
        let a = render(&doc, "CZ-T seal 1", "2024-03-08T01:02:03.456Z").unwrap();
        let b = render(&doc, "CZ-T seal 1", "2024-03-08T01:02:03.456Z").unwrap();
        assert!(a.pdf.starts_with(b"%PDF-"));
        assert_eq!(a.pdf, b.pdf);
        assert!(a.pages >= 5);
    }

    #[test]
    fn characters_without_a_glyph_are_spelled_out() {
        // Cuneiform is in none of the embedded fonts; emoji are spelled out too.
        let mut v = serde_json::json!({"a": ["\u{12000}🫠✅中\u{FE0F}\u{7}x\n"]});
        drawable(&mut v);
        assert_eq!(v["a"][0], "[U+12000][U+1FAE0][U+2705]中[U+0007]x\n");
    }
}
