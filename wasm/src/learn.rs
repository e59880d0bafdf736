//! Local data and training for the browser clinic, over `zkfl_learn` (docs/DEMO.md): the same synthetic
//! generator and the same MLP/SGD code as the native demo, so a tab and `zkfl demo` compute the same bytes for
//! the same seed (checked by the known-answer test in `tests/kat.rs`).

use crate::error::{ClinicError, ErrorCode};
use crate::progress::{self, Progress};
use crate::rng;
use js_sys::{Float32Array, Object, Reflect, Uint8Array};
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use zkfl_learn::{Dataset, Mlp, SyntheticSpec, TrainConfig, generate, model_delta};

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

/// Trains the global model `global` on `data` for `epochs` epochs and returns the update `w_local − global`.
pub fn train_update(
    global: &[f32],
    data: &Dataset,
    epochs: u32,
    rng: &mut rand_chacha::ChaCha20Rng,
    progress: &mut dyn Progress,
) -> Result<Vec<f32>, ClinicError> {
    if epochs == 0 || epochs > MAX_EPOCHS {
        return Err(ClinicError::new(
            ErrorCode::BadInput,
            "epochs must be between 1 and 20",
        ));
    }
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

/// Checks a JS data set and wraps it as a core `Dataset` (784 features, 4 classes).
pub fn dataset_from_js(features: &[f32], labels: &[u8]) -> Result<Dataset, ClinicError> {
    let f = SyntheticSpec::PAPER.features();
    let classes = SyntheticSpec::PAPER.classes;
    if labels.is_empty() || features.len() != labels.len() * f {
        return Err(ClinicError::new(
            ErrorCode::BadInput,
            "features must hold 784 values per label, and there must be at least one sample",
        ));
    }
    if labels.iter().any(|&y| usize::from(y) >= classes) || features.iter().any(|v| !v.is_finite())
    {
        return Err(ClinicError::new(
            ErrorCode::BadInput,
            "labels must be 0–3 and features finite",
        ));
    }
    Ok(Dataset {
        features: f,
        classes,
        x: features.to_vec(),
        y: labels.to_vec(),
    })
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
    let d = synthetic_clinic_data(clinic, clinics, samples, &seed)?;
    let out = Object::new();
    Reflect::set(
        &out,
        &"features".into(),
        &Float32Array::from(d.x.as_slice()),
    )?;
    Reflect::set(&out, &"labels".into(), &Uint8Array::from(d.y.as_slice()))?;
    Ok(out)
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
    let mut rng = rng::from_option(seed.as_deref())?;
    let mut sink = progress::from_option(progress.as_ref());
    let update = train_update(global, &data, epochs, &mut rng, sink.as_mut())?;
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
}
