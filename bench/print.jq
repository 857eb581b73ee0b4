# bench/run's table, for a terminal, from its JSON.
def pad($n): tostring | if length < $n then . + (" " * ($n - length)) else . end;
def lpad($n): tostring | if length < $n then (" " * ($n - length)) + . else . end;
def num: if . == null then "-" elif type == "number" then
	(if . == (. | floor) then tostring elif . >= 100 then (round | tostring)
	 else (. * 100 | round / 100 | tostring) end) else tostring end;
def fig: if .median == null then "-"
	elif .min == null or .n <= 1 then (.median | num)
	else "\(.median | num) [\(.min | num)-\(.max | num)]" end;
.system as $s |
"d4c benchmarks: \(.command), \(.date)",
"machine: \($s.cpu), \($s.cpus) cores, \($s.mem_kb / 1048576 | round) GiB, \($s.os), kernel \($s.kernel); file events from \($s.file_events_from)",
(if ($s.other_d4c_at_start | length) > 0 or ((.end.other_d4c_at_end // []) | length) > 0 then
	"other d4c programs running meanwhile (their cost is in the figures): " + (($s.other_d4c_at_start + (.end.other_d4c_at_end // [])) | unique | join("; "))
 else "no other d4c program running" end),
"load average at start \($s.loadavg_at_start), at end \(.end.loadavg_at_end) (\($s.cpus) cores)",
"events file: \(.events_file.events) events, \(.events_file.avg_bytes) B average, from \(.events_file.recorded) recorded (\(.events_file.recorded_by_action | tojson)); took \(.end.seconds) s",
"",
("item" | pad(4)) + " " + ("measure" | pad(52)) + " " + ("unit" | pad(8)) + " " + ("median [min-max]" | pad(30)) + " " + ("n" | lpad(3)) + "  " + ("target" | pad(9)) + " " + ("result" | pad(9)) + " note",
(.table[] | (.item | pad(4)) + " " + (.what | pad(52)) + " " + (.unit | pad(8)) + " " + (fig | pad(30)) + " "
	+ (.n | tostring | lpad(3)) + "  " + (.target | pad(9)) + " " + (.status | pad(9)) + " " + .note)
