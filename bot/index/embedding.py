"""all-MiniLM-L6-v2 embeddings for the index, without chromadb's padding and truncation.

chromadb's default embedding function (`ONNXMiniLM_L6_V2`) pads every text to 256 tokens, so a
20-token history line costs as much as a full page, and it silently drops every token after the
256th. `MiniLMEmbedding` runs the same ONNX graph and tokenizer (so vectors match chromadb's for
any text that fits the window) but:

* a batch is padded only to its longest text, and texts are sorted by token count before
  batching so each batch holds texts of similar length (results come back in input order);
* a text longer than the model window (256 tokens incl. [CLS]/[SEP]) is not truncated: its
  tokens are cut into overlapping windows of exactly 256 tokens (the last one ends at the
  text's end), each window is embedded, and the text's vector is the mean of the window
  vectors, re-normalised to unit length. That keeps every part of a long text in its vector;
  the indexer should still chunk long documents with `split_to_windows` for sharper retrieval.

Construction is cheap: the tokenizer and ONNX session load (and, on a machine with internet,
chromadb downloads the model) on first use.
"""

from __future__ import annotations

import bisect
import itertools
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from chromadb.api.types import Documents, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function
from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2
from tokenizers import Tokenizer

from bot.index.model_files import ModelUnavailable

MODEL_WINDOW = 256  # positions the model sees, including [CLS] and [SEP]
DEFAULT_BATCH_SIZE = 32
DEFAULT_WINDOW_OVERLAP = 32  # tokens shared by neighbouring windows of a long text
_CONTENT_WINDOW = MODEL_WINDOW - 2
_CONFIG_KEYS = frozenset(
    {
        "batch_size",
        "window_overlap",
        "intra_op_threads",
        "preferred_providers",
    },
)
# Coarsest first: paragraphs, lines, sentences, words. Each cut falls after the match, so the
# whitespace stays with the piece before it and is stripped there.
_SEPARATORS = (r"\n[ \t]*\n\s*", r"\n\s*", r"(?<=[.!?;:])\s+", r"\s+")

Vectors = npt.NDArray[np.float32]


Span = tuple[int, int]
Fits = Callable[[int, int], bool]


def _default_threads() -> int:
    """Cores we may use, capped at 4: MiniLM gains little beyond that, and the bot needs CPU too."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 4))


class MiniLMEmbedding(ONNXMiniLM_L6_V2):
    """Embedding function "rapport-minilm": chromadb's MiniLM, padded per batch, never truncated.

    Subclassing `ONNXMiniLM_L6_V2` reuses its model location and download-on-first-use. Safe to
    share between threads. `texts_embedded` counts input texts over all calls (tests and
    benchmarks use it to see how much embedding work was done).
    """

    def __init__(
        self,
        batch_size: int = DEFAULT_BATCH_SIZE,
        window_overlap: int = DEFAULT_WINDOW_OVERLAP,
        intra_op_threads: int | None = None,
        preferred_providers: list[str] | None = None,
    ) -> None:
        super().__init__(preferred_providers=preferred_providers)
        self._batch_size = batch_size
        self._window_overlap = window_overlap
        self._intra_op_threads = intra_op_threads
        self.validate_config(self.get_config())
        self.texts_embedded = 0
        self._tok: Tokenizer | None = None
        self._session: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._count_lock = threading.Lock()

    def __call__(self, input: Documents) -> Embeddings:
        """Embed texts of any length; one unit vector per text, in input order."""
        texts = list(input)
        with self._count_lock:
            self.texts_embedded += len(texts)
        if not texts:
            return []  # chromadb's wrapper rejects an empty result, as it does for its own EFs
        tokenizer = self._tokenizer()
        owners: list[int] = []
        windows: list[list[int]] = []
        for owner, encoding in enumerate(tokenizer.encode_batch_fast(texts)):
            for window in self._token_windows(encoding.ids):
                owners.append(owner)
                windows.append(window)
        vectors = self._embed_windows(windows)
        sums = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
        np.add.at(sums, owners, vectors)  # one row per window; long texts get several
        return list(self._normalize(sums))

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for `text`, including [CLS] and [SEP] (so "" counts 2)."""
        return len(self._tokenizer().encode(text).ids)

    def split_to_windows(self, text: str, max_tokens: int = MODEL_WINDOW) -> list[str]:
        """Cut `text` into stripped pieces of at most `max_tokens` tokens (as `count_tokens`).

        Cuts prefer paragraph breaks, then line breaks, then sentence ends, then spaces; a single
        "word" longer than the limit is cut inside. Pieces are consecutive slices of `text`, so
        together they hold every non-whitespace character in order. Blank text gives [].
        """
        if max_tokens < 3:
            raise ValueError("max_tokens must leave room for [CLS], [SEP] and one token")
        # Tokenize once and count by offsets: tokens never cross whitespace or punctuation, so the
        # tokens of a slice cut there are the whole text's tokens inside it. Counting each slice
        # again (as before) took minutes on a 100,000-character line of dashes.
        encoding = self._tokenizer().encode(text, add_special_tokens=False)
        starts = [a for a, _ in encoding.offsets]
        ends = [b for _, b in encoding.offsets]
        room = max_tokens - 2

        def fits(start: int, end: int) -> bool:
            return bisect.bisect_right(ends, end) - bisect.bisect_left(starts, start) <= room

        def exact(start: int, end: int) -> bool:
            return self.count_tokens(text[start:end].strip()) <= max_tokens

        def cut(span: Span) -> list[Span]:
            """A span with no separator left: cut at every `room`-th token, checked exactly."""
            first, last = bisect.bisect_left(starts, span[0]), bisect.bisect_right(ends, span[1])
            bounds = [span[0], *(starts[i] for i in range(first + room, last, room)), span[1]]
            pieces = list(itertools.pairwise(bounds))
            return [p for piece in pieces for p in ([piece] if exact(*piece) else _hard_cut(piece, exact))]

        spans = _split_span(text, (0, len(text)), 0, fits, cut)
        checked = [p for span in spans for p in ([span] if exact(*span) else _hard_cut(span, exact))]
        return [piece for start, end in checked if (piece := text[start:end].strip())]

    @staticmethod
    def name() -> str:
        return "rapport-minilm"

    def get_config(self) -> dict[str, Any]:
        """Settings that reproduce this function; none of them changes the vectors."""
        return {
            "batch_size": self._batch_size,
            "window_overlap": self._window_overlap,
            "intra_op_threads": self._intra_op_threads,
            "preferred_providers": self._preferred_providers,
        }

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedding:
        """Rebuild from a collection's stored config, so reopening needs no embedding_function=."""
        MiniLMEmbedding.validate_config(config)
        return MiniLMEmbedding(**config)

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        """Reject bad settings early; chromadb otherwise stores the EF as "legacy" silently."""
        if unknown := set(config) - _CONFIG_KEYS:
            raise ValueError(f"unknown rapport-minilm settings: {sorted(unknown)}")
        if not _is_int(config.get("batch_size", 1), low=1):
            raise ValueError("batch_size must be an integer >= 1")
        if not _is_int(config.get("window_overlap", 0), low=0, high=_CONTENT_WINDOW - 1):
            raise ValueError(f"window_overlap must be an integer in 0..{_CONTENT_WINDOW - 1}")
        threads = config.get("intra_op_threads")
        if threads is not None and not _is_int(threads, low=1):
            raise ValueError("intra_op_threads must be None (auto) or an integer >= 1")
        providers = config.get("preferred_providers")
        if providers is not None and not all(isinstance(p, str) for p in providers):
            raise ValueError("preferred_providers must be None or a list of strings")

    def validate_config_update(
        self,
        old_config: dict[str, Any],
        new_config: dict[str, Any],
    ) -> None:
        """Any setting may change: none of them affects the vectors already stored."""
        self.validate_config({**old_config, **new_config})

    def _token_windows(self, ids: list[int]) -> list[list[int]]:
        """The text itself if it fits, else full-size overlapping windows, each with [CLS]/[SEP]."""
        if len(ids) <= MODEL_WINDOW:
            return [ids]
        cls, body, sep = ids[0], ids[1:-1], ids[-1]
        last = len(body) - _CONTENT_WINDOW  # anchored at the end, so no short tail window
        starts = [*range(0, last, _CONTENT_WINDOW - self._window_overlap), last]
        return [[cls, *body[s : s + _CONTENT_WINDOW], sep] for s in starts]

    def _embed_windows(self, windows: list[list[int]]) -> Vectors:
        """Unit vectors for token windows, batched by similar length to keep padding small."""
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        batches = [
            self._run_batch([windows[i] for i in order[start : start + self._batch_size]])
            for start in range(0, len(order), self._batch_size)
        ]
        in_order = np.empty_like(sorted_vectors := np.concatenate(batches))
        in_order[order] = sorted_vectors
        return in_order

    def _run_batch(self, batch: list[list[int]]) -> Vectors:
        """Mean-pooled, normalised output for one batch, padded to its longest window."""
        input_ids = np.zeros((len(batch), max(len(ids) for ids in batch)), dtype=np.int64)
        mask = np.zeros_like(input_ids)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        feeds = {
            "input_ids": input_ids,
            "attention_mask": mask,
            "token_type_ids": np.zeros_like(input_ids),
        }
        session = self._onnx_session()
        with self._run_lock:
            hidden = np.asarray(session.run(None, feeds)[0], dtype=np.float32)
        # Same pooling as chromadb's ONNXMiniLM_L6_V2._forward, so vectors agree with it.
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        counts = np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)
        return self._normalize((summed / counts).astype(np.float32))

    def _model_dir(self) -> Path:
        return Path(self.DOWNLOAD_PATH) / self.EXTRACTED_FOLDER_NAME

    def ensure_available(self) -> None:
        """Make sure the model files are here (chromadb downloads them once); else ModelUnavailable.

        Offline or behind a proxy, the download fails deep inside httpx with a long traceback; the
        person needs to know what is missing, where it must be and how to put it there.
        """
        try:
            self._download_model_if_not_exists()
        except Exception as exc:
            where = self._model_dir()
            shown = str(where).replace(str(Path.home()), "~", 1) + "/"
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else 'no detail'}"
            raise ModelUnavailable(
                f"the embedding model {self.MODEL_NAME} is missing from {shown} and could not be downloaded "
                f"({reason}). On a machine with internet, download {self.MODEL_DOWNLOAD_URL} and unpack it into "
                f"{str(Path(self.DOWNLOAD_PATH)).replace(str(Path.home()), '~', 1)}/ (it holds onnx/model.onnx and "
                "onnx/tokenizer.json), or copy that folder from a machine where Rapport has run; a proxy can be "
                "set with HTTPS_PROXY"
            ) from exc

    def _tokenizer(self) -> Tokenizer:
        with self._load_lock:
            if self._tok is None:
                self._tok = self._load_tokenizer()
            return self._tok

    def _onnx_session(self) -> Any:
        with self._load_lock:
            if self._session is None:
                self._session = self._load_session()
            return self._session

    def _load_tokenizer(self) -> Tokenizer:
        """tokenizer.json ships with truncation at 128 and fixed padding; we want neither."""
        self.ensure_available()
        tokenizer = Tokenizer.from_file(str(self._model_dir() / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer

    def _load_session(self, spinning: bool = False) -> Any:
        """One session, threads sized to this machine (chromadb leaves onnxruntime's default).

        onnxruntime's threads spin while they wait for work by default. On cores shared with the
        bot's other threads and other processes, as on any server, the spinning steals the CPU the
        work needs: a changed file's batch embedded 1.5x faster without it on a loaded machine
        (`bench/spinning.py`). Spinning changes nothing in the vectors (tested).
        """
        self.ensure_available()
        ort = self.ort
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = self._intra_op_threads or _default_threads()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        spin = "1" if spinning else "0"
        options.add_session_config_entry("session.intra_op.allow_spinning", spin)
        options.add_session_config_entry("session.inter_op.allow_spinning", spin)
        return ort.InferenceSession(
            str(self._model_dir() / "model.onnx"),
            sess_options=options,
            providers=self._providers(),
        )

    def _providers(self) -> list[str]:
        """Like chromadb: the preferred providers, else all available, minus slow CoreML."""
        available: list[str] = self.ort.get_available_providers()
        wanted = self._preferred_providers or available
        if not set(wanted) <= set(available):
            raise ValueError(f"preferred_providers must be among {available}")
        return [p for p in wanted if p != "CoreMLExecutionProvider"]


def _is_int(value: object, low: int, high: int | None = None) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    return value >= low and (high is None or value <= high)


def _split_span(text: str, span: Span, level: int, fits: Fits, cut: Callable[[Span], list[Span]]) -> list[Span]:
    """Spans covering `span` that each fit, cutting at the coarsest separator that works."""
    if fits(*span):
        return [span]
    if level == len(_SEPARATORS):
        return cut(span)
    start, end = span
    inner = (start + m.end() for m in re.finditer(_SEPARATORS[level], text[start:end]))
    cuts = sorted({start, end, *inner})
    spans: list[Span] = []
    for merged in _merge(cuts, fits):
        spans += _split_span(text, merged, level + 1, fits, cut)
    return spans


def _merge(cuts: list[int], fits: Fits) -> Iterator[Span]:
    """Greedily join neighbouring parts (cut at `cuts`) while the joined span still fits."""
    start, end = cuts[0], cuts[1]
    for cut in cuts[2:]:
        if fits(start, cut):
            end = cut
        else:
            yield start, end
            start, end = end, cut
    yield start, end


def _hard_cut(span: Span, fits: Fits) -> list[Span]:
    """Longest fitting prefixes, found by bisection; at least one character each to progress."""
    start, end = span
    spans: list[Span] = []
    while start < end:
        low, high = start + 1, end
        while low < high:
            mid = (low + high + 1) // 2
            low, high = (mid, high) if fits(start, mid) else (low, mid - 1)
        spans.append((start, low))
        start = low
    return spans


register_embedding_function(MiniLMEmbedding)  # type: ignore[no-untyped-call]
