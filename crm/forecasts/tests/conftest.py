import pytest

from .factories import make_pipeline


@pytest.fixture
def sales(db):
    """The default pipeline and its stages: lead 10 %, qualified 30 %, proposal 60 %,
    negotiation 80 %, won, lost."""
    pipeline, stages = make_pipeline()
    return pipeline, stages


@pytest.fixture
def stages(sales):
    return sales[1]
