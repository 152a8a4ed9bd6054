# Every target installs what it needs on a fresh machine (venv + pip install -e).
VENV   ?= .venv
PY     := $(VENV)/bin/python
TOURNEY := $(VENV)/bin/tourney
EXTRAS ?= all
STAMP  := $(VENV)/.install-stamp
JOBS   ?= -1

.PHONY: install run test bench reproduce mixed clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

install: $(STAMP)

## make run: play the quickstart league on every core and print the table
run: install
	$(TOURNEY) run leagues/quickstart.yaml -j $(JOBS)

## make chromium: headless Chromium for the HTML report test (Debian package; apt-get as root, once)
.PHONY: chromium
chromium:
	command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

## make test: the test suite (slow reproductions excluded); includes the smoke baseline check
test: install chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q

## make bench: benchmarks (not part of the test suite)
bench: install
	$(PY) bench/bench_bilateral.py
	$(PY) bench/bench_negotiation.py
	$(PY) bench/bench_bidding.py --jobs 2
	$(PY) bench/bench_emarket.py
	$(PY) bench/bench_llm.py
	$(PY) bench/bench_scale.py
	$(PY) bench/bench_report.py

## make reproduce: every paper reproduction (long), in the order of REPRODUCTION.md, under one reproduction id,
## each timed; then REPRODUCTION.md with the total time
REPRODUCTIONS := reproduce-insight reproduce-anegma-a reproduce-anegma reproduce-consumer reproduce-godfather \
	reproduce-ihelp
reproduce: install
	@echo "make reproduce: reproduction id $$TOURNEY_REPRODUCE_ID"
	$(PY) -m tourney.reproduce.sequence $(REPRODUCTIONS)
	$(PY) -m tourney.reproduce.collect .

# One reproduction id per `make` invocation, written into every run's manifest (the collector
# refuses runs of another); one given in the environment wins, so the `make reproduce-*` that
# `make reproduce` runs share its id.
ifeq ($(origin TOURNEY_REPRODUCE_ID),undefined)
REPRODUCE_ID := $(shell date -u +%Y%m%dT%H%M%SZ)-$(shell od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
else
REPRODUCE_ID := $(TOURNEY_REPRODUCE_ID)
endif
reproduce reproduce-%: export TOURNEY_REPRODUCE_ID = $(REPRODUCE_ID)

## make mixed: the headline league, every player family in one bilateral round robin
mixed: install
	$(TOURNEY) run leagues/mixed.yaml -j $(JOBS) --plot

## make reproduce-anegma-a: ANEGMA Hypothesis A (CONAN over the 81 e-market settings, Figures 2-3) and Table 4 (CONAN vs Williams)
.PHONY: reproduce-anegma-a
reproduce-anegma-a: install
	$(TOURNEY) run leagues/anegma-hypothesis-a.yaml -j $(JOBS) --fresh --quiet
	$(TOURNEY) reproduce anegma-a results/anegma-hypothesis-a
	$(TOURNEY) run leagues/anegma-table4.yaml -j $(JOBS) --fresh --quiet
	$(TOURNEY) reproduce anegma-table4 results/anegma-table4
	$(PY) -m tourney.reproduce.collect . --section "make reproduce-anegma-a"

## make reproduce-insight: INSIGHT Figures 3-7, every claim judged over seeds, the paper's game beside the
## never-raise restriction (learn the two exploit-only tables, run the three leagues, write the report and its
## REPRODUCTION.md section)
.PHONY: reproduce-insight
reproduce-insight: install
	$(TOURNEY) train insight --price-range 11 100 --episodes 100000 --seed 11 \
		--out results/insight-tables/one-seller-11-100.json
	$(TOURNEY) train insight --price-range 11 100 --episodes 100000 --seed 11 --never-raise \
		--out results/insight-tables/one-seller-11-100-never-raise.json
	$(TOURNEY) run leagues/insight-one-seller.yaml -j $(JOBS) --fresh --quiet
	$(TOURNEY) run leagues/insight-two-seller.yaml -j $(JOBS) --fresh --quiet
	$(TOURNEY) run leagues/insight-two-seller-never-raise.yaml -j $(JOBS) --fresh --quiet
	$(TOURNEY) reproduce insight-one-seller results/insight-one-seller
	$(TOURNEY) reproduce insight-two-seller results/insight-two-seller
	$(TOURNEY) reproduce insight-two-seller results/insight-two-seller-never-raise
	$(PY) -m tourney.reproduce.collect . --section "make reproduce-insight"

## make reproduce-ihelp: I-Help Tables 16.1-16.2 and claims over 20 scenario seeds (approaches 1-3, sessions S1-S3,
## five preference combinations), the setting checks on calibration seeds, then its REPRODUCTION.md section
.PHONY: reproduce-ihelp
reproduce-ihelp: install
	$(TOURNEY) run leagues/ihelp.yaml -j $(JOBS) --fresh --quiet
	$(PY) -m tourney.reproduce.ihelp_setting results/ihelp
	$(TOURNEY) reproduce ihelp results/ihelp
	$(PY) -m tourney.reproduce.collect . --section "make reproduce-ihelp"

## make reproduce-godfather: Godfather (empirical, GBM) vs the 2021 OneShot baselines on competition-sized worlds
## (50-200 days), table beside the paper's, every claim judged over configs, then its REPRODUCTION.md section
.PHONY: reproduce-godfather train-godfather
reproduce-godfather: install
	$(TOURNEY) run leagues/godfather.yaml -j $(JOBS) --fresh --quiet
	$(TOURNEY) reproduce godfather results/godfather
	$(PY) -m tourney.reproduce.collect . --section "make reproduce-godfather"

## make reproduce-consumer: the consumer-market study (20 products x 5 budgets x 30 turns, SmolLM2 vs rule-based
## controls) and its OpenAI-compatible twin, replayed from the committed reply cache with zero model calls, tables and
## claims, then its REPRODUCTION.md section (with the cold runs' durations); reproduce-consumer-fresh asks the model
CONSUMER_CACHE := results/consumer/players/llm-cache.sqlite
CONSUMER_SHIPPED := results/baselines/consumer
.PHONY: reproduce-consumer reproduce-consumer-fresh
# the shipped cold run of league $(1) beside its replay, for the report's cold-vs-cached line
# (none shipped: the report says so)
consumer_cold = if test -f $(CONSUMER_SHIPPED)/$(1).cold-manifest.json; then \
	cp $(CONSUMER_SHIPPED)/$(1).cold-manifest.json results/$(1)/cold-manifest.json && \
	cp $(CONSUMER_SHIPPED)/$(1).cold-scores.csv results/$(1)/cold-scores.csv; fi
reproduce-consumer: install
	$(PY) -m players.llm.cache unpack $(CONSUMER_SHIPPED)/llm-cache.jsonl.gz $(CONSUMER_CACHE)
	TOURNEY_LLM_REPLAY=1 $(TOURNEY) run leagues/consumer.yaml -j $(JOBS) --fresh --quiet
	$(call consumer_cold,consumer)
	$(TOURNEY) reproduce consumer results/consumer
	TOURNEY_LLM_REPLAY=1 $(PY) -m players.llm.local_endpoint leagues/consumer-openai.yaml --out results/consumer-openai \
		--replay -- -j 1 --fresh --quiet
	$(call consumer_cold,consumer-openai)
	$(TOURNEY) reproduce consumer results/consumer-openai
	TOURNEY_LLM_REPLAY=1 $(TOURNEY) run leagues/consumer-models.yaml -j $(JOBS) --fresh --quiet
	$(call consumer_cold,consumer-models)
	$(TOURNEY) reproduce consumer results/consumer-models
	$(PY) -m tourney.reproduce.collect . --section "make reproduce-consumer"

## make reproduce-consumer-fresh: the same leagues with an empty cache (every reply from the model; the local
## llama.cpp server for the OpenAI twin), then ship the new cache and the cold runs' manifests and tables
reproduce-consumer-fresh: install
	rm -f $(CONSUMER_CACHE) $(CONSUMER_CACHE)-wal $(CONSUMER_CACHE)-shm
	$(TOURNEY) run leagues/consumer.yaml -j $(JOBS) --out results/consumer-fresh --fresh --quiet
	$(PY) -m players.llm.local_endpoint leagues/consumer-openai.yaml --out results/consumer-openai-fresh -- -j 1 --fresh --quiet
	$(PY) -m pip install --quiet -e ".[llm-qwen]"
	$(TOURNEY) run leagues/consumer-models.yaml -j $(JOBS) --out results/consumer-models-fresh --fresh --quiet
	$(PY) -m players.llm.cache pack $(CONSUMER_CACHE) $(CONSUMER_SHIPPED)/llm-cache.jsonl.gz
	cp results/consumer-fresh/manifest.json $(CONSUMER_SHIPPED)/consumer.cold-manifest.json
	cp results/consumer-fresh/scores.csv $(CONSUMER_SHIPPED)/consumer.cold-scores.csv
	cp results/consumer-openai-fresh/manifest.json $(CONSUMER_SHIPPED)/consumer-openai.cold-manifest.json
	cp results/consumer-openai-fresh/scores.csv $(CONSUMER_SHIPPED)/consumer-openai.cold-scores.csv
	cp results/consumer-models-fresh/manifest.json $(CONSUMER_SHIPPED)/consumer-models.cold-manifest.json
	cp results/consumer-models-fresh/scores.csv $(CONSUMER_SHIPPED)/consumer-models.cold-scores.csv
	$(MAKE) reproduce-consumer

## make train-godfather: regenerate Godfather's shipped GBM models from self-play OneShot worlds drawn as the
## 2021 competition draws them (50-200 days, 2 levels of 5-6 factories); held-out scores in players/godfather/models/meta.json
train-godfather: install
	$(TOURNEY) train godfather --worlds 6 --days 50 200 --seed 2021 -j $(JOBS)

## make train-ddpg: regenerate the shipped ANEGMA checkpoints (ANN-C/W by supervision, then DDPG;
## one set trained against Conceder sellers, one against Relative TFT sellers), once per training seed:
## the paper's budgets (500 teacher simulations per ANN, 500 DDPG simulations per agent); seed 1 writes
## ann-c.pt ..., seed N > 1 ann-c.sN.pt ... (league players NAME.sN, `tourney reproduce anegma-ddpg` judges over seeds)
DDPG_DIR := players/ddpg/checkpoints
DDPG_SL_EPISODES ?= 500
DDPG_RL_EPISODES ?= 500
DDPG_SEEDS ?= 1 2 3
DDPG_SEED ?= 1
DDPG_SUFFIX ?=
DDPG_TRAIN = $(TOURNEY) train ddpg --quiet --seed $(DDPG_SEED)
DDPG_CHECKPOINTS := \
	$(foreach n,ann-c ann-w ann-c+rl ann-w+rl rl,$(n)$(DDPG_SUFFIX) $(n)-rtft$(DDPG_SUFFIX))
D := $(DDPG_DIR)
X := $(DDPG_SUFFIX)
.PHONY: train-ddpg ddpg-checkpoints reproduce-anegma
train-ddpg: install
	rm -f $(DDPG_DIR)/*.pt $(DDPG_DIR)/*.png
	for seed in $(DDPG_SEEDS); do \
	  suffix=$$( [ $$seed = 1 ] || echo .s$$seed ); \
	  $(MAKE) -j2 ddpg-checkpoints DDPG_SEED=$$seed DDPG_SUFFIX=$$suffix || exit 1; \
	done
ddpg-checkpoints: $(addprefix $(DDPG_DIR)/,$(addsuffix .pt,$(DDPG_CHECKPOINTS)))
$(D)/ann-c$(X).pt $(D)/ann-c-rtft$(X).pt: TEACHER = conan
$(D)/ann-w$(X).pt $(D)/ann-w-rtft$(X).pt: TEACHER = williams
$(D)/%-rtft$(X).pt: LEAGUE = leagues/anegma-train-rtft.yaml
$(D)/%.pt: LEAGUE ?= leagues/anegma-train.yaml
$(D)/ann-c$(X).pt $(D)/ann-w$(X).pt $(D)/ann-c-rtft$(X).pt $(D)/ann-w-rtft$(X).pt:
	$(DDPG_TRAIN) --league $(LEAGUE) --teacher $(TEACHER) --episodes $(DDPG_SL_EPISODES) --out $@
$(D)/ann-c+rl$(X).pt: $(D)/ann-c$(X).pt
$(D)/ann-w+rl$(X).pt: $(D)/ann-w$(X).pt
$(D)/ann-c+rl-rtft$(X).pt: $(D)/ann-c-rtft$(X).pt
$(D)/ann-w+rl-rtft$(X).pt: $(D)/ann-w-rtft$(X).pt
$(D)/ann-c+rl$(X).pt $(D)/ann-w+rl$(X).pt $(D)/ann-c+rl-rtft$(X).pt $(D)/ann-w+rl-rtft$(X).pt:
	$(DDPG_TRAIN) --league $(LEAGUE) --init $< --episodes $(DDPG_RL_EPISODES) --out $@
$(D)/rl$(X).pt $(D)/rl-rtft$(X).pt:
	$(DDPG_TRAIN) --league $(LEAGUE) --init random --episodes $(DDPG_RL_EPISODES) --out $@

## make calibrate-anegma: fix the e-market's free rules on Table 4's CONAN/Williams cells (run once;
## the result is frozen in leagues/anegma-*.yaml)
.PHONY: calibrate-anegma
calibrate-anegma: install
	$(PY) -m tourney.reproduce.anegma_calibrate --sims 25 -j 2 --out results/anegma-calibration

## make reproduce-anegma: ANEGMA Tables 5-7 (ANN vs ANEGMA(SL+RL) vs ANEGMA(RL), transfer) from the shipped checkpoints
reproduce-anegma: install
	$(TOURNEY) run leagues/anegma-ddpg.yaml -j $(JOBS) --fresh --quiet
	$(TOURNEY) run leagues/anegma-ddpg-adapt.yaml -j $(JOBS) --fresh --quiet
	$(TOURNEY) reproduce anegma-ddpg results/anegma-ddpg
	$(PY) -m tourney.reproduce.collect . --section "make reproduce-anegma"
clean:
	rm -rf results/quickstart results/smoke build *.egg-info
