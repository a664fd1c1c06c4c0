"""archgym's registry: Gymnasium sees every id through a serialisable spec; duplicates warn; typos get suggestions."""

from __future__ import annotations

import json

import gymnasium
import pytest

import archgym
from archgym.registry import UnknownEnvError, make_env, register_env, spec
from archgym.simulators.synthetic import Synthetic


@pytest.mark.parametrize("env_id", archgym.list_envs())
def test_every_id_has_a_json_gymnasium_spec(env_id: str) -> None:
    gym_spec = gymnasium.spec(env_id)
    assert gym_spec.entry_point == "archgym.registry:make_env"
    assert json.loads(gym_spec.to_json())["kwargs"] == {"env_id": env_id}


def test_gymnasium_make_passes_keyword_arguments_through() -> None:
    env = gymnasium.make("archgym/DRAM-v0", workload="stream")
    assert isinstance(env.unwrapped, archgym.DesignEnv)
    assert env.unwrapped.env_id == "archgym/DRAM-v0"
    with pytest.raises(archgym.WorkloadError, match="no-such-trace"):
        gymnasium.make("archgym/DRAM-v0", workload="no-such-trace")
    assert isinstance(make_env("archgym/Synthetic-v0"), archgym.DesignEnv)


def test_registering_an_existing_id_warns_and_replaces() -> None:
    first = register_env("test/Duplicate-v0", Synthetic, description="first")
    with pytest.warns(UserWarning, match="'test/Duplicate-v0'"):
        second = register_env("test/Duplicate-v0", Synthetic, description="second")
    assert spec("test/Duplicate-v0") is second is not first
    assert json.loads(gymnasium.spec("test/Duplicate-v0").to_json())["kwargs"] == {
        "env_id": "test/Duplicate-v0"
    }


def test_unknown_id_suggests_close_ones_and_lists_all() -> None:
    with pytest.raises(UnknownEnvError, match=r"did you mean 'archgym/DRAM-v0'") as err:
        archgym.make("archgym/DRAMM-v0")
    assert "archgym/SoC-v0" in str(err.value)


def test_unknown_id_without_a_close_one_just_lists_ids() -> None:
    with pytest.raises(UnknownEnvError, match="registered ids are") as err:
        spec("elsewhere/Nothing-v9")
    assert "did you mean" not in str(err.value)


def test_suggestions_ignore_case_and_the_namespace() -> None:
    with pytest.raises(UnknownEnvError, match=r"did you mean 'archgym/SoC-v0'\?"):
        spec("archgym/Soc-v0")
    with pytest.raises(UnknownEnvError, match=r"did you mean 'archgym/DRAM-v0'\?"):
        spec("DRAM-v0")
