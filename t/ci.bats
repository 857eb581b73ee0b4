#!/usr/bin/env bats
# contrib/ci: what a policy repository runs in CI and before each commit.
# The workflow's own check and test steps and the pre-commit hook's own
# command line are run here, with the d4c-policy of this build, on a good
# and a bad policy repository. (GitHub Actions itself and pre-commit are not
# available here: their files are parsed, their commands run as they would.)

load helpers

bats_require_minimum_version 1.5.0

PY=/usr/bin/python3
WORKFLOW=contrib/ci/github-workflow.yaml
HOOKS=contrib/ci/pre-commit-hooks.yaml

setup() {
	common_setup
	$PY -c 'import yaml' 2>/dev/null || skip "/usr/bin/python3 lacks yaml (apt-get install python3-yaml)"
	# A policy repository as the workflow expects it: policies/ and tests/.
	mkdir -p "$T/good/policies" "$T/good/tests" "$T/bad/policies" "$T/bad/tests"
	cp "$top_srcdir/share/policies/default.yaml" "$T/good/policies/default.yaml"
	cp "$top_srcdir/share/policies/examples/interactive-shells.yaml" "$T/good/policies/"
	cat >"$T/good/tests/default.yaml" <<'YAML'
- case: a process started in a container is logged
  type: process
  operation: exec
  processExecutable: /bin/sh
  container: true
  actions: [log]
YAML
	cp "$T/good/policies/default.yaml" "$T/bad/policies/default.yaml"
	cat >"$T/bad/policies/broken.yaml" <<'YAML'
process:
  selectors:
    - name: shells
      operation: [exce]
  responses:
    - match: [shell]
      actions: [block]
YAML
	# A case that the default policy does not satisfy: no alert on exec.
	cat >"$T/bad/tests/default.yaml" <<'YAML'
- case: a process started in a container is alerted on (it is not)
  type: process
  operation: exec
  processExecutable: /bin/sh
  container: true
  actions: [log, alert]
YAML
}

# Prints the 'run' script of step ID $1 of the workflow's only job.
workflow_step() {
	$PY - "$top_srcdir/$WORKFLOW" "$1" <<'PY'
import sys, yaml
# 'on' is a YAML 1.1 boolean for PyYAML: read the keys as strings.
wf = yaml.load(open(sys.argv[1]), Loader=yaml.BaseLoader)
(job,) = wf["jobs"].values()
print(next(s["run"] for s in job["steps"] if s.get("id") == sys.argv[2]), end="")
PY
}

# Runs step $1 in directory $2 as GitHub runs 'shell: bash' steps, with the
# workflow's env.
run_step() {
	workflow_step "$1" >"$T/step-$1.sh"
	run --separate-stderr env -C "$2" POLICY_DIR=policies CASES_DIR=tests \
		bash --noprofile --norc -eo pipefail "$T/step-$1.sh"
}

# Checks that every line of $output is a well-formed GitHub workflow command
# (::error|::warning file=F,line=L,col=C,title=T::MESSAGE, properties and
# message escaped as the runner expects) for a file that exists in $1, at a
# line the file has.
assert_workflow_commands() {
	printf '%s\n' "$output" >"$T/commands"
	run $PY - "$1" "$T/commands" <<'PY'
import os, re, sys
base, bad = sys.argv[1], 0
# Property values: no raw ',' ':' CR LF, '%' only in the runner's escapes.
val = r"(?:[^,:%\r\n]|%25|%0D|%0A|%3A|%2C)*"
line_re = re.compile(r"^::(error|warning|notice) (file=%s(?:,line=[1-9][0-9]*,col=[1-9][0-9]*)?"
                     r"(?:,title=%s)?)::((?:[^%%\r\n]|%%25|%%0D|%%0A)+)$" % (val, val))
def unescape(s):
    for a, b in (("%3A", ":"), ("%2C", ","), ("%0D", "\r"), ("%0A", "\n"), ("%25", "%")):
        s = s.replace(a, b)
    return s
n = 0
for l in open(sys.argv[2], encoding="utf-8").read().splitlines():
    n += 1
    m = line_re.match(l)
    if not m:
        print("not a workflow command: %r" % l); bad += 1; continue
    props = dict(p.split("=", 1) for p in m.group(2).split(","))
    f = os.path.join(base, unescape(props["file"]))
    if not os.path.isfile(f):
        print("no such file %r in: %s" % (f, l)); bad += 1; continue
    if "line" in props and int(props["line"]) > len(open(f, "rb").read().splitlines()):
        print("line past the end of the file: %s" % l); bad += 1
print("%d commands, %d bad" % (n, bad))
sys.exit(1 if bad or n == 0 else 0)
PY
	assert_success
}

@test "the workflow parses, and runs check --format github and test on pushes and pull requests" {
	run $PY - "$top_srcdir/$WORKFLOW" <<'PY'
import sys, yaml
wf = yaml.load(open(sys.argv[1]), Loader=yaml.BaseLoader)
assert set(wf["on"]) == {"push", "pull_request"}, wf["on"]
assert wf["permissions"] == {"contents": "read"}, "least privilege for GITHUB_TOKEN"
(job,) = wf["jobs"].values()
assert job["container"] == "debian:12"
ids = [s.get("id") for s in job["steps"]]
assert "check" in ids and "test" in ids, ids
runs = {s.get("id"): s.get("run", "") for s in job["steps"]}
assert "d4c-policy check --format github" in runs["check"]
assert "d4c-policy test" in runs["test"]
for s in job["steps"]:
    assert ("uses" in s) != ("run" in s), s
    if "uses" in s:
        assert "@v" in s["uses"], "actions pinned to a version: " + s["uses"]
assert wf["env"]["D4C_REF"] and wf["env"]["D4C_REPOSITORY"]
print("ok")
PY
	assert_success
	assert_output ok
}

@test "the workflow's check step passes a good policy repository silently" {
	run_step check "$T/good"
	assert_success
	assert_output ""
}

@test "the workflow's check step fails a bad repository with one valid annotation per problem" {
	run_step check "$T/bad"
	assert_failure 1
	assert_line --index 0 "::error file=policies/broken.yaml,line=4,col=19,title=unknown-operation::unknown process operation 'exce' (did you mean 'exec'?)"
	assert_line --index 1 "::error file=policies/broken.yaml,line=6,col=15,title=unknown-selector::unknown process selector 'shell' (did you mean 'shells'?)"
	assert_line --index 2 "::error file=policies/broken.yaml,line=7,col=17,title=block-needs-alert::'block' requires 'alert' in the same response"
	[ "${#lines[@]}" -eq 3 ]
	assert_workflow_commands "$T/bad"
}

@test "annotations stay valid workflow commands for awkward file names and messages" {
	mkdir -p "$T/awk/policies"
	cp "$top_srcdir/t/corpus/invalid/072-control-characters-escaped.yaml" "$T/awk/policies/a,b:c%d.yaml"
	cp "$top_srcdir/t/corpus/invalid/058-many-selector-errors.yaml" "$T/awk/policies/many.yaml"
	cp "$top_srcdir/t/corpus/invalid/055-empty-file.yaml" "$T/awk/policies/empty.yaml"
	cp "$top_srcdir/t/corpus/valid/008-warning-unused-selector.yaml" "$T/awk/policies/warn.yaml"
	run_step check "$T/awk"
	assert_failure 1
	# (Kibana's editor ignores unknown keys: a warning, whose message escapes too)
	assert_line "::warning file=policies/a%2Cb%3Ac%25d.yaml,line=8,col=1,title=unknown-key::unknown top-level key 'pro\\x0acess' is ignored (did you mean 'process'?)"
	assert_line "::error file=policies/a%2Cb%3Ac%25d.yaml,line=11,col=7,title=no-conditions::process selector 'a\\x0ab' has no process conditions"
	assert_line "::error file=policies/empty.yaml,title=empty::empty policy: expected a mapping with 'file' and/or 'process'"
	assert_line --partial "::warning file=policies/warn.yaml,line=8,col=13,"
	assert_workflow_commands "$T/awk"
}

@test "the workflow's check step fails when there is no policy at all" {
	mkdir -p "$T/none/policies"
	run_step check "$T/none"
	assert_failure 1
	assert_output "::error::no policies under policies/"
}

@test "the workflow's test step passes good cases and fails a failing case, with TAP" {
	run_step test "$T/good"
	assert_success
	assert_line "1..1"
	assert_line --partial "ok 1 - a process started in a container is logged"
	run_step test "$T/bad"
	assert_failure 1
	assert_line --partial "not ok 1 - a process started in a container is alerted on"
}

@test "the workflow's test step reports cases without a policy" {
	cp "$T/bad/tests/default.yaml" "$T/good/tests/orphan.yaml"
	run_step test "$T/good"
	assert_failure 1
	assert_line "::error file=tests/orphan.yaml::no policy policies/orphan.yaml for these cases"
}

@test "the pre-commit hook parses, and its entry passes good policies and refuses bad ones" {
	run $PY - "$top_srcdir/$HOOKS" "$T" <<'PY'
import re, shlex, subprocess, sys, yaml
hooks = yaml.safe_load(open(sys.argv[1]))
(hook,) = hooks
assert hook["id"] == "d4c-policy-check"
assert hook["language"] == "system"
assert hook["entry"] == "d4c-policy check"
assert set(hook) <= {"id", "name", "description", "entry", "language", "files", "types",
                     "require_serial"}, hook
files = re.compile(hook["files"])
# pre-commit matches 'files' with re.search against paths from the repo root.
for p in ["policies/default.yaml", "policies/x.yml", "k8s/policies/x.yaml", "policies/team/x.yaml"]:
    assert files.search(p), p
for p in ["tests/default.yaml", "policies/README.md", "mypolicies/x.yaml", "x.yaml"]:
    assert not files.search(p), p
# pre-commit runs the entry, split as a shell would, with the staged files.
tmp = sys.argv[2]
def hook_rc(repo, names):
    return subprocess.run(shlex.split(hook["entry"]) + names, cwd=tmp + "/" + repo,
                          stdout=subprocess.DEVNULL).returncode
assert hook_rc("good", ["policies/default.yaml", "policies/interactive-shells.yaml"]) == 0
assert hook_rc("bad", ["policies/default.yaml", "policies/broken.yaml"]) == 1
print("ok")
PY
	assert_success
	assert_output ok
}

@test "the repository root's .pre-commit-hooks.yaml is the contrib/ci definition" {
	# pre-commit reads a hook repository's hooks from .pre-commit-hooks.yaml
	# at its root only; contrib/ci holds the documented copy.
	cmp "$top_srcdir/.pre-commit-hooks.yaml" "$top_srcdir/$HOOKS"
}
