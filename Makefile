# make sim   - build the engine with Icarus and run the default scenario
# make test  - run every test (model unit tests and simulations)
# Both set themselves up first: .venv with the pinned packages, and Debian's
# iverilog (installed when run as root with apt, otherwise named and stopped).

VENV    := .venv
PY      := $(VENV)/bin/python
HDL     := $(sort $(wildcard hdl/*.v))
TOP     := dma_engine
SIM_TOP := tb_top
SEED    ?=
WAVES   ?= 0
BFM     ?=
DATA_WIDTH ?=
COHERENT ?= 0
BUG     ?=
# empty: the scenario's own defaults (tb/scenario_config.py)
MEM_LATENCY ?=
TX      ?=
RX      ?=
BENCH_TX ?= 100
BENCH_RX ?= 100
PYTEST_ARGS ?=

export PYTHONDONTWRITEBYTECODE := 1
comma := ,

.PHONY: all setup sim test lint synth waves bench bench-bfm profile clean

all: test

# what the tests need besides Python: the simulator, the linter, the synthesizer.
# Checked on every run (cheap); the venv is rebuilt only when the pins change.
TOOLS := iverilog:iverilog verilator:verilator yosys:yosys
setup:
	@scripts/bootstrap.sh $(VENV) $(TOOLS)

sim: setup
	$(PY) -m tb.sim --seed "$(SEED)" --waves $(WAVES) $(if $(BFM),--bfm $(BFM)) \
		$(if $(DATA_WIDTH),--data-width $(DATA_WIDTH)) \
		$(if $(TX),--tx $(TX)) $(if $(RX),--rx $(RX)) $(if $(filter 1,$(COHERENT)),--coherent) \
		$(if $(MEM_LATENCY),--mem-latency $(MEM_LATENCY)) \
		$(foreach b,$(subst $(comma), ,$(BUG)),--driver-bug $(b))

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint:
	@scripts/bootstrap.sh $(VENV) iverilog:iverilog verilator:verilator
	iverilog -g2005 -Wall -Ihdl -o /dev/null -s $(TOP) $(HDL)
	verilator --lint-only -Wall -Ihdl --top-module $(TOP) $(HDL)

synth:
	@scripts/bootstrap.sh $(VENV) yosys:yosys
	scripts/synth.sh $(TOP) $(HDL)

waves:
	@scripts/bootstrap.sh $(VENV) gtkwave:gtkwave
	@test -f build/sim/$(SIM_TOP).fst || { echo "no waveform yet: run 'make sim WAVES=1' first" >&2; exit 1; }
	gtkwave build/sim/$(SIM_TOP).fst build/sim/$(SIM_TOP).gtkw

bench: setup
	$(PY) scripts/bench_pymodel.py

# both bus-model kinds on one seeded scenario, side by side (fast/reference ratio)
bench-bfm: setup
	$(PY) scripts/bench_bfm.py --seed $(or $(SEED),1) --tx $(BENCH_TX) --rx $(BENCH_RX) \
		$(if $(DATA_WIDTH),--data-width $(DATA_WIDTH))

# where Icarus spends its time, per always block (a developer tool)
profile: setup
	$(PY) scripts/profile_hdl.py

clean:
	rm -rf build sim_build .pytest_cache .hypothesis
