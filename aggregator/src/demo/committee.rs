//! The threshold configuration `zkfl_committee` (docs/DEMO.md "Threshold decryption"): the same ZKFL-PQ
//! rounds as `zkfl`, but `zkfl keygen --committee n --threshold t --param-set L` sets up a key-holder
//! committee instead of one key holder, each member that is not `--offline` runs as its own
//! `zkfl keyholder --committee --listen 127.0.0.1:0` process (the `--cheating` ones with
//! `--demo-cheat-share`), and `zkfl serve` reaches them over HTTP (`--member http://…`, `--member off` for the
//! offline ones). Per round the demo reads back how the round was decrypted (`GET /v1/rounds/{r}`: decryption
//! mode, receipt signers, present set, refusals, exclusions, supplementary answers) and sums each member's own
//! request log (time and bytes per request, `committee::process::http::RequestLog`) into per-member costs.

use std::io::{BufRead as _, Seek as _};
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;
use zkfl_core::params::{ParamSet, SetL};
use zkfl_core::policy::{Config, ConfigRequest, check_config};
use zkfl_core::quant::Quantizer;
use zkfl_core::threshold::plan;

use crate::committee::member::Design;
use crate::committee::process::http::RequestLog;

/// B_int of the committee's design: the threshold design point (docs/THRESHOLD.md §6.3), for which the
/// smudging plan and the share proofs are sized. The demo's quantization scale is the largest whose B_int
/// stays within it.
pub const DESIGN_B_INT: u64 = 1 << 16;

/// `--committee T-of-N --offline LIST --cheating LIST`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommitteeSpec {
    /// n.
    pub members: u8,
    /// t.
    pub threshold: u8,
    /// Members not started (their `--member` spec is `off`).
    pub offline: Vec<u8>,
    /// Members started with `--demo-cheat-share` (a wrong decryption share).
    pub cheating: Vec<u8>,
}

impl CommitteeSpec {
    /// Parses `T-of-N` and the two member lists (comma separated, 1-based; "" for none).
    ///
    /// # Errors
    /// A malformed spec or list, n ≤ 2t − 2 (`zkfl keygen` refuses it), n > 16, a member id outside 1..=n, or a
    /// member both offline and cheating.
    pub fn parse(spec: &str, offline: &str, cheating: &str) -> Result<Self, String> {
        let bad = || format!("--committee {spec:?}: expected T-of-N, e.g. 3-of-5");
        let (t, n) = spec.split_once("-of-").ok_or_else(bad)?;
        let threshold: u8 = t.trim().parse().map_err(|_| bad())?;
        let members: u8 = n.trim().parse().map_err(|_| bad())?;
        if threshold < 2 || members > 16 || u32::from(members) + 2 <= 2 * u32::from(threshold) {
            return Err(format!(
                "--committee {spec}: needs 2 ≤ t and 2t − 1 ≤ n ≤ 16 (below 2t − 1 members a member could \
                 block every ceremony; docs/THRESHOLD.md §2.2)"
            ));
        }
        let list = |flag: &str, text: &str| -> Result<Vec<u8>, String> {
            let mut ids = Vec::new();
            for id in text.split(',').map(str::trim).filter(|x| !x.is_empty()) {
                let i: u8 = id
                    .parse()
                    .ok()
                    .filter(|i| (1..=members).contains(i))
                    .ok_or_else(|| format!("{flag}: `{id}` is not a member (1..={members})"))?;
                if !ids.contains(&i) {
                    ids.push(i);
                }
            }
            ids.sort_unstable();
            Ok(ids)
        };
        let offline = list("--offline", offline)?;
        let cheating = list("--cheating", cheating)?;
        if let Some(both) = offline.iter().find(|i| cheating.contains(i)) {
            return Err(format!(
                "member {both} is both --offline and --cheating; an offline member sends nothing"
            ));
        }
        Ok(Self {
            members,
            threshold,
            offline,
            cheating,
        })
    }

    /// `threshold t-of-n`, as the service names the decryption mode.
    #[must_use]
    pub fn mode(&self) -> String {
        format!("threshold {}-of-{}", self.threshold, self.members)
    }

    /// Whether member `i` runs.
    #[must_use]
    pub fn online(&self, i: u8) -> bool {
        !self.offline.contains(&i)
    }
}

/// The round parameters of the threshold configuration: set L (threshold decryption has no room in set S,
/// docs/THRESHOLD.md §4.4), the largest scale whose B_int stays within [`DESIGN_B_INT`], the committee's
/// smudging plan for K clinics, and the configuration `check_config` derives under the committee key's
/// bounds and that smudging.
///
/// # Errors
/// The plan's or the configuration check's refusal, in words.
pub fn derive(
    clinics: usize,
    params: usize,
    norm_bound: f32,
    spec: &CommitteeSpec,
) -> Result<(Quantizer, Config, Design), String> {
    let quantizer = Quantizer::with_max_scale(f64::from(norm_bound), params, DESIGN_B_INT)
        .map_err(|e| format!("quantizer: {e}"))?;
    let k = u32::try_from(clinics).map_err(|e| e.to_string())?;
    let chunks = params.div_ceil(SetL::N);
    let (n, t) = (u32::from(spec.members), u32::from(spec.threshold));
    let p = plan::design::<SetL>(n, t, k, quantizer.b_int(), chunks)
        .map_err(|e| format!("threshold plan {t}-of-{n}: {e:?}"))?;
    let config = check_config::<SetL>(&ConfigRequest {
        clinics: k,
        params: u32::try_from(params).map_err(|e| e.to_string())?,
        norm_bound: f64::from(norm_bound),
        scale: quantizer.scale(),
        key: plan::committee_key::<SetL>(n, t),
        smudging: p.smudging,
    })
    .map_err(|e| {
        format!(
            "parameter set {} under a {t}-of-{n} committee: {e}",
            SetL::NAME
        )
    })?;
    let design = Design {
        clinics: k,
        b_int: quantizer.b_int(),
        chunks,
    };
    Ok((quantizer, config, design))
}

/// One member's costs over a span (the ceremony, or one round), from its own request log.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MemberCost {
    /// The member (1-based).
    pub member: u8,
    /// Requests it answered (refusals included).
    pub requests: u32,
    /// Wall seconds it spent answering them.
    pub seconds: f64,
    /// Request bytes it received.
    pub bytes_in: u64,
    /// Reply bytes it sent.
    pub bytes_out: u64,
}

/// The request logs of the running members: each member's stderr file, read on from where the last
/// [`MemberLogs::take`] stopped.
#[derive(Debug, Default)]
pub struct MemberLogs {
    logs: Vec<(u8, PathBuf, u64)>,
}

impl MemberLogs {
    /// Follows member `member`'s log file.
    pub fn add(&mut self, member: u8, path: PathBuf) {
        self.logs.push((member, path, 0));
    }

    /// Stops following member `member` (it went offline).
    pub fn remove(&mut self, member: u8) {
        self.logs.retain(|(m, _, _)| *m != member);
    }

    /// Every member's costs since the last call (a member whose log cannot be read counts nothing).
    pub fn take(&mut self) -> Vec<MemberCost> {
        self.logs
            .iter_mut()
            .map(|(member, path, offset)| {
                let mut cost = MemberCost {
                    member: *member,
                    ..MemberCost::default()
                };
                let Ok(mut f) = std::fs::File::open(&*path) else {
                    return cost;
                };
                if f.seek(std::io::SeekFrom::Start(*offset)).is_err() {
                    return cost;
                }
                let mut reader = std::io::BufReader::new(f);
                let mut line = String::new();
                // Whole lines only: a line still being written is read next time.
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line.ends_with('\n') {
                    *offset += line.len() as u64;
                    if let Some(r) = RequestLog::parse(line.trim_end()) {
                        cost.requests += 1;
                        cost.seconds += r.seconds;
                        cost.bytes_in += r.bytes_in;
                        cost.bytes_out += r.bytes_out;
                    }
                    line.clear();
                }
                cost
            })
            .collect()
    }
}

/// A member that refused a receipt or was offline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The member (1-based).
    pub member: u8,
    /// Its words, or `offline`.
    pub reason: String,
}

/// A member excluded after a failed share proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exclusion {
    /// The member (1-based).
    pub member: u8,
    /// The chunk whose share proof failed.
    pub chunk: Option<u64>,
    /// The failing check.
    pub check: String,
}

/// A helper's supplementary answer for an excluded member's slots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Supplement {
    /// The helper (1-based).
    pub helper: u8,
    /// The excluded member it answered for.
    pub excluded: u8,
}

/// How one round was decrypted, as `GET /v1/rounds/{r}` reports it, with the members' costs and the demo's
/// bit-exact check.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CommitteeRound {
    /// 1-based round of the demo.
    pub round: usize,
    /// `published` or `failed`.
    pub state: String,
    /// The service's decryption mode (`threshold t-of-n`).
    pub decryption_mode: String,
    /// Members that signed spend receipts.
    pub receipt_signers: Vec<u8>,
    /// The present set P.
    pub present: Vec<u8>,
    /// Members that refused a receipt or were offline, with their words.
    pub refusals: Vec<Refusal>,
    /// Members excluded after a failed share proof.
    pub exclusions: Vec<Exclusion>,
    /// Supplementary answers sent for excluded members.
    pub supplements: Vec<Supplement>,
    /// The failure code and message of a failed round (e.g. `too_few_key_holders`).
    pub failure: Option<String>,
    /// The published aggregate equals the plaintext sum of the accepted quantized updates, bit for bit.
    pub aggregate_exact: Option<bool>,
    /// Each running member's costs in this round.
    pub members: Vec<MemberCost>,
}

fn members_of(v: &Value) -> Vec<u8> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_u64().and_then(|x| u8::try_from(x).ok()))
                .collect()
        })
        .unwrap_or_default()
}

fn member(v: &Value, key: &str) -> u8 {
    v[key]
        .as_u64()
        .and_then(|x| u8::try_from(x).ok())
        .unwrap_or(0)
}

impl CommitteeRound {
    /// Reads the round status JSON (`GET /v1/rounds/{r}`).
    #[must_use]
    pub fn from_status(round: usize, status: &Value) -> Self {
        let d = &status["decryption"];
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        Self {
            round,
            state: text(&status["state"]),
            decryption_mode: text(&status["decryption_mode"]),
            receipt_signers: members_of(&d["receipt_signers"]),
            present: members_of(&d["present"]),
            refusals: d["refusals"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|r| Refusal {
                            member: member(r, "member"),
                            reason: text(&r["reason"]),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            exclusions: d["exclusions"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|e| Exclusion {
                            member: member(e, "member"),
                            chunk: e["chunk"].as_u64(),
                            check: text(&e["check"]),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            supplements: d["supplements"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|s| Supplement {
                            helper: member(s, "helper"),
                            excluded: member(s, "excluded"),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            failure: status["failure"].as_object().map(|f| {
                format!(
                    "{}: {}",
                    f.get("code").and_then(Value::as_str).unwrap_or_default(),
                    f.get("message").and_then(Value::as_str).unwrap_or_default()
                )
            }),
            aggregate_exact: None,
            members: Vec::new(),
        }
    }

    /// Table lines for this round.
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        let set = |m: &[u8]| m.iter().map(u8::to_string).collect::<Vec<_>>().join(", ");
        let mut out = vec![format!(
            " round {:>2}: {} ({}), receipts {{{}}}, present {{{}}}, bit-exact {}",
            self.round,
            self.state,
            self.decryption_mode,
            set(&self.receipt_signers),
            set(&self.present),
            match self.aggregate_exact {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "—",
            }
        )];
        for r in &self.refusals {
            out.push(format!(
                "   member {} refused or offline: {}",
                r.member, r.reason
            ));
        }
        for e in &self.exclusions {
            let at = e.chunk.map_or_else(String::new, |c| format!("chunk {c}, "));
            out.push(format!("   member {} excluded ({at}{})", e.member, e.check));
        }
        if !self.supplements.is_empty() {
            let pairs: Vec<String> = self
                .supplements
                .iter()
                .map(|s| format!("{} for {}", s.helper, s.excluded))
                .collect();
            out.push(format!("   supplementary answers: {}", pairs.join(", ")));
        }
        if let Some(f) = &self.failure {
            out.push(format!("   failed: {f}"));
        }
        out
    }
}

/// Mean per-member costs over the rounds (members in order).
#[must_use]
pub fn mean_costs(rounds: &[CommitteeRound]) -> Vec<MemberCost> {
    let mut sum: Vec<MemberCost> = Vec::new();
    for r in rounds {
        for c in &r.members {
            match sum.iter_mut().find(|s| s.member == c.member) {
                Some(s) => {
                    s.requests += c.requests;
                    s.seconds += c.seconds;
                    s.bytes_in += c.bytes_in;
                    s.bytes_out += c.bytes_out;
                }
                None => sum.push(c.clone()),
            }
        }
    }
    let n = rounds.len().max(1);
    for s in &mut sum {
        s.requests /= n as u32;
        s.seconds /= n as f64;
        s.bytes_in /= n as u64;
        s.bytes_out /= n as u64;
    }
    sum.sort_by_key(|s| s.member);
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committee_spec_parses_and_refuses_what_cannot_run() {
        let s = CommitteeSpec::parse("3-of-5", "5", "2").unwrap();
        assert_eq!(
            (
                s.members,
                s.threshold,
                s.offline.clone(),
                s.cheating.clone()
            ),
            (5, 3, vec![5], vec![2])
        );
        assert_eq!(s.mode(), "threshold 3-of-5");
        assert!(s.online(2) && !s.online(5));
        assert!(CommitteeSpec::parse("3 of 5", "", "").is_err());
        assert!(
            CommitteeSpec::parse("3-of-4", "", "").is_err(),
            "n ≤ 2t − 2"
        );
        assert!(CommitteeSpec::parse("3-of-17", "", "").is_err());
        assert!(
            CommitteeSpec::parse("3-of-5", "6", "")
                .unwrap_err()
                .contains("`6`")
        );
        assert!(
            CommitteeSpec::parse("3-of-5", "2", "2")
                .unwrap_err()
                .contains("both")
        );
    }

    #[test]
    fn the_threshold_configuration_runs_only_with_committee() {
        let names = |only: &[&str], committee: bool| {
            let only: Vec<String> = only.iter().map(|s| (*s).to_owned()).collect();
            super::super::selected(&only, committee)
                .map(|v| v.iter().map(|c| c.name).collect::<Vec<_>>())
        };
        assert_eq!(
            names(&[], false).unwrap(),
            ["plain", "plain_clean", "kem", "zkfl", "zkfl_clean"]
        );
        assert_eq!(names(&[], true).unwrap(), ["zkfl_committee"]);
        assert_eq!(
            names(&["plain", "zkfl_committee"], true).unwrap(),
            ["plain", "zkfl_committee"]
        );
        assert!(
            names(&["zkfl_committee"], false)
                .unwrap_err()
                .contains("--committee")
        );
    }

    #[test]
    fn round_status_is_read_into_the_round_facts() {
        let status = serde_json::json!({
            "state": "published",
            "decryption_mode": "threshold 3-of-5",
            "decryption": {
                "receipt_signers": [1, 2, 3, 4],
                "present": [1, 2, 3, 4],
                "refusals": [{"member": 5, "reason": "offline"}],
                "exclusions": [{"member": 2, "supplement_for": 0, "chunk": 0, "check": "Challenge"}],
                "supplements": [{"helper": 3, "excluded": 2}],
            },
            "failure": null,
        });
        let r = CommitteeRound::from_status(1, &status);
        assert_eq!(r.receipt_signers, [1, 2, 3, 4]);
        assert_eq!(
            (r.refusals[0].member, r.refusals[0].reason.as_str()),
            (5, "offline")
        );
        assert_eq!(
            r.exclusions,
            [Exclusion {
                member: 2,
                chunk: Some(0),
                check: "Challenge".into()
            }]
        );
        assert_eq!(
            r.supplements,
            [Supplement {
                helper: 3,
                excluded: 2
            }]
        );
        assert_eq!(r.failure, None);
        assert!(
            r.lines()
                .iter()
                .any(|l| l.contains("member 2 excluded (chunk 0, Challenge)"))
        );
    }

    #[test]
    fn member_logs_count_whole_request_lines_once() {
        let dir = std::env::temp_dir().join(format!("zkfl-member-logs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m1.log");
        let line = |op, out| {
            RequestLog {
                op,
                bytes_in: 10,
                bytes_out: out,
                seconds: 0.5,
                refused: false,
            }
            .to_string()
        };
        std::fs::write(
            &path,
            format!("noise\n{}\n{}\npartial", line(8, 100), line(9, 200)),
        )
        .unwrap();
        let mut logs = MemberLogs::default();
        logs.add(1, path.clone());
        let c = logs.take();
        assert_eq!((c[0].requests, c[0].bytes_out, c[0].seconds), (2, 300, 1.0));
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut f, format!("\n{}\n", line(9, 7)).as_bytes()).unwrap();
        let c = logs.take();
        assert_eq!(
            (c[0].requests, c[0].bytes_out),
            (1, 7),
            "only the new lines"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
