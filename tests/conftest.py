"""Shared pytest fixtures: system simulations run once per session, whoever asks first.

``system_runs(simulator, module, bfm=..., data_width=..., ...)`` runs one cocotb
test module on ``tb_top`` (``parameters=``: more tb_top parameters) and returns its
fingerprints (``tb.env.FINGERPRINT_FILE``);
the same request later in the session gets the same result without simulating
again, so the system tests under Icarus and the simulator-agreement tests share
their Icarus runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from tb.runner import (
    SYSTEM_TOPLEVEL,
    SimFailed,
    bfm_parameters,
    read_fingerprints,
    run_sim,
    system_sources,
)

SystemRuns = Callable[..., list[dict[str, object]]]


@pytest.fixture(scope="session")
def system_runs() -> SystemRuns:
    cache: dict[tuple[Any, ...], list[dict[str, object]] | SimFailed] = {}

    def run(
        simulator: str,
        module: str,
        *,
        bfm: str = "fast",
        data_width: int = 64,
        testcase: Sequence[str] | None = None,
        extra_env: dict[str, str] | None = None,
        parameters: dict[str, int] | None = None,
    ) -> list[dict[str, object]]:
        env = {"DMANIC_BFM": bfm, **(extra_env or {})}
        params = {"DATA_WIDTH": data_width, **bfm_parameters(bfm), **(parameters or {})}
        key = (simulator, module, bfm, data_width, tuple(testcase or ()),
               tuple(sorted(env.items())), tuple(sorted(params.items())))
        if key not in cache:
            name = f"{module.rsplit('.', 1)[-1]}_{bfm}_w{data_width}_{simulator}"
            if extra_env:
                name += "_" + hashlib.sha1(repr(sorted(extra_env.items())).encode()).hexdigest()[:8]
            if parameters:
                digest = hashlib.sha1(repr(sorted(parameters.items())).encode()).hexdigest()
                name += "_p" + digest[:8]
            try:
                test_dir = run_sim(
                    toplevel=SYSTEM_TOPLEVEL,
                    test_module=module,
                    build_name=name,
                    sources=system_sources(),
                    parameters=params,
                    testcase=list(testcase) if testcase else None,
                    extra_env=env,
                    simulator=simulator,
                )
                cache[key] = read_fingerprints(test_dir)
            except SimFailed as exc:
                cache[key] = exc
        result = cache[key]
        if isinstance(result, SimFailed):
            raise result
        return result

    return run
