# bench/run's results: the records it wrote (input, slurped) and
# bench/load-cost.sh's JSON ($lc[0]) as one object with a table of rows
# {item, what, unit, median, min, max, n, target, status, note}.
def median: sort | length as $n | if $n == 0 then null
	elif $n % 2 == 1 then .[($n - 1) / 2]
	else (.[$n / 2 - 1] + .[$n / 2]) / 2 end;
def stats: {median: median, min: min, max: max, n: length};
def r2: if . == null then null else (. * 100 | round / 100) end;
def r3: if . == null then null else (. * 1000 | round / 1000) end;
def row($item; $what; $unit; $s; $target; $status; $note):
	{item: $item, what: $what, unit: $unit} + $s + {target: $target, status: $status, note: $note};
def notbuilt($item; $what): row($item; $what; ""; {median: null, min: null, max: null, n: 0};
	""; "not built"; "no such program in BUILDDIR/cmd: after the merge");

. as $r | ($lc[0]) as $lc |
([$r[] | select(.section == "system")][0]) as $sys |
([$r[] | select(.section == "events-file")][0]) as $ef |
($sys.enrich.built) as $enrich |
(if $enrich then "d4c-enrich" else "cat (d4c-enrich not built)" end) as $consumer |

# 1. overhead: per pair, with / without
def pairs($scope; $wl):
	[$r[] | select(.section == "overhead" and .scope == $scope and .workload == $wl)]
	| group_by(.pair) | map({with: (map(select(.side == "with"))[0]),
		without: (map(select(.side == "without"))[0])})
	| map(select(.with and .without and .without.ns > 0));
def overhead_rows($scope; $wl; $target):
	pairs($scope; $wl) as $p |
	($scope | if . == "host" then "--host" else "containers only" end) as $sc |
	if ($p | length) == 0 then empty else
	row("1"; "\($wl) workload, no d4c (\($sc) pairs)"; "us/op";
		$p | map(.without.ns / .without.iterations / 1000 | r2) | stats; ""; ""; "\($p[0].without.iterations) ops per run"),
	row("1"; "\($wl) workload, with d4c (\($sc))"; "us/op";
		$p | map(.with.ns / .with.iterations / 1000 | r2) | stats; ""; ""; "d4c-load \(if $scope == "host" then "--host " else "" end)default policy | \($consumer) > /dev/null"),
	(($p | map(.with.ns / .without.ns) | stats | with_entries(if .key == "n" then . else .value |= r3 end)) as $s |
	row("1"; "\($wl) slowdown with d4c (\($sc))"; "ratio"; $s; "<= \($target)";
		(if $s.median <= $target then "PASS" else "MISS" end)
		+ (if $enrich then "" else " (cat)" end);
		"wall time; median of \($s.n) interleaved pairs' ratios"
		+ (if $s.median > $target then "; over by \(($s.median - $target) * 1000 | round / 10) points" else "" end))),
	(($p | map(select(.without.cpu_ns > 0)) | map((.with.cpu_ns + .with.d4c_cpu_ns) / .without.cpu_ns)
		| stats | with_entries(if .key == "n" then . else .value |= r3 end)) as $s |
	 ($p | map(select(.with.cpu_ns > 0) | .with.d4c_cpu_ns / .with.cpu_ns) | median) as $share |
	if $s.n == 0 then empty else
	row("1"; "\($wl) CPU cost with d4c (\($sc))"; "ratio"; $s; "<= \($target)";
		(if $s.median <= $target then "PASS" else "MISS" end)
		+ (if $enrich then "" else " (cat)" end);
		"CPU time: (workload + d4c-load + \($consumer | sub(" \\(.*"; ""))) / workload; d4c-load and consumer: \($share * 1000 | round / 10)% of the workload's CPU"
		+ (if $s.median > $target then "; over by \(($s.median - $target) * 1000 | round / 10) points" else "" end))
	end)
	end;

# 2. cost per event
def shown($wl): if ($wl | startswith("exec")) then IN("sched_fork", "sched_exec", "sched_exit")
	else IN("sys_enter", "sys_exit", "tp_exit_openat", "tp_enter_unlink",
		"tp_exit_unlink") end;

{command: $cmd, date: $date, system: $sys,
 end: ([$r[] | select(.section == "end")][0]),
 events_file: $ef,
 overhead: [$r[] | select(.section == "overhead")],
 overhead_memory: [$r[] | select(.section == "overhead-mem")],
 pipeline: [$r[] | select(.section == "pipeline" or .section == "shipped")],
 load_cost: $lc} |
.table = [
	overhead_rows("host"; "exec"; 1.05),
	overhead_rows("host"; "file"; 1.10),
	overhead_rows("containers"; "exec"; 1.05),
	overhead_rows("containers"; "file"; 1.10),

	($lc.ratios[] | select(.where == "host") | . as $x | select($x.program | shown($x.workload))
		| row("2"; "ns/run limits / 1 selector: \(.workload) \(.program)"; "ratio";
			{median: .ratio, min: .ratio_min, max: .ratio_max, n: .repetitions}; "< 1.5";
			(if .ratio == null then "-" elif .ratio < 1.5 then "PASS" else "MISS" end);
			"1 selector \(.one_ns) ns, limits \(.limits_ns) ns, early exit \(.early_exit_ns // "-") ns")),

	($lc.storms | group_by(.name)[] | . as $st | $st[0] as $f |
		(if $f.kind == "file" then "file storm" else "exec storm" end
		 + (if $f.ringbuf | startswith("default") then "" else " (ring buffer \($f.ringbuf))" end)) as $what |
		(map(.metric.lost // 0) | stats) as $lost |
		row("3"; $what + ": driver ops"; "ops/s"; map(.ops_per_s) | stats; ""; "";
			"\($f.drivers) drivers, \($f.iterations) ops per run, --host, "
			+ (if $f.kind == "file" then "open+write+close on tmpfs, every modifyFile logged"
			   else "fork+exec /bin/true, default policy" end)
			+ ", ring buffer \($f.ringbuf)"),
		row("3"; $what + ": produced"; "events/s"; map(.produced_per_s // 0) | stats; ""; "";
			"delivered/s median \(map(.delivered_per_s // 0) | median | floor)"),
		row("3"; $what + ": lost"; "events"; $lost;
			(if $f.kind == "file" then "0" else "" end);
			(if $f.kind == "file" then (if $lost.max == 0 then "PASS" else "MISS" end) else "" end);
			"produced \(map(.metric.produced // 0) | add), delivered \(map(.metric.delivered // 0) | add), lost \(map(.metric.lost // 0) | add) in \(length) runs"),
		row("3"; $what + ": d4c-load drain capacity"; "events/s"; map(.load_events_per_cpu_s // 0) | stats;
			(if $f.kind == "file" then ">= 150000" else "" end);
			(if $f.kind == "file" then (if (map(.load_events_per_cpu_s // 0) | median) >= 150000 then "PASS" else "MISS" end) else "" end);
			"events delivered per second of d4c-load CPU (user + system); \(map(.load_cpu_us_per_event // 0) | median) us per event"),
		row("3"; $what + ": produced == delivered + lost"; "runs";
			{median: (map(select(.produced_eq_delivered_plus_lost == true)) | length), min: null, max: null, n: length};
			"all"; (if all(.produced_eq_delivered_plus_lost == true) then "PASS" else "MISS" end);
			"runs where it holds, of \(length)")),

	(($r | map(select(.section == "pipeline"))) as $pl |
	 def rate($name): $pl | map(select(.name == $name and .exit == 0) | .events / (.ns / 1e9));
	 def mbs($name): $pl | map(select(.name == $name and .exit == 0) | .bytes / (.ns / 1e9) / 1048576 | r2);
	 def rss($name): $pl | map(select(.name == $name) | .maxrss_kb);
	 def prow($name; $target):
		if ($pl | map(select(.name == $name)) | length) == 0 then notbuilt("4"; "\($name) throughput")
		else (rate($name) | map(floor) | stats) as $s |
		row("4"; "\($name) throughput"; "events/s"; $s;
			(if $target then ">= \($target)" else "" end);
			(if $target == null then "" elif $s.median == null then "MISS" elif $s.median >= $target then "PASS" else "MISS" end);
			"\($pl | map(select(.name == $name))[0].events) events of \($ef.avg_bytes) B avg; \(mbs($name) | median | r2) MiB/s"
			+ (if $name == "d4c-ship" then "; lines in PATH and the rotated files it kept: \($r | map(select(.section == "shipped") | .lines) | unique | map(tostring) | join(", "))" else "" end)
			+ (if $target and $s.median and $s.median < $target then "; short by \((1 - $s.median / $target) * 100 | round)%" else "" end)
			+ (if ($pl | map(select(.name == $name and .exit != 0)) | length) > 0 then "; some runs FAILED" else "" end))
		end;
	 prow("d4c-enrich"; 200000),
	 prow("d4c-ship"; 300000),
	 prow("jq"; null),
	 (if (rate("d4c-enrich") | length) > 0 and (rate("jq") | length) > 0 then
		row("4"; "d4c-enrich / jq -c (same additions)"; "ratio";
			{median: ((rate("d4c-enrich") | median) / (rate("jq") | median) | r2), min: null, max: null,
			 n: (rate("jq") | length)}; ""; ""; "ratio of the medians; jq on the first \($ef.jq_events) lines")
	  else empty end),

	 # 5. memory
	 ($lc.memory // null | if . then
		row("5"; "d4c-load VmRSS idle, default policy"; "kB"; {median: .idle.vmrss_kb, min: null, max: null, n: 1}; ""; "";
			"of which the ring buffer and maps mapped in: \(.idle.bpf_map_rss_kb) kB, anon \(.idle.rss_anon_kb) kB"),
		row("5"; "d4c-load VmRSS after the exec storm"; "kB"; {median: .after_storm.vmrss_kb, min: null, max: null, n: 1}; ""; "";
			"VmHWM \(.after_storm.vmhwm_kb) kB, anon \(.after_storm.rss_anon_kb) kB"),
		row("5"; "BPF maps, default policy (bytes_memlock)"; "KiB"; {median: (.maps_bytes_memlock / 1024 | floor), min: null, max: null, n: 1}; ""; "";
			"ring buffer \(.maps | map(select(.type == "ringbuf") | .bytes_memlock) | add / 1024 | floor) KiB; programs \(.progs_bytes_memlock / 1024 | floor) KiB")
	  else empty end),
	 ([$r[] | select(.section == "overhead-mem" and .scope == "host")] as $om |
	  if ($om | length) > 0 then
		row("5"; "d4c-load VmHWM, with d4c runs of 1 (--host)"; "kB"; $om | map(.load_vmhwm_kb) | stats; ""; ""; ""),
		row("5"; "\($consumer | sub(" \\(.*"; "")) VmHWM, with d4c runs of 1 (--host)"; "kB"; $om | map(.consumer_vmhwm_kb) | stats; ""; ""; "")
	  else empty end),
	 (if ($pl | map(select(.name == "d4c-enrich")) | length) > 0 then
		row("5"; "d4c-enrich peak RSS, \($ef.events) events"; "kB"; rss("d4c-enrich") | stats; ""; ""; "/usr/bin/time %M")
	  else notbuilt("5"; "d4c-enrich peak RSS") end),
	 (if ($pl | map(select(.name == "d4c-ship")) | length) > 0 then
		row("5"; "d4c-ship --file peak RSS, \($ef.events) events"; "kB"; rss("d4c-ship") | stats; ""; ""; "/usr/bin/time %M")
	  else notbuilt("5"; "d4c-ship peak RSS") end),
	 row("5"; "jq -c peak RSS, \($ef.jq_events) events"; "kB"; rss("jq") | stats; ""; ""; "/usr/bin/time %M"))
]
