"""The README is executable: its set-up commands are CI's, and its Python examples run."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
TEXT = README.read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, flags=re.S)


def test_readme_opens_with_the_two_setup_commands_and_ci_runs_the_second():
    first_block = re.search(r"```bash\n(.*?)```", TEXT, flags=re.S).group(1).strip().splitlines()
    assert len(first_block) == 2
    install_and_run, test = first_block
    assert install_and_run.startswith("python3 -m pip install -e . && analyzer score data/samples")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci.splitlines()


@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)))
def test_readme_python_example_runs(index, shared_data, capsys):
    namespace: dict = {}
    exec(compile(PYTHON_BLOCKS[index], f"README.md python block {index}", "exec"), namespace)
    assert capsys.readouterr().out.strip(), "the example prints what it shows"


def test_readme_quality_per_language_table_is_the_shipped_models():
    from analyzer.train.languages import languages_table

    assert languages_table() in TEXT, "README's per-language table is stale: python -m analyzer.train.languages"
