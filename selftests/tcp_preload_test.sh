#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unmodified TCP programs on bsdinet through the LD_PRELOAD library
# (tools/preload), with Linux's stack on the other end of a veth pair
# (bsdinet 10.68.0.1, Linux 10.68.0.2 in a namespace): socat both ways
# and over lo0; curl on bsdinet fetching from Linux's python3 http.server;
# nginx-light on bsdinet (sendfile on) serving a file that Linux's curl
# fetches intact, and wrk loading it for a few seconds without a socket
# error; iperf3 both ways. Programs that are not installed are skipped
# (scripts/versions.sh lists them for scripts/deps.sh).
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
tools=$top/tools/out
lib=$tools/libbsdinet_preload.so
. "$here/out/ktap_helpers.sh"
. "$here/lib.sh"
export PATH=$PATH:/usr/sbin:/sbin

ns=bsdpre
N="ip netns exec $ns"
tmp=$(mktemp -d /tmp/bsdinet-pre.XXXXXX)
chmod 755 "$tmp"
jobs_=()
cleanup() {
	for p in "${jobs_[@]}"; do killtree "$p"; done
	ip link del bp0 2>/dev/null
	ip netns del $ns 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
pre() { LD_PRELOAD=$lib "$@"; }
have() { command -v "$1" >/dev/null; }
listening() { # listening bsd|linux PORT
	if [ "$1" = bsd ]; then
		grep -qE "^tcp [0-9]+ [0-9]+ [0-9.]+:$2 0\.0\.0\.0:0 LISTEN " /proc/bsdinet/pcb
	else
		$N ss -Htln "sport = :$2" | grep -q .
	fi
}

ktap_print_header
ktap_set_plan 9

ip netns add $ns || exit 1
ip link add bp0 type veth peer name bp1 netns $ns || exit 1
$N ip link set lo up && $N ip addr add 10.68.0.2/24 dev bp1 && $N ip link set bp1 up
ip link set bp0 up
"$tools/ifconfig" bp0 attach 10.68.0.1 netmask 255.255.255.0 up
$N ping -c 1 -W 3 10.68.0.1 >/dev/null 2>&1

# ---- socat: bsdinet serves Linux, Linux serves bsdinet, bsdinet itself.
if have socat; then
	bg pre socat TCP4-LISTEN:6001,bind=10.68.0.1,reuseaddr,fork PIPE
	waitfor 60 listening bsd 6001
	out=$(echo "to bsdinet" | $N timeout 30 socat - TCP4:10.68.0.1:6001 2>&1)
	check "socat: Linux's client, bsdinet's echo server ($out)" test "$out" = "to bsdinet"
	bg $N socat TCP4-LISTEN:6002,bind=10.68.0.2,reuseaddr,fork PIPE
	waitfor 30 listening linux 6002
	out=$(echo "to linux" | timeout 60 env LD_PRELOAD="$lib" socat - TCP4:10.68.0.2:6002 2>&1)
	check "socat: bsdinet's client, Linux's echo server ($out)" test "$out" = "to linux"
	bg pre socat TCP4-LISTEN:6003,bind=127.0.0.1,reuseaddr,fork PIPE
	waitfor 60 listening bsd 6003
	out=$(echo "over lo0" | timeout 60 env LD_PRELOAD="$lib" socat - TCP4:127.0.0.1:6003 2>&1)
	check "socat: both ends on bsdinet over lo0 ($out)" test "$out" = "over lo0"
else
	for i in 1 2 3; do ktap_test_skip "socat is not installed"; done
fi

# ---- curl on bsdinet fetches from Linux's python3 http.server.
mkdir -p "$tmp/www" && chmod 755 "$tmp/www"
head -c 3M /dev/urandom >"$tmp/www/big.bin"
printf '<html>bsdinet</html>\n' >"$tmp/www/small.html"
chmod 644 "$tmp/www/"*
want=$(sha "$tmp/www/big.bin")
if have curl && [ -x /usr/bin/python3 ]; then
	bg $N /usr/bin/python3 -m http.server 8000 --bind 10.68.0.2 --directory "$tmp/www"
	waitfor 90 listening linux 8000
	timeout 120 env LD_PRELOAD="$lib" curl -sS -o "$tmp/got1" http://10.68.0.2:8000/big.bin
	rc=$?
	check "curl on bsdinet fetches 3 MB from Linux's python3 -m http.server ($rc; sha256)" \
		test "$rc" = 0 -a "$(sha "$tmp/got1" 2>/dev/null)" = "$want"
else
	ktap_test_skip "curl or python3 is not installed"
fi

# ---- nginx on bsdinet (sendfile on), Linux's curl and wrk.
if nginx=$(command -v nginx); then
	mkdir -p "$tmp/nginx"
	cat >"$tmp/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
	access_log off;
	sendfile on;
	keepalive_requests 100000;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	types { text/html html; application/octet-stream bin; }
	server {
		listen 10.68.0.1:8080;
		root $tmp/www;
	}
}
EOF
	bg env LD_PRELOAD="$lib" "$nginx" -e stderr -p "$tmp/nginx" -c "$tmp/nginx.conf" 2>"$tmp/nginx.err"
	waitfor 60 listening bsd 8080
	check "nginx-light listens on bsdinet (10.68.0.1:8080)" listening bsd 8080
	$N timeout 120 curl -sS -o "$tmp/got2" http://10.68.0.1:8080/big.bin
	rc=$?
	check "Linux's curl fetches 3 MB from nginx on bsdinet, sent with sendfile ($rc; sha256)" \
		test "$rc" = 0 -a "$(sha "$tmp/got2" 2>/dev/null)" = "$want"
	if have wrk; then
		out=$($N timeout 60 wrk -t 1 -c 4 -d 5s http://10.68.0.1:8080/small.html 2>&1)
		printf '%s\n' "$out" | sed 's/^/# /'
		check "wrk: 5 s against nginx on bsdinet, requests served, no socket error" eval \
			"grep -qE '^Requests/sec: +[0-9.]+' <<<\"\$out\" &&
			 ! grep -qE 'Socket errors|Non-2xx' <<<\"\$out\" &&
			 [ \"\$(awk '/requests in/ { print \$1 }' <<<\"\$out\")\" -gt 0 ]"
	else
		ktap_test_skip "wrk is not installed"
	fi
	sed 's/^/# nginx: /' "$tmp/nginx.err" | tail -n 5
else
	for i in 1 2 3; do ktap_test_skip "nginx is not installed"; done
fi

# ---- iperf3 both ways: the server on bsdinet, the client on Linux.
if have iperf3; then
	bg env LD_PRELOAD="$lib" iperf3 -s -B 10.68.0.1 -p 5201
	waitfor 60 listening bsd 5201
	out=$($N timeout 90 iperf3 -c 10.68.0.1 -p 5201 -t 3 -f k 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E 'sender|receiver|error' | sed 's/^/# /'
	check "iperf3: Linux sends to bsdinet for 3 s ($rc)" eval \
		"[ $rc = 0 ] && grep -qE '[0-9.]+ Kbits/sec +receiver' <<<\"\$out\""
	out=$($N timeout 90 iperf3 -c 10.68.0.1 -p 5201 -t 3 -f k -R 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E 'sender|receiver|error' | sed 's/^/# /'
	check "iperf3 -R: bsdinet sends to Linux for 3 s ($rc)" eval \
		"[ $rc = 0 ] && grep -qE '[0-9.]+ Kbits/sec +receiver' <<<\"\$out\""
else
	for i in 1 2; do ktap_test_skip "iperf3 is not installed"; done
fi

ktap_finished
