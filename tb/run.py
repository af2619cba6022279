"""Run one cocotb system-test module on ``tb_top`` from the command line (replay a failure).

    python -m tb.run tb.sims.faults --test axi_error_on_rx_write_back --seed 7 --sim verilator

Every system-test failure (a checker, the watchdog, a scoreboard) prints such a
command; the seed reaches the test as ``DMANIC_SEED``. ``--env NAME=VALUE`` passes
more settings (``DMANIC_*``, see :class:`tb.scenario_config.ScenarioConfig`).
"""

from __future__ import annotations

import argparse
import sys

from tb.runner import (
    SIMULATORS,
    SYSTEM_TOPLEVEL,
    SimFailed,
    bfm_parameters,
    run_sim,
    system_sources,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("module", help="cocotb test module, for example tb.sims.faults")
    parser.add_argument("--test", action="append", default=[],
                        help="run only this cocotb test (repeatable; default: all)")
    parser.add_argument("--seed", default="", help="DMANIC_SEED for the tests")
    parser.add_argument("--sim", default=SIMULATORS[0], choices=SIMULATORS)
    parser.add_argument("--bfm", default="fast", choices=["fast", "reference"])
    parser.add_argument("--data-width", type=int, default=64, choices=[32, 64, 128, 256])
    parser.add_argument("--waves", action="store_true", help="write an FST of the run")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="more environment for the tests (repeatable)")
    args = parser.parse_args(argv)
    env = {"DMANIC_BFM": args.bfm}
    if args.seed:
        env["DMANIC_SEED"] = str(int(args.seed, 0))
    for item in args.env:
        name, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--env takes NAME=VALUE, not {item!r}")
        env[name] = value
    name = f"run_{args.module.rsplit('.', 1)[-1]}_{args.sim}"
    try:
        test_dir = run_sim(
            toplevel=SYSTEM_TOPLEVEL,
            test_module=args.module,
            build_name=name,
            sources=system_sources(),
            parameters={"DATA_WIDTH": args.data_width, **bfm_parameters(args.bfm)},
            testcase=args.test or None,
            extra_env=env,
            waves=args.waves,
            simulator=args.sim,
        )
    except SimFailed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    print(f"PASS: {args.module} ({test_dir})")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
