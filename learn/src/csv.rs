//! A clinic's own data from a CSV file: a header row, numeric cells, one chosen label column (the last one
//! unless named), and standardization statistics computed from this clinic's rows only (nothing is shared).
//! Every malformed input is an error that names the line (1-based, the header is line 1) and the column.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

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
    /// The file has a different number of feature columns than the model takes.
    FeatureCount {
        /// Features the model takes.
        expected: usize,
        /// Feature columns in the file (all but the label).
        got: usize,
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
            Self::FeatureCount { expected, got } => write!(
                f,
                "the CSV has {got} feature columns (all but the label), the round's model takes {expected}"
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
            Some(name) => {
                self.columns
                    .iter()
                    .position(|c| c == name)
                    .ok_or_else(|| CsvError::NoLabelColumn {
                        label: name.to_owned(),
                        columns: self.columns.clone(),
                    })
            }
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
                got: 2
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
}
