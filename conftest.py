"""Settings for running the example notebooks under nbval (see pyproject's addopts).

- The sanitize file's path is made absolute, so pytest works from any folder (nbval opens the
  path as given, relative to where pytest started).
- nbval passes a cell that printed ``UsageError: ...`` (IPython shows a UsageError on stderr,
  not as an error: nbval #147), so such a cell fails here unless it is marked
  ``raises-exception`` / ``# NBVAL_RAISES_EXCEPTION``.
"""

from pathlib import Path

import pytest

SANITIZE = Path(__file__).parent / "tests" / "nbval_sanitize.cfg"


def pytest_configure(config):
    if hasattr(config.option, "nbval_sanitize_with") and not config.option.nbval_sanitize_with:
        config.option.nbval_sanitize_with = str(SANITIZE)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    for output in getattr(item, "test_outputs", None) or []:  # set on nbval's cell items
        if (output.get("name") == "stderr" and output.get("text", "").startswith("UsageError")
                and not item.options.get("check_exception")):
            pytest.fail(f"cell {item.cell_num}: {output['text'].strip()}", pytrace=False)
    return result
