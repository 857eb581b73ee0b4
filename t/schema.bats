#!/usr/bin/env bats
# share/schema/policy.schema.json: the JSON Schema editors use (through the
# YAML language server) to flag policy mistakes as they are typed. It must
# accept every policy d4c ships or accepts, and reject what a schema can
# express of what `d4c-policy check` refuses. t/schema-validate.py reads
# YAML as editors and d4c do (YAML 1.2 core scalars: 'yes' is a string).

load helpers

bats_require_minimum_version 1.5.0

PY=/usr/bin/python3

setup() {
	common_setup
	SCHEMA="$top_srcdir/share/schema/policy.schema.json"
	VALIDATE="$top_srcdir/t/schema-validate.py"
	$PY -c 'import jsonschema, yaml' 2>/dev/null ||
		skip "/usr/bin/python3 lacks jsonschema or yaml (apt-get install python3-jsonschema python3-yaml)"
}

# Every invalid corpus file, classified. A file added to or removed from
# t/corpus/invalid/ fails the last tests below until it is classified here.
#
# schema: the schema rejects it; the text after the second '|' must appear in
#         the validator's output (it shows the rejection is for that reason).
# semantic: the schema accepts it; only d4c-policy check can tell (the
#         reason says why a JSON Schema cannot).
# yaml: the YAML reader refuses it before any schema applies (editors show
#         these as YAML errors).
# warn: Kibana's editor takes it, and so do the schema and d4c-policy check,
#         which warns (an error only under --strict).
CLASSES='
001|yaml|syntax error|while parsing a flow sequence
002|yaml|aliases are refused (never expanded)|alias is not allowed
003|yaml|duplicate keys|duplicate key
004|warn|unknown top-level keys: Kibana takes them, d4c ignores them
005|schema|unknown key under file/process, and responses missing|is a required property
006|schema|unknown selector keys, one selector left without a condition|is not valid under any of the given schemas
007|schema|unknown response key, actions missing|'"'"'actions'"'"' is a required property
008|schema|a string where a list is expected|is not of type '"'"'array'"'"'
009|schema|a mapping where a list is expected|is not of type '"'"'array'"'"'
010|schema|a list or mapping where a boolean is expected|is not of type '"'"'boolean'"'"'
011|schema|yes, on, 1 and "true" are not booleans|'"'"'yes'"'"' is not of type '"'"'boolean'"'"'
012|schema|empty lists|[] is too short
013|schema|empty values (null)|None is not of type
014|schema|selector without name|'"'"'name'"'"' is a required property
015|schema|response without match or actions|'"'"'match'"'"' is a required property
016|schema|file/process without selectors or responses|'"'"'selectors'"'"' is a required property
017|schema|file/process empty or a list|is not of type '"'"'object'"'"'
018|schema|selector with a name only (anyOf required)|is not valid under any of the given schemas
019|warn|selector name characters: only Kibana'"'"'s form view refuses them
020|warn|selector name starting with _: only Kibana'"'"'s form view refuses it
021|schema|selector name over 128 bytes (maxLength; characters, which are bytes for ASCII)|is too long
022|warn|duplicate selector names: Kibana takes them, responses name the first
023|schema|unknown file operation (enum)|'"'"'createExecutables'"'"' is not one of
024|schema|unknown process operation (enum)|'"'"'forks'"'"' is not one of
025|schema|operation of the other type (separate enums)|'"'"'exec'"'"' is not one of
026|semantic|match names an undefined selector: a reference to other data
027|semantic|exclude names an undefined selector: a reference to other data
028|semantic|match names a selector of the other type: a reference to other data
029|schema|block without alert (if/then), unknown actions (enum)|'"'"'deny'"'"' is not one of
030|semantic|blocking file writes through a selector without targetFilePath: depends on the selectors a response names
031|schema|containerImageFullName with containerImageName (not required both)|should not be valid under
032|warn|processExecutable with processName: Kibana'"'"'s YAML editor takes the pair
033|schema|ignoreVolumeMounts with ignoreVolumeFiles (not required both)|should not be valid under
034|warn|file conditions in a process selector: keys Kibana ignores
035|warn|process conditions in a file selector: keys Kibana ignores
036|schema|relative paths (pattern)|'"'"'./run'"'"' does not match
037|schema|* inside a path segment (pattern)|'"'"'/home/**/.ssh'"'"' does not match
038|schema|* glued to a name at the end of a path (pattern)|'"'"'/usr/sbin*'"'"' does not match
039|schema|trailing / and / alone (pattern)|'"'"'/'"'"' does not match
040|schema|// in a path (pattern)|'"'"'/usr//bin/*'"'"' does not match
041|warn|. and .. components: Kibana'"'"'s pattern takes them, they never match
042|schema|full image name with tag or digest (pattern)|'"'"'docker.io/nginx@sha256:0123abcd'"'"' does not match
043|schema|image names (pattern)|'"'"'ng..inx'"'"' does not match
044|warn|image tags: free-form to Kibana
045|warn|namespaces: free-form to Kibana
046|warn|pod names: free-form to Kibana
047|schema|pod labels (pattern)|'"'"'my_prefix/name:web'"'"' does not match
048|schema|processName over 15 (maxLength; characters, which are bytes for ASCII)|'"'"'systemd-resolved'"'"' is too long
049|schema|path over 255 (maxLength)|is too long
050|schema|value over 511 (maxLength)|is too long
051|schema|65 selectors (maxItems 63: the other list needs at least one)|is too long
052|semantic|60 selectors + 5 responses: the limit is on the sum of two lists
053|schema|top level is a list|is not of type '"'"'object'"'"'
054|schema|top level is a string|is not of type '"'"'object'"'"'
055|schema|empty document (null)|None is not of type '"'"'object'"'"'
056|schema|neither file nor process (anyOf required)|is not valid under any of the given schemas
057|yaml|more than one document|expected a single document
058|schema|many selector errors|'"'"'open'"'"' is not one of
059|schema|many response errors|'"'"'lgo'"'"' is not one of
060|schema|errors at every level|'"'"'createfile'"'"' is not one of
061|schema|selectors and responses that are not mappings|is not of type '"'"'object'"'"'
062|schema|version a mapping|is not of type '"'"'string'"'"'
063|yaml|non-scalar mapping key|non-scalar mapping key
064|semantic|NUL in a quoted value: d4c'"'"'s YAML reader refuses it; JSON strings may hold U+0000
065|schema|deep nesting where a mapping is expected|is not of type '"'"'object'"'"'
066|warn|* not at the end of name-like values: free-form to Kibana, matched as itself
067|schema|lists and mappings as list items|is not of type '"'"'string'"'"'
068|yaml|duplicate top-level keys|duplicate key
069|schema|// before a final /** (pattern)|'"'"'/var/lib//**'"'"' does not match
070|schema|full image name ending in / (pattern)|'"'"'docker.io/nginx/'"'"' does not match
071|yaml|duplicate keys in several mappings|duplicate key
072|schema|unknown keys with a control character, one selector left without a condition|is not valid under any of the given schemas
073|semantic|blocking file writes through a selector without targetFilePath: depends on the selectors a response names
074|schema|misspelled operation (enum)|'"'"'createExecutabel'"'"' is not one of
075|schema|misspelled selectors key|'"'"'selectors'"'"' is a required property
076|yaml|tab in indentation|cannot start any token
077|yaml|key one space short in a list item|expected <block end>
078|yaml|key indented too far|mapping values are not allowed here
079|yaml|key at a column no mapping has|expected <block end>
080|yaml|list item at the column of its mapping'"'"'s keys|expected <block end>
081|yaml|key without '"'"':'"'"'|could not find expected '"'"':'"'"'
082|yaml|'"'"': '"'"' in a plain value|mapping values are not allowed here
083|schema|misspelled section keys, so neither file nor process|is not valid under any of the given schemas
099|schema|readFile without targetFilePath (if/then)|'"'"'targetFilePath'"'"' is a required property
'

classified() { # the corpus file for number $1
	ls "$top_srcdir"/t/corpus/invalid/"$1"-*.yaml 2>/dev/null
}

@test "the schema is a valid draft-07 JSON Schema" {
	run $PY -c 'import json, sys, jsonschema
s = json.load(open(sys.argv[1]))
assert s["$schema"] == "http://json-schema.org/draft-07/schema#"
jsonschema.Draft7Validator.check_schema(s)' "$SCHEMA"
	assert_success
}

@test "the shipped default and example policies pass the schema" {
	n=0
	for f in "$top_srcdir"/share/policies/default.yaml "$top_srcdir"/share/policies/examples/*.yaml; do
		run $PY "$VALIDATE" "$SCHEMA" "$f"
		assert_success
		assert_output "$f: valid"
		n=$((n + 1))
	done
	[ "$n" -ge 4 ] || fail "only $n shipped policies found"
}

@test "every policy of the valid corpus passes the schema" {
	for f in "$top_srcdir"/t/corpus/valid/*.yaml; do
		run $PY "$VALIDATE" "$SCHEMA" "$f"
		assert_success
		assert_output "$f: valid"
	done
}

@test "schema-level errors of the invalid corpus are rejected, each for its reason" {
	n=0
	while IFS='|' read -r num class reason want; do
		[ "$class" = schema ] || continue
		f=$(classified "$num")
		[ -n "$f" ] || continue # a missing file fails the classification test
		run $PY "$VALIDATE" "$SCHEMA" "$f"
		[ "$status" -eq 1 ] || fail "$num ($reason): the schema accepts it (exit $status): $output"
		[[ $output == *"$want"* ]] || fail "$num ($reason): no '$want' in:
$output"
		n=$((n + 1))
	done <<<"$CLASSES"
	[ "$n" -ge 50 ] || fail "only $n schema-level files checked"
}

@test "semantic-only files of the invalid corpus pass the schema (and fail d4c-policy check)" {
	while IFS='|' read -r num class reason; do
		[ "$class" = semantic ] || continue
		f=$(classified "$num")
		[ -n "$f" ] || continue
		run $PY "$VALIDATE" "$SCHEMA" "$f"
		[ "$status" -eq 0 ] ||
			fail "$num is classified semantic ($reason) but the schema rejects it: reclassify it as schema:
$output"
		run d4c-policy check "$f"
		assert_failure 1
	done <<<"$CLASSES"
}

@test "files of the invalid corpus that Kibana takes pass the schema, and check only warns" {
	n=0
	while IFS='|' read -r num class reason; do
		[ "$class" = warn ] || continue
		f=$(classified "$num")
		[ -n "$f" ] || continue
		run $PY "$VALIDATE" "$SCHEMA" "$f"
		[ "$status" -eq 0 ] || fail "$num ($reason): the schema rejects it: $output"
		run d4c-policy check "$f"
		assert_success
		assert_output --regexp ": warning: "
		refute_output --regexp ": error: "
		run d4c-policy check --strict "$f"
		assert_failure 1
		n=$((n + 1))
	done <<<"$CLASSES"
	[ "$n" -ge 12 ] || fail "only $n warn-class files checked"
}

@test "files the YAML reader refuses are refused before the schema" {
	while IFS='|' read -r num class reason want; do
		[ "$class" = yaml ] || continue
		f=$(classified "$num")
		[ -n "$f" ] || continue
		run $PY "$VALIDATE" "$SCHEMA" "$f"
		[ "$status" -eq 3 ] || fail "$num ($reason): expected a YAML refusal, exit $status: $output"
		[[ $output == *"$want"* ]] || fail "$num: no '$want' in: $output"
	done <<<"$CLASSES"
}

@test "every invalid corpus file is classified, and every classified file exists" {
	for f in "$top_srcdir"/t/corpus/invalid/*.yaml; do
		num=$(basename "$f" | cut -d- -f1)
		grep -q "^$num|" <<<"$CLASSES" ||
			fail "$(basename "$f") is not classified in t/schema.bats: decide schema, semantic or yaml"
	done
	while IFS='|' read -r num class _; do
		[ -n "$num" ] || continue
		[ -n "$(classified "$num")" ] || fail "$num is classified ($class) but t/corpus/invalid has no $num-*.yaml"
		case $class in schema | semantic | yaml | warn) ;; *) fail "$num: unknown class '$class'" ;; esac
	done <<<"$CLASSES"
}

# The patterns restate lib/policy/policy.c's value checks in regular expressions:
# here both judge the same values, one policy per value, and must agree
# (except where the schema is knowingly looser, listed in $LOOSER).
@test "the schema's value patterns agree with d4c-policy check, value by value" {
	run $PY - "$SCHEMA" "$VALIDATE" "$T" <<'PY'
import json, os, subprocess, sys
import jsonschema, yaml
sys.path.insert(0, os.path.dirname(sys.argv[2]))
import importlib.util
spec = importlib.util.spec_from_file_location("sv", sys.argv[2])
sv = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sv)
validator = jsonschema.Draft7Validator(json.load(open(sys.argv[1])))
tmp = sys.argv[3]

values = {
    "targetFilePath": ["/etc/passwd", "/*", "/**", "/etc/*", "/etc/**", "/", "/etc/", "etc",
        "/etc/*.conf", "/etc*", "/etc/**/x", "//etc", "/etc//x", "/a/./b", "/a/../b", "/a/.",
        "/a/..", "/.hidden", "/..hidden", "/...", "/a/.b/*", "/a b/c", "/a:b", "/a/***",
        "/**/", "/*/", "~/x", "*", "/" + "p" * 254, "/" + "p" * 255, "/etc/ssl//**"],
    "processName": ["bash", "*", "ba*", "b*sh", "*sh", "bash**", "a" * 15, "a" * 14 + "*",
        "a" * 16, "kworker/0:1", "a b", "x.y"],
    "containerImageFullName": ["docker.io/nginx", "docker.io/library/nginx", "nginx", "/nginx",
        "localhost:5000/app", "docker.io/nginx:1.25", "docker.io/nginx@sha256:00",
        "docker.io/Nginx", "Docker.IO/nginx", "docker_io/nginx", "docker.io//nginx",
        "docker.io/nginx/", "r/a__b", "r/a___b", "r/a--b", "r/a.-b", "r/a-", "r/-a",
        "r/a.b_c-d", "r/nginx*", "a:b:c/x", "r/a/b/c"],
    "containerImageName": ["nginx", "*", "ngi*", "ngi*nx", "Nginx", "my_app", "my__app",
        "my___app", "my--app", "my.app", "my-", "my-*", "my_*", "my__*", "my___*", "my.*",
        "-my", ".my", "a/b", "a:b", "my app", "ng..inx", "ng.-x", "9"],
    "containerImageTag": ["latest", "*", "v1.*", "1.25", "_x", ".x", "-x", "v1-rc_2.3", "v1:2",
        "v 1", "v*1", "x**", "a" * 128, "a" * 129, "a" * 128 + "*", "latest/x"],
    "kubernetesNamespace": ["default", "prod-*", "*", "-*", "prod-", "-prod", "Prod", "a_b",
        "a.b", "a" * 63, "a" * 64, "a" * 63 + "*", "a" * 64 + "*", "p*d", "0", "0-*"],
    "kubernetesPodName": ["web-0", "web.v2", "web-*", "web.*", "*", ".web", "web.", "web-",
        "Web", "w_b", "a" * 253, "a" * 254, "a" * 253 + "*", "a..b", "a.-b"],
    "kubernetesPodLabel": ["app:web", "app:", "app:*", "app:web*", "app", "app=web", ":web",
        "-app:web", "app-:web", "app:-web", "app:web-", "app:web-*", "app:w*b", "a*pp:web",
        "example.com/app:web", "Example.com/app:web", "/app:web", "example.com/:web",
        "a_b/app:web", "a/b/c:web", "app:web app", "app:a:b", "Tier:Backend", "a" * 63 + ":x",
        "a" * 64 + ":x", "x:" + "a" * 63, "x:" + "a" * 64, "x:" + "a" * 63 + "*", "a.b-c_d:e.f"],
    "kubernetesClusterName": ["prod", "Cluster One", "x" * 511, "x" * 512, "*x", "x*y"],
}
# Where the schema accepts what d4c refuses, knowingly.
LOOSER = set()

disagree = n = 0
for key, vals in values.items():
    typ = "file" if key == "targetFilePath" else "process"
    for v in vals:
        n += 1
        doc = {typ: {"selectors": [{"name": "s", key: [v]}],
                     "responses": [{"match": ["s"], "actions": ["log"]}]}}
        path = os.path.join(tmp, "v.yaml")
        with open(path, "w") as f:
            f.write(json.dumps(doc))  # JSON is YAML, and quotes every value
        d4c_ok = subprocess.run(["d4c-policy", "check", path],
                                stdout=subprocess.DEVNULL).returncode == 0
        with open(path) as f:
            schema_ok = validator.is_valid(yaml.load(f, Loader=sv.Core12Loader))
        if d4c_ok != schema_ok and (key, v) not in LOOSER:
            disagree += 1
            print("%s %r: d4c-policy %s, schema %s" % (key, v, "accepts" if d4c_ok else "refuses",
                                                       "accepts" if schema_ok else "refuses"))
print("%d values, %d disagreements" % (n, disagree))
sys.exit(1 if disagree else 0)
PY
	assert_success
	assert_output --regexp "^[0-9]{3} values, 0 disagreements$"
}

@test "YAML 1.1 spellings are read as editors read them (YAML 1.2): yes is not a boolean" {
	printf 'process:\n  selectors:\n    - name: a\n      sessionLeaderInteractive: %s\n  responses:\n    - match: [a]\n      actions: [log]\n' yes >"$T/yes.yaml"
	printf 'process:\n  selectors:\n    - name: a\n      sessionLeaderInteractive: %s\n  responses:\n    - match: [a]\n      actions: [log]\n' True >"$T/true.yaml"
	run $PY "$VALIDATE" "$SCHEMA" "$T/yes.yaml"
	assert_failure 1
	run d4c-policy check "$T/yes.yaml"
	assert_failure 1
	run $PY "$VALIDATE" "$SCHEMA" "$T/true.yaml"
	assert_success
	run d4c-policy check "$T/true.yaml"
	assert_success
}

@test "unquoted numbers and booleans where text is expected are refused, as Kibana's editor refuses them" {
	cat >"$T/num.yaml" <<'YAML'
version: 2
process:
  selectors:
    - name: 123
      processName: [true, 7]
      containerImageTag: [1.25]
  responses:
    - match: [123]
      actions: [log]
YAML
	run d4c-policy check "$T/num.yaml"
	assert_failure 1
	[ "${#lines[@]}" -eq 6 ]
	assert_line --index 0 "$T/num.yaml:1:10: error: 'version' must be a string, not a number (quote it)"
	assert_line --index 1 "$T/num.yaml:4:13: error: selector 'name' must be a string, not a number"
	assert_line --index 4 "$T/num.yaml:6:27: error: 'containerImageTag' values must be strings, not a number (quote it)"
	run $PY "$VALIDATE" "$SCHEMA" "$T/num.yaml"
	assert_failure 1
	assert_output --partial "1.25 is not of type 'string'"
}

@test "the policies that carry a yaml-language-server modeline point at the schema" {
	n=0
	for f in "$top_srcdir"/share/policies/*.yaml "$top_srcdir"/share/policies/examples/*.yaml; do
		line=$(sed -n 's/^# yaml-language-server: \$schema=//p' "$f")
		[ -n "$line" ] || continue
		[ -f "$(dirname "$f")/$line" ] || fail "$f: \$schema=$line does not exist"
		cmp -s "$(dirname "$f")/$line" "$SCHEMA" || fail "$f: \$schema=$line is not the schema"
		n=$((n + 1))
	done
	[ "$n" -ge 1 ] || fail "no shipped policy names the schema"
}

# ---- share/schema/event.schema.json: the events d4c writes ------------------------

# A d4c-load exec alert as written now (cloud_defend fields), with jq EDIT applied.
event_with() {
	jq -c "$1" <<-'JSON'
	{"@timestamp":"2026-12-06T22:35:12.011722490Z","ecs":{"version":"8.11.0"},"agent":{"type":"d4c","version":"0.1.0"},
	 "event":{"id":"2b7930a4-a13b-4b9f-b59d-65f52711afaf","kind":"alert","module":"cloud_defend","created":"2026-12-06T22:35:12.013519464Z","category":["process"],"action":"exec","type":["start"],"outcome":"success","dataset":"cloud_defend.alerts"},
	 "message":"Process exec: /usr/bin/netcat.traditional (netcat)",
	 "process":{"pid":10847,"name":"netcat.traditional","executable":"/usr/bin/netcat.traditional","args":["nc","-l"],"args_count":2,"command_line":"nc -l",
	  "previous":[{"executable":"/bin/busybox","args":["sh","-c","exec nc -l"]}],
	  "entry_leader":{"pid":10847,"name":"netcat.traditional","entity_id":"b-10847-1","same_as_process":true,"entry_meta":{"type":"container"}}},
	 "file":{"path":"/usr/bin/netcat.traditional","name":"netcat.traditional","extension":"traditional","mode":"0755","inode":"42"},
	 "cloud_defend":{"matched_selectors":["netcat"],"package_policy_id":"5f19378785313ce4b7dc304ddf9fdd48adc911d8b68c65bd2ae78397dc4c126f","package_policy_revision":3,"actions":["alert"]}}
	JSON
}

@test "the event schema takes the cloud_defend fields d4c-load writes, with their types" {
	run $PY "$top_srcdir/t/validate-events.py" <(event_with .)
	assert_success
	assert_output '1 records valid'
	# each wrong type is named at its field
	while IFS='|' read -r edit field; do
		run $PY "$top_srcdir/t/validate-events.py" <(event_with "$edit")
		assert_failure
		assert_output --partial ": $field: "
	done <<-'EDITS'
	.event.module = "endpoint"|event/module
	.event.id = "not-a-uuid"|event/id
	.event.created = "yesterday"|event/created
	.message = 3|message
	.process.command_line = ["nc", "-l"]|process/command_line
	.process.previous = {"executable": "/bin/sh"}|process/previous
	.process.previous[0].args = "sh -c x"|process/previous/0/args
	.process.entry_leader.same_as_process = "true"|process/entry_leader/same_as_process
	EDITS
}
