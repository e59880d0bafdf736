//! Local data and training for the browser clinic, over `zkfl_learn` (docs/DEMO.md): the same synthetic
//! generator and the same MLP/SGD code as the native demo, so a tab and `zkfl demo` compute the same bytes for
//! the same seed (checked by the known-answer test in `tests/kat.rs`).

use crate::error::{ClinicError, ErrorCode};
use crate::progress::{self, Progress};
use crate::rng;
use js_sys::{Float32Array, Object, Reflect, Uint8Array};
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use zkfl_learn::csv::{Standardizer, Table};
use zkfl_learn::{
    Dataset, Mlp, ModelSpec, SyntheticSpec, TrainConfig, generate, local_update, model_delta,
};

/// Local SGD settings of the paper's experiment (the native demo's `Scenario::paper`): batch 32, lr 0.05.
pub const TRAIN: TrainConfig = TrainConfig {
    epochs: 1,
    batch: 32,
    lr: 0.05,
};

/// Largest number of samples a tab generates per clinic (keeps memory and time bounded).
pub const MAX_SAMPLES: u32 = 5000;

/// Largest number of local epochs.
pub const MAX_EPOCHS: u32 = 20;

/// The synthetic training samples of clinic `clinic` (1-based) out of `clinics`: the paper's generator
/// (`SyntheticSpec::PAPER` shape and difficulty) draws `clinics * samples` training samples from one shared
/// seed, so every clinic shares the class means, and clinic `c` takes the `c`-th contiguous block (labels are
/// drawn uniformly, so the blocks are IID; the native demo's Dirichlet non-IID split is not reproduced here).
pub fn synthetic_clinic_data(
    clinic: u32,
    clinics: u32,
    samples: u32,
    seed: &[u8],
) -> Result<Dataset, ClinicError> {
    if clinic == 0 || clinic > clinics || samples == 0 || samples > MAX_SAMPLES || clinics > 64 {
        return Err(ClinicError::new(
            ErrorCode::BadInput,
            "need 1 ≤ clinic ≤ clinics ≤ 64 and 1 ≤ samples ≤ 5000",
        ));
    }
    let spec = SyntheticSpec {
        train: (clinics * samples) as usize,
        test: 0,
        ..SyntheticSpec::PAPER
    };
    let all = generate(&spec, &mut rng::seeded(seed)?).train;
    let start = ((clinic - 1) * samples) as usize;
    let idx: Vec<usize> = (start..start + samples as usize).collect();
    Ok(all.subset(&idx))
}

/// Refuses an epoch count outside 1..=[`MAX_EPOCHS`].
fn check_epochs(epochs: u32) -> Result<(), ClinicError> {
    if epochs == 0 || epochs > MAX_EPOCHS {
        return Err(ClinicError::new(
            ErrorCode::BadInput,
            "epochs must be between 1 and 20",
        ));
    }
    Ok(())
}

/// Trains the global model `global` on `data` for `epochs` epochs and returns the update `w_local − global`.
pub fn train_update(
    global: &[f32],
    data: &Dataset,
    epochs: u32,
    rng: &mut rand_chacha::ChaCha20Rng,
    progress: &mut dyn Progress,
) -> Result<Vec<f32>, ClinicError> {
    check_epochs(epochs)?;
    let mut sizes = Mlp::PAPER_SIZES;
    sizes[0] = data.features;
    sizes[3] = data.classes;
    if data.is_empty() {
        return Err(ClinicError::new(
            ErrorCode::Train,
            "the local data set is empty",
        ));
    }
    let mut model = Mlp::from_params(&sizes, global.to_vec())
        .map_err(|e| ClinicError::from_display(ErrorCode::BadParams, e))?;
    for e in 0..epochs {
        progress.report("train", e, epochs)?;
        model.train(data, &TRAIN, rng);
    }
    progress.report("train", epochs, epochs)?;
    Ok(model_delta(model.params(), global))
}

/// Checks a JS data set and wraps it as a core `Dataset` of the paper's shape (784 features, 4 classes).
pub fn dataset_from_js(features: &[f32], labels: &[u8]) -> Result<Dataset, ClinicError> {
    let paper = SyntheticSpec::PAPER;
    dataset_of_shape(features, labels, paper.features(), paper.classes)
}

/// Checks a JS data set against a model's input shape (`features` per sample, labels in `0..classes`).
fn dataset_of_shape(
    x: &[f32],
    labels: &[u8],
    features: usize,
    classes: usize,
) -> Result<Dataset, ClinicError> {
    if labels.is_empty() || x.len() != labels.len() * features {
        return Err(ClinicError::new(
            ErrorCode::BadInput,
            format!(
                "features must hold {features} values per label, and there must be at least one sample"
            ),
        ));
    }
    if labels.iter().any(|&y| usize::from(y) >= classes) || x.iter().any(|v| !v.is_finite()) {
        return Err(ClinicError::new(
            ErrorCode::BadInput,
            format!(
                "labels must be 0–{} and features finite",
                classes.saturating_sub(1)
            ),
        ));
    }
    Ok(Dataset {
        features,
        classes,
        x: x.to_vec(),
        y: labels.to_vec(),
    })
}

/// The model a round announces (`ModelSpec` text form, e.g. `logistic:30,2`), checked against the round's
/// model dimension (the global model's length) and refused if the page cannot train it (Cox needs survival
/// data, not class labels).
pub fn announced_spec(spec: &str, model_dim: usize) -> Result<ModelSpec, ClinicError> {
    let spec =
        ModelSpec::parse(spec).map_err(|e| ClinicError::from_display(ErrorCode::BadParams, e))?;
    if spec.param_count() != model_dim {
        return Err(ClinicError::new(
            ErrorCode::BadParams,
            format!(
                "the announced model {spec} has {} parameters, but the round's model has {model_dim}",
                spec.param_count()
            ),
        ));
    }
    if spec.classes().is_none() {
        return Err(ClinicError::new(
            ErrorCode::BadParams,
            format!(
                "the announced model {spec} needs survival data (time, event); the page trains classifiers only"
            ),
        ));
    }
    Ok(spec)
}

/// A clinic's CSV (header row, numeric cells) as the data set of `spec`: every column but `label` (by name;
/// the last column if `None`) is a feature, the label an integer class; features standardized with this
/// clinic's own statistics, as `zkfl clinic train` does. Errors name the line and column (`zkfl_learn::csv`).
pub fn csv_dataset(
    text: &[u8],
    spec: &ModelSpec,
    label: Option<&str>,
) -> Result<Dataset, ClinicError> {
    let bad = |e| ClinicError::from_display(ErrorCode::BadInput, e);
    let classes = spec.classes().ok_or_else(|| {
        ClinicError::new(
            ErrorCode::BadParams,
            format!("model {spec} is not a classifier"),
        )
    })?;
    let table = Table::parse(text).map_err(bad)?;
    let mut data = table
        .classification(label, spec.features(), classes)
        .map_err(bad)?;
    Standardizer::fit(&data).apply(&mut data);
    Ok(data)
}

/// Trains the announced `spec` from `global` on `data` for `epochs` epochs with the page's SGD settings,
/// through `zkfl_learn::local_update` (the code `zkfl clinic train` runs), and returns the update.
pub fn train_spec_update(
    spec: &ModelSpec,
    global: &[f32],
    data: &Dataset,
    epochs: u32,
    rng: &mut rand_chacha::ChaCha20Rng,
    progress: &mut dyn Progress,
) -> Result<Vec<f32>, ClinicError> {
    check_epochs(epochs)?;
    let cfg = TrainConfig {
        epochs: epochs as usize,
        ..TRAIN
    };
    progress.report("train", 0, epochs)?;
    let local = zkfl_learn::LocalData::Classes(data.clone());
    let update = local_update(spec, global, &local, &cfg, rng)
        .map_err(|e| ClinicError::from_display(ErrorCode::Train, e))?;
    progress.report("train", epochs, epochs)?;
    Ok(update)
}

/// JS: `syntheticClinicData(clinic, clinics, samples, seed?: Uint8Array) -> {features: Float32Array, labels:
/// Uint8Array}`. Without `seed` the page's shared demo seed (32 zero bytes) is used, so every tab draws from
/// the same class means as the native demo with that seed.
#[wasm_bindgen(js_name = syntheticClinicData)]
pub fn js_synthetic_clinic_data(
    clinic: u32,
    clinics: u32,
    samples: u32,
    seed: Option<Vec<u8>>,
) -> Result<Object, JsValue> {
    let seed = seed.unwrap_or_else(|| vec![0u8; rng::SEED_LEN]);
    dataset_object(&synthetic_clinic_data(clinic, clinics, samples, &seed)?)
}

/// JS: `trainUpdate(global, features, labels, epochs, seed?: Uint8Array, progress?) -> Float32Array`: the
/// model update after local training. Without `seed` the mini-batch order comes from the browser's CSPRNG.
#[wasm_bindgen(js_name = trainUpdate)]
pub fn js_train_update(
    global: &[f32],
    features: &[f32],
    labels: &[u8],
    epochs: u32,
    seed: Option<Vec<u8>>,
    progress: Option<js_sys::Function>,
) -> Result<Float32Array, JsValue> {
    let data = dataset_from_js(features, labels)?;
    train_js(seed.as_deref(), progress.as_ref(), |rng, sink| {
        train_update(global, &data, epochs, rng, sink)
    })
}

/// JS: `parseModelCsv(text: Uint8Array, spec: string, modelDim, label?: string) -> {features: Float32Array,
/// labels: Uint8Array, samples, columns: string[]}`: the CSV as the announced model's data (see
/// [`csv_dataset`]); the spec is checked against the round's model dimension first.
#[wasm_bindgen(js_name = parseModelCsv)]
pub fn js_parse_model_csv(
    text: &[u8],
    spec: &str,
    model_dim: usize,
    label: Option<String>,
) -> Result<Object, JsValue> {
    let spec = announced_spec(spec, model_dim)?;
    let label = label.filter(|l| !l.is_empty());
    let d = csv_dataset(text, &spec, label.as_deref())?;
    let out = dataset_object(&d)?;
    Reflect::set(&out, &"samples".into(), &JsValue::from(d.len() as u32))?;
    Ok(out)
}

/// `{features: Float32Array, labels: Uint8Array}`: a data set as the page holds it.
fn dataset_object(d: &Dataset) -> Result<Object, JsValue> {
    let out = Object::new();
    Reflect::set(
        &out,
        &"features".into(),
        &Float32Array::from(d.x.as_slice()),
    )?;
    Reflect::set(&out, &"labels".into(), &Uint8Array::from(d.y.as_slice()))?;
    Ok(out)
}

/// JS: `trainModelUpdate(spec, global, features, labels, epochs, seed?, progress?) -> Float32Array`: trains
/// the announced model (see [`train_spec_update`]) and returns the update.
#[wasm_bindgen(js_name = trainModelUpdate)]
pub fn js_train_model_update(
    spec: &str,
    global: &[f32],
    features: &[f32],
    labels: &[u8],
    epochs: u32,
    seed: Option<Vec<u8>>,
    progress: Option<js_sys::Function>,
) -> Result<Float32Array, JsValue> {
    let spec = announced_spec(spec, global.len())?;
    let classes = spec.classes().unwrap_or(0);
    let data = dataset_of_shape(features, labels, spec.features(), classes)?;
    train_js(seed.as_deref(), progress.as_ref(), |rng, sink| {
        train_spec_update(&spec, global, &data, epochs, rng, sink)
    })
}

/// Runs `train` with the page's optional seed (else the browser's CSPRNG) and progress callback, and hands the
/// update back as a `Float32Array`.
fn train_js(
    seed: Option<&[u8]>,
    progress: Option<&js_sys::Function>,
    train: impl FnOnce(
        &mut rand_chacha::ChaCha20Rng,
        &mut dyn Progress,
    ) -> Result<Vec<f32>, ClinicError>,
) -> Result<Float32Array, JsValue> {
    let mut rng = rng::from_option(seed)?;
    let mut sink = progress::from_option(progress);
    let update = train(&mut rng, sink.as_mut())?;
    Ok(Float32Array::from(update.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;

    #[test]
    fn clinics_get_disjoint_blocks_of_one_dataset() {
        let seed = [1u8; 32];
        let a = synthetic_clinic_data(1, 2, 20, &seed).expect("data");
        let b = synthetic_clinic_data(2, 2, 20, &seed).expect("data");
        assert_eq!((a.len(), a.features, a.classes), (20, 784, 4));
        assert_ne!(a.x, b.x);
        assert_eq!(a, synthetic_clinic_data(1, 2, 20, &seed).expect("data"));
    }

    #[test]
    fn bad_requests_are_typed_errors() {
        let seed = [1u8; 32];
        for (c, n, s) in [
            (0, 5, 10),
            (6, 5, 10),
            (1, 5, 0),
            (1, 5, MAX_SAMPLES + 1),
            (1, 65, 10),
        ] {
            let e = synthetic_clinic_data(c, n, s, &seed)
                .err()
                .map(|e| e.code());
            assert_eq!(e, Some(ErrorCode::BadInput), "{c} {n} {s}");
        }
        assert_eq!(
            dataset_from_js(&[0.0; 783], &[0]).err().map(|e| e.code()),
            Some(ErrorCode::BadInput)
        );
        assert_eq!(
            dataset_from_js(&[0.0; 784], &[4]).err().map(|e| e.code()),
            Some(ErrorCode::BadInput)
        );
        assert_eq!(
            dataset_from_js(&[f32::NAN; 784], &[0])
                .err()
                .map(|e| e.code()),
            Some(ErrorCode::BadInput)
        );
    }

    #[test]
    fn training_moves_the_model_and_rejects_a_wrong_model_length() {
        let data = synthetic_clinic_data(1, 1, 64, &[2u8; 32]).expect("data");
        let mut r = rng::seeded(&[3u8; 32]).expect("rng");
        let global = Mlp::new(&Mlp::PAPER_SIZES, &mut r)
            .expect("mlp")
            .params()
            .to_vec();
        let upd = train_update(&global, &data, 1, &mut r, &mut Silent).expect("train");
        assert_eq!(upd.len(), 108_996);
        assert!(upd.iter().any(|v| *v != 0.0));
        let e = train_update(&global[1..], &data, 1, &mut r, &mut Silent)
            .err()
            .map(|e| e.code());
        assert_eq!(e, Some(ErrorCode::BadParams));
    }

    /// A small logistic round: a 4-column CSV (3 features, label last) trains `logistic:3,2` through
    /// `local_update` and moves the model; a model of the wrong size and bad CSVs are refused with positions.
    #[test]
    fn a_logistic_spec_trains_from_a_small_csv() {
        let spec = announced_spec("logistic:3,2", 8).expect("spec");
        let mut csv = String::from("age,dose,score,outcome\n");
        for i in 0..40u32 {
            let y = i % 2;
            let s = if y == 1 { 1.5 } else { -1.5 };
            csv += &format!(
                "{},{},{},{y}\n",
                40 + i,
                f64::from(i) * 0.1,
                s + f64::from(i % 3) * 0.1
            );
        }
        let data = csv_dataset(csv.as_bytes(), &spec, None).expect("csv");
        assert_eq!((data.len(), data.features, data.classes), (40, 3, 2));
        let global = vec![0.0f32; 8];
        let mut r = rng::seeded(&[4u8; 32]).expect("rng");
        let upd = train_spec_update(&spec, &global, &data, 2, &mut r, &mut Silent).expect("train");
        assert_eq!(upd.len(), 8);
        assert!(upd.iter().any(|v| *v != 0.0));
        // The same bytes through `zkfl_learn::local_update` directly: the page adds nothing of its own.
        let mut r2 = rng::seeded(&[4u8; 32]).expect("rng");
        let cfg = TrainConfig { epochs: 2, ..TRAIN };
        assert_eq!(
            local_update(
                &spec,
                &global,
                &zkfl_learn::LocalData::Classes(data.clone()),
                &cfg,
                &mut r2
            )
            .expect("lu"),
            upd
        );
        // The label column chosen by name: `age` as label is not a class 0..1.
        let e = csv_dataset(csv.as_bytes(), &spec, Some("age")).expect_err("bad label");
        assert_eq!(e.code(), ErrorCode::BadInput);
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = csv_dataset(b"a,b,c,y\n1,2,x,0\n", &spec, None).expect_err("nan");
        assert!(e.to_string().contains("line 2, column `c`"), "{e}");
        let e = csv_dataset(b"a,b,y\n1,2,0\n", &spec, None).expect_err("cols");
        assert!(e.to_string().contains("2 feature columns"), "{e}");
        for (s, dim) in [("logistic:3,2", 9), ("cox:8", 8), ("nonsense", 8)] {
            assert_eq!(
                announced_spec(s, dim).err().map(|e| e.code()),
                Some(ErrorCode::BadParams),
                "{s}"
            );
        }
    }
}
