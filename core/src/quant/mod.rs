//! Clipping and quantization of a float update to bounded integers, and de-quantization of the aggregate (docs/QUANT.md).
