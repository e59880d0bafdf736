//! The model a round trains, as a small declarative spec that the aggregator signs into the round
//! announcement, so server, clinics and browser agree on the architecture and on the parameter layout; the
//! parameter count follows from the spec and is checked against the round's model dimension.
//!
//! Canonical bytes (little-endian; part of the signed announcement): kind `u8`, then
//! - 1 = MLP: activation `u8` (1 = ReLU), layer count `u8`, then each layer size `u32`;
//! - 2 = logistic (softmax) regression: features `u32`, classes `u32`;
//! - 3 = linear Cox proportional hazards: features `u32`.
//!
//! Parameter layouts: MLP and logistic regression as [`crate::Mlp`] (per layer, the weights row-major
//! `out × in`, then the biases; logistic regression is the MLP `[features, classes]`); linear Cox: β, one
//! weight per feature, no intercept (the partial likelihood has none).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::mlp::param_count;

/// Hidden-layer activation of an MLP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// max(0, x).
    Relu,
}

/// The model a round trains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelSpec {
    /// A fully connected network with a softmax cross-entropy head; `sizes` from input to classes.
    Mlp {
        /// Layer sizes, input first, classes last (at least two).
        sizes: Vec<usize>,
        /// Hidden-layer activation.
        activation: Activation,
    },
    /// Multinomial logistic (softmax) regression.
    Logistic {
        /// Input features.
        features: usize,
        /// Classes (labels `0..classes`).
        classes: usize,
    },
    /// Linear Cox proportional-hazards model (survival: time and event per sample).
    LinearCox {
        /// Input features.
        features: usize,
    },
}

/// A spec that does not parse or decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError(pub String);

impl core::error::Error for SpecError {}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "model spec: {}", self.0)
    }
}

fn err(msg: impl Into<String>) -> SpecError {
    SpecError(msg.into())
}

/// Largest layer size or feature count a spec may carry (the aggregator's model cap is far below).
const MAX_WIDTH: usize = 1 << 24;

impl ModelSpec {
    /// The paper's MLP (784-128-64-4, ReLU).
    #[must_use]
    pub fn paper() -> Self {
        Self::Mlp {
            sizes: crate::Mlp::PAPER_SIZES.to_vec(),
            activation: Activation::Relu,
        }
    }

    /// Number of parameters (the round's model dimension).
    #[must_use]
    pub fn param_count(&self) -> usize {
        match self {
            Self::Mlp { sizes, .. } => param_count(sizes),
            Self::Logistic { features, classes } => param_count(&[*features, *classes]),
            Self::LinearCox { features } => *features,
        }
    }

    /// Input features per sample.
    #[must_use]
    pub fn features(&self) -> usize {
        match self {
            Self::Mlp { sizes, .. } => sizes.first().copied().unwrap_or(0),
            Self::Logistic { features, .. } | Self::LinearCox { features } => *features,
        }
    }

    /// Classes for classifiers (`None` for Cox).
    #[must_use]
    pub fn classes(&self) -> Option<usize> {
        match self {
            Self::Mlp { sizes, .. } => sizes.last().copied(),
            Self::Logistic { classes, .. } => Some(*classes),
            Self::LinearCox { .. } => None,
        }
    }

    /// The layer sizes of the equivalent MLP (classifiers only).
    #[must_use]
    pub fn mlp_sizes(&self) -> Option<Vec<usize>> {
        match self {
            Self::Mlp { sizes, .. } => Some(sizes.clone()),
            Self::Logistic { features, classes } => Some(alloc::vec![*features, *classes]),
            Self::LinearCox { .. } => None,
        }
    }

    fn check(self) -> Result<Self, SpecError> {
        let ok = |x: usize| (1..=MAX_WIDTH).contains(&x);
        let valid = match &self {
            Self::Mlp { sizes, .. } => {
                (2..=u8::MAX as usize).contains(&sizes.len()) && sizes.iter().all(|&s| ok(s))
            }
            Self::Logistic { features, classes } => ok(*features) && (2..=256).contains(classes),
            Self::LinearCox { features } => ok(*features),
        };
        if !valid {
            return Err(err(alloc::format!(
                "{self} has an empty, oversized or missing layer (MLP: 2–255 layers; logistic: 2–256 classes)"
            )));
        }
        if let Some(c) = self.classes()
            && c > 256
        {
            return Err(err("at most 256 classes (labels are bytes)"));
        }
        Ok(self)
    }

    /// The canonical bytes (module documentation).
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let u32le = |out: &mut Vec<u8>, x: usize| {
            out.extend_from_slice(&u32::try_from(x).unwrap_or(u32::MAX).to_le_bytes());
        };
        match self {
            Self::Mlp { sizes, activation } => {
                out.push(1);
                out.push(match activation {
                    Activation::Relu => 1,
                });
                out.push(u8::try_from(sizes.len()).unwrap_or(u8::MAX));
                sizes.iter().for_each(|&s| u32le(&mut out, s));
            }
            Self::Logistic { features, classes } => {
                out.push(2);
                u32le(&mut out, *features);
                u32le(&mut out, *classes);
            }
            Self::LinearCox { features } => {
                out.push(3);
                u32le(&mut out, *features);
            }
        }
        out
    }

    /// Decodes the canonical bytes; every length and value is checked.
    pub fn decode(bytes: &[u8]) -> Result<Self, SpecError> {
        let mut r = bytes;
        let mut byte = || -> Result<u8, SpecError> {
            let (&b, rest) = r.split_first().ok_or_else(|| err("truncated"))?;
            r = rest;
            Ok(b)
        };
        let kind = byte()?;
        let spec = match kind {
            1 => {
                let activation = match byte()? {
                    1 => Activation::Relu,
                    a => return Err(err(alloc::format!("unknown activation {a}"))),
                };
                let layers = byte()?;
                let sizes = (0..layers)
                    .map(|_| read_u32(&mut r))
                    .collect::<Result<Vec<_>, _>>()?;
                Self::Mlp { sizes, activation }
            }
            2 => Self::Logistic {
                features: read_u32(&mut r)?,
                classes: read_u32(&mut r)?,
            },
            3 => Self::LinearCox {
                features: read_u32(&mut r)?,
            },
            k => return Err(err(alloc::format!("unknown model kind {k}"))),
        };
        if !r.is_empty() {
            return Err(err("trailing bytes"));
        }
        spec.check()
    }

    /// Decodes the spec a round announcement carries and checks that its parameter count is the announced
    /// model dimension (what every clinic and the aggregator require before using it).
    pub fn decode_for_dimension(bytes: &[u8], model_dim: usize) -> Result<Self, SpecError> {
        let spec = Self::decode(bytes)?;
        if spec.param_count() != model_dim {
            return Err(err(alloc::format!(
                "{spec} has {} parameters but the round's model has {model_dim}",
                spec.param_count()
            )));
        }
        Ok(spec)
    }

    /// Parses the command-line form: `mlp:784,128,64,4` (ReLU), `logistic:FEATURES,CLASSES`, `cox:FEATURES`.
    pub fn parse(s: &str) -> Result<Self, SpecError> {
        let (kind, args) = s.split_once(':').ok_or_else(|| {
            err(alloc::format!(
                "`{s}`: expected KIND:SIZES, e.g. mlp:784,128,64,4, logistic:30,2 or cox:39"
            ))
        })?;
        let nums = args
            .split(',')
            .map(|x| {
                x.trim()
                    .parse::<usize>()
                    .map_err(|_| err(alloc::format!("`{x}` in `{s}` is not a positive integer")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let spec = match (kind.trim(), nums.as_slice()) {
            ("mlp", _) => Self::Mlp {
                sizes: nums.clone(),
                activation: Activation::Relu,
            },
            ("logistic", [f, c]) => Self::Logistic {
                features: *f,
                classes: *c,
            },
            ("cox", [f]) => Self::LinearCox { features: *f },
            ("logistic" | "cox", _) => {
                return Err(err(alloc::format!(
                    "`{s}`: logistic takes FEATURES,CLASSES and cox takes FEATURES"
                )));
            }
            (k, _) => {
                return Err(err(alloc::format!(
                    "unknown model kind `{k}` (mlp, logistic or cox)"
                )));
            }
        };
        spec.check()
    }
}

fn read_u32(r: &mut &[u8]) -> Result<usize, SpecError> {
    let (head, rest) = r.split_first_chunk::<4>().ok_or_else(|| err("truncated"))?;
    *r = rest;
    Ok(u32::from_le_bytes(*head) as usize)
}

impl fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mlp { sizes, .. } => {
                f.write_str("mlp:")?;
                for (i, s) in sizes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{s}")?;
                }
                Ok(())
            }
            Self::Logistic { features, classes } => write!(f, "logistic:{features},{classes}"),
            Self::LinearCox { features } => write!(f, "cox:{features}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn a_spec_is_accepted_only_for_its_own_dimension() {
        let bytes = ModelSpec::LinearCox { features: 39 }.encode();
        assert_eq!(
            ModelSpec::decode_for_dimension(&bytes, 39),
            Ok(ModelSpec::LinearCox { features: 39 })
        );
        assert!(ModelSpec::decode_for_dimension(&bytes, 40).is_err());
        assert!(ModelSpec::decode_for_dimension(&bytes[..2], 39).is_err());
    }

    #[test]
    fn specs_round_trip_through_bytes_and_text_with_their_parameter_counts() {
        for (text, count) in [
            ("mlp:784,128,64,4", 108_996),
            ("logistic:30,2", 62),
            ("cox:39", 39),
        ] {
            let s = ModelSpec::parse(text).expect("parse");
            assert_eq!(s.param_count(), count, "{text}");
            assert_eq!(s.to_string(), text);
            assert_eq!(ModelSpec::decode(&s.encode()), Ok(s));
        }
        assert_eq!(ModelSpec::paper().param_count(), 108_996);
    }

    #[test]
    fn bad_specs_are_refused_with_a_reason() {
        for bad in [
            "mlp",
            "mlp:784",
            "mlp:784,0,4",
            "logistic:30",
            "logistic:30,1",
            "cox:0",
            "cox:a",
            "svm:3",
        ] {
            assert!(ModelSpec::parse(bad).is_err(), "{bad}");
        }
        let good = ModelSpec::parse("logistic:30,2").expect("ok").encode();
        assert!(ModelSpec::decode(&good[..good.len() - 1]).is_err());
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(ModelSpec::decode(&trailing).is_err());
        assert!(ModelSpec::decode(&[9]).is_err());
        assert!(ModelSpec::decode(&[1, 2, 2, 1, 0, 0, 0, 1, 0, 0, 0]).is_err()); // activation 2
    }
}
