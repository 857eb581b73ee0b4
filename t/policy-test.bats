#!/usr/bin/env bats
# d4c-policy test: unit tests for a policy, in CI, before it reaches a node.

load helpers

setup() {
	common_setup
	cat >"$T/policy.yaml" <<'YAML'
process:
  selectors:
    - name: allProcesses
      operation: [fork, exec]
    - name: shells
      operation: [exec]
      processName: [bash, sh]
    - name: nginx
      containerImageName: [nginx]
  responses:
    - match: [allProcesses]
      actions: [log]
    - match: [shells]
      exclude: [nginx]
      actions: [alert]
file:
  selectors:
    - name: etc
      operation: [createFile, modifyFile, deleteFile]
      targetFilePath: [/etc/**]
  responses:
    - match: [etc]
      actions: [alert, block]
YAML
}

@test "passing cases print TAP and exit 0" {
	cat >"$T/cases.yaml" <<'YAML'
- case: a shell in redis is logged and alerted
  type: process
  operation: exec
  processExecutable: /bin/bash
  processName: bash
  containerImageName: redis
  actions: [log, alert]
  selectors: [allProcesses, shells]
- case: a shell in nginx is only logged (excluded)
  type: process
  operation: exec
  processName: sh
  containerImageName: nginx
  actions: [log]
- case: writing under /etc is blocked
  type: file
  operation: modifyFile
  targetFilePath: /etc/passwd
  container: true
  actions: [alert, block]
- case: writing elsewhere does nothing
  type: file
  operation: modifyFile
  targetFilePath: /tmp/x
  actions: []
YAML
	run d4c-policy test "$T/policy.yaml" "$T/cases.yaml"
	assert_success
	assert_line --index 0 "TAP version 13"
	assert_line --index 1 "1..4"
	assert_line --index 2 "ok 1 - a shell in redis is logged and alerted ($T/cases.yaml:1)"
	assert_line --index 5 "ok 4 - writing elsewhere does nothing ($T/cases.yaml:21)"
}

@test "a mismatch is 'not ok' with what was expected and what came, and exit 1" {
	cat >"$T/cases.yaml" <<'YAML'
- case: wrong on purpose
  type: file
  operation: deleteFile
  targetFilePath: /etc/hosts
  actions: [alert]
YAML
	run d4c-policy test "$T/policy.yaml" "$T/cases.yaml"
	assert_failure 1
	assert_line "not ok 1 - wrong on purpose ($T/cases.yaml:1)"
	assert_line "#   expected actions [alert], got [alert, block]"
	assert_line "#   matched selectors [etc]"
}

@test "expected selectors are compared too" {
	cat >"$T/cases.yaml" <<'YAML'
- type: process
  operation: fork
  actions: [log]
  selectors: [allProcesses, shells]
YAML
	run d4c-policy test "$T/policy.yaml" "$T/cases.yaml"
	assert_failure 1
	assert_line "#   expected selectors [allProcesses, shells], got [allProcesses]"
}

@test "cases can be NDJSON, and the policy can be a compiled blob" {
	printf '%s\n' \
		'{"type":"process","operation":"exec","processName":"bash","actions":["log","alert"]}' \
		'' \
		'{"type":"file","operation":"createFile","targetFilePath":"/etc/x","actions":["alert","block"]}' \
		>"$T/cases.ndjson"
	run d4c-policy test "$T/policy.yaml" "$T/cases.ndjson"
	assert_success
	assert_line "ok 2 - file createFile /etc/x ($T/cases.ndjson:3)"
	d4c-policy compile -o "$T/policy.d4cp" "$T/policy.yaml"
	run d4c-policy test "$T/policy.d4cp" "$T/cases.ndjson"
	assert_success
}

@test "cases can come from stdin" {
	run sh -c "echo '{\"type\":\"process\",\"operation\":\"fork\",\"actions\":[\"log\"]}' | d4c-policy test '$T/policy.yaml' -"
	assert_success
	assert_line "ok 1 - process fork (<stdin>:1)"
}

@test "a bad cases file is reported with its position and exit 1" {
	printf '%s\n' '{"type":"process","operation":"frok","actions":[]}' '{"type":' >"$T/bad.ndjson"
	run d4c-policy test "$T/policy.yaml" "$T/bad.ndjson"
	assert_failure 1
	assert_line "$T/bad.ndjson:1:1: error: case needs a process 'operation' ('frok' is not one)"
	assert_line --partial "$T/bad.ndjson:2:"
	printf -- '- type: file\n  operation: createFile\n  targetFile: /etc/x\n  actions: []\n' >"$T/bad.yaml"
	run d4c-policy test "$T/policy.yaml" "$T/bad.yaml"
	assert_failure 1
	assert_output --partial "unknown case field 'targetFile'"
}

@test "an invalid policy is refused before any case runs" {
	printf 'process:\n  selectors: []\n  responses: []\n' >"$T/bad-policy.yaml"
	printf -- '- {type: process, operation: fork, actions: []}\n' >"$T/cases.yaml"
	run d4c-policy test "$T/bad-policy.yaml" "$T/cases.yaml"
	assert_failure 1
	refute_output --partial "TAP version"
}

@test "test usage errors exit 2" {
	run d4c-policy test "$T/policy.yaml"
	assert_failure 2
	run d4c-policy test "$T/policy.yaml" "$T/missing.yaml"
	assert_failure 2
	run d4c-policy test - -
	assert_failure 2
}

@test "readFile cases: a read of a named file matches, a selector without operation does not read" {
	cat >"$T/reads.yaml" <<'YAML'
file:
  selectors:
    - name: tokenRead
      operation: [readFile]
      targetFilePath: [/run/secrets/kubernetes.io/serviceaccount/**]
    - name: anyOperation
      targetFilePath: [/run/secrets/**]
  responses:
    - match: [tokenRead]
      actions: [alert]
    - match: [anyOperation]
      actions: [log]
YAML
	cat >"$T/cases.yaml" <<'YAML'
- case: a read of the token, under its dated directory, is alerted
  type: file
  operation: readFile
  targetFilePath: /run/secrets/kubernetes.io/serviceaccount/..2026_12_06/token
  actions: [alert]
  selectors: [tokenRead]
- case: a read elsewhere under /run/secrets is nothing
  type: file
  operation: readFile
  targetFilePath: /run/secrets/other/key
  actions: []
- case: a write of the token is the no-operation selector's only
  type: file
  operation: modifyFile
  targetFilePath: /run/secrets/kubernetes.io/serviceaccount/token
  actions: [log]
  selectors: [anyOperation]
YAML
	run d4c-policy test "$T/reads.yaml" "$T/cases.yaml"
	assert_success
	assert_line "ok 1 - a read of the token, under its dated directory, is alerted ($T/cases.yaml:1)"
	assert_line "ok 2 - a read elsewhere under /run/secrets is nothing ($T/cases.yaml:7)"
	assert_line "ok 3 - a write of the token is the no-operation selector's only ($T/cases.yaml:12)"
}

@test "rename cases: one event of both names (the new created, the old deleted), each decided on its own" {
	cat >"$T/moves.yaml" <<'YAML'
file:
  selectors:
    - name: intoWeb
      operation: [createFile]
      targetFilePath: [/srv/www/*]
    - name: anyDelete
      operation: [deleteFile]
    - name: fromUploads
      operation: [deleteFile]
      targetFilePath: [/srv/uploads/**]
  responses:
    - match: [intoWeb, anyDelete]
      exclude: [fromUploads]
      actions: [alert]
YAML
	cat >"$T/cases.yaml" <<'YAML'
- case: moved in from /tmp, both names match and the event is alerted
  type: file
  operation: createFile
  targetFilePath: /srv/www/shell.php
  renamedFrom: /tmp/shell.php
  actions: [alert]
  selectors: [intoWeb, anyDelete]
- case: moved in from the uploads, whose exclude holds for the old name only
  type: file
  operation: createFile
  targetFilePath: /srv/www/page.html
  renamedFrom: /srv/uploads/page.html
  actions: [alert]
  selectors: [intoWeb, anyDelete, fromUploads]
- case: moved within the uploads, excluded
  type: file
  operation: createFile
  targetFilePath: /srv/uploads/b.html
  renamedFrom: /srv/uploads/a.html
  actions: []
  selectors: [anyDelete, fromUploads]
- case: the same create without the rename is alerted
  type: file
  operation: createFile
  targetFilePath: /srv/www/page.html
  actions: [alert]
  selectors: [intoWeb]
YAML
	run d4c-policy test "$T/moves.yaml" "$T/cases.yaml"
	assert_success
	assert_line "ok 2 - moved in from the uploads, whose exclude holds for the old name only ($T/cases.yaml:8)"
	printf '%s\n' '{"type":"file","operation":"createFile","renamedFrom":"/tmp/x","actions":[]}' \
		'{"type":"process","operation":"exec","renamedFrom":"/tmp/x","actions":[]}' >"$T/bad.ndjson"
	run d4c-policy test "$T/moves.yaml" "$T/bad.ndjson"
	assert_failure 1
	assert_line "$T/bad.ndjson:1:1: error: 'renamedFrom' needs 'targetFilePath' (the new name)"
	assert_line "$T/bad.ndjson:2:1: error: a process case has no file fields"
}
