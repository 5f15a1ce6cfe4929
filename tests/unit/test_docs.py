import os

from flows import docs
from tests.conftest import ROOT


def test_readme_pipeline_section_mirrors_the_table_declarations():
    with open(os.path.join(ROOT, "README.md")) as fh:
        readme = fh.read()
    assert docs.pipeline_markdown() in readme, \
        "README's pipeline section is stale: python -m flows.docs --update README.md"
