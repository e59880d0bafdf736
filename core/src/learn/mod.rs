//! Local training for the demo and the browser clinic (docs/DEMO.md): synthetic data, MLP, SGD. Needs `alloc`.
