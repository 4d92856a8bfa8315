# shellcheck shell=bash
# End-to-end tests of what idlewarden gives the tools admins already run (issue 16): the Prometheus metrics
# (`idlewarden metrics` and the textfile for node_exporter), read with Debian's Prometheus client parser and
# followed through real ssh logins that log out and idle out; the audit trail as JSON for a SIEM, with the same
# events and fields as the key=value lines. Real sshd, users and tmux, the daemon with the short test policy of
# lib.sh (idle_timeout 15 s, warn_before 5 s, signal_interval 3 s).

# iw__t_metrics FILE — the samples of a Prometheus text exposition as "NAME{LABELS} VALUE" lines (labels sorted),
# parsed by prometheus_client (python3-prometheus-client); fails if the text does not parse.
iw__t_metrics() {
    "$IW_PY" - "$1" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
if not text.endswith("\n"):
    sys.exit("the exposition does not end with a newline")
for family in text_string_to_metric_families(text):
    if not family.documentation:
        sys.exit("family %s has no HELP" % family.name)
    if family.type not in ("counter", "gauge"):
        sys.exit("family %s has type %s" % (family.name, family.type))
    for s in family.samples:
        labels = ",".join('%s="%s"' % kv for kv in sorted(s.labels.items()))
        print("%s{%s} %g" % (s.name, labels, s.value))
PY
}

# iw__t_value SAMPLES KEY — the value of one sample (KEY as iw__t_metrics prints it, without the value).
iw__t_value() { awk -v k="$2" '$1 == k { print $2 }' <<<"$1"; }

# The metrics parse as Prometheus text (Debian's prometheus_client parser), and their counters move with real
# sessions: two ssh logins opened, one logged out by its user, the other warned and ended for idleness; the
# textfile (metrics_file) says the same within its 15 s interval, is mode 0644 and goes away when the daemon
# stops. Another user may not read them. The warning on the terminal says how long at least the session was idle.
test_tools_metrics_parse_and_follow_real_sessions() {
    command -v "$IW_PY" >/dev/null && "$IW_PY" -c 'import prometheus_client.parser' 2>/dev/null ||
        iw_fail "python3-prometheus-client is missing (apt-get install python3-prometheus-client)"
    local a=iwtest-$IW_ID-a b=iwtest-$IW_ID-b dir=$IW_T/node-exporter
    iw_mkuser "$a"
    iw_mkuser "$b"
    install -d -m 0755 "$dir"
    iw_config "metrics_file = \"$dir/idlewarden.prom\""
    iw_daemon_start
    iw_sshd_start
    local samples before
    "$IW_BIN" metrics --socket "$IW_SOCK" >"$IW_T/m0.prom" || iw_fail "idlewarden metrics failed"
    cp "$IW_T/m0.prom" "$IW_TLOG/metrics-start.prom"
    before=$(iw__t_metrics "$IW_T/m0.prom") || iw_fail "the metrics do not parse as Prometheus text: $(head -n 20 "$IW_T/m0.prom")"
    iw_ok "metrics at start parse ($(grep -c . <<<"$before") samples)"
    local k
    for k in 'idlewarden_sessions{state="active"}' 'idlewarden_sessions{state="exempt"}' 'idlewarden_sessions{state="warned"}' \
        'idlewarden_sessions_opened_total{source="pam"}' 'idlewarden_session_ends_total{reason="idle"}' \
        'idlewarden_rejects_total{reason="not-root"}' 'idlewarden_audit_events_total{event="forged-input"}' \
        'idlewarden_start_time_seconds{}'; do
        [[ -n $(iw__t_value "$before" "$k") ]] || iw_fail "no sample $k in: $before"
    done
    iw_ok "every documented family is there from the start"

    iw_tmux_new sa "$(iw_ssh_cmd "$a")"
    iw_tmux_new sb "$(iw_ssh_cmd "$b")"
    iw_tmux_mark sa
    iw_tmux_mark sb
    iw_wait_sessions 1 10 "$a" || iw_fail "no session of $a"
    iw_wait_sessions 1 10 "$b" || iw_fail "no session of $b"
    iw_tmux_type sb exit
    iw_wait_sessions 0 10 "$b" || iw_fail "the session of $b is still listed after its logout"
    "$IW_BIN" metrics --socket "$IW_SOCK" >"$IW_T/m1.prom" || iw_fail "idlewarden metrics failed"
    samples=$(iw__t_metrics "$IW_T/m1.prom") || iw_fail "the metrics do not parse"
    iw__t_moved() { # KEY DELTA
        local was now
        was=$(iw__t_value "$before" "$1")
        now=$(iw__t_value "$samples" "$1")
        [[ $(awk -v a="${was:-0}" -v b="${now:-0}" 'BEGIN { print b - a }') == "$2" ]] ||
            iw_fail "$1 went from ${was:-none} to ${now:-none}, expected +$2"
    }
    iw__t_moved 'idlewarden_sessions_opened_total{source="pam"}' 2
    # The logout is counted once, by the way the daemon learnt of it: the module's close, or the end of the login
    # process when that came first (the module's close then finds no session: reason unknown-session).
    local closed
    closed=$(awk '$1 ~ /^idlewarden_session_closes_total\{reason="(pam-close|leader-exit)"\}$/ { n += $2 } END { print n + 0 }' <<<"$samples")
    [[ $closed == $(awk '$1 ~ /^idlewarden_session_closes_total\{reason="(pam-close|leader-exit)"\}$/ { n += $2 } END { print n + 1 }' <<<"$before") ]] ||
        iw_fail "the logout is not counted once as pam-close or leader-exit: $(grep closes_total <<<"$samples" | tr '\n' ' ')"
    iw__t_moved 'idlewarden_audit_events_total{event="open"}' 2
    (($(iw__t_value "$samples" 'idlewarden_sessions{state="active"}') +
        $(iw__t_value "$samples" 'idlewarden_sessions{state="pending"}') >= 1)) ||
        iw_fail "the open session is not counted as active or pending: $samples"
    iw_ok "two opens and one logout counted"

    iw_tmux_wait_text sa 'Press any key' $((IW_IDLE + IW_MAX_LATE)) || iw_fail "no warning: $(iw__pane_tail sa)"
    iw_tmux_has_text sa 'no input for at least [0-9]+s\.' || iw_fail "the warning does not say 'at least': $(iw__pane_tail sa)"
    iw_ok "warning: $(iw_tmux_capture sa | grep -o 'has had no input.*logged out' | tail -n1)"
    "$IW_BIN" metrics --socket "$IW_SOCK" >"$IW_T/m2.prom" && samples=$(iw__t_metrics "$IW_T/m2.prom") || iw_fail "metrics failed"
    [[ $(iw__t_value "$samples" 'idlewarden_sessions{state="warned"}') == 1 ]] || iw_fail "the warned session is not counted: $samples"
    iw__t_moved 'idlewarden_audit_events_total{event="warn"}' 1
    iw_tmux_wait_dead sa $((IW_WARN + IW_MAX_LATE + 3 * IW_GRACE)) || iw_fail "the idle session was not ended"
    iw_audit_wait 10 "$(iw_kv event terminate)" "$(iw_kv user "$a")" || iw_fail "no terminate line"
    "$IW_BIN" metrics --socket "$IW_SOCK" >"$IW_T/m3.prom" && samples=$(iw__t_metrics "$IW_T/m3.prom") || iw_fail "metrics failed"
    cp "$IW_T/m3.prom" "$IW_TLOG/metrics-end.prom"
    iw__t_moved 'idlewarden_session_ends_total{reason="idle"}' 1
    iw__t_moved 'idlewarden_session_ends_total{reason="max-session"}' 0
    iw__t_moved 'idlewarden_audit_events_total{event="terminate"}' 1
    iw_ok "the idle end counted: $(grep 'idlewarden_session_ends_total' <<<"$samples" | tr '\n' ' ')"

    # The textfile: the same counters once its interval has passed, mode 0644, never half written.
    local file=$dir/idlewarden.prom
    iw__t_file_has_end() {
        local got
        [[ -f $file ]] || return 1
        got=$(iw__t_metrics "$file" 2>/dev/null) || return 1
        [[ $(iw__t_value "$got" 'idlewarden_session_ends_total{reason="idle"}') == \
            "$(iw__t_value "$samples" 'idlewarden_session_ends_total{reason="idle"}')" ]]
    }
    iw_wait_until 25 iw__t_file_has_end || iw_fail "$file does not show the end within 25 s: $(cat "$file" 2>&1 | head)"
    [[ $(stat -c %a "$file") == 644 ]] || iw_fail "$file is mode $(stat -c %a "$file"), expected 644"
    [[ ! -e $file.tmp ]] || iw_fail "a temporary file is left: $file.tmp"
    iw_ok "$file: parses, shows the end, mode 0644"

    iw__user_bin
    local out rc
    out=$(runuser -u "$b" -- "$IW_T/bin/idlewarden" metrics --socket "$IW_SOCK" 2>&1)
    rc=$?
    ((rc == 1)) || iw_fail "metrics as $b exited $rc: $out"
    grep -q 'only root' <<<"$out" || iw_fail "metrics as $b: $out"
    iw_audit_wait 5 "$(iw_kv event reject)" "$(iw_kv reason not-root)" "$(iw_kv sender_uid "$(id -u "$b")")" ||
        iw_fail "the refusal was not audited"
    iw_ok "another user may not read the metrics: $out"

    iw_daemon_stop
    [[ ! -e $file ]] || iw_fail "$file is still there after the daemon stopped"
    iw_ok "the daemon removed $file when it stopped"
}

# audit_format = "json": after a reload the same kinds of lines (open, terminals, close of an ssh login) come as
# one JSON object each, with exactly the fields of the key=value lines of the same events, the same values where
# they do not depend on the session (user, service, rhost, reason); a reload back to "kv" restores the format.
test_tools_audit_json_has_the_fields_of_kv() {
    local a=iwtest-$IW_ID-a
    iw_mkuser "$a"
    IW_IDLE=300 IW_WARN=60 iw_config
    iw_daemon_start
    iw_sshd_start
    iw__t_has_terminal() { [[ $(iw_sessions_of "$a" | cut -f10) == /dev/* ]]; }
    iw__t_login_logout() { # PANE: one ssh login, its terminal found, then its logout
        iw_tmux_new "$1" "$(iw_ssh_cmd "$a")"
        iw_tmux_mark "$1"
        iw_wait_sessions 1 10 "$a" || iw_fail "no session of $a"
        iw_wait_until 20 iw__t_has_terminal || iw_fail "the terminal of $a's session was not found: $(iw_sessions_of "$a")"
        iw_tmux_type "$1" exit
        iw_wait_sessions 0 10 "$a" || iw_fail "the session of $a is still listed"
    }
    iw__t_login_logout kv
    iw_audit_wait 10 "$(iw_kv event close)" "$(iw_kv user "$a")" || iw_fail "no kv close line"
    iw_syslog_new | grep -E -- "$IW_AUDIT_RE" >"$IW_T/kv.log"

    echo 'audit_format = "json"' >>"$IW_CONFIG"
    iw_syslog_mark
    "$IW_BIN" reload --socket "$IW_SOCK" || iw_fail "reload failed"
    iw__t_login_logout json
    iw__t_has_json_close() { iw_syslog_new | grep -E -- "$IW_AUDIT_RE" | grep -qF '{"event":"close"'; }
    iw_wait_until 10 iw__t_has_json_close || iw_fail "no JSON close line: $(iw_syslog_new | tail -n 5)"
    iw_syslog_new | grep -E -- "$IW_AUDIT_RE" >"$IW_T/json.log"
    cp "$IW_T/kv.log" "$IW_T/json.log" "$IW_TLOG/"
    "$IW_PY" - "$IW_T/kv.log" "$IW_T/json.log" "$a" <<'PY' || iw_fail "the JSON lines differ from the kv lines (above)"
import json, re, shlex, sys
kv_file, json_file, user = sys.argv[1:]
def body(line):
    return line.split("]: ", 1)[1].rstrip("\n")
def kv(text):
    # The kv format quotes like a shell word: "..." with \" and \\ inside (and \xNN, absent here).
    return dict(part.split("=", 1) for part in shlex.split(text))
kv_lines = [kv(body(line)) for line in open(kv_file)]
json_lines = []
for line in open(json_file):
    text = body(line)
    if not text.startswith("{"):
        sys.exit("a line that is not JSON after the switch: " + text)
    fields = json.loads(text)
    if not all(isinstance(v, str) for v in fields.values()):
        sys.exit("a value that is not a string: " + text)
    json_lines.append(fields)
# A logout closes a session either way: the PAM close, or the leader's exit seen first (a race of the logout).
def kind(fields):
    reason = fields.get("reason")
    return "logout" if reason in ("pam-close", "leader-exit") else reason
# For each event, a kv line and a JSON line of the same kind (same reason) with the same fields and, where they do
# not depend on the session, the same values.
for event in ("open", "terminals", "close"):
    pairs = [(k, j) for k in kv_lines for j in json_lines
             if k["event"] == j["event"] == event and kind(k) == kind(j)
             and k.get("user", user) == user and j.get("user", user) == user]
    if not pairs:
        sys.exit("no %s line of the same kind in both formats:\n%s\n%s" % (event, kv_lines, json_lines))
    same = [(k, j) for k, j in pairs if set(k) == set(j)]
    if not same:
        sys.exit("%s: kv fields %s, json fields %s" % (event, sorted(pairs[0][0]), sorted(pairs[0][1])))
    k, j = same[0]
    if kind(k) != kind(j):
        sys.exit("%s: reason is %r in kv, %r in json" % (event, k.get("reason"), j.get("reason")))
    for key in ("event", "user", "uid", "service", "tty", "rhost", "type"):
        if key in k and k[key] != j[key]:
            sys.exit("%s: %s is %r in kv, %r in json" % (event, key, k[key], j[key]))
    print("%s: same fields %s" % (event, " ".join(sorted(k))))
if not any(j["event"] == "config-reload" for j in json_lines):
    sys.exit("the reload line is not in the new format")
PY
    iw_ok "JSON lines: the same events and fields as the kv lines"

    sed -i 's/^audit_format = "json"$/audit_format = "kv"/' "$IW_CONFIG"
    "$IW_BIN" reload --socket "$IW_SOCK" || iw_fail "reload failed"
    iw_audit_wait 10 "$(iw_kv event config-reload)" "$(iw_kv config "$IW_CONFIG")" || iw_fail "no kv config-reload line after switching back"
    iw_ok "back to key=value: $(iw_audit "$(iw_kv event config-reload)" | tail -n1)"
}
