# The two entry points of the README: `make demo` and `make test`. Both install what they need first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NPM_STAMP := node_modules/.embguard-installed

.PHONY: help install demo test typecheck

help:
	@echo "make demo   install everything, start the stack with the demo upstream, send a request through it"
	@echo "make test   install everything and run the whole test suite"

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NPM_STAMP)

install: $(NPM_STAMP)
	bash envoy/install.sh

typecheck: $(NPM_STAMP)
	npx tsc --noEmit -p tsconfig.json

demo: install
	control-plane/bin/embguard.js demo

test: install typecheck
	bash ci/install-system-deps.sh
	@mkdir -p .test-results
	npx vitest run --reporter=default --reporter=json --outputFile.json=.test-results/vitest.json; status=$$?; \
	  node ci/print-test-summary.mjs .test-results/vitest.json; exit $$status
