"""Where chromadb keeps the all-MiniLM-L6-v2 files, known without importing chromadb.

The Slack front of `serve` checks the model is on the machine before it starts answer processes,
and importing chromadb for that would cost it about a second of start-up. These names mirror
`ONNXMiniLM_L6_V2`'s (a test holds them equal); when a file is missing, the full check in
`embedding.py` downloads it or explains what to do.
"""

from __future__ import annotations

from pathlib import Path

MODEL_NAME = "all-MiniLM-L6-v2"
FILES = (
    "config.json",
    "model.onnx",
    "special_tokens_map.json",
    "tokenizer_config.json",
    "tokenizer.json",
    "vocab.txt",
)


class ModelUnavailable(RuntimeError):
    """The embedding model is not on this machine and could not be downloaded (one line for the user)."""


def model_dir() -> Path:
    return Path.home() / ".cache" / "chroma" / "onnx_models" / MODEL_NAME / "onnx"


def model_present() -> bool:
    folder = model_dir()
    return all((folder / name).exists() for name in FILES)
