"""The moderation classifiers: committed adapters, chunking, batching, risk, and the commands."""

import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from moderation.classify import LABELS, TASKS, AdapterMissing, TaskResult, risk_of, score_text, score_texts
from moderation.classify.datasets import Example, clean_text, stratified_split
from moderation.classify.model import ADAPTER_WEIGHTS, LABEL_MAP, METRICS
from moderation.classify.runtime import classifier_for

DATA = Path(__file__).parent / "data" / "classify"


# --- risk -----------------------------------------------------------------------------------------


def test_hate_risk_is_hate_plus_half_offensive():
    assert risk_of("hate", {"hate": 0.2, "offensive": 0.6, "neither": 0.2}) == pytest.approx(0.5)


def test_mental_health_risk_is_self_harm_plus_half_distress():
    assert risk_of("mental_health", {"self_harm": 0.1, "distress": 0.8, "none": 0.1}) == pytest.approx(0.5)


def test_clickbait_risk_is_the_clickbait_probability():
    assert risk_of("clickbait", {"clickbait": 0.73, "not_clickbait": 0.27}) == pytest.approx(0.73)


def test_risk_stays_within_zero_and_one():
    assert risk_of("hate", {"hate": 1.0, "offensive": 0.0, "neither": 0.0}) == 1.0
    assert risk_of("mental_health", {"self_harm": 0.0, "distress": 0.0, "none": 1.0}) == 0.0


def test_risk_of_an_unknown_task_is_refused():
    with pytest.raises(ValueError, match="unknown classifier task"):
        risk_of("spam", {"spam": 1.0})


# --- committed adapters ---------------------------------------------------------------------------


@pytest.mark.parametrize("task", TASKS)
def test_committed_adapter_is_small_safetensors_with_label_map_and_metrics(task):
    folder = Path(__file__).resolve().parents[2] / "moderation" / "adapters" / task
    assert (folder / ADAPTER_WEIGHTS).stat().st_size < 5 * 1024 * 1024
    label_map = json.loads((folder / LABEL_MAP).read_text())
    assert tuple(label_map["labels"]) == LABELS[task]
    assert set(label_map["logit_offsets"]) == set(LABELS[task])
    metrics = json.loads((folder / METRICS).read_text())
    assert metrics["validation"]["n"] > 1000


def test_clickbait_adapter_tells_a_teaser_from_a_news_headline():
    teaser, news = score_texts(
        task="clickbait",
        texts=[
            "You Won't Believe What This Cat Did When Its Owner Came Home",
            "Parliament approves budget after overnight debate",
        ],
    )
    assert teaser.top_label == "clickbait"
    assert news.top_label == "not_clickbait"
    assert teaser.risk > 0.5 > news.risk


def test_hate_adapter_tells_hate_from_a_neutral_sentence():
    hateful = score_text(task="hate", text="all those filthy immigrants are vermin and should be wiped out")
    neutral = score_text(task="hate", text="I am going to the library this afternoon to return some books")
    insult = score_text(task="hate", text="shut up you stupid bitch")
    assert hateful.top_label == "hate"
    assert insult.top_label == "offensive"
    assert neutral.top_label == "neither"
    assert hateful.risk > insult.risk > neutral.risk


def test_mental_health_adapter_flags_suicidal_text_and_not_a_recipe():
    suicidal = score_text(
        task="mental_health",
        text="I can't do this anymore. I have written my goodbye letters and I want to end my life tonight.",
    )
    recipe = score_text(task="mental_health", text="Mix the flour and butter, then bake for twenty minutes.")
    anxious = score_text(
        task="mental_health", text="I have been so anxious about my exams that I can barely sleep or eat."
    )
    assert suicidal.top_label == "self_harm"
    assert anxious.top_label == "distress"
    assert recipe.top_label == "none"
    assert suicidal.risk > anxious.risk > recipe.risk


def test_result_carries_the_adapter_version_and_sums_to_one():
    result = score_text(task="clickbait", text="Ten Reasons Why Your Cat Secretly Loves You")
    assert isinstance(result, TaskResult)
    assert result.adapter_version.startswith("clickbait@")
    assert len(result.adapter_version) == len("clickbait@") + 12
    assert sum(result.probabilities.values()) == pytest.approx(1.0, abs=1e-4)
    assert result.top_probability == max(result.probabilities.values())
    assert result.chunks == 1
    assert result.combined == "single"


# --- chunking, batching, empty text ---------------------------------------------------------------


def _long_text() -> str:
    sentences = [
        f"On day {day} of the trip we walked along the river and talked about the old mill and its history."
        for day in range(1, 40)
    ]
    return " ".join(sentences)


def test_long_text_is_scored_in_overlapping_chunks_whose_offsets_slice_the_text():
    text = _long_text()
    result = score_text(task="hate", text=text)
    assert result.chunks == len(result.spans) > 1
    assert result.combined == f"max_risk_of_{result.chunks}_overlapping_chunks"
    for span in result.spans:
        assert span["text"] == text[span["start"] : span["end"]]
        assert span["text"].strip()
    by_position = sorted(result.spans, key=lambda span: span["start"])
    assert by_position[0]["start"] == 0
    assert by_position[-1]["end"] == len(text)
    for before, after in itertools.pairwise(by_position):
        assert after["start"] < before["end"]  # neighbours overlap
    assert [span["risk"] for span in result.spans] == sorted((span["risk"] for span in result.spans), reverse=True)
    # The worst chunk decides for hate.
    assert result.risk == pytest.approx(result.spans[0]["risk"], abs=1e-5)


def test_clickbait_combines_chunks_by_their_mean():
    result = score_text(task="clickbait", text=_long_text())
    assert result.combined == f"mean_of_{result.chunks}_overlapping_chunks"
    mean = sum(span["probabilities"]["clickbait"] for span in result.spans) / result.chunks
    assert result.probabilities["clickbait"] == pytest.approx(mean, abs=1e-5)


def test_batch_and_single_scoring_agree(settings):
    settings.MODERATION_CLASSIFIER_BATCH_SIZE = 3
    texts = [
        "Parliament approves budget after overnight debate",
        "19 Dogs Who Are Having A Worse Day Than You",
        _long_text(),
        "Storm closes schools across the region",
    ]
    batched = score_texts(task="clickbait", texts=texts)
    for text, together in zip(texts, batched, strict=True):
        alone = score_text(task="clickbait", text=text)
        assert alone.top_label == together.top_label
        assert alone.chunks == together.chunks
        for label in LABELS["clickbait"]:
            assert alone.probabilities[label] == pytest.approx(together.probabilities[label], abs=1e-4)


def test_the_model_loads_once_per_process():
    assert classifier_for("clickbait") is classifier_for("clickbait")


def test_concurrent_callers_get_the_same_results_as_one_caller():
    texts = ["Storm closes schools across the region", "12 Snacks You Need To Try Before You Die", _long_text()]
    expected = [r.probabilities for r in score_texts(task="clickbait", texts=texts)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda _: score_texts(task="clickbait", texts=texts), range(8)))
    for results in runs:
        for result, probabilities in zip(results, expected, strict=True):
            for label, value in probabilities.items():
                assert result.probabilities[label] == pytest.approx(value, abs=1e-4)


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_gets_the_negative_label_without_running_the_model(text):
    result = score_text(task="mental_health", text=text)
    assert result.chunks == 0
    assert result.combined == "empty"
    assert result.probabilities == {"self_harm": 0.0, "distress": 0.0, "none": 1.0}
    assert result.top_label == "none"
    assert result.risk == 0.0
    assert result.spans == []


def test_a_missing_adapter_folder_is_a_clear_error(tmp_path):
    with pytest.raises(AdapterMissing, match="train_adapter"):
        score_text(task="hate", text="hello", adapter_dir=tmp_path / "nowhere")


def test_an_incomplete_adapter_folder_is_a_clear_error(tmp_path):
    (tmp_path / "hate").mkdir()
    with pytest.raises(AdapterMissing, match="lacks"):
        score_text(task="hate", text="hello", adapter_dir=tmp_path / "hate")


def test_an_unknown_task_is_refused():
    with pytest.raises(ValueError, match="unknown classifier task"):
        score_text(task="spam", text="hello")


# --- corpora helpers ------------------------------------------------------------------------------


def test_cleaning_decodes_entities_and_masks_mentions_and_urls():
    assert clean_text("RT @bob: fish &amp; chips https://t.co/xyz  now") == "@user: fish & chips http now"


def test_stratified_split_is_deterministic_and_keeps_every_class():
    examples = [Example(f"text {i}", "a" if i % 4 else "b", "s") for i in range(200)]
    first = stratified_split(examples, 0.15, seed=7)
    second = stratified_split(list(examples), 0.15, seed=7)
    assert [e.text for e in first[1]] == [e.text for e in second[1]]
    assert {e.label for e in first[1]} == {"a", "b"}
    assert len(first[1]) == 30


# --- commands -------------------------------------------------------------------------------------


def test_evaluate_adapter_prints_a_final_json_line_with_the_figures():
    out = StringIO()
    call_command("evaluate_adapter", "--task", "clickbait", "--input", str(DATA / "clickbait_eval.csv"), stdout=out)
    report = json.loads(out.getvalue().strip().splitlines()[-1])
    assert report["n"] == 8
    assert {"macro_f1", "accuracy", "n", "per_class", "confusion_matrix"} <= set(report)
    assert set(report["per_class"]) == {"clickbait", "not_clickbait"}
    assert report["per_class"]["clickbait"]["support"] == 4
    assert set(report["per_class"]["clickbait"]) == {"precision", "recall", "f1", "support"}
    assert report["accuracy"] >= 0.75


def test_evaluate_adapter_refuses_a_csv_without_text_and_label_columns():
    with pytest.raises(CommandError, match=r"header must contain the columns text,label"):
        call_command("evaluate_adapter", "--task", "clickbait", "--input", str(DATA / "bad_header.csv"))


def test_evaluate_adapter_names_the_row_with_an_unknown_label():
    with pytest.raises(CommandError, match=r"row 3: unknown label 'maybe' for task clickbait"):
        call_command("evaluate_adapter", "--task", "clickbait", "--input", str(DATA / "bad_label.csv"))


def test_evaluate_adapter_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="input file not found"):
        call_command("evaluate_adapter", "--task", "hate", "--input", str(tmp_path / "none.csv"))


def test_train_adapter_writes_an_adapter_that_loads(tmp_path):
    output = tmp_path / "clickbait"
    out = StringIO()
    call_command(
        "train_adapter",
        "--task",
        "clickbait",
        "--data-dir",
        str(DATA / "corpus"),
        "--limit",
        "200",
        "--epochs",
        "1",
        "--output-dir",
        str(output),
        stdout=out,
    )
    assert (output / ADAPTER_WEIGHTS).is_file()
    label_map = json.loads((output / LABEL_MAP).read_text())
    assert label_map["labels"] == ["clickbait", "not_clickbait"]
    metrics = json.loads((output / METRICS).read_text())
    assert {"macro_f1", "accuracy", "n", "per_class", "confusion_matrix"} <= set(metrics["validation"])
    assert metrics["settings"]["epochs"] == 1
    assert metrics["train_seconds"] > 0
    result = score_text(task="clickbait", text="Floods close roads in the valley", adapter_dir=output)
    assert result.top_label in LABELS["clickbait"]
    assert result.adapter_version.startswith("clickbait@")
    assert "wrote" in out.getvalue()


def test_train_adapter_refuses_a_missing_corpus(tmp_path):
    with pytest.raises(CommandError, match="not found"):
        call_command(
            "train_adapter", "--task", "hate", "--data-dir", str(tmp_path), "--output-dir", str(tmp_path / "o")
        )
