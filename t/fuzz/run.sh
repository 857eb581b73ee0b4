#!/bin/sh
# run.sh - run every libFuzzer target for SECONDS each, one after another.
#
#   sh t/fuzz/run.sh SECONDS TOP_SRCDIR ABS_TOP_BUILDDIR      (make fuzz FUZZ_TIME=N)
#
# Targets: fuzz-policy (policy YAML -> blob -> matcher), fuzz-blob (the blob
# reader), fuzz-cases (test cases; run only when built, see below). Each
# starts from a seed corpus made from the repository, and keeps what it
# finds in a working corpus under the build directory:
#
#   BUILDDIR/t/fuzz/corpus-NAME/     inputs found so far (reused by the next run)
#   BUILDDIR/t/fuzz/crash-NAME/      crash-*, leak-*, timeout-*, oom-* inputs
#   BUILDDIR/t/fuzz/fuzz-NAME.log    libFuzzer's output of the last run
#
# Prints one line per target, e.g.
#   fuzz-policy: 123456 runs in 300 s, 0 crashes (411 exec/s, cov 1893, ...)
# and exits 1 when any target crashed (its inputs listed), 2 on a usage or
# set-up error. Reproduce a crash with:  BUILDDIR/t/fuzz/fuzz-NAME FILE
#
# fuzz-cases needs these Makefile.am lines (next to fuzz-blob's):
#   t/fuzz/fuzz-cases: $(top_srcdir)/t/fuzz/fuzz-cases.c $(FUZZ_LIB_SRC)
#   	@mkdir -p t/fuzz
#   	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) $(YAML_CFLAGS) $(JANSSON_CFLAGS) -o $@ $^ $(YAML_LIBS) $(JANSSON_LIBS)
# with t/fuzz/fuzz-cases added to the prerequisites of `fuzz:` and to CLEANFILES.
#
# Any other executable BUILDDIR/t/fuzz/fuzz-NAME is run too, after these,
# from its working corpus alone with -max_len=4096.
#
# Environment: FUZZ_TARGETS (e.g. "policy blob") picks targets; FUZZ_ARGS
# adds libFuzzer options to every run.
# shellcheck disable=SC2317,SC2012  # seed_* are called as "seed_$name"
set -u

usage() {
	echo "usage: sh t/fuzz/run.sh SECONDS TOP_SRCDIR ABS_TOP_BUILDDIR" >&2
	exit 2
}
[ $# -eq 3 ] || usage
secs=$1
case $secs in '' | *[!0-9]*) usage ;; esac
src=$(cd "$2" && pwd) || exit 2
build=$(cd "$3" && pwd) || exit 2
fuzzdir=$build/t/fuzz
d4c_policy=$build/cmd/d4c-policy

# UBSan only prints by default: make it a crash libFuzzer keeps. Leaks count.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS UBSAN_OPTIONS

tmp=$(mktemp -d "${TMPDIR:-/tmp}/d4c-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# --- seed corpora ----------------------------------------------------------

policy_files() {
	ls "$src"/t/corpus/valid/*.yaml "$src"/t/corpus/invalid/*.yaml \
		"$src"/t/kibana/cases/*.yaml 2>/dev/null
	find "$src"/share/policies -name '*.yaml' 2>/dev/null | sort
}

seed_policy() {
	mkdir -p "$tmp/seed-policy"
	i=0
	for f in $(policy_files); do
		i=$((i + 1))
		cp "$f" "$tmp/seed-policy/$i-$(basename "$f")"
	done
}

seed_blob() {
	mkdir -p "$tmp/seed-blob"
	if [ ! -x "$d4c_policy" ]; then
		echo "run.sh: $d4c_policy not built: no blob seeds" >&2
		return
	fi
	i=0
	for f in "$src"/t/corpus/valid/*.yaml $(find "$src"/share/policies -name '*.yaml' | sort); do
		i=$((i + 1))
		"$d4c_policy" compile --revision "$i" -o "$tmp/seed-blob/$i-$(basename "$f" .yaml).d4cp" \
			"$f" >/dev/null 2>&1 || echo "run.sh: cannot compile $f (not a seed)" >&2
	done
}

# Cases files under t/, and the cases the bats tests write inline
# (here-documents into a file named cases*, and printf'd NDJSON lines).
seed_cases() {
	mkdir -p "$tmp/seed-cases"
	i=0
	for f in $(find "$src"/t \( -name '*cases*.yaml' -o -name '*cases*.yml' \
		-o -name '*.ndjson' \) -type f ! -path '*/t/fuzz/*' 2>/dev/null | sort); do
		i=$((i + 1))
		cp "$f" "$tmp/seed-cases/file-$i"
	done
	for f in "$src"/t/*.bats; do
		[ -f "$f" ] || continue
		awk -v dir="$tmp/seed-cases" -v base="$(basename "$f" .bats)" -v q="'" '
			inside && $0 == "YAML" { inside = 0; close(out); next }
			inside { print > out; next }
			/cases[^ ]*" <<.YAML.$/ { n++; out = dir "/" base "-" n ".yaml"; inside = 1 }
			index($0, q "{\"type\":") {
				line = $0
				while (match(line, q "[{][^" q "]*[}]" q)) {
					m++
					print substr(line, RSTART + 1, RLENGTH - 2) > (dir "/" base "-nd" m ".ndjson")
					line = substr(line, RSTART + RLENGTH)
				}
			}' "$f"
	done
	printf '%s\n' '{"type":"process","operation":"exec","processName":"bash","interactive":true,"kubernetesPodLabel":["app:web"],"actions":["log","alert"],"selectors":["allProcesses"]}' \
		'' '{"type":"file","operation":"createFile","targetFilePath":"/etc/x","volumeMount":true,"kubernetesNamespace":"default","actions":["alert","block"]}' \
		>"$tmp/seed-cases/builtin.ndjson"
}

# PodLists as the kubelet answers them, and the ones the kubelet double serves.
seed_kubelet() {
	mkdir -p "$tmp/seed-kubelet"
	printf '%s' '{"kind":"PodList","items":[{"metadata":{"uid":"u1","name":"web","namespace":"default","labels":{"app":"web","a:b":"c"},"annotations":{"k":"v:w"},"ownerReferences":[{"kind":"ReplicaSet"}]}},{"metadata":{"uid":"u0"}},{"metadata":{}}]}' \
		>"$tmp/seed-kubelet/podlist.json"
	printf '%s' '{"items":[]}' >"$tmp/seed-kubelet/empty.json"
	i=0
	for f in $(find "$src"/t -name '*pods*.json' -type f 2>/dev/null | sort); do
		i=$((i + 1))
		cp "$f" "$tmp/seed-kubelet/file-$i.json"
	done
}

# --- one target -------------------------------------------------------------

crashed=0
summary=

final_stat() { # NAME LOG: a stat::NAME value of -print_final_stats
	sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

run_target() { # NAME MAX_LEN EXTRA_ARGS...
	name=$1 maxlen=$2
	shift 2
	bin=$fuzzdir/fuzz-$name
	if [ ! -x "$bin" ]; then
		if [ "$name" = cases ]; then
			line="fuzz-cases: not built (make t/fuzz/fuzz-cases), skipped"
			echo "$line"
			summary="$summary$line
"
			return
		fi
		echo "run.sh: $bin is not built (make t/fuzz/fuzz-$name)" >&2
		exit 2
	fi
	corpus=$fuzzdir/corpus-$name
	crashdir=$fuzzdir/crash-$name
	log=$fuzzdir/fuzz-$name.log
	mkdir -p "$corpus" "$crashdir"
	case $name in
	policy | blob | cases | kubelet) "seed_$name" ;;
	*) mkdir -p "$tmp/seed-$name" ;; # another target: its corpus dir only
	esac
	nseeds=$(ls "$tmp/seed-$name" | wc -l)
	touch "$tmp/stamp"
	echo "fuzz-$name: fuzzing for $secs s from $nseeds seeds and $(ls "$corpus" | wc -l) corpus inputs (log: $log)"
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -max_len="$maxlen" -timeout=20 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$crashdir/" "$@" ${FUZZ_ARGS:-} \
		"$corpus" "$tmp/seed-$name" >"$log" 2>&1
	rc=$?
	elapsed=$(($(date +%s) - start))
	# The inputs libFuzzer saved in this run (named by their SHA-1, so an
	# input found before is rewritten, and newer than the stamp).
	new=$({
		sed -n 's/.*Test unit written to //p' "$log"
		find "$crashdir" -type f -newer "$tmp/stamp"
	} | sed 's|.*/||' | sort -u)
	ncrash=$(printf '%s' "$new" | grep -c .)
	if [ "$rc" -ne 0 ] && [ "$ncrash" -eq 0 ]; then
		# libFuzzer failed without leaving an input (bad option, set-up...).
		ncrash=1
		new="(no input saved: see $log)"
	fi
	runs=$(final_stat number_of_executed_units "$log")
	eps=$(final_stat average_exec_per_sec "$log")
	rss=$(final_stat peak_rss_mb "$log")
	newunits=$(final_stat new_units_added "$log")
	# The last status line: "#N  REDUCE cov: C ft: F corp: U/S ...".
	status=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(printf '%s\n' "$status" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$status" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(printf '%s\n' "$status" | sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p')
	es=es
	[ "$ncrash" -eq 1 ] && es=
	line="fuzz-$name: ${runs:-?} runs in $elapsed s, $ncrash crash$es (${eps:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?} units/bytes, ${newunits:-?} new, peak RSS ${rss:-?} MB)"
	echo "$line"
	summary="$summary$line
"
	if [ "$ncrash" -gt 0 ]; then
		crashed=1
		printf '%s\n' "$new" | while read -r f; do
			case $f in
			'('*) echo "  $f" ;;
			*) echo "  input: $crashdir/$f  (reproduce: $bin $crashdir/$f)" ;;
			esac
		done
		# The sanitizer's report, for the log of whoever ran this.
		grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz invariant|.*runtime error)' "$log" | head -n 5 | sed 's/^/  /'
	fi
}

# The three targets above, then any other fuzz-NAME built next to them.
default_targets="policy blob cases"
for f in "$fuzzdir"/fuzz-*; do
	if [ ! -f "$f" ] || [ ! -x "$f" ]; then
		continue
	fi
	n=${f##*/fuzz-}
	case " $default_targets " in *" $n "*) ;; *) default_targets="$default_targets $n" ;; esac
done
targets=${FUZZ_TARGETS:-$default_targets}
for t in $targets; do
	case $t in
	policy) run_target policy 16384 -dict="$src/t/fuzz/policy.dict" ;;
	blob) run_target blob 65536 -use_value_profile=1 ;;
	cases) run_target cases 8192 -dict="$src/t/fuzz/policy.dict" ;;
	kubelet) run_target kubelet 16384 ;;
	*) run_target "$t" 4096 ;;
	esac
done
echo "---"
printf '%s' "$summary"
if [ "$crashed" -ne 0 ]; then
	echo "FAIL: a fuzz target crashed (inputs under $fuzzdir/crash-*/)"
	exit 1
fi
exit 0
