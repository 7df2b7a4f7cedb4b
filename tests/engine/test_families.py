"""Each registered family is one folder: its torch-free part and the adapter the worker finds beside it."""

from __future__ import annotations

import pytest

from studio.engine.families import FAMILIES
from studio.engine.runtime.base import adapter, two_pass_adapter


@pytest.mark.parametrize("family_id", sorted(FAMILIES))
def test_the_worker_finds_each_family_s_adapter_in_its_folder(family_id):
    found = adapter(family_id)
    assert found.__name__ == f"studio.engine.families.{family_id}.adapter"
    assert callable(found.make_take)
    assert isinstance(found.CARRIES_LATENTS, bool)
    if FAMILIES[family_id].multiscale_keys is not None:
        assert callable(two_pass_adapter(family_id).load_upsampler)


def test_an_unregistered_family_is_refused_by_name():
    with pytest.raises(ValueError, match="cannot run the sora family"):
        adapter("sora")
