#!/bin/sh
# Regenerate the golden renders of the kustomize corpus with the real kustomize.
# Run by hand after changing a case (never by the test suite, which needs no binary):
#   tests/data/kustomize/regenerate.sh
# Each case lists its root kustomizations in roots.txt; the render of root a/b is
# written to <case>/a__b.golden.yaml. Goldens in git were made with kubectl's built-in
# kustomize v5.5.0 (`kubectl version --client`).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if command -v kustomize >/dev/null 2>&1; then build="kustomize build"; else build="kubectl kustomize"; fi
for case in "$here"/*/; do
    case=${case%/}
    [ -f "$case/roots.txt" ] || continue
    rm -f "$case"/*.golden.yaml
    while read -r root; do
        [ -n "$root" ] || continue
        out="$case/$(printf '%s' "$root" | sed 's|/|__|g').golden.yaml"
        $build "$case/$root" > "$out"
        echo "wrote ${out#"$here"/}"
    done < "$case/roots.txt"
done
