"""Named checks for a :class:`~archgym.DesignSpace`; :func:`check_space` runs them all.

Example:
    >>> from archgym import DesignSpace, Integer
    >>> from archgym.testing.space import check_space
    >>> check_space(DesignSpace([Integer("x", 0, 7)]))
"""

from __future__ import annotations

import numpy as np

from archgym.space import DesignSpace, InvalidDesignError
from archgym.testing._base import Check, fail, run_all


def check_encoding_round_trip(space: DesignSpace, *, samples: int = 32, seed: int = 0) -> None:
    """Sampled designs survive encode/decode, in both the index and the Box encoding."""
    for d in space.sample(np.random.default_rng(seed), samples):
        if space.decode(space.encode(d)) != space.validate(d):
            fail(f"encode/decode does not round-trip {d}")
        if space.decode_box(space.encode_box(d)) != space.decode(space.encode(d)):
            fail(f"box encode/decode does not round-trip {d}")


def check_box_reaches_every_value(space: DesignSpace, *, seed: int = 0) -> None:
    """Every value of every parameter has a bin of the Box encoding that decodes to it."""
    rng = np.random.default_rng(seed)
    for p in space.params:
        for i in range(p.cardinality):
            idx = space.encode(space.sample(rng))
            idx[space.names.index(p.name)] = i
            x = space.encode_box(space.decode(idx))
            if space.box_to_indices(x)[space.names.index(p.name)] != i:
                fail(f"value {p.values[i]!r} of {p.name!r} is unreachable from the Box encoding")


def check_unknown_parameter_refused(space: DesignSpace, *, seed: int = 0) -> None:
    """``validate`` refuses a design naming a parameter the space does not have."""
    try:
        space.validate({**space.sample(np.random.default_rng(seed)), "__not_a_parameter__": 0})
    except InvalidDesignError:
        pass
    else:
        fail("validate accepted a design with an unknown parameter")


CHECKS: tuple[Check, ...] = (
    check_encoding_round_trip,
    check_box_reaches_every_value,
    check_unknown_parameter_refused,
)


def checks(space: DesignSpace) -> list[Check]:
    """Every check in this module applies."""
    return list(CHECKS)


def check_space(space: DesignSpace, *, samples: int = 32, seed: int = 0) -> None:
    """Encode/decode round-trips, box bins reach every value, bad designs are refused."""
    run_all(checks(space), space, {"samples": samples, "seed": seed}, "space")
