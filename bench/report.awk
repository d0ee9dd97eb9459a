# SPDX-License-Identifier: GPL-2.0-or-later
# report.awk - the benchmark's Markdown table.
# Owns: medians and ranges, the ratio columns, numbered notes for cells
#   that hold a reason instead of a number.
# Not here: measuring (bench/run.sh).
#
# Usage: awk -f report.awk bench/rows RESULTS
#   bench/rows: ID|LABEL|hi or lo|printf format, or "-|SECTION TITLE".
#   RESULTS: ROW<TAB>COL<TAB>vals<TAB>N N N  or  ROW<TAB>COL<TAB>text<TAB>REASON
#   (the last line for a cell wins).
# A cell shows "median (min–max)"; usernet's ratio column compares the
# better of its two transports with the best anchor in the row's better
# direction, so above 1 is ahead for ↑ rows and below 1 is ahead for ↓ rows.

BEGIN {
	ncol = split("uvde ustream uhand qemu passt slirpvde s4n tap", col, " ")
	head["uvde"] = "usernet nat, VDE"
	head["ustream"] = "usernet nat, stream"
	head["uhand"] = "usernet, tap hand-off"
	head["qemu"] = "QEMU -netdev user"
	head["passt"] = "passt (stream)"
	head["slirpvde"] = "vde_switch + slirpvde"
	head["s4n"] = "slirp4netns"
	head["tap"] = "kernel tap (ceiling)"
	anchor["qemu"] = anchor["passt"] = anchor["slirpvde"] = anchor["s4n"] = 1
	short["uvde"] = "vde"
	short["ustream"] = "stream"
	short["uhand"] = "hand-off"
	nnotes = 0
}

FNR == 1 { file++ }
/^#/ && file == 1 { next }

file == 1 {
	split($0, f, "|")
	nrows++
	rid[nrows] = f[1]
	label[nrows] = f[2]
	better[f[1]] = f[3]
	fmt[f[1]] = f[4]
	next
}

file == 2 {
	split($0, f, "\t")
	key = f[1] SUBSEP f[2]
	kind[key] = f[3]
	payload[key] = f[4]
}

function sort_num(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
}

# median(ROW, COL): sets med, lo, hi; returns 1 when the cell has numbers.
function median(r, c,    key, n, v) {
	key = r SUBSEP c
	if (kind[key] != "vals")
		return 0
	n = split(payload[key], v, " ")
	if (n == 0)
		return 0
	sort_num(v, n)
	med = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	lo = v[1]
	hi = v[n]
	return 1
}

function note(text,    i) {
	for (i = 1; i <= nnotes; i++)
		if (notes[i] == text)
			return i
	notes[++nnotes] = text
	return nnotes
}

function cell(r, c,    key, t, w) {
	key = r SUBSEP c
	if (median(r, c)) {
		t = sprintf(fmt[r], med)
		if (lo != hi)
			t = t " (" sprintf(fmt[r], lo) "–" sprintf(fmt[r], hi) ")"
		return t
	}
	if (kind[key] == "text") {
		w = payload[key]
		sub(/:.*/, "", w)
		return w " [" note(payload[key]) "]"
	}
	return "–"
}

# is_better(A, B, ROW): A beats B in the row's direction.
function is_better(a, b, r) {
	return better[r] == "hi" ? a > b : a < b
}

function ratios(r,    i, c, u, uc, a, t, out) {
	u = ""; a = ""; t = ""
	for (i = 1; i <= ncol; i++) {
		c = col[i]
		if (!median(r, c))
			continue
		if (c in short) {
			if (u == "" || is_better(med, u, r)) { u = med; uc = short[c] }
		} else if (c in anchor) {
			if (a == "" || is_better(med, a, r)) a = med
		} else if (c == "tap") {
			t = med
		}
	}
	out = (u != "" && a != "" && a > 0) ? sprintf("%.2f (%s)", u / a, uc) : "–"
	out = out " | " ((u != "" && t != "" && t > 0 && r ~ /_(up|down)_/) ? sprintf("%.2f", u / t) : "–")
	return out
}

END {
	printf "| measure (median of %d, min–max) |", reps
	for (i = 1; i <= ncol; i++)
		printf " %s |", head[col[i]]
	printf " usernet / best anchor | usernet / ceiling |\n|---|"
	for (i = 1; i <= ncol + 2; i++)
		printf "---|"
	printf "\n"
	for (n = 1; n <= nrows; n++) {
		r = rid[n]
		if (r == "-") {
			printf "| %s |", label[n]
			for (i = 1; i <= ncol + 2; i++)
				printf " |"
			printf "\n"
			continue
		}
		printf "| %s |", label[n]
		for (i = 1; i <= ncol; i++)
			printf " %s |", cell(r, col[i])
		printf " %s |\n", ratios(r)
	}
	print ""
	print "↑ higher is better, ↓ lower is better. The ratio compares the better usernet transport with the best"
	print "anchor (QEMU -netdev user, passt, slirpvde, slirp4netns); the ceiling ratio is usernet / kernel tap."
	print "Namespace rows: the usernet columns are usernet-plug joining a natnet over its VDE or stream endpoint;"
	print "their CPU is usernetd + usernet-plug. Anchor CPU: passt; slirpvde + vde_switch; slirp4netns."
	print "The tap ceiling's 200-connection row connects straight to the guest (no forward, no NAT)."
	if (nnotes) {
		print ""
		for (i = 1; i <= nnotes; i++)
			printf "[%d] %s  \n", i, notes[i]
	}
}
