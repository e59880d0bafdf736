// Parses a clinic's CSV locally (never uploaded): one sample per row, FEATURES numeric columns followed by an
// integer class label in [0, CLASSES). A first row that is not numeric is taken as a header. Errors name the
// line so the user can fix the file.

export const FEATURES = 784;
export const CLASSES = 4;

export class CsvError extends Error {
  constructor(line, message) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvError';
    this.line = line;
  }
}

/** @returns {{features: Float32Array, labels: Uint8Array, samples: number}} */
export function parseClinicCsv(text, features = FEATURES, classes = CLASSES) {
  const lines = text.split(/\r?\n/);
  const rows = [];
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const cells = line.split(',');
    if (rows.length === 0 && i === firstNonEmpty(lines) && cells.some((c) => c.trim() !== '' && !isFinite(Number(c)))) {
      return; // header
    }
    if (cells.length !== features + 1) {
      throw new CsvError(i + 1, `expected ${features + 1} columns (${features} features and a label), found ${cells.length}`);
    }
    rows.push({ line: i + 1, cells });
  });
  if (rows.length === 0) throw new CsvError(0, 'the file has no data rows');
  const x = new Float32Array(rows.length * features);
  const y = new Uint8Array(rows.length);
  rows.forEach(({ line, cells }, r) => {
    for (let j = 0; j < features; j++) {
      const v = Number(cells[j]);
      if (cells[j].trim() === '' || !Number.isFinite(v)) throw new CsvError(line, `column ${j + 1} is not a number`);
      x[r * features + j] = v;
    }
    const label = Number(cells[features]);
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new CsvError(line, `label must be an integer from 0 to ${classes - 1}`);
    }
    y[r] = label;
  });
  return { features: x, labels: y, samples: rows.length };
}

function firstNonEmpty(lines) {
  return lines.findIndex((l) => l.trim() !== '');
}
