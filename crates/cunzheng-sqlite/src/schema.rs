//! Just enough of SQLite's CREATE TABLE / CREATE INDEX grammar to know each table's stored
//! columns, their declared types and affinities, and which column is the rowid alias.

/// Column affinity, from the declared type by the rules of "Datatypes In SQLite" §3.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Affinity {
    /// Declared type contains "INT".
    Integer,
    /// Contains "CHAR", "CLOB" or "TEXT".
    Text,
    /// Contains "BLOB", or no type.
    Blob,
    /// Contains "REAL", "FLOA" or "DOUB".
    Real,
    /// Anything else.
    Numeric,
}

impl Affinity {
    /// The affinity of a declared type.
    pub fn of(declared: &str) -> Affinity {
        let t = declared.to_ascii_uppercase();
        if t.contains("INT") {
            Affinity::Integer
        } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
            Affinity::Text
        } else if t.contains("BLOB") || t.trim().is_empty() {
            Affinity::Blob
        } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
            Affinity::Real
        } else {
            Affinity::Numeric
        }
    }
}

/// One stored column.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Column {
    /// Name, unquoted.
    pub name: String,
    /// Declared type as written (may be empty).
    pub declared: String,
    /// Affinity.
    pub affinity: Affinity,
    /// INTEGER PRIMARY KEY: stored as NULL in the record, the value is the rowid.
    pub rowid_alias: bool,
}

/// What a CREATE statement says about record layout.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Shape {
    /// Stored columns in order (virtual generated columns left out).
    pub columns: Vec<Column>,
    /// WITHOUT ROWID table (stored as an index b-tree).
    pub without_rowid: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    /// Quoted identifier or string literal, unquoted.
    Quoted(String),
    Punct(char),
}

fn tokenize(sql: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut it = sql.char_indices().peekable();
    while let Some((_, c)) = it.next() {
        match c {
            c if c.is_whitespace() => {}
            '-' if it.peek().is_some_and(|&(_, n)| n == '-') => {
                for (_, n) in it.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            '/' if it.peek().is_some_and(|&(_, n)| n == '*') => {
                it.next();
                let mut prev = ' ';
                for (_, n) in it.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
            }
            '\'' | '"' | '`' | '[' => {
                let close = if c == '[' { ']' } else { c };
                let mut s = String::new();
                while let Some((_, n)) = it.next() {
                    if n == close {
                        // Doubled quote = literal quote (not for [..]).
                        if close != ']' && it.peek().is_some_and(|&(_, m)| m == close) {
                            it.next();
                            s.push(n);
                            continue;
                        }
                        break;
                    }
                    s.push(n);
                }
                out.push(Tok::Quoted(s));
            }
            '(' | ')' | ',' | ';' => out.push(Tok::Punct(c)),
            c if c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii() => {
                let mut s = String::from(c);
                while let Some(&(_, n)) = it.peek() {
                    if n.is_alphanumeric()
                        || n == '_'
                        || n == '$'
                        || (!n.is_ascii() && !n.is_whitespace())
                    {
                        s.push(n);
                        it.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Word(s));
            }
            other => out.push(Tok::Punct(other)),
        }
    }
    out
}

fn is_kw(t: &Tok, kw: &str) -> bool {
    matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
}

fn text(t: &Tok) -> String {
    match t {
        Tok::Word(w) | Tok::Quoted(w) => w.clone(),
        Tok::Punct(c) => c.to_string(),
    }
}

/// Splits the tokens between the first top-level '(' and its match at top-level commas.
fn definitions(toks: &[Tok]) -> Option<(Vec<&[Tok]>, usize)> {
    let open = toks.iter().position(|t| *t == Tok::Punct('('))?;
    let mut depth = 0usize;
    let mut start = open + 1;
    let mut parts = Vec::new();
    for (i, t) in toks.iter().enumerate().skip(open) {
        match t {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => {
                depth -= 1;
                if depth == 0 {
                    parts.push(&toks[start..i]);
                    return Some((parts, i + 1));
                }
            }
            Tok::Punct(',') if depth == 1 => {
                parts.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    None
}

const CONSTRAINT_START: &[&str] = &["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];
const COLUMN_CONSTRAINT: &[&str] = &[
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
];

/// Parses a CREATE TABLE statement. `None` for CREATE TABLE … AS SELECT, virtual tables or
/// text this parser does not understand.
pub fn parse_create_table(sql: &str) -> Option<Shape> {
    let toks = tokenize(sql);
    if !is_kw(toks.first()?, "CREATE") || toks.iter().take(4).any(|t| is_kw(t, "VIRTUAL")) {
        return None;
    }
    let (parts, after) = definitions(&toks)?;
    let rest = toks.get(after..).unwrap_or(&[]);
    let without_rowid = rest
        .windows(2)
        .any(|w| is_kw(&w[0], "WITHOUT") && is_kw(&w[1], "ROWID"));
    let mut shape = Shape {
        columns: Vec::new(),
        without_rowid,
    };
    let mut table_pk: Vec<String> = Vec::new();
    for part in parts {
        let first = part.first()?;
        if matches!(first, Tok::Word(_)) && CONSTRAINT_START.iter().any(|k| is_kw(first, k)) {
            // Table constraint; remember a single-column PRIMARY KEY for the rowid alias.
            if let Some(p) = part.iter().position(|t| is_kw(t, "PRIMARY"))
                && let Some((cols, _)) = definitions(&part[p..])
                && cols.len() == 1
                && !cols[0].is_empty()
            {
                table_pk.push(text(&cols[0][0]));
            }
            continue;
        }
        let name = text(first);
        let mut declared = Vec::new();
        let mut i = 1;
        let mut depth = 0u32;
        while let Some(t) = part.get(i) {
            if depth == 0 && COLUMN_CONSTRAINT.iter().any(|k| is_kw(t, k)) {
                break;
            }
            match t {
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') => depth = depth.saturating_sub(1),
                _ => {}
            }
            declared.push(text(t));
            i += 1;
        }
        let declared = declared.join(" ").replace(" ( ", "(").replace(" )", ")");
        let cons = &part[i.min(part.len())..];
        let pk = cons
            .windows(2)
            .any(|w| is_kw(&w[0], "PRIMARY") && is_kw(&w[1], "KEY"));
        let desc = cons.iter().any(|t| is_kw(t, "DESC"));
        // A generated column is stored only when it says STORED.
        let generated = cons.iter().any(|t| is_kw(t, "AS"));
        if generated && !cons.iter().any(|t| is_kw(t, "STORED")) {
            continue;
        }
        shape.columns.push(Column {
            rowid_alias: pk && !desc && !without_rowid && declared.eq_ignore_ascii_case("INTEGER"),
            affinity: Affinity::of(&declared),
            declared,
            name,
        });
    }
    if let [pk] = table_pk.as_slice()
        && !without_rowid
    {
        for c in &mut shape.columns {
            if c.name.eq_ignore_ascii_case(pk) && c.declared.eq_ignore_ascii_case("INTEGER") {
                c.rowid_alias = true;
            }
        }
    }
    (!shape.columns.is_empty()).then_some(shape)
}

/// Parses CREATE INDEX: the indexed columns (or expressions) in order.
pub fn parse_create_index(sql: &str) -> Option<usize> {
    let toks = tokenize(sql);
    if !is_kw(toks.first()?, "CREATE") {
        return None;
    }
    let (parts, _) = definitions(&toks)?;
    Some(parts.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wechat_like_message_table() {
        let s = parse_create_table(
            "CREATE TABLE message ( msgId INTEGER PRIMARY KEY , msgSvrId INTEGER , type INT, \
             status INT, isSend INT, isShowTimer INTEGER, createTime INTEGER, talker TEXT, \
             content TEXT, imgPath TEXT, reserved TEXT, lvbuffer BLOB, transContent TEXT, \
             transBrandWording TEXT, talkerId INTEGER, bizClientMsgId TEXT, bizChatId INTEGER \
             DEFAULT -1, bizChatUserId TEXT, msgSeq INTEGER, flag INT)",
        )
        .expect("shape");
        assert_eq!(s.columns.len(), 20);
        assert!(s.columns[0].rowid_alias);
        assert_eq!(s.columns[7].affinity, Affinity::Text);
        assert_eq!(s.columns[11].affinity, Affinity::Blob);
        assert_eq!(s.columns[16].name, "bizChatId");
    }

    #[test]
    fn quoting_constraints_and_odd_names() {
        let s = parse_create_table(
            "CREATE TABLE \"we\"\"ird\" ('id' INT UNSIGNED NOT NULL, [a,b] VARCHAR(10, 2), \
             `c` -- comment, d\n REAL, x, PRIMARY KEY (id), UNIQUE(x)) WITHOUT ROWID",
        )
        .expect("shape");
        let names: Vec<_> = s.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "a,b", "c", "x"]);
        assert_eq!(s.columns[1].declared, "VARCHAR(10 , 2)");
        assert!(s.without_rowid);
        assert!(!s.columns[0].rowid_alias);
        let v = parse_create_table("CREATE TABLE t(a INTEGER, b AS (a+1), PRIMARY KEY(a))")
            .expect("shape");
        assert_eq!(v.columns.len(), 1);
        assert!(v.columns[0].rowid_alias);
        assert!(parse_create_table("CREATE VIRTUAL TABLE f USING fts5(a)").is_none());
    }
}
