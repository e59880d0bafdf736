//! Loader of Fed-TCGA-BRCA (data/fed-tcga-brca/README.md): 39 clinical features, survival time and event
//! per patient, grouped into FLamby's 6 regional centres through the tissue source site of the barcode,
//! with the benchmark's static per-centre train/test split (`fold2`).
//!
//! Every malformed input is a typed error that names the file, the line and, for a cell, the column, so a
//! damaged or hand-edited copy fails with a message that says where. The per-centre patient counts are
//! checked against the published ones.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use zkfl_learn::SurvivalSet;

/// The 6 centres in FLamby's order (`fold2` index 0…5), with their train/test patient counts.
pub const CENTRES: [(&str, usize, usize); 6] = [
    ("Northeast", 248, 63),
    ("South", 156, 40),
    ("West", 164, 42),
    ("Midwest", 129, 33),
    ("Europe", 129, 33),
    ("Canada", 40, 11),
];

/// Features of the benchmark's model (columns between `pid` and `E`).
pub const FEATURES: usize = 39;

/// File names inside the data directory.
pub const BRCA: &str = "brca.csv";
/// Site code → region.
pub const SITES: &str = "centers.csv";
/// Static train/test split.
pub const SPLIT: &str = "train_test_split.csv";

/// The copy committed with the project, compiled in so the demo runs from any directory.
pub mod embedded {
    /// `data/fed-tcga-brca/brca.csv`.
    pub const BRCA: &str = include_str!("../../../../data/fed-tcga-brca/brca.csv");
    /// `data/fed-tcga-brca/centers.csv`.
    pub const SITES: &str = include_str!("../../../../data/fed-tcga-brca/centers.csv");
    /// `data/fed-tcga-brca/train_test_split.csv`.
    pub const SPLIT: &str = include_str!("../../../../data/fed-tcga-brca/train_test_split.csv");
}

/// Why the data could not be loaded.
#[derive(Debug, PartialEq)]
pub enum DataError {
    /// A file could not be read.
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        message: String,
    },
    /// Not well-formed CSV, or a row with the wrong number of fields.
    Csv {
        /// File name.
        file: &'static str,
        /// 1-based line.
        line: u64,
        /// What the CSV reader found.
        message: String,
    },
    /// A required column is missing from the header.
    MissingColumn {
        /// File name.
        file: &'static str,
        /// The column.
        column: String,
    },
    /// A cell is not what its column needs (a number, 0/1, a split label).
    Cell {
        /// File name.
        file: &'static str,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: usize,
        /// Column name.
        name: String,
        /// The cell as found.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A patient whose barcode's site is not in `centers.csv`, or who is not in the split although the site
    /// belongs to a centre, or who is in the split but not in `brca.csv`, or appears twice.
    Patient {
        /// The barcode.
        pid: String,
        /// What is wrong.
        problem: String,
    },
    /// A centre's train/test counts differ from the benchmark's.
    Counts {
        /// Region.
        centre: &'static str,
        /// Found (train, test).
        found: (usize, usize),
        /// Published (train, test).
        expected: (usize, usize),
    },
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, message } => write!(f, "{}: {message}", path.display()),
            Self::Csv {
                file,
                line,
                message,
            } => write!(f, "{file} line {line}: {message}"),
            Self::MissingColumn { file, column } => {
                write!(f, "{file}: no column `{column}` in the header")
            }
            Self::Cell {
                file,
                line,
                column,
                name,
                value,
                expected,
            } => write!(
                f,
                "{file} line {line}, column {column} (`{name}`): expected {expected}, found `{value}`"
            ),
            Self::Patient { pid, problem } => write!(f, "patient {pid}: {problem}"),
            Self::Counts {
                centre,
                found,
                expected,
            } => write!(
                f,
                "centre {centre}: {} train / {} test patients, the benchmark has {} / {}",
                found.0, found.1, expected.0, expected.1
            ),
        }
    }
}

impl std::error::Error for DataError {}

/// One centre: its region and its standardized train and test patients.
#[derive(Clone, Debug)]
pub struct Centre {
    /// Region name.
    pub name: &'static str,
    /// Training patients.
    pub train: SurvivalSet,
    /// Test patients.
    pub test: SurvivalSet,
}

/// The data set, split into the 6 centres.
#[derive(Clone, Debug)]
pub struct FedTcgaBrca {
    /// Feature names (header of `brca.csv`).
    pub features: Vec<String>,
    /// The centres in FLamby's order.
    pub centres: Vec<Centre>,
}

impl FedTcgaBrca {
    /// The copy compiled into the binary.
    pub fn embedded() -> Result<Self, DataError> {
        Self::parse(embedded::BRCA, embedded::SITES, embedded::SPLIT)
    }

    /// Reads the three CSV files from `dir`.
    pub fn load(dir: &Path) -> Result<Self, DataError> {
        let [brca, sites, split] = read_files(dir)?;
        Self::parse(&brca, &sites, &split)
    }

    /// Parses the three files' contents, groups patients into centres, checks the counts and standardizes
    /// every non-binary feature (age) per centre with the centre's own training mean and deviation.
    pub fn parse(brca: &str, sites: &str, split: &str) -> Result<Self, DataError> {
        let (mut data, binary) = Self::parse_unstandardized(brca, sites, split)?;
        for c in &mut data.centres {
            standardize(c, &binary);
        }
        Ok(data)
    }

    /// As [`Self::load`], without standardizing (the features as recorded).
    pub fn load_unstandardized(dir: &Path) -> Result<Self, DataError> {
        let [brca, sites, split] = read_files(dir)?;
        Ok(Self::parse_unstandardized(&brca, &sites, &split)?.0)
    }

    /// The committed copy with the features as recorded (age in years, unstandardized): what a centre
    /// holds before its own preprocessing (`zkfl data fed-tcga-brca`).
    pub fn embedded_raw() -> Result<Self, DataError> {
        Ok(Self::parse_unstandardized(embedded::BRCA, embedded::SITES, embedded::SPLIT)?.0)
    }

    /// Writes each centre's training patients to `dir/centre-K.csv` (K = 0…5, FLamby's order): a header
    /// of the feature names, `T`, `E`, then one row per patient with the features as recorded. Returns the
    /// paths.
    pub fn write_train_csvs(&self, dir: &Path) -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
        let mut paths = Vec::with_capacity(self.centres.len());
        for (k, c) in self.centres.iter().enumerate() {
            let path = dir.join(format!("centre-{k}.csv"));
            let at = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
            let mut w = csv::Writer::from_path(&path).map_err(|e| at(&e))?;
            let header = self.features.iter().map(String::as_str).chain(["T", "E"]);
            w.write_record(header).map_err(|e| at(&e))?;
            for i in 0..c.train.len() {
                let row = c.train.row(i).iter().map(f32::to_string).chain([
                    c.train.time[i].to_string(),
                    u8::from(c.train.event[i]).to_string(),
                ]);
                w.write_record(row).map_err(|e| at(&e))?;
            }
            w.flush().map_err(|e| at(&e))?;
            paths.push(path);
        }
        Ok(paths)
    }

    /// Parses and groups as [`Self::parse`] without standardizing; also returns which features are binary.
    fn parse_unstandardized(
        brca: &str,
        sites: &str,
        split: &str,
    ) -> Result<(Self, Vec<bool>), DataError> {
        let regions = parse_sites(sites)?;
        let folds = parse_split(split)?;
        let (features, patients) = parse_patients(brca)?;
        let mut centres: Vec<Centre> = CENTRES
            .iter()
            .map(|&(name, _, _)| Centre {
                name,
                train: SurvivalSet::new(FEATURES),
                test: SurvivalSet::new(FEATURES),
            })
            .collect();
        let mut seen = std::collections::HashSet::new();
        for p in &patients {
            let region = site(&p.pid)
                .and_then(|code| regions.get(code))
                .ok_or_else(|| DataError::Patient {
                    pid: p.pid.clone(),
                    problem: "tissue source site not in centers.csv".into(),
                })?;
            let centre = CENTRES.iter().position(|c| c.0 == region);
            let fold = folds.get(&p.pid);
            let (c, is_train) = match (centre, fold) {
                (None, None) => continue, // region `Other`: no centre in the benchmark
                (Some(c), Some(&(f, train))) if c == f => (c, train),
                (c, f) => {
                    return Err(DataError::Patient {
                        pid: p.pid.clone(),
                        problem: format!(
                            "region {region} (centre {c:?}) disagrees with the split ({:?})",
                            f.map(|f| f.0)
                        ),
                    });
                }
            };
            if !seen.insert(p.pid.as_str()) {
                return Err(DataError::Patient {
                    pid: p.pid.clone(),
                    problem: "appears twice in brca.csv".into(),
                });
            }
            let set = if is_train {
                &mut centres[c].train
            } else {
                &mut centres[c].test
            };
            set.push(&p.x, p.time, p.event);
        }
        if let Some(pid) = folds.keys().find(|pid| !seen.contains(pid.as_str())) {
            return Err(DataError::Patient {
                pid: pid.clone(),
                problem: "in train_test_split.csv but not in brca.csv".into(),
            });
        }
        for (c, &(centre, train, test)) in centres.iter().zip(&CENTRES) {
            if (c.train.len(), c.test.len()) != (train, test) {
                return Err(DataError::Counts {
                    centre,
                    found: (c.train.len(), c.test.len()),
                    expected: (train, test),
                });
            }
        }
        let binary = binary_columns(&patients);
        Ok((Self { features, centres }, binary))
    }

    /// Every centre's test patients, in centre order (the pooled test set).
    pub fn pooled_test(&self) -> SurvivalSet {
        let mut all = SurvivalSet::new(FEATURES);
        self.centres.iter().for_each(|c| all.extend(&c.test));
        all
    }
}

/// The three files' contents from `dir` (brca.csv, centers.csv, train_test_split.csv).
fn read_files(dir: &Path) -> Result<[String; 3], DataError> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| DataError::Io {
            path,
            message: e.to_string(),
        })
    };
    Ok([read(BRCA)?, read(SITES)?, read(SPLIT)?])
}

/// One row of `brca.csv`.
struct Patient {
    pid: String,
    x: Vec<f32>,
    time: f32,
    event: bool,
}

/// Characters 6–7 of a TCGA barcode (`TCGA-E2-A9RU` → `E2`).
fn site(pid: &str) -> Option<&str> {
    pid.get(5..7)
}

fn reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().from_reader(text.as_bytes())
}

fn csv_error(file: &'static str, e: &csv::Error) -> DataError {
    DataError::Csv {
        file,
        line: e.position().map_or(0, csv::Position::line),
        message: match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => {
                format!("{len} fields, the header has {expected_len}")
            }
            _ => e.to_string(),
        },
    }
}

/// Index of `column` in `header`.
fn column(
    file: &'static str,
    header: &csv::StringRecord,
    column: &str,
) -> Result<usize, DataError> {
    header
        .iter()
        .position(|h| h == column)
        .ok_or_else(|| DataError::MissingColumn {
            file,
            column: column.into(),
        })
}

/// The records of a file with their 1-based line numbers.
fn records(
    file: &'static str,
    text: &str,
) -> Result<(csv::StringRecord, Vec<(u64, csv::StringRecord)>), DataError> {
    let mut r = reader(text);
    let header = r.headers().map_err(|e| csv_error(file, &e))?.clone();
    let rows = r
        .records()
        .map(|rec| {
            let rec = rec.map_err(|e| csv_error(file, &e))?;
            Ok((rec.position().map_or(0, csv::Position::line), rec))
        })
        .collect::<Result<Vec<_>, DataError>>()?;
    Ok((header, rows))
}

/// `centers.csv`: site code → region.
fn parse_sites(text: &str) -> Result<HashMap<String, String>, DataError> {
    let (header, rows) = records(SITES, text)?;
    let (code, region) = (
        column(SITES, &header, "TSS Code")?,
        column(SITES, &header, "Region")?,
    );
    Ok(rows
        .iter()
        .map(|(_, r)| (r[code].trim().to_string(), r[region].trim().to_string()))
        .collect())
}

/// `train_test_split.csv`: pid → (centre index, is training).
fn parse_split(text: &str) -> Result<HashMap<String, (usize, bool)>, DataError> {
    let (header, rows) = records(SPLIT, text)?;
    let (pid, fold) = (
        column(SPLIT, &header, "pid")?,
        column(SPLIT, &header, "fold2")?,
    );
    rows.iter()
        .map(|(line, r)| {
            let label = &r[fold];
            let parsed = label
                .strip_prefix("train_")
                .map(|i| (i, true))
                .or_else(|| label.strip_prefix("test_").map(|i| (i, false)))
                .and_then(|(i, t)| {
                    i.parse::<usize>()
                        .ok()
                        .filter(|&i| i < CENTRES.len())
                        .map(|i| (i, t))
                });
            let parsed = parsed.ok_or_else(|| DataError::Cell {
                file: SPLIT,
                line: *line,
                column: fold + 1,
                name: "fold2".into(),
                value: label.into(),
                expected: "train_0 … train_5 or test_0 … test_5",
            })?;
            Ok((r[pid].to_string(), parsed))
        })
        .collect()
}

/// `brca.csv`: the feature names and one [`Patient`] per row.
fn parse_patients(text: &str) -> Result<(Vec<String>, Vec<Patient>), DataError> {
    let (header, rows) = records(BRCA, text)?;
    let pid = column(BRCA, &header, "pid")?;
    let (e, t) = (column(BRCA, &header, "E")?, column(BRCA, &header, "T")?);
    if pid != 0 || e != FEATURES + 1 || t != FEATURES + 2 || header.len() != FEATURES + 3 {
        return Err(DataError::Csv {
            file: BRCA,
            line: 1,
            message: format!(
                "expected `pid`, {FEATURES} feature columns, `E`, `T`; found {} columns",
                header.len()
            ),
        });
    }
    let features = header
        .iter()
        .skip(1)
        .take(FEATURES)
        .map(str::to_string)
        .collect();
    let patients = rows
        .iter()
        .map(|(line, r)| {
            let cell = |col: usize, expected: &'static str| DataError::Cell {
                file: BRCA,
                line: *line,
                column: col + 1,
                name: header[col].to_string(),
                value: r[col].to_string(),
                expected,
            };
            let number = |col: usize| {
                r[col]
                    .trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| cell(col, "a finite number"))
            };
            let x = (1..=FEATURES).map(number).collect::<Result<Vec<_>, _>>()?;
            let event = match number(e)? {
                0.0 => false,
                1.0 => true,
                _ => return Err(cell(e, "0 (censored) or 1 (death)")),
            };
            let time = number(t)?;
            if time < 0.0 {
                return Err(cell(t, "a time ≥ 0 (days)"));
            }
            Ok(Patient {
                pid: r[pid].to_string(),
                x,
                time,
                event,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((features, patients))
}

/// Columns whose every value is 0 or 1 (the one-hot variables); the others (age) get standardized.
fn binary_columns(patients: &[Patient]) -> Vec<bool> {
    (0..FEATURES)
        .map(|k| patients.iter().all(|p| p.x[k] == 0.0 || p.x[k] == 1.0))
        .collect()
}

/// x ← (x − mean) / sd per non-binary column, with the centre's training statistics (sd 1 if constant);
/// each centre standardizes locally, nothing about its data leaves it.
fn standardize(c: &mut Centre, binary: &[bool]) {
    let n = c.train.len().max(1) as f64;
    for (k, _) in binary.iter().enumerate().filter(|(_, b)| !**b) {
        let col = |s: &SurvivalSet| {
            (0..s.len())
                .map(move |i| f64::from(s.row(i)[k]))
                .collect::<Vec<_>>()
        };
        let v = col(&c.train);
        let mean = v.iter().sum::<f64>() / n;
        let sd = (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt();
        let sd = if sd > 0.0 { sd } else { 1.0 };
        for set in [&mut c.train, &mut c.test] {
            let d = set.features;
            for i in 0..set.len() {
                let x = &mut set.x[i * d + k];
                *x = ((f64::from(*x) - mean) / sd) as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_copy_has_the_benchmarks_centres_and_split() {
        let d = FedTcgaBrca::embedded().expect("the committed copy loads");
        assert_eq!(d.features.len(), FEATURES);
        assert_eq!(d.features[0], "age_at_index");
        let counts: Vec<(usize, usize)> = d
            .centres
            .iter()
            .map(|c| (c.train.len(), c.test.len()))
            .collect();
        assert_eq!(
            counts,
            [
                (248, 63),
                (156, 40),
                (164, 42),
                (129, 33),
                (129, 33),
                (40, 11)
            ]
        );
        let total: usize = counts.iter().map(|(a, b)| a + b).sum();
        assert_eq!(total, 1088);
        assert_eq!(d.pooled_test().len(), 222);
        // Age is standardized per centre on its training patients; one-hot columns are untouched.
        for c in &d.centres {
            let n = c.train.len() as f64;
            let mean: f64 = (0..c.train.len())
                .map(|i| f64::from(c.train.row(i)[0]))
                .sum::<f64>()
                / n;
            assert!(mean.abs() < 1e-4, "{}: age mean {mean}", c.name);
            assert!(
                (0..c.train.len())
                    .all(|i| c.train.row(i)[1..].iter().all(|&v| v == 0.0 || v == 1.0))
            );
            assert!(c.train.events() > 0, "{} has events", c.name);
        }
    }

    fn broken(brca: &str) -> DataError {
        FedTcgaBrca::parse(brca, embedded::SITES, embedded::SPLIT).expect_err("must fail")
    }

    #[test]
    fn bad_cells_name_line_and_column() {
        // Line 3 is the second patient; its age (column 2) becomes text.
        let mut lines: Vec<String> = embedded::BRCA.lines().map(str::to_string).collect();
        lines[2] = lines[2].replacen(",90,", ",ninety,", 1);
        let e = broken(&lines.join("\n"));
        assert!(
            matches!(&e, DataError::Cell { line: 3, column: 2, value, .. } if value == "ninety"),
            "{e:?}"
        );
        assert!(
            e.to_string().contains("line 3, column 2 (`age_at_index`)"),
            "{e}"
        );

        let mut lines: Vec<String> = embedded::BRCA.lines().map(str::to_string).collect();
        lines[4] = lines[4].rsplit_once(',').unwrap().0.to_string(); // drop T
        let e = broken(&lines.join("\n"));
        assert!(matches!(e, DataError::Csv { line: 5, .. }), "{e:?}");
        assert!(
            e.to_string().contains("41 fields, the header has 42"),
            "{e}"
        );

        let mut lines: Vec<String> = embedded::BRCA.lines().map(str::to_string).collect();
        lines[1] = lines[1].replace(",0.0,538.0", ",2.0,538.0");
        let e = broken(&lines.join("\n"));
        assert!(
            matches!(
                e,
                DataError::Cell {
                    line: 2,
                    column: 41,
                    ..
                }
            ),
            "{e:?}"
        );

        let mut lines: Vec<String> = embedded::BRCA.lines().map(str::to_string).collect();
        lines[1] = lines[1].replace(",0.0,538.0", ",0.0,");
        let e = broken(&lines.join("\n"));
        assert!(
            matches!(
                e,
                DataError::Cell {
                    line: 2,
                    column: 42,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn missing_patients_and_wrong_counts_are_refused() {
        // Drop a patient of a centre: the split still lists it.
        let lines: Vec<&str> = embedded::BRCA.lines().collect();
        let without: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| !l.starts_with("TCGA-E2-A9RU"))
            .collect();
        let e = broken(&without.join("\n"));
        assert_eq!(
            e,
            DataError::Patient {
                pid: "TCGA-E2-A9RU".into(),
                problem: "in train_test_split.csv but not in brca.csv".into()
            }
        );
        // Move a training patient of centre 0 to centre 1 in the split: the region check catches it.
        let split = embedded::SPLIT.replacen(
            "TCGA-AO-A1KO,train,train_0",
            "TCGA-AO-A1KO,train,train_1",
            1,
        );
        let e = FedTcgaBrca::parse(embedded::BRCA, embedded::SITES, &split).expect_err("must fail");
        assert!(
            matches!(e, DataError::Patient { ref pid, .. } if pid == "TCGA-AO-A1KO"),
            "{e:?}"
        );
        // Move it to the test fold of its own centre: the counts no longer match.
        let split =
            embedded::SPLIT.replacen("TCGA-AO-A1KO,train,train_0", "TCGA-AO-A1KO,test,test_0", 1);
        let e = FedTcgaBrca::parse(embedded::BRCA, embedded::SITES, &split).expect_err("must fail");
        assert_eq!(
            e,
            DataError::Counts {
                centre: "Northeast",
                found: (247, 64),
                expected: (248, 63)
            }
        );
    }

    #[test]
    fn centre_csvs_hold_the_raw_training_patients_and_parse_as_survival_data() {
        let raw = FedTcgaBrca::embedded_raw().expect("raw");
        let dir = std::env::temp_dir().join(format!("zkfl-centre-csvs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let paths = raw.write_train_csvs(&dir).expect("write");
        assert_eq!(paths.len(), CENTRES.len());
        // The Northeast centre's first patient in brca.csv order keeps its age in years.
        assert!(raw.centres[0].train.row(0)[0] > 20.0);
        for (path, c) in paths.iter().zip(&raw.centres) {
            let table =
                zkfl_learn::csv::Table::parse(&std::fs::read(path).expect("read")).expect("parse");
            assert_eq!(table.columns[..FEATURES], raw.features[..]);
            assert_eq!(table.columns[FEATURES..], ["T", "E"]);
            let s = table.survival("T", "E", FEATURES).expect("survival");
            assert_eq!(s, c.train, "{}", c.name);
        }
        std::fs::remove_dir_all(&dir).expect("clean up");
        // The standardized copy differs only in the age column.
        let std = FedTcgaBrca::embedded().expect("standardized");
        let (a, b) = (&raw.centres[1].train, &std.centres[1].train);
        assert!((1..FEATURES).all(|k| a.row(3)[k] == b.row(3)[k]));
        assert_ne!(a.row(3)[0], b.row(3)[0]);
    }

    #[test]
    fn missing_directory_names_the_path() {
        let e = FedTcgaBrca::load(Path::new("/nonexistent/fed-tcga")).expect_err("must fail");
        assert!(
            e.to_string()
                .starts_with("/nonexistent/fed-tcga/brca.csv: "),
            "{e}"
        );
    }
}
