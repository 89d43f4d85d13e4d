//! Time-stamp authorities and transparency logs from flags and `$CUNZHENG_HOME/config.toml`,
//! and the `stamp` command.

use anyhow::{Context, Result, bail};
use cunzheng_anchor::http::Http;
use cunzheng_anchor::tsp::ImprintHash;
use cunzheng_case::Case;
use cunzheng_case::anchor::{self, AnchorStatus, HttpLog, Log, Tsa};
use cunzheng_case::env::Actor;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Time-stamp flags of `seal` and `preserve`.
#[derive(clap::Args, Debug, Default)]
pub struct TsaFlags {
    /// RFC 3161 time-stamp authority URL to stamp the seal's Merkle root (repeatable).
    /// Replaces the `[[tsa]]` entries of $CUNZHENG_HOME/config.toml for this run.
    #[arg(long = "tsa", value_name = "URL")]
    pub urls: Vec<String>,
    /// PEM file of trust roots for the --tsa tokens (repeatable; every root is trusted for every
    /// --tsa). Stored in the case so that `verify` checks the chain offline.
    #[arg(long = "tsa-ca", value_name = "PEM")]
    pub cas: Vec<PathBuf>,
    /// Message-imprint hash for --tsa: sha256 (the root itself) or sm3.
    #[arg(long = "tsa-hash", value_name = "HASH", default_value = "sha256")]
    pub hash: String,
    /// Do not ask the TSAs of the config file.
    #[arg(long)]
    pub no_tsa: bool,
}

/// Transparency-log flags of `seal` and `preserve`.
#[derive(clap::Args, Debug, Default)]
pub struct LogFlags {
    /// Transparency log (`cunzheng log serve`) URL to submit the seal's Merkle root to
    /// (repeatable). Replaces the `[[log]]` entries of $CUNZHENG_HOME/config.toml for this run.
    #[arg(long = "log", value_name = "URL")]
    pub log_urls: Vec<String>,
    /// The --log's verifier key, `NAME+KEYID+BASE64` or a file holding it (repeatable: paired
    /// with --log in order, or one for all). Stored in the case as the trust anchor; without
    /// it the key the log serves is stored and the receipt is only `unverified`.
    #[arg(long = "log-key", value_name = "VKEY")]
    pub log_keys: Vec<String>,
    /// Do not submit to the logs of the config file.
    #[arg(long)]
    pub no_log: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default)]
    tsa: Vec<TsaEntry>,
    #[serde(default)]
    log: Vec<LogEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogEntry {
    url: String,
    /// Verifier key text, or a file holding it (relative to the config file's folder).
    #[serde(default)]
    key: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TsaEntry {
    url: String,
    /// PEM file(s) of trust roots, relative to the config file's folder.
    #[serde(default)]
    ca: Option<CaPaths>,
    #[serde(default)]
    hash: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum CaPaths {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

/// `$CUNZHENG_HOME`, else the user's config folder + `cunzheng`.
pub fn home() -> Result<PathBuf> {
    Ok(match std::env::var_os("CUNZHENG_HOME") {
        Some(h) => PathBuf::from(h),
        None => dirs::config_dir()
            .context("no config folder: set CUNZHENG_HOME to a private folder")?
            .join("cunzheng"),
    })
}

fn hash(name: &str, what: &str) -> Result<ImprintHash> {
    ImprintHash::from_name(name)
        .with_context(|| format!("{what}: hash `{name}` is not sha256 or sm3"))
}

fn read_roots(paths: &[PathBuf]) -> Result<Vec<u8>> {
    let mut pem = Vec::new();
    for p in paths {
        let b = std::fs::read(p)
            .with_context(|| format!("cannot read the TSA trust root {}", p.display()))?;
        cunzheng_anchor::tsp::TrustRoots::from_pem(&p.display().to_string(), &b)
            .with_context(|| format!("{} holds no usable PEM certificate", p.display()))?;
        pem.extend_from_slice(&b);
        pem.push(b'\n');
    }
    Ok(pem)
}

/// `verify --tsa-ca`: the PEM roots given, if any.
pub fn roots_option(paths: &[PathBuf]) -> Result<Option<Vec<u8>>> {
    if paths.is_empty() {
        return Ok(None);
    }
    read_roots(paths).map(Some)
}

/// The TSAs to ask: the flags' when given, else the config file's (unless --no-tsa).
pub fn tsas(flags: &TsaFlags) -> Result<Vec<Tsa>> {
    if !flags.urls.is_empty() {
        let roots = read_roots(&flags.cas)?;
        let h = hash(&flags.hash, "--tsa-hash")?;
        return Ok(flags
            .urls
            .iter()
            .map(|u| Tsa {
                url: u.clone(),
                roots_pem: roots.clone(),
                hash: h,
            })
            .collect());
    }
    if !flags.cas.is_empty() {
        bail!("--tsa-ca needs --tsa URL (the config file gives each [[tsa]] its own `ca`)");
    }
    if flags.no_tsa {
        return Ok(Vec::new());
    }
    let Some((cfg, base)) = config()? else {
        return Ok(Vec::new());
    };
    let base = base.as_path();
    cfg.tsa
        .into_iter()
        .map(|t| {
            let cas: Vec<PathBuf> = match t.ca {
                None => vec![],
                Some(CaPaths::One(p)) => vec![base.join(p)],
                Some(CaPaths::Many(v)) => v.into_iter().map(|p| base.join(p)).collect(),
            };
            Ok(Tsa {
                roots_pem: read_roots(&cas)?,
                hash: hash(
                    t.hash.as_deref().unwrap_or("sha256"),
                    &format!("[[tsa]] {}", t.url),
                )?,
                url: t.url,
            })
        })
        .collect()
}

/// `$CUNZHENG_HOME/config.toml` and its folder, when there is one.
fn config() -> Result<Option<(Config, PathBuf)>> {
    let path = home()?.join("config.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let cfg: Config =
        toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?;
    let base = path.parent().unwrap_or(Path::new(".")).to_owned();
    Ok(Some((cfg, base)))
}

/// A verifier key given as text, or as a file holding it (relative to `base`).
fn log_key(given: &str, base: &Path, what: &str) -> Result<String> {
    let t = given.trim();
    if cunzheng_tlog::note::Verifier::parse(t).is_ok() {
        return Ok(t.to_owned());
    }
    let p = base.join(t);
    let text = std::fs::read_to_string(&p).with_context(|| {
        format!("{what}: `{t}` is neither a log key NAME+KEYID+BASE64 nor a readable file")
    })?;
    let k = text.trim().to_owned();
    cunzheng_tlog::note::Verifier::parse(&k)
        .with_context(|| format!("{what}: {} does not hold a log key", p.display()))?;
    Ok(k)
}

/// `verify --log-key`: the keys given, checked.
pub fn log_keys_option(given: &[String]) -> Result<Vec<String>> {
    given
        .iter()
        .map(|k| log_key(k, Path::new("."), "--log-key"))
        .collect()
}

/// The logs to submit to: the flags' when given, else the config file's (unless --no-log).
pub fn logs(flags: &LogFlags) -> Result<Vec<Log>> {
    if !flags.log_urls.is_empty() {
        let n = flags.log_urls.len();
        let keys: Vec<String> = flags
            .log_keys
            .iter()
            .map(|k| log_key(k, Path::new("."), "--log-key"))
            .collect::<Result<_>>()?;
        if keys.len() > 1 && keys.len() != n {
            bail!(
                "{} --log-key for {n} --log: give one key per log, in the same order, or one for all",
                keys.len()
            );
        }
        return Ok(flags
            .log_urls
            .iter()
            .enumerate()
            .map(|(i, u)| Log {
                url: u.clone(),
                vkey: keys.get(i).or(keys.first()).cloned(),
            })
            .collect());
    }
    if !flags.log_keys.is_empty() {
        bail!("--log-key needs --log URL (the config file gives each [[log]] its own `key`)");
    }
    if flags.no_log {
        return Ok(Vec::new());
    }
    let Some((cfg, base)) = config()? else {
        return Ok(Vec::new());
    };
    cfg.log
        .into_iter()
        .map(|l| {
            let vkey = match &l.key {
                Some(k) => Some(log_key(k, &base, &format!("[[log]] {}", l.url))?),
                None => None,
            };
            Ok(Log { url: l.url, vkey })
        })
        .collect()
}

/// Submits seal `version` of `c` to `logs`.
pub fn request_logs(
    c: &Case,
    actor: &Actor,
    version: u32,
    logs: &[Log],
) -> Result<Vec<AnchorStatus>> {
    anchor::tlog::request(c.layout(), actor, version, logs, &HttpLog).context(
        "submitting to the transparency log failed; the seal itself is complete. Run `cunzheng stamp` to try again",
    )
}

/// Asks `tsas` to stamp seal `version` of `c`.
pub fn request(c: &Case, actor: &Actor, version: u32, tsas: &[Tsa]) -> Result<Vec<AnchorStatus>> {
    anchor::request(c.layout(), actor, version, tsas, &Http::default()).context(
        "time-stamping failed; the seal itself is complete. Run `cunzheng stamp` to try again",
    )
}

/// `cunzheng stamp`: sends pending requests again.
pub fn stamp(json: bool, c: &Case, actor: &Actor) -> Result<u8> {
    let st = anchor::stamp(c.layout(), actor, &Http::default())
        .context("stamping failed; run `cunzheng stamp` again")?;
    if json {
        println!(
            "{}",
            serde_json::json!({"case_dir": c.layout().root(), "anchors": st})
        );
    } else if st.is_empty() {
        println!(
            "no pending time-stamp or log request in {}",
            c.layout().root().display()
        );
    } else {
        print(&st);
    }
    Ok(exit_code(&st))
}

/// 3 (partial) when a requested time-stamp or log receipt is still pending, else 0.
pub fn exit_code(st: &[AnchorStatus]) -> u8 {
    if st.iter().any(|s| s.status == "pending") {
        crate::cli::EXIT_INCOMPLETE
    } else {
        crate::cli::EXIT_OK
    }
}

/// One line per anchor.
pub fn print(st: &[AnchorStatus]) {
    for s in st {
        let what = if s.kind == anchor::KIND_TLOG {
            "log receipt"
        } else {
            "time-stamp"
        };
        println!(
            "  {what} {} (seal {}, {}): {}: {}",
            s.name, s.seal_version, s.url, s.status, s.detail
        );
    }
}
