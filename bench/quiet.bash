# bench/quiet.bash - waiting for a quiet machine, shared by the benchmark scripts that
# compare builds round by round (bench/layout/run.sh, bench/ceiling/run.sh).
#
#   source bench/quiet.bash; QUIET_DEFAULT=20; wait_quiet

# busy_pct: how busy the machine was over half a second, in percent of all CPUs.
busy_pct() {
	local a b
	a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
	sleep 0.5
	b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN{split(a,x," ");split(b,y," "); d=y[2]-x[2]; if(d<=0){print 0}else{printf "%d", 100*(y[1]-x[1])/d}}'
}

# wait_quiet: before each run, up to QUIET seconds (default QUIET_DEFAULT) for other work to leave
# the CPUs alone (at most 8% busy); each run records the CPU share other processes took anyway.
wait_quiet() {
	local t=0
	while [ "$t" -lt "${QUIET:-${QUIET_DEFAULT:-20}}" ] && [ "$(busy_pct)" -gt 8 ]; do t=$((t + 1)); done
}
