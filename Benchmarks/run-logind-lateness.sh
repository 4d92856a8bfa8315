#!/usr/bin/env bash
# idlewarden and systemd-logind's StopIdleSessionSec side by side: the same kind of sessions (real ssh logins
# through the system's sshd, pam_systemd and pam_idlewarden), the same idle limit (30 s), in the same booted
# Debian 12 container (systemd 252); how long after the last key press each one ends the session.
#
#   bash Benchmarks/run-logind-lateness.sh      (as root; ~2 minutes, a few more the first time: the container
#                                                image and the package are made as the end-to-end tests make them)
#
# It uses the harness of tests/e2e/systemd.sh: a copy of the cached Debian image booted with systemd-nspawn, the
# package that `./install.sh --deb` builds installed with apt, ssh logins from the host in tmux panes.
#   round 1: idlewarden (the packaged unit) with idle_timeout 30s, warn_before 5s, grace 3s;
#   round 2: idlewarden stopped (the module fails open), logind with StopIdleSessionSec=30 in a logind.conf.d
#            drop-in (systemd-logind restarted to read it).
# Each round: N users (3) log in, type one command each, 2 s apart, then nothing. Measured per session: the time
# from that key press to the moment the ssh client sees the connection end (tmux notes the pane's death; polled
# every 100 ms). Lateness = that − 30 s: negative is early. Knobs: N (3), IDLE_S (30).
# Results: stdout and Benchmarks/results/logind-lateness.md (the table, and the journal lines of one idlewarden
# session). Logs: $IW_LOG_DIR/bench_logind_lateness (default /tmp/idlewarden-bench-logs).

set -u
BENCH_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export IW_ROOT=${IW_ROOT:-$(cd "$BENCH_SCRIPT_DIR/.." && pwd)}
export IW_LOG_DIR=${IW_LOG_DIR:-/tmp/idlewarden-bench-logs}
export LC_ALL=C.UTF-8
[[ -d /opt/swift/usr/bin && ":$PATH:" != *":/opt/swift/usr/bin:"* ]] && export PATH=$PATH:/opt/swift/usr/bin
[[ $(id -u) == 0 ]] || { echo "run as root (containers, overlays, cgroups)" >&2; exit 1; }
for tool in systemd-nspawn nsenter debootstrap tmux ssh ssh-keygen python3; do
    command -v "$tool" >/dev/null 2>&1 ||
        { echo "missing $tool (apt-get install -y systemd-container util-linux debootstrap tmux openssh-client python3)" >&2; exit 1; }
done
N=${N:-3}
IDLE_S=${IDLE_S:-30}
OUT=$IW_ROOT/Benchmarks/results/logind-lateness.md

# shellcheck source=../tests/e2e/lib.sh
source "$IW_ROOT/tests/e2e/lib.sh"
# shellcheck source=../tests/e2e/systemd.sh
source "$IW_ROOT/tests/e2e/systemd.sh"

# bench__round NAME — N ssh logins of fresh users (the daemon's state as the round left it), one key press each,
# 2 s apart; prints "USER<TAB>ENDED_AFTER_MS" for each when its connection ends (IDLE_S + 60 s at most).
bench__round() {
    local name=$1 k user panes=() users=()
    for ((k = 1; k <= N; k++)); do
        user=iwtest-$IW_ID-$name$k
        iw_ct_mkuser "$user" >&2
        iw_tmux_new "$name$k" "$(iw_ssh_cmd "$user")" >&2
        iw_wait_as "$name$k" "$user" >&2
        panes+=("$name$k")
        users+=("$user")
    done
    for ((k = 0; k < N; k++)); do
        iw_tmux_mark "${panes[k]}" >&2
        ((k < N - 1)) && sleep 2
    done
    local limit=$(($(iw_now_ms) + (IDLE_S + 60) * 1000)) now done=() left=$N
    while ((left > 0)) && (($(iw_now_ms) < limit)); do
        now=$(iw_now_ms)
        for ((k = 0; k < N; k++)); do
            [[ -n ${done[k]:-} ]] && continue
            if iw_tmux_is_dead "${panes[k]}"; then
                done[k]=$((now - $(iw_last_input "${panes[k]}")))
                left=$((left - 1))
            fi
        done
        sleep 0.1
    done
    for ((k = 0; k < N; k++)); do printf '%s\t%s\n' "${users[k]}" "${done[k]:--}"; done
}

bench__all_closed() {
    [[ $(iw_ct journalctl -t idlewarden -b --no-pager -o cat | grep -cE '^event=close session=') -ge $N ]]
}

bench_logind_lateness() {
    iw__sd_up
    IW_IDLE=$IDLE_S IW_WARN=5 IW_GRACE=3 iw__sd_config
    iw_log "round 1: idlewarden, idle_timeout ${IDLE_S}s"
    bench__round iw >"$IW_T/idlewarden.tsv"
    # The daemon writes event=terminate once every process of the session is gone, after the ssh client sees
    # the connection end: the journal is taken when each session's event=close is in it.
    iw_wait_until 30 bench__all_closed || iw_log "not every idlewarden session has an event=close yet"
    iw_ct journalctl -t idlewarden -b --no-pager -o short-iso >"$IW_TLOG/journal-idlewarden.txt"

    iw_log "round 2: logind, StopIdleSessionSec=$IDLE_S (idlewarden stopped)"
    iw_ct systemctl stop idlewarden.service || iw_fail "systemctl stop idlewarden"
    iw_ct install -d /etc/systemd/logind.conf.d
    iw_ct sh -c "printf '%s\n' '[Login]' 'StopIdleSessionSec=$IDLE_S' >/etc/systemd/logind.conf.d/50-bench.conf"
    iw_ct systemctl restart systemd-logind.service || iw_fail "systemctl restart systemd-logind"
    [[ $(iw_ct busctl get-property org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager \
        StopIdleSessionUSec) == "t $((IDLE_S * 1000000))" ]] || iw_fail "logind did not take StopIdleSessionSec=$IDLE_S"
    bench__round ld >"$IW_T/logind.tsv"

    local version
    version=$(iw_ct systemctl --version | head -n1)
    {
        echo "### idlewarden vs systemd-logind StopIdleSessionSec (\`bash Benchmarks/run-logind-lateness.sh\`)"
        echo
        echo "$(date -u +%Y-%m-%d), $version, Debian 12 in systemd-nspawn on $(uname -r); idle limit ${IDLE_S} s;"
        echo "${N} ssh logins per engine through the container's sshd (pam_systemd, pam_idlewarden), one key press each."
        echo "*Ended after*: from the key press to the end of the ssh connection; *lateness*: that − ${IDLE_S} s"
        echo "(negative: early). idlewarden warned each session ${IW_WARN:-5} s ahead; logind gives no warning."
        echo
        echo "| engine | session | ended after (s) | lateness (s) |"
        echo "|---|---|---|---|"
        local engine file user ms
        for engine in idlewarden logind; do
            file=$IW_T/$engine.tsv
            [[ $engine == logind ]] && engine="logind StopIdleSessionSec=$IDLE_S"
            while IFS=$'\t' read -r user ms; do
                if [[ $ms == - ]]; then
                    echo "| $engine | ${user##*-} | not ended within $((IDLE_S + 60)) s | - |"
                else
                    echo "| $engine | ${user##*-} | $(iw_secs "$ms") | $(awk -v m="$ms" -v l="$IDLE_S" 'BEGIN { printf "%+.2f", m / 1000 - l }') |"
                fi
            done <"$file"
        done
        local first
        first=$(grep -m1 -oE 'event=open session=[0-9]+' "$IW_TLOG/journal-idlewarden.txt" | grep -oE '[0-9]+$')
        echo
        echo "The journal lines of idlewarden session $first (\`journalctl -t idlewarden\`):"
        echo
        echo '```text'
        grep -E "session=$first( |$)" "$IW_TLOG/journal-idlewarden.txt" | sed -E 's/^[^ ]+ [^ ]+ //'
        echo '```'
    } >"$IW_T/result.md"
    cp "$IW_T/result.md" "$OUT"
    cat "$IW_T/result.md"
}

IW_TEST_FILE=$IW_ROOT/tests/e2e/systemd.sh
iw_run_test bench_logind_lateness
