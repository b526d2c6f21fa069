#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Placement latency (issue 3): uid change -> in the tenant's cgroups.
#   client side: setuid_lat forks N children one after the other; each calls
#     setresuid(tenant uid) and polls /proc/self/cgroup (every 20 us) until
#     it is in the tenant's cgroup in every hierarchy quell manages (on
#     hybrid: cpu, cpuacct, memory, blkio, pids, freezer and the v2 one).
#   daemon side: quellctl status placement.latency_p50_us / p99_us (the
#     daemon's own event timestamp -> cgroup.procs written).
# The sweep is left at its default (10 s) so the fast path (BPF ring buffer
# event on set*uid) is what is measured; a miss would show as a ~10 s sample.
. "$(dirname "$0")/lib.sh"

[ "$BENCH_QUICK" = 1 ] && N=${BENCH_PLACE_N:-50} || N=${BENCH_PLACE_N:-200}
P=qbp$$
qt_user $P >/dev/null
PUID=$(id -u $P) || qt_fail "user $P"
qt_quelld
# the tenant exists once its user does; wait for its cgroups
for _ in $(seq 50); do qt_ctl --json tenants 2>/dev/null | jq -e --arg n $P \
	'.tenants[] | select(.name == $n)' >/dev/null && break; sleep 0.2; done

if [ "$B_UNI" = "$CG" ]; then
	SUF="0::/$QT_ID/$P"
else
	SUF="0::/$QT_ID/$P"
	for h in cpu cpuacct memory blkio pids freezer; do
		[ -d "$CG/$h/$QT_ID" ] && SUF+=",:$h:/$QT_ID/$P"
	done
fi
b_log "$N setresuid() calls to $P ($PUID); in cgroup = $SUF"
out=$("$BENCH_BIN/setuid_lat" "$PUID" "$SUF" "$N" 3000) || { echo "$out"; qt_fail "setuid_lat"; }
st=$(qt_ctl --json status) || qt_fail "status"

printf '\n%-26s %8s %8s %8s %8s %8s %8s\n' "placement latency (us)" samples missed p50 p90 p99 max
printf '%-26s %8s %8s %8s %8s %8s %8s\n' "client (setresuid->procs)" \
	"$(b_kv "$out" samples)" "$(b_kv "$out" missed)" "$(b_kv "$out" p50_us)" \
	"$(b_kv "$out" p90_us)" "$(b_kv "$out" p99_us)" "$(b_kv "$out" max_us)"
jq -r '.placement | [ "daemon (event->moved)", (.latency_samples // "-"), "-",
	((.latency_p50_us // null) | if . == null then "-" else (. * 10 | round / 10) end), "-",
	((.latency_p99_us // null) | if . == null then "-" else (. * 10 | round / 10) end),
	((.latency_max_us // null) | if . == null then "-" else (. * 10 | round / 10) end) ] |
	@tsv' <<< "$st" | awk -F'\t' '{ printf "%-26s %8s %8s %8s %8s %8s %8s\n", $1, $2, $3, $4, $5, $6, $7 }'
jq -r '.placement | "events \(.events) moved_by_event \(.moved_event) moved_by_sweep \(.moved_sweep)"' <<< "$st"

bj client "$(jq -n --argjson s "$(b_kv "$out" samples)" --argjson m "$(b_kv "$out" missed)" \
	--argjson a "$(b_kv "$out" p50_us)" --argjson b "$(b_kv "$out" p90_us)" \
	--argjson c "$(b_kv "$out" p99_us)" --argjson d "$(b_kv "$out" max_us)" \
	'{samples: $s, missed: $m, p50_us: $a, p90_us: $b, p99_us: $c, max_us: $d}')"
bj daemon "$(jq '.placement' <<< "$st")"
bj hierarchies "$(jq -n --arg s "$SUF" '$s | split(",")')"
exit 0
