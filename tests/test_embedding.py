"""MiniLMEmbedding gives chromadb's vectors, faster, and keeps the whole of long texts.

Needs the all-MiniLM-L6-v2 ONNX model in ~/.cache/chroma (chromadb downloads it on a machine
with internet; ../shared/models/seed-chroma-cache puts it there offline).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import chromadb
import numpy as np
import numpy.typing as npt
import pytest
from chromadb.api.types import Embeddings
from chromadb.utils.embedding_functions import DefaultEmbeddingFunction, known_embedding_functions

from bot.index.embedding import MODEL_WINDOW, MiniLMEmbedding

SHORT = [
    "2026-10-13 email out (Sam): Sent the wide-fit chart; she ordered size 39.",
    "Prefers calls after 4pm.",
    "",
    "Quarterly review went well, 12% up on last year. Wants a case study for the newsletter.",
    "ok",
]
TOPICS = [
    "Sam ordered the navy trainers in a wide fit and asked about returns for the old pair.",
    "The invoice for March listed forty units instead of twelve, so finance issued a credit note.",
    "Priya is travelling to Lyon in June and wants the samples delivered to her hotel there.",
    "The renewal call covered seat counts, the new pricing tier and a security questionnaire.",
]


def _with_tokens(ef: MiniLMEmbedding, base: str, tokens: int) -> str:
    """`base` padded with one-token words up to exactly `tokens` tokens."""
    text = base
    while ef.count_tokens(text) < tokens:
        text += " and"
    assert ef.count_tokens(text) == tokens
    return text


def _cosine(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    return float(np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y)))


def _cosines(a: Embeddings, b: Embeddings) -> list[float]:
    return [_cosine(x, y) for x, y in zip(a, b, strict=True)]


@pytest.fixture(scope="module")
def ef() -> MiniLMEmbedding:
    return MiniLMEmbedding(batch_size=2)  # small batches: several batches even in these tests


@pytest.fixture(scope="module")
def text_250(ef: MiniLMEmbedding) -> str:
    return _with_tokens(ef, " ".join(TOPICS * 3), 250)


@pytest.fixture(scope="module")
def long_text(ef: MiniLMEmbedding) -> str:
    paragraphs = [" ".join([topic] * 9) for topic in TOPICS]  # ~230 tokens each, one topic each
    return _with_tokens(ef, "\n\n".join(paragraphs), 1000)


@pytest.fixture(scope="module")
def mixed(text_250: str) -> list[str]:
    """Short and window-sized texts interleaved, so sorting by length reorders them."""
    return [SHORT[0], text_250, *SHORT[1:3], TOPICS[2], *SHORT[3:]]


@pytest.fixture(scope="module")
def reference(mixed: list[str]) -> Embeddings:
    return DefaultEmbeddingFunction()(mixed)  # one call: chromadb reloads its model per call


def test_matches_chromadb_default_on_a_mixed_batch(
    ef: MiniLMEmbedding, mixed: list[str], reference: Embeddings
) -> None:
    assert min(_cosines(ef(mixed), reference)) >= 0.9999


def test_matches_chromadb_default_one_text_at_a_time(
    ef: MiniLMEmbedding, mixed: list[str], reference: Embeddings
) -> None:
    singles = [ef([text])[0] for text in mixed]
    assert min(_cosines(singles, reference)) >= 0.9999


def test_threads_that_do_not_spin_give_the_same_vectors(ef: MiniLMEmbedding, mixed: list[str], long_text: str) -> None:
    """Spin-waiting is off in Rapport's session (faster on shared cores); the vectors are bit for bit
    those of onnxruntime's default spinning threads."""
    spinning = MiniLMEmbedding()
    spinning._session = spinning._load_session(spinning=True)
    texts = [*mixed, long_text]
    assert np.array_equal(np.asarray(ef(texts)), np.asarray(spinning(texts)))
    options = ef._onnx_session().get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert options.get_session_config_entry("session.inter_op.allow_spinning") == "0"


def test_250_token_text_matches(ef: MiniLMEmbedding, text_250: str, reference: Embeddings) -> None:
    assert ef.count_tokens(text_250) == 250
    assert _cosines(ef([text_250]), [reference[1]])[0] >= 0.9999


def test_order_is_preserved(ef: MiniLMEmbedding, mixed: list[str], long_text: str) -> None:
    texts = [*mixed, long_text]
    forward = ef(texts)
    backward = ef(texts[::-1])[::-1]
    for a, b in zip(forward, backward, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    np.testing.assert_allclose(forward[-1], ef([long_text])[0], atol=1e-5)


def test_vectors_are_unit_float32(ef: MiniLMEmbedding, mixed: list[str]) -> None:
    for vector in ef(mixed):
        assert isinstance(vector, np.ndarray)
        assert vector.dtype == np.float32
        assert vector.shape == (384,)
        assert abs(float(np.linalg.norm(vector)) - 1) < 1e-5


def test_long_text_is_not_truncated(ef: MiniLMEmbedding, long_text: str) -> None:
    """chromadb keeps only the first 256 tokens (the first topic); ours sees the last one too."""
    assert ef.count_tokens(long_text) == 1000
    [ours] = ef([long_text])
    [truncated] = DefaultEmbeddingFunction()([long_text])
    [last_topic] = ef([TOPICS[-1]])
    assert _cosines([ours], [truncated])[0] < 0.99
    assert np.dot(ours, last_topic) > np.dot(truncated, last_topic) + 0.1


def test_split_covers_the_text_in_fitting_pieces(ef: MiniLMEmbedding, long_text: str) -> None:
    pieces = ef.split_to_windows(long_text)
    assert len(pieces) >= 4
    assert all(ef.count_tokens(piece) <= MODEL_WINDOW for piece in pieces)
    assert "".join("".join(p.split()) for p in pieces) == "".join(long_text.split())


def test_split_prefers_paragraph_then_sentence_boundaries(ef: MiniLMEmbedding) -> None:
    paragraphs = [" ".join([topic] * 3) for topic in TOPICS]  # ~60 tokens each
    pieces = ef.split_to_windows("\n\n".join(paragraphs), max_tokens=160)
    assert pieces == ["\n\n".join(paragraphs[:2]), "\n\n".join(paragraphs[2:])]
    sentences = ef.split_to_windows(paragraphs[0], max_tokens=30)  # one sentence is 20
    assert sentences == [TOPICS[0]] * 3


def test_split_cuts_inside_text_without_spaces(ef: MiniLMEmbedding) -> None:
    text = "a.b," * 400 + " end."
    pieces = ef.split_to_windows(text, max_tokens=64)
    assert all(ef.count_tokens(piece) <= 64 for piece in pieces)
    assert "".join(pieces) == "".join(text.split())


def test_split_edge_cases(ef: MiniLMEmbedding) -> None:
    assert ef.split_to_windows("") == []
    assert ef.split_to_windows(" \n\n ") == []
    assert ef.split_to_windows("  short note ") == ["short note"]
    with pytest.raises(ValueError):
        ef.split_to_windows("text", max_tokens=2)


def test_empty_string_and_empty_batch(ef: MiniLMEmbedding, reference: Embeddings) -> None:
    assert ef.count_tokens("") == 2  # [CLS] [SEP]
    assert _cosines(ef([""]), [reference[3]])[0] >= 0.9999
    with pytest.raises(ValueError):  # chromadb rejects an empty list for every embedding function
        ef([])


def test_counter_counts_input_texts() -> None:
    ef = MiniLMEmbedding()
    assert ef.texts_embedded == 0
    ef(["one", "two", "three"])
    ef.embed_query(["four"])
    assert ef.texts_embedded == 4


def test_safe_to_share_between_threads(ef: MiniLMEmbedding, mixed: list[str]) -> None:
    expected = ef(mixed)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(ef, [mixed] * 4))
    for result in results:
        np.testing.assert_allclose(result, expected, atol=1e-5)


def test_construction_does_not_touch_the_model(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(MiniLMEmbedding, "DOWNLOAD_PATH", tmp_path / "models")
    MiniLMEmbedding()
    assert not (tmp_path / "models").exists()


def test_registered_and_rebuilt_from_config() -> None:
    ef = MiniLMEmbedding(batch_size=8, window_overlap=16, intra_op_threads=1)
    assert known_embedding_functions["rapport-minilm"] is MiniLMEmbedding
    config = json.loads(json.dumps(ef.get_config()))
    rebuilt = MiniLMEmbedding.build_from_config(config)
    assert isinstance(rebuilt, MiniLMEmbedding)
    assert rebuilt.get_config() == ef.get_config()
    assert not ef.is_legacy()


@pytest.mark.parametrize(
    "config",
    [{"batch_size": 0}, {"window_overlap": 254}, {"intra_op_threads": "2"}, {"colour": "red"}],
)
def test_bad_config_is_rejected(config: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        MiniLMEmbedding.validate_config(config)


def test_collection_reopens_with_its_embedding_function(tmp_path: Path) -> None:
    client = chromadb.PersistentClient(path=str(tmp_path))
    ef = MiniLMEmbedding(batch_size=4)
    # chromadb types the parameter as EmbeddingFunction[Embeddable], which no text-only EF matches.
    created = client.create_collection("notes", embedding_function=ef)  # type: ignore[arg-type]
    created.add(ids=["a", "b"], documents=[TOPICS[0], TOPICS[1]])
    reopened = client.get_collection("notes")  # no embedding_function=: rebuilt from config
    rebuilt = reopened.configuration["embedding_function"]
    assert isinstance(rebuilt, MiniLMEmbedding)
    assert rebuilt.get_config() == ef.get_config()
    hits = reopened.query(query_texts=["credit note for the wrong invoice"], n_results=1)
    assert hits["ids"] == [["b"]]


def test_the_model_files_are_known_by_the_names_chromadb_uses() -> None:
    # The front of `serve` checks for the model without importing chromadb (model_files.py).
    import inspect

    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    from bot.index import model_files

    assert model_files.model_dir() == Path(ONNXMiniLM_L6_V2.DOWNLOAD_PATH) / ONNXMiniLM_L6_V2.EXTRACTED_FOLDER_NAME
    checked = inspect.getsource(ONNXMiniLM_L6_V2._download_model_if_not_exists)
    assert all(f'"{name}"' in checked for name in model_files.FILES)
    MiniLMEmbedding().ensure_available()
    assert model_files.model_present()  # where the full check put the model, the quick one finds it
