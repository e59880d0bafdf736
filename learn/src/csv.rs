//! A clinic's own data from a CSV file: a header row, numeric cells, one chosen label column (the last one
//! unless named) for classifiers or a time and an event column for the Cox model, and standardization
//! statistics computed from this clinic's rows only (nothing is shared). Every malformed input is an error
//! that names the line (1-based, the header is line 1) and the column.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::cox::SurvivalSet;
use crate::data::Dataset;

/// What is wrong with the CSV, with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CsvError {
    /// The file could not be read or is not valid CSV/UTF-8.
    Read(String),
    /// No header row, or no data rows.
    Empty,
    /// The header has no column of that name.
    NoLabelColumn {
        /// The requested name.
        label: String,
        /// The header's columns.
        columns: Vec<String>,
    },
    /// A row has a different number of cells than the header.
    ColumnCount {
        /// 1-based line.
        line: u64,
        /// Cells in the header.
        expected: usize,
        /// Cells in this row.
        got: usize,
    },
    /// An empty cell (or `NA`/`NaN`).
    Missing {
        /// 1-based line.
        line: u64,
        /// Column name.
        column: String,
    },
    /// A cell that is not a number.
    NotNumeric {
        /// 1-based line.
        line: u64,
        /// Column name.
        column: String,
        /// The cell.
        cell: String,
    },
    /// A label that is not an integer class in `0..classes`.
    BadLabel {
        /// 1-based line.
        line: u64,
        /// The cell.
        cell: String,
        /// Classes of the model.
        classes: usize,
    },
    /// An event cell that is not 0 (censored) or 1 (event observed).
    BadEvent {
        /// 1-based line.
        line: u64,
        /// Column name.
        column: String,
        /// The cell.
        cell: String,
    },
    /// A follow-up time below 0.
    BadTime {
        /// 1-based line.
        line: u64,
        /// Column name.
        column: String,
        /// The cell.
        cell: String,
    },
    /// Two outcome roles (time, event) name the same column.
    SameColumn(String),
    /// The file has a different number of feature columns than the model takes.
    FeatureCount {
        /// Features the model takes.
        expected: usize,
        /// Feature columns in the file.
        got: usize,
        /// The columns that are not features (e.g. "the label `y`").
        besides: String,
    },
}

impl core::error::Error for CsvError {}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(e) => write!(f, "cannot read the CSV: {e}"),
            Self::Empty => f.write_str("the CSV needs a header row and at least one data row"),
            Self::NoLabelColumn { label, columns } => write!(
                f,
                "no column named `{label}` in the header (columns: {})",
                columns.join(", ")
            ),
            Self::ColumnCount {
                line,
                expected,
                got,
            } => write!(
                f,
                "line {line}: {got} cells, but the header has {expected} columns"
            ),
            Self::Missing { line, column } => {
                write!(f, "line {line}, column `{column}`: missing value")
            }
            Self::NotNumeric { line, column, cell } => write!(
                f,
                "line {line}, column `{column}`: `{cell}` is not a number"
            ),
            Self::BadLabel {
                line,
                cell,
                classes,
            } => write!(
                f,
                "line {line}, label column: `{cell}` is not a class 0..{}",
                classes.saturating_sub(1)
            ),
            Self::BadEvent { line, column, cell } => write!(
                f,
                "line {line}, column `{column}`: `{cell}` is not an event indicator (0 censored, 1 event)"
            ),
            Self::BadTime { line, column, cell } => write!(
                f,
                "line {line}, column `{column}`: `{cell}` is not a follow-up time ≥ 0"
            ),
            Self::SameColumn(c) => {
                write!(f, "the time and the event column are both `{c}`")
            }
            Self::FeatureCount {
                expected,
                got,
                besides,
            } => write!(
                f,
                "the CSV has {got} feature columns (all but {besides}), the round's model takes {expected}"
            ),
        }
    }
}

/// Rows of numbers under a header, as read (before a label is chosen).
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Column names.
    pub columns: Vec<String>,
    /// One row per data line, `columns.len()` numbers each.
    pub rows: Vec<Vec<f64>>,
    /// 1-based line of each row (for messages about a row).
    pub lines: Vec<u64>,
}

fn is_missing(cell: &str) -> bool {
    cell.is_empty() || cell.eq_ignore_ascii_case("na") || cell.eq_ignore_ascii_case("nan")
}

impl Table {
    /// Parses CSV text with a header row; every data cell must be a finite number.
    pub fn parse(text: &[u8]) -> Result<Self, CsvError> {
        let mut rdr = ::csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(::csv::Trim::All)
            .from_reader(text);
        let columns: Vec<String> = rdr
            .headers()
            .map_err(|e| CsvError::Read(e.to_string()))?
            .iter()
            .map(str::to_owned)
            .collect();
        if columns.is_empty() || columns.iter().all(String::is_empty) {
            return Err(CsvError::Empty);
        }
        let (mut rows, mut lines) = (Vec::new(), Vec::new());
        for rec in rdr.records() {
            let rec = rec.map_err(|e| CsvError::Read(e.to_string()))?;
            let line = rec.position().map_or(0, ::csv::Position::line);
            if rec.len() == 1 && rec.get(0) == Some("") {
                continue; // blank line
            }
            if rec.len() != columns.len() {
                return Err(CsvError::ColumnCount {
                    line,
                    expected: columns.len(),
                    got: rec.len(),
                });
            }
            let row = rec
                .iter()
                .zip(&columns)
                .map(|(cell, column)| parse_cell(cell, column, line))
                .collect::<Result<Vec<_>, _>>()?;
            rows.push(row);
            lines.push(line);
        }
        if rows.is_empty() {
            return Err(CsvError::Empty);
        }
        Ok(Self {
            columns,
            rows,
            lines,
        })
    }

    /// Index of the label column: `label` by name, or the last column.
    pub fn label_index(&self, label: Option<&str>) -> Result<usize, CsvError> {
        match label {
            None => Ok(self.columns.len() - 1),
            Some(name) => self.column(name),
        }
    }

    /// A classification data set: every column but `label` is a feature (in file order), the label an
    /// integer class in `0..classes`; `features` is what the model takes.
    pub fn classification(
        &self,
        label: Option<&str>,
        features: usize,
        classes: usize,
    ) -> Result<Dataset, CsvError> {
        let li = self.label_index(label)?;
        if self.columns.len() - 1 != features {
            return Err(CsvError::FeatureCount {
                expected: features,
                got: self.columns.len() - 1,
                besides: format!("the label `{}`", self.columns[li]),
            });
        }
        let mut x = Vec::with_capacity(self.rows.len() * features);
        let mut y = Vec::with_capacity(self.rows.len());
        for (row, &line) in self.rows.iter().zip(&self.lines) {
            let v = row[li];
            // An exact small integer: the cast is lossless.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let class = (v.fract() == 0.0 && v >= 0.0 && v < classes as f64).then_some(v as u8);
            y.push(class.ok_or_else(|| CsvError::BadLabel {
                line,
                cell: format!("{v}"),
                classes,
            })?);
            #[allow(clippy::cast_possible_truncation)]
            x.extend(
                row.iter()
                    .enumerate()
                    .filter(|&(i, _)| i != li)
                    .map(|(_, &v)| v as f32),
            );
        }
        Ok(Dataset {
            features,
            classes,
            x,
            y,
        })
    }
}

impl Table {
    /// Index of the column named `name`.
    fn column(&self, name: &str) -> Result<usize, CsvError> {
        self.columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| CsvError::NoLabelColumn {
                label: name.to_owned(),
                columns: self.columns.clone(),
            })
    }

    /// A survival data set for the Cox model: `time` (follow-up, ≥ 0) and `event` (0 censored, 1 event)
    /// by name, every other column a feature (in file order); `features` is what the model takes.
    pub fn survival(
        &self,
        time: &str,
        event: &str,
        features: usize,
    ) -> Result<SurvivalSet, CsvError> {
        let (ti, ei) = (self.column(time)?, self.column(event)?);
        if ti == ei {
            return Err(CsvError::SameColumn(time.to_owned()));
        }
        if self.columns.len() - 2 != features {
            return Err(CsvError::FeatureCount {
                expected: features,
                got: self.columns.len() - 2,
                besides: format!("the time `{time}` and the event `{event}`"),
            });
        }
        let mut set = SurvivalSet::new(features);
        let mut x = Vec::with_capacity(features);
        for (row, &line) in self.rows.iter().zip(&self.lines) {
            let bad = |i: usize| (line, self.columns[i].clone(), format!("{}", row[i]));
            let event = match row[ei] {
                0.0 => false,
                1.0 => true,
                _ => {
                    let (line, column, cell) = bad(ei);
                    return Err(CsvError::BadEvent { line, column, cell });
                }
            };
            if row[ti] < 0.0 {
                let (line, column, cell) = bad(ti);
                return Err(CsvError::BadTime { line, column, cell });
            }
            x.clear();
            #[allow(clippy::cast_possible_truncation)]
            x.extend(
                row.iter()
                    .enumerate()
                    .filter(|&(i, _)| i != ti && i != ei)
                    .map(|(_, &v)| v as f32),
            );
            #[allow(clippy::cast_possible_truncation)]
            set.push(&x, row[ti] as f32, event);
        }
        Ok(set)
    }
}

/// Standardizes, in place, every feature of `set` that is not binary (a column holding only 0 and 1, e.g.
/// a one-hot category, keeps its meaning), with this clinic's own mean and standard deviation — what the
/// Fed-TCGA-BRCA benchmark does per centre (only age is standardized there).
pub fn standardize_non_binary(set: &mut SurvivalSet) {
    let d = set.features;
    let n = set.len().max(1) as f64;
    for k in 0..d {
        let col = || {
            set.x
                .iter()
                .skip(k)
                .step_by(d.max(1))
                .map(|&v| f64::from(v))
        };
        if col().all(|v| v == 0.0 || v == 1.0) {
            continue;
        }
        let mean = col().sum::<f64>() / n;
        let sd = libm::sqrt(col().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n);
        let sd = if sd > 1e-12 { sd } else { 1.0 };
        for v in set.x.iter_mut().skip(k).step_by(d) {
            #[allow(clippy::cast_possible_truncation)]
            let z = ((f64::from(*v) - mean) / sd) as f32;
            *v = z;
        }
    }
}

fn parse_cell(cell: &str, column: &str, line: u64) -> Result<f64, CsvError> {
    if is_missing(cell) {
        return Err(CsvError::Missing {
            line,
            column: column.to_owned(),
        });
    }
    cell.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| CsvError::NotNumeric {
            line,
            column: column.to_owned(),
            cell: cell.to_owned(),
        })
}

/// Per-feature mean and standard deviation of one clinic's rows (computed locally; never sent).
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer {
    /// Mean per feature.
    pub mean: Vec<f32>,
    /// Standard deviation per feature (1 where a feature is constant, so it maps to 0).
    pub std: Vec<f32>,
}

impl Standardizer {
    /// Statistics of `data`'s features.
    #[must_use]
    pub fn fit(data: &Dataset) -> Self {
        let f = data.features;
        let n = data.len().max(1) as f64;
        let mut mean = alloc::vec![0f64; f];
        let mut sq = alloc::vec![0f64; f];
        for row in data.x.chunks_exact(f.max(1)) {
            for (j, &v) in row.iter().enumerate() {
                mean[j] += f64::from(v);
                sq[j] += f64::from(v) * f64::from(v);
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        #[allow(clippy::cast_possible_truncation)]
        let std = sq
            .iter()
            .zip(&mean)
            .map(|(s, m)| {
                let var = (s / n - m * m).max(0.0);
                let sd = libm::sqrt(var);
                if sd > 1e-12 { sd as f32 } else { 1.0 }
            })
            .collect();
        #[allow(clippy::cast_possible_truncation)]
        let mean = mean.iter().map(|&m| m as f32).collect();
        Self { mean, std }
    }

    /// Standardizes `data`'s features in place: (x − mean) / std.
    pub fn apply(&self, data: &mut Dataset) {
        let f = self.mean.len().max(1);
        for row in data.x.chunks_exact_mut(f) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(s: &str) -> Result<Table, CsvError> {
        Table::parse(s.as_bytes())
    }

    #[test]
    fn a_header_a_label_column_and_standardization() {
        let t = table("age,label,dose\n30,1,2.5\n50,0,3.5\n\n40,1,3.0\n").expect("parse");
        let d = t.classification(Some("label"), 2, 2).expect("data");
        assert_eq!(d.y, [1, 0, 1]);
        assert_eq!(d.x, [30.0, 2.5, 50.0, 3.5, 40.0, 3.0]);
        let mut s = d.clone();
        let st = Standardizer::fit(&s);
        assert_eq!(st.mean, [40.0, 3.0]);
        st.apply(&mut s);
        let m0: f32 = s.x.iter().step_by(2).sum();
        assert!(m0.abs() < 1e-5);
        assert!((s.x[0] + 1.224_745).abs() < 1e-4, "{}", s.x[0]);
        // Default label: the last column.
        let d = table("a,b,y\n1,2,0\n")
            .expect("t")
            .classification(None, 2, 2)
            .expect("d");
        assert_eq!(
            (d.x.as_slice(), d.y.as_slice()),
            (&[1.0f32, 2.0][..], &[0u8][..])
        );
    }

    #[test]
    fn wrong_column_counts_name_the_line() {
        let e = table("a,b,y\n1,2,0\n1,2\n").expect_err("short row");
        assert_eq!(
            e,
            CsvError::ColumnCount {
                line: 3,
                expected: 3,
                got: 2
            }
        );
        assert!(e.to_string().starts_with("line 3:"), "{e}");
    }

    #[test]
    fn missing_values_name_line_and_column() {
        for cell in ["", "NA", "nan"] {
            let e = table(&format!("a,b,y\n1,2,0\n1,{cell},1\n")).expect_err("missing");
            assert_eq!(
                e,
                CsvError::Missing {
                    line: 3,
                    column: "b".into()
                },
                "{cell:?}"
            );
            assert_eq!(e.to_string(), "line 3, column `b`: missing value");
        }
    }

    #[test]
    fn non_numeric_cells_name_line_and_column() {
        let e = table("a,b,y\n1,x2,0\n").expect_err("text");
        assert_eq!(e.to_string(), "line 2, column `b`: `x2` is not a number");
        assert!(table("a,y\ninf,0\n").is_err());
    }

    #[test]
    fn labels_features_and_empty_files_are_checked() {
        let t = table("a,b,y\n1,2,3\n").expect("t");
        assert!(matches!(
            t.classification(None, 2, 2),
            Err(CsvError::BadLabel { line: 2, .. })
        ));
        assert!(matches!(
            t.classification(Some("z"), 2, 4),
            Err(CsvError::NoLabelColumn { .. })
        ));
        assert_eq!(
            t.classification(None, 5, 4),
            Err(CsvError::FeatureCount {
                expected: 5,
                got: 2,
                besides: "the label `y`".into()
            })
        );
        assert!(
            table("a,y\n1,0.5\n")
                .expect("t")
                .classification(None, 1, 2)
                .is_err()
        );
        assert_eq!(table("a,b\n"), Err(CsvError::Empty));
        assert_eq!(table(""), Err(CsvError::Empty));
    }

    #[test]
    fn survival_columns_by_name_and_non_binary_standardization() {
        let t = table("age,T,stage,E\n30,100,1,1\n50,200.5,0,0\n40,50,1,1\n").expect("t");
        let mut s = t.survival("T", "E", 2).expect("survival");
        assert_eq!(s.x, [30.0, 1.0, 50.0, 0.0, 40.0, 1.0]);
        assert_eq!(s.time, [100.0, 200.5, 50.0]);
        assert_eq!(s.event, [true, false, true]);
        standardize_non_binary(&mut s);
        // Age: mean 40, population sd √(200/3); the one-hot stage column is unchanged.
        let sd = (200.0f64 / 3.0).sqrt();
        assert!((f64::from(s.x[0]) + 10.0 / sd).abs() < 1e-6, "{}", s.x[0]);
        assert!(s.x[4].abs() < 1e-6);
        assert_eq!((s.x[1], s.x[3], s.x[5]), (1.0, 0.0, 1.0));
    }

    #[test]
    fn survival_errors_name_line_and_column() {
        let t = table("a,T,E\n1,10,1\n2,5,2\n").expect("t");
        let e = t.survival("T", "E", 1).expect_err("event 2");
        assert_eq!(
            e.to_string(),
            "line 3, column `E`: `2` is not an event indicator (0 censored, 1 event)"
        );
        let t = table("a,T,E\n1,-1,1\n").expect("t");
        let e = t.survival("T", "E", 1).expect_err("negative time");
        assert_eq!(
            e.to_string(),
            "line 2, column `T`: `-1` is not a follow-up time ≥ 0"
        );
        let t = table("a,b,T,E\n1,2,3,0\n").expect("t");
        let e = t.survival("T", "E", 39).expect_err("count");
        assert_eq!(
            e.to_string(),
            "the CSV has 2 feature columns (all but the time `T` and the event `E`), the round's model takes 39"
        );
        assert!(matches!(
            t.survival("time", "E", 2),
            Err(CsvError::NoLabelColumn { .. })
        ));
        assert_eq!(
            t.survival("T", "T", 2),
            Err(CsvError::SameColumn("T".into()))
        );
    }
}
