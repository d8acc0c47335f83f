"""The scorers: Detoxify (PyTorch, ONNX export and cache, the hub), the bundled n-gram model,
the site model, the no-model scorer, and model specs (models)."""
