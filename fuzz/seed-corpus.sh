#!/usr/bin/env bash
# Copies the committed seeds into the working corpus that `cargo fuzz run` reads and grows:
# fuzz/seeds/<target>/ -> fuzz/corpus/<target>/ (gitignored). Existing corpus files are kept.
# Usage: bash fuzz/seed-corpus.sh [target...]   (default: every target with seeds)
set -euo pipefail
cd "$(dirname "$0")"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=()
    for dir in seeds/*/; do targets+=("$(basename "$dir")"); done
fi
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    cp -n "seeds/$target"/* "corpus/$target/"
    echo "corpus/$target: $(ls "corpus/$target" | wc -l) files"
done
