#!/usr/bin/env bash
# Same machine, same run: builds `taisho` (release) at two revisions and runs, for each, the label
# evaluation (`taisho eval`) and the national bench (`taisho bench national`), interleaved so that
# machine noise falls on both. Prints both outputs and the ratio of the bench's docs/s (B / A).
#
#   infra/bench/compare-revisions.sh REV_A REV_B [BODIES]
#
# REV_A is the baseline. Worktrees and a shared target directory go under ${WORK:-/tmp/taisho-revs}.
set -euo pipefail
cd "$(dirname "$0")/../.."
a=${1:?baseline revision}; b=${2:?revision to compare}; bodies=${3:-600}
work=${WORK:-/tmp/taisho-revs}
mkdir -p "$work"
export CARGO_TARGET_DIR="$work/target"
labels="$PWD/testdata/eval/seed-labels.tsv"
for rev in "$a" "$b"; do
  dir="$work/$(git rev-parse --short "$rev")"
  [ -d "$dir" ] || git worktree add --detach "$dir" "$rev" >/dev/null
  # An older tree may read the seeds from ../shared: give it this checkout's testdata there.
  [ -e "$work/shared" ] || ln -s "$PWD/testdata" "$work/shared"
  (cd "$dir" && cargo build --release --locked -q -p taisho-server)
  cp "$CARGO_TARGET_DIR/release/taisho" "$work/taisho-$(git rev-parse --short "$rev")"
done
bin_a="$work/taisho-$(git rev-parse --short "$a")"; bin_b="$work/taisho-$(git rev-parse --short "$b")"
for bin in "$bin_a" "$bin_b"; do
  echo "== eval: $(basename "$bin")"
  (cd "$work" && "$bin" eval "$labels")
done
declare -A rate
for round in 1 2; do
  for bin in "$bin_a" "$bin_b"; do
    echo "== bench national, round $round: $(basename "$bin")"
    out=$(cd "$work" && "$bin" bench national --bodies "$bodies")
    echo "$out"
    r=$(echo "$out" | grep -oE '[0-9.]+ docs/s' | tail -1 | cut -d' ' -f1)
    rate[$bin]="${rate[$bin]:-} $r"
  done
done
echo "== docs/s per round: A ${rate[$bin_a]} | B ${rate[$bin_b]}"
