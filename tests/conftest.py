import copy
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(ROOT, "clouds", "seed.yaml")


@pytest.fixture
def seed_raw():
    """The seed cloud as a plain mapping, to mutate into bad variants."""
    with open(SEED) as fh:
        return copy.deepcopy(yaml.safe_load(fh))


@pytest.fixture
def seed_cloud():
    from cloud import schema
    return schema.load(SEED)


@pytest.fixture
def write_cloud(tmp_path):
    def write(raw, name="cloud.yaml"):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(raw, sort_keys=False))
        return str(path)
    return write
