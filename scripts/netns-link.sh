#!/usr/bin/env bash
# Runs the two-node link across two network namespaces joined by a veth pair with a one-way
# delay (tc netem), and the same link on loopback, and compares distillation throughput.
#
#   optics + Alice in namespace qkd-alice-PID (10.213.0.1), Bob in qkd-bob-PID (10.213.0.2);
#   Bob's device stream and the classical channel both cross the delayed veth pair.
#   On a kernel without sch_netem the delay is added instead by a small userspace relay in
#   Bob's namespace (python3), on the classical channel only, DELAY each way.
#
# Usage (as root):  scripts/netns-link.sh [LINK_TIME]         e.g. scripts/netns-link.sh 300s (default 900s)
# Environment:      QKD (default .build/release/qkd), DELAY (default 5ms, each direction),
#                   BLOCKS_IN_FLIGHT (default 96), SERIAL_LINK_TIME (the link time of the
#                   comparison run without pipelining, default 60s), RESERVE_BITS (authentication bits per block,
#                   default 1024), CONFIG (default: 50 km, 20 000-bit blocks).
# Creates nothing outside the two namespaces and a temporary folder, and removes them on exit.
# Not run by CI.
set -euo pipefail

LINK_TIME=${1:-900s}
QKD=$(realpath "${QKD:-.build/release/qkd}")
DELAY=${DELAY:-5ms}
IN_FLIGHT=${BLOCKS_IN_FLIGHT:-96}
SERIAL_LINK_TIME=${SERIAL_LINK_TIME:-60s}
RESERVE_BITS=${RESERVE_BITS:-1024}
CONFIG=${CONFIG:-'{ "preset": "paper-120km", "fiber": { "lengthKm": 50 }, "postProcessing": { "blockSize": 20000 } }'}

fail() { echo "error: $*" >&2; exit 2; }
[[ $EUID -eq 0 ]] || fail "run as root: the script creates network namespaces"
[[ -x $QKD ]] || fail "no qkd executable at $QKD (swift build -c release, or set QKD)"
if ! command -v ip >/dev/null || ! command -v tc >/dev/null; then
    apt-get update -qq && apt-get install -y -qq iproute2 >/dev/null
fi

NS_ALICE=qkd-alice-$$
NS_BOB=qkd-bob-$$
WORK=$(mktemp -d /tmp/qkd-netns.XXXXXX)
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ip netns del "$NS_ALICE" 2>/dev/null || true
    ip netns del "$NS_BOB" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

ip netns add "$NS_ALICE"
ip netns add "$NS_BOB"
ip -n "$NS_ALICE" link add veth-alice type veth peer name veth-bob netns "$NS_BOB"
ip -n "$NS_ALICE" addr add 10.213.0.1/24 dev veth-alice
ip -n "$NS_BOB" addr add 10.213.0.2/24 dev veth-bob
for ns in "$NS_ALICE" "$NS_BOB"; do ip -n "$ns" link set lo up; done
ip -n "$NS_ALICE" link set veth-alice up
ip -n "$NS_BOB" link set veth-bob up
if ip netns exec "$NS_ALICE" tc qdisc add dev veth-alice root netem delay "$DELAY" 2>/dev/null; then
    ip netns exec "$NS_BOB" tc qdisc add dev veth-bob root netem delay "$DELAY"
    DELAYED_BY="tc netem on both ends of the veth pair"
    RELAY=false
else
    [[ $DELAY =~ ^[0-9.]+ms$ ]] || fail "DELAY must be in ms (e.g. 5ms) for the userspace relay"
    DELAYED_BY="a userspace relay on the classical channel (this kernel has no sch_netem)"
    RELAY=true
fi
cat > "$WORK/delay-relay.py" <<'PYTHON'
# delay-relay.py HOST TARGET_HOST TARGET_PORT SECONDS: relays TCP connections from HOST (any port,
# printed) to TARGET, holding every chunk SECONDS in each direction, in order.
import asyncio, sys

host, target_host, target_port, delay = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])

async def forward(reader, writer):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()
    async def deliver():
        while True:
            due, data = await queue.get()
            if not data:
                break
            await asyncio.sleep(max(0.0, due - loop.time()))
            writer.write(data)
            await writer.drain()
        writer.close()
    delivery = asyncio.create_task(deliver())
    while data := await reader.read(1 << 16):
        queue.put_nowait((loop.time() + delay, data))
    queue.put_nowait((0.0, b""))
    await delivery

async def connection(bob_reader, bob_writer):
    alice_reader, alice_writer = await asyncio.open_connection(target_host, target_port)
    await asyncio.gather(forward(bob_reader, alice_writer), forward(alice_reader, bob_writer), return_exceptions=True)

async def main():
    server = await asyncio.start_server(connection, host, 0)
    print("relay port", server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
PYTHON

echo "$CONFIG" > "$WORK/link.json"
# 4 MiB of bootstrap key: with short blocks a block consumes more pad than it refills.
head -c 4194304 /dev/urandom > "$WORK/boot.key"

# The number after MARKER in FILE, waiting up to 30 s for it.
number_after() {
    local marker=$1 file=$2 deadline=$((SECONDS + 30)) value
    while ((SECONDS < deadline)); do
        value=$(grep -o "$marker [0-9]*" "$file" 2>/dev/null | head -1 | grep -o '[0-9]*$' || true)
        [[ -n $value ]] && { echo "$value"; return; }
        sleep 0.1
    done
    fail "no \"$marker\" in $file: $(tail -1 "$file" 2>/dev/null)"
}

# run_link ID NAME ALICE_PREFIX BOB_PREFIX ADDRESS BLOCKS_IN_FLIGHT LINK_TIME [delayed]: one run;
# writes its table row to ID.row and prints it.
run_link() {
    local id=$1 name=$2 in_alice=$3 in_bob=$4 address=$5 in_flight=$6 link_time=$7 delayed=${8:-} dir=$WORK/$1
    mkdir -p "$dir" && cd "$dir"
    local common=(--config "$WORK/link.json" --bootstrap-key "$WORK/boot.key" --blocks-in-flight "$in_flight" --reserve-bits "$RESERVE_BITS")
    $in_alice "$QKD" optics --config "$WORK/link.json" --alice 127.0.0.1:0 --bob "$address:0" --duration "$link_time" \
        > optics.out 2> optics.log & PIDS+=($!)
    local alice_port bob_port peer_port
    alice_port=$(number_after "alice port" optics.out)
    bob_port=$(number_after "bob port" optics.out)
    $in_alice "$QKD" node --role alice --peer "$address:0" --optics "127.0.0.1:$alice_port" --store alice.sqlite "${common[@]}" \
        > alice.out 2> alice.log & PIDS+=($!)
    local alice_pid=$!
    peer_port=$(number_after "listening on port" alice.out)
    local peer=$address:$peer_port
    if [[ $delayed == delayed && $RELAY == true ]]; then
        $in_bob python3 "$WORK/delay-relay.py" 10.213.0.2 "$address" "$peer_port" "$(awk -v d="${DELAY%ms}" 'BEGIN { print d / 1000 }')" \
            > relay.out 2> relay.log & PIDS+=($!)
        peer=10.213.0.2:$(number_after "relay port" relay.out)
    fi
    local start=$EPOCHREALTIME
    $in_bob "$QKD" node --role bob --peer "$peer" --optics "$address:$bob_port" --store bob.sqlite "${common[@]}" \
        > bob.out 2> bob.log || fail "$name: Bob failed: $(tail -1 bob.log)"
    local end=$EPOCHREALTIME
    wait "$alice_pid" || fail "$name: Alice failed: $(tail -1 alice.log)"
    local alice_keys bob_keys
    alice_keys=$(grep -o '[0-9]* keys' alice.out | grep -o '[0-9]*')
    bob_keys=$(grep -o '[0-9]* keys' bob.out | grep -o '[0-9]*')
    [[ $alice_keys == "$bob_keys" ]] || fail "$name: Alice holds $alice_keys keys, Bob $bob_keys"
    grep -h 'bob: block [0-9]*:' bob.log | awk -v name="$name" -v start="$start" -v end="$end" -v keys="$bob_keys" '
        { blocks += 1; sifted += $4 }
        END {
            wall = end - start
            printf "| %s | %.1f | %d | %.2f | %.3f | %d |\n", name, wall, blocks, blocks / wall, sifted / wall / 1e6, keys
        }' > "$WORK/$id.row"
    cat "$WORK/$id.row"
    cd "$WORK"
}

echo "link time $LINK_TIME per run, $DELAY each way between the namespaces by $DELAYED_BY, $(nproc) cores"
echo
echo "| run | wall s | blocks | blocks/s | sifted Mbit/s | keys (each side) |"
echo "|---|---|---|---|---|---|"
run_link loopback "loopback, $IN_FLIGHT in flight" "" "" 127.0.0.1 "$IN_FLIGHT" "$LINK_TIME"
run_link netns "netns $DELAY, $IN_FLIGHT in flight" "ip netns exec $NS_ALICE" "ip netns exec $NS_BOB" 10.213.0.1 "$IN_FLIGHT" \
    "$LINK_TIME" delayed
run_link serial "netns $DELAY, 1 in flight ($SERIAL_LINK_TIME)" "ip netns exec $NS_ALICE" "ip netns exec $NS_BOB" 10.213.0.1 1 \
    "$SERIAL_LINK_TIME" delayed
ratio=$(awk -v a="$(cat "$WORK/loopback.row")" -v b="$(cat "$WORK/netns.row")" \
    'BEGIN { split(a, x, "|"); split(b, y, "|"); printf "%.2f", y[6] / x[6] }')
echo
echo "sifted throughput over the delayed link / loopback, pipelined: $ratio (acceptance: at least 0.5)"
